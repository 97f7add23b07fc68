#pragma once
/// The SQLite store: one file holds every dataset, run, metric and result.
///
/// Opening checks the file before SQLite touches it: a directory, a file that is not SQLite,
/// or a store written by a newer version of the program is refused with a StoreError and left
/// byte for byte as it was. A new or older store is brought up to date by numbered
/// migrations, each in its own transaction. WAL journal (readers while a trainer writes),
/// foreign keys on, bound parameters only.
///
/// Qt's rule: a connection belongs to the thread that opened it; open one Store per thread.
#include "db/records.h"

#include <QString>
#include <QStringList>

#include <functional>
#include <stdexcept>
#include <map>
#include <set>
#include <optional>
#include <vector>

namespace taskmoe::db {

class StoreError : public std::runtime_error
{
public:
    explicit StoreError(const QString &message) : std::runtime_error(message.toStdString()) {}
    QString message() const { return QString::fromStdString(what()); }
};

class Store
{
public:
    /// The schema version this program writes.
    static int schemaVersion();
    /// The per-user default location (QStandardPaths' generic data folder / taskmoe/),
    /// or $TASKMOE_DB when set.
    static QString defaultPath();

    /// Opens (creating if needed) the store at `path`. Throws StoreError.
    explicit Store(const QString &path);
    ~Store();
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    QString path() const { return m_path; }
    /// Checks a file without opening it: returns an empty string when it could be opened,
    /// else the reason it would be refused.
    static QString checkFile(const QString &path);

    // Datasets --------------------------------------------------------------------------
    /// Stores a dataset and all its sentences in one transaction; returns its id.
    qint64 addDataset(const DatasetRecord &dataset, const std::vector<NewPair> &pairs);
    /// The id of the dataset with this fingerprint, or 0.
    qint64 findDatasetByFingerprint(const QString &fingerprint) const;
    QVector<DatasetRecord> datasets() const;          ///< with languages and pairs
    DatasetRecord dataset(qint64 id) const;           ///< throws StoreError when absent
    /// Sentences of one pair and split, in stored order.
    std::vector<SegmentRow> segments(qint64 pairId, const QString &split) const;
    /// Sentences of one dataset, streamed pair by pair, to keep memory bounded.
    void forEachSegment(qint64 datasetId, const QString &split,
                        const std::function<void(const DatasetPairRecord &, const SegmentRow &)> &fn) const;
    void deleteDataset(qint64 id);

    // Vocabularies ----------------------------------------------------------------------
    qint64 addVocabulary(const VocabularyRecord &vocabulary);
    QVector<VocabularyRecord> vocabularies(qint64 datasetId) const;   ///< without model bytes
    VocabularyRecord vocabulary(qint64 id) const;                     ///< with model bytes

    // Experiments and runs --------------------------------------------------------------
    qint64 addExperiment(const ExperimentRecord &experiment);
    QVector<ExperimentRecord> experiments() const;
    qint64 addRun(const RunRecord &run);
    void updateRunStatus(qint64 runId, RunStatus status, const QString &error = {});
    /// Records the process now running the run (a resumed run has a new one) and marks the
    /// run running again, in one statement, so that nobody sees the new status with the old
    /// (dead) process and calls the run interrupted.
    void updateRunProcess(qint64 runId, qint64 pid, const QString &host);
    /// Runs marked running on `host` whose process `alive` says no longer exists died without
    /// a final status: marks them `interrupted` (only while status and pid are still the ones
    /// seen, so a run just resumed by a new process is left alone). Returns how many it marked.
    /// (protocol/processes.h has the checks for this machine.)
    int markInterruptedRuns(const QString &host, const std::function<bool(qint64 pid)> &alive);
    /// Changes when another connection (another process, another thread's store) has committed
    /// a change since this one last asked: a follower reads the store again only then.
    qint64 dataVersion() const;
    /// The folder that holds a new run's checkpoints and its log (`train.log`): `run-N` in the
    /// store's runs folder. Everything that starts or follows a run agrees on it.
    static QString runFolder(const QString &storePath, qint64 runId);
    /// The folder that holds every run's folder and the workbench's job files: the store's
    /// file name with `-runs` appended (`taskmoe.sqlite-runs`, beside `taskmoe.sqlite-wal`), so
    /// that two stores in one folder never share a run folder.
    static QString runsFolder(const QString &storePath);
    /// Where run `runId` keeps its files: the folder of its newest checkpoint (runs of older
    /// versions kept them in `runs/run-N`), or runFolder() when it has none yet.
    QString runFolderOf(qint64 runId) const;
    RunRecord run(qint64 id) const;
    QVector<RunRecord> runs() const;

