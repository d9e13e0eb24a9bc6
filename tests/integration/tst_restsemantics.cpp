// The API server's wire semantics that kubectl does not show directly, checked over real HTTPS
// with curl against an in-process server: status codes, Status bodies, continue tokens, Tables,
// watch streams (selectors, bookmarks, 410), finalizers, graceful deletion, subresources.

#include "testcluster.h"

#include <nlohmann/json.hpp>

#include <QDeadlineTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>

using nlohmann::json;

// nlohmann::json values compared by their serialisation (QCOMPARE cannot take json).
#define QCOMPARE_JSON(actual, expected) \
    QCOMPARE(QString::fromStdString(json(actual).dump()), \
             QString::fromStdString(json(expected).dump()))

namespace {

struct Reply
{
    int status = 0;
    QByteArray headers;
    QByteArray body;
    json object() const { return json::parse(body.toStdString(), nullptr, false); }
    // The watch stream as one JSON object per line.
    std::vector<json> events() const
    {
        std::vector<json> out;
        for (const QByteArray &line : body.split('\n')) {
            if (!line.trimmed().isEmpty())
                out.push_back(json::parse(line.toStdString(), nullptr, false));
        }
        return out;
    }
};

QString text(const json &value)
{
    return QString::fromStdString(value.is_string() ? value.get<std::string>() : value.dump());
}

} // namespace

class TestRestSemantics final : public QObject
{
    Q_OBJECT

private:
    TestCluster m_cluster;

    QStringList curlArgs(const QString &method, const QString &path,
                         const QStringList &headers) const
    {
        QStringList args{"-sS",      "--http1.1",
                         "--cacert", m_cluster.caFile(),
                         "--cert",   m_cluster.certFile(),
                         "--key",    m_cluster.keyFile(),
                         "-X",       method,
                         "-D",       "-"};
        for (const QString &header : headers)
            args << "-H" << header;
        args << m_cluster.baseUrl() + path;
        return args;
    }

    static Reply parse(const QByteArray &output)
    {
        Reply reply;
        const int split = output.indexOf("\r\n\r\n");
        reply.headers = output.left(split);
        reply.body = split < 0 ? QByteArray() : output.mid(split + 4);
        const QRegularExpression statusLine("^HTTP/1.1 (\\d+)");
        auto match = statusLine.match(QString::fromLatin1(reply.headers));
        reply.status = match.hasMatch() ? match.captured(1).toInt() : -1;
        return reply;
    }

    Reply request(const QString &method, const QString &path, const QByteArray &body = {},
                  QStringList headers = {})
    {
        QStringList args = curlArgs(method, path, headers);
        if (!body.isEmpty())
            args << "--data-binary"
                 << "@-";
        QProcess curl;
        curl.start("curl", args);
        curl.write(body);
        curl.closeWriteChannel();
        curl.waitForFinished(30000);
        return parse(curl.readAllStandardOutput());
    }

    Reply post(const QString &path, const json &object, QStringList headers = {})
    {
        headers << "Content-Type: application/json";
        return request("POST", path, QByteArray::fromStdString(object.dump()), headers);
    }

    Reply patch(const QString &path, const QString &type, const json &body)
    {
        return request("PATCH", path, QByteArray::fromStdString(body.dump()),
                       {"Content-Type: application/" + type});
    }

