#pragma once
/// The Sub-networks tab: pick a run and tasks, extract their sub-networks in the background
/// (pruning the token-routed layers to K experts when asked), and compare the full model with
/// every sub-network, pruned model and student on parameters, file size, experts kept, BLEU,
/// the BLEU change, the share of the gain over a dense baseline they keep, and decoding
/// throughput (usecases/comparison.h, read on a worker thread). Clicking a row shows which
/// experts were kept in each MoE layer. Evaluations and throughput benchmarks of the listed
/// models start from here as jobs.
#include "usecases/comparison.h"
#include "ui/common/workerthread.h"

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QPointer>
#include <QWidget>

#include <memory>

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;
class QSpinBox;
class QTableView;

namespace taskmoe::db {
class Store;
}

namespace taskmoe::ui {

class JobController;
class StoreController;

/// The comparison's rows as a table; the best value of each column in bold.
class ComparisonTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Task, Kind, Model, Params, Active, FileMb, Experts, Bleu, Chrf, Delta, Gain, Greedy, Beam, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;
    void setComparison(const usecases::Comparison &comparison);
    const usecases::ComparisonRow &row(int r) const { return m_rows[std::size_t(r)]; }
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    /// The row holding the best value of `column` (−1: none); higher is better except for sizes.
    int bestRow(int column) const;

private:
    std::optional<double> value(const usecases::ComparisonRow &r, int column) const;
    std::vector<usecases::ComparisonRow> m_rows;
};

/// Which experts a model keeps in each MoE layer: a row of E boxes per layer, kept experts
/// coloured (by gate weight for a folded layer), the others grey.
class ExpertsKeptView : public QWidget
{
    Q_OBJECT
public:
    explicit ExpertsKeptView(QWidget *parent = nullptr);
    /// `layers` as a sub-network manifest has them; `experts` per layer of the full model.
    void setLayers(const QJsonArray &layers, int experts, const QString &title);
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;
    int layerCount() const { return int(m_layers.size()); }
    QString title() const { return m_title; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QJsonArray m_layers;
    int m_experts = 0;
    QString m_title;
};

/// Reads comparisons on a thread with its own store connection.
class ComparisonWorker : public QObject
{
    Q_OBJECT
public:
    explicit ComparisonWorker(QObject *parent = nullptr);
    ~ComparisonWorker() override;
    /// Opens `path` (empty: closes); returns the error, empty when it worked.
    QString open(const QString &path);
    /// The comparison, or the reason it could not be made.
    std::pair<usecases::Comparison, QString> compare(const usecases::ComparisonRequest &request);
    /// Every model row of the store (for the experts view's manifests).
    QVector<db::ModelRecord> models();

private:
    std::unique_ptr<db::Store> m_store;
};

class SubnetworksTab : public QWidget
{
    Q_OBJECT
public:
    SubnetworksTab(StoreController *store, JobController *jobs, QWidget *parent = nullptr);
    ~SubnetworksTab() override;

    /// Shows run `runId` (a finished MoE run); false when it is not offered.
    bool selectRun(qint64 runId);
    qint64 currentRun() const;
    /// Reads the current run's comparison again (after jobs, or when the store changed).
    void refresh();

    QComboBox *runBox() const { return m_runBox; }
    QComboBox *denseBox() const { return m_denseBox; }
    QListWidget *taskList() const { return m_tasks; }
    QSpinBox *keepBox() const { return m_keep; }
    QPushButton *extractButton() const { return m_extract; }
    QTableView *table() const { return m_table; }
    ComparisonTableModel *model() const { return m_model; }
    ExpertsKeptView *expertsView() const { return m_experts; }
    const usecases::Comparison &comparison() const { return m_comparison; }

signals:
    /// A comparison arrived and is shown (tests wait for it).
    void comparisonShown();

private:
    void fillRuns();
    void onRunChanged();
    void extract();
    void evaluateSelected();
    void benchmarkSelected();
    void showComparison(const usecases::Comparison &comparison, const QString &error, quint64 serial);
    void onRowChanged();
    QList<int> selectedRows() const;

    StoreController *m_store;
    JobController *m_jobs;
    QComboBox *m_runBox = nullptr;
    QComboBox *m_checkpointBox = nullptr;
    QListWidget *m_tasks = nullptr;
    QCheckBox *m_prune = nullptr;
    QSpinBox *m_keep = nullptr;
    QComboBox *m_by = nullptr;
    QPushButton *m_extract = nullptr;
    QComboBox *m_denseBox = nullptr;
    QComboBox *m_beamBox = nullptr;
    QPushButton *m_evaluate = nullptr;
    QPushButton *m_bench = nullptr;
    QLabel *m_status = nullptr;
    QTableView *m_table = nullptr;
    ComparisonTableModel *m_model = nullptr;
    ExpertsKeptView *m_experts = nullptr;
    usecases::Comparison m_comparison;
    QVector<db::ModelRecord> m_modelRecords;
    quint64 m_serial = 0;
    QString m_openPath;
    WorkerThread<ComparisonWorker> m_worker;
};

} // namespace taskmoe::ui
