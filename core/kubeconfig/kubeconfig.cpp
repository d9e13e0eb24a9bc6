#include <core/kubeconfig/kubeconfig.h>

#include <core/kubeconfig/support.h>
#include <core/util/base64.h>
#include <core/util/log.h>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace kd::core::kubeconfig {

using util::Error;
using util::Result;

namespace {

const util::LogCategory lcKubeconfig{"kd.kubeconfig"};

// One file of the precedence list with the node tree it was loaded into. Edits change the tree
// in place, which is what keeps unknown fields and key order when the file is written back.
struct LoadedFile
{
    std::string path;
    std::string dir;
    YAML::Node root;
    bool exists = false;
    // False when the file exists but could not be read or parsed: it is never written over.
    bool usable = true;
    bool modified = false;
};

std::string absolutePath(const std::string &path)
{
    std::error_code ec;
    auto abs = std::filesystem::absolute(path, ec);
    return ec ? path : abs.lexically_normal().string();
}

std::string resolvePath(const std::string &dir, const std::string &path)
{
    if (path.empty() || path.front() == '/')
        return path;
    return (std::filesystem::path(dir) / path).lexically_normal().string();
}

// YAML 1.2 core-schema typing for plain scalars; quoted scalars (tag "!") stay strings.
nlohmann::json scalarToJson(const YAML::Node &node)
{
    const std::string &text = node.Scalar();
    if (node.Tag() == "!")
        return text;
    if (text == "null" || text == "~" || text.empty())
        return nullptr;
    if (text == "true" || text == "True" || text == "TRUE")
        return true;
    if (text == "false" || text == "False" || text == "FALSE")
        return false;
    try {
        size_t used = 0;
        const long long i = std::stoll(text, &used);
        if (used == text.size())
            return i;
        const double f = std::stod(text, &used);
        if (used == text.size())
            return f;
    } catch (const std::exception &) {}
    return text;
}

nlohmann::json yamlToJson(const YAML::Node &node)
{
    switch (node.Type()) {
    case YAML::NodeType::Map: {
        nlohmann::json object = nlohmann::json::object();
        for (const auto &item : node) {
            // JSON keys are strings; YAML's complex keys have no JSON form and are dropped.
            if (item.first.IsScalar())
                object[item.first.Scalar()] = yamlToJson(item.second);
        }
        return object;
    }
    case YAML::NodeType::Sequence: {
        nlohmann::json array = nlohmann::json::array();
        for (const auto &item : node)
            array.push_back(yamlToJson(item));
        return array;
    }
    case YAML::NodeType::Scalar:
        return scalarToJson(node);
    default:
        return nullptr;
    }
}

// Reads the fields of one entry, remembering the first problem instead of giving up, so that an
// entry with one bad field still shows up (with its error) in the UI.
class EntryReader
{
public:
    EntryReader(const YAML::Node &map, std::string what)
        : m_map(map)
        , m_what(std::move(what))
    {}

    std::string string(const char *key)
    {
        const YAML::Node value = m_map[key];
        if (!value || value.IsNull())
            return {};
        if (!value.IsScalar()) {
            fail(Error(Error::Code::Decode, std::string(key) + " must be a string"));
            return {};
        }
        return value.Scalar();
    }

    bool boolean(const char *key)
    {
        const YAML::Node value = m_map[key];
        if (!value || value.IsNull())
            return false;
        bool result = false;
        if (!value.IsScalar() || !YAML::convert<bool>::decode(value, result))
            fail(Error(Error::Code::Decode, std::string(key) + " must be true or false"));
        return result;
    }

    std::vector<std::string> strings(const char *key)
    {
        std::vector<std::string> result;
        const YAML::Node value = m_map[key];
        if (!value || value.IsNull())
            return result;
        if (!value.IsSequence()) {
            fail(Error(Error::Code::Decode, std::string(key) + " must be a list of strings"));
            return result;
        }
        for (const auto &item : value) {
            if (item.IsScalar())
                result.push_back(item.Scalar());
            else
                fail(Error(Error::Code::Decode, std::string(key) + " must be a list of strings"));
        }
        return result;
    }

    std::string base64(const char *key)
    {
        const std::string text = string(key);
        if (text.empty())
            return {};
        auto decoded = support::base64Decode(text);
        if (!decoded) {
            fail(Error(Error::Code::Decode, std::string(key) + ": " + decoded.error().message()));
            return {};
        }
        return std::move(decoded).value();
    }

    std::vector<NamedExtension> extensions()
    {
        std::vector<NamedExtension> result;
        const YAML::Node value = m_map["extensions"];
        if (!value || !value.IsSequence())
            return result;
        for (const auto &item : value) {
            if (!item.IsMap() || !item["name"] || !item["name"].IsScalar())
                continue;
            result.push_back({item["name"].Scalar(), yamlToJson(item["extension"]).dump()});
        }
        return result;
    }

    // A referenced file must be readable now; finding out at connect time is too late to say
    // which context is broken.
    void checkReadable(const char *key, const std::string &path)
    {
        if (path.empty())
            return;
        if (::access(path.c_str(), R_OK) != 0)
            fail(Error(Error::Code::Io,
                       std::string(key) + " " + path + ": " + support::errnoText(errno)));
    }

