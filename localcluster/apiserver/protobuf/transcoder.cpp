#include "transcoder.h"

#include "schema.h"
#include "wirereader.h"

#include <core/util/base64.h>
#include <core/util/log.h>
#include <core/util/time.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <exception>

namespace kd::lc::apiserver::protobuf {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

const core::util::LogCategory lcProtobuf{"kd.lc.apiserver.protobuf"};

constexpr std::string_view kMagic{"k8s\0", 4};

// system_clock counts nanoseconds in 64 bits: times outside roughly 1678..2262 cannot be
// represented, and no Kubernetes object carries one.
constexpr std::int64_t kMaxTimeSeconds = 9'000'000'000;

Error badRequest(const std::string &path, const std::string &what)
{
    return Error(Error::Code::BadRequest,
                 "unable to decode protobuf body: " + (path.empty() ? std::string() : path + ": ")
                     + what);
}

std::string childPath(const std::string &path, std::string_view name)
{
    return path.empty() ? std::string(name) : path + "." + std::string(name);
}

// nlohmann::json refuses to serialise invalid UTF-8 later on, so strings are checked here where
// the error can still name the field.
bool isValidUtf8(std::string_view text)
{
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t extra = 0;
        std::uint32_t codePoint = 0;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            extra = 1;
            codePoint = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2;
            codePoint = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3;
            codePoint = c & 0x07;
        } else {
            return false;
        }
        if (text.size() - i <= extra)
            return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0) != 0x80)
                return false;
            codePoint = (codePoint << 6) | (next & 0x3f);
        }
        const std::uint32_t minimum = extra == 1 ? 0x80 : extra == 2 ? 0x800 : 0x10000;
        if (codePoint < minimum || codePoint > 0x10ffff
            || (codePoint >= 0xd800 && codePoint <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}

Result<std::string> utf8(std::string_view bytes, const std::string &path)
{
    if (!isValidUtf8(bytes))
        return badRequest(path, "string is not valid UTF-8");
    return std::string(bytes);
}

class Decoder final
{
public:
    explicit Decoder(const DecodeOptions &options)
        : m_options(options)
    {}

    Result<void> decodeMessage(const MessageSchema &schema, std::string_view bytes, json &target,
                               const std::string &path, int depth);

private:
    Result<void> decodeField(const FieldSchema &field, const WireField &wire, json &target,
                             const std::string &path, int depth);
    Result<json> scalar(const FieldSchema &field, const WireField &wire, const std::string &path);
    Result<json> special(FieldKind kind, std::string_view bytes, const std::string &path);
    Result<void> mapEntry(const FieldSchema &field, std::string_view bytes, json &map,
                          const std::string &path);
    void skip(const std::string &path, std::uint32_t number);

    const DecodeOptions &m_options;
};

void Decoder::skip(const std::string &path, std::uint32_t number)
{
    std::string entry
        = (path.empty() ? std::string("<root>") : path) + ": field " + std::to_string(number);
    lcProtobuf.debug("skipping unknown protobuf " + entry);
    if (m_options.skippedFields)
        m_options.skippedFields->push_back(std::move(entry));
}

Result<void> Decoder::decodeMessage(const MessageSchema &schema, std::string_view bytes,
                                    json &target, const std::string &path, int depth)
{
    if (depth > m_options.maxDepth)
        return badRequest(path, "messages nested deeper than " + std::to_string(m_options.maxDepth)
                                    + " levels");
    if (!target.is_object())
        target = json::object();
    WireReader reader(bytes);
    while (!reader.atEnd()) {
        auto wire = reader.next();
        if (!wire)
            return badRequest(path, wire.error().message());
        const FieldSchema *field = schema.field(wire->number);
        if (!field) {
            skip(path, wire->number);
            continue;
        }
        if (auto decoded = decodeField(*field, *wire, target, path, depth); !decoded)
            return decoded;
    }
    return {};
}

Result<void> Decoder::decodeField(const FieldSchema &field, const WireField &wire, json &target,
                                  const std::string &path, int depth)
{
    const std::string here = field.has(Inline) ? path : childPath(path, field.jsonName);
    const bool numeric = field.kind == FieldKind::Bool || field.kind == FieldKind::Int32
                         || field.kind == FieldKind::Int64;

    if (numeric && field.has(Repeated) && wire.type == WireType::LengthDelimited) {
        // Packed repeated scalars: one length-delimited run of varints.
        json &list = target[field.jsonName];
        if (!list.is_array())
            list = json::array();
        WireReader packed(wire.bytes);
        while (!packed.atEnd()) {
            auto value = packed.readVarint();
            if (!value)
                return badRequest(here, value.error().message());
            WireField element{wire.number, WireType::Varint, *value, {}};
            auto converted = scalar(field, element, here);
            if (!converted)
                return converted.error();
            list.push_back(std::move(*converted));
        }
        return {};
    }

    const WireType expected = numeric ? WireType::Varint : WireType::LengthDelimited;
    if (wire.type != expected)
        return badRequest(here, "field " + std::to_string(wire.number) + " has wire type "
                                    + std::to_string(static_cast<int>(wire.type)) + ", expected "
                                    + std::to_string(static_cast<int>(expected)));

    switch (field.kind) {
    case FieldKind::Message: {
        const MessageSchema *nested = findMessage(field.message);
        if (!nested)
            return Error(Error::Code::Internal,
                         std::string("protobuf schema has no message ") + field.message);
        if (field.has(Inline))
            return decodeMessage(*nested, wire.bytes, target, here, depth + 1);
        if (field.has(Repeated)) {
            json &list = target[field.jsonName];
            if (!list.is_array())
                list = json::array();
            json element = json::object();
            const std::string elementPath = here + "[" + std::to_string(list.size()) + "]";
            if (auto decoded = decodeMessage(*nested, wire.bytes, element, elementPath, depth + 1);
                !decoded)
                return decoded;
            list.push_back(std::move(element));
            return {};
        }
        // A repeated occurrence of a singular message merges into the first, as protobuf does.
        return decodeMessage(*nested, wire.bytes, target[field.jsonName], here, depth + 1);
    }
    case FieldKind::StringMap:
    case FieldKind::BytesMap:
    case FieldKind::QuantityMap: {
        json &map = target[field.jsonName];
        if (!map.is_object())
            map = json::object();
        return mapEntry(field, wire.bytes, map, here);
    }
    case FieldKind::Time:
    case FieldKind::MicroTime:
    case FieldKind::IntOrString:
    case FieldKind::Quantity: {
        auto value = special(field.kind, wire.bytes, here);
        if (!value)
            return value.error();
        if (value->is_null()) // a zero time: Go's JSON writes null, the object leaves it out
            return {};
        if (field.has(Repeated))
            target[field.jsonName].push_back(std::move(*value));
        else
            target[field.jsonName] = std::move(*value);
        return {};
    }
    default:
        break;
    }

    auto value = scalar(field, wire, here);
    if (!value)
        return value.error();
    if (field.has(Repeated)) {
        json &list = target[field.jsonName];
        if (!list.is_array())
            list = json::array();
        list.push_back(std::move(*value));
        return {};
    }
    // gogo-proto writes "", 0 and false for unset non-pointer fields; the JSON encoding omits them.
    const bool zero = (value->is_string() && value->get_ref<const std::string &>().empty())
                      || (value->is_number_integer() && value->get<std::int64_t>() == 0)
                      || (value->is_boolean() && !value->get<bool>());
    if (zero && !field.has(Always))
        target.erase(field.jsonName);
    else
        target[field.jsonName] = std::move(*value);
    return {};
}

Result<json> Decoder::scalar(const FieldSchema &field, const WireField &wire,
                             const std::string &path)
{
    switch (field.kind) {
    case FieldKind::Bool:
        return json(wire.integer != 0);
    case FieldKind::Int32:
        // Negative int32 values are sign-extended to 64 bits on the wire.
        return json(static_cast<std::int32_t>(static_cast<std::int64_t>(wire.integer)));
    case FieldKind::Int64:
        return json(static_cast<std::int64_t>(wire.integer));
    case FieldKind::String: {
        auto text = utf8(wire.bytes, path);
        if (!text)
            return text.error();
        return json(std::move(*text));
    }
    case FieldKind::Bytes:
        return json(core::util::base64::encode(wire.bytes));
    default:
        return Error(Error::Code::Internal, "protobuf field kind is not a scalar: " + path);
    }
}

Result<json> Decoder::special(FieldKind kind, std::string_view bytes, const std::string &path)
{
    WireReader reader(bytes);
    std::uint64_t numbers[4] = {};
    std::string_view strings[4] = {};
    while (!reader.atEnd()) {
        auto wire = reader.next();
        if (!wire)
            return badRequest(path, wire.error().message());
        if (wire->number >= 4) {
            skip(path, wire->number);
            continue;
        }
        const bool wantsString = (kind == FieldKind::Quantity && wire->number == 1)
                                 || (kind == FieldKind::IntOrString && wire->number == 3);
        const WireType expected = wantsString ? WireType::LengthDelimited : WireType::Varint;
        if (wire->type != expected)
            return badRequest(path, "field " + std::to_string(wire->number)
                                        + " has an unexpected wire type");
        numbers[wire->number] = wire->integer;
        strings[wire->number] = wire->bytes;
    }

    switch (kind) {
    case FieldKind::Time:
    case FieldKind::MicroTime: {
        const auto seconds = static_cast<std::int64_t>(numbers[1]);
        const auto nanos = static_cast<std::int32_t>(static_cast<std::int64_t>(numbers[2]));
        if (seconds == 0 && nanos == 0)
            return json();
        if (seconds > kMaxTimeSeconds || seconds < -kMaxTimeSeconds || nanos < 0
            || nanos > 999'999'999)
            return badRequest(path, "time out of range");
        const core::util::TimePoint point{std::chrono::duration_cast<core::util::Clock::duration>(
            std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos))};
        return json(kind == FieldKind::Time ? core::util::formatRfc3339(point)
                                            : core::util::formatRfc3339Micro(point));
    }
    case FieldKind::IntOrString: {
        if (numbers[1] == 1) {
            auto text = utf8(strings[3], path);
            if (!text)
                return text.error();
            return json(std::move(*text));
        }
        if (numbers[1] != 0)
            return badRequest(path, "IntOrString type " + std::to_string(numbers[1])
                                        + " is neither 0 (int) nor 1 (string)");
        return json(static_cast<std::int32_t>(static_cast<std::int64_t>(numbers[2])));
    }
    case FieldKind::Quantity: {
        // A zero Quantity is written as an empty string; its JSON spelling is "0".
        if (strings[1].empty())
            return json("0");
        auto text = utf8(strings[1], path);
        if (!text)
            return text.error();
        return json(std::move(*text));
    }
    default:
        return Error(Error::Code::Internal, "protobuf field kind is not special: " + path);
    }
}

