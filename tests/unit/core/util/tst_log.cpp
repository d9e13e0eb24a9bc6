#include <core/util/log.h>

#include <QTest>

#include <mutex>
#include <thread>
#include <vector>

namespace klog = kd::core::util::log;
using kd::core::util::LogCategory;
using kd::core::util::LogLevel;
using kd::core::util::LogRecord;

Q_DECLARE_METATYPE(LogLevel)

namespace {

struct Captured
{
    LogLevel level;
    std::string category;
    std::string message;
};

// Collects what reaches the sink; the sink may call it from several threads.
struct Capture
{
    std::mutex mutex;
    std::vector<Captured> records;

    void install()
    {
        klog::setWriter([this](const LogRecord &record) {
            std::lock_guard lock(mutex);
            records.push_back(
                {record.level, std::string(record.category), std::string(record.message)});
        });
    }
};

} // namespace

class tst_Log : public QObject
{
    Q_OBJECT

private slots:
    void init() { klog::setDefaultLevel(LogLevel::Info); }
    void cleanup() { klog::setWriter(nullptr); }

    void parseLevel_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<LogLevel>("level");
        QTest::newRow("error") << "error" << true << LogLevel::Error;
        QTest::newRow("warning") << "warning" << true << LogLevel::Warning;
        QTest::newRow("info") << "info" << true << LogLevel::Info;
        QTest::newRow("debug") << "debug" << true << LogLevel::Debug;
        QTest::newRow("trace") << "trace" << true << LogLevel::Trace;
        QTest::newRow("unknown") << "verbose" << false << LogLevel::Info;
        QTest::newRow("empty") << "" << false << LogLevel::Info;
    }

    void parseLevel()
    {
        QFETCH(QString, text);
        QFETCH(bool, ok);
        QFETCH(LogLevel, level);
        LogLevel parsed = LogLevel::Info;
        QCOMPARE(klog::parseLevel(text.toStdString(), parsed), ok);
        QCOMPARE(parsed, level);
        if (ok)
            QCOMPARE(QString::fromLatin1(klog::levelName(level)), text);
    }

    void thresholds()
    {
        klog::setCategoryLevel("kd.test.a.*", LogLevel::Debug);
        klog::setCategoryLevel("kd.test.a.quiet.*", LogLevel::Error);
        klog::setCategoryLevel("kd.test.exact", LogLevel::Trace);

        QVERIFY(klog::enabled(LogLevel::Info, "kd.other"));
        QVERIFY(!klog::enabled(LogLevel::Debug, "kd.other"));
        QVERIFY(klog::enabled(LogLevel::Debug, "kd.test.a.storage"));
        QVERIFY(klog::enabled(LogLevel::Debug, "kd.test.a"));
        QVERIFY(!klog::enabled(LogLevel::Trace, "kd.test.a.storage"));
        // The longer prefix wins.
        QVERIFY(!klog::enabled(LogLevel::Warning, "kd.test.a.quiet.x"));
        QVERIFY(klog::enabled(LogLevel::Error, "kd.test.a.quiet.x"));
        // "kd.test.a.*" does not cover "kd.test.ab".
        QVERIFY(!klog::enabled(LogLevel::Debug, "kd.test.ab"));
        QVERIFY(klog::enabled(LogLevel::Trace, "kd.test.exact"));
        QVERIFY(!klog::enabled(LogLevel::Debug, "kd.test.exact.child"));

        klog::setDefaultLevel(LogLevel::Error);
        QVERIFY(!klog::enabled(LogLevel::Warning, "kd.other"));
        QVERIFY(klog::enabled(LogLevel::Debug, "kd.test.a.storage"));
    }

    void writerReceivesOnlyEnabledRecords()
    {
        Capture capture;
        capture.install();
        const LogCategory category("kd.test.writer");
        bool formatted = false;
        category.debug([&] {
            formatted = true;
            return std::string("hidden");
        });
        QVERIFY(!formatted); // disabled messages are never built
        category.info("shown");
        category.warning("warned");
        QCOMPARE(capture.records.size(), size_t(2));
        QCOMPARE(capture.records[0].message, std::string("shown"));
        QCOMPARE(capture.records[0].category, std::string("kd.test.writer"));
        QCOMPARE(capture.records[1].level, LogLevel::Warning);
    }

    void concurrentWritersLoseNothing()
    {
        Capture capture;
        capture.install();
        const LogCategory category("kd.test.threads");
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 500; ++i) {
                    category.info("t" + std::to_string(t));
                    if (i % 50 == 0)
                        klog::setCategoryLevel("kd.test.unrelated", LogLevel::Debug);
                }
            });
        }
        for (std::thread &thread : threads)
            thread.join();
        QCOMPARE(capture.records.size(), size_t(2000));
    }

    void formatLine()
    {
        const std::string line = klog::formatLine({LogLevel::Warning, "kd.cat", "hello world"});
        // 2026-11-29T04:47:54.123Z W kd.cat: hello world
        QCOMPARE(line.size(), size_t(24 + 1 + 1 + 1 + 6 + 2 + 11));
        QCOMPARE(line[4], '-');
        QCOMPARE(line[10], 'T');
        QCOMPARE(line[19], '.');
        QCOMPARE(line[23], 'Z');
        QCOMPARE(line.substr(24), std::string(" W kd.cat: hello world"));
        QCOMPARE(klog::formatLine({LogLevel::Error, "c", "m"}).substr(24), std::string(" E c: m"));
        QCOMPARE(klog::formatLine({LogLevel::Trace, "c", "m"}).substr(24), std::string(" T c: m"));
    }
};

QTEST_APPLESS_MAIN(tst_Log)
#include "tst_log.moc"
