#include <localcluster/apiserver/protobuf/wirereader.h>
#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/rest/openapi.h>
#include <localcluster/apiserver/schema/openapischema.h>

#include <nlohmann/json.hpp>

#include <QFile>
#include <QTest>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using nlohmann::json;
namespace api = kd::lc::apiserver;
namespace openapi = kd::lc::apiserver::openapi;
namespace schema = kd::lc::apiserver::schema;
namespace pb = kd::lc::apiserver::protobuf;

namespace {

void collect(const json &value, const std::string &key, std::vector<json> &found)
{
    if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (it.key() == key)
                found.push_back(*it);
            collect(*it, key, found);
        }
    } else if (value.is_array()) {
        for (const json &item : value)
            collect(item, key, found);
    }
}

// The length-delimited fields of one protobuf message with `number`, in wire order; empty when
// the bytes do not parse (which fails the caller's checks).
std::vector<std::string> fieldsOf(std::string_view message, std::uint32_t number)
{
    std::vector<std::string> out;
    pb::WireReader reader(message);
    while (!reader.atEnd()) {
        auto field = reader.next();
        if (!field)
            return {};
        if (field->number == number && field->type == pb::WireType::LengthDelimited)
            out.emplace_back(field->bytes);
    }
    return out;
}

std::string firstField(std::string_view message, std::uint32_t number)
{
    const auto fields = fieldsOf(message, number);
    return fields.empty() ? std::string() : fields.front();
}

// The value of the entry called `name` among gnostic Named* messages (name 1, value 2).
std::optional<std::string> namedValue(const std::vector<std::string> &entries,
                                      const std::string &name)
{
    for (const std::string &entry : entries) {
        if (firstField(entry, 1) == name)
            return firstField(entry, 2);
    }
    return std::nullopt;
}

// A Schema's vendor extension (field 31) as its YAML text.
std::string extensionYaml(const std::string &schemaBytes, const std::string &name)
{
    const auto any = namedValue(fieldsOf(schemaBytes, 31), name);
    return any ? firstField(*any, 2) : std::string();
}

json gvkList(const char *group, const char *kind, const char *version)
{
    return json::array({{{"group", group}, {"kind", kind}, {"version", version}}});
}

json readFixture(const QString &name)
{
    QFile file(QStringLiteral(KD_SOURCE_DIR) + "/tests/unit/localcluster/openapi/data/" + name);
    if (!file.open(QIODevice::ReadOnly))
        return nullptr;
    return json::parse(file.readAll().toStdString(), nullptr, false);
}

// A catalog serving the CronTab CRD of the fixture, with its schema as the CRD registry sets it.
bool addCronTab(api::ResourceCatalog &catalog, const json &crd)
{
    auto versions = api::ResourceInfo::fromCustomResourceDefinition(crd);
    if (!versions)
        return false;
    for (api::ResourceInfo &info : *versions) {
        for (const json &version : crd["spec"]["versions"]) {
            if (version["name"] == info.version)
                info.openApiSchema
                    = std::make_shared<const json>(version["schema"]["openAPIV3Schema"]);
        }
    }
    return catalog.setCustomResource(std::move(*versions)).ok();
}

} // namespace

