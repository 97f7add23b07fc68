#include "db/routingtable.h"

#include "core/base/names.h"

#include <QHash>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>

namespace taskmoe::db {

namespace {

constexpr core::EnumName<RoutingMeasure> kMeasureKeys[] = {
    {RoutingMeasure::Top1, "top1"}, {RoutingMeasure::TopK, "topk"},
    {RoutingMeasure::GateMass, "gate"}, {RoutingMeasure::Processed, "processed"},
};

struct LayerKey
{
    Side side = Side::Encoder;
    int layer = 0;
    /// Encoder before decoder, then by index.
    bool operator<(const LayerKey &o) const { return std::tie(side, layer) < std::tie(o.side, o.layer); }
};

} // namespace

QString routingMeasureKey(RoutingMeasure measure)
{
    return QLatin1String(core::nameOf(kMeasureKeys, measure));
}

std::optional<RoutingMeasure> routingMeasureFromKey(const QString &key)
{
    return core::valueNamed(kMeasureKeys, key.toStdString());
}

double RoutingCounts::value(RoutingMeasure measure) const
{
    switch (measure) {
    case RoutingMeasure::Top1: return double(top1);
    case RoutingMeasure::TopK: return double(topk);
    case RoutingMeasure::GateMass: return gateMass;
    case RoutingMeasure::Processed: return double(processed);
    }
    return 0;
}

const RoutingTable::Layer *RoutingTable::find(Side side, int layer) const
{
    for (const auto &l : layers)
        if (l.side == side && l.layer == layer)
            return &l;
    return nullptr;
}

std::vector<double> RoutingTable::values(const Layer &layer, std::size_t task, RoutingMeasure measure) const
{
    std::vector<double> out(std::size_t(experts), 0.0);
    for (int e = 0; e < experts; ++e)
        out[std::size_t(e)] = layer.cell(task, e, experts).value(measure);
    return out;
}

std::vector<double> RoutingTable::processedLoad(const Layer &layer) const
{
    std::vector<double> load(std::size_t(experts), 0.0);
    for (std::size_t t = 0; t < tasks.size(); ++t)
        for (int e = 0; e < experts; ++e)
            load[std::size_t(e)] += double(layer.cell(t, e, experts).processed);
    return load;
}

RoutingTable routingTable(const std::vector<RoutingStatRecord> &records)
{
    RoutingTable table;
    std::set<LayerKey> layers;
    std::set<QString> tasks;
    for (const auto &r : records) {
        if (r.expert < 0)
            throw std::invalid_argument("routing statistics: expert " + std::to_string(r.expert) + " is not an index");
        layers.insert({r.side, r.layer});
        tasks.insert(r.task);
        table.experts = std::max(table.experts, r.expert + 1);
    }
    table.tasks.assign(tasks.begin(), tasks.end());
    QHash<QString, int> taskIndex;
    for (int i = 0; i < int(table.tasks.size()); ++i)
        taskIndex.insert(table.tasks[std::size_t(i)], i);
    for (const LayerKey &k : layers) {
        RoutingTable::Layer l;
        l.side = k.side;
        l.layer = k.layer;
        l.cells.assign(table.tasks.size() * std::size_t(table.experts), RoutingCounts());
        l.taskPresent.assign(table.tasks.size(), false);
        table.layers.push_back(std::move(l));
    }
    for (const auto &r : records) {
        if (r.top1 < 0 || r.topk < 0 || r.processed < 0 || !std::isfinite(r.gateMass) || r.gateMass < 0)
            throw std::invalid_argument("routing statistics: " + sideName(r.side).toStdString() + " layer " + std::to_string(r.layer)
                                        + ", task '" + r.task.toStdString() + "', expert " + std::to_string(r.expert)
                                        + ": a count is negative or not finite");
        auto &l = *std::find_if(table.layers.begin(), table.layers.end(),
                                [&](const RoutingTable::Layer &x) { return x.side == r.side && x.layer == r.layer; });
        const auto t = std::size_t(taskIndex.value(r.task));
        l.cells[t * std::size_t(table.experts) + std::size_t(r.expert)] = {r.top1, r.topk, r.gateMass, r.processed};
        l.taskPresent[t] = true;
    }
    return table;
}

} // namespace taskmoe::db
