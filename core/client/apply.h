#pragma once

#include <core/api/groupversion.h>
#include <core/client/restclient.h>
#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kd::core::client {

class Discovery;

struct ApplyOptions
{
    // Used for namespaced objects that do not name their namespace.
    std::string defaultNamespace = "default";
    std::string fieldManager = "kubedesk";
    // Take over fields another manager owns instead of reporting a conflict.
    bool force = false;
    bool dryRun = false;
};

// One field another manager owns, from a FieldManagerConflict cause.
struct FieldConflict
{
    std::string field;   // ".spec.replicas"
    std::string manager; // "kubectl"
    std::string message; // the server's text
};

// What happened to one object of the manifests.
struct ApplyResult
{
    enum class Outcome { Created, Configured, Unchanged, Conflict, Failed };

    size_t document = 0; // 0-based index of the object in the manifests (List items count)
    api::GroupVersionKind kind;
    api::ObjectKey key;
    Outcome outcome = Outcome::Failed;
    std::vector<FieldConflict> conflicts; // Outcome::Conflict
    std::optional<util::Error> error;     // Outcome::Conflict and Outcome::Failed
    // The object as the server answered; null for failures.
    JsonPtr object;
    // Written with create/replace because the server does not do server-side apply.
    bool usedFallback = false;
};

// Applies manifests the way `kubectl apply --server-side` does: every object is resolved through
// discovery (refreshed once when a kind is unknown), defaulted into the caller's namespace when
// namespaced, and sent as an apply patch under the "kubedesk" field manager. Conflicts come back
// field by field so the user can force them; servers without server-side apply get a create or
// a replace instead. Every object is tried; one failure never stops the others.
// Borrowed client and discovery must outlive it. Blocking: call from a worker, never the GUI
// thread. Not thread-safe (remembers whether the server supports server-side apply).
class Applier final
{
public:
    Applier(RestClient &client, Discovery &discovery);

    // Parses multi-document YAML or JSON (kind: List is expanded) and applies every object.
    // Fails as a whole only when the text does not parse.
    util::Result<std::vector<ApplyResult>> apply(std::string_view manifests,
                                                 const ApplyOptions &options);
    std::vector<ApplyResult> applyObjects(const std::vector<nlohmann::json> &objects,
                                          const ApplyOptions &options);

    // Reads the conflicts out of a 409 answer to an apply patch; empty when it is another kind
    // of conflict.
    static std::vector<FieldConflict> fieldConflicts(const util::Error &error);

private:
    ApplyResult applyOne(size_t index, const nlohmann::json &object, const ApplyOptions &options,
                         bool &refreshed);

    RestClient &m_client;
    Discovery &m_discovery;
    bool m_serverSideApply = true;
};

} // namespace kd::core::client
