#include <localcluster/apiserver/protobuf/schema.h>
#include <localcluster/apiserver/protobuf/transcoder.h>

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QTest>

#include <cstdint>
#include <string>
#include <vector>

using kd::core::util::Error;
using nlohmann::json;
namespace pb = kd::lc::apiserver::protobuf;

namespace {

// A minimal protobuf writer for hand-built messages.
std::string varint(std::uint64_t value)
{
    std::string out;
    while (value >= 0x80) {
        out += static_cast<char>((value & 0x7f) | 0x80);
        value >>= 7;
    }
    out += static_cast<char>(value);
    return out;
}
std::string intField(std::uint32_t number, std::int64_t value)
{
    return varint(static_cast<std::uint64_t>(number) << 3)
           + varint(static_cast<std::uint64_t>(value));
}
std::string bytesField(std::uint32_t number, const std::string &bytes)
{
    return varint((static_cast<std::uint64_t>(number) << 3) | 2) + varint(bytes.size()) + bytes;
}
std::string entry(const std::string &key, const std::string &value)
{
    return bytesField(1, key) + bytesField(2, value);
}
std::string envelope(const std::string &apiVersion, const std::string &kind, const std::string &raw)
{
    return std::string("k8s\0", 4) + bytesField(1, bytesField(1, apiVersion) + bytesField(2, kind))
           + bytesField(2, raw) + bytesField(3, "") + bytesField(4, "");
}
// ObjectMeta as gogo-proto writes it for a new object: every non-pointer string present.
std::string objectMeta(const std::string &name, const std::string &ns = {})
{
    return bytesField(1, name) + bytesField(2, "") + bytesField(3, ns) + bytesField(4, "")
           + bytesField(5, "") + bytesField(6, "") + intField(7, 0) + bytesField(8, "");
}

QString dumped(const json &value)
{
    return QString::fromStdString(value.dump());
}

#define COMPARE_JSON(actual, expected) QCOMPARE(dumped(actual), dumped(json(expected)))

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QString vectorDir()
{
    return QStringLiteral(KD_SOURCE_DIR "/../shared/reference/kubectl-1.33-protobuf-requests");
}

// Whether every member the request set is in what the real server stored. Empty objects are
// structs the client always writes (strategy: {}, resources: {}); the server may drop them.
bool isSubset(const json &decoded, const json &stored, const std::string &path, std::string &why)
{
    if (decoded.is_object()) {
        if (decoded.empty() && (stored.is_null() || stored.is_object()))
            return true;
        if (!stored.is_object()) {
            why = path + ": stored is not an object";
            return false;
        }
        for (const auto &[key, value] : decoded.items()) {
            if (!stored.contains(key)) {
                if (value.is_object() && value.empty())
                    continue;
                why = path + "/" + key + ": missing in stored object";
                return false;
            }
            if (!isSubset(value, stored.at(key), path + "/" + key, why))
                return false;
        }
        return true;
    }
    if (decoded.is_array()) {
        if (!stored.is_array() || stored.size() != decoded.size()) {
            why = path + ": arrays differ in size";
            return false;
        }
        for (std::size_t i = 0; i < decoded.size(); ++i) {
            if (!isSubset(decoded[i], stored[i], path + "/" + std::to_string(i), why))
                return false;
        }
        return true;
    }
    if (decoded != stored) {
        why = path + ": " + decoded.dump() + " != " + stored.dump();
        return false;
    }
    return true;
}

json withoutServerFields(json object)
{
    object.erase("status");
    if (object.contains("metadata") && object["metadata"].is_object()) {
        for (const char *field :
             {"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation"})
            object["metadata"].erase(field);
    }
    return object;
}

} // namespace

class TestProtobufTranscoder final : public QObject
{
    Q_OBJECT

private:
    std::vector<json> m_stored;
    QStringList m_bodies;

