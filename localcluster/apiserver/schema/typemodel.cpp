#include "typemodel.h"

#include "typetext.h"

#include <algorithm>
#include <map>
#include <set>

namespace kd::lc::apiserver::schema {

namespace {

const std::set<std::string_view> kScalars{"string", "int32", "int64", "boolean", "double", "byte"};
const std::map<std::string_view, TypeDef::Leaf> kLeaves{{"time", TypeDef::Leaf::Time},
                                                        {"microtime", TypeDef::Leaf::MicroTime},
                                                        {"quantity", TypeDef::Leaf::Quantity},
                                                        {"intorstring", TypeDef::Leaf::IntOrString},
                                                        {"object", TypeDef::Leaf::OpenObject}};

std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
        text.remove_suffix(1);
    return text;
}

// Splits at `separator` outside double quotes.
std::vector<std::string_view> splitOutsideQuotes(std::string_view text, char separator)
{
    std::vector<std::string_view> parts;
    bool quoted = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '"')
            quoted = !quoted;
        else if (text[i] == separator && !quoted) {
            parts.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    parts.push_back(text.substr(start));
    return parts;
}

// Words of a declaration; a trailing "quoted text" becomes the description.
struct Words
{
    std::vector<std::string> words;
    std::string description;
};

Words splitWords(std::string_view text)
{
    Words out;
    text = trim(text);
    if (const auto quote = text.find('"'); quote != std::string_view::npos) {
        const auto end = text.rfind('"');
        if (end > quote)
            out.description = std::string(text.substr(quote + 1, end - quote - 1));
        text = trim(text.substr(0, quote));
    }
    for (std::string_view word : splitOutsideQuotes(text, ' ')) {
        word = trim(word);
        if (!word.empty())
            out.words.emplace_back(word);
    }
    return out;
}

std::vector<std::string> splitList(std::string_view text)
{
    std::vector<std::string> out;
    for (std::string_view part : splitOutsideQuotes(text, ','))
        out.emplace_back(trim(part));
    return out;
}

// A field whose type names are resolved to full names once every type is known, in the
// package the field was written in.
struct PendingRef
{
    std::string typeName;
    std::string fieldName;
    std::string package;
};

class Model
{
public:
    Model() { parse(typeText()); }

    std::map<std::string, TypeDef, std::less<>> types;
    std::vector<std::string> problems;

private:
    std::map<std::string, std::string, std::less<>> m_aliases; // alias -> package
    std::string m_package;
    TypeDef *m_current = nullptr;
    std::vector<std::pair<std::string, std::string>> m_bases; // type -> base as written + package

    std::string resolve(const std::string &written, const std::string &package) const
    {
        if (const auto dot = written.find('.'); dot != std::string::npos) {
            const auto alias = m_aliases.find(std::string_view(written).substr(0, dot));
            if (alias != m_aliases.end())
                return alias->second + written.substr(dot);
            return written;
        }
        for (const std::string &candidate :
             {package, m_aliases.at("meta"), m_aliases.at("core"), m_aliases.at("runtime"),
              m_aliases.at("intstr"), m_aliases.at("resource")}) {
            if (types.contains(candidate + "." + written))
                return candidate + "." + written;
        }
        return {};
    }

    bool parseTypeExpr(std::string_view text, TypeExpr &out, std::vector<TypeExpr *> &refs)
    {
        if (text.starts_with("[]") || text.starts_with("{}")) {
            out.shape = text.starts_with("[]") ? TypeExpr::Shape::Array : TypeExpr::Shape::Map;
            auto element = std::make_shared<TypeExpr>();
            if (!parseTypeExpr(text.substr(2), *element, refs))
                return false;
            out.element = std::move(element);
            return true;
        }
        if (text.empty())
            return false;
        if (text == "bool")
            text = "boolean";
        if (kScalars.contains(text)) {
            out.shape = TypeExpr::Shape::Scalar;
            out.name = std::string(text);
            return true;
        }
        out.shape = TypeExpr::Shape::Ref;
        out.name = std::string(text);
        refs.push_back(&out);
        return true;
    }

