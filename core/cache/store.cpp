#include "store.h"

#include <algorithm>
#include <functional>
#include <tuple>
#include <utility>

namespace kd::core::cache {

namespace {

std::string_view resourceVersionOf(const api::JsonView &object)
{
    return object["metadata"]["resourceVersion"].string();
}

} // namespace

namespace indexes {

std::vector<std::string> byNamespace(const api::JsonView &object)
{
    const std::string_view ns = object["metadata"]["namespace"].string();
    if (ns.empty())
        return {};
    return {std::string(ns)};
}

std::vector<std::string> byOwnerUid(const api::JsonView &object)
{
    std::vector<std::string> out;
    const api::JsonView owners = object["metadata"]["ownerReferences"];
    for (std::size_t i = 0; i < owners.size(); ++i) {
        const std::string_view uid = owners[i]["uid"].string();
        if (!uid.empty())
            out.emplace_back(uid);
    }
    return out;
}

std::vector<std::string> byLabel(const api::JsonView &object)
{
    std::vector<std::string> out;
    const api::JsonView labels = object["metadata"]["labels"];
    if (!labels.isObject())
        return out;
    out.reserve(labels.size());
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const api::JsonView value = labels.valueAt(i);
        if (!value.isString())
            continue;
        std::string entry(labels.keyAt(i));
        entry += '=';
        entry += value.string();
        out.push_back(std::move(entry));
    }
    return out;
}

std::vector<std::string> byNodeName(const api::JsonView &object)
{
    const std::string_view node = object["spec"]["nodeName"].string();
    if (node.empty())
        return {};
    return {std::string(node)};
}

Indexers standard()
{
    return {
        {Namespace, byNamespace}, {OwnerUid, byOwnerUid}, {Label, byLabel}, {NodeName, byNodeName}};
}

} // namespace indexes

std::optional<api::ObjectKey> keyOf(const api::JsonView &object)
{
    const api::JsonView metadata = object["metadata"];
    const std::string_view name = metadata["name"].string();
    if (name.empty())
        return std::nullopt;
    return api::ObjectKey{std::string(metadata["namespace"].string()), std::string(name)};
}

Store::Store(Indexers indexers)
{
    for (auto &[name, func] : indexers)
        m_indexes[name].func = std::move(func);
}

Store::KeyView Store::keyView(const Entry &entry)
{
    const api::JsonView metadata = entry.object->root()["metadata"];
    return {metadata["namespace"].string(), metadata["name"].string()};
}

std::size_t Store::EntryHash::operator()(const KeyView &key) const noexcept
{
    const std::size_t h = std::hash<std::string_view>()(key.name);
    return h
           ^ (std::hash<std::string_view>()(key.namespace_) + 0x9e3779b97f4a7c15ULL + (h << 6)
              + (h >> 2));
}

std::vector<std::string> Store::valuesOf(const Index &index, const api::CompactJson *object)
{
    if (!object)
        return {};
    // An indexer is user code working on server data: a throw must not corrupt the store.
    try {
        std::vector<std::string> values = index.func(object->root());
        std::sort(values.begin(), values.end());
        values.erase(std::unique(values.begin(), values.end()), values.end());
        return values;
    } catch (const std::exception &) {
        return {};
    }
}

void Store::indexLocked(const Entry &entry, const api::CompactJson *oldObject,
                        const api::CompactJson *newObject)
{
    for (auto &[name, index] : m_indexes) {
        const std::vector<std::string> oldValues = valuesOf(index, oldObject);
        const std::vector<std::string> newValues = valuesOf(index, newObject);
        if (oldValues == newValues)
            continue;
        for (const auto &value : oldValues) {
            if (std::binary_search(newValues.begin(), newValues.end(), value))
                continue;
            auto found = index.entries.find(value);
            if (found == index.entries.end())
                continue;
            EntryList &list = found->second;
            const auto it = std::lower_bound(list.begin(), list.end(), &entry, std::less<>());
            if (it != list.end() && *it == &entry)
                list.erase(it);
            if (list.empty())
                index.entries.erase(found);
        }
        for (const auto &value : newValues) {
            if (std::binary_search(oldValues.begin(), oldValues.end(), value))
                continue;
            EntryList &list = index.entries[value];
            const auto it = std::lower_bound(list.begin(), list.end(), &entry, std::less<>());
            if (it == list.end() || *it != &entry)
                list.insert(it, &entry);
        }
    }
}

