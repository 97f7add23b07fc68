#pragma once
/// Evaluating a run's checkpoint: translate every language pair's split (or some pairs, or the
/// first N sentences of each), score BLEU and chrF exactly as SacreBLEU does, form the paper's
/// aggregates (average, xx→en, en→xx, high- and low-resource), and store the scores with the
/// model's routing statistics (task × expert counts per MoE layer) in the store.
#include "usecases/models.h"

#include "core/decoding/decoding.h"
#include "core/eval/bleu.h"

#include <QString>

#include <functional>
#include <set>
#include <vector>

namespace taskmoe::db {
class Store;
}

namespace taskmoe::usecases {

struct EvaluateRequest
{
    qint64 runId = 0;
    CheckpointChoice checkpoint;
    /// A model of the store (a sub-network or student) instead of a run's checkpoint: its
    /// source run's dataset, and by default the pairs it serves.
    qint64 modelId = 0;
    QString split = QStringLiteral("test");   ///< test, dev or multiway
    std::set<QString> pairs;                   ///< empty: every pair the model was trained on
    qint64 limit = 0;                          ///< sentences per pair; 0: all
    bool recordRouting = true;                 ///< store the routing statistics
    core::DecodeOptions decoding;              ///< beam 4 by default in the programs
};

struct PairScore
{
    QString pair;          ///< e.g. "en-de"
    QString resource;      ///< high or low (the dataset's class of the pair)
    bool toEnglish = false, fromEnglish = false;
    qint64 sentences = 0;
    int cropped = 0;       ///< sources cut to the model's positions
    core::BleuScore bleu;
    core::ChrfScore chrf;
    double seconds = 0;
};

/// The mean of the per-pair scores over a group of pairs.
struct AggregateScore
{
    QString name;          ///< average, xx-en, en-xx, high, low
    int pairs = 0;
    qint64 sentences = 0;
    double bleu = 0, chrf = 0;
};

struct EvaluationResult
{
    db::RunRecord run;
    db::CheckpointRecord checkpoint;
    double bestDevBleu = 0;                    ///< when the best checkpoint was asked for
    qint64 modelId = 0;                        ///< the store's model (the checkpoint's, or the one asked for)
    std::vector<PairScore> pairs;
    std::vector<AggregateScore> aggregates;    ///< groups with at least one pair
    double seconds = 0;
};

struct EvaluateHooks
{
    /// The checkpoint is loaded and `pairs` are about to be translated.
    std::function<void(const EvaluationResult &sofar, int pairs)> started;
    /// A pair is scored (the `done`-th of `total`).
    std::function<void(const PairScore &score, int done, int total)> pairDone;
};

/// Runs the evaluation and stores its scores and routing statistics; nothing is written before
/// every pair is scored. Throws UseCaseError for a request that cannot
/// be carried out (no dataset, an unknown pair, no sentences in the split).
EvaluationResult evaluate(db::Store &store, const EvaluateRequest &request, const EvaluateHooks &hooks = {});

/// The store's rows of recorded routing: one per (side, layer, pair, expert) of `pairs`
/// (indices of `tasks.pairs`), for `modelId` at `step`.
std::vector<db::RoutingStatRecord> routingStatRows(const std::vector<core::LayerCounts> &layers, const core::TaskTable &tasks,
                                                   const std::vector<std::size_t> &pairs, qint64 modelId, qint64 step);

} // namespace taskmoe::usecases
