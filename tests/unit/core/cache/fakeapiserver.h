#pragma once

// A scripted API server for cache tests, on top of the transport tests' TestServer: records every
// request, lets the test's handler answer lists and open watches, and lets the test thread push
// events into, end or drop the current watch stream later.

#include "../transport/testserver.h"

#include <nlohmann/json.hpp>

#include <QMutex>
#include <QMutexLocker>
#include <QPointer>
#include <QUrlQuery>

#include <string>
#include <vector>

inline QByteArray chunked(const QByteArray &data)
{
    return QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
}

inline QByteArray jsonBytes(const nlohmann::json &value)
{
    return QByteArray::fromStdString(value.dump());
}

inline nlohmann::json watchEvent(const char *type, nlohmann::json object)
{
    return nlohmann::json{{"type", type}, {"object", std::move(object)}};
}

inline nlohmann::json makePod(const std::string &ns, const std::string &name, const std::string &rv,
                              const std::string &node = {})
{
    nlohmann::json pod
        = {{"apiVersion", "v1"},
           {"kind", "Pod"},
           {"metadata",
            {{"name", name},
             {"namespace", ns},
             {"uid", "uid-" + name},
             {"resourceVersion", rv},
             {"labels", {{"app", name}}},
             {"managedFields", {{{"manager", "kubectl"}, {"operation", "Update"}}}}}},
           {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}};
    if (!node.empty())
        pod["spec"]["nodeName"] = node;
    return pod;
}

inline nlohmann::json podList(const std::string &rv, std::vector<nlohmann::json> items,
                              const std::string &continueToken = {})
{
    nlohmann::json list = {{"apiVersion", "v1"},
                           {"kind", "PodList"},
                           {"metadata", {{"resourceVersion", rv}}},
                           {"items", nlohmann::json::array()}};
    if (!continueToken.empty())
        list["metadata"]["continue"] = continueToken;
    for (auto &item : items)
        list["items"].push_back(std::move(item));
    return list;
}

inline nlohmann::json expiredStatus()
{
    return {{"kind", "Status"},
            {"apiVersion", "v1"},
            {"metadata", nlohmann::json::object()},
            {"status", "Failure"},
            {"message", "too old resource version: 1 (50)"},
            {"reason", "Expired"},
            {"code", 410}};
}

class FakeApiServer final
{
public:
    // Called in the server thread for every request.
    using Handler
        = std::function<void(FakeApiServer &api, const TestRequest &request, QTcpSocket *socket)>;

    explicit FakeApiServer(Handler handler)
        : m_handler(std::move(handler))
        , m_server([this](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
            {
                QMutexLocker lock(&m_mutex);
                m_requests.push_back(request);
            }
            m_handler(*this, request, socket);
            return false;
        })
    {}

    std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(m_server.port()); }
    TestServer &server() { return m_server; }

    static bool isWatch(const TestRequest &request) { return request.path.contains("watch=true"); }
    static QString query(const TestRequest &request, const QString &name)
    {
        const QByteArray path = request.path;
        const qsizetype mark = path.indexOf('?');
        if (mark < 0)
            return {};
        return QUrlQuery(QString::fromUtf8(path.mid(mark + 1)))
            .queryItemValue(name, QUrl::FullyDecoded);
    }
    static bool hasQuery(const TestRequest &request, const QString &name)
    {
        const QByteArray path = request.path;
        const qsizetype mark = path.indexOf('?');
        return mark >= 0 && QUrlQuery(QString::fromUtf8(path.mid(mark + 1))).hasQueryItem(name);
    }

    std::vector<TestRequest> requests() const
    {
        QMutexLocker lock(&m_mutex);
        return m_requests;
    }
    std::vector<TestRequest> lists() const
    {
        std::vector<TestRequest> out;
        for (const auto &request : requests()) {
            if (!isWatch(request))
                out.push_back(request);
        }
        return out;
    }
    std::vector<TestRequest> watches() const
    {
        std::vector<TestRequest> out;
        for (const auto &request : requests()) {
            if (isWatch(request))
                out.push_back(request);
        }
        return out;
    }

    // Server thread: answer with a complete body.
    static void reply(QTcpSocket *socket, int status, const nlohmann::json &body,
                      const QList<QByteArray> &headers = {})
    {
        socket->write(httpResponse(status, jsonBytes(body),
                                   QList<QByteArray>{"Content-Type: application/json"} + headers));
    }
    // Server thread: start a chunked watch answer on the socket and make it the current watch.
    void openWatch(QTcpSocket *socket, const std::vector<nlohmann::json> &events = {})
    {
        socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n");
        for (const auto &event : events)
            socket->write(chunked(jsonBytes(event) + "\n"));
        socket->flush();
        m_watch = socket;
        m_watchesOpened.fetch_add(1);
    }
    int watchesOpened() const { return m_watchesOpened.load(); }

    // Test thread: push an event into the current watch.
    void send(const nlohmann::json &event)
    {
        onServer([this, bytes = jsonBytes(event) + "\n"] {
            if (m_watch)
                m_watch->write(chunked(bytes));
        });
    }
    // Test thread: end the current watch cleanly, as a server timeout does.
    void endWatch()
    {
        onServer([this] {
            if (m_watch)
                m_watch->write("0\r\n\r\n");
            m_watch = nullptr;
        });
    }
    // Test thread: drop the connection of the current watch.
    void dropWatch()
    {
        onServer([this] {
            if (m_watch)
                m_watch->abort();
            m_watch = nullptr;
        });
    }

private:
    void onServer(std::function<void()> f)
    {
        QMetaObject::invokeMethod(m_server.context(), std::move(f), Qt::BlockingQueuedConnection);
    }

    Handler m_handler;
    mutable QMutex m_mutex;
    std::vector<TestRequest> m_requests;
    QPointer<QTcpSocket> m_watch; // server thread only
    std::atomic<int> m_watchesOpened{0};
    TestServer m_server;
};
