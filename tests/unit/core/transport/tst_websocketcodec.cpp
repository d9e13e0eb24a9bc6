#include <core/transport/websocket.h>
#include <core/transport/websocketcodec.h>

#include <QTest>

using namespace kd::core;
using namespace kd::core::transport;

namespace {

std::string bytes(std::initializer_list<int> values)
{
    std::string out;
    for (int v : values)
        out += static_cast<char>(v);
    return out;
}

// Feeds `input` one byte at a time, the harshest split a socket can produce.
util::Result<void> feedBytewise(WebSocketCodec &codec, std::string_view input)
{
    for (char c : input) {
        if (auto r = codec.feed(std::string_view(&c, 1)); !r)
            return r;
    }
    return {};
}

} // namespace

Q_DECLARE_METATYPE(std::string)

class tst_WebSocketCodec : public QObject
{
    Q_OBJECT

private slots:
    void rfcExamples();
    void maskedEncodingMatchesRfc();
    void acceptKeyMatchesRfc();
    void roundTrip_data();
    void roundTrip();
    void fragmentsWithInterleavedPing();
    void malformed_data();
    void malformed();
    void oversizeRejectedBeforePayload();
    void failureIsSticky();
    void closePayload();
    void utf8_data();
    void utf8();
};

void tst_WebSocketCodec::rfcExamples()
{
    // RFC 6455 §5.7: unmasked "Hello", fragmented "Hel"+"lo", unmasked ping "Hello".
    WebSocketCodec codec(WebSocketCodec::Role::Client);
    const std::string stream
        = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}) + bytes({0x01, 0x03, 0x48, 0x65, 0x6c})
          + bytes({0x80, 0x02, 0x6c, 0x6f}) + bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
    QVERIFY(feedBytewise(codec, stream).ok());
    QCOMPARE(codec.takeMessage(), (WebSocketMessage{WebSocketOpcode::Text, "Hello"}));
    QCOMPARE(codec.takeMessage(), (WebSocketMessage{WebSocketOpcode::Text, "Hello"}));
    QCOMPARE(codec.takeMessage(), (WebSocketMessage{WebSocketOpcode::Ping, "Hello"}));
    QVERIFY(!codec.takeMessage());

    // 256 bytes use the 16-bit length, 65536 the 64-bit one.
    const std::string medium
        = WebSocketCodec::encodeFrame(WebSocketOpcode::Binary, std::string(256, 'a'), true, {});
    QCOMPARE(medium.substr(0, 4), bytes({0x82, 0x7e, 0x01, 0x00}));
    const std::string large
        = WebSocketCodec::encodeFrame(WebSocketOpcode::Binary, std::string(65536, 'b'), true, {});
    QCOMPARE(large.substr(0, 10), bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0, 0}));
}

