#pragma once
/// Decoding throughput of several models side by side, measured in one run: the same source
/// sentences decoded by every model, greedy and with beam search, at growing batch sizes, with
/// target tokens per second, latency per batch, the encoder/decoder time split and the peak
/// resident memory of each measurement; results stored as the store's benchmarks.
///
/// Sources are test sentences of a direction every model serves, or (for models with random
/// weights, which need no data) random piece ids of a fixed length decoded to a fixed length,
/// so that every model does the same work. Batch sizes grow until the largest asked for, or
/// until the memory the next size would take (extrapolated from the measured peaks) exceeds
/// what the system has available — the measurement stops there and says so.
#include "usecases/common.h"
#include "usecases/models.h"

#include "core/model/parametercounts.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace taskmoe::db {
class Store;
}

namespace taskmoe::usecases {

struct ThroughputRequest
{
    QStringList models;                        ///< ModelRef texts; the first is the baseline of the ratios
    std::vector<int> batchSizes{1, 2, 4, 8, 16, 32, 64, 128, 256};
    std::vector<int> beams{1, 4};
    QString pair;                              ///< test sentences of this direction (default: the first all serve)
    int sourceLength = 0;                      ///< > 0: random sources of this many pieces instead …
    int targetLength = 0;                      ///< … decoded to exactly this many pieces (default: sourceLength)
    int minSentences = 32;                     ///< sentences per measurement: max(batch size, this)
    qint64 memoryBudgetBytes = 0;              ///< 0: the system's available memory at the start
    bool store = true;                         ///< record the measurements as benchmarks
};

struct ThroughputPoint
{
    int beam = 1;
    int batchSize = 1;
    int sentences = 0;
    qint64 targetTokens = 0;
    double seconds = 0;
    double tokensPerSecond = 0;
    double latencyMs = 0;                      ///< per batch
    double encoderMs = 0, decoderMs = 0;       ///< per batch
    qint64 peakRssBytes = 0;                   ///< the process's peak during this measurement
};

struct ThroughputModel
{
    QString label;                             ///< as named in the request
    QString kind;                              ///< full, subnetwork, student, file
    qint64 modelId = 0;                        ///< the store's model (0: an unregistered file)
    core::ParameterCounts parameters;
    qint64 fileBytes = 0;
    std::vector<ThroughputPoint> points;
    QString stopped;                           ///< why the batch sizes ended early ("" when they did not)

    /// The measurement with the most tokens per second at `beam` (null when none).
    const ThroughputPoint *peak(int beam) const;
};

struct ThroughputResult
{
    std::vector<ThroughputModel> models;
    QString source;                            ///< "en-de test sentences" or "random, 20 → 20 pieces"
    int threads = 0;
};

struct ThroughputHooks
{
    /// The sources are chosen; at most `measurements` measurements follow (fewer when memory
    /// stops a model's batch sizes early).
    std::function<void(int measurements)> started;
    /// A measurement is done.
    std::function<void(const ThroughputModel &model, const ThroughputPoint &point)> measured;
};

/// Measures. Throws UseCaseError for models that cannot be compared (no common direction,
/// different vocabularies with random sources), bad batch sizes or beams, a model that cannot be
/// loaded.
ThroughputResult measureThroughput(db::Store *store, const ThroughputRequest &request, const Notes &notes = {},
                                   const ThroughputHooks &hooks = {});

} // namespace taskmoe::usecases
