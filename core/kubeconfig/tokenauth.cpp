#include <core/kubeconfig/tokenauth.h>

#include <core/kubeconfig/support.h>
#include <core/util/base64.h>
#include <core/util/log.h>

#include <cerrno>
#include <cstring>

#include <sys/stat.h>

namespace kd::core::kubeconfig {

using util::Error;
using util::Result;

namespace {

const util::LogCategory lcTokenAuth{"kd.kubeconfig.auth"};

std::string trimmed(const std::string &text)
{
    const char *space = " \t\r\n";
    const size_t begin = text.find_first_not_of(space);
    if (begin == std::string::npos)
        return {};
    return text.substr(begin, text.find_last_not_of(space) - begin + 1);
}

} // namespace

Result<std::optional<ClientCertificate>> AuthProvider::clientCertificate()
{
    return std::optional<ClientCertificate>();
}

StaticTokenAuth::StaticTokenAuth(std::string token)
    : m_token(std::move(token))
{}

Result<std::string> StaticTokenAuth::authorization()
{
    return "Bearer " + m_token;
}

Result<void> StaticTokenAuth::handleUnauthorized(const std::string &)
{
    return Error(Error::Code::Unauthorized, "the server rejected the kubeconfig's token");
}

TokenFileAuth::TokenFileAuth(std::string path)
    : m_path(std::move(path))
{}

Result<std::string> TokenFileAuth::tokenLocked(bool force)
{
    struct stat st
    {};
    if (::stat(m_path.c_str(), &st) != 0) {
        Error error(Error::Code::Io, "tokenFile " + m_path + ": " + support::errnoText(errno));
        if (m_token.empty())
            return error;
        // A rotation in progress can remove the file briefly; the old token may still be valid.
        lcTokenAuth.warning(error.message() + "; using the previous token");
        return m_token;
    }
    const bool changed = st.st_mtim.tv_sec != m_mtime.tv_sec
                         || st.st_mtim.tv_nsec != m_mtime.tv_nsec || st.st_size != m_size;
    if (!force && !changed && !m_token.empty())
        return m_token;
    auto text = support::readFile(m_path);
    if (!text) {
        if (m_token.empty())
            return Error(text.error()).prefix("tokenFile ");
        lcTokenAuth.warning(text.error().message() + "; using the previous token");
        return m_token;
    }
    std::string token = trimmed(*text);
    if (token.empty())
        return Error(Error::Code::Invalid, "tokenFile " + m_path + " is empty");
    m_token = std::move(token);
    m_mtime = st.st_mtim;
    m_size = st.st_size;
    return m_token;
}

Result<std::string> TokenFileAuth::authorization()
{
    std::lock_guard lock(m_mutex);
    auto token = tokenLocked(false);
    if (!token)
        return token.error();
    return "Bearer " + *token;
}

Result<void> TokenFileAuth::handleUnauthorized(const std::string &rejected)
{
    std::lock_guard lock(m_mutex);
    auto token = tokenLocked(true);
    if (!token)
        return token.error();
    if ("Bearer " + *token == rejected)
        return Error(Error::Code::Unauthorized,
                     "the server rejected the token in " + m_path + " and it has not changed");
    return {};
}

BasicAuth::BasicAuth(const std::string &username, const std::string &password)
    : m_header("Basic " + util::base64::encode(username + ":" + password))
{}

Result<std::string> BasicAuth::authorization()
{
    return m_header;
}

Result<void> BasicAuth::handleUnauthorized(const std::string &)
{
    return Error(Error::Code::Unauthorized, "the server rejected the username and password");
}

} // namespace kd::core::kubeconfig
