// RBAC rule and subject matching, the Forbidden wording, and the default policy.

#include <localcluster/apiserver/authz/rbac.h>

#include <nlohmann/json.hpp>

#include <QTest>

#include <map>

using nlohmann::json;
namespace authz = kd::lc::apiserver::authz;

namespace {

authz::Attributes resourceRequest(const std::string &verb, const std::string &group,
                                  const std::string &resource, const std::string &subresource = {},
                                  const std::string &name = {}, const std::string &ns = "default")
{
    authz::Attributes a;
    a.user = "jane";
    a.groups = {"dev", "system:authenticated"};
    a.verb = verb;
    a.apiGroup = group;
    a.resource = resource;
    a.subresource = subresource;
    a.name = name;
    a.ns = ns;
    return a;
}

authz::Attributes pathRequest(const std::string &verb, const std::string &path)
{
    authz::Attributes a;
    a.user = "jane";
    a.resourceRequest = false;
    a.verb = verb;
    a.path = path;
    return a;
}

} // namespace

class TestRbac final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ruleAllows_data()
    {
        QTest::addColumn<QString>("rule");
        QTest::addColumn<int>("request"); // index into requests()
        QTest::addColumn<bool>("allowed");
        const char *readPods = R"({"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]})";
        QTest::newRow("verb and resource") << readPods << 0 << true;
        QTest::newRow("other verb") << readPods << 1 << false;
        QTest::newRow("subresource needs its own entry") << readPods << 2 << false;
        QTest::newRow("pods/log")
            << R"({"apiGroups":[""],"resources":["pods/log"],"verbs":["get"]})" << 2 << true;
        QTest::newRow("*/log") << R"({"apiGroups":[""],"resources":["*/log"],"verbs":["get"]})" << 2
                               << true;
        QTest::newRow("other group")
            << R"({"apiGroups":["apps"],"resources":["pods"],"verbs":["*"]})" << 0 << false;
        QTest::newRow("wildcards")
            << R"({"apiGroups":["*"],"resources":["*"],"verbs":["*"]})" << 3 << true;
        QTest::newRow("resourceNames match")
            << R"({"apiGroups":["apps"],"resources":["deployments"],"resourceNames":["web"],"verbs":["get"]})"
            << 4 << true;
        QTest::newRow("resourceNames exclude list")
            << R"({"apiGroups":[""],"resources":["pods"],"resourceNames":["web"],"verbs":["list"]})"
            << 0 << false;
        QTest::newRow("nonResourceURL exact")
            << R"({"nonResourceURLs":["/version"],"verbs":["get"]})" << 5 << true;
        QTest::newRow("nonResourceURL prefix")
            << "{\"nonResourceURLs\":[\"/apis/*\"],\"verbs\":[\"get\"]}" << 6 << true;
        QTest::newRow("nonResourceURL not a resource rule")
            << R"({"apiGroups":["*"],"resources":["*"],"verbs":["*"]})" << 5 << false;
        QTest::newRow("resource rule ignores paths")
            << R"({"nonResourceURLs":["*"],"verbs":["*"]})" << 0 << false;
    }
    void ruleAllows()
    {
        QFETCH(QString, rule);
        QFETCH(int, request);
        QFETCH(bool, allowed);
        const std::vector<authz::Attributes> requests{
            resourceRequest("list", "", "pods"),
            resourceRequest("delete", "", "pods", {}, "p"),
            resourceRequest("get", "", "pods", "log", "p"),
            resourceRequest("create", "apps", "deployments"),
            resourceRequest("get", "apps", "deployments", {}, "web"),
            pathRequest("get", "/version"),
            pathRequest("get", "/apis/apps/v1"),
        };
        QCOMPARE(authz::ruleAllows(json::parse(rule.toStdString()), requests.at(request)), allowed);
    }

    void subjects()
    {
        const std::vector<std::string> groups{"dev", "system:authenticated"};
        QVERIFY(authz::subjectsMatch(json::parse(R"([{"kind":"User","name":"jane"}])"), "jane",
                                     groups, "ns"));
        QVERIFY(authz::subjectsMatch(json::parse(R"([{"kind":"Group","name":"dev"}])"), "bob",
                                     groups, "ns"));
        QVERIFY(!authz::subjectsMatch(json::parse(R"([{"kind":"User","name":"bob"}])"), "jane",
                                      groups, "ns"));
        QVERIFY(authz::subjectsMatch(json::parse(R"([{"kind":"ServiceAccount","name":"default"}])"),
                                     "system:serviceaccount:ns:default", {}, "ns"));
        QVERIFY(!authz::subjectsMatch(
            json::parse(R"([{"kind":"ServiceAccount","name":"default","namespace":"other"}])"),
            "system:serviceaccount:ns:default", {}, "ns"));
    }

    void forbiddenMessages()
    {
        QCOMPARE(
            QString::fromStdString(authz::forbiddenMessage(resourceRequest("list", "", "pods"))),
            QString("pods is forbidden: User \"jane\" cannot list resource \"pods\" in API "
                    "group \"\" in the namespace \"default\""));
        QCOMPARE(QString::fromStdString(authz::forbiddenMessage(
                     resourceRequest("get", "apps", "deployments", "scale", "web", "ns"))),
                 QString("deployments.apps \"web\" is forbidden: User \"jane\" cannot get resource "
                         "\"deployments/scale\" in API group \"apps\" in the namespace \"ns\""));
        QCOMPARE(QString::fromStdString(
                     authz::forbiddenMessage(resourceRequest("list", "", "nodes", {}, {}, {}))),
                 QString("nodes is forbidden: User \"jane\" cannot list resource \"nodes\" in API "
                         "group \"\" at the cluster scope"));
        QCOMPARE(QString::fromStdString(authz::forbiddenMessage(pathRequest("get", "/metrics"))),
                 QString("forbidden: User \"jane\" cannot get path \"/metrics\""));
    }

    // The default roles grant what their names promise.
    void defaultPolicy()
    {
        std::map<std::string, json> roles;
        int bindings = 0;
        for (const json &object : authz::bootstrapPolicy()) {
            if (object["kind"] == "ClusterRole")
                roles[object["metadata"]["name"]] = object["rules"];
            else
                ++bindings;
        }
        QCOMPARE(bindings, 4);
        const auto allows = [&](const std::string &role, const authz::Attributes &a) {
            for (const json &rule : roles.at(role)) {
                if (authz::ruleAllows(rule, a))
                    return true;
            }
            return false;
        };
        QVERIFY(allows("view", resourceRequest("list", "", "pods")));
        QVERIFY(allows("view", resourceRequest("get", "", "pods", "log", "p")));
        QVERIFY(!allows("view", resourceRequest("list", "", "secrets")));
        QVERIFY(!allows("view", resourceRequest("create", "apps", "deployments")));
        QVERIFY(allows("edit", resourceRequest("create", "apps", "deployments")));
        QVERIFY(allows("edit", resourceRequest("patch", "apps", "deployments", "scale", "web")));
        QVERIFY(allows("edit", resourceRequest("get", "", "secrets", {}, "s")));
        QVERIFY(!allows("edit",
                        resourceRequest("create", "rbac.authorization.k8s.io", "rolebindings")));
        QVERIFY(allows("admin",
                       resourceRequest("create", "rbac.authorization.k8s.io", "rolebindings")));
        QVERIFY(allows("cluster-admin", resourceRequest("delete", "", "nodes", {}, "n", {})));
        QVERIFY(allows("system:discovery", pathRequest("get", "/apis/apps/v1")));
        QVERIFY(!allows("system:discovery", pathRequest("post", "/apis")));
        QVERIFY(
            allows("system:basic-user", resourceRequest("create", "authorization.k8s.io",
                                                        "selfsubjectaccessreviews", {}, {}, {})));
    }
};

QTEST_GUILESS_MAIN(TestRbac)
#include "tst_rbac.moc"
