#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace kd::lc::apiserver {

class ResourceCatalog;
struct ResourceInfo;

// The OpenAPI documents kubectl 1.27–1.33 read (wire spec §2.3). /openapi/v3 carries, per
// group/version, the schemas of the built-in kinds from the type model (schema/) and of the
// served custom resources, which `kubectl explain` prints and `kubectl apply` (1.30+) computes
// strategic merge patches from, and a PATCH operation per kind that takes fieldValidation, so
// that kubectl leaves validation to the server. /openapi/v2 carries the same schemas in Swagger
// 2.0 form for every group at once, in JSON or as a gnostic protobuf (kubectl 1.27–1.29 read it
// for apply, and `explain --output=plaintext-openapiv2`). Pure functions; any thread.
namespace openapi {

// /openapi/v2 as JSON: swagger, info, paths (collection and item operations of every resource
// with x-kubernetes-action, x-kubernetes-group-version-kind and the fieldValidation parameter
// on writes) and definitions (schema::definitionsV2() plus the custom resources', from
// ResourceInfo::openApiSchema).
nlohmann::json v2Json(const ResourceCatalog &catalog, std::string_view kubernetesVersion);
// A Swagger 2.0 document (as v2Json() builds it) as the gnostic openapi.v2.Document message.
// Extension values, defaults and enums travel as YAML text (JSON, which YAML reads). Members
// of the document that the message has no field for are left out.
std::string v2Protobuf(const nlohmann::json &document);
// The smallest valid document: swagger "2.0" and info{title "Kubernetes", version}.
std::string v2Document(std::string_view kubernetesVersion);
constexpr const char *v2ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

// Which encoding of /openapi/v2 an Accept header asks for, negotiated as kube-openapi does:
// the media ranges by preference, the first that JSON or protobuf (either spelling) matches;
// JSON for */* and for no Accept at all. nullopt when nothing matches (406).
enum class V2Format { Json, Protobuf };
std::optional<V2Format> negotiateV2(std::string_view accept);

// /openapi/v2 in both encodings with their entity tags, built on first use and rebuilt only when
// the served custom resources or their schemas change: the document is large and kubectl
// fetches it on every apply. Owned by the API server; thread-safe.
class V2Cache final
{
public:
    struct Documents
    {
        std::string json;
        std::string protobuf;
        std::string jsonEtag; // quoted, as the ETag header carries it
        std::string protobufEtag;
    };

    std::shared_ptr<const Documents> documents(const ResourceCatalog &catalog,
                                               std::string_view kubernetesVersion);

private:
    std::mutex m_mutex;
    std::string m_key;
    std::shared_ptr<const Documents> m_documents;
};

// /openapi/v3: {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=…"},…}} with one
// entry per served group/version; the hash changes whenever that document does (a CRD's schema
// included), so kubectl's cache refetches it.
nlohmann::json v3Index(const ResourceCatalog &catalog, std::string_view kubernetesVersion);
// /openapi/v3/api/v1, /openapi/v3/apis/G/V. NotFound when the group/version is not served.
core::util::Result<nlohmann::json> v3GroupVersion(const ResourceCatalog &catalog,
                                                  std::string_view group, std::string_view version,
                                                  std::string_view kubernetesVersion);

} // namespace openapi

} // namespace kd::lc::apiserver
