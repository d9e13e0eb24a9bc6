#include "storedobject.h"

#include <nlohmann/json.hpp>

namespace kd::lc::storage {

StoredObject::StoredObject(Key key, nlohmann::json object, Revision createRevision,
                           Revision modRevision)
    : m_key(std::move(key))
    , m_createRevision(createRevision)
    , m_modRevision(modRevision)
{
    object["metadata"]["resourceVersion"] = std::to_string(modRevision);
    m_json = object.dump();
    m_object = std::make_shared<const nlohmann::json>(std::move(object));
}

StoredObject::StoredObject(Key key, nlohmann::json object, std::string json,
                           Revision createRevision, Revision modRevision)
    : m_key(std::move(key))
    , m_object(std::make_shared<const nlohmann::json>(std::move(object)))
    , m_json(std::move(json))
    , m_createRevision(createRevision)
    , m_modRevision(modRevision)
{}

const nlohmann::json &StoredObject::object() const
{
    return *m_object;
}

const char *WatchEvent::typeName(Type type)
{
    switch (type) {
    case Type::Added:
        return "ADDED";
    case Type::Modified:
        return "MODIFIED";
    case Type::Deleted:
        return "DELETED";
    }
    return "ERROR";
}

} // namespace kd::lc::storage
