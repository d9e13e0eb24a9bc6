#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/table.h>

#include <core/util/time.h>

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTest>

using namespace kd::lc::apiserver;
using kd::core::util::TimePoint;
using nlohmann::json;

// QCOMPARE cannot print nlohmann::json; compare the serialised forms, which show on failure.
#define JCOMPARE(actual, expected) \
    QCOMPARE(QString::fromStdString(json(actual).dump()), \
             QString::fromStdString(json(expected).dump()))

namespace {

QString referenceRoot()
{
    return QStringLiteral(KD_SOURCE_DIR "/../shared/reference");
}

json readJson(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return nullptr;
    return json::parse(file.readAll().toStdString(), nullptr, false);
}

TimePoint at(const char *rfc3339)
{
    return kd::core::util::parseRfc3339(rfc3339).value();
}

ResourceInfo catalogEntry(const std::string &group, const std::string &version,
                          const std::string &name)
{
    static ResourceCatalog catalog;
    auto r = catalog.find(group, version, name);
    return r ? *r : ResourceInfo{};
}

// A cell as kubectl prints it: strings as they are, numbers and booleans in decimal/Go spelling.
QString printed(const json &cell)
{
    if (cell.is_string())
        return QString::fromStdString(cell.get<std::string>());
    if (cell.is_boolean())
        return cell.get<bool>() ? "true" : "false";
    if (cell.is_null())
        return "<none>";
    return QString::fromStdString(cell.dump());
}

// One table section of recorded `kubectl get -o wide` output: headers and rows of cells.
struct PrintedTable
{
    QStringList headers;
    QList<QStringList> rows;
};

// kubectl separates columns by at least two spaces; cells themselves hold single spaces
// ("2 (17s ago)", "Debian GNU/Linux 12 (bookworm)").
QList<PrintedTable> parseKubectlOutput(const QString &path)
{
    QFile file(path);
    QList<PrintedTable> tables;
    if (!file.open(QIODevice::ReadOnly))
        return tables;
    static const QRegularExpression separator(QStringLiteral("\\s{2,}"));
    for (const QString &line : QString::fromUtf8(file.readAll()).split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        const QStringList cells = line.trimmed().split(separator);
        if (cells.first() == "NAME")
            tables.append({cells, {}});
        else if (!tables.isEmpty())
            tables.last().rows.append(cells);
    }
    return tables;
}

json rowByName(const json &table, const std::string &name)
{
    for (const auto &row : table["rows"])
        if (row["cells"][0] == name)
            return row;
    return nullptr;
}

// Compares every printed column with the cell of our column of the same (upper-cased) name.
void compareWithPrinted(const json &table, const PrintedTable &printedTable)
{
    JCOMPARE(table["rows"].size(), size_t(printedTable.rows.size()));
    for (const QStringList &printedRow : printedTable.rows) {
        QString name = printedRow.first();
        name = name.mid(name.indexOf('/') + 1); // "deployment.apps/web" -> "web"
        const json row = rowByName(table, name.toStdString());
        QVERIFY2(!row.is_null(), qPrintable("no row for " + name));
        QCOMPARE(printedRow.size(), printedTable.headers.size());
        for (int i = 1; i < printedTable.headers.size(); ++i) {
            int ours = -1;
            const json &columns = table["columnDefinitions"];
            for (size_t c = 0; c < columns.size(); ++c)
                if (QString::fromStdString(columns[c]["name"]).toUpper() == printedTable.headers[i])
                    ours = int(c);
            QVERIFY2(ours >= 0, qPrintable("no column " + printedTable.headers[i]));
            QCOMPARE(printed(row["cells"][size_t(ours)]) + " [" + printedTable.headers[i] + " of "
                         + name + "]",
                     printedRow[i] + " [" + printedTable.headers[i] + " of " + name + "]");
        }
    }
}

json podWith(const json &status, const json &spec = json::object(), const json &extraMeta = {})
{
    json pod = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata",
         {{"name", "p"}, {"namespace", "default"}, {"creationTimestamp", "2026-01-01T00:00:00Z"}}},
        {"spec", spec},
        {"status", status}};
    if (extraMeta.is_object())
        pod["metadata"].update(extraMeta);
    if (!pod["spec"].contains("containers"))
        pod["spec"]["containers"] = json::array({{{"name", "app"}, {"image", "busybox"}}});
    return pod;
}

json onlyRow(const ResourceInfo &r, const json &object, TimePoint now)
{
    auto table = makeTable(r, {object}, {IncludeObject::None, now, {}, {}});
    if (!table.ok())
        return nullptr;
    return table.value()["rows"][0];
}

} // namespace

class tst_Table : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matchesKubectlOutput_data();
    void matchesKubectlOutput();
    void matchesUpstreamTables_data();
    void matchesUpstreamTables();
    void completedPodRowCondition();
    void includeObject();
    void podStatus_data();
    void podStatus();
    void podWideCells();
    void services_data();
    void services();
    void nodes_data();
    void nodes();
    void workloads();
    void everyResourcePrintsSparseObjects();
    void defaultTable();
    void customResourceColumns();
    void badInput();
    void textTableMatchesParsedTable_data();
    void textTableMatchesParsedTable();
    void textTableEdgeCases();
};

void tst_Table::matchesKubectlOutput_data()
{
    QTest::addColumn<QString>("objects");
    QTest::addColumn<QString>("output");
    QTest::addColumn<int>("section");
    QTest::addColumn<QString>("group");
    QTest::addColumn<QString>("resource");
    QTest::addColumn<QString>("now");
    // The instants the recordings were taken at, read off their AGE columns.
    QTest::newRow("pods") << "pods.json"
                          << "kubectl_get_pods.txt" << 0 << ""
                          << "pods"
                          << "2026-11-29T04:39:50Z";
    QTest::newRow("pods wide") << "pods.json"
                               << "kubectl_get_pods_wide.txt" << 0 << ""
                               << "pods"
                               << "2026-11-29T04:39:51Z";
    QTest::newRow("nodes wide") << "nodes.json"
                                << "kubectl_get_nodes_wide.txt" << 0 << ""
                                << "nodes"
                                << "2026-11-29T04:39:51Z";
    QTest::newRow("deployments wide") << "deploy.json"
                                      << "kubectl_get_workloads_wide.txt" << 0 << "apps"
                                      << "deployments"
                                      << "2026-11-29T04:39:51Z";
    QTest::newRow("replicasets wide") << "rs.json"
                                      << "kubectl_get_workloads_wide.txt" << 1 << "apps"
                                      << "replicasets"
                                      << "2026-11-29T04:39:51Z";
    QTest::newRow("jobs wide") << "jobs.json"
                               << "kubectl_get_workloads_wide.txt" << 2 << "batch"
                               << "jobs"
                               << "2026-11-29T04:39:51Z";
    QTest::newRow("services wide") << "svc.json"
                                   << "kubectl_get_workloads_wide.txt" << 3 << ""
                                   << "services"
                                   << "2026-11-29T04:39:51Z";
}

