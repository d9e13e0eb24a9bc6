#pragma once

#include <core/api/compactjson.h>
#include <core/api/groupversion.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace kd::core::cache {

// Cached objects are immutable and shared: readers keep a pointer as long as they like, an update
// replaces the pointer, never the object. They are CompactJson documents (read through JsonView,
// toJson() for a nlohmann copy): an informer of 10,000 objects holds a quarter of the memory the
// same nlohmann trees would take.
using ObjectPtr = api::CompactJsonPtr;

// One change the store applied, as handlers see it.
struct Delta
{
    enum class Type { Added, Updated, Deleted };

    Type type = Type::Added;
    ObjectPtr object;    // Deleted: the last state the store held
    ObjectPtr oldObject; // Updated only
};

// Maps an object to the index values it is found under (none, one or several).
using IndexFunc = std::function<std::vector<std::string>(const api::JsonView &object)>;
using Indexers = std::map<std::string, IndexFunc>;

// The standard indexers and their names.
namespace indexes {
inline constexpr const char *Namespace = "namespace";
inline constexpr const char *OwnerUid = "ownerUid";
inline constexpr const char *Label = "label"; // values "key=value"
inline constexpr const char *NodeName = "nodeName";

std::vector<std::string> byNamespace(const api::JsonView &object);
std::vector<std::string> byOwnerUid(const api::JsonView &object);
std::vector<std::string> byLabel(const api::JsonView &object);
std::vector<std::string> byNodeName(const api::JsonView &object); // spec.nodeName, when set
// All four above.
Indexers standard();
} // namespace indexes

// The key of an object: metadata.namespace and metadata.name (nullopt when there is no name).
std::optional<api::ObjectKey> keyOf(const api::JsonView &object);

// client-go's ThreadSafeStore with an Indexer: objects by ObjectKey plus secondary indexes kept up
// to date on every change, at about 80 bytes per object beyond the documents (bench_informer).
// Owned by one informer (written only by its reflector thread) and read from any thread; all
// members are thread-safe. Objects without metadata.name are ignored.
class Store final
{
public:
    explicit Store(Indexers indexers = {});
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    // Adds or replaces the object; Added or Updated (with the previous object). nullopt when the
    // object has no name.
    std::optional<Delta> upsert(ObjectPtr object);
    // Removes the object with the key of `lastKnown`; the Deleted delta carries the stored
    // object, or `lastKnown` when the store did not hold it (nullopt then: nothing changed).
    std::optional<Delta> remove(const ObjectPtr &lastKnown);
    // Replaces the whole content (a relist): Added for new keys, Updated for kept keys whose
    // resourceVersion changed, Deleted for keys that disappeared. Deltas in key order.
    std::vector<Delta> replace(std::vector<ObjectPtr> objects);
    // Adds an index at any time; existing objects are indexed at once.
    void addIndexer(const std::string &name, IndexFunc indexer);

    // list(), keys(), byIndex() and indexKeys() answer in key order (namespace, then name).
    ObjectPtr get(const api::ObjectKey &key) const;
    std::vector<ObjectPtr> list() const;
    std::vector<api::ObjectKey> keys() const;
    std::size_t size() const;
    // Objects indexed under `value` by the index `indexName` (empty for an unknown index).
    std::vector<ObjectPtr> byIndex(const std::string &indexName, const std::string &value) const;
    std::vector<api::ObjectKey> indexKeys(const std::string &indexName,
                                          const std::string &value) const;
    // Every value the index currently holds.
    std::vector<std::string> indexValues(const std::string &indexName) const;

private:
    // One cached object. Set nodes never move, so index entries point at them and survive the
    // common watch event (a new version of a known object, same index values) untouched. The key
    // is read from the document itself: no copy of namespace and name per object.
    struct Entry
    {
        mutable ObjectPtr object; // replaced under the write lock; the key never changes
    };
    struct KeyView
    {
        std::string_view namespace_;
        std::string_view name;
        bool operator==(const KeyView &) const = default;
    };
    static KeyView keyView(const Entry &entry);
    static KeyView keyView(const api::ObjectKey &key) { return {key.namespace_, key.name}; }
    static KeyView keyView(const KeyView &key) { return key; }
    // noexcept and cheap: the set then keeps no hash per node (recomputed from the document).
    struct EntryHash
    {
        using is_transparent = void;
        std::size_t operator()(const KeyView &key) const noexcept;
        std::size_t operator()(const api::ObjectKey &key) const noexcept
        {
            return (*this)(keyView(key));
        }
        std::size_t operator()(const Entry &entry) const noexcept
        {
            return (*this)(keyView(entry));
        }
    };
    struct EntryEqual
    {
        using is_transparent = void;
        template<typename A, typename B>
        bool operator()(const A &a, const B &b) const noexcept
        {
            return keyView(a) == keyView(b);
        }
    };
    using Entries = std::unordered_set<Entry, EntryHash, EntryEqual>;
    // Entries under one index value, sorted by address: 8 bytes per object and value, found by
    // binary search. Results are put in key order when read.
    using EntryList = std::vector<const Entry *>;
    struct Index
    {
        IndexFunc func;
        std::unordered_map<std::string, EntryList> entries;
    };

    void indexLocked(const Entry &entry, const api::CompactJson *oldObject,
                     const api::CompactJson *newObject);
    static void fillIndex(Index &index, const Entries &items);
    void rebuildIndexesLocked();
    static std::vector<std::string> valuesOf(const Index &index, const api::CompactJson *object);
    const EntryList *entriesLocked(const std::string &indexName, const std::string &value) const;
    // Sorted by key, as the map this replaced iterated.
    static std::vector<const Entry *> sortedByKey(std::vector<const Entry *> entries);

    mutable std::shared_mutex m_mutex;
    Entries m_items;
    std::map<std::string, Index> m_indexes;
};

} // namespace kd::core::cache
