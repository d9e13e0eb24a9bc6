#include "kubectlrunner.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>

#include <utility>

namespace {
const QString kKubectlDir = QStringLiteral("/usr/lib/google-cloud-sdk/bin");
}

KubectlRunner::KubectlRunner(QString workDir, QString kubeconfig)
    : m_workDir(std::move(workDir))
    , m_kubeconfig(std::move(kubeconfig))
{}

QString KubectlRunner::path(const QString &version)
{
    return kKubectlDir + "/kubectl." + version;
}

QString KubectlRunner::missing(const QStringList &versions)
{
    for (const QString &version : versions) {
        if (!QFile::exists(path(version)))
            return "kubectl." + version + " is not installed (installer/install-deps.sh --test)";
    }
    return {};
}

QStringList KubectlRunner::baseArgs() const
{
    QTemporaryDir cache(m_workDir + "/cache-XXXXXX");
    cache.setAutoRemove(false);
    return {"--kubeconfig", m_kubeconfig, "--cache-dir", cache.path()};
}

Run KubectlRunner::run(const QString &version, const QStringList &args, const QByteArray &stdinData,
                       int timeoutMs) const
{
    QProcess process;
    process.start(path(version), baseArgs() + args);
    if (!process.waitForStarted(10000))
        return {-1, {}, "could not start kubectl." + version};
    if (!stdinData.isEmpty())
        process.write(stdinData);
    process.closeWriteChannel();
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
    }
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

QString KubectlRunner::writeFile(const QString &name, const QString &text) const
{
    const QString filePath = m_workDir + "/" + name;
    QFile file(filePath);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return {};
    file.write(text.toUtf8());
    return filePath;
}
