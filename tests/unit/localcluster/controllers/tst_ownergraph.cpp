#include <localcluster/controllers/garbagecollector/ownergraph.h>
#include <localcluster/controllers/namespace/namespacecontroller.h>

#include <nlohmann/json.hpp>

#include <QTest>

using nlohmann::json;
namespace gc = kd::lc::controllers::garbagecollector;
namespace nsc = kd::lc::controllers::namespace_;
using Propagation = kd::core::client::DeleteOptions::Propagation;

namespace {

const kd::core::api::GroupVersionResource kConfigMaps{"", "v1", "configmaps"};

json ownerRef(const std::string &name, const std::string &uid, bool block = false)
{
    json ref = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", name}, {"uid", uid}};
    if (block)
        ref["blockOwnerDeletion"] = true;
    return ref;
}

json object(const std::string &name, const std::string &uid, json owners = json::array(),
            json finalizers = json::array(), bool deleting = false)
{
    json o = {{"metadata", {{"name", name}, {"namespace", "ns"}, {"uid", uid}}}};
    if (!owners.empty())
        o["metadata"]["ownerReferences"] = owners;
    if (!finalizers.empty())
        o["metadata"]["finalizers"] = finalizers;
    if (deleting)
        o["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
    return o;
}

std::set<std::string> uids(std::initializer_list<const char *> list)
{
    return {list.begin(), list.end()};
}

} // namespace

class TestOwnerGraph final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ownerReferencesAreRead()
    {
        const json o = object("d", "u-d",
                              {ownerRef("a", "u-a", true),
                               {{"kind", "ConfigMap"}, {"name", "no-uid"}},
                               "not an object"});
        const auto refs = gc::ownerReferencesOf(o);
        QCOMPARE(refs.size(), std::size_t(1));
        QCOMPARE(refs[0].uid, std::string("u-a"));
        QVERIFY(refs[0].blockOwnerDeletion);
        QVERIFY(gc::ownerReferencesOf(json("garbage")).empty());
        QVERIFY(gc::ownerReferencesOf(json{{"metadata", {{"ownerReferences", 5}}}}).empty());
    }

    void dependentsAreIndexedByOwnerUid()
    {
        gc::OwnerGraph graph;
        graph.upsert(kConfigMaps, true, object("owner", "u-o"));
        const auto work
            = graph.upsert(kConfigMaps, true, object("dep", "u-d", {ownerRef("owner", "u-o")}));
        // A new dependent is always checked once: its owner may be gone already.
        QCOMPARE(work.attemptToDelete, uids({"u-d"}));
        QVERIFY(work.attemptToOrphan.empty());
        QCOMPARE(graph.dependents("u-o").size(), std::size_t(1));
        QCOMPARE(graph.dependents("u-o")[0].identity.name, std::string("dep"));
        QCOMPARE(graph.size(), std::size_t(2));

        // Dropping the reference unlinks it.
        graph.upsert(kConfigMaps, true, object("dep", "u-d"));
        QVERIFY(graph.dependents("u-o").empty());
    }

    void ownerRemovalQueuesDependents()
    {
        gc::OwnerGraph graph;
        graph.upsert(kConfigMaps, true, object("owner", "u-o"));
        graph.upsert(kConfigMaps, true, object("d1", "u-1", {ownerRef("owner", "u-o")}));
        graph.upsert(kConfigMaps, true, object("d2", "u-2", {ownerRef("owner", "u-o")}));
        const auto work = graph.remove(object("owner", "u-o"));
        QCOMPARE(work.attemptToDelete, uids({"u-1", "u-2"}));
        QVERIFY(!graph.node("u-o"));
        // The edges stay: the owner is now a missing uid its dependents still name.
        QCOMPARE(graph.dependents("u-o").size(), std::size_t(2));
        // Removing something never seen changes nothing.
        QVERIFY(graph.remove(object("x", "u-x")).attemptToDelete.empty());
    }

