#include <core/kubeconfig/kubeconfig.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <sys/stat.h>

using kd::core::kubeconfig::Cluster;
using kd::core::kubeconfig::Context;
using kd::core::kubeconfig::Kubeconfig;
using kd::core::kubeconfig::User;
using kd::core::util::Error;

namespace {

std::string writeFile(const QString &path, const std::string &text)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    file.write(text.data(), qint64(text.size()));
    return path.toStdString();
}

std::string readFile(const std::string &path)
{
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll().toStdString();
}

// A kubeconfig with one cluster, user and context named after `tag`, all pointing at `server`.
std::string simpleConfig(const std::string &tag, const std::string &server,
                         const std::string &currentContext = {})
{
    return "apiVersion: v1\nkind: Config\ncurrent-context: \"" + currentContext
           + "\"\nclusters:\n- name: " + tag + "\n  cluster:\n    server: " + server
           + "\nusers:\n- name: " + tag + "\n  user:\n    token: token-" + tag
           + "\ncontexts:\n- name: " + tag + "\n  context:\n    cluster: " + tag
           + "\n    user: " + tag + "\n";
}

} // namespace

class tst_Kubeconfig : public QObject
{
    Q_OBJECT

private slots:
    void firstFileWinsPerEntry()
    {
        QTemporaryDir dir;
        const std::string a = writeFile(dir.filePath("a"), R"(
clusters:
- name: shared
  cluster:
    server: https://from-a
- name: only-a
  cluster:
    server: https://only-a
contexts:
- name: shared
  context: {cluster: shared, namespace: ns-a}
)");
        const std::string b = writeFile(dir.filePath("b"), R"(
current-context: only-b
clusters:
- name: shared
  cluster:
    server: https://from-b
- name: only-b
  cluster:
    server: https://only-b
contexts:
- name: shared
  context: {cluster: shared, namespace: ns-b}
- name: only-b
  context: {cluster: only-b}
)");
        const Kubeconfig config = Kubeconfig::load({a, b});
        QVERIFY(config.fileErrors().empty());
        QCOMPARE(config.clusters().size(), size_t(3));
        QCOMPARE(config.cluster("shared")->server, "https://from-a");
        QCOMPARE(config.cluster("shared")->sourceFile, a);
        QCOMPARE(config.cluster("only-b")->sourceFile, b);
        QCOMPARE(config.context("shared")->namespaceName, "ns-a");
        // a has no current-context, so the first non-empty one (b's) wins.
        QCOMPARE(config.currentContext(), "only-b");
        QCOMPARE(config.currentContextSource(), b);
        QVERIFY(!config.context("only-b")->error);
    }

    void firstNonEmptyCurrentContextWins()
    {
        QTemporaryDir dir;
        const std::string a = writeFile(dir.filePath("a"), simpleConfig("a", "https://a", "a"));
        const std::string b = writeFile(dir.filePath("b"), simpleConfig("b", "https://b", "b"));
        QCOMPARE(Kubeconfig::load({a, b}).currentContext(), "a");
        QCOMPARE(Kubeconfig::load({b, a}).currentContext(), "b");
    }

    void kubeconfigEnvironmentList()
    {
        QTemporaryDir dir;
        const std::string a = writeFile(dir.filePath("a"), simpleConfig("a", "https://a"));
        const std::string b = writeFile(dir.filePath("b"), simpleConfig("b", "https://b"));
        const QByteArray saved = qgetenv("KUBECONFIG");
        qputenv("KUBECONFIG",
                QByteArray::fromStdString(a + "::" + dir.filePath("missing").toStdString() + ":" + b
                                          + ":" + a));
        const auto paths = Kubeconfig::defaultPaths();
        const Kubeconfig config = Kubeconfig::loadDefault();
        qputenv("KUBECONFIG", saved);
        QCOMPARE(paths.size(), size_t(3)); // empty entry and repeat dropped
        // The missing file is skipped without complaint, as kubectl does.
        QVERIFY(config.fileErrors().empty());
        QCOMPARE(config.contexts().size(), size_t(2));
        QCOMPARE(config.context("b")->sourceFile, b);
    }