    static json configMap(const std::string &name, const json &labels = json::object())
    {
        return {{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata", {{"name", name}, {"labels", labels}}},
                {"data", {{"k", "v"}}}};
    }

    // Starts a watch in the background; finish() returns what it streamed.
    struct Watch
    {
        std::unique_ptr<QProcess> process;
        Reply finish()
        {
            process->waitForFinished(30000);
            return parse(process->readAllStandardOutput());
        }
    };
    Watch startWatch(const QString &path)
    {
        Watch watch{std::make_unique<QProcess>()};
        watch.process->start("curl", curlArgs("GET", path, {}));
        watch.process->waitForStarted();
        // The stream's headers arrive once the watch is registered on the server.
        QDeadlineTimer deadline(10000);
        QByteArray seen;
        while (!seen.contains("\r\n\r\n") && !deadline.hasExpired()) {
            watch.process->waitForReadyRead(200);
            seen += watch.process->peek(4096);
        }
        return watch;
    }

    void createNamespace(const std::string &name)
    {
        const Reply reply
            = post("/api/v1/namespaces",
                   {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
        QCOMPARE(reply.status, 201);
    }

private Q_SLOTS:
    void initTestCase()
    {
        TestCluster::Options options;
        options.eventRingCapacity = 40; // small, so that old revisions expire within the test
        options.bookmarkInterval = std::chrono::milliseconds(500);
        // The API server alone: exact object counts and a tiny event ring leave no room for the
        // controllers' writes (kube-root-ca.crt, default ServiceAccounts).
        options.controllers = false;
        const QString failure = m_cluster.start(options);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
    }

    void cleanupTestCase() { m_cluster.stop(); }

    void discoveryAndOpenApi()
    {
        Reply reply = request("GET", "/api");
        QCOMPARE(reply.status, 200);
        QCOMPARE(text(reply.object()["versions"]), QString(R"(["v1"])"));

        reply = request("GET", "/apis", {},
                        {"Accept: application/json;g=apidiscovery.k8s.io;v=v2;as="
                         "APIGroupDiscoveryList,application/json"});
        QCOMPARE(reply.status, 200);
        QVERIFY2(reply.headers.contains("as=APIGroupDiscoveryList"), reply.headers.constData());
        QCOMPARE(text(reply.object()["kind"]), QString("APIGroupDiscoveryList"));

        reply = request("GET", "/apis/apps");
        QCOMPARE(reply.status, 200);
        QCOMPARE(text(reply.object()["preferredVersion"]["groupVersion"]), QString("apps/v1"));

        reply = request("GET", "/apis/nope.example.com/v1");
        QCOMPARE(reply.status, 404);
        reply = request("GET", "/api/v1/namespaces/default/frobs");
        QCOMPARE(reply.status, 404);
        QCOMPARE(text(reply.object()["message"]),
                 QString("the server could not find the requested resource"));
        QCOMPARE(text(reply.object()["reason"]), QString("NotFound"));

        reply = request("PUT", "/api/v1/namespaces/default/configmaps", "{}",
                        {"Content-Type: application/json"});
        QCOMPARE(reply.status, 405);
        QCOMPARE(text(reply.object()["reason"]), QString("MethodNotAllowed"));

        reply = request("GET", "/openapi/v2");
        QCOMPARE(reply.status, 200);
        QVERIFY(reply.object()["definitions"].contains("io.k8s.api.core.v1.Pod"));
        reply = request("GET", "/openapi/v3");
        QCOMPARE(reply.status, 200);
        const std::string url = reply.object()["paths"]["apis/apps/v1"]["serverRelativeURL"];
        reply = request("GET", QString::fromStdString(url));
        QCOMPARE(reply.status, 200);
        QVERIFY(reply.object()["paths"].contains(
            "/apis/apps/v1/namespaces/{namespace}/deployments/{name}"));
    }

    void createErrors()
    {
        createNamespace("errs");
        Reply reply = post("/api/v1/namespaces/nope/configmaps", configMap("a"));
        QCOMPARE(reply.status, 404);
        QCOMPARE(text(reply.object()["message"]), QString("namespaces \"nope\" not found"));
        QCOMPARE(text(reply.object()["details"]),
                 QString(R"({"kind":"namespaces","name":"nope"})"));

        json wrongNs = configMap("a");
        wrongNs["metadata"]["namespace"] = "other";
        reply = post("/api/v1/namespaces/errs/configmaps", wrongNs);
        QCOMPARE(reply.status, 400);
        QCOMPARE(text(reply.object()["message"]),
                 QString("the namespace of the provided object does not match the namespace "
                         "sent on the request"));

        // Protobuf bodies are decoded; a truncated one is a bad request, not a server error.
        reply = request("POST", "/api/v1/namespaces/errs/configmaps", "k8s\0",
                        {"Content-Type: application/vnd.kubernetes.protobuf"});
        QCOMPARE(reply.status, 400);
        QCOMPARE(text(reply.object()["reason"]), QString("BadRequest"));
        reply = request("POST", "/api/v1/namespaces/errs/configmaps", "{}",
                        {"Content-Type: application/x-yaml"});
        QCOMPARE(reply.status, 415);

        reply = request("POST", "/api/v1/namespaces/errs/configmaps", "{not json",
                        {"Content-Type: application/json"});
        QCOMPARE(reply.status, 400);

        reply = post("/api/v1/namespaces/errs/configmaps", configMap("a"));
        QCOMPARE(reply.status, 201);
        reply = post("/api/v1/namespaces/errs/configmaps", configMap("a"));
        QCOMPARE(reply.status, 409);
        QCOMPARE(text(reply.object()["message"]), QString("configmaps \"a\" already exists"));
        QCOMPARE(text(reply.object()["reason"]), QString("AlreadyExists"));

        json unknown = configMap("strict");
        unknown["metadata"]["foo"] = "bar";
        reply = post("/api/v1/namespaces/errs/configmaps?fieldValidation=Strict", unknown);
        QCOMPARE(reply.status, 400);
        QCOMPARE(text(reply.object()["message"]),
                 QString("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: "
                         "strict decoding error: unknown field \"metadata.foo\""));
        reply = post("/api/v1/namespaces/errs/configmaps?fieldValidation=Warn", unknown);
        QCOMPARE(reply.status, 201);
        QVERIFY2(reply.headers.contains("Warning: 299 - \"unknown field \\\"metadata.foo\\\"\""),
                 reply.headers.constData());

        reply = post("/api/v1/namespaces/errs/configmaps?dryRun=All", configMap("dry"));
        QCOMPARE(reply.status, 201);
        QCOMPARE(text(reply.object()["metadata"]["name"]), QString("dry"));
        QCOMPARE(request("GET", "/api/v1/namespaces/errs/configmaps/dry").status, 404);

        json generated = configMap("");
        generated["metadata"].erase("name");
        generated["metadata"]["generateName"] = "gen-";
        reply = post("/api/v1/namespaces/errs/configmaps", generated);
        QCOMPARE(reply.status, 201);
        QVERIFY(QRegularExpression("^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$")
                    .match(text(reply.object()["metadata"]["name"]))
                    .hasMatch());
    }

    void updateConflictAndStatus()
    {
        createNamespace("upd");
        json deployment = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
            "metadata":{"name":"d"},"spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},
            "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}},
            "status":{"replicas":5}})");
        Reply reply = post("/apis/apps/v1/namespaces/upd/deployments", deployment);
        QCOMPARE(reply.status, 201);
        json created = reply.object();
        QCOMPARE(created["metadata"]["generation"].get<int>(), 1);
        QVERIFY(!created.contains("status")); // reset on create
        const std::string rv = created["metadata"]["resourceVersion"];

        // PUT on the main resource ignores status and counts the spec change.
        json update = created;
        update["spec"]["replicas"] = 2;
        update["status"] = {{"replicas", 9}};
        reply
            = request("PUT", "/apis/apps/v1/namespaces/upd/deployments/d",
                      QByteArray::fromStdString(update.dump()), {"Content-Type: application/json"});
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.object()["metadata"]["generation"].get<int>(), 2);
        QVERIFY(!reply.object().contains("status"));

        // The stale resourceVersion now conflicts, with upstream's message.
        reply
            = request("PUT", "/apis/apps/v1/namespaces/upd/deployments/d",
                      QByteArray::fromStdString(update.dump()), {"Content-Type: application/json"});
        QCOMPARE(reply.status, 409);
        QCOMPARE(text(reply.object()["message"]),
                 QString("Operation cannot be fulfilled on deployments.apps \"d\": the object has "
                         "been modified; please apply your changes to the latest version and try "
                         "again"));
        QCOMPARE(text(reply.object()["details"]),
                 QString(R"({"group":"apps","kind":"deployments","name":"d"})"));

        // PUT /status changes only status; no generation bump.
        json status = update;
        status["metadata"].erase("resourceVersion");
        status["spec"]["replicas"] = 7;
        status["status"] = {{"replicas", 2}};
        reply
            = request("PUT", "/apis/apps/v1/namespaces/upd/deployments/d/status",
                      QByteArray::fromStdString(status.dump()), {"Content-Type: application/json"});
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.object()["spec"]["replicas"].get<int>(), 2);
        QCOMPARE(reply.object()["status"]["replicas"].get<int>(), 2);
        QCOMPARE(reply.object()["metadata"]["generation"].get<int>(), 2);

