#include "log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>

namespace kd::core::util::log {

namespace {

// The sink's state. Readers (enabled/write) vastly outnumber writers (configuration at start-up),
// hence the shared mutex.
struct Sink
{
    std::shared_mutex mutex;
    std::shared_ptr<const Writer> writer; // null: the default stderr writer
    LogLevel defaultLevel = LogLevel::Info;
    std::map<std::string, LogLevel, std::less<>> exact;
    // Keyed by the prefix including its trailing dot ("kd.transport.").
    std::map<std::string, LogLevel, std::less<>> prefixes;
};

Sink &sink()
{
    // Leaked on purpose: records may be written from static destructors and detached threads.
    static Sink *instance = new Sink;
    return *instance;
}

LogLevel thresholdLocked(const Sink &s, std::string_view category)
{
    if (auto it = s.exact.find(category); it != s.exact.end())
        return it->second;
    // The longest matching prefix wins, so "kd.lc.storage.*" overrides "kd.lc.*".
    const LogLevel *best = nullptr;
    std::size_t bestLength = 0;
    for (const auto &[prefix, level] : s.prefixes) {
        const bool matches = category.starts_with(prefix)
                             // "kd.transport.*" also covers "kd.transport" itself.
                             || category == std::string_view(prefix).substr(0, prefix.size() - 1);
        if (matches && prefix.size() > bestLength) {
            best = &level;
            bestLength = prefix.size();
        }
    }
    return best ? *best : s.defaultLevel;
}

void writeToStderr(const LogRecord &record)
{
    std::string line = formatLine(record);
    line.push_back('\n');
    // One fwrite per line keeps lines from different threads from interleaving.
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

} // namespace

void setWriter(Writer writer)
{
    auto shared = writer ? std::make_shared<const Writer>(std::move(writer)) : nullptr;
    Sink &s = sink();
    std::unique_lock lock(s.mutex);
    s.writer = std::move(shared);
}

void setDefaultLevel(LogLevel level)
{
    Sink &s = sink();
    std::unique_lock lock(s.mutex);
    s.defaultLevel = level;
}

void setCategoryLevel(std::string category, LogLevel level)
{
    Sink &s = sink();
    std::unique_lock lock(s.mutex);
    if (category.ends_with(".*")) {
        category.pop_back(); // keep the dot
        s.prefixes[std::move(category)] = level;
    } else {
        s.exact[std::move(category)] = level;
    }
}

bool enabled(LogLevel level, std::string_view category)
{
    Sink &s = sink();
    std::shared_lock lock(s.mutex);
    return level <= thresholdLocked(s, category);
}

void write(LogLevel level, std::string_view category, std::string_view message)
{
    std::shared_ptr<const Writer> writer;
    {
        Sink &s = sink();
        std::shared_lock lock(s.mutex);
        if (level > thresholdLocked(s, category))
            return;
        writer = s.writer;
    }
    // Called outside the lock so that a writer may itself log or reconfigure the sink.
    const LogRecord record{level, category, message};
    if (writer)
        (*writer)(record);
    else
        writeToStderr(record);
}

bool parseLevel(std::string_view text, LogLevel &level)
{
    static constexpr std::pair<std::string_view, LogLevel> kNames[] = {
        {"error", LogLevel::Error}, {"warning", LogLevel::Warning}, {"info", LogLevel::Info},
        {"debug", LogLevel::Debug}, {"trace", LogLevel::Trace},
    };
    for (const auto &[name, value] : kNames) {
        if (text == name) {
            level = value;
            return true;
        }
    }
    return false;
}

const char *levelName(LogLevel level)
{
    switch (level) {
    case LogLevel::Error:
        return "error";
    case LogLevel::Warning:
        return "warning";
    case LogLevel::Info:
        return "info";
    case LogLevel::Debug:
        return "debug";
    case LogLevel::Trace:
        return "trace";
    }
    return "unknown";
}

std::string formatLine(const LogRecord &record)
{
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    const std::time_t seconds = system_clock::to_time_t(now);
    std::tm utc{};
    gmtime_r(&seconds, &utc);

    char stamp[80];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                  static_cast<int>(millis));

    static constexpr char kLetters[] = {'E', 'W', 'I', 'D', 'T'};
    std::string line;
    line.reserve(32 + record.category.size() + record.message.size());
    line += stamp;
    line += ' ';
    line += kLetters[static_cast<int>(record.level)];
    line += ' ';
    line += record.category;
    line += ": ";
    line += record.message;
    return line;
}

} // namespace kd::core::util::log
