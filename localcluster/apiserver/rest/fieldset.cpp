#include "fieldset.h"

#include <nlohmann/json.hpp>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

FieldSchema::ListShape FieldSchema::shapeOf(const std::vector<std::string> &path) const
{
    return listShape ? listShape(path) : ListShape{};
}

bool FieldSchema::isAtomicMap(const std::vector<std::string> &path) const
{
    return atomicMap && atomicMap(path);
}

// Recursive helpers with access to FieldSet's nodes.
struct FieldSetOps
{
    using Node = FieldSet::Node;

    static void prune(Node &node)
    {
        for (auto it = node.children.begin(); it != node.children.end();) {
            prune(it->second);
            if (!it->second.member && it->second.children.empty())
                it = node.children.erase(it);
            else
                ++it;
        }
    }

    static void unite(Node &into, const Node &from)
    {
        into.member = into.member || from.member;
        for (const auto &[element, child] : from.children)
            unite(into.children[element], child);
    }

    static void subtract(Node &from, const Node &other)
    {
        if (other.member)
            from.member = false;
        for (auto &[element, child] : from.children) {
            if (auto it = other.children.find(element); it != other.children.end())
                subtract(child, it->second);
        }
    }

    static Node intersect(const Node &a, const Node &b)
    {
        Node out;
        out.member = a.member && b.member;
        for (const auto &[element, child] : a.children) {
            if (auto it = b.children.find(element); it != b.children.end())
                out.children.emplace(element, intersect(child, it->second));
        }
        return out;
    }

    static json encode(const Node &node)
    {
        json out = json::object();
        if (node.member && !node.children.empty())
            out["."] = json::object();
        for (const auto &[element, child] : node.children)
            out[element] = encode(child);
        return out;
    }

    static Result<Node> decode(const json &fields, int depth)
    {
        if (!fields.is_object())
            return Error(Error::Code::Decode, "FieldsV1 entries must be objects");
        if (depth > 100)
            return Error(Error::Code::Decode, "FieldsV1 nested too deeply");
        Node node;
        for (auto it = fields.begin(); it != fields.end(); ++it) {
            const std::string &element = it.key();
            if (element == ".") {
                node.member = true;
                continue;
            }
            if (element.size() < 2 || element[1] != ':'
                || std::string("fkvi").find(element[0]) == std::string::npos)
                return Error(Error::Code::Decode,
                             "unknown FieldsV1 path element \"" + element + "\"");
            if (element[0] == 'k' || element[0] == 'v') {
                const json value = json::parse(element.substr(2), nullptr, false);
                if (value.is_discarded() || (element[0] == 'k' && !value.is_object()))
                    return Error(Error::Code::Decode,
                                 "invalid FieldsV1 path element \"" + element + "\"");
            }
            auto child = decode(*it, depth + 1);
            if (!child)
                return child.error();
            // A leaf has no children of its own; "f:x": {} is a member.
            if (child->children.empty())
                child->member = true;
            node.children.emplace(element, std::move(*child));
        }
        return node;
    }

    // Upstream's Set.Iterate: the members of one level first, then each child's subtree.
    static void collect(const Node &node, FieldSet::Path &prefix, std::vector<FieldSet::Path> &out)
    {
        for (const auto &[element, child] : node.children) {
            if (child.member) {
                prefix.push_back(element);
                out.push_back(prefix);
                prefix.pop_back();
            }
        }
        for (const auto &[element, child] : node.children) {
            prefix.push_back(element);
            collect(child, prefix, out);
            prefix.pop_back();
        }
    }

    struct Builder
    {
        const FieldSchema &schema;
        std::vector<std::string> *errors;
        FieldSet &set;
        FieldSet::Path elements;
        std::vector<std::string> names;

        void value(const json &v)
        {
            if (v.is_object()) {
                if (schema.isAtomicMap(names)) {
                    set.insert(elements);
                    return;
                }
                for (auto it = v.begin(); it != v.end(); ++it) {
                    elements.push_back(FieldSet::fieldElement(it.key()));
                    names.push_back(it.key());
                    if (it->is_object() || it->is_array())
                        value(*it);
                    else
                        set.insert(elements);
                    names.pop_back();
                    elements.pop_back();
                }
                return;
            }
            if (!v.is_array()) {
                set.insert(elements);
                return;
            }
            const FieldSchema::ListShape shape = schema.shapeOf(names);
            switch (shape.type) {
            case FieldSchema::ListShape::Type::Atomic:
                set.insert(elements);
                return;
            case FieldSchema::ListShape::Type::Set:
                for (const json &item : v) {
                    elements.push_back(FieldSet::valueElement(item));
                    set.insert(elements);
                    elements.pop_back();
                }
                return;
            case FieldSchema::ListShape::Type::Map:
                for (std::size_t i = 0; i < v.size(); ++i) {
                    const std::string key = FieldSet::keyElement(v[i], shape.keys);
                    if (key.empty()) {
                        if (errors)
                            errors->push_back(FieldSet::pathString(elements) + ": element "
                                              + std::to_string(i)
                                              + ": associative list with keys has an element "
                                                "that omits key field \""
                                              + shape.keys.front() + "\"");
                        continue;
                    }
                    elements.push_back(key);
                    set.insert(elements);
                    value(v[i]);
                    elements.pop_back();
                }
                return;
            }
        }
    };

