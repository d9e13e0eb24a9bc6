#pragma once

#include <localcluster/storage/key.h>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace kd::lc::storage {

using Revision = std::int64_t;

// One version of a stored object, immutable once built, so lists, watch events and the API server
// share it by pointer without copying. metadata.resourceVersion already equals modRevision() in
// both object() and json(). Created by the Store's writer thread; read from any thread.
class StoredObject final
{
public:
    // Sets metadata.resourceVersion to `modRevision` and serializes the object. Throws
    // nlohmann::json exceptions on input that cannot be serialized (invalid UTF-8); the Store
    // turns them into errors.
    StoredObject(Key key, nlohmann::json object, Revision createRevision, Revision modRevision);
    // For objects loaded from disk whose serialized text already carries modRevision.
    StoredObject(Key key, nlohmann::json object, std::string json, Revision createRevision,
                 Revision modRevision);

    const Key &key() const { return m_key; }
    // The object as JSON, for code that reads fields (selectors, patches, admission).
    const nlohmann::json &object() const;
    // The same object serialized compactly: what a LIST or watch response can copy verbatim.
    const std::string &json() const { return m_json; }
    // Revision of the write that created the object (etcd's create_revision).
    Revision createRevision() const { return m_createRevision; }
    // Revision of the write that produced this version; equals metadata.resourceVersion.
    Revision modRevision() const { return m_modRevision; }

private:
    Key m_key;
    std::shared_ptr<const nlohmann::json> m_object;
    std::string m_json;
    Revision m_createRevision = 0;
    Revision m_modRevision = 0;
};

using ObjectRef = std::shared_ptr<const StoredObject>;

// One change as watchers see it (etcd event semantics).
struct WatchEvent
{
    enum class Type { Added, Modified, Deleted };

    Type type = Type::Added;
    // The revision of the write. For Deleted, `object` is the last state with its
    // resourceVersion set to this revision, as kube-apiserver reports deletions.
    Revision revision = 0;
    ObjectRef object;
    // The version before this write; null for Added. Lets the API server see whether an object
    // left a field or label selector's set.
    ObjectRef previous;

    // "ADDED", "MODIFIED", "DELETED": the wire spelling.
    static const char *typeName(Type type);
};

} // namespace kd::lc::storage
