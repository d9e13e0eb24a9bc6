#include "time.h"

#include <cstdint>
#include <cstdio>

namespace kd::core::util {

namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;

// Days since 1970-01-01 to a proleptic Gregorian date and back (the era-based algorithm: 400-year
// eras of 146097 days make the arithmetic exact for negative years too).
struct CivilDate
{
    std::int64_t year;
    unsigned month;
    unsigned day;
};

CivilDate civilFromDays(std::int64_t z)
{
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
    return {y, m, d};
}

std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool isLeapYear(std::int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned daysInMonth(std::int64_t y, unsigned m)
{
    static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && isLeapYear(y) ? 29 : kDays[m - 1];
}

// "YYYY-MM-DDTHH:MM:SS" of the second containing t (floor, so times before 1970 stay correct),
// plus the nanoseconds into that second.
std::string formatSeconds(TimePoint t, std::int64_t &nanosOut)
{
    const std::int64_t total
        = std::chrono::duration_cast<nanoseconds>(t.time_since_epoch()).count();
    std::int64_t secs = total / 1'000'000'000;
    std::int64_t nanos = total % 1'000'000'000;
    if (nanos < 0) {
        nanos += 1'000'000'000;
        --secs;
    }
    std::int64_t days = secs / 86400;
    std::int64_t secOfDay = secs % 86400;
    if (secOfDay < 0) {
        secOfDay += 86400;
        --days;
    }
    const CivilDate date = civilFromDays(days);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02d:%02d:%02d",
                  static_cast<long long>(date.year), date.month, date.day,
                  static_cast<int>(secOfDay / 3600), static_cast<int>(secOfDay / 60 % 60),
                  static_cast<int>(secOfDay % 60));
    nanosOut = nanos;
    return buffer;
}

std::string nineDigits(std::int64_t nanos)
{
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%09lld", static_cast<long long>(nanos));
    return buffer;
}

Error decodeError(std::string_view text, const char *what)
{
    return Error(Error::Code::Decode,
                 "invalid RFC 3339 time \"" + std::string(text) + "\": " + what);
}

// Reads exactly `count` digits at `pos`.
bool readDigits(std::string_view text, std::size_t &pos, int count, int &value)
{
    if (pos + static_cast<std::size_t>(count) > text.size())
        return false;
    value = 0;
    for (int i = 0; i < count; ++i) {
        const char c = text[pos + static_cast<std::size_t>(i)];
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + (c - '0');
    }
    pos += static_cast<std::size_t>(count);
    return true;
}

bool expect(std::string_view text, std::size_t &pos, char c)
{
    if (pos >= text.size() || text[pos] != c)
        return false;
    ++pos;
    return true;
}

} // namespace

std::string formatRfc3339(TimePoint t)
{
    std::int64_t nanos = 0;
    return formatSeconds(t, nanos) + "Z";
}

std::string formatRfc3339Micro(TimePoint t)
{
    std::int64_t nanos = 0;
    std::string text = formatSeconds(t, nanos);
    text += '.';
    text += nineDigits(nanos).substr(0, 6);
    text += 'Z';
    return text;
}

std::string formatRfc3339Nano(TimePoint t)
{
    std::int64_t nanos = 0;
    std::string text = formatSeconds(t, nanos);
    if (nanos != 0) {
        std::string fraction = nineDigits(nanos);
        fraction.erase(fraction.find_last_not_of('0') + 1);
        text += '.';
        text += fraction;
    }
    text += 'Z';
    return text;
}

Result<TimePoint> parseRfc3339(std::string_view text)
{
    std::size_t pos = 0;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!readDigits(text, pos, 4, year) || !expect(text, pos, '-')
        || !readDigits(text, pos, 2, month) || !expect(text, pos, '-')
        || !readDigits(text, pos, 2, day) || !expect(text, pos, 'T')
        || !readDigits(text, pos, 2, hour) || !expect(text, pos, ':')
        || !readDigits(text, pos, 2, minute) || !expect(text, pos, ':')
        || !readDigits(text, pos, 2, second)) {
        return decodeError(text, "expected YYYY-MM-DDTHH:MM:SS");
    }
    if (month < 1 || month > 12)
        return decodeError(text, "month out of range");
    if (day < 1 || static_cast<unsigned>(day) > daysInMonth(year, static_cast<unsigned>(month)))
        return decodeError(text, "day out of range");
    if (hour > 23 || minute > 59 || second > 59)
        return decodeError(text, "time of day out of range");

    std::int64_t nanos = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            // Digits beyond the ninth are dropped, as Go does.
            if (digits < 9)
                nanos = nanos * 10 + (text[pos] - '0');
            ++digits;
            ++pos;
        }
        if (digits == 0)
            return decodeError(text, "expected digits after '.'");
        for (int i = digits; i < 9; ++i)
            nanos *= 10;
    }

    std::int64_t offsetSeconds = 0;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const bool negative = text[pos] == '-';
        ++pos;
        int offsetHours = 0, offsetMinutes = 0;
        if (!readDigits(text, pos, 2, offsetHours) || !expect(text, pos, ':')
            || !readDigits(text, pos, 2, offsetMinutes)) {
            return decodeError(text, "expected a zone offset ±hh:mm");
        }
        if (offsetHours > 23 || offsetMinutes > 59)
            return decodeError(text, "zone offset out of range");
        offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (negative ? -1 : 1);
    } else {
        return decodeError(text, "expected 'Z' or a zone offset");
    }
    if (pos != text.size())
        return decodeError(text, "extra text after the time");

    const std::int64_t days
        = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds;
    // A time point holds int64 nanoseconds: about 1677-09-21 to 2262-04-11.
    constexpr std::int64_t kLimit = INT64_MAX / 1'000'000'000 - 1;
    if (secs < -kLimit || secs > kLimit)
        return decodeError(text, "year out of the supported range");
    return TimePoint(
        std::chrono::duration_cast<Clock::duration>(seconds(secs) + nanoseconds(nanos)));
}

std::string humanDuration(std::chrono::nanoseconds d)
{
    using namespace std::chrono;
    // Truncation toward zero, as Go's int(d.Seconds()): up to two seconds of clock skew between
    // client and server still reads as "now".
    const std::int64_t secs = duration_cast<seconds>(d).count();
    if (secs < -1)
        return "<invalid>";
    if (secs < 0)
        return "0s";
    if (secs < 120)
        return std::to_string(secs) + "s";

    const std::int64_t minutes = secs / 60;
    if (minutes < 10) {
        const std::int64_t s = secs % 60;
        return std::to_string(minutes) + "m" + (s == 0 ? "" : std::to_string(s) + "s");
    }
    if (minutes < 60 * 3)
        return std::to_string(minutes) + "m";

    const std::int64_t hours = minutes / 60;
    if (hours < 8) {
        const std::int64_t m = minutes % 60;
        return std::to_string(hours) + "h" + (m == 0 ? "" : std::to_string(m) + "m");
    }
    if (hours < 48)
        return std::to_string(hours) + "h";
    if (hours < 24 * 8) {
        const std::int64_t h = hours % 24;
        return std::to_string(hours / 24) + "d" + (h == 0 ? "" : std::to_string(h) + "h");
    }
    if (hours < 24 * 365 * 2)
        return std::to_string(hours / 24) + "d";
    if (hours < 24 * 365 * 8) {
        const std::int64_t dy = hours / 24 % 365;
        return std::to_string(hours / 24 / 365) + "y" + (dy == 0 ? "" : std::to_string(dy) + "d");
    }
    return std::to_string(hours / 24 / 365) + "y";
}

} // namespace kd::core::util
