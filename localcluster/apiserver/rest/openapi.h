#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

namespace kd::lc::apiserver {

class ResourceCatalog;

// The OpenAPI documents kubectl 1.27–1.33 read (wire spec §2.3). /openapi/v3 carries, per
// group/version, the schemas of the built-in kinds from the type model (schema/), which `kubectl
// explain` prints and `kubectl apply` (1.30+) computes strategic merge patches from, and a PATCH
// operation per kind that takes fieldValidation, so that kubectl leaves validation to the
// server. /openapi/v2 stays minimal (no definitions). Pure functions; any thread.
namespace openapi {

// /openapi/v2: a gnostic openapi_v2.Document in protobuf with only swagger "2.0" and
// info{title "Kubernetes", version}. Content type below.
std::string v2Document(std::string_view kubernetesVersion);
constexpr const char *v2ContentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

// /openapi/v3: {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=…"},…}} with one
// entry per served group/version; the hash changes whenever that document does.
nlohmann::json v3Index(const ResourceCatalog &catalog, std::string_view kubernetesVersion);
// /openapi/v3/api/v1, /openapi/v3/apis/G/V. NotFound when the group/version is not served.
core::util::Result<nlohmann::json> v3GroupVersion(const ResourceCatalog &catalog,
                                                  std::string_view group, std::string_view version,
                                                  std::string_view kubernetesVersion);

} // namespace openapi

} // namespace kd::lc::apiserver
