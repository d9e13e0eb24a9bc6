#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kd::lc::apiserver {

// How server-side apply treats a list or map field (upstream's x-kubernetes-list-type,
// listMapKey and map-type/struct-type markers). `path` names fields from the object root with
// list positions left out: {"spec","template","spec","containers"}.
struct FieldSchema
{
    struct ListShape
    {
        enum class Type {
            Atomic, // replaced and owned whole
            Set,    // scalars, one owner per value ("v:")
            Map,    // objects identified by `keys` ("k:")
        };
        Type type = Type::Atomic;
        std::vector<std::string> keys;
    };
    std::function<ListShape(const std::vector<std::string> &path)> listShape;
    // Maps and structs owned whole (label selectors, Service.spec.selector).
    std::function<bool(const std::vector<std::string> &path)> atomicMap;

    ListShape shapeOf(const std::vector<std::string> &path) const;
    bool isAtomicMap(const std::vector<std::string> &path) const;
};

// A set of field paths as managedFields records them (structured-merge-diff's fieldpath.Set):
// each path element is spelt as in FieldsV1 — "f:name" for a field, "k:{\"name\":\"web\"}" for
// the item of a keyed list, "v:\"x\"" for a set item, "i:3" for a positional item. A path is a
// member when the field itself is owned; its prefixes exist only to reach it. Value type; any
// thread; nothing throws.
class FieldSet final
{
public:
    using Path = std::vector<std::string>;

    // Paths a value sets: every leaf, every item of a keyed list and the atomic lists and maps
    // (upstream's ToFieldSet). Items of a keyed list that lack all key fields are reported in
    // `errors` (one message each) and left out.
    static FieldSet fromObject(const nlohmann::json &object, const FieldSchema &schema,
                               std::vector<std::string> *errors = nullptr);
    // Parses a FieldsV1 document; Decode error for anything that is not one.
    static core::util::Result<FieldSet> fromFieldsV1(const nlohmann::json &fields);
    nlohmann::json toFieldsV1() const;

    void insert(const Path &path);
    bool contains(const Path &path) const;
    // Whether `path` or anything below it is a member.
    bool containsPrefix(const Path &path) const;
    bool empty() const;

    FieldSet united(const FieldSet &other) const;
    FieldSet difference(const FieldSet &other) const;
    FieldSet intersection(const FieldSet &other) const;
    // In-place forms of united() and difference(): the write path combines large sets several
    // times per request, and copying them was most of its cost. The rvalue form moves the
    // other set's subtrees instead of copying them.
    FieldSet &uniteWith(const FieldSet &other);
    FieldSet &uniteWith(FieldSet &&other);
    FieldSet &subtract(const FieldSet &other);
    // Removes `path` and everything below it (upstream's RecursiveDifference for one path).
    void erasePrefix(const Path &path);

    // The members in upstream's iteration order: a level's members, then each child's subtree.
    std::vector<Path> members() const;

    // How upstream prints a path in conflict messages: `.spec.containers[name="web"].image`.
    static std::string pathString(const Path &path);
    // The element for a field, a keyed item or a set item.
    static std::string fieldElement(const std::string &name);
    static std::string keyElement(const nlohmann::json &item, const std::vector<std::string> &keys);
    static std::string valueElement(const nlohmann::json &value);

    bool operator==(const FieldSet &) const = default;

private:
    struct Node
    {
        bool member = false;
        std::map<std::string, Node> children;
        bool operator==(const Node &) const = default;
    };
    Node m_root;

    friend struct FieldSetOps;
};

// Differences between two versions of an object (upstream's typed Comparison): Added holds every
// field and item present only in the new version (intermediate maps included), Removed the ones
// present only in the old, Modified the leaves and atomic values that differ. A null old value
// where the new one is a map or list counts as present (upstream's zero-value structs).
struct FieldComparison
{
    FieldSet added;
    FieldSet modified;
    FieldSet removed;
};
FieldComparison compareObjects(const nlohmann::json &before, const nlohmann::json &after,
                               const FieldSchema &schema);
// The same, treating the object members in `skipped` (of either side) as absent, so that the
// caller need not copy an object to drop its metadata.managedFields, nor compare subtrees whose
// differences it would throw away.
FieldComparison compareObjects(const nlohmann::json &before, const nlohmann::json &after,
                               const FieldSchema &schema,
                               const std::vector<const nlohmann::json *> &skipped);

} // namespace kd::lc::apiserver
