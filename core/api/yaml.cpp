#include "yaml.h"

#include <core/util/base64.h>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>

namespace kd::core::api {

using util::Error;
using util::Result;

namespace {

// Scalar resolution, following go-yaml v2's resolve() for untagged plain scalars.

enum class ScalarKind { String, Null, Bool, Int, Uint, Float };

struct Resolved
{
    ScalarKind kind = ScalarKind::String;
    bool boolean = false;
    std::int64_t integer = 0;
    std::uint64_t unsignedInteger = 0;
    double real = 0;
};

// strconv.ParseInt/ParseUint with base 0: optional sign (signed only), 0x/0o/0b prefixes, and a
// leading 0 meaning octal.
bool parseGoInteger(std::string_view s, bool allowSign, bool &negative, std::uint64_t &magnitude)
{
    negative = false;
    if (allowSign && !s.empty() && (s[0] == '+' || s[0] == '-')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    unsigned base = 10;
    if (s.size() >= 2 && s[0] == '0') {
        const char p = s[1];
        if (p == 'x' || p == 'X') {
            base = 16;
            s.remove_prefix(2);
        } else if (p == 'o' || p == 'O') {
            base = 8;
            s.remove_prefix(2);
        } else if (p == 'b' || p == 'B') {
            base = 2;
            s.remove_prefix(2);
        } else {
            base = 8;
            s.remove_prefix(1);
        }
    }
    if (s.empty())
        return false;
    magnitude = 0;
    for (char c : s) {
        unsigned digit = 0;
        if (c >= '0' && c <= '9')
            digit = unsigned(c - '0');
        else if (c >= 'a' && c <= 'z')
            digit = unsigned(c - 'a' + 10);
        else if (c >= 'A' && c <= 'Z')
            digit = unsigned(c - 'A' + 10);
        else
            return false;
        if (digit >= base)
            return false;
        if (__builtin_mul_overflow(magnitude, std::uint64_t(base), &magnitude)
            || __builtin_add_overflow(magnitude, std::uint64_t(digit), &magnitude)) {
            return false;
        }
    }
    return true;
}

// go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool isYamlStyleFloat(std::string_view s)
{
    std::size_t i = 0;
    auto digits = [&] {
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9')
            ++i;
        return i - start;
    };
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
        ++i;
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (digits() == 0)
            return false;
    } else {
        if (digits() == 0)
            return false;
        if (i < s.size() && s[i] == '.') {
            ++i;
            digits();
        }
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-'))
            ++i;
        if (digits() == 0)
            return false;
    }
    return i == s.size();
}

// strconv.ParseFloat for the inputs isYamlStyleFloat lets through: overflow is an error (the
// scalar then stays a string), underflow to zero is not.
bool parseFloat(const std::string &s, double &out)
{
    errno = 0;
    char *end = nullptr;
    out = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size())
        return false;
    return !(errno == ERANGE && std::isinf(out));
}

Resolved resolvePlain(std::string_view in)
{
    Resolved r;
    static const std::set<std::string_view> kTrue
        = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
    static const std::set<std::string_view> kFalse
        = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
    static const std::set<std::string_view> kNull = {"", "~", "null", "Null", "NULL"};
    if (kNull.count(in)) {
        r.kind = ScalarKind::Null;
        return r;
    }
    if (kTrue.count(in) || kFalse.count(in)) {
        r.kind = ScalarKind::Bool;
        r.boolean = kTrue.count(in) > 0;
        return r;
    }
    if (in == ".nan" || in == ".NaN" || in == ".NAN") {
        r.kind = ScalarKind::Float;
        r.real = std::numeric_limits<double>::quiet_NaN();
        return r;
    }
    for (std::string_view inf : {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}) {
        if (in == inf) {
            r.kind = ScalarKind::Float;
            r.real = std::numeric_limits<double>::infinity();
            return r;
        }
    }
    if (in == "-.inf" || in == "-.Inf" || in == "-.INF") {
        r.kind = ScalarKind::Float;
        r.real = -std::numeric_limits<double>::infinity();
        return r;
    }

    const char first = in[0];
    if (first == '.') {
        if (isYamlStyleFloat(in) && parseFloat(std::string(in), r.real))
            r.kind = ScalarKind::Float;
        return r;
    }
    if (first != '+' && first != '-' && (first < '0' || first > '9'))
        return r;

    std::string plain;
    plain.reserve(in.size());
    for (char c : in) {
        if (c != '_')
            plain.push_back(c);
    }
    bool negative = false;
    std::uint64_t magnitude = 0;
    if (parseGoInteger(plain, true, negative, magnitude)) {
        constexpr std::uint64_t kMax = std::uint64_t(std::numeric_limits<std::int64_t>::max());
        if (!negative && magnitude <= kMax) {
            r.kind = ScalarKind::Int;
            r.integer = static_cast<std::int64_t>(magnitude);
            return r;
        }
        if (negative && magnitude <= kMax + 1) {
            r.kind = ScalarKind::Int;
            r.integer = static_cast<std::int64_t>(std::uint64_t(0) - magnitude);
            return r;
        }
    }
    if (parseGoInteger(plain, false, negative, magnitude)) {
        r.kind = ScalarKind::Uint;
        r.unsignedInteger = magnitude;
        return r;
    }
    if (isYamlStyleFloat(plain) && parseFloat(plain, r.real)) {
        r.kind = ScalarKind::Float;
        return r;
    }
    // "0b" with a binary overflow and the like: go-yaml's remaining fallbacks only accept what
    // parseGoInteger above already accepted.
    return r;
}

struct ConvertError
{
    int line; // 0-based, as yaml-cpp reports
    int column;
    std::string message;
};

// Converts one document. Aliases are expanded, so a budget of produced nodes stops "billion
// laughs" documents, and a depth limit stops self-referencing anchors.
class Converter
{
public:
    explicit Converter(std::size_t budget)
        : m_budget(budget)
    {}

