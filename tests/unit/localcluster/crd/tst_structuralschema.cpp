#include <localcluster/apiserver/crd/definitionvalidation.h>
#include <localcluster/apiserver/crd/structuralschema.h>

#include <nlohmann/json.hpp>

#include <QTest>

using namespace kd::lc::apiserver;
using kd::core::util::Error;
using nlohmann::json;

namespace {

// JSON written with single quotes, so that the test tables stay readable without escapes.
json j(const char *text)
{
    std::string s(text);
    for (char &c : s)
        if (c == '\'')
            c = '"';
    return json::parse(s);
}

QStringList printed(const std::vector<Error::Cause> &causes)
{
    QStringList out;
    for (const auto &cause : causes)
        out << QString::fromStdString(cause.field + ": " + cause.message);
    return out;
}

QStringList list(const std::vector<std::string> &items)
{
    QStringList out;
    for (const auto &item : items)
        out << QString::fromStdString(item);
    return out;
}

const char *kSpecSchema = "{'type':'object','properties':{'spec':{'type':'object','properties':{"
                          "'replicas':{'type':'integer','minimum':0,'maximum':10},"
                          "'ratio':{'type':'number','exclusiveMinimum':true,'minimum':0,"
                          "'exclusiveMaximum':true,'maximum':1},"
                          "'name':{'type':'string','minLength':3,'maxLength':5,"
                          "'pattern':'^[a-z]+$'},"
                          "'color':{'type':'string','enum':['red','blue']},"
                          "'tags':{'type':'array','minItems':1,'maxItems':2,'uniqueItems':true,"
                          "'items':{'type':'string'}},"
                          "'labels':{'type':'object','additionalProperties':{'type':'integer'},"
                          "'minProperties':1,'maxProperties':2},"
                          "'when':{'type':'string','format':'date-time'},"
                          "'day':{'type':'string','format':'date'},"
                          "'small':{'type':'integer','format':'int32'},"
                          "'port':{'x-kubernetes-int-or-string':true},"
                          "'note':{'type':'string','nullable':true}},"
                          "'required':['replicas']}}}";

} // namespace

class TestStructuralSchema : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void validate_data();
    void validate();
    void prune_data();
    void prune();
    void defaults_data();
    void defaults();
    void structure_data();
    void structure();
    void definition_data();
    void definition();
    void definitionDefaults();
};

