#include <core/transport/httpclient.h>
#include <core/util/guard.h>

#include <core/transport/curlsetup_p.h>
#include <core/util/log.h>
#include <core/util/threadname.h>

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

namespace kd::core::transport {

namespace {

const util::LogCategory lcTransport{"kd.transport"};

using SteadyClock = std::chrono::steady_clock;

bool isConnectionFailure(CURLcode code)
{
    // client-go retries GETs on connection resets and unexpected EOFs only.
    switch (code) {
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

std::optional<int> retryAfterSeconds(const HttpResponse &response)
{
    const std::string value = response.header("Retry-After");
    int seconds = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() || seconds < 0)
        return std::nullopt;
    return seconds;
}

std::string trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty()
           && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'
               || text.back() == '\n'))
        text.remove_suffix(1);
    return std::string(text);
}

} // namespace

namespace detail {

// Wakes the I/O thread out of epoll_wait (an eventfd); `sweep` asks it to look for cancelled
// transfers. Owned by the client; any thread.
struct Waker
{
    int fd = -1;
    std::atomic<bool> sweep{false};

    void wake() const
    {
        const std::uint64_t one = 1;
        // A full counter (never in practice) already means "wake up".
        [[maybe_unused]] const ssize_t written = ::write(fd, &one, sizeof one);
    }
};

// Shared between the caller's handle, the I/O thread and queued deliveries.
struct RequestState
{
    std::atomic<bool> cancelled{false};
    std::atomic<bool> finished{false};
    bool hasGuard = false;
    std::weak_ptr<const void> guard;
    // Wakes the I/O thread so a cancellation takes effect promptly; cleared at shutdown.
    std::mutex wakeMutex;
    Waker *waker = nullptr;

    bool mayDeliver() const
    {
        if (cancelled.load())
            return false;
        return !hasGuard || !guard.expired();
    }
};

} // namespace detail

RequestHandle::RequestHandle(std::shared_ptr<detail::RequestState> state)
    : m_state(std::move(state))
{}

void RequestHandle::cancel() const
{
    if (!m_state)
        return;
    m_state->cancelled.store(true);
    std::lock_guard lock(m_state->wakeMutex);
    if (m_state->waker) {
        m_state->waker->sweep.store(true);
        m_state->waker->wake();
    }
}

bool RequestHandle::isFinished() const
{
    return m_state && (m_state->finished.load() || m_state->cancelled.load());
}

class HttpClient::Private
{
public:
    struct Transfer
    {
        uint64_t id = 0;
        HttpRequest request;
        bool streaming = false;
        ResponseCallback done;
        StreamHandler stream;
        // Set for sendAndWait(): delivered on the I/O thread, bypassing the executor.
        std::function<void(util::Result<HttpResponse>)> direct;
        std::shared_ptr<detail::RequestState> state;

        CURL *easy = nullptr;
        curl_slist *headerList = nullptr;
        detail::CurlSlist connectTo;
        char errorBuffer[CURL_ERROR_SIZE] = {};
        bool inMulti = false;
        SteadyClock::time_point startAt;
        SteadyClock::time_point attemptStarted;

        HttpResponse response;
        bool headersComplete = false;
        bool headersDelivered = false;
        int retries = 0;
        bool authRetried = false;
        Private *owner = nullptr;
    };

    Private(ConnectionConfig config, Executor executor);
    ~Private();

    RequestHandle submit(std::unique_ptr<Transfer> transfer, std::weak_ptr<const void> guard);
    void run();

    ConnectionConfig m_config;
    Executor m_executor;
    CURLM *m_multi = nullptr;
    // curl's socket interface: only sockets with activity are handed to curl, so an event on
    // one of many open watches costs the same as on the only one (curl_multi_perform walks
    // every transfer on each wake-up).
    int m_epoll = -1;
    detail::Waker m_waker;
    std::thread m_thread;

    std::mutex m_mutex;
    std::vector<std::unique_ptr<Transfer>> m_incoming;
    bool m_stopping = false;
    uint64_t m_nextId = 1;

