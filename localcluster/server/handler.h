#pragma once

#include <localcluster/server/request.h>

#include <memory>

namespace kd::lc::server {

class ResponseWriter;

// The API server's entry point into the HTTPS server: every request that is not a built-in
// endpoint (health, version) and passed authentication. handle() runs on an I/O thread and must
// not block; slow work goes elsewhere and answers later through the writer.
class Handler
{
public:
    virtual ~Handler() = default;
    virtual void handle(Request request, std::shared_ptr<ResponseWriter> writer) = 0;
};

} // namespace kd::lc::server
