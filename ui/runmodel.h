#pragma once
/// Table model over the store's runs (training, evaluation, distillation, benchmark jobs).
#include "db/records.h"

#include <QAbstractTableModel>

#include <vector>

namespace taskmoe::ui {

class RunTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        IdColumn,
        NameColumn,
        KindColumn,
        PresetColumn,
        StatusColumn,
        StartedColumn,
        EndedColumn,
        ColumnCount
    };

    explicit RunTableModel(QObject *parent = nullptr);

    /// Replaces all rows.
    void setRuns(std::vector<db::RunRecord> runs);
    void clear();

    /// The record shown in `row`, or nullptr when the row does not exist.
    const db::RunRecord *run(int row) const;
    const std::vector<db::RunRecord> &runs() const { return m_rows; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::vector<db::RunRecord> m_rows;
};

} // namespace taskmoe::ui