class TestOpenApiV2 final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // Every reference in the v2 definitions resolves, and nothing 2.0 cannot express is left.
    void definitionsAreSelfContained()
    {
        json definitions = schema::definitionsV2();
        QVERIFY(definitions.size() > 200);
        std::vector<json> refs;
        collect(definitions, "$ref", refs);
        QVERIFY(!refs.empty());
        for (const json &ref : refs) {
            const std::string text = ref.get<std::string>();
            QVERIFY2(text.starts_with("#/definitions/"), text.c_str());
            QVERIFY2(definitions.contains(text.substr(14)), text.c_str());
        }
        for (const char *key : {"oneOf", "anyOf", "allOf", "nullable"}) {
            std::vector<json> found;
            collect(definitions, key, found);
            QVERIFY2(found.empty(), key);
        }
    }

    void definitionsCarryKindsAndPatchMetadata()
    {
        json definitions = schema::definitionsV2();
        json &pod = definitions["io.k8s.api.core.v1.Pod"];
        QVERIFY2(pod["x-kubernetes-group-version-kind"] == gvkList("", "Pod", "v1"),
                 pod.dump().c_str());
        QCOMPARE(pod["properties"]["spec"]["$ref"].get<std::string>(),
                 std::string("#/definitions/io.k8s.api.core.v1.PodSpec"));
        json &containers = definitions["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        QCOMPARE(containers["x-kubernetes-patch-merge-key"].get<std::string>(),
                 std::string("name"));
        QCOMPARE(containers["x-kubernetes-patch-strategy"].get<std::string>(),
                 std::string("merge"));
        QCOMPARE(containers["items"]["$ref"].get<std::string>(),
                 std::string("#/definitions/io.k8s.api.core.v1.Container"));
        QVERIFY(definitions.contains("io.k8s.api.apps.v1.DeploymentList"));
        QVERIFY(definitions.contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
        // Leaves that are oneOf in v3 are strings in 2.0, as upstream publishes them.
        QVERIFY2(definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"]["type"] == "string",
                 definitions["io.k8s.apimachinery.pkg.api.resource.Quantity"].dump().c_str());
        json &intOrString = definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
        QVERIFY2(intOrString["type"] == "string" && intOrString["format"] == "int-or-string",
                 intOrString.dump().c_str());
    }

    void customSchemaNames_data()
    {
        QTest::addColumn<QString>("group");
        QTest::addColumn<QString>("expected");
        QTest::newRow("three labels") << "stable.example.com"
                                      << "com.example.stable.v1.Widget";
        QTest::newRow("one label") << "example"
                                   << "example.v1.Widget";
        QTest::newRow("two labels") << "acme.io"
                                    << "io.acme.v1.Widget";
    }
    void customSchemaNames()
    {
        QFETCH(QString, group);
        QFETCH(QString, expected);
        QCOMPARE(
            QString::fromStdString(schema::customSchemaName({group.toStdString(), "v1", "Widget"})),
            expected);
    }

    void negotiation_data()
    {
        QTest::addColumn<QString>("accept");
        QTest::addColumn<int>("expected"); // 0 JSON, 1 protobuf, -1 not acceptable
        QTest::newRow("none") << "" << 0;
        QTest::newRow("any") << "*/*" << 0;
        QTest::newRow("application any") << "application/*" << 0;
        QTest::newRow("json") << "application/json" << 0;
        QTest::newRow("protobuf kubectl spelling")
            << "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" << 1;
        QTest::newRow("protobuf dotted spelling")
            << "application/com.github.proto-openapi.spec.v2.v1.0+protobuf" << 1;
        QTest::newRow("protobuf preferred by q")
            << "application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
            << 1;
        QTest::newRow("json preferred by q")
            << "application/com.github.proto-openapi.spec.v2@v1.0+protobuf;q=0.1, application/json"
            << 0;
        QTest::newRow("specific before wildcard")
            << "*/*, application/com.github.proto-openapi.spec.v2@v1.0+protobuf" << 1;
        QTest::newRow("html only") << "text/html" << -1;
        QTest::newRow("json refused") << "application/json;q=0" << -1;
    }
    void negotiation()
    {
        QFETCH(QString, accept);
        QFETCH(int, expected);
        const auto format = openapi::negotiateV2(accept.toStdString());
        const int got = !format ? -1 : *format == openapi::V2Format::Json ? 0 : 1;
        QCOMPARE(got, expected);
    }

    // Paths: kubectl's v2 field-validation check looks for a PATCH with the kind's GVK and a
    // fieldValidation query parameter.
    void pathsDeclareFieldValidation()
    {
        api::ResourceCatalog catalog;
        json document = openapi::v2Json(catalog, "v1.33.0");
        QCOMPARE(document["swagger"].get<std::string>(), std::string("2.0"));
        json &item = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
        QVERIFY2(item["patch"]["x-kubernetes-group-version-kind"]
                     == gvkList("apps", "Deployment", "v1")[0],
                 item.dump().c_str());
        bool fieldValidation = false;
        for (json &parameter : item["patch"]["parameters"])
            fieldValidation |= parameter["name"] == "fieldValidation" && parameter["in"] == "query";
        QVERIFY(fieldValidation);
        QCOMPARE(item["get"]["responses"]["200"]["schema"]["$ref"].get<std::string>(),
                 std::string("#/definitions/io.k8s.api.apps.v1.Deployment"));
        json &list = document["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"];
        QCOMPARE(list["get"]["responses"]["200"]["schema"]["$ref"].get<std::string>(),
                 std::string("#/definitions/io.k8s.api.apps.v1.DeploymentList"));
        QVERIFY(document["paths"].contains("/api/v1/nodes/{name}"));
    }

    // The protobuf carries what kubectl decodes: definitions with their GVK and patch metadata
    // as YAML extensions, and the paths' operations.
    void protobufDecodes()
    {
        api::ResourceCatalog catalog;
        json document = openapi::v2Json(catalog, "v1.33.0");
        const std::string bytes = openapi::v2Protobuf(document);
        QCOMPARE(firstField(bytes, 1), std::string("2.0"));
        QCOMPARE(firstField(firstField(bytes, 2), 2), std::string("v1.33.0"));

        const auto definitions = fieldsOf(firstField(bytes, 9), 1);
        QCOMPARE(definitions.size(), document["definitions"].size());
        const auto pod = namedValue(definitions, "io.k8s.api.core.v1.Pod");
        QVERIFY(pod);
        const json gvk
            = json::parse(extensionYaml(*pod, "x-kubernetes-group-version-kind"), nullptr, false);
        QVERIFY2(gvk == gvkList("", "Pod", "v1"), gvk.dump().c_str());
        const auto podSpec = namedValue(definitions, "io.k8s.api.core.v1.PodSpec");
        QVERIFY(podSpec);
        const auto containers = namedValue(fieldsOf(firstField(*podSpec, 25), 1), "containers");
        QVERIFY(containers);
        QCOMPARE(fieldsOf(firstField(*containers, 22), 1), std::vector<std::string>{"array"});
        const std::string mergeKey = extensionYaml(*containers, "x-kubernetes-patch-merge-key");
        QVERIFY2(json::parse(mergeKey, nullptr, false) == "name", mergeKey.c_str());
        const auto items = fieldsOf(firstField(*containers, 23), 1);
        QCOMPARE(items.size(), std::size_t(1));
        QCOMPARE(firstField(items.front(), 1),
                 std::string("#/definitions/io.k8s.api.core.v1.Container"));

        // paths -> NamedPathItem -> PathItem.patch (8) -> parameters (8) -> query parameter name.
        const auto item = namedValue(fieldsOf(firstField(bytes, 8), 2),
                                     "/apis/apps/v1/namespaces/{namespace}/deployments/{name}");
        QVERIFY(item);
        const std::string patch = firstField(*item, 8);
        std::vector<std::string> queryNames;
        for (const std::string &parameter : fieldsOf(patch, 8)) {
            const std::string query = firstField(firstField(firstField(parameter, 1), 2), 3);
            if (!query.empty())
                queryNames.push_back(firstField(query, 4));
        }
        QCOMPARE(queryNames, std::vector<std::string>{"fieldValidation"});
        const auto opGvk = namedValue(fieldsOf(patch, 13), "x-kubernetes-group-version-kind");
        QVERIFY(opGvk);
        QVERIFY2(json::parse(firstField(*opGvk, 2), nullptr, false)["kind"] == "Deployment",
                 firstField(*opGvk, 2).c_str());
    }

    void minimalDocumentIsTheEnvelope()
    {
        const std::string expected = std::string("\x0a\x03"
                                                 "2.0"
                                                 "\x12\x15\x0a\x0a"
                                                 "Kubernetes"
                                                 "\x12\x07"
                                                 "v1.27.0");
        QCOMPARE(QByteArray::fromStdString(openapi::v2Document("v1.27.0")),
                 QByteArray::fromStdString(expected));
    }

    // A served CRD version's schema appears in both documents under upstream's name, completed
    // with apiVersion, kind, metadata and its GVK; the v3 index hash follows schema changes.
    void customResourcesArePublished()
    {
        json crd = readFixture("crontab-crd.json");
        QVERIFY2(crd.is_object(), "fixture crontab-crd.json");
        api::ResourceCatalog catalog;
        const json indexBefore = openapi::v3Index(catalog, "v1.33.0");
        QVERIFY(!indexBefore["paths"].contains("apis/stable.example.com/v1"));
        QVERIFY(addCronTab(catalog, crd));

        const auto v3 = openapi::v3GroupVersion(catalog, "stable.example.com", "v1", "v1.33.0");
        QVERIFY(v3.ok());
        json schemas = (*v3)["components"]["schemas"];
        json cronTab = schemas["com.example.stable.v1.CronTab"];
        QVERIFY2(cronTab["x-kubernetes-group-version-kind"]
                     == gvkList("stable.example.com", "CronTab", "v1"),
                 cronTab.dump().c_str());
        QCOMPARE(cronTab["properties"]["spec"]["properties"]["cronSpec"]["type"].get<std::string>(),
                 std::string("string"));
        QCOMPARE(
            cronTab["properties"]["metadata"]["allOf"][0]["$ref"].get<std::string>(),
            std::string("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
        QVERIFY(schemas.contains("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
        QVERIFY(schemas.contains("com.example.stable.v1.CronTabList"));
        std::vector<json> refs;
        collect(*v3, "$ref", refs);
        for (const json &ref : refs)
            QVERIFY2(schemas.contains(ref.get<std::string>().substr(21)), ref.dump().c_str());

        json v2 = openapi::v2Json(catalog, "v1.33.0");
        json &v2CronTab = v2["definitions"]["com.example.stable.v1.CronTab"];
        QCOMPARE(v2CronTab["properties"]["metadata"]["$ref"].get<std::string>(),
                 std::string("#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
        QVERIFY(v2CronTab.contains("x-kubernetes-group-version-kind"));
        json &crPatch
            = v2["paths"]["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"]
                ["patch"];
        QVERIFY2(crPatch["x-kubernetes-group-version-kind"]["kind"] == "CronTab",
                 crPatch.dump().c_str());

        json indexAfter = openapi::v3Index(catalog, "v1.33.0");
        const json url = indexAfter["paths"]["apis/stable.example.com/v1"]["serverRelativeURL"];
        QVERIFY(url.is_string());
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
           ["color"]
            = {{"type", "string"}};
        QVERIFY(addCronTab(catalog, crd));
        json indexChanged = openapi::v3Index(catalog, "v1.33.0");
        QVERIFY(indexChanged["paths"]["apis/stable.example.com/v1"]["serverRelativeURL"] != url);
        QVERIFY(indexChanged["paths"]["apis/apps/v1"] == indexAfter["paths"]["apis/apps/v1"]);
    }

    // The cache hands out the same documents until the custom resources change.
    void cacheFollowsCustomResources()
    {
        api::ResourceCatalog catalog;
        openapi::V2Cache cache;
        const auto first = cache.documents(catalog, "v1.33.0");
        QVERIFY(!first->json.empty() && !first->protobuf.empty());
        QVERIFY(first->jsonEtag.starts_with('"') && first->jsonEtag != first->protobufEtag);
        QCOMPARE(cache.documents(catalog, "v1.33.0").get(), first.get());
        QVERIFY(json::parse(first->json) == openapi::v2Json(catalog, "v1.33.0"));

        QVERIFY(addCronTab(catalog, readFixture("crontab-crd.json")));
        const auto second = cache.documents(catalog, "v1.33.0");
        QVERIFY(second.get() != first.get());
        QVERIFY(second->jsonEtag != first->jsonEtag);
        QVERIFY(json::parse(second->json)["definitions"].contains("com.example.stable.v1.CronTab"));
        catalog.removeCustomResource("stable.example.com", "crontabs");
        const auto third = cache.documents(catalog, "v1.33.0");
        QVERIFY(!json::parse(third->json)["definitions"].contains("com.example.stable.v1.CronTab"));
    }
};

QTEST_GUILESS_MAIN(TestOpenApiV2)
#include "tst_openapiv2.moc"