void Store::fillIndex(Index &index, const Entries &items)
{
    index.entries.clear();
    for (const Entry &entry : items) {
        for (const auto &value : valuesOf(index, entry.object.get()))
            index.entries[value].push_back(&entry);
    }
    // Built in one go, so exactly the capacity needed: a relist is when most memory is spent.
    for (auto &[value, list] : index.entries) {
        std::sort(list.begin(), list.end(), std::less<>());
        list.shrink_to_fit();
    }
}

void Store::rebuildIndexesLocked()
{
    for (auto &[name, index] : m_indexes)
        fillIndex(index, m_items);
}

std::optional<Delta> Store::upsert(ObjectPtr object)
{
    if (!object || !keyOf(object->root()))
        return std::nullopt;
    std::unique_lock lock(m_mutex);
    auto [it, inserted] = m_items.insert(Entry{object});
    if (inserted) {
        indexLocked(*it, nullptr, object.get());
        return Delta{Delta::Type::Added, std::move(object), nullptr};
    }
    // The node (and so the index entries pointing at it) stays; only the document changes.
    ObjectPtr old = std::exchange(it->object, object);
    indexLocked(*it, old.get(), object.get());
    return Delta{Delta::Type::Updated, std::move(object), std::move(old)};
}

std::optional<Delta> Store::remove(const ObjectPtr &lastKnown)
{
    if (!lastKnown || !keyOf(lastKnown->root()))
        return std::nullopt;
    std::unique_lock lock(m_mutex);
    const auto it = m_items.find(keyView(Entry{lastKnown}));
    if (it == m_items.end())
        return std::nullopt;
    ObjectPtr old = it->object;
    indexLocked(*it, old.get(), nullptr);
    m_items.erase(it);
    return Delta{Delta::Type::Deleted, std::move(old), nullptr};
}

std::vector<Delta> Store::replace(std::vector<ObjectPtr> objects)
{
    Entries fresh;
    fresh.reserve(objects.size());
    for (auto &object : objects) {
        if (!object || !keyOf(object->root()))
            continue;
        // A list naming a key twice: the later item wins.
        auto [it, inserted] = fresh.insert(Entry{object});
        if (!inserted)
            it->object = std::move(object);
    }
    objects = {};
    std::vector<Delta> deltas;
    std::unique_lock lock(m_mutex);
    for (const Entry &entry : fresh) {
        const auto old = m_items.find(keyView(entry));
        if (old == m_items.end()) {
            deltas.push_back({Delta::Type::Added, entry.object, nullptr});
        } else if (resourceVersionOf(old->object->root()) != resourceVersionOf(entry.object->root())
                   || resourceVersionOf(entry.object->root()).empty()) {
            deltas.push_back({Delta::Type::Updated, entry.object, old->object});
        }
    }
    for (const Entry &entry : m_items) {
        if (!fresh.contains(keyView(entry)))
            deltas.push_back({Delta::Type::Deleted, entry.object, nullptr});
    }
    std::vector<std::pair<KeyView, std::size_t>> order;
    order.reserve(deltas.size());
    for (std::size_t i = 0; i < deltas.size(); ++i)
        order.emplace_back(keyView(Entry{deltas[i].object}), i);
    std::sort(order.begin(), order.end(), [](const auto &a, const auto &b) {
        return std::tie(a.first.namespace_, a.first.name)
               < std::tie(b.first.namespace_, b.first.name);
    });
    std::vector<Delta> sorted;
    sorted.reserve(deltas.size());
    for (const auto &[key, i] : order)
        sorted.push_back(std::move(deltas[i]));
    m_items = std::move(fresh);
    rebuildIndexesLocked();
    return sorted;
}