    void fail(Error error)
    {
        if (!m_error)
            m_error = error.prefix(m_what + ": ");
    }
    std::optional<Error> takeError() { return std::move(m_error); }

private:
    // const so that lookups never turn a null node into a map (yaml-cpp's non-const operator[]).
    const YAML::Node m_map;
    std::string m_what;
    std::optional<Error> m_error;
};

Cluster parseCluster(const std::string &name, const YAML::Node &node, const LoadedFile &file)
{
    Cluster cluster;
    cluster.name = name;
    cluster.sourceFile = file.path;
    EntryReader reader(node, "cluster \"" + name + "\"");
    if (!node.IsMap()) {
        reader.fail(Error(Error::Code::Decode, "cluster must be a map"));
        cluster.error = reader.takeError();
        return cluster;
    }
    cluster.server = reader.string("server");
    cluster.certificateAuthority = resolvePath(file.dir, reader.string("certificate-authority"));
    cluster.certificateAuthorityData = reader.base64("certificate-authority-data");
    cluster.insecureSkipTlsVerify = reader.boolean("insecure-skip-tls-verify");
    cluster.tlsServerName = reader.string("tls-server-name");
    cluster.proxyUrl = reader.string("proxy-url");
    cluster.disableCompression = reader.boolean("disable-compression");
    cluster.extensions = reader.extensions();
    if (!cluster.certificateAuthority.empty() && !cluster.certificateAuthorityData.empty())
        reader.fail(Error(Error::Code::Invalid, "certificate-authority and "
                                                "certificate-authority-data are both set"));
    reader.checkReadable("certificate-authority", cluster.certificateAuthority);
    cluster.error = reader.takeError();
    return cluster;
}

User parseUser(const std::string &name, const YAML::Node &node, const LoadedFile &file)
{
    User user;
    user.name = name;
    user.sourceFile = file.path;
    EntryReader reader(node, "user \"" + name + "\"");
    if (node.IsNull()) {
        // `user: {}` written as `user:` is a user without credentials, which is valid.
        return user;
    }
    if (!node.IsMap()) {
        reader.fail(Error(Error::Code::Decode, "user must be a map"));
        user.error = reader.takeError();
        return user;
    }
    user.clientCertificate = resolvePath(file.dir, reader.string("client-certificate"));
    user.clientCertificateData = reader.base64("client-certificate-data");
    user.clientKey = resolvePath(file.dir, reader.string("client-key"));
    user.clientKeyData = reader.base64("client-key-data");
    user.token = reader.string("token");
    user.tokenFile = resolvePath(file.dir, reader.string("tokenFile"));
    user.username = reader.string("username");
    user.password = reader.string("password");
    user.impersonate = reader.string("as");
    user.impersonateUid = reader.string("as-uid");
    user.impersonateGroups = reader.strings("as-groups");
    if (const YAML::Node exec = node["exec"]; exec && !exec.IsNull()) {
        if (!exec.IsMap()) {
            reader.fail(Error(Error::Code::Decode, "exec must be a map"));
        } else {
            EntryReader execReader(exec, "exec");
            ExecConfig config;
            config.apiVersion = execReader.string("apiVersion");
            config.command = execReader.string("command");
            // A command with a slash is a path, relative to the kubeconfig like every other path;
            // a bare name is looked up in PATH when it runs.
            if (config.command.find('/') != std::string::npos)
                config.command = resolvePath(file.dir, config.command);
            config.args = execReader.strings("args");
            if (const YAML::Node env = exec["env"]; env && env.IsSequence()) {
                for (const auto &item : env) {
                    if (!item.IsMap() || !item["name"] || !item["name"].IsScalar()) {
                        execReader.fail(Error(Error::Code::Decode, "env entries need a name"));
                        continue;
                    }
                    config.env.push_back(
                        {item["name"].Scalar(),
                         item["value"] && item["value"].IsScalar() ? item["value"].Scalar() : ""});
                }
            }
            config.installHint = execReader.string("installHint");
            config.provideClusterInfo = execReader.boolean("provideClusterInfo");
            config.interactiveMode = execReader.string("interactiveMode");
            if (config.command.empty())
                execReader.fail(Error(Error::Code::Invalid, "command is required"));
            if (config.apiVersion.empty())
                execReader.fail(Error(Error::Code::Invalid, "apiVersion is required"));
            if (auto error = execReader.takeError())
                reader.fail(*error);
            user.exec = std::move(config);
        }
    }
    if (const YAML::Node provider = node["auth-provider"]; provider && !provider.IsNull()) {
        if (!provider.IsMap()) {
            reader.fail(Error(Error::Code::Decode, "auth-provider must be a map"));
        } else {
            AuthProviderConfig config;
            EntryReader providerReader(provider, "auth-provider");
            config.name = providerReader.string("name");
            if (const YAML::Node values = provider["config"]; values && values.IsMap()) {
                for (const auto &item : values) {
                    if (item.first.IsScalar() && item.second.IsScalar())
                        config.config[item.first.Scalar()] = item.second.Scalar();
                }
            }
            if (auto error = providerReader.takeError())
                reader.fail(*error);
            user.authProvider = std::move(config);
        }
    }
    if (!user.clientCertificate.empty() && !user.clientCertificateData.empty())
        reader.fail(Error(Error::Code::Invalid,
                          "client-certificate and client-certificate-data are both set"));
    if (!user.clientKey.empty() && !user.clientKeyData.empty())
        reader.fail(Error(Error::Code::Invalid, "client-key and client-key-data are both set"));
    reader.checkReadable("client-certificate", user.clientCertificate);
    reader.checkReadable("client-key", user.clientKey);
    user.error = reader.takeError();
    return user;
}

Context parseContext(const std::string &name, const YAML::Node &node, const LoadedFile &file)
{
    Context context;
    context.name = name;
    context.sourceFile = file.path;
    EntryReader reader(node, "context \"" + name + "\"");
    if (!node.IsMap()) {
        reader.fail(Error(Error::Code::Decode, "context must be a map"));
        context.error = reader.takeError();
        return context;
    }
    context.cluster = reader.string("cluster");
    context.user = reader.string("user");
    context.namespaceName = reader.string("namespace");
    context.extensions = reader.extensions();
    context.error = reader.takeError();
    return context;
}

// The sequence node of clusters/users/contexts, or an invalid node when the file has none.
YAML::Node section(const YAML::Node &root, const char *key)
{
    if (!root.IsMap())
        return YAML::Node(YAML::NodeType::Undefined);
    return root[key];
}

// Index of the entry named `name` in a clusters/users/contexts sequence, or -1.
int findEntry(const YAML::Node &list, const std::string &name)
{
    if (!list || !list.IsSequence())
        return -1;
    for (size_t i = 0; i < list.size(); ++i) {
        const YAML::Node entry = list[i];
        if (entry.IsMap() && entry["name"] && entry["name"].IsScalar()
            && entry["name"].Scalar() == name)
            return static_cast<int>(i);
    }
    return -1;
}

void removeKeyIfEmpty(YAML::Node map, const char *key, const std::string &value)
{
    if (value.empty())
        map.remove(key);
    else
        map[key] = value;
}

YAML::Node extensionsNode(const std::vector<NamedExtension> &extensions)
{
    YAML::Node list(YAML::NodeType::Sequence);
    for (const auto &extension : extensions) {
        YAML::Node item;
        item["name"] = extension.name;
        try {
            item["extension"] = YAML::Load(extension.json);
        } catch (const YAML::Exception &) {
            item["extension"] = extension.json;
        }
        list.push_back(item);
    }
    return list;
}

// yaml-cpp's own emitter forgets that a scalar was quoted, so `token: "0123"` would come back as
// the number 123 and kubectl would refuse the file. Scalars that were quoted in the file (tag
// "!") or set by us (no tag) are strings: quote them when a YAML 1.1 reader (Go's) would take the
// plain form for something else. Plain scalars from the file (tag "?") are written as they were.
bool plainWouldNotBeString(const std::string &text)
{
    static const std::set<std::string> words
        = {"~",  "null", "Null", "NULL", "y",    "Y",    "yes",  "Yes",   "YES",   "n",
           "N",  "no",   "No",   "NO",   "true", "True", "TRUE", "false", "False", "FALSE",
           "on", "On",   "ON",   "off",  "Off",  "OFF",  "<<",   "="};
    if (text.empty() || words.count(text))
        return true;
    const char first = text.front();
    if (first >= '0' && first <= '9')
        return true;
    return (first == '+' || first == '-' || first == '.') && text.size() > 1;
}

void emitNode(YAML::Emitter &out, const YAML::Node &node)
{
    const std::string &tag = node.Tag();
    if (!tag.empty() && tag != "?" && tag != "!")
        out << YAML::VerbatimTag(tag);
    switch (node.Type()) {
    case YAML::NodeType::Map:
        if (node.Style() == YAML::EmitterStyle::Flow)
            out << YAML::Flow;
        out << YAML::BeginMap;
        for (const auto &item : node) {
            out << YAML::Key;
            emitNode(out, item.first);
            out << YAML::Value;
            emitNode(out, item.second);
        }
        out << YAML::EndMap;
        break;
    case YAML::NodeType::Sequence:
        if (node.Style() == YAML::EmitterStyle::Flow)
            out << YAML::Flow;
        out << YAML::BeginSeq;
        for (const auto &item : node)
            emitNode(out, item);
        out << YAML::EndSeq;
        break;
    case YAML::NodeType::Scalar:
        if (tag != "?" && plainWouldNotBeString(node.Scalar()))
            out << YAML::DoubleQuoted;
        out << node.Scalar();
        break;
    default:
        out << YAML::Null;
        break;
    }
}

// A boolean set by us, written plain (see plainWouldNotBeString()).
YAML::Node boolNode(bool value)
{
    YAML::Node node(value);
    node.SetTag("?");
    return node;
}

} // namespace

