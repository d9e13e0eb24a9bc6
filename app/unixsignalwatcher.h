#pragma once

#include <QObject>

#include <initializer_list>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
QT_END_NAMESPACE

namespace kd::app {

// Turns SIGINT/SIGTERM/SIGHUP into a Qt signal on the GUI thread (self-pipe trick), so that a
// terminal's Ctrl+C or a session logout closes the IDE as cleanly as its Quit action.
// One instance per process, owned by main(); GUI thread only.
class UnixSignalWatcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UnixSignalWatcher)

public:
    explicit UnixSignalWatcher(std::initializer_list<int> signalNumbers, QObject *parent = nullptr);
    ~UnixSignalWatcher() override;

Q_SIGNALS:
    void unixSignal(int signalNumber);

private:
    void readSignal();

    QSocketNotifier *m_notifier = nullptr;
};

} // namespace kd::app
