#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kd::core::api {

// YAML as Kubernetes reads it: manifests are YAML that sigs.k8s.io/yaml turns into JSON through
// go-yaml v2, so plain scalars resolve with YAML 1.1 rules (yes/no/on/off are booleans, 0x10 and
// 010 are integers) while quoted scalars always stay strings. Writing produces kubectl-style block
// YAML that reads back to the same JSON. Free functions; any thread.

// Every non-empty document of a multi-document stream, in order. Errors are Code::Decode with the
// 1-based document, line and column in the message; duplicate mapping keys are errors, as with
// kubectl's strict decoding.
util::Result<std::vector<nlohmann::json>> parseYamlDocuments(std::string_view text);

// One document given as JSON or YAML. JSON is tried first so that numbers keep their exact
// spelling; empty input is null; more than one document is an error.
util::Result<nlohmann::json> parseJsonOrYaml(std::string_view text);

// Block-style YAML, keys in the object's order, sequences in mappings not indented (as kubectl
// prints them), strings quoted whenever they would otherwise read back as another type, and
// multi-line strings as literal block scalars.
std::string toYaml(const nlohmann::json &value);
// The documents joined with "---" lines.
std::string toYamlDocuments(const std::vector<nlohmann::json> &documents);

} // namespace kd::core::api
