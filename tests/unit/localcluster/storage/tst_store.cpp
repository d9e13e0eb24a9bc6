#include "storetestutil.h"

#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/rest/objectrules.h>
#include <localcluster/storage/store.h>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <thread>

using namespace kd::lc::storage;
using namespace kd::lc::storage::test;
using kd::core::util::Error;

Q_DECLARE_METATYPE(Error::Code)

namespace {

std::unique_ptr<Store> openStore(const QTemporaryDir &dir, StoreOptions options = {})
{
    options.dataDir = dir.path().toStdString() + "/data";
    auto store = Store::open(options);
    if (!store) {
        qWarning("open failed: %s", store.error().message().c_str());
        return nullptr;
    }
    return std::move(store).value();
}

std::vector<std::string> names(const std::vector<ObjectRef> &items)
{
    std::vector<std::string> result;
    for (const auto &item : items)
        result.push_back(item->key().ns + "/" + item->key().name);
    return result;
}

void execSql(const std::string &path, const std::string &sql)
{
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    char *message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    const std::string text = message ? message : "";
    sqlite3_free(message);
    sqlite3_close(db);
    QVERIFY2(rc == SQLITE_OK, text.c_str());
}

std::string readFile(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

class tst_Store : public QObject
{
    Q_OBJECT

private slots:
    void crudRoundTrip();
    void revisionGoesIntoMetadataOnly();
    void objectIsParsedFromItsText();
    void selectableAnswersSelectorsLikeTheObject_data();
    void selectableAnswersSelectorsLikeTheObject();
    void writeErrors_data();
    void writeErrors();
    void listOrder();
    void listPagingKeepsItsRevision();
    void listPagingTooOldIsGone();
    void watchReplaysThenLive();
    void watchTooOldIsGone();
    void slowWatcherIsEndedWithoutBlockingWriters();
    void listAndWatchMissesNothing();
    void restartKeepsObjectsAndRevision();
    void concurrentWritersGetUniqueRevisions();
    void secondOpenIsRefused();
    void badDatabase_data();
    void badDatabase();
};

// The writer splices the revision into text serialized earlier; look-alike fields elsewhere in
// the object (a label named resourceVersion, nested object metadata) must stay as they were.
void tst_Store::revisionGoesIntoMetadataOnly()
{
    QTemporaryDir dir;
    auto store = openStore(dir);
    QVERIFY(store);
    nlohmann::json object = pod("default", "lookalike");
    object["metadata"]["labels"]["resourceVersion"] = "";
    object["metadata"]["annotations"]["resourceVersion"] = "kd-revision-";
    object["metadata"]["resourceVersion"] = "999";
    object["spec"]["template"]["metadata"]["resourceVersion"] = "";
    auto created = store->create(podKey("default", "lookalike"), object);
    KD_VERIFY_OK(created);
    const nlohmann::json stored = nlohmann::json::parse(created->object->json());
    QCOMPARE(stored["metadata"]["resourceVersion"].get<std::string>(),
             std::to_string(created->revision));
    QCOMPARE(stored["metadata"]["labels"]["resourceVersion"].get<std::string>(), std::string());
    QCOMPARE(stored["metadata"]["annotations"]["resourceVersion"].get<std::string>(),
             std::string("kd-revision-"));
    QCOMPARE(stored["spec"]["template"]["metadata"]["resourceVersion"].get<std::string>(),
             std::string());
    QCOMPARE(created->object->selectable()["metadata"]["resourceVersion"].get<std::string>(),
             std::to_string(created->revision));
    // Everything else is the object as written.
    object["metadata"]["resourceVersion"] = std::to_string(created->revision);
    QVERIFY(stored == object);
}

void tst_Store::crudRoundTrip()
{
    QTemporaryDir dir;
    auto store = openStore(dir);
    QVERIFY(store);
    QCOMPARE(store->currentRevision(), 0);

    const Key key = podKey("default", "web");
    auto created = store->create(key, pod("default", "web"));
    KD_VERIFY_OK(created);
    QCOMPARE(created->revision, 1);
    QCOMPARE(resourceVersion(created->object), std::string("1"));
    QCOMPARE(created->object->createRevision(), 1);
    // The serialized form is what a LIST copies: it must carry the same resourceVersion.
    QVERIFY(nlohmann::json::parse(created->object->json()) == created->object->object());

    auto got = store->get(key);
    KD_VERIFY_OK(got);
    QVERIFY(got.value()->object() == created->object->object());

    auto updated = store->update(key, pod("default", "web", 2), 1);
    KD_VERIFY_OK(updated);
    QCOMPARE(updated->revision, 2);
    QCOMPARE(resourceVersion(updated->object), std::string("2"));
    QCOMPARE(updated->object->createRevision(), 1);
    QCOMPARE(updated->object->object()["spec"]["generation"].get<int>(), 2);

    // An update without an expected revision is unconditional.
    auto forced = store->update(key, pod("default", "web", 3), std::nullopt);
    KD_VERIFY_OK(forced);
    QCOMPARE(forced->revision, 3);

    auto removed = store->remove(key, {});
    KD_VERIFY_OK(removed);
    QCOMPARE(removed->revision, 4);
    // DELETE answers with the last state, stamped with the deletion's revision.
    QCOMPARE(resourceVersion(removed->object), std::string("4"));
    QCOMPARE(removed->object->object()["spec"]["generation"].get<int>(), 3);

    auto gone = store->get(key);
    QVERIFY(!gone);
    QCOMPARE(gone.error().code(), Error::Code::NotFound);
    QCOMPARE(gone.error().message(), std::string("pods \"web\" not found"));
    QCOMPARE(store->currentRevision(), 4);
    QCOMPARE(store->objectCount(), std::size_t(0));
}

void tst_Store::objectIsParsedFromItsText()
{
    QTemporaryDir dir;
    nlohmann::json input = pod("default", "web");
    input["spec"]["containers"] = {{{"name", "web"}, {"image", "registry.local/web:1.4.2"}}};
    input["metadata"]["annotations"] = {{"note", "caf\u00e9 \u2713"}};
    nlohmann::json expected = input;
    expected["metadata"]["resourceVersion"] = "1";
    {
        auto store = openStore(dir);
        QVERIFY(store);
        auto created = store->create(podKey("default", "web"), input);
        KD_VERIFY_OK(created);
        QVERIFY2(created->object->object() == expected, created->object->object().dump().c_str());
        QVERIFY(nlohmann::json::parse(created->object->json()) == expected);
        // A delete's last state is the object with the deletion's revision.
        KD_VERIFY_OK(store->create(podKey("default", "gone"), pod("default", "gone")));
        auto removed
            = store->remove(podKey("default", "gone"), {std::nullopt, std::string("other")});
        QVERIFY(!removed); // wrong uid precondition: checked on the kept metadata
        QCOMPARE(removed.error().code(), Error::Code::Conflict);
        removed = store->remove(podKey("default", "gone"), {std::nullopt, "uid-default-gone"});
        KD_VERIFY_OK(removed);
        QCOMPARE(resourceVersion(removed->object), std::string("3"));
        QCOMPARE(removed->object->selectable()["metadata"]["resourceVersion"].get<std::string>(),
                 std::string("3"));
    }
    // Loaded from disk, the object is the same as when it was written.
    auto store = openStore(dir);
    QVERIFY(store);
    auto loaded = store->get(podKey("default", "web"));
    KD_VERIFY_OK(loaded);
    QVERIFY2(loaded.value()->object() == expected, loaded.value()->object().dump().c_str());
    QCOMPARE(loaded.value()->selectable()["metadata"]["uid"].get<std::string>(),
             std::string("uid-default-web"));
}

void tst_Store::selectableAnswersSelectorsLikeTheObject_data()
{
    QTest::addColumn<QString>("group");
    QTest::addColumn<QString>("resource");
    QTest::addColumn<QString>("object");

    const nlohmann::json metadata
        = {{"name", "x"},
           {"namespace", "default"},
           {"uid", "u-1"},
           {"labels", {{"app", "web"}, {"tier", "frontend"}}},
           {"annotations", {{"big", std::string(2000, 'a')}}},
           {"managedFields", {{{"manager", "kubectl"}, {"operation", "Update"}}}}};
    const auto row
        = [&](const char *name, const char *group, const char *resource, nlohmann::json object) {
              object["metadata"] = metadata;
              QTest::newRow(name) << group << resource << QString::fromStdString(object.dump());
          };
    row("pod", "", "pods",
        {{"spec",
          {{"nodeName", "node-1"},
           {"restartPolicy", "Always"},
           {"schedulerName", "default-scheduler"},
           {"serviceAccountName", "default"},
           {"hostNetwork", true},
           {"containers", {{{"name", "web"}, {"image", "web:1"}}}}}},
         {"status",
          {{"phase", "Running"},
           {"podIP", "10.88.0.7"},
           {"podIPs", {{{"ip", "10.88.0.7"}}, {{"ip", "fd00::7"}}}},
           {"nominatedNodeName", "node-2"},
           {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}});
    row("pod without optional fields", "", "pods",
        {{"spec", {{"containers", {{{"name", "web"}}}}}}, {"status", nlohmann::json::object()}});
    row("event", "", "events",
        {{"involvedObject",
          {{"kind", "Pod"},
           {"namespace", "default"},
           {"name", "web"},
           {"uid", "u-2"},
           {"apiVersion", "v1"},
           {"resourceVersion", "12"},
           {"fieldPath", "spec.containers{web}"}}},
         {"reason", "Pulled"},
         {"reportingComponent", "kubelet"},
         {"source", {{"component", "kubelet"}, {"host", "node-1"}}},
         {"type", "Normal"},
         {"message", "pulled"}});
    row("event of events.k8s.io", "events.k8s.io", "events",
        {{"reason", "Scheduled"}, {"type", "Normal"}, {"note", "scheduled"}});
    row("secret", "", "secrets", {{"type", "Opaque"}, {"data", {{"k", "dg=="}}}});
    row("node", "", "nodes", {{"spec", {{"unschedulable", true}, {"podCIDR", "10.88.0.0/16"}}}});
    row("namespace", "", "namespaces",
        {{"spec", {{"finalizers", {"kubernetes"}}}}, {"status", {{"phase", "Terminating"}}}});
    row("replicaset", "apps", "replicasets",
        {{"spec", {{"replicas", 3}}}, {"status", {{"replicas", 2}}}});
    row("job", "batch", "jobs", {{"status", {{"successful", 4}, {"active", 1}}}});
    row("service", "", "services",
        {{"spec",
          {{"clusterIP", "10.96.0.10"}, {"type", "ClusterIP"}, {"ports", {{{"port", 53}}}}}}});
}

void tst_Store::selectableAnswersSelectorsLikeTheObject()
{
    QFETCH(QString, group);
    QFETCH(QString, resource);
    QFETCH(QString, object);
    kd::lc::apiserver::ResourceInfo info;
    info.group = group.toStdString();
    info.resource = resource.toStdString();
    const Key key{{info.group, info.resource}, "default", "x"};

    QTemporaryDir dir;
    for (const bool reopened : {false, true}) {
        auto store = openStore(dir);
        QVERIFY(store);
        if (!reopened)
            KD_VERIFY_OK(store->create(key, nlohmann::json::parse(object.toStdString())));
        auto stored = store->get(key);
        KD_VERIFY_OK(stored);
        const nlohmann::json whole = stored.value()->object();
        const nlohmann::json &selectable = stored.value()->selectable();
        // Field selectors (the API server's field set) and label selectors see the same values.
        const auto expected = kd::lc::apiserver::objectrules::fieldSet(info, whole);
        const auto actual = kd::lc::apiserver::objectrules::fieldSet(info, selectable);
        QVERIFY2(actual == expected, selectable.dump().c_str());
        QVERIFY(selectable["metadata"]["labels"] == whole["metadata"]["labels"]);
        QCOMPARE(selectable["metadata"]["name"].get<std::string>(), std::string("x"));
        // What filters do not read is not kept.
        QVERIFY(!selectable["metadata"].contains("annotations"));
        QVERIFY(!selectable["metadata"].contains("managedFields"));
        QVERIFY2(selectable.dump().size() * 3 < stored.value()->json().size(),
                 selectable.dump().c_str());
    }
}

void tst_Store::writeErrors_data()
{
    QTest::addColumn<int>("operation"); // 0 create, 1 update, 2 delete
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("body");
    QTest::addColumn<qint64>("expectedRevision"); // -1: none
    QTest::addColumn<QString>("expectedUid");     // empty: none
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<QString>("message");

    // The store holds "existing" at revision 1 (uid uid-default-existing) for every row.
    QTest::newRow("create existing") << 0 << "existing"
                                     << "" << qint64(-1) << "" << Error::Code::AlreadyExists
                                     << "pods \"existing\" already exists";
    QTest::newRow("update missing")
        << 1 << "missing"
        << "" << qint64(-1) << "" << Error::Code::NotFound << "pods \"missing\" not found";
    QTest::newRow("update stale revision")
        << 1 << "existing"
        << "" << qint64(7) << "" << Error::Code::Conflict
        << "Operation cannot be fulfilled on pods \"existing\": the object has been modified; "
           "please apply your changes to the latest version and try again";
    QTest::newRow("delete missing")
        << 2 << "missing"
        << "" << qint64(-1) << "" << Error::Code::NotFound << "pods \"missing\" not found";
    QTest::newRow("delete wrong uid")
        << 2 << "existing"
        << "" << qint64(-1) << "other" << Error::Code::Conflict
        << "Precondition failed: UID in precondition: other, UID in object meta: "
           "uid-default-existing";
    QTest::newRow("delete wrong revision")
        << 2 << "existing"
        << "" << qint64(9) << "" << Error::Code::Conflict
        << "Precondition failed: ResourceVersion in precondition: 9, ResourceVersion in object "
           "meta: 1";
    QTest::newRow("create array") << 0 << "new"
                                  << "[1,2]" << qint64(-1) << "" << Error::Code::Invalid
                                  << "pods \"new\": the object is not a JSON object";
    QTest::newRow("create name mismatch")
        << 0 << "new"
        << R"({"metadata":{"name":"other"}})" << qint64(-1) << "" << Error::Code::Invalid
        << "pods \"new\": metadata.name does not match the key";
    QTest::newRow("update metadata not object")
        << 1 << "existing"
        << R"({"metadata":5})" << qint64(-1) << "" << Error::Code::Invalid
        << "pods \"existing\": metadata is not a JSON object";
    QTest::newRow("create empty name")
        << 0 << ""
        << "" << qint64(-1) << "" << Error::Code::Invalid << "pods: name is required";
}

void tst_Store::writeErrors()
{
    QFETCH(int, operation);
    QFETCH(QString, name);
    QFETCH(QString, body);
    QFETCH(qint64, expectedRevision);
    QFETCH(QString, expectedUid);
    QFETCH(Error::Code, code);
    QFETCH(QString, message);

    QTemporaryDir dir;
    auto store = openStore(dir);
    QVERIFY(store);
    KD_VERIFY_OK(store->create(podKey("default", "existing"), pod("default", "existing")));
    const std::string before = store->get(podKey("default", "existing")).value()->json();

    const Key key = podKey("default", name.toStdString());
    nlohmann::json object = body.isEmpty() ? pod("default", name.toStdString(), 5)
                                           : nlohmann::json::parse(body.toStdString());
    std::optional<Revision> revision;
    if (expectedRevision >= 0)
        revision = expectedRevision;
    kd::core::util::Result<WriteResult> result = Error();
    switch (operation) {
    case 0:
        result = store->create(key, object);
        break;
    case 1:
        result = store->update(key, object, revision);
        break;
    default: {
        DeletePreconditions preconditions;
        preconditions.revision = revision;
        if (!expectedUid.isEmpty())
            preconditions.uid = expectedUid.toStdString();
        result = store->remove(key, preconditions);
    }
    }
    QVERIFY(!result);
    QCOMPARE(result.error().code(), code);
    QCOMPARE(QString::fromStdString(result.error().message()), message);
    // A refused write changes nothing.
    QCOMPARE(store->currentRevision(), 1);
    QCOMPARE(store->objectCount(), std::size_t(1));
    QCOMPARE(store->get(podKey("default", "existing")).value()->json(), before);
}

void tst_Store::listOrder()
{
    QTemporaryDir dir;
    auto store = openStore(dir);
    QVERIFY(store);
    const std::vector<std::pair<std::string, std::string>> created
        = {{"kube-system", "dns"}, {"default", "b"},   {"default", "a"},
           {"apps", "z"},          {"default", "a-1"}, {"kube-system", "a"}};
    for (const auto &[ns, name] : created)
        KD_VERIFY_OK(store->create(podKey(ns, name), pod(ns, name)));
    const Key deployment{{"apps", "deployments"}, "default", "a"};
    KD_VERIFY_OK(store->create(deployment, nlohmann::json::object()));

    auto all = store->list({{"", "pods"}, std::nullopt, std::nullopt, std::nullopt, 0});
    KD_VERIFY_OK(all);
    QCOMPARE(names(all->items),
             (std::vector<std::string>{"apps/z", "default/a", "default/a-1", "default/b",
                                       "kube-system/a", "kube-system/dns"}));
    QCOMPARE(all->revision, 7);
    QCOMPARE(all->remaining, std::size_t(0));

    auto inDefault = store->list({{"", "pods"}, "default", std::nullopt, std::nullopt, 0});
    KD_VERIFY_OK(inDefault);
    QCOMPARE(names(inDefault->items),
             (std::vector<std::string>{"default/a", "default/a-1", "default/b"}));

    auto deployments
        = store->list({{"apps", "deployments"}, std::nullopt, std::nullopt, std::nullopt, 0});
    KD_VERIFY_OK(deployments);
    QCOMPARE(names(deployments->items), (std::vector<std::string>{"default/a"}));
    QCOMPARE(resourceVersion(deployments->items.front()), std::string("7"));

    auto none = store->list({{"", "pods"}, "empty", std::nullopt, std::nullopt, 0});
    KD_VERIFY_OK(none);
    QVERIFY(none->items.empty());
}

void tst_Store::listPagingKeepsItsRevision()
{
    QTemporaryDir dir;
    auto store = openStore(dir);
    QVERIFY(store);
    for (int i = 0; i < 10; ++i) {
        const std::string name = "p" + std::to_string(i);
        KD_VERIFY_OK(store->create(podKey("default", name), pod("default", name)));
    }
    KD_VERIFY_OK(store->create(podKey("other", "x"), pod("other", "x")));

    ListRequest request{{"", "pods"}, "default", std::nullopt, std::nullopt, 4};
    auto first = store->list(request);
    KD_VERIFY_OK(first);
    QCOMPARE(names(first->items),
             (std::vector<std::string>{"default/p0", "default/p1", "default/p2", "default/p3"}));
    QCOMPARE(first->remaining, std::size_t(6));
    const Revision listRevision = first->revision;
    QCOMPARE(listRevision, 11);

    // Changes between pages must not show up in later pages of the same list.
    KD_VERIFY_OK(store->remove(podKey("default", "p5"), {}));
    KD_VERIFY_OK(store->create(podKey("default", "p45"), pod("default", "p45")));
    KD_VERIFY_OK(store->update(podKey("default", "p6"), pod("default", "p6", 2), std::nullopt));
    KD_VERIFY_OK(store->update(podKey("default", "p0"), pod("default", "p0", 2), std::nullopt));

    request.revision = listRevision;
    request.after = ObjectName{"default", "p3"};
    auto second = store->list(request);
    KD_VERIFY_OK(second);
    QCOMPARE(names(second->items),
             (std::vector<std::string>{"default/p4", "default/p5", "default/p6", "default/p7"}));
    QCOMPARE(second->revision, listRevision);
    QCOMPARE(second->remaining, std::size_t(2));
    QCOMPARE(resourceVersion(second->items[2]), std::string("7")); // p6 as it was

    request.after = ObjectName{"default", "p7"};
    auto third = store->list(request);
    KD_VERIFY_OK(third);
    QCOMPARE(names(third->items), (std::vector<std::string>{"default/p8", "default/p9"}));
    QCOMPARE(third->remaining, std::size_t(0));

    // The current state shows every change.
    auto now = store->list({{"", "pods"}, "default", std::nullopt, std::nullopt, 0});
    KD_VERIFY_OK(now);
    QCOMPARE(now->items.size(), std::size_t(10));
    QCOMPARE(names(now->items)[5], std::string("default/p45"));
    QCOMPARE(now->revision, 15);

    // A revision the store has not reached yet is not served.
    request.revision = 99;
    auto future = store->list(request);
    QVERIFY(!future);
    QCOMPARE(future.error().code(), Error::Code::Timeout);
}

void tst_Store::listPagingTooOldIsGone()
{
    QTemporaryDir dir;
    StoreOptions options;
    options.eventRingCapacity = 3;
    auto store = openStore(dir, options);
    QVERIFY(store);
    for (int i = 0; i < 5; ++i) {
        const std::string name = "p" + std::to_string(i);
        KD_VERIFY_OK(store->create(podKey("default", name), pod("default", name)));
    }
    auto first = store->list({{"", "pods"}, std::nullopt, std::nullopt, std::nullopt, 2});
    KD_VERIFY_OK(first);
    for (int i = 0; i < 4; ++i)
        KD_VERIFY_OK(store->update(podKey("default", "p4"), pod("default", "p4", i), std::nullopt));

    auto next = store->list(
        {{"", "pods"}, std::nullopt, first->revision, ObjectName{"default", "p1"}, 2});
    QVERIFY(!next);
    QCOMPARE(next.error().code(), Error::Code::Gone);
    QCOMPARE(next.error().httpStatus(), 410);
    QCOMPARE(next.error().reason(), std::string("Expired"));
}

void tst_Store::watchReplaysThenLive()
{
    QTemporaryDir dir;
    auto store = openStore(dir);
    QVERIFY(store);
    KD_VERIFY_OK(store->create(podKey("default", "a"), pod("default", "a")));       // 1
    KD_VERIFY_OK(store->create(podKey("default", "b"), pod("default", "b")));       // 2
    KD_VERIFY_OK(store->create(podKey("other", "c"), pod("other", "c")));           // 3
    KD_VERIFY_OK(store->update(podKey("default", "a"), pod("default", "a", 2), 1)); // 4
    KD_VERIFY_OK(store->create(Key{{"apps", "deployments"}, "default", "a"},
                               nlohmann::json::object()));   // 5
    KD_VERIFY_OK(store->remove(podKey("default", "b"), {})); // 6

    std::atomic<int> notified = 0;
    auto watcher = store->watch({{"", "pods"}, "default", 1, [&notified] { ++notified; }});
    KD_VERIFY_OK(watcher);
    auto replay = watcher.value()->next(std::chrono::milliseconds(0));
    KD_VERIFY_OK(replay);
    QCOMPARE(replay->size(), std::size_t(3));
    QCOMPARE(replay->at(0).type, WatchEvent::Type::Added);
    QCOMPARE(replay->at(0).revision, 2);
    QCOMPARE(replay->at(1).type, WatchEvent::Type::Modified);
    QCOMPARE(replay->at(1).revision, 4);
    QCOMPARE(resourceVersion(replay->at(1).previous), std::string("1"));
    QCOMPARE(replay->at(2).type, WatchEvent::Type::Deleted);
    QCOMPARE(replay->at(2).revision, 6);
    QCOMPARE(resourceVersion(replay->at(2).object), std::string("6"));
    QCOMPARE(replay->at(2).object->key().name, std::string("b"));

    // Live events follow; other namespaces and resources are filtered out.
    KD_VERIFY_OK(store->create(podKey("other", "d"), pod("other", "d")));     // 7
    KD_VERIFY_OK(store->create(podKey("default", "e"), pod("default", "e"))); // 8
    auto live = watcher.value()->next(std::chrono::seconds(10));
    KD_VERIFY_OK(live);
    QCOMPARE(live->size(), std::size_t(1));
    QCOMPARE(live->front().revision, 8);
    QCOMPARE(live->front().object->key().name, std::string("e"));
    QVERIFY(notified >= 1);

    // A watch from the current revision replays nothing.
    auto fresh = store->watch({{"", "pods"}, std::nullopt, store->currentRevision(), {}});
    KD_VERIFY_OK(fresh);
    auto nothing = fresh.value()->next(std::chrono::milliseconds(0));
    KD_VERIFY_OK(nothing);
    QVERIFY(nothing->empty());
}

void tst_Store::watchTooOldIsGone()
{
    QTemporaryDir dir;
    StoreOptions options;
    options.eventRingCapacity = 4;
    auto store = openStore(dir, options);
    QVERIFY(store);
    for (int i = 0; i < 10; ++i) {
        const std::string name = "p" + std::to_string(i);
        KD_VERIFY_OK(store->create(podKey("default", name), pod("default", name)));
    }
    QCOMPARE(store->oldestServableRevision(), 6);
    auto old = store->watch({{"", "pods"}, std::nullopt, 5, {}});
    QVERIFY(!old);
    QCOMPARE(old.error().code(), Error::Code::Gone);
    QCOMPARE(old.error().httpStatus(), 410);
    QCOMPARE(old.error().reason(), std::string("Expired"));
    QCOMPARE(old.error().message(), std::string("too old resource version: 5 (6)"));

    auto oldest = store->watch({{"", "pods"}, std::nullopt, 6, {}});
    KD_VERIFY_OK(oldest);
    auto events = oldest.value()->next(std::chrono::milliseconds(0));
    KD_VERIFY_OK(events);
    QCOMPARE(events->size(), std::size_t(4));
    QCOMPARE(events->front().revision, 7);
    QCOMPARE(events->back().revision, 10);
}

void tst_Store::slowWatcherIsEndedWithoutBlockingWriters()
{
    QTemporaryDir dir;
    StoreOptions options;
    options.watcherQueueCapacity = 5;
    auto store = openStore(dir, options);
    QVERIFY(store);
    auto slow = store->watch({{"", "pods"}, std::nullopt, 0, {}});
    KD_VERIFY_OK(slow);
    auto fast = store->watch({{"", "pods"}, std::nullopt, 0, {}});
    KD_VERIFY_OK(fast);
    int seenByFast = 0;
    for (int i = 0; i < 20; ++i) {
        const std::string name = "p" + std::to_string(i);
        KD_VERIFY_OK(store->create(podKey("default", name), pod("default", name)));
        auto events = fast.value()->next(std::chrono::milliseconds(0));
        KD_VERIFY_OK(events);
        seenByFast += static_cast<int>(events->size());
    }
    QCOMPARE(seenByFast, 20);
    QCOMPARE(store->currentRevision(), 20);
    auto ended = slow.value()->next(std::chrono::milliseconds(0));
    QVERIFY(!ended);
    QCOMPARE(ended.error().code(), Error::Code::Gone);
}

void tst_Store::listAndWatchMissesNothing()
{
    QTemporaryDir dir;
    auto store = openStore(dir);
    QVERIFY(store);
    constexpr int kWrites = 300;
    std::atomic<bool> finished = false;
    std::thread writer([&store, &finished] {
        for (int i = 0; i < kWrites; ++i) {
            const std::string name = "p" + std::to_string(i);
            if (!store->create(podKey("default", name), pod("default", name)))
                break;
        }
        finished = true;
    });
    // Taken while the writer runs: every object must be in the list or in the watch, once.
    while (store->currentRevision() < 50 && !finished)
        std::this_thread::yield();
    auto both = store->listAndWatch({"", "pods"}, std::nullopt, {});
    writer.join();
    KD_VERIFY_OK(both);
    std::set<std::string> seen;
    for (const auto &item : both->list.items) {
        QVERIFY(item->modRevision() <= both->list.revision);
        QVERIFY(seen.insert(item->key().name).second);
    }
    auto events = both->watcher->next(std::chrono::milliseconds(0));
    KD_VERIFY_OK(events);
    Revision last = both->list.revision;
    for (const auto &event : *events) {
        QCOMPARE(event.revision, last + 1);
        last = event.revision;
        QVERIFY(seen.insert(event.object->key().name).second);
    }
    QCOMPARE(seen.size(), std::size_t(kWrites));
}

void tst_Store::restartKeepsObjectsAndRevision()
{
    QTemporaryDir dir;
    std::string beforeJson;
    {
        auto store = openStore(dir);
        QVERIFY(store);
        KD_VERIFY_OK(store->create(podKey("default", "a"), pod("default", "a")));
        KD_VERIFY_OK(store->create(podKey("default", "b"), pod("default", "b")));
        KD_VERIFY_OK(store->update(podKey("default", "a"), pod("default", "a", 2), 1));
        KD_VERIFY_OK(store->create(podKey("", "cluster-scoped"), pod("", "cluster-scoped")));
        // The newest writes are deletions: their revisions must not be handed out again.
        KD_VERIFY_OK(store->remove(podKey("default", "b"), {}));
        KD_VERIFY_OK(store->remove(podKey("", "cluster-scoped"), {}));
        beforeJson = store->get(podKey("default", "a")).value()->json();
        QCOMPARE(store->currentRevision(), 6);
    }
    {
        auto store = openStore(dir);
        QVERIFY(store);
        QCOMPARE(store->currentRevision(), 6);
        QCOMPARE(store->objectCount(), std::size_t(1));
        auto a = store->get(podKey("default", "a"));
        KD_VERIFY_OK(a);
        QCOMPARE(a.value()->json(), beforeJson);
        QCOMPARE(a.value()->createRevision(), 1);
        QCOMPARE(a.value()->modRevision(), 3);
        QVERIFY(!store->get(podKey("default", "b")));
        // History before the restart is gone: watching from it must relist.
        auto old = store->watch({{"", "pods"}, std::nullopt, 3, {}});
        QVERIFY(!old);
        QCOMPARE(old.error().code(), Error::Code::Gone);
        KD_VERIFY_OK(store->watch({{"", "pods"}, std::nullopt, 6, {}}));
        auto next = store->create(podKey("default", "b"), pod("default", "b"));
        KD_VERIFY_OK(next);
        QCOMPARE(next->revision, 7);
    }
    auto store = openStore(dir);
    QVERIFY(store);
    QCOMPARE(store->currentRevision(), 7);
    QCOMPARE(store->objectCount(), std::size_t(2));
}

void tst_Store::concurrentWritersGetUniqueRevisions()
{
    QTemporaryDir dir;
    auto store = openStore(dir);
    QVERIFY(store);
    constexpr int kThreads = 4;
    constexpr int kPerThread = 150;
    std::vector<std::vector<Revision>> revisions(kThreads);
    std::atomic<int> failures = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
                auto result = store->create(podKey("default", name), pod("default", name));
                if (!result) {
                    ++failures;
                    continue;
                }
                revisions[t].push_back(result->revision);
            }
            // Everyone also fights over one object: each update must be acked exactly once.
            for (int i = 0; i < 20; ++i) {
                const Key shared = podKey("default", "shared");
                auto current = store->get(shared);
                if (!current) {
                    if (store->create(shared, pod("default", "shared")))
                        revisions[t].push_back(0); // marker: counted below
                    continue;
                }
                nlohmann::json next = current.value()->object();
                next["spec"]["generation"] = next["spec"]["generation"].get<int>() + 1;
                if (store->update(shared, next, current.value()->modRevision()))
                    revisions[t].push_back(0);
            }
        });
    }
    for (auto &thread : threads)
        thread.join();
    QCOMPARE(failures.load(), 0);