void tst_Table::matchesKubectlOutput()
{
    QFETCH(QString, objects);
    QFETCH(QString, output);
    QFETCH(int, section);
    QFETCH(QString, group);
    QFETCH(QString, resource);
    QFETCH(QString, now);
    const QString dir = referenceRoot() + "/kubernetes-1.23-node";
    if (!QDir(dir).exists())
        QFAIL("shared/reference must be next to the clone (CI and the session lay it there)");

    const json list = readJson(dir + "/objects/" + objects);
    QVERIFY(list.is_object());
    std::vector<json> items;
    if (list.contains("items"))
        items.assign(list["items"].begin(), list["items"].end());
    else
        items.push_back(list);

    const ResourceInfo info = catalogEntry(group.toStdString(), "v1", resource.toStdString());
    QVERIFY(!info.resource.empty());
    auto table = makeTable(info, items, {IncludeObject::Metadata, at(qPrintable(now)), {}, {}});
    QVERIFY(table.ok());
    const auto printedTables = parseKubectlOutput(dir + "/table/" + output);
    QVERIFY(section < printedTables.size());
    compareWithPrinted(table.value(), printedTables[section]);
}

void tst_Table::matchesUpstreamTables_data()
{
    QTest::addColumn<QString>("object");
    QTest::addColumn<QString>("table");
    QTest::addColumn<QString>("group");
    QTest::addColumn<QString>("resource");
    QTest::newRow("configmaps") << "configmaps_cfg.json"
                                << "api_v1_namespaces_demo_configmaps.json"
                                << ""
                                << "configmaps";
    QTest::newRow("secrets") << "secrets_sec.json"
                             << "api_v1_namespaces_demo_secrets.json"
                             << ""
                             << "secrets";
    QTest::newRow("services") << "services_web.json"
                              << "api_v1_namespaces_demo_services.json"
                              << ""
                              << "services";
    QTest::newRow("deployments") << "deployments.apps_web.json"
                                 << "apis_apps_v1_namespaces_demo_deployments.json"
                                 << "apps"
                                 << "deployments";
    QTest::newRow("jobs") << "jobs.batch_once.json"
                          << "apis_batch_v1_namespaces_demo_jobs.json"
                          << "batch"
                          << "jobs";
    QTest::newRow("cronjobs") << "cronjobs.batch_tick.json"
                              << "apis_batch_v1_namespaces_demo_cronjobs.json"
                              << "batch"
                              << "cronjobs";
}

// Same object, same instant: every column a 1.23 server sent must come out with the same name,
// type, format, priority and the same typed cell (1 vs "1" matters to clients).
void tst_Table::matchesUpstreamTables()
{
    QFETCH(QString, object);
    QFETCH(QString, table);
    QFETCH(QString, group);
    QFETCH(QString, resource);
    const QString dir = referenceRoot() + "/kube-apiserver-1.23";
    if (!QDir(dir).exists())
        QFAIL("shared/reference must be next to the clone (CI and the session lay it there)");
    const json obj = readJson(dir + "/objects/" + object);
    const json upstream = readJson(dir + "/table/" + table);
    QVERIFY(obj.is_object() && upstream.is_object());
    // The recording was taken three seconds after the object was created.
    const TimePoint now = at(obj["metadata"]["creationTimestamp"].get<std::string>().c_str())
                          + std::chrono::seconds(3);
    auto ours = makeTable(catalogEntry(group.toStdString(), "v1", resource.toStdString()), {obj},
                          {IncludeObject::Metadata, now, {}, {}});
    QVERIFY(ours.ok());
    const json &ourColumns = ours.value()["columnDefinitions"];
    const json &upColumns = upstream["columnDefinitions"];
    QVERIFY(ourColumns.size() >= upColumns.size());
    for (size_t u = 0; u < upColumns.size(); ++u) {
        size_t o = 0;
        while (o < ourColumns.size() && ourColumns[o]["name"] != upColumns[u]["name"])
            ++o;
        QVERIFY2(o < ourColumns.size(), upColumns[u]["name"].get<std::string>().c_str());
        JCOMPARE(ourColumns[o]["type"], upColumns[u]["type"]);
        JCOMPARE(ourColumns[o]["format"], upColumns[u]["format"]);
        JCOMPARE(ourColumns[o]["priority"], upColumns[u]["priority"]);
        JCOMPARE(ours.value()["rows"][0]["cells"][o].dump(),
                 upstream["rows"][0]["cells"][u].dump());
    }
    JCOMPARE(ours.value()["kind"], "Table");
    JCOMPARE(ours.value()["apiVersion"], "meta.k8s.io/v1");
}

void tst_Table::completedPodRowCondition()
{
    const QString dir = referenceRoot() + "/kubernetes-1.23-node";
    if (!QDir(dir).exists())
        QFAIL("shared/reference must be next to the clone (CI and the session lay it there)");
    const json list = readJson(dir + "/objects/pods.json");
    std::vector<json> items(list["items"].begin(), list["items"].end());
    auto table = makeTable(catalogEntry("", "v1", "pods"), items,
                           {IncludeObject::Metadata, at("2026-11-29T04:39:51Z"), {}, {}});
    QVERIFY(table.ok());
    for (const auto &row : table.value()["rows"]) {
        if (row["cells"][0] == "once-5s7xz") {
            JCOMPARE(row["conditions"].size(), size_t(1));
            JCOMPARE(row["conditions"][0]["type"], "Completed");
            JCOMPARE(row["conditions"][0]["status"], "True");
            JCOMPARE(row["conditions"][0]["reason"], "Succeeded");
        } else {
            QVERIFY(!row.contains("conditions"));
        }
    }
    const json failed = onlyRow(catalogEntry("", "v1", "pods"), podWith({{"phase", "Failed"}}),
                                at("2026-01-01T00:01:00Z"));
    JCOMPARE(failed["conditions"][0]["reason"], "Failed");
}

