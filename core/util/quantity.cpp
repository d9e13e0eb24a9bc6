#include "quantity.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kd::core::util {

namespace {

using Magnitude = std::vector<std::uint32_t>;

constexpr std::uint32_t kLimbBase = 1'000'000'000;
constexpr int kMaxExponent = 1000;
// Bounds the work for hostile input; real amounts have a few dozen digits at most.
constexpr std::size_t kMaxDigits = 1000;

void trim(Magnitude &m)
{
    while (!m.empty() && m.back() == 0)
        m.pop_back();
}

void mulSmall(Magnitude &m, std::uint32_t factor)
{
    std::uint64_t carry = 0;
    for (std::uint32_t &limb : m) {
        const std::uint64_t v = std::uint64_t(limb) * factor + carry;
        limb = static_cast<std::uint32_t>(v % kLimbBase);
        carry = v / kLimbBase;
    }
    while (carry != 0) {
        m.push_back(static_cast<std::uint32_t>(carry % kLimbBase));
        carry /= kLimbBase;
    }
    trim(m);
}

void addSmall(Magnitude &m, std::uint32_t value)
{
    std::uint64_t carry = value;
    for (std::size_t i = 0; carry != 0; ++i) {
        if (i == m.size())
            m.push_back(0);
        const std::uint64_t v = std::uint64_t(m[i]) + carry;
        m[i] = static_cast<std::uint32_t>(v % kLimbBase);
        carry = v / kLimbBase;
    }
}

// Divides in place and returns the remainder.
std::uint32_t divSmall(Magnitude &m, std::uint32_t divisor)
{
    std::uint64_t remainder = 0;
    for (std::size_t i = m.size(); i-- > 0;) {
        const std::uint64_t v = remainder * kLimbBase + m[i];
        m[i] = static_cast<std::uint32_t>(v / divisor);
        remainder = v % divisor;
    }
    trim(m);
    return static_cast<std::uint32_t>(remainder);
}

std::uint32_t pow10(int n)
{
    std::uint32_t v = 1;
    while (n-- > 0)
        v *= 10;
    return v;
}

void mulPow10(Magnitude &m, int n)
{
    for (; n >= 9; n -= 9)
        m.insert(m.begin(), 0); // one limb is exactly 10^9
    if (n > 0)
        mulSmall(m, pow10(n));
    trim(m);
}

// Divides by 10^n rounding up; "up" is away from zero because magnitudes are unsigned.
void divPow10Ceil(Magnitude &m, int n)
{
    bool inexact = false;
    for (; n >= 9 && !m.empty(); n -= 9) {
        inexact = inexact || m.front() != 0;
        m.erase(m.begin());
    }
    if (n > 0 && !m.empty())
        inexact = divSmall(m, pow10(n)) != 0 || inexact;
    trim(m);
    if (inexact)
        addSmall(m, 1);
}

int compare(const Magnitude &a, const Magnitude &b)
{
    if (a.size() != b.size())
        return a.size() < b.size() ? -1 : 1;
    for (std::size_t i = a.size(); i-- > 0;) {
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

Magnitude addMagnitudes(const Magnitude &a, const Magnitude &b)
{
    Magnitude sum(std::max(a.size(), b.size()) + 1, 0);
    std::uint64_t carry = 0;
    for (std::size_t i = 0; i < sum.size(); ++i) {
        const std::uint64_t v = carry + (i < a.size() ? a[i] : 0) + (i < b.size() ? b[i] : 0);
        sum[i] = static_cast<std::uint32_t>(v % kLimbBase);
        carry = v / kLimbBase;
    }
    trim(sum);
    return sum;
}

// a - b for a >= b.
Magnitude subMagnitudes(const Magnitude &a, const Magnitude &b)
{
    Magnitude diff = a;
    std::int64_t borrow = 0;
    for (std::size_t i = 0; i < diff.size(); ++i) {
        std::int64_t v = std::int64_t(diff[i]) - borrow - (i < b.size() ? b[i] : 0);
        borrow = v < 0 ? 1 : 0;
        if (v < 0)
            v += kLimbBase;
        diff[i] = static_cast<std::uint32_t>(v);
    }
    trim(diff);
    return diff;
}

Magnitude fromDigits(std::string_view digits)
{
    Magnitude m;
    for (std::size_t pos = 0; pos < digits.size();) {
        const std::size_t chunk = std::min<std::size_t>(9, digits.size() - pos);
        std::uint32_t value = 0;
        for (std::size_t i = 0; i < chunk; ++i)
            value = value * 10 + static_cast<std::uint32_t>(digits[pos + i] - '0');
        mulSmall(m, pow10(static_cast<int>(chunk)));
        addSmall(m, value);
        pos += chunk;
    }
    trim(m);
    return m;
}

std::string toDigits(const Magnitude &m)
{
    if (m.empty())
        return "0";
    std::string text = std::to_string(m.back());
    for (std::size_t i = m.size() - 1; i-- > 0;) {
        const std::string limb = std::to_string(m[i]);
        text.append(9 - limb.size(), '0');
        text += limb;
    }
    return text;
}

Magnitude fromUint64(std::uint64_t v)
{
    Magnitude m;
    while (v != 0) {
        m.push_back(static_cast<std::uint32_t>(v % kLimbBase));
        v /= kLimbBase;
    }
    return m;
}

std::uint64_t magnitudeOf(std::int64_t v)
{
    return v < 0 ? std::uint64_t(0) - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
}

// Saturating conversion of a signed magnitude.
std::int64_t toInt64(const Magnitude &m, bool negative)
{
    constexpr std::uint64_t kMax = std::uint64_t(std::numeric_limits<std::int64_t>::max());
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t kMaxSigned = std::numeric_limits<std::int64_t>::max();
    std::uint64_t v = 0;
    for (std::size_t i = m.size(); i-- > 0;) {
        if (__builtin_mul_overflow(v, std::uint64_t(kLimbBase), &v)
            || __builtin_add_overflow(v, std::uint64_t(m[i]), &v)) {
            return negative ? kMin : kMaxSigned;
        }
    }
    if (negative)
        return v > kMax + 1 ? kMin : static_cast<std::int64_t>(std::uint64_t(0) - v);
    return v > kMax ? kMaxSigned : static_cast<std::int64_t>(v);
}

Error decodeError(std::string_view text, const char *why)
{
    return Error(Error::Code::Decode, "invalid quantity \"" + std::string(text) + "\": " + why);
}

struct Parts
{
    bool positive = true;
    std::string_view num; // leading zeros stripped; may be empty (then it means 0)
    std::string_view denom;
    std::string_view suffix;
};

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

// The lexical split of apimachinery's parseQuantityString: [sign] digits [. digits] suffix, where
// the suffix is letters from "eEinumkKMGTP", an optional sign and digits. Inputs without any
// digit ("Ki", ".", "-") are accepted and mean zero, as upstream.
bool splitQuantity(std::string_view s, Parts &parts)
{
    std::size_t pos = 0;
    if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) {
        parts.positive = s[pos] == '+';
        ++pos;
    }
    while (pos < s.size() && s[pos] == '0')
        ++pos;
    std::size_t start = pos;
    while (pos < s.size() && isDigit(s[pos]))
        ++pos;
    parts.num = s.substr(start, pos - start);
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        start = pos;
        while (pos < s.size() && isDigit(s[pos]))
            ++pos;
        parts.denom = s.substr(start, pos - start);
    }
    const std::size_t suffixStart = pos;
    while (pos < s.size()
           && std::string_view("eEinumkKMGTP").find(s[pos]) != std::string_view::npos)
        ++pos;
    if (pos < s.size() && (s[pos] == '-' || s[pos] == '+'))
        ++pos;
    while (pos < s.size() && isDigit(s[pos]))
        ++pos;
    if (pos != s.size())
        return false;
    parts.suffix = s.substr(suffixStart);
    return true;
}

struct Suffix
{
    int base = 10;
    int exponent = 0;
    Quantity::Format format = Quantity::Format::DecimalSI;
};

bool interpretSuffix(std::string_view suffix, Suffix &out)
{
    static constexpr std::pair<std::string_view, int> kDecimal[] = {
        {"n", -9}, {"u", -6}, {"m", -3}, {"", 0},   {"k", 3},
        {"M", 6},  {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18},
    };
    static constexpr std::pair<std::string_view, int> kBinary[] = {
        {"Ki", 10}, {"Mi", 20}, {"Gi", 30}, {"Ti", 40}, {"Pi", 50}, {"Ei", 60},
    };
    for (const auto &[text, exponent] : kDecimal) {
        if (suffix == text) {
            out = {10, exponent, Quantity::Format::DecimalSI};
            return true;
        }
    }
    for (const auto &[text, exponent] : kBinary) {
        if (suffix == text) {
            out = {2, exponent, Quantity::Format::BinarySI};
            return true;
        }
    }
    if (suffix.size() < 2 || (suffix[0] != 'e' && suffix[0] != 'E'))
        return false;
    // What strconv.ParseInt accepts: an optional sign and at least one digit.
    std::string_view digits = suffix.substr(1);
    bool negative = false;
    if (digits[0] == '+' || digits[0] == '-') {
        negative = digits[0] == '-';
        digits.remove_prefix(1);
    }
    if (digits.empty())
        return false;
    long long exponent = 0;
    for (char c : digits) {
        if (!isDigit(c))
            return false;
        exponent = std::min<long long>(exponent * 10 + (c - '0'), kMaxExponent + 1);
    }
    out = {10, static_cast<int>(negative ? -exponent : exponent),
           Quantity::Format::DecimalExponent};
    return true;
}

// Whether upstream's int64 fast path would keep the input spelling as the canonical string. This
// mirrors ParseQuantity's conditions exactly, including its precision estimate, so that the
// strings our API server returns match kube-apiserver's byte for byte.
bool upstreamKeepsSpelling(const Parts &parts, const Suffix &suffix)
{
    const std::string num = parts.num.empty() ? std::string("0") : std::string(parts.num);
    const auto digitCount = static_cast<int>(num.size() + parts.denom.size());
    int precision = 0;
    int scale = 0;
    std::int64_t mantissa = 1;
    if (suffix.base == 10) {
        scale = suffix.exponent;
        precision = 18 - digitCount;
    } else if (parts.denom.empty()) {
        mantissa = std::int64_t(1) << suffix.exponent;
        precision = 15 - static_cast<int>(num.size()) - suffix.exponent * 3 / 10 - 1;
    } else {
        precision = -1;
    }
    if (precision < 0)
        return false;
    scale -= static_cast<int>(parts.denom.size());
    if (scale < -9)
        return false;
    const std::string shifted = num + std::string(parts.denom);
    // At most 18 digits here, so this fits.
    const std::int64_t value = std::stoll(shifted);
    std::int64_t product = 0;
    if (__builtin_mul_overflow(value, mantissa, &product))
        return false;
    if (suffix.base == 2)
        return suffix.exponent % 10 == 0 && (value & 0x07) != 0;
    return scale % 3 == 0 && !shifted.ends_with("000") && shifted[0] != '0';
}

} // namespace

