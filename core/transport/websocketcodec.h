#pragma once

#include <core/util/result.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace kd::core::transport {

enum class WebSocketOpcode : uint8_t {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

// RFC 6455 §7.4.1 status codes used by this code.
namespace WebSocketCloseCode {
inline constexpr uint16_t Normal = 1000;
inline constexpr uint16_t GoingAway = 1001;
inline constexpr uint16_t ProtocolError = 1002;
inline constexpr uint16_t NoStatus = 1005; // never sent: "the close frame had no code"
inline constexpr uint16_t Abnormal = 1006; // never sent: "no close frame at all"
inline constexpr uint16_t InvalidPayload = 1007;
inline constexpr uint16_t MessageTooBig = 1009;
inline constexpr uint16_t InternalError = 1011;
} // namespace WebSocketCloseCode

// A complete message (fragments joined) or a control frame.
struct WebSocketMessage
{
    WebSocketOpcode opcode = WebSocketOpcode::Binary;
    std::string payload;

    bool operator==(const WebSocketMessage &) const = default;
};

struct WebSocketClose
{
    uint16_t code = WebSocketCloseCode::NoStatus;
    std::string reason;

    bool operator==(const WebSocketClose &) const = default;
};

// RFC 6455 framing, without I/O: encodes frames and decodes a byte stream incrementally (any split
// of the input, down to single bytes), joining fragments and validating what the RFC requires
// (reserved bits and opcodes, masking direction, control frame rules, UTF-8 of text and close
// reasons, a maximum message size checked before the payload is buffered). A decoding failure is
// sticky and names the close code to send. Owned by one connection; not thread-safe.
class WebSocketCodec final
{
public:
    // Client: frames we send are masked and frames we receive must not be; Server: the reverse.
    enum class Role { Client, Server };

    explicit WebSocketCodec(Role role, size_t maxMessageSize = 32 * 1024 * 1024);

    // One frame; a client masks with a fresh random key (OpenSSL RAND_bytes).
    std::string encode(WebSocketOpcode opcode, std::string_view payload, bool fin = true) const;
    // One frame with an explicit key (nullopt: unmasked), for tests and servers.
    static std::string encodeFrame(WebSocketOpcode opcode, std::string_view payload, bool fin,
                                   std::optional<std::array<uint8_t, 4>> maskKey);

    static std::string encodeClosePayload(uint16_t code, std::string_view reason);
    // An empty payload is a close without status (code NoStatus).
    static util::Result<WebSocketClose> decodeClosePayload(std::string_view payload);

    static bool isValidUtf8(std::string_view text);

    // Appends bytes and decodes every complete frame. Fails with Code::Decode on a protocol
    // violation; failureCloseCode() then tells which close code to send.
    util::Result<void> feed(std::string_view bytes);
    std::optional<WebSocketMessage> takeMessage();
    uint16_t failureCloseCode() const { return m_failureCode; }

private:
    util::Result<void> fail(uint16_t closeCode, std::string message);
    util::Result<void> decodeOne(bool &progressed);

    Role m_role;
    size_t m_maxMessageSize;
    std::string m_buffer;
    std::deque<WebSocketMessage> m_messages;
    // A fragmented data message in progress.
    bool m_fragmenting = false;
    WebSocketOpcode m_fragmentOpcode = WebSocketOpcode::Binary;
    std::string m_fragments;
    uint16_t m_failureCode = 0;
    std::string m_failure;
};

} // namespace kd::core::transport
