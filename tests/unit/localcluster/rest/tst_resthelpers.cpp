#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/rest/continuetoken.h>
#include <localcluster/apiserver/rest/objectrules.h>
#include <localcluster/apiserver/rest/openapi.h>
#include <localcluster/apiserver/rest/requestinfo.h>

#include <nlohmann/json.hpp>

#include <QTest>

#include <regex>
#include <set>

using kd::core::util::Error;
using nlohmann::json;
namespace api = kd::lc::apiserver;
namespace rules = kd::lc::apiserver::objectrules;

class TestRestHelpers final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestInfo_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("watch");
        // target|group|version|namespace|resource|name|subresource|verb|legacyWatch
        QTest::addColumn<QString>("expected");

        QTest::newRow("core root") << "GET"
                                   << "/api"
                                   << ""
                                   << "CoreRoot||||||||0";
        QTest::newRow("group list") << "GET"
                                    << "/apis"
                                    << ""
                                    << "GroupList||||||||0";
        QTest::newRow("group") << "GET"
                               << "/apis/apps"
                               << ""
                               << "Group|apps|||||||0";
        QTest::newRow("core gv") << "GET"
                                 << "/api/v1"
                                 << ""
                                 << "GroupVersion||v1||||||0";
        QTest::newRow("named gv") << "GET"
                                  << "/apis/apps/v1"
                                  << ""
                                  << "GroupVersion|apps|v1||||||0";
        QTest::newRow("list all pods") << "GET"
                                       << "/api/v1/pods"
                                       << ""
                                       << "Resource||v1||pods|||list|0";
        QTest::newRow("list in namespace") << "GET"
                                           << "/api/v1/namespaces/demo/configmaps"
                                           << ""
                                           << "Resource||v1|demo|configmaps|||list|0";
        QTest::newRow("get deployment") << "GET"
                                        << "/apis/apps/v1/namespaces/demo/deployments/web"
                                        << ""
                                        << "Resource|apps|v1|demo|deployments|web||get|0";
        QTest::newRow("status subresource")
            << "PUT"
            << "/apis/apps/v1/namespaces/demo/deployments/web/status"
            << ""
            << "Resource|apps|v1|demo|deployments|web|status|update|0";
        QTest::newRow("namespace object") << "GET"
                                          << "/api/v1/namespaces/demo"
                                          << ""
                                          << "Resource||v1||namespaces|demo||get|0";
        QTest::newRow("namespace status") << "PUT"
                                          << "/api/v1/namespaces/demo/status"
                                          << ""
                                          << "Resource||v1||namespaces|demo|status|update|0";
        QTest::newRow("namespace finalize") << "PUT"
                                            << "/api/v1/namespaces/demo/finalize"
                                            << ""
                                            << "Resource||v1||namespaces|demo|finalize|update|0";
        QTest::newRow("list namespaces") << "GET"
                                         << "/api/v1/namespaces"
                                         << ""
                                         << "Resource||v1||namespaces|||list|0";
        QTest::newRow("cluster scoped") << "DELETE"
                                        << "/api/v1/nodes/n1"
                                        << ""
                                        << "Resource||v1||nodes|n1||delete|0";
        QTest::newRow("watch param") << "GET"
                                     << "/api/v1/namespaces/d/pods"
                                     << "true"
                                     << "Resource||v1|d|pods|||watch|0";
        QTest::newRow("watch=1") << "GET"
                                 << "/api/v1/pods"
                                 << "1"
                                 << "Resource||v1||pods|||watch|0";
        QTest::newRow("watch=false") << "GET"
                                     << "/api/v1/pods"
                                     << "false"
                                     << "Resource||v1||pods|||list|0";
        QTest::newRow("legacy watch path") << "GET"
                                           << "/api/v1/watch/namespaces/d/pods"
                                           << ""
                                           << "Resource||v1|d|pods|||watch|1";
        QTest::newRow("legacy watch one") << "GET"
                                          << "/api/v1/watch/namespaces/d/pods/p"
                                          << ""
                                          << "Resource||v1|d|pods|p||watch|1";
        QTest::newRow("create") << "POST"
                                << "/api/v1/namespaces/d/pods"
                                << ""
                                << "Resource||v1|d|pods|||create|0";
        QTest::newRow("patch") << "PATCH"
                               << "/api/v1/namespaces/d/pods/p"
                               << ""
                               << "Resource||v1|d|pods|p||patch|0";
        QTest::newRow("deletecollection") << "DELETE"
                                          << "/api/v1/namespaces/d/pods"
                                          << ""
                                          << "Resource||v1|d|pods|||deletecollection|0";
        QTest::newRow("no verb for HEAD") << "HEAD"
                                          << "/api/v1/pods"
                                          << ""
                                          << "Resource||v1||pods||||0";
        QTest::newRow("unknown root") << "GET"
                                      << "/foo/bar"
                                      << ""
                                      << "Unknown||||||||0";
        QTest::newRow("too deep") << "GET"
                                  << "/api/v1/namespaces/d/pods/p/proxy/x/y"
                                  << ""
                                  << "Unknown||v1|d|||||0";
        QTest::newRow("openapi v2") << "GET"
                                    << "/openapi/v2"
                                    << ""
                                    << "OpenApiV2||||||||0";
        QTest::newRow("openapi v3") << "GET"
                                    << "/openapi/v3"
                                    << ""
                                    << "OpenApiV3||||||||0";
        QTest::newRow("openapi v3 core") << "GET"
                                         << "/openapi/v3/api/v1"
                                         << ""
                                         << "OpenApiV3GroupVersion||v1||||||0";
        QTest::newRow("openapi v3 apps") << "GET"
                                         << "/openapi/v3/apis/apps/v1"
                                         << ""
                                         << "OpenApiV3GroupVersion|apps|v1||||||0";
    }
    void requestInfo()
    {
        QFETCH(QString, method);
        QFETCH(QString, path);
        QFETCH(QString, watch);
        QFETCH(QString, expected);
        const std::string watchValue = watch.toStdString();
        const auto info = api::parseRequestInfo(
            method.toStdString(), path.toStdString(),
            watch.isEmpty() ? std::nullopt : std::optional<std::string_view>(watchValue));
        static const char *targets[] = {"Unknown",   "CoreRoot",     "GroupList",
                                        "Group",     "GroupVersion", "Resource",
                                        "OpenApiV2", "OpenApiV3",    "OpenApiV3GroupVersion"};
        const QString actual = QStringList{targets[static_cast<int>(info.target)],
                                           QString::fromStdString(info.group),
                                           QString::fromStdString(info.version),
                                           QString::fromStdString(info.ns),
                                           QString::fromStdString(info.resource),
                                           QString::fromStdString(info.name),
                                           QString::fromStdString(info.subresource),
                                           QString::fromStdString(info.verb),
                                           info.legacyWatchPath ? "1" : "0"}
                                   .join('|');
        QCOMPARE(actual, expected);
    }

    void continueTokenRoundTrip_data()
    {
        QTest::addColumn<qint64>("revision");
        QTest::addColumn<QString>("ns");
        QTest::addColumn<QString>("name");
        QTest::newRow("namespaced") << qint64(42) << "demo"
                                    << "cm-1";
        QTest::newRow("cluster scoped") << qint64(7) << ""
                                        << "node1";
        QTest::newRow("big revision") << qint64(9007199254740993LL) << "a"
                                      << "b.c";
    }
    void continueTokenRoundTrip()
    {
        QFETCH(qint64, revision);
        QFETCH(QString, ns);
        QFETCH(QString, name);
        const api::ContinueToken token{revision, {ns.toStdString(), name.toStdString()}};
        const std::string encoded = token.encode();
        // Opaque to clients but URL-safe: no padding, '+' or '/'.
        QVERIFY(encoded.find_first_of("+/=") == std::string::npos);
        const auto decoded = api::ContinueToken::decode(encoded);
        QVERIFY(decoded.ok());
        QCOMPARE(decoded->revision, revision);
        QCOMPARE(QString::fromStdString(decoded->after.ns), ns);
        QCOMPARE(QString::fromStdString(decoded->after.name), name);
    }

    void continueTokenRejectsGarbage_data()
    {
        QTest::addColumn<QString>("token");
        QTest::newRow("not base64") << "!!!";
        QTest::newRow("base64 of text") << "aGVsbG8";                               // "hello"
        QTest::newRow("wrong version") << "eyJ2IjoieCIsInJ2IjoxLCJzdGFydCI6ImEifQ"; // v "x"
        QTest::newRow("no start") << "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MX0";     // no start
        QTest::newRow("zero rv")
            << "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MCwic3RhcnQiOiJhIn0"; // rv 0
    }
    void continueTokenRejectsGarbage()
    {
        QFETCH(QString, token);
        const auto decoded = api::ContinueToken::decode(token.toStdString());
        QVERIFY(!decoded.ok());
        QCOMPARE(decoded.error().code(), Error::Code::BadRequest);
        QVERIFY(decoded.error().message().starts_with("continue key is not valid: "));
    }

    void nameValidation_data()
    {
        QTest::addColumn<QString>("resource");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("message"); // empty when valid

        const QString subdomain
            = "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a "
              "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
              "'-' or '.', and must start and end with an alphanumeric character (e.g. "
              "'example.com', regex used for validation is "
              "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
        QTest::newRow("configmap ok") << "configmaps"
                                      << "my.config-1"
                                      << "";
        QTest::newRow("configmap upstream 422 text") << "configmaps"
                                                     << "Bad_Name" << subdomain;
        QTest::newRow("dot dot") << "configmaps"
                                 << ".."
                                 << "ConfigMap \"..\" is invalid: [metadata.name: Invalid value: "
                                    "\"..\": may not be '..']";
        QTest::newRow("namespace no dots") << "namespaces"
                                           << "a.b"
                                           << "Namespace \"a.b\" is invalid: metadata.name: "
                                              "Invalid value: \"a.b\": a lowercase RFC 1123 "
                                              "label must consist of lower case alphanumeric "
                                              "characters or '-', and must start and end with an "
                                              "alphanumeric character (e.g. 'my-name',  or "
                                              "'123-abc', regex used for validation is "
                                              "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
        QTest::newRow("service must start with a letter")
            << "services"
            << "1abc"
            << "Service \"1abc\" is invalid: metadata.name: Invalid value: \"1abc\": a DNS-1035 "
               "label must consist of lower case alphanumeric characters or '-', start with an "
               "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  "
               "or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
        QTest::newRow("service ok") << "services"
                                    << "web-1"
                                    << "";
    }
    void nameValidation()
    {
        QFETCH(QString, resource);
        QFETCH(QString, name);
        QFETCH(QString, message);
        api::ResourceCatalog catalog;
        const auto info = catalog.find("", "v1", resource.toStdString());
        QVERIFY(info.has_value());
        const auto error = rules::validateName(*info, name.toStdString());
        if (message.isEmpty()) {
            QVERIFY(!error.has_value());
            return;
        }
        QVERIFY(error.has_value());
        QCOMPARE(error->httpStatus(), 422);
        QCOMPARE(QString::fromStdString(error->reason()), QString("Invalid"));
        QCOMPARE(QString::fromStdString(error->message()).replace("[", "").replace("]", ""),
                 QString(message).replace("[", "").replace("]", ""));
        QVERIFY(!error->causes().empty());
        QCOMPARE(QString::fromStdString(error->causes()[0].field), QString("metadata.name"));
    }

    void longNames()
    {
        api::ResourceCatalog catalog;
        const auto ns = catalog.find("", "v1", "namespaces");
        QVERIFY(ns.has_value());
        const auto error = rules::validateName(*ns, std::string(64, 'a'));
        QVERIFY(error.has_value());
        QVERIFY(error->message().find("must be no more than 63 characters") != std::string::npos);
        const auto cm = catalog.find("", "v1", "configmaps");
        QVERIFY(!rules::validateName(*cm, std::string(253, 'a')).has_value());
        QVERIFY(rules::validateName(*cm, std::string(254, 'a')).has_value());
    }

    void generateName()
    {
        const std::regex shape("web-[bcdfghjklmnpqrstvwxz2456789]{5}");
        std::set<std::string> seen;
        for (int i = 0; i < 50; ++i) {
            const std::string name = rules::generateName("web-");
            QVERIFY2(std::regex_match(name, shape), name.c_str());
            seen.insert(name);
        }
        QVERIFY(seen.size() > 40); // random, not a counter or a constant
        const std::string longName = rules::generateName(std::string(80, 'x'));
        QCOMPARE(longName.size(), std::size_t(63));
        QCOMPARE(longName.substr(0, 58), std::string(58, 'x'));
    }

    void uid()
    {
        const std::regex v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        const std::string a = rules::newUid();
        QVERIFY2(std::regex_match(a, v4), a.c_str());
        QVERIFY(a != rules::newUid());
    }

    void fieldSets()
    {
        api::ResourceCatalog catalog;
        const auto pods = catalog.find("", "v1", "pods");
        const json pod = json::parse(R"({"metadata":{"name":"p","namespace":"d"},
            "spec":{"nodeName":"n1","restartPolicy":"Always"},
            "status":{"phase":"Running","podIPs":[{"ip":"10.0.0.1"}]}})");
        const auto fields = rules::fieldSet(*pods, pod);
        QCOMPARE(fields.at("metadata.name"), std::string("p"));
        QCOMPARE(fields.at("metadata.namespace"), std::string("d"));
        QCOMPARE(fields.at("spec.nodeName"), std::string("n1"));
        QCOMPARE(fields.at("status.phase"), std::string("Running"));
        QCOMPARE(fields.at("status.podIPs"), std::string("10.0.0.1"));
        QCOMPARE(fields.at("spec.hostNetwork"), std::string("false"));
        QCOMPARE(fields.at("spec.schedulerName"), std::string(""));

        const auto cms = catalog.find("", "v1", "configmaps");
        const auto labels = rules::fieldLabels(*cms);
        QCOMPARE(labels, (std::vector<std::string>{"metadata.name", "metadata.namespace"}));
        const auto secrets = catalog.find("", "v1", "secrets");
        QCOMPARE(rules::fieldSet(*secrets, json::parse(R"({"type":"Opaque"})")).at("type"),
                 std::string("Opaque"));
        const auto events = catalog.find("", "v1", "events");
        const auto eventFields
            = rules::fieldSet(*events, json::parse(R"({"involvedObject":{"kind":"Pod","name":"p"},
                "source":{"component":"kubelet"},"type":"Normal"})"));
        QCOMPARE(eventFields.at("involvedObject.kind"), std::string("Pod"));
        QCOMPARE(eventFields.at("source"), std::string("kubelet"));
    }

    void openApiV2IsTheMinimalDocument()
    {
        const std::string doc = api::openapi::v2Document("v1.27.0");
        const std::string expected = std::string("\x0a\x03"
                                                 "2.0"
                                                 "\x12\x15\x0a\x0a"
                                                 "Kubernetes"
                                                 "\x12\x07"
                                                 "v1.27.0");
        QCOMPARE(doc.size(), std::size_t(28));
        QCOMPARE(QByteArray::fromStdString(doc), QByteArray::fromStdString(expected));
    }

    void openApiV3DeclaresFieldValidation()
    {
        api::ResourceCatalog catalog;
        const json index = api::openapi::v3Index(catalog, "v1.33.1");
        QVERIFY(index["paths"].contains("api/v1"));
        QVERIFY(index["paths"].contains("apis/apps/v1"));
        const std::string url = index["paths"]["apis/apps/v1"]["serverRelativeURL"];
        QVERIFY(url.starts_with("/openapi/v3/apis/apps/v1?hash="));

        const auto apps = api::openapi::v3GroupVersion(catalog, "apps", "v1", "v1.33.1");
        QVERIFY(apps.ok());
        const json &op
            = (*apps)["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        QCOMPARE(QString::fromStdString(op["x-kubernetes-group-version-kind"].dump()),
                 QString(R"({"group":"apps","kind":"Deployment","version":"v1"})"));
        QCOMPARE(QString::fromStdString(op["parameters"][0]["name"].get<std::string>()),
                 QString("fieldValidation"));
        const auto core = api::openapi::v3GroupVersion(catalog, "", "v1", "v1.33.1");
        QVERIFY((*core)["paths"].contains("/api/v1/namespaces/{name}"));
        const auto missing = api::openapi::v3GroupVersion(catalog, "nope", "v1", "v1.33.1");
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().code(), Error::Code::NotFound);
    }
};

QTEST_GUILESS_MAIN(TestRestHelpers)
#include "tst_resthelpers.moc"
