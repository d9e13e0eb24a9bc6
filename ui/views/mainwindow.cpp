#include "mainwindow.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QHeaderView>
#include <QKeySequence>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QTreeView>

namespace kd::ui {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(tr("Kubedesk"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/kubedesk.svg")));

    m_navigatorModel = new QStandardItemModel(this);
    m_navigatorModel->setHorizontalHeaderLabels({tr("Clusters")});

    m_navigator = new QTreeView;
    m_navigator->setObjectName(QStringLiteral("Navigator"));
    m_navigator->setModel(m_navigatorModel);
    m_navigator->setHeaderHidden(false);
    m_navigator->header()->setStretchLastSection(true);
    m_navigator->setUniformRowHeights(true); // large trees stay fast
    m_navigator->setEditTriggers(QAbstractItemView::NoEditTriggers);

    m_emptyWorkspaceHint = new QLabel(tr("No cluster selected."));
    m_emptyWorkspaceHint->setObjectName(QStringLiteral("EmptyWorkspaceHint"));
    m_emptyWorkspaceHint->setAlignment(Qt::AlignCenter);
    m_emptyWorkspaceHint->setEnabled(false);

    m_workspace = new QStackedWidget;
    m_workspace->setObjectName(QStringLiteral("Workspace"));
    m_workspace->addWidget(m_emptyWorkspaceHint);

    m_splitter = new QSplitter(Qt::Horizontal);
    m_splitter->setObjectName(QStringLiteral("MainSplitter"));
    m_splitter->addWidget(m_navigator);
    m_splitter->addWidget(m_workspace);
    m_splitter->setStretchFactor(0, 0);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setSizes({260, 900});
    setCentralWidget(m_splitter);

    m_connectionStatus = new QLabel(tr("Not connected"));
    m_connectionStatus->setObjectName(QStringLiteral("ConnectionStatus"));
    statusBar()->addPermanentWidget(m_connectionStatus);
    statusBar()->showMessage(tr("Ready"));

    createMenus();
    resize(1200, 780);
    restoreGeometryFromSettings();
}

MainWindow::~MainWindow() = default;

void MainWindow::createMenus()
{
    QMenu *fileMenu = menuBar()->addMenu(tr("&File"));
    QAction *quitAction = fileMenu->addAction(tr("&Quit"));
    quitAction->setObjectName(QStringLiteral("QuitAction"));
    quitAction->setShortcut(QKeySequence::Quit);
    quitAction->setMenuRole(QAction::QuitRole);
    connect(quitAction, &QAction::triggered, this, &QWidget::close);

    QMenu *helpMenu = menuBar()->addMenu(tr("&Help"));
    QAction *aboutQt = helpMenu->addAction(tr("About &Qt"));
    connect(aboutQt, &QAction::triggered, qApp, &QApplication::aboutQt);
}

void MainWindow::restoreGeometryFromSettings()
{
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray());
    m_splitter->restoreState(settings.value(QStringLiteral("mainWindow/splitter")).toByteArray());
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    if (!m_shownOnce) {
        m_shownOnce = true;
        Q_EMIT firstShown();
    }
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("mainWindow/splitter"), m_splitter->saveState());
    event->accept();
}

} // namespace kd::ui
