#include <core/api/yaml.h>

#include <nlohmann/json.hpp>

#include <QFile>
#include <QTest>

#include <limits>

using kd::core::api::parseJsonOrYaml;
using kd::core::api::parseYamlDocuments;
using kd::core::api::toYaml;
using kd::core::api::toYamlDocuments;
using kd::core::util::Error;

namespace {

// Expected JSON written with single quotes for readability: {'a': 1}.
nlohmann::json j(const char *text)
{
    std::string s(text);
    for (char &c : s) {
        if (c == '\'')
            c = '"';
    }
    return nlohmann::json::parse(s);
}

nlohmann::json parseOne(const std::string &yaml)
{
    const auto documents = parseYamlDocuments(yaml);
    if (!documents.ok())
        qFatal("unexpected YAML error: %s", documents.error().message().c_str());
    if (documents->size() != 1)
        qFatal("expected one document, got %zu", documents->size());
    return documents->front();
}

QString show(const nlohmann::json &value)
{
    return QString::fromStdString(value.dump());
}

} // namespace

class tst_Yaml : public QObject
{
    Q_OBJECT

private slots:
    void parse_data()
    {
        QTest::addColumn<QString>("yaml");
        QTest::addColumn<QString>("json");
        QTest::newRow("plain scalars") << "a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf:\ng: hello\n"
                                       << "{'a':1,'b':1.5,'c':true,'d':null,'e':null,'f':null,"
                                          "'g':'hello'}";
        // Commas starting a line inside block scalars, flow collections and continued plain
        // scalars are content, not the stray flow entries refused before yaml-cpp sees them.
        QTest::newRow("commas as content") << "a: |\n  ,x\nb: [1\n  ,2]\nc: d\n  ,e\n"
                                           << "{'a':',x\\n','b':[1,2],'c':'d ,e'}";
        // go-yaml v2 resolves YAML 1.1 booleans in plain scalars: the "Norway problem".
        QTest::newRow("yaml 1.1 booleans")
            << "a: yes\nb: no\nc: on\nd: off\ne: y\nf: N\ng: Yes\nh: OFF\ni: True\n"
            << "{'a':true,'b':false,'c':true,'d':false,'e':true,'f':false,'g':true,'h':false,"
               "'i':true}";
        QTest::newRow("quoted stays string")
            << "a: '1'\nb: \"0x10\"\nc: 'yes'\nd: \"true\"\ne: 'null'\nf: ''\ng: \"1.5\"\n"
            << "{'a':'1','b':'0x10','c':'yes','d':'true','e':'null','f':'','g':'1.5'}";
        QTest::newRow("explicit tags") << "a: !!str 123\nb: !!int 42\nc: !!float 1\nd: !custom 7\n"
                                       << "{'a':'123','b':42,'c':1,'d':'7'}";
        QTest::newRow("integers")
            << "a: 0x10\nb: 010\nc: 0o17\nd: 0b101\ne: 1_000\nf: +5\ng: -0x10\nh: 0\n"
               "i: 9223372036854775807\nj: -9223372036854775808\n"
            << "{'a':16,'b':8,'c':15,'d':5,'e':1000,'f':5,'g':-16,'h':0,"
               "'i':9223372036854775807,'j':-9223372036854775808}";
        QTest::newRow("floats") << "a: .5\nb: 1e3\nc: 1.0\nd: 08\ne: -1.25\nf: 0.\ng: +.5\n"
                                << "{'a':0.5,'b':1000,'c':1,'d':8,'e':-1.25,'f':0,'g':0.5}";
        QTest::newRow("beyond int64") << "a: 9223372036854775808\nb: 18446744073709551616\n"
                                      << "{'a':9223372036854775808,'b':1.8446744073709552e19}";
        QTest::newRow("not numbers") << "a: 1e400\nb: 1.2.3\nc: 1:20\nd: 2001-12-14\ne: 0x\nf: -x\n"
                                        "g: 12e\nh: .\n"
                                     << "{'a':'1e400','b':'1.2.3','c':'1:20','d':'2001-12-14',"
                                        "'e':'0x','f':'-x','g':'12e','h':'.'}";
        QTest::newRow("block scalars")
            << "a: |\n  line1\n  line2\nb: >\n  folded\n  text\n\n  para\nc: |-\n  x\n"
               "d: |+\n  y\n\ne: >-\n  z\n"
            << "{'a':'line1\\nline2\\n','b':'folded text\\npara\\n','c':'x','d':'y\\n\\n',"
               "'e':'z'}";
        QTest::newRow("anchors and merge")
            << "base: &b\n  p: 1\n  q: 2\nother:\n  <<: *b\n  q: 3\nlist: &l [1, 2]\ncopy: *l\n"
            << "{'base':{'p':1,'q':2},'other':{'p':1,'q':3},'list':[1,2],'copy':[1,2]}";
        // Keys resolve like values: an unquoted y is the boolean true.
        QTest::newRow("y as a key") << "y: 1\nx: 2\n"
                                    << "{'true':1,'x':2}";
        QTest::newRow("merge list, first wins")
            << "a: &a {x: 1}\nb: &b {x: 2, z: 3}\nc:\n  <<: [*a, *b]\n  w: 4\n"
            << "{'a':{'x':1},'b':{'x':2,'z':3},'c':{'x':1,'z':3,'w':4}}";
        QTest::newRow("quoted << is a key") << "'<<': 1\n"
                                            << "{'<<':1}";
        QTest::newRow("flow style") << "{a: [1, 'two', {b: c}], d: e, f: []}"
                                    << "{'a':[1,'two',{'b':'c'}],'d':'e','f':[]}";
        QTest::newRow("non-string keys") << "1: a\nfalse: b\n1.5: c\n0x10: d\n1e6: e\n0.1: f\n"
                                         << "{'1':'a','false':'b','1.5':'c','16':'d',"
                                            "'1e+06':'e','0.1':'f'}";
        QTest::newRow("unicode")
            << "name: h\xc3\xa9llo \xe2\x9c\x93\nemoji: \"\\U0001F600\"\n"
            << "{'name':'h\xc3\xa9llo \xe2\x9c\x93','emoji':'\xf0\x9f\x98\x80'}";
        QTest::newRow("tab inside value") << "a: \"x\\ty\"\nb: x\ty\n"
                                          << "{'a':'x\\ty','b':'x\\ty'}";
        QTest::newRow("top-level sequence") << "- a\n- - b\n  - c\n- d: e\n  f: g\n"
                                            << "['a',['b','c'],{'d':'e','f':'g'}]";
        QTest::newRow("crlf line ends") << "a: 1\r\nb: |\r\n  x\r\n  y\r\n"
                                        << "{'a':1,'b':'x\\ny\\n'}";
        QTest::newRow("byte order mark") << "\xEF\xBB\xBF"
                                            "a: 1\n"
                                         << "{'a':1}";
        QTest::newRow("binary") << "a: !!binary |\n  aGVs\n  bG8=\n"
                                << "{'a':'hello'}";
        QTest::newRow("comments") << "# head\na: 1 # trailing\n# tail\n"
                                  << "{'a':1}";
    }

