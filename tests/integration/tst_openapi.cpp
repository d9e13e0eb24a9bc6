// The OpenAPI documents built from the type model, as the real kubectl 1.27, 1.30 and 1.33 use
// them: explain prints the structure, strict and warn field validation report unknown nested
// fields with upstream's wording, and strategic merge patches merge lists by their keys.

#include "kubectlrunner.h"
#include "testcluster.h"

#include <localcluster/apiserver/protobuf/wirereader.h>

#include <nlohmann/json.hpp>

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <optional>
#include <string>
#include <vector>

using nlohmann::json;
namespace pb = kd::lc::apiserver::protobuf;

namespace {

constexpr const char *kProtobufAccept
    = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

struct Reply
{
    int status = -1;
    QByteArray headers;
    QByteArray body;

    QString header(const QString &name) const
    {
        for (const QByteArray &line : headers.split('\n')) {
            const int colon = line.indexOf(':');
            if (colon > 0
                && QString::fromLatin1(line.left(colon)).compare(name, Qt::CaseInsensitive) == 0)
                return QString::fromLatin1(line.mid(colon + 1)).trimmed();
        }
        return {};
    }
};

// The length-delimited fields `number` of one protobuf message, in wire order.
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

// The value of gnostic's Named* entry `name` (name 1, value 2).
std::optional<std::string> namedValue(const std::vector<std::string> &entries,
                                      const std::string &name)
{
    for (const std::string &entry : entries) {
        if (firstField(entry, 1) == name)
            return firstField(entry, 2);
    }
    return std::nullopt;
}

// A CustomResourceDefinition for `plural`.`group` with kind `kind`, whose spec has a described
// string field `cronSpec` and an integer `replicas`.
QString crdYaml(const QString &group, const QString &plural, const QString &kind)
{
    return "apiVersion: apiextensions.k8s.io/v1\n"
           "kind: CustomResourceDefinition\n"
           "metadata:\n"
           "  name: "
           + plural + "." + group
           + "\n"
             "spec:\n"
             "  group: "
           + group
           + "\n"
             "  scope: Namespaced\n"
             "  names:\n"
             "    plural: "
           + plural
           + "\n"
             "    singular: "
           + kind.toLower()
           + "\n"
             "    kind: "
           + kind
           + "\n"
             "  versions:\n"
             "  - name: v1\n"
             "    served: true\n"
             "    storage: true\n"
             "    schema:\n"
             "      openAPIV3Schema:\n"
             "        type: object\n"
             "        description: A schedule that runs an image.\n"
             "        properties:\n"
             "          spec:\n"
             "            type: object\n"
             "            description: What to run and when.\n"
             "            properties:\n"
             "              cronSpec:\n"
             "                type: string\n"
             "                description: The schedule in cron format.\n"
             "              replicas:\n"
             "                type: integer\n";
}

// A Deployment with two containers; `extra` is spliced into the first container's fields.
QString deploymentYaml(const QString &name, const QString &extra = {},
                       const QString &image = "nginx:1")
{
    return "apiVersion: apps/v1\n"
           "kind: Deployment\n"
           "metadata:\n"
           "  name: "
           + name
           + "\n"
             "spec:\n"
             "  replicas: 1\n"
             "  selector:\n"
             "    matchLabels:\n"
             "      app: "
           + name
           + "\n"
             "  template:\n"
             "    metadata:\n"
             "      labels:\n"
             "        app: "
           + name
           + "\n"
             "    spec:\n"
             "      containers:\n"
             "      - name: web\n"
             "        image: "
           + image + "\n" + extra
           + "        ports:\n"
             "        - containerPort: 80\n"
             "      - name: sidecar\n"
             "        image: busybox\n";
}

} // namespace

class TestOpenApi final : public QObject
{
    Q_OBJECT

private:
    TestCluster m_cluster;
    QTemporaryDir m_dir;
    QStringList m_namespaces;
    QStringList m_crds;

