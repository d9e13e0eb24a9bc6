#pragma once

// A scripted API server for discovery and apply tests: fixed answers per path (discovery
// documents), an optional handler for everything else, and a log of every request.

#include "../transport/testserver.h"

#include <nlohmann/json.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

struct ScriptedReply
{
    int status = 200;
    QByteArray contentType = "application/json";
    QByteArray body;
};

// Builders for aggregated discovery (apidiscovery.k8s.io v2 / v2beta1 share the shape).
inline nlohmann::json aggregatedResource(const std::string &resource, const std::string &group,
                                         const std::string &version, const std::string &kind,
                                         bool namespaced, std::vector<std::string> shortNames = {},
                                         std::vector<std::string> categories = {},
                                         nlohmann::json subresources = nlohmann::json::array())
{
    nlohmann::json out
        = {{"resource", resource},
           {"responseKind", {{"group", group}, {"version", version}, {"kind", kind}}},
           {"scope", namespaced ? "Namespaced" : "Cluster"},
           {"singularResource", ""},
           {"verbs",
            {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}},
           {"subresources", std::move(subresources)}};
    if (!shortNames.empty())
        out["shortNames"] = shortNames;
    if (!categories.empty())
        out["categories"] = categories;
    return out;
}

inline nlohmann::json aggregatedVersion(const std::string &version, nlohmann::json resources,
                                        const std::string &freshness = "Current")
{
    return {{"version", version}, {"freshness", freshness}, {"resources", std::move(resources)}};
}

inline nlohmann::json aggregatedList(const std::string &apiVersion, nlohmann::json items)
{
    return {{"kind", "APIGroupDiscoveryList"},
            {"apiVersion", apiVersion},
            {"metadata", nlohmann::json::object()},
            {"items", std::move(items)}};
}

inline nlohmann::json aggregatedGroup(const std::string &name, nlohmann::json versions)
{
    return {{"metadata", {{"name", name}}}, {"versions", std::move(versions)}};
}

inline QByteArray aggregatedContentType(const char *version)
{
    return QByteArray("application/json;g=apidiscovery.k8s.io;v=") + version
           + ";as=APIGroupDiscoveryList";
}

class ScriptedApiServer
{
public:
    using Dynamic = std::function<std::optional<ScriptedReply>(const TestRequest &)>;

    ScriptedApiServer()
        : m_server([this](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
            ScriptedReply reply = answer(request);
            socket->write(
                httpResponse(reply.status, reply.body, {"Content-Type: " + reply.contentType}));
            return false;
        })
    {}

    std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(m_server.port()); }

    void setReply(const std::string &path, ScriptedReply reply)
    {
        std::lock_guard lock(m_mutex);
        m_replies[path] = std::move(reply);
    }
    void setJson(const std::string &path, const nlohmann::json &body,
                 QByteArray contentType = "application/json", int status = 200)
    {
        setReply(path, {status, std::move(contentType), QByteArray::fromStdString(body.dump())});
    }
    void setDynamic(Dynamic dynamic)
    {
        std::lock_guard lock(m_mutex);
        m_dynamic = std::move(dynamic);
    }

    std::vector<TestRequest> requests() const
    {
        std::lock_guard lock(m_mutex);
        return m_requests;
    }
    void clearRequests()
    {
        std::lock_guard lock(m_mutex);
        m_requests.clear();
    }
    int count(const QByteArray &method, const QByteArray &pathPrefix) const
    {
        std::lock_guard lock(m_mutex);
        int n = 0;
        for (const auto &r : m_requests) {
            if (r.method == method && r.path.startsWith(pathPrefix))
                ++n;
        }
        return n;
    }

private:
    ScriptedReply answer(const TestRequest &request)
    {
        Dynamic dynamic;
        {
            std::lock_guard lock(m_mutex);
            m_requests.push_back(request);
            const qsizetype query = request.path.indexOf('?');
            const QByteArray path = query < 0 ? request.path : request.path.left(query);
            const auto it = m_replies.find(path.toStdString());
            if (it != m_replies.end() && request.method == "GET")
                return it->second;
            dynamic = m_dynamic;
        }
        if (dynamic) {
            if (auto reply = dynamic(request))
                return *reply;
        }
        const nlohmann::json status
            = {{"kind", "Status"},     {"apiVersion", "v1"},     {"status", "Failure"},
               {"reason", "NotFound"}, {"message", "not found"}, {"code", 404}};
        return {404, "application/json", QByteArray::fromStdString(status.dump())};
    }

    mutable std::mutex m_mutex;
    std::map<std::string, ScriptedReply> m_replies;
    Dynamic m_dynamic;
    std::vector<TestRequest> m_requests;
    TestServer m_server;
};
