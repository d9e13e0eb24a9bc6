#include "base64.h"

#include <array>
#include <cstdint>

namespace kd::core::util::base64 {

namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> makeTable(const char *alphabet)
{
    std::array<std::uint8_t, 256> table{};
    table.fill(kInvalid);
    for (std::uint8_t i = 0; i < 64; ++i)
        table[static_cast<unsigned char>(alphabet[i])] = i;
    return table;
}

constexpr auto kStandardTable = makeTable(kStandard);
constexpr auto kUrlTable = makeTable(kUrl);

std::string encodeWith(std::string_view bytes, const char *alphabet, bool padding)
{
    const std::size_t whole = bytes.size() / 3;
    const std::size_t rest = bytes.size() % 3;
    std::string out(whole * 4 + (rest == 0 ? 0 : (padding ? 4 : rest + 1)), '\0');
    const auto *in = reinterpret_cast<const unsigned char *>(bytes.data());
    char *o = out.data();
    for (std::size_t i = 0; i < whole; ++i, in += 3, o += 4) {
        const std::uint32_t v = (std::uint32_t(in[0]) << 16) | (std::uint32_t(in[1]) << 8) | in[2];
        o[0] = alphabet[(v >> 18) & 63];
        o[1] = alphabet[(v >> 12) & 63];
        o[2] = alphabet[(v >> 6) & 63];
        o[3] = alphabet[v & 63];
    }
    if (rest > 0) {
        std::uint32_t v = std::uint32_t(in[0]) << 16;
        if (rest == 2)
            v |= std::uint32_t(in[1]) << 8;
        *o++ = alphabet[(v >> 18) & 63];
        *o++ = alphabet[(v >> 12) & 63];
        if (rest == 2)
            *o++ = alphabet[(v >> 6) & 63];
        if (padding) {
            for (std::size_t p = rest; p < 3; ++p)
                *o++ = '=';
        }
    }
    return out;
}

Error decodeError(std::size_t offset, const std::string &what)
{
    return Error(Error::Code::Decode,
                 "illegal base64 data at input byte " + std::to_string(offset) + ": " + what);
}

Result<std::string> decodeWith(std::string_view text, const std::array<std::uint8_t, 256> &table,
                               bool paddingRequired)
{
    // Split off the padding first so the main loop only sees alphabet characters.
    std::size_t dataLength = text.size();
    while (dataLength > 0 && text[dataLength - 1] == '=' && text.size() - dataLength < 2)
        --dataLength;
    const std::size_t padding = text.size() - dataLength;
    const std::size_t tail = dataLength % 4;

    std::string out(dataLength / 4 * 3 + 2, '\0');
    char *o = out.data();
    const auto *in = reinterpret_cast<const unsigned char *>(text.data());
    const auto invalidAt = [&](std::size_t i) {
        return in[i] == '=' ? decodeError(i, "padding before the end of the data")
                            : decodeError(i, "character not in the base64 alphabet");
    };
    // Whole quads first: four table lookups, one validity test, three bytes out.
    std::size_t i = 0;
    for (; i + 4 <= dataLength; i += 4) {
        const std::uint8_t a = table[in[i]], b = table[in[i + 1]], c = table[in[i + 2]],
                           d = table[in[i + 3]];
        // Valid values are below 64, so the high bit flags an invalid character in any of them.
        if (((a | b | c | d) & 0x80) != 0) {
            for (std::size_t k = i;; ++k) {
                if (table[in[k]] == kInvalid)
                    return invalidAt(k);
            }
        }
        const std::uint32_t v
            = (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) | (std::uint32_t(c) << 6) | d;
        *o++ = static_cast<char>(v >> 16);
        *o++ = static_cast<char>((v >> 8) & 0xFF);
        *o++ = static_cast<char>(v & 0xFF);
    }
    std::uint32_t acc = 0;
    int bits = 0;
    for (; i < dataLength; ++i) {
        const std::uint8_t v = table[in[i]];
        if (v == kInvalid)
            return invalidAt(i);
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    out.resize(static_cast<std::size_t>(o - out.data()));
    // Length checks come after the character scan so that a stray character is reported where
    // it is rather than as a length problem.
    if (tail == 1)
        return decodeError(dataLength - 1, "a single trailing character carries no whole byte");
    if (padding > 0 && (dataLength + padding) % 4 != 0)
        return decodeError(dataLength, "wrong amount of padding");
    if (padding == 0 && tail != 0 && paddingRequired)
        return decodeError(text.size(), "missing padding");
    // Leftover bits must be zero, or two different texts would decode to the same bytes.
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return decodeError(dataLength - 1, "unused trailing bits are not zero");
    return out;
}

} // namespace

std::string encode(std::string_view bytes)
{
    return encodeWith(bytes, kStandard, true);
}

std::string encodeUrl(std::string_view bytes, bool padding)
{
    return encodeWith(bytes, kUrl, padding);
}

Result<std::string> decode(std::string_view text)
{
    return decodeWith(text, kStandardTable, true);
}

Result<std::string> decodeUrl(std::string_view text)
{
    return decodeWith(text, kUrlTable, false);
}

} // namespace kd::core::util::base64