    nlohmann::json convert(const YAML::Node &node, int depth)
    {
        if (depth > kMaxDepth)
            fail(node, "document nests too deeply (or an anchor refers to itself)");
        if (m_budget == 0)
            fail(node, "document contains excessive aliasing");
        --m_budget;
        switch (node.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null:
            return nullptr;
        case YAML::NodeType::Scalar:
            return scalar(node);
        case YAML::NodeType::Sequence: {
            nlohmann::json array = nlohmann::json::array();
            for (const YAML::Node &item : node)
                array.push_back(convert(item, depth + 1));
            return array;
        }
        case YAML::NodeType::Map:
            return mapping(node, depth);
        }
        return nullptr;
    }

private:
    static constexpr int kMaxDepth = 1000;

    [[noreturn]] static void fail(const YAML::Node &node, std::string message)
    {
        const YAML::Mark mark = node.Mark();
        throw ConvertError{mark.line, mark.column, std::move(message)};
    }

    static nlohmann::json fromResolved(const YAML::Node &node, const Resolved &r)
    {
        switch (r.kind) {
        case ScalarKind::String:
            return node.Scalar();
        case ScalarKind::Null:
            return nullptr;
        case ScalarKind::Bool:
            return r.boolean;
        case ScalarKind::Int:
            return r.integer;
        case ScalarKind::Uint:
            return r.unsignedInteger;
        case ScalarKind::Float:
            if (!std::isfinite(r.real))
                fail(node, "\"" + node.Scalar() + "\" is not representable in JSON");
            // JSON has one number type: Go writes an integral float64 without a fraction, and
            // Kubernetes reads that back as an integer.
            if (std::trunc(r.real) == r.real && std::fabs(r.real) < 9.2e18)
                return static_cast<std::int64_t>(r.real);
            return r.real;
        }
        return nullptr;
    }

