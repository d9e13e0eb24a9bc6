#pragma once

#include <core/util/result.h>

#include <cstdint>
#include <string_view>

namespace kd::lc::apiserver::protobuf {

// The protocol buffers wire types this reader understands (groups, wire types 3 and 4, are
// rejected: no Kubernetes message uses them).
enum class WireType : std::uint8_t { Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5 };

// One field as read off the wire: the number, the wire type and either the integer payload
// (varint, fixed32, fixed64) or a view into the buffer (length-delimited).
struct WireField
{
    std::uint32_t number = 0;
    WireType type = WireType::Varint;
    std::uint64_t integer = 0;
    std::string_view bytes;
};

// Bounds-checked reader over one message's bytes. Every read checks the remaining length, so
// truncated or hostile input yields a Decode error instead of reading past the buffer. Does not
// own the bytes; one thread at a time.
class WireReader final
{
public:
    explicit WireReader(std::string_view bytes)
        : m_bytes(bytes)
    {}

    bool atEnd() const { return m_pos >= m_bytes.size(); }
    std::size_t position() const { return m_pos; }

    core::util::Result<WireField> next();
    core::util::Result<std::uint64_t> readVarint();

private:
    std::string_view m_bytes;
    std::size_t m_pos = 0;
};

} // namespace kd::lc::apiserver::protobuf