struct Kubeconfig::Private
{
    std::vector<std::string> files;
    std::vector<LoadedFile> loaded;
    std::vector<FileError> loadErrors;
    // loadErrors plus the structural problems found by the last rebuild().
    std::vector<FileError> fileErrors;
    std::string currentContext;
    std::string currentContextSource;
    std::string preferences = "{}";
    std::vector<Context> contexts;
    std::vector<Cluster> clusters;
    std::vector<User> users;

    void loadOne(const std::string &path, bool mustExist);
    void rebuild();
    void mergeFile(const LoadedFile &file, const YAML::Node &root,
                   const std::function<void(const std::string &)> &fileError,
                   std::set<std::string> &seenClusters, std::set<std::string> &seenUsers,
                   std::set<std::string> &seenContexts, bool &preferencesSet);
    void resolveContextErrors();
    LoadedFile *fileFor(const std::string &path);
    Result<LoadedFile *> defaultFile();
    Result<LoadedFile *> writableSource(const std::string &path);
    template<typename Entry>
    static const Entry *find(const std::vector<Entry> &entries, const std::string &name)
    {
        for (const auto &entry : entries) {
            if (entry.name == name)
                return &entry;
        }
        return nullptr;
    }
    Result<void> addEntry(const char *sectionKey, const char *entryKey, const std::string &name,
                          const YAML::Node &body);
    Result<void> removeEntry(const char *sectionKey, const std::string &sourceFile,
                             const std::string &name);
    Result<void> renameEntry(const char *sectionKey, const std::string &sourceFile,
                             const std::string &from, const std::string &to);
};