    void parseHeader(std::string_view line)
    {
        const Words words = splitWords(line);
        if (words.words.empty())
            return;
        const std::string fullName = m_package + "." + words.words.front();
        if (types.contains(fullName))
            problems.push_back("type " + fullName + " declared twice");
        TypeDef &type = types[fullName];
        type.name = fullName;
        type.description = words.description;
        m_current = &type;
        for (std::size_t i = 1; i < words.words.size(); ++i) {
            const std::string &word = words.words[i];
            if (word.starts_with("@")) {
                const auto parts = splitOutsideQuotes(std::string_view(word).substr(1), '/');
                if (parts.size() != 3) {
                    problems.push_back(fullName + ": bad kind " + word);
                    continue;
                }
                type.kinds.push_back(
                    {std::string(parts[0]), std::string(parts[1]), std::string(parts[2])});
            } else if (word.starts_with("=")) {
                const auto leaf = kLeaves.find(std::string_view(word).substr(1));
                if (leaf == kLeaves.end())
                    problems.push_back(fullName + ": unknown leaf " + word);
                else
                    type.leaf = leaf->second;
            } else if (word.starts_with("<")) {
                m_bases.emplace_back(fullName, word.substr(1) + "|" + m_package);
            } else if (word == "atomic") {
                type.atomic = true;
            } else {
                problems.push_back(fullName + ": unknown word " + word);
            }
        }
    }

    void parseField(std::string_view text, std::vector<PendingRef> &pending)
    {
        const Words words = splitWords(text);
        if (words.words.size() < 2) {
            problems.push_back(m_current->name + ": bad field \"" + std::string(text) + "\"");
            return;
        }
        FieldDef field;
        field.name = words.words[0];
        if (field.name.ends_with('!')) {
            field.required = true;
            field.name.pop_back();
        }
        field.description = words.description;
        std::vector<TypeExpr *> refs;
        if (!parseTypeExpr(words.words[1], field.type, refs))
            problems.push_back(m_current->name + "." + field.name + ": bad type");
        for (std::size_t i = 2; i < words.words.size(); ++i) {
            const std::string &word = words.words[i];
            const auto eq = word.find('=');
            const std::string key = word.substr(0, eq);
            const std::string value = eq == std::string::npos ? std::string() : word.substr(eq + 1);
            if (key == "mk") {
                field.patchStrategy = "merge";
                field.patchMergeKey = value;
                field.listType = "map";
                field.listMapKeys = {value};
            } else if (key == "ps") {
                field.patchStrategy = value;
            } else if (key == "pk") {
                field.patchMergeKey = value;
            } else if (key == "lt") {
                field.listType = value;
            } else if (key == "lk") {
                field.listMapKeys = splitList(value);
            } else if (key == "mt") {
                field.mapType = value;
            } else {
                problems.push_back(m_current->name + "." + field.name + ": unknown attribute "
                                   + word);
            }
        }
        if (!refs.empty())
            pending.push_back({m_current->name, field.name, m_package});
        m_current->fields.push_back(std::move(field));
    }

    void parse(std::string_view text)
    {
        std::vector<PendingRef> pending;
        std::size_t pos = 0;
        while (pos <= text.size()) {
            auto end = text.find('\n', pos);
            if (end == std::string_view::npos)
                end = text.size();
            const std::string_view line = text.substr(pos, end - pos);
            pos = end + 1;
            const std::string_view content = trim(line);
            if (content.empty() || content.starts_with('#'))
                continue;
            if (line.front() == ' ') {
                if (!m_current) {
                    problems.push_back("field outside a type: " + std::string(content));
                    continue;
                }
                for (std::string_view part : splitOutsideQuotes(content, ';')) {
                    if (!trim(part).empty())
                        parseField(part, pending);
                }
            } else if (content.starts_with("pkg ")) {
                const Words words = splitWords(content);
                if (words.words.size() != 3) {
                    problems.push_back("bad package line: " + std::string(content));
                    continue;
                }
                m_aliases[words.words[1]] = words.words[2];
                m_package = words.words[2];
                m_current = nullptr;
            } else {
                parseHeader(content);
            }
        }
        resolveAll(pending);
    }

    void resolveExpr(TypeExpr &expr, const std::string &owner, const std::string &package)
    {
        if (expr.shape == TypeExpr::Shape::Array || expr.shape == TypeExpr::Shape::Map) {
            auto element = std::make_shared<TypeExpr>(*expr.element);
            resolveExpr(*element, owner, package);
            expr.element = std::move(element);
            return;
        }
        if (expr.shape != TypeExpr::Shape::Ref)
            return;
        const std::string full = resolve(expr.name, package);
        if (full.empty() || !types.contains(full))
            problems.push_back(owner + ": unresolved type " + expr.name);
        else
            expr.name = full;
    }

