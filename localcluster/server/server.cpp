#include "server.h"

#include "authenticator.h"
#include "handler.h"
#include "request.h"
#include "response.h"
#include "responsewriter.h"

#include <core/util/log.h>
#include <core/util/threadname.h>
#include <localcluster/version.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <nlohmann/json.hpp>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <ctime>
#include <deque>
#include <strings.h>
#include <thread>
#include <unordered_map>

namespace kd::lc::server {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using core::util::Error;
using core::util::Result;

namespace {

const core::util::LogCategory lcServer{"kd.lc.server"};

struct HealthCheck
{
    std::string name;
    std::function<bool()> check;
    int probes;
};

class Connection;

// State shared by the server and its connections; connections keep it alive because the last of
// them may be destroyed while the io_context is torn down.
struct Shared
{
    ServerOptions options;
    ssl::context sslContext{ssl::context::tls_server};
    std::atomic<bool> stopping{false};

    mutable std::mutex mutex;
    std::shared_ptr<Handler> handler;
    std::vector<std::shared_ptr<Authenticator>> authenticators;
    std::vector<HealthCheck> checks;
    std::unordered_map<const Connection *, std::weak_ptr<Connection>> connections;
};

std::string httpDate()
{
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buffer[64];
    std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buffer;
}

// Header text from a handler must not be able to end the header block early.
std::string sanitizeHeaderText(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c != '\r' && c != '\n' && c != '\0')
            out += c;
    }
    return out;
}

bool isHeader(const Header &header, std::string_view name)
{
    return header.name.size() == name.size()
           && ::strncasecmp(header.name.data(), name.data(), name.size()) == 0;
}

std::string statusLine(int status)
{
    const auto reason = http::obsolete_reason(static_cast<http::status>(status));
    return "HTTP/1.1 " + std::to_string(status) + " "
           + (reason.empty() ? std::string("Unknown") : std::string(reason)) + "\r\n";
}

std::string serializeHeaders(int status, const std::vector<Header> &headers)
{
    std::string out = statusLine(status);
    bool haveContentType = false;
    for (const Header &h : headers) {
        // Framing and connection management belong to the server.
        if (isHeader(h, "Content-Length") || isHeader(h, "Transfer-Encoding")
            || isHeader(h, "Connection") || isHeader(h, "Date"))
            continue;
        haveContentType = haveContentType || isHeader(h, "Content-Type");
        out += sanitizeHeaderText(h.name) + ": " + sanitizeHeaderText(h.value) + "\r\n";
    }
    if (!haveContentType && status != 204 && status != 304)
        out += "Content-Type: text/plain; charset=utf-8\r\n";
    out += "Date: " + httpDate() + "\r\n";
    return out;
}

