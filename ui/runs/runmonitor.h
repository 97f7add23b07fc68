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
#include "db/records.h"

#include <QList>
#include <QString>
#include <QVector>
#include <QWidget>

#include <map>

class QCPAxisRect;
class QCustomPlot;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QTimer;

namespace taskmoe::ui {

struct RunDelta;

class RunMonitor : public QWidget
{
    Q_OBJECT
public:
    /// The plots, in the order of their axis rects.
    enum Panel { LossPanel, BleuPanel, BalancePanel, LearningRatePanel, ThroughputPanel, EntropyPanel, DroppedPanel, PanelCount };

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
    /// All points of the shown runs: run,key,step,value,wall_time.
    bool exportCsv(const QString &path, QString *error = nullptr);

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
    QPushButton *cancelButton() const { return m_cancel; }
    QPushButton *resumeButton() const { return m_resume; }
    QSlider *smoothingSlider() const { return m_slider; }

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
    };

    void buildPlot();
    void scheduleRedraw();
    void redraw();
    void updateHeader();
    void addCurve(int panel, const RunData &data, const QString &key, const QColor &colour, Qt::PenStyle style,
                  const QString &legend, bool smooth, bool dots);
    QVector<double> smoothed(const QVector<double> &values) const;

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
    QList<QPushButton *> m_exportButtons;
    QTimer *m_redrawTimer = nullptr;

    QVector<qint64> m_order;
    std::map<qint64, RunData> m_runs;
    double m_smoothing = 0.0;
};

} // namespace taskmoe::ui
