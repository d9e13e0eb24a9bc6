// Field validation of the common kinds: the 422 causes kube-apiserver gives for the same input.

#include <localcluster/apiserver/registry/validation.h>
#include <localcluster/apiserver/resourcecatalog.h>

#include <nlohmann/json.hpp>

#include <QTest>

using nlohmann::json;
namespace api = kd::lc::apiserver;
namespace registry = kd::lc::apiserver::registry;

class TestRegistryValidation final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void causes_data()
    {
        QTest::addColumn<QString>("group");
        QTest::addColumn<QString>("resource");
        QTest::addColumn<QString>("object");
        QTest::addColumn<QString>("previous"); // empty: a create
        QTest::addColumn<QString>("expected"); // "field: message" joined by " | "

        QTest::newRow("pod ok") << ""
                                << "pods"
                                << R"({"spec":{"containers":[{"name":"c","image":"i"}]}})"
                                << ""
                                << "";
        QTest::newRow("pod without containers") << ""
                                                << "pods"
                                                << R"({"spec":{}})"
                                                << ""
                                                << "spec.containers: Required value";
        QTest::newRow("container without name and image")
            << ""
            << "pods"
            << R"({"spec":{"containers":[{"name":"a","image":"i"},{}]}})"
            << ""
            << "spec.containers[1].name: Required value | spec.containers[1].image: Required value";
        QTest::newRow("deployment without selector")
            << "apps"
            << "deployments"
            << R"({"spec":{"template":{"metadata":{"labels":{"app":"web","tier":"f"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"
            << ""
            << "spec.selector: Required value | spec.template.metadata.labels: Invalid value: "
               "map[string]string{\"app\":\"web\", \"tier\":\"f\"}: `selector` does not match "
               "template `labels`";
        QTest::newRow("deployment selector mismatch")
            << "apps"
            << "deployments"
            << R"({"spec":{"selector":{"matchLabels":{"app":"x"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"
            << ""
            << "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: "
               "`selector` does not match template `labels`";
        QTest::newRow("deployment expressions match")
            << "apps"
            << "deployments"
            << R"({"spec":{"selector":{"matchExpressions":[{"key":"app","operator":"In","values":["a","web"]},{"key":"x","operator":"DoesNotExist"}]},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"
            << ""
            << "";
        QTest::newRow("deployment selector immutable")
            << "apps"
            << "deployments"
            << R"({"spec":{"selector":{"matchLabels":{"app":"web","v":"2"}},"template":{"metadata":{"labels":{"app":"web","v":"2"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"
            << R"({"spec":{"selector":{"matchLabels":{"app":"web"}}}})"
            << "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"
               "\"app\":\"web\", \"v\":\"2\"}, "
               "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: "
               "field is immutable";
        QTest::newRow("job restartPolicy Always")
            << "batch"
            << "jobs"
            << R"({"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"restartPolicy":"Always","containers":[{"name":"c","image":"i"}]}}}})"
            << ""
            << "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: "
               "\"OnFailure\", \"Never\"";
        QTest::newRow("service without ports") << ""
                                               << "services"
                                               << R"({"spec":{"type":"ClusterIP"}})"
                                               << ""
                                               << "spec.ports: Required value";
        QTest::newRow("headless service without ports") << ""
                                                        << "services"
                                                        << R"({"spec":{"clusterIP":"None"}})"
                                                        << ""
                                                        << "";
        QTest::newRow("external name without ports")
            << ""
            << "services"
            << R"({"spec":{"type":"ExternalName","externalName":"example.com"}})"
            << ""
            << "";
        QTest::newRow("configmap bad key")
            << ""
            << "configmaps"
            << R"({"data":{"ok.key_1-x":"1","bad key":"2"}})"
            << ""
            << "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of "
               "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or "
               "'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
    }
    void causes()
    {
        QFETCH(QString, group);
        QFETCH(QString, resource);
        QFETCH(QString, object);
        QFETCH(QString, previous);
        QFETCH(QString, expected);
        api::ResourceCatalog catalog;
        const auto info = catalog.find(group.toStdString(), "v1", resource.toStdString());
        QVERIFY(info);
        const json before = previous.isEmpty() ? json() : json::parse(previous.toStdString());
        const auto causes = registry::validate(*info, json::parse(object.toStdString()),
                                               previous.isEmpty() ? nullptr : &before);
        QStringList got;
        for (const auto &cause : causes)
            got << QString::fromStdString(cause.field + ": " + cause.message);
        QCOMPARE(got.join(" | "), expected);
    }
};

QTEST_GUILESS_MAIN(TestRegistryValidation)
#include "tst_registryvalidation.moc"