// Compresses for "Content-Encoding: gzip"; nullopt when zlib fails (the body goes uncompressed).
std::optional<std::string> gzip(const std::string &data)
{
    z_stream stream{};
    // 15 window bits + 16 selects the gzip wrapper rather than zlib's. Level 1, as upstream's
    // API server uses: on a 10k-pod list it halves the CPU of level 6 for a slightly larger body.
    if (deflateInit2(&stream, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return std::nullopt;
    std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    const int result = deflate(&stream, Z_FINISH);
    const auto produced = stream.total_out;
    deflateEnd(&stream);
    if (result != Z_STREAM_END)
        return std::nullopt;
    out.resize(produced);
    out.shrink_to_fit(); // deflateBound() over-allocates; the body may be kept a while.
    return out;
}

// True when an Accept-Encoding value admits gzip ("gzip", "gzip;q=0.5", but not "gzip;q=0").
bool acceptsGzip(std::string_view accept)
{
    while (!accept.empty()) {
        const auto comma = accept.find(',');
        std::string_view item = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
        const auto semicolon = item.find(';');
        std::string_view coding = item.substr(0, semicolon);
        while (!coding.empty() && coding.front() == ' ')
            coding.remove_prefix(1);
        while (!coding.empty() && coding.back() == ' ')
            coding.remove_suffix(1);
        if (!beast::iequals(coding, "gzip"))
            continue;
        if (semicolon == std::string_view::npos)
            return true;
        std::string params(item.substr(semicolon + 1));
        std::erase(params, ' ');
        return params != "q=0" && params != "q=0.0" && params != "q=0.00" && params != "q=0.000";
    }
    return false;
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size())
                return std::nullopt;
            const int hi = hexValue(text[i + 1]);
            const int lo = hexValue(text[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plusIsSpace) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

// Splits "/a/b?x=1&y" into the decoded path and query; false when the target is malformed.
bool parseTarget(std::string_view target, Request &request)
{
    if (target.empty() || target.front() != '/')
        return false;
    const auto question = target.find('?');
    auto path = percentDecode(target.substr(0, question), false);
    if (!path)
        return false;
    request.path = std::move(*path);
    if (question == std::string_view::npos)
        return true;
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty())
            continue;
        const auto eq = pair.find('=');
        auto key = percentDecode(pair.substr(0, eq), true);
        auto value = percentDecode(
            eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
        if (!key || !value)
            return false;
        request.query.emplace_back(std::move(*key), std::move(*value));
    }
    return true;
}

std::optional<PeerCertificate> verifiedPeer(SSL *ssl)
{
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (!cert)
        return std::nullopt;
    std::optional<PeerCertificate> peer;
    if (SSL_get_verify_result(ssl) == X509_V_OK) {
        peer.emplace();
        const X509_NAME *name = X509_get_subject_name(cert);
        auto entryText = [&](int index) {
            const ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
            unsigned char *utf8 = nullptr;
            const int length = ASN1_STRING_to_UTF8(&utf8, data);
            std::string text = length > 0 ? std::string(reinterpret_cast<char *>(utf8),
                                                        static_cast<std::size_t>(length))
                                          : std::string();
            OPENSSL_free(utf8);
            return text;
        };
        for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0;)
            peer->commonName = entryText(i);
        for (int i = -1; (i = X509_NAME_get_index_by_NID(name, NID_organizationName, i)) >= 0;)
            peer->organizations.push_back(entryText(i));
    }
    X509_free(cert);
    return peer;
}

bool isPublicPath(const std::string &path)
{
    for (const char *base : {"/healthz", "/livez", "/readyz", "/version"}) {
        const std::string_view b(base);
        if (path == b
            || (path.size() > b.size() && path.compare(0, b.size(), b) == 0
                && path[b.size()] == '/'))
            return true;
    }
    return false;
}

Response versionResponse()
{
    const auto &info = buildInfo();
    nlohmann::ordered_json body = {
        {"major", info.major}, {"minor", info.minor},       {"gitVersion", info.kubernetesVersion},
        {"gitCommit", ""},     {"gitTreeState", "clean"},   {"buildDate", ""},
        {"goVersion", ""},     {"compiler", info.compiler}, {"platform", info.platform}};
    return Response::json(200, body.dump(2));
}

// /healthz, /livez, /readyz and their "/<check>" subpaths, as kube-apiserver formats them.
std::optional<Response> probeResponse(const Shared &shared, const Request &request)
{
    struct ProbeInfo
    {
        const char *path;
        const char *word;
        int bit;
    };
    static constexpr ProbeInfo probes[] = {
        {"/healthz", "healthz", static_cast<int>(Server::Probe::Health)},
        {"/livez", "livez", static_cast<int>(Server::Probe::Live)},
        {"/readyz", "readyz", static_cast<int>(Server::Probe::Ready)},
    };
    for (const ProbeInfo &probe : probes) {
        const std::string_view base(probe.path);
        if (request.path.compare(0, base.size(), base) != 0)
            continue;
        std::string_view rest = std::string_view(request.path).substr(base.size());
        if (!rest.empty() && rest.front() != '/')
            continue;
        if (!rest.empty())
            rest.remove_prefix(1);

        std::vector<std::pair<std::string, bool>> results;
        results.emplace_back("ping", true);
        if (probe.bit == static_cast<int>(Server::Probe::Ready))
            results.emplace_back("shutdown", !shared.stopping.load());
        std::vector<HealthCheck> checks;
        {
            std::lock_guard lock(shared.mutex);
            checks = shared.checks;
        }
        // Checks run outside the lock: they may be slow or ask the server something.
        for (const HealthCheck &check : checks) {
            if (check.probes & probe.bit)
                results.emplace_back(check.name, check.check());
        }
        if (!rest.empty()) {
            for (const auto &[name, ok] : results) {
                if (name == rest)
                    return ok ? Response::text(200, "ok")
                              : Response::text(500, "internal server error: " + name
                                                        + " check failed\n");
            }
            return Response::text(404, "404 page not found\n");
        }
        bool allOk = true;
        std::string listing;
        for (const auto &[name, ok] : results) {
            allOk = allOk && ok;
            listing += ok ? "[+]" + name + " ok\n" : "[-]" + name + " failed: reason withheld\n";
        }
        if (allOk && !request.hasQuery("verbose"))
            return Response::text(200, "ok");
        return Response::text(allOk ? 200 : 500,
                              listing + probe.word
                                  + (allOk ? " check passed\n" : " check failed\n"));
    }
    return std::nullopt;
}

class ConnectionWriter;

// One TLS connection: reads requests, dispatches them one at a time and writes the answers.
// While a request is being answered the next read stays pending, which is how a client that
// hangs up during a watch is noticed. Everything runs on the connection's strand.
class Connection final : public std::enable_shared_from_this<Connection>
{
public:
    Connection(tcp::socket socket, std::shared_ptr<Shared> shared)
        : m_shared(std::move(shared))
        , m_stream(std::move(socket), m_shared->sslContext)
        , m_readTimer(m_stream.get_executor())
        , m_writeTimer(m_stream.get_executor())
    {
        beast::error_code ec;
        // TLS writes an answer as records of up to 16 KB, one send each; with Nagle a short last
        // record waits for the client to ACK the earlier ones (delayed ACK: up to 40 ms).
        m_stream.lowest_layer().set_option(tcp::no_delay(true), ec);
        const auto remote = m_stream.lowest_layer().remote_endpoint(ec);
        if (!ec) {
            m_remote = remote.address().to_string() + ":" + std::to_string(remote.port());
            m_loopbackPeer = remote.address().is_loopback();
        }
    }

    ~Connection()
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->connections.erase(this);
    }

    auto executor() { return m_stream.get_executor(); }

    void start()
    {
        armReadTimer(m_shared->options.requestHeaderTimeout);
        m_stream.async_handshake(
            ssl::stream_base::server,
            [self = shared_from_this()](const beast::error_code &ec) { self->onHandshake(ec); });
    }

    // Posted by Server::stop().
    void shutdownFromServer();

    // Called through ConnectionWriter on the strand; `generation` names the request.
    void respondComplete(std::uint64_t generation, Response response);
    void streamBegin(std::uint64_t generation, int status, std::vector<Header> headers);
    void streamChunk(std::uint64_t generation, std::string data);
    void streamEnd(std::uint64_t generation);

private:
    enum class Answer { None, Streaming, Finished };

    void onHandshake(const beast::error_code &ec)
    {
        if (ec) {
            lcServer.debug(
                [&] { return "TLS handshake with " + m_remote + " failed: " + ec.message(); });
            close();
            return;
        }
        m_peer = verifiedPeer(m_stream.native_handle());
        readRequest();
    }

    void readRequest()
    {
        if (m_closed)
            return;
        m_parser.emplace();
        m_parser->header_limit(static_cast<std::uint32_t>(m_shared->options.maxHeaderBytes));
        m_parser->body_limit(m_shared->options.maxBodyBytes);
        m_reading = true;
        if (!m_busy)
            armReadTimer(m_shared->options.requestHeaderTimeout);
        http::async_read_header(m_stream, m_buffer, *m_parser,
                                [self = shared_from_this()](const beast::error_code &ec,
                                                            std::size_t) { self->onHeader(ec); });
    }

    void onHeader(const beast::error_code &ec)
    {
        if (ec) {
            onReadError(ec);
            return;
        }
        const auto &message = m_parser->get();
        if (!m_busy && !m_parser->is_done()) {
            armReadTimer(m_shared->options.requestBodyTimeout);
            const auto expect = message[http::field::expect];
            if (beast::iequals(expect, "100-continue"))
                queueWrite("HTTP/1.1 100 Continue\r\n\r\n");
        }
        http::async_read(m_stream, m_buffer, *m_parser,
                         [self = shared_from_this()](const beast::error_code &readEc, std::size_t) {
                             self->onRequest(readEc);
                         });
    }

    void onRequest(const beast::error_code &ec)
    {
        if (ec) {
            onReadError(ec);
            return;
        }
        m_reading = false;
        if (!m_busy)
            m_readTimer.cancel();
        PendingRequest pending;
        pending.keepAlive = m_parser->keep_alive();
        pending.upgrade = m_parser->upgrade();
        pending.message = m_parser->release();
        if (m_busy) {
            // A pipelined request: answered once the current answer is complete.
            m_pending = std::move(pending);
            return;
        }
        dispatch(std::move(pending));
    }

    void onReadError(const beast::error_code &ec)
    {
        m_reading = false;
        if (m_closed)
            return;
        const bool malformed
            = ec.category() == http::make_error_code(http::error::body_limit).category()
              && ec != http::error::end_of_stream && ec != http::error::partial_message;
        if (!m_busy && malformed) {
            Response response;
            if (ec == http::error::body_limit) {
                response = Response::failure(413, "RequestEntityTooLarge",
                                             "Request entity too large: limit is "
                                                 + std::to_string(m_shared->options.maxBodyBytes));
            } else if (ec == http::error::header_limit) {
                response = Response::text(431, "431 Request Header Fields Too Large");
            } else {
                response = Response::text(400, "400 Bad Request");
            }
            lcServer.debug(
                [&] { return "rejecting request from " + m_remote + ": " + ec.message(); });
            m_requestLine = "unreadable request";
            m_busy = true;
            m_closeAfterAnswer = true;
            m_answer = Answer::None;
            ++m_generation;
            m_isHead = false;
            respondComplete(m_generation, std::move(response));
            return;
        }
        // End of stream, reset, timeout or a TLS failure: the client is gone.
        clientGone();
    }

    struct PendingRequest
    {
        http::request<http::string_body> message;
        bool keepAlive = true;
        bool upgrade = false;
    };

    void dispatch(PendingRequest pending);

    void answerDone()
    {
        m_busy = false;
        m_answer = Answer::None;
        m_writer.reset();
        if (m_closeAfterAnswer || m_shared->stopping) {
            drainAndClose();
            return;
        }
        if (m_pending) {
            PendingRequest next = std::move(*m_pending);
            m_pending.reset();
            dispatch(std::move(next));
            return;
        }
        if (m_reading)
            armReadTimer(m_shared->options.requestHeaderTimeout);
        else
            readRequest();
    }

    void queueWrite(std::string bytes)
    {
        if (m_closed || bytes.empty())
            return;
        m_outbox.push_back(std::move(bytes));
        doWrite();
    }

    void doWrite()
    {
        if (m_writing || m_outbox.empty() || m_closed)
            return;
        m_writing = true;
        armTimer(m_writeTimer, m_shared->options.writeTimeout);
        net::async_write(m_stream, net::buffer(m_outbox.front()),
                         [self = shared_from_this()](const beast::error_code &ec, std::size_t) {
                             self->onWrite(ec);
                         });
    }

    void onWrite(const beast::error_code &ec)
    {
        m_writing = false;
        m_writeTimer.cancel();
        if (ec) {
            clientGone();
            return;
        }
        m_outbox.pop_front();
        if (!m_outbox.empty()) {
            doWrite();
            return;
        }
        if (m_busy && m_answer == Answer::Finished)
            answerDone();
        else if (m_draining)
            finishDrain();
    }

    void clientGone();

    // After a "Connection: close" answer or an error: send FIN, then read (and drop) what the
    // client still sends so that closing does not reset the connection before it read our
    // answer.
    void drainAndClose()
    {
        if (m_closed)
            return;
        m_draining = true;
        if (m_writing)
            return; // onWrite continues
        finishDrain();
    }

    void finishDrain()
    {
        beast::error_code ignored;
        m_stream.lowest_layer().shutdown(tcp::socket::shutdown_send, ignored);
        armTimer(m_readTimer, std::chrono::seconds(2));
        if (!m_reading)
            drainRead();
    }

    void drainRead()
    {
        m_reading = true;
        m_stream.next_layer().async_read_some(
            net::buffer(m_drainBuffer),
            [self = shared_from_this()](const beast::error_code &ec, std::size_t) {
                self->m_reading = false;
                if (ec)
                    self->close();
                else
                    self->drainRead();
            });
    }

    void close()
    {
        if (m_closed)
            return;
        m_closed = true;
        m_readTimer.cancel();
        m_writeTimer.cancel();
        beast::error_code ignored;
        m_stream.lowest_layer().close(ignored);
    }

    void armReadTimer(std::chrono::steady_clock::duration timeout)
    {
        armTimer(m_readTimer, timeout);
    }

    void armTimer(net::steady_timer &timer, std::chrono::steady_clock::duration timeout)
    {
        timer.expires_after(timeout);
        timer.async_wait([self = shared_from_this(), &timer](const beast::error_code &ec) {
            // Cancelled, or re-armed after this expiry was already queued.
            if (ec || timer.expiry() > std::chrono::steady_clock::now())
                return;
            lcServer.debug(
                [&] { return "closing connection from " + self->m_remote + ": timeout"; });
            self->clientGone();
        });
    }

    bool acceptsGeneration(std::uint64_t generation) const
    {
        return !m_closed && m_busy && generation == m_generation;
    }

    std::shared_ptr<Shared> m_shared;
    ssl::stream<tcp::socket> m_stream;
    net::steady_timer m_readTimer;
    net::steady_timer m_writeTimer;
    beast::flat_buffer m_buffer;
    std::optional<http::request_parser<http::string_body>> m_parser;
    std::optional<PendingRequest> m_pending;
    std::optional<PeerCertificate> m_peer;
    std::weak_ptr<ConnectionWriter> m_writer;
    std::deque<std::string> m_outbox;
    std::array<char, 4096> m_drainBuffer{};
    std::string m_remote;
    std::string m_requestLine; // "GET /api as kubedesk-admin", for the access log
    std::uint64_t m_generation = 0;
    Answer m_answer = Answer::None;
    bool m_busy = false;
    bool m_reading = false;
    bool m_writing = false;
    bool m_isHead = false;
    bool m_acceptsGzip = false;
    bool m_loopbackPeer = false;
    bool m_closeAfterAnswer = false;
    bool m_draining = false;
    bool m_closed = false;
};