    const json *storedObject(const json &decoded) const
    {
        const json &meta = decoded.value("metadata", json::object());
        for (const json &object : m_stored) {
            if (object.value("kind", "") == decoded.value("kind", "")
                && object["metadata"].value("name", "") == meta.value("name", "")
                && (!meta.contains("namespace") // kubectl autoscale leaves it to the URL
                    || object["metadata"].value("namespace", "") == meta.value("namespace", "")))
                return &object;
        }
        return nullptr;
    }

    json decodeRecorded(const QString &prefix)
    {
        for (const QString &body : m_bodies) {
            if (body.startsWith(prefix)) {
                const QByteArray bytes = readFile(vectorDir() + "/" + body);
                auto decoded = pb::decodeObject(
                    std::string_view(bytes.constData(), static_cast<std::size_t>(bytes.size())));
                return decoded ? *decoded : json();
            }
        }
        return json();
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QDir dir(vectorDir());
        if (!dir.exists())
            QFAIL("recorded kubectl 1.33 protobuf requests are not available");
        m_bodies = dir.entryList({"*.body"}, QDir::Files, QDir::Name);
        QVERIFY(m_bodies.size() >= 20);
        for (const QString &name : dir.entryList({"stored-*.json"}, QDir::Files)) {
            const json stored = json::parse(readFile(dir.filePath(name)).toStdString());
            if (stored.contains("items")) {
                for (const json &item : stored["items"])
                    m_stored.push_back(item);
            } else {
                m_stored.push_back(stored);
            }
        }
        QVERIFY(!m_stored.empty());
    }

    void schemaTablesAreConsistent()
    {
        const auto missing = pb::unresolvedMessageReferences();
        QVERIFY2(missing.empty(), missing.empty() ? "" : missing.front().c_str());
        QVERIFY(pb::coveredKinds().size() >= 24);
        for (const auto &[apiVersion, kind] : pb::coveredKinds())
            QVERIFY2(pb::findKind(apiVersion, kind), kind.c_str());
    }

    void recordedBodiesMatchStoredObjects_data()
    {
        QTest::addColumn<QString>("body");
        for (const QString &body : m_bodies)
            QTest::newRow(qPrintable(body)) << body;
    }

    void recordedBodiesMatchStoredObjects()
    {
        QFETCH(QString, body);
        const QByteArray bytes = readFile(vectorDir() + "/" + body);
        QVERIFY(!bytes.isEmpty());
        std::vector<std::string> skipped;
        pb::DecodeOptions options;
        options.skippedFields = &skipped;
        auto decoded = pb::decodeObject(
            std::string_view(bytes.constData(), static_cast<std::size_t>(bytes.size())), {}, {},
            options);
        QVERIFY2(decoded.ok(), decoded.ok() ? "" : decoded.error().message().c_str());
        QVERIFY2(skipped.empty(), skipped.empty() ? "" : skipped.front().c_str());
        QVERIFY(decoded->value("apiVersion", "") != "");
        QVERIFY(decoded->value("kind", "") != "");

        // The path the request went to names the same kind of object.
        const json meta
            = json::parse(readFile(vectorDir() + "/" + QString(body).replace(".body", ".meta.json"))
                              .toStdString());
        QCOMPARE(QString::fromStdString(meta.value("content_type", "")),
                 QString::fromUtf8(pb::kMediaType.data(), pb::kMediaType.size()));

        const json *stored = storedObject(*decoded);
        const std::string kind = decoded->value("kind", "");
        if (!stored) {
            // Reviews and token requests are not stored; their content is checked below.
            QVERIFY2(kind == "SelfSubjectAccessReview" || kind == "TokenRequest", kind.c_str());
            return;
        }
        std::string why;
        QVERIFY2(isSubset(withoutServerFields(*decoded), withoutServerFields(*stored), "", why),
                 (why + "\ndecoded: " + decoded->dump()).c_str());
    }

