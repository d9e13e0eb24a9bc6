// kubedesk: the IDE's composition root. Services are constructed here and passed down; nothing
// else in the project may hold a process-wide singleton.

#include "unixsignalwatcher.h"

#include <core/util/log.h>
#include <ui/views/mainwindow.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QLibraryInfo>
#include <QLocale>
#include <QLoggingCategory>
#include <QTranslator>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

Q_LOGGING_CATEGORY(lcApp, "kd.app", QtInfoMsg)

namespace {

// Routes the Qt-free engine's log records into Qt's message handler, so QT_LOGGING_RULES and
// the IDE's own log view see one stream.
void forwardCoreLogToQt()
{
    using kd::core::util::LogLevel;
    kd::core::util::log::setWriter([](const kd::core::util::LogRecord &record) {
        const std::string category(record.category);
        const QMessageLogger logger(nullptr, 0, nullptr, category.c_str());
        const QString message = QString::fromUtf8(record.message.data(),
                                                  static_cast<qsizetype>(record.message.size()));
        switch (record.level) {
        case LogLevel::Error:
            logger.critical().noquote() << message;
            break;
        case LogLevel::Warning:
            logger.warning().noquote() << message;
            break;
        case LogLevel::Info:
            logger.info().noquote() << message;
            break;
        case LogLevel::Debug:
        case LogLevel::Trace:
            logger.debug().noquote() << message;
            break;
        }
    });
}

bool wantsInformationOnly(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "-v") == 0
            || std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0
            || std::strcmp(argv[i], "--help-all") == 0)
            return true;
    }
    return false;
}

void setApplicationIdentity()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Kubedesk"));
    QCoreApplication::setOrganizationDomain(QStringLiteral("kubedesk.dev"));
    QCoreApplication::setApplicationName(QStringLiteral("kubedesk"));
    QCoreApplication::setApplicationVersion(QStringLiteral(KD_VERSION));
}

void configureParser(QCommandLineParser &parser)
{
    parser.setApplicationDescription(
        QCoreApplication::translate("main", "Kubedesk, a native desktop IDE for Kubernetes."));
    parser.addHelpOption();
    parser.addVersionOption();
}

} // namespace

int main(int argc, char **argv)
{
    // --version and --help must work without a display (scripts, packaging checks).
    if (wantsInformationOnly(argc, argv)) {
        QCoreApplication app(argc, argv);
        setApplicationIdentity();
        QCommandLineParser parser;
        configureParser(parser);
        parser.process(app);
        return 0;
    }

    QApplication app(argc, argv);
    setApplicationIdentity();
    QApplication::setDesktopFileName(QStringLiteral("kubedesk"));

    QCommandLineParser parser;
    configureParser(parser);
    parser.process(app);

    forwardCoreLogToQt();

    QTranslator qtTranslator;
    if (qtTranslator.load(QLocale(), QStringLiteral("qtbase"), QStringLiteral("_"),
                          QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(&qtTranslator);
    QTranslator appTranslator;
    if (appTranslator.load(QLocale(), QStringLiteral("kubedesk"), QStringLiteral("_"),
                           QStringLiteral(":/i18n")))
        QCoreApplication::installTranslator(&appTranslator);

    kd::app::UnixSignalWatcher signalWatcher({SIGINT, SIGTERM, SIGHUP});

    kd::ui::MainWindow window;
    QObject::connect(&window, &kd::ui::MainWindow::firstShown, &window,
                     [] { qCInfo(lcApp, "main window shown"); });
    QObject::connect(&signalWatcher, &kd::app::UnixSignalWatcher::unixSignal, &window,
                     [&window](int signalNumber) {
                         qCInfo(lcApp, "received signal %d, quitting", signalNumber);
                         window.close(); // saves the window state like the Quit action
                         QCoreApplication::quit();
                     });
    window.show();

    const int status = QApplication::exec();
    qCInfo(lcApp, "exited cleanly");
    return status;
}
