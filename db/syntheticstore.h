#pragma once
/// A synthetic store for benchmarks at scale (`taskmoe bench --store-scale`, usecases/storescale):
/// the program's schema filled in SQL a run at a time — runs with the given configurations,
/// checkpoints with dev BLEU, and metric curves of the keys training logs (loss, ce, balance,
/// lr, grad_norm, tokens_per_s, two MoE layers' entropy and dropped share) — with a marker
/// experiment, written last, that says what the store holds.
#include <QString>

#include <functional>
#include <utility>
#include <vector>

namespace taskmoe::db {

struct SyntheticSpec
{
    qint64 runs = 0;
    qint64 steps = 0;                 ///< logged steps of each of the 10 keys of every run
    qint64 longRunSteps = 0;          ///< the first run's loss has this many points when more than `steps`
    int checkpoints = 5;              ///< per run, evenly spaced, each with a dev_bleu point
    std::vector<std::pair<QString, QString>> configs;   ///< (preset, configuration JSON), used in turn
    QString marker;                   ///< what the marker experiment's description records
};

struct SyntheticFacts
{
    qint64 metricRows = 0;   ///< counted after writing
    qint64 longRunId = 0;    ///< the first run
    qint64 typicalRunId = 0; ///< the run in the middle
};

/// Writes `spec` into the new store at `path`; `progress(done, total)` after every 50 runs.
/// Throws StoreError naming the file on failure.
SyntheticFacts writeSyntheticStore(const QString &path, const SyntheticSpec &spec,
                                   const std::function<void(qint64, qint64)> &progress = {});

/// The marker of a synthetic store at `path`: '' when the file is missing, not a store, or not
/// one this wrote (or one whose writing did not finish).
QString syntheticMarker(const QString &path);

} // namespace taskmoe::db
