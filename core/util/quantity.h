#pragma once

#include <core/util/result.h>

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kd::core::util {

// Kubernetes' resource.Quantity ("250m", "1.5Gi", "129e6"): parsing, the canonical spelling the
// API server writes back, comparison and arithmetic. Values are held exactly as a whole number of
// nano-units of arbitrary size, because parsing rounds to nano precision (away from zero, so that
// asking for a tiny amount never yields nothing) and DecimalSI values may exceed int64 ("12E").
// Plain value type; any thread.
class Quantity final
{
public:
    // How the canonical string is spelled; chosen by the suffix the value was written with.
    enum class Format { DecimalSI, BinarySI, DecimalExponent };

    Quantity() = default; // zero, DecimalSI

    // Code::Decode for anything apimachinery's ParseQuantity rejects. Exponents beyond ±1000
    // ("1e5000") and more than 1000 digits are also rejected: Kubernetes accepts them, but no
    // resource amount needs them and an exact value would take thousands of digits.
    static Result<Quantity> parse(std::string_view text);
    static Quantity fromValue(std::int64_t value, Format format);
    static Quantity fromMilliValue(std::int64_t milliValue, Format format);

    // The spelling kube-apiserver returns. Like upstream, a parsed string that is already in a
    // canonical shape is kept verbatim ("1.500k", "1E3" and "+1Ki" come back unchanged), and any
    // arithmetic drops it.
    std::string toString() const;

    Format format() const { return m_format; }
    bool isZero() const { return m_nanos.empty(); }
    int sign() const { return isZero() ? 0 : (m_negative ? -1 : 1); }

    // Rounded away from zero like Quantity.Value()/MilliValue(); saturates at the int64 limits.
    std::int64_t value() const;
    std::int64_t milliValue() const;
    double toDouble() const;

    Quantity &add(const Quantity &other);
    Quantity &sub(const Quantity &other);
    Quantity &negate();

    // Comparison by value only; the format and the spelling do not take part.
    std::strong_ordering operator<=>(const Quantity &other) const;
    bool operator==(const Quantity &other) const { return (*this <=> other) == 0; }

private:
    // Magnitude in nano-units: little-endian base-1e9 limbs, no leading zero limbs; empty is zero.
    using Magnitude = std::vector<std::uint32_t>;

    static Quantity fromScaled(std::int64_t value, int nanoExponent, Format format);

    bool m_negative = false;
    Magnitude m_nanos;
    Format m_format = Format::DecimalSI;
    std::string m_original; // the parsed spelling when upstream would keep it, else empty
};

} // namespace kd::core::util
