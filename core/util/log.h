#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

namespace kd::core::util {

// Log levels, most severe first. A message is emitted when its level is <= the sink's threshold.
enum class LogLevel { Error, Warning, Info, Debug, Trace };

// One line of the log: category is the subsystem ("kd.transport", "kd.lc.storage").
struct LogRecord
{
    LogLevel level;
    std::string_view category;
    std::string_view message;
};

// The process-wide log sink. Each program installs its writer once at start-up (the IDE forwards
// to Qt's message handler, the cluster writes to stderr); until then records go to stderr.
// Thresholds are per category with a default; all functions are thread-safe.
namespace log {

using Writer = std::function<void(const LogRecord &)>;

void setWriter(Writer writer);
void setDefaultLevel(LogLevel level);
// Overrides the threshold for one category, or for every category starting with "prefix." when
// the name ends in ".*" ("kd.transport.*").
void setCategoryLevel(std::string category, LogLevel level);
bool enabled(LogLevel level, std::string_view category);
void write(LogLevel level, std::string_view category, std::string_view message);

// Parses "error", "warning", "info", "debug", "trace"; false when unknown.
bool parseLevel(std::string_view text, LogLevel &level);
const char *levelName(LogLevel level);
// The default stderr format: "2026-11-29T04:47:54.123Z I kd.category: message".
std::string formatLine(const LogRecord &record);

} // namespace log

// A named category, declared once per subsystem: `static const LogCategory
// lcStorage{"kd.lc.storage"};` Messages are only formatted when enabled: `lcStorage.debug([&] {
// return "opened " + path; });`
class LogCategory final
{
public:
    constexpr explicit LogCategory(std::string_view name)
        : m_name(name)
    {}
    std::string_view name() const { return m_name; }

    bool enabled(LogLevel level) const { return log::enabled(level, m_name); }
    void error(std::string_view message) const { log::write(LogLevel::Error, m_name, message); }
    void warning(std::string_view message) const { log::write(LogLevel::Warning, m_name, message); }
    void info(std::string_view message) const { log::write(LogLevel::Info, m_name, message); }
    void debug(std::string_view message) const { log::write(LogLevel::Debug, m_name, message); }

    template<typename MakeMessage>
    requires std::is_invocable_v<MakeMessage>
    void debug(MakeMessage &&make) const
    {
        if (enabled(LogLevel::Debug))
            log::write(LogLevel::Debug, m_name, make());
    }
    template<typename MakeMessage>
    requires std::is_invocable_v<MakeMessage>
    void trace(MakeMessage &&make) const
    {
        if (enabled(LogLevel::Trace))
            log::write(LogLevel::Trace, m_name, make());
    }

private:
    std::string_view m_name;
};

} // namespace kd::core::util
