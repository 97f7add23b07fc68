#pragma once
/// The scores the store holds, side by side per direction, for the BLEU dashboard: every
/// evaluated model a researcher compares — a run's full model at a checkpoint, the sub-networks
/// cut from one checkpoint (together they serve every pair), the models pruned to K experts,
/// a student, a model file — as one "entry" each; per direction its score (with SacreBLEU's
/// signature and the sentence count behind it), the change against a chosen baseline entry, the
/// paper's aggregates (average, xx→en, en→xx, high, low) over the directions it covers, and for
/// sub-networks, pruned models and students the share of their full model's gain over the
/// baseline that they keep. Only stored evaluations are read; nothing here loads a model.
#include "db/records.h"

#include <QString>
#include <QStringList>

#include <map>
#include <optional>
#include <vector>

namespace taskmoe::db {
class Store;
}

namespace taskmoe::usecases {

/// The aggregates, in the order the paper's tables give them.
const QStringList &scoreAggregates();

/// Something evaluated that the dashboard can show: one model, or a family of models that
/// together serve every pair (a checkpoint's sub-networks, or its models pruned alike).
struct ScoreEntry
{
    QString key;                  ///< stable: "model:12", "subnetworks:3:45", "pruned:2:45:2:importance"
    QString label;                ///< "run 3 task-moe-target, step 1369 — sub-networks"
    QString kind;                 ///< full, student, subnetworks, pruned, model
    qint64 runId = 0;             ///< 0 for a model file of no run
    qint64 step = 0;              ///< the checkpoint's step (0: none)
    std::vector<qint64> models;   ///< the store's models behind it
    QString referenceKey;         ///< the full model whose gain it keeps ('' for full models and files)
    qint64 paramsTotal = 0, paramsActive = 0;   ///< of its largest model
    bool dense = false;           ///< a full model of a run without MoE layers (a natural baseline)
};

/// One direction's score of an entry: its model's latest evaluation with the split and beam.
struct ScoreCell
{
    double score = 0;
    QString signature;
    qint64 sentences = 0;
    qint64 modelId = 0;
};

struct ScoredEntry
{
    ScoreEntry entry;
    std::map<QString, ScoreCell> cells;            ///< direction → score
    std::map<QString, double> aggregates;          ///< over the directions it covers
    std::map<QString, double> delta;               ///< direction → score − the baseline's
    std::optional<double> deltaAverage;            ///< mean of `delta` over the directions both cover
    std::optional<double> gainKept;                ///< (entry − baseline) / (reference − baseline), summed over the entry's directions
};

struct ScoreDirection
{
    QString name;                 ///< "en-de"
    qint64 train = 0;             ///< training sentences of the pair (either way)
    QString resourceClass;        ///< high or low
};

struct ScoreboardRequest
{
    QStringList entries;          ///< keys, in the order to show them
    QString baseline;             ///< the key ΔBLEU and gain shares are measured against ('' none)
    QString metric = QStringLiteral("BLEU");
    QString split = QStringLiteral("test");
    int beam = 4;
};

struct Scoreboard
{
    std::vector<ScoreDirection> directions;   ///< every direction a shown entry covers, most training data first
    std::vector<ScoredEntry> entries;         ///< as requested; unknown keys are left out
    int baseline = -1;                        ///< index into entries; −1: none
    QString metric, split;
    int beam = 4;
};

/// Every entry with at least one evaluation of `split` decoded with `beam`, in run order
/// (a run's checkpoints by step, each followed by what was cut from it; model files last).
std::vector<ScoreEntry> scoreEntries(const db::Store &store, const QString &split, int beam);

/// The splits and beams the store's evaluations were made with: (split, beam), most rows first.
std::vector<std::pair<QString, int>> evaluationSettings(const db::Store &store);

/// The scores of the requested entries. Keys the store does not offer are skipped.
Scoreboard scoreboard(const db::Store &store, const ScoreboardRequest &request);

} // namespace taskmoe::usecases