        // uid is immutable.
        json changedUid = reply.object();
        changedUid["metadata"]["uid"] = "00000000-0000-4000-8000-000000000000";
        reply = request("PUT", "/apis/apps/v1/namespaces/upd/deployments/d",
                        QByteArray::fromStdString(changedUid.dump()),
                        {"Content-Type: application/json"});
        QCOMPARE(reply.status, 422);

        // A patch that changes nothing writes nothing.
        const std::string before = request("GET", "/apis/apps/v1/namespaces/upd/deployments/d")
                                       .object()["metadata"]["resourceVersion"];
        reply = patch("/apis/apps/v1/namespaces/upd/deployments/d", "merge-patch+json",
                      {{"spec", {{"replicas", 2}}}});
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.object()["metadata"]["resourceVersion"].get<std::string>(), before);
        Q_UNUSED(rv);
    }

    void listPaginationAndTable()
    {
        createNamespace("pages");
        for (const char *name : {"e", "b", "d", "a", "c"})
            QCOMPARE(
                post("/api/v1/namespaces/pages/configmaps", configMap(name, {{"x", "1"}})).status,
                201);
        Reply reply = request("GET", "/api/v1/namespaces/pages/configmaps?limit=2");
        QCOMPARE(reply.status, 200);
        json page = reply.object();
        QCOMPARE(text(page["kind"]), QString("ConfigMapList"));
        QCOMPARE(page["items"].size(), std::size_t(2));
        QCOMPARE(text(page["items"][0]["metadata"]["name"]), QString("a"));
        QCOMPARE(text(page["items"][1]["metadata"]["name"]), QString("b"));
        QCOMPARE(page["metadata"]["remainingItemCount"].get<int>(), 3);
        QStringList names{"a", "b"};
        while (page["metadata"].contains("continue")) {
            reply = request("GET", "/api/v1/namespaces/pages/configmaps?limit=2&continue="
                                       + text(page["metadata"]["continue"]));
            QCOMPARE(reply.status, 200);
            page = reply.object();
            for (const json &item : page["items"])
                names << text(item["metadata"]["name"]);
        }
        QCOMPARE(names, (QStringList{"a", "b", "c", "d", "e"}));

        reply = request("GET", "/api/v1/namespaces/pages/configmaps?continue=garbage");
        QCOMPARE(reply.status, 400);
        reply = request("GET", "/api/v1/namespaces/pages/configmaps?fieldSelector=data.k%3Dv");
        QCOMPARE(reply.status, 400);
        QCOMPARE(text(reply.object()["message"]), QString("field label not supported: data.k"));
        reply = request("GET", "/api/v1/configmaps?fieldSelector=metadata.namespace%3Dpages,"
                               "metadata.name!%3Da");
        QCOMPARE(reply.object()["items"].size(), std::size_t(4));

        const QString tableAccept = "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,"
                                    "application/json";
        reply = request("GET", "/api/v1/namespaces/pages/configmaps", {}, {tableAccept});
        QCOMPARE(reply.status, 200);
        json table = reply.object();
        QCOMPARE(text(table["kind"]), QString("Table"));
        QCOMPARE(text(table["columnDefinitions"][0]["name"]), QString("Name"));
        QCOMPARE(text(table["columnDefinitions"][1]["name"]), QString("Data"));
        QCOMPARE(table["rows"].size(), std::size_t(5));
        QCOMPARE(text(table["rows"][0]["object"]["kind"]), QString("PartialObjectMetadata"));
        reply = request("GET", "/api/v1/namespaces/pages/configmaps?includeObject=None", {},
                        {tableAccept});
        QVERIFY(!reply.object()["rows"][0].contains("object"));
        reply = request("GET", "/api/v1/namespaces/pages/configmaps", {},
                        {"Accept: application/vnd.kubernetes.protobuf"});
        QCOMPARE(reply.status, 406);
    }

    void watchFollowsSelectors()
    {
        createNamespace("watch");
        const std::string rv = request("GET", "/api/v1/namespaces/watch/configmaps")
                                   .object()["metadata"]["resourceVersion"];
        Watch watch = startWatch("/api/v1/namespaces/watch/configmaps?watch=true&labelSelector="
                                 "app%3Dweb&timeoutSeconds=3&resourceVersion="
                                 + QString::fromStdString(rv));
        QCOMPARE(
            post("/api/v1/namespaces/watch/configmaps", configMap("w", {{"app", "web"}})).status,
            201);
        QCOMPARE(
            post("/api/v1/namespaces/watch/configmaps", configMap("other", {{"app", "db"}})).status,
            201);
        const QString path = "/api/v1/namespaces/watch/configmaps/w";
        QCOMPARE(
            patch(path, "merge-patch+json", {{"metadata", {{"labels", {{"app", "db"}}}}}}).status,
            200);
        QCOMPARE(
            patch(path, "merge-patch+json", {{"metadata", {{"labels", {{"app", "web"}}}}}}).status,
            200);
        QCOMPARE(patch(path, "merge-patch+json", {{"data", {{"k", "changed"}}}}).status, 200);
        QCOMPARE(request("DELETE", path).status, 200);
        const Reply reply = watch.finish();
        QCOMPARE(reply.status, 200);
        QStringList types;
        for (const json &event : reply.events()) {
            QCOMPARE(text(event["object"]["metadata"]["name"]), QString("w"));
            types << text(event["type"]);
        }
        // Leaving the selector is a DELETED, coming back an ADDED, as upstream's watch cache.
        QCOMPARE(types, (QStringList{"ADDED", "DELETED", "ADDED", "MODIFIED", "DELETED"}));
    }

    void watchInitialStateAndBookmarks()
    {
        createNamespace("marks");
        QCOMPARE(post("/api/v1/namespaces/marks/configmaps", configMap("one")).status, 201);
        Watch watch = startWatch("/api/v1/namespaces/marks/configmaps?watch=true"
                                 "&allowWatchBookmarks=true&timeoutSeconds=2");
        Reply reply = watch.finish();
        std::vector<json> events = reply.events();
        QVERIFY(events.size() >= 2);
        QCOMPARE(text(events[0]["type"]), QString("ADDED"));
        QCOMPARE(text(events[0]["object"]["metadata"]["name"]), QString("one"));
        QCOMPARE(text(events.back()["type"]), QString("BOOKMARK"));
        QCOMPARE(text(events.back()["object"]["kind"]), QString("ConfigMap"));
        QVERIFY(events.back()["object"]["metadata"].contains("resourceVersion"));

        watch = startWatch("/api/v1/namespaces/marks/configmaps?watch=true&sendInitialEvents=true"
                           "&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan"
                           "&timeoutSeconds=1");
        events = watch.finish().events();
        QVERIFY(events.size() >= 2);
        QCOMPARE(text(events[0]["type"]), QString("ADDED"));
        QCOMPARE(text(events[1]["type"]), QString("BOOKMARK"));
        QCOMPARE(text(events[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"]),
                 QString("true"));

        reply = request("GET", "/api/v1/namespaces/marks/configmaps?watch=true"
                               "&sendInitialEvents=true");
        QCOMPARE(reply.status, 400);
    }

    void watchAndContinueFromTooOldRevision()
    {
        createNamespace("old");
        const std::string rv = request("GET", "/api/v1/namespaces/old/configmaps")
                                   .object()["metadata"]["resourceVersion"];
        QCOMPARE(post("/api/v1/namespaces/old/configmaps", configMap("a")).status, 201);
        QCOMPARE(post("/api/v1/namespaces/old/configmaps", configMap("b")).status, 201);
        const Reply first = request("GET", "/api/v1/namespaces/old/configmaps?limit=1");
        const QString token = text(first.object()["metadata"]["continue"]);
        // More writes than the event ring holds push both revisions out of it.
        for (int i = 0; i < 45; ++i)
            QCOMPARE(patch("/api/v1/namespaces/old/configmaps/a", "merge-patch+json",
                           {{"data", {{"i", std::to_string(i)}}}})
                         .status,
                     200);
        Reply reply = request("GET", "/api/v1/namespaces/old/configmaps?watch=true&resourceVersion="
                                         + QString::fromStdString(rv));
        QCOMPARE(reply.status, 200);
        const auto events = reply.events();
        QCOMPARE(events.size(), std::size_t(1));
        QCOMPARE(text(events[0]["type"]), QString("ERROR"));
        QCOMPARE(events[0]["object"]["code"].get<int>(), 410);
        QCOMPARE(text(events[0]["object"]["reason"]), QString("Expired"));
        QVERIFY(text(events[0]["object"]["message"])
                    .startsWith("too old resource version: " + QString::fromStdString(rv) + " ("));

        reply = request("GET", "/api/v1/namespaces/old/configmaps?limit=1&continue=" + token);
        QCOMPARE(reply.status, 410);
        QCOMPARE(text(reply.object()["reason"]), QString("Expired"));
        QVERIFY(text(reply.object()["message"])
                    .startsWith("The provided continue parameter is too old"));
    }

    void deletionSemantics()
    {
        createNamespace("del");
        // Plain delete: a Success Status naming the object.
        Reply reply = post("/api/v1/namespaces/del/configmaps", configMap("plain"));
        const std::string uid = reply.object()["metadata"]["uid"];
        reply
            = request("DELETE", "/api/v1/namespaces/del/configmaps/plain",
                      R"({"propagationPolicy":"Background"})", {"Content-Type: application/json"});
        QCOMPARE(reply.status, 200);
        QCOMPARE(text(reply.object()["status"]), QString("Success"));
        QCOMPARE(text(reply.object()["details"]["uid"]), QString::fromStdString(uid));

        // Finalizers: only deletionTimestamp, removal once they are gone.
        json finalized = configMap("fin");
        finalized["metadata"]["finalizers"] = {"example.com/hold"};
        QCOMPARE(post("/api/v1/namespaces/del/configmaps", finalized).status, 201);
        reply = request("DELETE", "/api/v1/namespaces/del/configmaps/fin");
        QCOMPARE(reply.status, 200);
        QVERIFY(reply.object()["metadata"].contains("deletionTimestamp"));
        QCOMPARE(request("GET", "/api/v1/namespaces/del/configmaps/fin").status, 200);
        reply = patch("/api/v1/namespaces/del/configmaps/fin", "merge-patch+json",
                      {{"metadata", {{"finalizers", {"example.com/hold", "example.com/new"}}}}});
        QCOMPARE(reply.status, 422);
        reply = patch("/api/v1/namespaces/del/configmaps/fin", "merge-patch+json",
                      {{"metadata", {{"finalizers", nullptr}}}});
        QCOMPARE(reply.status, 200);
        QCOMPARE(request("GET", "/api/v1/namespaces/del/configmaps/fin").status, 404);

        // Preconditions.
        QCOMPARE(post("/api/v1/namespaces/del/configmaps", configMap("pre")).status, 201);
        reply = request("DELETE", "/api/v1/namespaces/del/configmaps/pre",
                        R"({"preconditions":{"uid":"x"}})", {"Content-Type: application/json"});
        QCOMPARE(reply.status, 409);
        QVERIFY(text(reply.object()["message"])
                    .startsWith("Precondition failed: UID in precondition: x"));

        // A scheduled pod terminates gracefully; force deletion removes it.
        json pod = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
            "spec":{"nodeName":"node1","containers":[{"name":"c","image":"i"}]}})");
        QCOMPARE(post("/api/v1/namespaces/del/pods", pod).status, 201);
        reply = request("DELETE", "/api/v1/namespaces/del/pods/p");
        QCOMPARE(reply.status, 200);
        QCOMPARE(text(reply.object()["kind"]), QString("Pod"));
        QCOMPARE(reply.object()["metadata"]["deletionGracePeriodSeconds"].get<int>(), 30);
        QCOMPARE(request("GET", "/api/v1/namespaces/del/pods/p").status, 200);
        reply = request("DELETE", "/api/v1/namespaces/del/pods/p", R"({"gracePeriodSeconds":0})",
                        {"Content-Type: application/json"});
        QCOMPARE(reply.status, 200);
        QCOMPARE(request("GET", "/api/v1/namespaces/del/pods/p").status, 404);
        // An unscheduled pod goes at once.
        pod["spec"].erase("nodeName");
        QCOMPARE(post("/api/v1/namespaces/del/pods", pod).status, 201);
        QCOMPARE(request("DELETE", "/api/v1/namespaces/del/pods/p").status, 200);
        QCOMPARE(request("GET", "/api/v1/namespaces/del/pods/p").status, 404);

        // deletecollection with a selector.
        for (const char *name : {"k1", "k2"})
            post("/api/v1/namespaces/del/configmaps", configMap(name, {{"kill", "yes"}}));
        post("/api/v1/namespaces/del/configmaps", configMap("keep"));
        reply = request("DELETE", "/api/v1/namespaces/del/configmaps?labelSelector=kill%3Dyes");
        QCOMPARE(reply.status, 200);
        QCOMPARE(text(reply.object()["kind"]), QString("ConfigMapList"));
        QCOMPARE(reply.object()["items"].size(), std::size_t(2));
        QCOMPARE(request("GET", "/api/v1/namespaces/del/configmaps").object()["items"].size(),
                 std::size_t(2)); // keep + pre

        // Namespaces: Terminating, and no new content inside.
        reply = request("DELETE", "/api/v1/namespaces/del");
        QCOMPARE(reply.status, 200);
        QCOMPARE(text(reply.object()["status"]["phase"]), QString("Terminating"));
        reply = post("/api/v1/namespaces/del/configmaps", configMap("late"));
        QCOMPARE(reply.status, 403);
        QCOMPARE(text(reply.object()["message"]),
                 QString("configmaps \"late\" is forbidden: unable to create new content in "
                         "namespace del because it is being terminated"));

        // Once the namespace controller clears spec.finalizers, the next DELETE removes it.
        json ns = request("GET", "/api/v1/namespaces/del").object();
        ns["spec"]["finalizers"] = json::array();
        reply = request("PUT", "/api/v1/namespaces/del/finalize",
                        QByteArray::fromStdString(ns.dump()), {"Content-Type: application/json"});
        QCOMPARE(reply.status, 200);
        QCOMPARE(text(reply.object()["spec"]["finalizers"]), QString("[]"));
        QCOMPARE(text(reply.object()["status"]["phase"]), QString("Terminating"));
        QCOMPARE(request("GET", "/api/v1/namespaces/del").status, 200);
        QCOMPARE(request("DELETE", "/api/v1/namespaces/del").status, 200);
        QCOMPARE(request("GET", "/api/v1/namespaces/del").status, 404);
    }

    void scaleSubresource()
    {
        createNamespace("scl");
        json deployment = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
            "metadata":{"name":"web"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
            "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})");
        Reply reply = post("/apis/apps/v1/namespaces/scl/deployments", deployment);
        QCOMPARE(reply.status, 201);
        const json created = reply.object();

        reply = request("GET", "/apis/apps/v1/namespaces/scl/deployments/web/scale");
        QCOMPARE(reply.status, 200);
        json scale = reply.object();
        QCOMPARE(text(scale["kind"]), QString("Scale"));
        QCOMPARE(text(scale["apiVersion"]), QString("autoscaling/v1"));
        QCOMPARE_JSON(scale["metadata"]["uid"], created["metadata"]["uid"]);
        QCOMPARE_JSON(scale["metadata"]["resourceVersion"], created["metadata"]["resourceVersion"]);
        QCOMPARE(text(scale["spec"]), QString(R"({"replicas":2})"));
        QCOMPARE(text(scale["status"]), QString(R"({"replicas":0,"selector":"app=web"})"));

        // PATCH applies to the Scale and lands in the parent's spec, counting a generation.
        reply = patch("/apis/apps/v1/namespaces/scl/deployments/web/scale", "merge-patch+json",
                      {{"spec", {{"replicas", 5}}}});
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.object()["spec"]["replicas"].get<int>(), 5);
        json parent = request("GET", "/apis/apps/v1/namespaces/scl/deployments/web").object();
        QCOMPARE(parent["spec"]["replicas"].get<int>(), 5);
        QCOMPARE(parent["metadata"]["generation"].get<int>(), 2);

        // PUT with a stale resourceVersion conflicts; with the current one it applies.
        scale["spec"]["replicas"] = 1;
        reply
            = request("PUT", "/apis/apps/v1/namespaces/scl/deployments/web/scale",
                      QByteArray::fromStdString(scale.dump()), {"Content-Type: application/json"});
        QCOMPARE(reply.status, 409);
        QCOMPARE(text(reply.object()["message"]),
                 QString("Operation cannot be fulfilled on deployments.apps \"web\": the object "
                         "has been modified; please apply your changes to the latest version and "
                         "try again"));
        scale["metadata"]["resourceVersion"] = parent["metadata"]["resourceVersion"];
        reply
            = request("PUT", "/apis/apps/v1/namespaces/scl/deployments/web/scale",
                      QByteArray::fromStdString(scale.dump()), {"Content-Type: application/json"});
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.object()["spec"]["replicas"].get<int>(), 1);

        scale.erase("metadata");
        scale["spec"]["replicas"] = -1;
        reply
            = request("PUT", "/apis/apps/v1/namespaces/scl/deployments/web/scale",
                      QByteArray::fromStdString(scale.dump()), {"Content-Type: application/json"});
        QCOMPARE(reply.status, 422);
        QCOMPARE(text(reply.object()["message"]),
                 QString("Scale.autoscaling \"web\" is invalid: spec.replicas: Invalid value: -1: "
                         "must be greater than or equal to 0"));
        QCOMPARE(request("GET", "/apis/apps/v1/namespaces/scl/deployments/web")
                     .object()["spec"]["replicas"]
                     .get<int>(),
                 1);

        reply = request("GET", "/apis/apps/v1/namespaces/scl/deployments/nope/scale");
        QCOMPARE(reply.status, 404);
        QCOMPARE(text(reply.object()["message"]), QString("deployments.apps \"nope\" not found"));
        // Kinds without a scale subresource do not have one.
        QCOMPARE(request("GET", "/apis/apps/v1/namespaces/scl/daemonsets/x/scale").status, 404);
    }

    void serviceAllocation()
    {
        createNamespace("svc");
        const auto service = [](const std::string &name, const json &spec) {
            json object = {{"apiVersion", "v1"},
                           {"kind", "Service"},
                           {"metadata", {{"name", name}}},
                           {"spec", spec}};
            if (!object["spec"].contains("ports"))
                object["spec"]["ports"] = {{{"port", 80}}};
            return object;
        };
        Reply reply = post("/api/v1/namespaces/svc/services", service("a", json::object()));
        QCOMPARE(reply.status, 201);
        json a = reply.object();
        const QString ip = text(a["spec"]["clusterIP"]);
        QVERIFY2(
            QRegularExpression(R"(^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$)").match(ip).hasMatch(),
            qPrintable(ip));
        QVERIFY(ip != "10.96.0.1");
        QCOMPARE(text(a["spec"]["clusterIPs"]), "[\"" + ip + "\"]");
        QCOMPARE(text(a["spec"]["ports"][0]["targetPort"]), QString("80"));
        QCOMPARE(text(a["spec"]["ipFamilyPolicy"]), QString("SingleStack"));

        // A requested address is honoured when free, refused when taken or out of range.
        reply = post("/api/v1/namespaces/svc/services",
                     service("fixed", {{"clusterIP", "10.96.100.100"}}));
        QCOMPARE(reply.status, 201);
        QCOMPARE(text(reply.object()["spec"]["clusterIPs"]), QString(R"(["10.96.100.100"])"));
        reply = post("/api/v1/namespaces/svc/services",
                     service("again", {{"clusterIP", "10.96.100.100"}}));
        QCOMPARE(reply.status, 422);
        QCOMPARE(text(reply.object()["message"]),
                 QString("Service \"again\" is invalid: spec.clusterIPs: Invalid value: "
                         "[]string{\"10.96.100.100\"}: failed to allocate IP 10.96.100.100: "
                         "provided IP is already allocated"));
        QCOMPARE(text(reply.object()["details"]["causes"][0]["field"]), QString("spec.clusterIPs"));
        reply = post("/api/v1/namespaces/svc/services",
                     service("outside", {{"clusterIP", "192.168.1.1"}}));
        QCOMPARE(reply.status, 422);
        QVERIFY(text(reply.object()["message"])
                    .endsWith("the provided IP (192.168.1.1) is not in the valid range. The range "
                              "of valid IPs is 10.96.0.0/12"));
        reply = post("/api/v1/namespaces/svc/services",
                     service("kube", {{"clusterIP", "10.96.0.1"}}));
        QCOMPARE(reply.status, 422); // the kubernetes Service holds it

        // Headless stays headless.
        reply
            = post("/api/v1/namespaces/svc/services", service("headless", {{"clusterIP", "None"}}));
        QCOMPARE(reply.status, 201);
        QCOMPARE(text(reply.object()["spec"]["clusterIPs"]), QString(R"(["None"])"));

        // The cluster IP is immutable; an update that leaves it out keeps it.
        json changed = a;
        changed["spec"]["clusterIP"] = "10.96.7.7";
        changed["spec"]["clusterIPs"] = {"10.96.7.7"};
        reply = request("PUT", "/api/v1/namespaces/svc/services/a",
                        QByteArray::fromStdString(changed.dump()),
                        {"Content-Type: application/json"});
        QCOMPARE(reply.status, 422);
        QCOMPARE(text(reply.object()["message"]),
                 QString("Service \"a\" is invalid: spec.clusterIPs[0]: Invalid value: "
                         "[]string{\"10.96.7.7\"}: may not change once set"));
        changed["spec"].erase("clusterIP");
        changed["spec"].erase("clusterIPs");
        reply = request("PUT", "/api/v1/namespaces/svc/services/a",
                        QByteArray::fromStdString(changed.dump()),
                        {"Content-Type: application/json"});
        QCOMPARE(reply.status, 200);
        QCOMPARE(text(reply.object()["spec"]["clusterIP"]), ip);

        // Node ports: allocated in range, requested ones honoured once, released on delete.
        reply = post("/api/v1/namespaces/svc/services", service("np", {{"type", "NodePort"}}));
        QCOMPARE(reply.status, 201);
        const int nodePort = reply.object()["spec"]["ports"][0]["nodePort"].get<int>();
        QVERIFY(nodePort >= 30000 && nodePort <= 32767);
        QCOMPARE(text(reply.object()["spec"]["externalTrafficPolicy"]), QString("Cluster"));
        const json fixedPort
            = {{"type", "NodePort"}, {"ports", {{{"port", 80}, {"nodePort", 30080}}}}};
        QCOMPARE(post("/api/v1/namespaces/svc/services", service("np1", fixedPort)).status, 201);
        reply = post("/api/v1/namespaces/svc/services", service("np2", fixedPort));
        QCOMPARE(reply.status, 422);
        QCOMPARE(text(reply.object()["message"]),
                 QString("Service \"np2\" is invalid: spec.ports[0].nodePort: Invalid value: "
                         "30080: provided port is already allocated"));
        reply = post(
            "/api/v1/namespaces/svc/services",
            service("np3", {{"type", "NodePort"}, {"ports", {{{"port", 80}, {"nodePort", 80}}}}}));
        QCOMPARE(reply.status, 422);
        QVERIFY(
            text(reply.object()["message"]).contains("provided port is not in the valid range"));
        QCOMPARE(request("DELETE", "/api/v1/namespaces/svc/services/np1").status, 200);
        QCOMPARE(post("/api/v1/namespaces/svc/services", service("np2", fixedPort)).status, 201);
        QCOMPARE(request("DELETE", "/api/v1/namespaces/svc/services/fixed").status, 200);
        QCOMPARE(post("/api/v1/namespaces/svc/services",
                      service("again", {{"clusterIP", "10.96.100.100"}}))
                     .status,
                 201);
    }

    void validationAndDefaults()
    {
        createNamespace("val");
        json deployment = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
            "metadata":{"name":"web"},"spec":{"selector":{"matchLabels":{"app":"other"}},
            "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}}})");
        Reply reply = post("/apis/apps/v1/namespaces/val/deployments", deployment);
        QCOMPARE(reply.status, 422);
        json status = reply.object();
        QCOMPARE(text(status["reason"]), QString("Invalid"));
        QCOMPARE(text(status["message"]),
                 QString("Deployment.apps \"web\" is invalid: spec.template.metadata.labels: "
                         "Invalid value: map[string]string{\"app\":\"web\"}: `selector` does "
                         "not match template `labels`"));
        QCOMPARE(text(status["details"]["causes"][0]["field"]),
                 QString("spec.template.metadata.labels"));
        QCOMPARE(request("GET", "/apis/apps/v1/namespaces/val/deployments/web").status, 404);

        deployment["spec"]["selector"]["matchLabels"]["app"] = "web";
        reply = post("/apis/apps/v1/namespaces/val/deployments", deployment);
        QCOMPARE(reply.status, 201);
        json created = reply.object();
        QCOMPARE(
            text(created["spec"]["strategy"]),
            QString(
                R"({"rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"},"type":"RollingUpdate"})"));
        QCOMPARE(text(created["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"]),
                 QString("Always"));

        // The selector is immutable.
        reply
            = patch("/apis/apps/v1/namespaces/val/deployments/web", "merge-patch+json",
                    {{"spec",
                      {{"selector", {{"matchLabels", {{"app", "web"}, {"v", "2"}}}}},
                       {"template", {{"metadata", {{"labels", {{"app", "web"}, {"v", "2"}}}}}}}}}});
        QCOMPARE(reply.status, 422);
        QVERIFY2(
            text(reply.object()["message"])
                .endsWith(
                    "spec.selector: Invalid value: "
                    "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"v\":\"2\"}, "
                    "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"),
            qPrintable(text(reply.object()["message"])));

        // A pod without an image; a pod that gets all defaults.
        json pod = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
            "spec":{"containers":[{"name":"c"}]}})");
        reply = post("/api/v1/namespaces/val/pods", pod);
        QCOMPARE(reply.status, 422);
        QCOMPARE(text(reply.object()["message"]),
                 QString("Pod \"p\" is invalid: spec.containers[0].image: Required value"));
        pod["spec"]["containers"][0]["image"] = "nginx:1.25";
        reply = post("/api/v1/namespaces/val/pods", pod);
        QCOMPARE(reply.status, 201);
        const json spec = reply.object()["spec"];
        QCOMPARE(text(spec["serviceAccountName"]), QString("default"));
        QCOMPARE(text(spec["schedulerName"]), QString("default-scheduler"));
        QCOMPARE(text(spec["containers"][0]["imagePullPolicy"]), QString("IfNotPresent"));
        QCOMPARE(text(spec["enableServiceLinks"]), QString("true"));
        QCOMPARE(text(reply.object()["status"]["phase"]), QString("Pending"));

        // A Job gets its generated selector and labels from its own uid.
        json job = json::parse(R"({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},
            "spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}})");
        reply = post("/apis/batch/v1/namespaces/val/jobs", job);
        QCOMPARE(reply.status, 201);
        const json stored = reply.object();
        const std::string uid = stored["metadata"]["uid"];
        QCOMPARE_JSON(
            stored["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
            json(uid));
        QCOMPARE_JSON(stored["spec"]["template"]["metadata"]["labels"]["job-name"], json("j"));
        QCOMPARE_JSON(stored["metadata"]["labels"]["batch.kubernetes.io/job-name"], json("j"));
        QCOMPARE_JSON(stored["spec"]["backoffLimit"], json(6));

        reply = post("/api/v1/namespaces/val/configmaps", {{"apiVersion", "v1"},
                                                           {"kind", "ConfigMap"},
                                                           {"metadata", {{"name", "c"}}},
                                                           {"data", {{"bad key", "v"}}}});
        QCOMPARE(reply.status, 422);
        QCOMPARE(text(reply.object()["details"]["causes"][0]["field"]), QString("data[bad key]"));
    }

    void bindingAndEviction()
    {
        createNamespace("pods");
        json pod = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"b",
            "labels":{"app":"db"}},"spec":{"containers":[{"name":"c","image":"i"}]}})");
        QCOMPARE(post("/api/v1/namespaces/pods/pods", pod).status, 201);
        const json binding
            = {{"apiVersion", "v1"},
               {"kind", "Binding"},
               {"metadata", {{"name", "b"}}},
               {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", "node1"}}}};
        Reply reply = post("/api/v1/namespaces/pods/pods/b/binding", binding);
        QCOMPARE(reply.status, 201);
        QCOMPARE(text(reply.object()["status"]), QString("Success"));
        json stored = request("GET", "/api/v1/namespaces/pods/pods/b").object();
        QCOMPARE(text(stored["spec"]["nodeName"]), QString("node1"));
        QCOMPARE(text(stored["status"]["conditions"][0]["type"]), QString("PodScheduled"));
        reply = post("/api/v1/namespaces/pods/pods/b/binding", binding);
        QCOMPARE(reply.status, 409);
        QCOMPARE(text(reply.object()["message"]),
                 QString("Operation cannot be fulfilled on pods/binding \"b\": pod b is already "
                         "assigned to node \"node1\""));

        // A running pod covered by a budget that allows no disruption stays.
        reply = patch("/api/v1/namespaces/pods/pods/b/status", "merge-patch+json",
                      {{"status", {{"phase", "Running"}}}});
        QCOMPARE(reply.status, 200);
        const json pdb = json::parse(R"({"apiVersion":"policy/v1","kind":"PodDisruptionBudget",
            "metadata":{"name":"db"},"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"db"}}}})");
        QCOMPARE(post("/apis/policy/v1/namespaces/pods/poddisruptionbudgets", pdb).status, 201);
        const json eviction = {{"apiVersion", "policy/v1"},
                               {"kind", "Eviction"},
                               {"metadata", {{"name", "b"}, {"namespace", "pods"}}},
                               {"deleteOptions", {{"gracePeriodSeconds", 0}}}};
        reply = post("/api/v1/namespaces/pods/pods/b/eviction", eviction);
        QCOMPARE(reply.status, 429);
        QCOMPARE(text(reply.object()["reason"]), QString("TooManyRequests"));
        QCOMPARE(text(reply.object()["message"]),
                 QString("Cannot evict pod as it would violate the pod's disruption budget."));
        QCOMPARE(request("GET", "/api/v1/namespaces/pods/pods/b").status, 200);

        // Once the budget allows a disruption, the eviction deletes with its options.
        reply = patch("/apis/policy/v1/namespaces/pods/poddisruptionbudgets/db/status",
                      "merge-patch+json", {{"status", {{"disruptionsAllowed", 1}}}});
        QCOMPARE(reply.status, 200);
        reply = post("/api/v1/namespaces/pods/pods/b/eviction", eviction);
        QCOMPARE(reply.status, 201);
        QCOMPARE(request("GET", "/api/v1/namespaces/pods/pods/b").status, 404);
        QCOMPARE(post("/api/v1/namespaces/pods/pods/b/eviction", eviction).status, 404);
    }

    void accessReviews()
    {
        createNamespace("rev");
        // Asked on someone else's behalf: jane has nothing until a RoleBinding gives her edit.
        const json review = json::parse(R"({"apiVersion":"authorization.k8s.io/v1",
            "kind":"SubjectAccessReview","spec":{"user":"jane","groups":["dev"],
            "resourceAttributes":{"namespace":"rev","verb":"create","group":"apps","resource":"deployments"}}})");
        Reply reply = post("/apis/authorization.k8s.io/v1/subjectaccessreviews", review);
        QCOMPARE(reply.status, 201);
        QCOMPARE(text(reply.object()["status"]), QString("{\"allowed\":false}"));
        const json binding = json::parse(R"({"apiVersion":"rbac.authorization.k8s.io/v1",
            "kind":"RoleBinding","metadata":{"name":"dev-edit"},
            "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},
            "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"Group","name":"dev"}]})");
        reply = post("/apis/rbac.authorization.k8s.io/v1/namespaces/rev/rolebindings", binding);
        QCOMPARE(reply.status, 201);
        reply = post("/apis/authorization.k8s.io/v1/subjectaccessreviews", review);
        QCOMPARE(reply.status, 201);
        QCOMPARE(text(reply.object()["status"]),
                 QString("{\"allowed\":true,\"reason\":\"RBAC: allowed by RoleBinding "
                         "\\\"dev-edit/rev\\\" of ClusterRole \\\"edit\\\" to Group "
                         "\\\"dev\\\"\"}"));
        // Nothing is stored by a review.
        QCOMPARE(request("GET", "/apis/authorization.k8s.io/v1/subjectaccessreviews").status, 405);

        // The admin's own rules include everything.
        reply = post("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                     {{"apiVersion", "authorization.k8s.io/v1"},
                      {"kind", "SelfSubjectRulesReview"},
                      {"spec", {{"namespace", "rev"}}}});
        QCOMPARE(reply.status, 201);
        QCOMPARE(text(reply.object()["status"]["resourceRules"][0]),
                 QString("{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]}"));
        QCOMPARE(text(reply.object()["status"]["incomplete"]), QString("false"));

        reply = post("/apis/authentication.k8s.io/v1/selfsubjectreviews",
                     {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}});
        QCOMPARE(reply.status, 201);
        QCOMPARE(text(reply.object()["status"]["userInfo"]),
                 QString("{\"groups\":[\"system:masters\",\"system:authenticated\"],"
                         "\"username\":\"kubedesk-admin\"}"));
    }
};

QTEST_GUILESS_MAIN(TestRestSemantics)
#include "tst_restsemantics.moc"
