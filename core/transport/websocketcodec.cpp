#include <core/transport/websocketcodec.h>

#include <openssl/rand.h>

namespace kd::core::transport {

namespace {

bool isControl(uint8_t opcode)
{
    return (opcode & 0x8) != 0;
}

bool isKnownOpcode(uint8_t opcode)
{
    switch (static_cast<WebSocketOpcode>(opcode)) {
    case WebSocketOpcode::Continuation:
    case WebSocketOpcode::Text:
    case WebSocketOpcode::Binary:
    case WebSocketOpcode::Close:
    case WebSocketOpcode::Ping:
    case WebSocketOpcode::Pong:
        return true;
    }
    return false;
}

// Codes an endpoint may put in a close frame (RFC 6455 §7.4.1, §7.4.2).
bool isSendableCloseCode(uint16_t code)
{
    if (code >= 3000 && code <= 4999)
        return true;
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

} // namespace

WebSocketCodec::WebSocketCodec(Role role, size_t maxMessageSize)
    : m_role(role)
    , m_maxMessageSize(maxMessageSize)
{}

std::string WebSocketCodec::encode(WebSocketOpcode opcode, std::string_view payload, bool fin) const
{
    if (m_role == Role::Server)
        return encodeFrame(opcode, payload, fin, std::nullopt);
    std::array<uint8_t, 4> key{};
    // The key must be unpredictable (RFC 6455 §10.3); a zero key still yields a valid frame.
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
        key = {0x5a, 0x3c, 0x96, 0xe1};
    return encodeFrame(opcode, payload, fin, key);
}

std::string WebSocketCodec::encodeFrame(WebSocketOpcode opcode, std::string_view payload, bool fin,
                                        std::optional<std::array<uint8_t, 4>> maskKey)
{
    std::string frame;
    frame.reserve(payload.size() + 14);
    frame += static_cast<char>((fin ? 0x80 : 0x00) | static_cast<uint8_t>(opcode));
    const uint8_t maskBit = maskKey ? 0x80 : 0x00;
    const uint64_t length = payload.size();
    if (length < 126) {
        frame += static_cast<char>(maskBit | length);
    } else if (length <= 0xffff) {
        frame += static_cast<char>(maskBit | 126);
        frame += static_cast<char>(length >> 8);
        frame += static_cast<char>(length & 0xff);
    } else {
        frame += static_cast<char>(maskBit | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            frame += static_cast<char>((length >> shift) & 0xff);
    }
    if (!maskKey) {
        frame.append(payload);
        return frame;
    }
    for (uint8_t byte : *maskKey)
        frame += static_cast<char>(byte);
    for (size_t i = 0; i < payload.size(); ++i)
        frame += static_cast<char>(static_cast<uint8_t>(payload[i]) ^ (*maskKey)[i % 4]);
    return frame;
}

std::string WebSocketCodec::encodeClosePayload(uint16_t code, std::string_view reason)
{
    std::string payload;
    payload += static_cast<char>(code >> 8);
    payload += static_cast<char>(code & 0xff);
    // Control frames carry at most 125 bytes.
    payload.append(reason.substr(0, 123));
    return payload;
}

util::Result<WebSocketClose> WebSocketCodec::decodeClosePayload(std::string_view payload)
{
    WebSocketClose close;
    if (payload.empty())
        return close;
    if (payload.size() == 1)
        return util::Error(util::Error::Code::Decode, "close frame with a 1-byte payload");
    close.code = static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8)
                                       | static_cast<uint8_t>(payload[1]));
    if (!isSendableCloseCode(close.code))
        return util::Error(util::Error::Code::Decode,
                           "invalid close code " + std::to_string(close.code));
    close.reason = std::string(payload.substr(2));
    if (!isValidUtf8(close.reason))
        return util::Error(util::Error::Code::Decode, "close reason is not valid UTF-8");
    return close;
}

bool WebSocketCodec::isValidUtf8(std::string_view text)
{
    size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<uint8_t>(text[i]);
        size_t extra = 0;
        uint32_t cp = 0;
        uint32_t min = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            extra = 1;
            cp = c & 0x1f;
            min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2;
            cp = c & 0x0f;
            min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return false;
        }
        if (i + extra >= text.size())
            return false;
        for (size_t k = 1; k <= extra; ++k) {
            const auto cc = static_cast<uint8_t>(text[i + k]);
            if ((cc & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += extra + 1;
    }
    return true;
}

util::Result<void> WebSocketCodec::fail(uint16_t closeCode, std::string message)
{
    m_failureCode = closeCode;
    m_failure = std::move(message);
    m_buffer.clear();
    m_fragments.clear();
    return util::Error(util::Error::Code::Decode, "WebSocket: " + m_failure);
}

util::Result<void> WebSocketCodec::feed(std::string_view bytes)
{
    if (m_failureCode != 0)
        return util::Error(util::Error::Code::Decode, "WebSocket: " + m_failure);
    m_buffer.append(bytes);
    bool progressed = true;
    while (progressed) {
        progressed = false;
        if (auto r = decodeOne(progressed); !r)
            return r;
    }
    return {};
}

util::Result<void> WebSocketCodec::decodeOne(bool &progressed)
{
    if (m_buffer.size() < 2)
        return {};
    const auto b0 = static_cast<uint8_t>(m_buffer[0]);
    const auto b1 = static_cast<uint8_t>(m_buffer[1]);
    const bool fin = (b0 & 0x80) != 0;
    const uint8_t opcode = b0 & 0x0f;
    const bool masked = (b1 & 0x80) != 0;
    if ((b0 & 0x70) != 0)
        return fail(WebSocketCloseCode::ProtocolError, "reserved bits set without an extension");
    if (!isKnownOpcode(opcode))
        return fail(WebSocketCloseCode::ProtocolError, "unknown opcode " + std::to_string(opcode));
    if (m_role == Role::Client && masked)
        return fail(WebSocketCloseCode::ProtocolError, "masked frame from the server");
    if (m_role == Role::Server && !masked)
        return fail(WebSocketCloseCode::ProtocolError, "unmasked frame from the client");

    size_t headerSize = 2;
    uint64_t length = b1 & 0x7f;
    if (isControl(opcode) && (length > 125 || !fin))
        return fail(WebSocketCloseCode::ProtocolError, "fragmented or oversized control frame");
    if (length == 126) {
        if (m_buffer.size() < 4)
            return {};
        length = (static_cast<uint64_t>(static_cast<uint8_t>(m_buffer[2])) << 8)
                 | static_cast<uint8_t>(m_buffer[3]);
        headerSize = 4;
    } else if (length == 127) {
        if (m_buffer.size() < 10)
            return {};
        length = 0;
        for (size_t i = 2; i < 10; ++i)
            length = (length << 8) | static_cast<uint8_t>(m_buffer[i]);
        if (length >> 63)
            return fail(WebSocketCloseCode::ProtocolError, "payload length with the top bit set");
        headerSize = 10;
    }
    const size_t already = m_fragmenting && !isControl(opcode) ? m_fragments.size() : 0;
    if (length > m_maxMessageSize || already + length > m_maxMessageSize)
        return fail(WebSocketCloseCode::MessageTooBig,
                    "message larger than " + std::to_string(m_maxMessageSize) + " bytes");
    if (masked)
        headerSize += 4;
    if (m_buffer.size() < headerSize + length)
        return {};

    std::string payload = m_buffer.substr(headerSize, length);
    if (masked) {
        const char *key = m_buffer.data() + headerSize - 4;
        for (size_t i = 0; i < payload.size(); ++i)
            payload[i] = static_cast<char>(payload[i] ^ key[i % 4]);
    }
    m_buffer.erase(0, headerSize + length);
    progressed = true;

    const auto op = static_cast<WebSocketOpcode>(opcode);
    if (isControl(opcode)) {
        if (op == WebSocketOpcode::Close) {
            auto close = decodeClosePayload(payload);
            if (!close) {
                const bool badText = close.error().message().find("UTF-8") != std::string::npos;
                return fail(badText ? WebSocketCloseCode::InvalidPayload
                                    : WebSocketCloseCode::ProtocolError,
                            close.error().message());
            }
        }
        m_messages.push_back({op, std::move(payload)});
        return {};
    }
    if (op == WebSocketOpcode::Continuation) {
        if (!m_fragmenting)
            return fail(WebSocketCloseCode::ProtocolError, "continuation without a message");
        m_fragments += payload;
    } else {
        if (m_fragmenting)
            return fail(WebSocketCloseCode::ProtocolError,
                        "new message before the previous one ended");
        m_fragmenting = true;
        m_fragmentOpcode = op;
        m_fragments = std::move(payload);
    }
    if (!fin)
        return {};
    m_fragmenting = false;
    if (m_fragmentOpcode == WebSocketOpcode::Text && !isValidUtf8(m_fragments))
        return fail(WebSocketCloseCode::InvalidPayload, "text message is not valid UTF-8");
    m_messages.push_back({m_fragmentOpcode, std::move(m_fragments)});
    m_fragments.clear();
    return {};
}

std::optional<WebSocketMessage> WebSocketCodec::takeMessage()
{
    if (m_messages.empty())
        return std::nullopt;
    WebSocketMessage message = std::move(m_messages.front());
    m_messages.pop_front();
    return message;
}

} // namespace kd::core::transport