void Kubeconfig::Private::loadOne(const std::string &path, bool mustExist)
{
    LoadedFile file;
    file.path = absolutePath(path);
    file.dir = std::filesystem::path(file.path).parent_path().string();
    file.root = YAML::Node(YAML::NodeType::Map);
    struct stat st
    {};
    if (::stat(file.path.c_str(), &st) != 0 && errno == ENOENT) {
        if (mustExist)
            loadErrors.push_back(
                {file.path, Error(Error::Code::NotFound, file.path + ": no such file")});
        loaded.push_back(std::move(file));
        return;
    }
    file.exists = true;
    auto text = support::readFile(file.path);
    if (!text) {
        file.usable = false;
        loadErrors.push_back({file.path, text.error()});
        loaded.push_back(std::move(file));
        return;
    }
    try {
        YAML::Node root = YAML::Load(*text);
        if (root.IsNull() || !root.IsDefined()) {
            root = YAML::Node(YAML::NodeType::Map);
        } else if (!root.IsMap()) {
            throw YAML::Exception(YAML::Mark::null_mark(), "the document is not a map");
        }
        file.root = root;
    } catch (const YAML::Exception &e) {
        file.usable = false;
        loadErrors.push_back({file.path, Error(Error::Code::Decode, file.path + ": " + e.what())});
        lcKubeconfig.warning("skipping " + file.path + ": " + e.what());
    }
    loaded.push_back(std::move(file));
}

void Kubeconfig::Private::rebuild()
{
    fileErrors = loadErrors;
    currentContext.clear();
    currentContextSource.clear();
    preferences = "{}";
    contexts.clear();
    clusters.clear();
    users.clear();
    std::set<std::string> seenClusters, seenUsers, seenContexts;
    bool preferencesSet = false;

    for (const LoadedFile &file : loaded) {
        if (!file.usable || !file.exists)
            continue;
        const YAML::Node &root = file.root;
        const auto fileError = [&](const std::string &message) {
            fileErrors.push_back(
                {file.path, Error(Error::Code::Decode, file.path + ": " + message)});
        };
        try {
            mergeFile(file, root, fileError, seenClusters, seenUsers, seenContexts, preferencesSet);
        } catch (const YAML::Exception &e) {
            // The checks in mergeFile() should leave nothing for yaml-cpp to throw on; if one
            // slipped through, the file is reported instead of taking the whole load down.
            fileError(e.what());
        }
    }
    resolveContextErrors();
}

