#include "usecases/trainingmetrics.h"

#include <cmath>
#include <initializer_list>
#include <utility>

namespace taskmoe::usecases {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

/// Runs on several processes: each rank's step and communication time, the means over the ranks
/// of the share of a step spent communicating (all of it, and the MoE layers' token exchanges
/// alone), the bytes all ranks send per step, the share of token copies that left their rank,
/// and the megabytes of parameters and optimiser state each rank holds.
void addRankMetrics(std::vector<db::MetricPoint> &points, qint64 runId, qint64 step, double wall, const core::TrainProgress &p)
{
    if (p.ranks.empty())
        return;
    double share = 0, bytes = 0, exchangeShare = 0, exchangeBytes = 0;
    for (std::size_t r = 0; r < p.ranks.size(); ++r) {
        const auto &t = p.ranks[r];
        const QString prefix = QStringLiteral("rank.%1.").arg(r);
        const double rankShare = t.stepSeconds > 0 ? t.commSeconds / t.stepSeconds : 0;
        points.push_back({runId, step, prefix + QStringLiteral("step_ms"), t.stepSeconds * 1000, wall});
        points.push_back({runId, step, prefix + QStringLiteral("comm_ms"), t.commSeconds * 1000, wall});
        points.push_back({runId, step, prefix + QStringLiteral("comm_share"), rankShare, wall});
        points.push_back({runId, step, prefix + QStringLiteral("state_mb"), t.stateBytes / 1e6, wall});
        share += rankShare;
        exchangeShare += t.stepSeconds > 0 ? t.exchangeSeconds / t.stepSeconds : 0;
        bytes += t.bytesPerStep;
        exchangeBytes += t.exchangeBytesPerStep;
    }
    const double n = double(p.ranks.size());
    points.push_back({runId, step, QStringLiteral("comm_share"), share / n, wall});
    points.push_back({runId, step, QStringLiteral("comm_mb_per_step"), bytes / 1e6, wall});
    points.push_back({runId, step, QStringLiteral("exchange_share"), exchangeShare / n, wall});
    points.push_back({runId, step, QStringLiteral("exchange_mb_per_step"), exchangeBytes / 1e6, wall});
    if (p.movedShare >= 0)
        points.push_back({runId, step, QStringLiteral("moved_share"), p.movedShare, wall});
}

} // namespace

std::vector<db::MetricPoint> progressMetrics(qint64 runId, const core::TrainProgress &p, double wall)
{
    std::vector<db::MetricPoint> points;
    const qint64 step = p.step;
    if (p.hasReport) {
        for (const auto &[key, value] : std::initializer_list<std::pair<const char *, double>>{
                 {"loss", p.loss}, {"ce", p.ce}, {"balance", p.balance}, {"lr", p.lr}, {"grad_norm", p.gradNorm},
                 {"tokens_per_s", p.tokensPerSecond}})
            points.push_back({runId, step, QLatin1String(key), value, wall});
        // The run's training time so far: a time budget's progress (the live panel's bar).
        points.push_back({runId, step, QStringLiteral("elapsed_s"), p.elapsedSeconds, wall});
        for (const auto &l : p.layers) {
            const QString prefix = qs(l.name) + QLatin1Char('.');
            points.push_back({runId, step, prefix + QStringLiteral("entropy"), l.entropy, wall});
            points.push_back({runId, step, prefix + QStringLiteral("max_load"), l.maxLoad, wall});
            points.push_back({runId, step, prefix + QStringLiteral("mean_load"), l.meanLoad, wall});
            points.push_back({runId, step, prefix + QStringLiteral("dropped"), l.droppedFraction, wall});
        }
        addRankMetrics(points, runId, step, wall, p);
    }
    if (p.hasDev) {
        points.push_back({runId, step, QStringLiteral("dev_loss"), p.devLoss, wall});
        points.push_back({runId, step, QStringLiteral("dev_eval_s"), p.devSeconds, wall});
        if (std::isfinite(p.devBleu)) {
            points.push_back({runId, step, QStringLiteral("dev_bleu"), p.devBleu, wall});
            for (const auto &[pair, bleu] : p.devBleuTasks)
                points.push_back({runId, step, QStringLiteral("dev_bleu.") + qs(pair), bleu, wall});
        }
    }
    return points;
}

} // namespace taskmoe::usecases
