#include "channelprotocol.h"

#include <core/api/status.h>

#include <nlohmann/json.hpp>

#include <charconv>

namespace kd::core::client {

using util::Error;
using util::Result;

namespace {

std::string stringField(const nlohmann::json &object, const char *name)
{
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

std::optional<ChannelProtocol> channelProtocolFromName(std::string_view name)
{
    if (name == kChannelProtocolV5)
        return ChannelProtocol::V5;
    if (name == kChannelProtocolV4)
        return ChannelProtocol::V4;
    return std::nullopt;
}

std::string_view channelProtocolName(ChannelProtocol protocol)
{
    return protocol == ChannelProtocol::V5 ? kChannelProtocolV5 : kChannelProtocolV4;
}

std::string encodeChannelFrame(std::uint8_t channel, std::string_view payload)
{
    std::string out;
    out.reserve(payload.size() + 1);
    out.push_back(static_cast<char>(channel));
    out.append(payload);
    return out;
}

std::string encodeCloseChannel(std::uint8_t channel)
{
    return std::string{static_cast<char>(StreamChannel::Close), static_cast<char>(channel)};
}

std::string encodeResize(TerminalSize size)
{
    const nlohmann::json body = {{"Width", size.width}, {"Height", size.height}};
    return encodeChannelFrame(StreamChannel::Resize, body.dump());
}

Result<ChannelFrame> decodeChannelFrame(std::string_view message)
{
    if (message.empty())
        return Error(Error::Code::Decode, "empty channel message");
    return ChannelFrame{static_cast<std::uint8_t>(message.front()), message.substr(1)};
}

Result<ExitStatus> exitStatusFromStatus(std::string_view statusJson)
{
    const nlohmann::json status = nlohmann::json::parse(statusJson, nullptr, false);
    if (status.is_discarded() || !status.is_object())
        return Error(Error::Code::Decode,
                     "the error channel carried no Status: " + std::string(statusJson));
    const std::string outcome = stringField(status, "status");
    if (outcome == "Success")
        return ExitStatus{};
    if (stringField(status, "reason") == "NonZeroExitCode") {
        const auto details = status.find("details");
        if (details != status.end() && details->is_object() && details->contains("causes")
            && (*details)["causes"].is_array()) {
            for (const auto &cause : (*details)["causes"]) {
                if (!cause.is_object() || stringField(cause, "reason") != "ExitCode")
                    continue;
                const std::string text = stringField(cause, "message");
                int code = 0;
                const auto [end, ec]
                    = std::from_chars(text.data(), text.data() + text.size(), code);
                if (ec == std::errc() && end == text.data() + text.size() && code > 0)
                    return ExitStatus{code, stringField(status, "message")};
            }
        }
        return Error(Error::Code::Decode, "NonZeroExitCode Status without a usable ExitCode cause");
    }
    // The error channel's Status carries no kind; errorFromStatus wants one.
    nlohmann::json withKind = status;
    withKind["kind"] = "Status";
    return api::errorFromStatus(withKind, 0);
}

std::optional<std::uint16_t> decodePortPrefix(std::string_view bytes)
{
    if (bytes.size() < 2)
        return std::nullopt;
    return static_cast<std::uint16_t>(static_cast<std::uint8_t>(bytes[0])
                                      | (static_cast<std::uint8_t>(bytes[1]) << 8));
}

} // namespace kd::core::client
