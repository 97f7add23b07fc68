#pragma once
/// Table models over the store's dataset records: one row per dataset, and one row per
/// language pair of the selected dataset.
///
/// Both models hold their rows by value (a std::vector of records) and replace them whole,
/// bracketed by beginResetModel()/endResetModel(). Besides the display text they answer
/// SortRole with a value that sorts naturally (numbers as numbers, times as times), so a
/// QSortFilterProxyModel with `setSortRole(SortRole)` orders columns correctly.
#include "db/records.h"

#include <QAbstractTableModel>
#include <QColor>

#include <vector>

namespace taskmoe::ui {

/// The role under which the models return a sortable value (numbers, QDateTime, text).
inline constexpr int SortRole = Qt::UserRole;
/// The role under which the models return a row's record id (qint64).
inline constexpr int IdRole = Qt::UserRole + 1;

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

class DatasetTableModel : public QAbstractTableModel
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
    void setDatasets(std::vector<db::DatasetRecord> datasets);
    void clear();

    /// The record shown in `row`, or nullptr when the row does not exist.
    const db::DatasetRecord *dataset(int row) const;
    /// The row of the dataset with this id, or -1.
    int rowOfId(qint64 id) const;
    const std::vector<db::DatasetRecord> &datasets() const { return m_rows; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<db::DatasetRecord> m_rows;
};

class PairTableModel : public QAbstractTableModel
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
    void clear();

    /// The record shown in `row`, or nullptr when the row does not exist.
    const db::DatasetPairRecord *pair(int row) const;
    const std::vector<db::DatasetPairRecord> &pairs() const { return m_rows; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<db::DatasetPairRecord> m_rows;
    qint64 m_threshold = 0;
};

} // namespace taskmoe::ui