Result<void> Decoder::mapEntry(const FieldSchema &field, std::string_view bytes, json &map,
                               const std::string &path)
{
    WireReader reader(bytes);
    std::string_view key;
    std::string_view value;
    bool hasValue = false;
    while (!reader.atEnd()) {
        auto wire = reader.next();
        if (!wire)
            return badRequest(path, wire.error().message());
        if (wire->number != 1 && wire->number != 2) {
            skip(path, wire->number);
            continue;
        }
        if (wire->type != WireType::LengthDelimited)
            return badRequest(path, "map entry field " + std::to_string(wire->number)
                                        + " is not length-delimited");
        if (wire->number == 1) {
            key = wire->bytes;
        } else {
            value = wire->bytes;
            hasValue = true;
        }
    }
    auto keyText = utf8(key, path);
    if (!keyText)
        return keyText.error();
    const std::string entryPath = path + "[" + *keyText + "]";
    json converted;
    switch (field.kind) {
    case FieldKind::StringMap: {
        auto text = utf8(value, entryPath);
        if (!text)
            return text.error();
        converted = std::move(*text);
        break;
    }
    case FieldKind::BytesMap:
        converted = core::util::base64::encode(value);
        break;
    default: {
        if (!hasValue) {
            converted = "0";
            break;
        }
        auto quantity = special(FieldKind::Quantity, value, entryPath);
        if (!quantity)
            return quantity.error();
        converted = std::move(*quantity);
        break;
    }
    }
    map[*keyText] = std::move(converted);
    return {};
}

