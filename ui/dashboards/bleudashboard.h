#pragma once
/// The BLEU dashboard: pick evaluated models (runs at a checkpoint, a checkpoint's
/// sub-networks, pruned models, students) and see their scores per direction as grouped bars —
/// or their change against a chosen baseline, above and below zero — with the directions in
/// order of training data or by name; the paper's aggregates per model with the best of each
/// column in bold and the share of the gain a sub-network or student keeps; hover a bar for
/// the exact score, SacreBLEU's signature and the sentence count. Below, the dev BLEU the
/// selected runs recorded while training, overlaid, averaged or for one direction. Everything
/// exports (PNG, PDF, CSV). All reads run on a worker thread (usecases/scoreboard.h).
#include "ui/common/storereader.h"
#include "usecases/comparison.h"   // kMinimumGainBleu
#include "usecases/scoreboard.h"

#include <QAbstractTableModel>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QCustomPlot;
class QLabel;
class QListWidget;
class QTableView;

namespace taskmoe::ui {

class StoreController;

/// The aggregates of each shown entry: one row per entry, best value per column in bold.
class ScoreTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Model, Params, Active, Pairs, Average, XxEn, EnXx, High, Low, Delta, Gain, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;
    void setBoard(const usecases::Scoreboard &board);
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    /// The value of a score column (empty when not measured or not a score column).
    std::optional<double> value(int row, int column) const;
    /// The row with the highest value of a score column; −1 when none.
    int bestRow(int column) const;

private:
    usecases::Scoreboard m_board;
};

/// One run's dev BLEU over training, as the dashboard draws it.
struct TrainingCurve
{
    qint64 runId = 0;
    QString label;
    QString configJson;                              ///< the run's configuration (for grouping)
    std::vector<std::pair<double, double>> points;   ///< (step, dev BLEU)
};

class BleuDashboard : public QWidget
{
    Q_OBJECT
public:
    explicit BleuDashboard(StoreController *store, QWidget *parent = nullptr);

    /// Reads the store's evaluated models again (after a job, or when the store changed).
    void refresh();
    /// Checks exactly the entries with these keys (those offered) and shows them.
    void showEntries(const QStringList &keys, const QString &baseline = {});
    /// The keys of the checked entries, in list order.
    QStringList checkedEntries() const;

    const usecases::Scoreboard &board() const { return m_board; }
    const std::vector<TrainingCurve> &trainingCurves() const { return m_curves; }
    ScoreTableModel *tableModel() const { return m_model; }
    QListWidget *entryList() const { return m_entries; }
    QComboBox *baselineBox() const { return m_baseline; }
    QComboBox *metricBox() const { return m_metric; }
    QComboBox *sortBox() const { return m_sort; }
    QCheckBox *deltaBox() const { return m_delta; }
    QCustomPlot *barPlot() const { return m_plot; }
    QCustomPlot *trainingPlot() const { return m_training; }
    /// Groups the training curves by a configuration key that differs between the runs ('' : none).
    QComboBox *trainingGroupBox() const { return m_curveGroup; }
    QDoubleSpinBox *trainingSmoothingBox() const { return m_curveSmoothing; }
    /// Groups the training curves by `key` now, or once the curves shown offer it.
    void setTrainingGroup(const QString &key);
    /// The legends of the training plot's curves (a run, or a group "key=value (n runs)"), in order.
    QStringList trainingLegends() const;
    QLabel *statusLabel() const { return m_status; }
    /// The directions on the bar plot's axis, left to right.
    QStringList shownDirections() const { return m_shownDirections; }
    /// The tooltip the bar under `pos` (plot pixels) shows; empty when none is there.
    QString barToolTip(const QPointF &pos) const;

    /// The shown scores as CSV: one line per entry and direction with score, Δ, signature, sentences.
    QByteArray scoresCsv() const;

signals:
    /// A scoreboard arrived and is drawn (tests wait for it).
    void boardShown();
    /// The dev BLEU curves arrived and are drawn.
    void curvesShown();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void fillEntries(const std::vector<usecases::ScoreEntry> &entries, const std::vector<std::pair<QString, int>> &settings,
                     int used);
    void fillBaselines();
    void readBoard();
    void showBoard(const usecases::Scoreboard &board, const QString &error);
    void drawBars();
    void readCurves();
    void fillCurveGroups();
    void drawCurves();

    StoreController *m_store;
    StoreReader m_reader;
    QComboBox *m_setting = nullptr;      ///< split and beam
    QComboBox *m_metric = nullptr;
    QListWidget *m_entries = nullptr;
    QComboBox *m_baseline = nullptr;
    QComboBox *m_sort = nullptr;
    QCheckBox *m_delta = nullptr;
    QComboBox *m_curveDirection = nullptr;
    QComboBox *m_curveGroup = nullptr;
    QDoubleSpinBox *m_curveSmoothing = nullptr;
    QString m_wantedGroup;   ///< a group key asked for before the curves offered it
    QCustomPlot *m_plot = nullptr;
    QCustomPlot *m_training = nullptr;
    QTableView *m_table = nullptr;
    ScoreTableModel *m_model = nullptr;
    QLabel *m_status = nullptr;
    usecases::Scoreboard m_board;
    std::vector<TrainingCurve> m_curves;
    QStringList m_shownDirections;
    quint64 m_serial = 0, m_curveSerial = 0;
    bool m_filling = false;
};

} // namespace taskmoe::ui