    // I/O thread only.
    std::map<uint64_t, std::unique_ptr<Transfer>> m_transfers;
    std::mt19937 m_random{std::random_device{}()};
    // When curl wants CURL_SOCKET_TIMEOUT (its timer callback); unset: no timer.
    std::optional<SteadyClock::time_point> m_curlDeadline;
    // The transfer list needs a pass: a transfer finished, left the multi for a retry, or was
    // cancelled. m_nextRetry: the earliest retry due.
    bool m_rescan = false;
    std::optional<SteadyClock::time_point> m_nextRetry;

    std::atomic<int> m_attempts{0};
    std::atomic<int> m_retries{0};
    std::atomic<int> m_connections{0};

private:
    void startAttempt(Transfer &t);
    void finishAttempt(Transfer &t, CURLcode code);
    void complete(Transfer &t, util::Result<HttpResponse> result);
    void deliver(Transfer &t, std::function<void()> fn);
    void scheduleRetry(Transfer &t, std::chrono::milliseconds delay, std::string_view why);
    void detach(Transfer &t);
    std::chrono::milliseconds backoff(int retry);

    void rescan(SteadyClock::time_point now);

    static size_t onHeader(char *data, size_t size, size_t count, void *user);
    static size_t onData(char *data, size_t size, size_t count, void *user);
    static int onSocket(CURL *easy, curl_socket_t socket, int what, void *user, void *socketData);
    static int onTimer(CURLM *multi, long timeoutMs, void *user);
};

HttpClient::Private::Private(ConnectionConfig config, Executor executor)
    : m_config(std::move(config))
    , m_executor(std::move(executor))
{
    detail::ensureCurlGlobalInit();
    m_multi = curl_multi_init();
    curl_multi_setopt(m_multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    // libcurl's default cache holds four idle connections per transfer in progress, so it shrinks
    // whenever a burst of parallel requests ends, and HTTP/1.1 servers then pay a TLS handshake
    // for every connection closed that way. A fixed size keeps a burst's connections for reuse.
    curl_multi_setopt(m_multi, CURLMOPT_MAXCONNECTS, 64L);
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    m_waker.fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.fd = m_waker.fd;
    if (m_epoll < 0 || m_waker.fd < 0
        || ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_waker.fd, &wake) != 0)
        lcTransport.error("cannot create the HTTP client's event loop; requests will not run");
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETFUNCTION, &Private::onSocket);
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERFUNCTION, &Private::onTimer);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERDATA, this);
    m_thread = std::thread([this] {
        util::setCurrentThreadName("kd-http");
        run();
    });
}

HttpClient::Private::~Private()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_waker.wake();
    m_thread.join();
    // Cleanup still reports sockets to onSocket, which needs the epoll descriptor.
    curl_multi_cleanup(m_multi);
    if (m_epoll >= 0)
        ::close(m_epoll);
    if (m_waker.fd >= 0)
        ::close(m_waker.fd);
}

RequestHandle HttpClient::Private::submit(std::unique_ptr<Transfer> transfer,
                                          std::weak_ptr<const void> guard)
{
    auto state = std::make_shared<detail::RequestState>();
    state->hasGuard = util::isGuardSet(guard);
    state->guard = std::move(guard);
    state->waker = &m_waker;
    transfer->state = state;
    transfer->owner = this;
    {
        std::lock_guard lock(m_mutex);
        transfer->id = m_nextId++;
        if (m_stopping) {
            state->waker = nullptr;
            if (transfer->direct)
                transfer->direct(
                    util::Error(util::Error::Code::Cancelled, "HTTP client shut down"));
            return RequestHandle(state);
        }
        m_incoming.push_back(std::move(transfer));
    }
    m_waker.wake();
    return RequestHandle(state);
}

int HttpClient::Private::onSocket(CURL *, curl_socket_t socket, int what, void *user, void *)
{
    auto *self = static_cast<Private *>(user);
    if (what == CURL_POLL_REMOVE) {
        // curl may already have closed it, which removed it from the set; nothing to undo then.
        ::epoll_ctl(self->m_epoll, EPOLL_CTL_DEL, socket, nullptr);
        return 0;
    }
    epoll_event event{};
    event.events
        = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
    event.data.fd = socket;
    if (::epoll_ctl(self->m_epoll, EPOLL_CTL_MOD, socket, &event) != 0 && errno == ENOENT)
        ::epoll_ctl(self->m_epoll, EPOLL_CTL_ADD, socket, &event);
    return 0;
}

