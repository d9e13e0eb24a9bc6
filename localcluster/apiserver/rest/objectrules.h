#pragma once

#include <core/util/error.h>

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kd::lc::apiserver {

struct ResourceInfo;

// The per-kind rules the generic REST handlers need until each kind has its own registry
// strategy: name validation, field selector labels, which kinds count generations.
// Pure functions; any thread.
namespace objectrules {

// apimachinery's IsDNS1123Subdomain / IsDNS1123Label / IsDNS1035Label: empty when valid, else
// the messages upstream prints (one per failed rule).
std::vector<std::string> validateDns1123Subdomain(std::string_view name);
std::vector<std::string> validateDns1123Label(std::string_view name);
std::vector<std::string> validateDns1035Label(std::string_view name);

// Validates metadata.name for a create of this resource (services: DNS-1035 label, namespaces:
// DNS-1123 label, everything else: DNS-1123 subdomain plus path-segment rules). Returns the
// Invalid error (422, causes set, message "<Kind> \"name\" is invalid: …") or nothing.
std::optional<core::util::Error> validateName(const ResourceInfo &resource,
                                              const std::string &name);

// An Invalid error as kube-apiserver words it from a list of field causes.
core::util::Error invalid(const ResourceInfo &resource, const std::string &name,
                          const std::vector<core::util::Error::Cause> &causes);

// generateName: the prefix cut to 58 characters plus 5 random characters from upstream's
// alphabet (no vowels, no confusable digits).
std::string generateName(std::string_view prefix);

// The field labels a field selector may use on this resource; metadata.name and
// metadata.namespace are always included.
std::vector<std::string> fieldLabels(const ResourceInfo &resource);
// The values of those labels for one object (missing fields are empty strings; booleans print
// as "true"/"false").
std::map<std::string, std::string> fieldSet(const ResourceInfo &resource,
                                            const nlohmann::json &object);

// Kinds whose metadata.generation counts spec changes (set to 1 on create).
bool tracksGeneration(const ResourceInfo &resource);
// Kinds with a status subresource: status is reset on create and ignored by main-resource writes.
bool hasStatusSubresource(const ResourceInfo &resource);

// Server-populated fields and the few defaults clients rely on (namespace finalizers and phase,
// pod phase, service type) for an object about to be created.
void applyCreateDefaults(const ResourceInfo &resource, nlohmann::json &object);

// A random UUID version 4 in its canonical text form.
std::string newUid();

} // namespace objectrules

} // namespace kd::lc::apiserver
