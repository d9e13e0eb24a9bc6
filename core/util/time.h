#pragma once

#include <core/util/result.h>

#include <chrono>
#include <string>
#include <string_view>

namespace kd::core::util {

// Times on the wire are RFC 3339 in UTC. Kubernetes uses three spellings: metav1.Time (seconds,
// "2026-11-29T04:47:54Z"), metav1.MicroTime (six fractional digits, events.k8s.io) and Go's
// RFC3339Nano (trailing zeros trimmed; log timestamps). Free functions; any thread.
using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

std::string formatRfc3339(TimePoint t);
std::string formatRfc3339Micro(TimePoint t);
std::string formatRfc3339Nano(TimePoint t);

// Accepts "Z"/"z" or a ±hh:mm offset and any number of fractional digits (truncated to
// nanoseconds), as Go's time.Parse(time.RFC3339Nano) does. Rejects anything else with
// Error::Code::Decode naming the offending text.
Result<TimePoint> parseRfc3339(std::string_view text);

// Kubernetes' short human duration, as kubectl prints ages and durations: "0s", "45s", "3m4s",
// "15m", "5h3m", "2d3h", "45d", "3y12d". Negative durations up to one second print as "0s",
// anything more negative as "<invalid>".
std::string humanDuration(std::chrono::nanoseconds d);

} // namespace kd::core::util
