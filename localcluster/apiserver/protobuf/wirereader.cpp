#include "wirereader.h"

#include <cstring>
#include <string>

namespace kd::lc::apiserver::protobuf {

using core::util::Error;
using core::util::Result;

namespace {

Error malformed(std::size_t offset, const std::string &what)
{
    return Error(Error::Code::BadRequest,
                 "malformed protobuf at byte " + std::to_string(offset) + ": " + what);
}

} // namespace

Result<std::uint64_t> WireReader::readVarint()
{
    const std::size_t start = m_pos;
    std::uint64_t value = 0;
    // A varint is at most ten bytes; the tenth may only contribute the top bit.
    for (int shift = 0; shift < 64; shift += 7) {
        if (m_pos >= m_bytes.size())
            return malformed(start, "truncated varint");
        const auto byte = static_cast<std::uint8_t>(m_bytes[m_pos++]);
        if (shift == 63 && byte > 1)
            return malformed(start, "varint longer than 64 bits");
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0)
            return value;
    }
    return malformed(start, "varint longer than 10 bytes");
}

Result<WireField> WireReader::next()
{
    const std::size_t start = m_pos;
    auto key = readVarint();
    if (!key)
        return key.error();
    WireField field;
    if ((*key >> 3) == 0 || (*key >> 3) > 0x1fffffff)
        return malformed(start, "invalid field number " + std::to_string(*key >> 3));
    field.number = static_cast<std::uint32_t>(*key >> 3);
    const auto wireType = static_cast<unsigned>(*key & 7);
    switch (wireType) {
    case 0: {
        field.type = WireType::Varint;
        auto value = readVarint();
        if (!value)
            return value.error();
        field.integer = *value;
        return field;
    }
    case 1:
    case 5: {
        const std::size_t width = wireType == 1 ? 8 : 4;
        if (m_bytes.size() - m_pos < width)
            return malformed(start, "truncated fixed-width field " + std::to_string(field.number));
        field.type = wireType == 1 ? WireType::Fixed64 : WireType::Fixed32;
        // Little-endian on the wire.
        for (std::size_t i = 0; i < width; ++i)
            field.integer
                |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(m_bytes[m_pos + i]))
                   << (8 * i);
        m_pos += width;
        return field;
    }
    case 2: {
        auto length = readVarint();
        if (!length)
            return length.error();
        if (*length > m_bytes.size() - m_pos)
            return malformed(start, "length " + std::to_string(*length) + " of field "
                                        + std::to_string(field.number) + " runs past the end");
        field.type = WireType::LengthDelimited;
        field.bytes = m_bytes.substr(m_pos, static_cast<std::size_t>(*length));
        m_pos += static_cast<std::size_t>(*length);
        return field;
    }
    default:
        return malformed(start, "unsupported wire type " + std::to_string(wireType) + " in field "
                                    + std::to_string(field.number));
    }
}

} // namespace kd::lc::apiserver::protobuf
