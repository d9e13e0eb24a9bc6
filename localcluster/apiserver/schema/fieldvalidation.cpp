#include "fieldvalidation.h"

#include "typemodel.h"

#include <nlohmann/json.hpp>

namespace kd::lc::apiserver::schema {

using nlohmann::json;

namespace {

struct Walk
{
    bool patch = false; // skip patch directives and nulls
    std::vector<std::string> unknown;
};

void collectValue(const TypeExpr &type, const json &value, const std::string &path, Walk &walk);

void collectObject(const TypeDef &type, const json &object, const std::string &path, Walk &walk)
{
    if (type.leaf != TypeDef::Leaf::None || !object.is_object())
        return;
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (walk.patch && (it.key().starts_with('$') || it.value().is_null()))
            continue;
        const std::string fieldPath = path.empty() ? it.key() : path + "." + it.key();
        const FieldDef *field = type.field(it.key());
        if (!field) {
            walk.unknown.push_back(fieldPath);
            continue;
        }
        collectValue(field->type, it.value(), fieldPath, walk);
    }
}

void collectValue(const TypeExpr &type, const json &value, const std::string &path, Walk &walk)
{
    switch (type.shape) {
    case TypeExpr::Shape::Scalar:
        return;
    case TypeExpr::Shape::Ref:
        if (const TypeDef *def = findType(type.name))
            collectObject(*def, value, path, walk);
        return;
    case TypeExpr::Shape::Array:
        if (!value.is_array())
            return;
        for (std::size_t i = 0; i < value.size(); ++i)
            collectValue(*type.element, value[i], path + "[" + std::to_string(i) + "]", walk);
        return;
    case TypeExpr::Shape::Map:
        if (!value.is_object())
            return;
        for (auto it = value.begin(); it != value.end(); ++it)
            collectValue(*type.element, it.value(), path + "[" + it.key() + "]", walk);
        return;
    }
}

} // namespace

bool hasSchema(const GroupVersionKind &gvk)
{
    return findKind(gvk) != nullptr;
}

std::vector<std::string> unknownFields(const GroupVersionKind &gvk, const json &object)
{
    Walk walk;
    if (const TypeDef *type = findKind(gvk))
        collectObject(*type, object, std::string(), walk);
    return walk.unknown;
}

std::vector<std::string> unknownPatchFields(const GroupVersionKind &gvk, const json &patch)
{
    Walk walk;
    walk.patch = true;
    if (const TypeDef *type = findKind(gvk))
        collectObject(*type, patch, std::string(), walk);
    return walk.unknown;
}

} // namespace kd::lc::apiserver::schema