    struct Comparer
    {
        const FieldSchema &schema;
        FieldComparison &out;
        FieldSet::Path elements;
        std::vector<std::string> names;

        // Everything in `v` (itself included) as one side's exclusive content.
        void all(const json &v, FieldSet &into)
        {
            into.insert(elements);
            if (v.is_object() && !schema.isAtomicMap(names))
                exclusiveMap(v, into);
            else if (v.is_array())
                exclusiveList(v, into);
        }

        void exclusiveMap(const json &v, FieldSet &into)
        {
            for (auto it = v.begin(); it != v.end(); ++it) {
                elements.push_back(FieldSet::fieldElement(it.key()));
                names.push_back(it.key());
                all(*it, into);
                names.pop_back();
                elements.pop_back();
            }
        }

        void exclusiveList(const json &v, FieldSet &into)
        {
            const FieldSchema::ListShape shape = schema.shapeOf(names);
            if (shape.type == FieldSchema::ListShape::Type::Atomic)
                return;
            for (const json &item : v) {
                const std::string element = shape.type == FieldSchema::ListShape::Type::Set
                                                ? FieldSet::valueElement(item)
                                                : FieldSet::keyElement(item, shape.keys);
                if (element.empty())
                    continue;
                elements.push_back(element);
                into.insert(elements);
                if (shape.type == FieldSchema::ListShape::Type::Map && item.is_object()) {
                    for (auto it = item.begin(); it != item.end(); ++it) {
                        elements.push_back(FieldSet::fieldElement(it.key()));
                        names.push_back(it.key());
                        all(*it, into);
                        names.pop_back();
                        elements.pop_back();
                    }
                }
                elements.pop_back();
            }
        }

        void both(const json &a, const json &b)
        {
            const bool aNull = a.is_null(), bNull = b.is_null();
            if (a.is_object() && (b.is_object() || bNull) && !schema.isAtomicMap(names)) {
                maps(a, bNull ? json::object() : b);
                return;
            }
            if (aNull && b.is_object() && !schema.isAtomicMap(names)) {
                maps(json::object(), b);
                return;
            }
            if (a.is_array() || b.is_array()) {
                const FieldSchema::ListShape shape = schema.shapeOf(names);
                if (shape.type != FieldSchema::ListShape::Type::Atomic && (a.is_array() || aNull)
                    && (b.is_array() || bNull)) {
                    lists(aNull ? json::array() : a, bNull ? json::array() : b, shape);
                    return;
                }
            }
            if (a != b)
                out.modified.insert(elements);
        }

        void maps(const json &a, const json &b)
        {
            for (auto it = a.begin(); it != a.end(); ++it) {
                elements.push_back(FieldSet::fieldElement(it.key()));
                names.push_back(it.key());
                if (auto other = b.find(it.key()); other != b.end())
                    both(*it, *other);
                else
                    all(*it, out.removed);
                names.pop_back();
                elements.pop_back();
            }
            for (auto it = b.begin(); it != b.end(); ++it) {
                if (a.contains(it.key()))
                    continue;
                elements.push_back(FieldSet::fieldElement(it.key()));
                names.push_back(it.key());
                all(*it, out.added);
                names.pop_back();
                elements.pop_back();
            }
        }

        void lists(const json &a, const json &b, const FieldSchema::ListShape &shape)
        {
            const bool isSet = shape.type == FieldSchema::ListShape::Type::Set;
            const auto elementOf = [&](const json &item) {
                return isSet ? FieldSet::valueElement(item)
                             : FieldSet::keyElement(item, shape.keys);
            };
            std::map<std::string, const json *> before, after;
            for (const json &item : a)
                before.emplace(elementOf(item), &item);
            for (const json &item : b)
                after.emplace(elementOf(item), &item);
            const auto side
                = [&](const std::map<std::string, const json *> &mine,
                      const std::map<std::string, const json *> &theirs, FieldSet &into) {
                      for (const auto &[element, item] : mine) {
                          if (element.empty() || theirs.contains(element))
                              continue;
                          elements.push_back(element);
                          into.insert(elements);
                          if (!isSet && item->is_object()) {
                              for (auto it = item->begin(); it != item->end(); ++it) {
                                  elements.push_back(FieldSet::fieldElement(it.key()));
                                  names.push_back(it.key());
                                  all(*it, into);
                                  names.pop_back();
                                  elements.pop_back();
                              }
                          }
                          elements.pop_back();
                      }
                  };
            side(before, after, out.removed);
            side(after, before, out.added);
            if (isSet)
                return;
            for (const auto &[element, item] : before) {
                auto other = after.find(element);
                if (element.empty() || other == after.end())
                    continue;
                elements.push_back(element);
                if (item->is_object() && other->second->is_object())
                    maps(*item, *other->second);
                else if (*item != *other->second)
                    out.modified.insert(elements);
                elements.pop_back();
            }
        }
    };
};