    void relativePathsResolveAgainstTheirFile()
    {
        QTemporaryDir dir;
        writeFile(dir.filePath("sub/pki/ca.crt"), "not checked at load");
        writeFile(dir.filePath("sub/pki/client.crt"), "x");
        writeFile(dir.filePath("sub/pki/client.key"), "x");
        const std::string path = writeFile(dir.filePath("sub/config"), R"(
clusters:
- name: c
  cluster: {server: https://c, certificate-authority: pki/ca.crt}
users:
- name: u
  user:
    client-certificate: pki/client.crt
    client-key: ./pki/../pki/client.key
    tokenFile: token
    exec: {apiVersion: client.authentication.k8s.io/v1, command: bin/plugin, interactiveMode: Never}
- name: v
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: plugin-in-path, interactiveMode: Never}
contexts:
- name: ctx
  context: {cluster: c, user: u}
)");
        const QString base = dir.filePath("sub/");
        // Loaded from a different working directory on purpose.
        const Kubeconfig config = Kubeconfig::load({path});
        QCOMPARE(QString::fromStdString(config.cluster("c")->certificateAuthority),
                 base + "pki/ca.crt");
        QCOMPARE(QString::fromStdString(config.user("u")->clientCertificate),
                 base + "pki/client.crt");
        QCOMPARE(QString::fromStdString(config.user("u")->clientKey), base + "pki/client.key");
        QCOMPARE(QString::fromStdString(config.user("u")->tokenFile), base + "token");
        QCOMPARE(QString::fromStdString(config.user("u")->exec->command), base + "bin/plugin");
        QCOMPARE(config.user("v")->exec->command, "plugin-in-path");
        QVERIFY(!config.context("ctx")->error);

        // An edit elsewhere in the file leaves relative paths relative.
        Kubeconfig editor = config;
        QVERIFY(editor.setContextNamespace("ctx", "edited").ok());
        QVERIFY(editor.save().ok());
        const YAML::Node root = YAML::LoadFile(path);
        QCOMPARE(root["clusters"][0]["cluster"]["certificate-authority"].as<std::string>(),
                 "pki/ca.crt");
        QCOMPARE(root["users"][0]["user"]["exec"]["command"].as<std::string>(), "bin/plugin");
    }

