// kubedesk-cluster: the bundled single-node cluster. This file is the composition root of the
// serve command: it owns the data directory lock, the PKI, the HTTPS server and the kubeconfig.

#include <core/util/log.h>
#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/rest/apiserver.h>
#include <localcluster/controllers/controllermanager.h>
#include <localcluster/pki/atomicfile.h>
#include <localcluster/pki/clusterpki.h>
#include <localcluster/pki/kubeconfigwriter.h>
#include <localcluster/server/authenticator.h>
#include <localcluster/server/server.h>
#include <localcluster/server/serviceaccounttokenauthenticator.h>
#include <localcluster/storage/store.h>
#include <localcluster/version.h>

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <malloc.h>
#include <optional>
#include <string>
#include <string_view>
#include <sys/file.h>
#include <unistd.h>
#include <vector>

namespace {

using kd::core::util::LogLevel;

const kd::core::util::LogCategory lcServe{"kd.lc.serve"};

// How often an idle main thread returns freed heap memory to the system (malloc_trim).
constexpr long kTrimIntervalSeconds = 5;

constexpr const char *kUsage = R"(Usage: kubedesk-cluster <command> [options]

The Kubedesk bundled cluster: a single-node Kubernetes-compatible cluster in one process.

Commands:
  serve         Run the cluster in the foreground until SIGINT or SIGTERM.

Options:
  -h, --help    Show this help and exit.
  --version     Print the Kubedesk and Kubernetes versions and exit.

Options of serve:
  --data-dir DIR          State directory (default $XDG_DATA_HOME/kubedesk/cluster,
                          else ~/.local/share/kubedesk/cluster).
  --listen HOST:PORT      Address of the API server (default 127.0.0.1:6443; port 0 picks a
                          free port). IPv6 as [::1]:6443.
  --runtime RUNTIME       auto, docker, podman or none (control plane only). Default auto.
  --engine-socket PATH    Docker Engine API socket of the container runtime.
  -v                      Debug logging.
)";

void printVersion()
{
    const auto &info = kd::lc::buildInfo();
    std::printf("kubedesk-cluster %s (Kubernetes %s, %s, %s)\n", info.kubedeskVersion.c_str(),
                info.kubernetesVersion.c_str(), info.platform.c_str(), info.compiler.c_str());
}

struct ServeOptions
{
    std::string dataDir;
    std::string host = "127.0.0.1";
    int port = 6443;
    std::string runtime = "auto";
    std::string engineSocket;
    bool verbose = false;
};

int usageError(const std::string &message)
{
    std::fprintf(stderr, "kubedesk-cluster serve: %s\n\n%s", message.c_str(), kUsage);
    return 2;
}

bool isIpv4(const std::string &host)
{
    unsigned char buffer[4];
    return inet_pton(AF_INET, host.c_str(), buffer) == 1;
}

bool isIpv6(const std::string &host)
{
    unsigned char buffer[16];
    return inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// "HOST:PORT" or "[V6]:PORT"; "localhost" means 127.0.0.1. Returns an error message or nothing.
std::optional<std::string> parseListen(const std::string &text, ServeOptions &options)
{
    std::string host;
    std::string port;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find("]:");
        if (close == std::string::npos)
            return "--listen: expected [IPV6]:PORT, got \"" + text + "\"";
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos)
            return "--listen: expected HOST:PORT, got \"" + text + "\"";
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (host == "localhost")
        host = "127.0.0.1";
    if (!isIpv4(host) && !isIpv6(host))
        return "--listen: \"" + host + "\" is not an IP address";
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos
        || std::stoi(port) > 65535)
        return "--listen: \"" + port + "\" is not a port number";
    options.host = host;
    options.port = std::stoi(port);
    return std::nullopt;
}

std::string defaultDataDir()
{
    if (const char *xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg == '/')
        return std::string(xdg) + "/kubedesk/cluster";
    const char *home = std::getenv("HOME");
    return std::string(home && *home ? home : ".") + "/.local/share/kubedesk/cluster";
}

// The host clients should use: a wildcard listen address is reached through loopback.
std::string clientHost(const std::string &listenHost)
{
    if (listenHost == "0.0.0.0")
        return "127.0.0.1";
    if (listenHost == "::")
        return "::1";
    return listenHost;
}