// The ResponseWriter handed to handlers: forwards to its connection's strand, tagged with the
// request's generation so that a late call can never land in another request's answer.
class ConnectionWriter final : public ResponseWriter
{
public:
    ConnectionWriter(std::weak_ptr<Connection> connection, std::uint64_t generation)
        : m_connection(std::move(connection))
        , m_generation(generation)
    {}

    ~ConnectionWriter() override
    {
        if (!m_started.load()) {
            lcServer.warning("handler produced no response; answering 500");
            post([](Connection &c, std::uint64_t g) {
                c.respondComplete(
                    g, Response::failure(500, "InternalError", "the server produced no response"));
            });
        } else if (m_streaming.load() && !m_ended.load()) {
            post([](Connection &c, std::uint64_t g) { c.streamEnd(g); });
        }
    }

    void respond(Response response) override
    {
        if (m_started.exchange(true))
            return misuse("respond() after the answer was started");
        post([response = std::move(response)](Connection &c, std::uint64_t g) mutable {
            c.respondComplete(g, std::move(response));
        });
    }

    void beginStream(int status, std::vector<Header> headers) override
    {
        if (m_started.exchange(true))
            return misuse("beginStream() after the answer was started");
        m_streaming = true;
        post([status, headers = std::move(headers)](Connection &c, std::uint64_t g) mutable {
            c.streamBegin(g, status, std::move(headers));
        });
    }

