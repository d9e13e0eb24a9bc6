#pragma once

#include <core/client/spdyframer.h>
#include <core/util/result.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kd::core::client {

// Which side of the connection the session is: clients open odd stream ids, servers even ones.
enum class SpdyRole { Client, Server };

// Something the peer did, in wire order.
struct SpdyEvent
{
    enum class Kind {
        StreamOpened, // the peer's SYN_STREAM: headers; reply() to accept it
        Reply,        // SYN_REPLY to one of our streams: headers
        Headers,      // HEADERS on an open stream
        Data,         // data bytes
        RemoteClosed, // the peer half-closed the stream (FIN); no more data follows
        Reset,        // RST_STREAM: status; the stream is gone
        GoAway,       // the peer opens no more streams; streamId is its last accepted id
        PingReply,    // the answer to one of our pings; streamId is the ping id
    };
    Kind kind = Kind::Data;
    std::uint32_t streamId = 0;
    SpdyHeaders headers;
    std::string data;
    std::uint32_t status = 0;
};

// A SPDY/3.1 session over one byte stream, in either role: stream ids, per-stream half-close
// (each direction ends with its own FIN), answers to the peer's pings, RST_STREAM for frames on
// unknown or closed streams. It does no I/O: the owner feeds received bytes in and sends what
// takeOutput() returns. Flow control is not enforced in either direction, as moby/spdystream (the
// Kubernetes implementation) does not do it; WINDOW_UPDATE and SETTINGS are accepted and ignored.
// A Decode error from feed() is a session error: the connection must be dropped.
// Not thread-safe; owned by the connection's thread.
class SpdySession final
{
public:
    explicit SpdySession(SpdyRole role, SpdyLimits limits = {});

    // SYN_STREAM with the next own id; `fin` half-closes our side at once.
    util::Result<std::uint32_t> openStream(const SpdyHeaders &headers, bool fin = false);
    // SYN_REPLY to a stream the peer opened.
    util::Result<void> reply(std::uint32_t streamId, const SpdyHeaders &headers = {},
                             bool fin = false);
    // DATA, split into frames no longer than the frame limit; `fin` marks our last bytes.
    util::Result<void> sendData(std::uint32_t streamId, std::string_view data, bool fin = false);
    // Half-close: an empty DATA frame with FIN.
    util::Result<void> closeStream(std::uint32_t streamId);
    void resetStream(std::uint32_t streamId, std::uint32_t status = SpdyRstStatus::Cancel);
    // PING with the next own ping id; the answer arrives as a PingReply event.
    std::uint32_t ping();
    void goAway(std::uint32_t status = 0);

    util::Result<void> feed(std::string_view bytes);
    std::optional<SpdyEvent> takeEvent();
    // Bytes to send to the peer (frames queued by the calls above and by feed()).
    std::string takeOutput();
    bool hasOutput() const { return !m_output.empty(); }

    bool isOpen(std::uint32_t streamId) const { return m_streams.count(streamId) != 0; }
    std::size_t streamCount() const { return m_streams.size(); }
    bool goAwayReceived() const { return m_goAwayReceived; }

private:
    struct Stream
    {
        bool ours = false;
        bool replied = false; // SYN_REPLY sent (peer's stream) or received (ours)
        bool localClosed = false;
        bool remoteClosed = false;
    };

    bool ownId(std::uint32_t id) const;
    util::Result<void> queue(const SpdyFrame &frame);
    void queueReset(std::uint32_t streamId, std::uint32_t status);
    void finishIfDone(std::uint32_t streamId);
    util::Result<void> handle(SpdyFrame frame);
    void remoteFin(std::uint32_t streamId, Stream &stream);

    SpdyRole m_role;
    SpdyLimits m_limits;
    SpdyFramer m_framer;
    std::map<std::uint32_t, Stream> m_streams;
    std::uint32_t m_nextStreamId;
    std::uint32_t m_nextPingId;
    std::uint32_t m_lastPeerStreamId = 0;
    bool m_goAwaySent = false;
    bool m_goAwayReceived = false;
    std::string m_output;
    std::deque<SpdyEvent> m_events;
};

} // namespace kd::core::client