    void parse()
    {
        QFETCH(QString, yaml);
        QFETCH(QString, json);
        const nlohmann::json expected = j(json.toUtf8().constData());
        const auto documents = parseYamlDocuments(yaml.toStdString());
        QVERIFY2(documents.ok(), documents.ok() ? "" : documents.error().message().c_str());
        QCOMPARE(documents->size(), size_t(1));
        QCOMPARE(show(documents->front()), show(expected));
    }

    void documents()
    {
        const std::string stream
            = "%YAML 1.1\n---\na: 1\n---\n---\n# only a comment\n---\nb: 2\n...\n"
              "---\n- x\n";
        const auto documents = parseYamlDocuments(stream);
        QVERIFY2(documents.ok(), documents.ok() ? "" : documents.error().message().c_str());
        QCOMPARE(documents->size(), size_t(3));
        QCOMPARE(show((*documents)[0]), show(j("{'a':1}")));
        QCOMPARE(show((*documents)[1]), show(j("{'b':2}")));
        QCOMPARE(show((*documents)[2]), show(j("['x']")));

        const auto empty = parseYamlDocuments("");
        QVERIFY(empty.ok());
        QVERIFY(empty->empty());
        const auto onlySeparators = parseYamlDocuments("---\n---\n");
        QVERIFY(onlySeparators.ok());
        QVERIFY(onlySeparators->empty());
    }