    void resolveAll(const std::vector<PendingRef> &pending)
    {
        for (const PendingRef &ref : pending) {
            TypeDef &type = types[ref.typeName];
            for (FieldDef &field : type.fields) {
                if (field.name == ref.fieldName)
                    resolveExpr(field.type, type.name + "." + field.name, ref.package);
            }
        }
        for (const auto &[typeName, baseAndPackage] : m_bases) {
            const auto bar = baseAndPackage.find('|');
            const std::string base
                = resolve(baseAndPackage.substr(0, bar), baseAndPackage.substr(bar + 1));
            const auto found = types.find(base);
            if (found == types.end()) {
                problems.push_back(typeName + ": unresolved base " + baseAndPackage);
                continue;
            }
            TypeDef &type = types[typeName];
            std::vector<FieldDef> fields = found->second.fields;
            fields.insert(fields.end(), type.fields.begin(), type.fields.end());
            type.fields = std::move(fields);
        }
        for (const auto &[name, type] : types) {
            for (const FieldDef &field : type.fields) {
                if (!field.patchMergeKey.empty()) {
                    const TypeDef *element = referencedType(field.type);
                    if (!element || !element->field(field.patchMergeKey))
                        problems.push_back(name + "." + field.name + ": merge key "
                                           + field.patchMergeKey + " is not a field of the items");
                }
            }
        }
    }

    const TypeDef *referencedType(const TypeExpr &type) const
    {
        if (type.shape == TypeExpr::Shape::Array || type.shape == TypeExpr::Shape::Map)
            return referencedType(*type.element);
        if (type.shape != TypeExpr::Shape::Ref)
            return nullptr;
        const auto it = types.find(type.name);
        return it == types.end() ? nullptr : &it->second;
    }
};

const Model &model()
{
    static const Model instance;
    return instance;
}

} // namespace

const FieldDef *TypeDef::field(std::string_view fieldName) const
{
    const auto it = std::find_if(fields.begin(), fields.end(),
                                 [&](const FieldDef &f) { return f.name == fieldName; });
    return it == fields.end() ? nullptr : &*it;
}

const TypeDef *findType(std::string_view name)
{
    const auto &types = model().types;
    const auto it = types.find(name);
    return it == types.end() ? nullptr : &it->second;
}

const TypeDef *findKind(const GroupVersionKind &gvk)
{
    // Built once: kinds are looked up on every write.
    static const std::map<std::string, const TypeDef *> byKind = [] {
        std::map<std::string, const TypeDef *> out;
        for (const auto &[name, type] : model().types) {
            for (const GroupVersionKind &kind : type.kinds)
                out[kind.group + "/" + kind.version + "/" + kind.kind] = &type;
        }
        return out;
    }();
    const auto it = byKind.find(gvk.group + "/" + gvk.version + "/" + gvk.kind);
    return it == byKind.end() ? nullptr : it->second;
}

std::vector<const TypeDef *> allTypes()
{
    std::vector<const TypeDef *> out;
    for (const auto &[name, type] : model().types)
        out.push_back(&type);
    return out;
}

std::vector<std::string> modelProblems()
{
    return model().problems;
}

const TypeDef *referencedType(const TypeExpr &type)
{
    if (type.shape == TypeExpr::Shape::Array || type.shape == TypeExpr::Shape::Map)
        return type.element ? referencedType(*type.element) : nullptr;
    return type.shape == TypeExpr::Shape::Ref ? findType(type.name) : nullptr;
}

const FieldDef *fieldAt(const GroupVersionKind &gvk, const std::vector<std::string> &path)
{
    const TypeDef *type = findKind(gvk);
    const FieldDef *field = nullptr;
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (!type)
            return nullptr;
        field = type->field(path[i]);
        if (!field)
            return nullptr;
        if (i + 1 == path.size())
            break;
        // A map of objects consumes the next path element as its key.
        const TypeExpr *expr = &field->type;
        while (expr->shape == TypeExpr::Shape::Array)
            expr = expr->element.get();
        if (expr->shape == TypeExpr::Shape::Map) {
            ++i;
            if (i + 1 == path.size())
                return nullptr;
        }
        type = referencedType(*expr);
    }
    return field;
}

} // namespace kd::lc::apiserver::schema
