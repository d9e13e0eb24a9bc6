#include "spdyupgradeconnection.h"

#include <core/transport/curlsetup_p.h>
#include <core/transport/upgradedconnection_p.h>
#include <core/util/log.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <thread>

#include <poll.h>

namespace kd::core::client {

using util::Error;
using util::Result;

namespace {

const util::LogCategory lcSpdyUpgrade{"kd.client.spdyupgrade"};

std::string lower(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

} // namespace

class SpdyUpgradeConnection::Private
{
public:
    transport::ConnectionConfig m_config;
    transport::Executor m_executor;
    transport::HttpRequest m_request;
    SpdyUpgradeOptions m_options;
    SpdyUpgradeHandler m_handler;
    // Checked by queued deliveries, which may run after Private is gone.
    std::shared_ptr<std::atomic<bool>> m_alive = std::make_shared<std::atomic<bool>>(true);

    std::mutex m_mutex;
    std::string m_outgoing;
    bool m_closeRequested = false;
    bool m_stopping = false;
    transport::detail::WakePipe m_wake;
    std::thread m_thread;

    // I/O thread only.
    transport::detail::UpgradedConnection m_connection;
    std::string m_sendBuffer;
    bool m_finished = false;

    bool stopping();
    void deliver(std::function<void()> fn);
    void finish(Result<void> result);
    Result<std::string> connectAndUpgrade();
    bool flush();
    void run();
    void serve(std::string leftover);
};

bool SpdyUpgradeConnection::Private::stopping()
{
    std::lock_guard lock(m_mutex);
    return m_stopping;
}

void SpdyUpgradeConnection::Private::deliver(std::function<void()> fn)
{
    auto guarded = [alive = m_alive, fn = std::move(fn)] {
        if (alive->load())
            fn();
    };
    if (m_executor)
        m_executor(std::move(guarded));
    else
        guarded();
}

void SpdyUpgradeConnection::Private::finish(Result<void> result)
{
    if (m_finished)
        return;
    m_finished = true;
    lcSpdyUpgrade.debug([&] {
        return m_request.path + ": " + (result ? "closed" : "failed: " + result.error().message());
    });
    if (m_handler.closed)
        deliver([fn = m_handler.closed, result = std::move(result)] { fn(result); });
}

Result<std::string> SpdyUpgradeConnection::Private::connectAndUpgrade()
{
    static constexpr transport::detail::UpgradeWording wording{
        .protocol = "SPDY",
        .handshake = "SPDY upgrade",
        .cancelled = "SPDY connection destroyed",
        .sendContext = "SPDY upgrade send",
        .noSocket = "SPDY upgrade: no connected socket",
        .headerTooLarge = "SPDY upgrade: response header too large",
    };
    transport::detail::UpgradeRequest request;
    request.method = "POST";
    request.path = m_request.path;
    request.upgradeHeaders = [this]() -> Result<transport::HttpHeaders> {
        transport::HttpHeaders headers = {{"Connection", "Upgrade"},
                                          {"Upgrade", std::string(kSpdyUpgradeProtocol)},
                                          {"Content-Length", "0"}};
        // Repeated, one value each, as client-go sends it.
        for (const auto &protocol : m_options.streamProtocols)
            headers.emplace_back("X-Stream-Protocol-Version", protocol);
        return headers;
    };
    request.extraHeaders = m_request.headers;
    request.timeout = m_options.handshakeTimeout;
    request.cancelled = [this] { return stopping(); };
    request.log = &lcSpdyUpgrade;
    auto connection = transport::detail::openUpgradedConnection(m_config, request, wording);
    if (!connection)
        return connection.error();
    m_connection = std::move(*connection);

    const transport::HttpResponse &response = m_connection.response;
    if (lower(response.header("Upgrade")) != lower(kSpdyUpgradeProtocol)
        || lower(response.header("Connection")).find("upgrade") == std::string::npos)
        return Error(Error::Code::Transport,
                     "SPDY upgrade: server did not switch to " + std::string(kSpdyUpgradeProtocol));
    const std::string chosen = response.header("X-Stream-Protocol-Version");
    if (!chosen.empty()
        && std::find(m_options.streamProtocols.begin(), m_options.streamProtocols.end(), chosen)
               == m_options.streamProtocols.end())
        return Error(Error::Code::Transport,
                     "SPDY upgrade: server chose a stream protocol that was not offered: "
                         + chosen);
    return chosen;
}

bool SpdyUpgradeConnection::Private::flush()
{
    if (auto r = m_connection.sendSome(m_sendBuffer, "SPDY send"); !r) {
        finish(r.error());
        return false;
    }
    return true;
}

void SpdyUpgradeConnection::Private::run()
{
    auto upgraded = connectAndUpgrade();
    if (!upgraded) {
        if (upgraded.error().code() != Error::Code::Cancelled)
            finish(upgraded.error());
        return;
    }
    if (m_handler.opened)
        deliver([fn = m_handler.opened, protocol = *upgraded] { fn(protocol); });
    serve(std::move(m_connection.leftover));
}

void SpdyUpgradeConnection::Private::serve(std::string leftover)
{
    if (!leftover.empty() && m_handler.data)
        deliver(
            [fn = m_handler.data, bytes = std::move(leftover)]() mutable { fn(std::move(bytes)); });
    bool closing = false;
    while (!m_finished) {
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping) {
                flush();
                return;
            }
            m_sendBuffer += m_outgoing;
            m_outgoing.clear();
            closing = m_closeRequested;
        }
        if (!flush())
            return;
        if (closing && m_sendBuffer.empty()) {
            finish({});
            return;
        }
        // Drain the socket before sleeping: TLS may hold decrypted bytes poll() cannot see.
        std::string incoming;
        const auto eof = m_connection.receiveAvailable(incoming, "SPDY receive");
        if (!eof) {
            finish(eof.error());
            return;
        }
        // A full chunk means more may be waiting (possibly inside TLS, invisible to poll()).
        const bool more = incoming.size() > 1024 * 1024;
        if (!incoming.empty() && m_handler.data)
            deliver([fn = m_handler.data, bytes = std::move(incoming)]() mutable {
                fn(std::move(bytes));
            });
        if (more)
            continue;
        if (*eof) {
            finish({});
            return;
        }
        short events = POLLIN;
        if (!m_sendBuffer.empty())
            events |= POLLOUT;
        m_wake.wait(m_connection.socket, events, std::chrono::milliseconds(1000));
    }
}

