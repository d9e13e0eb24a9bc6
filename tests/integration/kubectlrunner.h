#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

// What one kubectl run printed and how it ended (exit code -1 when it crashed or timed out).
struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

// Runs the real versioned kubectl binaries (kubectl.1.27 … kubectl.1.33, installed beside the
// dispatcher `kubectl`) against one kubeconfig, each run with a fresh --cache-dir so that no
// discovery or OpenAPI answer cached by an earlier run hides a bug. Files and caches live in
// `workDir`, which the test owns. Main thread only.
class KubectlRunner final
{
public:
    KubectlRunner(QString workDir, QString kubeconfig);

    static QString path(const QString &version);
    // Empty when every version is installed, else which one is missing.
    static QString missing(const QStringList &versions);

    // --kubeconfig and a fresh --cache-dir: for tests that start kubectl themselves (get -w).
    QStringList baseArgs() const;
    Run run(const QString &version, const QStringList &args, const QByteArray &stdinData = {},
            int timeoutMs = 120000) const;
    // Writes `text` to workDir/name (replacing it) and returns the path; empty on failure.
    QString writeFile(const QString &name, const QString &text) const;

private:
    QString m_workDir;
    QString m_kubeconfig;
};

#define KUBECTL_OK(run) \
    QVERIFY2((run).exitCode == 0, \
             qPrintable("exit " + QString::number((run).exitCode) + "\n" + (run).out + (run).err))
