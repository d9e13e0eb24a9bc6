#include <core/util/uuid.h>

#include <QTest>

#include <set>

namespace uuid = kd::core::util::uuid;

class tst_Uuid : public QObject
{
    Q_OBJECT

private slots:
    void createdUuidsAreCanonicalVersion4()
    {
        std::set<std::string> seen;
        for (int i = 0; i < 1000; ++i) {
            const std::string id = uuid::createV4();
            QCOMPARE(id.size(), size_t(36));
            QVERIFY(uuid::isValid(id));
            QCOMPARE(id[14], '4');
            QVERIFY(std::string("89ab").find(id[19]) != std::string::npos);
            for (char c : id)
                QVERIFY((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-');
            QVERIFY(seen.insert(id).second);
        }
    }

    void isValid_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::newRow("v4") << "f47ac10b-58cc-4372-a567-0e02b2c3d479" << true;
        QTest::newRow("upper") << "F47AC10B-58CC-4372-A567-0E02B2C3D479" << true;
        QTest::newRow("v1") << "6ba7b810-9dad-11d1-80b4-00c04fd430c8" << true;
        QTest::newRow("empty") << "" << false;
        QTest::newRow("no hyphens") << "f47ac10b58cc4372a5670e02b2c3d479" << false;
        QTest::newRow("braces") << "{f47ac10b-58cc-4372-a567-0e02b2c3d479}" << false;
        QTest::newRow("non-hex") << "g47ac10b-58cc-4372-a567-0e02b2c3d479" << false;
        QTest::newRow("hyphen moved") << "f47ac10-b58cc-4372-a567-0e02b2c3d479" << false;
        QTest::newRow("too long") << "f47ac10b-58cc-4372-a567-0e02b2c3d4790" << false;
    }

    void isValid()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QCOMPARE(uuid::isValid(text.toStdString()), valid);
    }
};

QTEST_APPLESS_MAIN(tst_Uuid)
#include "tst_uuid.moc"