    static nlohmann::json scalar(const YAML::Node &node)
    {
        const std::string &tag = node.Tag();
        const std::string &text = node.Scalar();
        // yaml-cpp tags plain scalars "?" and quoted or block scalars "!".
        if (tag == "?")
            return fromResolved(node, resolvePlain(text));
        static const std::string kPrefix = "tag:yaml.org,2002:";
        if (tag.rfind(kPrefix, 0) == 0) {
            const std::string type = tag.substr(kPrefix.size());
            const Resolved r = resolvePlain(text);
            const bool ok
                = (type == "int" && (r.kind == ScalarKind::Int || r.kind == ScalarKind::Uint))
                  || (type == "float"
                      && (r.kind == ScalarKind::Float || r.kind == ScalarKind::Int
                          || r.kind == ScalarKind::Uint))
                  || (type == "bool" && r.kind == ScalarKind::Bool)
                  || (type == "null" && r.kind == ScalarKind::Null);
            if (ok)
                return fromResolved(node, r);
            if (type == "int" || type == "float" || type == "bool" || type == "null")
                fail(node, "cannot decode `" + text + "` as a !!" + type);
            if (type == "binary") {
                // Go's base64 decoder skips line breaks, so folded binary blocks decode.
                std::string compact;
                for (char c : text) {
                    if (c != '\n' && c != '\r')
                        compact.push_back(c);
                }
                auto bytes = util::base64::decode(compact);
                if (!bytes.ok())
                    fail(node, "!!binary value contains invalid base64 data");
                return std::move(bytes).value();
            }
        }
        // !!str, "!" and application tags: go-yaml keeps the text.
        return text;
    }

    static bool isMergeKey(const YAML::Node &key)
    {
        return key.IsScalar() && key.Scalar() == "<<"
               && (key.Tag() == "?" || key.Tag() == "tag:yaml.org,2002:merge");
    }

    // sigs.k8s.io/yaml turns non-string keys into strings; floats as Go's
    // strconv.FormatFloat(f, 'g', -1, 32).
    static std::string floatKey(double value)
    {
        if (std::isnan(value))
            return ".nan";
        if (std::isinf(value))
            return value > 0 ? ".inf" : "-.inf";
        char buffer[64];
        const auto [end, ec]
            = std::to_chars(buffer, buffer + sizeof buffer, static_cast<float>(value),
                            std::chars_format::scientific);
        const std::string sci(buffer, ec == std::errc() ? end : buffer);
        const std::size_t e = sci.find('e');
        const bool negative = sci[0] == '-';
        std::string digits;
        for (std::size_t i = negative ? 1 : 0; i < e; ++i) {
            if (sci[i] != '.')
                digits.push_back(sci[i]);
        }
        while (digits.size() > 1 && digits.back() == '0')
            digits.pop_back();
        const int exponent = std::stoi(sci.substr(e + 1));
        std::string out = negative ? "-" : "";
        if (exponent < -4 || exponent >= 6) {
            out += digits[0];
            if (digits.size() > 1)
                out += "." + digits.substr(1);
            const int absExp = exponent < 0 ? -exponent : exponent;
            out += exponent < 0 ? "e-" : "e+";
            if (absExp < 10)
                out += '0';
            out += std::to_string(absExp);
        } else if (exponent < 0) {
            out += "0." + std::string(std::size_t(-exponent - 1), '0') + digits;
        } else {
            const auto pointAt = std::size_t(exponent) + 1;
            if (digits.size() <= pointAt)
                out += digits + std::string(pointAt - digits.size(), '0');
            else
                out += digits.substr(0, pointAt) + "." + digits.substr(pointAt);
        }
        return out;
    }

    static std::string keyString(const YAML::Node &key)
    {
        if (!key.IsScalar()) {
            if (key.IsNull())
                fail(key, "unsupported map key: null");
            fail(key, "unsupported map key: a mapping or sequence");
        }
        // A plain float key keeps Go's float spelling even when integral ("1e6" -> "1e+06").
        if (key.Tag() == "?") {
            const Resolved r = resolvePlain(key.Scalar());
            if (r.kind == ScalarKind::Float)
                return floatKey(r.real);
        }
        const nlohmann::json value = scalar(key);
        switch (value.type()) {
        case nlohmann::json::value_t::string:
            return value.get<std::string>();
        case nlohmann::json::value_t::boolean:
            return value.get<bool>() ? "true" : "false";
        case nlohmann::json::value_t::number_integer:
            return std::to_string(value.get<std::int64_t>());
        case nlohmann::json::value_t::number_float:
            return floatKey(value.get<double>());
        case nlohmann::json::value_t::null:
            fail(key, "unsupported map key: null");
        default:
            break;
        }
        fail(key, "unsupported map key \"" + key.Scalar() + "\"");
    }