    void foregroundDeletionQueuesOwnerAndDependents()
    {
        gc::OwnerGraph graph;
        graph.upsert(kConfigMaps, true, object("owner", "u-o"));
        graph.upsert(kConfigMaps, true, object("d1", "u-1", {ownerRef("owner", "u-o", true)}));
        const auto work = graph.upsert(
            kConfigMaps, true, object("owner", "u-o", json::array(), {"foregroundDeletion"}, true));
        QCOMPARE(work.attemptToDelete, uids({"u-o", "u-1"}));
        QVERIFY(graph.node("u-o")->deletingDependents);
        // The last dependent going away brings the owner back to have its finalizer removed.
        const auto gone = graph.remove(object("d1", "u-1"));
        QCOMPARE(gone.attemptToDelete, uids({"u-o"}));
    }

    void orphanFinalizerQueuesOrphaning()
    {
        gc::OwnerGraph graph;
        auto work
            = graph.upsert(kConfigMaps, true, object("owner", "u-o", json::array(), {"orphan"}));
        QVERIFY2(work.attemptToOrphan.empty(), "only a deleted owner is orphaned");
        work = graph.upsert(kConfigMaps, true,
                            object("owner", "u-o", json::array(), {"orphan"}, true));
        QCOMPARE(work.attemptToOrphan, uids({"u-o"}));
        QVERIFY(graph.node("u-o")->orphaning);
        QVERIFY(!graph.node("u-o")->deletingDependents);
    }

    void objectsWithoutUidAreIgnored()
    {
        gc::OwnerGraph graph;
        const auto work = graph.upsert(kConfigMaps, true, json{{"metadata", {{"name", "x"}}}});
        QVERIFY(work.attemptToDelete.empty());
        QCOMPARE(graph.size(), std::size_t(0));
    }

    void decideDeletion_data()
    {
        QTest::addColumn<QString>("states"); // one letter per owner: S, D, W
        QTest::addColumn<bool>("hasDependents");
        QTest::addColumn<QString>("finalizer");   // of the dependent itself
        QTest::addColumn<QString>("action");      // none, unlink, delete
        QTest::addColumn<QString>("propagation"); // for delete
        QTest::addColumn<QString>("unlinked");    // owner indexes removed, for unlink

        QTest::newRow("owner present") << "S" << false << ""
                                       << "none"
                                       << ""
                                       << "";
        QTest::newRow("owner gone") << "D" << false << ""
                                    << "delete"
                                    << "Background"
                                    << "";
        QTest::newRow("one of two gone") << "SD" << false << ""
                                         << "unlink"
                                         << ""
                                         << "1";
        QTest::newRow("all gone") << "DD" << false << ""
                                  << "delete"
                                  << "Background"
                                  << "";
        QTest::newRow("owner waits, leaf") << "W" << false << ""
                                           << "delete"
                                           << "Background"
                                           << "";
        QTest::newRow("owner waits, has dependents") << "W" << true << ""
                                                     << "delete"
                                                     << "Foreground"
                                                     << "";
        QTest::newRow("waiting and solid owner") << "WS" << false << ""
                                                 << "unlink"
                                                 << ""
                                                 << "0";
        QTest::newRow("own orphan finalizer") << "D" << true << "orphan"
                                              << "delete"
                                              << "Orphan"
                                              << "";
        QTest::newRow("own foreground finalizer") << "D" << true << "foregroundDeletion"
                                                  << "delete"
                                                  << "Foreground"
                                                  << "";
    }

