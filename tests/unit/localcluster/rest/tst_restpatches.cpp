#include <localcluster/apiserver/rest/jsonpatch.h>
#include <localcluster/apiserver/rest/mergepatch.h>
#include <localcluster/apiserver/rest/strategicmergepatch.h>

#include <nlohmann/json.hpp>

#include <QTest>

using kd::core::util::Error;
using nlohmann::json;
namespace api = kd::lc::apiserver;

namespace {

QString show(const json &value)
{
    return QString::fromStdString(value.dump());
}

} // namespace

class TestRestPatches final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // RFC 7386 appendix A, plus what kubectl label/annotate send.
    void mergePatch_data()
    {
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("expected");
        QTest::newRow("replace member") << R"({"a":"b"})"
                                        << R"({"a":"c"})"
                                        << R"({"a":"c"})";
        QTest::newRow("add member") << R"({"a":"b"})"
                                    << R"({"b":"c"})"
                                    << R"({"a":"b","b":"c"})";
        QTest::newRow("null removes") << R"({"a":"b"})"
                                      << R"({"a":null})"
                                      << R"({})";
        QTest::newRow("null removes one") << R"({"a":"b","b":"c"})"
                                          << R"({"a":null})"
                                          << R"({"b":"c"})";
        QTest::newRow("array replaced") << R"({"a":["b"]})"
                                        << R"({"a":"c"})"
                                        << R"({"a":"c"})";
        QTest::newRow("value to array") << R"({"a":"c"})"
                                        << R"({"a":["b"]})"
                                        << R"({"a":["b"]})";
        QTest::newRow("nested") << R"({"a":{"b":"c"}})"
                                << R"({"a":{"b":"d","c":null}})"
                                << R"({"a":{"b":"d"}})";
        QTest::newRow("arrays whole") << R"({"a":[{"b":"c"}]})"
                                      << R"({"a":[1]})"
                                      << R"({"a":[1]})";
        QTest::newRow("non-object patch") << R"({"a":"foo"})"
                                          << R"("bar")"
                                          << R"("bar")";
        QTest::newRow("null into missing nested") << R"({"e":null})"
                                                  << R"({"a":1})"
                                                  << R"({"a":1,"e":null})";
        QTest::newRow("object over scalar") << R"([1,2])"
                                            << R"({"a":"b","c":null})"
                                            << R"({"a":"b"})";
        QTest::newRow("deep null ignored") << R"({})"
                                           << R"({"a":{"bb":{"ccc":null}}})"
                                           << R"({"a":{"bb":{}}})";
        QTest::newRow("label add")
            << R"({"metadata":{"name":"x","labels":{"app":"web"}}})"
            << R"({"metadata":{"labels":{"tier":"front"}}})"
            << R"({"metadata":{"name":"x","labels":{"app":"web","tier":"front"}}})";
        QTest::newRow("label remove") << R"({"metadata":{"labels":{"app":"web"}}})"
                                      << R"({"metadata":{"labels":{"app":null}}})"
                                      << R"({"metadata":{"labels":{}}})";
    }
    void mergePatch()
    {
        QFETCH(QString, target);
        QFETCH(QString, patch);
        QFETCH(QString, expected);
        const json result = api::applyMergePatch(json::parse(target.toStdString()),
                                                 json::parse(patch.toStdString()));
        QCOMPARE(show(result), show(json::parse(expected.toStdString())));
    }

    void jsonPatch_data()
    {
        QTest::addColumn<QString>("document");
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("expected"); // empty when the patch fails
        QTest::addColumn<int>("errorStatus");
        QTest::addColumn<QString>("errorMessage");

        QTest::newRow("add member") << R"({"foo":"bar"})"
                                    << R"([{"op":"add","path":"/baz","value":"qux"}])"
                                    << R"({"baz":"qux","foo":"bar"})" << 0 << "";
        QTest::newRow("add array element") << R"({"foo":["bar","baz"]})"
                                           << R"([{"op":"add","path":"/foo/1","value":"qux"}])"
                                           << R"({"foo":["bar","qux","baz"]})" << 0 << "";
        QTest::newRow("append with -") << R"({"foo":[1]})"
                                       << R"([{"op":"add","path":"/foo/-","value":2}])"
                                       << R"({"foo":[1,2]})" << 0 << "";
        QTest::newRow("remove member") << R"({"baz":"qux","foo":"bar"})"
                                       << R"([{"op":"remove","path":"/baz"}])"
                                       << R"({"foo":"bar"})" << 0 << "";
        QTest::newRow("remove element") << R"({"foo":["bar","qux","baz"]})"
                                        << R"([{"op":"remove","path":"/foo/1"}])"
                                        << R"({"foo":["bar","baz"]})" << 0 << "";
        QTest::newRow("replace") << R"({"baz":"qux","foo":"bar"})"
                                 << R"([{"op":"replace","path":"/baz","value":"boo"}])"
                                 << R"({"baz":"boo","foo":"bar"})" << 0 << "";
        QTest::newRow("move") << R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})"
                              << R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])"
                              << R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"
                              << 0 << "";
        QTest::newRow("move element") << R"({"foo":["all","grass","cows","eat"]})"
                                      << R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])"
                                      << R"({"foo":["all","cows","eat","grass"]})" << 0 << "";
        QTest::newRow("copy") << R"({"a":{"b":1}})"
                              << R"([{"op":"copy","from":"/a","path":"/c"}])"
                              << R"({"a":{"b":1},"c":{"b":1}})" << 0 << "";
        QTest::newRow("test passes then replace")
            << R"({"a":"1"})"
            << R"([{"op":"test","path":"/a","value":"1"},{"op":"replace","path":"/a","value":"2"}])"
            << R"({"a":"2"})" << 0 << "";
        QTest::newRow("escaped pointer") << R"({"a/b":{"m~n":1}})"
                                         << R"([{"op":"replace","path":"/a~1b/m~0n","value":2}])"
                                         << R"({"a/b":{"m~n":2}})" << 0 << "";
        QTest::newRow("annotation with slash")
            << R"({"metadata":{"annotations":{}}})"
            << R"([{"op":"add","path":"/metadata/annotations/example.com~1x","value":"y"}])"
            << R"({"metadata":{"annotations":{"example.com/x":"y"}}})" << 0 << "";
        QTest::newRow("whole document") << R"({"a":1})"
                                        << R"([{"op":"replace","path":"","value":{"b":2}}])"
                                        << R"({"b":2})" << 0 << "";

        QTest::newRow("failed test is 422")
            << R"({"a":"1"})"
            << R"([{"op":"test","path":"/a","value":"2"},{"op":"replace","path":"/a","value":"3"}])"
            << "" << 422 << "testing value /a failed: test failed";
        QTest::newRow("replace missing is 422")
            << R"({"data":{}})"
            << R"([{"op":"replace","path":"/data/x","value":"1"}])"
            << "" << 422
            << "replace operation does not apply: doc is missing key: /data/x: missing value";
        QTest::newRow("remove missing is 422")
            << R"({"data":{}})"
            << R"([{"op":"remove","path":"/data/x"}])"
            << "" << 422
            << "remove operation does not apply: doc is missing path: \"/data/x\": missing value";
        QTest::newRow("add below missing is 422")
            << R"({})"
            << R"([{"op":"add","path":"/a/b","value":1}])"
            << "" << 422
            << "add operation does not apply: doc is missing path: \"/a/b\": missing value";
        QTest::newRow("index out of range is 422")
            << R"({"a":[1]})"
            << R"([{"op":"add","path":"/a/5","value":2}])"
            << "" << 422 << "add operation does not apply: index out of bounds: \"/a/5\"";
        QTest::newRow("move into own child is 422")
            << R"({"a":{"b":1}})"
            << R"([{"op":"move","from":"/a","path":"/a/c"}])"
            << "" << 422
            << "move operation does not apply: cannot move \"/a\" into its own child \"/a/c\"";
        QTest::newRow("not an array is 400") << R"({})"
                                             << R"({"op":"add"})"
                                             << "" << 400
                                             << "invalid JSON patch: the patch must be a JSON "
                                                "array of operations";
        QTest::newRow("unknown op is 400")
            << R"({})"
            << R"([{"op":"frobnicate","path":"/a"}])"
            << "" << 400 << "invalid JSON patch: unexpected kind: frobnicate";
        QTest::newRow("missing value is 400") << R"({})"
                                              << R"([{"op":"add","path":"/a"}])"
                                              << "" << 400
                                              << "invalid JSON patch: add operation is missing "
                                                 "\"value\"";
        QTest::newRow("bad pointer is 400")
            << R"({})"
            << R"([{"op":"add","path":"a","value":1}])"
            << "" << 400 << "invalid JSON pointer \"a\": must be empty or start with \"/\"";
    }
    void jsonPatch()
    {
        QFETCH(QString, document);
        QFETCH(QString, patch);
        QFETCH(QString, expected);
        QFETCH(int, errorStatus);
        QFETCH(QString, errorMessage);
        const json original = json::parse(document.toStdString());
        const auto result = api::applyJsonPatch(original, json::parse(patch.toStdString()));
        if (expected.isEmpty()) {
            QVERIFY(!result.ok());
            QCOMPARE(result.error().httpStatus(), errorStatus);
            QCOMPARE(QString::fromStdString(result.error().message()), errorMessage);
        } else {
            QVERIFY2(result.ok(), result.ok() ? "" : result.error().message().c_str());
            QCOMPARE(show(*result), show(json::parse(expected.toStdString())));
        }
        // The input is never modified, also when a later operation fails.
        QCOMPARE(show(original), show(json::parse(document.toStdString())));
    }

    void strategicMergePatch_data()
    {
        QTest::addColumn<QString>("original");
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("expected");

        const char *deployment = R"({"spec":{"replicas":1,"template":{"spec":{"containers":[
                 {"name":"a","image":"nginx:1.25","ports":[{"containerPort":80,"protocol":"TCP"}],
                  "env":[{"name":"X","value":"1"}]},
                 {"name":"b","image":"busybox","args":["sleep","1"]}]}}}})";
        QTest::newRow("set image merges by name (kubectl set image)")
            << deployment
            << R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"}],
                   "containers":[{"image":"nginx:1.26","name":"a"}]}}}})"
            << R"({"spec":{"replicas":1,"template":{"spec":{"containers":[
                 {"name":"a","image":"nginx:1.26","ports":[{"containerPort":80,"protocol":"TCP"}],
                  "env":[{"name":"X","value":"1"}]},
                 {"name":"b","image":"busybox","args":["sleep","1"]}]}}}})";
        QTest::newRow("new container appended, env merged by name")
            << deployment << R"({"spec":{"template":{"spec":{"containers":[
                   {"name":"a","env":[{"name":"Y","value":"2"}]},{"name":"c","image":"redis"}]}}}})"
            << R"({"spec":{"replicas":1,"template":{"spec":{"containers":[
                 {"name":"a","image":"nginx:1.25","ports":[{"containerPort":80,"protocol":"TCP"}],
                  "env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}]},
                 {"name":"b","image":"busybox","args":["sleep","1"]},
                 {"name":"c","image":"redis"}]}}}})";
        QTest::newRow("container ports merge by containerPort")
            << deployment << R"({"spec":{"template":{"spec":{"containers":[
                   {"name":"a","ports":[{"containerPort":80,"name":"http"},{"containerPort":443}]}]}}}})"
            << R"({"spec":{"replicas":1,"template":{"spec":{"containers":[
                 {"name":"a","image":"nginx:1.25","ports":[{"containerPort":80,"protocol":"TCP","name":"http"},{"containerPort":443}],
                  "env":[{"name":"X","value":"1"}]},
                 {"name":"b","image":"busybox","args":["sleep","1"]}]}}}})";
        QTest::newRow("$patch delete removes a container")
            << deployment
            << R"({"spec":{"template":{"spec":{"containers":[{"$patch":"delete","name":"b"}]}}}})"
            << R"({"spec":{"replicas":1,"template":{"spec":{"containers":[
                 {"name":"a","image":"nginx:1.25","ports":[{"containerPort":80,"protocol":"TCP"}],
                  "env":[{"name":"X","value":"1"}]}]}}}})";
        QTest::newRow("untagged list replaced (args)")
            << deployment
            << R"({"spec":{"template":{"spec":{"containers":[{"name":"b","args":["sleep","9"]}]}}}})"
            << R"({"spec":{"replicas":1,"template":{"spec":{"containers":[
                 {"name":"a","image":"nginx:1.25","ports":[{"containerPort":80,"protocol":"TCP"}],
                  "env":[{"name":"X","value":"1"}]},
                 {"name":"b","image":"busybox","args":["sleep","9"]}]}}}})";
        QTest::newRow("$patch replace on a list element replaces the list")
            << deployment
            << R"({"spec":{"template":{"spec":{"containers":[{"$patch":"replace"},{"name":"z","image":"z"}]}}}})"
            << R"({"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"z","image":"z"}]}}}})";
        QTest::newRow("$patch replace on a map")
            << R"({"spec":{"selector":{"matchLabels":{"a":"1","b":"2"}}}})"
            << R"({"spec":{"selector":{"matchLabels":{"$patch":"replace","c":"3"}}}})"
            << R"({"spec":{"selector":{"matchLabels":{"c":"3"}}}})";
        QTest::newRow("$patch delete on a map")
            << R"({"spec":{"strategy":{"type":"Recreate"},"replicas":2}})"
            << R"({"spec":{"strategy":{"$patch":"delete"}}})"
            << R"({"spec":{"replicas":2}})";
        QTest::newRow("null deletes a field (apply)") << R"({"spec":{"replicas":3,"paused":true}})"
                                                      << R"({"spec":{"paused":null}})"
                                                      << R"({"spec":{"replicas":3}})";
        QTest::newRow("$retainKeys clears other strategy keys")
            << R"({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}})"
            << R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}})"
            << R"({"spec":{"strategy":{"type":"Recreate"}}})";
        QTest::newRow("finalizers union and $deleteFromPrimitiveList")
            << R"({"metadata":{"finalizers":["a","b"]}})"
            << R"({"metadata":{"finalizers":["c"],"$deleteFromPrimitiveList/finalizers":["a"]}})"
            << R"({"metadata":{"finalizers":["b","c"]}})";
        QTest::newRow("$setElementOrder reorders")
            << R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})"
            << R"({"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}})"
            << R"({"spec":{"containers":[{"name":"b"},{"name":"a"}]}})";
        QTest::newRow("service ports merge by port")
            << R"({"spec":{"ports":[{"port":80,"targetPort":8080,"protocol":"TCP"}]}})"
            << R"({"spec":{"ports":[{"port":80,"targetPort":9090},{"port":443}]}})"
            << R"({"spec":{"ports":[{"port":80,"targetPort":9090,"protocol":"TCP"},{"port":443}]}})";
        QTest::newRow("volumes and volumeMounts")
            << R"({"spec":{"volumes":[{"name":"v","emptyDir":{}}],"containers":[{"name":"a","volumeMounts":[{"mountPath":"/x","name":"v"}]}]}})"
            << R"({"spec":{"volumes":[{"name":"w","configMap":{"name":"c"}}],"containers":[{"name":"a","volumeMounts":[{"mountPath":"/x","readOnly":true},{"mountPath":"/y","name":"w"}]}]}})"
            << R"({"spec":{"volumes":[{"name":"v","emptyDir":{}},{"name":"w","configMap":{"name":"c"}}],"containers":[{"name":"a","volumeMounts":[{"mountPath":"/x","name":"v","readOnly":true},{"mountPath":"/y","name":"w"}]}]}})";
        QTest::newRow("status conditions merge by type")
            << R"({"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"PodScheduled","status":"True"}]}})"
            << R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})"
            << R"({"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"PodScheduled","status":"True"}]}})";
        QTest::newRow("annotations merge as a map (rollout restart)")
            << R"({"spec":{"template":{"metadata":{"annotations":{"a":"1"}}}}})"
            << R"({"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"now"}}}}})"
            << R"({"spec":{"template":{"metadata":{"annotations":{"a":"1","kubectl.kubernetes.io/restartedAt":"now"}}}}})";
        QTest::newRow("tolerations replaced whole")
            << R"({"spec":{"tolerations":[{"key":"a"},{"key":"b"}]}})"
            << R"({"spec":{"tolerations":[{"key":"c"}]}})"
            << R"({"spec":{"tolerations":[{"key":"c"}]}})";
        QTest::newRow("directives never stored in new values")
            << R"({})"
            << R"({"spec":{"containers":[{"name":"a","$setElementOrder/env":[{"name":"E"}],"env":[{"name":"E","value":"1"}]}]}})"
            << R"({"spec":{"containers":[{"name":"a","env":[{"name":"E","value":"1"}]}]}})";
    }
    void strategicMergePatch()
    {
        QFETCH(QString, original);
        QFETCH(QString, patch);
        QFETCH(QString, expected);
        const auto result = api::applyStrategicMergePatch(json::parse(original.toStdString()),
                                                          json::parse(patch.toStdString()));
        QVERIFY2(result.ok(), result.ok() ? "" : result.error().message().c_str());
        QCOMPARE(show(*result), show(json::parse(expected.toStdString())));
    }

    void strategicMergePatchErrors_data()
    {
        QTest::addColumn<QString>("patch");
        QTest::addColumn<QString>("message");
        QTest::newRow("not an object") << "[1]"
                                       << "the patch must be a JSON object";
        QTest::newRow("unknown $patch") << R"({"spec":{"$patch":"explode"}})"
                                        << "unknown $patch value \"explode\"";
        QTest::newRow("element without merge key")
            << R"({"spec":{"containers":[{"image":"x"}]}})"
            << "an element of containers has no merge key \"name\": {\"image\":\"x\"}";
        QTest::newRow("retainKeys not a list") << R"({"spec":{"$retainKeys":"type"}})"
                                               << "$retainKeys must be a list of field names";
    }
    void strategicMergePatchErrors()
    {
        QFETCH(QString, patch);
        QFETCH(QString, message);
        const auto result = api::applyStrategicMergePatch(
            json::parse(R"({"spec":{"containers":[{"name":"a"}]}})"),
            json::parse(patch.toStdString()));
        QVERIFY(!result.ok());
        QCOMPARE(result.error().code(), Error::Code::BadRequest);
        QCOMPARE(QString::fromStdString(result.error().message()),
                 "invalid strategic merge patch: " + message);
    }
};

QTEST_GUILESS_MAIN(TestRestPatches)
#include "tst_restpatches.moc"
