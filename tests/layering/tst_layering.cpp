#include "layeringchecker.h"

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

using kd::tests::checkLayering;
using kd::tests::LayeringViolation;
namespace fs = std::filesystem;

namespace {

void writeFile(const fs::path &path, const std::string &text)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

QString describe(const std::vector<LayeringViolation> &violations)
{
    QString text;
    for (const auto &v : violations)
        text += QStringLiteral("%1:%2: #include %3 — %4\n")
                    .arg(QString::fromStdString(v.file))
                    .arg(v.line)
                    .arg(QString::fromStdString(v.include), QString::fromStdString(v.rule));
    return text;
}

} // namespace

class TestLayering final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void theProjectKeepsItsDependencyRules()
    {
        const auto violations = checkLayering(KD_SOURCE_DIR);
        QVERIFY2(violations.empty(), qPrintable(describe(violations)));
    }

    // The checker itself must catch each kind of violation, or the test above proves nothing.
    void checkerFindsEachKindOfViolation_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("rule");

        QTest::newRow("qt in core") << "core/util/bad.cpp"
                                    << "#include <QString>\n"
                                    << "core/ and localcluster/ must not use Qt";
        QTest::newRow("qt module path in localcluster")
            << "localcluster/server/bad.cpp"
            << "#  include <QtCore/QObject>\n"
            << "core/ and localcluster/ must not use Qt";
        QTest::newRow("core uses localcluster") << "core/api/bad.cpp"
                                                << "#include <localcluster/version.h>\n"
                                                << "core/ depends on no other module";
        QTest::newRow("ui uses localcluster internals")
            << "ui/views/bad.cpp"
            << "#include <localcluster/storage/store.h>\n"
            << "ui/ must not include localcluster/ (it only launches kubedesk-cluster)";
        QTest::newRow("anything includes app") << "ui/views/bad.cpp"
                                               << "#include \"../../app/unixsignalwatcher.h\"\n"
                                               << "nothing may include app/";
        QTest::newRow("controller touches storage")
            << "localcluster/controllers/bad.cpp"
            << "#include <localcluster/storage/store.h>\n"
            << "only localcluster/apiserver/ may use localcluster/storage/";
        QTest::newRow("localcluster uses ui") << "localcluster/bad.cpp"
                                              << "#include <ui/views/mainwindow.h>\n"
                                              << "localcluster/ must not depend on ui/";
    }

    void checkerFindsEachKindOfViolation()
    {
        QFETCH(QString, file);
        QFETCH(QString, text);
        QFETCH(QString, rule);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const fs::path root = dir.path().toStdString();
        writeFile(root / "app/unixsignalwatcher.h", "#pragma once\n");
        writeFile(root / "localcluster/storage/store.h", "#pragma once\n");
        writeFile(root / "localcluster/version.h", "#pragma once\n");
        writeFile(root / "ui/views/mainwindow.h", "#pragma once\n");
        writeFile(root / file.toStdString(), "// header\n" + text.toStdString());

        const auto violations = checkLayering(root);
        QVERIFY2(violations.size() == 1, qPrintable(describe(violations)));
        QCOMPARE(QString::fromStdString(violations[0].file), file);
        QCOMPARE(violations[0].line, 2);
        QCOMPARE(QString::fromStdString(violations[0].rule), rule);
    }

    void allowedIncludesPass()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const fs::path root = dir.path().toStdString();
        writeFile(root / "core/util/result.h", "#pragma once\n");
        writeFile(root / "localcluster/storage/store.h", "#include <core/util/result.h>\n");
        writeFile(root / "localcluster/apiserver/rest.cpp",
                  "#include <localcluster/storage/store.h>\n#include <nlohmann/json.hpp>\n");
        writeFile(root / "ui/views/w.cpp", "#include <QWidget>\n#include <core/util/result.h>\n");
        writeFile(root / "app/main.cpp", "#include <ui/views/w.h>\n#include <QApplication>\n");
        const auto violations = checkLayering(root);
        QVERIFY2(violations.empty(), qPrintable(describe(violations)));
    }
};

QTEST_GUILESS_MAIN(TestLayering)
#include "tst_layering.moc"
