#pragma once
/// The one definition of what a `taskmoe` job tells the program that started it: one JSON
/// object per line on standard output, flushed at once. `taskmoe train` and `taskmoe eval
/// --events` write these lines (app/), the workbench's JobController reads them (ui/jobs/);
/// both go through toJson / jobEventFromJson below, so writer and reader cannot drift apart.
///
///   {"event":"started",   "run":7, "pid":…, "steps":…, …}         the job has a run now
///   {"event":"progress",  "run":7, "step":…, "loss":…, …}          training: every report
///   {"event":"progress",  "run":7, "pair":"en-de", "done":3, …}    evaluation: every pair
///   {"event":"checkpoint","run":7, "step":…, "path":…}
///   {"event":"finished" | "cancelled" | "failed", "run":7, …}      the last line
///
/// A key the reader does not know is an error, not ignored: a field added on one side must be
/// added here.
#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QVector>

#include <optional>
#include <utility>

namespace taskmoe::protocol {

/// What a job does; one `taskmoe` command each.
enum class JobKind { Train, Eval, Extract, Distill, Bench };
QString jobKindName(JobKind kind);
std::optional<JobKind> jobKindFromName(const QString &name);

enum class JobEventType { Started, Progress, Checkpoint, Finished, Cancelled, Failed };
QString jobEventTypeName(JobEventType type);
std::optional<JobEventType> jobEventTypeFromName(const QString &name);
/// Finished, cancelled or failed: nothing follows.
inline bool isFinal(JobEventType type)
{
    return type == JobEventType::Finished || type == JobEventType::Cancelled || type == JobEventType::Failed;
}

/// One MoE layer's numbers in a training report.
struct LayerReport
{
    QString layer;             ///< e.g. "encoder.1"
    double entropy = 0;        ///< expert-load entropy (nats)
    double dropped = 0;        ///< share of token copies dropped at capacity
    bool operator==(const LayerReport &o) const
    {
        return layer == o.layer && entropy == o.entropy && dropped == o.dropped;
    }
};

/// One line. Which fields a line carries depends on its type and on the job (the comments
/// say which); absent optional fields are not written.
struct JobEvent
{
    JobEventType type = JobEventType::Progress;
    qint64 run = 0;

    // started (training)
    std::optional<qint64> pid;
    std::optional<bool> resumed;
    std::optional<QString> preset;
    std::optional<qint64> dataset, vocabulary;
    std::optional<QString> encoderRouting, decoderRouting;
    std::optional<QString> checkpoints;            ///< the run's checkpoint folder

    // training: planned steps (started, progress); the step (progress, checkpoint, final)
    std::optional<qint64> steps, step;
    // training progress
    std::optional<double> loss, ce, balance, lr, gradNorm, tokensPerSecond, etaSeconds, elapsedSeconds;
    std::optional<QVector<LayerReport>> layers;
    std::optional<double> devLoss, devBleu;        ///< devLoss also on the final line
    std::optional<QVector<std::pair<QString, double>>> devBleuPairs;

    // evaluation: pairs to do (started, progress); per pair (progress)
    std::optional<qint64> pairs, done;
    std::optional<QString> pair;
    std::optional<double> bleu, chrf, seconds;    ///< seconds also on the final line
    std::optional<qint64> model;                   ///< final: the evaluated model's id

    // checkpoint: its file; final (training): the last checkpoint's file
    std::optional<QString> path, checkpoint;
    std::optional<bool> budgetUsed;                ///< final: the time budget ended the run
    std::optional<QString> error;                  ///< failed: why

    bool operator==(const JobEvent &o) const;
};

QJsonObject toJson(const JobEvent &event);
/// The line to write: compact JSON and a '\n'.
QByteArray toJsonLine(const JobEvent &event);
/// Parses one line's object. On a missing or unknown event, an unknown key or a value of the
/// wrong type: nothing, and `error` names the key.
std::optional<JobEvent> jobEventFromJson(const QJsonObject &object, QString *error = nullptr);

} // namespace taskmoe::protocol

Q_DECLARE_METATYPE(taskmoe::protocol::JobEvent)
