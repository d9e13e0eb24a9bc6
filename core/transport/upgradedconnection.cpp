#include <core/transport/upgradedconnection_p.h>

#include <algorithm>
#include <charconv>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace kd::core::transport::detail {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
        text.remove_suffix(1);
    return std::string(text);
}

// One connection attempt; the retry after a 401 is another.
class UpgradeAttempt final
{
public:
    UpgradeAttempt(const ConnectionConfig &config, const UpgradeRequest &request,
                   const UpgradeWording &wording)
        : m_config(config)
        , m_request(request)
        , m_wording(wording)
        , m_deadline(SteadyClock::now() + request.timeout)
    {}

    // The upgraded connection, or an Error; `retryAfterAuth` is set when a 401 changed the
    // credentials.
    util::Result<UpgradedConnection> run(bool &retryAfterAuth);

private:
    bool cancelled() const { return m_request.cancelled && m_request.cancelled(); }
    util::Result<void> connect(UpgradedConnection &connection, std::string &url);
    util::Result<void> waitSocket(short events);
    util::Result<void> sendAll(std::string_view bytes);
    util::Result<std::string> readHead(std::string &leftover);
    util::Result<HttpResponse> parseHead(std::string_view head) const;
    void readBody(HttpResponse &response, std::string leftover);

    const ConnectionConfig &m_config;
    const UpgradeRequest &m_request;
    const UpgradeWording &m_wording;
    const SteadyClock::time_point m_deadline;
    CURL *m_easy = nullptr;
    curl_socket_t m_socket = CURL_SOCKET_BAD;
};

util::Result<void> UpgradeAttempt::waitSocket(short events)
{
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            m_deadline - SteadyClock::now());
        if (left.count() <= 0)
            return util::Error(util::Error::Code::Timeout,
                               std::string(m_wording.handshake) + " timed out");
        // Short slices so that the owner's destructor is noticed.
        pollfd fd{static_cast<int>(m_socket), events, 0};
        const int n = ::poll(&fd, 1, static_cast<int>(std::min<long long>(left.count(), 100)));
        if (cancelled())
            return util::Error(util::Error::Code::Cancelled, std::string(m_wording.cancelled));
        if (n > 0 && fd.revents != 0)
            return {};
    }
}

util::Result<void> UpgradeAttempt::sendAll(std::string_view bytes)
{
    while (!bytes.empty()) {
        size_t sent = 0;
        const CURLcode rc = curl_easy_send(m_easy, bytes.data(), bytes.size(), &sent);
        if (rc == CURLE_AGAIN) {
            if (auto r = waitSocket(POLLOUT); !r)
                return r;
            continue;
        }
        if (rc != CURLE_OK)
            return curlError(rc, nullptr, m_wording.sendContext);
        bytes.remove_prefix(sent);
    }
    return {};
}

