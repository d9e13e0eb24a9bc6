#include "testcluster.h"

#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/rest/apiserver.h>
#include <localcluster/controllers/controllermanager.h>
#include <localcluster/pki/clusterpki.h>
#include <localcluster/pki/kubeconfigwriter.h>
#include <localcluster/server/authenticator.h>
#include <localcluster/server/server.h>
#include <localcluster/server/serviceaccounttokenauthenticator.h>
#include <localcluster/storage/store.h>

#include <QFile>

namespace lc = kd::lc;

namespace {

bool writeText(const QString &path, const std::string &text)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    file.write(text.data(), static_cast<qint64>(text.size()));
    return true;
}

} // namespace

TestCluster::TestCluster() = default;

TestCluster::~TestCluster()
{
    stop();
}

QString TestCluster::start(const Options &options)
{
    if (!m_dir.isValid())
        return "no temporary directory";
    auto pki = lc::pki::ClusterPki::loadOrCreate((m_dir.path() + "/pki").toStdString(), {});
    if (!pki)
        return QString::fromStdString(pki.error().message());
    if (!writeText(caFile(), pki->caCertificatePem())
        || !writeText(certFile(), pki->adminCertificatePem())
        || !writeText(keyFile(), pki->adminKeyPem()))
        return "cannot write PEM files";

    lc::storage::StoreOptions storeOptions;
    storeOptions.dataDir = (m_dir.path() + "/data").toStdString();
    storeOptions.eventRingCapacity = options.eventRingCapacity;
    auto store = lc::storage::Store::open(storeOptions);
    if (!store)
        return QString::fromStdString(store.error().message());
    m_store = std::move(*store);
    m_catalog = std::make_unique<lc::apiserver::ResourceCatalog>();

    lc::server::ServerOptions serverOptions;
    serverOptions.port = 0;
    serverOptions.certificatePem = pki->servingCertificatePem();
    serverOptions.privateKeyPem = pki->servingKeyPem();
    serverOptions.clientCaPem = pki->caCertificatePem();
    m_server = std::make_unique<lc::server::Server>(serverOptions);
    m_server->addAuthenticator(std::make_shared<lc::server::ClientCertificateAuthenticator>());
    auto tokens
        = lc::server::ServiceAccountTokenAuthenticator::create(pki->serviceAccountPublicKeyPem());
    if (!tokens)
        return QString::fromStdString(tokens.error().message());
    m_server->addAuthenticator(*tokens);

    lc::apiserver::ApiServerOptions apiOptions;
    apiOptions.bookmarkInterval = options.bookmarkInterval;
    apiOptions.serviceAccountKeyPem = pki->serviceAccountKeyPem();
    m_api = std::make_shared<lc::apiserver::ApiServer>(*m_store, *m_catalog, apiOptions);
    if (auto ok = m_api->bootstrap(); !ok)
        return QString::fromStdString(ok.error().message());
    m_server->setHandler(m_api);
    if (auto ok = m_server->start(); !ok)
        return QString::fromStdString(ok.error().message());
    auto written
        = lc::pki::kubeconfig::write(kubeconfig().toStdString(), *pki, baseUrl().toStdString());
    if (!written)
        return QString::fromStdString(written.error().message());
    if (options.controllers) {
        lc::controllers::ControllerManagerOptions controllerOptions;
        controllerOptions.connection.baseUrl = baseUrl().toStdString();
        controllerOptions.connection.tls.caPem = pki->caCertificatePem();
        controllerOptions.connection.tls.clientCertPem = pki->adminCertificatePem();
        controllerOptions.connection.tls.clientKeyPem = pki->adminKeyPem();
        controllerOptions.rootCaPem = pki->caCertificatePem();
        m_controllers = std::make_unique<lc::controllers::ControllerManager>(controllerOptions);
        if (auto started = m_controllers->start(); !started)
            return QString::fromStdString(started.error().message());
    }
    return {};
}

void TestCluster::stop()
{
    // The controllers first, while the server still answers their last calls.
    m_controllers.reset();
    if (m_server)
        m_server->stop();
    m_server.reset();
    m_api.reset();
    m_store.reset();
}

QString TestCluster::baseUrl() const
{
    return "https://127.0.0.1:" + QString::number(m_server ? m_server->port() : 0);
}
