// End-to-end benchmark of kubedesk-cluster as clients see it, over HTTPS: cold start to /readyz
// and to the kubeconfig, idle RSS, durable creates per second with 1 and 32 concurrent clients
// (from a lean Beast load generator), LIST of 10,000 pods as JSON and as a Table and watch
// latency with 100 watchers (with the project's own client). Prints the figures and writes them
// as JSON (--json FILE).
//
//   bench_apiserver --cluster PATH/kubedesk-cluster [--pods 10000] [--json FILE]

#include "benchutil.h"

#include <core/client/restclient.h>
#include <core/engine/clusterconnection.h>
#include <core/kubeconfig/credentials.h>
#include <core/kubeconfig/kubeconfig.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <iterator>
#include <mutex>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char **environ;

using namespace kd::core;
using client::ResourceRef;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string argValue(int argc, char **argv, const std::string &name, const std::string &fallback)
{
    for (int i = 1; i + 1 < argc; ++i) {
        if (argv[i] == name)
            return argv[i + 1];
    }
    return fallback;
}

long long processRssBytes(pid_t pid)
{
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stoll(line.substr(6)) * 1024;
    }
    return -1;
}

// User plus system CPU time a process has used so far, in seconds (/proc/PID/stat fields 14
// and 15). The machine's cores are shared, so CPU per request is steadier than requests/s.
double processCpuSeconds(pid_t pid)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // The command name (field 2) may hold spaces; the fields after it start past its ')'.
    const auto close = text.rfind(')');
    if (close == std::string::npos)
        return -1;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14)
            utime = std::stoll(field);
        else if (i == 15)
            stime = std::stoll(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

[[noreturn]] void fail(const std::string &message)
{
    std::fprintf(stderr, "bench_apiserver: %s\n", message.c_str());
    std::exit(1);
}

ResourceRef ref(std::string resource, std::string ns, std::string name = {})
{
    return ResourceRef{api::GroupVersionResource{"", "v1", std::move(resource)},
                       true,
                       std::move(ns),
                       std::move(name),
                       {}};
}

// The create requests for pods prefix0 ... prefix(count-1), built before any clock starts.
std::vector<transport::HttpRequest> podCreateRequests(int count, const std::string &ns,
                                                      const std::string &prefix)
{
    std::vector<transport::HttpRequest> requests;
    requests.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        nlohmann::json pod = kd::bench::makePod(ns, prefix + std::to_string(i), i);
        pod["metadata"].erase("uid");
        pod["metadata"].erase("creationTimestamp");
        pod["metadata"].erase("ownerReferences");
        requests.push_back(client::RestClient::createRequest(ref("pods", ns), pod, {}));
    }
    return requests;
}

namespace net = boost::asio;
namespace beast = boost::beast;

// One keep-alive HTTPS connection of the load generator, authenticated with the admin
// certificate the kubeconfig holds: what the create phases send with, synchronously from one
// thread. Beast rather than the project's client: the generator shares the two cores with the
// server, and a blocking request/response loop on the sending thread costs a third of what
// handing every request to curl's I/O thread and back does.
class LoadConnection final
{
public:
    LoadConnection(net::io_context &io, net::ssl::context &tls, const std::string &host,
                   const std::string &port)
        : m_stream(io, tls)
    {
        net::ip::tcp::resolver resolver(io);
        beast::get_lowest_layer(m_stream).connect(resolver.resolve(host, port));
        beast::get_lowest_layer(m_stream).socket().set_option(net::ip::tcp::no_delay(true));
        m_stream.set_verify_callback(net::ssl::host_name_verification(host));
        m_stream.handshake(net::ssl::stream_base::client);
        m_host = host + ":" + port;
    }

    // Sends `request` and reads the answer; the status, or 0 when the connection failed.
    int send(const transport::HttpRequest &request, std::string &answer)
    {
        beast::http::request<beast::http::string_body> out{beast::http::verb::post, request.path,
                                                           11};
        out.set(beast::http::field::host, m_host);
        for (const auto &[name, value] : request.headers)
            out.set(name, value);
        out.body() = request.body;
        out.prepare_payload();
        beast::error_code error;
        beast::http::write(m_stream, out, error);
        if (error)
            return 0;
        beast::http::response<beast::http::string_body> in;
        beast::http::read(m_stream, m_buffer, in, error);
        if (error)
            return 0;
        answer = std::move(in.body());
        return in.result_int();
    }

private:
    beast::ssl_stream<beast::tcp_stream> m_stream;
    beast::flat_buffer m_buffer;
    std::string m_host;
};