    KubectlRunner runner() const { return {m_dir.path(), m_cluster.kubeconfig()}; }
    Run kubectl(const QString &version, const QStringList &args)
    {
        return runner().run(version, args, {}, 60000);
    }
    QString writeFile(const QString &name, const QString &text)
    {
        return runner().writeFile(name, text);
    }

    // The namespace of one kubectl version's objects, created on first use.
    QString ns(const QString &version)
    {
        const QString name = "oa-" + QString(version).remove('.');
        if (!m_namespaces.contains(name)) {
            const Run run = kubectl("1.33", {"create", "namespace", name});
            if (run.exitCode == 0)
                m_namespaces << name;
        }
        return name;
    }

    static void addVersions()
    {
        QTest::addColumn<QString>("version");
        for (const char *version : {"1.27", "1.30", "1.33"})
            QTest::newRow(version) << QString(version);
    }

    Reply get(const QString &path, const QStringList &headers = {}) const
    {
        QStringList args{"-sS",      "--http1.1",
                         "--cacert", m_cluster.caFile(),
                         "--cert",   m_cluster.certFile(),
                         "--key",    m_cluster.keyFile(),
                         "-D",       "-"};
        for (const QString &header : headers)
            args << "-H" << header;
        args << m_cluster.baseUrl() + path;
        QProcess curl;
        curl.start("curl", args);
        curl.waitForFinished(60000);
        const QByteArray output = curl.readAllStandardOutput();
        Reply reply;
        const int split = output.indexOf("\r\n\r\n");
        reply.headers = output.left(split);
        reply.body = split < 0 ? QByteArray() : output.mid(split + 4);
        const auto match
            = QRegularExpression("^HTTP/1.1 (\\d+)").match(QString::fromLatin1(reply.headers));
        reply.status = match.hasMatch() ? match.captured(1).toInt() : -1;
        return reply;
    }

    // Creates the CRD once and waits until it is served.
    QString ensureCrd(const QString &group, const QString &plural, const QString &kind)
    {
        const QString name = plural + "." + group;
        if (m_crds.contains(name))
            return {};
        Run run = kubectl("1.33",
                          {"apply", "-f", writeFile(name + ".yaml", crdYaml(group, plural, kind))});
        if (run.exitCode != 0)
            return describe(run);
        run = kubectl("1.33",
                      {"wait", "--for=condition=Established", "--timeout=60s", "crd/" + name});
        if (run.exitCode != 0)
            return describe(run);
        m_crds << name;
        return {};
    }

    static QString describe(const Run &run)
    {
        return "exit " + QString::number(run.exitCode) + "\nstdout:\n" + run.out + "\nstderr:\n"
               + run.err;
    }

private Q_SLOTS:
    void initTestCase()
    {
        for (const char *version : {"1.27", "1.30", "1.33"}) {
            if (!QFile::exists(KubectlRunner::path(version)))
                QFAIL(qPrintable("kubectl." + QString(version) + " is not installed"));
        }
        QVERIFY(m_dir.isValid());
        // No controllers: these tests only read schemas and write Deployments' specs.
        TestCluster::Options options;
        options.controllers = false;
        const QString failure = m_cluster.start(options);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
    }

    void cleanupTestCase() { m_cluster.stop(); }