void tst_Table::includeObject()
{
    json pod = podWith({{"phase", "Running"}});
    pod["metadata"]["labels"] = {{"app", "web"}};
    const auto pods = catalogEntry("", "v1", "pods");
    const TimePoint now = at("2026-01-01T00:00:05Z");

    auto metadata = makeTable(pods, {pod}, {IncludeObject::Metadata, now, "42", "token"});
    QVERIFY(metadata.ok());
    const json &object = metadata.value()["rows"][0]["object"];
    JCOMPARE(object["kind"], "PartialObjectMetadata");
    JCOMPARE(object["apiVersion"], "meta.k8s.io/v1");
    JCOMPARE(object["metadata"], pod["metadata"]);
    QVERIFY(!object.contains("spec"));
    JCOMPARE(metadata.value()["metadata"]["resourceVersion"], "42");
    JCOMPARE(metadata.value()["metadata"]["continue"], "token");

    auto full = makeTable(pods, {pod}, {IncludeObject::Object, now, {}, {}});
    QVERIFY(full.ok());
    JCOMPARE(full.value()["rows"][0]["object"], pod);
    JCOMPARE(full.value()["metadata"], json::object());

    auto none = makeTable(pods, {pod}, {IncludeObject::None, now, {}, {}});
    QVERIFY(none.ok());
    QVERIFY(!none.value()["rows"][0].contains("object"));

    QCOMPARE(parseIncludeObject("").value(), IncludeObject::Metadata);
    QCOMPARE(parseIncludeObject("None").value(), IncludeObject::None);
    QCOMPARE(parseIncludeObject("Object").value(), IncludeObject::Object);
    auto bad = parseIncludeObject("object");
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().httpStatus(), 400);

    auto empty = makeTable(pods, {}, {IncludeObject::Metadata, now, {}, {}});
    QVERIFY(empty.ok());
    JCOMPARE(empty.value()["rows"], json::array());
    JCOMPARE(empty.value()["columnDefinitions"].size(), size_t(9));
}

