// moc cannot parse some C++20 library headers; it only needs the Q_OBJECT class.
#ifndef Q_MOC_RUN
#include <core/cache/store.h>

#include <nlohmann/json.hpp>

#include <stdexcept>
#endif

#include <QTest>

using namespace kd::core::cache;
using kd::core::api::ObjectKey;

namespace {

ObjectPtr pod(const std::string &ns, const std::string &name, const std::string &rv,
              const std::string &node, const std::map<std::string, std::string> &labels,
              const std::vector<std::string> &owners)
{
    nlohmann::json object = {{"metadata",
                              {{"name", name},
                               {"namespace", ns},
                               {"resourceVersion", rv},
                               {"labels", nlohmann::json::object()}}},
                             {"spec", nlohmann::json::object()}};
    for (const auto &[k, v] : labels)
        object["metadata"]["labels"][k] = v;
    for (const auto &uid : owners)
        object["metadata"]["ownerReferences"].push_back({{"uid", uid}, {"kind", "ReplicaSet"}});
    if (!node.empty())
        object["spec"]["nodeName"] = node;
    return kd::core::api::CompactJson::fromJson(std::move(object));
}

std::vector<std::string> names(const std::vector<ObjectPtr> &objects)
{
    std::vector<std::string> out;
    for (const auto &object : objects)
        out.push_back((*object)["metadata"]["name"].toString());
    std::sort(out.begin(), out.end());
    return out;
}

using Names = std::vector<std::string>;

} // namespace

Q_DECLARE_METATYPE(Names)

