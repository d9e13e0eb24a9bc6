#pragma once

#include <localcluster/server/request.h>

#include <string>
#include <string_view>
#include <vector>

namespace kd::core::util {
class Error;
}

namespace kd::lc::server {

// A complete HTTP response. The server adds Content-Length, Date and connection headers.
// Plain value; any thread.
struct Response
{
    int status = 200;
    std::vector<Header> headers;
    std::string body;

    static Response text(int status, std::string body);
    static Response json(int status, std::string body);
    // A metav1.Status failure body: {"kind":"Status",…,"reason":reason,"code":status}.
    static Response failure(int status, std::string_view reason, std::string_view message);
    // The Status body for an Error, with its details.causes and Retry-After when set.
    static Response fromError(const core::util::Error &error);
};

} // namespace kd::lc::server
