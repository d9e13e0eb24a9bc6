#pragma once

#include <localcluster/apiserver/resourcecatalog.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kd::lc::apiserver::schema {

// The type of one field: a JSON scalar, a reference to a named type, or a list or map of those.
struct TypeExpr
{
    enum class Shape { Scalar, Ref, Array, Map };
    Shape shape = Shape::Scalar;
    // Scalar: "string", "int32", "int64", "boolean", "double", "byte". Ref: the full type name
    // ("io.k8s.api.core.v1.PodSpec"). Empty for Array and Map.
    std::string name;
    std::shared_ptr<const TypeExpr> element; // Array items / Map values
};

// One field of a named type, with the facts upstream's Go struct tags and markers declare.
struct FieldDef
{
    std::string name;
    TypeExpr type;
    bool required = false;
    std::string patchStrategy; // "merge", "retainKeys", "merge,retainKeys", "replace" or ""
    std::string patchMergeKey;
    std::string listType; // "atomic", "set", "map" or ""
    std::vector<std::string> listMapKeys;
    std::string mapType; // "atomic", "granular" or ""
    std::string description;
};

// A named type of the built-in API. Leaf types are the few upstream encodes specially: their
// JSON is a scalar or an object whose contents are not checked.
struct TypeDef
{
    enum class Leaf { None, Time, MicroTime, Quantity, IntOrString, OpenObject };
    std::string name; // "io.k8s.api.apps.v1.Deployment"
    Leaf leaf = Leaf::None;
    std::vector<FieldDef> fields;
    std::vector<GroupVersionKind> kinds; // the kinds whose top-level object is this type
    bool atomic = false;                 // x-kubernetes-map-type: atomic
    std::string description;

    const FieldDef *field(std::string_view fieldName) const;
};

// The type model of every built-in kind the bundled API server serves, parsed once from the
// project's compact type text (typetext.cpp) on first use and immutable afterwards. The field
// names, JSON types, formats and list/patch markers restate upstream's API types; descriptions
// are our own. Free functions; thread-safe.

// A type by full name; nullptr when not modelled.
const TypeDef *findType(std::string_view name);
// The top-level type of a kind; nullptr when the kind is not modelled (custom resources).
const TypeDef *findKind(const GroupVersionKind &gvk);
// Every modelled type, sorted by name.
std::vector<const TypeDef *> allTypes();
// Problems found while building the model (unresolved references, bad attributes); empty when
// the model is consistent. Checked by tests.
std::vector<std::string> modelProblems();

// The type an expression ends at after looking through lists and maps; nullptr for scalars.
const TypeDef *referencedType(const TypeExpr &type);

// The field at `path` (field names from the object root; list indices left out, map keys kept)
// of the kind `gvk`; nullptr when the kind or a step along the path is not modelled.
const FieldDef *fieldAt(const GroupVersionKind &gvk, const std::vector<std::string> &path);

} // namespace kd::lc::apiserver::schema