void Kubeconfig::Private::mergeFile(const LoadedFile &file, const YAML::Node &root,
                                    const std::function<void(const std::string &)> &fileError,
                                    std::set<std::string> &seenClusters,
                                    std::set<std::string> &seenUsers,
                                    std::set<std::string> &seenContexts, bool &preferencesSet)
{
    if (const YAML::Node cc = root["current-context"]; cc && cc.IsScalar()) {
        if (currentContext.empty() && !cc.Scalar().empty()) {
            currentContext = cc.Scalar();
            currentContextSource = file.path;
        }
    }
    if (const YAML::Node prefs = root["preferences"];
        !preferencesSet && prefs && prefs.IsMap() && prefs.size() > 0) {
        preferences = yamlToJson(prefs).dump();
        preferencesSet = true;
    }
    // The three sections share one shape: a list of {name, <kind>: {...}}.
    const auto walk
        = [&](const char *key, const char *entryKey, std::set<std::string> &seen, const auto &add) {
              const YAML::Node list = section(root, key);
              if (!list || list.IsNull())
                  return;
              if (!list.IsSequence()) {
                  fileError(std::string(key) + " must be a list");
                  return;
              }
              std::set<std::string> inThisFile;
              for (size_t i = 0; i < list.size(); ++i) {
                  const YAML::Node entry = list[i];
                  if (!entry.IsMap() || !entry["name"] || !entry["name"].IsScalar()
                      || entry["name"].Scalar().empty()) {
                      fileError(std::string(key) + "[" + std::to_string(i) + "] has no name");
                      continue;
                  }
                  const std::string name = entry["name"].Scalar();
                  if (!inThisFile.insert(name).second) {
                      fileError(std::string(key) + ": duplicate name \"" + name
                                + "\"; the first one is used");
                      continue;
                  }
                  // First file that defines a name wins (kubectl's merge rule for map entries).
                  if (!seen.insert(name).second)
                      continue;
                  YAML::Node body = entry[entryKey];
                  if (!body)
                      body = YAML::Node(YAML::NodeType::Null);
                  add(name, body);
              }
          };
    walk("clusters", "cluster", seenClusters, [&](const std::string &name, const YAML::Node &b) {
        clusters.push_back(parseCluster(name, b, file));
    });
    walk("users", "user", seenUsers, [&](const std::string &name, const YAML::Node &b) {
        users.push_back(parseUser(name, b, file));
    });
    walk("contexts", "context", seenContexts, [&](const std::string &name, const YAML::Node &b) {
        contexts.push_back(parseContext(name, b, file));
    });
}

void Kubeconfig::Private::resolveContextErrors()
{
    for (Context &context : contexts) {
        if (context.error)
            continue;
        const std::string what = "context \"" + context.name + "\": ";
        if (context.cluster.empty()) {
            context.error = Error(Error::Code::Invalid, what + "no cluster set");
            continue;
        }
        const Cluster *cluster = find(clusters, context.cluster);
        if (!cluster) {
            context.error = Error(Error::Code::NotFound,
                                  what + "cluster \"" + context.cluster + "\" not found");
            continue;
        }
        if (cluster->error) {
            context.error = Error(*cluster->error).prefix(what);
            continue;
        }
        if (context.user.empty())
            continue; // anonymous access is allowed
        const User *user = find(users, context.user);
        if (!user) {
            context.error
                = Error(Error::Code::NotFound, what + "user \"" + context.user + "\" not found");
            continue;
        }
        if (user->error)
            context.error = Error(*user->error).prefix(what);
    }
}

LoadedFile *Kubeconfig::Private::fileFor(const std::string &path)
{
    for (LoadedFile &file : loaded) {
        if (file.path == path)
            return &file;
    }
    return nullptr;
}

Result<LoadedFile *> Kubeconfig::Private::defaultFile()
{
    if (loaded.empty())
        return Error(Error::Code::Invalid, "no kubeconfig file to write to");
    LoadedFile *target = &loaded.back();
    if (loaded.size() > 1) {
        for (LoadedFile &file : loaded) {
            if (file.exists) {
                target = &file;
                break;
            }
        }
    } else {
        target = &loaded.front();
    }
    if (!target->usable)
        return Error(Error::Code::Invalid,
                     target->path + " could not be loaded, so Kubedesk will not write to it");
    return target;
}

Result<LoadedFile *> Kubeconfig::Private::writableSource(const std::string &path)
{
    LoadedFile *file = fileFor(path);
    if (!file || !file->usable)
        return Error(Error::Code::Internal, path + " is not a loaded kubeconfig file");
    return file;
}

Result<void> Kubeconfig::Private::addEntry(const char *sectionKey, const char *entryKey,
                                           const std::string &name, const YAML::Node &body)
{
    if (name.empty())
        return Error(Error::Code::Invalid, "a name is required");
    auto target = defaultFile();
    if (!target)
        return target.error();
    YAML::Node &root = (*target)->root;
    if (!(*target)->exists && root.size() == 0) {
        root["apiVersion"] = "v1";
        root["kind"] = "Config";
    }
    const YAML::Node list = std::as_const(root)[sectionKey];
    if (list && !list.IsNull() && !list.IsSequence())
        return Error(Error::Code::Invalid,
                     (*target)->path + ": " + sectionKey + " is not a list; fix the file first");
    if (!list || list.IsNull())
        root[sectionKey] = YAML::Node(YAML::NodeType::Sequence);
    YAML::Node entry;
    entry["name"] = name;
    entry[entryKey] = body;
    root[sectionKey].push_back(entry);
    (*target)->modified = true;
    rebuild();
    return {};
}

Result<void> Kubeconfig::Private::removeEntry(const char *sectionKey, const std::string &sourceFile,
                                              const std::string &name)
{
    auto file = writableSource(sourceFile);
    if (!file)
        return file.error();
    YAML::Node list = (*file)->root[sectionKey];
    const int index = findEntry(list, name);
    if (index < 0)
        return Error(Error::Code::NotFound, name + " not found in " + sourceFile);
    list.remove(index);
    (*file)->modified = true;
    rebuild();
    return {};
}