    void recordedBodiesSpotChecks()
    {
        json configMap = decodeRecorded("002-");
        COMPARE_JSON(configMap["data"], json({{"a", "b"}, {"n", "1"}}));
        COMPARE_JSON(configMap["metadata"]["namespace"], json("pbdemo"));
        QVERIFY(!configMap["metadata"].contains("creationTimestamp"));
        QVERIFY(!configMap["metadata"].contains("generateName"));

        json deployment = decodeRecorded("005-");
        COMPARE_JSON(deployment["apiVersion"], json("apps/v1"));
        COMPARE_JSON(deployment["spec"]["replicas"], json(3));
        json &container = deployment["spec"]["template"]["spec"]["containers"][0];
        COMPARE_JSON(container["image"], json("busybox:1.36"));
        COMPARE_JSON(container["command"], json({"sleep", "3600"}));
        COMPARE_JSON(container["ports"][0]["containerPort"], json(8080));
        QVERIFY(!container.contains("stdin"));
        QVERIFY(!container.contains("imagePullPolicy"));

        json service = decodeRecorded("006-");
        COMPARE_JSON(service["spec"]["ports"][1]["targetPort"], json(8443));
        COMPARE_JSON(service["spec"]["type"], json("ClusterIP"));

        json hpa = decodeRecorded("019-");
        COMPARE_JSON(hpa["apiVersion"], json("autoscaling/v2"));
        COMPARE_JSON(hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
                     json(70));
        COMPARE_JSON(hpa["spec"]["maxReplicas"], json(5));

        json review = decodeRecorded("020-");
        COMPARE_JSON(review["kind"], json("SelfSubjectAccessReview"));
        COMPARE_JSON(review["spec"]["resourceAttributes"],
                     json({{"namespace", "pbdemo"}, {"verb", "list"}, {"resource", "pods"}}));

        json token = decodeRecorded("021-");
        COMPARE_JSON(token["kind"], json("TokenRequest"));
        COMPARE_JSON(token["apiVersion"], json("authentication.k8s.io/v1"));
        QVERIFY(token["spec"].is_object());
    }

    void truncatedRecordedBodiesNeverCrash()
    {
        // Every prefix of every recorded body either decodes or fails with a 400; none crashes.
        int failures = 0;
        for (const QString &body : m_bodies) {
            const QByteArray bytes = readFile(vectorDir() + "/" + body);
            for (qsizetype length = 0; length < bytes.size(); ++length) {
                auto decoded = pb::decodeObject(
                    std::string_view(bytes.constData(), static_cast<std::size_t>(length)));
                if (!decoded) {
                    ++failures;
                    QCOMPARE(decoded.error().code(), Error::Code::BadRequest);
                }
            }
        }
        QVERIFY(failures > 0);
    }

    void handBuiltMessages_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("pointer");  // JSON pointer into the decoded object
        QTest::addColumn<QString>("expected"); // JSON, or "<absent>"

        const auto row = [](const char *name, const std::string &body, const char *pointer,
                            const char *expected) {
            QTest::newRow(name) << QByteArray(body.data(), static_cast<qsizetype>(body.size()))
                                << QString(pointer) << QString(expected);
        };
        const std::string deploymentZero = envelope(
            "apps/v1", "Deployment",
            bytesField(1, objectMeta("d")) + bytesField(2, intField(1, 0) + intField(5, 0)));
        row("pointer zero replicas kept", deploymentZero, "/spec/replicas", "0");
        row("non-pointer zero minReadySeconds dropped", deploymentZero, "/spec/minReadySeconds",
            "<absent>");
        row("empty generateName dropped", deploymentZero, "/metadata/generateName", "<absent>");
        row("zero creationTimestamp dropped", deploymentZero, "/metadata/creationTimestamp",
            "<absent>");
        row("name kept", deploymentZero, "/metadata/name", "\"d\"");

        const std::string configMap
            = envelope("v1", "ConfigMap",
                       bytesField(1, objectMeta("c", "ns")) + bytesField(2, entry("empty", ""))
                           + bytesField(2, entry("k", "v")) + bytesField(99, "future field"));
        row("empty map value kept", configMap, "/data/empty", "\"\"");
        row("map value", configMap, "/data/k", "\"v\"");
        row("unknown field skipped", configMap, "/metadata/namespace", "\"ns\"");

