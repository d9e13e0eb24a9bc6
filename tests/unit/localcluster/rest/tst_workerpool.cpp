// The API server's worker pool: every task runs, at most maxRunning compute at once, and a task
// waiting for a storage commit gives its slot to the next task.

#include <localcluster/apiserver/rest/workerpool.h>
#include <localcluster/storage/store.h>

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>

using namespace kd::lc;

class tst_WorkerPool : public QObject
{
    Q_OBJECT

private slots:
    void runsEveryTaskInOrderOfPosting();
    void limitsTasksComputingAtOnce();
    void commitWaitsLetOtherTasksRun();
    void refusesTasksOnceStopped();
};

void tst_WorkerPool::runsEveryTaskInOrderOfPosting()
{
    std::mutex mutex;
    std::vector<int> order;
    {
        apiserver::WorkerPool pool(1, 1);
        for (int i = 0; i < 100; ++i) {
            QVERIFY(pool.post([&, i] {
                std::lock_guard lock(mutex);
                order.push_back(i);
            }));
        }
    } // the destructor runs what is queued
    QCOMPARE(order.size(), std::size_t(100));
    QVERIFY(std::is_sorted(order.begin(), order.end()));
}

void tst_WorkerPool::limitsTasksComputingAtOnce()
{
    std::mutex mutex;
    std::condition_variable changed;
    int inside = 0;
    int mostInside = 0;
    bool release = false;
    apiserver::WorkerPool pool(8, 2);
    for (int i = 0; i < 6; ++i) {
        pool.post([&] {
            std::unique_lock lock(mutex);
            ++inside;
            mostInside = std::max(mostInside, inside);
            changed.notify_all();
            changed.wait(lock, [&] { return release; });
            --inside;
            changed.notify_all();
        });
    }
    std::unique_lock lock(mutex);
    QVERIFY(changed.wait_for(lock, std::chrono::seconds(10), [&] { return inside == 2; }));
    // Six threads are free, but only two tasks may compute; the others wait their turn.
    lock.unlock();
    QTest::qWait(100);
    lock.lock();
    QCOMPARE(inside, 2);
    release = true;
    changed.notify_all();
    QVERIFY(changed.wait_for(lock, std::chrono::seconds(10), [&] { return inside == 0; }));
    QCOMPARE(mostInside, 2);
}

void tst_WorkerPool::commitWaitsLetOtherTasksRun()
{
    QTemporaryDir dir;
    storage::StoreOptions options;
    options.dataDir = dir.path().toStdString();
    auto store = storage::Store::open(options);
    QVERIFY(store.ok());
    std::atomic<int> inside{0};
    std::atomic<int> mostInside{0};
    std::atomic<int> failures{0};
    std::mutex mutex;
    std::condition_variable finished;
    int done = 0;
    {
        // One computing slot for four tasks that mostly wait for commits: if waiting held the
        // slot, they would run one after another.
        apiserver::WorkerPool pool(4, 1);
        for (int task = 0; task < 4; ++task) {
            pool.post([&, task] {
                const int now = ++inside;
                int most = mostInside.load();
                while (now > most && !mostInside.compare_exchange_weak(most, now)) {}
                for (int i = 0; i < 20; ++i) {
                    const std::string name = "cm-" + std::to_string(task) + "-" + std::to_string(i);
                    const nlohmann::json object
                        = {{"metadata", {{"name", name}, {"namespace", "default"}}}};
                    if (!(*store)->create({{"", "configmaps"}, "default", name}, object).ok())
                        ++failures;
                }
                --inside;
                std::lock_guard lock(mutex);
                ++done;
                finished.notify_all();
            });
        }
        // Wait here: stopping the pool runs what is queued regardless of the limit.
        std::unique_lock lock(mutex);
        QVERIFY(finished.wait_for(lock, std::chrono::seconds(30), [&] { return done == 4; }));
    }
    QCOMPARE(failures.load(), 0);
    QCOMPARE((*store)->objectCount(), std::size_t(80));
    QVERIFY2(mostInside.load() > 1, "tasks waiting for commits kept the only slot");
}

void tst_WorkerPool::refusesTasksOnceStopped()
{
    apiserver::WorkerPool pool(2, 2);
    pool.stop();
    bool ran = false;
    QVERIFY(!pool.post([&] { ran = true; }));
    QVERIFY(!ran);
}

QTEST_GUILESS_MAIN(tst_WorkerPool)
#include "tst_workerpool.moc"
