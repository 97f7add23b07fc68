// `taskmoe train|runs|metrics|cancel`: training jobs from a shell (or started by the
// workbench), with the store as the durable record and JSON lines on stdout as the live one.
#include "app/cli.h"
#include "usecases/distill.h"
#include "usecases/trainingdata.h"
#include "usecases/training.h"

#include "core/base/errors.h"
#include "core/data/sentencepiece.h"
#include "core/base/sha256.h"
#include "core/model/backend.h"
#include "core/base/text.h"
#include "core/config/trainconfig.h"
#include "core/distributed/communicator.h"
#include "core/train/trainer.h"
#include "db/store.h"
#include "protocol/jobevents.h"
#include "protocol/processes.h"

#include <QDateTime>
#include <QDir>
#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace taskmoe::app {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

std::atomic<bool> g_stopRequested{false};

extern "C" void requestStop(int)
{
    g_stopRequested = true;
}

void installStopHandlers()
{
    struct sigaction action{};
    action.sa_handler = requestStop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

/// One JSON object per line on stdout, flushed at once: the workbench reads it live.
void emitEvent(const protocol::JobEvent &event)
{
    emitJobEvent(event);
}

QString hostName() { return protocol::hostName(); }


// ---------------------------------------------------------------------------------------------
// Training on several processes (--nproc, --nnodes): this process is local rank 0 of its node
// and starts the others as children; rank 0 of node 0 records the run and tells the others.

/// The children this process started, by local rank, and how those that ended did.
struct LocalRanks
{
    std::mutex mutex;
    std::map<int, pid_t> pids;          ///< local rank → process
    std::map<int, QString> ended;       ///< global rank → how it ended (only abnormal ends)
    int firstRank = 0;                  ///< the global rank of local rank 0
};
LocalRanks g_localRanks;

/// "rank 1 (process 4242) was killed by signal 9; " for ranks of this node that died, or "".
QString deadRanksNote()
{
    std::lock_guard<std::mutex> lock(g_localRanks.mutex);
    QString note;
    for (const auto &[rank, how] : g_localRanks.ended)
        note += QStringLiteral("rank %1 %2; ").arg(rank).arg(how);
    return note;
}

/// Starts local ranks 1 … nproc − 1 as `taskmoe train` with the same arguments plus their local
/// rank and the rendezvous port; their standard output (job events) is dropped, their errors
/// reach this process's. A thread per child records how it ended.
void startLocalRanks(const QStringList &args, int nproc, int port)
{
    const QByteArray program = QFile::encodeName(QCoreApplication::applicationFilePath());
    for (int local = 1; local < nproc; ++local) {
        QStringList childArgs = args;
        childArgs[0] = QStringLiteral("train");
        childArgs << QStringLiteral("--local-rank") << QString::number(local) << QStringLiteral("--master-port")
                  << QString::number(port);
        std::vector<QByteArray> storage{program};
        for (const QString &a : childArgs)
            storage.push_back(a.toLocal8Bit());
        std::vector<char *> argv;
        for (auto &b : storage)
            argv.push_back(b.data());
        argv.push_back(nullptr);
        const pid_t pid = ::fork();
        if (pid < 0)
            throw CommandError(QStringLiteral("cannot start local rank %1: %2").arg(local).arg(QString::fromLocal8Bit(std::strerror(errno))));
        if (pid == 0) {
            const int null = ::open("/dev/null", O_WRONLY);
            if (null >= 0)
                ::dup2(null, STDOUT_FILENO);
            ::execv(program.constData(), argv.data());
            ::_exit(127);
        }
        {
            std::lock_guard<std::mutex> lock(g_localRanks.mutex);
            g_localRanks.pids[local] = pid;
        }
        std::thread([pid, local] {
            int status = 0;
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            std::lock_guard<std::mutex> lock(g_localRanks.mutex);
            const int rank = g_localRanks.firstRank + local;
            if (WIFSIGNALED(status))
                g_localRanks.ended[rank] = QStringLiteral("(process %1) was killed by signal %2").arg(pid).arg(WTERMSIG(status));
            else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
                g_localRanks.ended[rank] = QStringLiteral("(process %1) exited with status %2").arg(pid).arg(WEXITSTATUS(status));
            g_localRanks.pids.erase(local);
        }).detach();
    }
}

/// Waits (up to `seconds`) for the children to end; stops those still running after that.
void reapLocalRanks(double seconds)
{
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(qint64(seconds * 1000));
    for (;;) {
        {
            std::lock_guard<std::mutex> lock(g_localRanks.mutex);
            if (g_localRanks.pids.empty())
                return;
            if (std::chrono::steady_clock::now() > until) {
                for (const auto &[local, pid] : g_localRanks.pids)
                    ::kill(pid, SIGTERM);
                return;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

/// Marks this machine's runs whose process has died as interrupted.
void markInterruptedRuns(db::Store &store)
{
    store.markInterruptedRuns(protocol::hostName(), protocol::processAlive);
}

/// The newest checkpoint of a run whose model file still has its recorded size and SHA-256
/// and whose state file exists; older ones are the fallback.
db::CheckpointRecord lastGoodCheckpoint(const db::Store &store, qint64 runId)
{
    const auto all = store.checkpoints(runId);
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        const QString state = it->path.left(it->path.size() - 4) + QStringLiteral(".state");
        const QFileInfo model(it->path);
        if (!model.exists() || model.size() != it->bytes || !QFileInfo::exists(state)) {
            std::fprintf(stderr, "taskmoe: checkpoint at step %lld is missing or truncated (%s); trying an older one\n",
                         static_cast<long long>(it->step), it->path.toLocal8Bit().constData());
            continue;
        }
        if (qs(core::sha256File(it->path.toStdString())) != it->sha256) {
            std::fprintf(stderr, "taskmoe: checkpoint at step %lld does not match its SHA-256 (%s); trying an older one\n",
                         static_cast<long long>(it->step), it->path.toLocal8Bit().constData());
            continue;
        }
        return *it;
    }
    throw CommandError(QStringLiteral("run %1 has no usable checkpoint to resume from").arg(runId));
}

} // namespace

void addTrainConfigOptions(CommandLine &cli)
{
    cli.addOption({QStringLiteral("config"), QStringLiteral("The configuration (JSON with data, model, train)."),
                   QStringLiteral("file")});
    cli.addOption({QStringLiteral("preset"), QStringLiteral("Start from a preset (dense, token-moe, task-moe-target, "
                                                            "…-full, tiny, …)."),
                   QStringLiteral("name")});
    cli.addOption({QStringLiteral("set"), QStringLiteral("Override one key, e.g. model.experts=32 (repeatable)."),
                   QStringLiteral("key=value")});
    cli.addOption({QStringLiteral("minutes"),
                   QStringLiteral("Wall-clock budget: end the run (dev evaluation, checkpoint, finished) after M minutes; "
                                  "the same as --set train.max_minutes=M."),
                   QStringLiteral("M")});
}

core::TrainConfig trainConfigurationFrom(const CommandLine &cli, const QString &command)
{
    const QStringList overrides = cli.values(QStringLiteral("set"));
    core::TrainConfig config;
    if (cli.isSet(QStringLiteral("config")) && cli.isSet(QStringLiteral("preset")))
        throw UsageError(QStringLiteral("%1: give --config or --preset, not both").arg(command));
    if (cli.isSet(QStringLiteral("config"))) {
        const std::string path = cli.value(QStringLiteral("config")).toStdString();
        config = core::parseTrainConfig(core::readFile(path), path);
    } else if (cli.isSet(QStringLiteral("preset"))) {
        config = core::loadPreset(cli.value(QStringLiteral("preset")).toStdString(), core::defaultPresetDir());
    } else {
        std::string names;
        for (const auto &n : core::listPresets(core::defaultPresetDir()))
            names += (names.empty() ? "" : ", ") + n;
        throw UsageError(QStringLiteral("%1: give --config FILE or --preset NAME (presets: %2)").arg(command, qs(names)));
    }
    for (const QString &o : overrides)
        core::applyOverride(config, o.toStdString());
    if (cli.isSet(QStringLiteral("minutes")))
        core::applyOverride(config, "train.max_minutes=" + cli.value(QStringLiteral("minutes")).toStdString());
    return config;
}

namespace {

/// What a train command trains: a new run (kind, name; id 0) or a stopped run to resume.
struct RunPlan
{
    db::RunRecord run;
    core::TrainConfig config;
    std::string resumeState;   ///< "" for a new run
};

/// A new run from the options; its configuration (and memory estimate) checked before any
/// store is opened.
RunPlan newRunPlan(const CommandLine &cli)
{
    RunPlan plan;
    plan.config = trainConfigurationFrom(cli, QStringLiteral("train"));
    usecases::checkTrainingMemory(plan.config, core::availableMemoryBytes(), core::totalMemoryBytes());
    plan.run.kind = QStringLiteral("train");
    plan.run.name = cli.isSet(QStringLiteral("name")) ? cli.value(QStringLiteral("name")) : qs(plan.config.preset);
    return plan;
}

/// Run `runId` to resume from its last good checkpoint: a training run, not finished and not
/// still running (CommandError saying which, else).
RunPlan resumePlan(db::Store &store, qint64 runId)
{
    RunPlan plan;
    plan.run = store.run(runId);
    const db::RunRecord &run = plan.run;
    if (run.kind != QLatin1String("train") && run.kind != QLatin1String("student"))
        throw CommandError(QStringLiteral("run %1 is a %2 run, not a training run").arg(run.id).arg(run.kind));
    if (run.status == db::RunStatus::Finished)
        throw CommandError(QStringLiteral("run %1 has finished; there is nothing to resume").arg(run.id));
    markInterruptedRuns(store);
    if (store.run(run.id).status == db::RunStatus::Running)
        throw CommandError(QStringLiteral("run %1 is still running (process %2 on %3); cancel it first")
                               .arg(run.id).arg(run.pid).arg(run.host));
    plan.config = core::parseTrainConfig(run.configJson.toStdString(), "run " + std::to_string(run.id));
    const db::CheckpointRecord checkpoint = lastGoodCheckpoint(store, run.id);
    plan.resumeState = (checkpoint.path.left(checkpoint.path.size() - 4) + QStringLiteral(".state")).toStdString();
    return plan;
}

/// `taskmoe train`'s training of one run (usecases::trainRecordedRun): job events on stdout,
/// notes and a status line on stderr, SIGINT/SIGTERM stop it like a cancel once it started.
int trainRun(db::Store &store, const core::TrainConfig &config, const db::RunRecord &run, const std::string &resumeState,
             int threads, core::Communicator *comm = nullptr)
{
    const bool terminal = ::isatty(STDERR_FILENO);
    usecases::TrainingHooks hooks;
    hooks.event = [](const protocol::JobEvent &event) {
        emitEvent(event);
        if (event.type == protocol::JobEventType::Started)
            installStopHandlers();   // from here a stop checkpoints the run
    };
    hooks.notes = printNote;
    hooks.stopRequested = [] { return g_stopRequested.load(); };
    hooks.progress = [terminal](const core::TrainProgress &p) {
        if (terminal && p.hasReport)
            std::fprintf(stderr, "\rstep %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  eta %.0f s   ",
                         static_cast<long long>(p.step), static_cast<long long>(p.totalSteps), p.loss, p.lr,
                         p.tokensPerSecond, p.etaSeconds);
    };
    hooks.failureNote = [comm] {
        if (!comm)
            return QString();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));   // a dead rank's watcher records how it ended
        return deadRanksNote();
    };
    usecases::trainRecordedRun(store, config, run, resumeState, threads, comm, hooks);
    if (terminal)
        std::fputc('\n', stderr);
    return ExitOk;
}

/// `train --nproc N [--nnodes M --node-rank K --master-addr A --master-port P]`: this process
/// is local rank 0 of its machine; it starts the others, joins the group, and — as rank 0 of
/// machine 0 — trains and records the run like a single process, else trains as a worker.
int trainParallel(const CommandLine &cli, const QStringList &args, int nproc, int nnodes)
{
    const int nodeRank = int(cli.intValue(QStringLiteral("node-rank"), 0, nnodes - 1));
    const int local = cli.isSet(QStringLiteral("local-rank")) ? int(cli.intValue(QStringLiteral("local-rank"), 0, nproc - 1)) : 0;
    const QString address = cli.value(QStringLiteral("master-addr"));
    if (cli.value(QStringLiteral("device")) != QLatin1String("cpu"))
        throw UsageError(QStringLiteral("train: --nproc/--nnodes train on the CPU (Gloo); drop --device"));
    core::RendezvousOptions rendezvous;
    rendezvous.masterAddr = address.toStdString();
    rendezvous.masterPort = cli.isSet(QStringLiteral("master-port")) ? int(cli.intValue(QStringLiteral("master-port"), 1, 65535))
                            : nnodes == 1                             ? core::freeLocalPort()
                                                                      : 29500;
    rendezvous.world = nproc * nnodes;
    rendezvous.rank = nodeRank * nproc + local;
    rendezvous.timeout = std::chrono::milliseconds(qint64(cli.doubleValue(QStringLiteral("comm-timeout"), 1, 86400) * 1000));
    const bool resuming = cli.isSet(QStringLiteral("resume"));
    if (local == 0) {
        g_localRanks.firstRank = rendezvous.rank;
        startLocalRanks(args, nproc, rendezvous.masterPort);
    }
    installStopHandlers();
    std::unique_ptr<core::Communicator> comm;
    try {
        comm = std::make_unique<core::Communicator>(rendezvous);
    } catch (const core::CommunicationError &e) {
        reapLocalRanks(5);
        throw CommandError(deadRanksNote() + QString::fromUtf8(e.what()));
    }
    if (rendezvous.rank == 0) {
        // As a single process would, with the group: the run, its store rows and train.log.
        try {
            const qint64 resumeId = resuming ? cli.intValue(QStringLiteral("resume"), 1, std::numeric_limits<qint64>::max()) : 0;
            RunPlan plan;
            if (!resuming) {
                plan = newRunPlan(cli);
                if (cli.isSet(QStringLiteral("expert-parallel"))) {
                    if (plan.config.model.experts % rendezvous.world != 0)
                        throw UsageError(QStringLiteral("train: --expert-parallel needs the experts (%1) to split evenly over "
                                                        "the %2 ranks").arg(plan.config.model.experts).arg(rendezvous.world));
                    plan.config.train.expertParallel = 1;
                }
            }
            auto store = cli.openStore(resuming ? CommandLine::StoreAccess::MustExist : CommandLine::StoreAccess::CreateIfMissing);
            if (resuming)
                plan = resumePlan(*store, resumeId);
            const int status = trainRun(*store, plan.config, plan.run, plan.resumeState, cli.threads(), comm.get());
            reapLocalRanks(60);
            return status;
        } catch (...) {
            comm->set("run", "{}");   // ranks still waiting for the run learn that there is none
            reapLocalRanks(5);
            throw;
        }
    }

    // Another rank: the run rank 0 recorded, the same data, and a log of its own.
    const QJsonObject announced = QJsonDocument::fromJson(QByteArray::fromStdString(comm->get("run"))).object();
    if (!announced.contains(QStringLiteral("run")))
        throw CommandError(QStringLiteral("rank %1: rank 0 did not start the run").arg(rendezvous.rank));
    auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    const db::RunRecord run = store->run(announced.value(QStringLiteral("run")).toInteger());
    core::TrainConfig config = core::parseTrainConfig(run.configJson.toStdString(), "run " + std::to_string(run.id));
    const QString folder = announced.value(QStringLiteral("folder")).toString();
    usecases::RunLog log(folder, QStringLiteral("rank-%1.log").arg(rendezvous.rank));
    log.line(QStringLiteral("rank %1 of %2 of run %3 (process %4 on %5)")
                 .arg(rendezvous.rank).arg(rendezvous.world).arg(run.id).arg(::getpid()).arg(hostName()));
    usecases::PreparedData prepared =
        usecases::prepareTrainingData(*store, config, cli.threads(), [&log](const QString &note) { log.line(note); });
    store.reset();   // rank 0 alone writes the store
    core::TrainHooks hooks;
    hooks.progress = [&](const core::TrainProgress &p) {
        if (p.hasReport && !p.ranks.empty()) {
            const auto &mine = p.ranks[std::size_t(rendezvous.rank)];
            log.line(QStringLiteral("step %1/%2  loss %3  step %4 ms, of which communication %5 ms (%6 %), %7 MB sent; "
                                    "holds %8 MB of parameters and optimiser state")
                         .arg(p.step).arg(p.totalSteps).arg(p.loss, 0, 'f', 4).arg(mine.stepSeconds * 1000, 0, 'f', 1)
                         .arg(mine.commSeconds * 1000, 0, 'f', 1)
                         .arg(mine.stepSeconds > 0 ? 100 * mine.commSeconds / mine.stepSeconds : 0, 0, 'f', 1)
                         .arg(mine.bytesPerStep / 1e6, 0, 'f', 2).arg(mine.stateBytes / 1e6, 0, 'f', 1));
        }
        return true;
    };
    hooks.stopRequested = [] { return g_stopRequested.load(); };
    try {
        const auto result = core::train(config, prepared.data, folder.toStdString(),
                                        announced.value(QStringLiteral("resume")).toString().toStdString(), hooks, comm.get());
        log.line(QStringLiteral("ended at step %1").arg(result.lastStep));
    } catch (const std::exception &e) {
        log.line(QStringLiteral("failed: ") + QString::fromUtf8(e.what()));
        reapLocalRanks(5);
        throw CommandError(QString::fromUtf8(e.what()));
    }
    reapLocalRanks(60);
    return ExitOk;
}

int trainCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("train"), QStringLiteral("train a model from a configuration or a preset"));
    cli.addDbOption();
    cli.addThreadsOption();
    addTrainConfigOptions(cli);
    cli.addOption({QStringLiteral("name"), QStringLiteral("A name for the run (stored verbatim)."), QStringLiteral("name")});
    cli.addOption({QStringLiteral("resume"), QStringLiteral("Continue this run from its last good checkpoint."),
                   QStringLiteral("run")});
    cli.addOption({QStringLiteral("device"), QStringLiteral("cpu (default) or cuda."), QStringLiteral("device"),
                   QStringLiteral("cpu")});
    cli.addOption({QStringLiteral("nproc"),
                   QStringLiteral("Train on this many processes of this machine (data parallel over c10d/Gloo; default 1)."),
                   QStringLiteral("n"), QStringLiteral("1")});
    cli.addOption({QStringLiteral("nnodes"), QStringLiteral("Machines taking part, each running the same command (default 1)."),
                   QStringLiteral("n"), QStringLiteral("1")});
    cli.addOption({QStringLiteral("node-rank"), QStringLiteral("This machine's number among --nnodes, 0 first (default 0)."),
                   QStringLiteral("k"), QStringLiteral("0")});
    cli.addOption({QStringLiteral("master-addr"),
                   QStringLiteral("Address of machine 0, where rank 0 serves the rendezvous (default 127.0.0.1)."),
                   QStringLiteral("address"), QStringLiteral("127.0.0.1")});
    cli.addOption({QStringLiteral("master-port"),
                   QStringLiteral("Its TCP port (default: a free port on one machine, 29500 across machines)."),
                   QStringLiteral("port")});
    cli.addOption({QStringLiteral("expert-parallel"),
                   QStringLiteral("With --nproc/--nnodes: each rank computes E/N experts of every MoE layer and token copies "
                                  "travel to their expert's rank (train.expert_parallel=1).")});
    cli.addOption({QStringLiteral("comm-timeout"),
                   QStringLiteral("Seconds a rank waits for the others (rendezvous, collectives) before the run fails "
                                  "(default 300)."),
                   QStringLiteral("seconds"), QStringLiteral("300")});
    QCommandLineOption localRank(QStringLiteral("local-rank"), QStringLiteral("(set by the launcher)"), QStringLiteral("r"));
    localRank.setFlags(QCommandLineOption::HiddenFromHelp);
    cli.addOption(localRank);
    if (!cli.parse(args))
        return ExitOk;
    const int nproc = int(cli.intValue(QStringLiteral("nproc"), 1, 256));
    const int nnodes = int(cli.intValue(QStringLiteral("nnodes"), 1, 4096));
    if (cli.isSet(QStringLiteral("expert-parallel")) && nproc * nnodes == 1)
        throw UsageError(QStringLiteral("train: --expert-parallel needs several ranks (--nproc or --nnodes)"));
    if (nproc * nnodes > 1)
        return trainParallel(cli, args, nproc, nnodes);

    const QString device = cli.value(QStringLiteral("device"));
    if (device != QLatin1String("cpu") && device != QLatin1String("cuda"))
        throw UsageError(QStringLiteral("train: --device must be cpu or cuda (got '%1')").arg(device));
    if (device == QLatin1String("cuda")) {
        // Refused before anything is read or written. The MoE layer's experts run on our own
        // CPU threads with the BLAS library, so there is no GPU code path to fall back on.
        if (core::cudaDeviceCount() == 0)
            throw CommandError(QStringLiteral("--device cuda: this LibTorch build has no CUDA support or sees no GPU "
                                              "(Debian's libtorch is CPU-only); use --device cpu"));
        throw CommandError(QStringLiteral("--device cuda: %1 CUDA device(s) found, but training on a GPU is not "
                                          "implemented yet (the MoE experts run on CPU threads); use --device cpu")
                               .arg(core::cudaDeviceCount()));
    }
    const bool resuming = cli.isSet(QStringLiteral("resume"));
    if (resuming && (cli.isSet(QStringLiteral("config")) || cli.isSet(QStringLiteral("preset")) || cli.isSet(QStringLiteral("set"))
                     || cli.isSet(QStringLiteral("minutes"))))
        throw UsageError(QStringLiteral("train: --resume continues a run with its own configuration; drop --config, --preset, "
                                        "--set and --minutes"));

    RunPlan plan;
    if (!resuming)
        plan = newRunPlan(cli);   // every check before the store is even opened
    auto store = cli.openStore(resuming ? CommandLine::StoreAccess::MustExist : CommandLine::StoreAccess::CreateIfMissing);
    if (resuming)
        plan = resumePlan(*store, cli.intValue(QStringLiteral("resume"), 1, std::numeric_limits<qint64>::max()));
    return trainRun(*store, plan.config, plan.run, plan.resumeState, cli.threads());
}

int distillCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("distill"),
                    QStringLiteral("train a dense student on a finished teacher run's data: the teacher's distribution "
                                   "mixed into the reference (word level), optionally its translations (sequence level)"));
    cli.addDbOption();
    cli.addThreadsOption();
    cli.addOption({QStringLiteral("teacher"), QStringLiteral("The teacher run (finished)."), QStringLiteral("run")});
    cli.addOption({QStringLiteral("checkpoint"),
                   QStringLiteral("The teacher's checkpoint step, or best; default: best when it has dev BLEU, else newest."),
                   QStringLiteral("step")});
    cli.addOption({QStringLiteral("student-preset"),
                   QStringLiteral("The student's preset (e.g. dense-student: dense, as costly per token as a task "
                                  "sub-network)."),
                   QStringLiteral("name")});
    cli.addOption({QStringLiteral("alpha"), QStringLiteral("Weight of the teacher's distribution in the target (default 0.5)."),
                   QStringLiteral("a"), QStringLiteral("0.5")});
    cli.addOption({QStringLiteral("sequence-level"),
                   QStringLiteral("Also replace the targets of the first N training sentences of each direction by the "
                                  "teacher's beam-4 translations."),
                   QStringLiteral("N")});
    cli.addOption({QStringLiteral("set"), QStringLiteral("Override one key of the student, e.g. train.seed=2 (repeatable)."),
                   QStringLiteral("key=value")});
    cli.addOption({QStringLiteral("minutes"), QStringLiteral("Wall-clock budget of the student (train.max_minutes)."),
                   QStringLiteral("M")});
    cli.addOption({QStringLiteral("name"), QStringLiteral("A name for the student run."), QStringLiteral("name")});
    if (!cli.parse(args))
        return ExitOk;
    if (!cli.isSet(QStringLiteral("teacher")) || !cli.isSet(QStringLiteral("student-preset")))
        throw UsageError(QStringLiteral("distill: --teacher RUN and --student-preset NAME are required"));
    usecases::DistillRequest request;
    request.teacherRunId = cli.intValue(QStringLiteral("teacher"), 1, std::numeric_limits<qint64>::max());
    if (cli.isSet(QStringLiteral("checkpoint")))
        request.checkpoint = usecases::parseCheckpointChoice(cli.value(QStringLiteral("checkpoint")));
    request.student = core::loadPreset(cli.value(QStringLiteral("student-preset")).toStdString(), core::defaultPresetDir());
    for (const QString &o : cli.values(QStringLiteral("set")))
        core::applyOverride(request.student, o.toStdString());
    if (cli.isSet(QStringLiteral("minutes")))
        core::applyOverride(request.student, "train.max_minutes=" + cli.value(QStringLiteral("minutes")).toStdString());
    bool ok = false;
    request.alpha = cli.value(QStringLiteral("alpha")).toDouble(&ok);
    if (!ok)
        throw UsageError(QStringLiteral("distill: --alpha must be a number between 0 and 1"));
    if (cli.isSet(QStringLiteral("sequence-level")))
        request.sequenceSentences = cli.intValue(QStringLiteral("sequence-level"), 1, 100000000);
    auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    const usecases::StudentPlan plan = usecases::planStudent(*store, request);
    usecases::checkTrainingMemory(plan.config, core::availableMemoryBytes(), core::totalMemoryBytes());
    printNote(QStringLiteral("student of run %1 (%2) at step %3: %4 parameters against the teacher's %5, alpha %6%7")
                  .arg(plan.teacher.id).arg(plan.teacher.name).arg(plan.teacherCheckpoint.step)
                  .arg(plan.studentParameters).arg(plan.teacherParameters).arg(request.alpha)
                  .arg(request.sequenceSentences > 0
                           ? QStringLiteral(", the teacher's translations of %1 sentences per direction").arg(request.sequenceSentences)
                           : QString()));
    db::RunRecord run;
    run.kind = QStringLiteral("student");
    run.parentRunId = plan.teacher.id;
    run.name = cli.isSet(QStringLiteral("name")) ? cli.value(QStringLiteral("name"))
                                                 : QStringLiteral("%1-student-of-%2").arg(qs(plan.config.preset)).arg(plan.teacher.id);
    return trainRun(*store, plan.config, run, {}, cli.threads());
}

int runsCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("runs"), QStringLiteral("list the runs in the store"));
    cli.addDbOption();
    cli.addFormatOption();
    if (!cli.parse(args))
        return ExitOk;
    auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    markInterruptedRuns(*store);
    ResultTable table({QStringLiteral("id"), QStringLiteral("name"), QStringLiteral("preset"), QStringLiteral("routing"),
                       QStringLiteral("status"), QStringLiteral("steps"), QStringLiteral("last_loss"),
                       QStringLiteral("started")});
    for (const auto &run : store->runs()) {
        const QJsonObject config = QJsonDocument::fromJson(run.configJson.toUtf8()).object();
        const QJsonObject model = config.value(QStringLiteral("model")).toObject();
        const QString routing = model.isEmpty() ? QString()
                                                : model.value(QStringLiteral("encoder_routing")).toString() + QLatin1Char('/')
                                                      + model.value(QStringLiteral("decoder_routing")).toString();
        const auto loss = store->metrics(run.id, QStringLiteral("loss"));
        table.addRow({run.id, run.name, run.preset, routing, db::runStatusName(run.status),
                      loss.empty() ? QVariant(qint64(0)) : QVariant(qint64(loss.back().step)),
                      loss.empty() ? QVariant() : QVariant(loss.back().value), run.startedAt.toString(Qt::ISODate)});
    }
    table.print(cli.format());
    return ExitOk;
}

int metricsCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("metrics"), QStringLiteral("export a run's metrics"));
    cli.addDbOption();
    cli.addFormatOption();
    cli.addOption({QStringLiteral("run"), QStringLiteral("The run."), QStringLiteral("id")});
    cli.addOption({QStringLiteral("key"), QStringLiteral("Only this metric (e.g. loss, dev_loss, enc.1.entropy)."),
                   QStringLiteral("key")});
    if (!cli.parse(args))
        return ExitOk;
    if (!cli.isSet(QStringLiteral("run")))
        throw UsageError(QStringLiteral("metrics: --run N is required"));
    auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    const db::RunRecord run = store->run(cli.intValue(QStringLiteral("run"), 1, std::numeric_limits<qint64>::max()));
    const QString key = cli.value(QStringLiteral("key"));
    const auto points = store->metrics(run.id, key);
    if (!key.isEmpty() && points.empty())
        throw CommandError(QStringLiteral("run %1 has no metric '%2' (it has: %3)")
                               .arg(run.id).arg(key, store->metricKeys(run.id).join(QStringLiteral(", "))));
    ResultTable table({QStringLiteral("run"), QStringLiteral("step"), QStringLiteral("key"), QStringLiteral("value"),
                       QStringLiteral("wall_time")});
    for (const auto &p : points)
        table.addRow({p.runId, p.step, p.key, p.value, p.wallTime});
    table.print(cli.format());
    return ExitOk;
}

int cancelCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("cancel"), QStringLiteral("stop a running training job gracefully (checkpoint first)"));
    cli.addDbOption();
    cli.addOption({QStringLiteral("run"), QStringLiteral("The run."), QStringLiteral("id")});
    if (!cli.parse(args))
        return ExitOk;
    if (!cli.isSet(QStringLiteral("run")))
        throw UsageError(QStringLiteral("cancel: --run N is required"));
    auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    const qint64 runId = cli.intValue(QStringLiteral("run"), 1, std::numeric_limits<qint64>::max());
    store->run(runId);   // names the id when there is no such run
    markInterruptedRuns(*store);
    const db::RunRecord run = store->run(runId);
    if (run.status != db::RunStatus::Running)
        throw CommandError(QStringLiteral("run %1 is not running (status %2)").arg(run.id).arg(db::runStatusName(run.status)));
    if (run.host != hostName())
        throw CommandError(QStringLiteral("run %1 runs on %2, not on this machine").arg(run.id).arg(run.host));
    if (::kill(static_cast<pid_t>(run.pid), SIGTERM) != 0)
        throw CommandError(QStringLiteral("cannot signal process %1 of run %2").arg(run.pid).arg(run.id));
    std::fprintf(stderr, "taskmoe: asked run %lld (process %lld) to checkpoint and stop\n", static_cast<long long>(run.id),
                 static_cast<long long>(run.pid));
    return ExitOk;
}

} // namespace

int runTrain(const QStringList &args)
{
    QStringList rest = args;
    const QString command = rest.takeAt(1);
    if (command == QLatin1String("train"))
        return trainCommand(rest);
    if (command == QLatin1String("runs"))
        return runsCommand(rest);
    if (command == QLatin1String("metrics"))
        return metricsCommand(rest);
    if (command == QLatin1String("distill"))
        return distillCommand(rest);
    return cancelCommand(rest);
}

} // namespace taskmoe::app
