#include "status.h"

#include <nlohmann/json.hpp>

namespace kd::core::api {

using util::Error;

namespace {

std::string stringField(const nlohmann::json &object, const char *key)
{
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int intField(const nlohmann::json &object, const char *key)
{
    const auto it = object.find(key);
    if (it == object.end() || !it->is_number_integer())
        return 0;
    const auto value = it->get<std::int64_t>();
    // Kubernetes declares these as int32.
    return value < INT32_MIN || value > INT32_MAX ? 0 : static_cast<int>(value);
}

} // namespace

nlohmann::json statusFromError(const Error &error)
{
    int code = error.httpStatus();
    std::string reason = error.reason();
    if (code == 0)
        code = Error::httpStatusFor(error.code());
    if (code == 0) {
        code = 500;
        if (reason.empty())
            reason = Error::reasonFor(Error::Code::Internal);
    }

    nlohmann::json status = {
        {"kind", "Status"},    {"apiVersion", "v1"},         {"metadata", nlohmann::json::object()},
        {"status", "Failure"}, {"message", error.message()}, {"code", code},
    };
    if (!reason.empty())
        status["reason"] = reason;

    nlohmann::json details = nlohmann::json::object();
    if (!error.causes().empty()) {
        nlohmann::json causes = nlohmann::json::array();
        for (const Error::Cause &cause : error.causes()) {
            // omitempty on every StatusCause field.
            nlohmann::json entry = nlohmann::json::object();
            if (!cause.reason.empty())
                entry["reason"] = cause.reason;
            if (!cause.message.empty())
                entry["message"] = cause.message;
            if (!cause.field.empty())
                entry["field"] = cause.field;
            causes.push_back(std::move(entry));
        }
        details["causes"] = std::move(causes);
    }
    if (error.retryAfterSeconds() > 0)
        details["retryAfterSeconds"] = error.retryAfterSeconds();
    if (!details.empty())
        status["details"] = std::move(details);
    return status;
}

Error errorFromStatus(const nlohmann::json &status, int httpStatus)
{
    if (!status.is_object() || stringField(status, "kind") != "Status") {
        const Error::Code code = Error::codeFor(std::string(), httpStatus);
        return Error(code, httpStatus, Error::reasonFor(code),
                     "the server answered " + std::to_string(httpStatus)
                         + " without a Status object");
    }

    const int bodyCode = intField(status, "code");
    const int code = bodyCode != 0 ? bodyCode : httpStatus;
    const std::string reason = stringField(status, "reason");
    std::string message = stringField(status, "message");
    if (message.empty()) {
        message = "the server reported " + std::to_string(code)
                  + (reason.empty() ? std::string() : " " + reason) + " without a message";
    }

    Error error(Error::codeFor(reason, code), code, reason, std::move(message));
    const auto details = status.find("details");
    if (details != status.end() && details->is_object()) {
        const auto causes = details->find("causes");
        if (causes != details->end() && causes->is_array()) {
            for (const nlohmann::json &cause : *causes) {
                if (!cause.is_object())
                    continue;
                error.addCause({stringField(cause, "reason"), stringField(cause, "message"),
                                stringField(cause, "field")});
            }
        }
        const int retryAfter = intField(*details, "retryAfterSeconds");
        if (retryAfter > 0)
            error.setRetryAfterSeconds(retryAfter);
    }
    return error;
}

} // namespace kd::core::api