    void errors_data()
    {
        QTest::addColumn<QString>("yaml");
        QTest::addColumn<QString>("where");
        QTest::addColumn<QString>("what");
        QTest::newRow("duplicate key") << "a: 1\nb: 2\na: 3\n"
                                       << "document 1, line 3, column 1"
                                       << "key \"a\" already set in map";
        QTest::newRow("duplicate after resolution") << "yes: 1\ntrue: 2\n"
                                                    << "document 1, line 2, column 1"
                                                    << "key \"true\" already set in map";
        QTest::newRow("nested duplicate") << "a:\n  b: 1\n  b: 2\n"
                                          << "document 1, line 3, column 3"
                                          << "already set";
        QTest::newRow("second document") << "a: 1\n---\nb: 1\nb: 2\n"
                                         << "document 2, line 4, column 1"
                                         << "already set";
        QTest::newRow("after empty document") << "---\n---\nx: [1\n"
                                              << "document 2, line 4, column 1"
                                              << "end of sequence flow not found";
        QTest::newRow("unclosed flow") << "a: 1\nb: [1, 2\n"
                                       << "document 1, line 3, column 1"
                                       << "end of sequence flow not found";
        QTest::newRow("bad indentation") << "a:\n  b: 1\n c: 2\n"
                                         << "document 1, line 3, column 2"
                                         << "end of map not found";
        QTest::newRow("mapping in plain value") << "a: b: c\n"
                                                << "document 1, line 1, column 5"
                                                << "illegal map value";
        QTest::newRow("tab indentation") << "a:\n\tb: 1\n"
                                         << "document 1, line 2, column 3"
                                         << "";
        QTest::newRow("infinity") << "a: .inf\n"
                                  << "document 1, line 1, column 4"
                                  << "not representable in JSON";
        QTest::newRow("nan") << "- .nan\n"
                             << "document 1, line 1, column 3"
                             << "not representable in JSON";
        QTest::newRow("null key") << "~: 1\n"
                                  << "document 1, line 1, column 1"
                                  << "unsupported map key";
        QTest::newRow("map key") << "? {a: 1}\n: 1\n"
                                 << "document 1, line 1, column 3"
                                 << "unsupported map key";
        QTest::newRow("bad merge") << "a:\n  <<: 5\n"
                                   << "document 1, line 2, column 7"
                                   << "map merge requires";
        QTest::newRow("bad int tag") << "a: !!int abc\n"
                                     << "document 1, line 1, column 4"
                                     << "cannot decode `abc` as a !!int";
        QTest::newRow("bad binary") << "a: !!binary '*'\n"
                                    << "document 1, line 1, column 4"
                                    << "invalid base64";
        QTest::newRow("unknown alias") << "a: *nope\n"
                                       << "document 1, line 1, column 4"
                                       << "the referenced anchor is not defined";
        QTest::newRow("self-referencing anchor") << "a: &a\n  b: *a\n"
                                                 << "document 1, line 1, column 4"
                                                 << "anchor refers to itself";
        // yaml-cpp 0.7 loops forever on these (found by tests/fuzz); they must fail instead.
        QTest::newRow("comma starts document") << ","
                                               << "document 1, line 1, column 1"
                                               << "did not find expected node content";
        QTest::newRow("comma after separator") << "a: 1\n--- ,x\n"
                                               << "document 2, line 2, column 5"
                                               << "did not find expected node content";
        QTest::newRow("comma after root sequence") << "  - a\n  ,\n"
                                                   << "document 1, line 2, column 3"
                                                   << "did not find expected node content";
        QTest::newRow("comma after comment") << "# c\n\t,1\n"
                                             << "document 1, line 2, column 2"
                                             << "did not find expected node content";
    }

    void errors()
    {
        QFETCH(QString, yaml);
        QFETCH(QString, where);
        QFETCH(QString, what);
        const auto documents = parseYamlDocuments(yaml.toStdString());
        QVERIFY(!documents.ok());
        QCOMPARE(documents.error().code(), Error::Code::Decode);
        const QString message = QString::fromStdString(documents.error().message());
        QVERIFY2(message.contains(where), qPrintable(message));
        QVERIFY2(message.contains(what), qPrintable(message));
    }

