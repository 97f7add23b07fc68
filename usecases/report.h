#pragma once
/// The paper-style comparison of several runs, assembled from the store (no model is loaded):
/// the BLEU table (average, xx→en, en→xx, high, low) per run, ΔBLEU per direction against the
/// dense baseline with the directions ordered by training size, decoding throughput against
/// batch size per model, parameter counts, and each MoE run's sub-networks and students with
/// the share of the gain they keep. ui/report writes it as Markdown with figures.
#include "usecases/comparison.h"

#include <QString>
#include <QStringList>

#include <map>
#include <optional>
#include <vector>

namespace taskmoe::usecases {

struct ReportRequest
{
    std::vector<qint64> runs;          ///< in the order the report shows them
    qint64 denseRunId = 0;             ///< the baseline of ΔBLEU and gain shares; 0: the first dense run listed
    QString split = QStringLiteral("test");
    int beam = 4;
};

struct ReportRun
{
    db::RunRecord run;
    QString routing;                   ///< "token/task:target"
    qint64 modelId = 0;                ///< the evaluated full model (0: none)
    qint64 step = 0;
    qint64 paramsTotal = 0, paramsActive = 0, paramsEmbedding = 0, paramsEncoder = 0, paramsDecoder = 0,
           paramsExpert = 0;
    std::map<QString, double> aggregates;   ///< average, xx-en, en-xx, high, low → BLEU
    std::map<QString, double> pairs;        ///< direction → BLEU
};

struct ThroughputCurve
{
    QString label;                     ///< "run 3 (task-moe-target) full", "model 12 subnetwork de"
    qint64 modelId = 0;
    int beam = 1;
    std::vector<std::pair<int, double>> points;   ///< (batch size, tokens/s), by batch size
};

struct Report
{
    std::vector<ReportRun> runs;
    qint64 denseRunId = 0;             ///< 0: no dense baseline among the runs
    /// Directions in order of training sentences (largest first), with their sizes.
    std::vector<std::pair<QString, qint64>> directions;
    std::vector<ThroughputCurve> throughput;
    std::vector<Comparison> comparisons;   ///< per MoE run with sub-networks or students
    QStringList missing;               ///< what to run to complete the report
    QString split;
    int beam = 4;
};

/// Throws UseCaseError for an unknown run or an empty list.
Report assembleReport(const db::Store &store, const ReportRequest &request);

} // namespace taskmoe::usecases
