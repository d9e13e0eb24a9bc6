#include <core/kubeconfig/execauth.h>

#include <core/kubeconfig/credentials.h>
#include <core/kubeconfig/process.h>
#include <core/kubeconfig/support.h>
#include <core/util/base64.h>
#include <core/util/log.h>
#include <core/util/time.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <unistd.h>

namespace kd::core::kubeconfig {

using util::Error;
using util::Result;

namespace {

const util::LogCategory lcExec{"kd.kubeconfig.exec"};

constexpr const char *kV1 = "client.authentication.k8s.io/v1";
constexpr const char *kV1beta1 = "client.authentication.k8s.io/v1beta1";
// The cluster extension whose value goes to the plugin as spec.cluster.config.
constexpr const char *kExecExtension = "client.authentication.k8s.io/exec";

void setEnv(std::vector<std::string> &environment, const std::string &name,
            const std::string &value)
{
    const std::string prefix = name + "=";
    for (auto &entry : environment) {
        if (entry.compare(0, prefix.size(), prefix) == 0) {
            entry = prefix + value;
            return;
        }
    }
    environment.push_back(prefix + value);
}

} // namespace

ExecAuth::ExecAuth(ExecConfig config, Cluster cluster, std::string searchPath,
                   std::chrono::milliseconds timeout)
    : m_config(std::move(config))
    , m_cluster(std::move(cluster))
    , m_searchPath(std::move(searchPath))
    , m_timeout(timeout)
{}

std::string ExecAuth::execInfoJson() const
{
    nlohmann::json spec = {{"interactive", false}};
    if (m_config.provideClusterInfo) {
        nlohmann::json cluster = {{"server", m_cluster.server}};
        if (!m_cluster.tlsServerName.empty())
            cluster["tls-server-name"] = m_cluster.tlsServerName;
        if (m_cluster.insecureSkipTlsVerify)
            cluster["insecure-skip-tls-verify"] = true;
        std::string ca = m_cluster.certificateAuthorityData;
        if (ca.empty() && !m_cluster.certificateAuthority.empty()) {
            if (auto read = support::readFile(m_cluster.certificateAuthority))
                ca = *read;
        }
        if (!ca.empty())
            cluster["certificate-authority-data"] = util::base64::encode(ca);
        if (!m_cluster.proxyUrl.empty())
            cluster["proxy-url"] = m_cluster.proxyUrl;
        if (m_cluster.disableCompression)
            cluster["disable-compression"] = true;
        for (const auto &extension : m_cluster.extensions) {
            if (extension.name == kExecExtension) {
                try {
                    cluster["config"] = nlohmann::json::parse(extension.json);
                } catch (const nlohmann::json::exception &) {}
            }
        }
        spec["cluster"] = std::move(cluster);
    }
    return nlohmann::json{
        {"apiVersion", m_config.apiVersion}, {"kind", "ExecCredential"}, {"spec", std::move(spec)}}
        .dump();
}

Result<std::string> ExecAuth::resolveCommand(const std::string &searchPath) const
{
    const std::string &command = m_config.command;
    if (command.find('/') != std::string::npos) {
        if (::access(command.c_str(), X_OK) == 0)
            return command;
        std::string message = "exec plugin " + command + " is not an executable file";
        if (!m_config.installHint.empty())
            message += "\n" + m_config.installHint;
        return Error(Error::Code::NotFound, message);
    }
    std::string found = findInPath(command, searchPath);
    // getenv is only unsafe against setenv, which Kubedesk never calls.
    const char *ownPath = std::getenv("PATH"); // NOLINT(concurrency-mt-unsafe)
    if (found.empty() && ownPath && searchPath != ownPath)
        found = findInPath(command, ownPath);
    if (!found.empty())
        return found;
    std::string message
        = "exec plugin \"" + command + "\" was not found in PATH (" + searchPath + ")";
    if (ownPath && searchPath != ownPath)
        message += std::string(" or in Kubedesk's own PATH (") + ownPath + ")";
    if (!m_config.installHint.empty())
        message += "\n" + m_config.installHint;
    return Error(Error::Code::NotFound, message);
}

Result<ExecAuth::Credential> ExecAuth::run() const
{
    const std::string what = "exec plugin " + m_config.command + ": ";
    if (m_config.apiVersion != kV1 && m_config.apiVersion != kV1beta1)
        return Error(Error::Code::Invalid, what + "apiVersion \"" + m_config.apiVersion
                                               + "\" is not supported (use " + kV1 + ")");
    if (m_config.apiVersion == kV1 && m_config.interactiveMode.empty())
        return Error(Error::Code::Invalid, what + "interactiveMode must be set for " + kV1);
    if (!m_config.interactiveMode.empty() && m_config.interactiveMode != "Never"
        && m_config.interactiveMode != "IfAvailable" && m_config.interactiveMode != "Always")
        return Error(Error::Code::Invalid,
                     what + "unknown interactiveMode \"" + m_config.interactiveMode + "\"");
    if (m_config.interactiveMode == "Always")
        return Error(Error::Code::Invalid,
                     what
                         + "interactiveMode is Always, but Kubedesk has no terminal to give it; "
                           "log in from a terminal first or set interactiveMode: IfAvailable");

    // Asked here rather than at construction: the login shell is slow and only plugins need it.
    const std::string searchPath = m_searchPath.empty() ? loginShellPath() : m_searchPath;
    auto program = resolveCommand(searchPath);
    if (!program)
        return program.error();

    ProcessSpec spec;
    spec.program = *program;
    spec.args = m_config.args;
    spec.timeout = m_timeout;
    spec.environment = currentEnvironment();
    // Plugins are often scripts that call other tools (aws, gcloud) installed where only the login
    // shell's PATH reaches.
    setEnv(spec.environment, "PATH", searchPath);
    for (const auto &var : m_config.env)
        setEnv(spec.environment, var.name, var.value);
    setEnv(spec.environment, "KUBERNETES_EXEC_INFO", execInfoJson());

    lcExec.debug([&] { return "running " + spec.program; });
    auto ran = runProcess(spec);
    if (!ran)
        return Error(ran.error()).prefix(what);
    const ProcessResult &result = *ran;
    const auto withStderr = [&](std::string message) {
        if (!result.standardError.empty())
            message += "\n" + result.standardError;
        return message;
    };
    if (result.exitCode != 0) {
        const std::string how = result.signal
                                    ? "was killed by signal " + std::to_string(result.signal)
                                    : "exited with code " + std::to_string(result.exitCode);
        return Error(Error::Code::Unauthorized, withStderr(what + how));
    }

    Credential credential;
    try {
        const nlohmann::json out = nlohmann::json::parse(result.standardOutput);
        if (!out.is_object() || out.value("kind", "") != "ExecCredential")
            return Error(Error::Code::Decode, withStderr(what + "output is not an ExecCredential"));
        if (out.value("apiVersion", "") != m_config.apiVersion)
            return Error(Error::Code::Decode,
                         withStderr(what + "output has apiVersion \"" + out.value("apiVersion", "")
                                    + "\", expected \"" + m_config.apiVersion + "\""));
        const auto status = out.find("status");
        if (status == out.end() || !status->is_object())
            return Error(Error::Code::Decode, withStderr(what + "output has no status"));
        credential.token = status->value("token", "");
        const std::string cert = status->value("clientCertificateData", "");
        const std::string key = status->value("clientKeyData", "");
        if (cert.empty() != key.empty())
            return Error(Error::Code::Decode,
                         withStderr(what
                                    + "status has only one of clientCertificateData and "
                                      "clientKeyData"));
        if (!cert.empty()) {
            ClientCertificate certificate{cert, key};
            if (auto verified = verifyClientCertificate(certificate); !verified)
                return Error(verified.error()).prefix(what);
            credential.certificate = std::move(certificate);
        }
        if (credential.token.empty() && !credential.certificate)
            return Error(Error::Code::Decode,
                         withStderr(what + "status has neither a token nor a client certificate"));
        const std::string expiry = status->value("expirationTimestamp", "");
        if (!expiry.empty()) {
            auto parsed = util::parseRfc3339(expiry);
            if (!parsed)
                return Error(parsed.error()).prefix(what + "expirationTimestamp: ");
            credential.expiry = *parsed;
        }
    } catch (const nlohmann::json::exception &e) {
        return Error(Error::Code::Decode,
                     withStderr(what + "cannot parse its output: " + e.what()));
    }
    return credential;
}

Result<void> ExecAuth::ensureFreshLocked()
{
    if (m_cached && (!m_cached->expiry || std::chrono::system_clock::now() < *m_cached->expiry))
        return {};
    m_cached.reset();
    auto credential = run();
    if (!credential)
        return credential.error();
    m_cached = std::move(credential).value();
    return {};
}

Result<std::string> ExecAuth::authorization()
{
    std::lock_guard lock(m_mutex);
    if (auto fresh = ensureFreshLocked(); !fresh)
        return fresh.error();
    return m_cached->token.empty() ? std::string() : "Bearer " + m_cached->token;
}

Result<std::optional<ClientCertificate>> ExecAuth::clientCertificate()
{
    std::lock_guard lock(m_mutex);
    if (auto fresh = ensureFreshLocked(); !fresh)
        return fresh.error();
    return m_cached->certificate;
}

Result<void> ExecAuth::handleUnauthorized(const std::string &rejected)
{
    std::lock_guard lock(m_mutex);
    // Another request may already have fetched a newer token after the same 401.
    if (m_cached && !m_cached->token.empty() && "Bearer " + m_cached->token != rejected)
        return {};
    m_cached.reset();
    return {};
}

} // namespace kd::core::kubeconfig