    void mergeInto(nlohmann::json &merged, const YAML::Node &source, int depth)
    {
        if (source.IsMap()) {
            nlohmann::json object = convert(source, depth + 1);
            for (auto &[k, v] : object.items()) {
                if (!merged.contains(k))
                    merged[k] = std::move(v);
            }
            return;
        }
        if (source.IsSequence()) {
            // Earlier maps in the list win.
            for (const YAML::Node &item : source) {
                if (!item.IsMap())
                    fail(item, "map merge requires map or sequence of maps as the value");
                mergeInto(merged, item, depth + 1);
            }
            return;
        }
        fail(source, "map merge requires map or sequence of maps as the value");
    }

    nlohmann::json mapping(const YAML::Node &node, int depth)
    {
        nlohmann::json merged = nlohmann::json::object();
        nlohmann::json explicitKeys = nlohmann::json::object();
        std::set<std::string> seen;
        for (auto it = node.begin(); it != node.end(); ++it) {
            const YAML::Node key = it->first;
            const YAML::Node value = it->second;
            if (isMergeKey(key)) {
                mergeInto(merged, value, depth);
                continue;
            }
            std::string name = keyString(key);
            if (!seen.insert(name).second)
                fail(key, "key \"" + name + "\" already set in map");
            explicitKeys[std::move(name)] = convert(value, depth + 1);
        }
        // Keys written in the mapping override merged ones.
        for (auto &[k, v] : explicitKeys.items())
            merged[k] = std::move(v);
        return merged;
    }

    std::size_t m_budget;
};

// 1-based index of the document that contains `line` (0-based): separators before it, plus one
// when content precedes the first separator.
int documentAt(std::string_view text, int line)
{
    int separators = 0;
    bool contentBeforeFirst = false;
    int current = 0;
    std::size_t pos = 0;
    while (pos <= text.size() && current < line) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        const std::string_view l = text.substr(pos, end - pos);
        const bool separator = l.starts_with("---")
                               && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
        if (separator) {
            ++separators;
        } else if (separators == 0) {
            const std::size_t first = l.find_first_not_of(" \t\r");
            if (first != std::string_view::npos && l[first] != '#' && l[first] != '%')
                contentBeforeFirst = true;
        }
        pos = end + 1;
        ++current;
    }
    return std::max(1, separators + (contentBeforeFirst ? 1 : 0));
}

Error yamlError(int document, int line, int column, const std::string &message)
{
    return Error(Error::Code::Decode, "yaml: document " + std::to_string(document) + ", line "
                                          + std::to_string(line + 1) + ", column "
                                          + std::to_string(column + 1) + ": " + message);
}

bool isSpecialUnicode(std::string_view s, std::size_t i)
{
    // NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR are line breaks to YAML; BOM is not printable.
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    if (at(i) == 0xC2 && i + 1 < s.size() && at(i + 1) == 0x85)
        return true;
    if (at(i) == 0xE2 && i + 2 < s.size() && at(i + 1) == 0x80
        && (at(i + 2) == 0xA8 || at(i + 2) == 0xA9))
        return true;
    return at(i) == 0xEF && i + 2 < s.size() && at(i + 1) == 0xBB && at(i + 2) == 0xBF;
}

// Characters that force double quotes: controls other than tab/newline, DEL and the Unicode
// breaks above.
bool needsEscapes(std::string_view s)
{
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F || isSpecialUnicode(s, i))
            return true;
    }
    return false;
}