std::string urlFor(const std::string &host, int port)
{
    const bool v6 = host.find(':') != std::string::npos;
    return "https://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// Holds DIR/serve.lock with flock for the process lifetime; the kernel releases it on exit,
// also after kill -9.
int lockDataDir(const std::string &dataDir)
{
    const std::string path = dataDir + "/serve.lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        std::fprintf(stderr, "kubedesk-cluster: cannot open %s: %s\n", path.c_str(),
                     std::strerror(errno));
        return -1;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        char owner[32] = {};
        const ssize_t n = ::pread(fd, owner, sizeof owner - 1, 0);
        std::string pid = n > 0 ? std::string(owner, static_cast<std::size_t>(n)) : std::string();
        while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
            pid.pop_back();
        if (err == EWOULDBLOCK)
            std::fprintf(stderr,
                         "kubedesk-cluster: data directory %s is already in use by another "
                         "kubedesk-cluster%s\n",
                         dataDir.c_str(), pid.empty() ? "" : (" (pid " + pid + ")").c_str());
        else
            std::fprintf(stderr, "kubedesk-cluster: cannot lock %s: %s\n", path.c_str(),
                         std::strerror(err));
        ::close(fd);
        return -1;
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0)
        lcServe.warning("cannot record the pid in " + path);
    return fd;
}

// glibc gives threads that allocate at the same time arenas of their own (up to eight per core)
// and keeps what is freed in them for reuse. After LISTs of 10,000 pods served on several worker
// threads, most of the process's resident memory was such free arena space. Two arenas keep the
// worker and I/O threads from contending on one lock. A fixed mmap threshold (glibc's default
// one rises to 32 MiB once a large block is freed) keeps the multi-megabyte bodies of large
// responses in mappings of their own, returned to the system as soon as they are freed.
// No fastbins: every request allocates bodies of a kilobyte or more, and each such allocation
// first merged all fastbin chunks of its arena (malloc_consolidate, 4% of the server's CPU under
// 32 creating clients); small blocks still come from the per-thread cache. Durable creates went
// from about 1,640/s to 1,850/s with this alone.
void tuneMalloc()
{
    mallopt(M_ARENA_MAX, 2);
    mallopt(M_MXFAST, 0);
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
}

int serve(const ServeOptions &options)
{
    tuneMalloc();
    using namespace kd::lc;
    namespace log = kd::core::util::log;
    log::setDefaultLevel(options.verbose ? LogLevel::Debug : LogLevel::Info);

    if (auto r = pki::makeDirectories(options.dataDir, 0700); !r) {
        std::fprintf(stderr, "kubedesk-cluster: %s\n", r.error().message().c_str());
        return 1;
    }
    const int lockFd = lockDataDir(options.dataDir);
    if (lockFd < 0)
        return 1;

    // The kubeconfig's appearance tells the IDE that this run is ready; an old one must not.
    const std::string kubeconfigPath = options.dataDir + "/kubeconfig";
    ::unlink(kubeconfigPath.c_str());

    if (options.runtime != "none")
        lcServe.warning("container runtime \"" + options.runtime
                        + "\" is not supported yet; running the control plane only");
    if (!options.engineSocket.empty())
        lcServe.info("--engine-socket " + options.engineSocket
                     + " ignored: no container runtime yet");

    const std::string host = clientHost(options.host);
    std::vector<std::string> extraHosts;
    if (host != options.host)
        extraHosts.push_back(options.host);
    extraHosts.push_back(host);
    auto clusterPki = pki::ClusterPki::loadOrCreate(options.dataDir + "/pki", extraHosts);
    if (!clusterPki) {
        lcServe.error("cannot prepare certificates: " + clusterPki.error().message());
        return 1;
    }

    // Block the stop signals before any thread starts so that only sigwait() sees them.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    server::ServerOptions serverOptions;
    serverOptions.host = options.host;
    serverOptions.port = static_cast<std::uint16_t>(options.port);
    serverOptions.certificatePem = clusterPki->servingCertificatePem();
    serverOptions.privateKeyPem = clusterPki->servingKeyPem();
    serverOptions.clientCaPem = clusterPki->caCertificatePem();
    serverOptions.threads = 4;
    server::Server server(serverOptions);
    server.addAuthenticator(std::make_shared<server::ClientCertificateAuthenticator>());
    auto tokens = server::ServiceAccountTokenAuthenticator::create(
        clusterPki->serviceAccountPublicKeyPem());
    if (!tokens) {
        lcServe.error("cannot load the service-account key: " + tokens.error().message());
        return 1;
    }
    server.addAuthenticator(*tokens);

    storage::StoreOptions storeOptions;
    storeOptions.dataDir = options.dataDir;
    auto store = storage::Store::open(storeOptions);
    if (!store) {
        lcServe.error("cannot open the cluster state: " + store.error().message());
        return 1;
    }
    // Ready only once the API server answers and the bootstrap objects exist; until then the
    // kubeconfig is not written, so no client reaches the half-started server.
    std::atomic<bool> apiReady{false};
    server.addHealthCheck(
        "apiserver", [&apiReady] { return apiReady.load(); }, server::Server::Probe::Ready);

    if (auto r = server.start(); !r) {
        lcServe.error(r.error().message());
        return 1;
    }
    const std::string url = urlFor(host, server.port());
    lcServe.info("listening on " + url);

    // The API server learns the real port (for discovery and the `kubernetes` Service) only
    // after the listener is bound, which is why it is installed after start().
    apiserver::ResourceCatalog catalog;
    apiserver::ApiServerOptions apiOptions;
    apiOptions.servingPort = server.port();
    apiOptions.serviceAccountKeyPem = clusterPki->serviceAccountKeyPem();
    auto api = std::make_shared<apiserver::ApiServer>(**store, catalog, apiOptions);
    if (auto r = api->bootstrap(); !r) {
        lcServe.error("cannot create the cluster's bootstrap objects: " + r.error().message());
        server.stop();
        return 1;
    }
    server.setHandler(api);
    apiReady = true;

    // The control loops are API clients like any other, authenticated as the cluster admin
    // with the certificate held in memory.
    controllers::ControllerManagerOptions controllerOptions;
    controllerOptions.connection.baseUrl = url;
    controllerOptions.connection.tls.caPem = clusterPki->caCertificatePem();
    controllerOptions.connection.tls.clientCertPem = clusterPki->adminCertificatePem();
    controllerOptions.connection.tls.clientKeyPem = clusterPki->adminKeyPem();
    controllerOptions.rootCaPem = clusterPki->caCertificatePem();
    controllers::ControllerManager controllerManager(controllerOptions);
    if (auto r = controllerManager.start(); !r) {
        lcServe.error("cannot start the controllers: " + r.error().message());
        server.stop();
        return 1;
    }

    int signal = 0;
    bool kubeconfigWritten = false;
    while (signal == 0) {
        if (!kubeconfigWritten && server.ready()) {
            if (auto r = pki::kubeconfig::write(kubeconfigPath, *clusterPki, url); !r) {
                lcServe.error("cannot write kubeconfig: " + r.error().message());
                controllerManager.stop();
                server.stop();
                return 1;
            }
            kubeconfigWritten = true;
            lcServe.info("ready; kubeconfig written to " + kubeconfigPath);
        }
        // Once ready, wake every few seconds to hand memory that busy phases freed back to
        // the system: what the arenas keep free is otherwise only reused, never returned.
        const timespec wait
            = kubeconfigWritten ? timespec{kTrimIntervalSeconds, 0} : timespec{0, 50'000'000L};
        signal = sigtimedwait(&stopSignals, nullptr, &wait);
        if (signal < 0) {
            signal = 0;
            if (kubeconfigWritten)
                malloc_trim(0);
        }
    }
    lcServe.info(std::string("received ") + (signal == SIGINT ? "SIGINT" : "SIGTERM")
                 + "; shutting down");
    controllerManager.stop(); // while the API server still answers their last calls
    server.stop();
    server.setHandler(nullptr);
    api.reset(); // ends open watches before the store goes away
    store->reset();
    ::close(lockFd);
    lcServe.info("stopped");
    return 0;
}

