#include "usecases/commsummary.h"

#include "db/store.h"

namespace taskmoe::usecases {

namespace {

double meanAfterFirst(const db::Store &store, qint64 run, const QString &key, int *count = nullptr)
{
    const auto points = store.metrics(run, key);
    double sum = 0;
    int n = 0;
    for (std::size_t i = 1; i < points.size(); ++i) {
        sum += points[i].value;
        ++n;
    }
    if (count)
        *count = n;
    return n > 0 ? sum / n : 0;
}

} // namespace

CommSummary commSummary(const db::Store &store, qint64 runId)
{
    CommSummary c;
    c.stepMs = meanAfterFirst(store, runId, QStringLiteral("rank.0.step_ms"), &c.reports);
    c.tokensPerSecond = meanAfterFirst(store, runId, QStringLiteral("tokens_per_s"));
    c.exchangeShare = meanAfterFirst(store, runId, QStringLiteral("exchange_share"));
    c.commShare = meanAfterFirst(store, runId, QStringLiteral("comm_share"));
    c.exchangeMb = meanAfterFirst(store, runId, QStringLiteral("exchange_mb_per_step"));
    c.commMb = meanAfterFirst(store, runId, QStringLiteral("comm_mb_per_step"));
    c.movedShare = meanAfterFirst(store, runId, QStringLiteral("moved_share"));
    c.stateMb = meanAfterFirst(store, runId, QStringLiteral("rank.0.state_mb"));
    return c;
}

} // namespace taskmoe::usecases
