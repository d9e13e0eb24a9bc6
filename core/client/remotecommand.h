#pragma once

#include <core/api/groupversion.h>
#include <core/client/channelprotocol.h>
#include <core/transport/connectionconfig.h>
#include <core/transport/httpmessage.h>
#include <core/util/result.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kd::core::client {

struct RemoteCommandOptions
{
    enum class Kind { Exec, Attach };

    Kind kind = Kind::Exec;
    api::ObjectKey pod;
    std::string container;            // empty: the server's default (the only container)
    std::vector<std::string> command; // exec only
    // Which streams to open ("stdin" and friends are macros in <cstdio>, hence the prefix).
    bool withStdin = false;
    bool withStdout = true;
    bool withStderr = true; // ignored with tty: a terminal has one output stream
    bool tty = false;
    // Sent as the first resize when tty is set.
    std::optional<TerminalSize> initialSize;
    // WebSocket pings while the session is idle, so that proxies and load balancers that drop
    // silent connections (typically after 60 s) leave an idle shell alone. kubectl uses 5 s.
    std::chrono::milliseconds pingInterval{5000};
};

struct RemoteCommandHandler
{
    // Once, after the upgrade: the channel protocol the server chose.
    std::function<void(ChannelProtocol protocol)> opened;
    // Bytes of StreamChannel::Stdout or StreamChannel::Stderr, in order.
    std::function<void(std::uint8_t channel, std::string data)> output;
    // Exactly once, last (unless cancelled): the exit status the server reported, or an Error
    // when the command could not run (refused upgrade with its decoded Status, a Failure Status,
    // a connection lost before any status).
    std::function<void(util::Result<ExitStatus> result)> finished;
};

// One exec or attach session over WebSocket: offers v5.channel.k8s.io and v4.channel.k8s.io (the
// server picks; v4 servers cannot be told that stdin ended), sends stdin and terminal resizes,
// delivers stdout/stderr and the exit status. Frames are decoded on the WebSocket's own thread;
// the handler runs through the executor, guarded by `guard`. Owned by its user (a terminal tab);
// every member may be called from any thread, except that the destructor must not run inside one
// of its own callbacks when the executor runs them inline. After cancel() returns on the
// executor's thread no callback starts.
class RemoteCommand final
{
public:
    RemoteCommand(const transport::ConnectionConfig &config, transport::Executor executor,
                  RemoteCommandOptions options, RemoteCommandHandler handler,
                  std::weak_ptr<const void> guard = {});
    ~RemoteCommand();
    RemoteCommand(const RemoteCommand &) = delete;
    RemoteCommand &operator=(const RemoteCommand &) = delete;

    // Queued until the connection is open. Ignored when stdin was not requested.
    void writeStdin(std::string data);
    // Tells the command that stdin ended (v5). Fails with MethodNotAllowed when the server chose
    // v4, which has no such message, and with BadRequest when stdin was not requested.
    util::Result<void> closeStdin();
    // Ignored unless tty was requested.
    void resize(TerminalSize size);
    // Closes the session; nothing is reported afterwards.
    void cancel();

    // GET .../pods/P/exec?command=…&container=…&stdin=true&stdout=true&stderr=true&tty=true
    // (only true flags are sent, stderr never with tty) or .../attach without command.
    static transport::HttpRequest request(const RemoteCommandOptions &options);
    // "Open a shell" in one exec: bash where the image has it, else sh.
    static std::vector<std::string> shellCommand();

private:
    struct State;
    std::shared_ptr<State> d;
};

} // namespace kd::core::client