Result<Quantity> Quantity::parse(std::string_view text)
{
    if (text.empty())
        return decodeError(text, "empty string");
    Parts parts;
    if (!splitQuantity(text, parts))
        return decodeError(text, "quantities must match the regular expression "
                                 "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    Suffix suffix;
    if (!interpretSuffix(parts.suffix, suffix))
        return decodeError(text, "unable to parse quantity's suffix");
    if (suffix.exponent > kMaxExponent || suffix.exponent < -kMaxExponent)
        return decodeError(text, "exponent out of range");
    if (parts.num.size() + parts.denom.size() > kMaxDigits)
        return decodeError(text, "too many digits");

    // Exact value in nano-units, rounded up to a whole nano-unit.
    Magnitude nanos = fromDigits(std::string(parts.num) + std::string(parts.denom));
    int nanoExponent = 9 - static_cast<int>(parts.denom.size());
    if (suffix.base == 10) {
        nanoExponent += suffix.exponent;
    } else {
        for (int i = 0; i < suffix.exponent; i += 10)
            mulSmall(nanos, 1024);
    }
    if (nanoExponent >= 0)
        mulPow10(nanos, nanoExponent);
    else
        divPow10Ceil(nanos, -nanoExponent);

    Quantity q;
    q.m_format = suffix.format;
    if (q.m_format == Format::BinarySI) {
        // Upstream caps binary quantities at 2^63-1 and shows fractions of one in decimal.
        Magnitude maxAllowed = fromUint64(std::uint64_t(std::numeric_limits<std::int64_t>::max()));
        mulPow10(maxAllowed, 9);
        if (compare(nanos, maxAllowed) > 0)
            nanos = std::move(maxAllowed);
        if (!nanos.empty() && nanos.size() == 1) // below one unit (10^9 nano-units)
            q.m_format = Format::DecimalSI;
    }
    q.m_nanos = std::move(nanos);
    q.m_negative = !parts.positive && !q.m_nanos.empty();
    if (text == "0" || upstreamKeepsSpelling(parts, suffix))
        q.m_original = std::string(text);
    return q;
}

Quantity Quantity::fromScaled(std::int64_t value, int nanoExponent, Format format)
{
    Quantity q;
    q.m_format = format;
    q.m_nanos = fromUint64(magnitudeOf(value));
    mulPow10(q.m_nanos, nanoExponent);
    q.m_negative = value < 0;
    return q;
}

Quantity Quantity::fromValue(std::int64_t value, Format format)
{
    return fromScaled(value, 9, format);
}

Quantity Quantity::fromMilliValue(std::int64_t milliValue, Format format)
{
    return fromScaled(milliValue, 6, format);
}

std::string Quantity::toString() const
{
    if (!m_original.empty())
        return m_original;
    if (isZero())
        return "0";

    const std::string sign = m_negative ? "-" : "";
    // The lowest limb holds exactly the part below one unit.
    const bool integral = m_nanos.front() == 0;
    const bool belowBinaryUnit = m_nanos.size() == 1 || (m_nanos.size() == 2 && m_nanos[1] < 1024);
    if (m_format == Format::BinarySI && integral && !belowBinaryUnit) {
        static constexpr const char *kSuffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
        Magnitude units(m_nanos.begin() + 1, m_nanos.end());
        int exponent = 0;
        // Stops at Ei: upstream has no larger suffix.
        while (exponent < 6) {
            Magnitude divided = units;
            if (divSmall(divided, 1024) != 0)
                break;
            units = std::move(divided);
            ++exponent;
        }
        return sign + toDigits(units) + kSuffixes[exponent];
    }

    // Decimal: mantissa × 10^exponent with the mantissa's trailing zeros moved into the exponent,
    // then the exponent lowered to a multiple of three.
    Magnitude mantissa = m_nanos;
    int exponent = -9;
    while (mantissa.front() == 0) {
        mantissa.erase(mantissa.begin());
        exponent += 9;
    }
    for (;;) {
        Magnitude divided = mantissa;
        if (divSmall(divided, 10) != 0)
            break;
        mantissa = std::move(divided);
        ++exponent;
    }
    while (exponent % 3 != 0) {
        mulSmall(mantissa, 10);
        --exponent;
    }

    std::string suffix;
    if (m_format == Format::DecimalExponent) {
        if (exponent != 0)
            suffix = "e" + std::to_string(exponent);
    } else {
        switch (exponent) {
        case -9:
            suffix = "n";
            break;
        case -6:
            suffix = "u";
            break;
        case -3:
            suffix = "m";
            break;
        case 0:
            break;
        case 3:
            suffix = "k";
            break;
        case 6:
            suffix = "M";
            break;
        case 9:
            suffix = "G";
            break;
        case 12:
            suffix = "T";
            break;
        case 15:
            suffix = "P";
            break;
        case 18:
            suffix = "E";
            break;
        default:
            suffix = "e" + std::to_string(exponent);
            break;
        }
    }
    return sign + toDigits(mantissa) + suffix;
}

std::int64_t Quantity::value() const
{
    Magnitude units = m_nanos;
    divPow10Ceil(units, 9);
    return toInt64(units, m_negative);
}

std::int64_t Quantity::milliValue() const
{
    Magnitude millis = m_nanos;
    divPow10Ceil(millis, 6);
    return toInt64(millis, m_negative);
}

double Quantity::toDouble() const
{
    long double v = 0;
    for (std::size_t i = m_nanos.size(); i-- > 0;)
        v = v * kLimbBase + m_nanos[i];
    v /= kLimbBase;
    return static_cast<double>(m_negative ? -v : v);
}

Quantity &Quantity::add(const Quantity &other)
{
    m_original.clear();
    if (isZero())
        m_format = other.m_format;
    if (m_negative == other.m_negative) {
        m_nanos = addMagnitudes(m_nanos, other.m_nanos);
    } else if (compare(m_nanos, other.m_nanos) >= 0) {
        m_nanos = subMagnitudes(m_nanos, other.m_nanos);
    } else {
        m_nanos = subMagnitudes(other.m_nanos, m_nanos);
        m_negative = other.m_negative;
    }
    if (m_nanos.empty())
        m_negative = false;
    return *this;
}

Quantity &Quantity::sub(const Quantity &other)
{
    Quantity negated = other;
    negated.negate();
    return add(negated);
}

Quantity &Quantity::negate()
{
    m_original.clear();
    if (!isZero())
        m_negative = !m_negative;
    return *this;
}

std::strong_ordering Quantity::operator<=>(const Quantity &other) const
{
    if (sign() != other.sign())
        return sign() <=> other.sign();
    const int magnitude = compare(m_nanos, other.m_nanos);
    return (m_negative ? -magnitude : magnitude) <=> 0;
}

} // namespace kd::core::util
