#include "continuetoken.h"

#include <nlohmann/json.hpp>

#include <array>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;

namespace {

constexpr std::string_view kAlphabet
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64UrlEncode(std::string_view data)
{
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(data[i]) << 16)
                           | (static_cast<unsigned char>(data[i + 1]) << 8)
                           | static_cast<unsigned char>(data[i + 2]);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i + 1 == data.size()) {
        const unsigned v = static_cast<unsigned char>(data[i]) << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
    } else if (i + 2 == data.size()) {
        const unsigned v = (static_cast<unsigned char>(data[i]) << 16)
                           | (static_cast<unsigned char>(data[i + 1]) << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
    }
    return out;
}

// Accepts the URL-safe and the standard alphabet, padded or not.
bool base64Decode(std::string_view text, std::string &out)
{
    std::array<int, 256> values{};
    values.fill(-1);
    for (std::size_t i = 0; i < kAlphabet.size(); ++i)
        values[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
    values['+'] = 62;
    values['/'] = 63;
    while (!text.empty() && text.back() == '=')
        text.remove_suffix(1);
    unsigned buffer = 0;
    int bits = 0;
    for (char c : text) {
        const int v = values[static_cast<unsigned char>(c)];
        if (v < 0)
            return false;
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return bits < 6;
}

} // namespace

std::string ContinueToken::encode() const
{
    std::string start = after.ns.empty() ? after.name : after.ns + "/" + after.name;
    start += '\0';
    const nlohmann::json token = {{"v", "meta.k8s.io/v1"}, {"rv", revision}, {"start", start}};
    return base64UrlEncode(token.dump());
}

Result<ContinueToken> ContinueToken::decode(std::string_view token)
{
    const auto bad = [](const std::string &why) {
        return Error(Error::Code::BadRequest, "continue key is not valid: " + why);
    };
    std::string text;
    if (!base64Decode(token, text))
        return bad("illegal base64 data");
    const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
    if (!parsed.is_object() || parsed.value("v", std::string()) != "meta.k8s.io/v1")
        return bad("incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
    const auto rv = parsed.find("rv");
    const auto start = parsed.find("start");
    if (rv == parsed.end() || !rv->is_number_integer() || rv->get<storage::Revision>() <= 0)
        return bad("incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
    if (start == parsed.end() || !start->is_string())
        return bad("encoded start key is missing");
    std::string key = start->get<std::string>();
    if (!key.empty() && key.back() == '\0')
        key.pop_back();
    if (key.empty())
        return bad("encoded start key is missing");
    ContinueToken result;
    result.revision = rv->get<storage::Revision>();
    const std::size_t slash = key.find('/');
    if (slash == std::string::npos) {
        result.after.name = key;
    } else {
        result.after.ns = key.substr(0, slash);
        result.after.name = key.substr(slash + 1);
    }
    return result;
}

} // namespace kd::lc::apiserver
