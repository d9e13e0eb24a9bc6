#include <core/client/spdyframer.h>
#include <core/client/spdysession.h>

#include <QTest>

#include <zlib.h>

#include <random>

using namespace kd::core::client;
using kd::core::util::Error;

namespace {

std::string bytes(std::initializer_list<int> values)
{
    std::string out;
    for (int v : values)
        out += static_cast<char>(v);
    return out;
}

std::string u32(std::uint32_t v)
{
    return bytes({int(v >> 24), int((v >> 16) & 0xff), int((v >> 8) & 0xff), int(v & 0xff)});
}

// The uncompressed header block layout of SPDY/3 §2.6.10, written out by hand.
std::string rawBlock(const std::vector<std::pair<std::string, std::string>> &pairs)
{
    std::string out = u32(std::uint32_t(pairs.size()));
    for (const auto &[name, value] : pairs)
        out += u32(std::uint32_t(name.size())) + name + u32(std::uint32_t(value.size())) + value;
    return out;
}

// An independent zlib context (other settings than the framer's) for one direction.
class TestDeflater
{
public:
    TestDeflater()
    {
        deflateInit2(&m_z, 9, Z_DEFLATED, 11, 9, Z_DEFAULT_STRATEGY);
        const auto dict = spdyHeaderDictionary();
        deflateSetDictionary(&m_z, reinterpret_cast<const Bytef *>(dict.data()), uInt(dict.size()));
    }
    ~TestDeflater() { deflateEnd(&m_z); }
    std::string compress(const std::string &raw)
    {
        std::string out(raw.size() + 1024, '\0');
        m_z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(raw.data()));
        m_z.avail_in = uInt(raw.size());
        m_z.next_out = reinterpret_cast<Bytef *>(out.data());
        m_z.avail_out = uInt(out.size());
        deflate(&m_z, Z_SYNC_FLUSH);
        out.resize(out.size() - m_z.avail_out);
        return out;
    }

private:
    z_stream m_z{};
};

class TestInflater
{
public:
    TestInflater() { inflateInit(&m_z); }
    ~TestInflater() { inflateEnd(&m_z); }
    std::string decompress(const std::string &block)
    {
        std::string out(64 * 1024, '\0');
        m_z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(block.data()));
        m_z.avail_in = uInt(block.size());
        m_z.next_out = reinterpret_cast<Bytef *>(out.data());
        m_z.avail_out = uInt(out.size());
        int rc = inflate(&m_z, Z_SYNC_FLUSH);
        if (rc == Z_NEED_DICT) {
            const auto dict = spdyHeaderDictionary();
            inflateSetDictionary(&m_z, reinterpret_cast<const Bytef *>(dict.data()),
                                 uInt(dict.size()));
            rc = inflate(&m_z, Z_SYNC_FLUSH);
        }
        if (rc != Z_OK || m_z.avail_in != 0)
            return "<inflate failed>";
        out.resize(out.size() - m_z.avail_out);
        return out;
    }

private:
    z_stream m_z{};
};

std::string controlHeader(int type, int flags, std::size_t length)
{
    return bytes({0x80, 0x03, 0x00, type, flags, int((length >> 16) & 0xff),
                  int((length >> 8) & 0xff), int(length & 0xff)});
}

std::vector<SpdyFrame> decodeAll(SpdyFramer &framer, const std::string &wire, std::size_t step)
{
    std::vector<SpdyFrame> frames;
    for (std::size_t at = 0; at < wire.size(); at += step) {
        if (!framer.feed(std::string_view(wire).substr(at, step)))
            return {};
        while (auto frame = framer.takeFrame())
            frames.push_back(std::move(*frame));
    }
    return frames;
}

} // namespace

