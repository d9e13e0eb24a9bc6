#include "storetestutil.h"

#include <localcluster/storage/store.h>

#include <nlohmann/json.hpp>

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace kd::lc::storage;
using namespace kd::lc::storage::test;

namespace {

constexpr int kWriterThreads = 4;

// The child: writes forever from several threads and reports each acknowledged write on `fd`
// as one line (a single write() below PIPE_BUF, so lines never interleave). Never returns.
[[noreturn]] void runWriter(const std::string &dataDir, int fd, int round)
{
    StoreOptions options;
    options.dataDir = dataDir;
    auto store = Store::open(options);
    if (!store) {
        const std::string line = "E " + store.error().message() + "\n";
        static_cast<void>(::write(fd, line.data(), line.size()));
        ::_exit(1);
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < kWriterThreads; ++t) {
        threads.emplace_back([&store, fd, round, t] {
            const std::string counter = "counter-" + std::to_string(t);
            for (long i = 0;; ++i) {
                std::string line;
                if (i % 4 == 3) {
                    // Unconditional updates of one object per thread: its acked revisions grow.
                    auto r = store.value()->update(podKey("crash", counter),
                                                   pod("crash", counter, static_cast<int>(i)),
                                                   std::nullopt);
                    if (!r)
                        r = store.value()->create(podKey("crash", counter), pod("crash", counter));
                    if (r)
                        line = "U " + counter + " " + std::to_string(r->revision) + "\n";
                } else {
                    const std::string name = "r" + std::to_string(round) + "-t" + std::to_string(t)
                                             + "-" + std::to_string(i);
                    auto r = store.value()->create(podKey("crash", name), pod("crash", name));
                    if (r)
                        line = "C " + name + " " + std::to_string(r->revision) + "\n";
                }
                if (!line.empty() && ::write(fd, line.data(), line.size()) < 0)
                    ::_exit(2);
            }
        });
    }
    for (auto &thread : threads)
        thread.join();
    ::_exit(0);
}

// Kills the child if a check fails before the test does.
class ChildGuard final
{
public:
    explicit ChildGuard(pid_t pid)
        : m_pid(pid)
    {}
    ~ChildGuard()
    {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
    }
    void reaped() { m_pid = -1; }

private:
    pid_t m_pid;
};

} // namespace

class tst_StoreCrash : public QObject
{
    Q_OBJECT

private slots:
    void acknowledgedWritesSurviveKill();
};

void tst_StoreCrash::acknowledgedWritesSurviveKill()
{
    QTemporaryDir dir;
    const std::string dataDir = dir.path().toStdString() + "/data";
    Revision floor = 0;
    for (int round = 0; round < 4; ++round) {
        int fds[2];
        QCOMPARE(::pipe(fds), 0);
        // Acks to wait for before the kill: anywhere from the first commits to a few thousand.
        const int killAfter = QRandomGenerator::global()->bounded(20, 3000);
        const pid_t pid = ::fork();
        QVERIFY(pid >= 0);
        if (pid == 0) {
            ::close(fds[0]);
            runWriter(dataDir, fds[1], round);
        }
        ::close(fds[1]);
        ChildGuard guard(pid);

        std::string received;
        int lines = 0;
        bool killed = false;
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::read(fds[0], buffer, sizeof(buffer));
            if (n <= 0)
                break; // EOF: the child and all its threads are gone
            received.append(buffer, static_cast<std::size_t>(n));
            lines += static_cast<int>(std::count(buffer, buffer + n, '\n'));
            if (!killed && lines >= killAfter) {
                QCOMPARE(::kill(pid, SIGKILL), 0);
                killed = true;
            }
        }
        ::close(fds[0]);
        int status = 0;
        QCOMPARE(::waitpid(pid, &status, 0), pid);
        guard.reaped();
        QVERIFY2(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                 received.substr(0, 300).c_str());

        // Everything reported before the process died was acknowledged, so must be stored.
        std::map<std::string, Revision> created;
        std::map<std::string, Revision> counters;
        Revision highest = 0;
        std::istringstream in(received);
        std::string kind, name;
        Revision revision = 0;
        while (in >> kind >> name >> revision) {
            QVERIFY2(kind == "C" || kind == "U", received.substr(0, 300).c_str());
            auto &target = kind == "C" ? created : counters;
            target[name] = std::max(target[name], revision);
            highest = std::max(highest, revision);
            QVERIFY2(revision > floor, "a revision was handed out twice across a crash");
        }
        QVERIFY(static_cast<int>(created.size() + counters.size()) > 0);

        StoreOptions options;
        options.dataDir = dataDir;
        auto store = Store::open(options);
        KD_VERIFY_OK(store);
        QVERIFY(store.value()->currentRevision() >= highest);
        for (const auto &[objectName, acked] : created) {
            auto object = store.value()->get(podKey("crash", objectName));
            QVERIFY2(object, ("acknowledged create lost: " + objectName).c_str());
            QCOMPARE(object.value()->modRevision(), acked);
        }
        for (const auto &[objectName, acked] : counters) {
            auto object = store.value()->get(podKey("crash", objectName));
            QVERIFY2(object, ("acknowledged update lost: " + objectName).c_str());
            QVERIFY(object.value()->modRevision() >= acked);
        }
        floor = store.value()->currentRevision();
        qInfo("round %d: %zu acked writes checked, revision %lld", round,
              created.size() + counters.size(), static_cast<long long>(floor));
    }
}

QTEST_APPLESS_MAIN(tst_StoreCrash)

#include "tst_storecrash.moc"