int serveCommand(int argc, char **argv)
{
    ServeOptions options;
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        std::optional<std::string> inlineValue;
        if (arg.rfind("--", 0) == 0) {
            if (const auto eq = arg.find('='); eq != std::string::npos) {
                inlineValue = arg.substr(eq + 1);
                arg.resize(eq);
            }
        }
        auto value = [&](std::string &out) -> bool {
            if (inlineValue) {
                out = *inlineValue;
                return true;
            }
            if (i + 1 >= argc)
                return false;
            out = argv[++i];
            return true;
        };
        if (arg == "-v" || arg == "--verbose") {
            options.verbose = true;
        } else if (arg == "-h" || arg == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        } else if (arg == "--data-dir") {
            if (!value(options.dataDir) || options.dataDir.empty())
                return usageError("--data-dir needs a directory");
        } else if (arg == "--listen") {
            std::string listen;
            if (!value(listen))
                return usageError("--listen needs HOST:PORT");
            if (auto error = parseListen(listen, options))
                return usageError(*error);
        } else if (arg == "--runtime") {
            if (!value(options.runtime))
                return usageError("--runtime needs a value");
        } else if (arg == "--engine-socket") {
            if (!value(options.engineSocket) || options.engineSocket.empty())
                return usageError("--engine-socket needs a path");
        } else {
            return usageError("unknown option \"" + arg + "\"");
        }
    }
    if (options.runtime != "auto" && options.runtime != "docker" && options.runtime != "podman"
        && options.runtime != "none")
        return usageError("--runtime must be auto, docker, podman or none, not \"" + options.runtime
                          + "\"");
    if (options.dataDir.empty())
        options.dataDir = defaultDataDir();
    return serve(options);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    const std::string_view arg = argv[1];
    if (arg == "-h" || arg == "--help" || arg == "help") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (arg == "--version" || arg == "version") {
        printVersion();
        return 0;
    }
    if (arg == "serve")
        return serveCommand(argc, argv);
    std::fprintf(stderr, "kubedesk-cluster: unknown command \"%s\"\n\n%s", argv[1], kUsage);
    return 2;
}