        const std::string servicePorts = bytesField(
            2, bytesField(1, bytesField(1, "web") + intField(3, 80)
                                 + bytesField(4, intField(1, 1) + bytesField(3, "http")))
                   + bytesField(1, intField(3, 443)
                                       + bytesField(4, intField(1, 0) + intField(2, 8443))));
        const std::string service
            = envelope("v1", "Service", bytesField(1, objectMeta("s")) + servicePorts);
        row("IntOrString string", service, "/spec/ports/0/targetPort", "\"http\"");
        row("IntOrString int", service, "/spec/ports/1/targetPort", "8443");
        row("port number", service, "/spec/ports/1/port", "443");

        const std::string quota = envelope(
            "v1", "ResourceQuota",
            bytesField(1, objectMeta("q"))
                + bytesField(2, bytesField(1, entry("cpu", bytesField(1, "2")))
                                    + bytesField(1, entry("memory", bytesField(1, "1Gi")))));
        row("Quantity map", quota, "/spec/hard", "{\"cpu\":\"2\",\"memory\":\"1Gi\"}");

        const std::string secret = envelope(
            "v1", "Secret",
            bytesField(1, objectMeta("s")) + bytesField(2, entry("k", std::string("\0\xffv", 3)))
                + bytesField(3, "Opaque"));
        row("Secret bytes as base64", secret, "/data/k", "\"AP92\"");
        row("Secret type", secret, "/type", "\"Opaque\"");

        const std::string timed
            = envelope("v1", "Namespace",
                       bytesField(1, bytesField(1, "n") + bytesField(8, intField(1, 1700000000))));
        row("Time as RFC 3339", timed, "/metadata/creationTimestamp", "\"2023-11-14T22:13:20Z\"");
        row("typeMeta from the envelope", timed, "/kind", "\"Namespace\"");

        const std::string priority
            = envelope("scheduling.k8s.io/v1", "PriorityClass",
                       bytesField(1, objectMeta("p")) + intField(2, 0) + intField(3, 0));
        row("non-omitempty zero value kept", priority, "/value", "0");
        row("false bool dropped", priority, "/globalDefault", "<absent>");

        const std::string negative = envelope("scheduling.k8s.io/v1", "PriorityClass",
                                              bytesField(1, objectMeta("p")) + intField(2, -5));
        row("negative int32", negative, "/value", "-5");

        const std::string groups
            = envelope("v1", "Pod",
                       bytesField(1, objectMeta("p"))
                           + bytesField(2, bytesField(14, bytesField(4, varint(1000) + varint(2000))
                                                              + intField(4, 3000))));
        row("packed and unpacked repeated int64", groups,
            "/spec/securityContext/supplementalGroups", "[1000,2000,3000]");

        const std::string rules = envelope(
            "rbac.authorization.k8s.io/v1", "Role",
            bytesField(1, objectMeta("r"))
                + bytesField(2, bytesField(1, "get") + bytesField(2, "") + bytesField(3, "pods")));
        row("empty string in a list kept", rules, "/rules/0/apiGroups", "[\"\"]");

        const std::string eviction
            = envelope("policy/v1", "Eviction",
                       bytesField(1, objectMeta("p", "ns"))
                           + bytesField(2, intField(1, 0) + bytesField(4, "Foreground")
                                               + bytesField(2, bytesField(1, "abc"))));
        row("Eviction zero grace period kept", eviction, "/deleteOptions/gracePeriodSeconds", "0");
        row("Eviction propagation policy", eviction, "/deleteOptions/propagationPolicy",
            "\"Foreground\"");
        row("Eviction preconditions", eviction, "/deleteOptions/preconditions/uid", "\"abc\"");

