#include "spdysession.h"

#include <algorithm>

namespace kd::core::client {

using util::Error;
using util::Result;

namespace {

constexpr std::uint32_t kMaxStreamId = 0x7fffffff;

Error protocolError(std::string message)
{
    return Error(Error::Code::Decode, "SPDY: " + std::move(message));
}

} // namespace

SpdySession::SpdySession(SpdyRole role, SpdyLimits limits)
    : m_role(role)
    , m_limits(limits)
    , m_framer(limits)
    , m_nextStreamId(role == SpdyRole::Client ? 1 : 2)
    , m_nextPingId(role == SpdyRole::Client ? 1 : 2)
{}

bool SpdySession::ownId(std::uint32_t id) const
{
    return (id % 2 == 1) == (m_role == SpdyRole::Client);
}

Result<void> SpdySession::queue(const SpdyFrame &frame)
{
    auto bytes = m_framer.encode(frame);
    if (!bytes)
        return bytes.error();
    m_output += *bytes;
    return {};
}

void SpdySession::queueReset(std::uint32_t streamId, std::uint32_t status)
{
    SpdyFrame frame;
    frame.type = SpdyFrameType::RstStream;
    frame.streamId = streamId;
    frame.status = status;
    [[maybe_unused]] auto r = queue(frame); // cannot fail: fixed size, id checked by the caller
}

void SpdySession::finishIfDone(std::uint32_t streamId)
{
    const auto it = m_streams.find(streamId);
    if (it != m_streams.end() && it->second.localClosed && it->second.remoteClosed)
        m_streams.erase(it);
}

Result<std::uint32_t> SpdySession::openStream(const SpdyHeaders &headers, bool fin)
{
    if (m_goAwayReceived || m_goAwaySent)
        return Error(Error::Code::ServiceUnavailable, "SPDY: the session is going away");
    if (m_nextStreamId > kMaxStreamId)
        return Error(Error::Code::ServiceUnavailable, "SPDY: stream ids exhausted");
    SpdyFrame frame;
    frame.type = SpdyFrameType::SynStream;
    frame.streamId = m_nextStreamId;
    frame.flags = fin ? SpdyFlag::Fin : 0;
    frame.headers = headers;
    if (auto r = queue(frame); !r)
        return r.error();
    m_nextStreamId += 2;
    Stream &stream = m_streams[frame.streamId];
    stream.ours = true;
    stream.localClosed = fin;
    return frame.streamId;
}

Result<void> SpdySession::reply(std::uint32_t streamId, const SpdyHeaders &headers, bool fin)
{
    const auto it = m_streams.find(streamId);
    if (it == m_streams.end() || it->second.ours || it->second.replied)
        return Error(Error::Code::Invalid,
                     "SPDY: no peer stream " + std::to_string(streamId) + " awaiting a reply");
    SpdyFrame frame;
    frame.type = SpdyFrameType::SynReply;
    frame.streamId = streamId;
    frame.flags = fin ? SpdyFlag::Fin : 0;
    frame.headers = headers;
    if (auto r = queue(frame); !r)
        return r;
    it->second.replied = true;
    if (fin) {
        it->second.localClosed = true;
        finishIfDone(streamId);
    }
    return {};
}

Result<void> SpdySession::sendData(std::uint32_t streamId, std::string_view data, bool fin)
{
    const auto it = m_streams.find(streamId);
    if (it == m_streams.end())
        return Error(Error::Code::Invalid,
                     "SPDY: stream " + std::to_string(streamId) + " is not open");
    if (it->second.localClosed)
        return Error(Error::Code::Invalid,
                     "SPDY: stream " + std::to_string(streamId) + " is closed for sending");
    SpdyFrame frame;
    frame.type = SpdyFrameType::Data;
    frame.streamId = streamId;
    do {
        const std::size_t size = std::min<std::size_t>(data.size(), m_limits.maxFrameLength);
        frame.data.assign(data.substr(0, size));
        data.remove_prefix(size);
        frame.flags = fin && data.empty() ? SpdyFlag::Fin : 0;
        if (auto r = queue(frame); !r)
            return r;
    } while (!data.empty());
    if (fin) {
        it->second.localClosed = true;
        finishIfDone(streamId);
    }
    return {};
}

Result<void> SpdySession::closeStream(std::uint32_t streamId)
{
    return sendData(streamId, {}, true);
}

void SpdySession::resetStream(std::uint32_t streamId, std::uint32_t status)
{
    if (m_streams.erase(streamId) != 0)
        queueReset(streamId, status);
}

std::uint32_t SpdySession::ping()
{
    SpdyFrame frame;
    frame.type = SpdyFrameType::Ping;
    frame.streamId = m_nextPingId;
    // Ping ids wrap within their parity.
    m_nextPingId
        = m_nextPingId >= 0xfffffffdu ? (m_role == SpdyRole::Client ? 1 : 2) : m_nextPingId + 2;
    [[maybe_unused]] auto r = queue(frame);
    return frame.streamId;
}

void SpdySession::goAway(std::uint32_t status)
{
    if (m_goAwaySent)
        return;
    m_goAwaySent = true;
    SpdyFrame frame;
    frame.type = SpdyFrameType::GoAway;
    frame.streamId = m_lastPeerStreamId;
    frame.status = status;
    [[maybe_unused]] auto r = queue(frame);
}

void SpdySession::remoteFin(std::uint32_t streamId, Stream &stream)
{
    stream.remoteClosed = true;
    m_events.push_back({SpdyEvent::Kind::RemoteClosed, streamId, {}, {}, 0});
    finishIfDone(streamId);
}

Result<void> SpdySession::handle(SpdyFrame frame)
{
    const std::uint32_t id = frame.streamId;
    switch (frame.type) {
    case SpdyFrameType::SynStream: {
        if (ownId(id))
            return protocolError("peer opened stream " + std::to_string(id)
                                 + " with an id of our parity");
        if (id <= m_lastPeerStreamId)
            return protocolError("stream id " + std::to_string(id) + " does not increase");
        m_lastPeerStreamId = id;
        if (m_goAwaySent) {
            queueReset(id, SpdyRstStatus::RefusedStream);
            return {};
        }
        Stream &stream = m_streams[id];
        stream.localClosed = (frame.flags & SpdyFlag::Unidirectional) != 0;
        m_events.push_back({SpdyEvent::Kind::StreamOpened, id, std::move(frame.headers), {}, 0});
        if (frame.fin())
            remoteFin(id, stream);
        return {};
    }
    case SpdyFrameType::SynReply: {
        const auto it = m_streams.find(id);
        if (it == m_streams.end() || !it->second.ours) {
            queueReset(id, SpdyRstStatus::InvalidStream);
            return {};
        }
        if (it->second.replied) {
            m_streams.erase(it);
            queueReset(id, SpdyRstStatus::StreamInUse);
            m_events.push_back({SpdyEvent::Kind::Reset, id, {}, {}, SpdyRstStatus::StreamInUse});
            return {};
        }
        it->second.replied = true;
        m_events.push_back({SpdyEvent::Kind::Reply, id, std::move(frame.headers), {}, 0});
        if (frame.fin())
            remoteFin(id, it->second);
        return {};
    }
    case SpdyFrameType::Headers:
    case SpdyFrameType::Data: {
        const auto it = m_streams.find(id);
        if (it == m_streams.end()) {
            // A stream already finished on both sides, or one that never existed.
            queueReset(id, SpdyRstStatus::InvalidStream);
            return {};
        }
        if (it->second.remoteClosed) {
            m_streams.erase(it);
            queueReset(id, SpdyRstStatus::StreamAlreadyClosed);
            m_events.push_back(
                {SpdyEvent::Kind::Reset, id, {}, {}, SpdyRstStatus::StreamAlreadyClosed});
            return {};
        }
        if (frame.type == SpdyFrameType::Headers)
            m_events.push_back({SpdyEvent::Kind::Headers, id, std::move(frame.headers), {}, 0});
        else if (!frame.data.empty())
            m_events.push_back({SpdyEvent::Kind::Data, id, {}, std::move(frame.data), 0});
        if (frame.fin())
            remoteFin(id, it->second);
        return {};
    }
    case SpdyFrameType::RstStream:
        if (m_streams.erase(id) != 0)
            m_events.push_back({SpdyEvent::Kind::Reset, id, {}, {}, frame.status});
        return {};
    case SpdyFrameType::Ping:
        if (ownId(id)) {
            m_events.push_back({SpdyEvent::Kind::PingReply, id, {}, {}, 0});
        } else {
            SpdyFrame echo;
            echo.type = SpdyFrameType::Ping;
            echo.streamId = id;
            [[maybe_unused]] auto r = queue(echo);
        }
        return {};
    case SpdyFrameType::GoAway:
        m_goAwayReceived = true;
        m_events.push_back({SpdyEvent::Kind::GoAway, id, {}, {}, frame.status});
        return {};
    case SpdyFrameType::Settings:
    case SpdyFrameType::WindowUpdate:
        return {};
    }
    return {};
}

Result<void> SpdySession::feed(std::string_view bytes)
{
    if (auto r = m_framer.feed(bytes); !r)
        return r;
    while (auto frame = m_framer.takeFrame()) {
        if (auto r = handle(std::move(*frame)); !r)
            return r;
    }
    return {};
}

std::optional<SpdyEvent> SpdySession::takeEvent()
{
    if (m_events.empty())
        return std::nullopt;
    SpdyEvent event = std::move(m_events.front());
    m_events.pop_front();
    return event;
}

std::string SpdySession::takeOutput()
{
    std::string out;
    out.swap(m_output);
    return out;
}

} // namespace kd::core::client
