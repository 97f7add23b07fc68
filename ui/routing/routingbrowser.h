#pragma once
/// The gating heatmap browser: where each task's tokens go, layer by layer.
///
/// Pick a stat set (a run's checkpoint, recorded by `taskmoe eval`), a side and one of its
/// MoE layers, and a measure (top-1 or top-k choices, gate mass, processed copies). A colour
/// map shows rows = tasks, columns = experts, colour = the share of the task's tokens (its row
/// divided by the row sum), with a colour scale. Rows are ordered by name, by the size of the
/// task's training set, or by average-linkage clustering of the rows (with the dendrogram).
/// Hovering a cell shows its exact counts; clicking a row shows that task in every MoE layer
/// of both sides. Beside the map, the task × task similarity (1 − Jensen–Shannon divergence,
/// or cosine) in the same order; below, each layer's load balance and dropped tokens. Both
/// matrices export to PNG, PDF and CSV.
///
/// Reading and computing happen on RoutingStatsThread's worker; this widget only draws the
/// RoutingView it gets back.
#include "core/eval/routingviews.h"
#include "db/records.h"
#include "ui/routing/routingstatsworker.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

class QCPAxisRect;
class QCPItemLine;
class QCPItemRect;
class QCPColorMap;
class QCPColorScale;
class QCPLayoutGrid;
class QCPTextElement;
class QComboBox;
class QSlider;
class QCustomPlot;
class QLabel;
class QStackedWidget;
class QTableView;
class QToolButton;

namespace taskmoe::ui {

class LayerSummaryModel;

class RoutingBrowser : public QWidget
{
    Q_OBJECT
public:
    /// The two matrices that export.
    enum Matrix { RoutingMatrix, SimilarityMatrix };

    explicit RoutingBrowser(QWidget *parent = nullptr);
    ~RoutingBrowser() override;

    /// Reads the stat sets of the store at `path` (empty: shows nothing). The store already
    /// open: lists again, keeping what is shown.
    void openStore(const QString &path);
    /// Lists the stat sets again, keeping the current one when it is still there.
    void refresh();

    /// The stat sets listed last.
    const QVector<db::RoutingStatSet> &statSets() const { return m_sets; }
    /// Shows the statistics of `modelId` at `step`. When they are not listed (yet), they are
    /// shown as soon as a listing has them, and this returns false.
    bool selectStatSet(qint64 modelId, qint64 step);
    /// Shows the newest stat set of run `runId` (at `step` when ≥ 0); as selectStatSet.
    bool selectRunStatSet(qint64 runId, qint64 step = -1);
    /// The (model, step) shown or being computed; {0, 0} when none.
    qint64 currentModelId() const;
    qint64 currentStep() const;

    void setSide(db::Side side);
    void setLayer(int layer);
    void setMeasure(RoutingMeasure measure);
    void setRowOrder(RowOrder order);
    void setSimilarity(core::Similarity similarity);

    /// Shows `task`'s distribution across all MoE layers (as clicking its row does).
    void selectTask(const QString &task);
    QString selectedTask() const { return m_selectedTask; }

    /// Whether a view is shown, and whether a newer one is being computed.
    bool hasView() const { return m_hasView; }
    bool isComputing() const { return m_requested != 0 && m_requested != m_view.request.serial; }
    /// The view drawn now (empty until hasView()).
    const RoutingView &view() const { return m_view; }
    /// The tasks of the rows, top to bottom.
    QStringList rowTasks() const { return m_view.tasks; }

    /// The hover text of a cell of the routing map (row in display order).
    QString cellToolTip(int row, int expert) const;
    /// The hover text at `pos` (routing map widget coordinates); empty outside the cells.
    QString heatmapToolTipAt(const QPoint &pos) const;
    /// The pixel centre of a cell of the routing map, in its widget's coordinates.
    QPoint heatmapCellCentre(int row, int expert) const;
    /// The text shown when there is nothing to draw, or a problem.
    QString message() const;

    /// Replots now instead of on the next event loop pass (for screenshots).
    void redrawNow();