Result<void> Kubeconfig::Private::renameEntry(const char *sectionKey, const std::string &sourceFile,
                                              const std::string &from, const std::string &to)
{
    auto file = writableSource(sourceFile);
    if (!file)
        return file.error();
    YAML::Node list = (*file)->root[sectionKey];
    const int index = findEntry(list, from);
    if (index < 0)
        return Error(Error::Code::NotFound, from + " not found in " + sourceFile);
    list[index]["name"] = to;
    (*file)->modified = true;
    return {};
}

Kubeconfig::Kubeconfig()
    : d(std::make_unique<Private>())
{}

Kubeconfig::~Kubeconfig() = default;

Kubeconfig::Kubeconfig(const Kubeconfig &other)
    : d(std::make_unique<Private>(*other.d))
{
    // YAML::Node copies share their tree; a copied Kubeconfig must not edit the original's.
    for (LoadedFile &file : d->loaded)
        file.root = YAML::Clone(file.root);
}

Kubeconfig &Kubeconfig::operator=(const Kubeconfig &other)
{
    if (this != &other)
        *this = Kubeconfig(other);
    return *this;
}

Kubeconfig::Kubeconfig(Kubeconfig &&other) noexcept = default;
Kubeconfig &Kubeconfig::operator=(Kubeconfig &&other) noexcept = default;

std::vector<std::string> Kubeconfig::defaultPaths()
{
    std::vector<std::string> paths;
    // getenv is only unsafe against setenv, which Kubedesk never calls.
    if (const char *env = std::getenv("KUBECONFIG"); env && *env) { // NOLINT(concurrency-mt-unsafe)
        std::string list = env;
        size_t start = 0;
        while (start <= list.size()) {
            const size_t end = std::min(list.find(':', start), list.size());
            std::string item = list.substr(start, end - start);
            // kubectl drops empty entries and repeats of an earlier one.
            if (!item.empty() && std::find(paths.begin(), paths.end(), item) == paths.end())
                paths.push_back(std::move(item));
            start = end + 1;
        }
        if (!paths.empty())
            return paths;
    }
    // getenv is only unsafe against setenv, which Kubedesk never calls.
    const char *home = std::getenv("HOME"); // NOLINT(concurrency-mt-unsafe)
    paths.push_back(std::string(home ? home : "") + "/.kube/config");
    return paths;
}

Kubeconfig Kubeconfig::load(const std::vector<std::string> &paths)
{
    Kubeconfig config;
    for (const std::string &path : paths) {
        const std::string abs = absolutePath(path);
        if (config.d->fileFor(abs))
            continue;
        config.d->files.push_back(abs);
        config.d->loadOne(abs, false);
    }
    config.d->rebuild();
    return config;
}

Kubeconfig Kubeconfig::loadDefault()
{
    return load(defaultPaths());
}

Kubeconfig Kubeconfig::loadFile(const std::string &path)
{
    Kubeconfig config;
    config.d->files.push_back(absolutePath(path));
    config.d->loadOne(config.d->files.front(), true);
    config.d->rebuild();
    return config;
}

const std::vector<std::string> &Kubeconfig::files() const
{
    return d->files;
}

const std::vector<FileError> &Kubeconfig::fileErrors() const
{
    return d->fileErrors;
}

const std::string &Kubeconfig::currentContext() const
{
    return d->currentContext;
}

const std::string &Kubeconfig::currentContextSource() const
{
    return d->currentContextSource;
}

const std::vector<Context> &Kubeconfig::contexts() const
{
    return d->contexts;
}

const std::vector<Cluster> &Kubeconfig::clusters() const
{
    return d->clusters;
}

const std::vector<User> &Kubeconfig::users() const
{
    return d->users;
}

const Context *Kubeconfig::context(const std::string &name) const
{
    return Private::find(d->contexts, name);
}

const Cluster *Kubeconfig::cluster(const std::string &name) const
{
    return Private::find(d->clusters, name);
}

const User *Kubeconfig::user(const std::string &name) const
{
    return Private::find(d->users, name);
}

const std::string &Kubeconfig::preferencesJson() const
{
    return d->preferences;
}

Result<void> Kubeconfig::setCurrentContext(const std::string &name)
{
    if (!name.empty() && !context(name))
        return Error(Error::Code::NotFound, "context \"" + name + "\" not found");
    // kubectl writes current-context to the file that set it, else to the default file.
    Result<LoadedFile *> target = d->currentContextSource.empty()
                                      ? d->defaultFile()
                                      : d->writableSource(d->currentContextSource);
    if (!target)
        return target.error();
    YAML::Node &root = (*target)->root;
    if (!(*target)->exists && root.size() == 0) {
        root["apiVersion"] = "v1";
        root["kind"] = "Config";
    }
    root["current-context"] = name;
    (*target)->modified = true;
    d->rebuild();
    return {};
}