int HttpClient::Private::onTimer(CURLM *, long timeoutMs, void *user)
{
    auto *self = static_cast<Private *>(user);
    if (timeoutMs < 0)
        self->m_curlDeadline.reset();
    else
        self->m_curlDeadline = SteadyClock::now() + std::chrono::milliseconds(timeoutMs);
    return 0;
}

// One pass over the transfers: drops cancelled and finished ones, restarts retries that are due
// and notes when the next one is.
void HttpClient::Private::rescan(SteadyClock::time_point now)
{
    m_rescan = false;
    m_nextRetry.reset();
    for (auto it = m_transfers.begin(); it != m_transfers.end();) {
        Transfer &t = *it->second;
        if (t.state->cancelled.load()) {
            lcTransport.debug(
                [&] { return t.request.method + " " + t.request.path + " cancelled"; });
        } else if (!t.state->finished.load()) {
            if (!t.inMulti && t.startAt <= now)
                startAttempt(t);
            // A failed start completes the transfer; otherwise it is running or still waiting.
            if (!t.state->finished.load()) {
                if (!t.inMulti)
                    m_nextRetry = std::min(m_nextRetry.value_or(t.startAt), t.startAt);
                ++it;
                continue;
            }
        } else if (t.inMulti) {
            ++it;
            continue;
        }
        detach(t);
        it = m_transfers.erase(it);
    }
}

void HttpClient::Private::run()
{
    constexpr int kMaxEvents = 64;
    epoll_event events[kMaxEvents];
    while (true) {
        std::vector<std::unique_ptr<Transfer>> incoming;
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping)
                break;
            incoming.swap(m_incoming);
        }
        auto now = SteadyClock::now();
        for (auto &t : incoming) {
            Transfer &ref = *t;
            m_transfers.emplace(t->id, std::move(t));
            ref.startAt = now;
            startAttempt(ref);
        }
        if (m_waker.sweep.exchange(false) || m_rescan || (m_nextRetry && *m_nextRetry <= now))
            rescan(now);

        int running = 0;
        if (m_curlDeadline && *m_curlDeadline <= SteadyClock::now()) {
            m_curlDeadline.reset();
            curl_multi_socket_action(m_multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        int queued = 0;
        while (CURLMsg *msg = curl_multi_info_read(m_multi, &queued)) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            Transfer *t = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
            finishAttempt(*t, msg->data.result);
            m_rescan = true;
        }
        if (m_rescan)
            rescan(SteadyClock::now());

        // Sleep until a socket is ready, curl's timer or a retry is due, or a command arrives.
        now = SteadyClock::now();
        auto wait = std::chrono::milliseconds(1000);
        for (const auto &due : {m_curlDeadline, m_nextRetry}) {
            if (due) {
                // Rounded up: waking a fraction of a millisecond early would spin.
                const auto left = std::chrono::ceil<std::chrono::milliseconds>(
                    std::max(*due - now, SteadyClock::duration(0)));
                wait = std::min(wait, left);
            }
        }
        const int ready = ::epoll_wait(m_epoll, events, kMaxEvents, static_cast<int>(wait.count()));
        for (int i = 0; i < ready; ++i) {
            if (events[i].data.fd == m_waker.fd) {
                std::uint64_t count = 0;
                [[maybe_unused]] const ssize_t n = ::read(m_waker.fd, &count, sizeof count);
                continue;
            }
            int flags = 0;
            if (events[i].events & EPOLLIN)
                flags |= CURL_CSELECT_IN;
            if (events[i].events & EPOLLOUT)
                flags |= CURL_CSELECT_OUT;
            if (events[i].events & (EPOLLERR | EPOLLHUP))
                flags |= CURL_CSELECT_ERR;
            curl_multi_socket_action(m_multi, events[i].data.fd, flags, &running);
        }
    }

    for (auto &[id, t] : m_transfers) {
        if (t->direct)
            t->direct(util::Error(util::Error::Code::Cancelled, "HTTP client shut down"));
        detach(*t);
    }
    m_transfers.clear();
    std::lock_guard lock(m_mutex);
    for (auto &t : m_incoming) {
        if (t->direct)
            t->direct(util::Error(util::Error::Code::Cancelled, "HTTP client shut down"));
        std::lock_guard wakeLock(t->state->wakeMutex);
        t->state->waker = nullptr;
    }
    m_incoming.clear();
}

