#pragma once
/// Training a run as `taskmoe train` does it, without the command line: the run recorded in the
/// store (or a stopped one reopened), its data prepared, the trainer driven with its metrics,
/// checkpoints, routing of the dev sample and log written as they come, and the run marked
/// finished, cancelled or failed. The job events the workbench follows go to a hook; the
/// program prints them.
#include "core/config/trainconfig.h"
#include "db/records.h"
#include "protocol/jobevents.h"
#include "usecases/common.h"

#include <QString>

#include <cstdio>
#include <functional>
#include <string>

namespace taskmoe::core {
class Communicator;
struct TrainProgress;
}
namespace taskmoe::db {
class Store;
}

namespace taskmoe::usecases {

/// A run's human-readable log in its folder (`train.log`; `rank-N.log` for the other ranks of
/// a run on several processes): appended by every process that trains the run (a resumed run
/// continues the same file), one timestamped line at a time and flushed, so the workbench can
/// show its tail while the run goes on — whoever started it.
class RunLog
{
public:
    explicit RunLog(const QString &folder, const QString &name = QStringLiteral("train.log"));
    ~RunLog();
    RunLog(const RunLog &) = delete;
    RunLog &operator=(const RunLog &) = delete;

    void line(const QString &text);

private:
    std::FILE *m_file = nullptr;
};

/// What rank 0 of a run on several processes tells the others once the run is recorded (a JSON
/// object: run, dataset, vocabulary, folder, resume).
QString runAnnouncement(qint64 run, qint64 dataset, qint64 vocabulary, const QString &folder, const std::string &resumeState);

struct TrainingHooks
{
    /// Every job event (started, progress, checkpoint, and how the run ended).
    std::function<void(const protocol::JobEvent &)> event;
    /// Long preparation steps (a corpus or a vocabulary made on first use).
    Notes notes;
    /// Asked at every step; true ends the run like a cancel (dev evaluation, checkpoint).
    std::function<bool()> stopRequested;
    /// Each progress report as it comes (the command line draws a status line from it).
    std::function<void(const core::TrainProgress &)> progress;
    /// Put before the cause of a failure (the command line names the ranks that died).
    std::function<QString()> failureNote;
};

/// Trains `config` as run `run`: a new run (id 0; its kind, name and parent set by the caller)
/// recorded in the store, or the stopped run `run` resumed from the checkpoint state
/// `resumeState`. With `comm`, as rank 0 of a run on several processes: the other ranks learn
/// the run through the rendezvous (runAnnouncement). Returns the run's final status (finished or
/// cancelled); a training that fails marks the run failed with its cause and throws
/// UseCaseError with it.
db::RunStatus trainRecordedRun(db::Store &store, core::TrainConfig config, db::RunRecord run, const std::string &resumeState,
                               int threads, core::Communicator *comm, const TrainingHooks &hooks);

} // namespace taskmoe::usecases