    void decideDeletion()
    {
        QFETCH(QString, states);
        QFETCH(bool, hasDependents);
        QFETCH(QString, finalizer);
        QFETCH(QString, action);
        QFETCH(QString, propagation);
        QFETCH(QString, unlinked);

        gc::GraphNode node;
        node.identity = {kConfigMaps, true, "ns", "dep", "u-dep"};
        if (!finalizer.isEmpty())
            node.finalizers = {finalizer.toStdString()};
        std::map<std::string, gc::OwnerState> ownerStates;
        for (int i = 0; i < states.size(); ++i) {
            const std::string uid = "u-" + std::to_string(i);
            node.owners.push_back({"v1", "ConfigMap", "o" + std::to_string(i), uid});
            ownerStates[uid] = states[i] == 'S'   ? gc::OwnerState::Solid
                               : states[i] == 'D' ? gc::OwnerState::Dangling
                                                  : gc::OwnerState::WaitingForDependentsDeletion;
        }
        const gc::DeleteDecision decision = gc::decideDeletion(node, ownerStates, hasDependents);
        const char *actionName = decision.action == gc::DeleteDecision::Action::None     ? "none"
                                 : decision.action == gc::DeleteDecision::Action::Delete ? "delete"
                                                                                         : "unlink";
        QCOMPARE(QString(actionName), action);
        if (action == "delete") {
            const char *name = decision.propagation == Propagation::Foreground ? "Foreground"
                               : decision.propagation == Propagation::Orphan   ? "Orphan"
                                                                               : "Background";
            QCOMPARE(QString(name), propagation);
        }
        if (action == "unlink") {
            std::vector<std::string> expected;
            for (QChar c : unlinked)
                expected.push_back("u-" + std::string(1, c.toLatin1()));
            QCOMPARE(decision.ownerUidsToRemove, expected);
        }
    }

    void beingDeletedObjectIsLeftAlone()
    {
        gc::GraphNode node;
        node.identity = {kConfigMaps, true, "ns", "dep", "u-dep"};
        node.owners.push_back({"v1", "ConfigMap", "gone", "u-gone"});
        node.beingDeleted = true;
        const auto decision
            = gc::decideDeletion(node, {{"u-gone", gc::OwnerState::Dangling}}, false);
        QVERIFY(decision.action == gc::DeleteDecision::Action::None);
    }

    void namespaceConditionsReportRemainingContent()
    {
        nsc::DeletionReport report;
        report.remaining["configmaps."] = 2;
        report.finalizers["example.com/hold"] = 1;
        const json conditions = nsc::deletionConditions(json::array(), report, "T1");
        QCOMPARE(conditions.size(), std::size_t(5));
        const auto find = [&conditions](const std::string &type) {
            for (const json &c : conditions) {
                if (c["type"] == type)
                    return c;
            }
            return json();
        };
        const json remaining = find("NamespaceContentRemaining");
        QVERIFY2(remaining["status"] == "True", remaining.dump().c_str());
        QCOMPARE(remaining["reason"].get<std::string>(), std::string("SomeResourcesRemain"));
        QCOMPARE(remaining["message"].get<std::string>(),
                 std::string("Some resources are remaining: configmaps. has 2 resource instances"));
        const json finalizers = find("NamespaceFinalizersRemaining");
        QCOMPARE(finalizers["message"].get<std::string>(),
                 std::string("Some content in the namespace has finalizers remaining: "
                             "example.com/hold in 1 resource instances"));
        QVERIFY(find("NamespaceDeletionDiscoveryFailure")["status"] == "False");

        // A later pass keeps the transition time of unchanged conditions and moves the others.
        json other = {{"type", "SomeoneElses"}, {"status", "True"}};
        json previous = conditions;
        previous.push_back(other);
        nsc::DeletionReport done;
        const json next = nsc::deletionConditions(previous, done, "T2");
        QCOMPARE(next.size(), std::size_t(6));
        for (const json &c : next) {
            if (c["type"] == "NamespaceContentRemaining") {
                QVERIFY(c["status"] == "False");
                QVERIFY(c["lastTransitionTime"] == "T2");
            } else if (c["type"] == "NamespaceDeletionDiscoveryFailure") {
                QVERIFY(c["lastTransitionTime"] == "T1");
            } else if (c["type"] == "SomeoneElses") {
                QVERIFY(c == other);
            }
        }
        QVERIFY(done.complete());
        QVERIFY(!report.complete());
    }
};

QTEST_GUILESS_MAIN(TestOwnerGraph)
#include "tst_ownergraph.moc"
