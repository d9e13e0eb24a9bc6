#include <core/util/base64.h>

#include <QTest>

namespace base64 = kd::core::util::base64;

class tst_Base64 : public QObject
{
    Q_OBJECT

private slots:
    void encodeDecode_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("standard");
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("urlRaw");
        // RFC 4648 §10 test vectors, plus bytes that exercise the two differing characters.
        QTest::newRow("empty") << QByteArray() << ""
                               << ""
                               << "";
        QTest::newRow("f") << QByteArray("f") << "Zg=="
                           << "Zg=="
                           << "Zg";
        QTest::newRow("fo") << QByteArray("fo") << "Zm8="
                            << "Zm8="
                            << "Zm8";
        QTest::newRow("foo") << QByteArray("foo") << "Zm9v"
                             << "Zm9v"
                             << "Zm9v";
        QTest::newRow("foob") << QByteArray("foob") << "Zm9vYg=="
                              << "Zm9vYg=="
                              << "Zm9vYg";
        QTest::newRow("fooba") << QByteArray("fooba") << "Zm9vYmE="
                               << "Zm9vYmE="
                               << "Zm9vYmE";
        QTest::newRow("foobar") << QByteArray("foobar") << "Zm9vYmFy"
                                << "Zm9vYmFy"
                                << "Zm9vYmFy";
        QTest::newRow("fb ff") << QByteArray("\xfb\xff") << "+/8="
                               << "-_8="
                               << "-_8";
        QTest::newRow("nul bytes") << QByteArray("\0\0\0\0", 4) << "AAAAAA=="
                                   << "AAAAAA=="
                                   << "AAAAAA";
    }

    void encodeDecode()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, standard);
        QFETCH(QString, url);
        QFETCH(QString, urlRaw);
        const std::string raw(bytes.constData(), size_t(bytes.size()));
        QCOMPARE(QString::fromStdString(base64::encode(raw)), standard);
        QCOMPARE(QString::fromStdString(base64::encodeUrl(raw)), url);
        QCOMPARE(QString::fromStdString(base64::encodeUrl(raw, false)), urlRaw);

        auto decoded = base64::decode(standard.toStdString());
        QVERIFY(decoded.ok());
        QCOMPARE(*decoded, raw);
        decoded = base64::decodeUrl(url.toStdString());
        QVERIFY(decoded.ok());
        QCOMPARE(*decoded, raw);
        decoded = base64::decodeUrl(urlRaw.toStdString());
        QVERIFY(decoded.ok());
        QCOMPARE(*decoded, raw);
    }

    void allByteValuesRoundTrip()
    {
        std::string bytes;
        for (int i = 0; i < 256 * 3 + 1; ++i)
            bytes.push_back(static_cast<char>(i * 7 + 3));
        for (size_t length = 0; length < 10; ++length) {
            const std::string part = bytes.substr(0, bytes.size() - length);
            QCOMPARE(*base64::decode(base64::encode(part)), part);
            QCOMPARE(*base64::decodeUrl(base64::encodeUrl(part, false)), part);
        }
        // Agrees with an independent implementation.
        const QByteArray qt(bytes.data(), qsizetype(bytes.size()));
        QCOMPARE(QByteArray::fromStdString(base64::encode(bytes)), qt.toBase64());
    }

    void strictDecodeRejects_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("url");
        QTest::addColumn<QString>("position");
        QTest::newRow("bad char") << "Zm9v*mFy" << false << "byte 4";
        QTest::newRow("url char in standard") << "-_8=" << false << "byte 0";
        QTest::newRow("standard char in url") << "+/8=" << true << "byte 0";
        QTest::newRow("whitespace") << "Zm9v\nYmFy" << false << "byte 4";
        QTest::newRow("missing padding") << "Zm8" << false << "byte 3";
        QTest::newRow("too much padding") << "Zm8==" << false << "byte 3";
        QTest::newRow("three pads") << "Zg===" << false << "byte 2";
        QTest::newRow("padding in the middle") << "Zg==Zm9v" << false << "byte 2";
        QTest::newRow("lone char") << "Zm9vY" << false << "byte 4";
        QTest::newRow("lone char padded") << "Zm9vY===" << false << "byte 5";
        QTest::newRow("nonzero trailing bits") << "Zh==" << false << "byte 1";
        QTest::newRow("url bad padding") << "Zm8==" << true << "byte 3";
        QTest::newRow("only padding") << "====" << false << "byte 0";
    }

    void strictDecodeRejects()
    {
        QFETCH(QString, text);
        QFETCH(bool, url);
        QFETCH(QString, position);
        const auto result
            = url ? base64::decodeUrl(text.toStdString()) : base64::decode(text.toStdString());
        QVERIFY(!result.ok());
        QCOMPARE(result.error().code(), kd::core::util::Error::Code::Decode);
        const QString message = QString::fromStdString(result.error().message());
        QVERIFY2(message.contains(position), qPrintable(message));
    }
};

QTEST_APPLESS_MAIN(tst_Base64)
#include "tst_base64.moc"
