#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/rest/openapi.h>
#include <localcluster/apiserver/rest/strategicmergepatch.h>
#include <localcluster/apiserver/schema/fieldvalidation.h>
#include <localcluster/apiserver/schema/openapischema.h>
#include <localcluster/apiserver/schema/typemodel.h>

#include <nlohmann/json.hpp>

#include <QFile>
#include <QTest>

#include <algorithm>
#include <string>
#include <vector>

using nlohmann::json;
namespace api = kd::lc::apiserver;
namespace schema = kd::lc::apiserver::schema;

namespace {

std::vector<std::string> split(const QString &dotted)
{
    std::vector<std::string> out;
    for (const QString &part : dotted.split('.', Qt::SkipEmptyParts))
        out.push_back(part.toStdString());
    return out;
}

api::GroupVersionKind gvkOf(const QString &text)
{
    const QStringList parts = text.split('/');
    return {parts[0].toStdString(), parts[1].toStdString(), parts[2].toStdString()};
}

void collectRefs(const json &value, std::vector<std::string> &refs)
{
    if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (it.key() == "$ref" && it->is_string())
                refs.push_back(it->get<std::string>());
            else
                collectRefs(*it, refs);
        }
    } else if (value.is_array()) {
        for (const json &item : value)
            collectRefs(item, refs);
    }
}

QString joined(const std::vector<std::string> &items)
{
    QStringList out;
    for (const std::string &item : items)
        out << QString::fromStdString(item);
    return out.join(", ");
}

// Reads a JSON test fixture from the test's data directory (kept out of the moc'd source).
json fixture(const char *name)
{
    QFile file(QStringLiteral(KD_SOURCE_DIR "/tests/unit/localcluster/openapi/data/") + name);
    if (!file.open(QIODevice::ReadOnly))
        return json();
    return json::parse(file.readAll().toStdString(), nullptr, false);
}

} // namespace

