#include "openapischema.h"

#include "typemodel.h"

#include <nlohmann/json.hpp>

#include <set>

namespace kd::lc::apiserver::schema {

using nlohmann::json;

namespace {

constexpr std::string_view kRefPrefix = "#/components/schemas/";
constexpr std::string_view kListMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

json gvkJson(const GroupVersionKind &gvk)
{
    return {{"group", gvk.group}, {"kind", gvk.kind}, {"version", gvk.version}};
}

json refTo(const std::string &name)
{
    return json{{"allOf", json::array({{{"$ref", std::string(kRefPrefix) + name}}})}};
}

json scalarSchema(const std::string &scalar)
{
    if (scalar == "int32" || scalar == "int64")
        return {{"type", "integer"}, {"format", scalar}};
    if (scalar == "double")
        return {{"type", "number"}, {"format", "double"}};
    if (scalar == "byte")
        return {{"type", "string"}, {"format", "byte"}};
    return {{"type", scalar}};
}

json exprSchema(const TypeExpr &type, std::set<std::string> &reached)
{
    switch (type.shape) {
    case TypeExpr::Shape::Scalar:
        return scalarSchema(type.name);
    case TypeExpr::Shape::Ref:
        reached.insert(type.name);
        return refTo(type.name);
    case TypeExpr::Shape::Array:
        return {{"type", "array"}, {"items", exprSchema(*type.element, reached)}};
    case TypeExpr::Shape::Map:
        return {{"type", "object"}, {"additionalProperties", exprSchema(*type.element, reached)}};
    }
    return json::object();
}

json leafSchema(const TypeDef &type)
{
    switch (type.leaf) {
    case TypeDef::Leaf::Time:
    case TypeDef::Leaf::MicroTime:
        return {{"type", "string"}, {"format", "date-time"}};
    case TypeDef::Leaf::Quantity:
        return {{"oneOf", json::array({{{"type", "string"}}, {{"type", "number"}}})}};
    case TypeDef::Leaf::IntOrString:
        return {{"format", "int-or-string"},
                {"oneOf", json::array({{{"type", "integer"}}, {{"type", "string"}}})}};
    case TypeDef::Leaf::OpenObject:
        return {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    case TypeDef::Leaf::None:
        break;
    }
    return {{"type", "object"}};
}

json typeSchema(const TypeDef &type, std::set<std::string> &reached)
{
    json schema = leafSchema(type);
    if (!type.description.empty())
        schema["description"] = type.description;
    if (type.leaf != TypeDef::Leaf::None)
        return schema;
    json properties = json::object();
    json required = json::array();
    for (const FieldDef &field : type.fields) {
        json property = exprSchema(field.type, reached);
        if (!field.description.empty())
            property["description"] = field.description;
        if (field.type.shape == TypeExpr::Shape::Array
            && field.type.element->shape == TypeExpr::Shape::Ref)
            property["items"]["default"] = json::object();
        if (!field.patchStrategy.empty())
            property["x-kubernetes-patch-strategy"] = field.patchStrategy;
        if (!field.patchMergeKey.empty())
            property["x-kubernetes-patch-merge-key"] = field.patchMergeKey;
        if (!field.listType.empty())
            property["x-kubernetes-list-type"] = field.listType;
        if (!field.listMapKeys.empty())
            property["x-kubernetes-list-map-keys"] = field.listMapKeys;
        if (!field.mapType.empty())
            property["x-kubernetes-map-type"] = field.mapType;
        properties[field.name] = std::move(property);
        if (field.required)
            required.push_back(field.name);
    }
    schema["properties"] = std::move(properties);
    if (!required.empty())
        schema["required"] = std::move(required);
    if (type.atomic)
        schema["x-kubernetes-map-type"] = "atomic";
    if (!type.kinds.empty()) {
        json kinds = json::array();
        for (const GroupVersionKind &kind : type.kinds)
            kinds.push_back(gvkJson(kind));
        schema["x-kubernetes-group-version-kind"] = std::move(kinds);
    }
    return schema;
}

json listSchema(const TypeDef &itemType, const GroupVersionKind &gvk)
{
    json item = refTo(itemType.name);
    item["default"] = json::object();
    return {{"type", "object"},
            {"description", "A list of " + gvk.kind + " objects."},
            {"properties",
             {{"apiVersion", {{"type", "string"}}},
              {"kind", {{"type", "string"}}},
              {"metadata", refTo(std::string(kListMeta))},
              {"items", {{"type", "array"}, {"items", std::move(item)}}}}},
            {"required", json::array({"items"})},
            {"x-kubernetes-group-version-kind",
             json::array({gvkJson({gvk.group, gvk.version, gvk.kind + "List"})})}};
}

} // namespace

std::string schemaName(const GroupVersionKind &gvk)
{
    const TypeDef *type = findKind(gvk);
    return type ? type->name : std::string();
}

json componentSchemas(const std::vector<GroupVersionKind> &kinds,
                      const std::vector<std::string> &types)
{
    json schemas = json::object();
    std::vector<std::string> pending(types.rbegin(), types.rend());
    for (const GroupVersionKind &gvk : kinds) {
        const TypeDef *type = findKind(gvk);
        if (!type)
            continue;
        pending.push_back(type->name);
        if (gvk.kind.ends_with("List"))
            continue;
        schemas[type->name + "List"] = listSchema(*type, gvk);
        pending.push_back(std::string(kListMeta));
    }
    while (!pending.empty()) {
        const std::string name = std::move(pending.back());
        pending.pop_back();
        if (schemas.contains(name))
            continue;
        const TypeDef *type = findType(name);
        if (!type)
            continue;
        std::set<std::string> next;
        schemas[name] = typeSchema(*type, next);
        for (const std::string &reference : next) {
            if (!schemas.contains(reference))
                pending.push_back(reference);
        }
    }
    return schemas;
}

json definitionsV2()
{
    std::vector<GroupVersionKind> kinds;
    for (const TypeDef *type : allTypes())
        kinds.insert(kinds.end(), type->kinds.begin(), type->kinds.end());
    const json schemas = componentSchemas(kinds);
    json definitions = json::object();
    for (auto it = schemas.begin(); it != schemas.end(); ++it)
        definitions[it.key()] = toV2(*it);
    return definitions;
}

namespace {

json v2Ref(const json &ref)
{
    if (!ref.is_string())
        return ref;
    const std::string text = ref.get<std::string>();
    return text.starts_with(kRefPrefix) ? "#/definitions/" + text.substr(kRefPrefix.size()) : text;
}

} // namespace

json toV2(const json &schema)
{
    if (schema.is_array()) {
        json out = json::array();
        for (const json &item : schema)
            out.push_back(toV2(item));
        return out;
    }
    if (!schema.is_object())
        return schema;
    json out = json::object();
    for (auto it = schema.begin(); it != schema.end(); ++it) {
        const std::string &key = it.key();
        if (key == "oneOf" || key == "anyOf" || key == "not" || key == "nullable")
            continue;
        if (key == "allOf") {
            // Upstream's v3 wraps a reference in allOf so it may carry a description; 2.0 puts
            // the description next to the $ref instead.
            if (it->is_array() && it->size() == 1 && (*it)[0].contains("$ref"))
                out["$ref"] = v2Ref((*it)[0]["$ref"]);
            continue;
        }
        if (key == "$ref") {
            out["$ref"] = v2Ref(*it);
            continue;
        }
        // Enum values, defaults and extensions are data, not schemas.
        if (key == "properties" && it->is_object()) {
            json properties = json::object();
            for (auto p = it->begin(); p != it->end(); ++p)
                properties[p.key()] = toV2(*p);
            out[key] = std::move(properties);
        } else if (key == "items" || key == "additionalProperties") {
            out[key] = toV2(*it);
        } else {
            out[key] = *it;
        }
    }
    if (out.contains("$ref"))
        out.erase("default");
    // Quantity and IntOrString: 2.0 has no oneOf, so upstream publishes them as strings.
    const bool intOrString = schema.value("x-kubernetes-int-or-string", false);
    if (!out.contains("type") && !out.contains("$ref") && schema.contains("oneOf") && !intOrString)
        out["type"] = "string";
    return out;
}

std::string customSchemaName(const GroupVersionKind &gvk)
{
    std::string reversed;
    std::string_view group = gvk.group;
    while (!group.empty()) {
        const auto dot = group.rfind('.');
        const std::string_view part = dot == std::string_view::npos ? group : group.substr(dot + 1);
        if (!reversed.empty())
            reversed += '.';
        reversed += part;
        group = dot == std::string_view::npos ? std::string_view() : group.substr(0, dot);
    }
    return reversed + "." + gvk.version + "." + gvk.kind;
}

json customResourceSchema(const json &openAPIV3Schema, const GroupVersionKind &gvk)
{
    json schema = openAPIV3Schema.is_object() ? openAPIV3Schema : json::object();
    if (!schema.contains("type"))
        schema["type"] = "object";
    json &properties = schema["properties"];
    if (!properties.is_object())
        properties = json::object();
    properties["apiVersion"]
        = {{"type", "string"}, {"description", "Versioned schema of this object."}};
    properties["kind"] = {{"type", "string"}, {"description", "The kind of this object."}};
    json metadata = refTo("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    metadata["description"] = "Standard object metadata.";
    properties["metadata"] = std::move(metadata);
    schema["x-kubernetes-group-version-kind"] = json::array({gvkJson(gvk)});
    return schema;
}

json customResourceListSchema(const GroupVersionKind &gvk, const std::string &listKind)
{
    return {{"type", "object"},
            {"description", listKind + " is a list of " + gvk.kind + "."},
            {"properties",
             {{"apiVersion", {{"type", "string"}}},
              {"kind", {{"type", "string"}}},
              {"metadata", refTo(std::string(kListMeta))},
              {"items",
               {{"type", "array"},
                {"items", {{"$ref", std::string(kRefPrefix) + customSchemaName(gvk)}}}}}}},
            {"required", json::array({"items"})},
            {"x-kubernetes-group-version-kind",
             json::array({gvkJson({gvk.group, gvk.version, listKind})})}};
}

} // namespace kd::lc::apiserver::schema