Result<void> Kubeconfig::setContextNamespace(const std::string &name, const std::string &ns)
{
    const Context *entry = context(name);
    if (!entry)
        return Error(Error::Code::NotFound, "context \"" + name + "\" not found");
    auto file = d->writableSource(entry->sourceFile);
    if (!file)
        return file.error();
    YAML::Node list = (*file)->root["contexts"];
    const int index = findEntry(list, name);
    if (index < 0)
        return Error(Error::Code::Internal, "context \"" + name + "\" vanished from its file");
    YAML::Node entryNode = list[index];
    if (!entryNode["context"].IsMap())
        entryNode["context"] = YAML::Node(YAML::NodeType::Map);
    YAML::Node body = entryNode["context"];
    removeKeyIfEmpty(body, "namespace", ns);
    (*file)->modified = true;
    d->rebuild();
    return {};
}

Result<void> Kubeconfig::addContext(const Context &entry)
{
    if (context(entry.name))
        return Error(Error::Code::AlreadyExists, "context \"" + entry.name + "\" already exists");
    YAML::Node body(YAML::NodeType::Map);
    body["cluster"] = entry.cluster;
    if (!entry.user.empty())
        body["user"] = entry.user;
    if (!entry.namespaceName.empty())
        body["namespace"] = entry.namespaceName;
    if (!entry.extensions.empty())
        body["extensions"] = extensionsNode(entry.extensions);
    return d->addEntry("contexts", "context", entry.name, body);
}

Result<void> Kubeconfig::addCluster(const Cluster &entry)
{
    if (cluster(entry.name))
        return Error(Error::Code::AlreadyExists, "cluster \"" + entry.name + "\" already exists");
    YAML::Node body(YAML::NodeType::Map);
    body["server"] = entry.server;
    if (!entry.certificateAuthority.empty())
        body["certificate-authority"] = entry.certificateAuthority;
    if (!entry.certificateAuthorityData.empty())
        body["certificate-authority-data"] = util::base64::encode(entry.certificateAuthorityData);
    if (entry.insecureSkipTlsVerify)
        body["insecure-skip-tls-verify"] = boolNode(true);
    if (!entry.tlsServerName.empty())
        body["tls-server-name"] = entry.tlsServerName;
    if (!entry.proxyUrl.empty())
        body["proxy-url"] = entry.proxyUrl;
    if (entry.disableCompression)
        body["disable-compression"] = boolNode(true);
    if (!entry.extensions.empty())
        body["extensions"] = extensionsNode(entry.extensions);
    return d->addEntry("clusters", "cluster", entry.name, body);
}

Result<void> Kubeconfig::addUser(const User &entry)
{
    if (user(entry.name))
        return Error(Error::Code::AlreadyExists, "user \"" + entry.name + "\" already exists");
    YAML::Node body(YAML::NodeType::Map);
    const auto set = [&](const char *key, const std::string &value) {
        if (!value.empty())
            body[key] = value;
    };
    set("client-certificate", entry.clientCertificate);
    if (!entry.clientCertificateData.empty())
        body["client-certificate-data"] = util::base64::encode(entry.clientCertificateData);
    set("client-key", entry.clientKey);
    if (!entry.clientKeyData.empty())
        body["client-key-data"] = util::base64::encode(entry.clientKeyData);
    set("token", entry.token);
    set("tokenFile", entry.tokenFile);
    set("username", entry.username);
    set("password", entry.password);
    set("as", entry.impersonate);
    set("as-uid", entry.impersonateUid);
    for (const auto &group : entry.impersonateGroups)
        body["as-groups"].push_back(group);
    if (entry.exec) {
        YAML::Node exec(YAML::NodeType::Map);
        exec["apiVersion"] = entry.exec->apiVersion;
        exec["command"] = entry.exec->command;
        for (const auto &arg : entry.exec->args)
            exec["args"].push_back(arg);
        for (const auto &var : entry.exec->env) {
            YAML::Node item;
            item["name"] = var.name;
            item["value"] = var.value;
            exec["env"].push_back(item);
        }
        if (!entry.exec->installHint.empty())
            exec["installHint"] = entry.exec->installHint;
        if (entry.exec->provideClusterInfo)
            exec["provideClusterInfo"] = boolNode(true);
        if (!entry.exec->interactiveMode.empty())
            exec["interactiveMode"] = entry.exec->interactiveMode;
        body["exec"] = exec;
    }
    if (entry.authProvider) {
        YAML::Node provider(YAML::NodeType::Map);
        provider["name"] = entry.authProvider->name;
        YAML::Node values(YAML::NodeType::Map);
        for (const auto &[key, value] : entry.authProvider->config)
            values[key] = value;
        provider["config"] = values;
        body["auth-provider"] = provider;
    }
    return d->addEntry("users", "user", entry.name, body);
}

Result<void> Kubeconfig::removeContext(const std::string &name)
{
    const Context *entry = context(name);
    if (!entry)
        return Error(Error::Code::NotFound, "context \"" + name + "\" not found");
    // Like kubectl delete-context, current-context is left alone even when it names this one.
    return d->removeEntry("contexts", entry->sourceFile, name);
}

Result<void> Kubeconfig::removeCluster(const std::string &name)
{
    const Cluster *entry = cluster(name);
    if (!entry)
        return Error(Error::Code::NotFound, "cluster \"" + name + "\" not found");
    return d->removeEntry("clusters", entry->sourceFile, name);
}

