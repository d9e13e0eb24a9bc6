#include <core/util/quantity.h>

#include <QTest>

using kd::core::util::Error;
using kd::core::util::Quantity;

Q_DECLARE_METATYPE(Quantity::Format)

namespace {

Quantity q(const char *text)
{
    auto result = Quantity::parse(text);
    if (!result.ok())
        qFatal("unexpected parse failure for %s: %s", text, result.error().message().c_str());
    return *result;
}

} // namespace

class tst_Quantity : public QObject
{
    Q_OBJECT

private slots:
    // Expectations from apimachinery's quantity_test.go (TestQuantityParse, TestQuantityString,
    // TestQuantityParseEmit) and from the spelling-preservation rule of ParseQuantity.
    void canonicalString_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("canonical");
        QTest::addColumn<Quantity::Format>("format");
        const auto si = Quantity::Format::DecimalSI;
        const auto bin = Quantity::Format::BinarySI;
        const auto exp = Quantity::Format::DecimalExponent;
        QTest::newRow("0") << "0"
                           << "0" << si;
        QTest::newRow("0Ki") << "0Ki"
                             << "0" << bin;
        QTest::newRow("-0") << "-0"
                            << "0" << si;
        QTest::newRow("250m") << "250m"
                              << "250m" << si;
        QTest::newRow("100m") << "100m"
                              << "100m" << si;
        QTest::newRow("1.5") << "1.5"
                             << "1500m" << si;
        QTest::newRow("-1.5") << "-1.5"
                              << "-1500m" << si;
        QTest::newRow("0.1") << "0.1"
                             << "100m" << si;
        QTest::newRow("1000") << "1000"
                              << "1k" << si;
        QTest::newRow("1500") << "1500"
                              << "1500" << si;
        QTest::newRow("1000M") << "1000M"
                               << "1G" << si;
        QTest::newRow("1.5Gi") << "1.5Gi"
                               << "1536Mi" << bin;
        QTest::newRow("1024Mi") << "1024Mi"
                                << "1Gi" << bin;
        QTest::newRow("1Ki") << "1Ki"
                             << "1Ki" << bin;
        QTest::newRow("128974848") << "128974848"
                                   << "128974848" << si;
        QTest::newRow("129e6") << "129e6"
                               << "129e6" << exp;
        QTest::newRow("12e6") << "12e6"
                              << "12e6" << exp;
        QTest::newRow("1e3") << "1e3"
                             << "1e3" << exp;
        // Kept verbatim by upstream's fast path.
        QTest::newRow("1E3") << "1E3"
                             << "1E3" << exp;
        QTest::newRow("1.500k") << "1.500k"
                                << "1.500k" << si;
        QTest::newRow("+1Ki") << "+1Ki"
                              << "+1Ki" << bin;
        // Not kept: trailing 000 or a leading zero.
        QTest::newRow("1.000k") << "1.000k"
                                << "1k" << si;
        QTest::newRow("leading zero kept") << "0100m"
                                           << "0100m" << si;
        QTest::newRow("0.100") << "0.100"
                               << "100m" << si;
        QTest::newRow("1.2e3") << "1.2e3"
                               << "1200" << exp;
        QTest::newRow("1.3E+6") << "1.3E+6"
                                << "1300e3" << exp;
        QTest::newRow("0.5e-1") << "0.5e-1"
                                << "50e-3" << exp;
        QTest::newRow("0.5Ki") << "0.5Ki"
                               << "512" << bin;
        QTest::newRow("1n") << "1n"
                            << "1n" << si;
        QTest::newRow("rounds up to 1n") << "0.0000000001"
                                         << "1n" << si;
        QTest::newRow("0.0000000005") << "0.0000000005"
                                      << "1n" << si;
        QTest::newRow("3.001n") << "3.001n"
                                << "4n" << si;
        QTest::newRow("1.1E-9") << "1.1E-9"
                                << "2e-9" << exp;
        QTest::newRow("0.00000012345") << "0.00000012345"
                                       << "124n" << si;
        QTest::newRow("-0.00000012345") << "-0.00000012345"
                                        << "-124n" << si;
        QTest::newRow(".001Ki") << ".001Ki"
                                << "1024m" << bin;
        QTest::newRow(".000001Ki") << ".000001Ki"
                                   << "1024u" << si;
        QTest::newRow(".000000001Ki") << ".000000001Ki"
                                      << "1024n" << si;
        QTest::newRow("tiny binary becomes decimal") << ".000000000001Ki"
                                                     << "2n" << si;
        QTest::newRow("100.035Ki") << "100.035Ki"
                                   << "102435840m" << bin;
        QTest::newRow("0.05Gi") << "0.05Gi"
                                << "53687091200m" << bin;
        QTest::newRow("10.035M") << "10.035M"
                                 << "10.035M" << si;
        QTest::newRow("10.0350M") << "10.0350M"
                                  << "10035k" << si;
        QTest::newRow("7.123456M") << "7.123456M"
                                   << "7.123456M" << si;
        QTest::newRow("1.") << "1."
                            << "1." << si;
        QTest::newRow("1.G") << "1.G"
                             << "1.G" << si;
        QTest::newRow("1.0G") << "1.0G"
                              << "1G" << si;
        QTest::newRow(".001") << ".001"
                              << "1m" << si;
        QTest::newRow("12E") << "12E"
                             << "12E" << si;
        QTest::newRow("1000E") << "1000E"
                               << "1e21" << si;
        QTest::newRow("1.5e21 decimal") << "1500E"
                                        << "1500E" << si;
        QTest::newRow("9Ei capped") << "9Ei"
                                    << "9223372036854775807" << bin;
        QTest::newRow("huge Ki capped") << "9223372036854775807Ki"
                                        << "9223372036854775807" << bin;
        QTest::newRow("1025") << "1025Ki"
                              << "1025Ki" << bin;
        QTest::newRow("1000Ki") << "1000Ki"
                                << "1000Ki" << bin;
        QTest::newRow("1048576Ki") << "1048576Ki"
                                   << "1Gi" << bin;
        QTest::newRow("beyond int64 decimal") << "123456789012345678901234567890"
                                              << "123456789012345678901234567890" << si;
        QTest::newRow("beyond int64 trailing zeros") << "98765432109876543210000000000"
                                                     << "98765432109876543210G" << si;
        QTest::newRow("beyond E") << "98765432109876543210E"
                                  << "98765432109876543210E" << si;
        QTest::newRow("beyond E with zeros") << "12000000000000000000000E"
                                             << "12e39" << si;
        QTest::newRow("Ki alone is zero upstream") << "Ki"
                                                   << "0" << bin;
        QTest::newRow("dot alone is zero upstream") << "."
                                                    << "0" << si;
    }

    void canonicalString()
    {
        QFETCH(QString, input);
        QFETCH(QString, canonical);
        QFETCH(Quantity::Format, format);
        const auto parsed = Quantity::parse(input.toStdString());
        QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.error().message().c_str());
        QCOMPARE(QString::fromStdString(parsed->toString()), canonical);
        QCOMPARE(parsed->format(), format);
        // The canonical string reads back as the same value and prints the same again.
        const Quantity again = q(canonical.toLatin1().constData());
        QCOMPARE(again, *parsed);
        QCOMPARE(QString::fromStdString(again.toString()), canonical);
    }

    void rejects_data()
    {
        QTest::addColumn<QString>("input");
        for (const char *bad :
             {"",        "1.5.5",  "1 Mi",  " 1",      "1 ",   "1Qi",  "1e", "--1",
              "1.1.M",   "1+1.0M", "0.1mi", "0.1am",   "aoeu", ".5i",  "1i", "-3.01i",
              "-3.01e-", "1K",     "1e3.5", "1e99999", "1Mi5", "0x10", "1,5"}) {
            QTest::newRow(bad) << QString::fromLatin1(bad);
        }
        QTest::newRow("1001 digits") << QString(1001, QLatin1Char('1'));
    }

    void rejects()
    {
        QFETCH(QString, input);
        const auto parsed = Quantity::parse(input.toStdString());
        QVERIFY(!parsed.ok());
        QCOMPARE(parsed.error().code(), Error::Code::Decode);
        QVERIFY(parsed.error().message().find("\"" + input.toStdString() + "\"")
                != std::string::npos);
    }

    void comparison_data()
    {
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::addColumn<int>("expected");
        QTest::newRow("equal zero") << "0"
                                    << "0" << 0;
        QTest::newRow("100m > 50m") << "100m"
                                    << "50m" << 1;
        QTest::newRow("50m < 100m") << "50m"
                                    << "100m" << -1;
        QTest::newRow("10000T > 100Gi") << "10000T"
                                        << "100Gi" << 1;
        QTest::newRow("1Gi == 1024Mi") << "1Gi"
                                       << "1024Mi" << 0;
        QTest::newRow("1k == 1000") << "1k"
                                    << "1000" << 0;
        QTest::newRow("1 == 1000m") << "1"
                                    << "1000m" << 0;
        QTest::newRow("negative") << "-1"
                                  << "1m" << -1;
        QTest::newRow("both negative") << "-2"
                                       << "-1" << -1;
        QTest::newRow("big") << "12E"
                             << "9Ei" << 1;
    }

    void comparison()
    {
        QFETCH(QString, a);
        QFETCH(QString, b);
        QFETCH(int, expected);
        const Quantity x = q(a.toLatin1().constData());
        const Quantity y = q(b.toLatin1().constData());
        const auto order = x <=> y;
        QCOMPARE(order < 0 ? -1 : (order > 0 ? 1 : 0), expected);
        QCOMPARE(x == y, expected == 0);
    }

    void arithmetic_data()
    {
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::addColumn<QString>("sum");
        QTest::addColumn<QString>("difference");
        QTest::newRow("milli") << "100m"
                               << "250m"
                               << "350m"
                               << "-150m";
        QTest::newRow("binary") << "1Gi"
                                << "512Mi"
                                << "1536Mi"
                                << "512Mi";
        QTest::newRow("mixed keeps left format") << "1Gi"
                                                 << "1G"
                                                 << "2073741824"
                                                 << "73741824";
        QTest::newRow("zero takes right format (add)") << "0"
                                                       << "1Gi"
                                                       << "1Gi"
                                                       << "-1Gi";
        QTest::newRow("to zero") << "5"
                                 << "0"
                                 << "5"
                                 << "5";
        QTest::newRow("cancel") << "-3"
                                << "3"
                                << "0"
                                << "-6";
        QTest::newRow("beyond int64") << "9E"
                                      << "9E"
                                      << "18E"
                                      << "0";
    }

    void arithmetic()
    {
        QFETCH(QString, a);
        QFETCH(QString, b);
        QFETCH(QString, sum);
        QFETCH(QString, difference);
        Quantity x = q(a.toLatin1().constData());
        const Quantity y = q(b.toLatin1().constData());
        Quantity s = x;
        s.add(y);
        QCOMPARE(QString::fromStdString(s.toString()), sum);
        x.sub(y);
        QCOMPARE(QString::fromStdString(x.toString()), difference);
    }

    void conversions_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<qlonglong>("value");
        QTest::addColumn<qlonglong>("milli");
        QTest::addColumn<double>("real");
        QTest::newRow("250m") << "250m" << 1LL << 250LL << 0.25;
        QTest::newRow("1.5") << "1.5" << 2LL << 1500LL << 1.5;
        QTest::newRow("-1.5") << "-1.5" << -2LL << -1500LL << -1.5;
        QTest::newRow("1n rounds away from zero") << "1n" << 1LL << 1LL << 1e-9;
        QTest::newRow("1Gi") << "1Gi" << 1073741824LL << 1073741824000LL << 1073741824.0;
        QTest::newRow("saturates") << "12E" << std::numeric_limits<qlonglong>::max()
                                   << std::numeric_limits<qlonglong>::max() << 12e18;
        QTest::newRow("saturates negative") << "-12E" << std::numeric_limits<qlonglong>::min()
                                            << std::numeric_limits<qlonglong>::min() << -12e18;
    }

    void conversions()
    {
        QFETCH(QString, input);
        QFETCH(qlonglong, value);
        QFETCH(qlonglong, milli);
        QFETCH(double, real);
        const Quantity x = q(input.toLatin1().constData());
        QCOMPARE(x.value(), value);
        QCOMPARE(x.milliValue(), milli);
        QCOMPARE(x.toDouble(), real);
    }

    void constructors()
    {
        QCOMPARE(Quantity::fromValue(1000, Quantity::Format::DecimalSI).toString(),
                 std::string("1k"));
        QCOMPARE(Quantity::fromValue(1024, Quantity::Format::BinarySI).toString(),
                 std::string("1Ki"));
        QCOMPARE(Quantity::fromValue(1234000, Quantity::Format::DecimalSI).toString(),
                 std::string("1234k"));
        QCOMPARE(Quantity::fromValue(1000000, Quantity::Format::DecimalExponent).toString(),
                 std::string("1e6"));
        QCOMPARE(Quantity::fromMilliValue(1, Quantity::Format::DecimalSI).toString(),
                 std::string("1m"));
        QCOMPARE(Quantity::fromMilliValue(1024, Quantity::Format::BinarySI).toString(),
                 std::string("1024m"));
        QCOMPARE(Quantity::fromMilliValue(1024 * 1024, Quantity::Format::BinarySI).toString(),
                 std::string("1048576m"));
        QCOMPARE(Quantity::fromValue(std::numeric_limits<std::int64_t>::min(),
                                     Quantity::Format::DecimalSI)
                     .toString(),
                 std::string("-9223372036854775808"));
        QCOMPARE(Quantity().toString(), std::string("0"));
    }

    void negateDropsSpelling()
    {
        Quantity x = q("+1Ki");
        x.negate();
        QCOMPARE(x.toString(), std::string("-1Ki"));
        x.negate();
        QCOMPARE(x.toString(), std::string("1Ki"));
    }
};

QTEST_APPLESS_MAIN(tst_Quantity)
#include "tst_quantity.moc"