void HttpClient::Private::detach(Transfer &t)
{
    if (t.easy) {
        if (t.inMulti)
            curl_multi_remove_handle(m_multi, t.easy);
        curl_easy_cleanup(t.easy);
        t.easy = nullptr;
    }
    t.inMulti = false;
    curl_slist_free_all(t.headerList);
    t.headerList = nullptr;
    std::lock_guard lock(t.state->wakeMutex);
    t.state->waker = nullptr;
}

void HttpClient::Private::startAttempt(Transfer &t)
{
    t.response = HttpResponse();
    t.headersComplete = false;
    t.errorBuffer[0] = 0;
    ++m_attempts;

    if (!t.easy) {
        t.easy = curl_easy_init();
        if (!t.easy) {
            complete(t, util::Error(util::Error::Code::Internal, "curl_easy_init failed"));
            return;
        }
    } else {
        curl_easy_reset(t.easy);
    }
    CURL *easy = t.easy;
    auto target = detail::resolveTarget(m_config, t.request.path);
    if (!target) {
        complete(t, target.error());
        return;
    }
    if (auto r = detail::applyConnectionOptions(easy, m_config, *target, t.connectTo); !r) {
        complete(t, r.error());
        return;
    }
    curl_easy_setopt(easy, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.errorBuffer);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    // Wait for a multiplexable connection instead of opening a second one during the handshake.
    curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Private::onHeader);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Private::onData);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t);

    const std::string &method = t.request.method;
    if (method == "HEAD") {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else {
        const bool sendsBody
            = !t.request.body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
        if (sendsBody) {
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(t.request.body.size()));
            curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t.request.body.data());
        }
        if (method != "GET" || sendsBody)
            curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    if (t.request.timeout.count() > 0 && !t.streaming)
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(t.request.timeout.count()));
    if (t.request.idleTimeout.count() > 0) {
        // curl measures the low-speed window in whole seconds.
        const long seconds
            = std::max<long>(1, static_cast<long>((t.request.idleTimeout.count() + 999) / 1000));
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, seconds);
    }

    curl_slist_free_all(t.headerList);
    t.headerList = nullptr;
    HttpHeaders headers = t.request.headers;
    // Suppress curl's "Expect: 100-continue" round trip for larger bodies.
    headers.emplace_back("Expect", "");
    if (!target->hostHeader.empty())
        headers.emplace_back("Host", target->hostHeader);
    if (m_config.auth.authorizationHeader) {
        std::string auth = m_config.auth.authorizationHeader();
        if (!auth.empty())
            headers.emplace_back("Authorization", std::move(auth));
    }
    for (const auto &[name, value] : headers) {
        // "Name;" is curl's spelling for a header with an empty value; "Name:" removes it.
        const std::string line = value.empty() ? name + ":" : name + ": " + value;
        t.headerList = curl_slist_append(t.headerList, line.c_str());
    }
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t.headerList);

    lcTransport.debug([&] {
        std::string text = method + " " + target->url;
        if (t.retries > 0)
            text += " (retry " + std::to_string(t.retries) + ")";
        for (const auto &[name, value] : headers) {
            if (!value.empty())
                text += "\n  " + name + ": " + redactedHeaderValue(name, value);
        }
        return text;
    });

    t.attemptStarted = SteadyClock::now();
    const CURLMcode rc = curl_multi_add_handle(m_multi, easy);
    if (rc != CURLM_OK) {
        complete(t, util::Error(util::Error::Code::Internal,
                                std::string("curl_multi_add_handle: ") + curl_multi_strerror(rc)));
        return;
    }
    t.inMulti = true;
}

