#include "response.h"

#include <core/util/error.h>

#include <nlohmann/json.hpp>

namespace kd::lc::server {

Response Response::text(int status, std::string body)
{
    return {status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(body)};
}

Response Response::json(int status, std::string body)
{
    return {status, {{"Content-Type", "application/json"}}, std::move(body)};
}

Response Response::failure(int status, std::string_view reason, std::string_view message)
{
    nlohmann::ordered_json body
        = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
           {"status", "Failure"}, {"message", message}, {"reason", reason},
           {"code", status}};
    return json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Response Response::fromError(const core::util::Error &error)
{
    const int code = error.httpStatus() > 0 ? error.httpStatus() : 500;
    nlohmann::ordered_json body = {{"kind", "Status"},
                                   {"apiVersion", "v1"},
                                   {"metadata", nlohmann::json::object()},
                                   {"status", "Failure"},
                                   {"message", error.message()}};
    if (!error.reason().empty())
        body["reason"] = error.reason();
    if (!error.causes().empty() || error.retryAfterSeconds() > 0) {
        nlohmann::ordered_json details = nlohmann::ordered_json::object();
        for (const auto &cause : error.causes()) {
            nlohmann::ordered_json c = nlohmann::ordered_json::object();
            if (!cause.reason.empty())
                c["reason"] = cause.reason;
            if (!cause.message.empty())
                c["message"] = cause.message;
            if (!cause.field.empty())
                c["field"] = cause.field;
            details["causes"].push_back(std::move(c));
        }
        if (error.retryAfterSeconds() > 0)
            details["retryAfterSeconds"] = error.retryAfterSeconds();
        body["details"] = std::move(details);
    }
    body["code"] = code;
    Response response
        = json(code, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (error.retryAfterSeconds() > 0)
        response.headers.push_back({"Retry-After", std::to_string(error.retryAfterSeconds())});
    return response;
}

} // namespace kd::lc::server
