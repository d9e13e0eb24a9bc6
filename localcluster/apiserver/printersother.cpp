// Row printers for networking, discovery, coordination, RBAC, scheduling, storage and admission
// kinds, following upstream's printers column for column.

#include "printers.h"

namespace kd::lc::apiserver::printers {

using core::util::TimePoint;
using nlohmann::json;

namespace {

// Up to three entries, then how many more, "<unset>" for none (listWithMoreString).
std::string listWithMore(const std::vector<std::string> &all)
{
    constexpr std::size_t max = 3;
    if (all.empty())
        return "<unset>";
    std::vector<std::string> shown(all.begin(), all.begin() + std::min(all.size(), max));
    std::string out = join(shown, ",");
    if (all.size() > max)
        out += " + " + std::to_string(all.size() - max) + " more...";
    return out;
}

void printIngress(const json &ing, TimePoint now, Row &row)
{
    const json &spec = at(ing, {"spec"});
    const std::string className = text(spec, {"ingressClassName"});

    constexpr std::size_t max = 3;
    const json &rules = items(spec, {"rules"});
    std::vector<std::string> hosts;
    bool more = false;
    for (const json &rule : rules) {
        if (hosts.size() == max)
            more = true;
        if (!more && !text(rule, {"host"}).empty())
            hosts.push_back(text(rule, {"host"}));
    }
    std::string hostsText = hosts.empty() ? "*" : join(hosts, ",");
    if (!hosts.empty() && more)
        hostsText += " + " + std::to_string(rules.size() - max) + " more...";

    row.cells.push_back(text(ing, {"metadata", "name"}));
    row.cells.push_back(at(spec, {"ingressClassName"}).is_string() ? className
                                                                   : std::string("<none>"));
    row.cells.push_back(hostsText);
    row.cells.push_back(
        join(loadBalancerAddresses(at(ing, {"status", "loadBalancer", "ingress"})), ","));
    row.cells.push_back(items(spec, {"tls"}).empty() ? "80" : "80, 443");
    row.cells.push_back(age(ing, now));
}

void printIngressClass(const json &ic, TimePoint now, Row &row)
{
    std::string parameters = "<none>";
    const json &p = at(ic, {"spec", "parameters"});
    if (p.is_object()) {
        parameters = text(p, {"kind"});
        if (at(p, {"apiGroup"}).is_string())
            parameters += "." + text(p, {"apiGroup"});
        parameters += "/" + text(p, {"name"});
    }
    row.cells.push_back(text(ic, {"metadata", "name"}));
    row.cells.push_back(text(ic, {"spec", "controller"}));
    row.cells.push_back(parameters);
    row.cells.push_back(age(ic, now));
}

void printNetworkPolicy(const json &np, TimePoint now, Row &row)
{
    row.cells.push_back(text(np, {"metadata", "name"}));
    row.cells.push_back(formatLabelSelector(at(np, {"spec", "podSelector"})));
    row.cells.push_back(age(np, now));
}

void printEndpointSlice(const json &slice, TimePoint now, Row &row)
{
    std::vector<std::string> ports;
    for (const json &p : items(slice, {"ports"})) {
        if (at(p, {"port"}).is_number_integer())
            ports.push_back(std::to_string(integer(p, {"port"})));
        else if (at(p, {"name"}).is_string())
            ports.push_back(text(p, {"name"}));
        else
            ports.push_back("*");
    }
    std::vector<std::string> addresses;
    for (const json &e : items(slice, {"endpoints"}))
        for (const json &a : items(e, {"addresses"}))
            if (a.is_string())
                addresses.push_back(a.get<std::string>());
    row.cells.push_back(text(slice, {"metadata", "name"}));
    row.cells.push_back(text(slice, {"addressType"}));
    row.cells.push_back(listWithMore(ports));
    row.cells.push_back(listWithMore(addresses));
    row.cells.push_back(age(slice, now));
}

void printLease(const json &lease, TimePoint now, Row &row)
{
    row.cells.push_back(text(lease, {"metadata", "name"}));
    row.cells.push_back(text(lease, {"spec", "holderIdentity"}));
    row.cells.push_back(age(lease, now));
}

void printBinding(const json &binding, TimePoint now, Row &row)
{
    std::vector<std::string> users;
    std::vector<std::string> groups;
    std::vector<std::string> serviceAccounts;
    for (const json &s : items(binding, {"subjects"})) {
        const std::string kind = text(s, {"kind"});
        if (kind == "ServiceAccount")
            serviceAccounts.push_back(text(s, {"namespace"}) + "/" + text(s, {"name"}));
        else if (kind == "User")
            users.push_back(text(s, {"name"}));
        else if (kind == "Group")
            groups.push_back(text(s, {"name"}));
    }
    row.cells.push_back(text(binding, {"metadata", "name"}));
    row.cells.push_back(text(binding, {"roleRef", "kind"}) + "/"
                        + text(binding, {"roleRef", "name"}));
    row.cells.push_back(age(binding, now));
    row.cells.push_back(join(users, ", "));
    row.cells.push_back(join(groups, ", "));
    row.cells.push_back(join(serviceAccounts, ", "));
}

void printPriorityClass(const json &pc, TimePoint now, Row &row)
{
    row.cells.push_back(text(pc, {"metadata", "name"}));
    row.cells.push_back(integer(pc, {"value"}));
    row.cells.push_back(boolean(pc, {"globalDefault"}));
    row.cells.push_back(age(pc, now));
    row.cells.push_back(text(pc, {"preemptionPolicy"}));
}

bool annotationTrue(const json &object, std::string_view key)
{
    return text(object, {"metadata", "annotations", key}) == "true";
}

void printStorageClass(const json &sc, TimePoint now, Row &row)
{
    std::string name = text(sc, {"metadata", "name"});
    if (annotationTrue(sc, "storageclass.kubernetes.io/is-default-class")
        || annotationTrue(sc, "storageclass.beta.kubernetes.io/is-default-class"))
        name += " (default)";
    const std::string reclaim = text(sc, {"reclaimPolicy"});
    const std::string binding = text(sc, {"volumeBindingMode"});
    row.cells.push_back(name);
    row.cells.push_back(text(sc, {"provisioner"}));
    row.cells.push_back(reclaim.empty() ? "Delete" : reclaim);
    row.cells.push_back(binding.empty() ? "Immediate" : binding);
    row.cells.push_back(boolean(sc, {"allowVolumeExpansion"}));
    row.cells.push_back(age(sc, now));
}

void printCSIDriver(const json &d, TimePoint now, Row &row)
{
    const json &spec = at(d, {"spec"});
    std::vector<std::string> modes;
    for (const json &m : items(spec, {"volumeLifecycleModes"}))
        if (m.is_string())
            modes.push_back(m.get<std::string>());
    std::string tokenRequests = "<unset>";
    if (at(spec, {"tokenRequests"}).is_array()) {
        std::vector<std::string> audiences;
        for (const json &t : items(spec, {"tokenRequests"}))
            audiences.push_back(text(t, {"audience"}));
        tokenRequests = join(audiences, ",");
    }
    // attachRequired defaults to true when absent.
    const json &attach = at(spec, {"attachRequired"});
    row.cells.push_back(text(d, {"metadata", "name"}));
    row.cells.push_back(attach.is_boolean() ? attach.get<bool>() : true);
    row.cells.push_back(boolean(spec, {"podInfoOnMount"}));
    row.cells.push_back(boolean(spec, {"storageCapacity"}));
    row.cells.push_back(tokenRequests);
    row.cells.push_back(boolean(spec, {"requiresRepublish"}));
    row.cells.push_back(modes.empty() ? "<none>" : join(modes, ","));
    row.cells.push_back(age(d, now));
}

void printCSINode(const json &n, TimePoint now, Row &row)
{
    row.cells.push_back(text(n, {"metadata", "name"}));
    row.cells.push_back(static_cast<std::int64_t>(items(n, {"spec", "drivers"}).size()));
    row.cells.push_back(age(n, now));
}

void printVolumeAttachment(const json &va, TimePoint now, Row &row)
{
    row.cells.push_back(text(va, {"metadata", "name"}));
    row.cells.push_back(text(va, {"spec", "attacher"}));
    row.cells.push_back(text(va, {"spec", "source", "persistentVolumeName"}));
    row.cells.push_back(text(va, {"spec", "nodeName"}));
    row.cells.push_back(boolean(va, {"status", "attached"}));
    row.cells.push_back(age(va, now));
}

void printWebhookConfiguration(const json &wc, TimePoint now, Row &row)
{
    row.cells.push_back(text(wc, {"metadata", "name"}));
    row.cells.push_back(static_cast<std::int64_t>(items(wc, {"webhooks"}).size()));
    row.cells.push_back(age(wc, now));
}

} // namespace

void addOtherPrinters(std::vector<Printer> &out)
{
    out.push_back({"networking.k8s.io",
                   "ingresses",
                   {nameColumn(), column("Class", "string", "The IngressClass that handles it."),
                    column("Hosts", "string", "Hosts the rules match."),
                    column("Address", "string", "Load balancer addresses."),
                    column("Ports", "string", "Ports the ingress listens on."), ageColumn()},
                   printIngress});
    out.push_back(
        {"networking.k8s.io",
         "ingressclasses",
         {nameColumn(), column("Controller", "string", "The controller implementing the class."),
          column("Parameters", "string", "Resource holding extra parameters."), ageColumn()},
         printIngressClass});
    out.push_back({"networking.k8s.io",
                   "networkpolicies",
                   {nameColumn(), column("Pod-Selector", "string", "Pods the policy applies to."),
                    ageColumn()},
                   printNetworkPolicy});
    out.push_back({"discovery.k8s.io",
                   "endpointslices",
                   {nameColumn(), column("AddressType", "string", "IPv4, IPv6 or FQDN."),
                    column("Ports", "string", "Ports of the slice."),
                    column("Endpoints", "string", "Addresses of the endpoints."), ageColumn()},
                   printEndpointSlice});
    out.push_back(
        {"coordination.k8s.io",
         "leases",
         {nameColumn(), column("Holder", "string", "Identity holding the lease."), ageColumn()},
         printLease});
    for (const char *resource : {"rolebindings", "clusterrolebindings"})
        out.push_back({"rbac.authorization.k8s.io",
                       resource,
                       {nameColumn(), column("Role", "string", "The role that is granted."),
                        ageColumn(), column("Users", "string", "Users bound to the role.", 1),
                        column("Groups", "string", "Groups bound to the role.", 1),
                        column("ServiceAccounts", "string",
                               "Service accounts (namespace/name) bound to the role.", 1)},
                       printBinding});
    out.push_back(
        {"scheduling.k8s.io",
         "priorityclasses",
         {nameColumn(), column("Value", "integer", "Priority of pods in this class."),
          column("Global-Default", "boolean", "Whether pods without a class get this one."),
          ageColumn(), column("PreemptionPolicy", "string", "Whether these pods preempt others.")},
         printPriorityClass});
    out.push_back(
        {"storage.k8s.io",
         "storageclasses",
         {nameColumn(), column("Provisioner", "string", "The volume provisioner."),
          column("ReclaimPolicy", "string", "Reclaim policy of provisioned volumes."),
          column("VolumeBindingMode", "string", "When volumes are bound."),
          column("AllowVolumeExpansion", "string", "Whether volumes may grow."), ageColumn()},
         printStorageClass});
    out.push_back(
        {"storage.k8s.io",
         "csidrivers",
         {nameColumn(), column("AttachRequired", "boolean", "Whether volumes need an attach step."),
          column("PodInfoOnMount", "boolean", "Whether mounts receive pod information."),
          column("StorageCapacity", "boolean", "Whether the driver reports capacity."),
          column("TokenRequests", "string", "Audiences of requested tokens."),
          column("RequiresRepublish", "boolean", "Whether volumes are republished."),
          column("Modes", "string", "Supported volume lifecycle modes."), ageColumn()},
         printCSIDriver});
    out.push_back(
        {"storage.k8s.io",
         "csinodes",
         {nameColumn(), column("Drivers", "integer", "CSI drivers on the node."), ageColumn()},
         printCSINode});
    out.push_back({"storage.k8s.io",
                   "volumeattachments",
                   {nameColumn(),
                    {"Attacher", "string", "name", "The driver that attaches the volume.", 0},
                    column("PV", "string", "The persistent volume."),
                    column("Node", "string", "The node the volume attaches to."),
                    column("Attached", "boolean", "Whether the volume is attached."),
                    ageColumn()},
                   printVolumeAttachment});
    for (const char *resource :
         {"mutatingwebhookconfigurations", "validatingwebhookconfigurations"})
        out.push_back(
            {"admissionregistration.k8s.io",
             resource,
             {nameColumn(), column("Webhooks", "integer", "Webhooks configured."), ageColumn()},
             printWebhookConfiguration});
}

} // namespace kd::lc::apiserver::printers
