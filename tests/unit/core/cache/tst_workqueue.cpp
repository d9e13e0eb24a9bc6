// moc cannot parse some C++20 library headers; it only needs the Q_OBJECT class.
#ifndef Q_MOC_RUN
#include <core/cache/ratelimiter.h>
#include <core/cache/workqueue.h>

#include <QTest>

#include <atomic>
#include <thread>
#endif

using namespace kd::core::cache;
using kd::core::api::ObjectKey;
using std::chrono::milliseconds;

namespace {

ObjectKey key(const char *name)
{
    return ObjectKey{"default", name};
}

// A limiter without delays, so queue semantics are tested on their own.
class NoDelay final : public RateLimiter
{
public:
    milliseconds when(const ObjectKey &) override { return milliseconds(0); }
    void forget(const ObjectKey &) override {}
    int numRequeues(const ObjectKey &) const override { return 0; }
};

} // namespace

class TestWorkQueue final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void duplicateAddsAreQueuedOnce()
    {
        WorkQueue queue(std::make_unique<NoDelay>());
        queue.add(key("a"));
        queue.add(key("b"));
        queue.add(key("a"));
        QCOMPARE(queue.length(), 2);
        QCOMPARE(queue.get()->name, std::string("a"));
        QCOMPARE(queue.get()->name, std::string("b"));
        QCOMPARE(queue.length(), 0);
    }

    // A key re-added while a worker holds it is not handed to a second worker, but processed
    // again after done().
    void keyAddedDuringProcessingComesBackAfterDone()
    {
        WorkQueue queue(std::make_unique<NoDelay>());
        queue.add(key("a"));
        const auto first = queue.get();
        QVERIFY(first);
        queue.add(key("a"));
        queue.add(key("a"));
        QCOMPARE(queue.length(), 0);
        queue.done(*first);
        QCOMPARE(queue.length(), 1);
        const auto again = queue.get();
        QVERIFY(again);
        QCOMPARE(again->name, std::string("a"));
        queue.done(*again);
        QCOMPARE(queue.length(), 0);
    }

    void doneWithoutReAddDoesNotRequeue()
    {
        WorkQueue queue(std::make_unique<NoDelay>());
        queue.add(key("a"));
        queue.done(*queue.get());
        QCOMPARE(queue.length(), 0);
    }

    void exponentialBackoffGrowsAndForgetResets()
    {
        ItemExponentialRateLimiter limiter(milliseconds(5), milliseconds(1000 * 1000));
        const milliseconds expected[] = {milliseconds(5),  milliseconds(10), milliseconds(20),
                                         milliseconds(40), milliseconds(80), milliseconds(160)};
        for (const auto delay : expected)
            QCOMPARE(limiter.when(key("a")).count(), delay.count());
        QCOMPARE(limiter.numRequeues(key("a")), 6);
        // Other keys have their own history.
        QCOMPARE(limiter.when(key("b")).count(), milliseconds(5).count());
        limiter.forget(key("a"));
        QCOMPARE(limiter.numRequeues(key("a")), 0);
        QCOMPARE(limiter.when(key("a")).count(), milliseconds(5).count());
    }

    void exponentialBackoffIsCapped()
    {
        ItemExponentialRateLimiter limiter;
        milliseconds last{0};
        for (int i = 0; i < 200; ++i)
            last = limiter.when(key("a"));
        QCOMPARE(last.count(), milliseconds(1000 * 1000).count());
    }

    void tokenBucketSpreadsBursts()
    {
        auto now = std::chrono::steady_clock::time_point();
        TokenBucketRateLimiter limiter(10.0, 3, [&now] { return now; });
        // The burst passes at once, then one token every 100 ms.
        QCOMPARE(limiter.when(key("a")).count(), 0);
        QCOMPARE(limiter.when(key("b")).count(), 0);
        QCOMPARE(limiter.when(key("c")).count(), 0);
        QCOMPARE(limiter.when(key("d")).count(), 100);
        QCOMPARE(limiter.when(key("e")).count(), 200);
        now += std::chrono::seconds(10);
        QCOMPARE(limiter.when(key("f")).count(), 0);
    }

    void defaultLimiterTakesTheLongerDelay()
    {
        auto limiter = defaultControllerRateLimiter();
        QCOMPARE(limiter->when(key("a")).count(), 5);
        QCOMPARE(limiter->when(key("a")).count(), 10);
        QCOMPARE(limiter->numRequeues(key("a")), 2);
        limiter->forget(key("a"));
        QCOMPARE(limiter->numRequeues(key("a")), 0);
    }

    void rateLimitedAddArrivesAfterItsDelay()
    {
        WorkQueue queue(
            std::make_unique<ItemExponentialRateLimiter>(milliseconds(20), milliseconds(1000)));
        queue.addRateLimited(key("a"));
        QCOMPARE(queue.numRequeues(key("a")), 1);
        // Not queued at once: it waits on the queue's timer.
        QCOMPARE(queue.length(), 0);
        const auto item = queue.get();
        QVERIFY(item);
        QCOMPARE(item->name, std::string("a"));
        queue.done(*item);
        queue.forget(key("a"));
        QCOMPARE(queue.numRequeues(key("a")), 0);
    }

    void shutDownWakesBlockedWorkers()
    {
        WorkQueue queue(std::make_unique<NoDelay>());
        std::atomic<int> finished{0};
        std::thread worker([&] {
            while (auto item = queue.get())
                queue.done(*item);
            ++finished;
        });
        queue.shutDown();
        worker.join();
        QCOMPARE(finished.load(), 1);
        queue.add(key("late"));
        QCOMPARE(queue.length(), 0);
        QVERIFY(queue.isShuttingDown());
    }

    void shutDownWithDrainProcessesWhatIsQueued()
    {
        WorkQueue queue(std::make_unique<NoDelay>());
        for (const char *name : {"a", "b", "c", "d"})
            queue.add(key(name));
        std::atomic<int> processed{0};
        std::thread worker([&] {
            while (auto item = queue.get()) {
                ++processed;
                queue.done(*item);
            }
        });
        queue.shutDownWithDrain();
        worker.join();
        QCOMPARE(processed.load(), 4);
    }

    void concurrentWorkersNeverShareAKey()
    {
        WorkQueue queue(std::make_unique<NoDelay>());
        std::atomic<int> inside{0};
        std::atomic<bool> overlap{false};
        std::atomic<int> processed{0};
        auto work = [&] {
            while (auto item = queue.get()) {
                if (inside.fetch_add(1) != 0)
                    overlap = true;
                std::this_thread::yield();
                inside.fetch_sub(1);
                ++processed;
                queue.done(*item);
            }
        };
        std::thread one(work);
        std::thread two(work);
        for (int i = 0; i < 2000; ++i)
            queue.add(key("same"));
        queue.shutDownWithDrain();
        one.join();
        two.join();
        QVERIFY(!overlap.load());
        QVERIFY(processed.load() >= 1);
    }
};

QTEST_GUILESS_MAIN(TestWorkQueue)
#include "tst_workqueue.moc"
