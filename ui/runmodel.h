#pragma once
/// Table model over the store's runs (training, evaluation, distillation, benchmark jobs).
#include "db/records.h"
#include "ui/vectortablemodel.h"

#include <vector>

namespace taskmoe::ui {

class RunTableModel : public VectorTableModel<db::RunRecord>
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
    void setRuns(std::vector<db::RunRecord> runs) { setRows(std::move(runs)); }
    /// The record shown in `row`, or nullptr when the row does not exist.
    const db::RunRecord *run(int row) const { return rowAt(row); }
    const std::vector<db::RunRecord> &runs() const { return rows(); }

protected:
    QVariant cellData(const db::RunRecord &r, int column, int role) const override;
};

} // namespace taskmoe::ui
