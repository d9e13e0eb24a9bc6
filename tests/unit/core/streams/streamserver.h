#pragma once

// Server-side helpers for the streams tests: the WebSocket upgrade and framing a kube-apiserver
// does for exec, attach and port-forward, on top of the transport tests' scripted TestServer.
// Everything here runs in the server thread.

#include "../transport/testserver.h"

#include <core/transport/websocket.h>
#include <core/transport/websocketcodec.h>

#include <QUrlQuery>

#include <functional>

// One accepted WebSocket connection, owned by its socket.
class WsPeer final : public QObject
{
public:
    using MessageHandler = std::function<void(WsPeer &, kd::core::transport::WebSocketMessage)>;

    WsPeer(QTcpSocket *socket, QByteArray initial, MessageHandler onMessage)
        : QObject(socket)
        , m_socket(socket)
        , m_onMessage(std::move(onMessage))
    {
        connect(socket, &QTcpSocket::readyRead, this, [this] { onBytes(m_socket->readAll()); });
        if (!initial.isEmpty())
            QMetaObject::invokeMethod(
                this, [this, initial] { onBytes(initial); }, Qt::QueuedConnection);
    }

    void send(kd::core::transport::WebSocketOpcode opcode, std::string_view payload)
    {
        const std::string frame
            = kd::core::transport::WebSocketCodec::encodeFrame(opcode, payload, true, std::nullopt);
        m_socket->write(frame.data(), qint64(frame.size()));
    }
    void sendBinary(std::string_view payload)
    {
        send(kd::core::transport::WebSocketOpcode::Binary, payload);
    }
    // Sends a close frame and drops the connection once it is written.
    void close(uint16_t code = 1000)
    {
        if (m_closed)
            return;
        m_closed = true;
        send(kd::core::transport::WebSocketOpcode::Close,
             kd::core::transport::WebSocketCodec::encodeClosePayload(code, {}));
        m_socket->flush();
        m_socket->disconnectFromHost();
    }
    void abort() { m_socket->abort(); }
    int pings() const { return m_pings; }

private:
    void onBytes(const QByteArray &bytes)
    {
        using kd::core::transport::WebSocketOpcode;
        if (!m_codec.feed(std::string_view(bytes.constData(), size_t(bytes.size())))) {
            m_socket->abort();
            return;
        }
        while (auto message = m_codec.takeMessage()) {
            if (message->opcode == WebSocketOpcode::Ping) {
                ++m_pings;
                send(WebSocketOpcode::Pong, message->payload);
            } else if (message->opcode == WebSocketOpcode::Close) {
                if (!m_closed) {
                    m_closed = true;
                    send(WebSocketOpcode::Close, message->payload.substr(0, 2));
                }
                m_socket->flush();
                m_socket->disconnectFromHost();
                return;
            } else if (message->opcode != WebSocketOpcode::Pong && m_onMessage) {
                m_onMessage(*this, std::move(*message));
            }
        }
    }

    QTcpSocket *m_socket;
    MessageHandler m_onMessage;
    kd::core::transport::WebSocketCodec m_codec{kd::core::transport::WebSocketCodec::Role::Server};
    bool m_closed = false;
    int m_pings = 0;
};

// The first offered subprotocol that the server supports, in the client's order of preference;
// empty when none matches.
inline QByteArray negotiateProtocol(const TestRequest &request, const QList<QByteArray> &supported)
{
    for (const QByteArray &offer : request.header("Sec-WebSocket-Protocol").split(',')) {
        if (supported.contains(offer.trimmed()))
            return offer.trimmed();
    }
    return {};
}

// Writes the 101 answer and hands the connection to a WsPeer. `rest` (bytes after the request)
// goes to the peer.
inline WsPeer *acceptWebSocket(const TestRequest &request, QTcpSocket *socket, QByteArray &rest,
                               const QByteArray &protocol, WsPeer::MessageHandler onMessage)
{
    const QByteArray key = request.header("Sec-WebSocket-Key");
    QByteArray response
        = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
          "Connection: Upgrade\r\nSec-WebSocket-Accept: "
          + QByteArray::fromStdString(kd::core::transport::webSocketAccept(key.toStdString()))
          + "\r\n";
    if (!protocol.isEmpty())
        response += "Sec-WebSocket-Protocol: " + protocol + "\r\n";
    socket->write(response + "\r\n");
    auto *peer = new WsPeer(socket, rest, std::move(onMessage));
    rest.clear();
    return peer;
}

inline QUrlQuery queryOf(const TestRequest &request)
{
    const qsizetype mark = request.path.indexOf('?');
    return mark < 0 ? QUrlQuery() : QUrlQuery(QString::fromUtf8(request.path.mid(mark + 1)));
}

inline QByteArray pathOf(const TestRequest &request)
{
    const qsizetype mark = request.path.indexOf('?');
    return mark < 0 ? request.path : request.path.left(mark);
}

inline QByteArray statusBody(int code, const QByteArray &reason, const QByteArray &message)
{
    return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
           "\"message\":\""
           + message + "\",\"reason\":\"" + reason + "\",\"code\":" + QByteArray::number(code)
           + "}";
}
