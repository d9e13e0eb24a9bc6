#include "applyschema.h"

#include <localcluster/apiserver/resourcecatalog.h>

#include <nlohmann/json.hpp>

#include <memory>

namespace kd::lc::apiserver::crd {

using nlohmann::json;

namespace {

using Shape = FieldSchema::ListShape;

const json *child(const json &node, const char *key)
{
    if (!node.is_object())
        return nullptr;
    auto it = node.find(key);
    return it == node.end() || !it->is_object() ? nullptr : &*it;
}

bool isArray(const json &node)
{
    return node.is_object() && node.value("type", json()) == "array";
}

// The schema of the field at `path` (field names from the root; list positions are left out,
// so a name after a list is a field of its items, and map keys are names too). nullptr when
// the schema does not declare it.
const json *fieldAt(const json &schema, const std::vector<std::string> &path)
{
    const json *node = &schema;
    for (const std::string &name : path) {
        while (isArray(*node)) {
            node = child(*node, "items");
            if (!node)
                return nullptr;
        }
        const json *next = nullptr;
        if (const json *properties = child(*node, "properties")) {
            if (auto it = properties->find(name); it != properties->end() && it->is_object())
                next = &*it;
        }
        if (!next)
            next = child(*node, "additionalProperties");
        if (!next)
            return nullptr;
        node = next;
    }
    return node;
}

} // namespace

FieldSchema applySchema(const ResourceInfo &resource)
{
    FieldSchema schema;
    const std::shared_ptr<const json> root = resource.openApiSchema;
    schema.listShape = [root](const std::vector<std::string> &path) {
        // metadata is the same ObjectMeta for every kind.
        if (path.size() == 2 && path[0] == "metadata") {
            if (path[1] == "finalizers")
                return Shape{Shape::Type::Set, {}};
            if (path[1] == "ownerReferences")
                return Shape{Shape::Type::Map, {"uid"}};
            return Shape{};
        }
        const json *field = root ? fieldAt(*root, path) : nullptr;
        if (!field || !isArray(*field))
            return Shape{};
        const json type = field->value("x-kubernetes-list-type", json());
        if (type == "set")
            return Shape{Shape::Type::Set, {}};
        if (type == "map") {
            Shape shape{Shape::Type::Map, {}};
            const json keys = field->value("x-kubernetes-list-map-keys", json());
            if (keys.is_array())
                for (const json &key : keys)
                    if (key.is_string())
                        shape.keys.push_back(key.get<std::string>());
            // A map list without keys cannot be keyed; definition validation refuses it.
            if (!shape.keys.empty())
                return shape;
        }
        return Shape{};
    };
    schema.atomicMap = [root](const std::vector<std::string> &path) {
        if (!root || path.empty() || path[0] == "metadata")
            return false;
        const json *field = fieldAt(*root, path);
        return field && field->is_object()
               && field->value("x-kubernetes-map-type", json()) == "atomic";
    };
    return schema;
}

} // namespace kd::lc::apiserver::crd