size_t HttpClient::Private::onHeader(char *data, size_t size, size_t count, void *user)
{
    auto &t = *static_cast<Transfer *>(user);
    const size_t length = size * count;
    if (t.state->cancelled.load())
        return 0;
    const std::string_view line(data, length);
    if (line.starts_with("HTTP/")) {
        // A new response (after 100 Continue or an auth round trip): forget the previous one.
        t.response.headers.clear();
        t.headersComplete = false;
        return length;
    }
    if (line == "\r\n" || line == "\n") {
        long status = 0;
        curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 100 && status < 200)
            return length;
        t.response.status = static_cast<int>(status);
        long version = 0;
        curl_easy_getinfo(t.easy, CURLINFO_HTTP_VERSION, &version);
        t.response.httpVersion = version == CURL_HTTP_VERSION_2_0 ? 2 : 1;
        t.response.warnings = parseWarningHeaders(t.response.headers);
        t.headersComplete = true;
        if (t.streaming && t.response.ok() && !t.headersDelivered) {
            t.headersDelivered = true;
            if (t.stream.headers) {
                t.owner->deliver(t, [fn = t.stream.headers, head = t.response] { fn(head); });
            }
        }
        return length;
    }
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos)
        t.response.headers.emplace_back(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
    return length;
}

size_t HttpClient::Private::onData(char *data, size_t size, size_t count, void *user)
{
    auto &t = *static_cast<Transfer *>(user);
    const size_t length = size * count;
    if (t.state->cancelled.load())
        return 0; // aborts the transfer; the loop then drops it
    if (t.headersDelivered) {
        if (t.stream.data) {
            t.owner->deliver(t, [fn = t.stream.data, chunk = std::string(data, length)]() mutable {
                fn(std::move(chunk));
            });
        }
    } else {
        t.response.body.append(data, length);
    }
    return length;
}

std::chrono::milliseconds HttpClient::Private::backoff(int retry)
{
    const auto &policy = m_config.retry;
    double delay = static_cast<double>(policy.initialBackoff.count());
    for (int i = 0; i < retry && delay < static_cast<double>(policy.maxBackoff.count()); ++i)
        delay *= 2;
    delay = std::min(delay, static_cast<double>(policy.maxBackoff.count()));
    // Jitter between half and the full delay keeps many clients from retrying in lockstep.
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    return std::chrono::milliseconds(static_cast<long long>(delay * jitter(m_random)));
}

void HttpClient::Private::scheduleRetry(Transfer &t, std::chrono::milliseconds delay,
                                        std::string_view why)
{
    lcTransport.debug([&] {
        return t.request.method + " " + t.request.path + ": " + std::string(why) + ", retrying in "
               + std::to_string(delay.count()) + " ms";
    });
    curl_multi_remove_handle(m_multi, t.easy);
    t.inMulti = false;
    ++t.retries;
    ++m_retries;
    t.startAt = SteadyClock::now() + delay;
    m_rescan = true;
}

