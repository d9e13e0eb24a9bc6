#include "remotecommand.h"

#include <core/api/status.h>
#include <core/client/resourceref.h>
#include <core/transport/websocket.h>
#include <core/util/guard.h>
#include <core/util/log.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <mutex>

namespace kd::core::client {

using transport::WebSocket;
using transport::WebSocketClose;
using transport::WebSocketMessage;
using transport::WebSocketOpcode;
using util::Error;
using util::Result;

namespace {

const util::LogCategory lcRemoteCommand{"kd.client.remotecommand"};

// A refused upgrade carries the server's Status as the Error's message; decode it when it is one.
Error decodeRefusal(const Error &error)
{
    if (error.httpStatus() == 0)
        return error;
    const nlohmann::json body = nlohmann::json::parse(error.message(), nullptr, false);
    if (body.is_discarded() || !body.is_object())
        return error;
    return api::errorFromStatus(body, error.httpStatus());
}

} // namespace

struct RemoteCommand::State : std::enable_shared_from_this<RemoteCommand::State>
{
    transport::Executor executor;
    RemoteCommandOptions options;
    RemoteCommandHandler handler;
    std::weak_ptr<const void> guard;
    bool hasGuard = false;
    std::atomic<bool> cancelled{false};

    // Guards the fields below; the WebSocket thread and callers share them.
    std::mutex mutex;
    std::unique_ptr<WebSocket> socket;
    std::optional<ChannelProtocol> protocol;
    bool stdinClosePending = false;
    bool stdinClosed = false;
    // WebSocket thread only.
    std::optional<Result<ExitStatus>> exit;

    bool mayDeliver() const { return !cancelled.load() && (!hasGuard || !guard.expired()); }
    void deliver(std::function<void()> fn)
    {
        // Queued deliveries may run after the session is gone: they keep the state alive.
        auto guarded = [self = shared_from_this(), fn = std::move(fn)] {
            if (self->mayDeliver())
                fn();
        };
        if (executor)
            executor(std::move(guarded));
        else
            guarded();
    }