struct Envelope
{
    std::string apiVersion;
    std::string kind;
    std::string_view raw;
    std::string contentEncoding;
    std::string contentType;
};

Result<void> readTypeMeta(std::string_view bytes, Envelope &envelope)
{
    WireReader reader(bytes);
    while (!reader.atEnd()) {
        auto wire = reader.next();
        if (!wire)
            return badRequest("typeMeta", wire.error().message());
        if (wire->number != 1 && wire->number != 2)
            continue;
        if (wire->type != WireType::LengthDelimited)
            return badRequest("typeMeta", "apiVersion and kind must be strings");
        auto text = utf8(wire->bytes, "typeMeta");
        if (!text)
            return text.error();
        (wire->number == 1 ? envelope.apiVersion : envelope.kind) = std::move(*text);
    }
    return {};
}

Result<Envelope> readEnvelope(std::string_view body)
{
    if (body.size() < kMagic.size() || body.substr(0, kMagic.size()) != kMagic)
        return badRequest({}, "the body does not start with the Kubernetes protobuf magic "
                              "\"k8s\\x00\"");
    Envelope envelope;
    WireReader reader(body.substr(kMagic.size()));
    while (!reader.atEnd()) {
        auto wire = reader.next();
        if (!wire)
            return badRequest("envelope", wire.error().message());
        if (wire->number < 1 || wire->number > 4)
            continue;
        if (wire->type != WireType::LengthDelimited)
            return badRequest("envelope", "field " + std::to_string(wire->number)
                                              + " must be length-delimited");
        switch (wire->number) {
        case 1:
            if (auto typeMeta = readTypeMeta(wire->bytes, envelope); !typeMeta)
                return typeMeta.error();
            break;
        case 2:
            envelope.raw = wire->bytes;
            break;
        case 3:
            envelope.contentEncoding = std::string(wire->bytes);
            break;
        default:
            envelope.contentType = std::string(wire->bytes);
            break;
        }
    }
    return envelope;
}

} // namespace