class TestSpdyFramer final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void dictionaryIsTheSpdy3One()
    {
        // Size and Adler-32 (the DICTID every SPDY/3 header block announces) from the spec.
        const auto dict = spdyHeaderDictionary();
        QCOMPARE(dict.size(), std::size_t(1423));
        const uLong sum = adler32(adler32(0, nullptr, 0),
                                  reinterpret_cast<const Bytef *>(dict.data()), uInt(dict.size()));
        QCOMPARE(sum, uLong(0xe3c6a7c2));
    }

    void synStreamHasTheSpecLayout()
    {
        SpdyFramer framer;
        SpdyFrame frame;
        frame.type = SpdyFrameType::SynStream;
        frame.streamId = 3;
        frame.priority = 2;
        frame.headers = {{"streamtype", "error"}, {"port", "8080"}, {"requestid", "0"}};
        auto wire = framer.encode(frame);
        QVERIFY(wire.ok());
        QVERIFY(wire->size() > 18);
        const std::size_t length = wire->size() - 8;
        QCOMPARE(wire->substr(0, 8), controlHeader(1, 0, length));
        QCOMPARE(wire->substr(8, 10), u32(3) + u32(0) + bytes({2 << 5, 0}));
        const std::string block = wire->substr(18);
        // zlib header with FDICT and the dictionary's Adler-32.
        QCOMPARE(block.substr(2, 4), bytes({0xe3, 0xc6, 0xa7, 0xc2}));
        TestInflater inflater;
        QCOMPARE(inflater.decompress(block),
                 rawBlock({{"streamtype", "error"}, {"port", "8080"}, {"requestid", "0"}}));

        // The next block continues the same compression context (no new zlib header).
        SpdyFrame reply;
        reply.type = SpdyFrameType::SynReply;
        reply.streamId = 3;
        reply.headers = {{"streamtype", "data"}};
        auto second = framer.encode(reply);
        QVERIFY(second.ok());
        QCOMPARE(second->substr(0, 8), controlHeader(2, 0, second->size() - 8));
        QCOMPARE(second->substr(8, 4), u32(3));
        QCOMPARE(inflater.decompress(second->substr(12)), rawBlock({{"streamtype", "data"}}));
    }

    void fixedFramesHaveTheSpecLayout_data()
    {
        QTest::addColumn<int>("type");
        QTest::addColumn<quint32>("id");
        QTest::addColumn<quint32>("value");
        QTest::addColumn<int>("flags");
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<QByteArray>("expected");
        auto qb = [](const std::string &s) { return QByteArray(s.data(), qsizetype(s.size())); };
        QTest::newRow("data fin") << int(SpdyFrameType::Data) << 3u << 0u << 1
                                  << QByteArray("hello")
                                  << qb(u32(3) + bytes({1, 0, 0, 5}) + "hello");
        QTest::newRow("empty data fin") << int(SpdyFrameType::Data) << 1u << 0u << 1 << QByteArray()
                                        << qb(u32(1) + bytes({1, 0, 0, 0}));
        QTest::newRow("rst_stream cancel")
            << int(SpdyFrameType::RstStream) << 5u << 5u << 0 << QByteArray()
            << qb(controlHeader(3, 0, 8) + u32(5) + u32(5));
        QTest::newRow("ping") << int(SpdyFrameType::Ping) << 7u << 0u << 0 << QByteArray()
                              << qb(controlHeader(6, 0, 4) + u32(7));
        QTest::newRow("goaway") << int(SpdyFrameType::GoAway) << 4u << 1u << 0 << QByteArray()
                                << qb(controlHeader(7, 0, 8) + u32(4) + u32(1));
        QTest::newRow("window_update")
            << int(SpdyFrameType::WindowUpdate) << 1u << 65536u << 0 << QByteArray()
            << qb(controlHeader(9, 0, 8) + u32(1) + u32(65536));
    }

    void fixedFramesHaveTheSpecLayout()
    {
        QFETCH(int, type);
        QFETCH(quint32, id);
        QFETCH(quint32, value);
        QFETCH(int, flags);
        QFETCH(QByteArray, data);
        QFETCH(QByteArray, expected);
        SpdyFrame frame;
        frame.type = SpdyFrameType(type);
        frame.streamId = id;
        frame.flags = std::uint8_t(flags);
        frame.status = value;
        frame.deltaWindow = value;
        frame.data = data.toStdString();
        SpdyFramer framer;
        auto wire = framer.encode(frame);
        QVERIFY(wire.ok());
        QCOMPARE(QByteArray(wire->data(), qsizetype(wire->size())), expected);

        // And back, from any split of the bytes.
        for (std::size_t step : {std::size_t(1), std::size_t(3), wire->size()}) {
            SpdyFramer decoder;
            auto frames = decodeAll(decoder, *wire, step);
            QCOMPARE(frames.size(), std::size_t(1));
            QCOMPARE(int(frames[0].type), type);
            QCOMPARE(frames[0].streamId, id);
            QCOMPARE(frames[0].flags, std::uint8_t(flags));
            QCOMPARE(QByteArray::fromStdString(frames[0].data), data);
        }
    }

    void decodesHeaderBlocksFromAnIndependentCompressor()
    {
        TestDeflater deflater;
        std::string wire;
        const std::string first
            = deflater.compress(rawBlock({{"streamtype", "data"}, {"port", "80"}}));
        wire += controlHeader(1, 0x01, 10 + first.size()) + u32(2) + u32(0) + bytes({0, 0}) + first;
        // Mixed case on the wire is tolerated and lowercased; NUL-joined values stay as sent.
        const std::string second
            = deflater.compress(rawBlock({{"X-Multi", std::string("a\0b", 3)}}));
        wire += controlHeader(8, 0, 4 + second.size()) + u32(2) + second;
        wire += controlHeader(4, 0, 12) + u32(1) + u32(0x01000007) + u32(100); // SETTINGS
        wire += controlHeader(5, 0, 0);                                        // NOOP: skipped
        for (std::size_t step : {std::size_t(1), std::size_t(7), wire.size()}) {
            SpdyFramer framer;
            auto frames = decodeAll(framer, wire, step);
            QCOMPARE(frames.size(), std::size_t(3));
            QCOMPARE(frames[0].type, SpdyFrameType::SynStream);
            QCOMPARE(frames[0].streamId, 2u);
            QVERIFY(frames[0].fin());
            QVERIFY(frames[0].headers == (SpdyHeaders{{"streamtype", "data"}, {"port", "80"}}));
            QCOMPARE(frames[1].type, SpdyFrameType::Headers);
            QVERIFY(frames[1].headers == (SpdyHeaders{{"x-multi", std::string("a\0b", 3)}}));
            QCOMPARE(frames[2].type, SpdyFrameType::Settings);
        }
    }

    void hostileInputIsAnError_data()
    {
        QTest::addColumn<QByteArray>("wire");
        QTest::addColumn<QString>("message");
        auto qb = [](const std::string &s) { return QByteArray(s.data(), qsizetype(s.size())); };
        TestDeflater deflater;
        QTest::newRow("version 2") << qb(bytes({0x80, 0x02, 0, 1, 0, 0, 0, 0})) << "version 2";
        // Refused from the 8-byte header alone, before any payload arrives.
        QTest::newRow("oversized length") << qb(u32(1) + bytes({0, 0xff, 0xff, 0xff})) << "exceeds";
        QTest::newRow("data on stream 0") << qb(u32(0) + bytes({0, 0, 0, 1}) + "x") << "stream 0";
        QTest::newRow("short rst_stream") << qb(controlHeader(3, 0, 4) + u32(1)) << "length 4";
        QTest::newRow("long ping") << qb(controlHeader(6, 0, 8) + u32(1) + u32(2)) << "length 8";
        QTest::newRow("settings count mismatch")
            << qb(controlHeader(4, 0, 4) + u32(3)) << "entry count";
        QTest::newRow("garbage header block")
            << qb(controlHeader(2, 0, 12) + u32(1) + "garbage!") << "compressed";
        const std::string manyPairs = deflater.compress(u32(100000));
        QTest::newRow("too many pairs")
            << qb(controlHeader(2, 0, 4 + manyPairs.size()) + u32(1) + manyPairs) << "pairs";
        TestDeflater bombDeflater;
        const std::string bomb
            = bombDeflater.compress(rawBlock({{"x", std::string(2 * 1024 * 1024, 'a')}}));
        QTest::newRow("decompression bomb")
            << qb(controlHeader(2, 0, 4 + bomb.size()) + u32(1) + bomb) << "larger than";
        TestDeflater shortDeflater;
        const std::string truncatedPairs
            = shortDeflater.compress(u32(2) + u32(1) + "a" + u32(1) + "b");
        QTest::newRow("pair count beyond block")
            << qb(controlHeader(2, 0, 4 + truncatedPairs.size()) + u32(1) + truncatedPairs)
            << "shorter than";
        TestDeflater dupDeflater;
        const std::string dup = dupDeflater.compress(rawBlock({{"a", "1"}, {"a", "2"}}));
        QTest::newRow("duplicate name")
            << qb(controlHeader(2, 0, 4 + dup.size()) + u32(1) + dup) << "twice";
    }

    void hostileInputIsAnError()
    {
        QFETCH(QByteArray, wire);
        QFETCH(QString, message);
        SpdyFramer framer;
        auto result = framer.feed(std::string_view(wire.constData(), size_t(wire.size())));
        QVERIFY(!result);
        QCOMPARE(result.error().code(), Error::Code::Decode);
        QVERIFY2(QString::fromStdString(result.error().message()).contains(message),
                 result.error().message().c_str());
        QVERIFY(!framer.takeFrame());
        // The session stays failed: its compression context can no longer be trusted.
        QVERIFY(!framer.feed(std::string(u32(1) + bytes({0, 0, 0, 0}))));
    }

    void truncatedFramesWaitForTheirBytes()
    {
        SpdyFramer framer;
        const std::string frame = controlHeader(6, 0, 4) + u32(9);
        for (std::size_t i = 0; i + 1 < frame.size(); ++i) {
            QVERIFY(framer.feed(frame.substr(i, 1)).ok());
            QVERIFY(!framer.takeFrame());
        }
        QVERIFY(framer.feed(frame.substr(frame.size() - 1)).ok());
        auto ping = framer.takeFrame();
        QVERIFY(ping);
        QCOMPARE(ping->streamId, 9u);
    }

    void randomGarbageNeverCrashes()
    {
        std::mt19937 random(1234);
        int failures = 0;
        for (int round = 0; round < 2000; ++round) {
            SpdyFramer framer;
            std::string junk(std::size_t(random() % 64), '\0');
            for (char &c : junk)
                c = char(random());
            // A plausible header often: version 3 control frames of every type.
            if (round % 2 == 0 && junk.size() >= 8) {
                junk[0] = char(0x80);
                junk[1] = 3;
                junk[2] = 0;
                junk[3] = char(random() % 10);
            }
            if (!framer.feed(junk))
                ++failures;
            while (framer.takeFrame()) {}
        }
        // Most random input is rejected rather than accepted as frames.
        QVERIFY(failures > 500);
    }

    void sessionsTalkToEachOther()
    {
        SpdySession client(SpdyRole::Client);
        SpdySession server(SpdyRole::Server);
        auto first = client.openStream({{"streamtype", "error"}});
        auto second = client.openStream({{"streamtype", "data"}});
        QVERIFY(first && second);
        QCOMPARE(*first, 1u);
        QCOMPARE(*second, 3u);
        QVERIFY(client.closeStream(*first).ok());
        QVERIFY(!client.sendData(*first, "late")); // half-closed for sending
        QVERIFY(client.sendData(*second, "ping?").ok());
        // Everything in one read, then delivered byte by byte the other way.
        QVERIFY(server.feed(client.takeOutput()).ok());
        std::vector<SpdyEvent::Kind> kinds;
        while (auto event = server.takeEvent()) {
            kinds.push_back(event->kind);
            if (event->kind == SpdyEvent::Kind::StreamOpened)
                // The error stream is answered with a reply that also ends it.
                QVERIFY(server.reply(event->streamId, {}, event->streamId == 1).ok());
            if (event->kind == SpdyEvent::Kind::Data) {
                QCOMPARE(event->data, std::string("ping?"));
                QVERIFY(server.sendData(event->streamId, "pong!", true).ok());
            }
        }
        // In wire order: both SYN_STREAMs, the error stream's FIN, the data.
        QVERIFY(kinds
                == (std::vector<SpdyEvent::Kind>{
                    SpdyEvent::Kind::StreamOpened, SpdyEvent::Kind::StreamOpened,
                    SpdyEvent::Kind::RemoteClosed, SpdyEvent::Kind::Data}));
        const std::uint32_t serverPing = server.ping();
        QCOMPARE(serverPing % 2, 0u);
        const std::string toClient = server.takeOutput();
        for (char c : toClient)
            QVERIFY(client.feed(std::string_view(&c, 1)).ok());
        kinds.clear();
        std::string received;
        while (auto event = client.takeEvent()) {
            kinds.push_back(event->kind);
            received += event->data;
        }
        QCOMPARE(received, std::string("pong!"));
        QVERIFY(kinds
                == (std::vector<SpdyEvent::Kind>{
                    SpdyEvent::Kind::Reply, SpdyEvent::Kind::RemoteClosed, SpdyEvent::Kind::Reply,
                    SpdyEvent::Kind::Data, SpdyEvent::Kind::RemoteClosed}));
        // The client answered the server's ping with the same id.
        QCOMPARE(client.takeOutput(), controlHeader(6, 0, 4) + u32(serverPing));
        // Stream 1 finished both ways is gone; stream 3 waits for the client's FIN.
        QVERIFY(!client.isOpen(1));
        QVERIFY(client.isOpen(3));
        QVERIFY(client.closeStream(3).ok());
        QVERIFY(!client.isOpen(3));
        QCOMPARE(client.streamCount(), std::size_t(0));
    }

    void framesOnUnknownOrClosedStreamsAreReset()
    {
        SpdySession client(SpdyRole::Client);
        // DATA for a stream that never existed.
        QVERIFY(client.feed(u32(5) + bytes({0, 0, 0, 1}) + "x").ok());
        QCOMPARE(client.takeOutput(), controlHeader(3, 0, 8) + u32(5) + u32(2));
        QVERIFY(!client.takeEvent());

        // The server may not open a stream with the client's parity.
        SpdySession server(SpdyRole::Server);
        SpdySession other(SpdyRole::Server);
        QVERIFY(other.openStream({{"a", "b"}}).ok());
        QVERIFY(!server.feed(other.takeOutput()));

        // DATA after the peer's FIN.
        SpdySession c2(SpdyRole::Client);
        SpdySession s2(SpdyRole::Server);
        auto id = c2.openStream({{"a", "b"}});
        QVERIFY(id.ok());
        QVERIFY(s2.feed(c2.takeOutput()).ok());
        while (s2.takeEvent()) {}
        QVERIFY(s2.reply(*id, {}, true).ok());
        QVERIFY(c2.feed(s2.takeOutput()).ok());
        while (c2.takeEvent()) {}
        QVERIFY(c2.feed(u32(*id) + bytes({0, 0, 0, 1}) + "x").ok());
        QCOMPARE(c2.takeOutput(), controlHeader(3, 0, 8) + u32(*id) + u32(9));
        auto reset = c2.takeEvent();
        QVERIFY(reset);
        QCOMPARE(reset->kind, SpdyEvent::Kind::Reset);
        QVERIFY(!c2.isOpen(*id));
    }

    void streamIdsMustIncrease()
    {
        SpdySession server(SpdyRole::Server);
        SpdyFramer peer;
        SpdyFrame syn;
        syn.type = SpdyFrameType::SynStream;
        syn.streamId = 5;
        QVERIFY(server.feed(*peer.encode(syn)).ok());
        syn.streamId = 3;
        auto result = server.feed(*peer.encode(syn));
        QVERIFY(!result);
        QVERIFY(QString::fromStdString(result.error().message()).contains("does not increase"));
    }

    void goAwayStopsNewStreams()
    {
        SpdySession client(SpdyRole::Client);
        QVERIFY(client.feed(controlHeader(7, 0, 8) + u32(0) + u32(0)).ok());
        auto event = client.takeEvent();
        QVERIFY(event);
        QCOMPARE(event->kind, SpdyEvent::Kind::GoAway);
        QVERIFY(client.goAwayReceived());
        QVERIFY(!client.openStream({{"a", "b"}}));
    }
};

QTEST_GUILESS_MAIN(TestSpdyFramer)
#include "tst_spdyframer.moc"