void tst_WebSocketCodec::maskedEncodingMatchesRfc()
{
    // RFC 6455 §5.7: masked "Hello" with key 37 fa 21 3d.
    const std::string frame = WebSocketCodec::encodeFrame(
        WebSocketOpcode::Text, "Hello", true, std::array<uint8_t, 4>{0x37, 0xfa, 0x21, 0x3d});
    QCOMPARE(frame, bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
    WebSocketCodec server(WebSocketCodec::Role::Server);
    QVERIFY(server.feed(frame).ok());
    QCOMPARE(server.takeMessage(), (WebSocketMessage{WebSocketOpcode::Text, "Hello"}));
}

void tst_WebSocketCodec::acceptKeyMatchesRfc()
{
    // RFC 6455 §1.3.
    QCOMPARE(webSocketAccept("dGhlIHNhbXBsZSBub25jZQ=="),
             std::string("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
}

void tst_WebSocketCodec::roundTrip_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<bool>("text");
    for (int size : {0, 1, 125, 126, 127, 65535, 65536, 200000}) {
        QTest::addRow("binary %d", size) << size << false;
        QTest::addRow("text %d", size) << size << true;
    }
}

void tst_WebSocketCodec::roundTrip()
{
    QFETCH(int, size);
    QFETCH(bool, text);
    std::string payload(static_cast<size_t>(size), '\0');
    for (int i = 0; i < size; ++i)
        payload[static_cast<size_t>(i)]
            = text ? static_cast<char>('a' + i % 26) : static_cast<char>(i * 7);
    const auto opcode = text ? WebSocketOpcode::Text : WebSocketOpcode::Binary;

    WebSocketCodec client(WebSocketCodec::Role::Client);
    WebSocketCodec server(WebSocketCodec::Role::Server);
    // Client to server (masked) and back (unmasked), in uneven slices.
    const std::string up = client.encode(opcode, payload);
    QCOMPARE(static_cast<uint8_t>(up[1]) & 0x80, 0x80);
    for (size_t i = 0; i < up.size(); i += 1000)
        QVERIFY(server.feed(std::string_view(up).substr(i, 1000)).ok());
    QCOMPARE(server.takeMessage(), (WebSocketMessage{opcode, payload}));

    const std::string down = server.encode(opcode, payload);
    QCOMPARE(static_cast<uint8_t>(down[1]) & 0x80, 0);
    for (size_t i = 0; i < down.size(); i += 777)
        QVERIFY(client.feed(std::string_view(down).substr(i, 777)).ok());
    QCOMPARE(client.takeMessage(), (WebSocketMessage{opcode, payload}));
    QVERIFY(!client.takeMessage());
}

void tst_WebSocketCodec::fragmentsWithInterleavedPing()
{
    const std::array<uint8_t, 4> key{1, 2, 3, 4};
    const std::string stream
        = WebSocketCodec::encodeFrame(WebSocketOpcode::Binary, "ab", false, key)
          + WebSocketCodec::encodeFrame(WebSocketOpcode::Ping, "keepalive", true, key)
          + WebSocketCodec::encodeFrame(WebSocketOpcode::Continuation, "cd", false, key)
          + WebSocketCodec::encodeFrame(WebSocketOpcode::Continuation, "ef", true, key);
    WebSocketCodec server(WebSocketCodec::Role::Server);
    QVERIFY(feedBytewise(server, stream).ok());
    // The control frame is delivered as soon as it arrives, the message once complete.
    QCOMPARE(server.takeMessage(), (WebSocketMessage{WebSocketOpcode::Ping, "keepalive"}));
    QCOMPARE(server.takeMessage(), (WebSocketMessage{WebSocketOpcode::Binary, "abcdef"}));
}

void tst_WebSocketCodec::malformed_data()
{
    QTest::addColumn<bool>("serverRole");
    QTest::addColumn<std::string>("input");
    QTest::addColumn<int>("closeCode");

    const std::array<uint8_t, 4> key{9, 8, 7, 6};
    QTest::newRow("reserved opcode 3") << false << bytes({0x83, 0x00}) << 1002;
    QTest::newRow("reserved opcode 0xB") << false << bytes({0x8b, 0x00}) << 1002;
    QTest::newRow("RSV1 without extension") << false << bytes({0xc1, 0x00}) << 1002;
    QTest::newRow("masked from server")
        << false << WebSocketCodec::encodeFrame(WebSocketOpcode::Text, "hi", true, key) << 1002;
    QTest::newRow("unmasked from client")
        << true << WebSocketCodec::encodeFrame(WebSocketOpcode::Text, "hi", true, {}) << 1002;
    QTest::newRow("fragmented ping") << false << bytes({0x09, 0x00}) << 1002;
    QTest::newRow("ping longer than 125") << false << bytes({0x89, 0x7e, 0x00, 0x7e}) << 1002;
    QTest::newRow("continuation first") << false << bytes({0x80, 0x01, 0x61}) << 1002;
    QTest::newRow("text inside fragmented message")
        << false << bytes({0x01, 0x01, 0x61, 0x81, 0x01, 0x62}) << 1002;
    QTest::newRow("64-bit length top bit")
        << false << bytes({0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1}) << 1002;
    QTest::newRow("invalid UTF-8 text") << false << bytes({0x81, 0x02, 0xc3, 0x28}) << 1007;
    QTest::newRow("UTF-8 split across fragments is fine, bad one is not")
        << false << bytes({0x01, 0x01, 0xe2, 0x80, 0x01, 0x82}) << 1007;
    QTest::newRow("close with one byte") << false << bytes({0x88, 0x01, 0x03}) << 1002;
    QTest::newRow("close code 1005 on the wire")
        << false << bytes({0x88, 0x02, 0x03, 0xed}) << 1002;
    QTest::newRow("close code 999") << false << bytes({0x88, 0x02, 0x03, 0xe7}) << 1002;
    QTest::newRow("close reason invalid UTF-8")
        << false << bytes({0x88, 0x03, 0x03, 0xe8, 0xff}) << 1007;
}

void tst_WebSocketCodec::malformed()
{
    QFETCH(bool, serverRole);
    QFETCH(std::string, input);
    QFETCH(int, closeCode);
    WebSocketCodec codec(serverRole ? WebSocketCodec::Role::Server : WebSocketCodec::Role::Client);
    auto result = feedBytewise(codec, input);
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code(), util::Error::Code::Decode);
    QCOMPARE(int(codec.failureCloseCode()), closeCode);
    QVERIFY(!codec.takeMessage());
}

void tst_WebSocketCodec::oversizeRejectedBeforePayload()
{
    WebSocketCodec codec(WebSocketCodec::Role::Client, 1024);
    // Only the header of a 1 MiB frame: rejected without waiting for (or buffering) the payload.
    auto result = codec.feed(bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 0x10, 0, 0}));
    QVERIFY(!result.ok());
    QCOMPARE(int(codec.failureCloseCode()), 1009);

    // Fragments count together.
    WebSocketCodec fragments(WebSocketCodec::Role::Client, 4);
    QVERIFY(fragments.feed(WebSocketCodec::encodeFrame(WebSocketOpcode::Binary, "abc", false, {}))
                .ok());
    QVERIFY(
        !fragments.feed(WebSocketCodec::encodeFrame(WebSocketOpcode::Continuation, "de", true, {}))
             .ok());
    QCOMPARE(int(fragments.failureCloseCode()), 1009);

    WebSocketCodec exact(WebSocketCodec::Role::Client, 4);
    QVERIFY(
        exact.feed(WebSocketCodec::encodeFrame(WebSocketOpcode::Binary, "abcd", true, {})).ok());
    QCOMPARE(exact.takeMessage(), (WebSocketMessage{WebSocketOpcode::Binary, "abcd"}));
}

