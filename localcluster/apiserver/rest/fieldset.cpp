#include "fieldset.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <string_view>

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

namespace {

// Cheap check of a "k:"/"v:" element body: whether it is JSON (and, for keys, an object),
// without building the value (json::parse allocated a tree per element on every decode).
bool validElementBody(const std::string &element)
{
    const auto body = element.begin() + 2;
    if (!json::accept(body, element.end()))
        return false;
    if (element[0] != 'k')
        return true;
    const auto first = std::find_if(body, element.end(), [](char c) {
        return c != ' ' && c != '\t' && c != '\n' && c != '\r';
    });
    if (first != element.end() && *first == '{')
        return true;
    // Anything else that parses is not an object, unless a byte-order mark hides the '{'.
    return first != element.end() && *first == '\xEF'
           && json::parse(body, element.end(), nullptr, false).is_object();
}

} // namespace

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

    static void unite(Node &into, Node &&from)
    {
        into.member = into.member || from.member;
        if (into.children.empty()) {
            into.children = std::move(from.children);
            return;
        }
        for (auto &[element, child] : from.children) {
            auto [it, inserted] = into.children.try_emplace(element);
            if (inserted)
                it->second = std::move(child);
            else
                unite(it->second, std::move(child));
        }
    }

    // Clears the members `other` holds and drops the nodes left with nothing below them. Both
    // trees are pruned, so only the nodes on the way to `other`'s members can become empty.
    static void subtract(Node &from, const Node &other)
    {
        if (other.member)
            from.member = false;
        if (from.children.size() <= other.children.size()) {
            for (auto it = from.children.begin(); it != from.children.end();) {
                auto theirs = other.children.find(it->first);
                if (theirs != other.children.end()) {
                    subtract(it->second, theirs->second);
                    if (!it->second.member && it->second.children.empty()) {
                        it = from.children.erase(it);
                        continue;
                    }
                }
                ++it;
            }
            return;
        }
        for (const auto &[element, child] : other.children) {
            auto mine = from.children.find(element);
            if (mine == from.children.end())
                continue;
            subtract(mine->second, child);
            if (!mine->second.member && mine->second.children.empty())
                from.children.erase(mine);
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
            out.emplace(element, encode(child));
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
                || std::string_view("fkvi").find(element[0]) == std::string_view::npos)
                return Error(Error::Code::Decode,
                             "unknown FieldsV1 path element \"" + element + "\"");
            if ((element[0] == 'k' || element[0] == 'v') && !validElementBody(element))
                return Error(Error::Code::Decode,
                             "invalid FieldsV1 path element \"" + element + "\"");
            auto child = decode(*it, depth + 1);
            if (!child)
                return child.error();
            // A leaf has no children of its own; "f:x": {} is a member.
            if (child->children.empty())
                child->member = true;
            node.children.emplace_hint(node.children.end(), element, std::move(*child));
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

    // The path a Builder or Comparer is at, with a cursor into each set it adds paths to. A
    // cursor holds the nodes of the path that its set already has, so adding a path creates
    // only the missing nodes below them instead of walking from the root; element strings are
    // kept per depth so that their buffers are reused as the walk moves between siblings.
    struct Walk
    {
        struct Cursor
        {
            std::vector<Node *> nodes; // nodes[i] is the set's node at depth i
        };

        std::vector<std::string> elements; // [0, depth) is the current path
        std::size_t depth = 0;
        std::vector<Cursor> cursors;

        explicit Walk(std::initializer_list<FieldSet *> sets)
        {
            cursors.reserve(sets.size());
            for (FieldSet *set : sets)
                cursors.push_back(Cursor{{&set->m_root}});
        }

        std::string &push()
        {
            if (depth == elements.size())
                elements.emplace_back();
            return elements[depth++];
        }
        void pushField(const std::string &name)
        {
            std::string &element = push();
            element.assign("f:", 2);
            element.append(name);
        }
        void pushElement(const std::string &element) { push() = element; }
        void pop()
        {
            --depth;
            for (Cursor &cursor : cursors) {
                if (cursor.nodes.size() > depth + 1)
                    cursor.nodes.resize(depth + 1);
            }
        }

        // Makes the current path a member of set number `index`.
        void insert(std::size_t index)
        {
            if (depth == 0)
                return;
            std::vector<Node *> &nodes = cursors[index].nodes;
            for (std::size_t i = nodes.size() - 1; i < depth; ++i)
                nodes.push_back(&nodes.back()->children.try_emplace(elements[i]).first->second);
            nodes.back()->member = true;
        }

        FieldSet::Path path() const
        {
            return FieldSet::Path(elements.begin(),
                                  elements.begin() + static_cast<std::ptrdiff_t>(depth));
        }
    };

    // Field names from the root, as FieldSchema asks for them. A popped name keeps its buffer
    // for the next push: long field names would otherwise be allocated at every step.
    struct Names
    {
        std::vector<std::string> path;
        std::vector<std::string> spare;

        void push(const std::string &name)
        {
            if (spare.empty()) {
                path.push_back(name);
                return;
            }
            path.push_back(std::move(spare.back()));
            spare.pop_back();
            path.back().assign(name);
        }
        void pop()
        {
            spare.push_back(std::move(path.back()));
            path.pop_back();
        }
    };

    struct Builder
    {
        const FieldSchema &schema;
        std::vector<std::string> *errors;
        Walk walk;
        Names names;

        void value(const json &v)
        {
            if (v.is_object()) {
                if (schema.isAtomicMap(names.path)) {
                    walk.insert(0);
                    return;
                }
                for (auto it = v.begin(); it != v.end(); ++it) {
                    walk.pushField(it.key());
                    names.push(it.key());
                    if (it->is_object() || it->is_array())
                        value(*it);
                    else
                        walk.insert(0);
                    names.pop();
                    walk.pop();
                }
                return;
            }
            if (!v.is_array()) {
                walk.insert(0);
                return;
            }
            const FieldSchema::ListShape shape = schema.shapeOf(names.path);
            switch (shape.type) {
            case FieldSchema::ListShape::Type::Atomic:
                walk.insert(0);
                return;
            case FieldSchema::ListShape::Type::Set:
                for (const json &item : v) {
                    walk.pushElement(FieldSet::valueElement(item));
                    walk.insert(0);
                    walk.pop();
                }
                return;
            case FieldSchema::ListShape::Type::Map:
                for (std::size_t i = 0; i < v.size(); ++i) {
                    const std::string key = FieldSet::keyElement(v[i], shape.keys);
                    if (key.empty()) {
                        if (errors)
                            errors->push_back(FieldSet::pathString(walk.path()) + ": element "
                                              + std::to_string(i)
                                              + ": associative list with keys has an element "
                                                "that omits key field \""
                                              + shape.keys.front() + "\"");
                        continue;
                    }
                    walk.pushElement(key);
                    walk.insert(0);
                    value(v[i]);
                    walk.pop();
                }
                return;
            }
        }
    };

    struct Comparer
    {
        enum Output : std::size_t { Added, Modified, Removed };

        static const json &emptyObject()
        {
            static const json empty = json::object();
            return empty;
        }
        static const json &emptyArray()
        {
            static const json empty = json::array();
            return empty;
        }

        const FieldSchema &schema;
        // Members of either side the comparison treats as absent.
        const std::vector<const json *> &skipped;

        bool isSkipped(const json &member) const
        {
            return std::find(skipped.begin(), skipped.end(), &member) != skipped.end();
        }
        Walk walk;
        Names names;

        // Everything in `v` (itself included) as one side's exclusive content.
        void all(const json &v, Output into)
        {
            walk.insert(into);
            if (v.is_object() && !schema.isAtomicMap(names.path))
                exclusiveMap(v, into);
            else if (v.is_array())
                exclusiveList(v, into);
        }

        void exclusiveMap(const json &v, Output into)
        {
            for (auto it = v.begin(); it != v.end(); ++it) {
                if (isSkipped(*it))
                    continue;
                walk.pushField(it.key());
                names.push(it.key());
                all(*it, into);
                names.pop();
                walk.pop();
            }
        }

        void exclusiveList(const json &v, Output into)
        {
            const FieldSchema::ListShape shape = schema.shapeOf(names.path);
            if (shape.type == FieldSchema::ListShape::Type::Atomic)
                return;
            for (const json &item : v) {
                const std::string element = shape.type == FieldSchema::ListShape::Type::Set
                                                ? FieldSet::valueElement(item)
                                                : FieldSet::keyElement(item, shape.keys);
                if (element.empty())
                    continue;
                walk.pushElement(element);
                walk.insert(into);
                if (shape.type == FieldSchema::ListShape::Type::Map && item.is_object())
                    exclusiveMap(item, into);
                walk.pop();
            }
        }

        void both(const json &a, const json &b)
        {
            const bool aNull = a.is_null(), bNull = b.is_null();
            if (a.is_object() && (b.is_object() || bNull) && !schema.isAtomicMap(names.path)) {
                // A null side reads as empty; `cond ? json::object() : b` would copy `b`.
                maps(a, bNull ? emptyObject() : b);
                return;
            }
            if (aNull && b.is_object() && !schema.isAtomicMap(names.path)) {
                maps(emptyObject(), b);
                return;
            }
            if (a.is_array() || b.is_array()) {
                const FieldSchema::ListShape shape = schema.shapeOf(names.path);
                if (shape.type != FieldSchema::ListShape::Type::Atomic && (a.is_array() || aNull)
                    && (b.is_array() || bNull)) {
                    lists(aNull ? emptyArray() : a, bNull ? emptyArray() : b, shape);
                    return;
                }
            }
            if (a != b)
                walk.insert(Modified);
        }

        void maps(const json &a, const json &b)
        {
            for (auto it = a.begin(); it != a.end(); ++it) {
                if (isSkipped(*it))
                    continue;
                walk.pushField(it.key());
                names.push(it.key());
                if (auto other = b.find(it.key()); other != b.end() && !isSkipped(*other))
                    both(*it, *other);
                else
                    all(*it, Removed);
                names.pop();
                walk.pop();
            }
            for (auto it = b.begin(); it != b.end(); ++it) {
                if (isSkipped(*it))
                    continue;
                if (auto mine = a.find(it.key()); mine != a.end() && !isSkipped(*mine))
                    continue;
                walk.pushField(it.key());
                names.push(it.key());
                all(*it, Added);
                names.pop();
                walk.pop();
            }
        }

        void lists(const json &a, const json &b, const FieldSchema::ListShape &shape)
        {
            const bool isSet = shape.type == FieldSchema::ListShape::Type::Set;
            const auto elementOf = [&](const json &item) {
                return isSet ? FieldSet::valueElement(item)
                             : FieldSet::keyElement(item, shape.keys);
            };
            // Items by element in element order, the first of equal elements kept (as map
            // emplace did); sorted vectors spare a node allocation per item.
            using Items = std::vector<std::pair<std::string, const json *>>;
            const auto index = [&](const json &list) {
                Items items;
                items.reserve(list.size());
                for (const json &item : list)
                    items.emplace_back(elementOf(item), &item);
                std::stable_sort(items.begin(), items.end(),
                                 [](const auto &x, const auto &y) { return x.first < y.first; });
                items.erase(
                    std::unique(items.begin(), items.end(),
                                [](const auto &x, const auto &y) { return x.first == y.first; }),
                    items.end());
                return items;
            };
            const auto lookup = [](const Items &items, const std::string &element) {
                auto it = std::lower_bound(
                    items.begin(), items.end(), element,
                    [](const auto &item, const std::string &e) { return item.first < e; });
                return it != items.end() && it->first == element ? it : items.end();
            };
            const Items before = index(a), after = index(b);
            const auto side = [&](const Items &mine, const Items &theirs, Output into) {
                for (const auto &[element, item] : mine) {
                    if (element.empty() || lookup(theirs, element) != theirs.end())
                        continue;
                    walk.pushElement(element);
                    walk.insert(into);
                    if (!isSet && item->is_object())
                        exclusiveMap(*item, into);
                    walk.pop();
                }
            };
            side(before, after, Removed);
            side(after, before, Added);
            if (isSet)
                return;
            for (const auto &[element, item] : before) {
                auto other = lookup(after, element);
                if (element.empty() || other == after.end())
                    continue;
                walk.pushElement(element);
                if (item->is_object() && other->second->is_object())
                    maps(*item, *other->second);
                else if (*item != *other->second)
                    walk.insert(Modified);
                walk.pop();
            }
        }
    };
};

