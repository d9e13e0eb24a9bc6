#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace kd::core::api {

class CompactJson;

// A read-only cursor into a CompactJson: two words, cheap to copy, valid as long as the document
// it points into. Navigating to something that is not there yields a view that does not exist()
// (never a throw), so reads chain: object["metadata"]["labels"]["app"].string().
class JsonView final
{
public:
    enum class Type : std::uint8_t {
        Missing,
        Null,
        Boolean,
        Integer,
        Unsigned,
        Float,
        String,
        Array,
        Object
    };

    JsonView() = default;

    Type type() const;
    bool exists() const { return m_document != nullptr; }
    bool isNull() const { return type() == Type::Null; }
    bool isBoolean() const { return type() == Type::Boolean; }
    bool isNumber() const;
    bool isString() const { return type() == Type::String; }
    bool isArray() const { return type() == Type::Array; }
    bool isObject() const { return type() == Type::Object; }

    // The value, or the fallback when the view holds another type.
    std::string_view string(std::string_view fallback = {}) const;
    std::string toString() const { return std::string(string()); }
    bool boolean(bool fallback = false) const;
    // Integers as they are; floats truncated.
    std::int64_t integer(std::int64_t fallback = 0) const;
    double number(double fallback = 0) const;

    // Members of an object, elements of an array; 0 for anything else.
    std::size_t size() const;
    bool empty() const { return size() == 0; }
    // Object member by name (the first one, should a document repeat a name).
    JsonView operator[](std::string_view key) const;
    JsonView operator[](const char *key) const { return (*this)[std::string_view(key)]; }
    // Array element.
    JsonView operator[](std::size_t index) const;
    JsonView operator[](int index) const { return (*this)[static_cast<std::size_t>(index)]; }
    bool contains(std::string_view key) const { return (*this)[key].exists(); }
    // Iteration by position, in document order: the name of an object's member (empty for
    // arrays) and the member's value or the array's element.
    std::string_view keyAt(std::size_t index) const;
    JsonView valueAt(std::size_t index) const;

    // A nlohmann copy, for code that edits or serialises (null for a missing view).
    nlohmann::json toJson() const;
    std::string dump() const;

    // Deep equality; object members compare by name, regardless of order.
    bool operator==(const JsonView &other) const;

private:
    friend class CompactJson;
    JsonView(const CompactJson *document, std::uint32_t slot)
        : m_document(document)
        , m_slot(slot)
    {}
    std::uint64_t word() const;

    const CompactJson *m_document = nullptr;
    std::uint32_t m_slot = 0;
};

// An immutable JSON document stored in one contiguous block: every value is one 64-bit slot
// (containers point at the contiguous slots of their members), strings live in one character
// area and common Kubernetes field names are not stored at all. An informer keeps tens of
// thousands of these, so this is about a quarter of the memory of the same nlohmann::json tree
// and is built straight from the wire without an intermediate tree. Created once, then shared
// read-only between threads (const members only).
class CompactJson final
{
    struct Token
    {};

public:
    // Use the factories; the constructor is public for make_shared only.
    CompactJson(Token, std::unique_ptr<std::uint64_t[]> words, std::uint32_t slotCount,
                std::uint32_t numberCount, std::uint32_t charCount);
    ~CompactJson();
    CompactJson(const CompactJson &) = delete;
    CompactJson &operator=(const CompactJson &) = delete;

    static std::shared_ptr<const CompactJson> fromJson(const nlohmann::json &value);
    // Parses JSON text (simdjson); Decode error when the text is not one JSON value.
    static util::Result<std::shared_ptr<const CompactJson>> parse(std::string_view text);

    JsonView root() const { return JsonView(this, 0); }
    JsonView operator[](std::string_view key) const { return root()[key]; }
    JsonView operator[](const char *key) const { return root()[std::string_view(key)]; }
    JsonView operator[](std::size_t index) const { return root()[index]; }
    JsonView operator[](int index) const { return root()[index]; }
    bool contains(std::string_view key) const { return root().contains(key); }
    nlohmann::json toJson() const;
    std::string dump() const { return root().dump(); }
    // Bytes of the document's storage block (for benchmarks and diagnostics).
    std::size_t storageBytes() const;

    bool operator==(const CompactJson &other) const { return root() == other.root(); }

private:
    friend class JsonView;
    friend class CompactJsonBuilder;

    // [slots][numbers][characters]; see compactjson.cpp for the slot encoding.
    std::unique_ptr<std::uint64_t[]> m_words;
    std::uint32_t m_slotCount = 0;
    std::uint32_t m_numberCount = 0;
    std::uint32_t m_charCount = 0;
};

using CompactJsonPtr = std::shared_ptr<const CompactJson>;

} // namespace kd::core::api
