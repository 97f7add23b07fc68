#pragma once
/// The runs panel's summary table: one row per shown run with, for one metric, its last, best,
/// lowest and highest value (and the step of the best), and a column for every configuration
/// key whose value differs between the shown runs — the keys that are the same everywhere are
/// left out. Sorting goes by the numbers, not their text (Qt::UserRole).
#include "db/records.h"
#include "ui/runs/runcomparison.h"

#include <QAbstractTableModel>

namespace taskmoe::ui {

class RunSummaryModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Run, Name, Status, Points, Last, Best, BestStep, Min, Max, FixedColumns };
    struct Row
    {
        db::RunRecord run;
        std::map<QString, QString> config;   ///< flattened (flattenConfig)
        std::optional<MetricSummary> summary;
    };
    using QAbstractTableModel::QAbstractTableModel;

    void setRows(const std::vector<Row> &rows, const QString &metric);
    /// The configuration keys shown as columns, after the fixed ones.
    QStringList configKeys() const { return m_keys; }
    QString metric() const { return m_metric; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    std::vector<Row> m_rows;
    QStringList m_keys;
    QString m_metric;
};

} // namespace taskmoe::ui