    void writeChunk(std::string data) override
    {
        if (!m_streaming.load() || m_ended.load())
            return misuse("writeChunk() outside a stream");
        if (data.empty())
            return; // an empty chunk would end the stream
        post([data = std::move(data)](Connection &c, std::uint64_t g) mutable {
            c.streamChunk(g, std::move(data));
        });
    }

    void endStream() override
    {
        if (!m_streaming.load() || m_ended.exchange(true))
            return;
        post([](Connection &c, std::uint64_t g) { c.streamEnd(g); });
    }

    void runOnConnection(std::function<void()> task) override
    {
        post([task = std::move(task)](Connection &, std::uint64_t) { task(); });
    }

    bool clientGone() const override { return m_gone.load(); }

    void onClientGone(std::function<void()> callback) override
    {
        {
            std::lock_guard lock(m_mutex);
            if (!m_gone.load()) {
                m_goneCallback = std::move(callback);
                return;
            }
        }
        if (callback)
            callback();
    }

    // From the connection's strand.
    void notifyGone()
    {
        std::function<void()> callback;
        {
            std::lock_guard lock(m_mutex);
            if (m_gone.exchange(true))
                return;
            callback = std::move(m_goneCallback);
        }
        if (callback)
            callback();
    }

private:
    template<typename F>
    void post(F &&f)
    {
        auto connection = m_connection.lock();
        if (!connection || m_gone.load())
            return;
        net::post(connection->executor(),
                  [connection, g = m_generation, f = std::forward<F>(f)]() mutable {
                      f(*connection, g);
                  });
    }

