#include <core/util/time.h>

#include <QTest>

using namespace std::chrono;
using kd::core::util::TimePoint;

namespace {

TimePoint fromNanos(long long nanos)
{
    return TimePoint(duration_cast<TimePoint::duration>(nanoseconds(nanos)));
}

long long toNanos(TimePoint t)
{
    return duration_cast<nanoseconds>(t.time_since_epoch()).count();
}

} // namespace

class tst_Time : public QObject
{
    Q_OBJECT

private slots:
    void format_data()
    {
        QTest::addColumn<qlonglong>("nanos");
        QTest::addColumn<QString>("seconds");
        QTest::addColumn<QString>("micro");
        QTest::addColumn<QString>("nano");
        QTest::newRow("epoch") << 0LL << "1970-01-01T00:00:00Z"
                               << "1970-01-01T00:00:00.000000Z"
                               << "1970-01-01T00:00:00Z";
        // 2026-11-29T04:47:54.123456789Z
        QTest::newRow("full") << 1795927674123456789LL << "2026-11-29T04:47:54Z"
                              << "2026-11-29T04:47:54.123456Z"
                              << "2026-11-29T04:47:54.123456789Z";
        QTest::newRow("trailing zeros trimmed") << 1795927674120000000LL << "2026-11-29T04:47:54Z"
                                                << "2026-11-29T04:47:54.120000Z"
                                                << "2026-11-29T04:47:54.12Z";
        QTest::newRow("leap day") << 951782400000000001LL << "2000-02-29T00:00:00Z"
                                  << "2000-02-29T00:00:00.000000Z"
                                  << "2000-02-29T00:00:00.000000001Z";
        // Truncation, not rounding, and floor for times before 1970.
        QTest::newRow("before epoch") << -1LL << "1969-12-31T23:59:59Z"
                                      << "1969-12-31T23:59:59.999999Z"
                                      << "1969-12-31T23:59:59.999999999Z";
    }

    void format()
    {
        QFETCH(qlonglong, nanos);
        QFETCH(QString, seconds);
        QFETCH(QString, micro);
        QFETCH(QString, nano);
        const TimePoint t = fromNanos(nanos);
        QCOMPARE(QString::fromStdString(kd::core::util::formatRfc3339(t)), seconds);
        QCOMPARE(QString::fromStdString(kd::core::util::formatRfc3339Micro(t)), micro);
        QCOMPARE(QString::fromStdString(kd::core::util::formatRfc3339Nano(t)), nano);
    }

