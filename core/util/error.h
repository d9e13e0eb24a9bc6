#pragma once

#include <string>
#include <vector>

namespace kd::core::util {

// Error is the value that crosses module boundaries when something expected goes wrong: a
// Kubernetes Status from a server, a transport failure, a decode error from a file. It is modelled
// on metav1.Status so that a server's answer survives the trip to the UI unchanged.
// Plain value type; any thread.
class Error final
{
public:
    // What went wrong, coarse enough to branch on. Mirrors metav1.StatusReason where one exists.
    enum class Code {
        Unknown,
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        AlreadyExists,
        Conflict,
        Gone, // 410: Expired resource version or continue token
        Invalid,
        MethodNotAllowed,
        NotAcceptable,
        UnsupportedMediaType,
        RequestEntityTooLarge,
        TooManyRequests,
        Timeout,
        ServiceUnavailable,
        Cancelled,
        Transport, // connection, TLS or DNS failure: no HTTP answer
        Decode,    // bytes that do not parse (JSON, YAML, protobuf, base64, quantity…)
        Io,        // local files
        Internal,
    };

    // One cause of an Invalid or Conflict error (metav1.StatusCause).
    struct Cause
    {
        std::string reason; // FieldValueRequired, FieldManagerConflict…
        std::string message;
        std::string field; // JSON path such as spec.template.spec.containers[0].image

        bool operator==(const Cause &) const = default;
    };

    Error() = default;
    Error(Code code, std::string message);
    Error(Code code, int httpStatus, std::string reason, std::string message);

    Code code() const { return m_code; }
    int httpStatus() const { return m_httpStatus; }
    // metav1.StatusReason spelling ("NotFound", "Expired"…); empty when none applies.
    const std::string &reason() const { return m_reason; }
    const std::string &message() const { return m_message; }
    const std::vector<Cause> &causes() const { return m_causes; }
    int retryAfterSeconds() const { return m_retryAfterSeconds; }

    Error &addCause(Cause cause);
    Error &setRetryAfterSeconds(int seconds);
    // Prepends context ("reading ~/.kube/config: ") to the message, keeping everything else.
    Error &prefix(const std::string &context);

    // The canonical Status reason and HTTP status for a code (Gone -> "Expired"/410).
    static std::string reasonFor(Code code);
    static int httpStatusFor(Code code);
    // The code for a Status reason, falling back to the HTTP status when the reason is unknown.
    static Code codeFor(const std::string &reason, int httpStatus);
    static const char *codeName(Code code);

    bool operator==(const Error &) const = default;

private:
    Code m_code = Code::Unknown;
    int m_httpStatus = 0;
    std::string m_reason;
    std::string m_message;
    std::vector<Cause> m_causes;
    int m_retryAfterSeconds = 0;
};

} // namespace kd::core::util