FieldSet FieldSet::fromObject(const json &object, const FieldSchema &schema,
                              std::vector<std::string> *errors)
{
    FieldSet set;
    FieldSetOps::Builder builder{schema, errors, set, {}, {}};
    if (object.is_object())
        builder.value(object);
    return set;
}

Result<FieldSet> FieldSet::fromFieldsV1(const json &fields)
{
    auto root = FieldSetOps::decode(fields, 0);
    if (!root)
        return root.error();
    FieldSet set;
    set.m_root = std::move(*root);
    set.m_root.member = false;
    FieldSetOps::prune(set.m_root);
    return set;
}

json FieldSet::toFieldsV1() const
{
    json out = FieldSetOps::encode(m_root);
    out.erase(".");
    return out;
}

void FieldSet::insert(const Path &path)
{
    if (path.empty())
        return;
    Node *node = &m_root;
    for (const std::string &element : path)
        node = &node->children[element];
    node->member = true;
}

bool FieldSet::contains(const Path &path) const
{
    const Node *node = &m_root;
    for (const std::string &element : path) {
        auto it = node->children.find(element);
        if (it == node->children.end())
            return false;
        node = &it->second;
    }
    return !path.empty() && node->member;
}

bool FieldSet::containsPrefix(const Path &path) const
{
    const Node *node = &m_root;
    for (const std::string &element : path) {
        auto it = node->children.find(element);
        if (it == node->children.end())
            return false;
        node = &it->second;
    }
    // Nodes only exist on the way to a member (sets are pruned).
    return node->member || !node->children.empty();
}

bool FieldSet::empty() const
{
    return m_root.children.empty();
}

FieldSet FieldSet::united(const FieldSet &other) const
{
    FieldSet out = *this;
    FieldSetOps::unite(out.m_root, other.m_root);
    return out;
}

FieldSet FieldSet::difference(const FieldSet &other) const
{
    FieldSet out = *this;
    FieldSetOps::subtract(out.m_root, other.m_root);
    FieldSetOps::prune(out.m_root);
    return out;
}

FieldSet FieldSet::intersection(const FieldSet &other) const
{
    FieldSet out;
    out.m_root = FieldSetOps::intersect(m_root, other.m_root);
    out.m_root.member = false;
    FieldSetOps::prune(out.m_root);
    return out;
}

void FieldSet::erasePrefix(const Path &path)
{
    if (path.empty()) {
        m_root = Node();
        return;
    }
    Node *node = &m_root;
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        auto it = node->children.find(path[i]);
        if (it == node->children.end())
            return;
        node = &it->second;
    }
    node->children.erase(path.back());
    FieldSetOps::prune(m_root);
}

std::vector<FieldSet::Path> FieldSet::members() const
{
    std::vector<Path> out;
    Path prefix;
    FieldSetOps::collect(m_root, prefix, out);
    return out;
}

namespace {

// structured-merge-diff's value.ToString: strings quoted, everything else as JSON prints it.
std::string valueText(const json &value)
{
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace

std::string FieldSet::pathString(const Path &path)
{
    std::string out;
    for (const std::string &element : path) {
        const std::string body = element.size() > 2 ? element.substr(2) : std::string();
        switch (element.empty() ? ' ' : element[0]) {
        case 'f':
            out += "." + body;
            break;
        case 'k': {
            const json key = json::parse(body, nullptr, false);
            std::string text;
            if (key.is_object()) {
                for (auto it = key.begin(); it != key.end(); ++it)
                    text += (text.empty() ? "" : ",") + it.key() + "=" + valueText(*it);
            }
            out += "[" + text + "]";
            break;
        }
        case 'v': {
            const json value = json::parse(body, nullptr, false);
            out += "[=" + (value.is_discarded() ? body : valueText(value)) + "]";
            break;
        }
        case 'i':
            out += "[" + body + "]";
            break;
        default:
            out += "{{invalid path element}}";
        }
    }
    return out;
}

std::string FieldSet::fieldElement(const std::string &name)
{
    return "f:" + name;
}

std::string FieldSet::keyElement(const json &item, const std::vector<std::string> &keys)
{
    if (!item.is_object() || keys.empty())
        return {};
    json key = json::object();
    for (const std::string &field : keys) {
        if (auto it = item.find(field); it != item.end() && !it->is_null())
            key[field] = *it;
        else if (field == "protocol")
            key[field] = "TCP"; // the schema default upstream's keys fall back to
    }
    if (key.empty())
        return {};
    return "k:" + key.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string FieldSet::valueElement(const json &value)
{
    return "v:" + value.dump(-1, ' ', false, json::error_handler_t::replace);
}

FieldComparison compareObjects(const json &before, const json &after, const FieldSchema &schema)
{
    FieldComparison out;
    FieldSetOps::Comparer comparer{schema, out, {}, {}};
    comparer.both(before.is_object() ? before : json::object(),
                  after.is_object() ? after : json::object());
    return out;
}

} // namespace kd::lc::apiserver