void TestStructuralSchema::validate_data()
{
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("valid") << "{'replicas':3,'name':'abc','color':'red','tags':['a','b'],"
                              "'labels':{'a':1},'when':'2024-01-02T03:04:05Z','day':'2024-02-29',"
                              "'small':5,'port':'http','note':null,'ratio':0.5}"
                           << QStringList();
    QTest::newRow("whole float is an integer") << "{'replicas':3.0}" << QStringList();
    QTest::newRow("type") << "{'replicas':'string'}"
                          << QStringList{"spec.replicas: Invalid value: \"string\": spec.replicas "
                                         "in body must be of type integer: \"string\""};
    QTest::newRow("object where integer") << "{'replicas':{'a':1}}"
                                          << QStringList{"spec.replicas: Invalid value: "
                                                         "\"object\": spec.replicas in body must "
                                                         "be of type integer: \"object\""};
    QTest::newRow("required") << "{}" << QStringList{"spec.replicas: Required value"};
    QTest::newRow("minimum") << "{'replicas':-1}"
                             << QStringList{"spec.replicas: Invalid value: -1: spec.replicas in "
                                            "body should be greater than or equal to 0"};
    QTest::newRow("maximum") << "{'replicas':11}"
                             << QStringList{"spec.replicas: Invalid value: 11: spec.replicas in "
                                            "body should be less than or equal to 10"};
    QTest::newRow("exclusive bounds")
        << "{'replicas':1,'ratio':0}"
        << QStringList{"spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0"};
    QTest::newRow("exclusive maximum")
        << "{'replicas':1,'ratio':1}"
        << QStringList{"spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1"};
    QTest::newRow("minLength and pattern")
        << "{'replicas':1,'name':'A'}"
        << QStringList{"spec.name: Invalid value: \"A\": spec.name in body should be at least 3 "
                       "chars long",
                       "spec.name: Invalid value: \"A\": spec.name in body should match "
                       "'^[a-z]+$'"};
    QTest::newRow("maxLength") << "{'replicas':1,'name':'abcdef'}"
                               << QStringList{"spec.name: Too long: may not be more than 5 bytes"};
    QTest::newRow("enum") << "{'replicas':1,'color':'pink'}"
                          << QStringList{"spec.color: Unsupported value: \"pink\": supported "
                                         "values: \"red\", \"blue\""};
    QTest::newRow("minItems") << "{'replicas':1,'tags':[]}"
                              << QStringList{"spec.tags: Invalid value: 0: spec.tags in body "
                                             "should have at least 1 items"};
    QTest::newRow("maxItems") << "{'replicas':1,'tags':['a','b','c']}"
                              << QStringList{"spec.tags: Too many: 3: must have at most 2 items"};
    QTest::newRow("uniqueItems") << "{'replicas':1,'tags':['a','a']}"
                                 << QStringList{"spec.tags[1]: Duplicate value: \"a\""};
    QTest::newRow("item type") << "{'replicas':1,'tags':['a',2]}"
                               << QStringList{"spec.tags[1]: Invalid value: \"integer\": "
                                              "spec.tags[1] in body must be of type string: "
                                              "\"integer\""};
    QTest::newRow("map value") << "{'replicas':1,'labels':{'a':'x'}}"
                               << QStringList{"spec.labels.a: Invalid value: \"string\": "
                                              "spec.labels.a in body must be of type integer: "
                                              "\"string\""};
    QTest::newRow("minProperties") << "{'replicas':1,'labels':{}}"
                                   << QStringList{"spec.labels: Invalid value: 0: spec.labels in "
                                                  "body should have at least 1 properties"};
    QTest::newRow("maxProperties")
        << "{'replicas':1,'labels':{'a':1,'b':2,'c':3}}"
        << QStringList{"spec.labels: Too many: 3: must have at most 2 items"};
    QTest::newRow("date-time") << "{'replicas':1,'when':'yesterday'}"
                               << QStringList{"spec.when: Invalid value: \"yesterday\": spec.when "
                                              "in body must be of type date-time: \"yesterday\""};
    QTest::newRow("date") << "{'replicas':1,'day':'2024-13-01'}"
                          << QStringList{"spec.day: Invalid value: \"2024-13-01\": spec.day in "
                                         "body must be of type date: \"2024-13-01\""};
    QTest::newRow("int32") << "{'replicas':1,'small':3000000000}"
                           << QStringList{"spec.small: Invalid value: 3000000000: spec.small in "
                                          "body must be of type int32: 3000000000"};
    QTest::newRow("int-or-string") << "{'replicas':1,'port':true}"
                                   << QStringList{"spec.port: Invalid value: \"boolean\": "
                                                  "spec.port in body must be of type "
                                                  "integer,string: \"boolean\""};
    QTest::newRow("null where not nullable")
        << "{'replicas':1,'name':null}"
        << QStringList{"spec.name: Invalid value: \"null\": spec.name in body must be of type "
                       "string: \"null\""};
}

void TestStructuralSchema::validate()
{
    QFETCH(QString, spec);
    QFETCH(QStringList, expected);
    json object = {{"apiVersion", "example.com/v1"},
                   {"kind", "Widget"},
                   {"metadata", {{"name", "w"}, {"anything", "kept"}}}};
    object["spec"] = j(spec.toUtf8().constData());
    QCOMPARE(printed(crd::validate(j(kSpecSchema), object)), expected);
}

