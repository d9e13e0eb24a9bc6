#pragma once

#include <core/util/result.h>

#include <chrono>
#include <string>
#include <vector>

namespace kd::core::kubeconfig {

// Runs credential plugins and the login shell: fork/exec without a shell (arguments are passed
// as they are, never interpolated), stdin from /dev/null, stdout and stderr read together through
// poll() so a chatty plugin cannot deadlock us, and the whole process group killed on timeout.
// Free functions; any thread; they block for as long as the child runs.
struct ProcessResult
{
    int exitCode = -1; // -1 when killed by a signal
    int signal = 0;
    std::string standardOutput;
    std::string standardError;
};

struct ProcessSpec
{
    std::string program; // an absolute path
    std::vector<std::string> args;
    // The complete environment, "NAME=value".
    std::vector<std::string> environment;
    std::chrono::milliseconds timeout{60000};
};

// Fails with Error::Code::Timeout (the partial stderr in the message) when the deadline passes,
// or with Error::Code::Io when the program cannot be started.
util::Result<ProcessResult> runProcess(const ProcessSpec &spec);

// The environment of this process as "NAME=value" strings.
std::vector<std::string> currentEnvironment();

// PATH as the user's login shell sets it ($SHELL -l -c ...), so that a Kubedesk started from the
// desktop menu finds plugins installed under ~/.local/bin, /opt/homebrew/bin and the like.
// Runs the shell once per process and caches the answer; falls back to this process's PATH when
// the shell fails or takes longer than a few seconds.
std::string loginShellPath();
// The uncached query behind loginShellPath(); empty when the shell failed.
std::string queryLoginShellPath(const std::string &shell, std::chrono::milliseconds timeout);

// The first executable file named `name` in the ':'-separated `path`; empty when none.
std::string findInPath(const std::string &name, const std::string &path);

} // namespace kd::core::kubeconfig
