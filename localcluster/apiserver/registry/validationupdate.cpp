// Services, configuration, storage and RBAC: upstream's ValidateService and the update rules that
// make fields of these kinds immutable.

#include "validationrules.h"

#include <core/util/base64.h>
#include <core/util/quantity.h>
#include <localcluster/apiserver/rest/objectrules.h>

#include <nlohmann/json.hpp>

#include <set>

namespace kd::lc::apiserver::registry::rules {

using core::util::Quantity;
using nlohmann::json;

namespace {

const char *const kPortRange = "must be between 1 and 65535, inclusive";
const char *const kImmutableWhenSet = "field is immutable when `immutable` is set";

bool validPort(const json &value)
{
    return value.is_number_integer() && value.get<std::int64_t>() >= 1
           && value.get<std::int64_t>() <= 65535;
}

// IsValidPortName's first failing rules, as ValidatePortNumOrName reports them.
void validateTargetPort(Causes &causes, const json &target, const std::string &field)
{
    if (target.is_number()) {
        if (!validPort(target))
            invalid(causes, field, printed(target), kPortRange);
        return;
    }
    if (!target.is_string())
        return;
    const std::string name = target.get<std::string>();
    bool charset = !name.empty();
    bool letter = false;
    for (char c : name) {
        charset = charset && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
        letter = letter || (c >= 'a' && c <= 'z');
    }
    if (name.size() > 15)
        invalid(causes, field, goQuoted(name), "must be no more than 15 characters");
    if (!charset)
        invalid(causes, field, goQuoted(name),
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    if (!letter)
        invalid(causes, field, goQuoted(name), "must contain at least one letter (a-z)");
    if (name.find("--") != std::string::npos)
        invalid(causes, field, goQuoted(name), "must not contain consecutive hyphens");
    if (!name.empty() && (name.front() == '-' || name.back() == '-'))
        invalid(causes, field, goQuoted(name), "must not begin or end with a hyphen");
}

void validateServicePorts(Causes &causes, const json &ports)
{
    if (!ports.is_array())
        return;
    std::set<std::string> names;
    for (std::size_t i = 0; i < ports.size(); ++i) {
        const json &port = ports[i];
        const std::string field = "spec.ports[" + std::to_string(i) + "]";
        const std::string name = text(port, "name");
        if (ports.size() > 1 && name.empty()) {
            required(causes, field + ".name");
        } else if (!name.empty()) {
            for (const std::string &message : objectrules::validateDns1123Label(name))
                invalid(causes, field + ".name", goQuoted(name), message);
            if (!names.insert(name).second)
                duplicate(causes, field + ".name", goQuoted(name));
        }
        const json &number = member(port, "port");
        if (!validPort(number))
            invalid(causes, field + ".port", number.is_null() ? "0" : printed(number), kPortRange);
        const json &protocol = member(port, "protocol");
        if (protocol == "")
            required(causes, field + ".protocol");
        else if (protocol.is_string() && protocol != "TCP" && protocol != "UDP"
                 && protocol != "SCTP")
            notSupported(causes, field + ".protocol", printed(protocol), {"SCTP", "TCP", "UDP"});
        // Defaulting copies port into an unset targetPort.
        const json &target = member(port, "targetPort");
        validateTargetPort(causes,
                           target.is_null() ? (number.is_null() ? json(0) : number) : target,
                           field + ".targetPort");
    }
}

// Secret data after stringData is merged into it, as upstream's conversion does before
// validation.
json effectiveData(const json &secret)
{
    json data = member(secret, "data");
    const json &stringData = member(secret, "stringData");
    if (stringData.is_object()) {
        if (!data.is_object())
            data = json::object();
        for (auto it = stringData.begin(); it != stringData.end(); ++it) {
            if (it->is_string())
                data[it.key()] = core::util::base64::encode(it->get<std::string>());
        }
    }
    return data;
}

Quantity storageRequest(const json &claimSpec)
{
    const json &size = member(member(member(claimSpec, "resources"), "requests"), "storage");
    auto quantity = Quantity::parse(size.is_string() ? size.get<std::string>() : size.dump());
    return quantity ? *quantity : Quantity();
}

} // namespace

void validateServiceSpec(Causes &causes, const json &spec)
{
    const json &type = member(spec, "type");
    const bool headless = member(spec, "clusterIP") == "None";
    if (type != "ExternalName" && !headless && missing(spec, "ports"))
        required(causes, "spec.ports");
    if (type == "ExternalName") {
        std::string name = text(spec, "externalName");
        if (!name.empty() && name.back() == '.')
            name.pop_back();
        if (name.empty())
            required(causes, "spec.externalName");
        for (const std::string &message : objectrules::validateDns1123Subdomain(name)) {
            if (!name.empty())
                invalid(causes, "spec.externalName", goQuoted(name), message);
        }
    }
    validateServicePorts(causes, member(spec, "ports"));
    if (type.is_string() && type != "ClusterIP" && type != "ExternalName" && type != "LoadBalancer"
        && type != "NodePort")
        notSupported(causes, "spec.type", printed(type),
                     {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"});
}

void validateServiceUpdate(Causes &causes, const json &spec, const json &oldSpec)
{
    // The primary IP family is fixed like the primary cluster IP (which the allocator checks);
    // ExternalName services have neither.
    if (member(spec, "type") == "ExternalName" || member(oldSpec, "type") == "ExternalName")
        return;
    const json &families = member(spec, "ipFamilies");
    const json &oldFamilies = member(oldSpec, "ipFamilies");
    if (families.is_array() && !families.empty() && oldFamilies.is_array() && !oldFamilies.empty()
        && families[0] != oldFamilies[0]) {
        std::string list = "[]core.IPFamily{";
        for (std::size_t i = 0; i < families.size(); ++i)
            list += (i ? ", " : "") + printed(families[i]);
        invalid(causes, "spec.ipFamilies[0]", list + "}", "may not change once set");
    }
}

void validateConfigUpdate(Causes &causes, const json &object, const json &old, bool secret)
{
    if (secret) {
        const json &type = member(object, "type");
        if (!semanticEqual(type, member(old, "type")))
            invalid(causes, "type", printed(type), "field is immutable");
    }
    if (member(old, "immutable") != true)
        return;
    if (member(object, "immutable") != true)
        forbidden(causes, "immutable", kImmutableWhenSet);
    if (secret) {
        if (!semanticEqual(effectiveData(object), effectiveData(old)))
            forbidden(causes, "data", kImmutableWhenSet);
        return;
    }
    if (!semanticEqual(member(object, "data"), member(old, "data")))
        forbidden(causes, "data", kImmutableWhenSet);
    if (!semanticEqual(member(object, "binaryData"), member(old, "binaryData")))
        forbidden(causes, "binaryData", kImmutableWhenSet);
}

void validatePersistentVolumeClaimUpdate(Causes &causes, const json &claim, const json &oldClaim)
{
    const json &spec = member(claim, "spec");
    const json &oldSpec = member(oldClaim, "spec");
    if (!spec.is_object() || !oldSpec.is_object())
        return;
    json now = spec;
    json before = oldSpec;
    // The binder sets volumeName once; a claim without a class may get one.
    if (missing(oldSpec, "volumeName"))
        before["volumeName"] = member(spec, "volumeName");
    if (member(oldSpec, "storageClassName").is_null())
        before["storageClassName"] = member(spec, "storageClassName");
    const bool bound = member(member(claim, "status"), "phase") == "Bound";
    if (bound && now["resources"].is_object() && now["resources"]["requests"].is_object())
        now["resources"]["requests"]["storage"]
            = member(member(member(oldSpec, "resources"), "requests"), "storage");
    if (!semanticEqual(now, before))
        forbidden(causes, "spec",
                  "spec is immutable after creation except resources.requests for bound claims\n"
                      + goDiff("core.PersistentVolumeClaimSpec", before, now));
    // RecoverVolumeExpansionFailure: a request may shrink back, but not to the capacity.
    const Quantity size = storageRequest(spec);
    if (size < storageRequest(oldSpec)) {
        const json &capacity = member(member(member(oldClaim, "status"), "capacity"), "storage");
        auto statusSize = Quantity::parse(capacity.is_string() ? capacity.get<std::string>() : "0");
        if (size <= (statusSize ? *statusSize : Quantity()))
            forbidden(causes, "spec.resources.requests.storage",
                      "field can not be less than status.capacity");
    }
}

void validateStorageClassUpdate(Causes &causes, const json &object, const json &old)
{
    if (!semanticEqual(member(object, "parameters"), member(old, "parameters")))
        forbidden(causes, "parameters", "updates to parameters are forbidden.");
    if (member(object, "provisioner") != member(old, "provisioner"))
        forbidden(causes, "provisioner", "updates to provisioner are forbidden.");
    // Both default when unset (Delete, Immediate), so an absent value equals the default.
    const auto orDefault = [](const json &value, const char *fallback) {
        return value.is_string() ? value.get<std::string>() : std::string(fallback);
    };
    if (orDefault(member(object, "reclaimPolicy"), "Delete")
        != orDefault(member(old, "reclaimPolicy"), "Delete"))
        forbidden(causes, "reclaimPolicy", "updates to reclaimPolicy are forbidden.");
    const std::string mode = orDefault(member(object, "volumeBindingMode"), "Immediate");
    if (mode != orDefault(member(old, "volumeBindingMode"), "Immediate"))
        invalid(causes, "volumeBindingMode", goQuoted(mode), "field is immutable");
}

void validateRoleBindingUpdate(Causes &causes, const json &object, const json &old)
{
    const json &roleRef = member(object, "roleRef");
    const json &oldRef = member(old, "roleRef");
    if (text(roleRef, "apiGroup") == text(oldRef, "apiGroup")
        && text(roleRef, "kind") == text(oldRef, "kind")
        && text(roleRef, "name") == text(oldRef, "name"))
        return;
    invalid(causes, "roleRef",
            "rbac.RoleRef{APIGroup:" + goQuoted(text(roleRef, "apiGroup"))
                + ", Kind:" + goQuoted(text(roleRef, "kind"))
                + ", Name:" + goQuoted(text(roleRef, "name")) + "}",
            "cannot change roleRef");
}

} // namespace kd::lc::apiserver::registry::rules
