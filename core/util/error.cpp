#include "error.h"

#include <utility>

namespace kd::core::util {

namespace {

struct CodeInfo
{
    Error::Code code;
    const char *name;
    const char *reason; // metav1.StatusReason; empty when Kubernetes has none
    int httpStatus;     // 0 when the error never came from an HTTP answer
};

// One table so that the three lookups cannot disagree. Reasons and statuses are those of
// k8s.io/apimachinery/pkg/api/errors.
constexpr CodeInfo kCodes[] = {
    {Error::Code::Unknown, "Unknown", "", 0},
    {Error::Code::BadRequest, "BadRequest", "BadRequest", 400},
    {Error::Code::Unauthorized, "Unauthorized", "Unauthorized", 401},
    {Error::Code::Forbidden, "Forbidden", "Forbidden", 403},
    {Error::Code::NotFound, "NotFound", "NotFound", 404},
    {Error::Code::AlreadyExists, "AlreadyExists", "AlreadyExists", 409},
    {Error::Code::Conflict, "Conflict", "Conflict", 409},
    {Error::Code::Gone, "Gone", "Expired", 410},
    {Error::Code::Invalid, "Invalid", "Invalid", 422},
    {Error::Code::MethodNotAllowed, "MethodNotAllowed", "MethodNotAllowed", 405},
    {Error::Code::NotAcceptable, "NotAcceptable", "NotAcceptable", 406},
    {Error::Code::UnsupportedMediaType, "UnsupportedMediaType", "UnsupportedMediaType", 415},
    {Error::Code::RequestEntityTooLarge, "RequestEntityTooLarge", "RequestEntityTooLarge", 413},
    {Error::Code::TooManyRequests, "TooManyRequests", "TooManyRequests", 429},
    {Error::Code::Timeout, "Timeout", "Timeout", 504},
    {Error::Code::ServiceUnavailable, "ServiceUnavailable", "ServiceUnavailable", 503},
    {Error::Code::Cancelled, "Cancelled", "", 0},
    {Error::Code::Transport, "Transport", "", 0},
    {Error::Code::Decode, "Decode", "", 0},
    {Error::Code::Io, "Io", "", 0},
    {Error::Code::Internal, "Internal", "InternalError", 500},
};

const CodeInfo &infoFor(Error::Code code)
{
    for (const CodeInfo &info : kCodes) {
        if (info.code == code)
            return info;
    }
    return kCodes[0];
}

} // namespace

Error::Error(Code code, std::string message)
    : m_code(code)
    , m_httpStatus(httpStatusFor(code))
    , m_reason(reasonFor(code))
    , m_message(std::move(message))
{}

Error::Error(Code code, int httpStatus, std::string reason, std::string message)
    : m_code(code)
    , m_httpStatus(httpStatus)
    , m_reason(std::move(reason))
    , m_message(std::move(message))
{}

Error &Error::addCause(Cause cause)
{
    m_causes.push_back(std::move(cause));
    return *this;
}

Error &Error::setRetryAfterSeconds(int seconds)
{
    m_retryAfterSeconds = seconds;
    return *this;
}

Error &Error::prefix(const std::string &context)
{
    m_message.insert(0, context);
    return *this;
}

std::string Error::reasonFor(Code code)
{
    return infoFor(code).reason;
}

int Error::httpStatusFor(Code code)
{
    return infoFor(code).httpStatus;
}

Error::Code Error::codeFor(const std::string &reason, int httpStatus)
{
    if (!reason.empty()) {
        for (const CodeInfo &info : kCodes) {
            if (reason == info.reason)
                return info.code;
        }
        // Reasons that share a code with a canonical one above.
        if (reason == "Gone")
            return Code::Gone;
        if (reason == "ServerTimeout")
            return Code::Timeout;
    }
    switch (httpStatus) {
    case 400:
        return Code::BadRequest;
    case 401:
        return Code::Unauthorized;
    case 403:
        return Code::Forbidden;
    case 404:
        return Code::NotFound;
    case 405:
        return Code::MethodNotAllowed;
    case 406:
        return Code::NotAcceptable;
    case 409:
        return Code::Conflict;
    case 410:
        return Code::Gone;
    case 413:
        return Code::RequestEntityTooLarge;
    case 415:
        return Code::UnsupportedMediaType;
    case 422:
        return Code::Invalid;
    case 429:
        return Code::TooManyRequests;
    case 500:
        return Code::Internal;
    case 503:
        return Code::ServiceUnavailable;
    case 504:
        return Code::Timeout;
    default:
        break;
    }
    return Code::Unknown;
}

const char *Error::codeName(Code code)
{
    return infoFor(code).name;
}

} // namespace kd::core::util