    void hostileDocuments()
    {
        // Billion laughs: nine levels of ten aliases each.
        std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
        for (char level = 'b'; level <= 'j'; ++level) {
            const char previous = char(level - 1);
            laughs += std::string(1, level) + ": &" + level + " [";
            for (int i = 0; i < 10; ++i)
                laughs += std::string(i ? ", *" : "*") + previous;
            laughs += "]\n";
        }
        auto result = parseYamlDocuments(laughs);
        QVERIFY(!result.ok());
        QVERIFY2(result.error().message().find("excessive aliasing") != std::string::npos,
                 result.error().message().c_str());

        // Deep nesting within limits parses, beyond them fails cleanly.
        const int shallow = 200;
        result = parseYamlDocuments(std::string(shallow, '[') + std::string(shallow, ']'));
        QVERIFY(result.ok());
        const int deep = 100000;
        result = parseYamlDocuments(std::string(deep, '[') + std::string(deep, ']'));
        QVERIFY(!result.ok());
        QCOMPARE(result.error().code(), Error::Code::Decode);

        // A very long string survives.
        const std::string longValue(200000, 'x');
        QCOMPARE(parseOne("a: " + longValue + "\n")["a"].get<std::string>(), longValue);

        // The input with which the fuzzer made yaml-cpp loop forever now fails at once.
        QFile hang(QStringLiteral(KD_SOURCE_DIR "/tests/fuzz/known/yaml-cpp-loadall-hang"));
        QVERIFY(hang.open(QIODevice::ReadOnly));
        // Its first two bytes chose the decoder in an earlier version of the fuzz target.
        const QByteArray bytes = hang.readAll().mid(2);
        result = parseYamlDocuments(std::string_view(bytes.constData(), bytes.size()));
        QVERIFY(!result.ok());
        QCOMPARE(result.error().code(), Error::Code::Decode);
    }

    void jsonOrYaml()
    {
        auto value = parseJsonOrYaml("{\"a\": 1.0, \"b\": 12345678901234567890}");
        QVERIFY(value.ok());
        QVERIFY((*value)["a"].is_number_float()); // JSON keeps its number types
        QCOMPARE((*value)["b"].get<std::uint64_t>(), std::uint64_t(12345678901234567890ULL));
        value = parseJsonOrYaml("a: 1\n");
        QVERIFY(value.ok());
        QCOMPARE(show(*value), show(j("{'a':1}")));
        value = parseJsonOrYaml("{a: 1}"); // not JSON, but YAML flow
        QVERIFY(value.ok());
        QCOMPARE(show(*value), show(j("{'a':1}")));
        value = parseJsonOrYaml("");
        QVERIFY(value.ok());
        QVERIFY(value->is_null());
        value = parseJsonOrYaml("a: 1\n---\nb: 2\n");
        QVERIFY(!value.ok());
        QCOMPARE(value.error().code(), Error::Code::Decode);
        value = parseJsonOrYaml("{\"a\": [1, 2}");
        QVERIFY(!value.ok());
        QCOMPARE(value.error().code(), Error::Code::Decode);
    }

    void kubectlStyle()
    {
        const nlohmann::json pod
            = j("{'apiVersion':'v1','kind':'Pod','metadata':{'labels':{'app':'web'},'name':'web',"
                "'annotations':{}},'spec':{'containers':[{'args':['--port','8080'],"
                "'image':'nginx:1.25','name':'web','ports':[{'containerPort':80}],"
                "'env':[{'name':'ENABLED','value':'yes'}]}],'volumes':[]}}");
        const std::string expected = "apiVersion: v1\n"
                                     "kind: Pod\n"
                                     "metadata:\n"
                                     "  annotations: {}\n"
                                     "  labels:\n"
                                     "    app: web\n"
                                     "  name: web\n"
                                     "spec:\n"
                                     "  containers:\n"
                                     "  - args:\n"
                                     "    - --port\n"
                                     "    - \"8080\"\n"
                                     "    env:\n"
                                     "    - name: ENABLED\n"
                                     "      value: \"yes\"\n"
                                     "    image: nginx:1.25\n"
                                     "    name: web\n"
                                     "    ports:\n"
                                     "    - containerPort: 80\n"
                                     "  volumes: []\n";
        QCOMPARE(QString::fromStdString(toYaml(pod)), QString::fromStdString(expected));

        QCOMPARE(toYaml(j("{'script':'echo hi\\nexit 0\\n'}")),
                 std::string("script: |\n  echo hi\n  exit 0\n"));
        QCOMPARE(toYaml(j("['a\\nb']")), std::string("- |-\n  a\n  b\n"));
        QCOMPARE(toYaml(j("[['a','b'],[]]")), std::string("- - a\n  - b\n- []\n"));
        QCOMPARE(toYamlDocuments({j("{'a':1}"), j("'x'")}), std::string("a: 1\n---\nx\n"));
    }