void tst_Table::podStatus_data()
{
    QTest::addColumn<QByteArray>("pod");
    QTest::addColumn<QString>("ready");
    QTest::addColumn<QString>("status");
    QTest::addColumn<QString>("restarts");

    auto row = [](const char *name, json status, json spec, const char *ready, const char *text,
                  const char *restarts, json meta = {}) {
        QTest::newRow(name) << QByteArray::fromStdString(podWith(status, spec, meta).dump())
                            << QString(ready) << QString(text) << QString(restarts);
    };
    const json twoInits = {{"initContainers", {{{"name", "init-a"}}, {{"name", "init-b"}}}},
                           {"containers", {{{"name", "app"}}}}};
    auto waiting = [](const char *reason) { return json{{"waiting", {{"reason", reason}}}}; };
    auto running = json{{"running", {{"startedAt", "2026-01-01T00:00:01Z"}}}};
    auto doneOk = json{{"terminated", {{"exitCode", 0}, {"reason", "Completed"}}}};

    row("pending, nothing reported", {{"phase", "Pending"}}, json::object(), "0/1", "Pending", "0");
    row("creating",
        {{"phase", "Pending"},
         {"containerStatuses",
          {{{"name", "app"}, {"restartCount", 0}, {"state", waiting("ContainerCreating")}}}}},
        json::object(), "0/1", "ContainerCreating", "0");
    row("first init container running",
        {{"phase", "Pending"},
         {"initContainerStatuses",
          {{{"name", "init-a"}, {"state", running}},
           {{"name", "init-b"}, {"state", waiting("PodInitializing")}}}}},
        twoInits, "0/1", "Init:0/2", "0");
    row("second init container running",
        {{"phase", "Pending"},
         {"initContainerStatuses",
          {{{"name", "init-a"}, {"state", doneOk}}, {{"name", "init-b"}, {"state", running}}}}},
        twoInits, "0/1", "Init:1/2", "0");
    row("init crash loop",
        {{"phase", "Pending"},
         {"initContainerStatuses",
          {{{"name", "init-a"},
            {"restartCount", 3},
            {"lastState",
             {{"terminated", {{"exitCode", 1}, {"finishedAt", "2026-01-01T00:04:00Z"}}}}},
            {"state", waiting("CrashLoopBackOff")}}}}},
        twoInits, "0/1", "Init:CrashLoopBackOff", "3 (60s ago)");
    row("init failed with reason",
        {{"phase", "Pending"},
         {"initContainerStatuses",
          {{{"name", "init-a"},
            {"state", {{"terminated", {{"exitCode", 2}, {"reason", "Error"}}}}}}}}},
        twoInits, "0/1", "Init:Error", "0");
    row("init failed without reason",
        {{"phase", "Pending"},
         {"initContainerStatuses",
          {{{"name", "init-a"}, {"state", {{"terminated", {{"exitCode", 3}}}}}}}}},
        twoInits, "0/1", "Init:ExitCode:3", "0");
    row("init killed by signal",
        {{"phase", "Pending"},
         {"initContainerStatuses",
          {{{"name", "init-a"}, {"state", {{"terminated", {{"exitCode", 137}, {"signal", 9}}}}}}}}},
        twoInits, "0/1", "Init:Signal:9", "0");
    row("crash loop restarts",
        {{"phase", "Running"},
         {"containerStatuses",
          {{{"name", "app"},
            {"restartCount", 5},
            {"lastState",
             {{"terminated", {{"exitCode", 1}, {"finishedAt", "2026-01-01T00:03:00Z"}}}}},
            {"state", waiting("CrashLoopBackOff")}}}}},
        json::object(), "0/1", "CrashLoopBackOff", "5 (2m ago)");
    row("restarted and running again",
        {{"phase", "Running"},
         {"conditions", {{{"type", "Ready"}, {"status", "True"}}}},
         {"containerStatuses",
          {{{"name", "app"},
            {"ready", true},
            {"restartCount", 1},
            {"lastState",
             {{"terminated", {{"exitCode", 1}, {"finishedAt", "2026-01-01T00:04:30Z"}}}}},
            {"state", running}}}}},
        json::object(), "1/1", "Running", "1 (30s ago)");
    row("terminated without reason",
        {{"phase", "Failed"},
         {"containerStatuses",
          {{{"name", "app"}, {"state", {{"terminated", {{"exitCode", 2}}}}}}}}},
        json::object(), "0/1", "ExitCode:2", "0");
    row("terminated by signal",
        {{"phase", "Failed"},
         {"containerStatuses",
          {{{"name", "app"}, {"state", {{"terminated", {{"exitCode", 0}, {"signal", 15}}}}}}}}},
        json::object(), "0/1", "Signal:15", "0");
    const json twoContainers = {{"containers", {{{"name", "a"}}, {{"name", "b"}}}}};
    row("one finished, one running and ready",
        {{"phase", "Running"},
         {"conditions", {{{"type", "Ready"}, {"status", "True"}}}},
         {"containerStatuses",
          {{{"name", "a"}, {"ready", true}, {"state", running}},
           {{"name", "b"}, {"state", doneOk}}}}},
        twoContainers, "1/2", "Running", "0");
    row("one finished, one running, pod not ready",
        {{"phase", "Running"},
         {"conditions", {{{"type", "Ready"}, {"status", "False"}}}},
         {"containerStatuses",
          {{{"name", "a"}, {"ready", true}, {"state", running}},
           {{"name", "b"}, {"state", doneOk}}}}},
        twoContainers, "1/2", "NotReady", "0");
    row("terminating",
        {{"phase", "Running"},
         {"containerStatuses", {{{"name", "app"}, {"ready", true}, {"state", running}}}}},
        json::object(), "1/1", "Terminating", "0", {{"deletionTimestamp", "2026-01-01T00:04:00Z"}});
    row("deleted after success stays Completed",
        {{"phase", "Succeeded"}, {"containerStatuses", {{{"name", "app"}, {"state", doneOk}}}}},
        json::object(), "0/1", "Completed", "0", {{"deletionTimestamp", "2026-01-01T00:04:00Z"}});
    row("unreachable node while deleting", {{"phase", "Running"}, {"reason", "NodeLost"}},
        json::object(), "0/1", "Unknown", "0", {{"deletionTimestamp", "2026-01-01T00:04:00Z"}});
    row("evicted", {{"phase", "Failed"}, {"reason", "Evicted"}}, json::object(), "0/1", "Evicted",
        "0");
    row("scheduling gated",
        {{"phase", "Pending"},
         {"conditions",
          {{{"type", "PodScheduled"}, {"status", "False"}, {"reason", "SchedulingGated"}}}}},
        json::object(), "0/1", "SchedulingGated", "0");
    row("sidecar counts as a container",
        {{"phase", "Running"},
         {"conditions",
          {{{"type", "Initialized"}, {"status", "True"}}, {{"type", "Ready"}, {"status", "True"}}}},
         {"initContainerStatuses",
          {{{"name", "proxy"},
            {"started", true},
            {"ready", true},
            {"restartCount", 2},
            {"lastState",
             {{"terminated", {{"exitCode", 1}, {"finishedAt", "2026-01-01T00:00:05Z"}}}}},
            {"state", running}}}},
         {"containerStatuses", {{{"name", "app"}, {"ready", true}, {"state", running}}}}},
        json{{"initContainers", {{{"name", "proxy"}, {"restartPolicy", "Always"}}}},
             {"containers", {{{"name", "app"}}}}},
        "2/2", "Running", "2 (4m55s ago)");
}

void tst_Table::podStatus()
{
    QFETCH(QByteArray, pod);
    QFETCH(QString, ready);
    QFETCH(QString, status);
    QFETCH(QString, restarts);
    const json row = onlyRow(catalogEntry("", "v1", "pods"), json::parse(pod.toStdString()),
                             at("2026-01-01T00:05:00Z"));
    QVERIFY(row.is_object());
    QCOMPARE(printed(row["cells"][1]), ready);
    QCOMPARE(printed(row["cells"][2]), status);
    QCOMPARE(printed(row["cells"][3]), restarts);
    QCOMPARE(printed(row["cells"][4]), QStringLiteral("5m"));
}

void tst_Table::podWideCells()
{
    json spec = {{"nodeName", "node1"},
                 {"readinessGates",
                  {{{"conditionType", "example.com/lb"}}, {{"conditionType", "example.com/dns"}}}}};
    json status = {{"phase", "Running"},
                   {"podIPs", {{{"ip", "10.88.0.5"}}, {{"ip", "fd00::5"}}}},
                   {"nominatedNodeName", "node2"},
                   {"conditions",
                    {{{"type", "example.com/lb"}, {"status", "True"}},
                     {{"type", "example.com/dns"}, {"status", "False"}}}}};
    const json row = onlyRow(catalogEntry("", "v1", "pods"), podWith(status, spec),
                             at("2026-01-01T00:00:45Z"));
    QCOMPARE(printed(row["cells"][4]), QStringLiteral("45s"));
    QCOMPARE(printed(row["cells"][5]), QStringLiteral("10.88.0.5"));
    QCOMPARE(printed(row["cells"][6]), QStringLiteral("node1"));
    QCOMPARE(printed(row["cells"][7]), QStringLiteral("node2"));
    QCOMPARE(printed(row["cells"][8]), QStringLiteral("1/2"));

    const json bare = onlyRow(catalogEntry("", "v1", "pods"), podWith({{"phase", "Pending"}}),
                              at("2026-01-01T00:00:45Z"));
    for (size_t i = 5; i <= 8; ++i)
        QCOMPARE(printed(bare["cells"][i]), QStringLiteral("<none>"));
}

