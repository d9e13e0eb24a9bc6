#pragma once

#include <core/util/result.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kd::core::api {

// A parsed field selector (`?fieldSelector=metadata.name=x,status.phase!=Running`). Only `=`,
// `==` and `!=` joined by commas exist; `\`, `,` and `=` in values are escaped with a backslash.
// Immutable value type; any thread.
class FieldSelector final
{
public:
    struct Requirement
    {
        std::string field;
        bool negated = false; // `!=`
        std::string value;

        bool operator==(const Requirement &) const = default;
    };

    FieldSelector() = default;

    static util::Result<FieldSelector> parse(std::string_view text);

    // Fields are given as the server's field set for one object ("metadata.name" -> "x"); a
    // field missing from the set compares as the empty string.
    bool matches(const std::map<std::string, std::string> &fields) const;
    bool empty() const { return m_requirements.empty(); }
    const std::vector<Requirement> &requirements() const { return m_requirements; }
    // The value a requirement `field=value` pins, if the selector has one (for index lookups
    // such as spec.nodeName).
    const std::string *requiredValue(std::string_view field) const;

    std::string toString() const;
    bool operator==(const FieldSelector &) const = default;

    static std::string escapeValue(std::string_view value);

private:
    std::vector<Requirement> m_requirements;
};

} // namespace kd::core::api