    void misuse(const char *what) const
    {
        lcServer.warning(std::string("response writer: ") + what);
    }

    std::weak_ptr<Connection> m_connection;
    const std::uint64_t m_generation;
    std::atomic<bool> m_started{false};
    std::atomic<bool> m_streaming{false};
    std::atomic<bool> m_ended{false};
    std::atomic<bool> m_gone{false};
    mutable std::mutex m_mutex;
    std::function<void()> m_goneCallback;
};

void Connection::clientGone()
{
    if (auto writer = m_writer.lock())
        writer->notifyGone();
    close();
}

void Connection::shutdownFromServer()
{
    if (m_closed)
        return;
    if (!m_busy) {
        close();
        return;
    }
    m_closeAfterAnswer = true;
    if (m_answer == Answer::Streaming) {
        // A watch ends cleanly: the terminating chunk tells the client to reconnect elsewhere.
        if (auto writer = m_writer.lock())
            writer->notifyGone();
        streamEnd(m_generation);
    }
}

void Connection::dispatch(PendingRequest pending)
{
    m_busy = true;
    m_answer = Answer::None;
    ++m_generation;
    m_closeAfterAnswer = !pending.keepAlive;
    m_readTimer.cancel();

    auto &message = pending.message;
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    m_requestLine = request.method + " " + request.target;
    request.headers.reserve(
        static_cast<std::size_t>(std::distance(message.begin(), message.end())));
    for (const auto &field : message)
        request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    request.body = std::move(message.body());
    request.peerCertificate = m_peer;
    request.remoteAddress = m_remote;
    request.upgradeRequested = pending.upgrade;
    m_isHead = message.method() == http::verb::head;
    m_acceptsGzip = acceptsGzip(message[http::field::accept_encoding]);

    auto writer = std::make_shared<ConnectionWriter>(weak_from_this(), m_generation);
    m_writer = writer;

    if (!parseTarget(request.target, request)) {
        writer->respond(Response::failure(400, "BadRequest", "malformed request target"));
        if (!m_reading)
            readRequest();
        return;
    }

    std::shared_ptr<Handler> handler;
    std::vector<std::shared_ptr<Authenticator>> authenticators;
    {
        std::lock_guard lock(m_shared->mutex);
        handler = m_shared->handler;
        authenticators = m_shared->authenticators;
    }

    bool rejected = false;
    for (const auto &authenticator : authenticators) {
        auto result = authenticator->authenticate(request);
        if (!result.ok()) {
            lcServer.debug([&] {
                return "authentication failed for " + m_remote + ": " + result.error().message();
            });
            rejected = true;
            break;
        }
        if (result.value()) {
            request.user = std::move(*result.value());
            break;
        }
    }
    m_requestLine += " as " + request.user.name;

    const bool isPublic = isPublicPath(request.path);
    if (rejected || (request.user.isAnonymous() && !isPublic)) {
        writer->respond(Response::failure(401, "Unauthorized", "Unauthorized"));
    } else if (auto probe = probeResponse(*m_shared, request)) {
        writer->respond(std::move(*probe));
    } else if (request.path == "/version" || request.path == "/version/") {
        writer->respond(versionResponse());
    } else if (handler && !isPublic) {
        try {
            handler->handle(std::move(request), writer);
        } catch (const std::exception &e) {
            lcServer.error(std::string("handler failed: ") + e.what());
            writer->respond(Response::failure(500, "InternalError", "internal error"));
        }
    } else {
        writer->respond(
            Response::failure(404, "NotFound", "the server could not find the requested resource"));
    }
    // Keep reading: a pipelined request waits in m_pending, a hang-up is noticed at once.
    if (!m_reading)
        readRequest();
}

