#pragma once
/// Table models over the store's dataset records: one row per dataset, and one row per
/// language pair of the selected dataset.
///
/// Both models hold their rows by value (see VectorTableModel) and replace them whole.
/// Besides the display text they answer SortRole with a value that sorts naturally (numbers
/// as numbers, times as times), so a QSortFilterProxyModel with `setSortRole(SortRole)`
/// orders columns correctly.
#include "db/records.h"
#include "ui/common/vectortablemodel.h"

#include <QColor>

#include <vector>

namespace taskmoe::ui {

/// A count with the locale's digit grouping, e.g. "12,345".
QString formatCount(qint64 value);
/// A count in compact form for tight places such as bar labels: 950, 12.3k, 1.2M.
QString formatCompactCount(qint64 value);
/// A time stamp as shown in tables ("yyyy-MM-dd HH:mm", local time), or "" when invalid.
QString formatTimestamp(const QDateTime &time);
/// The colour that stands for a resource class ("high" / "low") in tables and charts.
QColor resourceClassColor(const QString &resourceClass);
/// A human-readable label for a resource class: "High-resource", "Low-resource".
QString resourceClassLabel(const QString &resourceClass);

class DatasetTableModel : public VectorTableModel<db::DatasetRecord>
{
    Q_OBJECT
public:
    enum Column {
        IdColumn,
        NameColumn,
        KindColumn,
        LanguagesColumn,
        PairsColumn,
        SentencesColumn,
        FingerprintColumn,
        CreatedColumn,
        ColumnCount
    };

    explicit DatasetTableModel(QObject *parent = nullptr);

    /// Replaces all rows.
    void setDatasets(std::vector<db::DatasetRecord> datasets) { setRows(std::move(datasets)); }
    /// The record shown in `row`, or nullptr when the row does not exist.
    const db::DatasetRecord *dataset(int row) const { return rowAt(row); }
    const std::vector<db::DatasetRecord> &datasets() const { return rows(); }

protected:
    QVariant cellData(const db::DatasetRecord &d, int column, int role) const override;
};

class PairTableModel : public VectorTableModel<db::DatasetPairRecord>
{
    Q_OBJECT
public:
    enum Column {
        PairColumn,
        TrainColumn,
        DevColumn,
        TestColumn,
        MultiwayColumn,
        ResourceClassColumn,
        ColumnCount
    };

    explicit PairTableModel(QObject *parent = nullptr);

    /// Replaces all rows. `resourceThreshold` (training sentences at which a pair counts
    /// as high-resource; 0 when unknown) only feeds the tool tips.
    void setPairs(std::vector<db::DatasetPairRecord> pairs, qint64 resourceThreshold = 0);
    /// The record shown in `row`, or nullptr when the row does not exist.
    const db::DatasetPairRecord *pair(int row) const { return rowAt(row); }
    const std::vector<db::DatasetPairRecord> &pairs() const { return rows(); }

protected:
    QVariant cellData(const db::DatasetPairRecord &p, int column, int role) const override;

private:
    qint64 m_threshold = 0;
};

} // namespace taskmoe::ui
