#pragma once

#include <core/util/result.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace kd::core::transport {

// Everything the transport needs to reach one API server: where, through which proxy, which TLS
// material and how to authenticate. Filled in by whoever knows the source (kubeconfig, the bundled
// cluster's state directory); deliberately free of kubeconfig vocabulary. Plain value type.
struct TlsConfig
{
    // PEM bytes, not file names, so that inline kubeconfig data and files are handled alike.
    std::string caPem;         // empty: the system trust store
    std::string clientCertPem; // client certificate (chain) for mutual TLS; empty: none
    std::string clientKeyPem;  // its private key
    bool insecureSkipVerify = false;
    // The name the server certificate is checked against and sent as SNI, when it differs from
    // the host in the URL (kubeconfig tls-server-name). Implemented by connecting to the URL's host
    // while addressing the request to this name (CURLOPT_CONNECT_TO), with the original Host
    // header kept.
    std::string serverName;
};

// A client certificate (chain) and its private key, PEM, handed out at run time.
struct ClientCertificatePem
{
    std::string certificatePem;
    std::string keyPem;
};

// Authentication hook. The callables are invoked on the transport's I/O thread, so they must be
// thread-safe and quick (cache the credential; do slow refreshes elsewhere or accept that other
// requests of this connection wait meanwhile).
struct AuthHook
{
    // The current value of the Authorization header ("Bearer …", "Basic …"); empty for none.
    std::function<std::string()> authorizationHeader;
    // Called once when a request is answered 401. Returns true when the credentials changed, in
    // which case the request is sent once more with the new header.
    std::function<bool()> onUnauthorized;
    // The client certificate to present, for credentials that produce one at run time (exec
    // plugins); asked before each attempt, ahead of authorizationHeader. A value replaces
    // tls.clientCertPem/clientKeyPem, nullopt keeps them. An Error fails the request unsent, as
    // kubectl fails when a credential plugin does. libcurl matches pooled connections and TLS
    // sessions by the certificate's bytes, so a new certificate gets a new TLS session while
    // transfers already running finish on the connection of the old one.
    std::function<util::Result<std::optional<ClientCertificatePem>>()> clientCertificate;
};

// How transient failures are retried. Follows client-go: a 429 or 5xx answer carrying
// Retry-After is retried for every method after the server's delay; a connection failure is
// retried for GET only, with exponential backoff and jitter. Other outcomes are final.
struct RetryPolicy
{
    int maxRetries = 10;
    std::chrono::milliseconds initialBackoff{200};
    std::chrono::milliseconds maxBackoff{5000};
    // Upper bound for a server's Retry-After, so a misbehaving server cannot park a request.
    std::chrono::seconds maxRetryAfter{60};
};

struct ConnectionConfig
{
    // Scheme, host, port and optional path prefix: "https://10.0.0.1:6443", "https://h/prefix".
    std::string baseUrl;
    TlsConfig tls;
    // "http://proxy:3128", "https://proxy:443", "socks5://proxy:1080"; empty: no proxy.
    std::string proxyUrl;
    std::chrono::milliseconds connectTimeout{10000};
    AuthHook auth;
    RetryPolicy retry;
    std::string userAgent = "kubedesk";
};

} // namespace kd::core::transport
