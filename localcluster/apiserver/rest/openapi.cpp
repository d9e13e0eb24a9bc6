#include "openapi.h"

#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/schema/openapischema.h>

#include <nlohmann/json.hpp>

#include <cstdio>

namespace kd::lc::apiserver::openapi {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

// Protobuf length-delimited field: tag, varint length, bytes.
void appendField(std::string &out, int fieldNumber, std::string_view bytes)
{
    out += static_cast<char>((fieldNumber << 3) | 2);
    std::size_t length = bytes.size();
    while (length >= 0x80) {
        out += static_cast<char>((length & 0x7f) | 0x80);
        length >>= 7;
    }
    out += static_cast<char>(length);
    out += bytes;
}

// FNV-1a: only needs to change when the document does, so clients refetch it.
std::string documentHash(const std::string &text)
{
    std::uint64_t hash = 1469598103934665603ULL;
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ULL;
    }
    char out[17];
    std::snprintf(out, sizeof out, "%016llX", static_cast<unsigned long long>(hash));
    return out;
}

std::string prefixOf(std::string_view group, std::string_view version)
{
    return group.empty() ? "api/" + std::string(version)
                         : "apis/" + std::string(group) + "/" + std::string(version);
}

} // namespace

std::string v2Document(std::string_view kubernetesVersion)
{
    std::string info;
    appendField(info, 1, "Kubernetes");
    appendField(info, 2, kubernetesVersion);
    std::string document;
    appendField(document, 1, "2.0");
    appendField(document, 2, info);
    return document;
}

namespace {

json gvkOf(const ResourceInfo &resource)
{
    return {{"group", resource.group}, {"kind", resource.kind}, {"version", resource.version}};
}

json fieldValidationParameter()
{
    return {{"name", "fieldValidation"},
            {"in", "query"},
            {"description", "How the server treats unknown or duplicate fields: Ignore, Warn or "
                            "Strict."},
            {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
}

// A body or response referring to the kind's schema; an untyped object for kinds without one.
json contentOf(const std::string &schemaName, const std::vector<std::string> &mediaTypes)
{
    const json schema = schemaName.empty() ? json{{"type", "object"}}
                                           : json{{"$ref", "#/components/schemas/" + schemaName}};
    json content = json::object();
    for (const std::string &type : mediaTypes)
        content[type] = {{"schema", schema}};
    return content;
}

json operation(const ResourceInfo &resource, const std::string &action,
               const std::string &operationId, bool takesFieldValidation)
{
    json parameters = json::array();
    if (takesFieldValidation)
        parameters.push_back(fieldValidationParameter());
    return {{"operationId", operationId + resource.kind},
            {"x-kubernetes-action", action},
            {"x-kubernetes-group-version-kind", gvkOf(resource)},
            {"parameters", std::move(parameters)},
            {"responses", {{"200", {{"description", "OK"}}}}}};
}

} // namespace

Result<json> v3GroupVersion(const ResourceCatalog &catalog, std::string_view group,
                            std::string_view version, std::string_view kubernetesVersion)
{
    const std::vector<ResourceInfo> resources = catalog.resources(group, version);
    if (resources.empty())
        return Error(Error::Code::NotFound, "the server could not find the requested resource");
    json paths = json::object();
    std::vector<GroupVersionKind> kinds;
    for (const ResourceInfo &resource : resources) {
        const std::string schemaName
            = resource.custom ? std::string() : schema::schemaName(resource.gvk());
        if (!schemaName.empty())
            kinds.push_back(resource.gvk());
        std::string collection = "/" + prefixOf(group, version) + "/";
        if (resource.namespaced)
            collection += "namespaces/{namespace}/";
        collection += resource.resource;
        const std::string item = collection + "/{name}";
        const std::vector<std::string> objectTypes{"application/json", "application/yaml"};

        json itemPath = json::object();
        json collectionPath = json::object();
        if (resource.hasVerb("get")) {
            itemPath["get"] = operation(resource, "get", "read", false);
            itemPath["get"]["responses"]["200"]["content"] = contentOf(schemaName, objectTypes);
        }
        if (resource.hasVerb("update")) {
            itemPath["put"] = operation(resource, "put", "replace", true);
            itemPath["put"]["requestBody"]
                = {{"content", contentOf(schemaName, objectTypes)}, {"required", true}};
        }
        // Every kind gets a PATCH operation, so that kubectl's capability check sees that the
        // server validates fields; the media types tell kubectl apply which patch types it may
        // send (strategic merge only for built-in kinds).
        std::vector<std::string> patchTypes{"application/json-patch+json",
                                            "application/merge-patch+json",
                                            "application/apply-patch+yaml"};
        if (!resource.custom)
            patchTypes.push_back("application/strategic-merge-patch+json");
        itemPath["patch"] = operation(resource, "patch", "patch", true);
        itemPath["patch"]["requestBody"]
            = {{"content", contentOf(std::string(), patchTypes)}, {"required", true}};
        itemPath["patch"]["responses"]["200"]["content"] = contentOf(schemaName, objectTypes);
        if (resource.hasVerb("delete"))
            itemPath["delete"] = operation(resource, "delete", "delete", false);
        if (resource.hasVerb("create")) {
            collectionPath["post"] = operation(resource, "post", "create", true);
            collectionPath["post"]["requestBody"]
                = {{"content", contentOf(schemaName, objectTypes)}, {"required", true}};
        }
        if (resource.hasVerb("list"))
            collectionPath["get"] = operation(resource, "list", "list", false);
        paths[item] = std::move(itemPath);
        if (!collectionPath.empty())
            paths[collection] = std::move(collectionPath);
    }
    return json{{"openapi", "3.0.0"},
                {"info", {{"title", "Kubernetes"}, {"version", kubernetesVersion}}},
                {"paths", std::move(paths)},
                {"components", {{"schemas", schema::componentSchemas(kinds)}}}};
}

json v3Index(const ResourceCatalog &catalog, std::string_view kubernetesVersion)
{
    json paths = json::object();
    for (const ApiGroupInfo &group : catalog.groups()) {
        for (const std::string &version : group.versions) {
            auto document = v3GroupVersion(catalog, group.name, version, kubernetesVersion);
            if (!document)
                continue;
            const std::string prefix = prefixOf(group.name, version);
            paths[prefix] = {{"serverRelativeURL",
                              "/openapi/v3/" + prefix + "?hash=" + documentHash(document->dump())}};
        }
    }
    return json{{"paths", std::move(paths)}};
}

} // namespace kd::lc::apiserver::openapi
