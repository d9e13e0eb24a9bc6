#include "spdyframer.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>

namespace kd::core::client {

using util::Error;
using util::Result;

namespace {

constexpr std::uint16_t kVersion = 3;
constexpr std::size_t kHeaderSize = 8;
constexpr std::uint32_t kMaxWireLength = 0xffffff;
constexpr std::uint32_t kMaxStreamId = 0x7fffffff;

// The SPDY/3 dictionary (draft 3, §2.6.10.1): 65 words each preceded by its length as a
// big-endian u32, then a run of status codes, reason phrases, dates and media types.
std::string buildDictionary()
{
    static constexpr std::array<std::string_view, 65> words = {"options",
                                                               "head",
                                                               "post",
                                                               "put",
                                                               "delete",
                                                               "trace",
                                                               "accept",
                                                               "accept-charset",
                                                               "accept-encoding",
                                                               "accept-language",
                                                               "accept-ranges",
                                                               "age",
                                                               "allow",
                                                               "authorization",
                                                               "cache-control",
                                                               "connection",
                                                               "content-base",
                                                               "content-encoding",
                                                               "content-language",
                                                               "content-length",
                                                               "content-location",
                                                               "content-md5",
                                                               "content-range",
                                                               "content-type",
                                                               "date",
                                                               "etag",
                                                               "expect",
                                                               "expires",
                                                               "from",
                                                               "host",
                                                               "if-match",
                                                               "if-modified-since",
                                                               "if-none-match",
                                                               "if-range",
                                                               "if-unmodified-since",
                                                               "last-modified",
                                                               "location",
                                                               "max-forwards",
                                                               "pragma",
                                                               "proxy-authenticate",
                                                               "proxy-authorization",
                                                               "range",
                                                               "referer",
                                                               "retry-after",
                                                               "server",
                                                               "te",
                                                               "trailer",
                                                               "transfer-encoding",
                                                               "upgrade",
                                                               "user-agent",
                                                               "vary",
                                                               "via",
                                                               "warning",
                                                               "www-authenticate",
                                                               "method",
                                                               "get",
                                                               "status",
                                                               "200 OK",
                                                               "version",
                                                               "HTTP/1.1",
                                                               "url",
                                                               "public",
                                                               "set-cookie",
                                                               "keep-alive",
                                                               "origin"};
    static constexpr std::string_view tail
        = "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504"
          "505203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad "
          "Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not "
          "Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec "
          "00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,"
          "image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,"
          "publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";
    std::string out;
    for (std::string_view word : words) {
        const auto n = static_cast<std::uint32_t>(word.size());
        out += static_cast<char>(n >> 24);
        out += static_cast<char>((n >> 16) & 0xff);
        out += static_cast<char>((n >> 8) & 0xff);
        out += static_cast<char>(n & 0xff);
        out += word;
    }
    out += tail;
    return out;
}

void putU32(std::string &out, std::uint32_t value)
{
    out += static_cast<char>(value >> 24);
    out += static_cast<char>((value >> 16) & 0xff);
    out += static_cast<char>((value >> 8) & 0xff);
    out += static_cast<char>(value & 0xff);
}

std::uint32_t getU32(std::string_view bytes, std::size_t at)
{
    const auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[at + i]); };
    return (std::uint32_t(b(0)) << 24) | (std::uint32_t(b(1)) << 16) | (std::uint32_t(b(2)) << 8)
           | std::uint32_t(b(3));
}

std::string lower(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

Error decodeError(std::string message)
{
    return Error(Error::Code::Decode, "SPDY: " + std::move(message));
}

bool isStreamFrame(SpdyFrameType type)
{
    switch (type) {
    case SpdyFrameType::Data:
    case SpdyFrameType::SynStream:
    case SpdyFrameType::SynReply:
    case SpdyFrameType::RstStream:
    case SpdyFrameType::Headers:
        return true;
    default:
        return false;
    }
}

} // namespace

std::string_view spdyHeaderDictionary()
{
    static const std::string dictionary = buildDictionary();
    return dictionary;
}

std::optional<std::string> spdyHeader(const SpdyHeaders &headers, std::string_view name)
{
    for (const auto &[key, value] : headers) {
        if (key == name)
            return value;
    }
    return std::nullopt;
}

class SpdyFramer::Private
{
public:
    SpdyLimits limits;
    z_stream deflater{};
    z_stream inflater{};
    bool deflaterReady = false;
    bool inflaterReady = false;
    std::string input;
    std::size_t consumed = 0; // bytes of `input` already decoded
    std::deque<SpdyFrame> frames;
    std::optional<Error> failure;

