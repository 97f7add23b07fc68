#pragma once
/// The quickstart experiment a first launch offers: the paper's comparison on the quick corpus,
/// as jobs in the queue — a dense, a token-routed and a task-routed model trained for a few
/// minutes each, each evaluated, the task-routed model's sub-networks extracted and the
/// token-routed one pruned, a student distilled from the task-routed model, every model
/// evaluated, and their decoding speed measured. When it ends, every tab shows real results.
#include "ui/jobs/jobcontroller.h"

#include <QObject>
#include <QStringList>

#include <map>

namespace taskmoe::ui {

class StoreReader;

class Quickstart : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        QStringList presets{QStringLiteral("dense"), QStringLiteral("token-moe"), QStringLiteral("task-moe-target")};
        QString studentPreset = QStringLiteral("dense-student");
        double minutes = 8;               ///< training budget of each model and of the student
        QStringList trainSettings;        ///< extra --set key=value for every training (tests: tiny sizes)
        QList<QStringList> presetSettings;   ///< per preset, more --set key=value (tests: the routing)
        QStringList studentSettings;      ///< --set key=value of the student
        int evalLimit = 200;              ///< test sentences per pair in each evaluation
        int beam = 4;
        int pruneKeep = 2;                ///< experts a pruned model keeps per token-routed layer
        QString benchBatchSizes = QStringLiteral("1,8,32,128");
    };

    Quickstart(JobController *jobs, QObject *parent = nullptr);
    ~Quickstart() override;

    /// Queues the experiment's jobs (more follow as extraction ends); false with `error` when
    /// none could be queued (no store open).
    bool start(const Options &options, QString *error = nullptr);
    bool isRunning() const { return m_running; }
    /// Every job of the experiment, in the order queued.
    QList<int> jobs() const { return m_queued; }

signals:
    /// Every job has ended; `failed` lists the jobs that did not finish ("train dense: …").
    void finished(const QStringList &failed);

private:
    void onJobEnded(int job);
    void queueModelEvaluations();
    void queueBenchmark();
    JobController::ArgumentResolver runArgument(int job, const QString &option) const;
    int queue(const QString &title, protocol::JobKind kind, const QStringList &arguments, const QList<int> &after,
              const JobController::ArgumentResolver &resolve = {});
    void checkDone();

    JobController *m_controller;
    StoreReader *m_reader;
    Options m_options;
    bool m_running = false;
    QList<int> m_queued;                  ///< every job of the experiment
    int m_train[3] = {0, 0, 0};           ///< dense, token-routed, task-routed
    int m_eval[3] = {0, 0, 0};
    int m_extract = 0, m_prune = 0, m_distill = 0, m_studentEval = 0;
    QList<int> m_modelEvals;
    std::map<int, qint64> m_modelOfEval;
    QStringList m_problems;               ///< what went wrong outside a job  ///< evaluation job → the stored model it evaluates
    bool m_modelEvalsQueued = false, m_benchQueued = false;
};

} // namespace taskmoe::ui