void tst_Table::services_data()
{
    QTest::addColumn<QByteArray>("spec");
    QTest::addColumn<QByteArray>("status");
    QTest::addColumn<QString>("clusterIP");
    QTest::addColumn<QString>("externalIP");
    QTest::addColumn<QString>("ports");
    QTest::addColumn<QString>("selector");

    auto row = [](const char *name, json spec, json status, const char *ip, const char *ext,
                  const char *ports, const char *selector) {
        QTest::newRow(name) << QByteArray::fromStdString(spec.dump())
                            << QByteArray::fromStdString(status.dump()) << QString(ip)
                            << QString(ext) << QString(ports) << QString(selector);
    };
    const json port80 = {{"port", 80}, {"protocol", "TCP"}};
    row("cluster ip",
        {{"type", "ClusterIP"},
         {"clusterIPs", {"10.96.0.10"}},
         {"ports", {port80}},
         {"selector", {{"tier", "web"}, {"app", "shop"}}}},
        json::object(), "10.96.0.10", "<none>", "80/TCP", "app=shop,tier=web");
    row("headless without ports", {{"type", "ClusterIP"}, {"clusterIPs", {"None"}}}, json::object(),
        "None", "<none>", "<none>", "<none>");
    row("node port",
        {{"type", "NodePort"},
         {"clusterIPs", {"10.96.1.1"}},
         {"ports",
          {{{"port", 80}, {"nodePort", 31234}, {"protocol", "TCP"}},
           {{"port", 53}, {"nodePort", 30053}, {"protocol", "UDP"}}}}},
        json::object(), "10.96.1.1", "<none>", "80:31234/TCP,53:30053/UDP", "<none>");
    row("load balancer pending",
        {{"type", "LoadBalancer"},
         {"clusterIPs", {"10.96.1.2"}},
         {"ports", {{{"port", 443}, {"nodePort", 30443}, {"protocol", "TCP"}}}}},
        {{"loadBalancer", json::object()}}, "10.96.1.2", "<pending>", "443:30443/TCP", "<none>");
    row("load balancer with addresses",
        {{"type", "LoadBalancer"}, {"clusterIPs", {"10.96.1.3"}}, {"ports", {port80}}},
        {{"loadBalancer",
          {{"ingress",
            {{{"ip", "192.0.2.9"}}, {{"hostname", "lb.example"}}, {{"ip", "192.0.2.1"}}}}}}},
        "10.96.1.3", "192.0.2.1,192.0.2.9,lb.example", "80/TCP", "<none>");
    row("load balancer plus external ips",
        {{"type", "LoadBalancer"},
         {"clusterIPs", {"10.96.1.4"}},
         {"externalIPs", {"198.51.100.7"}},
         {"ports", {port80}}},
        {{"loadBalancer", {{"ingress", {{{"ip", "192.0.2.1"}}}}}}}, "10.96.1.4",
        "192.0.2.1,198.51.100.7", "80/TCP", "<none>");
    row("cluster ip with external ips",
        {{"type", "ClusterIP"},
         {"clusterIPs", {"10.96.1.5"}},
         {"externalIPs", {"198.51.100.7", "198.51.100.8"}},
         {"ports", {port80}}},
        json::object(), "10.96.1.5", "198.51.100.7,198.51.100.8", "80/TCP", "<none>");
    row("external name", {{"type", "ExternalName"}, {"externalName", "db.example.com"}},
        json::object(), "<none>", "db.example.com", "<none>", "<none>");
}

void tst_Table::services()
{
    QFETCH(QByteArray, spec);
    QFETCH(QByteArray, status);
    QFETCH(QString, clusterIP);
    QFETCH(QString, externalIP);
    QFETCH(QString, ports);
    QFETCH(QString, selector);
    const json svc = {{"metadata", {{"name", "s"}, {"creationTimestamp", "2026-01-01T00:00:00Z"}}},
                      {"spec", json::parse(spec.toStdString())},
                      {"status", json::parse(status.toStdString())}};
    const json row = onlyRow(catalogEntry("", "v1", "services"), svc, at("2026-01-03T03:00:00Z"));
    QCOMPARE(printed(row["cells"][2]), clusterIP);
    QCOMPARE(printed(row["cells"][3]), externalIP);
    QCOMPARE(printed(row["cells"][4]), ports);
    QCOMPARE(printed(row["cells"][5]), QStringLiteral("2d3h"));
    QCOMPARE(printed(row["cells"][6]), selector);
}

void tst_Table::nodes_data()
{
    QTest::addColumn<QByteArray>("node");
    QTest::addColumn<QString>("status");
    QTest::addColumn<QString>("roles");
    auto row = [](const char *name, json conditions, bool unschedulable, json labels,
                  const char *status, const char *roles) {
        json node
            = {{"metadata",
                {{"name", "n"}, {"creationTimestamp", "2026-01-01T00:00:00Z"}, {"labels", labels}}},
               {"spec", {{"unschedulable", unschedulable}}},
               {"status", {{"conditions", conditions}}}};
        QTest::newRow(name) << QByteArray::fromStdString(node.dump()) << QString(status)
                            << QString(roles);
    };
    const json ready = {{{"type", "MemoryPressure"}, {"status", "False"}},
                        {{"type", "Ready"}, {"status", "True"}}};
    const json notReady = {{{"type", "Ready"}, {"status", "False"}}};
    const json unknown = {{{"type", "Ready"}, {"status", "Unknown"}}};
    row("ready", ready, false, json::object(), "Ready", "<none>");
    row("cordoned", ready, true, json::object(), "Ready,SchedulingDisabled", "<none>");
    row("not ready", notReady, false, json::object(), "NotReady", "<none>");
    row("ready unknown", unknown, false, json::object(), "NotReady", "<none>");
    row("no ready condition", json::array(), true, json::object(), "Unknown,SchedulingDisabled",
        "<none>");
    row("roles", ready, false,
        {{"node-role.kubernetes.io/worker", ""},
         {"node-role.kubernetes.io/control-plane", ""},
         {"node-role.kubernetes.io/", ""},
         {"kubernetes.io/role", "edge"}},
        "Ready", "control-plane,edge,worker");
}

