#pragma once

#include <localcluster/server/response.h>

#include <functional>
#include <string>
#include <vector>

namespace kd::lc::server {

// How a Handler answers one request: either respond() once, or beginStream(), any number of
// writeChunk() calls (each sent and flushed as one HTTP chunk) and endStream(). Every function
// may be called from any thread; the work is posted to the connection's strand. Calls after the
// answer is complete, or after the client went away, are ignored. Dropping the last reference
// without answering sends 500 (or ends the stream) so a connection never hangs.
class ResponseWriter
{
public:
    virtual ~ResponseWriter() = default;

    virtual void respond(Response response) = 0;

    // Starts a chunked response; Content-Type belongs in headers.
    virtual void beginStream(int status, std::vector<Header> headers) = 0;
    virtual void writeChunk(std::string data) = 0;
    virtual void endStream() = 0;

    // Runs `task` on the connection's I/O strand, after the writes already asked for; dropped
    // once the client is gone. For quick, non-blocking work that produces writes (a watch
    // draining its events): it saves a hop through the API server's workers.
    virtual void runOnConnection(std::function<void()> task) = 0;

    // True once the client closed the connection (or it failed); a streaming handler stops then.
    virtual bool clientGone() const = 0;
    // Called once, on an I/O thread, when the client goes away before the answer is complete;
    // immediately when it already has. Replaces an earlier callback.
    virtual void onClientGone(std::function<void()> callback) = 0;
};

} // namespace kd::lc::server
