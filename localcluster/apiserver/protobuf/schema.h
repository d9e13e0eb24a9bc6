#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kd::lc::apiserver::protobuf {

// How a field's wire value becomes JSON.
enum class FieldKind : std::uint8_t {
    String,
    Bool,
    Int32,
    Int64,
    Bytes,       // base64 in JSON
    Message,     // a nested message named by FieldSchema::message
    Time,        // metav1.Time {1 seconds, 2 nanos} -> RFC 3339, zero -> absent
    MicroTime,   // metav1.MicroTime, six fractional digits
    IntOrString, // intstr.IntOrString {1 type, 2 intVal, 3 strVal} -> number or string
    Quantity,    // resource.Quantity {1 string}
    StringMap,   // map<string, string>
    BytesMap,    // map<string, bytes> (Secret.data, ConfigMap.binaryData)
    QuantityMap, // map<string, Quantity> (ResourceList)
};

enum FieldFlag : std::uint8_t {
    NoFlags = 0,
    Repeated = 1,
    // The Go field is a pointer (or has no omitempty): a zero value on the wire is meaningful
    // and kept. Without it gogo-proto's "" / 0 / false for unset fields are dropped.
    Always = 2,
    // The Go field is embedded with json:",inline": its members belong to the enclosing object.
    Inline = 4,
};

// One field of a Kubernetes generated.proto message: its number, JSON name and type.
struct FieldSchema
{
    std::uint32_t number = 0;
    const char *jsonName = "";
    FieldKind kind = FieldKind::String;
    std::uint8_t flags = NoFlags;
    const char *message = nullptr; // for FieldKind::Message

    bool has(FieldFlag flag) const { return (flags & flag) != 0; }
};

// One message: the fields this server knows. Wire fields missing here are skipped.
struct MessageSchema
{
    std::string_view name;
    std::vector<FieldSchema> fields;

    const FieldSchema *field(std::uint32_t number) const;
};

// The schema tables are immutable after first use; these lookups are thread-safe.
// A message by its table name ("core.v1.PodSpec"); nullptr when unknown.
const MessageSchema *findMessage(std::string_view name);
// The top-level message for a type ("apps/v1", "Deployment"); nullptr when not covered.
const MessageSchema *findKind(std::string_view apiVersion, std::string_view kind);
// Every (apiVersion, kind) the tables cover, for diagnostics and tests.
std::vector<std::pair<std::string, std::string>> coveredKinds();
// Message names referenced by some field but absent from the tables (empty when consistent).
std::vector<std::string> unresolvedMessageReferences();

} // namespace kd::lc::apiserver::protobuf
