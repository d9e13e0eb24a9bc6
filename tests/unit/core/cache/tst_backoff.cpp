// moc cannot parse some C++20 library headers; it only needs the Q_OBJECT class.
#ifndef Q_MOC_RUN
#include <core/cache/backoff.h>

#include <QTest>
#endif

using kd::core::cache::Backoff;
using std::chrono::milliseconds;

class TestBackoff final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void doublesUpToTheCap()
    {
        Backoff::Options options;
        options.initial = milliseconds(100);
        options.max = milliseconds(1000);
        options.jitter = 0.0;
        Backoff backoff(options);
        const long long expected[] = {100, 200, 400, 800, 1000, 1000};
        for (const long long delay : expected)
            QCOMPARE(backoff.next().count(), delay);
        backoff.reset();
        QCOMPARE(backoff.next().count(), 100LL);
    }

    void jitterOnlyAddsWithinItsFraction()
    {
        Backoff::Options options;
        options.initial = milliseconds(100);
        options.max = milliseconds(100);
        options.jitter = 0.5;
        Backoff backoff(options);
        for (int i = 0; i < 200; ++i) {
            const auto delay = backoff.next().count();
            QVERIFY2(delay >= 100 && delay <= 150, qPrintable(QString::number(delay)));
        }
    }

    // A failure long after the previous one (a stable period) starts from the initial delay.
    void stablePeriodResetsTheDelay()
    {
        Backoff::Options options;
        options.initial = milliseconds(100);
        options.max = milliseconds(1000);
        options.resetAfter = milliseconds(0);
        options.jitter = 0.0;
        Backoff backoff(options);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(backoff.next().count(), 100LL);
    }
};

QTEST_GUILESS_MAIN(TestBackoff)
#include "tst_backoff.moc"
