#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kd::lc::apiserver::protobuf {

// The media type of Kubernetes protobuf bodies (typed clients of kubectl 1.32+, client-go 0.32+).
inline constexpr std::string_view kMediaType = "application/vnd.kubernetes.protobuf";

struct DecodeOptions
{
    // Nesting limit for messages; real objects stay far below it (a Deployment's deepest
    // field is about ten levels down).
    int maxDepth = 32;
    // When set, receives one entry per wire field the schema does not know and that was
    // therefore skipped ("spec.template.spec: field 45").
    std::vector<std::string> *skippedFields = nullptr;
};

// Transcodes a Kubernetes protobuf request body (magic "k8s\0" + runtime.Unknown envelope) into
// the JSON object the same request would have carried as application/json, with apiVersion and
// kind from the envelope's typeMeta (or the fallbacks when the envelope leaves them empty).
// Errors: BadRequest for malformed or truncated wire data, wrong magic or nesting beyond the
// limit; UnsupportedMediaType for a kind the schema tables do not cover. Never throws. Pure
// function of its input; any thread.
core::util::Result<nlohmann::json> decodeObject(std::string_view body,
                                                std::string_view fallbackApiVersion = {},
                                                std::string_view fallbackKind = {},
                                                const DecodeOptions &options = {});

// Decodes one message of the schema tables ("core.v1.PodSpec") without the envelope.
core::util::Result<nlohmann::json> decodeMessage(std::string_view bytes,
                                                 std::string_view messageName,
                                                 const DecodeOptions &options = {});

} // namespace kd::lc::apiserver::protobuf