void TestStructuralSchema::prune_data()
{
    QTest::addColumn<QString>("schema");
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("output");
    QTest::addColumn<QStringList>("removed");

    QTest::newRow("unknown fields") << "{'type':'object','properties':{'spec':{'type':'object',"
                                       "'properties':{'a':{'type':'string'}}}}}"
                                    << "{'apiVersion':'x/v1','kind':'K','metadata':{'name':'n'},"
                                       "'spec':{'a':'1','foo':2},'bar':true}"
                                    << "{'apiVersion':'x/v1','kind':'K','metadata':{'name':'n'},"
                                       "'spec':{'a':'1'}}"
                                    << QStringList{"bar", "spec.foo"};
    QTest::newRow("preserve unknown fields")
        << "{'type':'object','properties':{'spec':{'type':'object',"
           "'x-kubernetes-preserve-unknown-fields':true,'properties':{'a':{'type':'object',"
           "'properties':{}}}}}}"
        << "{'spec':{'free':{'x':1},'a':{'gone':1}}}"
        << "{'spec':{'free':{'x':1},'a':{}}}" << QStringList{"spec.a.gone"};
    QTest::newRow("array items") << "{'type':'object','properties':{'list':{'type':'array',"
                                    "'items':{'type':'object','properties':{'k':{'type':"
                                    "'string'}}}}}}"
                                 << "{'list':[{'k':'a','x':1},{'y':2}]}"
                                 << "{'list':[{'k':'a'},{}]}"
                                 << QStringList{"list[0].x", "list[1].y"};
    QTest::newRow("map") << "{'type':'object','properties':{'m':{'type':'object',"
                            "'additionalProperties':{'type':'object','properties':{'v':{'type':"
                            "'integer'}}}}}}"
                         << "{'m':{'one':{'v':1,'w':2}}}"
                         << "{'m':{'one':{'v':1}}}" << QStringList{"m.one.w"};
    QTest::newRow("embedded resource")
        << "{'type':'object','properties':{'tpl':{'type':'object',"
           "'x-kubernetes-embedded-resource':true,'properties':{'spec':{'type':'object'}}}}}"
        << "{'tpl':{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{},'z':1}}"
        << "{'tpl':{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':{}}}"
        << QStringList{"tpl.z"};
}

void TestStructuralSchema::prune()
{
    QFETCH(QString, schema);
    QFETCH(QString, input);
    QFETCH(QString, output);
    QFETCH(QStringList, removed);
    json object = j(input.toUtf8().constData());
    const auto gone = crd::prune(j(schema.toUtf8().constData()), object);
    QCOMPARE(QString::fromStdString(object.dump()),
             QString::fromStdString(j(output.toUtf8().constData()).dump()));
    QCOMPARE(list(gone), removed);
}

void TestStructuralSchema::defaults_data()
{
    QTest::addColumn<QString>("schema");
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("output");

    const char *nested = "{'type':'object','properties':{'spec':{'type':'object','default':{},"
                         "'properties':{'replicas':{'type':'integer','default':1},"
                         "'mode':{'type':'string','default':'fast'},"
                         "'note':{'type':'string','nullable':true},"
                         "'gone':{'type':'string'}}}}}";
    QTest::newRow("defaulted object gets its own defaults")
        << nested << "{'metadata':{'name':'n'}}"
        << "{'metadata':{'name':'n'},'spec':{'mode':'fast','replicas':1}}";
    QTest::newRow("set fields are kept") << nested << "{'spec':{'replicas':5}}"
                                         << "{'spec':{'mode':'fast','replicas':5}}";
    QTest::newRow("null takes the default or goes")
        << nested << "{'spec':{'replicas':null,'gone':null,'note':null}}"
        << "{'spec':{'mode':'fast','note':null,'replicas':1}}";
    QTest::newRow("array items") << "{'type':'object','properties':{'ports':{'type':'array',"
                                    "'items':{'type':'object','properties':{'protocol':{'type':"
                                    "'string','default':'TCP'}}}}}}"
                                 << "{'ports':[{},{'protocol':'UDP'}]}"
                                 << "{'ports':[{'protocol':'TCP'},{'protocol':'UDP'}]}";
}

void TestStructuralSchema::defaults()
{
    QFETCH(QString, schema);
    QFETCH(QString, input);
    QFETCH(QString, output);
    json object = j(input.toUtf8().constData());
    crd::applyDefaults(j(schema.toUtf8().constData()), object);
    QCOMPARE(QString::fromStdString(object.dump()),
             QString::fromStdString(j(output.toUtf8().constData()).dump()));
}