SpdyUpgradeConnection::SpdyUpgradeConnection(const transport::ConnectionConfig &config,
                                             transport::Executor executor,
                                             transport::HttpRequest request,
                                             SpdyUpgradeOptions options, SpdyUpgradeHandler handler)
    : d(std::make_unique<Private>())
{
    transport::detail::ensureCurlGlobalInit();
    d->m_config = config;
    d->m_executor = std::move(executor);
    d->m_request = std::move(request);
    d->m_options = std::move(options);
    d->m_handler = std::move(handler);
    Private *p = d.get();
    d->m_thread = std::thread([p] { p->run(); });
}

SpdyUpgradeConnection::~SpdyUpgradeConnection()
{
    d->m_alive->store(false);
    {
        std::lock_guard lock(d->m_mutex);
        d->m_stopping = true;
    }
    d->m_wake.wake();
    d->m_thread.join();
}

void SpdyUpgradeConnection::send(std::string bytes)
{
    {
        std::lock_guard lock(d->m_mutex);
        if (d->m_closeRequested)
            return;
        d->m_outgoing += bytes;
    }
    d->m_wake.wake();
}

void SpdyUpgradeConnection::close()
{
    {
        std::lock_guard lock(d->m_mutex);
        d->m_closeRequested = true;
    }
    d->m_wake.wake();
}

} // namespace kd::core::client