FieldSet FieldSet::fromObject(const json &object, const FieldSchema &schema,
                              std::vector<std::string> *errors)
{
    FieldSet set;
    FieldSetOps::Builder builder{schema, errors, FieldSetOps::Walk{&set}, {}};
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
    return std::move(out.uniteWith(other));
}

FieldSet FieldSet::difference(const FieldSet &other) const
{
    FieldSet out = *this;
    return std::move(out.subtract(other));
}

FieldSet &FieldSet::uniteWith(const FieldSet &other)
{
    FieldSetOps::unite(m_root, other.m_root);
    return *this;
}

FieldSet &FieldSet::uniteWith(FieldSet &&other)
{
    if (&other == this)
        return *this;
    FieldSetOps::unite(m_root, std::move(other.m_root));
    other.m_root = Node();
    return *this;
}

FieldSet &FieldSet::subtract(const FieldSet &other)
{
    FieldSetOps::subtract(m_root, other.m_root);
    m_root.member = false;
    return *this;
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
    // Only the nodes on the way to `path` can be left empty (sets are pruned).
    std::vector<Node *> nodes{&m_root};
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        auto it = nodes.back()->children.find(path[i]);
        if (it == nodes.back()->children.end())
            return;
        nodes.push_back(&it->second);
    }
    nodes.back()->children.erase(path.back());
    for (std::size_t i = nodes.size() - 1; i > 0; --i) {
        if (nodes[i]->member || !nodes[i]->children.empty())
            break;
        nodes[i - 1]->children.erase(path[i - 1]);
    }
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