class TestCacheStore final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void indexesFollowChanges_data()
    {
        QTest::addColumn<QString>("index");
        QTest::addColumn<QString>("value");
        QTest::addColumn<Names>("afterAdd");
        QTest::addColumn<Names>("afterUpdate");
        QTest::addColumn<Names>("afterDelete");

        // a and b are added; a is updated (moved to node2, relabelled, new owner); b is deleted.
        QTest::newRow("namespace") << "namespace"
                                   << "prod" << Names{"a", "b"} << Names{"a", "b"} << Names{"a"};
        QTest::newRow("node before") << "nodeName"
                                     << "node1" << Names{"a", "b"} << Names{"b"} << Names{};
        QTest::newRow("node after") << "nodeName"
                                    << "node2" << Names{} << Names{"a"} << Names{"a"};
        QTest::newRow("label kept")
            << "label"
            << "tier=web" << Names{"a", "b"} << Names{"a", "b"} << Names{"a"};
        QTest::newRow("label dropped") << "label"
                                       << "track=canary" << Names{"a"} << Names{} << Names{};
        QTest::newRow("owner old") << "ownerUid"
                                   << "rs-1" << Names{"a", "b"} << Names{"b"} << Names{};
        QTest::newRow("owner new") << "ownerUid"
                                   << "rs-2" << Names{} << Names{"a"} << Names{"a"};
    }

    void indexesFollowChanges()
    {
        QFETCH(QString, index);
        QFETCH(QString, value);
        QFETCH(Names, afterAdd);
        QFETCH(Names, afterUpdate);
        QFETCH(Names, afterDelete);
        const std::string i = index.toStdString();
        const std::string v = value.toStdString();

        Store store(indexes::standard());
        QCOMPARE(store
                     .upsert(pod("prod", "a", "1", "node1", {{"tier", "web"}, {"track", "canary"}},
                                 {"rs-1"}))
                     ->type,
                 Delta::Type::Added);
        store.upsert(pod("prod", "b", "2", "node1", {{"tier", "web"}}, {"rs-1"}));
        QCOMPARE(names(store.byIndex(i, v)), afterAdd);

        const auto updated
            = store.upsert(pod("prod", "a", "3", "node2", {{"tier", "web"}}, {"rs-2"}));
        QCOMPARE(updated->type, Delta::Type::Updated);
        QCOMPARE((*updated->oldObject)["metadata"]["resourceVersion"].toString(), std::string("1"));
        QCOMPARE(names(store.byIndex(i, v)), afterUpdate);

        const auto removed = store.remove(pod("prod", "b", "4", "", {}, {}));
        QCOMPARE(removed->type, Delta::Type::Deleted);
        // The delta carries what the store held, indexed fields included.
        QCOMPARE((*removed->object)["spec"]["nodeName"].toString(), std::string("node1"));
        QCOMPARE(names(store.byIndex(i, v)), afterDelete);
        QCOMPARE(store.indexKeys(i, v).size(), afterDelete.size());
    }

    void emptyIndexValuesDisappear()
    {
        Store store(indexes::standard());
        store.upsert(pod("ns", "a", "1", "node1", {}, {}));
        QCOMPARE(store.indexValues(indexes::NodeName), Names{"node1"});
        store.remove(pod("ns", "a", "1", "", {}, {}));
        QVERIFY(store.indexValues(indexes::NodeName).empty());
        QVERIFY(store.byIndex("no-such-index", "x").empty());
    }

    void replaceReportsAddsUpdatesAndDeletes()
    {
        Store store(indexes::standard());
        store.upsert(pod("ns", "keep", "1", "", {}, {}));
        store.upsert(pod("ns", "change", "1", "", {}, {}));
        store.upsert(pod("ns", "gone", "1", "node1", {}, {}));
        const auto deltas = store.replace({pod("ns", "keep", "1", "", {}, {}),
                                           pod("ns", "change", "7", "", {}, {}),
                                           pod("ns", "new", "7", "", {}, {})});
        std::map<std::string, Delta::Type> byName;
        for (const auto &delta : deltas)
            byName[(*delta.object)["metadata"]["name"].toString()] = delta.type;
        QCOMPARE(byName.size(), size_t(3)); // "keep" did not change
        QCOMPARE(byName["change"], Delta::Type::Updated);
        QCOMPARE(byName["gone"], Delta::Type::Deleted);
        QCOMPARE(byName["new"], Delta::Type::Added);
        QCOMPARE(store.size(), size_t(3));
        QVERIFY(!store.get(ObjectKey{"ns", "gone"}));
        QVERIFY(store.byIndex(indexes::NodeName, "node1").empty());
    }

    void objectsWithoutNameAreIgnored()
    {
        Store store;
        QVERIFY(!store.upsert(kd::core::api::CompactJson::fromJson(
            nlohmann::json{{"metadata", {{"namespace", "x"}}}})));
        QVERIFY(!store.upsert(kd::core::api::CompactJson::fromJson(nlohmann::json::array())));
        QVERIFY(!store.remove(kd::core::api::CompactJson::fromJson(nlohmann::json(42))));
        QCOMPARE(store.size(), size_t(0));
    }

    void clusterScopedKeysHaveNoNamespace()
    {
        Store store;
        store.upsert(kd::core::api::CompactJson::fromJson(
            nlohmann::json{{"metadata", {{"name", "node1"}}}}));
        QVERIFY(store.get(ObjectKey{"", "node1"}));
        QVERIFY(!store.get(ObjectKey{"default", "node1"}));
    }

    void indexAddedLaterCoversExistingObjects()
    {
        Store store;
        store.upsert(pod("ns", "a", "1", "", {{"app", "x"}}, {}));
        store.addIndexer("app", [](const kd::core::api::JsonView &object) {
            return std::vector<std::string>{object["metadata"]["labels"]["app"].toString()};
        });
        QCOMPARE(names(store.byIndex("app", "x")), Names{"a"});
    }

    // Readers get results in key order (namespace, then name) whatever the order of arrival.
    void resultsComeInKeyOrder()
    {
        Store store(indexes::standard());
        for (const auto &[ns, name] : std::vector<std::pair<std::string, std::string>>{
                 {"b", "x"}, {"a", "z"}, {"", "node"}, {"a", "y"}, {"b", "a"}})
            store.upsert(pod(ns, name, "1", "", {{"app", "web"}}, {}));
        const std::vector<ObjectKey> expected{
            {"", "node"}, {"a", "y"}, {"a", "z"}, {"b", "a"}, {"b", "x"}};
        QVERIFY(store.keys() == expected);
        QVERIFY(store.indexKeys(indexes::Label, "app=web") == expected);
        std::vector<ObjectKey> listed;
        for (const auto &object : store.list())
            listed.push_back({(*object)["metadata"]["namespace"].toString(),
                              (*object)["metadata"]["name"].toString()});
        QVERIFY(listed == expected);
        std::vector<ObjectKey> indexed;
        for (const auto &object : store.byIndex(indexes::Label, "app=web"))
            indexed.push_back({(*object)["metadata"]["namespace"].toString(),
                               (*object)["metadata"]["name"].toString()});
        QVERIFY(indexed == expected);

        std::vector<ObjectKey> replaced;
        for (const auto &delta :
             store.replace({pod("c", "q", "1", "", {}, {}), pod("a", "b", "1", "", {}, {}),
                            pod("b", "x", "2", "", {}, {})}))
            replaced.push_back({(*delta.object)["metadata"]["namespace"].toString(),
                                (*delta.object)["metadata"]["name"].toString()});
        const std::vector<ObjectKey> deltaOrder{{"", "node"}, {"a", "b"}, {"a", "y"}, {"a", "z"},
                                                {"b", "a"},   {"b", "x"}, {"c", "q"}};
        QVERIFY(replaced == deltaOrder);
    }

    // A new version with the same index values is what most watch events bring: the indexes
    // must hand out the new version, not the one they were built with.
    void indexesServeTheLatestVersion()
    {
        Store store(indexes::standard());
        store.upsert(pod("ns", "a", "1", "node1", {{"app", "web"}}, {"rs-1"}));
        store.upsert(pod("ns", "a", "2", "node1", {{"app", "web"}}, {"rs-1"}));
        for (const char *index : {indexes::Label, indexes::NodeName, indexes::OwnerUid}) {
            const std::string value = std::string(index) == indexes::Label      ? "app=web"
                                      : std::string(index) == indexes::NodeName ? "node1"
                                                                                : "rs-1";
            const auto found = store.byIndex(index, value);
            QCOMPARE(found.size(), size_t(1));
            QCOMPARE((*found[0])["metadata"]["resourceVersion"].toString(), std::string("2"));
        }
        QCOMPARE(store.get(ObjectKey{"ns", "a"}), store.byIndex(indexes::Namespace, "ns")[0]);
    }

    void aListNamingAKeyTwiceKeepsTheLaterItem()
    {
        Store store(indexes::standard());
        const auto deltas = store.replace(
            {pod("ns", "a", "1", "node1", {}, {}), pod("ns", "a", "2", "node2", {}, {})});
        QCOMPARE(deltas.size(), size_t(1));
        QCOMPARE(store.size(), size_t(1));
        QCOMPARE((*store.get(ObjectKey{"ns", "a"}))["metadata"]["resourceVersion"].toString(),
                 std::string("2"));
        QVERIFY(store.byIndex(indexes::NodeName, "node1").empty());
        QCOMPARE(store.byIndex(indexes::NodeName, "node2").size(), size_t(1));
    }

    void throwingIndexerDoesNotCorruptTheStore()
    {
        Store store({{"bad", [](const kd::core::api::JsonView &object) {
                          if (!object.contains("missing"))
                              throw std::runtime_error("no such member");
                          return std::vector<std::string>{};
                      }}});
        QVERIFY(store.upsert(pod("ns", "a", "1", "", {}, {})));
        QCOMPARE(store.size(), size_t(1));
        QVERIFY(store.indexValues("bad").empty());
    }
};

QTEST_GUILESS_MAIN(TestCacheStore)
#include "tst_cachestore.moc"
