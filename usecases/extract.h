#pragma once
/// Extracting sub-networks from a run's checkpoint: per task, the task-routed MoE layers
/// folded into dense FFNs (exact: checked on a sample of the test split), and optionally the
/// token- and sentence-routed layers pruned to the K experts the task used most according to
/// the checkpoint's stored routing statistics. Each result is a model file (written to a
/// temporary name, then renamed) registered in the store as a `subnetwork` model of its run.
///
/// Tasks: a model whose routing uses language pairs (task:pair on either side) is cut per
/// pair ("en-de"); one routed only by target language per target language ("de" — the
/// sub-network serves every pair into it; "en-de" is read as its target). A model without
/// task routing is pruned per pair.
#include "usecases/common.h"
#include "usecases/models.h"

#include "core/extract/subnetworklayer.h"
#include "core/model/parametercounts.h"

#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace taskmoe::db {
class Store;
}

namespace taskmoe::usecases {

/// How pruning ranks a layer's experts for a task (from the stored routing statistics).
enum class PruneMeasure
{
    Top1,        ///< tokens whose first choice the expert was
    TopK,        ///< tokens that chose it among their k
    Gate,        ///< summed gate weight
    Importance,  ///< NLLB-200: first choices × exp(mean first-choice gate weight)
};
QString pruneMeasureName(PruneMeasure measure);
std::optional<PruneMeasure> pruneMeasureFromName(const QString &name);

struct ExtractRequest
{
    qint64 runId = 0;
    CheckpointChoice checkpoint;
    QStringList tasks;                 ///< "en-de" or "de"; empty with allTasks
    bool allTasks = false;
    qint64 keep = 0;                   ///< experts kept per token-/sentence-routed layer; 0: keep all
    PruneMeasure by = PruneMeasure::Importance;
    QString outputDir;                 ///< empty: <run folder>/subnetworks
    int verifySentences = 16;          ///< test sentences per served pair compared with the full model
};

struct ExtractedModel
{
    QString task;                      ///< "de" or "en-de"
    QStringList serves;                ///< the language pairs it translates
    QString path;
    QString sha256;
    qint64 fileBytes = 0;
    qint64 modelId = 0;                ///< the store's subnetwork model
    core::ParameterCounts parameters;
    std::vector<core::SubnetworkLayer> layers;
    bool exact = false;                ///< only folded layers: verified against the full model
    int verifiedSentences = 0;
    int identicalOutputs = 0;          ///< greedy translations identical to the full model's
    double maxLogitDifference = 0;     ///< largest |logit difference| teacher-forced, no capacity limit
};

struct ExtractResult
{
    db::RunRecord run;
    db::CheckpointRecord checkpoint;
    core::ParameterCounts fullParameters;
    std::vector<ExtractedModel> models;
};

struct ExtractHooks
{
    /// The checkpoint is loaded and `total` sub-networks are about to be extracted.
    std::function<void(const ExtractResult &sofar, int total)> started;
    /// A sub-network is written and registered (the `done`-th of `total`).
    std::function<void(const ExtractedModel &model, int done, int total)> extracted;
};

/// Extracting from a model file outside a store (models with random weights, for speed):
/// folding only, verified on random sources, written to `output` (a folder for several tasks,
/// or a file name for one); nothing is registered.
struct ExtractFileRequest
{
    QString model;
    QStringList tasks;
    bool allTasks = false;
    QString output;
    int verifySentences = 8;           ///< random sources per pair
};
std::vector<ExtractedModel> extractFromFile(const ExtractFileRequest &request, const Notes &notes = {});

/// Extracts every requested task's sub-network. Throws UseCaseError for a request that cannot
/// be carried out: a dense run, a run without task routing and no keep, an unknown task, keep
/// out of [top_k, E], pruning without routing statistics for the checkpoint, a verification that
/// finds the sub-network differs. Files written before a failure stay registered.
ExtractResult extract(db::Store &store, const ExtractRequest &request, const Notes &notes = {},
                      const ExtractHooks &hooks = {});

} // namespace taskmoe::usecases
