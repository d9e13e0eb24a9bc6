#pragma once

#include <core/kubeconfig/authprovider.h>

#include <ctime>
#include <mutex>
#include <string>

namespace kd::core::kubeconfig {

// users[].user.token: a fixed bearer token. A 401 cannot be cured by asking again.
// Immutable after construction; any thread.
class StaticTokenAuth final : public AuthProvider
{
public:
    explicit StaticTokenAuth(std::string token);
    util::Result<std::string> authorization() override;
    util::Result<void> handleUnauthorized(const std::string &rejected) override;

private:
    const std::string m_token;
};

// users[].user.tokenFile: a bearer token read from a file that something else rotates (projected
// service account tokens, cloud CLIs). The file is re-read whenever its mtime or size changes
// and after every 401. Thread-safe.
class TokenFileAuth final : public AuthProvider
{
public:
    explicit TokenFileAuth(std::string path);
    util::Result<std::string> authorization() override;
    util::Result<void> handleUnauthorized(const std::string &rejected) override;

private:
    util::Result<std::string> tokenLocked(bool force);

    const std::string m_path;
    std::mutex m_mutex;
    std::string m_token;
    timespec m_mtime{};
    long long m_size = -1;
};

// users[].user.username/password. Removed from kube-apiserver in 1.19 but still honoured by
// proxies and some distributions, so we send it when configured. Immutable; any thread.
class BasicAuth final : public AuthProvider
{
public:
    BasicAuth(const std::string &username, const std::string &password);
    util::Result<std::string> authorization() override;
    util::Result<void> handleUnauthorized(const std::string &rejected) override;

private:
    const std::string m_header;
};

} // namespace kd::core::kubeconfig