void Connection::respondComplete(std::uint64_t generation, Response response)
{
    if (!acceptsGeneration(generation) || m_answer != Answer::None)
        return;
    m_answer = Answer::Finished;
    const bool alreadyEncoded
        = std::any_of(response.headers.begin(), response.headers.end(),
                      [](const Header &h) { return isHeader(h, "Content-Encoding"); });
    // Large lists are where compression pays; below this the CPU is not worth it.
    constexpr std::size_t gzipThreshold = 128 * 1024;
    const bool compress
        = m_acceptsGzip && (!m_loopbackPeer || m_shared->options.compressForLoopback);
    if (compress && !alreadyEncoded && response.body.size() >= gzipThreshold) {
        if (auto compressed = gzip(response.body)) {
            response.body = std::move(*compressed);
            response.headers.push_back({"Content-Encoding", "gzip"});
        }
    }
    std::string bytes = serializeHeaders(response.status, response.headers);
    const bool bodyless = response.status == 204 || response.status == 304
                          || (response.status >= 100 && response.status < 200);
    if (!bodyless)
        bytes += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
    if (m_closeAfterAnswer || m_shared->stopping)
        bytes += "Connection: close\r\n";
    bytes += "\r\n";
    if (!m_isHead && !bodyless)
        bytes += response.body;
    lcServer.debug([&] {
        return m_requestLine + " from " + m_remote + ": " + std::to_string(response.status);
    });
    queueWrite(std::move(bytes));
}

