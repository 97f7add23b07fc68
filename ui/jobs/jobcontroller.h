#pragma once
/// Starts training and evaluation jobs as separate `taskmoe` processes and reports what the
/// ones it started say, as signals.
///
/// A job is `taskmoe train …` started detached (QProcess::startDetached) with its standard
/// output and error going to files under the store's runs folder (`…sqlite-runs/jobs/`): a crash in training
/// cannot take the workbench down, and closing the workbench does not stop the job. The
/// controller reads the JSON lines the job writes (started, progress, checkpoint, and a final
/// finished / cancelled / failed) on a timer and turns them into signals. A job that ends
/// without a final line (killed, crashed) is reported with the last lines of its error file.
///
/// Jobs wait in a queue and start when fewer than maxConcurrent() of them run (one by default:
/// two jobs on two cores only slow each other down). A queued job may wait for others (its
/// arguments can then be completed from what they made, e.g. the run a training job created);
/// queued jobs can be reordered, any job cancelled, an ended one retried.
///
/// Runs that this controller did not start (from a shell, or before the workbench was
/// reopened) are followed through the store instead (RunFollower); cancel() works for both,
/// through `taskmoe cancel`, which signals the run's process to checkpoint and stop.
#include "protocol/jobevents.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <QDateTime>
#include <QList>

#include <functional>
#include <map>

class QTimer;

namespace taskmoe::ui {

class JobController : public QObject
{
    Q_OBJECT
public:
    /// Where a job is: starting until its "started" line, running, then how it ended (a job
    /// that ends without a final line is interrupted, or failed if it never started).
    enum class JobState { Queued, Starting, Running, Finished, Cancelled, Failed, Interrupted };
    Q_ENUM(JobState)
    /// "queued", "starting", "running", "finished", "cancelled", "failed", "interrupted".
    static QString stateName(JobState state);
    static bool isActive(JobState state) { return state == JobState::Starting || state == JobState::Running; }
    /// Queued or running: not ended yet.
    static bool isPending(JobState state) { return state == JobState::Queued || isActive(state); }

    /// Completes a queued job's arguments when it starts (from what the jobs it waited for
    /// made); returns them, or sets `error` when the job cannot run.
    using ArgumentResolver = std::function<QStringList(QString *error)>;

    /// What the controller knows of a job it started.
    struct Job
    {
        int id = 0;
        protocol::JobKind kind = protocol::JobKind::Train;
        qint64 pid = 0;
        qint64 runId = 0;            ///< 0 until the job's "started" line arrives
        qint64 modelId = 0;          ///< eval: the stored model evaluated (0: a run's checkpoint)
        QString outputPath;          ///< the job's JSON lines (stdout)
        QString errorPath;           ///< the job's standard error
        JobState state = JobState::Starting;
        QString message;             ///< why it failed, when it did
        qint64 step = 0;             ///< train: the step; eval: pairs done; extract, bench: pieces done
        qint64 steps = 0;            ///< train: planned steps; eval: pairs to evaluate; extract, bench: pieces
        double etaSeconds = -1;
        bool protocolWarned = false; ///< a line did not follow the protocol (said once)
        QString title;               ///< what it does, for the jobs view ("train task-moe-target")
        QStringList arguments;       ///< the program's arguments (without --db), as started or to start
        QString stemWhat;            ///< the file names' tag
        QList<int> after;            ///< jobs that must finish before this one starts
        ArgumentResolver resolve;    ///< appends arguments at the start (may be empty)
        bool cancelRequested = false;
        QDateTime queuedAt, startedAt, endedAt;
    };

    /// What an evaluation job is asked to do (`taskmoe eval`'s options).
    struct EvalRequest
    {
        qint64 runId = 0;
        qint64 modelId = 0;          ///< a stored model (sub-network, student) instead of the run's checkpoint
        qint64 checkpointStep = -1;  ///< -1: the newest checkpoint
        QString split = QStringLiteral("test");
        int beam = 4;
        qint64 limit = 0;            ///< sentences per pair; 0: all
    };

    /// What an extraction job is asked to do (`taskmoe extract`'s options).
    struct ExtractRequest
    {
        qint64 runId = 0;
        bool bestCheckpoint = true;  ///< the best checkpoint (highest dev BLEU), else the newest
        QStringList tasks;           ///< empty: every task
        int keep = 0;                ///< experts kept per token-routed layer; 0: none pruned
        QString by = QStringLiteral("importance");
    };

    explicit JobController(QObject *parent = nullptr);
    ~JobController() override;

    /// The store the jobs train into; required before starting one.
    void setStorePath(const QString &path) { m_storePath = path; }
    QString storePath() const { return m_storePath; }
    /// The `taskmoe` program; by default the one next to this executable.
    void setProgram(const QString &path) { m_program = path; }
    QString program() const { return m_program; }

