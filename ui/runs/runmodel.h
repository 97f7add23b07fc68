#pragma once
/// Table model over the store's runs (training, evaluation, distillation, benchmark jobs).
#include "core/config/trainconfig.h"
#include "db/records.h"
#include "ui/common/vectortablemodel.h"

#include <QIcon>

#include <map>
#include <optional>
#include <vector>

namespace taskmoe::ui {

/// A small painted icon per run status (running, finished, failed, cancelled, interrupted,
/// queued); a grey dot for anything else. Shared by the runs list and the live panel.
QIcon runStatusIcon(db::RunStatus status);
/// The colour that stands for a status, or an invalid colour for the palette's text colour.
QColor runStatusColor(db::RunStatus status);
/// The run's training configuration, read with the parser `taskmoe train` uses; nothing when
/// the run has none (or one this version cannot read).
std::optional<core::TrainConfig> runConfig(const db::RunRecord &run);
/// The planned number of steps from a run's configuration (train.steps), or 0.
qint64 plannedSteps(const db::RunRecord &run);
/// The run's time budget from its configuration (train.max_minutes), or 0 when it has none.
double budgetMinutes(const db::RunRecord &run);

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
        ProgressColumn,
        BestColumn,
        StartedColumn,
        EndedColumn,
        ColumnCount
    };

    explicit RunTableModel(QObject *parent = nullptr);

    /// Replaces all rows.
    void setRuns(std::vector<db::RunRecord> runs);
    /// Replaces the rows in place where the ids are unchanged (a live refresh keeps the
    /// selection), with the newest logged step of each run (run id → step) and the best
    /// checkpoint of each run that has one (run id → step, dev BLEU).
    void updateRuns(std::vector<db::RunRecord> runs, std::map<qint64, qint64> lastSteps,
                    std::map<qint64, std::pair<qint64, double>> best = {});
    /// The record shown in `row`, or nullptr when the row does not exist.
    const db::RunRecord *run(int row) const { return rowAt(row); }
    const std::vector<db::RunRecord> &runs() const { return rows(); }

protected:
    /// What a run's configuration plans: train.steps and train.max_minutes (0: none).
    struct Plan
    {
        QString configJson;   ///< parsed from
        qint64 steps = 0;
        double minutes = 0;
    };
    const Plan &planOf(const db::RunRecord &r) const;
    mutable std::map<qint64, Plan> m_plans;
    std::map<qint64, qint64> m_lastSteps;
    std::map<qint64, std::pair<qint64, double>> m_best;
    QVariant cellData(const db::RunRecord &r, int column, int role) const override;
};

} // namespace taskmoe::ui
