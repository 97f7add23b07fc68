#pragma once
/// The throughput dashboard: decoding speed of the stored models side by side — target tokens
/// per second against batch size (log scale) with each curve's peak marked, the ratio to a
/// chosen baseline at every batch size below it (zoom and pan are linked), and a table of
/// parameters loaded, peak throughput and its ratio, peak memory and the encoder's share of
/// the time. Models not measured yet can be checked and measured from here as a benchmark job
/// (`taskmoe bench --decode --models …`). Reads run on a worker (usecases/throughputboard.h).
#include "ui/common/storereader.h"
#include "usecases/throughputboard.h"

#include <QAbstractTableModel>
#include <QWidget>

class QComboBox;
class QCustomPlot;
class QLabel;
class QListWidget;
class QPushButton;
class QTableView;

namespace taskmoe::ui {

class JobController;
class StoreController;

/// One row per shown curve; the best of each column in bold.
class SpeedTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Model, Beam, Params, Active, Peak, PeakBatch, Ratio, Memory, EncoderShare, Latency, Source, ColumnCount };
    using QAbstractTableModel::QAbstractTableModel;
    /// `baseline` indexes `series` (−1: none).
    void setSeries(const std::vector<usecases::SpeedSeries> &series, int baseline);
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    /// The peak of row `row` over the baseline's peak at the same beam; empty without one.
    std::optional<double> peakRatio(int row) const;
    int bestRow(int column) const;

private:
    std::optional<double> number(int row, int column) const;
    std::vector<usecases::SpeedSeries> m_series;
    int m_baseline = -1;
};

class ThroughputDashboard : public QWidget
{
    Q_OBJECT
public:
    ThroughputDashboard(StoreController *store, JobController *jobs, QWidget *parent = nullptr);

    /// Reads the store's models and benchmarks again.
    void refresh();
    /// Shows the curves of these models (checking them) with this baseline model (0: none).
    void showModels(const QList<qint64> &models, qint64 baselineModel = 0);
    QList<qint64> checkedModels() const;

    /// The shown curves, in table order.
    const std::vector<usecases::SpeedSeries> &shownSeries() const { return m_shown; }
    SpeedTableModel *tableModel() const { return m_model; }
    QListWidget *modelList() const { return m_models; }
    QComboBox *beamBox() const { return m_beam; }
    QComboBox *baselineBox() const { return m_baseline; }
    QCustomPlot *speedPlot() const { return m_plot; }
    QCustomPlot *ratioPlot() const { return m_ratio; }
    QPushButton *measureButton() const { return m_measure; }
    QLabel *statusLabel() const { return m_status; }
    /// The shown curves as CSV: model, beam, source, batch size and every measured value.
    QByteArray speedCsv() const;

signals:
    /// Curves arrived and are drawn (tests wait for it).
    void curvesShown();

private:
    struct Listing
    {
        QVector<db::ModelRecord> models;
        std::vector<QString> labels;     ///< per model
        std::vector<qint64> steps;       ///< per model: its checkpoint's step (0: none)
        std::vector<usecases::SpeedSeries> series;
    };
    void showListing(const Listing &listing, const QString &error);
    void fillBaselines();
    void select();
    void draw();
    void measure();

    StoreController *m_store;
    JobController *m_jobs;
    StoreReader m_reader;
    QComboBox *m_beam = nullptr;
    QComboBox *m_baseline = nullptr;
    QListWidget *m_models = nullptr;
    QPushButton *m_measure = nullptr;
    QCustomPlot *m_plot = nullptr;
    QCustomPlot *m_ratio = nullptr;
    QTableView *m_table = nullptr;
    SpeedTableModel *m_model = nullptr;
    QLabel *m_status = nullptr;
    std::vector<usecases::SpeedSeries> m_all, m_shown;
    int m_shownBaseline = -1;
    quint64 m_serial = 0;
    bool m_filling = false;
};

} // namespace taskmoe::ui