    Result<std::string> compress(const SpdyHeaders &headers);
    Result<SpdyHeaders> decompress(std::string_view block);
    Result<void> decodeOne(std::string_view header, std::string_view payload);
};

Result<std::string> SpdyFramer::Private::compress(const SpdyHeaders &headers)
{
    std::string raw;
    putU32(raw, static_cast<std::uint32_t>(headers.size()));
    for (const auto &[name, value] : headers) {
        if (name.empty())
            return Error(Error::Code::Invalid, "SPDY: empty header name");
        putU32(raw, static_cast<std::uint32_t>(name.size()));
        raw += lower(name);
        putU32(raw, static_cast<std::uint32_t>(value.size()));
        raw += value;
    }
    if (!deflaterReady) {
        if (deflateInit2(&deflater, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY)
            != Z_OK)
            return Error(Error::Code::Internal, "SPDY: deflateInit2 failed");
        const std::string_view dictionary = spdyHeaderDictionary();
        if (deflateSetDictionary(&deflater, reinterpret_cast<const Bytef *>(dictionary.data()),
                                 static_cast<uInt>(dictionary.size()))
            != Z_OK) {
            deflateEnd(&deflater);
            return Error(Error::Code::Internal, "SPDY: deflateSetDictionary failed");
        }
        deflaterReady = true;
    }
    std::string out;
    deflater.next_in = reinterpret_cast<Bytef *>(raw.data());
    deflater.avail_in = static_cast<uInt>(raw.size());
    // Z_SYNC_FLUSH ends every block on a byte boundary, so the peer can decode it now while the
    // compression context carries on into the next block.
    do {
        char buffer[4096];
        deflater.next_out = reinterpret_cast<Bytef *>(buffer);
        deflater.avail_out = sizeof buffer;
        const int rc = deflate(&deflater, Z_SYNC_FLUSH);
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return Error(Error::Code::Internal, "SPDY: deflate failed");
        out.append(buffer, sizeof buffer - deflater.avail_out);
    } while (deflater.avail_out == 0);
    return out;
}

Result<SpdyHeaders> SpdyFramer::Private::decompress(std::string_view block)
{
    if (!inflaterReady) {
        if (inflateInit(&inflater) != Z_OK)
            return Error(Error::Code::Internal, "SPDY: inflateInit failed");
        inflaterReady = true;
    }
    std::string raw;
    inflater.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(block.data()));
    inflater.avail_in = static_cast<uInt>(block.size());
    while (true) {
        char buffer[4096];
        inflater.next_out = reinterpret_cast<Bytef *>(buffer);
        inflater.avail_out = sizeof buffer;
        int rc = inflate(&inflater, Z_SYNC_FLUSH);
        if (rc == Z_NEED_DICT) {
            const std::string_view dictionary = spdyHeaderDictionary();
            if (inflateSetDictionary(&inflater, reinterpret_cast<const Bytef *>(dictionary.data()),
                                     static_cast<uInt>(dictionary.size()))
                != Z_OK)
                return decodeError("header block compressed with an unknown dictionary");
            continue;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END)
            return decodeError("corrupt compressed header block");
        const std::size_t produced = sizeof buffer - inflater.avail_out;
        raw.append(buffer, produced);
        if (raw.size() > limits.maxHeaderBlockSize)
            return decodeError("header block larger than "
                               + std::to_string(limits.maxHeaderBlockSize) + " bytes");
        if (rc == Z_STREAM_END || (inflater.avail_in == 0 && inflater.avail_out != 0))
            break;
        if (rc == Z_BUF_ERROR && produced == 0)
            return decodeError("truncated compressed header block");
    }

    const std::string_view bytes = raw;
    if (bytes.size() < 4)
        return decodeError("header block without a pair count");
    const std::uint32_t count = getU32(bytes, 0);
    if (count > limits.maxHeaderCount)
        return decodeError("header block with " + std::to_string(count) + " pairs");
    std::size_t at = 4;
    auto field = [&](std::string &out) -> bool {
        if (bytes.size() - at < 4)
            return false;
        const std::uint32_t length = getU32(bytes, at);
        at += 4;
        if (bytes.size() - at < length)
            return false;
        out.assign(bytes.substr(at, length));
        at += length;
        return true;
    };
    SpdyHeaders headers;
    for (std::uint32_t i = 0; i < count; ++i) {
        std::string name;
        std::string value;
        if (!field(name) || !field(value))
            return decodeError("header block shorter than its pair count");
        if (name.empty())
            return decodeError("empty header name");
        name = lower(name);
        if (spdyHeader(headers, name))
            return decodeError("header " + name + " appears twice");
        headers.emplace_back(std::move(name), std::move(value));
    }
    if (at != bytes.size())
        return decodeError("bytes after the last header pair");
    return headers;
}