void HttpClient::Private::finishAttempt(Transfer &t, CURLcode code)
{
    long connects = 0;
    curl_easy_getinfo(t.easy, CURLINFO_NUM_CONNECTS, &connects);
    m_connections += static_cast<int>(connects);
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now()
                                                                               - t.attemptStarted);

    if (t.state->cancelled.load())
        return; // the loop drops it
    const bool canRetry = t.retries < m_config.retry.maxRetries;

    if (code != CURLE_OK) {
        lcTransport.debug([&] {
            return t.request.method + " " + t.request.path + " failed after "
                   + std::to_string(elapsed.count()) + " ms: " + curl_easy_strerror(code) + " "
                   + t.errorBuffer;
        });
        if (canRetry && t.request.method == "GET" && !t.headersDelivered
            && isConnectionFailure(code)) {
            scheduleRetry(t, backoff(t.retries), curl_easy_strerror(code));
            return;
        }
        complete(t,
                 detail::curlError(code, t.errorBuffer, t.request.method + " " + t.request.path));
        return;
    }

    if (!t.headersComplete) {
        // HEAD answers and bodiless responses may end without the blank-line callback.
        long status = 0;
        curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
        t.response.status = static_cast<int>(status);
        t.response.warnings = parseWarningHeaders(t.response.headers);
    }
    HttpResponse &response = t.response;
    lcTransport.debug([&] {
        std::string text = t.request.method + " " + t.request.path + " -> "
                           + std::to_string(response.status) + " in "
                           + std::to_string(elapsed.count()) + " ms";
        for (const auto &[name, value] : response.headers)
            text += "\n  " + name + ": " + redactedHeaderValue(name, value);
        return text;
    });

    if (response.status == 401 && !t.authRetried && m_config.auth.onUnauthorized) {
        t.authRetried = true;
        if (m_config.auth.onUnauthorized()) {
            curl_multi_remove_handle(m_multi, t.easy);
            t.inMulti = false;
            t.startAt = SteadyClock::now();
            m_rescan = true;
            return;
        }
    }
    if (response.status == 429 || response.status >= 500) {
        if (const auto seconds = retryAfterSeconds(response); seconds && canRetry) {
            const auto delay
                = std::min(std::chrono::seconds(*seconds), m_config.retry.maxRetryAfter);
            scheduleRetry(t, delay, "HTTP " + std::to_string(response.status));
            return;
        }
    }
    if (t.headersDelivered)
        response.body.clear();
    complete(t, std::move(response));
}

void HttpClient::Private::complete(Transfer &t, util::Result<HttpResponse> result)
{
    if (t.inMulti) {
        curl_multi_remove_handle(m_multi, t.easy);
        t.inMulti = false;
    }
    m_rescan = true;
    t.state->finished.store(true);
    if (t.direct) {
        t.direct(std::move(result));
        return;
    }
    auto fn = t.streaming ? t.stream.finished : t.done;
    if (!fn)
        return;
    deliver(t,
            [fn = std::move(fn), result = std::move(result)]() mutable { fn(std::move(result)); });
}

void HttpClient::Private::deliver(Transfer &t, std::function<void()> fn)
{
    if (!m_executor) {
        if (t.state->mayDeliver())
            fn();
        return;
    }
    m_executor([state = t.state, fn = std::move(fn)] {
        if (state->mayDeliver())
            fn();
    });
}

HttpClient::HttpClient(ConnectionConfig config, Executor executor)
    : d(std::make_unique<Private>(std::move(config), std::move(executor)))
{}

HttpClient::~HttpClient() = default;

RequestHandle HttpClient::send(HttpRequest request, ResponseCallback done,
                               std::weak_ptr<const void> guard)
{
    auto t = std::make_unique<Private::Transfer>();
    t->request = std::move(request);
    t->done = std::move(done);
    return d->submit(std::move(t), std::move(guard));
}

RequestHandle HttpClient::stream(HttpRequest request, StreamHandler handler,
                                 std::weak_ptr<const void> guard)
{
    auto t = std::make_unique<Private::Transfer>();
    t->request = std::move(request);
    t->streaming = true;
    t->stream = std::move(handler);
    return d->submit(std::move(t), std::move(guard));
}

util::Result<HttpResponse> HttpClient::sendAndWait(HttpRequest request)
{
    auto promise = std::make_shared<std::promise<util::Result<HttpResponse>>>();
    auto future = promise->get_future();
    auto t = std::make_unique<Private::Transfer>();
    t->request = std::move(request);
    t->direct
        = [promise](util::Result<HttpResponse> result) { promise->set_value(std::move(result)); };
    (void)d->submit(std::move(t), {});
    return future.get();
}

const ConnectionConfig &HttpClient::config() const
{
    return d->m_config;
}

const Executor &HttpClient::executor() const
{
    return d->m_executor;
}

HttpClient::Stats HttpClient::stats() const
{
    return Stats{d->m_attempts.load(), d->m_retries.load(), d->m_connections.load()};
}

} // namespace kd::core::transport
