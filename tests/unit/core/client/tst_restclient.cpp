#include <core/client/jsonstreamsplitter.h>
#include <core/client/restclient.h>

#include "../transport/testserver.h"

#include <nlohmann/json.hpp>

#include <QTest>

#include <condition_variable>
#include <mutex>

using namespace kd::core::client;
using kd::core::api::GroupVersionResource;
using kd::core::transport::ConnectionConfig;
using kd::core::transport::HttpResponse;
using kd::core::util::Error;

namespace {

ResourceRef pods(std::string ns = "default", std::string name = {})
{
    return ResourceRef{
        GroupVersionResource{"", "v1", "pods"}, true, std::move(ns), std::move(name), {}};
}

ResourceRef deployments(std::string ns, std::string name = {})
{
    return ResourceRef{GroupVersionResource{"apps", "v1", "deployments"},
                       true,
                       std::move(ns),
                       std::move(name),
                       {}};
}

std::string header(const kd::core::transport::HttpRequest &request, std::string_view name)
{
    for (const auto &[key, value] : request.headers) {
        if (key == name)
            return value;
    }
    return {};
}

QByteArray chunk(const QByteArray &data)
{
    return QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
}

// Collects a watch's callbacks; the inline executor runs them on the client's I/O thread.
struct WatchRecorder
{
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<WatchEvent> events;
    std::optional<kd::core::util::Result<void>> finished;

    WatchHandler handler()
    {
        return WatchHandler{[this](std::vector<WatchEvent> batch) {
                                std::lock_guard lock(mutex);
                                for (auto &e : batch)
                                    events.push_back(std::move(e));
                                changed.notify_all();
                            },
                            [this](kd::core::util::Result<void> result) {
                                std::lock_guard lock(mutex);
                                finished = std::move(result);
                                changed.notify_all();
                            }};
    }

    bool waitFinished()
    {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(10),
                                [&] { return finished.has_value(); });
    }
};

} // namespace

