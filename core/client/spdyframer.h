#pragma once

#include <core/util/result.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kd::core::client {

// SPDY/3.1 frame types (control frames; Data is the data frame).
enum class SpdyFrameType : std::uint16_t {
    Data = 0,
    SynStream = 1,
    SynReply = 2,
    RstStream = 3,
    Settings = 4,
    Ping = 6,
    GoAway = 7,
    Headers = 8,
    WindowUpdate = 9,
};

namespace SpdyFlag {
inline constexpr std::uint8_t Fin = 0x01;
inline constexpr std::uint8_t Unidirectional = 0x02; // SYN_STREAM only
} // namespace SpdyFlag

// RST_STREAM status codes (SPDY/3 §2.6.3).
namespace SpdyRstStatus {
inline constexpr std::uint32_t ProtocolError = 1;
inline constexpr std::uint32_t InvalidStream = 2;
inline constexpr std::uint32_t RefusedStream = 3;
inline constexpr std::uint32_t Cancel = 5;
inline constexpr std::uint32_t InternalError = 6;
inline constexpr std::uint32_t StreamInUse = 8;
inline constexpr std::uint32_t StreamAlreadyClosed = 9;
inline constexpr std::uint32_t FrameTooLarge = 11;
} // namespace SpdyRstStatus

// Name/value pairs in wire order; names lowercase, several values of one name NUL-joined.
using SpdyHeaders = std::vector<std::pair<std::string, std::string>>;

// Returns the value of `name` (lowercase), or nullopt.
std::optional<std::string> spdyHeader(const SpdyHeaders &headers, std::string_view name);

// One decoded frame. Which members matter depends on the type: streamId for stream frames (and
// the last-good id of GOAWAY, the id of PING), status for RST_STREAM and GOAWAY, deltaWindow for
// WINDOW_UPDATE, headers for SYN_STREAM/SYN_REPLY/HEADERS, data for DATA.
struct SpdyFrame
{
    SpdyFrameType type = SpdyFrameType::Data;
    std::uint8_t flags = 0;
    std::uint32_t streamId = 0;
    std::uint32_t associatedId = 0; // SYN_STREAM
    std::uint8_t priority = 0;      // SYN_STREAM, 0 (highest) … 7
    std::uint32_t status = 0;
    std::uint32_t deltaWindow = 0;
    SpdyHeaders headers;
    std::string data;

    bool fin() const { return (flags & SpdyFlag::Fin) != 0; }
};

// Limits against a hostile or broken peer; exceeding one is a Decode error.
struct SpdyLimits
{
    // Payload length of any frame (the wire allows up to 16 MiB - 1).
    std::uint32_t maxFrameLength = 1024 * 1024;
    // Decompressed size of one header block (a decompression bomb stops here).
    std::size_t maxHeaderBlockSize = 256 * 1024;
    std::uint32_t maxHeaderCount = 256;
};

// The fixed SPDY/3 header compression dictionary (1423 bytes, Adler-32 0xe3c6a7c2).
std::string_view spdyHeaderDictionary();

// SPDY/3.1 framing: encodes frames and decodes a byte stream fed in arbitrary chunks (a frame
// split across reads, several frames in one read). Header blocks are compressed with zlib and the
// SPDY/3 dictionary; SPDY keeps one compression context per direction for the whole session, so
// one framer serves exactly one connection, in either role. After a decode error the framer stays
// failed (the session is unusable, as SPDY requires). Not thread-safe; owned by its session.
class SpdyFramer final
{
public:
    explicit SpdyFramer(SpdyLimits limits = {});
    ~SpdyFramer();
    SpdyFramer(const SpdyFramer &) = delete;
    SpdyFramer &operator=(const SpdyFramer &) = delete;

    // Appends the wire bytes of `frame`. Fails (Invalid) for ids or lengths the wire cannot carry.
    util::Result<std::string> encode(const SpdyFrame &frame);

    // Consumes bytes; complete frames become available through takeFrame(). Unknown control
    // frame types are skipped, as SPDY requires.
    util::Result<void> feed(std::string_view bytes);
    std::optional<SpdyFrame> takeFrame();

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace kd::core::client