        const std::string token = envelope(
            "authentication.k8s.io/v1", "TokenRequest",
            bytesField(1, objectMeta("sa", "ns"))
                + bytesField(2, bytesField(1, "api") + bytesField(1, "vault") + intField(4, 600)));
        row("TokenRequest audiences", token, "/spec/audiences", "[\"api\",\"vault\"]");
        row("TokenRequest expiration", token, "/spec/expirationSeconds", "600");

        const std::string whoami
            = envelope("authentication.k8s.io/v1", "SelfSubjectReview",
                       bytesField(1, objectMeta("")) + bytesField(2, bytesField(1, "")));
        row("SelfSubjectReview keeps its empty status", whoami, "/status/userInfo", "{}");

        const std::string rulesReview
            = envelope("authorization.k8s.io/v1", "SelfSubjectRulesReview",
                       bytesField(1, objectMeta("")) + bytesField(2, bytesField(1, "default")));
        row("SelfSubjectRulesReview namespace", rulesReview, "/spec/namespace", "\"default\"");

        const std::string hpaV1 = envelope(
            "autoscaling/v1", "HorizontalPodAutoscaler",
            bytesField(1, objectMeta("h"))
                + bytesField(2, bytesField(1, bytesField(1, "Deployment") + bytesField(2, "d"))
                                    + intField(2, 1) + intField(3, 4) + intField(4, 80)));
        row("autoscaling/v1 target CPU", hpaV1, "/spec/targetCPUUtilizationPercentage", "80");
        row("autoscaling/v1 scale target", hpaV1, "/spec/scaleTargetRef",
            "{\"kind\":\"Deployment\",\"name\":\"d\"}");

