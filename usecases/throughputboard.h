#pragma once
/// The stored decoding benchmarks, arranged for the throughput dashboard: one curve of target
/// tokens per second against batch size per model, beam and source sentences (the best of
/// repeated measurements at each batch size), its peak, the peak memory, the encoder's share
/// of the time, and the model's parameters. Only stored rows are read (no model is loaded);
/// `taskmoe bench --decode --models …` writes them.
#include "db/records.h"

#include <QString>

#include <optional>
#include <vector>

namespace taskmoe::db {
class Store;
}

namespace taskmoe::usecases {

struct SpeedPoint
{
    int batchSize = 0;
    double tokensPerSecond = 0;
    double latencyMs = 0;                 ///< per batch
    double encoderMs = 0, decoderMs = 0;  ///< per batch
    qint64 peakRssBytes = 0;
};

struct SpeedSeries
{
    QString key;                          ///< "12/4/en-de test sentences": model, beam, source
    qint64 modelId = 0;                   ///< negative for a model file the store does not know (see `spec`)
    QString spec;                         ///< what `taskmoe bench --decode --models` measures it by
    QString label;                        ///< "run 3 task-moe-target, step 1369 — sub-network de"
    QString kind;                         ///< full, subnetwork, pruned, student, model
    int beam = 1;
    QString source;                       ///< what was decoded ("en-de test sentences", "random, 20 → 20 pieces")
    qint64 paramsTotal = 0, paramsActive = 0;
    std::vector<SpeedPoint> points;       ///< by batch size
    int peak = -1;                        ///< index of the most tokens per second
    qint64 peakRssBytes = 0;              ///< the largest over all batch sizes

    const SpeedPoint *peakPoint() const { return peak >= 0 ? &points[std::size_t(peak)] : nullptr; }
    /// Tokens per second at `batchSize`; empty when not measured.
    std::optional<double> at(int batchSize) const;
    /// The encoder's share of the time at the peak (0–1); empty without a split.
    std::optional<double> encoderShare() const;
};

/// Every series of the store's decoding benchmarks, by model and then beam. Benchmarks of model
/// files the store has no row for (`--models some/file.tmf`) are series too, one per file as
/// it was named, with negative ids (−1, −2, … in the order first measured).
std::vector<SpeedSeries> speedSeries(const db::Store &store);

/// What a model is called on the dashboards: "run 3 task-moe-target, step 1369" and what it
/// is of the run ("sub-network de", "pruned en-de to 2 experts", "student of run 3"), or
/// "model 16 (file.tmf)" for a file of no run. `run` may be null; `step` 0 for none.
QString modelLabel(const db::ModelRecord &model, const db::RunRecord *run, qint64 step);

} // namespace taskmoe::usecases