    /// Starts `taskmoe train --config FILE [--nproc N]` with `configJson` written to the job folder.
    /// Returns the job id, or 0 with `error` set when the process could not be started.
    int startTraining(const QString &configJson, const QString &runName, QString *error = nullptr, int processes = 1);
    /// Starts `taskmoe train --resume RUN`. Returns the job id or 0.
    int resume(qint64 runId, QString *error = nullptr);
    /// Starts `taskmoe eval --run RUN … --events`: BLEU/chrF per pair and routing statistics
    /// into the store. Progress arrives as evalProgress(). Returns the job id or 0.
    int startEvaluation(const EvalRequest &request, QString *error = nullptr);
    /// Starts `taskmoe extract … --events`: sub-networks written and registered; progress
    /// arrives as taskProgress(). Returns the job id or 0.
    int startExtraction(const ExtractRequest &request, QString *error = nullptr);
    /// Starts `taskmoe bench --decode --models … --events` over these models (ModelRef texts
    /// such as model:7 or run:3@best) at a few batch sizes; stored as benchmarks. Returns the
    /// job id or 0.
    int startBenchmark(const QStringList &models, QString *error = nullptr);
    /// Asks the run's process to checkpoint and stop (`taskmoe cancel --run RUN`); the
    /// outcome arrives as cancelDone(). Works for any run of this machine, not only own jobs.
    void cancel(qint64 runId);

    /// Queues `taskmoe arguments…` (the store added). It starts once the jobs in `after` have
    /// finished and fewer than maxConcurrent() jobs run; `resolve` (may be empty) appends
    /// arguments then. Returns the job id, or 0 with `error` set when it could not be started
    /// right away although nothing held it back.
    int enqueue(const QString &title, protocol::JobKind kind, const QStringList &arguments, const QString &stemWhat,
                const QList<int> &after = {}, const ArgumentResolver &resolve = {}, QString *error = nullptr);
    /// How many jobs run at once (at least 1).
    void setMaxConcurrent(int jobs);
    int maxConcurrent() const { return m_maxConcurrent; }
    /// Cancels a job: a queued one leaves the queue, a training run checkpoints and stops, any
    /// other running job is stopped. False when it has ended already.
    bool cancelJob(int id);
    /// Queues an ended job again (a new job with its arguments); returns the new id or 0.
    int retry(int id, QString *error = nullptr);
    /// Moves a queued job `delta` places in the queue (negative: earlier); false when it cannot.
    bool moveQueued(int id, int delta);
    /// The queued jobs, in the order they will start.
    QList<int> queue() const { return m_queue; }

    const std::map<int, Job> &jobs() const { return m_jobs; }
    /// The job that trains `runId`, or nullptr.
    const Job *jobForRun(qint64 runId) const;
    /// Whether any job started here is still running.
    bool hasActiveJobs() const;

    /// Reads what the jobs have written since the last poll (also done on a timer).
    void poll();

signals:
    /// The job wrote its "started" line: it trains `runId` now (a new run or a resumed one).
    void jobStarted(int job, qint64 runId);
    /// A training job's "progress" line: step, steps, loss, ce, balance, lr, tokens_per_s, eta_s,
    /// dev_loss …
    void progress(qint64 runId, const taskmoe::protocol::JobEvent &event);
    /// An evaluation job finished a language pair: `done` of `pairs`, with its scores.
    void evalProgress(int job, qint64 runId, int done, int pairs, const QString &pair, double bleu, double chrf);
    void checkpointWritten(qint64 runId, qint64 step);
    /// An extraction or benchmark job did the `done`-th of `total` pieces of work (`what`).
    void taskProgress(int job, int done, int total, const QString &what);
    /// The job ended: finished, cancelled, failed or interrupted; `runId` is 0 when it failed
    /// before creating a run (e.g. a dataset that is not there).
    void jobEnded(int job, qint64 runId, taskmoe::ui::JobController::JobState state, const QString &message);
    /// `taskmoe cancel` returned: ok, or the reason it could not.
    void cancelDone(qint64 runId, bool ok, const QString &message);
    /// A job was queued, started, moved, or ended: the jobs view lists them again.
    void jobsChanged();

private:
    int launch(const QStringList &arguments, const QString &stemWhat, protocol::JobKind kind, QString *error,
               const QString &title = {});
    /// Starts queued jobs while there is room; `error` gets why `which` could not start.
    void startQueued(int which = 0, QString *error = nullptr);
    bool startProcess(Job &job, QString *error);
    bool ensureJobFolder(QString *error) const;
    /// "job-<time>-<id>[-what]" for the next job's files, once a store is open and the job
    /// folder exists; empty with `error` set otherwise.
    QString newJobStem(const QString &what, QString *error) const;
    void readOutput(Job &job);
    void handleLine(Job &job, const QByteArray &line);
    void finish(Job &job, JobState state, const QString &message);
    QString jobFolder() const;

    QString m_storePath;
    QString m_program;
    int m_nextId = 1;
    std::map<int, Job> m_jobs;
    std::map<int, qint64> m_readOffsets;
    std::map<int, QByteArray> m_partialLines;
    QTimer *m_timer = nullptr;
    QList<int> m_queue;
    int m_maxConcurrent = 1;
};

} // namespace taskmoe::ui