util::Result<void> UpgradeAttempt::connect(UpgradedConnection &connection, std::string &url)
{
    connection.easy.reset(curl_easy_init());
    if (!connection.easy)
        return util::Error(util::Error::Code::Internal, "curl_easy_init failed");
    connection.connectTo = std::make_unique<CurlSlist>();
    m_easy = connection.easy.get();
    auto target = resolveTarget(m_config, m_request.path);
    if (!target)
        return target.error();
    if (auto r = applyConnectionOptions(m_easy, m_config, *target, *connection.connectTo); !r)
        return r.error();
    char errorBuffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(m_easy, CURLOPT_ERRORBUFFER, errorBuffer);
    curl_easy_setopt(m_easy, CURLOPT_CONNECT_ONLY, 1L);
    // ALPN must not offer h2: the upgrade is an HTTP/1.1 mechanism.
    curl_easy_setopt(m_easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    if (!m_config.proxyUrl.empty())
        curl_easy_setopt(m_easy, CURLOPT_HTTPPROXYTUNNEL, 1L);
    const auto budget
        = std::chrono::duration_cast<std::chrono::milliseconds>(m_deadline - SteadyClock::now());
    curl_easy_setopt(m_easy, CURLOPT_TIMEOUT_MS, static_cast<long>(budget.count()));
    // Lets the owner's destructor interrupt a slow connect.
    curl_easy_setopt(m_easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(m_easy, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(
        m_easy, CURLOPT_XFERINFOFUNCTION,
        +[](void *self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> int {
            return static_cast<const UpgradeAttempt *>(self)->cancelled() ? 1 : 0;
        });
    CURLcode rc = curl_easy_perform(m_easy);
    // The handle outlives this attempt and its stack: nothing may point back here.
    curl_easy_setopt(m_easy, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(m_easy, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(m_easy, CURLOPT_XFERINFOFUNCTION, nullptr);
    curl_easy_setopt(m_easy, CURLOPT_XFERINFODATA, nullptr);
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        return util::Error(util::Error::Code::Cancelled, std::string(m_wording.cancelled));
    if (rc != CURLE_OK)
        return curlError(rc, errorBuffer,
                         std::string(m_wording.protocol) + " connect to " + target->url);
    rc = curl_easy_getinfo(m_easy, CURLINFO_ACTIVESOCKET, &m_socket);
    if (rc != CURLE_OK || m_socket == CURL_SOCKET_BAD)
        return util::Error(util::Error::Code::Transport, std::string(m_wording.noSocket));
    connection.socket = m_socket;
    url = target->url;

    // Request target and Host from the URL curl connected to; a tls.serverName keeps its own Host.
    std::string hostHeader = target->hostHeader;
    std::string requestTarget = "/";
    CURLU *parsed = curl_url();
    curl_url_set(parsed, CURLUPART_URL, target->url.c_str(), 0);
    char *part = nullptr;
    if (curl_url_get(parsed, CURLUPART_PATH, &part, 0) == CURLUE_OK) {
        requestTarget = part;
        curl_free(part);
    }
    if (curl_url_get(parsed, CURLUPART_QUERY, &part, 0) == CURLUE_OK) {
        requestTarget += std::string("?") + part;
        curl_free(part);
    }
    if (hostHeader.empty() && curl_url_get(parsed, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
        hostHeader = part;
        curl_free(part);
        if (curl_url_get(parsed, CURLUPART_PORT, &part, 0) == CURLUE_OK) {
            hostHeader += std::string(":") + part;
            curl_free(part);
        }
    }
    curl_url_cleanup(parsed);

    std::string head = std::string(m_request.method) + " " + requestTarget
                       + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n";
    if (m_request.upgradeHeaders) {
        auto headers = m_request.upgradeHeaders();
        if (!headers)
            return headers.error();
        for (const auto &[name, value] : *headers)
            head += name + ": " + value + "\r\n";
    }
    if (!m_config.userAgent.empty())
        head += "User-Agent: " + m_config.userAgent + "\r\n";
    if (m_config.auth.authorizationHeader) {
        const std::string auth = m_config.auth.authorizationHeader();
        if (!auth.empty())
            head += "Authorization: " + auth + "\r\n";
    }
    for (const auto &[name, value] : m_request.extraHeaders)
        head += name + ": " + value + "\r\n";
    head += "\r\n";
    if (m_request.log) {
        m_request.log->debug([&] {
            return std::string(m_request.method) + " " + target->url + " ("
                   + std::string(m_wording.protocol) + " upgrade)";
        });
    }
    return sendAll(head);
}

util::Result<std::string> UpgradeAttempt::readHead(std::string &leftover)
{
    std::string head;
    size_t headEnd = std::string::npos;
    while (headEnd == std::string::npos) {
        char buffer[4096];
        size_t received = 0;
        const CURLcode rc = curl_easy_recv(m_easy, buffer, sizeof buffer, &received);
        if (rc == CURLE_AGAIN) {
            if (auto r = waitSocket(POLLIN); !r)
                return r.error();
            continue;
        }
        if (rc != CURLE_OK)
            return curlError(rc, nullptr, m_wording.handshake);
        if (received == 0)
            return util::Error(util::Error::Code::Transport,
                               std::string(m_wording.handshake)
                                   + ": connection closed by the server");
        head.append(buffer, received);
        headEnd = head.find("\r\n\r\n");
        if (headEnd == std::string::npos && head.size() > 64 * 1024)
            return util::Error(util::Error::Code::Transport, std::string(m_wording.headerTooLarge));
    }
    // Bytes after the head already belong to the new protocol (or to a refusal's body).
    leftover = head.substr(headEnd + 4);
    head.resize(headEnd);
    return head;
}

util::Result<HttpResponse> UpgradeAttempt::parseHead(std::string_view head) const
{
    HttpResponse response;
    size_t lineStart = 0;
    bool first = true;
    while (lineStart <= head.size()) {
        size_t lineEnd = head.find("\r\n", lineStart);
        if (lineEnd == std::string_view::npos)
            lineEnd = head.size();
        const std::string_view line = head.substr(lineStart, lineEnd - lineStart);
        if (first) {
            first = false;
            const size_t space = line.find(' ');
            if (!line.starts_with("HTTP/1.") || space == std::string_view::npos)
                return util::Error(util::Error::Code::Transport,
                                   std::string(m_wording.handshake) + ": malformed status line");
            const auto code = line.substr(space + 1, 3);
            std::from_chars(code.data(), code.data() + code.size(), response.status);
        } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
            response.headers.emplace_back(trim(line.substr(0, colon)),
                                          trim(line.substr(colon + 1)));
        }
        lineStart = lineEnd + 2;
    }
    response.httpVersion = 1;
    response.warnings = parseWarningHeaders(response.headers);
    return response;
}

void UpgradeAttempt::readBody(HttpResponse &response, std::string leftover)
{
    // The refusal's body (a metav1.Status) is what the caller needs; read what Content-Length
    // promises within the deadline.
    response.body = std::move(leftover);
    size_t expected = 0;
    const std::string length = response.header("Content-Length");
    std::from_chars(length.data(), length.data() + length.size(), expected);
    expected = std::min<size_t>(expected, 1024 * 1024);
    while (response.body.size() < expected) {
        char buffer[4096];
        size_t received = 0;
        const CURLcode rc = curl_easy_recv(m_easy, buffer, sizeof buffer, &received);
        if (rc == CURLE_AGAIN) {
            if (!waitSocket(POLLIN))
                break;
            continue;
        }
        if (rc != CURLE_OK || received == 0)
            break;
        response.body.append(buffer, received);
    }
}

util::Result<UpgradedConnection> UpgradeAttempt::run(bool &retryAfterAuth)
{
    UpgradedConnection connection;
    std::string url;
    if (auto r = connect(connection, url); !r)
        return r.error();
    auto head = readHead(connection.leftover);
    if (!head)
        return head.error();
    auto response = parseHead(*head);
    if (!response)
        return response.error();
    if (response->status != 101) {
        readBody(*response, std::move(connection.leftover));
        if (response->status == 401 && m_config.auth.onUnauthorized
            && m_config.auth.onUnauthorized())
            retryAfterAuth = true;
        return response->statusError();
    }
    connection.response = std::move(*response);
    return connection;
}

} // namespace

util::Result<UpgradedConnection> openUpgradedConnection(const ConnectionConfig &config,
                                                        const UpgradeRequest &request,
                                                        const UpgradeWording &wording)
{
    bool retryAfterAuth = false;
    auto result = UpgradeAttempt(config, request, wording).run(retryAfterAuth);
    if (!result && retryAfterAuth) {
        bool again = false;
        return UpgradeAttempt(config, request, wording).run(again);
    }
    return result;
}

util::Result<void> UpgradedConnection::sendSome(std::string &pending,
                                                std::string_view context) const
{
    while (!pending.empty()) {
        size_t sent = 0;
        const CURLcode rc = curl_easy_send(easy.get(), pending.data(), pending.size(), &sent);
        if (rc == CURLE_AGAIN)
            return {};
        if (rc != CURLE_OK)
            return curlError(rc, nullptr, context);
        pending.erase(0, sent);
    }
    return {};
}

util::Result<bool> UpgradedConnection::receiveAvailable(std::string &into,
                                                        std::string_view context) const
{
    while (true) {
        char buffer[16384];
        size_t received = 0;
        const CURLcode rc = curl_easy_recv(easy.get(), buffer, sizeof buffer, &received);
        if (rc == CURLE_AGAIN)
            return false;
        if (rc != CURLE_OK)
            return curlError(rc, nullptr, context);
        if (received == 0)
            return true;
        into.append(buffer, received);
        if (into.size() > 1024 * 1024)
            return false;
    }
}

WakePipe::WakePipe()
{
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0) {
        m_read = fds[0];
        m_write = fds[1];
    }
}

WakePipe::~WakePipe()
{
    if (m_read >= 0)
        ::close(m_read);
    if (m_write >= 0)
        ::close(m_write);
}

void WakePipe::wake()
{
    if (m_write >= 0) {
        const char byte = 1;
        [[maybe_unused]] const auto written = ::write(m_write, &byte, 1);
    }
}

void WakePipe::wait(curl_socket_t socket, short events, std::chrono::milliseconds timeout)
{
    pollfd fds[2] = {{static_cast<int>(socket), events, 0}, {m_read, POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(timeout.count()));
    if (n > 0 && (fds[1].revents & POLLIN)) {
        char drain[64];
        while (::read(m_read, drain, sizeof drain) > 0) {}
    }
}

} // namespace kd::core::transport::detail