    /// Exports write to a temporary name and rename; false with `error` set when they fail.
    bool exportPng(const QString &path, Matrix matrix = RoutingMatrix, QString *error = nullptr);
    bool exportPdf(const QString &path, Matrix matrix = RoutingMatrix, QString *error = nullptr);
    /// The matrix in display order. Routing: task, tokens, one share per expert (e0, e1, …) and
    /// the shares' entropy, as `taskmoe routing --format csv` prints them; similarity: task, then
    /// one column per task.
    bool exportCsv(const QString &path, Matrix matrix = RoutingMatrix, QString *error = nullptr);

    QCustomPlot *routingPlot() const { return m_plot; }
    QCPColorMap *routingMap() const { return m_map; }
    QCPColorScale *routingScale() const { return m_scale; }
    QCPAxisRect *routingRect() const { return m_rect; }
    QCPAxisRect *dendrogramRect() const { return m_dendrogram; }
    /// Whether the dendrogram is part of the routing plot now.
    bool dendrogramShown() const;
    QCustomPlot *similarityPlot() const { return m_simPlot; }
    QCPColorMap *similarityMap() const { return m_simMap; }
    QCustomPlot *profilePlot() const { return m_profilePlot; }
    QCPColorMap *profileMap() const { return m_profileMap; }
    QTableView *summaryView() const { return m_summaryView; }
    LayerSummaryModel *summaryModel() const { return m_summaryModel; }
    QComboBox *statSetCombo() const { return m_setCombo; }
    QComboBox *sideCombo() const { return m_sideCombo; }
    QComboBox *layerCombo() const { return m_layerCombo; }
    QComboBox *measureCombo() const { return m_measureCombo; }
    QComboBox *orderCombo() const { return m_orderCombo; }
    QComboBox *similarityCombo() const { return m_similarityCombo; }
    /// Walks the checkpoints of the shown run that have statistics (training records them on
    /// its dev sample at every checkpoint, `taskmoe eval` on the test split); hidden when the
    /// run has fewer than two.
    QSlider *checkpointSlider() const { return m_checkpointSlider; }
    /// The steps the slider walks, in order.
    QVector<qint64> checkpointSteps() const;

    /// Compare mode: a second recording (another run, or another checkpoint) beside the one
    /// shown, same side, layer, measure, rows and colour scale — or the difference of the two.
    enum class CompareMode { SideBySide, Difference };
    /// Compares with the statistics of `modelId` at `step` (0: stops comparing); false when
    /// they are not listed.
    bool compareWith(qint64 modelId, qint64 step);
    void setCompareMode(CompareMode mode);
    /// Whether a comparison is drawn, and what its map shows at a cell (row in display order of
    /// the main map): the other recording's share, or the difference; NaN where it has no row.
    bool isComparing() const;
    double compareValue(int row, int expert) const;
    const RoutingView &compareView() const { return m_compareView; }
    QComboBox *compareCombo() const { return m_compareCombo; }
    QComboBox *compareModeCombo() const { return m_compareModeCombo; }
    QCustomPlot *comparePlot() const { return m_comparePlot; }
    QCPColorMap *compareMap() const { return m_compareMap; }
    QLabel *noteLabel() const { return m_note; }

signals:
    /// The comparison's map is drawn.
    void comparisonShown();
    /// A listing of stat sets arrived (`count` may be 0).
    void statSetsListed(int count);
    /// The view of the latest request is drawn.
    void viewShown();
    /// Reading or computing failed; the message is also shown in the browser.
    void failed(const QString &message);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Pending
    {
        bool active = false;
        bool byRun = false;
        qint64 id = 0;     ///< model or run
        qint64 step = -1;
    };

