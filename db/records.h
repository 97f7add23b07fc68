#pragma once
/// Value structs returned by the store. Plain data: no SQL, no database handles.
#include <QDateTime>
#include <QString>
#include <QVector>

#include <cstdint>
#include <optional>
#include <vector>

namespace taskmoe::db {

/// Where a run is in its life. Stored as its name (the runs table's CHECK lists the same six).
enum class RunStatus { Queued, Running, Finished, Failed, Cancelled, Interrupted };

/// "queued", "running", "finished", "failed", "cancelled", "interrupted".
QString runStatusName(RunStatus status);
/// The status of a name; nothing for any other text.
std::optional<RunStatus> runStatusFromName(const QString &name);
/// The two halves of the Transformer, where MoE layers sit. Stored as "encoder"/"decoder".
enum class Side { Encoder, Decoder };
QString sideName(Side side);
std::optional<Side> sideFromName(const QString &name);

/// Running or queued: the run may still change.
inline bool isActive(RunStatus status) { return status == RunStatus::Running || status == RunStatus::Queued; }

struct LanguageRecord
{
    QString code;
    QString name;
    QString family;
    QString script;
};

struct DatasetPairRecord
{
    qint64 id = 0;
    qint64 datasetId = 0;
    QString srcLang;
    QString tgtLang;
    qint64 train = 0;
    qint64 dev = 0;
    qint64 test = 0;
    qint64 multiway = 0;
    QString resourceClass;   ///< "high" or "low"

    QString name() const { return srcLang + QLatin1Char('-') + tgtLang; }
};

struct DatasetRecord
{
    qint64 id = 0;
    QString name;            ///< as the user gave it, verbatim
    QString kind;            ///< synthetic, gettext, moses, tsv
    QString source;          ///< where it came from
    QString fingerprint;     ///< SHA-256 of the content
    QString paramsJson;      ///< generator / import / split parameters
    qint64 resourceThreshold = 0;
    QDateTime createdAt;
    QVector<LanguageRecord> languages;
    QVector<DatasetPairRecord> pairs;

    qint64 totalSentences() const;
};

/// One sentence pair to store; `split` is train, dev, test or multiway.
struct SegmentRow
{
    QString split;
    qint64 alignId = -1;
    QString src;
    QString tgt;
};

/// A pair with its sentences, as handed to Store::addDataset.
struct NewPair
{
    DatasetPairRecord info;           ///< id and datasetId are assigned by the store
    std::vector<SegmentRow> segments;
};

struct VocabularyRecord
{
    qint64 id = 0;
    qint64 datasetId = 0;
    int vocabSize = 0;
    double temperature = 0;
    QString sha256;
    QString paramsJson;
    QDateTime createdAt;
    QByteArray model;        ///< the serialised SentencePiece model (empty in listings)
};

struct ExperimentRecord
{
    qint64 id = 0;
    QString name;
    QString description;
    QDateTime createdAt;
};

struct RunRecord
{
    qint64 id = 0;
    qint64 experimentId = 0;     ///< 0 when none
    qint64 datasetId = 0;        ///< 0 when none
    qint64 parentRunId = 0;      ///< 0 when none
    QString name;
    QString kind;                ///< train, eval, distill, bench, …
    QString preset;
    QString configJson;
    RunStatus status = RunStatus::Queued;
    qint64 pid = 0;
    QString host;
    QDateTime startedAt;
    QDateTime endedAt;
    QString error;
};

struct MetricPoint
{
    qint64 runId = 0;
    qint64 step = 0;
    QString key;
    double value = 0;
    double wallTime = 0;         ///< seconds since the Unix epoch
};

struct CheckpointRecord
{
    qint64 id = 0;
    qint64 runId = 0;
    qint64 step = 0;
    QString path;
    QString sha256;
    qint64 bytes = 0;
    QDateTime createdAt;
};

struct ModelRecord
{
    qint64 id = 0;
    qint64 runId = 0;
    qint64 checkpointId = 0;
    QString kind;                ///< full, subnetwork, student
    QString task;                ///< for a subnetwork: the task it serves
    QString path;
    QString sha256;
    QString manifestJson;
    qint64 paramsTotal = 0, paramsEmbedding = 0, paramsEncoder = 0, paramsDecoder = 0,
           paramsExpert = 0, paramsActive = 0;
    QDateTime createdAt;
};

struct EvaluationRecord
{
    qint64 id = 0;
    qint64 modelId = 0;
    qint64 runId = 0;
    qint64 step = 0;
    QString split;
    QString pair;
    QString metric;              ///< BLEU, chrF, …
    double score = 0;
    QString signature;
    qint64 sentences = 0;
    bool aggregate = false;      ///< pair holds an aggregate's name (average, xx-en, en-xx, high, low)
    QString configJson;          ///< decoding settings (beam, length penalty, …) as a JSON object
    QDateTime createdAt;
};

struct RoutingStatRecord
{
    qint64 modelId = 0;
    qint64 step = 0;
    Side side = Side::Encoder;
    int layer = 0;
    QString task;
    int expert = 0;
    qint64 top1 = 0;
    qint64 topk = 0;
    double gateMass = 0;
    qint64 processed = 0;
    double top1GateMass = 0;     ///< summed gate weight of the first choices (0 in stores before schema 3)
};

/// One recording of routing statistics — a model at a step — as Store::routingStatSets()
/// lists it: whose run and checkpoint it is, and which MoE layers it covers.
struct RoutingStatSet
{
    qint64 modelId = 0;
    qint64 step = 0;                 ///< the step the statistics are stored under
    qint64 runId = 0;                ///< 0 when the model belongs to no run
    QString runName;                 ///< the run's name; '' when none or no run
    qint64 checkpointId = 0;         ///< 0 when the model has no checkpoint
    qint64 checkpointStep = -1;      ///< the checkpoint's step; -1 when no checkpoint
    QString modelKind;               ///< full, subnetwork, student
    QString modelTask;               ///< for a subnetwork: the task it serves
    QVector<int> encoderLayers;      ///< MoE layer indices with statistics, ascending
    QVector<int> decoderLayers;
    int tasks = 0;                   ///< distinct tasks over all layers
    int experts = 0;                 ///< highest expert index + 1
    qint64 rows = 0;                 ///< stored (side, layer, task, expert) rows
};

struct BenchmarkRecord
{
    qint64 id = 0;
    qint64 modelId = 0;          ///< 0 when the benchmark is not about one model
    QString kind;
    int batchSize = 0;
    double tokensPerSecond = 0;
    double latencyMs = 0;
    qint64 peakRssBytes = 0;
    double encoderMs = 0;
    double decoderMs = 0;
    QString configJson;
    QDateTime createdAt;
};

} // namespace taskmoe::db
