#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace kd::lc::apiserver {

// Signs a service-account token: a JWT (ES256) over `claims` with the cluster's service-account
// private key (PEM, ECDSA P-256), whose header names the key (kid = base64url SHA-256 of the
// public key's DER form, as upstream). The server's ServiceAccountTokenAuthenticator verifies
// these. Pure function; any thread; never throws.
core::util::Result<std::string> signServiceAccountToken(const std::string &privateKeyPem,
                                                        const nlohmann::json &claims);

} // namespace kd::lc::apiserver