Result<void> SpdyFramer::Private::decodeOne(std::string_view header, std::string_view payload)
{
    SpdyFrame frame;
    frame.flags = static_cast<std::uint8_t>(header[4]);
    const std::uint32_t first = getU32(header, 0);
    if ((first & 0x80000000u) == 0) {
        frame.type = SpdyFrameType::Data;
        frame.streamId = first & kMaxStreamId;
        if (frame.streamId == 0)
            return decodeError("DATA frame on stream 0");
        frame.data.assign(payload);
        frames.push_back(std::move(frame));
        return {};
    }
    auto needs = [&](std::size_t size, bool exact) -> Result<void> {
        if (payload.size() < size || (exact && payload.size() != size))
            return decodeError("control frame type " + std::to_string(first & 0xffff)
                               + " with length " + std::to_string(payload.size()));
        return {};
    };
    switch (first & 0xffff) {
    case 1: // SYN_STREAM
        if (auto r = needs(10, false); !r)
            return r;
        frame.type = SpdyFrameType::SynStream;
        frame.streamId = getU32(payload, 0) & kMaxStreamId;
        frame.associatedId = getU32(payload, 4) & kMaxStreamId;
        frame.priority = static_cast<std::uint8_t>(static_cast<std::uint8_t>(payload[8]) >> 5);
        payload.remove_prefix(10);
        break;
    case 2: // SYN_REPLY
    case 8: // HEADERS
        if (auto r = needs(4, false); !r)
            return r;
        frame.type = (first & 0xffff) == 2 ? SpdyFrameType::SynReply : SpdyFrameType::Headers;
        frame.streamId = getU32(payload, 0) & kMaxStreamId;
        payload.remove_prefix(4);
        break;
    case 3: // RST_STREAM
        if (auto r = needs(8, true); !r)
            return r;
        frame.type = SpdyFrameType::RstStream;
        frame.streamId = getU32(payload, 0) & kMaxStreamId;
        frame.status = getU32(payload, 4);
        break;
    case 4: { // SETTINGS: validated, contents not kept (nothing here uses them)
        if (auto r = needs(4, false); !r)
            return r;
        const std::uint32_t count = getU32(payload, 0);
        if ((payload.size() - 4) / 8 != count || (payload.size() - 4) % 8 != 0)
            return decodeError("SETTINGS frame length does not match its entry count");
        frame.type = SpdyFrameType::Settings;
        break;
    }
    case 6: // PING
        if (auto r = needs(4, true); !r)
            return r;
        frame.type = SpdyFrameType::Ping;
        frame.streamId = getU32(payload, 0);
        break;
    case 7: // GOAWAY (SPDY/3 adds the status; accept the SPDY/2 length too)
        if (payload.size() != 4 && payload.size() != 8)
            return decodeError("GOAWAY frame with length " + std::to_string(payload.size()));
        frame.type = SpdyFrameType::GoAway;
        frame.streamId = getU32(payload, 0) & kMaxStreamId;
        frame.status = payload.size() == 8 ? getU32(payload, 4) : 0;
        break;
    case 9: // WINDOW_UPDATE
        if (auto r = needs(8, true); !r)
            return r;
        frame.type = SpdyFrameType::WindowUpdate;
        frame.streamId = getU32(payload, 0) & kMaxStreamId;
        frame.deltaWindow = getU32(payload, 4) & kMaxStreamId;
        break;
    default: // NOOP and unknown control frames are ignored
        return {};
    }
    if (frame.type == SpdyFrameType::SynStream || frame.type == SpdyFrameType::SynReply
        || frame.type == SpdyFrameType::Headers) {
        // Even a frame for a stream the session will refuse must be inflated: the compression
        // context runs across all blocks.
        auto headers = decompress(payload);
        if (!headers)
            return headers.error();
        frame.headers = std::move(*headers);
    }
    if (isStreamFrame(frame.type) && frame.streamId == 0)
        return decodeError("stream frame on stream 0");
    frames.push_back(std::move(frame));
    return {};
}

SpdyFramer::SpdyFramer(SpdyLimits limits)
    : d(std::make_unique<Private>())
{
    d->limits = limits;
}

SpdyFramer::~SpdyFramer()
{
    if (d->deflaterReady)
        deflateEnd(&d->deflater);
    if (d->inflaterReady)
        inflateEnd(&d->inflater);
}

