#include "authenticator.h"

namespace kd::lc::server {

core::util::Result<std::optional<UserInfo>>
ClientCertificateAuthenticator::authenticate(const Request &request) const
{
    if (!request.peerCertificate || request.peerCertificate->commonName.empty())
        return std::optional<UserInfo>();
    UserInfo user;
    user.name = request.peerCertificate->commonName;
    user.groups = request.peerCertificate->organizations;
    user.groups.push_back("system:authenticated");
    return std::optional<UserInfo>(std::move(user));
}

} // namespace kd::lc::server
