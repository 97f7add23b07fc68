#pragma once
/// The comparison the paper makes, read from the store: a run's full model beside every
/// sub-network extracted from it (folded or pruned) and every student distilled from it, per
/// task — parameters, file size, experts kept, BLEU and chrF on the task's pairs, the BLEU
/// change against the full model on the same pairs, peak decoding throughput, and the share of
/// the full model's BLEU gain over a dense baseline that each keeps:
/// (model − dense) / (full − dense) (paper: distillation 32–43 %, extraction 100 %).
///
/// A share is only given where the full model gains at least kMinimumGainBleu over the dense
/// baseline: below that the denominator is noise and the share is meaningless (or flips sign).
/// Besides the rows per task, the summary gives each variant over all the pairs it covers —
/// "sub-networks" (each on the pairs it serves), "pruned to 2 experts by importance", a student.
///
/// Only stored results are used: a cell is empty until `taskmoe eval` (with the requested beam
/// and split) or `taskmoe bench --decode --models` has measured it. Nothing here loads a model.
#include "db/records.h"

#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace taskmoe::db {
class Store;
}

namespace taskmoe::usecases {

/// The smallest gain (in BLEU) of the full model over the dense baseline that a gain-kept
/// share is computed for.
constexpr double kMinimumGainBleu = 1.0;

struct ComparisonRequest
{
    qint64 runId = 0;
    qint64 denseRunId = 0;        ///< the dense baseline of the gain shares (0: none)
    QString split = QStringLiteral("test");
    int beam = 4;                 ///< evaluations decoded with this beam
};

struct ComparisonRow
{
    qint64 modelId = 0;
    QString kind;                 ///< full, subnetwork, pruned, student
    QString task;                 ///< the task group: "de", "en-de"
    QStringList pairs;            ///< the pairs the scores cover
    qint64 step = 0;              ///< the checkpoint it comes from
    QString path;
    qint64 paramsTotal = 0, paramsActive = 0, paramsEmbedding = 0, paramsEncoder = 0, paramsDecoder = 0,
           paramsExpert = 0;
    qint64 fileBytes = 0;         ///< 0 when the file is missing
    QString experts;              ///< experts kept per MoE layer, as text ("dec 1: 3 5")
    std::optional<double> bleu, chrf;       ///< mean over `pairs`
    std::optional<double> deltaBleu;        ///< bleu − the full model's on the same pairs
    std::optional<double> gainKept;         ///< (bleu − dense) / (full − dense)
    std::optional<double> peakGreedy, peakBeam; ///< decode tokens/s, greedy and beam 4
    QString variant;              ///< what the row is across tasks: "full", "sub-networks", "pruned to 2 experts by importance", "student run 14"
};

/// One variant over all the pairs its rows cover: means over pairs, not over tasks.
struct ComparisonSummaryRow
{
    QString variant;
    QString kind;
    int models = 0;               ///< model files (or runs) behind the rows
    int pairs = 0;
    qint64 paramsTotal = 0, paramsActive = 0;   ///< of the largest of them
    std::optional<double> bleu, fullBleu, denseBleu;   ///< empty unless every row is measured
    std::optional<double> deltaBleu, gainKept;
};

struct Comparison
{
    db::RunRecord run;
    db::RunRecord dense;          ///< id 0 without a baseline
    std::vector<ComparisonRow> rows;  ///< per task: the full model first, then its sub-networks and students
    std::vector<ComparisonSummaryRow> summary;  ///< per variant, in the order the rows first show them
    QStringList missing;          ///< what to run to fill empty cells ("taskmoe eval --model 7 --beam 4")
};

/// Throws UseCaseError for an unknown run or baseline.
Comparison compareModels(const db::Store &store, const ComparisonRequest &request);

} // namespace taskmoe::usecases