    void buildPlots();
    QWidget *buildControls();
    void onListed(const RoutingStatListing &listing);
    void onComputed(const RoutingView &view);
    void onFailed(const QString &message);
    bool applyPending();
    void fillLayerChoices();
    /// The indices into m_sets of the shown run's recordings of its full model, by step.
    QVector<int> timeline() const;
    void updateCheckpointSlider();
    void requestCompare();
    void onCompareComputed(const RoutingView &view);
    void drawCompare();
    void fillCompareChoices();
    void request();
    void redraw();
    void drawRouting();
    void drawDendrogram();
    void drawSimilarity();
    void drawProfile();
    bool updateTickDensityFor(QCustomPlot *plot);
    void updateSummarySelection();
    void showPage(bool content, const QString &message = {});
    QString setLabel(const db::RoutingStatSet &set) const;
    /// The row (and column) of a map's cell under `pos`, or −1 outside the cells.
    int rowAt(QCPAxisRect *rect, const QPoint &pos, int rows, int *column = nullptr) const;
    QString similarityToolTipAt(const QPoint &pos) const;
    QString profileToolTipAt(const QPoint &pos) const;
    QCustomPlot *plotOf(Matrix matrix) const;
    bool savePlot(const QString &path, Matrix matrix, bool pdf, QString *error);

    RoutingStatsThread *m_thread = nullptr;
    QVector<db::RoutingStatSet> m_sets;
    bool m_listed = false;
    QString m_path;
    Pending m_pending;
    bool m_selectingSummary = false;   ///< the summary's selection is being set to the layer shown
    quint64 m_requested = 0;
    bool m_hasView = false;
    RoutingView m_view;
    QString m_selectedTask;
    QString m_error;

    QStackedWidget *m_stack = nullptr;
    QLabel *m_empty = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_note = nullptr;
    QComboBox *m_setCombo = nullptr;
    QComboBox *m_sideCombo = nullptr;
    QComboBox *m_layerCombo = nullptr;
    QComboBox *m_measureCombo = nullptr;
    QComboBox *m_orderCombo = nullptr;
    QComboBox *m_similarityCombo = nullptr;
    QSlider *m_checkpointSlider = nullptr;
    QComboBox *m_compareCombo = nullptr;
    QComboBox *m_compareModeCombo = nullptr;
    RoutingStatsThread *m_compareThread = nullptr;   ///< its own: a thread drops requests not started yet
    quint64 m_compareRequested = 0;
    bool m_hasCompareView = false;
    RoutingView m_compareView;
    QCustomPlot *m_comparePlot = nullptr;
    QCPTextElement *m_compareTitle = nullptr;
    QCPAxisRect *m_compareRect = nullptr;
    QCPColorScale *m_compareScale = nullptr;
    QCPColorMap *m_compareMap = nullptr;
    QLabel *m_checkpointLabel = nullptr;
    QWidget *m_checkpointRow = nullptr;
    QToolButton *m_exportButton = nullptr;

    QCustomPlot *m_plot = nullptr;
    QCPTextElement *m_plotTitle = nullptr;
    QCPLayoutGrid *m_grid = nullptr;
    QCPAxisRect *m_dendrogram = nullptr;
    QCPAxisRect *m_rect = nullptr;
    QCPColorMap *m_map = nullptr;
    QCPColorScale *m_scale = nullptr;
    QCPItemRect *m_outline = nullptr;            ///< the selected task's row
    QList<QCPItemLine *> m_dendrogramLines;

    QCustomPlot *m_simPlot = nullptr;
    QCPTextElement *m_simTitle = nullptr;
    QCPAxisRect *m_simRect = nullptr;
    QCPColorMap *m_simMap = nullptr;
    QCPColorScale *m_simScale = nullptr;

    QCustomPlot *m_profilePlot = nullptr;
    QCPTextElement *m_profileTitle = nullptr;
    QCPAxisRect *m_profileRect = nullptr;
    QCPColorMap *m_profileMap = nullptr;
    QCPColorScale *m_profileScale = nullptr;
    QCPItemRect *m_profileOutline = nullptr;     ///< the layer shown in the routing map

    QTableView *m_summaryView = nullptr;
    LayerSummaryModel *m_summaryModel = nullptr;
};

} // namespace taskmoe::ui