    // Metrics ----------------------------------------------------------------------------
    /// Writes all points in one transaction.
    void addMetrics(const std::vector<MetricPoint> &points);
    std::vector<MetricPoint> metrics(qint64 runId, const QString &key = {}) const;
    /// The points of a run logged after `afterStep`, ordered by step then key: what a
    /// follower of a live run reads on each poll.
    std::vector<MetricPoint> metricsAfter(qint64 runId, qint64 afterStep) const;
    /// All of a run's curves for plotting, ordered by key then step. A key with more than
    /// 2 × `maxBuckets` points is downsampled in SQL: its steps are cut into `maxBuckets`
    /// equal ranges and each range gives its lowest and its highest point (spikes survive),
    /// plus the first and last point of the curve. `downsampledKeys`, when given, receives
    /// the keys that were. A few index lookups and one pass over the run's rows.
    std::vector<MetricPoint> metricCurves(qint64 runId, int maxBuckets, QStringList *downsampledKeys = nullptr) const;
    QStringList metricKeys(qint64 runId) const;
    /// Each run's newest step with a logged training loss (runs without one are absent).
    std::map<qint64, qint64> lastMetricSteps() const;

    // Results ----------------------------------------------------------------------------
    qint64 addCheckpoint(const CheckpointRecord &checkpoint);
    QVector<CheckpointRecord> checkpoints(qint64 runId) const;
    /// The runs that have at least one checkpoint (one pass over an index).
    std::set<qint64> runsWithCheckpoints() const;
    /// The run's checkpoint with the highest dev BLEU (the `dev_bleu` metric at the checkpoint's
    /// step; the later step on a tie), and that BLEU; nullopt when no checkpoint has one.
    std::optional<std::pair<CheckpointRecord, double>> bestCheckpoint(qint64 runId) const;
    /// bestCheckpoint()'s step and BLEU for every run that has one, in one query (the runs list).
    std::map<qint64, std::pair<qint64, double>> bestCheckpointSteps() const;
    qint64 addModel(const ModelRecord &model);
    /// Registers a model file written at `model.path` (a sub-network, a student), in one
    /// transaction: a row for the same path and SHA-256 is kept (its evaluations still describe
    /// the file) with the new manifest; rows for the path with another SHA-256 are removed
    /// (with their evaluations and benchmarks) and a new one is added. Returns its id.
    qint64 registerModelFile(const ModelRecord &model);
    QVector<ModelRecord> models() const;
    qint64 addEvaluation(const EvaluationRecord &evaluation);
    /// All rows or none (one transaction): an evaluation job's per-pair scores and aggregates.
    void addEvaluations(const QVector<EvaluationRecord> &evaluations);
    QVector<EvaluationRecord> evaluations(qint64 modelId) const;
    QVector<EvaluationRecord> runEvaluations(qint64 runId) const;
    /// The 'full' model row of a run's checkpoint, added (from `details`' parameter counts and
    /// manifest) the first time it is asked for. Evaluations and routing statistics hang off it.
    /// (A model registered without parameter counts gets those of `details` when it has some.)
    qint64 checkpointModel(const CheckpointRecord &checkpoint, const ModelRecord &details);
    void addRoutingStats(const std::vector<RoutingStatRecord> &stats);
    /// Replaces the statistics of (model, step) in one transaction: a new recording is never
    /// mixed with an older one.
    void replaceRoutingStats(qint64 modelId, qint64 step, const std::vector<RoutingStatRecord> &stats);
    std::vector<RoutingStatRecord> routingStats(qint64 modelId, qint64 step) const;
    /// Every (model, step) that has routing statistics, ordered by run, step and model, with
    /// the model's run (and its name), checkpoint and the MoE layers present per side.
    QVector<RoutingStatSet> routingStatSets() const;
    qint64 addBenchmark(const BenchmarkRecord &benchmark);
    /// All rows or none (one transaction): one benchmark run's measurements.
    void addBenchmarks(const QVector<BenchmarkRecord> &benchmarks);
    QVector<BenchmarkRecord> benchmarks() const;

private:
    class Transaction;
    /// The connection's set-up, after the file was checked: opens, checks the version, migrates.
    void open(const QString &path);
    void migrate(int from);
    void insertRoutingStats(const std::vector<RoutingStatRecord> &stats);
    QVector<EvaluationRecord> evaluationsWhere(const char *column, qint64 id) const;
    QString m_path;
    QString m_connection;
};

} // namespace taskmoe::db
