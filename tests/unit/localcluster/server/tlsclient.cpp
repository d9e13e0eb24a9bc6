#include "tlsclient.h"

#include <QDeadlineTimer>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>

QByteArray TlsClient::Response::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

TlsClient::TlsClient(quint16 port, const QByteArray &caPem, const QByteArray &certificatePem,
                     const QByteArray &keyPem)
    : m_port(port)
{
    QSslConfiguration config = QSslConfiguration::defaultConfiguration();
    config.setCaCertificates(QSslCertificate::fromData(caPem, QSsl::Pem));
    if (!certificatePem.isEmpty()) {
        config.setLocalCertificate(QSslCertificate(certificatePem, QSsl::Pem));
        config.setPrivateKey(QSslKey(keyPem, QSsl::Ec, QSsl::Pem));
    }
    m_socket.setSslConfiguration(config);
}

bool TlsClient::connectToServer(int timeoutMs)
{
    m_socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_port);
    return m_socket.waitForEncrypted(timeoutMs);
}

bool TlsClient::send(const QByteArray &raw)
{
    if (m_socket.write(raw) != raw.size())
        return false;
    while (m_socket.bytesToWrite() > 0) {
        if (!m_socket.waitForBytesWritten(10000))
            return false;
    }
    return true;
}

bool TlsClient::get(const QByteArray &target, const QByteArray &extraHeaders)
{
    return send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders + "\r\n");
}

bool TlsClient::fill(int timeoutMs)
{
    if (m_socket.bytesAvailable() == 0 && !m_socket.waitForReadyRead(timeoutMs))
        return false;
    m_buffer += m_socket.readAll();
    return true;
}

std::optional<QByteArray> TlsClient::readLine(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        const auto end = m_buffer.indexOf("\r\n");
        if (end >= 0) {
            QByteArray line = m_buffer.left(end);
            m_buffer.remove(0, end + 2);
            return line;
        }
        if (deadline.hasExpired() || !fill(int(deadline.remainingTime())))
            return std::nullopt;
    }
}

std::optional<QByteArray> TlsClient::readExactly(qsizetype size, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (m_buffer.size() < size) {
        if (deadline.hasExpired() || !fill(int(deadline.remainingTime())))
            return std::nullopt;
    }
    QByteArray data = m_buffer.left(size);
    m_buffer.remove(0, size);
    return data;
}

std::optional<TlsClient::Response> TlsClient::readHead(int timeoutMs)
{
    auto statusLine = readLine(timeoutMs);
    if (!statusLine || !statusLine->startsWith("HTTP/1.1 "))
        return std::nullopt;
    Response response;
    response.status = statusLine->mid(9, 3).toInt();
    for (;;) {
        auto line = readLine(timeoutMs);
        if (!line)
            return std::nullopt;
        if (line->isEmpty())
            break;
        const auto colon = line->indexOf(':');
        response.headers.append({line->left(colon).trimmed(), line->mid(colon + 1).trimmed()});
    }
    return response;
}

std::optional<QByteArray> TlsClient::readChunk(int timeoutMs)
{
    auto sizeLine = readLine(timeoutMs);
    if (!sizeLine)
        return std::nullopt;
    bool ok = false;
    const qsizetype size = sizeLine->toLongLong(&ok, 16);
    if (!ok)
        return std::nullopt;
    auto data = readExactly(size + 2, timeoutMs);
    if (!data || !data->endsWith("\r\n"))
        return std::nullopt;
    data->chop(2);
    return data;
}

std::optional<TlsClient::Response> TlsClient::readResponse(int timeoutMs)
{
    auto response = readHead(timeoutMs);
    if (!response)
        return std::nullopt;
    if (response->header("Transfer-Encoding").toLower() == "chunked") {
        for (;;) {
            auto chunk = readChunk(timeoutMs);
            if (!chunk)
                return std::nullopt;
            if (chunk->isEmpty())
                break;
            response->body += *chunk;
        }
        return response;
    }
    auto body = readExactly(response->header("Content-Length").toLongLong(), timeoutMs);
    if (!body)
        return std::nullopt;
    response->body = *body;
    return response;
}

bool TlsClient::waitForDisconnected(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (m_socket.state() != QAbstractSocket::UnconnectedState) {
        if (deadline.hasExpired())
            return false;
        if (!m_socket.waitForReadyRead(int(deadline.remainingTime())))
            return m_socket.state() == QAbstractSocket::UnconnectedState
                   || m_socket.error() == QAbstractSocket::RemoteHostClosedError;
        m_buffer += m_socket.readAll();
    }
    return true;
}

void TlsClient::close()
{
    m_socket.abort();
}