void Store::addIndexer(const std::string &name, IndexFunc indexer)
{
    std::unique_lock lock(m_mutex);
    Index &index = m_indexes[name];
    index.func = std::move(indexer);
    fillIndex(index, m_items);
}

std::vector<const Store::Entry *> Store::sortedByKey(std::vector<const Entry *> entries)
{
    // Keys are read from the documents once, not at every comparison.
    std::vector<std::pair<KeyView, const Entry *>> keyed;
    keyed.reserve(entries.size());
    for (const Entry *entry : entries)
        keyed.emplace_back(keyView(*entry), entry);
    std::sort(keyed.begin(), keyed.end(), [](const auto &a, const auto &b) {
        return std::tie(a.first.namespace_, a.first.name)
               < std::tie(b.first.namespace_, b.first.name);
    });
    for (std::size_t i = 0; i < keyed.size(); ++i)
        entries[i] = keyed[i].second;
    return entries;
}

ObjectPtr Store::get(const api::ObjectKey &key) const
{
    std::shared_lock lock(m_mutex);
    const auto it = m_items.find(key);
    return it == m_items.end() ? nullptr : it->object;
}

std::vector<ObjectPtr> Store::list() const
{
    std::shared_lock lock(m_mutex);
    std::vector<const Entry *> entries;
    entries.reserve(m_items.size());
    for (const Entry &entry : m_items)
        entries.push_back(&entry);
    std::vector<ObjectPtr> out;
    out.reserve(entries.size());
    for (const Entry *entry : sortedByKey(std::move(entries)))
        out.push_back(entry->object);
    return out;
}

std::vector<api::ObjectKey> Store::keys() const
{
    std::shared_lock lock(m_mutex);
    std::vector<const Entry *> entries;
    entries.reserve(m_items.size());
    for (const Entry &entry : m_items)
        entries.push_back(&entry);
    std::vector<api::ObjectKey> out;
    out.reserve(entries.size());
    for (const Entry *entry : sortedByKey(std::move(entries))) {
        const KeyView key = keyView(*entry);
        out.push_back({std::string(key.namespace_), std::string(key.name)});
    }
    return out;
}

std::size_t Store::size() const
{
    std::shared_lock lock(m_mutex);
    return m_items.size();
}

const Store::EntryList *Store::entriesLocked(const std::string &indexName,
                                             const std::string &value) const
{
    const auto index = m_indexes.find(indexName);
    if (index == m_indexes.end())
        return nullptr;
    const auto entry = index->second.entries.find(value);
    return entry == index->second.entries.end() ? nullptr : &entry->second;
}

std::vector<api::ObjectKey> Store::indexKeys(const std::string &indexName,
                                             const std::string &value) const
{
    std::shared_lock lock(m_mutex);
    const EntryList *list = entriesLocked(indexName, value);
    if (!list)
        return {};
    std::vector<api::ObjectKey> out;
    out.reserve(list->size());
    for (const Entry *entry : sortedByKey(*list)) {
        const KeyView key = keyView(*entry);
        out.push_back({std::string(key.namespace_), std::string(key.name)});
    }
    return out;
}

std::vector<ObjectPtr> Store::byIndex(const std::string &indexName, const std::string &value) const
{
    std::shared_lock lock(m_mutex);
    const EntryList *list = entriesLocked(indexName, value);
    if (!list)
        return {};
    std::vector<ObjectPtr> out;
    out.reserve(list->size());
    for (const Entry *entry : sortedByKey(*list))
        out.push_back(entry->object);
    return out;
}

std::vector<std::string> Store::indexValues(const std::string &indexName) const
{
    std::shared_lock lock(m_mutex);
    std::vector<std::string> out;
    const auto index = m_indexes.find(indexName);
    if (index == m_indexes.end())
        return out;
    out.reserve(index->second.entries.size());
    for (const auto &[value, entries] : index->second.entries)
        out.push_back(value);
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace kd::core::cache