void TestStructuralSchema::structure_data()
{
    QTest::addColumn<QString>("schema");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("structural") << "{'type':'object','properties':{'a':{'type':'array','items':"
                                   "{'type':'string'}},'b':{'x-kubernetes-int-or-string':true},"
                                   "'c':{'x-kubernetes-preserve-unknown-fields':true}}}"
                                << QStringList();
    QTest::newRow("root type") << "{'type':'array','items':{'type':'string'}}"
                               << QStringList{"s.type: Invalid value: \"array\": must be object "
                                              "at the root"};
    QTest::newRow("missing types")
        << "{'properties':{'a':{'properties':{}},'l':{'type':'array','items':{}}}}"
        << QStringList{"s.type: Required value: must not be empty at the root",
                       "s.properties[a].type: Required value: must not be empty for specified "
                       "object fields",
                       "s.properties[l].items.type: Required value: must not be empty for "
                       "specified array items"};
    QTest::newRow("array without items") << "{'type':'object','properties':{'l':{'type':'array'}}}"
                                         << QStringList{"s.properties[l].items: Required value: "
                                                        "must be specified"};
    QTest::newRow("properties and additionalProperties")
        << "{'type':'object','properties':{'a':{'type':'string'}},'additionalProperties':{'type':"
           "'string'}}"
        << QStringList{"s.additionalProperties: Forbidden: additionalProperties and properties "
                       "are mutual exclusive"};
    QTest::newRow("preserve false") << "{'type':'object','x-kubernetes-preserve-unknown-fields':"
                                       "false}"
                                    << QStringList{"s.x-kubernetes-preserve-unknown-fields: "
                                                   "Invalid value: false: must be true or "
                                                   "undefined"};
    QTest::newRow("uniqueItems") << "{'type':'object','properties':{'l':{'type':'array',"
                                    "'uniqueItems':true,'items':{'type':'string'}}}}"
                                 << QStringList{"s.properties[l].uniqueItems: Forbidden: "
                                                "uniqueItems cannot be set to true since the "
                                                "runtime complexity becomes quadratic"};
    QTest::newRow("unknown type") << "{'type':'object','properties':{'a':{'type':'str'}}}"
                                  << QStringList{"s.properties[a].type: Unsupported value: "
                                                 "\"str\": supported values: \"array\", "
                                                 "\"boolean\", \"integer\", \"number\", "
                                                 "\"object\", \"string\""};
    QTest::newRow("default against schema")
        << "{'type':'object','properties':{'r':{'type':'integer','minimum':1,'default':0}}}"
        << QStringList{"s.properties[r].default: Invalid value: 0: in body should be greater "
                       "than or equal to 1"};
    QTest::newRow("$ref") << "{'type':'object','properties':{'a':{'$ref':'#/x'}}}"
                          << QStringList{"s.properties[a].type: Required value: must not be "
                                         "empty for specified object fields",
                                         "s.properties[a].$ref: Forbidden: $ref is not "
                                         "supported"};
    QTest::newRow("map list") << "{'type':'object','properties':{'l':{'type':'array',"
                                 "'x-kubernetes-list-type':'map','x-kubernetes-list-map-keys':"
                                 "['name'],'items':{'type':'object','required':['name'],"
                                 "'properties':{'name':{'type':'string'}}}}}}"
                              << QStringList();
    QTest::newRow("list type markers")
        << "{'type':'object','properties':{'a':{'type':'array','x-kubernetes-list-type':'bag',"
           "'items':{'type':'string'}},'b':{'type':'array','x-kubernetes-list-type':'set',"
           "'x-kubernetes-list-map-keys':['k'],'items':{'type':'string'}},"
           "'c':{'type':'object','x-kubernetes-map-type':'loose'}}}"
        << QStringList{"s.properties[a].x-kubernetes-list-type: Unsupported value: \"bag\": "
                       "supported values: \"atomic\", \"set\", \"map\"",
                       "s.properties[b].x-kubernetes-list-type: Invalid value: \"set\": must be "
                       "map if x-kubernetes-list-map-keys is non-empty",
                       "s.properties[c].x-kubernetes-map-type: Unsupported value: \"loose\": "
                       "supported values: \"granular\", \"atomic\""};
    QTest::newRow("map list keys")
        << "{'type':'object','properties':{'l':{'type':'array','x-kubernetes-list-type':'map',"
           "'x-kubernetes-list-map-keys':['name','port','nope','name'],'items':{'type':'object',"
           "'required':['name'],'properties':{'name':{'type':'string'},'port':{'type':"
           "'object'}}}},'m':{'type':'array','x-kubernetes-list-type':'map','items':{'type':"
           "'string'}}}}"
        << QStringList{"s.properties[l].items.properties[port].type: Invalid value: \"object\": "
                       "must be a scalar type if parent array's x-kubernetes-list-type is map",
                       "s.properties[l].items.properties[port].default: Required value: this "
                       "property is in x-kubernetes-list-map-keys, so it must have a default or "
                       "be a required property",
                       "s.properties[l].x-kubernetes-list-map-keys: Invalid value: "
                       "[]string{\"name\", \"port\", \"nope\", \"name\"}: entries must all be "
                       "names of item properties",
                       "s.properties[l].x-kubernetes-list-map-keys: Invalid value: "
                       "[]string{\"name\", \"port\", \"nope\", \"name\"}: must not contain "
                       "duplicate entries",
                       "s.properties[m].x-kubernetes-list-map-keys: Required value: must not be "
                       "empty if x-kubernetes-list-type is map",
                       "s.properties[m].items.type: Invalid value: \"string\": must be object if "
                       "parent array's x-kubernetes-list-type is map"};
}