void Connection::streamBegin(std::uint64_t generation, int status, std::vector<Header> headers)
{
    if (!acceptsGeneration(generation) || m_answer != Answer::None)
        return;
    m_answer = Answer::Streaming;
    lcServer.debug([&] {
        return m_requestLine + " from " + m_remote + ": " + std::to_string(status) + " (stream)";
    });
    std::string bytes = serializeHeaders(status, headers);
    bytes += "Transfer-Encoding: chunked\r\n";
    if (m_closeAfterAnswer || m_shared->stopping)
        bytes += "Connection: close\r\n";
    bytes += "\r\n";
    queueWrite(std::move(bytes));
}

void Connection::streamChunk(std::uint64_t generation, std::string data)
{
    if (!acceptsGeneration(generation) || m_answer != Answer::Streaming || data.empty())
        return;
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string bytes = size;
    bytes += data;
    bytes += "\r\n";
    queueWrite(std::move(bytes));
}

void Connection::streamEnd(std::uint64_t generation)
{
    if (!acceptsGeneration(generation) || m_answer != Answer::Streaming)
        return;
    m_answer = Answer::Finished;
    queueWrite("0\r\n\r\n");
}

} // namespace

class Server::Private
{
public:
    // Declared first so that it is destroyed last: destroying it destroys pending handlers,
    // which own the connections.
    net::io_context ioc;
    std::shared_ptr<Shared> shared = std::make_shared<Shared>();
    std::optional<tcp::acceptor> acceptor;
    std::optional<net::steady_timer> acceptRetryTimer;
    std::vector<std::thread> threads;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::atomic<std::uint16_t> port{0};
    bool running = false;

    void accept()
    {
        acceptor->async_accept(
            net::make_strand(ioc), [this](const beast::error_code &ec, tcp::socket socket) {
                if (shared->stopping || !acceptor->is_open())
                    return;
                if (ec) {
                    // Typically EMFILE: back off instead of spinning.
                    lcServer.warning("accept failed: " + ec.message());
                    acceptRetryTimer->expires_after(std::chrono::milliseconds(100));
                    acceptRetryTimer->async_wait([this](const beast::error_code &timerEc) {
                        if (!timerEc && !shared->stopping)
                            accept();
                    });
                    return;
                }
                std::shared_ptr<Connection> connection;
                {
                    std::lock_guard lock(shared->mutex);
                    if (shared->connections.size() < shared->options.maxConnections) {
                        connection = std::make_shared<Connection>(std::move(socket), shared);
                        shared->connections.emplace(connection.get(), connection);
                    }
                }
                if (connection)
                    connection->start();
                else
                    lcServer.warning("too many connections; refusing one");
                accept();
            });
    }

    std::size_t connectionCount() const
    {
        std::lock_guard lock(shared->mutex);
        return shared->connections.size();
    }
};

Server::Server(ServerOptions options)
    : d(std::make_unique<Private>())
{
    d->shared->options = std::move(options);
}

Server::~Server()
{
    stop();
}

void Server::setHandler(std::shared_ptr<Handler> handler)
{
    std::lock_guard lock(d->shared->mutex);
    d->shared->handler = std::move(handler);
}

void Server::addAuthenticator(std::shared_ptr<Authenticator> authenticator)
{
    std::lock_guard lock(d->shared->mutex);
    d->shared->authenticators.push_back(std::move(authenticator));
}

void Server::addHealthCheck(std::string name, std::function<bool()> check, Probe probes)
{
    std::lock_guard lock(d->shared->mutex);
    d->shared->checks.push_back({std::move(name), std::move(check), static_cast<int>(probes)});
}