Result<void> Kubeconfig::removeUser(const std::string &name)
{
    const User *entry = user(name);
    if (!entry)
        return Error(Error::Code::NotFound, "user \"" + name + "\" not found");
    return d->removeEntry("users", entry->sourceFile, name);
}

Result<void> Kubeconfig::renameContext(const std::string &from, const std::string &to)
{
    const Context *entry = context(from);
    if (!entry)
        return Error(Error::Code::NotFound, "context \"" + from + "\" not found");
    if (to.empty())
        return Error(Error::Code::Invalid, "a name is required");
    if (context(to))
        return Error(Error::Code::AlreadyExists, "context \"" + to + "\" already exists");
    LoadedFile *ccFile = d->currentContext == from ? d->fileFor(d->currentContextSource) : nullptr;
    if (ccFile && !ccFile->usable)
        return Error(Error::Code::Internal, ccFile->path + " is not writable");
    if (auto renamed = d->renameEntry("contexts", entry->sourceFile, from, to); !renamed)
        return renamed;
    if (ccFile) {
        ccFile->root["current-context"] = to;
        ccFile->modified = true;
    }
    d->rebuild();
    return {};
}

namespace {

// Rewrites `context.<field>: from` to `to` in every context of every usable file.
void renameReferences(std::vector<LoadedFile> &files, const char *field, const std::string &from,
                      const std::string &to)
{
    for (LoadedFile &file : files) {
        if (!file.usable)
            continue;
        YAML::Node list = section(file.root, "contexts");
        if (!list || !list.IsSequence())
            continue;
        for (YAML::Node entry : list) {
            if (!entry.IsMap())
                continue;
            YAML::Node body = entry["context"];
            if (body.IsMap() && body[field] && body[field].IsScalar()
                && body[field].Scalar() == from) {
                body[field] = to;
                file.modified = true;
            }
        }
    }
}

} // namespace

Result<void> Kubeconfig::renameCluster(const std::string &from, const std::string &to)
{
    const Cluster *entry = cluster(from);
    if (!entry)
        return Error(Error::Code::NotFound, "cluster \"" + from + "\" not found");
    if (to.empty())
        return Error(Error::Code::Invalid, "a name is required");
    if (cluster(to))
        return Error(Error::Code::AlreadyExists, "cluster \"" + to + "\" already exists");
    if (auto renamed = d->renameEntry("clusters", entry->sourceFile, from, to); !renamed)
        return renamed;
    renameReferences(d->loaded, "cluster", from, to);
    d->rebuild();
    return {};
}

Result<void> Kubeconfig::renameUser(const std::string &from, const std::string &to)
{
    const User *entry = user(from);
    if (!entry)
        return Error(Error::Code::NotFound, "user \"" + from + "\" not found");
    if (to.empty())
        return Error(Error::Code::Invalid, "a name is required");
    if (user(to))
        return Error(Error::Code::AlreadyExists, "user \"" + to + "\" already exists");
    if (auto renamed = d->renameEntry("users", entry->sourceFile, from, to); !renamed)
        return renamed;
    renameReferences(d->loaded, "user", from, to);
    d->rebuild();
    return {};
}

Result<void> Kubeconfig::setAuthProviderConfig(const std::string &name,
                                               const std::map<std::string, std::string> &values)
{
    const User *entry = user(name);
    if (!entry)
        return Error(Error::Code::NotFound, "user \"" + name + "\" not found");
    if (!entry->authProvider)
        return Error(Error::Code::Invalid, "user \"" + name + "\" has no auth-provider");
    auto file = d->writableSource(entry->sourceFile);
    if (!file)
        return file.error();
    YAML::Node list = (*file)->root["users"];
    const int index = findEntry(list, name);
    if (index < 0)
        return Error(Error::Code::Internal, "user \"" + name + "\" vanished from its file");
    YAML::Node provider = list[index]["user"]["auth-provider"];
    if (!provider["config"].IsMap())
        provider["config"] = YAML::Node(YAML::NodeType::Map);
    YAML::Node config = provider["config"];
    for (const auto &[key, value] : values)
        removeKeyIfEmpty(config, key.c_str(), value);
    (*file)->modified = true;
    d->rebuild();
    return {};
}

std::vector<std::string> Kubeconfig::modifiedFiles() const
{
    std::vector<std::string> result;
    for (const LoadedFile &file : d->loaded) {
        if (file.modified)
            result.push_back(file.path);
    }
    return result;
}

Result<void> Kubeconfig::save()
{
    for (LoadedFile &file : d->loaded) {
        if (!file.modified)
            continue;
        YAML::Emitter out;
        emitNode(out, file.root);
        if (!out.good())
            return Error(Error::Code::Internal,
                         file.path + ": cannot serialize: " + out.GetLastError());
        std::string text = out.c_str();
        text.push_back('\n');
        std::error_code ec;
        std::filesystem::create_directories(file.dir, ec);
        if (auto written = support::writeFileAtomically(file.path, text); !written)
            return written;
        file.modified = false;
        file.exists = true;
        lcKubeconfig.info("wrote " + file.path);
    }
    d->rebuild();
    return {};
}

} // namespace kd::core::kubeconfig
