#include "openapi.h"

#include <localcluster/apiserver/resourcecatalog.h>

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

Result<json> v3GroupVersion(const ResourceCatalog &catalog, std::string_view group,
                            std::string_view version, std::string_view kubernetesVersion)
{
    const std::vector<ResourceInfo> resources = catalog.resources(group, version);
    if (resources.empty())
        return Error(Error::Code::NotFound, "the server could not find the requested resource");
    json paths = json::object();
    for (const ResourceInfo &resource : resources) {
        std::string path = "/" + prefixOf(group, version) + "/";
        if (resource.namespaced)
            path += "namespaces/{namespace}/";
        path += resource.resource + "/{name}";
        json operation = {
            {"operationId", "patch" + resource.kind},
            {"x-kubernetes-action", "patch"},
            {"x-kubernetes-group-version-kind",
             {{"group", resource.group}, {"version", resource.version}, {"kind", resource.kind}}},
            {"parameters",
             json::array({{{"name", "fieldValidation"},
                           {"in", "query"},
                           {"description", "How the server treats unknown or duplicate fields: "
                                           "Ignore, Warn or Strict."},
                           {"schema", {{"type", "string"}, {"uniqueItems", true}}}}})},
            {"responses", {{"200", {{"description", "OK"}}}}}};
        paths[path] = {{"patch", std::move(operation)}};
    }
    return json{{"openapi", "3.0.0"},
                {"info", {{"title", "Kubernetes"}, {"version", kubernetesVersion}}},
                {"paths", std::move(paths)},
                {"components", {{"schemas", json::object()}}}};
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