Result<void> Server::start()
{
    if (d->running)
        return Error(Error::Code::Internal, "server already started");
    const ServerOptions &options = d->shared->options;
    beast::error_code ec;
    const auto address = net::ip::make_address(options.host, ec);
    if (ec)
        return Error(Error::Code::Invalid,
                     "invalid listen address \"" + options.host + "\": expected an IP address");
    try {
        auto &ctx = d->shared->sslContext;
        ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                        | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1
                        | ssl::context::single_dh_use);
        SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
        ctx.use_certificate_chain(net::buffer(options.certificatePem));
        ctx.use_private_key(net::buffer(options.privateKeyPem), ssl::context::pem);
        if (!options.clientCaPem.empty()) {
            ctx.add_certificate_authority(net::buffer(options.clientCaPem));
            // Name the CA in the CertificateRequest so clients pick the matching certificate.
            BIO *bio = BIO_new_mem_buf(options.clientCaPem.data(),
                                       static_cast<int>(options.clientCaPem.size()));
            X509 *ca = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
            if (ca)
                SSL_CTX_add_client_CA(ctx.native_handle(), ca);
            X509_free(ca);
            BIO_free(bio);
            // Optional client certificates: requested and verified when presented.
            ctx.set_verify_mode(ssl::verify_peer);
        }
        static const unsigned char sessionContext[] = "kubedesk-cluster";
        SSL_CTX_set_session_id_context(ctx.native_handle(), sessionContext,
                                       sizeof sessionContext - 1);

        d->acceptor.emplace(d->ioc);
        const tcp::endpoint endpoint(address, options.port);
        d->acceptor->open(endpoint.protocol());
        d->acceptor->set_option(net::socket_base::reuse_address(true));
        if (address.is_v6())
            d->acceptor->set_option(net::ip::v6_only(true));
        d->acceptor->bind(endpoint);
        d->acceptor->listen(net::socket_base::max_listen_connections);
        d->port = d->acceptor->local_endpoint().port();
    } catch (const boost::system::system_error &e) {
        d->acceptor.reset();
        return Error(Error::Code::Io, "cannot listen on " + options.host + ":"
                                          + std::to_string(options.port) + ": "
                                          + e.code().message());
    } catch (const std::exception &e) {
        d->acceptor.reset();
        return Error(Error::Code::Invalid, std::string("cannot set up TLS: ") + e.what());
    }

    d->acceptRetryTimer.emplace(d->ioc);
    d->work.emplace(d->ioc.get_executor());
    d->running = true;
    d->accept();
    const int threads = std::clamp(options.threads, 1, 8);
    for (int i = 0; i < threads; ++i) {
        d->threads.emplace_back([this] {
            core::util::setCurrentThreadName("kd-io");
            for (;;) {
                try {
                    d->ioc.run();
                    return;
                } catch (const std::exception &e) {
                    // A handler threw past its connection; keep serving the others.
                    lcServer.error(std::string("unexpected exception on I/O thread: ") + e.what());
                }
            }
        });
    }
    return {};
}

void Server::stop()
{
    if (!d->running)
        return;
    d->running = false;
    d->shared->stopping = true;
    net::post(d->ioc, [this] {
        beast::error_code ignored;
        d->acceptor->close(ignored);
        d->acceptRetryTimer->cancel();
    });
    std::vector<std::shared_ptr<Connection>> connections;
    {
        std::lock_guard lock(d->shared->mutex);
        for (auto &[key, weak] : d->shared->connections) {
            if (auto connection = weak.lock())
                connections.push_back(std::move(connection));
        }
    }
    for (auto &connection : connections)
        net::post(connection->executor(), [connection] { connection->shutdownFromServer(); });
    connections.clear();

    const auto deadline = std::chrono::steady_clock::now() + d->shared->options.shutdownGracePeriod;
    while (d->connectionCount() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (const auto left = d->connectionCount())
        lcServer.warning("closing " + std::to_string(left) + " connection(s) at shutdown");

    d->work.reset();
    d->ioc.stop();
    for (auto &thread : d->threads)
        thread.join();
    d->threads.clear();
}

std::uint16_t Server::port() const
{
    return d->port.load();
}

bool Server::ready() const
{
    if (!d->running || d->shared->stopping)
        return false;
    std::vector<HealthCheck> checks;
    {
        std::lock_guard lock(d->shared->mutex);
        checks = d->shared->checks;
    }
    for (const HealthCheck &check : checks) {
        if ((check.probes & static_cast<int>(Probe::Ready)) && !check.check())
            return false;
    }
    return true;
}

} // namespace kd::lc::server