    std::set<Revision> all;
    int sharedWrites = 0;
    for (int t = 0; t < kThreads; ++t) {
        Revision previous = 0;
        for (const Revision revision : revisions[t]) {
            if (revision == 0) {
                ++sharedWrites;
                continue;
            }
            QVERIFY(revision > previous); // one thread's writes are ordered
            previous = revision;
            QVERIFY(all.insert(revision).second);
        }
        for (int i = 0; i < kPerThread; ++i) {
            const std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
            QVERIFY(store->get(podKey("default", name)));
        }
    }
    QCOMPARE(all.size(), std::size_t(kThreads * kPerThread));
    // Optimistic concurrency lost no update: the generation counts every acked one.
    auto shared = store->get(podKey("default", "shared"));
    KD_VERIFY_OK(shared);
    QCOMPARE(shared.value()->object()["spec"]["generation"].get<int>(), sharedWrites);
    QCOMPARE(store->currentRevision(), Revision(kThreads * kPerThread + sharedWrites));
}

void tst_Store::secondOpenIsRefused()
{
    QTemporaryDir dir;
    auto store = openStore(dir);
    QVERIFY(store);
    StoreOptions options;
    options.dataDir = dir.path().toStdString() + "/data";
    auto second = Store::open(options);
    QVERIFY(!second);
    QVERIFY2(second.error().message().find("is in use by another kubedesk-cluster")
                 != std::string::npos,
             second.error().message().c_str());
    store.reset();
    auto third = Store::open(options);
    KD_VERIFY_OK(third);
}

