#include "labelselector.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace kd::core::api {

using util::Error;
using util::Result;

namespace {

bool isAlnum(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? up to 63 characters.
bool isQualifiedNamePart(std::string_view name)
{
    if (name.empty() || name.size() > 63 || !isAlnum(name.front()) || !isAlnum(name.back()))
        return false;
    return std::all_of(name.begin(), name.end(),
                       [](char c) { return isAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// A lowercase RFC 1123 subdomain: labels of [a-z0-9-] separated by dots, 253 characters at most.
bool isDnsSubdomain(std::string_view name)
{
    if (name.empty() || name.size() > 253)
        return false;
    size_t start = 0;
    while (start <= name.size()) {
        const size_t dot = std::min(name.find('.', start), name.size());
        const std::string_view label = name.substr(start, dot - start);
        if (label.empty() || label.front() == '-' || label.back() == '-')
            return false;
        for (char c : label) {
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                return false;
        }
        start = dot + 1;
    }
    return true;
}

bool isInteger(std::string_view text)
{
    long long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size();
}

long long toInteger(std::string_view text)
{
    long long value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

const char *operatorText(LabelSelector::Operator op)
{
    switch (op) {
    case LabelSelector::Operator::Equals:
        return "=";
    case LabelSelector::Operator::NotEquals:
        return "!=";
    case LabelSelector::Operator::In:
        return " in ";
    case LabelSelector::Operator::NotIn:
        return " notin ";
    case LabelSelector::Operator::GreaterThan:
        return ">";
    case LabelSelector::Operator::LessThan:
        return "<";
    case LabelSelector::Operator::Exists:
    case LabelSelector::Operator::DoesNotExist:
        break;
    }
    return "";
}

// Tokenizer for the selector string syntax.
class Lexer
{
public:
    enum class Kind {
        End,
        Identifier,
        Comma,
        Open,
        Close,
        Not,
        Equals,
        DoubleEquals,
        NotEquals,
        In,
        NotIn,
        Greater,
        Less
    };
    struct Token
    {
        Kind kind = Kind::End;
        std::string text;
        size_t position = 0;
    };

    explicit Lexer(std::string_view text)
        : m_text(text)
    {}

    Token next()
    {
        while (m_pos < m_text.size() && std::isspace(static_cast<unsigned char>(m_text[m_pos])))
            ++m_pos;
        Token token;
        token.position = m_pos;
        if (m_pos >= m_text.size())
            return token;
        const char c = m_text[m_pos];
        auto single = [&](Kind kind) {
            token.kind = kind;
            token.text = std::string(1, c);
            ++m_pos;
            return token;
        };
        switch (c) {
        case ',':
            return single(Kind::Comma);
        case '(':
            return single(Kind::Open);
        case ')':
            return single(Kind::Close);
        case '>':
            return single(Kind::Greater);
        case '<':
            return single(Kind::Less);
        case '=':
            if (m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '=') {
                token.kind = Kind::DoubleEquals;
                token.text = "==";
                m_pos += 2;
                return token;
            }
            return single(Kind::Equals);
        case '!':
            if (m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '=') {
                token.kind = Kind::NotEquals;
                token.text = "!=";
                m_pos += 2;
                return token;
            }
            return single(Kind::Not);
        default:
            break;
        }
        const size_t start = m_pos;
        while (m_pos < m_text.size()) {
            const char d = m_text[m_pos];
            if (std::isspace(static_cast<unsigned char>(d)) || d == ',' || d == '(' || d == ')'
                || d == '=' || d == '!' || d == '<' || d == '>')
                break;
            ++m_pos;
        }
        token.text = std::string(m_text.substr(start, m_pos - start));
        token.kind = token.text == "in"      ? Kind::In
                     : token.text == "notin" ? Kind::NotIn
                                             : Kind::Identifier;
        return token;
    }

private:
    std::string_view m_text;
    size_t m_pos = 0;
};

Error parseError(std::string_view selector, const std::string &why)
{
    return Error(Error::Code::BadRequest,
                 "unable to parse label selector \"" + std::string(selector) + "\": " + why);
}

Result<void> validateRequirement(const LabelSelector::Requirement &r, std::string_view selector)
{
    if (std::string why = validateQualifiedName(r.key); !why.empty())
        return parseError(selector, "invalid label key \"" + r.key + "\": " + why);
    for (const auto &value : r.values) {
        if (std::string why = validateLabelValue(value); !why.empty())
            return parseError(selector, "invalid label value \"" + value + "\": " + why);
    }
    if ((r.op == LabelSelector::Operator::GreaterThan || r.op == LabelSelector::Operator::LessThan)
        && (r.values.size() != 1 || !isInteger(r.values.front())))
        return parseError(selector, "for '>' and '<' the value of \"" + r.key
                                        + "\" must be a single integer");
    return {};
}

void normalize(std::vector<LabelSelector::Requirement> &requirements)
{
    for (auto &r : requirements) {
        std::sort(r.values.begin(), r.values.end());
        r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
    }
    std::stable_sort(requirements.begin(), requirements.end(),
                     [](const auto &a, const auto &b) { return a.key < b.key; });
}

} // namespace

std::string validateQualifiedName(std::string_view name)
{
    if (name.empty())
        return "name part must be non-empty";
    const size_t slash = name.find('/');
    std::string_view namePart = name;
    if (slash != std::string_view::npos) {
        const std::string_view prefix = name.substr(0, slash);
        namePart = name.substr(slash + 1);
        if (prefix.empty())
            return "prefix part must be non-empty";
        if (!isDnsSubdomain(prefix))
            return "prefix part must be a lowercase RFC 1123 subdomain";
        if (namePart.find('/') != std::string_view::npos)
            return "a qualified name must consist of an optional prefix and a name separated by "
                   "one '/'";
    }
    if (namePart.empty())
        return "name part must be non-empty";
    if (namePart.size() > 63)
        return "name part must be no more than 63 characters";
    if (!isQualifiedNamePart(namePart))
        return "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
               "start and end with an alphanumeric character";
    return {};
}

std::string validateLabelValue(std::string_view value)
{
    if (value.empty())
        return {};
    if (value.size() > 63)
        return "must be no more than 63 characters";
    if (!isQualifiedNamePart(value))
        return "a valid label must be an empty string or consist of alphanumeric characters, '-', "
               "'_' or '.', and must start and end with an alphanumeric character";
    return {};
}

bool LabelSelector::Requirement::matches(const Labels &labels) const
{
    const auto it = labels.find(key);
    const bool has = it != labels.end();
    auto contains
        = [&](const std::string &v) { return std::binary_search(values.begin(), values.end(), v); };
    switch (op) {
    case Operator::Equals:
    case Operator::In:
        return has && contains(it->second);
    case Operator::NotEquals:
    case Operator::NotIn:
        return !has || !contains(it->second);
    case Operator::Exists:
        return has;
    case Operator::DoesNotExist:
        return !has;
    case Operator::GreaterThan:
    case Operator::LessThan:
        if (!has || !isInteger(it->second) || values.empty())
            return false;
        return op == Operator::GreaterThan ? toInteger(it->second) > toInteger(values.front())
                                           : toInteger(it->second) < toInteger(values.front());
    }
    return false;
}

Result<LabelSelector> LabelSelector::parse(std::string_view text)
{
    using Kind = Lexer::Kind;
    Lexer lexer(text);
    LabelSelector selector;
    Lexer::Token token = lexer.next();
    if (token.kind == Kind::End)
        return selector;

    auto unexpected = [&](const Lexer::Token &t, const char *expected) {
        const std::string found = t.kind == Kind::End ? "end of string" : "'" + t.text + "'";
        return parseError(text, "found " + found + " at position " + std::to_string(t.position)
                                    + ", expected " + expected);
    };

    while (true) {
        Requirement requirement;
        if (token.kind == Kind::Not) {
            token = lexer.next();
            if (token.kind != Kind::Identifier)
                return unexpected(token, "a label key");
            requirement.key = token.text;
            requirement.op = Operator::DoesNotExist;
            token = lexer.next();
        } else if (token.kind == Kind::Identifier) {
            requirement.key = token.text;
            token = lexer.next();
            switch (token.kind) {
            case Kind::Comma:
            case Kind::End:
                requirement.op = Operator::Exists;
                break;
            case Kind::Equals:
            case Kind::DoubleEquals:
            case Kind::NotEquals:
            case Kind::Greater:
            case Kind::Less: {
                requirement.op = token.kind == Kind::NotEquals ? Operator::NotEquals
                                 : token.kind == Kind::Greater ? Operator::GreaterThan
                                 : token.kind == Kind::Less    ? Operator::LessThan
                                                               : Operator::Equals;
                token = lexer.next();
                if (token.kind == Kind::Identifier) {
                    requirement.values.push_back(token.text);
                    token = lexer.next();
                } else if (token.kind == Kind::Comma || token.kind == Kind::End) {
                    requirement.values.emplace_back(); // `key=` selects the empty value
                } else {
                    return unexpected(token, "a label value");
                }
                break;
            }
            case Kind::In:
            case Kind::NotIn: {
                requirement.op = token.kind == Kind::In ? Operator::In : Operator::NotIn;
                token = lexer.next();
                if (token.kind != Kind::Open)
                    return unexpected(token, "'('");
                bool expectValue = true;
                while (true) {
                    token = lexer.next();
                    if (token.kind == Kind::Close) {
                        if (expectValue)
                            requirement.values.emplace_back();
                        break;
                    }
                    if (token.kind == Kind::Identifier && expectValue) {
                        requirement.values.push_back(token.text);
                        expectValue = false;
                    } else if (token.kind == Kind::Comma) {
                        if (expectValue)
                            requirement.values.emplace_back();
                        expectValue = true;
                    } else {
                        return unexpected(token, "a value, ',' or ')'");
                    }
                }
                token = lexer.next();
                break;
            }
            default:
                return unexpected(token, "an operator ('=', '==', '!=', 'in', 'notin', '>', '<') "
                                         "or ','");
            }
        } else {
            return unexpected(token, "a label key or '!'");
        }

        if (auto valid = validateRequirement(requirement, text); !valid)
            return valid.error();
        selector.m_requirements.push_back(std::move(requirement));

        if (token.kind == Kind::End)
            break;
        if (token.kind != Kind::Comma)
            return unexpected(token, "','");
        token = lexer.next();
    }
    normalize(selector.m_requirements);
    return selector;
}

Result<LabelSelector> LabelSelector::fromJson(const nlohmann::json &object)
{
    LabelSelector selector;
    if (object.is_null())
        return selector;
    if (!object.is_object())
        return Error(Error::Code::Invalid, "a label selector must be an object");
    const std::string context = "label selector";
    if (auto it = object.find("matchLabels"); it != object.end() && !it->is_null()) {
        if (!it->is_object())
            return Error(Error::Code::Invalid, "matchLabels must be an object");
        for (const auto &[key, value] : it->items()) {
            if (!value.is_string())
                return Error(Error::Code::Invalid, "matchLabels." + key + " must be a string");
            Requirement r{key, Operator::Equals, {value.get<std::string>()}};
            if (auto valid = validateRequirement(r, context); !valid)
                return valid.error();
            selector.m_requirements.push_back(std::move(r));
        }
    }
    if (auto it = object.find("matchExpressions"); it != object.end() && !it->is_null()) {
        if (!it->is_array())
            return Error(Error::Code::Invalid, "matchExpressions must be a list");
        for (const auto &expression : *it) {
            if (!expression.is_object() || !expression.contains("key")
                || !expression["key"].is_string() || !expression.contains("operator")
                || !expression["operator"].is_string())
                return Error(Error::Code::Invalid,
                             "each matchExpressions entry needs a key and an operator");
            Requirement r;
            r.key = expression["key"].get<std::string>();
            const std::string op = expression["operator"].get<std::string>();
            if (op == "In")
                r.op = Operator::In;
            else if (op == "NotIn")
                r.op = Operator::NotIn;
            else if (op == "Exists")
                r.op = Operator::Exists;
            else if (op == "DoesNotExist")
                r.op = Operator::DoesNotExist;
            else
                return Error(Error::Code::Invalid,
                             "\"" + op + "\" is not a valid label selector operator");
            if (auto values = expression.find("values");
                values != expression.end() && !values->is_null()) {
                if (!values->is_array())
                    return Error(Error::Code::Invalid, "matchExpressions values must be a list");
                for (const auto &v : *values) {
                    if (!v.is_string())
                        return Error(Error::Code::Invalid,
                                     "matchExpressions values must be strings");
                    r.values.push_back(v.get<std::string>());
                }
            }
            const bool needsValues = r.op == Operator::In || r.op == Operator::NotIn;
            if (needsValues && r.values.empty())
                return Error(Error::Code::Invalid, "values: Required value: must be specified "
                                                   "when `operator` is 'In' or 'NotIn'");
            if (!needsValues && !r.values.empty())
                return Error(Error::Code::Invalid, "values: Forbidden: may not be specified when "
                                                   "`operator` is 'Exists' or 'DoesNotExist'");
            if (auto valid = validateRequirement(r, context); !valid)
                return valid.error();
            selector.m_requirements.push_back(std::move(r));
        }
    }
    normalize(selector.m_requirements);
    return selector;
}

LabelSelector LabelSelector::fromMap(const Labels &labels)
{
    LabelSelector selector;
    for (const auto &[key, value] : labels)
        selector.m_requirements.push_back({key, Operator::Equals, {value}});
    return selector;
}

bool LabelSelector::matches(const Labels &labels) const
{
    return std::all_of(m_requirements.begin(), m_requirements.end(),
                       [&](const Requirement &r) { return r.matches(labels); });
}

bool LabelSelector::matchesJsonLabels(const nlohmann::json &labelsObject) const
{
    if (m_requirements.empty())
        return true;
    Labels labels;
    if (labelsObject.is_object()) {
        for (const auto &[key, value] : labelsObject.items()) {
            if (value.is_string())
                labels.emplace(key, value.get<std::string>());
        }
    }
    return matches(labels);
}

std::string LabelSelector::toString() const
{
    std::string out;
    for (const auto &r : m_requirements) {
        if (!out.empty())
            out += ',';
        switch (r.op) {
        case Operator::Exists:
            out += r.key;
            break;
        case Operator::DoesNotExist:
            out += '!' + r.key;
            break;
        case Operator::In:
        case Operator::NotIn: {
            out += r.key + operatorText(r.op) + '(';
            for (size_t i = 0; i < r.values.size(); ++i)
                out += (i ? "," : "") + r.values[i];
            out += ')';
            break;
        }
        default:
            out += r.key + operatorText(r.op) + (r.values.empty() ? "" : r.values.front());
            break;
        }
    }
    return out;
}

} // namespace kd::core::api
