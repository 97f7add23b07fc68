#pragma once
/// The routing statistics of one recording (a model at a step) arranged as the task × expert
/// tables every reader of them needs: `taskmoe routing` prints one layer, the workbench's
/// heatmap browser draws them. One place reads the stored rows, so both show the same numbers.
#include "db/records.h"

#include <QString>

#include <optional>
#include <vector>

namespace taskmoe::db {

/// Which count a table shows.
enum class RoutingMeasure { Top1, TopK, GateMass, Processed };
/// "top1", "topk", "gate", "processed": the names the command line and files use.
QString routingMeasureKey(RoutingMeasure measure);
std::optional<RoutingMeasure> routingMeasureFromKey(const QString &key);

/// The counts of one (task, expert) cell of one layer.
struct RoutingCounts
{
    qint64 top1 = 0;
    qint64 topk = 0;
    double gateMass = 0;
    qint64 processed = 0;

    double value(RoutingMeasure measure) const;
};

struct RoutingTable
{
    struct Layer
    {
        Side side = Side::Encoder;
        int layer = 0;                     ///< MoE layer index within its side
        std::vector<RoutingCounts> cells;  ///< tasks × experts, row-major, tasks by name
        std::vector<bool> taskPresent;     ///< per task: the layer has rows for it

        const RoutingCounts &cell(std::size_t task, int expert, int experts) const
        {
            return cells[task * std::size_t(experts) + std::size_t(expert)];
        }
    };

    std::vector<QString> tasks;   ///< every task of the recording, by name
    int experts = 0;              ///< one count for the whole model
    std::vector<Layer> layers;    ///< encoder layers first, then decoder layers, each by index

    const Layer *find(Side side, int layer) const;
    /// A task's values of `measure` in a layer, one per expert.
    std::vector<double> values(const Layer &layer, std::size_t task, RoutingMeasure measure) const;
    /// Token copies each expert of a layer processed, over all tasks.
    std::vector<double> processedLoad(const Layer &layer) const;
};

/// Arranges the stored rows of one recording (every side and layer). Throws
/// std::invalid_argument naming the row when an expert is not an index or a count is
/// negative or not finite.
RoutingTable routingTable(const std::vector<RoutingStatRecord> &records);

} // namespace taskmoe::db
