#pragma once
/// The store at scale (`taskmoe bench --store-scale`): a generated store with as many runs and
/// metric rows as a lab accumulates over years, and the time of the reads the workbench makes
/// on it — the runs listing, one run's curves (whole and downsampled), a live poll.
///
/// The store is a real one (the program's schema, presets' configurations, checkpoints with
/// dev BLEU), filled in SQL a run at a time; a marker experiment records what it holds, so a
/// second benchmark on the same file reuses it instead of generating it again.
#include <QString>

#include <functional>

namespace taskmoe::usecases {

struct ScaleSpec
{
    qint64 runs = 10000;            ///< runs in the store
    qint64 steps = 1000;            ///< logged steps of every metric key of a run
    qint64 longRunSteps = 1000000;  ///< run 1 logged its training loss this many times
    /// Per logged step: loss, ce, balance, lr, grad_norm, tokens_per_s and the entropy and drop
    /// share of two MoE layers; dev_bleu at each of the 5 checkpoints.
    static constexpr int kKeysPerStep = 10;
    static constexpr int kCheckpoints = 5;
    /// Rows of the metrics table this spec gives.
    qint64 metricRows() const;
    QString describe() const;
};

struct ScaleStore
{
    QString path;
    ScaleSpec spec;
    qint64 metricRows = 0;      ///< counted in the store after generating it
    qint64 longRunId = 0;       ///< the run with the long loss curve
    qint64 typicalRunId = 0;    ///< a run in the middle of the store
    bool reused = false;        ///< the file held this spec already
    double generateSeconds = 0;
};

/// Generates the store at `path` (a missing file, or one an earlier call generated with
/// another spec: it is replaced), or reuses it when it holds `spec`. `progress(done, total)`
/// reports runs written. Throws db::StoreError / std::runtime_error with the path on failure.
ScaleStore prepareScaleStore(const QString &path, const ScaleSpec &spec,
                             const std::function<void(qint64, qint64)> &progress = {});

/// One timed read: best of `repeats` (a first, cold read included in `first`).
struct ReadTime
{
    double first = 0;   ///< seconds, the first time (file pages not yet cached by this process)
    double best = 0;    ///< seconds, best of the repeats
    qint64 rows = 0;    ///< rows (runs or points) it returned
};

struct StoreReadTimes
{
    ReadTime listing;            ///< runs() + lastMetricSteps() + bestCheckpointSteps(): the runs list
    ReadTime typicalCurves;      ///< metricCurves() of a typical run: its curves when first shown
    ReadTime longWhole;          ///< metrics() of the long run: every point
    ReadTime longDownsampled;    ///< metricCurves(buckets) of the long run: what the workbench reads
    ReadTime livePoll;           ///< metricsAfter() of the long run's last 10 steps: a live poll
};

/// Times those reads on `store` through a connection of its own.
StoreReadTimes timeStoreReads(const ScaleStore &store, int buckets, int repeats = 3);

} // namespace taskmoe::usecases