void TestStructuralSchema::structure()
{
    QFETCH(QString, schema);
    QFETCH(QStringList, expected);
    QCOMPARE(printed(crd::validateStructure(j(schema.toUtf8().constData()), "s")), expected);
}

namespace {

json validDefinition()
{
    return j("{'apiVersion':'apiextensions.k8s.io/v1','kind':'CustomResourceDefinition',"
             "'metadata':{'name':'widgets.example.com'},'spec':{'group':'example.com',"
             "'scope':'Namespaced','names':{'plural':'widgets','singular':'widget','kind':"
             "'Widget','shortNames':['wd']},'versions':[{'name':'v1','served':true,'storage':"
             "true,'schema':{'openAPIV3Schema':{'type':'object','properties':{'spec':{'type':"
             "'object'}}}},'subresources':{'status':{},'scale':{'specReplicasPath':"
             "'.spec.replicas','statusReplicasPath':'.status.replicas'}},"
             "'additionalPrinterColumns':[{'name':'Replicas','type':'integer','jsonPath':"
             "'.spec.replicas'}]}]}}");
}

} // namespace

void TestStructuralSchema::definition_data()
{
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QString>("value"); // JSON; "REMOVE" drops the member
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("valid") << "/spec/scope"
                           << "'Namespaced'" << QStringList();
    QTest::newRow("name") << "/metadata/name"
                          << "'widgets'"
                          << QStringList{"metadata.name: Invalid value: \"widgets\": must be "
                                         "spec.names.plural+\".\"+spec.group"};
    QTest::newRow("no versions")
        << "/spec/versions"
        << "[]"
        << QStringList{"spec.versions: Invalid value: "
                       "[]apiextensions.CustomResourceDefinitionVersion(nil): must have exactly "
                       "one version marked as storage version",
                       "status.storedVersions: Invalid value: []string(nil): must have at least "
                       "one stored version"};
    QTest::newRow("no storage version")
        << "/spec/versions/0/storage"
        << "false"
        << QStringList{"spec.versions: Invalid value: "
                       "[]apiextensions.CustomResourceDefinitionVersion{...}: must have exactly "
                       "one version marked as storage version"};
    QTest::newRow("no schema") << "/spec/versions/0/schema"
                               << "REMOVE"
                               << QStringList{"spec.versions[0].schema.openAPIV3Schema: Required "
                                              "value: schemas are required"};
    QTest::newRow("non-structural schema")
        << "/spec/versions/0/schema/openAPIV3Schema/properties/spec/type"
        << "REMOVE"
        << QStringList{"spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required "
                       "value: must not be empty for specified object fields"};
    QTest::newRow("scope") << "/spec/scope"
                           << "'Global'"
                           << QStringList{"spec.scope: Unsupported value: \"Global\": supported "
                                          "values: \"Cluster\", \"Namespaced\""};
    QTest::newRow("listKind") << "/spec/names/listKind"
                              << "'Widget'"
                              << QStringList{"spec.names.listKind: Invalid value: \"Widget\": "
                                             "kind and listKind may not be the same"};
    QTest::newRow("kind") << "/spec/names/kind"
                          << "REMOVE" << QStringList{"spec.names.kind: Required value"};
    QTest::newRow("column type")
        << "/spec/versions/0/additionalPrinterColumns/0/type"
        << "'int'"
        << QStringList{"spec.versions[0].additionalPrinterColumns[0].type: Unsupported value: "
                       "\"int\": supported values: \"boolean\", \"date\", \"integer\", "
                       "\"number\", \"string\""};
    QTest::newRow("stored version removed")
        << "/status/storedVersions"
        << "['v0','v1']"
        << QStringList{"status.storedVersions[0]: Invalid value: \"v0\": must appear in "
                       "spec.versions"};
    QTest::newRow("conversion strategy")
        << "/spec/conversion"
        << "{'strategy':'Magic'}"
        << QStringList{"spec.conversion.strategy: Unsupported value: \"Magic\": supported "
                       "values: \"None\", \"Webhook\""};
    QTest::newRow("webhook without client")
        << "/spec/conversion"
        << "{'strategy':'Webhook'}"
        << QStringList{"spec.conversion.webhookClientConfig: Required value: required when "
                       "strategy is set to Webhook"};
    QTest::newRow("scale path") << "/spec/versions/0/subresources/scale/specReplicasPath"
                                << "'.status.replicas'"
                                << QStringList{"spec.versions[0].subresources.scale."
                                               "specReplicasPath: Invalid value: "
                                               "\".status.replicas\": should be a json path "
                                               "under .spec"};
}