void tst_Table::nodes()
{
    QFETCH(QByteArray, node);
    QFETCH(QString, status);
    QFETCH(QString, roles);
    const json row = onlyRow(catalogEntry("", "v1", "nodes"), json::parse(node.toStdString()),
                             at("2026-01-01T00:10:00Z"));
    QCOMPARE(printed(row["cells"][1]), status);
    QCOMPARE(printed(row["cells"][2]), roles);
    QCOMPARE(printed(row["cells"][3]), QStringLiteral("10m"));
    // Nothing reported yet: addresses <none>, node info <unknown>.
    QCOMPARE(printed(row["cells"][5]), QStringLiteral("<none>"));
    QCOMPARE(printed(row["cells"][7]), QStringLiteral("<unknown>"));
}

void tst_Table::workloads()
{
    const TimePoint now = at("2026-01-01T05:00:00Z");
    const json meta = {{"name", "w"}, {"creationTimestamp", "2026-01-01T00:00:00Z"}};

    json job = {{"metadata", meta},
                {"spec", {{"parallelism", 3}}},
                {"status",
                 {{"startTime", "2026-01-01T00:00:10Z"},
                  {"succeeded", 1},
                  {"conditions", {{{"type", "Suspended"}, {"status", "True"}}}}}}};
    json row = onlyRow(catalogEntry("batch", "v1", "jobs"), job, now);
    QCOMPARE(printed(row["cells"][1]), QStringLiteral("Suspended"));
    QCOMPARE(printed(row["cells"][2]), QStringLiteral("1/1 of 3"));
    QCOMPARE(printed(row["cells"][3]), QStringLiteral("4h59m"));
    QCOMPARE(printed(row["cells"][7]), QStringLiteral("<none>"));
    job["status"]["conditions"] = {{{"type", "Failed"}, {"status", "True"}}};
    job["spec"]["completions"] = 4;
    job["status"]["completionTime"] = "2026-01-01T00:02:10Z";
    row = onlyRow(catalogEntry("batch", "v1", "jobs"), job, now);
    QCOMPARE(printed(row["cells"][1]), QStringLiteral("Failed"));
    QCOMPARE(printed(row["cells"][2]), QStringLiteral("1/4"));
    QCOMPARE(printed(row["cells"][3]), QStringLiteral("2m"));

    json cj = json::parse(R"({"spec": {"schedule": "0 * * * *", "timeZone": "Europe/Berlin",
        "suspend": true, "jobTemplate": {"spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "x:1"}, {"name": "b", "image": "y:2"}]}}}}},
        "status": {"active": [{"name": "w-1"}], "lastScheduleTime": "2026-01-01T04:55:00Z"}})");
    cj["metadata"] = meta;
    row = onlyRow(catalogEntry("batch", "v1", "cronjobs"), cj, now);
    JCOMPARE(row["cells"].dump(), json({"w", "0 * * * *", "Europe/Berlin", "True", 1, "5m", "5h",
                                        "a,b", "x:1,y:2", "<none>"})
                                      .dump());

    json ds = {
        {"metadata", meta},
        {"spec",
         {{"selector",
           {{"matchLabels", {{"app", "agent"}}},
            {"matchExpressions", {{{"key", "tier"}, {"operator", "In"}, {"values", {"b", "a"}}}}}}},
          {"template",
           {{"spec",
             {{"nodeSelector", {{"kubernetes.io/os", "linux"}}},
              {"containers", {{{"name", "agent"}, {"image", "agent:1"}}}}}}}}}},
        {"status",
         {{"desiredNumberScheduled", 1},
          {"currentNumberScheduled", 1},
          {"numberReady", 0},
          {"updatedNumberScheduled", 1},
          {"numberAvailable", 0}}}};
    row = onlyRow(catalogEntry("apps", "v1", "daemonsets"), ds, now);
    JCOMPARE(row["cells"].dump(), json({"w", 1, 1, 0, 1, 0, "kubernetes.io/os=linux", "5h", "agent",
                                        "agent:1", "app=agent,tier in (a,b)"})
                                      .dump());

    json sts
        = {{"metadata", meta}, {"spec", {{"replicas", 3}}}, {"status", {{"readyReplicas", 2}}}};
    row = onlyRow(catalogEntry("apps", "v1", "statefulsets"), sts, now);
    QCOMPARE(printed(row["cells"][1]), QStringLiteral("2/3"));

    json hpa = {{"metadata", meta},
                {"spec",
                 {{"scaleTargetRef", {{"kind", "Deployment"}, {"name", "web"}}},
                  {"maxReplicas", 5},
                  {"metrics",
                   {{{"type", "Resource"},
                     {"resource",
                      {{"name", "cpu"},
                       {"target", {{"type", "Utilization"}, {"averageUtilization", 80}}}}}}}}}},
                {"status", {{"currentReplicas", 2}}}};
    row = onlyRow(catalogEntry("autoscaling", "v2", "horizontalpodautoscalers"), hpa, now);
    JCOMPARE(row["cells"].dump(),
             json({"w", "Deployment/web", "cpu: <unknown>/80%", "<unset>", 5, 2, "5h"}).dump());

    json pdb = {{"metadata", meta},
                {"spec", {{"minAvailable", "50%"}}},
                {"status", {{"disruptionsAllowed", 1}}}};
    row = onlyRow(catalogEntry("policy", "v1", "poddisruptionbudgets"), pdb, now);
    JCOMPARE(row["cells"].dump(), json({"w", "50%", "N/A", 1, "5h"}).dump());

    json quota = {{"metadata", meta},
                  {"status",
                   {{"hard", {{"pods", "10"}, {"limits.cpu", "2"}, {"requests.cpu", "1"}}},
                    {"used", {{"pods", "3"}, {"limits.cpu", "500m"}}}}}};
    row = onlyRow(catalogEntry("", "v1", "resourcequotas"), quota, now);
    JCOMPARE(row["cells"].dump(),
             json({"w", "pods: 3/10, requests.cpu: 0/1", "limits.cpu: 500m/2", "5h"}).dump());
}