// Sends the pod creates from `clients` threads, each on its own connection (opened before the
// clock starts) and waiting for its answer (a durable create) before sending the next. The
// bodies are ready before the clock starts and an answer is checked (201 and the stored pod's
// name) without decoding it.
double createConcurrently(const transport::ConnectionConfig &config, int clients,
                          std::vector<transport::HttpRequest> requests, const std::string &prefix)
{
    const std::string authority = config.baseUrl.substr(config.baseUrl.find("://") + 3);
    const std::string host = authority.substr(0, authority.rfind(':'));
    const std::string port = authority.substr(authority.rfind(':') + 1);
    net::io_context io;
    net::ssl::context tls(net::ssl::context::tls_client);
    tls.add_certificate_authority(net::buffer(config.tls.caPem));
    tls.use_certificate_chain(net::buffer(config.tls.clientCertPem));
    tls.use_private_key(net::buffer(config.tls.clientKeyPem), net::ssl::context::pem);
    tls.set_verify_mode(net::ssl::verify_peer);
    std::vector<std::unique_ptr<LoadConnection>> connections;
    try {
        for (int c = 0; c < clients; ++c)
            connections.push_back(std::make_unique<LoadConnection>(io, tls, host, port));
    } catch (const std::exception &e) {
        fail(std::string("cannot connect the load generator: ") + e.what());
    }

    const int total = static_cast<int>(requests.size());
    std::atomic<int> next{0};
    std::atomic<int> failures{0};
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            std::string answer;
            for (int i = next++; i < total; i = next++) {
                const std::string quotedName = "\"" + prefix + std::to_string(i) + "\"";
                if (connections[c]->send(requests[i], answer) != 201
                    || answer.find(quotedName) == std::string::npos)
                    ++failures;
            }
        });
    }
    for (auto &t : threads)
        t.join();
    const double seconds = kd::bench::secondsSince(start);
    if (failures > 0)
        fail(std::to_string(failures.load()) + " creates failed");
    return total / seconds;
}

// Runs `work` `rounds` times and records, under `name`: the best and median wall-clock time
// (ms), the server's CPU time per round (ms; steady when other work shares the cores) and the
// server's RSS right after the last round (MB).
void measurePhase(nlohmann::json &report, const std::string &name, pid_t server, int rounds,
                  const std::function<void()> &work)
{
    std::vector<double> times;
    const double cpuBefore = processCpuSeconds(server);
    for (int i = 0; i < rounds; ++i) {
        const auto start = Clock::now();
        work();
        times.push_back(kd::bench::secondsSince(start) * 1000);
    }
    const double cpu = processCpuSeconds(server) - cpuBefore;
    std::sort(times.begin(), times.end());
    report[name + "_ms"] = times.front();
    report[name + "_median_ms"] = times[times.size() / 2];
    report[name + "_server_cpu_ms"] = cpu * 1000 / rounds;
    report["rss_after_" + name + "_mb"] = processRssBytes(server) / 1048576.0;
}

} // namespace