void TestStructuralSchema::definition()
{
    QFETCH(QString, pointer);
    QFETCH(QString, value);
    QFETCH(QStringList, expected);
    json crd = validDefinition();
    const json::json_pointer at(pointer.toStdString());
    if (value == "REMOVE")
        crd[at.parent_pointer()].erase(at.back());
    else
        crd[at] = j(value.toUtf8().constData());
    QCOMPARE(printed(crd::validateDefinition(crd, nullptr)), expected);
}

void TestStructuralSchema::definitionDefaults()
{
    json crd = validDefinition();
    crd["spec"]["names"].erase("singular");
    crd::applyDefinitionDefaults(crd);
    QCOMPARE(QString::fromStdString(crd["spec"]["names"]["singular"].get<std::string>()),
             QStringLiteral("widget"));
    QCOMPARE(QString::fromStdString(crd["spec"]["names"]["listKind"].get<std::string>()),
             QStringLiteral("WidgetList"));
    QCOMPARE(QString::fromStdString(crd["spec"]["conversion"].dump()),
             QStringLiteral("{\"strategy\":\"None\"}"));

    // Groups Kubernetes owns need the approval annotation; an update may not move the group.
    json protectedCrd = validDefinition();
    protectedCrd["metadata"]["name"] = "widgets.apps.k8s.io";
    protectedCrd["spec"]["group"] = "apps.k8s.io";
    QCOMPARE(printed(crd::validateDefinition(protectedCrd, nullptr)),
             QStringList{"metadata.annotations[api-approved.kubernetes.io]: Required value: "
                         "protected groups must have approval annotation "
                         "\"api-approved.kubernetes.io\", see "
                         "https://github.com/kubernetes/enhancements/pull/1111"});
    const json previous = validDefinition();
    QCOMPARE(printed(crd::validateDefinition(protectedCrd, &previous)).last(),
             QStringLiteral("spec.group: Invalid value: \"apps.k8s.io\": field is immutable"));
}

QTEST_APPLESS_MAIN(TestStructuralSchema)
#include "tst_structuralschema.moc"