    void parse_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qlonglong>("nanos");
        QTest::newRow("utc") << "2026-11-29T04:47:54Z" << 1795927674000000000LL;
        QTest::newRow("lower z") << "2026-11-29T04:47:54z" << 1795927674000000000LL;
        QTest::newRow("micro") << "2026-11-29T04:47:54.123456Z" << 1795927674123456000LL;
        QTest::newRow("one digit") << "2026-11-29T04:47:54.5Z" << 1795927674500000000LL;
        QTest::newRow("ten digits truncated")
            << "2026-11-29T04:47:54.1234567899Z" << 1795927674123456789LL;
        QTest::newRow("plus offset") << "2026-11-29T06:47:54+02:00" << 1795927674000000000LL;
        QTest::newRow("minus offset") << "2026-11-28T23:17:54.25-05:30" << 1795927674250000000LL;
        QTest::newRow("epoch") << "1970-01-01T00:00:00Z" << 0LL;
        QTest::newRow("before epoch") << "1969-12-31T23:59:59.999999999Z" << -1LL;
    }

    void parse()
    {
        QFETCH(QString, text);
        QFETCH(qlonglong, nanos);
        const auto result = kd::core::util::parseRfc3339(text.toStdString());
        QVERIFY2(result.ok(), result.ok() ? "" : result.error().message().c_str());
        QCOMPARE(toNanos(*result), nanos);
    }

    void parseRejects_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("empty") << "";
        QTest::newRow("date only") << "2026-11-29";
        QTest::newRow("no zone") << "2026-11-29T04:47:54";
        QTest::newRow("space separator") << "2026-11-29 04:47:54Z";
        QTest::newRow("month 13") << "2026-13-01T00:00:00Z";
        QTest::newRow("feb 30") << "2026-02-30T00:00:00Z";
        QTest::newRow("feb 29 non-leap") << "2026-02-29T00:00:00Z";
        QTest::newRow("hour 24") << "2026-11-29T24:00:00Z";
        QTest::newRow("second 60") << "2026-11-29T04:47:60Z";
        QTest::newRow("dot without digits") << "2026-11-29T04:47:54.Z";
        QTest::newRow("short offset") << "2026-11-29T04:47:54+0200";
        QTest::newRow("offset 24h") << "2026-11-29T04:47:54+24:00";
        QTest::newRow("trailing text") << "2026-11-29T04:47:54Zjunk";
        QTest::newRow("two-digit year") << "26-11-29T04:47:54Z";
        QTest::newRow("beyond int64 nanos") << "9999-12-31T23:59:59Z";
    }

    void parseRejects()
    {
        QFETCH(QString, text);
        const auto result = kd::core::util::parseRfc3339(text.toStdString());
        QVERIFY(!result.ok());
        QCOMPARE(result.error().code(), kd::core::util::Error::Code::Decode);
        QVERIFY(result.error().message().find(text.toStdString()) != std::string::npos);
    }

    void roundTrip()
    {
        for (long long nanos : {0LL, 1LL, 999999999LL, 1795927674123456789LL, -86400000000001LL}) {
            const TimePoint t = fromNanos(nanos);
            const auto parsed = kd::core::util::parseRfc3339(kd::core::util::formatRfc3339Nano(t));
            QVERIFY(parsed.ok());
            QCOMPARE(toNanos(*parsed), nanos);
        }
    }

    void humanDuration_data()
    {
        QTest::addColumn<qlonglong>("millis");
        QTest::addColumn<QString>("expected");
        const qlonglong s = 1000, m = 60 * s, h = 60 * m, d = 24 * h, y = 365 * d;
        // The boundaries of apimachinery's duration.HumanDuration.
        QTest::newRow("-2s") << -2 * s << "<invalid>";
        QTest::newRow("-1.999s") << -2 * s + 1 << "0s";
        QTest::newRow("0") << 0LL << "0s";
        QTest::newRow("999ms") << s - 1 << "0s";
        QTest::newRow("1s") << s << "1s";
        QTest::newRow("70s") << 70 * s << "70s";
        QTest::newRow("119.999s") << 2 * m - 1 << "119s";
        QTest::newRow("2m") << 2 * m << "2m";
        QTest::newRow("2m1s") << 2 * m + s << "2m1s";
        QTest::newRow("190s") << 190 * s << "3m10s";
        QTest::newRow("9m59.999s") << 10 * m - 1 << "9m59s";
        QTest::newRow("10m") << 10 * m << "10m";
        QTest::newRow("10m1s") << 10 * m + s << "10m";
        QTest::newRow("70m") << 70 * m << "70m";
        QTest::newRow("3h-1ms") << 3 * h - 1 << "179m";
        QTest::newRow("3h") << 3 * h << "3h";
        QTest::newRow("3h1m") << 3 * h + m << "3h1m";
        QTest::newRow("8h-1ms") << 8 * h - 1 << "7h59m";
        QTest::newRow("8h59m") << 8 * h + 59 * m << "8h";
        QTest::newRow("47h") << 47 * h << "47h";
        QTest::newRow("2d") << 2 * d << "2d";
        QTest::newRow("49h") << 49 * h << "2d1h";
        QTest::newRow("8d-1ms") << 8 * d - 1 << "7d23h";
        QTest::newRow("8d23h") << 8 * d + 23 * h << "8d";
        QTest::newRow("367d") << 367 * d << "367d";
        QTest::newRow("2y-1ms") << 2 * y - 1 << "729d";
        QTest::newRow("2y") << 2 * y << "2y";
        QTest::newRow("2y23h59m") << 2 * y + 23 * h + 59 * m << "2y";
        QTest::newRow("2y1d") << 2 * y + d << "2y1d";
        QTest::newRow("8y-1ms") << 8 * y - 1 << "7y364d";
        QTest::newRow("8y") << 8 * y << "8y";
        QTest::newRow("8y364d") << 8 * y + 364 * d << "8y";
        QTest::newRow("9y") << 9 * y << "9y";
    }

    void humanDuration()
    {
        QFETCH(qlonglong, millis);
        QFETCH(QString, expected);
        QCOMPARE(QString::fromStdString(kd::core::util::humanDuration(milliseconds(millis))),
                 expected);
    }
};

QTEST_APPLESS_MAIN(tst_Time)
#include "tst_time.moc"
