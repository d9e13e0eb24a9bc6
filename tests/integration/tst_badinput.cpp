// Bad request bodies and requests that the API server must refuse with the right 4xx Status and
// without changing anything: malformed JSON, YAML, protobuf and patches, oversized bodies,
// invalid names, wrong namespaces and unknown kinds, over real HTTPS with curl. The cases that
// tst_restsemantics already covers (bad JSON on create, truncated protobuf, x-yaml, namespace
// mismatch, missing namespace, strict field validation) are not repeated here.

#include "testcluster.h"

#include <nlohmann/json.hpp>

#include <QProcess>
#include <QRegularExpression>
#include <QTest>

using nlohmann::json;

namespace {

struct Reply
{
    int status = 0;
    QByteArray headers;
    QByteArray body;
    json object() const { return json::parse(body.toStdString(), nullptr, false); }
};

// Protobuf wire helpers for hand-made bodies (field numbers from k8s.io/api generated.proto).
QByteArray varint(quint64 value)
{
    QByteArray out;
    while (value >= 0x80) {
        out.append(char((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.append(char(value));
    return out;
}

QByteArray bytesField(int number, const QByteArray &payload)
{
    return varint(quint64(number) << 3 | 2) + varint(quint64(payload.size())) + payload;
}

// "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw}.
QByteArray envelope(const QByteArray &kind, const QByteArray &raw)
{
    const QByteArray typeMeta = bytesField(1, "v1") + bytesField(2, kind);
    return QByteArray("k8s\0", 4) + bytesField(1, typeMeta) + bytesField(2, raw);
}

// A ConfigMap message: metadata{name}, data{k: v}.
QByteArray configMapMessage(const QByteArray &name)
{
    return bytesField(1, bytesField(1, name))
           + bytesField(2, bytesField(1, "k") + bytesField(2, "v"));
}

QByteArray dump(const json &value)
{
    return QByteArray::fromStdString(value.dump());
}

} // namespace

class TestBadInput final : public QObject
{
    Q_OBJECT

private:
    TestCluster m_cluster;

    Reply request(const QString &method, const QString &path, const QByteArray &body,
                  const QString &contentType)
    {
        QStringList args{"-sS",      "--http1.1",
                         "--cacert", m_cluster.caFile(),
                         "--cert",   m_cluster.certFile(),
                         "--key",    m_cluster.keyFile(),
                         "-X",       method,
                         "-D",       "-"};
        if (!contentType.isEmpty())
            args << "-H"
                 << "Content-Type: " + contentType;
        if (!body.isEmpty())
            args << "--data-binary"
                 << "@-";
        args << m_cluster.baseUrl() + path;
        QProcess curl;
        curl.start("curl", args);
        curl.write(body);
        curl.closeWriteChannel();
        curl.waitForFinished(60000);
        const QByteArray output = curl.readAllStandardOutput();
        Reply reply;
        // Skip "HTTP/1.1 100 Continue" blocks that curl prints for large uploads.
        int start = 0;
        while (output.mid(start).startsWith("HTTP/1.1 100")) {
            const int next = output.indexOf("\r\n\r\n", start);
            start = next < 0 ? output.size() : next + 4;
        }
        const int split = output.indexOf("\r\n\r\n", start);
        reply.headers = output.mid(start, split < 0 ? -1 : split - start);
        reply.body = split < 0 ? QByteArray() : output.mid(split + 4);
        const auto match
            = QRegularExpression("^HTTP/1.1 (\\d+)").match(QString::fromLatin1(reply.headers));
        reply.status = match.hasMatch() ? match.captured(1).toInt() : -1;
        return reply;
    }

    Reply get(const QString &path) { return request("GET", path, {}, {}); }

    // The global revision as a list reports it, plus the objects the cases aim at: all must be
    // identical before and after a refused request.
    QByteArray snapshot()
    {
        QByteArray out;
        for (const QString &path :
             {QString("/api/v1/namespaces/bad/configmaps"),
              QString("/apis/apps/v1/namespaces/bad/deployments"), QString("/api/v1/namespaces")})
            out += get(path).body;
        return out;
    }

    static json configMap(const std::string &name)
    {
        return {{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata", {{"name", name}}},
                {"data", {{"k", "v"}}}};
    }

private Q_SLOTS:
    void initTestCase()
    {
        TestCluster::Options options;
        // No controllers: their background writes would move the revision that each case
        // checks to prove that a refused request changed nothing.
        options.controllers = false;
        const QString failure = m_cluster.start(options);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        const json ns
            = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "bad"}}}};
        QCOMPARE(request("POST", "/api/v1/namespaces", dump(ns), "application/json").status, 201);
        QCOMPARE(request("POST", "/api/v1/namespaces/bad/configmaps", dump(configMap("keep")),
                         "application/json")
                     .status,
                 201);
        const json deployment
            = {{"apiVersion", "apps/v1"},
               {"kind", "Deployment"},
               {"metadata", {{"name", "web"}}},
               {"spec",
                {{"replicas", 1},
                 {"selector", {{"matchLabels", {{"app", "web"}}}}},
                 {"template",
                  {{"metadata", {{"labels", {{"app", "web"}}}}},
                   {"spec",
                    {{"containers", json::array({json{{"name", "c"}, {"image", "nginx"}}})}}}}}}}};
        QCOMPARE(request("POST", "/apis/apps/v1/namespaces/bad/deployments", dump(deployment),
                         "application/json")
                     .status,
                 201);
    }

    void cleanupTestCase() { m_cluster.stop(); }

    // The hand-made protobuf encoding is right: the same bytes, well-formed, are accepted (as a
    // dry run, so nothing changes here either).
    void protobufControlIsAccepted()
    {
        const QByteArray before = snapshot();
        const Reply reply = request("POST", "/api/v1/namespaces/bad/configmaps?dryRun=All",
                                    envelope("ConfigMap", configMapMessage("pb")),
                                    "application/vnd.kubernetes.protobuf");
        QCOMPARE(reply.status, 201);
        QCOMPARE(QString::fromStdString(reply.object()["data"].dump()), QString(R"({"k":"v"})"));
        QCOMPARE(snapshot(), before);
    }

    // The depth limit leaves room for any real object: 999 levels are still accepted.
    void deepButAllowedBodyIsAccepted()
    {
        const QByteArray before = snapshot();
        const QByteArray body = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
                                "{\"name\":\"deep-ok\"},\"x\":"
                                + QByteArray(997, '[') + QByteArray(997, ']') + "}";
        const Reply reply = request("POST", "/api/v1/namespaces/bad/configmaps?dryRun=All", body,
                                    "application/json");
        QVERIFY2(reply.status == 201, reply.body.left(500).constData());
        QCOMPARE(snapshot(), before);
    }

    void refusedAndNothingChanged_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("contentType");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("reason");
        QTest::addColumn<QString>("message"); // a fragment of the Status message

        const QString cms = "/api/v1/namespaces/bad/configmaps";
        const QString keep = cms + "/keep";
        const QString web = "/apis/apps/v1/namespaces/bad/deployments/web";
        const QString jsonType = "application/json";
        const QString pb = "application/vnd.kubernetes.protobuf";
        const QString merge = "application/merge-patch+json";
        const QString jsonPatch = "application/json-patch+json";
        const QString strategic = "application/strategic-merge-patch+json";

        // Malformed JSON bodies.
        QTest::newRow("json: array instead of object")
            << "POST" << cms << jsonType << QByteArray("[1,2]") << 400 << "BadRequest"
            << "couldn't get version/kind";
        QTest::newRow("json: truncated")
            << "POST" << cms << jsonType << QByteArray("{\"apiVersion\":\"v1\",\"kind\":") << 400
            << "BadRequest"
            << "";
        QTest::newRow("json: metadata not an object")
            << "POST" << cms << jsonType
            << QByteArray("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":[]}") << 400
            << "BadRequest"
            << "metadata";
        QTest::newRow("json: empty body")
            << "POST" << cms << jsonType << QByteArray() << 400 << "BadRequest"
            << "";
        QTest::newRow("json: PUT malformed")
            << "PUT" << keep << jsonType << QByteArray("{\"metadata\":{\"name\":\"keep\"") << 400
            << "BadRequest"
            << "";
        // YAML bodies are not accepted by this server (only JSON and protobuf); malformed or
        // not, they are refused before any decoding.
        QTest::newRow("yaml: malformed")
            << "POST" << cms << "application/yaml" << QByteArray("kind: [ConfigMap\n  : :\n") << 415
            << "UnsupportedMediaType"
            << "application/json";
        QTest::newRow("unknown media type")
            << "POST" << cms << "text/plain" << QByteArray("hello") << 415 << "UnsupportedMediaType"
            << "";

        // Malformed protobuf bodies.
        QTest::newRow("protobuf: wrong magic")
            << "POST" << cms << pb << QByteArray("k9s\0\x0a\x00", 6) << 400 << "BadRequest"
            << "unable to decode protobuf body";
        QTest::newRow("protobuf: length beyond the end")
            << "POST" << cms << pb
            << QByteArray("k8s\0", 4) + varint(1 << 3 | 2) + varint(200) + QByteArray("v1") << 400
            << "BadRequest"
            << "unable to decode protobuf body";
        QTest::newRow("protobuf: truncated object")
            << "POST" << cms << pb
            << envelope("ConfigMap", bytesField(1, varint(1 << 3 | 2) + varint(50) + "abc")) << 400
            << "BadRequest"
            << "unable to decode protobuf body";
        QTest::newRow("protobuf: invalid wire type")
            << "POST" << cms << pb << envelope("ConfigMap", QByteArray("\x0f\x01", 2)) << 400
            << "BadRequest"
            << "unable to decode protobuf body";
        QTest::newRow("protobuf: huge varint length")
            << "POST" << cms << pb
            << QByteArray("k8s\0", 4) + varint(2 << 3 | 2) + QByteArray(10, char(0xff)) << 400
            << "BadRequest"
            << "unable to decode protobuf body";
        QTest::newRow("protobuf: kind of another resource")
            << "POST" << cms << pb << envelope("Secret", configMapMessage("pbs")) << 400
            << "BadRequest"
            << "does not match";

        // Kinds and versions that do not belong to the URL.
        QTest::newRow("body kind of another resource")
            << "POST" << cms << jsonType
            << dump({{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", {{"name", "s"}}}})
            << 400 << "BadRequest"
            << "must be of type ConfigMap";
        QTest::newRow("body apiVersion of another group")
            << "POST" << cms << jsonType
            << dump({{"apiVersion", "apps/v1"},
                     {"kind", "ConfigMap"},
                     {"metadata", {{"name", "s"}}}})
            << 400 << "BadRequest"
            << "does not match the expected API version";
        QTest::newRow("unknown resource") << "POST"
                                          << "/api/v1/namespaces/bad/frobs" << jsonType
                                          << dump(configMap("f")) << 404 << "NotFound"
                                          << "";
        QTest::newRow("unknown group") << "POST"
                                       << "/apis/frob.example.com/v1/namespaces/bad/frobs"
                                       << jsonType << dump(configMap("f")) << 404 << "NotFound"
                                       << "";

        // Invalid names.
        QTest::newRow("name: uppercase and underscore")
            << "POST" << cms << jsonType << dump(configMap("Bad_Name")) << 422 << "Invalid"
            << "lowercase RFC 1123 subdomain";
        QTest::newRow("name: too long")
            << "POST" << cms << jsonType << dump(configMap(std::string(254, 'a'))) << 422
            << "Invalid"
            << "must be no more than 253 characters";
        QTest::newRow("name: dot-dot")
            << "POST" << cms << jsonType << dump(configMap("..")) << 422 << "Invalid"
            << "";
        QTest::newRow("name: slash")
            << "POST" << cms << jsonType << dump(configMap("a/b")) << 422 << "Invalid"
            << "";
        QTest::newRow("name: missing")
            << "POST" << cms << jsonType
            << dump({{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", json::object()}})
            << 422 << "Invalid"
            << "name or generateName is required";
        QTest::newRow("name: PUT body differs from URL")
            << "PUT" << keep << jsonType << dump(configMap("other")) << 400 << "BadRequest"
            << "";

        // Wrong namespaces.
        QTest::newRow("namespace: invalid name in URL")
            << "POST"
            << "/api/v1/namespaces/Bad_NS/configmaps" << jsonType << dump(configMap("x")) << 404
            << "NotFound"
            << "";
        QTest::newRow("namespace: body namespace differs on PUT")
            << "PUT" << keep << jsonType
            << dump({{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"metadata", {{"name", "keep"}, {"namespace", "default"}}}})
            << 400 << "BadRequest"
            << "does not match the namespace";

        // Malformed and inapplicable patches.
        QTest::newRow("merge patch: not JSON")
            << "PATCH" << keep << merge << QByteArray("{data:") << 400 << "BadRequest"
            << "";
        QTest::newRow("json patch: not an array")
            << "PATCH" << keep << jsonPatch << QByteArray("{\"op\":\"add\"}") << 400 << "BadRequest"
            << "";
        QTest::newRow("json patch: unknown op")
            << "PATCH" << keep << jsonPatch
            << QByteArray("[{\"op\":\"frob\",\"path\":\"/data/k\",\"value\":\"x\"}]") << 400
            << "BadRequest"
            << "";
        QTest::newRow("json patch: op without path")
            << "PATCH" << keep << jsonPatch << QByteArray("[{\"op\":\"remove\"}]") << 400
            << "BadRequest"
            << "";
        QTest::newRow("json patch: bad pointer")
            << "PATCH" << keep << jsonPatch
            << QByteArray("[{\"op\":\"add\",\"path\":\"data\",\"value\":1}]") << 400 << "BadRequest"
            << "";
        QTest::newRow("json patch: failed test")
            << "PATCH" << keep << jsonPatch
            << QByteArray("[{\"op\":\"test\",\"path\":\"/data/k\",\"value\":\"nope\"},"
                          "{\"op\":\"replace\",\"path\":\"/data/k\",\"value\":\"x\"}]")
            << 422 << "Invalid"
            << "";
        QTest::newRow("json patch: remove missing path")
            << "PATCH" << keep << jsonPatch
            << QByteArray("[{\"op\":\"remove\",\"path\":\"/data/missing\"}]") << 422 << "Invalid"
            << "";
        QTest::newRow("json patch: index out of range")
            << "PATCH" << web << jsonPatch
            << QByteArray("[{\"op\":\"add\",\"path\":\"/spec/template/spec/containers/5\","
                          "\"value\":{\"name\":\"d\",\"image\":\"i\"}}]")
            << 422 << "Invalid"
            << "";
        QTest::newRow("strategic patch: bad directive")
            << "PATCH" << web << strategic
            << QByteArray("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\","
                          "\"$patch\":\"frob\"}]}}}}")
            << 400 << "BadRequest"
            << "";
        QTest::newRow("strategic patch: not JSON")
            << "PATCH" << web << strategic << QByteArray("[[[") << 400 << "BadRequest"
            << "";
        QTest::newRow("patch: result not an object")
            << "PATCH" << keep << jsonPatch
            << QByteArray("[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]") << 400
            << "BadRequest"
            << "";
        QTest::newRow("patch: renames the object")
            << "PATCH" << keep << merge << QByteArray("{\"metadata\":{\"name\":\"renamed\"}}")
            << 400 << "BadRequest"
            << "does not match the name";
        QTest::newRow("patch: makes the object invalid")
            << "PATCH" << web << merge << QByteArray("{\"spec\":{\"replicas\":-1}}") << 422
            << "Invalid"
            << "spec.replicas";

        // Oversized bodies: beyond kube-apiserver's 3 MiB limit.
        const QByteArray big
            = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
              "\"big\"},\"data\":{\"k\":\""
              + QByteArray(4 * 1024 * 1024, 'x') + "\"}}";
        QTest::newRow("oversized create")
            << "POST" << cms << jsonType << big << 413 << "RequestEntityTooLarge"
            << "limit is";
        QTest::newRow("oversized patch")
            << "PATCH" << keep << merge << big << 413 << "RequestEntityTooLarge"
            << "";

        // Bodies nested deeper than the server's limit (1000): refused before anything
        // recurses over them. Without the limit these crashed the server (stack overflow).
        QTest::newRow("json: nested 100000 deep")
            << "POST" << cms << jsonType
            << QByteArray("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
                          "{\"name\":\"deep\"},\"x\":")
                   + QByteArray(100000, '[') + QByteArray(100000, ']') + "}"
            << 400 << "BadRequest"
            << "nested too deeply";
        QByteArray deepPatch = "{\"spec\":";
        for (int i = 0; i < 20000; ++i)
            deepPatch += "{\"a\":";
        deepPatch += "1" + QByteArray(20001, '}');
        QTest::newRow("strategic patch: nested 20000 deep")
            << "PATCH" << web << strategic << deepPatch << 400 << "BadRequest"
            << "nested too deeply";
        QTest::newRow("merge patch: nested 20000 deep")
            << "PATCH" << keep << merge << deepPatch << 400 << "BadRequest"
            << "nested too deeply";

        // Bad options.
        QTest::newRow("dryRun: unknown value") << "POST" << cms + "?dryRun=Sometimes" << jsonType
                                               << dump(configMap("dry")) << 400 << "BadRequest"
                                               << "";
        QTest::newRow("fieldValidation: unknown value")
            << "POST" << cms + "?fieldValidation=Loud" << jsonType << dump(configMap("fv")) << 400
            << "BadRequest"
            << "supported values";
        QTest::newRow("delete: malformed options")
            << "DELETE" << keep << jsonType << QByteArray("{\"propagationPolicy\":") << 400
            << "BadRequest"
            << "";
        QTest::newRow("delete: unknown propagationPolicy")
            << "DELETE" << keep << jsonType << QByteArray("{\"propagationPolicy\":\"Sideways\"}")
            << 400 << "BadRequest"
            << "";
    }

    void refusedAndNothingChanged()
    {
        QFETCH(QString, method);
        QFETCH(QString, path);
        QFETCH(QString, contentType);
        QFETCH(QByteArray, body);
        QFETCH(int, code);
        QFETCH(QString, reason);
        QFETCH(QString, message);

        const QByteArray before = snapshot();
        QVERIFY(!before.isEmpty());
        const Reply reply = request(method, path, body, contentType);
        const json status = reply.object();
        const QString detail
            = QString::fromLatin1(reply.headers) + "\n" + QString::fromUtf8(reply.body.left(2000));
        QVERIFY2(reply.status == code, qPrintable(detail));
        QVERIFY2(status.is_object() && status.value("kind", "") == "Status"
                     && status.value("status", "") == "Failure" && status.value("code", 0) == code,
                 qPrintable(detail));
        QCOMPARE(QString::fromStdString(status.value("reason", "")), reason);
        const QString text = QString::fromStdString(status.value("message", ""));
        QVERIFY2(!text.isEmpty() && text.contains(message), qPrintable(detail));
        QVERIFY2(snapshot() == before, "the refused request changed the cluster's state");
    }
};

QTEST_GUILESS_MAIN(TestBadInput)
#include "tst_badinput.moc"