int main(int argc, char **argv)
{
    const std::string cluster = argValue(argc, argv, "--cluster", "");
    const int podCount = std::stoi(argValue(argc, argv, "--pods", "10000"));
    const std::string jsonPath = kd::bench::jsonPathFromArgs(argc, argv, "bench_apiserver.json");
    if (cluster.empty())
        fail("usage: bench_apiserver --cluster PATH/kubedesk-cluster [--pods N] [--json FILE]");
    std::signal(SIGPIPE, SIG_IGN);

    const fs::path dataDir
        = fs::temp_directory_path() / ("kd-bench-apiserver-" + std::to_string(::getpid()));
    fs::remove_all(dataDir);
    fs::create_directories(dataDir);
    const std::string kubeconfigPath = (dataDir / "kubeconfig").string();
    nlohmann::json report = {{"benchmark", "apiserver"}, {"pods", podCount}};

    // Cold start: from spawning the process to the kubeconfig it writes once /readyz is ok.
    const std::string dataDirArg = dataDir.string();
    const char *args[]
        = {cluster.c_str(), "serve", "--data-dir", dataDirArg.c_str(), "--listen", "127.0.0.1:0",
           "--runtime",     "none",  nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string logPath = (dataDir / "serve.log").string();
    posix_spawn_file_actions_addopen(&actions, 2, logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    pid_t pid = 0;
    const auto spawned = Clock::now();
    if (posix_spawn(&pid, cluster.c_str(), &actions, nullptr, const_cast<char **>(args), environ)
        != 0)
        fail("cannot start " + cluster);
    while (!fs::exists(kubeconfigPath)) {
        if (kd::bench::secondsSince(spawned) > 20)
            fail("the cluster did not become ready; see " + logPath);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    report["cold_start_to_kubeconfig_ms"] = kd::bench::secondsSince(spawned) * 1000;

    auto config = kubeconfig::Kubeconfig::loadFile(kubeconfigPath);
    auto credentials = kubeconfig::resolveCredentials(config, "kubedesk-local");
    if (!credentials.ok())
        fail("kubeconfig: " + credentials.error().message());
    const transport::ConnectionConfig connection
        = engine::ClusterConnection::connectionConfig(*credentials);
    client::RestClient rest(connection, [](std::function<void()> f) { f(); });
    transport::HttpRequest readyz;
    readyz.path = "/readyz";
    auto ready = rest.http().sendAndWait(readyz);
    if (!ready.ok() || ready->status != 200)
        fail("/readyz did not answer ok");

    std::this_thread::sleep_for(std::chrono::seconds(1));
    report["idle_rss_mb"] = processRssBytes(pid) / 1048576.0;

    nlohmann::json ns
        = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "bench"}}}};
    ResourceRef namespaces{api::GroupVersionResource{"", "v1", "namespaces"}, false, {}, {}, {}};
    if (!rest.create(namespaces, ns).ok())
        fail("cannot create the bench namespace");

    const long long rssBeforePods = processRssBytes(pid);
    const int soloCount = std::min(500, podCount);
    // Each create phase also reports the CPU it cost per create: the server's, and this
    // client's own (it runs on the same cores).
    const auto createPhase
        = [&](int clients, int count, const std::string &prefix, const std::string &suffix) {
              auto requests = podCreateRequests(count, "bench", prefix);
              const double serverBefore = processCpuSeconds(pid);
              const double clientBefore = processCpuSeconds(::getpid());
              report["durable_creates_per_second_" + suffix]
                  = createConcurrently(connection, clients, std::move(requests), prefix);
              report["server_cpu_us_per_create_" + suffix]
                  = (processCpuSeconds(pid) - serverBefore) * 1e6 / count;
              report["client_cpu_us_per_create_" + suffix]
                  = (processCpuSeconds(::getpid()) - clientBefore) * 1e6 / count;
          };
    createPhase(1, soloCount, "solo-", "1_client");
    createPhase(32, podCount, "pod-", "32_clients");
    // What holding the pods costs: the server's resident growth over the pods it now stores
    // (the storage's objects plus whatever else the process keeps per pod, e.g. its informers).
    std::this_thread::sleep_for(std::chrono::seconds(1)); // let controllers catch up
    const long long rssWithPods = processRssBytes(pid);
    report["rss_with_pods_mb"] = rssWithPods / 1048576.0;
    report["rss_bytes_per_stored_pod"]
        = static_cast<double>(rssWithPods - rssBeforePods) / (soloCount + podCount);

    // LIST: the whole request, transfer and client-side JSON decode, 5 rounds each.
    std::size_t listed = 0;
    measurePhase(report, "list_pods_json", pid, 5, [&] {
        auto list = rest.list(ref("pods", "bench"));
        if (!list.ok())
            fail("list: " + list.error().message());
        listed = (*list->body)["items"].size();
    });
    report["list_pods_items"] = listed;
    if (listed != static_cast<std::size_t>(soloCount + podCount))
        fail("the list has " + std::to_string(listed) + " pods, not every acknowledged create");
    // The same LIST without the client's JSON decode: server time plus transfer. The client
    // accepts gzip (as kubectl does), which the server applies to bodies of 128 KiB and more.
    measurePhase(report, "list_pods_json_transfer_only", pid, 5, [&] {
        auto raw
            = rest.http().sendAndWait(client::RestClient::listRequest(ref("pods", "bench"), {}));
        if (!raw.ok() || raw->status != 200)
            fail("raw list failed");
    });
    // And uncompressed, to tell the cost of gzip from the cost of building the body.
    measurePhase(report, "list_pods_json_identity_transfer_only", pid, 5, [&] {
        auto request = client::RestClient::listRequest(ref("pods", "bench"), {});
        request.headers.emplace_back("Accept-Encoding", "identity");
        auto raw = rest.http().sendAndWait(request);
        if (!raw.ok() || raw->status != 200)
            fail("raw identity list failed");
        for (const auto &[name, value] : raw->headers) {
            if (name == "content-encoding" || name == "Content-Encoding")
                fail("the identity list came back encoded as " + value);
        }
    });
    measurePhase(report, "list_pods_table", pid, 5, [&] {
        auto table = rest.callAndWait(client::RestClient::tableRequest(
            ref("pods", "bench"), {}, client::IncludeObject::Metadata));
        if (!table.ok() || (*table->body)["rows"].size() != listed)
            fail("table list failed");
    });

    // Watch latency: 100 watchers on configmaps; time from sending a create (which returns once
    // the write is durable) to each watcher's ADDED event.
    constexpr int watcherCount = 100;
    constexpr int rounds = 20;
    const double watchCpuBefore = processCpuSeconds(pid);
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Clock::time_point> seen(watcherCount);
    std::vector<int> counts(watcherCount, 0);
    std::vector<client::CallHandle> watches;
    std::atomic<int> opened{0};
    for (int w = 0; w < watcherCount; ++w) {
        client::WatchHandler handler;
        handler.events = [&, w](std::vector<client::WatchEvent> events) {
            std::lock_guard lock(mutex);
            for (const auto &e : events) {
                if (e.type == client::WatchEvent::Type::Added) {
                    seen[w] = Clock::now();
                    ++counts[w];
                }
            }
            changed.notify_all();
        };
        handler.finished = [](util::Result<void>) {};
        client::ListOptions options;
        options.resourceVersion = std::to_string(0);
        watches.push_back(rest.watch(ref("configmaps", "bench"), options, handler));
        ++opened;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // let every watch start
    std::vector<double> latencies;
    for (int round = 1; round <= rounds; ++round) {
        nlohmann::json cm = {{"apiVersion", "v1"},
                             {"kind", "ConfigMap"},
                             {"metadata", {{"name", "cm-" + std::to_string(round)}}},
                             {"data", {{"k", "v"}}}};
        const auto sent = Clock::now();
        if (!rest.create(ref("configmaps", "bench"), cm).ok())
            fail("configmap create failed");
        std::unique_lock lock(mutex);
        if (!changed.wait_for(lock, std::chrono::seconds(10), [&] {
                return std::all_of(counts.begin(), counts.end(), [&](int c) { return c >= round; });
            }))
            fail("not every watcher saw the event");
        for (const auto &t : seen)
            latencies.push_back(
                std::max(0.0, std::chrono::duration<double, std::milli>(t - sent).count()));
    }
    for (auto &w : watches)
        w.cancel();
    std::sort(latencies.begin(), latencies.end());
    report["watch_watchers"] = watcherCount;
    report["watch_latency_p50_ms"] = latencies[latencies.size() / 2];
    report["watch_latency_p99_ms"] = latencies[latencies.size() * 99 / 100];
    report["watch_phase_server_cpu_ms"] = (processCpuSeconds(pid) - watchCpuBefore) * 1000;
    report["rss_after_load_mb"] = processRssBytes(pid) / 1048576.0;
    // What stays once the server has been idle for a while (it trims its heap every 5 s).
    std::this_thread::sleep_for(std::chrono::seconds(6));
    report["rss_after_load_idle_mb"] = processRssBytes(pid) / 1048576.0;

    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    report["clean_exit"] = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    fs::remove_all(dataDir);
    kd::bench::writeReport(report, jsonPath);
    return 0;
}
