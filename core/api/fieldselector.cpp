#include "fieldselector.h"

namespace kd::core::api {

using util::Error;
using util::Result;

namespace {

Error parseError(std::string_view selector, const std::string &why)
{
    return Error(Error::Code::BadRequest,
                 "invalid field selector \"" + std::string(selector) + "\": " + why);
}

} // namespace

Result<FieldSelector> FieldSelector::parse(std::string_view text)
{
    FieldSelector selector;
    // Split on unescaped commas, then on the first unescaped operator; unescape values.
    size_t pos = 0;
    while (pos <= text.size()) {
        std::string field;
        std::string value;
        bool inValue = false;
        bool negated = false;
        bool escaped = false;
        size_t i = pos;
        for (; i < text.size(); ++i) {
            const char c = text[i];
            if (escaped) {
                if (c != '\\' && c != ',' && c != '=')
                    return parseError(text, std::string("invalid escape sequence '\\") + c + "'");
                (inValue ? value : field) += c;
                escaped = false;
                continue;
            }
            if (c == '\\') {
                escaped = true;
                continue;
            }
            if (c == ',')
                break;
            if (!inValue && (c == '=' || c == '!')) {
                if (c == '!') {
                    if (i + 1 >= text.size() || text[i + 1] != '=')
                        return parseError(text, "'!' must be followed by '='");
                    negated = true;
                    ++i;
                } else if (i + 1 < text.size() && text[i + 1] == '=') {
                    ++i; // "=="
                }
                inValue = true;
                continue;
            }
            (inValue ? value : field) += c;
        }
        if (escaped)
            return parseError(text, "unterminated escape at the end");
        // Empty terms ("a=b,,c=d", a trailing comma) are skipped, as the API server does.
        if (!field.empty() || inValue) {
            if (!inValue)
                return parseError(text, "\"" + field + "\" has no operator ('=', '==' or '!=')");
            if (field.empty())
                return parseError(text, "a requirement has an empty field name");
            selector.m_requirements.push_back({std::move(field), negated, std::move(value)});
        }
        if (i >= text.size())
            break;
        pos = i + 1;
    }
    return selector;
}

bool FieldSelector::matches(const std::map<std::string, std::string> &fields) const
{
    static const std::string empty;
    for (const auto &r : m_requirements) {
        const auto it = fields.find(r.field);
        const std::string &actual = it == fields.end() ? empty : it->second;
        if ((actual == r.value) == r.negated)
            return false;
    }
    return true;
}

const std::string *FieldSelector::requiredValue(std::string_view field) const
{
    for (const auto &r : m_requirements) {
        if (!r.negated && r.field == field)
            return &r.value;
    }
    return nullptr;
}

std::string FieldSelector::escapeValue(std::string_view value)
{
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\' || c == ',' || c == '=')
            out += '\\';
        out += c;
    }
    return out;
}

std::string FieldSelector::toString() const
{
    std::string out;
    for (const auto &r : m_requirements) {
        if (!out.empty())
            out += ',';
        out += r.field + (r.negated ? "!=" : "=") + escapeValue(r.value);
    }
    return out;
}

} // namespace kd::core::api