    // WebSocket thread (the socket runs its callbacks inline there).
    void onOpened(const std::string &subprotocol);
    void onMessage(WebSocketMessage message);
    void onClosed(Result<WebSocketClose> result);
};

void RemoteCommand::State::onOpened(const std::string &subprotocol)
{
    const auto chosen = channelProtocolFromName(subprotocol);
    if (!chosen) {
        exit = Error(Error::Code::Transport,
                     "the server chose no supported channel protocol ("
                         + (subprotocol.empty() ? std::string("none") : subprotocol) + ")");
        std::lock_guard lock(mutex);
        if (socket)
            socket->close(transport::WebSocketCloseCode::ProtocolError);
        return;
    }
    {
        std::lock_guard lock(mutex);
        protocol = chosen;
        if (stdinClosePending && *chosen == ChannelProtocol::V5 && socket) {
            socket->sendBinary(encodeCloseChannel(StreamChannel::Stdin));
            stdinClosed = true;
        }
        stdinClosePending = false;
    }
    if (handler.opened)
        deliver([this, p = *chosen] { handler.opened(p); });
}

void RemoteCommand::State::onMessage(WebSocketMessage message)
{
    if (message.opcode != WebSocketOpcode::Binary || exit)
        return;
    auto frame = decodeChannelFrame(message.payload);
    if (!frame)
        return;
    switch (frame->channel) {
    case StreamChannel::Stdout:
    case StreamChannel::Stderr:
        if (handler.output && !frame->payload.empty())
            deliver([this, channel = frame->channel, data = std::string(frame->payload)] {
                handler.output(channel, data);
            });
        break;
    case StreamChannel::Error:
        exit = exitStatusFromStatus(frame->payload);
        break;
    default:
        // Close-channel notices and unknown channels carry nothing a caller acts on.
        break;
    }
}

void RemoteCommand::State::onClosed(Result<WebSocketClose> result)
{
    Result<ExitStatus> outcome
        = exit     ? *exit
          : result ? Result<ExitStatus>(
                Error(Error::Code::Transport, "the session closed without an exit status (code "
                                                  + std::to_string(result->code) + ")"))
                   : Result<ExitStatus>(decodeRefusal(result.error()));
    lcRemoteCommand.debug([&] {
        return options.pod.name + ": "
               + (outcome ? "exited with " + std::to_string(outcome->code)
                          : "failed: " + outcome.error().message());
    });
    if (handler.finished)
        deliver([this, outcome = std::move(outcome)] { handler.finished(outcome); });
}

RemoteCommand::RemoteCommand(const transport::ConnectionConfig &config,
                             transport::Executor executor, RemoteCommandOptions options,
                             RemoteCommandHandler handler, std::weak_ptr<const void> guard)
    : d(std::make_shared<State>())
{
    d->executor = std::move(executor);
    d->options = std::move(options);
    d->handler = std::move(handler);
    d->hasGuard = util::isGuardSet(guard);
    d->guard = std::move(guard);

    transport::WebSocketOptions wsOptions;
    wsOptions.subprotocols = {std::string(kChannelProtocolV5), std::string(kChannelProtocolV4)};
    wsOptions.pingInterval = d->options.pingInterval;
    State *state = d.get();
    transport::WebSocketHandler wsHandler{
        [state](const std::string &protocol) { state->onOpened(protocol); },
        [state](WebSocketMessage message) { state->onMessage(std::move(message)); },
        [state](Result<WebSocketClose> result) { state->onClosed(std::move(result)); }};
    // Decoding happens on the socket's thread (inline executor); only results hop to the
    // caller's executor. The socket's thread is joined before State goes away.
    std::lock_guard lock(d->mutex);
    d->socket = std::make_unique<WebSocket>(
        config, [](std::function<void()> fn) { fn(); }, request(d->options), std::move(wsOptions),
        std::move(wsHandler));
    if (d->options.tty && d->options.initialSize)
        d->socket->sendBinary(encodeResize(*d->options.initialSize));
}

RemoteCommand::~RemoteCommand()
{
    d->cancelled.store(true);
    std::unique_ptr<WebSocket> socket;
    {
        std::lock_guard lock(d->mutex);
        socket = std::move(d->socket);
    }
    // Joins the socket's thread, which may be waiting for the mutex: released above.
    socket.reset();
}

void RemoteCommand::writeStdin(std::string data)
{
    if (!d->options.withStdin || data.empty())
        return;
    std::lock_guard lock(d->mutex);
    if (d->socket && !d->stdinClosed)
        d->socket->sendBinary(encodeChannelFrame(StreamChannel::Stdin, data));
}

Result<void> RemoteCommand::closeStdin()
{
    if (!d->options.withStdin)
        return Error(Error::Code::BadRequest, "the session has no stdin");
    std::lock_guard lock(d->mutex);
    if (d->stdinClosed)
        return {};
    if (!d->protocol) {
        d->stdinClosePending = true;
        return {};
    }
    if (*d->protocol == ChannelProtocol::V4)
        return Error(Error::Code::MethodNotAllowed,
                     "the server speaks v4.channel.k8s.io, which cannot signal the end of stdin");
    if (d->socket)
        d->socket->sendBinary(encodeCloseChannel(StreamChannel::Stdin));
    d->stdinClosed = true;
    return {};
}

void RemoteCommand::resize(TerminalSize size)
{
    if (!d->options.tty)
        return;
    std::lock_guard lock(d->mutex);
    if (d->socket)
        d->socket->sendBinary(encodeResize(size));
}

void RemoteCommand::cancel()
{
    d->cancelled.store(true);
    std::lock_guard lock(d->mutex);
    if (d->socket)
        d->socket->close(transport::WebSocketCloseCode::Normal);
}

transport::HttpRequest RemoteCommand::request(const RemoteCommandOptions &options)
{
    const bool exec = options.kind == RemoteCommandOptions::Kind::Exec;
    std::string query;
    auto add = [&query](std::string_view name, std::string_view value) {
        query += (query.empty() ? "?" : "&") + std::string(name) + "=" + percentEncode(value);
    };
    if (exec) {
        for (const auto &word : options.command)
            add("command", word);
    }
    if (!options.container.empty())
        add("container", options.container);
    if (options.withStdin)
        add("stdin", "true");
    if (options.withStdout)
        add("stdout", "true");
    if (options.withStderr && !options.tty)
        add("stderr", "true");
    if (options.tty)
        add("tty", "true");
    transport::HttpRequest request;
    request.path = "/api/v1/namespaces/" + percentEncode(options.pod.namespace_) + "/pods/"
                   + percentEncode(options.pod.name) + (exec ? "/exec" : "/attach") + query;
    return request;
}

std::vector<std::string> RemoteCommand::shellCommand()
{
    // `command -v` is a POSIX builtin, so the probe needs nothing but sh itself; exec replaces
    // the probing shell so that signals and the exit code belong to the user's shell.
    return {"sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"};
}

} // namespace kd::core::client
