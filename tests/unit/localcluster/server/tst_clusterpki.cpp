#include <localcluster/pki/clusterpki.h>
#include <localcluster/pki/kubeconfigwriter.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using kd::lc::pki::ClusterPki;

namespace {

struct X509Free
{
    void operator()(X509 *x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr parse(const std::string &pem)
{
    BIO *bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
    X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
    BIO_free(bio);
    return cert;
}

bool covers(X509 *cert, const std::string &host)
{
    if (host.find_first_not_of("0123456789.:abcdef") == std::string::npos)
        return X509_check_ip_asc(cert, host.c_str(), 0) == 1;
    return X509_check_host(cert, host.c_str(), host.size(), 0, nullptr) == 1;
}

bool signedBy(X509 *cert, X509 *ca)
{
    EVP_PKEY *key = X509_get0_pubkey(ca);
    return X509_verify(cert, key) == 1;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestClusterPki : public QObject
{
    Q_OBJECT

private slots:
    void createsCompleteSetWithPrivateKeys()
    {
        QTemporaryDir dir;
        const std::string pkiDir = (dir.path() + "/pki").toStdString();
        auto pki = ClusterPki::loadOrCreate(pkiDir, {});
        QVERIFY2(pki.ok(), pki.ok() ? "" : pki.error().message().c_str());

        for (const char *name : {"ca.key", "apiserver.key", "admin.key", "sa.key"}) {
            const QFileInfo info(dir.path() + "/pki/" + name);
            QVERIFY2(info.exists(), name);
            QCOMPARE(info.permissions() & (QFile::ReadGroup | QFile::ReadOther),
                     QFile::Permissions());
        }
        QCOMPARE(QFileInfo(dir.path() + "/pki").permissions()
                     & (QFile::ReadOther | QFile::ExeOther | QFile::ReadGroup),
                 QFile::Permissions());

        auto ca = parse(pki->caCertificatePem());
        auto serving = parse(pki->servingCertificatePem());
        auto admin = parse(pki->adminCertificatePem());
        QVERIFY(ca && serving && admin);
        QCOMPARE(X509_check_ca(ca.get()), 1);
        QVERIFY(signedBy(serving.get(), ca.get()));
        QVERIFY(signedBy(admin.get(), ca.get()));
        for (const std::string &host : ClusterPki::defaultServingHosts())
            QVERIFY2(covers(serving.get(), host), host.c_str());
        QVERIFY(!covers(serving.get(), "192.0.2.10"));

        // The admin certificate is what makes kubectl "kubedesk-admin" in system:masters.
        char cn[128] = {};
        char org[128] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(admin.get()), NID_commonName, cn,
                                  sizeof cn);
        X509_NAME_get_text_by_NID(X509_get_subject_name(admin.get()), NID_organizationName, org,
                                  sizeof org);
        QCOMPARE(QByteArray(cn), QByteArray("kubedesk-admin"));
        QCOMPARE(QByteArray(org), QByteArray("system:masters"));
        QVERIFY(X509_check_purpose(admin.get(), X509_PURPOSE_SSL_CLIENT, 0) == 1);
        QVERIFY(X509_check_purpose(serving.get(), X509_PURPOSE_SSL_SERVER, 0) == 1);
        QVERIFY(pki->serviceAccountPublicKeyPem().find("BEGIN PUBLIC KEY") != std::string::npos);
    }

    void restartKeepsIdentity()
    {
        QTemporaryDir dir;
        const std::string pkiDir = (dir.path() + "/pki").toStdString();
        auto first = ClusterPki::loadOrCreate(pkiDir, {});
        QVERIFY(first.ok());
        auto second = ClusterPki::loadOrCreate(pkiDir, {});
        QVERIFY(second.ok());
        QCOMPARE(second->caCertificatePem(), first->caCertificatePem());
        QCOMPARE(second->servingCertificatePem(), first->servingCertificatePem());
        QCOMPARE(second->adminKeyPem(), first->adminKeyPem());
        QCOMPARE(second->serviceAccountKeyPem(), first->serviceAccountKeyPem());
    }

    void newListenHostReissuesOnlyServingCertificate()
    {
        QTemporaryDir dir;
        const std::string pkiDir = (dir.path() + "/pki").toStdString();
        auto first = ClusterPki::loadOrCreate(pkiDir, {});
        QVERIFY(first.ok());
        auto second = ClusterPki::loadOrCreate(pkiDir, {"192.0.2.10"});
        QVERIFY(second.ok());
        QCOMPARE(second->caCertificatePem(), first->caCertificatePem());
        QCOMPARE(second->adminCertificatePem(), first->adminCertificatePem());
        QVERIFY(second->servingCertificatePem() != first->servingCertificatePem());
        auto serving = parse(second->servingCertificatePem());
        QVERIFY(covers(serving.get(), "192.0.2.10"));
        QVERIFY(covers(serving.get(), "kubernetes.default.svc"));
    }

    void damagedServingCertificateIsReissued()
    {
        QTemporaryDir dir;
        const std::string pkiDir = (dir.path() + "/pki").toStdString();
        auto first = ClusterPki::loadOrCreate(pkiDir, {});
        QVERIFY(first.ok());
        QFile f(dir.path() + "/pki/apiserver.crt");
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write("not a certificate");
        f.close();
        auto second = ClusterPki::loadOrCreate(pkiDir, {});
        QVERIFY(second.ok());
        auto ca = parse(second->caCertificatePem());
        auto serving = parse(second->servingCertificatePem());
        QVERIFY(serving && signedBy(serving.get(), ca.get()));
    }

    void damagedCaIsAnErrorAndChangesNothing_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("content");
        QTest::newRow("garbage key") << "ca.key" << QByteArray("garbage");
        QTest::newRow("garbage certificate")
            << "ca.crt" << QByteArray("-----BEGIN CERTIFICATE-----\nAAAA\n");
        QTest::newRow("empty key") << "ca.key" << QByteArray();
    }

    void damagedCaIsAnErrorAndChangesNothing()
    {
        QFETCH(QString, file);
        QFETCH(QByteArray, content);
        QTemporaryDir dir;
        const std::string pkiDir = (dir.path() + "/pki").toStdString();
        QVERIFY(ClusterPki::loadOrCreate(pkiDir, {}).ok());
        {
            QFile f(dir.path() + "/pki/" + file);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(content);
        }
        const QByteArray servingBefore = readAll(dir.path() + "/pki/apiserver.crt");
        auto again = ClusterPki::loadOrCreate(pkiDir, {"192.0.2.10"});
        QVERIFY(!again.ok());
        QVERIFY2(again.error().message().find("CA") != std::string::npos,
                 again.error().message().c_str());
        QCOMPARE(readAll(dir.path() + "/pki/" + file), content);
        QCOMPARE(readAll(dir.path() + "/pki/apiserver.crt"), servingBefore);
    }

    void kubeconfigIsPrivateAndComplete()
    {
        QTemporaryDir dir;
        auto pki = ClusterPki::loadOrCreate((dir.path() + "/pki").toStdString(), {});
        QVERIFY(pki.ok());
        const QString path = dir.path() + "/kubeconfig";
        QVERIFY(kd::lc::pki::kubeconfig::write(path.toStdString(), *pki, "https://127.0.0.1:1234")
                    .ok());
        QCOMPARE(QFileInfo(path).permissions()
                     & ~(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadUser | QFile::WriteUser),
                 QFile::Permissions());
        const QByteArray text = readAll(path);
        QVERIFY(text.contains("server: https://127.0.0.1:1234\n"));
        QVERIFY(text.contains("current-context: kubedesk-local\n"));
        QVERIFY(text.contains("certificate-authority-data: "
                              + QByteArray::fromStdString(pki->caCertificatePem()).toBase64()));
        QVERIFY(text.contains("client-key-data: "
                              + QByteArray::fromStdString(pki->adminKeyPem()).toBase64()));
        // No temporary file is left behind.
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{"kubeconfig"});
    }
};

QTEST_GUILESS_MAIN(TestClusterPki)
#include "tst_clusterpki.moc"
