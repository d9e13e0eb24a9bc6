#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QSslSocket>

#include <optional>

// A raw HTTP/1.1-over-TLS client for tests that need to see what curl and kubectl hide: chunk
// boundaries, the moment a chunk arrives, connection reuse and hang-ups. Synchronous (waitFor*),
// test thread only.
class TlsClient final
{
public:
    struct Response
    {
        int status = 0;
        QList<QPair<QByteArray, QByteArray>> headers;
        QByteArray body;

        QByteArray header(const QByteArray &name) const;
    };

    TlsClient(quint16 port, const QByteArray &caPem, const QByteArray &certificatePem = {},
              const QByteArray &keyPem = {});

    bool connectToServer(int timeoutMs = 10000);
    bool send(const QByteArray &raw);
    bool get(const QByteArray &target, const QByteArray &extraHeaders = {});
    // A whole response (Content-Length or chunked body).
    std::optional<Response> readResponse(int timeoutMs = 10000);
    // Only the status line and headers; the body follows with readChunk().
    std::optional<Response> readHead(int timeoutMs = 10000);
    // The next chunk of a chunked body; an empty array is the terminating chunk.
    std::optional<QByteArray> readChunk(int timeoutMs = 10000);
    bool waitForDisconnected(int timeoutMs = 10000);
    void close();
    QSslSocket &socket() { return m_socket; }

private:
    bool fill(int timeoutMs);
    std::optional<QByteArray> readLine(int timeoutMs);
    std::optional<QByteArray> readExactly(qsizetype size, int timeoutMs);

    QSslSocket m_socket;
    QByteArray m_buffer;
    quint16 m_port;
};