    void brokenFileDoesNotHideOthers_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::newRow("bad yaml") << QByteArray("clusters: [\n  - {name: x\n");
        QTest::newRow("not a map") << QByteArray("- just\n- a list\n");
        QTest::newRow("directory") << QByteArray();
    }

    void brokenFileDoesNotHideOthers()
    {
        QFETCH(QByteArray, content);
        QTemporaryDir dir;
        const std::string good1
            = writeFile(dir.filePath("good1"), simpleConfig("one", "https://1"));
        std::string broken;
        if (content.isEmpty()) {
            QDir().mkpath(dir.filePath("broken"));
            broken = dir.filePath("broken").toStdString();
        } else {
            broken = writeFile(dir.filePath("broken"), content.toStdString());
        }
        const std::string good2
            = writeFile(dir.filePath("good2"), simpleConfig("two", "https://2"));
        Kubeconfig config = Kubeconfig::load({good1, broken, good2});
        QCOMPARE(config.fileErrors().size(), size_t(1));
        QCOMPARE(config.fileErrors().front().path, broken);
        QVERIFY(!config.fileErrors().front().error.message().empty());
        QVERIFY(config.context("one") && !config.context("one")->error);
        QVERIFY(config.context("two") && !config.context("two")->error);
    }

    void explicitFileMustExist()
    {
        QTemporaryDir dir;
        const Kubeconfig config = Kubeconfig::loadFile(dir.filePath("nope").toStdString());
        QCOMPARE(config.fileErrors().size(), size_t(1));
        QCOMPARE(config.fileErrors().front().error.code(), Error::Code::NotFound);
    }

    void perContextErrors_data()
    {
        QTest::addColumn<QString>("context");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("fine") << "fine" << -1 << "";
        QTest::newRow("missing cluster") << "no-cluster" << int(Error::Code::NotFound) << "ghost";
        QTest::newRow("missing user") << "no-user" << int(Error::Code::NotFound) << "phantom";
        QTest::newRow("bad base64")
            << "bad-base64" << int(Error::Code::Decode) << "client-certificate-data";
        QTest::newRow("unreadable cert file")
            << "missing-file" << int(Error::Code::Io) << "client-certificate";
        QTest::newRow("bad ca data")
            << "bad-ca" << int(Error::Code::Decode) << "certificate-authority-data";
        QTest::newRow("no cluster set") << "empty" << int(Error::Code::Invalid) << "no cluster";
        QTest::newRow("anonymous is fine") << "anonymous" << -1 << "";
    }

    void perContextErrors()
    {
        QFETCH(QString, context);
        QFETCH(int, code);
        QFETCH(QString, mentions);
        QTemporaryDir dir;
        const std::string path = writeFile(dir.filePath("config"), R"(
clusters:
- name: ok
  cluster: {server: https://ok}
- name: bad-ca
  cluster: {server: https://x, certificate-authority-data: "%%%not base64"}
users:
- name: ok
  user: {token: abc}
- name: bad-base64
  user: {client-certificate-data: "!!!", client-key-data: "AAAA"}
- name: missing-file
  user: {client-certificate: does/not/exist.crt, client-key: does/not/exist.key}
contexts:
- {name: fine, context: {cluster: ok, user: ok}}
- {name: no-cluster, context: {cluster: ghost, user: ok}}
- {name: no-user, context: {cluster: ok, user: phantom}}
- {name: bad-base64, context: {cluster: ok, user: bad-base64}}
- {name: missing-file, context: {cluster: ok, user: missing-file}}
- {name: bad-ca, context: {cluster: bad-ca, user: ok}}
- {name: empty, context: {user: ok}}
- {name: anonymous, context: {cluster: ok}}
)");
        const Kubeconfig config = Kubeconfig::load({path});
        QVERIFY(config.fileErrors().empty());
        QCOMPARE(config.contexts().size(), size_t(8));
        const Context *entry = config.context(context.toStdString());
        QVERIFY(entry);
        if (code < 0) {
            QVERIFY2(!entry->error, entry->error ? entry->error->message().c_str() : "");
        } else {
            QVERIFY(entry->error);
            QCOMPARE(int(entry->error->code()), code);
            QVERIFY2(QString::fromStdString(entry->error->message()).contains(mentions),
                     entry->error->message().c_str());
        }
    }

    void oddShapesAreErrorsNotCrashes()
    {
        QTemporaryDir dir;
        const std::string odd = writeFile(dir.filePath("odd"), R"(
preferences: {? [a, b] : c, colors: true}
clusters: {not: a list}
users:
- name: u
  user:
    auth-provider: {name: oidc, config: {? {x: 1} : y, id-token: t}}
    exec: [not, a, map]
- just a string
- name: u
  user: {token: duplicate}
contexts:
- {name: ctx, context: {cluster: c, user: u}}
- {name: weird, context: [1, 2]}
)");
        const std::string good = writeFile(dir.filePath("good"), simpleConfig("c", "https://c"));
        Kubeconfig config = Kubeconfig::load({odd, good});
        QCOMPARE(config.fileErrors().size(), size_t(3)); // clusters, users[1], duplicate u
        QCOMPARE(config.preferencesJson(), R"({"colors":true})");
        QCOMPARE(config.user("u")->authProvider->config.at("id-token"), "t");
        QVERIFY(config.user("u")->error); // exec is not a map
        QVERIFY(config.context("weird")->error);
        // ctx finds cluster c in the other file, but its user is broken.
        QVERIFY(config.context("ctx")->error);
        QVERIFY(!config.context("c")->error);
        // Adding a cluster would have to replace odd's malformed clusters map: refused.
        Cluster cluster;
        cluster.name = "new";
        cluster.server = "https://new";
        QCOMPARE(config.addCluster(cluster).error().code(), Error::Code::Invalid);
        QVERIFY(config.modifiedFiles().empty());
    }

    void setCurrentContextGoesToTheFileThatSetIt()
    {
        QTemporaryDir dir;
        const std::string a = writeFile(dir.filePath("a"), simpleConfig("a", "https://a"));
        const std::string b = writeFile(dir.filePath("b"), simpleConfig("b", "https://b", "b"));
        const std::string aBefore = readFile(a);
        Kubeconfig config = Kubeconfig::load({a, b});
        QVERIFY(config.setCurrentContext("a").ok());
        QCOMPARE(config.modifiedFiles(), std::vector<std::string>{b});
        QVERIFY(config.save().ok());
        QCOMPARE(readFile(a), aBefore);
        QCOMPARE(Kubeconfig::load({b}).currentContext(), "a");
        QCOMPARE(Kubeconfig::load({a, b}).currentContext(), "a");

        QCOMPARE(config.setCurrentContext("nope").error().code(), Error::Code::NotFound);
        QVERIFY(config.modifiedFiles().empty());
    }

    void setCurrentContextWithoutSourceGoesToFirstFile()
    {
        QTemporaryDir dir;
        const std::string missing = dir.filePath("missing").toStdString();
        const std::string a = writeFile(dir.filePath("a"), simpleConfig("a", "https://a"));
        const std::string b = writeFile(dir.filePath("b"), simpleConfig("b", "https://b"));
        Kubeconfig config = Kubeconfig::load({missing, a, b});
        QVERIFY(config.setCurrentContext("b").ok());
        // The first file that exists, as client-go's GetDefaultFilename picks.
        QCOMPARE(config.modifiedFiles(), std::vector<std::string>{a});
        QVERIFY(config.save().ok());
        QCOMPARE(Kubeconfig::load({a}).currentContext(), "b");
        QVERIFY(!QFile::exists(QString::fromStdString(missing)));
    }

    void editsKeepUnknownFieldsAndOrder()
    {
        QTemporaryDir dir;
        const std::string a = writeFile(dir.filePath("a"), R"(apiVersion: v1
kind: Config
x-vendor-top: {keep: me, list: [1, 2]}
preferences: {colors: true}
clusters:
- name: c
  cluster:
    server: https://c
    x-cluster-extra: kept
contexts:
- name: ctx
  context:
    user: u
    cluster: c
    namespace: old
    x-context-extra: 42
  x-entry-extra: yes
users:
- name: u
  user: {token: t}
current-context: ctx
)");
        const std::string b = writeFile(dir.filePath("b"), simpleConfig("b", "https://b"));
        const std::string bBefore = readFile(b);
        Kubeconfig config = Kubeconfig::load({b, a});
        QCOMPARE(config.preferencesJson(), R"({"colors":true})");
        QVERIFY(config.setContextNamespace("ctx", "new").ok());
        QVERIFY(config.save().ok());
        QCOMPARE(readFile(b), bBefore);

        const YAML::Node root = YAML::LoadFile(a);
        QCOMPARE(root["x-vendor-top"]["keep"].as<std::string>(), "me");
        QCOMPARE(root["x-vendor-top"]["list"].size(), size_t(2));
        QCOMPARE(root["clusters"][0]["cluster"]["x-cluster-extra"].as<std::string>(), "kept");
        const YAML::Node ctx = root["contexts"][0];
        QCOMPARE(ctx["x-entry-extra"].as<std::string>(), "yes");
        QCOMPARE(ctx["context"]["x-context-extra"].as<int>(), 42);
        QCOMPARE(ctx["context"]["namespace"].as<std::string>(), "new");
        // Key order as written, top level and inside the entry.
        std::vector<std::string> topKeys, contextKeys;
        for (const auto &item : root)
            topKeys.push_back(item.first.as<std::string>());
        for (const auto &item : ctx["context"])
            contextKeys.push_back(item.first.as<std::string>());
        QCOMPARE(topKeys,
                 (std::vector<std::string>{"apiVersion", "kind", "x-vendor-top", "preferences",
                                           "clusters", "contexts", "users", "current-context"}));
        QCOMPARE(contextKeys,
                 (std::vector<std::string>{"user", "cluster", "namespace", "x-context-extra"}));
        QCOMPARE(Kubeconfig::load({a}).context("ctx")->namespaceName, "new");

        // Removing the namespace removes the key rather than writing an empty one.
        QVERIFY(config.setContextNamespace("ctx", "").ok());
        QVERIFY(config.save().ok());
        QVERIFY(!YAML::LoadFile(a)["contexts"][0]["context"]["namespace"]);
    }

    void addRemoveRenameEntries()
    {
        QTemporaryDir dir;
        const std::string a = writeFile(dir.filePath("a"), simpleConfig("a", "https://a", "a"));
        const std::string b = writeFile(dir.filePath("b"), simpleConfig("b", "https://b"));
        Kubeconfig config = Kubeconfig::load({a, b});

        Cluster cluster;
        cluster.name = "new";
        cluster.server = "https://new:6443";
        cluster.certificateAuthorityData = "-----BEGIN CERTIFICATE-----\nabc\n";
        QVERIFY(config.addCluster(cluster).ok());
        User user;
        user.name = "new";
        user.token = "secret";
        QVERIFY(config.addUser(user).ok());
        Context context;
        context.name = "new";
        context.cluster = "new";
        context.user = "new";
        context.namespaceName = "apps";
        QVERIFY(config.addContext(context).ok());
        QCOMPARE(config.addContext(context).error().code(), Error::Code::AlreadyExists);

        // Entries whose source is b are edited in b.
        QVERIFY(config.renameContext("b", "b-renamed").ok());
        QVERIFY(config.renameCluster("b", "b-cluster").ok());
        QVERIFY(config.renameUser("a", "a-user").ok());
        QVERIFY(config.renameContext("a", "a-renamed").ok()); // the current one
        QCOMPARE(config.renameContext("a-renamed", "b-renamed").error().code(),
                 Error::Code::AlreadyExists);
        QCOMPARE(config.removeCluster("ghost").error().code(), Error::Code::NotFound);
        QVERIFY(config.save().ok());

        const Kubeconfig reloaded = Kubeconfig::load({a, b});
        QVERIFY(reloaded.fileErrors().empty());
        QCOMPARE(reloaded.currentContext(), "a-renamed");
        QCOMPARE(reloaded.context("new")->sourceFile, a); // default file: first existing
        QCOMPARE(reloaded.context("new")->namespaceName, "apps");
        QCOMPARE(reloaded.cluster("new")->certificateAuthorityData,
                 cluster.certificateAuthorityData);
        QCOMPARE(reloaded.user("new")->token, "secret");
        QVERIFY(!reloaded.context("new")->error);
        QCOMPARE(reloaded.context("b-renamed")->sourceFile, b);
        QCOMPARE(reloaded.context("b-renamed")->cluster, "b-cluster");
        QVERIFY(!reloaded.context("b-renamed")->error);
        QCOMPARE(reloaded.context("a-renamed")->user, "a-user");
        QVERIFY(!reloaded.context("a-renamed")->error);
        QVERIFY(!reloaded.context("a") && !reloaded.context("b"));

        Kubeconfig editor = reloaded;
        QVERIFY(editor.removeContext("b-renamed").ok());
        QVERIFY(editor.removeUser("b").ok());
        QCOMPARE(editor.modifiedFiles(), std::vector<std::string>{b});
        // The copy edits its own tree, not the one it was copied from.
        QVERIFY(reloaded.context("b-renamed"));
        QVERIFY(editor.save().ok());
        const Kubeconfig after = Kubeconfig::load({a, b});
        QVERIFY(!after.context("b-renamed"));
        QVERIFY(!after.user("b"));
        QVERIFY(after.cluster("b-cluster"));
    }

    void addToEmptyListCreatesTheFile()
    {
        QTemporaryDir dir;
        const std::string path = dir.filePath("kube/config").toStdString();
        Kubeconfig config = Kubeconfig::load({path});
        Cluster cluster;
        cluster.name = "local";
        cluster.server = "https://127.0.0.1:6443";
        QVERIFY(config.addCluster(cluster).ok());
        QVERIFY(config.save().ok());
        struct stat st
        {};
        QCOMPARE(::stat(path.c_str(), &st), 0);
        QCOMPARE(st.st_mode & 0777, 0600u); // credentials live here
        const Kubeconfig reloaded = Kubeconfig::load({path});
        QCOMPARE(reloaded.cluster("local")->server, "https://127.0.0.1:6443");
        QCOMPARE(YAML::LoadFile(path)["kind"].as<std::string>(), "Config");
    }

    void refusesToWriteABrokenFile()
    {
        QTemporaryDir dir;
        const std::string broken = writeFile(dir.filePath("broken"), "clusters: [\n");
        Kubeconfig config = Kubeconfig::load({broken});
        Cluster cluster;
        cluster.name = "x";
        cluster.server = "https://x";
        QVERIFY(!config.addCluster(cluster).ok());
        QVERIFY(config.modifiedFiles().empty());
        QCOMPARE(readFile(broken), "clusters: [\n");
    }

    void quotedScalarsStayStrings()
    {
        // kubectl reads YAML 1.1 into typed fields: `token: 0123` is a number and breaks it.
        QTemporaryDir dir;
        const std::string path = writeFile(dir.filePath("config"), R"(
clusters:
- name: c
  cluster: {server: https://c, insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: "0123", username: 'yes', password: plain-text}
contexts:
- name: ctx
  context: {cluster: c, user: u, namespace: "42"}
)");
        Kubeconfig config = Kubeconfig::load({path});
        QVERIFY(config.setCurrentContext("ctx").ok());
        User user;
        user.name = "numeric";
        user.token = "123";
        QVERIFY(config.addUser(user).ok());
        Cluster cluster;
        cluster.name = "insecure";
        cluster.server = "https://i";
        cluster.insecureSkipTlsVerify = true;
        QVERIFY(config.addCluster(cluster).ok());
        QVERIFY(config.save().ok());

        const std::string text = readFile(path);
        QVERIFY2(text.find("\"0123\"") != std::string::npos, text.c_str());
        QVERIFY2(text.find("\"yes\"") != std::string::npos, text.c_str());
        QVERIFY2(text.find("\"42\"") != std::string::npos, text.c_str());
        QVERIFY2(text.find("\"123\"") != std::string::npos, text.c_str());
        QVERIFY2(text.find("plain-text") != std::string::npos, text.c_str());
        const YAML::Node root = YAML::LoadFile(path);
        QCOMPARE(root["clusters"][0]["cluster"]["insecure-skip-tls-verify"].Tag(), "?");
        QCOMPARE(root["clusters"][1]["cluster"]["insecure-skip-tls-verify"].Tag(), "?");
        const Kubeconfig reloaded = Kubeconfig::load({path});
        QCOMPARE(reloaded.user("u")->token, "0123");
        QVERIFY(reloaded.cluster("insecure")->insecureSkipTlsVerify);
    }

    void writeIsAtomicAndKeepsMode()
    {
        QTemporaryDir dir;
        const std::string real
            = writeFile(dir.filePath("real/config"), simpleConfig("a", "https://a", "a"));
        QCOMPARE(::chmod(real.c_str(), 0640), 0);
        const std::string link = dir.filePath("link").toStdString();
        std::filesystem::create_symlink(real, link);
        struct stat before
        {};
        QCOMPARE(::stat(real.c_str(), &before), 0);

        Kubeconfig config = Kubeconfig::load({link});
        QVERIFY(config.setContextNamespace("a", "edited").ok());
        QVERIFY(config.save().ok());

        struct stat after
        {};
        QCOMPARE(::stat(real.c_str(), &after), 0);
        QCOMPARE(after.st_mode & 07777, 0640u);
        // Replaced by rename (a new inode), never truncated and rewritten in place.
        QVERIFY(after.st_ino != before.st_ino);
        QVERIFY(std::filesystem::is_symlink(link));
        QCOMPARE(Kubeconfig::load({real}).context("a")->namespaceName, "edited");
        // No temporary files left behind.
        QCOMPARE(QDir(dir.filePath("real")).entryList(QDir::Files | QDir::Hidden),
                 QStringList{"config"});
    }
};

QTEST_GUILESS_MAIN(tst_Kubeconfig)
#include "tst_kubeconfig.moc"
