#pragma once
/// The live panel for the runs selected in the runs list: a progress bar with ETA, cancel and
/// resume buttons, curves of loss (and dev cross-entropy), balance loss, learning rate,
/// tokens/s, expert-load entropy and dropped tokens per MoE layer, and the log tail.
///
/// It draws what RunFollower reads from the store, so a run started here, from a shell or
/// before the workbench was reopened looks the same. With several runs selected their
/// curves are overlaid (one colour per run) on linked step axes; a slider smooths them
/// (exponential moving average with bias correction, as TensorBoard does). Plots export to
/// PNG and PDF, the selected runs' metrics to CSV. Redraws are throttled: however fast points
/// arrive, the plot is rebuilt at most a few times a second.
///
/// Runs compare as in the trackers users praise: "Group by" any configuration key whose value
/// differs between the shown runs (seeds varying within each group) draws each group's mean
/// curve with its min–max band; the Summary page lists per run the last, best, lowest and
/// highest value of a metric and every differing configuration key, sortable; the loss,
/// learning-rate and throughput axes can be logarithmic.
#include "db/records.h"
#include "ui/runs/runcomparison.h"

#include <QList>
#include <QString>
#include <QVector>
#include <QWidget>

#include <map>

class QCPAxisRect;
class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QSortFilterProxyModel;
class QTableView;
class QTabWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QTimer;

namespace taskmoe::ui {

struct RunDelta;
class RunSummaryModel;

class RunMonitor : public QWidget
{
    Q_OBJECT
public:
    /// The plots, in the order of their axis rects.
    enum Panel { LossPanel, BleuPanel, BalancePanel, LearningRatePanel, ThroughputPanel, EntropyPanel, DroppedPanel, CommPanel, PanelCount };

    explicit RunMonitor(QWidget *parent = nullptr);
    ~RunMonitor() override;

    /// Shows these runs; the first is the current one (progress, buttons, log). Data of runs
    /// no longer shown is dropped. The caller asks the follower to watch the same runs.
    void showRuns(const QVector<qint64> &runIds);
    QVector<qint64> runIds() const { return m_order; }

    /// New points, log text and status of a watched run.
    void applyDelta(const RunDelta &delta);

    /// Smoothing weight in [0, 0.99] (also set by the slider).
    void setSmoothing(double weight);
    double smoothing() const { return m_smoothing; }

    /// Rebuilds the plots now instead of at the next throttled redraw.
    void redrawNow();

    /// Exports write to a temporary name and rename; false with `error` set when they fail.
    bool exportPng(const QString &path, QString *error = nullptr);
    bool exportPdf(const QString &path, QString *error = nullptr);
    /// All points of the shown runs: run,key,step,value,wall_time. Runs whose long curves
    /// are drawn downsampled are read whole from the store (setStorePath) for the file.
    bool exportCsv(const QString &path, QString *error = nullptr);
    /// The store the shown runs come from (for exports of downsampled runs).
    void setStorePath(const QString &path) { m_storePath = path; }
    /// The keys of `runId` drawn downsampled (empty: every point is drawn).
    QStringList downsampledKeys(qint64 runId) const;

    /// The values a curve shows (after smoothing) for `key` of `runId`: for tests and exports.
    QVector<double> shownValues(qint64 runId, const QString &key) const;
    /// Number of stored points of `key` for `runId`.
    int pointCount(qint64 runId, const QString &key) const;

    QCustomPlot *plot() const { return m_plot; }
    QCPAxisRect *panel(Panel p) const { return m_rects[p]; }
    QProgressBar *progressBar() const { return m_progress; }
    QLabel *statusLabel() const { return m_status; }
    QLabel *etaLabel() const { return m_eta; }
    QPlainTextEdit *logView() const { return m_log; }
    /// Which of the current run's logs the log view shows: train.log, or rank-N.log of a run on
    /// several processes (shown only when there are such logs).
    QComboBox *logFileBox() const { return m_logFile; }
    QPushButton *cancelButton() const { return m_cancel; }
    QPushButton *resumeButton() const { return m_resume; }
    QSlider *smoothingSlider() const { return m_slider; }

    /// Groups the shown runs by the value of this configuration key ('' : one curve per run).
    void setGroupKey(const QString &key);
    QString groupKey() const { return m_groupKey; }
    /// Logarithmic value axes for loss, learning rate and tokens/s.
    void setLogScale(bool on);
    /// The band drawn for `key` of the group whose legend is `group` ("seed=3 (2 runs)"); null when none.
    const Band *shownBand(const QString &group, const QString &key) const;
    /// The legends of the groups drawn, in order.
    QStringList shownGroups() const;
    QComboBox *groupByBox() const { return m_groupBy; }
    QComboBox *summaryMetricBox() const { return m_summaryMetric; }
    RunSummaryModel *summaryModel() const { return m_summaryModel; }
    QTableView *summaryView() const { return m_summaryView; }

signals:
    void cancelRequested(qint64 runId);
    void resumeRequested(qint64 runId);

private:
    struct Series
    {
        QVector<double> steps, values, walls;
    };
    struct RunData
    {
        db::RunRecord run;
        std::map<QString, Series> series;
        QStringList downsampledKeys;   ///< curves drawn from the lowest/highest point of step ranges
    };

    void buildPlot();
    void scheduleRedraw();
    void redraw();
    void updateHeader();
    void addCurve(int panel, const RunData &data, const QString &key, const QColor &colour, Qt::PenStyle style,
                  const QString &legend, bool smooth, bool dots);
    QVector<double> smoothed(const QVector<double> &values) const;
    void addBand(int panel, const QString &key, const std::vector<const RunData *> &runs, const QColor &colour,
                 const QString &legend, const QString &group, bool smooth, bool dots);
    /// Fills the group-by choices and the summary page from the runs shown now.
    void updateComparison();
    void updateSummary();

    QCustomPlot *m_plot = nullptr;
    QCPAxisRect *m_rects[PanelCount] = {};
    QLabel *m_title = nullptr;
    QLabel *m_status = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_eta = nullptr;
    QPushButton *m_cancel = nullptr;
    QPushButton *m_resume = nullptr;
    QSlider *m_slider = nullptr;
    QLabel *m_sliderValue = nullptr;
    QPlainTextEdit *m_log = nullptr;
    QComboBox *m_logFile = nullptr;
    QLabel *m_logFileLabel = nullptr;
    std::map<QString, QString> m_logTexts;   ///< the current run's logs by file name (their tails)
    void clearLogs();
    void showLogFile();
    /// Lists a log file of the current run; true when it is the one shown.
    bool addLogFile(const QString &name);
    QList<QPushButton *> m_exportButtons;
    QComboBox *m_groupBy = nullptr;
    QCheckBox *m_logScale = nullptr;
    QComboBox *m_summaryMetric = nullptr;
    QTableView *m_summaryView = nullptr;
    RunSummaryModel *m_summaryModel = nullptr;
    QSortFilterProxyModel *m_summaryProxy = nullptr;
    QString m_groupKey;
    std::map<std::pair<QString, QString>, Band> m_bands;   ///< (group legend, key) → the band drawn
    QStringList m_groupLegends;
    QTimer *m_redrawTimer = nullptr;
    QLabel *m_sampledNote = nullptr;
    QString m_storePath;

    QVector<qint64> m_order;
    std::map<qint64, RunData> m_runs;
    double m_smoothing = 0.0;
};

} // namespace taskmoe::ui