Result<std::string> SpdyFramer::encode(const SpdyFrame &frame)
{
    if (isStreamFrame(frame.type) && (frame.streamId == 0 || frame.streamId > kMaxStreamId))
        return Error(Error::Code::Invalid, "SPDY: stream id out of range");
    std::string payload;
    switch (frame.type) {
    case SpdyFrameType::Data:
        payload = frame.data;
        break;
    case SpdyFrameType::SynStream: {
        if (frame.priority > 7)
            return Error(Error::Code::Invalid, "SPDY: priority out of range");
        putU32(payload, frame.streamId);
        putU32(payload, frame.associatedId & kMaxStreamId);
        payload += static_cast<char>(frame.priority << 5);
        payload += '\0'; // slot
        auto block = d->compress(frame.headers);
        if (!block)
            return block.error();
        payload += *block;
        break;
    }
    case SpdyFrameType::SynReply:
    case SpdyFrameType::Headers: {
        putU32(payload, frame.streamId);
        auto block = d->compress(frame.headers);
        if (!block)
            return block.error();
        payload += *block;
        break;
    }
    case SpdyFrameType::RstStream:
    case SpdyFrameType::GoAway:
        putU32(payload, frame.streamId & kMaxStreamId);
        putU32(payload, frame.status);
        break;
    case SpdyFrameType::Settings:
        putU32(payload, 0);
        break;
    case SpdyFrameType::Ping:
        putU32(payload, frame.streamId);
        break;
    case SpdyFrameType::WindowUpdate:
        putU32(payload, frame.streamId & kMaxStreamId);
        putU32(payload, frame.deltaWindow & kMaxStreamId);
        break;
    }
    if (payload.size() > kMaxWireLength)
        return Error(Error::Code::Invalid, "SPDY: frame payload too long");
    std::string out;
    out.reserve(kHeaderSize + payload.size());
    if (frame.type == SpdyFrameType::Data) {
        putU32(out, frame.streamId);
    } else {
        out += static_cast<char>(0x80 | (kVersion >> 8));
        out += static_cast<char>(kVersion & 0xff);
        out += static_cast<char>(static_cast<std::uint16_t>(frame.type) >> 8);
        out += static_cast<char>(static_cast<std::uint16_t>(frame.type) & 0xff);
    }
    const auto length = static_cast<std::uint32_t>(payload.size());
    out += static_cast<char>(frame.flags);
    out += static_cast<char>(length >> 16);
    out += static_cast<char>((length >> 8) & 0xff);
    out += static_cast<char>(length & 0xff);
    out += payload;
    return out;
}

Result<void> SpdyFramer::feed(std::string_view bytes)
{
    if (d->failure)
        return *d->failure;
    d->input.append(bytes);
    auto fail = [this](Error error) -> Result<void> {
        d->failure = error;
        d->input.clear();
        d->consumed = 0;
        return error;
    };
    while (d->input.size() - d->consumed >= kHeaderSize) {
        const std::string_view rest = std::string_view(d->input).substr(d->consumed);
        const std::string_view header = rest.substr(0, kHeaderSize);
        if ((static_cast<std::uint8_t>(header[0]) & 0x80) != 0) {
            const std::uint16_t version
                = static_cast<std::uint16_t>(((static_cast<std::uint8_t>(header[0]) & 0x7f) << 8)
                                             | static_cast<std::uint8_t>(header[1]));
            if (version != kVersion)
                return fail(decodeError("unsupported version " + std::to_string(version)));
        }
        const std::uint32_t length = getU32(header, 4) & kMaxWireLength;
        // Checked before the payload arrives, so an announced giant is refused at once.
        if (length > d->limits.maxFrameLength)
            return fail(decodeError("frame of " + std::to_string(length) + " bytes exceeds the "
                                    + std::to_string(d->limits.maxFrameLength) + "-byte limit"));
        if (rest.size() < kHeaderSize + length)
            break;
        if (auto r = d->decodeOne(header, rest.substr(kHeaderSize, length)); !r)
            return fail(r.error());
        d->consumed += kHeaderSize + length;
    }
    // Compact once the decoded prefix dominates, not on every frame.
    if (d->consumed > 0 && d->consumed * 2 >= d->input.size()) {
        d->input.erase(0, d->consumed);
        d->consumed = 0;
    }
    return {};
}

std::optional<SpdyFrame> SpdyFramer::takeFrame()
{
    if (d->frames.empty())
        return std::nullopt;
    SpdyFrame frame = std::move(d->frames.front());
    d->frames.pop_front();
    return frame;
}

} // namespace kd::core::client