namespace {

// Whether JSON spells `text` as itself between quotes (no escapes, nothing to replace).
bool plainText(const std::string &text)
{
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u < 0x7f && c != '"' && c != '\\';
    });
}

// Appends `value` as compact JSON. Elements are made for every list item of every write, and
// most are plain strings: those skip the serializer.
void appendJson(std::string &out, const json &value)
{
    if (value.is_string() && plainText(value.get_ref<const std::string &>())) {
        out += '"';
        out += value.get_ref<const std::string &>();
        out += '"';
        return;
    }
    out += value.dump(-1, ' ', false, json::error_handler_t::replace);
}

void appendName(std::string &out, const std::string &name)
{
    if (plainText(name)) {
        out += '"';
        out += name;
        out += '"';
        return;
    }
    out += json(name).dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace

std::string FieldSet::keyElement(const json &item, const std::vector<std::string> &keys)
{
    if (!item.is_object() || keys.empty())
        return {};
    // The key fields as a JSON object holds them: in name order, each once. The text is written
    // directly rather than through a json object, which copied the values.
    static const json kTcp = "TCP"; // the schema default upstream's keys fall back to
    std::vector<std::pair<const std::string *, const json *>> fields;
    fields.reserve(keys.size());
    for (const std::string &field : keys) {
        if (auto it = item.find(field); it != item.end() && !it->is_null())
            fields.emplace_back(&field, &*it);
        else if (field == "protocol")
            fields.emplace_back(&field, &kTcp);
    }
    if (fields.empty())
        return {};
    std::stable_sort(fields.begin(), fields.end(),
                     [](const auto &a, const auto &b) { return *a.first < *b.first; });
    std::string out = "k:{";
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0 && *fields[i].first == *fields[i - 1].first)
            continue;
        if (i > 0)
            out += ',';
        appendName(out, *fields[i].first);
        out += ':';
        appendJson(out, *fields[i].second);
    }
    out += '}';
    return out;
}

std::string FieldSet::valueElement(const json &value)
{
    std::string out = "v:";
    appendJson(out, value);
    return out;
}

FieldComparison compareObjects(const json &before, const json &after, const FieldSchema &schema)
{
    return compareObjects(before, after, schema, {});
}

FieldComparison compareObjects(const json &before, const json &after, const FieldSchema &schema,
                               const std::vector<const json *> &skipped)
{
    FieldComparison out;
    FieldSetOps::Comparer comparer{
        schema, skipped, FieldSetOps::Walk{&out.added, &out.modified, &out.removed}, {}};
    const json &empty = FieldSetOps::Comparer::emptyObject();
    comparer.both(before.is_object() ? before : empty, after.is_object() ? after : empty);
    return out;
}

} // namespace kd::lc::apiserver