// Every served kind prints an object with nothing but a name: one cell per column and no failure.
void tst_Table::everyResourcePrintsSparseObjects()
{
    ResourceCatalog catalog;
    const json sparse = {{"metadata", {{"name", "x"}}}};
    for (const auto &r : *catalog.snapshot()) {
        auto table = makeTable(r, {sparse, json::object()},
                               {IncludeObject::Metadata, at("2026-01-01T00:00:00Z"), {}, {}});
        QVERIFY2(table.ok(), r.resource.c_str());
        const size_t columns = table.value()["columnDefinitions"].size();
        QVERIFY(columns >= 2);
        // A column names the object (the first, except for events; volumeattachments have two,
        // as upstream formats Attacher as a name too).
        int nameColumns = 0;
        for (const auto &c : table.value()["columnDefinitions"])
            nameColumns += c["format"] == "name" ? 1 : 0;
        QVERIFY(nameColumns >= 1);
        for (const auto &row : table.value()["rows"])
            JCOMPARE(row["cells"].size(), columns);
        // The Age column of a printer says <unknown> for an object without creationTimestamp.
        QCOMPARE(tableColumns(r).size(), columns);
    }
}

void tst_Table::defaultTable()
{
    // Kinds upstream has no printer for get Name and Created At, the timestamp itself.
    const json role
        = {{"metadata", {{"name", "reader"}, {"creationTimestamp", "2026-02-03T04:05:06Z"}}}};
    auto table = makeTable(catalogEntry("rbac.authorization.k8s.io", "v1", "roles"), {role},
                           {IncludeObject::Metadata, at("2026-03-01T00:00:00Z"), {}, {}});
    QVERIFY(table.ok());
    const json &columns = table.value()["columnDefinitions"];
    QCOMPARE(columns.size(), size_t(2));
    JCOMPARE(columns[1]["name"], "Created At");
    JCOMPARE(columns[1]["type"], "date");
    JCOMPARE(table.value()["rows"][0]["cells"], json({"reader", "2026-02-03T04:05:06Z"}));

    auto crds = catalogEntry("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    JCOMPARE(tableColumns(crds)[1].name, std::string("Created At"));
}

void tst_Table::customResourceColumns()
{
    ResourceInfo widget;
    widget.group = "example.com";
    widget.version = "v1";
    widget.resource = "widgets";
    widget.kind = "Widget";
    widget.custom = true;
    const json obj = json::parse(R"({
        "metadata": {"name": "w1", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"replicas": 3, "ratio": 0.5, "enabled": true, "size": "big",
                 "ports": [{"port": 80}, {"port": 443}], "labels": {"a.b/c": "dotted"},
                 "nested": {"k": "v"}},
        "status": {"lastSeen": "2026-01-01T00:30:00Z", "bad": "yesterday"}})");
    const TimePoint now = at("2026-01-01T01:00:00Z");

    // Without additionalPrinterColumns: Name and Age (a date column shown as an age).
    auto plain = makeTable(widget, {obj}, {IncludeObject::Metadata, now, {}, {}});
    QVERIFY(plain.ok());
    JCOMPARE(plain.value()["columnDefinitions"].size(), size_t(2));
    JCOMPARE(plain.value()["columnDefinitions"][1]["name"], "Age");
    JCOMPARE(plain.value()["columnDefinitions"][1]["type"], "date");
    JCOMPARE(plain.value()["rows"][0]["cells"],
             json({"w1", "60m"})); // upstream keeps minutes below 3h

    widget.printerColumns = {
        {"Replicas", "integer", "", "", 0, ".spec.replicas"},
        {"Ratio", "number", "", "", 0, ".spec.ratio"},
        {"Enabled", "boolean", "", "", 0, ".spec.enabled"},
        {"Size", "string", "", "", 1, ".spec.size"},
        {"Second Port", "integer", "", "", 0, ".spec.ports[1].port"},
        {"Last Port", "integer", "", "", 0, ".spec.ports[-1].port"},
        {"Dotted", "string", "", "", 0, ".spec.labels['a.b/c']"},
        {"Nested", "string", "", "", 0, "{.spec.nested}"},
        {"Seen", "date", "", "", 0, ".status.lastSeen"},
        {"Bad Date", "date", "", "", 0, ".status.bad"},
        {"Missing", "string", "", "", 0, ".status.nothing.here"},
        {"Wrong Type", "integer", "", "", 0, ".spec.size"},
        {"Out Of Range", "integer", "", "", 0, ".spec.ports[5].port"},
    };
    auto table = makeTable(widget, {obj}, {IncludeObject::Metadata, now, {}, {}});
    QVERIFY(table.ok());
    const json &columns = table.value()["columnDefinitions"];
    QCOMPARE(columns.size(), size_t(14)); // Name + declared columns; no Age added
    JCOMPARE(columns[4]["priority"], 1);
    JCOMPARE(table.value()["rows"][0]["cells"].dump(),
             json({"w1", 3, 0.5, true, "big", 443, 443, "dotted", R"({"k":"v"})", "30m",
                   "<invalid>", nullptr, nullptr, nullptr})
                 .dump());
}

void tst_Table::badInput()
{
    auto pods = catalogEntry("", "v1", "pods");
    auto table = makeTable(pods, {json::object(), json::array()},
                           {IncludeObject::Metadata, at("2026-01-01T00:00:00Z"), {}, {}});
    QVERIFY(!table.ok());
    QCOMPARE(table.error().code(), kd::core::util::Error::Code::Decode);

    // Fields of the wrong type print like absent ones instead of failing.
    const json weird
        = {{"metadata", {{"name", 7}, {"creationTimestamp", "not a time"}}},
           {"spec", "nope"},
           {"status", {{"containerStatuses", {1, "two", nullptr}}, {"initContainerStatuses", 5}}}};
    auto ok
        = makeTable(pods, {weird}, {IncludeObject::Metadata, at("2026-01-01T00:00:00Z"), {}, {}});
    QVERIFY(ok.ok());
    JCOMPARE(ok.value()["rows"][0]["cells"][0], "");
    JCOMPARE(ok.value()["rows"][0]["cells"][4], "<unknown>");
}

