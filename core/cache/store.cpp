#include "store.h"

#include <algorithm>

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

void Store::indexLocked(const api::ObjectKey &key, const api::CompactJson *oldObject,
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
            auto entry = index.entries.find(value);
            if (entry == index.entries.end())
                continue;
            entry->second.erase(&key);
            if (entry->second.empty())
                index.entries.erase(entry);
        }
        for (const auto &value : newValues)
            index.entries[value].insert(&key);
    }
}

void Store::rebuildIndexesLocked()
{
    for (auto &[name, index] : m_indexes) {
        index.entries.clear();
        for (const auto &[key, object] : m_items) {
            for (const auto &value : valuesOf(index, object.get()))
                index.entries[value].insert(&key);
        }
    }
}

std::optional<Delta> Store::upsert(ObjectPtr object)
{
    if (!object)
        return std::nullopt;
    auto key = keyOf(object->root());
    if (!key)
        return std::nullopt;
    std::unique_lock lock(m_mutex);
    auto [it, inserted] = m_items.try_emplace(*key, object);
    if (inserted) {
        indexLocked(it->first, nullptr, object.get());
        return Delta{Delta::Type::Added, std::move(object), nullptr};
    }
    ObjectPtr old = std::move(it->second);
    it->second = object;
    indexLocked(it->first, old.get(), object.get());
    return Delta{Delta::Type::Updated, std::move(object), std::move(old)};
}

std::optional<Delta> Store::remove(const ObjectPtr &lastKnown)
{
    if (!lastKnown)
        return std::nullopt;
    auto key = keyOf(lastKnown->root());
    if (!key)
        return std::nullopt;
    std::unique_lock lock(m_mutex);
    auto it = m_items.find(*key);
    if (it == m_items.end())
        return std::nullopt;
    ObjectPtr old = std::move(it->second);
    indexLocked(it->first, old.get(), nullptr);
    m_items.erase(it);
    return Delta{Delta::Type::Deleted, std::move(old), nullptr};
}

std::vector<Delta> Store::replace(std::vector<ObjectPtr> objects)
{
    std::map<api::ObjectKey, ObjectPtr> fresh;
    for (auto &object : objects) {
        if (!object)
            continue;
        if (auto key = keyOf(object->root()))
            fresh[std::move(*key)] = std::move(object);
    }
    std::vector<Delta> deltas;
    std::unique_lock lock(m_mutex);
    auto oldIt = m_items.begin();
    auto newIt = fresh.begin();
    // Both maps are in key order: one merge pass finds additions, updates and deletions.
    while (oldIt != m_items.end() || newIt != fresh.end()) {
        if (newIt == fresh.end() || (oldIt != m_items.end() && oldIt->first < newIt->first)) {
            deltas.push_back({Delta::Type::Deleted, oldIt->second, nullptr});
            ++oldIt;
        } else if (oldIt == m_items.end() || newIt->first < oldIt->first) {
            deltas.push_back({Delta::Type::Added, newIt->second, nullptr});
            ++newIt;
        } else {
            if (resourceVersionOf(oldIt->second->root()) != resourceVersionOf(newIt->second->root())
                || resourceVersionOf(newIt->second->root()).empty())
                deltas.push_back({Delta::Type::Updated, newIt->second, oldIt->second});
            ++oldIt;
            ++newIt;
        }
    }
    m_items = std::move(fresh);
    rebuildIndexesLocked();
    return deltas;
}

void Store::addIndexer(const std::string &name, IndexFunc indexer)
{
    std::unique_lock lock(m_mutex);
    Index &index = m_indexes[name];
    index.func = std::move(indexer);
    index.entries.clear();
    for (const auto &[key, object] : m_items) {
        for (const auto &value : valuesOf(index, object.get()))
            index.entries[value].insert(&key);
    }
}

ObjectPtr Store::get(const api::ObjectKey &key) const
{
    std::shared_lock lock(m_mutex);
    const auto it = m_items.find(key);
    return it == m_items.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Store::list() const
{
    std::shared_lock lock(m_mutex);
    std::vector<ObjectPtr> out;
    out.reserve(m_items.size());
    for (const auto &[key, object] : m_items)
        out.push_back(object);
    return out;
}

std::vector<api::ObjectKey> Store::keys() const
{
    std::shared_lock lock(m_mutex);
    std::vector<api::ObjectKey> out;
    out.reserve(m_items.size());
    for (const auto &[key, object] : m_items)
        out.push_back(key);
    return out;
}

std::size_t Store::size() const
{
    std::shared_lock lock(m_mutex);
    return m_items.size();
}

std::vector<api::ObjectKey> Store::indexKeys(const std::string &indexName,
                                             const std::string &value) const
{
    std::shared_lock lock(m_mutex);
    const auto index = m_indexes.find(indexName);
    if (index == m_indexes.end())
        return {};
    const auto entry = index->second.entries.find(value);
    if (entry == index->second.entries.end())
        return {};
    std::vector<api::ObjectKey> out;
    out.reserve(entry->second.size());
    for (const api::ObjectKey *key : entry->second)
        out.push_back(*key);
    return out;
}

std::vector<ObjectPtr> Store::byIndex(const std::string &indexName, const std::string &value) const
{
    std::shared_lock lock(m_mutex);
    std::vector<ObjectPtr> out;
    const auto index = m_indexes.find(indexName);
    if (index == m_indexes.end())
        return out;
    const auto entry = index->second.entries.find(value);
    if (entry == index->second.entries.end())
        return out;
    for (const api::ObjectKey *key : entry->second) {
        const auto it = m_items.find(*key);
        if (it != m_items.end())
            out.push_back(it->second);
    }
    return out;
}

std::vector<std::string> Store::indexValues(const std::string &indexName) const
{
    std::shared_lock lock(m_mutex);
    std::vector<std::string> out;
    const auto index = m_indexes.find(indexName);
    if (index == m_indexes.end())
        return out;
    for (const auto &[value, keys] : index->second.entries)
        out.push_back(value);
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace kd::core::cache