void tst_WebSocketCodec::failureIsSticky()
{
    WebSocketCodec codec(WebSocketCodec::Role::Client);
    QVERIFY(!codec.feed(bytes({0x83, 0x00})).ok());
    // A valid frame afterwards does not resurrect the stream.
    QVERIFY(!codec.feed(bytes({0x81, 0x01, 0x61})).ok());
    QVERIFY(!codec.takeMessage());
}

void tst_WebSocketCodec::closePayload()
{
    const std::string payload = WebSocketCodec::encodeClosePayload(4001, "bye");
    QCOMPARE(payload, bytes({0x0f, 0xa1}) + "bye");
    auto close = WebSocketCodec::decodeClosePayload(payload);
    QVERIFY(close.ok());
    QCOMPARE(*close, (WebSocketClose{4001, "bye"}));
    auto empty = WebSocketCodec::decodeClosePayload({});
    QVERIFY(empty.ok());
    QCOMPARE(int(empty->code), int(WebSocketCloseCode::NoStatus));
    // Control frames are limited to 125 bytes, so long reasons are cut.
    QCOMPARE(WebSocketCodec::encodeClosePayload(1000, std::string(300, 'r')).size(), size_t(125));
}

void tst_WebSocketCodec::utf8_data()
{
    QTest::addColumn<std::string>("text");
    QTest::addColumn<bool>("valid");
    QTest::newRow("ascii") << std::string("kubectl") << true;
    QTest::newRow("two bytes") << std::string("gr\xc3\xbc\xc3\x9f") << true;
    QTest::newRow("emoji") << std::string("\xf0\x9f\x9a\x80") << true;
    QTest::newRow("overlong slash") << std::string("\xc0\xaf") << false;
    QTest::newRow("surrogate") << std::string("\xed\xa0\x80") << false;
    QTest::newRow("beyond U+10FFFF") << std::string("\xf4\x90\x80\x80") << false;
    QTest::newRow("truncated") << std::string("\xe2\x82") << false;
    QTest::newRow("lone continuation") << std::string("\x80") << false;
}

void tst_WebSocketCodec::utf8()
{
    QFETCH(std::string, text);
    QFETCH(bool, valid);
    QCOMPARE(WebSocketCodec::isValidUtf8(text), valid);
}

QTEST_GUILESS_MAIN(tst_WebSocketCodec)
#include "tst_websocketcodec.moc"