namespace {

std::string dumped(const json &value)
{
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<std::string> texts(const std::vector<json> &objects, int indent = -1)
{
    std::vector<std::string> out;
    for (const json &o : objects)
        out.push_back(o.dump(indent));
    return out;
}

std::vector<std::string_view> views(const std::vector<std::string> &texts)
{
    return {texts.begin(), texts.end()};
}

} // namespace

void tst_Table::textTableMatchesParsedTable_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("group");
    QTest::addColumn<QString>("resource");
    // Lists recorded from a real cluster.
    QTest::newRow("pods") << "pods.json"
                          << ""
                          << "pods";
    QTest::newRow("deployments") << "deploy.json"
                                 << "apps"
                                 << "deployments";
    QTest::newRow("replicasets") << "rs.json"
                                 << "apps"
                                 << "replicasets";
    QTest::newRow("jobs") << "jobs.json"
                          << "batch"
                          << "jobs";
    QTest::newRow("services") << "svc.json"
                              << ""
                              << "services";
    QTest::newRow("endpoints") << "endpoints.json"
                               << ""
                               << "endpoints";
    QTest::newRow("endpointslices") << "endpointslices.discovery.k8s.io.json"
                                    << "discovery.k8s.io"
                                    << "endpointslices";
    QTest::newRow("nodes") << "nodes.json"
                           << ""
                           << "nodes";
    QTest::newRow("leases (no printer)") << "leases.json"
                                         << "coordination.k8s.io"
                                         << "leases";
}

// A LIST's Table is built from stored text; it must be byte for byte the Table that parsing
// every object and serializing the result gives, in every includeObject mode.
void tst_Table::textTableMatchesParsedTable()
{
    QFETCH(QString, file);
    QFETCH(QString, group);
    QFETCH(QString, resource);
    const QString dir = referenceRoot() + "/kubernetes-1.23-node";
    if (!QDir(dir).exists())
        QFAIL("shared/reference must be next to the clone (CI and the session lay it there)");
    const json list = readJson(dir + "/objects/" + file);
    QVERIFY(list.is_object() && list["items"].is_array() && !list["items"].empty());
    std::vector<json> items(list["items"].begin(), list["items"].end());
    // kubectl recorded them without managedFields; what a server stores has them (every other
    // item here, so that both kinds of row are built).
    for (std::size_t i = 0; i < items.size(); i += 2) {
        json &metadata = items[i]["metadata"];
        QVERIFY(metadata.is_object() && !metadata.contains("managedFields"));
        metadata["managedFields"] = json::array({{{"manager", "kubectl-client-side-apply"},
                                                  {"operation", "Update"},
                                                  {"apiVersion", "v1"},
                                                  {"time", "2026-11-29T04:39:00Z"},
                                                  {"fieldsType", "FieldsV1"},
                                                  {"fieldsV1", {{"f:metadata", json::object()}}}}});
    }
    const auto info = catalogEntry(group.toStdString(), "v1", resource.toStdString());
    QVERIFY(!info.resource.empty());
    const std::vector<std::string> text = texts(items);
    for (IncludeObject mode :
         {IncludeObject::None, IncludeObject::Metadata, IncludeObject::Object}) {
        const TableOptions options{mode, at("2026-11-29T04:39:51Z"), "1234", "next"};
        auto parsed = makeTable(info, items, options);
        auto built = makeTableText(info, views(text), options);
        QVERIFY(parsed.ok() && built.ok());
        QCOMPARE(QString::fromStdString(built.value()),
                 QString::fromStdString(dumped(parsed.value())));
    }
}

void tst_Table::textTableEdgeCases()
{
    const TimePoint now = at("2026-01-01T01:00:00Z");
    const json fields = json::array({{{"manager", "kubectl"}, {"operation", "Update"}}});
    const auto pods = catalogEntry("", "v1", "pods");
    // managedFields first, last, alone and absent in metadata; metadata absent or not an object.
    const std::vector<json> objects = {
        podWith({{"phase", "Running"}}),
        {{"metadata", {{"name", "alone"}, {"managedFields", fields}}}},
        {{"metadata", {{"managedFields", fields}}}},
        {{"metadata", {{"a", 1}, {"managedFields", fields}}}},
        {{"metadata", {{"managedFields", fields}, {"zz", {{"x", "]}\"{["}}}}}},
        {{"metadata", 5}},
        json::object(),
    };
    for (IncludeObject mode :
         {IncludeObject::None, IncludeObject::Metadata, IncludeObject::Object}) {
        const TableOptions options{mode, now, {}, {}};
        const std::vector<std::string> text = texts(objects);
        auto built = makeTableText(pods, views(text), options);
        QVERIFY(built.ok());
        QCOMPARE(QString::fromStdString(built.value()),
                 QString::fromStdString(dumped(makeTable(pods, objects, options).value())));
        // Indented text gives the same cells and objects.
        const std::vector<std::string> pretty = texts(objects, 2);
        auto fromPretty = makeTableText(pods, views(pretty), options);
        QVERIFY(fromPretty.ok());
        QVERIFY(json::parse(fromPretty.value()) == makeTable(pods, objects, options).value());
    }

    // A custom resource's column may read managedFields, so they stay for it.
    ResourceInfo widget;
    widget.group = "example.com";
    widget.version = "v1";
    widget.resource = "widgets";
    widget.kind = "Widget";
    widget.custom = true;
    widget.printerColumns
        = {{"Manager", "string", "", "", 0, ".metadata.managedFields[0].manager"}};
    const json w = {{"metadata", {{"name", "w1"}, {"managedFields", fields}}}};
    const std::vector<std::string> wText = texts({w});
    auto custom = makeTableText(widget, views(wText), {IncludeObject::None, now, {}, {}});
    QVERIFY(custom.ok());
    QVERIFY(json::parse(custom.value())["rows"][0]["cells"] == json({"w1", "kubectl"}));

    // Text that is not a JSON object fails the whole Table with Decode and never crashes.
    for (const char *bad :
         {"[]", "", "   ", "{\"metadata\":", "{\"metadata\":{\"managedFields\":[}}", "{\"a\":tru}",
          "\"text\"", "{\"metadata\":{\"name\":\"x\"}", "}{", "{} {}"}) {
        const std::string good = podWith({}).dump();
        const std::string one = bad;
        auto table = makeTableText(pods, {good, one}, {IncludeObject::Metadata, now, {}, {}});
        QVERIFY2(!table.ok(), bad);
        QCOMPARE(table.error().code(), kd::core::util::Error::Code::Decode);
    }
}

QTEST_GUILESS_MAIN(tst_Table)
#include "tst_table.moc"
