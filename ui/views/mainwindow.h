#pragma once

#include <QMainWindow>

QT_BEGIN_NAMESPACE
class QLabel;
class QSplitter;
class QStackedWidget;
class QStandardItemModel;
class QTreeView;
QT_END_NAMESPACE

namespace kd::ui {

// The IDE's main window: the cluster navigator on the left, the workspace on the right and a
// status bar. Constructed by app/ and owned by it; GUI thread only.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    QTreeView *navigator() const { return m_navigator; }
    QStandardItemModel *navigatorModel() const { return m_navigatorModel; }

Q_SIGNALS:
    // Emitted once, the first time the window has been shown, so that the app (and its smoke test)
    // know start-up is complete.
    void firstShown();

protected:
    void showEvent(QShowEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void restoreGeometryFromSettings();

    QSplitter *m_splitter = nullptr;
    QTreeView *m_navigator = nullptr;
    QStandardItemModel *m_navigatorModel = nullptr;
    QStackedWidget *m_workspace = nullptr;
    QLabel *m_emptyWorkspaceHint = nullptr;
    QLabel *m_connectionStatus = nullptr;
    bool m_shownOnce = false;
};

} // namespace kd::ui