Result<json> decodeMessage(std::string_view bytes, std::string_view messageName,
                           const DecodeOptions &options)
{
    const MessageSchema *schema = findMessage(messageName);
    if (!schema)
        return Error(Error::Code::UnsupportedMediaType,
                     "no protobuf schema for message " + std::string(messageName));
    try {
        json object = json::object();
        Decoder decoder(options);
        if (auto decoded = decoder.decodeMessage(*schema, bytes, object, {}, 1); !decoded)
            return decoded.error();
        return object;
    } catch (const std::exception &e) {
        return Error(Error::Code::Internal,
                     std::string("unexpected failure decoding protobuf: ") + e.what());
    }
}

Result<json> decodeObject(std::string_view body, std::string_view fallbackApiVersion,
                          std::string_view fallbackKind, const DecodeOptions &options)
{
    auto envelope = readEnvelope(body);
    if (!envelope)
        return envelope.error();
    if (!envelope->contentEncoding.empty())
        return badRequest("envelope", "content encoding \"" + envelope->contentEncoding
                                          + "\" is not supported");
    if (!envelope->contentType.empty() && envelope->contentType != kMediaType)
        return badRequest("envelope", "embedded content type \"" + envelope->contentType
                                          + "\" is not supported");
    if (envelope->apiVersion.empty())
        envelope->apiVersion = std::string(fallbackApiVersion);
    if (envelope->kind.empty())
        envelope->kind = std::string(fallbackKind);

    if (envelope->apiVersion.empty() || envelope->kind.empty())
        return badRequest("envelope", "typeMeta names no apiVersion and kind");
    const MessageSchema *schema = findKind(envelope->apiVersion, envelope->kind);
    if (!schema)
        return Error(Error::Code::UnsupportedMediaType,
                     "protobuf bodies for " + envelope->apiVersion + ", Kind=" + envelope->kind
                         + " are not supported by this server; send application/json");
    auto object = decodeMessage(envelope->raw, schema->name, options);
    if (!object)
        return object;
    (*object)["apiVersion"] = envelope->apiVersion;
    (*object)["kind"] = envelope->kind;
    return object;
}

} // namespace kd::lc::apiserver::protobuf
