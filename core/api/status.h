#pragma once

#include <core/util/error.h>

#include <nlohmann/json_fwd.hpp>

namespace kd::core::api {

// Conversion between Error and a metav1.Status object, the body of every failed Kubernetes API
// call and of a watch ERROR event. The cluster's API server writes Errors with statusFromError;
// the client reads server answers with errorFromStatus. Free functions; any thread.

// A complete Status object ("kind": "Status", "status": "Failure"). The HTTP status is the
// Error's own, else the canonical one for its code; errors that never had one (Decode, Io…)
// become 500 InternalError, which is what kube-apiserver does with errors it did not expect.
nlohmann::json statusFromError(const util::Error &error);

// Reads a Status body. `httpStatus` is the status line's code; the body's own "code" wins when
// present because watch ERROR events arrive inside a 200 response. Anything that is not a
// Status object still yields an Error, classified by the HTTP status. Never throws.
util::Error errorFromStatus(const nlohmann::json &status, int httpStatus);

} // namespace kd::core::api