class TestOpenApiSchema final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void modelIsConsistent()
    {
        const auto problems = schema::modelProblems();
        QVERIFY2(problems.empty(), qPrintable(joined(problems)));
    }

    // Every built-in kind the catalog serves has a schema carrying its GVK in its group/version's
    // document, and every $ref of every document resolves inside that document.
    void everyServedKindHasSchema()
    {
        api::ResourceCatalog catalog;
        int kinds = 0;
        for (const api::ApiGroupInfo &group : catalog.groups()) {
            for (const std::string &version : group.versions) {
                auto document
                    = api::openapi::v3GroupVersion(catalog, group.name, version, "v1.33.0");
                QVERIFY(document);
                const json &schemas = (*document)["components"]["schemas"];
                std::vector<std::string> refs;
                collectRefs(*document, refs);
                for (const std::string &ref : refs) {
                    const std::string prefix = "#/components/schemas/";
                    QVERIFY2(ref.starts_with(prefix) && schemas.contains(ref.substr(prefix.size())),
                             ref.c_str());
                }
                for (const api::ResourceInfo &resource : catalog.resources(group.name, version)) {
                    if (resource.custom)
                        continue;
                    ++kinds;
                    const std::string name = schema::schemaName(resource.gvk());
                    QVERIFY2(!name.empty(),
                             (resource.groupVersion() + " " + resource.kind).c_str());
                    QVERIFY2(schemas.contains(name), name.c_str());
                    const json expected = {{"group", resource.group},
                                           {"kind", resource.kind},
                                           {"version", resource.version}};
                    const json &gvks = schemas[name]["x-kubernetes-group-version-kind"];
                    QVERIFY2(std::find(gvks.begin(), gvks.end(), expected) != gvks.end(),
                             name.c_str());
                    QVERIFY2(schemas.contains(name + "List"), name.c_str());
                }
            }
        }
        QVERIFY(kinds > 40);
    }

    // The shape kubectl explain and kubectl apply read: allOf-wrapped refs and the list markers.
    void deploymentSchemaShape()
    {
        api::ResourceCatalog catalog;
        auto document = api::openapi::v3GroupVersion(catalog, "apps", "v1", "v1.33.0");
        QVERIFY(document);
        const json &schemas = (*document)["components"]["schemas"];
        const json &spec = schemas["io.k8s.api.apps.v1.Deployment"]["properties"]["spec"];
        QVERIFY2(spec["allOf"][0]["$ref"]
                     == "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec",
                 spec.dump().c_str());
        QVERIFY(schemas["io.k8s.api.apps.v1.DeploymentSpec"]["required"]
                == json::array({"selector", "template"}));
        const json &containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        QVERIFY(containers["type"] == "array");
        QVERIFY(containers["items"]["allOf"][0]["$ref"]
                == "#/components/schemas/io.k8s.api.core.v1.Container");
        QVERIFY(containers["x-kubernetes-patch-strategy"] == "merge");
        QVERIFY(containers["x-kubernetes-patch-merge-key"] == "name");
        QVERIFY(containers["x-kubernetes-list-type"] == "map");
        const json &ports = schemas["io.k8s.api.core.v1.Container"]["properties"]["ports"];
        QVERIFY(ports["x-kubernetes-list-map-keys"] == json::array({"containerPort", "protocol"}));
        QVERIFY(schemas["io.k8s.api.core.v1.ResourceRequirements"]["properties"]["limits"]
                       ["additionalProperties"]["allOf"][0]["$ref"]
                == "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity");
        const json &patch
            = (*document)["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]
                         ["patch"];
        QVERIFY(patch["requestBody"]["content"].contains("application/strategic-merge-patch+json"));
        QVERIFY(patch["parameters"][0]["name"] == "fieldValidation");
    }

    void listStrategies_data()
    {
        QTest::addColumn<QString>("gvk");
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("key");
        const int replace = int(api::ListMergeStrategy::Kind::Replace);
        const int byKey = int(api::ListMergeStrategy::Kind::MergeByKey);
        const int primitive = int(api::ListMergeStrategy::Kind::MergePrimitive);
        QTest::newRow("containers") << "apps/v1/Deployment"
                                    << "spec.template.spec.containers" << byKey << "name";
        QTest::newRow("container ports")
            << "apps/v1/Deployment"
            << "spec.template.spec.containers.ports" << byKey << "containerPort";
        QTest::newRow("env") << "/v1/Pod"
                             << "spec.containers.env" << byKey << "name";
        QTest::newRow("volumeMounts") << "/v1/Pod"
                                      << "spec.initContainers.volumeMounts" << byKey << "mountPath";
        QTest::newRow("volumes") << "batch/v1/CronJob"
                                 << "spec.jobTemplate.spec.template.spec.volumes" << byKey
                                 << "name";
        QTest::newRow("args replaced") << "/v1/Pod"
                                       << "spec.containers.args" << replace << "";
        QTest::newRow("tolerations replaced") << "/v1/Pod"
                                              << "spec.tolerations" << replace << "";
        QTest::newRow("finalizers") << "/v1/ConfigMap"
                                    << "metadata.finalizers" << primitive << "";
        QTest::newRow("ownerReferences") << "/v1/Secret"
                                         << "metadata.ownerReferences" << byKey << "uid";
        QTest::newRow("service ports") << "/v1/Service"
                                       << "spec.ports" << byKey << "port";
        QTest::newRow("node podCIDRs") << "/v1/Node"
                                       << "spec.podCIDRs" << primitive << "";
        QTest::newRow("pod conditions") << "/v1/Pod"
                                        << "status.conditions" << byKey << "type";
        QTest::newRow("sa secrets") << "/v1/ServiceAccount"
                                    << "secrets" << byKey << "name";
        QTest::newRow("ingress rules replaced") << "networking.k8s.io/v1/Ingress"
                                                << "spec.rules" << replace << "";
        QTest::newRow("webhooks")
            << "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration"
            << "webhooks" << byKey << "name";
        QTest::newRow("unknown kind") << "example.com/v1/Widget"
                                      << "spec.containers" << replace << "";
        QTest::newRow("unknown field") << "/v1/Pod"
                                       << "spec.nope" << replace << "";
    }

    void listStrategies()
    {
        QFETCH(QString, gvk);
        QFETCH(QString, path);
        QFETCH(int, kind);
        QFETCH(QString, key);
        const auto strategy = api::listMergeStrategy(gvkOf(gvk), split(path));
        QCOMPARE(int(strategy.kind), kind);
        QCOMPARE(QString::fromStdString(strategy.mergeKey), key);
    }

    // Without a kind, the path alone finds the strategy some built-in kind declares.
    void pathOnlyStrategies()
    {
        auto strategy = api::listMergeStrategy(split("spec.template.spec.containers"));
        QCOMPARE(int(strategy.kind), int(api::ListMergeStrategy::Kind::MergeByKey));
        QCOMPARE(QString::fromStdString(strategy.mergeKey), QString("name"));
        strategy = api::listMergeStrategy(split("spec.ports"));
        QCOMPARE(QString::fromStdString(strategy.mergeKey), QString("port"));
        strategy = api::listMergeStrategy(split("spec.containers.args"));
        QCOMPARE(int(strategy.kind), int(api::ListMergeStrategy::Kind::Replace));
    }

    void unknownFields_data()
    {
        QTest::addColumn<QString>("gvk");
        QTest::addColumn<QString>("fixtureName");
        QTest::addColumn<QString>("expected");
        QTest::newRow("clean deployment") << "apps/v1/Deployment"
                                          << "deployment.json"
                                          << "";
        QTest::newRow("nested container field")
            << "apps/v1/Deployment"
            << "deployment-unknown.json"
            << "metadata.labelz, spec.template.spec.containers[1].foo, "
               "spec.template.spec.containers[1].resources.limitz, spec.wat";
        QTest::newRow("open types not looked into") << "apps/v1/ControllerRevision"
                                                    << "controllerrevision.json"
                                                    << "";
        QTest::newRow("unknown kind") << "example.com/v1/Widget"
                                      << "deployment-unknown.json"
                                      << "";
    }

    void unknownFields()
    {
        QFETCH(QString, gvk);
        QFETCH(QString, fixtureName);
        QFETCH(QString, expected);
        const json object = fixture(fixtureName.toUtf8().constData());
        QVERIFY(object.is_object());
        QCOMPARE(joined(schema::unknownFields(gvkOf(gvk), object)), expected);
    }

    // Patch bodies: directives and deletions are not fields.
    void unknownPatchFields()
    {
        const json patch = fixture("deployment-patch.json");
        QVERIFY(patch.is_object());
        QCOMPARE(joined(schema::unknownPatchFields({"apps", "v1", "Deployment"}, patch)),
                 QString("spec.template.spec.containers[0].bogus"));
    }

    // A strategic merge patch on a Deployment merges containers by name, as the model says.
    void strategicMergeFromModel()
    {
        const json original = fixture("deployment.json");
        json patch = json::parse(
            "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":"
            "\"nginx:2\"}]}}}}");
        auto merged = api::applyStrategicMergePatch(original, patch);
        QVERIFY(merged);
        const json &containers = (*merged)["spec"]["template"]["spec"]["containers"];
        QCOMPARE(containers.size(), std::size_t(2));
        QVERIFY(containers[0]["image"] == "nginx:2");
        QVERIFY(containers[0]["ports"].size() == 1);
        QVERIFY(containers[1]["name"] == "sidecar");
    }
};

QTEST_GUILESS_MAIN(TestOpenApiSchema)
#include "tst_openapischema.moc"