bool canBePlain(std::string_view s)
{
    // "<<" would become a merge key, "---" and "..." document markers.
    if (s.empty() || s == "<<" || s.starts_with("---") || s.starts_with("..."))
        return false;
    if (resolvePlain(s).kind != ScalarKind::String)
        return false;
    const auto isAlnum = [](unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
               || c >= 0x80;
    };
    const auto first = static_cast<unsigned char>(s[0]);
    // "-x" is plain text ("--port"); "- x" would start a sequence.
    const bool dashText = first == '-' && s.size() > 1 && s[1] != ' ';
    if (!isAlnum(first) && !dashText
        && std::string_view("./_~$^(+=;<").find(char(first)) == std::string_view::npos)
        return false;
    if (s.back() == ' ' || s.back() == ':')
        return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (isAlnum(c)) {
            if (c >= 0x80 && isSpecialUnicode(s, i))
                return false;
            continue;
        }
        if (std::string_view(" -_./:=+@$%^&*()~;<>?!").find(char(c)) == std::string_view::npos)
            return false;
        if (c == ':' && i + 1 < s.size() && s[i + 1] == ' ')
            return false;
        if (c == ' ' && i + 1 < s.size() && s[i + 1] == '#')
            return false;
    }
    return true;
}

std::string doubleQuoted(std::string_view s)
{
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        switch (c) {
        case '"':
            out += "\\\"";
            continue;
        case '\\':
            out += "\\\\";
            continue;
        case '\n':
            out += "\\n";
            continue;
        case '\t':
            out += "\\t";
            continue;
        case '\r':
            out += "\\r";
            continue;
        case 0:
            out += "\\0";
            continue;
        default:
            break;
        }
        if (c < 0x20 || c == 0x7F) {
            static constexpr char kHex[] = "0123456789ABCDEF";
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        } else if (isSpecialUnicode(s, i)) {
            if (c == 0xC2) {
                out += "\\u0085";
                i += 1;
            } else if (c == 0xE2) {
                out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
                i += 2;
            } else {
                out += "\\uFEFF";
                i += 2;
            }
        } else {
            out += char(c);
        }
    }
    out += '"';
    return out;
}

// A literal block keeps multi-line text readable; it cannot express text that starts with a space
// or a newline (indentation detection) or that is only newlines (chomping would eat it).
bool canBeLiteralBlock(std::string_view s)
{
    return s.find('\n') != std::string_view::npos
           && s.find_first_not_of('\n') != std::string_view::npos && s[0] != ' ' && s[0] != '\n'
           && s.find('\r') == std::string_view::npos && !needsEscapes(s);
}

std::string literalBlock(std::string_view s, int indent)
{
    std::size_t trailing = 0;
    while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n')
        ++trailing;
    std::string out = trailing == 0 ? "|-" : (trailing == 1 ? "|" : "|+");
    const std::string_view body = s.substr(0, s.size() - std::min<std::size_t>(trailing, 1));
    std::size_t pos = 0;
    for (;;) {
        std::size_t end = body.find('\n', pos);
        const std::string_view line
            = body.substr(pos, end == std::string_view::npos ? body.npos : end - pos);
        out += '\n';
        if (!line.empty())
            out += std::string(std::size_t(indent), ' ') + std::string(line);
        if (end == std::string_view::npos)
            break;
        pos = end + 1;
    }
    return out;
}

std::string stringScalar(const std::string &s, int blockIndent, bool isKey)
{
    if (!isKey && canBeLiteralBlock(s))
        return literalBlock(s, blockIndent);
    // Double quotes, as kubectl writes them (value: "8080").
    return canBePlain(s) ? s : doubleQuoted(s);
}

std::string scalarText(const nlohmann::json &value, int blockIndent)
{
    switch (value.type()) {
    case nlohmann::json::value_t::null:
        return "null";
    case nlohmann::json::value_t::boolean:
        return value.get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::string:
        return stringScalar(value.get_ref<const std::string &>(), blockIndent, false);
    case nlohmann::json::value_t::number_float: {
        const double d = value.get<double>();
        if (std::isnan(d))
            return ".nan";
        if (std::isinf(d))
            return d > 0 ? ".inf" : "-.inf";
        return value.dump();
    }
    case nlohmann::json::value_t::object:
        return "{}";
    case nlohmann::json::value_t::array:
        return "[]";
    default:
        return value.dump();
    }
}

