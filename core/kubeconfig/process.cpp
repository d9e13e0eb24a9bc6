#include <core/kubeconfig/process.h>

#include <core/kubeconfig/support.h>
#include <core/util/log.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace kd::core::kubeconfig {

using util::Error;
using util::Result;

namespace {

const util::LogCategory lcProcess{"kd.kubeconfig.process"};

using SteadyClock = std::chrono::steady_clock;

class Fd
{
public:
    Fd() = default;
    explicit Fd(int fd)
        : m_fd(fd)
    {}
    ~Fd() { reset(); }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    int get() const { return m_fd; }
    void reset(int fd = -1)
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = fd;
    }

private:
    int m_fd = -1;
};

int remainingMs(SteadyClock::time_point deadline)
{
    const auto left
        = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

} // namespace

std::vector<std::string> currentEnvironment()
{
    std::vector<std::string> result;
    for (char **entry = environ; entry && *entry; ++entry)
        result.emplace_back(*entry);
    return result;
}

Result<ProcessResult> runProcess(const ProcessSpec &spec)
{
    int outPipe[2];
    int errPipe[2];
    if (::pipe2(outPipe, O_CLOEXEC) != 0)
        return Error(Error::Code::Io, std::string("pipe: ") + support::errnoText(errno));
    Fd outRead(outPipe[0]), outWrite(outPipe[1]);
    if (::pipe2(errPipe, O_CLOEXEC) != 0)
        return Error(Error::Code::Io, std::string("pipe: ") + support::errnoText(errno));
    Fd errRead(errPipe[0]), errWrite(errPipe[1]);

    std::vector<char *> argv;
    argv.push_back(const_cast<char *>(spec.program.c_str()));
    for (const auto &arg : spec.args)
        argv.push_back(const_cast<char *>(arg.c_str()));
    argv.push_back(nullptr);
    std::vector<char *> envp;
    for (const auto &var : spec.environment)
        envp.push_back(const_cast<char *>(var.c_str()));
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // A GUI has no terminal to offer: plugins must never wait for input.
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, outWrite.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, errWrite.get(), 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // Own process group, so a timeout kills the plugin's children too.
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                        | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);

    pid_t pid = 0;
    const int spawned
        = ::posix_spawn(&pid, spec.program.c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (spawned != 0)
        return Error(Error::Code::Io, spec.program + ": " + support::errnoText(spawned));
    outWrite.reset();
    errWrite.reset();

    const auto deadline = SteadyClock::now() + spec.timeout;
    ProcessResult result;
    bool timedOut = false;
    bool outOpen = true, errOpen = true;
    char buffer[16384];
    while (outOpen || errOpen) {
        pollfd fds[2];
        nfds_t count = 0;
        if (outOpen)
            fds[count++] = {outRead.get(), POLLIN, 0};
        if (errOpen)
            fds[count++] = {errRead.get(), POLLIN, 0};
        const int wait = remainingMs(deadline);
        if (wait == 0) {
            timedOut = true;
            break;
        }
        const int ready = ::poll(fds, count, wait);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            timedOut = true; // cannot wait any more; treat like a timeout and kill
            break;
        }
        for (nfds_t i = 0; i < count; ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            const bool isOut = fds[i].fd == outRead.get();
            const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                (isOut ? result.standardOutput : result.standardError).append(buffer, size_t(n));
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                (isOut ? outOpen : errOpen) = false;
            }
        }
    }

    int status = 0;
    if (!timedOut) {
        // Output is closed; give the process the rest of the deadline to exit.
        while (true) {
            const pid_t done = ::waitpid(pid, &status, WNOHANG);
            if (done == pid)
                break;
            if (done < 0 && errno != EINTR) {
                status = 0;
                break;
            }
            if (remainingMs(deadline) == 0) {
                timedOut = true;
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
    if (timedOut) {
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        std::string message = spec.program + " did not finish within "
                              + std::to_string(spec.timeout.count()) + " ms";
        if (!result.standardError.empty())
            message += "; stderr: " + result.standardError;
        return Error(Error::Code::Timeout, message);
    }
    if (WIFEXITED(status)) {
        result.exitCode = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result.exitCode = -1;
        result.signal = WTERMSIG(status);
    }
    return result;
}

std::string queryLoginShellPath(const std::string &shell, std::chrono::milliseconds timeout)
{
    if (shell.empty() || shell.front() != '/')
        return {};
    // Markers, because profile scripts like to print banners on stdout.
    ProcessSpec spec;
    spec.program = shell;
    spec.args = {"-l", "-c", "printf '\\n__KD_PATH_BEGIN__%s__KD_PATH_END__\\n' \"$PATH\""};
    spec.environment = currentEnvironment();
    spec.timeout = timeout;
    auto run = runProcess(spec);
    if (!run) {
        lcProcess.warning("login shell " + shell + ": " + run.error().message());
        return {};
    }
    const std::string &out = run->standardOutput;
    const std::string begin = "__KD_PATH_BEGIN__", end = "__KD_PATH_END__";
    const size_t start = out.rfind(begin);
    if (start == std::string::npos)
        return {};
    const size_t stop = out.find(end, start);
    if (stop == std::string::npos)
        return {};
    return out.substr(start + begin.size(), stop - start - begin.size());
}

std::string loginShellPath()
{
    static std::once_flag once;
    static std::string cached;
    std::call_once(once, [] {
        // getenv is only unsafe against setenv, which Kubedesk never calls.
        const char *shell = std::getenv("SHELL"); // NOLINT(concurrency-mt-unsafe)
        cached = queryLoginShellPath(shell ? shell : "", std::chrono::seconds(5));
        if (cached.empty()) {
            // getenv is only unsafe against setenv, which Kubedesk never calls.
            const char *path = std::getenv("PATH"); // NOLINT(concurrency-mt-unsafe)
            cached = path ? path : "/usr/local/bin:/usr/bin:/bin";
        }
    });
    return cached;
}

std::string findInPath(const std::string &name, const std::string &path)
{
    size_t start = 0;
    while (start <= path.size()) {
        const size_t end = std::min(path.find(':', start), path.size());
        std::string dir = path.substr(start, end - start);
        start = end + 1;
        if (dir.empty())
            continue;
        std::string candidate = dir;
        candidate += '/';
        candidate += name;
        struct stat st
        {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)
            && ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return {};
}

} // namespace kd::core::kubeconfig
