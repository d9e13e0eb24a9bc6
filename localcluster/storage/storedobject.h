#pragma once

#include <localcluster/storage/key.h>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kd::lc::storage {

using Revision = std::int64_t;

// An object serialized ahead of its write, on the thread that asked for it, with a placeholder
// where its resourceVersion goes: the store's single writer thread then only splices in the
// revision instead of serializing (and freeing) a parsed tree. Built by StoredObject::prepare().
struct PreparedObject
{
    std::string text;
    std::size_t revisionAt = 0;              // offset of the placeholder in `text`
    std::unique_ptr<nlohmann::json> summary; // see StoredObject::selectable()
    PreparedObject();
    PreparedObject(PreparedObject &&) noexcept;
    PreparedObject &operator=(PreparedObject &&) noexcept;
    ~PreparedObject();
};

// One version of a stored object, immutable once built, so lists, watch events and the API server
// share it by pointer without copying. metadata.resourceVersion already equals modRevision() in
// json(), object() and selectable(). Created by the Store's writer thread; read from any thread.
//
// Only the serialized text and a small parsed summary are held: a parsed nlohmann tree costs
// about seven times its text (10.6 KB for a 1.5 KB pod). Code that needs every field parses on
// demand with object().
class StoredObject final
{
public:
    // Sets metadata.resourceVersion to `modRevision` and serializes the object. Throws
    // nlohmann::json exceptions on input that cannot be serialized (invalid UTF-8); the Store
    // turns them into errors.
    StoredObject(Key key, nlohmann::json object, Revision createRevision, Revision modRevision);
    // For objects loaded from disk: `json` is `object` serialized and already carries
    // modRevision as metadata.resourceVersion.
    StoredObject(Key key, const nlohmann::json &object, std::string json, Revision createRevision,
                 Revision modRevision);
    // From prepare()'s output: the revision goes where the placeholder is.
    StoredObject(Key key, PreparedObject prepared, Revision createRevision, Revision modRevision);
    // Serializes `object` with a placeholder as metadata.resourceVersion (set in `object`).
    // Nullopt in the (never observed) case that the placeholder also occurs elsewhere in the
    // text; the caller then builds from the tree. Throws nlohmann::json exceptions as the first
    // constructor does.
    static std::optional<PreparedObject> prepare(nlohmann::json &object);
    ~StoredObject();
    StoredObject(const StoredObject &) = delete;
    StoredObject &operator=(const StoredObject &) = delete;

    const Key &key() const { return m_key; }
    // The whole object, parsed from json() on every call (about 10 us for a 1.5 KB pod): for
    // code that reads or changes arbitrary fields (patches, admission, Tables). Hot paths that
    // only filter use selectable().
    nlohmann::json object() const;
    // The parts of the object that list and watch filters and write preconditions read, with
    // the object's shape (a sparse copy): metadata.name, namespace, uid, labels and
    // deletionTimestamp, and the values at every field-selector path Kubernetes defines for
    // any kind (spec.nodeName, status.phase, involvedObject, type, ...; see
    // selectablePaths()). A selector evaluated on it gives the same answer as on object().
    const nlohmann::json &selectable() const;
    // The same object serialized compactly: what a LIST or watch response can copy verbatim.
    const std::string &json() const { return m_json; }
    // Revision of the write that created the object (etcd's create_revision).
    Revision createRevision() const { return m_createRevision; }
    // Revision of the write that produced this version; equals metadata.resourceVersion.
    Revision modRevision() const { return m_modRevision; }

    // The JSON pointers (besides metadata) that selectable() keeps, for every kind together.
    static const std::vector<std::string> &selectablePaths();

private:
    Key m_key;
    std::string m_json;
    std::unique_ptr<const nlohmann::json> m_selectable;
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
