#pragma once

// Private to core: the HTTP/1.1 upgrade handshake shared by WebSocket and SpdyUpgradeConnection,
// so that connecting (TLS, proxy, auth as HttpClient does), the request head and the response head
// are one code path. Never include from a public header.

#include <core/transport/connectionconfig.h>
#include <core/transport/curlsetup_p.h>
#include <core/transport/httpmessage.h>
#include <core/util/log.h>
#include <core/util/result.h>

#include <curl/curl.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace kd::core::transport::detail {

// The words a protocol uses for its handshake failures; each caller keeps the messages its users
// already know.
struct UpgradeWording
{
    std::string_view protocol;       // "WebSocket": "<protocol> connect to <url>", log lines
    std::string_view handshake;      // "WebSocket handshake": "<handshake> timed out" and others
    std::string_view cancelled;      // the attempt was abandoned through UpgradeRequest::cancelled
    std::string_view sendContext;    // curl's error context when the request cannot be sent
    std::string_view noSocket;       // curl connected without a usable socket
    std::string_view headerTooLarge; // the response head exceeds 64 KiB
};

struct UpgradeRequest
{
    std::string_view method; // "GET", "POST"
    std::string path;        // relative to config.baseUrl, query included
    // The protocol's own headers, sent right after Host. Asked once per attempt: the retry after a
    // 401 is a new connection that may need fresh values (a new Sec-WebSocket-Key).
    std::function<util::Result<HttpHeaders>()> upgradeHeaders;
    // The caller's extra headers, sent last (after User-Agent and Authorization).
    HttpHeaders extraHeaders;
    // Connect plus handshake, per attempt.
    std::chrono::milliseconds timeout{30000};
    // Polled while connecting and waiting; true abandons the attempt.
    std::function<bool()> cancelled;
    const util::LogCategory *log = nullptr;
};

// A connection the server switched protocols on (status 101): the connect-only curl handle that
// owns the socket, the response head, and the bytes read after it, which already belong to the new
// protocol. Move-only; owned by the caller's I/O thread, which alone reads and writes it.
struct UpgradedConnection
{
    struct EasyDeleter
    {
        void operator()(CURL *easy) const { curl_easy_cleanup(easy); }
    };
    // Declared first so that it outlives the handle that points at it.
    std::unique_ptr<CurlSlist> connectTo;
    std::unique_ptr<CURL, EasyDeleter> easy;
    curl_socket_t socket = CURL_SOCKET_BAD;
    HttpResponse response; // status 101 and its headers
    std::string leftover;

    // Sends from the front of `pending` what the socket takes now; an Error (with `context`) when
    // the connection failed.
    util::Result<void> sendSome(std::string &pending, std::string_view context) const;
    // Appends to `into` what arrives without waiting, stopping once it holds more than 1 MiB; true
    // when the server closed the connection. Callers drain before they poll: TLS may hold
    // decrypted bytes that poll() cannot see.
    util::Result<bool> receiveAvailable(std::string &into, std::string_view context) const;
};

// Lets any thread interrupt the I/O thread's wait. Owned by the connection's Private.
class WakePipe final
{
public:
    WakePipe();
    ~WakePipe();
    WakePipe(const WakePipe &) = delete;
    WakePipe &operator=(const WakePipe &) = delete;

    // Any thread.
    void wake();
    // I/O thread: waits up to `timeout` for `events` on `socket` or for wake(), whose bytes it
    // consumes.
    void wait(curl_socket_t socket, short events, std::chrono::milliseconds timeout);

private:
    int m_read = -1;
    int m_write = -1;
};

// Connects to config.baseUrl + request.path in CONNECT_ONLY mode (HTTP/1.1, through a proxy as a
// tunnel) and sends `<method> <path> HTTP/1.1`, Host, the upgrade headers, User-Agent,
// Authorization and the extra headers, in that order. A refusal (any status but 101) becomes the
// response's statusError, its body read as far as Content-Length within the time left; a 401 after
// which the auth hook reports new credentials is tried once more. Checking that the response
// switched to the expected protocol is the caller's.
util::Result<UpgradedConnection> openUpgradedConnection(const ConnectionConfig &config,
                                                        const UpgradeRequest &request,
                                                        const UpgradeWording &wording);

} // namespace kd::core::transport::detail