void tst_Store::badDatabase_data()
{
    QTest::addColumn<QString>("damage");
    QTest::addColumn<QString>("message");
    QTest::newRow("not sqlite") << "garbage"
                                << "is not a Kubedesk cluster database";
    QTest::newRow("other application") << "sql:PRAGMA application_id=42"
                                       << "is a SQLite database of another application";
    QTest::newRow("newer schema") << "sql:PRAGMA user_version=99"
                                  << "has schema version 99, this kubedesk-cluster reads "
                                     "only version 1";
    QTest::newRow("damaged object")
        << "sql:UPDATE objects SET value='{\"metadata\":' WHERE name='a'"
        << "is not a JSON object; the database is damaged";
    QTest::newRow("missing table") << "sql:DROP TABLE objects"
                                   << "the schema does not match";
}

void tst_Store::badDatabase()
{
    QFETCH(QString, damage);
    QFETCH(QString, message);
    QTemporaryDir dir;
    {
        auto store = openStore(dir);
        QVERIFY(store);
        KD_VERIFY_OK(store->create(podKey("default", "a"), pod("default", "a")));
    }
    const std::string path = dir.path().toStdString() + "/data/state.db";
    if (damage == "garbage") {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << std::string(8192, 'x');
    } else {
        execSql(path, damage.mid(4).toStdString());
    }
    const std::string bytes = readFile(path);

    StoreOptions options;
    options.dataDir = dir.path().toStdString() + "/data";
    auto store = Store::open(options);
    QVERIFY(!store);
    QVERIFY2(store.error().message().find(message.toStdString()) != std::string::npos,
             store.error().message().c_str());
    // Refusing a file leaves it as it was, for the user to inspect or back up.
    QCOMPARE(readFile(path), bytes);
}

QTEST_APPLESS_MAIN(tst_Store)

#include "tst_store.moc"
