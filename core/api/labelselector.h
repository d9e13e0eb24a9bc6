#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kd::core::api {

using Labels = std::map<std::string, std::string>;

// A parsed Kubernetes label selector: what `?labelSelector=` carries and what
// metav1.LabelSelector (matchLabels + matchExpressions) means. Requirements are ANDed.
// Immutable value type; any thread.
class LabelSelector final
{
public:
    enum class Operator {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
        GreaterThan,
        LessThan
    };

    struct Requirement
    {
        std::string key;
        Operator op = Operator::Exists;
        std::vector<std::string> values; // sorted, unique

        bool matches(const Labels &labels) const;
        bool operator==(const Requirement &) const = default;
    };

    // The selector that matches everything (an empty string parses to it).
    LabelSelector() = default;

    // Parses the string syntax: `a=b,c!=d,e in (f,g),h notin (i),j,!k,l>3`. Keys must be
    // qualified names and values label values, as the API server checks them.
    static util::Result<LabelSelector> parse(std::string_view text);
    // Converts a metav1.LabelSelector object. A null/absent selector matches nothing upstream
    // for most controllers; that choice belongs to the caller, so this takes an object only.
    static util::Result<LabelSelector> fromJson(const nlohmann::json &labelSelector);
    // A selector requiring every key=value of the map (a Service's spec.selector).
    static LabelSelector fromMap(const Labels &labels);

    bool matches(const Labels &labels) const;
    bool matchesJsonLabels(const nlohmann::json &labelsObject) const;
    bool empty() const { return m_requirements.empty(); }
    const std::vector<Requirement> &requirements() const { return m_requirements; }

    // Canonical text, requirements sorted by key: parse(toString()) is the same selector.
    std::string toString() const;

    bool operator==(const LabelSelector &) const = default;

private:
    std::vector<Requirement> m_requirements; // sorted by key, then operator
};

// Validation of label keys and values (apimachinery's IsQualifiedName / IsValidLabelValue).
// Each returns an empty string when valid, else a message saying why.
std::string validateQualifiedName(std::string_view name);
std::string validateLabelValue(std::string_view value);

} // namespace kd::core::api