void emitSequence(const nlohmann::json &array, int indent, bool firstInline, std::string &out);

void emitMapping(const nlohmann::json &object, int indent, bool firstInline, std::string &out)
{
    bool first = true;
    for (const auto &[key, value] : object.items()) {
        if (!(first && firstInline))
            out.append(std::size_t(indent), ' ');
        first = false;
        const std::string keyText = stringScalar(key, indent + 2, true);
        // YAML limits implicit keys to 1024 characters; longer ones need the explicit "? " form,
        // whose value then follows on its own ": " line.
        const bool explicitKey = keyText.size() > 1000;
        if (explicitKey) {
            out += "? " + keyText + "\n";
            out.append(std::size_t(indent), ' ');
        } else {
            out += keyText;
        }
        out += ':';
        if (value.is_object() && !value.empty()) {
            out += '\n';
            emitMapping(value, indent + 2, false, out);
        } else if (value.is_array() && !value.empty()) {
            out += '\n';
            emitSequence(value, explicitKey ? indent + 2 : indent, false, out);
        } else {
            out += ' ';
            out += scalarText(value, indent + 2);
            out += '\n';
        }
    }
}

void emitSequence(const nlohmann::json &array, int indent, bool firstInline, std::string &out)
{
    bool first = true;
    for (const nlohmann::json &item : array) {
        if (!(first && firstInline))
            out.append(std::size_t(indent), ' ');
        first = false;
        out += "- ";
        if (item.is_object() && !item.empty()) {
            emitMapping(item, indent + 2, true, out);
        } else if (item.is_array() && !item.empty()) {
            emitSequence(item, indent + 2, true, out);
        } else {
            out += scalarText(item, indent + 2);
            out += '\n';
        }
    }
}

// yaml-cpp 0.7 never returns when a flow entry indicator (',') starts a node at the root of a
// document in block context ("," or "- a\n,"; found by fuzzing). Such input is invalid YAML in any
// case, so it is refused here, before yaml-cpp sees it, with go-yaml's wording. The scan follows
// quoted scalars, flow collections, comments and block scalars well enough not to mistake their
// content for a node; anything it cannot tell apart is left to yaml-cpp.
struct StrayComma
{
    int line = 0;
    int column = 0;
    bool onSeparator = false; // the comma follows "---" on the separator line itself
};
std::optional<StrayComma> findStrayFlowEntry(std::string_view text)
{
    int line = 0;
    int flowDepth = 0;
    char quote = 0;             // '\'' or '"' while inside a quoted scalar
    int blockScalarIndent = -1; // indentation of the line that opened a block scalar
    int rootIndent = -1;        // indentation of the document's first node; -1 before it
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view l = text.substr(pos, end - pos);
        bool separatorLine = false;
        if (!l.empty() && l.back() == '\r')
            l.remove_suffix(1);
        const std::size_t first = l.find_first_not_of(" \t");
        const int indent = first == std::string_view::npos ? -1 : static_cast<int>(first);
        std::size_t i = first == std::string_view::npos ? l.size() : first;
        const auto next = [&] {
            pos = end + 1;
            ++line;
        };
        if (blockScalarIndent >= 0) {
            if (indent < 0 || indent > blockScalarIndent) {
                next();
                continue;
            }
            blockScalarIndent = -1;
        }
        if (quote == 0 && flowDepth == 0 && l.starts_with("---")
            && (l.size() == 3 || l[3] == ' ' || l[3] == '\t')) {
            rootIndent = -1;
            separatorLine = true;
            i = l.find_first_not_of(" \t", 3);
            if (i == std::string_view::npos)
                i = l.size();
        } else if (quote == 0 && flowDepth == 0 && l.starts_with("...")) {
            rootIndent = -1;
            next();
            continue;
        }
        if (quote == 0 && flowDepth == 0 && i < l.size() && l[i] != '#' && l[i] != '%') {
            if (l[i] == ',' && (rootIndent < 0 || static_cast<int>(i) <= rootIndent))
                return StrayComma{line, static_cast<int>(i), separatorLine};
            if (rootIndent < 0)
                rootIndent = static_cast<int>(i);
        }
        char previous = ' ';
        for (; i < l.size(); ++i) {
            const char c = l[i];
            if (quote != 0) {
                if (c == '\\' && quote == '"')
                    ++i;
                else if (c == quote && quote == '\'' && i + 1 < l.size() && l[i + 1] == '\'')
                    ++i;
                else if (c == quote)
                    quote = 0;
            } else if (c == '#' && (previous == ' ' || previous == '\t')) {
                break;
            } else if ((c == '"' || c == '\'')
                       && (previous == ' ' || previous == '\t' || previous == '[' || previous == '{'
                           || previous == ',' || previous == ':')) {
                quote = c;
            } else if (c == '[' || c == '{') {
                ++flowDepth;
            } else if ((c == ']' || c == '}') && flowDepth > 0) {
                --flowDepth;
            } else if ((c == '|' || c == '>') && flowDepth == 0
                       && (previous == ' ' || previous == '\t')) {
                const std::size_t rest = l.find_first_not_of("+-0123456789", i + 1);
                if (rest == std::string_view::npos || l[rest] == ' ' || l[rest] == '\t')
                    blockScalarIndent = std::max(indent, 0);
            }
            previous = c;
        }
        next();
    }
    return std::nullopt;
}
} // namespace