    void roundTrip()
    {
        std::vector<std::string> strings = {
            "",
            " ",
            "  lead",
            "trail ",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "~",
            "null",
            "NULL",
            "1",
            "-1",
            "+1",
            "0x10",
            "010",
            "1e3",
            "08",
            ".5",
            "1_000",
            ".inf",
            "-.inf",
            ".nan",
            "-",
            "--port",
            "- a",
            "-a b",
            "a: b",
            "a:b",
            "a:",
            ":",
            ":a",
            "?",
            "? a",
            "a #b",
            "a#b",
            "#c",
            "&a",
            "*a",
            "!tag",
            "|",
            ">",
            "'",
            "\"",
            "%x",
            "@x",
            "`x",
            "{a}",
            "[a]",
            "a,b",
            "a, b",
            "multi\nline",
            "multi\nline\n",
            "multi\n\nline\n\n\n",
            "\n",
            "\n\n",
            "\nlead",
            " lead\nx",
            "x\n lead",
            "tab\there",
            "\ttab",
            "cr\r\n",
            "ctrl\x01",
            "del\x7f",
            std::string("nul\0x", 5),
            "bom\xEF\xBB\xBF",
            "ls\xE2\x80\xA8x",
            "nel\xC2\x85x",
            "unicode \xE2\x9C\x93 h\xC3\xA9llo",
            "<<",
            "<<x",
            "---",
            "...",
            "--- a",
            "a\n---\nb",
            "trailing\n  ",
            "x\n\ty",
            "2001-12-14",
            "2001-12-14T21:59:43.10-05:00",
            "1:20",
            "0.",
            "+.5",
            "1.2.3",
            "true ",
            " true",
            "=",
            "<",
            "$x",
            "a\\b",
            "C:\\path",
        };
        strings.push_back(std::string(70000, 'z'));
        strings.push_back(std::string(3000, '\n') + "x");

        nlohmann::json object = nlohmann::json::object();
        nlohmann::json array = nlohmann::json::array();
        int i = 0;
        for (const std::string &s : strings) {
            object["k" + std::to_string(i++)] = s;
            object[s] = s; // as a key too
            array.push_back(s);
            array.push_back(nlohmann::json::array({s}));
            array.push_back(nlohmann::json{{"v", s}});
        }
        object["numbers"] = nlohmann::json::array({0, -1, std::numeric_limits<std::int64_t>::max(),
                                                   std::numeric_limits<std::int64_t>::min(),
                                                   std::numeric_limits<std::uint64_t>::max(), 1.5,
                                                   -0.25, 1e300, 1e-300, 123456789.125, 0.1, 1e21});
        object["flags"] = nlohmann::json::array({true, false, nullptr});
        object["empty"] = nlohmann::json::object(
            {{"o", nlohmann::json::object()}, {"a", nlohmann::json::array()}});
        object["array"] = array;
        nlohmann::json deep = "bottom";
        for (int level = 0; level < 100; ++level)
            deep = level % 2 ? nlohmann::json{{"d", deep}} : nlohmann::json::array({deep, level});
        object["deep"] = deep;

        for (const nlohmann::json &value :
             {object, array, nlohmann::json("multi\nline"), nlohmann::json(""),
              nlohmann::json(nullptr), nlohmann::json(42)}) {
            const std::string yaml = toYaml(value);
            const auto parsed = parseYamlDocuments(yaml);
            QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.error().message().c_str());
            const nlohmann::json back = parsed->empty() ? nlohmann::json(nullptr) : parsed->front();
            if (back != value) {
                // Report the first differing member to make a failure readable.
                if (value.is_object()) {
                    for (const auto &[key, member] : value.items()) {
                        if (!back.contains(key) || back[key] != member)
                            qWarning("differs at %s: %s", key.substr(0, 40).c_str(),
                                     member.dump().substr(0, 200).c_str());
                    }
                }
                QFAIL("round trip changed the value");
            }
        }
    }
};

QTEST_APPLESS_MAIN(tst_Yaml)
#include "tst_yaml.moc"