class TestRestClient final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void paths_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("expected");
        QTest::newRow("core collection")
            << QString::fromStdString(pods().path()) << "/api/v1/namespaces/default/pods";
        QTest::newRow("core all namespaces")
            << QString::fromStdString(pods("").path()) << "/api/v1/pods";
        QTest::newRow("group object") << QString::fromStdString(deployments("web", "front").path())
                                      << "/apis/apps/v1/namespaces/web/deployments/front";
        ResourceRef scale = deployments("web", "front");
        scale.subresource = "scale";
        QTest::newRow("subresource") << QString::fromStdString(scale.path())
                                     << "/apis/apps/v1/namespaces/web/deployments/front/scale";
        ResourceRef node{GroupVersionResource{"", "v1", "nodes"}, false, "ignored", "node-1", {}};
        QTest::newRow("cluster scoped ignores namespace")
            << QString::fromStdString(node.path()) << "/api/v1/nodes/node-1";
        QTest::newRow("name is escaped") << QString::fromStdString(pods("a", "b c/d").path())
                                         << "/api/v1/namespaces/a/pods/b%20c%2Fd";
    }

    void paths()
    {
        QFETCH(QString, path);
        QFETCH(QString, expected);
        QCOMPARE(path, expected);
    }

    void listAndWatchQueries()
    {
        ListOptions options;
        options.labelSelector = "app in (web,db),!canary";
        options.fieldSelector = "spec.nodeName=node-1";
        options.limit = 500;
        options.continueToken = "abc=";
        options.resourceVersion = "0";
        auto list = RestClient::listRequest(pods(), options);
        QCOMPARE(QString::fromStdString(list.path),
                 QStringLiteral("/api/v1/namespaces/default/pods?labelSelector=app%20in%20%28web%2C"
                                "db%29%2C%21canary&fieldSelector=spec.nodeName%3Dnode-1&"
                                "resourceVersion=0&limit=500&continue=abc%3D"));
        QCOMPARE(list.method, std::string("GET"));

        ListOptions watchOptions;
        watchOptions.resourceVersion = "113";
        watchOptions.timeoutSeconds = 320;
        watchOptions.allowWatchBookmarks = true;
        watchOptions.limit = 500; // never sent on a watch
        auto watch = RestClient::watchRequest(pods("default", "web-1"), watchOptions);
        QCOMPARE(QString::fromStdString(watch.path),
                 QStringLiteral("/api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks="
                                "true&fieldSelector=metadata.name%3Dweb-1&resourceVersion=113&"
                                "timeoutSeconds=320"));
    }

    void tableAcceptsTableFirst()
    {
        auto request = RestClient::tableRequest(pods(""), {}, IncludeObject::None);
        QCOMPARE(QString::fromStdString(request.path),
                 QStringLiteral("/api/v1/pods?includeObject=None"));
        QCOMPARE(QString::fromStdString(header(request, "Accept")),
                 QStringLiteral("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;"
                                "as=Table;v=v1beta1;g=meta.k8s.io,application/json"));
    }

    void writes()
    {
        WriteOptions options;
        options.dryRun = true;
        options.fieldManager = "kubedesk";
        options.fieldValidation = "Strict";
        const nlohmann::json object = {{"apiVersion", "v1"}, {"kind", "Pod"}};
        auto create = RestClient::createRequest(pods("default", "ignored"), object, options);
        QCOMPARE(create.method, std::string("POST"));
        QCOMPARE(QString::fromStdString(create.path),
                 QStringLiteral("/api/v1/namespaces/default/pods?dryRun=All&fieldManager=kubedesk&"
                                "fieldValidation=Strict"));
        QVERIFY(nlohmann::json::parse(create.body) == object);
        QCOMPARE(header(create, "Content-Type"), std::string("application/json"));

        WriteOptions apply;
        apply.fieldManager = "kubedesk";
        apply.force = true;
        auto patch = RestClient::patchRequest(deployments("web", "front"), PatchType::Apply,
                                              "kind: Deployment", apply);
        QCOMPARE(patch.method, std::string("PATCH"));
        QCOMPARE(QString::fromStdString(patch.path),
                 QStringLiteral("/apis/apps/v1/namespaces/web/deployments/front?fieldManager="
                                "kubedesk&force=true"));
        QCOMPARE(header(patch, "Content-Type"), std::string("application/apply-patch+yaml"));
        QCOMPARE(
            header(RestClient::patchRequest(pods("a", "b"), PatchType::StrategicMerge, "{}", {}),
                   "Content-Type"),
            std::string("application/strategic-merge-patch+json"));

        DeleteOptions remove;
        remove.propagationPolicy = DeleteOptions::Propagation::Foreground;
        remove.gracePeriodSeconds = 0;
        remove.preconditionUid = "1234";
        auto del = RestClient::deleteRequest(deployments("web", "front"), remove);
        QCOMPARE(del.method, std::string("DELETE"));
        const auto body = nlohmann::json::parse(del.body);
        QVERIFY(body["propagationPolicy"] == nlohmann::json("Foreground"));
        QVERIFY(body["gracePeriodSeconds"] == nlohmann::json(0));
        QVERIFY(body["preconditions"]["uid"] == nlohmann::json("1234"));
    }

    void decodesStatusErrors()
    {
        HttpResponse response;
        response.status = 422;
        const nlohmann::json cause = {{"reason", "FieldValueRequired"},
                                      {"message", "Required value"},
                                      {"field", "spec.selector"}};
        response.body = nlohmann::json{
            {"kind", "Status"},
            {"apiVersion", "v1"},
            {"metadata", nlohmann::json::object()},
            {"status", "Failure"},
            {"message", "Deployment.apps \"x\" is invalid: spec.selector: Required value"},
            {"reason", "Invalid"},
            {"details",
             {{"name", "x"},
              {"group", "apps"},
              {"kind", "Deployment"},
              {"causes", nlohmann::json::array({cause})}}},
            {"code", 422}}.dump();
        auto decoded = RestClient::decode(response);
        QVERIFY(!decoded.ok());
        QCOMPARE(decoded.error().code(), Error::Code::Invalid);
        QCOMPARE(decoded.error().httpStatus(), 422);
        QCOMPARE(decoded.error().causes().size(), size_t(1));
        QCOMPARE(decoded.error().causes()[0].field, std::string("spec.selector"));

        HttpResponse html;
        html.status = 502;
        html.body = "<html>bad gateway</html>";
        auto gateway = RestClient::decode(html);
        QVERIFY(!gateway.ok());
        QCOMPARE(gateway.error().httpStatus(), 502);

        HttpResponse broken;
        broken.status = 200;
        broken.body = "{\"kind\":";
        auto undecodable = RestClient::decode(broken);
        QVERIFY(!undecodable.ok());
        QCOMPARE(undecodable.error().code(), Error::Code::Decode);

        HttpResponse fine;
        fine.status = 200;
        fine.body = R"({"kind":"Pod","metadata":{"name":"a"}})";
        fine.warnings.push_back({299, "-", "deprecated"});
        auto ok = RestClient::decode(fine);
        QVERIFY(ok.ok());
        QVERIFY((*ok->body)["metadata"]["name"] == nlohmann::json("a"));
        QCOMPARE(ok->warnings, std::vector<std::string>{"deprecated"});
    }

    // Whatever the chunk boundaries, the same events come out.
    void splitterIgnoresChunkBoundaries()
    {
        const std::string stream = "{\"type\":\"ADDED\",\"object\":{\"a\":\"}{\\\"x\"}}"
                                   "{\"type\":\"MODIFIED\",\"object\":{\"b\":[1,{\"c\":2}]}}\n"
                                   " {\"type\":\"DELETED\",\"object\":{\"s\":\"\\\\\"}}";
        for (size_t step = 1; step <= stream.size(); ++step) {
            JsonStreamSplitter splitter;
            std::vector<std::string> objects;
            for (size_t i = 0; i < stream.size(); i += step) {
                for (auto &o : splitter.feed(std::string_view(stream).substr(i, step)))
                    objects.push_back(std::move(o));
            }
            QCOMPARE(objects.size(), size_t(3));
            QVERIFY(nlohmann::json::parse(objects[0])["object"]["a"] == nlohmann::json("}{\"x"));
            QVERIFY(nlohmann::json::parse(objects[2])["object"]["s"] == nlohmann::json("\\"));
            QVERIFY(!splitter.failed());
            QCOMPARE(splitter.pendingBytes(), size_t(0));
        }
        JsonStreamSplitter garbage;
        garbage.feed("not json");
        QVERIFY(garbage.failed());
    }

    void watchDeliversEventsAcrossChunks()
    {
        TestServer server([](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
            if (!request.path.contains("watch=true"))
                return false;
            socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n");
            // One event split over two chunks, then two events in one chunk without newlines.
            socket->write(chunk(R"({"type":"ADDED","object":{"kind":"Pod","metadata":{"na)"));
            socket->write(chunk(R"(me":"a","resourceVersion":"5"}}})"));
            socket->write(
                chunk(R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":)"
                      R"({"resourceVersion":"9"}}}{"type":"ERROR","object":{"kind":)"
                      R"("Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
                      R"x("message":"too old resource version: 1 (5)","reason":"Expired",)x"
                      R"("code":410}})"));
            socket->write("0\r\n\r\n");
            return false;
        });
        ConnectionConfig config;
        config.baseUrl = "http://127.0.0.1:" + std::to_string(server.port());
        RestClient client(config, [](std::function<void()> f) { f(); });
        WatchRecorder recorder;
        ListOptions options;
        options.resourceVersion = "1";
        auto handle = client.watch(pods(), options, recorder.handler());
        QVERIFY(recorder.waitFinished());
        QVERIFY(recorder.finished->ok());
        QCOMPARE(recorder.events.size(), size_t(3));
        QCOMPARE(recorder.events[0].type, WatchEvent::Type::Added);
        QVERIFY((*recorder.events[0].object)["metadata"]["name"] == nlohmann::json("a"));
        QCOMPARE(recorder.events[1].type, WatchEvent::Type::Bookmark);
        QCOMPARE(recorder.events[2].type, WatchEvent::Type::Error);
        QCOMPARE(recorder.events[2].error().code(), Error::Code::Gone);
    }

    void watchRefusedWithStatus()
    {
        TestServer server([](const TestRequest &, QTcpSocket *socket, QByteArray &) {
            const QByteArray body = R"({"kind":"Status","apiVersion":"v1","metadata":{},)"
                                    R"("status":"Failure","message":"pods is forbidden",)"
                                    R"("reason":"Forbidden","code":403})";
            socket->write("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                          "Content-Length: "
                          + QByteArray::number(body.size()) + "\r\n\r\n" + body);
            return false;
        });
        ConnectionConfig config;
        config.baseUrl = "http://127.0.0.1:" + std::to_string(server.port());
        RestClient client(config, [](std::function<void()> f) { f(); });
        WatchRecorder recorder;
        auto handle = client.watch(pods(), {}, recorder.handler());
        QVERIFY(recorder.waitFinished());
        QVERIFY(!recorder.finished->ok());
        QCOMPARE(recorder.finished->error().code(), Error::Code::Forbidden);
        QCOMPARE(recorder.finished->error().message(), std::string("pods is forbidden"));
        QVERIFY(recorder.events.empty());
    }

    void garbageStreamFailsOnce()
    {
        TestServer server([](const TestRequest &, QTcpSocket *socket, QByteArray &) {
            socket->write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            socket->write(chunk("<html>proxy error</html>"));
            socket->write("0\r\n\r\n");
            return false;
        });
        ConnectionConfig config;
        config.baseUrl = "http://127.0.0.1:" + std::to_string(server.port());
        RestClient client(config, [](std::function<void()> f) { f(); });
        WatchRecorder recorder;
        auto handle = client.watch(pods(), {}, recorder.handler());
        QVERIFY(recorder.waitFinished());
        QVERIFY(!recorder.finished->ok());
        QCOMPARE(recorder.finished->error().code(), Error::Code::Decode);
    }
};

QTEST_GUILESS_MAIN(TestRestClient)
#include "tst_restclient.moc"