Result<std::vector<nlohmann::json>> parseYamlDocuments(std::string_view text)
{
    if (const auto stray = findStrayFlowEntry(text))
        return yamlError(documentAt(text, stray->line + (stray->onSeparator ? 1 : 0)), stray->line,
                         stray->column, "did not find expected node content");
    const std::string input(text);
    std::vector<YAML::Node> nodes;
    try {
        nodes = YAML::LoadAll(input);
    } catch (const YAML::Exception &e) {
        return yamlError(documentAt(text, e.mark.line), e.mark.line, e.mark.column, e.msg);
    } catch (const std::exception &e) {
        return Error(Error::Code::Decode, std::string("yaml: ") + e.what());
    }

    std::vector<nlohmann::json> documents;
    Converter converter(1'000'000 + 100 * text.size());
    for (const YAML::Node &node : nodes) {
        if (node.IsNull())
            continue;
        try {
            documents.push_back(converter.convert(node, 0));
        } catch (const ConvertError &e) {
            return yamlError(documentAt(text, e.line), e.line, e.column, e.message);
        } catch (const YAML::Exception &e) {
            return yamlError(documentAt(text, e.mark.line), e.mark.line, e.mark.column, e.msg);
        }
    }
    return documents;
}

Result<nlohmann::json> parseJsonOrYaml(std::string_view text)
{
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && (text[first] == '{' || text[first] == '[')) {
        nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
        if (!parsed.is_discarded())
            return parsed;
    }
    auto documents = parseYamlDocuments(text);
    if (!documents.ok())
        return documents.error();
    if (documents->empty())
        return nlohmann::json(nullptr);
    if (documents->size() > 1) {
        return Error(Error::Code::Decode,
                     "expected a single document, found " + std::to_string(documents->size()));
    }
    return std::move(documents->front());
}

std::string toYaml(const nlohmann::json &value)
{
    std::string out;
    if (value.is_object() && !value.empty())
        emitMapping(value, 0, false, out);
    else if (value.is_array() && !value.empty())
        emitSequence(value, 0, false, out);
    else
        out = scalarText(value, 2) + "\n";
    return out;
}

std::string toYamlDocuments(const std::vector<nlohmann::json> &documents)
{
    std::string out;
    for (std::size_t i = 0; i < documents.size(); ++i) {
        if (i > 0)
            out += "---\n";
        out += toYaml(documents[i]);
    }
    return out;
}

} // namespace kd::core::api