        const std::string envFrom = envelope(
            "v1", "Pod",
            bytesField(1, objectMeta("p"))
                + bytesField(
                    2, bytesField(
                           2, bytesField(1, "c")
                                  + bytesField(
                                      7, bytesField(1, "X")
                                             + bytesField(
                                                 3, bytesField(3, bytesField(1, bytesField(1, "cm"))
                                                                      + bytesField(2, "key")))))));
        row("inline LocalObjectReference", envFrom,
            "/spec/containers/0/env/0/valueFrom/configMapKeyRef",
            "{\"key\":\"key\",\"name\":\"cm\"}");
    }

    void handBuiltMessages()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, pointer);
        QFETCH(QString, expected);
        std::vector<std::string> skipped;
        pb::DecodeOptions options;
        options.skippedFields = &skipped;
        auto decoded = pb::decodeObject(
            std::string_view(body.constData(), static_cast<std::size_t>(body.size())), {}, {},
            options);
        QVERIFY2(decoded.ok(), decoded.ok() ? "" : decoded.error().message().c_str());
        const json::json_pointer at(pointer.toStdString());
        if (expected == "<absent>") {
            QVERIFY2(!decoded->contains(at), decoded->dump().c_str());
        } else {
            QVERIFY2(decoded->contains(at), decoded->dump().c_str());
            COMPARE_JSON(decoded->at(at), json::parse(expected.toStdString()));
        }
        if (QByteArray(QTest::currentDataTag()) == "unknown field skipped")
            QVERIFY(skipped == std::vector<std::string>{"<root>: field 99"});
    }

    void malformedBodiesAreRejected_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        const auto row = [](const char *name, const std::string &body, Error::Code code,
                            const char *message) {
            QTest::newRow(name) << QByteArray(body.data(), static_cast<qsizetype>(body.size()))
                                << static_cast<int>(code) << QString(message);
        };
        const std::string magic("k8s\0", 4);
        row("empty body", "", Error::Code::BadRequest, "magic");
        row("wrong magic", std::string("k9s\0", 4) + bytesField(2, ""), Error::Code::BadRequest,
            "magic");
        row("JSON sent as protobuf", "{\"kind\":\"ConfigMap\"}", Error::Code::BadRequest, "magic");
        row("truncated varint", magic + "\x08\x80", Error::Code::BadRequest, "truncated varint");
        row("length past end", magic + "\x12\x05" + "ab", Error::Code::BadRequest, "past the end");
        row("overlong varint", magic + "\x08" + std::string(10, '\xff') + "\x01",
            Error::Code::BadRequest, "varint");
        row("group wire type", magic + "\x0b", Error::Code::BadRequest, "wire type");
        row("field number zero", magic + "\x02\x00", Error::Code::BadRequest, "field number");
        row("wire type mismatch", envelope("v1", "ConfigMap", bytesField(1, intField(1, 7))),
            Error::Code::BadRequest, "wire type");
        row("nested truncation",
            envelope("v1", "ConfigMap",
                     bytesField(1, "\x0a\x09"
                                   "abc")),
            Error::Code::BadRequest, "metadata");
        row("invalid UTF-8", envelope("v1", "ConfigMap", bytesField(1, bytesField(1, "\xc3\x28"))),
            Error::Code::BadRequest, "UTF-8");
        row("bad IntOrString type",
            envelope("v1", "Service", bytesField(2, bytesField(1, bytesField(4, intField(1, 7))))),
            Error::Code::BadRequest, "IntOrString");
        row("time out of range",
            envelope("v1", "Namespace", bytesField(1, bytesField(8, intField(1, 99999999999)))),
            Error::Code::BadRequest, "time out of range");
        row("content encoding",
            magic + bytesField(1, bytesField(1, "v1") + bytesField(2, "ConfigMap"))
                + bytesField(2, "") + bytesField(3, "gzip"),
            Error::Code::BadRequest, "content encoding");
        row("envelope without typeMeta", magic + bytesField(2, ""), Error::Code::BadRequest,
            "names no apiVersion and kind");
        row("uncovered kind", envelope("example.com/v1", "Widget", ""),
            Error::Code::UnsupportedMediaType, "Widget");
    }

    void malformedBodiesAreRejected()
    {
        QFETCH(QByteArray, body);
        QFETCH(int, code);
        QFETCH(QString, message);
        auto decoded = pb::decodeObject(
            std::string_view(body.constData(), static_cast<std::size_t>(body.size())));
        QVERIFY(!decoded.ok());
        QCOMPARE(static_cast<int>(decoded.error().code()), code);
        QVERIFY2(QString::fromStdString(decoded.error().message()).contains(message),
                 decoded.error().message().c_str());
    }

    void nestingBeyondTheLimitIsRejected()
    {
        const std::string body = envelope(
            "apps/v1", "Deployment",
            bytesField(2, bytesField(3, bytesField(2, bytesField(2, bytesField(1, "c"))))));
        const std::string_view view(body);
        pb::DecodeOptions shallow;
        shallow.maxDepth = 3;
        auto rejected = pb::decodeObject(view, {}, {}, shallow);
        QVERIFY(!rejected.ok());
        QCOMPARE(rejected.error().code(), Error::Code::BadRequest);
        QVERIFY(QString::fromStdString(rejected.error().message()).contains("nested deeper"));

        auto accepted = pb::decodeObject(view);
        QVERIFY(accepted.ok());
        COMPARE_JSON((*accepted)["spec"]["template"]["spec"]["containers"][0]["name"], json("c"));
    }

    void fallbackTypeMetaWhenTheEnvelopeHasNone()
    {
        const std::string body = std::string("k8s\0", 4) + bytesField(1, "")
                                 + bytesField(2, bytesField(1, objectMeta("x")));
        auto decoded = pb::decodeObject(body, "v1", "ServiceAccount");
        QVERIFY(decoded.ok());
        COMPARE_JSON((*decoded)["kind"], json("ServiceAccount"));
        COMPARE_JSON((*decoded)["apiVersion"], json("v1"));
        COMPARE_JSON((*decoded)["metadata"]["name"], json("x"));
    }
};

QTEST_GUILESS_MAIN(TestProtobufTranscoder)
#include "tst_protobuftranscoder.moc"
