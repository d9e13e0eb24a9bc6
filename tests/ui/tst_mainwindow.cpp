#include <ui/views/mainwindow.h>

#include <QLabel>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

using kd::ui::MainWindow;

class TestMainWindow final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // Keep QSettings away from the user's real configuration.
        QVERIFY(m_settingsDir.isValid());
        qputenv("XDG_CONFIG_HOME", m_settingsDir.path().toUtf8());
        QCoreApplication::setOrganizationName(QStringLiteral("KubedeskTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_mainwindow"));
    }

    void opensWithTitleEmptyNavigatorAndStatusBar()
    {
        MainWindow window;
        QSignalSpy shown(&window, &MainWindow::firstShown);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        QCOMPARE(window.windowTitle(), QStringLiteral("Kubedesk"));
        QCOMPARE(shown.count(), 1);

        QTreeView *navigator = window.findChild<QTreeView *>(QStringLiteral("Navigator"));
        QVERIFY(navigator);
        QVERIFY(navigator->isVisible());
        QCOMPARE(navigator->model()->rowCount(), 0);

        QVERIFY(window.statusBar()->isVisible());
        auto *status = window.findChild<QLabel *>(QStringLiteral("ConnectionStatus"));
        QVERIFY(status);
        QCOMPARE(status->text(), QStringLiteral("Not connected"));
    }

    void firstShownIsEmittedOnlyOnce()
    {
        MainWindow window;
        QSignalSpy shown(&window, &MainWindow::firstShown);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.hide();
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(shown.count(), 1);
    }

    void quitActionClosesTheWindow()
    {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *quit = window.findChild<QAction *>(QStringLiteral("QuitAction"));
        QVERIFY(quit);
        quit->trigger();
        QVERIFY(!window.isVisible());
    }

    void geometryIsRememberedAcrossSessions()
    {
        {
            MainWindow window;
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.resize(900, 640);
            window.close();
        }
        MainWindow reopened;
        QCOMPARE(reopened.size(), QSize(900, 640));
    }

private:
    QTemporaryDir m_settingsDir;
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
