#pragma once

#include <core/util/result.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kd::core::kubeconfig {

// One entry of a `extensions` list. The value is kept as JSON text because public headers may only
// see <nlohmann/json_fwd.hpp>; exec plugins receive it verbatim (spec.cluster.config).
struct NamedExtension
{
    std::string name;
    std::string json;
};

// clusters[].cluster. Paths are absolute (resolved against the file they came from); *Data fields
// hold the decoded bytes, not the base64 text of the file.
struct Cluster
{
    std::string name;
    std::string server;
    std::string certificateAuthority;
    std::string certificateAuthorityData;
    bool insecureSkipTlsVerify = false;
    std::string tlsServerName;
    std::string proxyUrl;
    bool disableCompression = false;
    std::vector<NamedExtension> extensions;

    std::string sourceFile;
    // Set when the entry itself is unusable (bad base64, unreadable certificate-authority file).
    std::optional<util::Error> error;
};

struct ExecEnvVar
{
    std::string name;
    std::string value;
};

// users[].user.exec: a client.authentication.k8s.io credential plugin.
struct ExecConfig
{
    std::string apiVersion;
    // As written when it has no slash (looked up in PATH), otherwise an absolute path.
    std::string command;
    std::vector<std::string> args;
    std::vector<ExecEnvVar> env;
    std::string installHint;
    bool provideClusterInfo = false;
    // "Never", "IfAvailable" or "Always"; empty means the apiVersion's default.
    std::string interactiveMode;
};

// users[].user.auth-provider (only "oidc" is implemented by resolveCredentials()).
struct AuthProviderConfig
{
    std::string name;
    std::map<std::string, std::string> config;
};

// users[].user (client-go's AuthInfo).
struct User
{
    std::string name;
    std::string clientCertificate;
    std::string clientCertificateData;
    std::string clientKey;
    std::string clientKeyData;
    std::string token;
    std::string tokenFile;
    std::string username;
    std::string password;
    // Impersonation is kept so it survives a round trip; Kubedesk does not act on it yet.
    std::string impersonate;
    std::string impersonateUid;
    std::vector<std::string> impersonateGroups;
    std::optional<ExecConfig> exec;
    std::optional<AuthProviderConfig> authProvider;

    std::string sourceFile;
    std::optional<util::Error> error;
};

// contexts[].context.
struct Context
{
    std::string name;
    std::string cluster;
    std::string user;
    std::string namespaceName;
    std::vector<NamedExtension> extensions;

    std::string sourceFile;
    // Why this context cannot be used: a missing cluster or user, or the error of either entry.
    // Other contexts are unaffected.
    std::optional<util::Error> error;
};

// A file of the KUBECONFIG list that could not be used (unreadable, not YAML, not a Config).
struct FileError
{
    std::string path;
    util::Error error;
};

// The merged view of one or more kubeconfig files, merged as kubectl does: for clusters, users
// and contexts the first file defining a name wins; the first non-empty current-context wins;
// missing files in a list are skipped. Every entry remembers the file it came from, and edits are
// written back to that file only, keeping fields and key order Kubedesk does not know about.
// Comments are lost on write: yaml-cpp does not keep them in its node tree.
// A value type with no internal locking: use from one thread at a time.
class Kubeconfig final
{
public:
    Kubeconfig();
    ~Kubeconfig();
    Kubeconfig(const Kubeconfig &other);
    Kubeconfig &operator=(const Kubeconfig &other);
    Kubeconfig(Kubeconfig &&other) noexcept;
    Kubeconfig &operator=(Kubeconfig &&other) noexcept;

    // The precedence list kubectl uses: the KUBECONFIG entries (split on ':', empty ones dropped),
    // or $HOME/.kube/config when KUBECONFIG is unset or empty.
    static std::vector<std::string> defaultPaths();
    // Loads a precedence list; files that do not exist are skipped silently (as kubectl does),
    // other failures land in fileErrors(). Never fails as a whole.
    static Kubeconfig load(const std::vector<std::string> &paths);
    static Kubeconfig loadDefault();
    // Loads exactly one file, where a missing file is an error (kubectl --kubeconfig).
    static Kubeconfig loadFile(const std::string &path);

    const std::vector<std::string> &files() const;
    const std::vector<FileError> &fileErrors() const;

    const std::string &currentContext() const;
    // File the current-context came from; empty when no file sets one.
    const std::string &currentContextSource() const;
    const std::vector<Context> &contexts() const;
    const std::vector<Cluster> &clusters() const;
    const std::vector<User> &users() const;
    const Context *context(const std::string &name) const;
    const Cluster *cluster(const std::string &name) const;
    const User *user(const std::string &name) const;
    // The preferences map of the first file that has one, as JSON text ("{}" when none).
    const std::string &preferencesJson() const;

    // Edits. Each changes the in-memory files only; save() writes the changed ones. An edit that
    // fails (unknown name, name taken, no file to write to) changes nothing.
    util::Result<void> setCurrentContext(const std::string &name);
    util::Result<void> setContextNamespace(const std::string &context, const std::string &ns);
    // New entries go to the default file: the only file of the list, else the first existing
    // one, else the last one (client-go's GetDefaultFilename).
    util::Result<void> addContext(const Context &context);
    util::Result<void> addCluster(const Cluster &cluster);
    util::Result<void> addUser(const User &user);
    util::Result<void> removeContext(const std::string &name);
    util::Result<void> removeCluster(const std::string &name);
    util::Result<void> removeUser(const std::string &name);
    // Renaming a context that is current moves current-context along; renaming a cluster or
    // user updates every context (in every file) that refers to it.
    util::Result<void> renameContext(const std::string &from, const std::string &to);
    util::Result<void> renameCluster(const std::string &from, const std::string &to);
    util::Result<void> renameUser(const std::string &from, const std::string &to);
    // Sets (or, for an empty value, removes) keys of a user's auth-provider config; used to
    // persist refreshed OIDC tokens.
    util::Result<void> setAuthProviderConfig(const std::string &user,
                                             const std::map<std::string, std::string> &values);

    // Files with unsaved edits.
    std::vector<std::string> modifiedFiles() const;
    // Writes every modified file atomically (temporary file in the same directory, fsync,
    // rename), keeping the file's mode; a new file is created with mode 0600. Stops at the first
    // failure, leaving that file untouched.
    util::Result<void> save();

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace kd::core::kubeconfig
