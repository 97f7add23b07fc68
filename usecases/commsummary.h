#pragma once
/// A run's communication on several processes, from its stored reports (what `taskmoe bench
/// --comm` prints for each model): the means over the reports after the first — the first
/// window holds the start-up (data loading, rank 0's initial dev evaluation).
#include <QtGlobal>

namespace taskmoe::db {
class Store;
}

namespace taskmoe::usecases {

struct CommSummary
{
    int reports = 0;                 ///< reports averaged (0: too few to measure)
    double stepMs = 0;               ///< rank 0's step
    double tokensPerSecond = 0;
    double exchangeShare = 0;        ///< of step time, in the MoE layers' token exchanges
    double commShare = 0;            ///< of step time, in all collectives
    double exchangeMb = 0, commMb = 0;   ///< megabytes all ranks send per step
    double movedShare = 0;           ///< token copies sent to another rank's experts
    double stateMb = 0;              ///< parameters and optimiser state rank 0 holds
};

CommSummary commSummary(const db::Store &store, qint64 runId);

} // namespace taskmoe::usecases