    void explainContainers_data() { addVersions(); }
    void explainContainers()
    {
        QFETCH(QString, version);
        const Run run = kubectl(version, {"explain", "deployment.spec.template.spec.containers"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        for (const char *expected :
             {"GROUP:      apps\n", "KIND:       Deployment\n", "VERSION:    v1\n",
              "FIELD: containers <[]Container>\n", "  name\t<string> -required-\n",
              "  image\t<string>\n", "  ports\t<[]ContainerPort>\n", "  env\t<[]EnvVar>\n",
              "  resources\t<ResourceRequirements>\n", "  livenessProbe\t<Probe>\n",
              "  command\t<[]string>\n", "  tty\t<boolean>\n"}) {
            QVERIFY2(run.out.contains(QString::fromUtf8(expected)),
                     qPrintable(QString("missing \"") + expected + "\"\n" + run.out));
        }
    }

    void explainPodsRecursive_data() { addVersions(); }
    void explainPodsRecursive()
    {
        QFETCH(QString, version);
        const Run run = kubectl(version, {"explain", "pods", "--recursive"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        for (const char *expected :
             {"KIND:       Pod\n", "  metadata\t<ObjectMeta>\n",
              "    creationTimestamp\t<string>\n", "    labels\t<map[string]string>\n",
              "  spec\t<PodSpec>\n", "    containers\t<[]Container> -required-\n",
              "      env\t<[]EnvVar>\n", "        valueFrom\t<EnvVarSource>\n",
              "          secretKeyRef\t<SecretKeySelector>\n",
              "        limits\t<map[string]Quantity>\n", "        port\t<IntOrString> -required-\n",
              "    volumes\t<[]Volume>\n", "  status\t<PodStatus>\n"}) {
            QVERIFY2(run.out.contains(QString::fromUtf8(expected)),
                     qPrintable(QString("missing \"") + expected + "\"\n" + run.out.left(3000)));
        }
    }

    // Default validation is Strict: the server rejects the unknown nested field, in upstream's
    // words, for create and for apply of a new object.
    void strictRejectsUnknownNestedField_data() { addVersions(); }
    void strictRejectsUnknownNestedField()
    {
        QFETCH(QString, version);
        const QString file
            = writeFile("strict.yaml", deploymentYaml("strict", "        foo: bar\n"));
        for (const char *verb : {"create", "apply"}) {
            const Run run = kubectl(version, {verb, "-n", ns(version), "-f", file});
            QVERIFY2(run.exitCode != 0, qPrintable(describe(run)));
            const QString expected
                = "Error from server (BadRequest): error when creating \"" + file
                  + "\": Deployment in version \"v1\" cannot be handled as a Deployment: strict "
                    "decoding error: unknown field \"spec.template.spec.containers[0].foo\"";
            QVERIFY2(run.err.contains(expected), qPrintable(describe(run)));
        }
        const Run get = kubectl(version, {"get", "deployment", "strict", "-n", ns(version)});
        QVERIFY2(get.exitCode != 0, qPrintable(describe(get)));
    }

    void warnReportsUnknownNestedField_data() { addVersions(); }
    void warnReportsUnknownNestedField()
    {
        QFETCH(QString, version);
        const QString file = writeFile(
            "warn.yaml", deploymentYaml("warned", "        resources:\n          limitz: {}\n"));
        const Run run
            = kubectl(version, {"apply", "--validate=warn", "-n", ns(version), "-f", file});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(
            run.err.contains(
                "Warning: unknown field \"spec.template.spec.containers[0].resources.limitz\""),
            qPrintable(describe(run)));
        const Run del = kubectl(version, {"delete", "deployment", "warned", "-n", ns(version)});
        QVERIFY2(del.exitCode == 0, qPrintable(describe(del)));
    }

    // A strategic merge patch names one container; the other stays and the named one merges.
    void strategicPatchMergesContainersByName_data() { addVersions(); }
    void strategicPatchMergesContainersByName()
    {
        QFETCH(QString, version);
        const QString file = writeFile("patched.yaml", deploymentYaml("patched"));
        Run run = kubectl(version, {"create", "-n", ns(version), "-f", file});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        run = kubectl(version, {"patch", "deployment", "patched", "-n", ns(version),
                                "--type=strategic", "-p",
                                "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":"
                                "\"web\",\"image\":\"nginx:2\"}]}}}}"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        run = kubectl(version,
                      {"get", "deployment", "patched", "-n", ns(version), "-o",
                       "jsonpath={range .spec.template.spec.containers[*]}{.name}={.image}:"
                       "{.ports[0].containerPort} {end}"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QCOMPARE(run.out.trimmed(), QString("web=nginx:2:80 sidecar=busybox:"));
    }

    // apply of a changed manifest computes its patch from the served schemas (1.30+ read them
    // from /openapi/v3) without falling back, and keeps the other container.
    void applyUpdateUsesServedSchemas_data() { addVersions(); }
    void applyUpdateUsesServedSchemas()
    {
        QFETCH(QString, version);
        Run run = kubectl(version, {"apply", "-n", ns(version), "-f",
                                    writeFile("applied.yaml", deploymentYaml("applied"))});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        run = kubectl(version,
                      {"apply", "-n", ns(version), "-f",
                       writeFile("applied2.yaml", deploymentYaml("applied", {}, "nginx:3"))});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(!run.err.contains("openapi"), qPrintable(describe(run)));
        run = kubectl(version,
                      {"get", "deployment", "applied", "-n", ns(version), "-o",
                       "jsonpath={range .spec.template.spec.containers[*]}{.name}={.image} {end}"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QCOMPARE(run.out.trimmed(), QString("web=nginx:3 sidecar=busybox"));
    }
    // /openapi/v2 in JSON: every built-in kind's definition with its GVK and the patch
    // metadata, paths with fieldValidation, an ETag that a conditional GET honours.
    void v2Json()
    {
        const Reply reply = get("/openapi/v2", {"Accept: application/json"});
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.header("Content-Type"), QString("application/json"));
        const json document = json::parse(reply.body.toStdString(), nullptr, false);
        QVERIFY2(document.is_object(), reply.body.left(300).constData());
        QCOMPARE(document["swagger"].get<std::string>(), std::string("2.0"));
        const json &deployment = document["definitions"]["io.k8s.api.apps.v1.Deployment"];
        QVERIFY2(deployment["x-kubernetes-group-version-kind"][0]["kind"] == "Deployment",
                 deployment.dump().c_str());
        const json &containers
            = document["definitions"]["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        QVERIFY2(containers["x-kubernetes-patch-merge-key"] == "name", containers.dump().c_str());
        const json &patch
            = document["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"];
        QVERIFY2(patch["x-kubernetes-group-version-kind"]["kind"] == "Pod", patch.dump().c_str());

        const QString etag = reply.header("ETag");
        QVERIFY(!etag.isEmpty());
        const Reply again
            = get("/openapi/v2", {"Accept: application/json", "If-None-Match: " + etag});
        QCOMPARE(again.status, 304);
        QVERIFY(again.body.isEmpty());
        QCOMPARE(get("/openapi/v2", {"Accept: text/html"}).status, 406);
    }

    // The same document as kubectl asks for it: a gnostic protobuf.
    void v2Protobuf()
    {
        const Reply jsonReply = get("/openapi/v2", {"Accept: application/json"});
        const Reply reply = get("/openapi/v2", {QString("Accept: ") + kProtobufAccept});
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.header("Content-Type"),
                 QString("application/com.github.proto-openapi.spec.v2.v1.0+protobuf"));
        QVERIFY(reply.header("ETag") != jsonReply.header("ETag"));
        const std::string bytes = reply.body.toStdString();
        QCOMPARE(firstField(bytes, 1), std::string("2.0"));
        const auto definitions = fieldsOf(firstField(bytes, 9), 1);
        const nlohmann::json parsed = nlohmann::json::parse(jsonReply.body.toStdString());
        QCOMPARE(definitions.size(), parsed["definitions"].size());
        const auto deployment = namedValue(definitions, "io.k8s.api.apps.v1.Deployment");
        QVERIFY(deployment);
        const auto gvk = namedValue(fieldsOf(*deployment, 31), "x-kubernetes-group-version-kind");
        QVERIFY(gvk);
        const nlohmann::json gvkValue = nlohmann::json::parse(firstField(*gvk, 2), nullptr, false);
        QVERIFY2(gvkValue.is_array() && gvkValue[0]["group"] == "apps"
                     && gvkValue[0]["kind"] == "Deployment",
                 firstField(*gvk, 2).c_str());
        const auto podSpec = namedValue(definitions, "io.k8s.api.core.v1.PodSpec");
        QVERIFY(podSpec);
        const auto containers = namedValue(fieldsOf(firstField(*podSpec, 25), 1), "containers");
        QVERIFY(containers);
        const auto mergeKey = namedValue(fieldsOf(*containers, 31), "x-kubernetes-patch-merge-key");
        QVERIFY(mergeKey);
        QVERIFY2(nlohmann::json::parse(firstField(*mergeKey, 2), nullptr, false) == "name",
                 firstField(*mergeKey, 2).c_str());
    }

    // kubectl's own gnostic and kube-openapi parsers read the protobuf: explain through v2.
    void explainV2Containers_data()
    {
        QTest::addColumn<QString>("version");
        for (const char *version : {"1.27", "1.33"})
            QTest::newRow(version) << QString(version);
    }
    void explainV2Containers()
    {
        QFETCH(QString, version);
        const Run run
            = kubectl(version, {"explain", "--output=plaintext-openapiv2", "pods.spec.containers"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        for (const char *expected :
             {"KIND:     Pod\n", "VERSION:  v1\n", "RESOURCE: containers <[]Object>\n",
              "   name\t<string> -required-\n", "   image\t<string>\n", "   ports\t<[]Object>\n",
              "   resources\t<Object>\n"}) {
            QVERIFY2(run.out.contains(QString::fromUtf8(expected)),
                     qPrintable(QString("missing \"") + expected + "\"\n" + run.out));
        }
    }

    // A custom resource's schema is explained like a built-in kind's.
    void explainCustomResource_data() { addVersions(); }
    void explainCustomResource()
    {
        QFETCH(QString, version);
        const QString failure = ensureCrd("stable.example.com", "crontabs", "CronTab");
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        Run run = kubectl(version, {"explain", "crontabs"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        for (const char *expected : {"GROUP:      stable.example.com\n", "KIND:       CronTab\n",
                                     "VERSION:    v1\n", "A schedule that runs an image.",
                                     "  metadata\t<ObjectMeta>\n", "  spec\t<Object>\n"}) {
            QVERIFY2(run.out.contains(QString::fromUtf8(expected)),
                     qPrintable(QString("missing \"") + expected + "\"\n" + run.out));
        }
        run = kubectl(version, {"explain", "crontabs.spec"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        for (const char *expected :
             {"FIELD: spec <Object>\n", "What to run and when.", "  cronSpec\t<string>\n",
              "The schedule in cron format.", "  replicas\t<integer>\n"}) {
            QVERIFY2(run.out.contains(QString::fromUtf8(expected)),
                     qPrintable(QString("missing \"") + expected + "\"\n" + run.out));
        }
        run = kubectl(version, {"explain", "--output=plaintext-openapiv2", "crontabs.spec"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(run.out.contains("   cronSpec\t<string>\n"), qPrintable(describe(run)));
    }

    // kubectl keeps /openapi/v3 documents by their hash: a CRD created after the cache was
    // filled shows up, and a changed schema too.
    void newCustomResourceShowsUpThroughTheCache()
    {
        const QString cacheDir = m_dir.path() + "/shared-cache";
        Run run = kubectl("1.33", {"explain", "pods", "--cache-dir", cacheDir});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        const QString failure = ensureCrd("cache.example.com", "widgets", "Widget");
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        run = kubectl("1.33", {"explain", "widgets.spec", "--cache-dir", cacheDir});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(run.out.contains("  cronSpec\t<string>\n"), qPrintable(describe(run)));

        QString changed = crdYaml("cache.example.com", "widgets", "Widget");
        changed += "              size:\n"
                   "                type: string\n"
                   "                description: How big the widget is.\n";
        run = kubectl("1.33", {"apply", "-f", writeFile("widgets2.yaml", changed)});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        run = kubectl("1.33", {"explain", "widgets.spec", "--cache-dir", cacheDir});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(run.out.contains("  size\t<string>\n"), qPrintable(describe(run)));
    }
};

QTEST_GUILESS_MAIN(TestOpenApi)
#include "tst_openapi.moc"
