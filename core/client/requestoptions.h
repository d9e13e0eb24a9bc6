#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kd::core::client {

// Query options of LIST and WATCH (metav1.ListOptions). Unset fields are not sent.
struct ListOptions
{
    std::string labelSelector;
    std::string fieldSelector;
    std::optional<std::string> resourceVersion;
    std::string resourceVersionMatch; // "", "NotOlderThan", "Exact"
    std::int64_t limit = 0;
    std::string continueToken;
    std::optional<int> timeoutSeconds;
    bool allowWatchBookmarks = false;
    bool sendInitialEvents = false;
};

// How a server-side Table's rows carry their object (?includeObject=).
enum class IncludeObject { None, Metadata, Object };

// Options every write shares (create, update, patch, delete).
struct WriteOptions
{
    bool dryRun = false;         // ?dryRun=All
    std::string fieldManager;    // ?fieldManager=
    std::string fieldValidation; // "", "Strict", "Warn", "Ignore"
    bool force = false;          // server-side apply: take over conflicting fields
};

enum class PatchType { Json, Merge, StrategicMerge, Apply };

// The body of DELETE (metav1.DeleteOptions).
struct DeleteOptions
{
    enum class Propagation { Unset, Background, Foreground, Orphan };

    Propagation propagationPolicy = Propagation::Unset;
    std::optional<std::int64_t> gracePeriodSeconds;
    std::optional<std::string> preconditionUid;
    std::optional<std::string> preconditionResourceVersion;
    bool dryRun = false;
};

// The Content-Type that names a patch type on the wire.
const char *patchContentType(PatchType type);

} // namespace kd::core::client
