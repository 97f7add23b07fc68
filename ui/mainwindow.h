#pragma once
/// The workbench's main window: datasets of a store with their pairs and sizes, runs, and the
/// routing statistics of evaluated checkpoints.
#include "ui/jobs/jobcontroller.h"
#include "ui/jobs/quickstart.h"

#include <QMainWindow>
#include <QPointer>

#include <memory>

class QAction;
class QCloseEvent;
class QLabel;
class QLineEdit;
class QMessageBox;
class QProgressBar;
class QModelIndex;
class QSortFilterProxyModel;
class QSettings;
class QSplitter;
class QStackedWidget;
class QTabWidget;
class QTableView;

namespace taskmoe::db {
struct DatasetRecord;
}

namespace taskmoe::ui {

class DatasetTableModel;
class RoutingBrowser;
class RunFollowerThread;
class RunMonitor;
struct RunListing;
class PairSizeChart;
class PairTableModel;
class RunTableModel;
class StoreController;
class SubnetworksTab;
class BleuDashboard;
class ThroughputDashboard;
class Playground;
class JobsView;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Opens the store at `path` and shows its records. On failure shows a (non-blocking,
    /// window-modal) critical message box, empties the views and returns false.
    bool openStore(const QString &path);

    /// Saves an image of the window as it is drawn now (the format from the file suffix,
    /// PNG when none). Writes a temporary file and renames it, so a reader never sees a
    /// partial image. Returns false and sets `error` when it could not.
    bool saveScreenshot(const QString &path, QString *error = nullptr);

    /// Selects the dataset with this id in the datasets table; false when it is not shown.
    bool selectDataset(qint64 id);
    /// The id of the selected dataset, or 0.
    qint64 currentDatasetId() const;

    StoreController *controller() const { return m_controller; }
    DatasetTableModel *datasetModel() const { return m_datasetModel; }
    PairTableModel *pairModel() const { return m_pairModel; }
    RunTableModel *runModel() const { return m_runModel; }
    QTableView *datasetView() const { return m_datasetView; }
    QTableView *pairView() const { return m_pairView; }
    QTableView *runView() const { return m_runView; }
    PairSizeChart *pairSizeChart() const { return m_chart; }
    QTabWidget *tabs() const { return m_tabs; }
    JobController *jobController() const { return m_jobs; }
    RunMonitor *runMonitor() const { return m_monitor; }
    QAction *newRunAction() const { return m_newRunAction; }
    /// Evaluate the current run (enabled for one selected run that is not running).
    QAction *evaluateAction() const { return m_evaluateAction; }
    /// Shows the Runs tab with these runs selected (the first one current); false when one
    /// of them is not listed (yet).
    bool selectRuns(const QList<qint64> &runIds);
    /// Selects these runs now, or as soon as the runs list shows them all.
    void selectRunsWhenListed(const QList<qint64> &runIds);
    RoutingBrowser *routingBrowser() const { return m_routing; }
    SubnetworksTab *subnetworksTab() const { return m_subnetworks; }
    BleuDashboard *bleuDashboard() const { return m_bleu; }
    ThroughputDashboard *throughputDashboard() const { return m_throughput; }
    Playground *playground() const { return m_playground; }
    JobsView *jobsView() const { return m_jobsView; }
    Quickstart *quickstart() const { return m_quickstart; }
    /// Queues the quickstart experiment in the open store and shows the Jobs tab.
    bool startQuickstart(const Quickstart::Options &options = {}, QString *error = nullptr);
    /// Queues it once the store is loaded, if the store has no runs yet (workbench --quickstart).
    void startQuickstartWhenLoaded(const Quickstart::Options &options = {});
    /// The tabs' names for showTab and --tab, in tab order: datasets, runs, routing, …
    static QStringList tabKeys();
    /// Shows the tab named "datasets", "runs", "routing" or "subnetworks"; false for another name.
    bool showTab(const QString &name);
    /// Shows the Routing tab with the routing statistics of `modelId` at `step` — now, or as
    /// soon as the browser's listing has them (then it returns false).
    bool showRoutingStatSet(qint64 modelId, qint64 step);
    /// Step value of showRunRouting() for the checkpoint with the best dev BLEU.
    static constexpr qint64 kBestCheckpoint = -2;
    /// Shows the Routing tab with the newest routing statistics of run `runId` (at `step` when
    /// ≥ 0, at its best checkpoint for kBestCheckpoint); as showRoutingStatSet.
    bool showRunRouting(qint64 runId, qint64 step = -1);
    /// The error message box while it is open, else nullptr.
    QMessageBox *errorDialog() const;

    /// The workbench's settings: $TASKMOE_SETTINGS (an INI file) when set, else the user's.
    static std::unique_ptr<QSettings> openSettings();
    /// The store the workbench had open when it was last closed (empty when none).
    static QString lastStore(const QSettings &settings);
    /// Restores what `settings` remembers (window geometry, splitter positions, the current
    /// tab) now and writes them back, with the open store, when the window closes.
    void useSettings(std::unique_ptr<QSettings> settings);
    void saveSettings(QSettings &settings) const;
    void restoreSettings(const QSettings &settings);
    /// Every menu action with a keyboard shortcut, one per line (Help → Keyboard shortcuts).
    QString shortcutsText() const;

public slots:
    /// Asks for a store file and opens it.
    void chooseStore();
    /// Reads the current store again, keeping the selected dataset when it still exists.
    void reloadStore();
    /// Opens the New run dialog; starts the job when the user accepts it.
    void newRun();
    /// Opens the Evaluate dialog for the current run; starts `taskmoe eval` when accepted.
    void evaluateRun();

signals:
    /// A store was opened or reloaded and the views show it.
    void storeLoaded();
    /// A store could not be opened; the views are empty and an error dialog is showing.
    void storeFailed(const QString &message);
    /// Every job of the quickstart experiment has ended; `failed` names those that did not finish.
    void quickstartFinished(const QStringList &failed);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    QWidget *createDatasetsTab();
    QWidget *createRunsTab();
    QWidget *createRoutingTab();
    QWidget *createDetailsPanel();

    void onLoaded();
    void offerQuickstart();
    void onFailed(const QString &message);
    void onRunsListed(const RunListing &listing);
    void onRunSelectionChanged();
    void resumeRun(qint64 runId);
    void updateEvaluateAction();
    void onJobEnded(int job, qint64 runId, JobController::JobState state, const QString &message);
    void onCurrentDatasetChanged(const QModelIndex &current);
    void showDataset(const db::DatasetRecord *dataset);
    void updateStatus();
    void showError(const QString &title, const QString &message);

    StoreController *m_controller = nullptr;
    qint64 m_wantedDatasetId = 0;   // the selection to restore after a reload

    DatasetTableModel *m_datasetModel = nullptr;
    PairTableModel *m_pairModel = nullptr;
    RunTableModel *m_runModel = nullptr;
    QSortFilterProxyModel *m_datasetProxy = nullptr;
    QSortFilterProxyModel *m_pairProxy = nullptr;
    QSortFilterProxyModel *m_runProxy = nullptr;

    QTabWidget *m_tabs = nullptr;
    QSplitter *m_verticalSplitter = nullptr;
    QSplitter *m_horizontalSplitter = nullptr;
    QTableView *m_datasetView = nullptr;
    QTableView *m_pairView = nullptr;
    QTableView *m_runView = nullptr;
    PairSizeChart *m_chart = nullptr;
    QStackedWidget *m_runStack = nullptr;
    QLabel *m_noRunsLabel = nullptr;

    QLabel *m_detailName = nullptr;
    QLabel *m_detailKind = nullptr;
    QLineEdit *m_detailSource = nullptr;
    QLineEdit *m_detailFingerprint = nullptr;
    QLabel *m_detailCreated = nullptr;
    QLabel *m_detailLanguages = nullptr;

    QLabel *m_countsLabel = nullptr;
    QLabel *m_pathLabel = nullptr;

    QAction *m_openAction = nullptr;
    QAction *m_reloadAction = nullptr;
    QAction *m_quitAction = nullptr;
    QAction *m_newRunAction = nullptr;
    QAction *m_evaluateAction = nullptr;
    QProgressBar *m_evalProgress = nullptr;

    JobController *m_jobs = nullptr;
    RunFollowerThread *m_follower = nullptr;
    RunMonitor *m_monitor = nullptr;
    SubnetworksTab *m_subnetworks = nullptr;
    BleuDashboard *m_bleu = nullptr;
    ThroughputDashboard *m_throughput = nullptr;
    Playground *m_playground = nullptr;
    JobsView *m_jobsView = nullptr;
    Quickstart *m_quickstart = nullptr;
    QAction *m_quickstartAction = nullptr;
    bool m_pendingQuickstart = false;
    Quickstart::Options m_pendingQuickstartOptions;
    RoutingBrowser *m_routing = nullptr;
    QList<qint64> m_pendingRunSelection;   // a run just started, selected once it is listed

    QPointer<QMessageBox> m_errorDialog;
    std::unique_ptr<QSettings> m_settings;
};

} // namespace taskmoe::ui
