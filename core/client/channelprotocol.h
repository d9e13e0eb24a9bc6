#pragma once

#include <core/util/result.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kd::core::client {

// The Kubernetes channel protocol that exec, attach and port-forward speak inside binary
// WebSocket messages: the first byte names a channel, the rest is that channel's payload.
// v5 adds the "close channel" message (255, channel). Pure functions; any thread.
enum class ChannelProtocol { V4, V5 };

inline constexpr std::string_view kChannelProtocolV5 = "v5.channel.k8s.io";
inline constexpr std::string_view kChannelProtocolV4 = "v4.channel.k8s.io";

// Channel numbers of remotecommand (exec/attach).
namespace StreamChannel {
inline constexpr std::uint8_t Stdin = 0;
inline constexpr std::uint8_t Stdout = 1;
inline constexpr std::uint8_t Stderr = 2;
inline constexpr std::uint8_t Error = 3;
inline constexpr std::uint8_t Resize = 4;
inline constexpr std::uint8_t Close = 255; // v5 only
} // namespace StreamChannel

std::optional<ChannelProtocol> channelProtocolFromName(std::string_view name);
std::string_view channelProtocolName(ChannelProtocol protocol);

struct TerminalSize
{
    std::uint16_t width = 80;
    std::uint16_t height = 24;

    bool operator==(const TerminalSize &) const = default;
};

struct ChannelFrame
{
    std::uint8_t channel = 0;
    std::string_view payload; // points into the decoded message
};

std::string encodeChannelFrame(std::uint8_t channel, std::string_view payload);
// v5's "no more data on this channel" (stdin EOF).
std::string encodeCloseChannel(std::uint8_t channel);
// The resize channel's JSON with Kubernetes' capitalised keys: {"Width":120,"Height":40}.
std::string encodeResize(TerminalSize size);
// Fails with Decode for an empty message.
util::Result<ChannelFrame> decodeChannelFrame(std::string_view message);

// How a command ended, from the metav1.Status on the error channel: Success is exit code 0,
// reason NonZeroExitCode carries the code in details.causes[reason=ExitCode].message. Any other
// Status (or bytes that are no Status) is an Error describing the failure.
struct ExitStatus
{
    int code = 0;
    std::string message; // the Status message for non-zero codes

    bool operator==(const ExitStatus &) const = default;
};
util::Result<ExitStatus> exitStatusFromStatus(std::string_view statusJson);

// Port-forward: the first two bytes the server sends on each of a port's channels repeat the
// port, little-endian. Returns nullopt when fewer than two bytes are given.
std::optional<std::uint16_t> decodePortPrefix(std::string_view bytes);

} // namespace kd::core::client
