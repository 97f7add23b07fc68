#include "usecases/training.h"

#include "usecases/evaluate.h"   // routingStatRows
#include "usecases/trainingdata.h"
#include "usecases/trainingmetrics.h"

#include "core/distributed/communicator.h"
#include "core/train/trainer.h"
#include "db/store.h"
#include "protocol/processes.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <vector>

#include <unistd.h>

namespace taskmoe::usecases {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

} // namespace

RunLog::RunLog(const QString &folder, const QString &name)
{
    QDir().mkpath(folder);
    m_file = std::fopen(QFile::encodeName(folder + QLatin1Char('/') + name).constData(), "a");
}

RunLog::~RunLog()
{
    if (m_file)
        std::fclose(m_file);
}

void RunLog::line(const QString &text)
{
    if (!m_file)
        return;   // a log that cannot be written must not stop training; checkpoints will say so
    const QByteArray bytes =
        (QDateTime::currentDateTimeUtc().toString(Qt::ISODate) + QLatin1Char(' ') + text + QLatin1Char('\n')).toUtf8();
    std::fwrite(bytes.constData(), 1, static_cast<std::size_t>(bytes.size()), m_file);
    std::fflush(m_file);
}

QString runAnnouncement(qint64 run, qint64 dataset, qint64 vocabulary, const QString &folder, const std::string &resumeState)
{
    return QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("run"), run},
                                                       {QStringLiteral("dataset"), dataset},
                                                       {QStringLiteral("vocabulary"), vocabulary},
                                                       {QStringLiteral("folder"), folder},
                                                       {QStringLiteral("resume"), qs(resumeState)}})
                                 .toJson(QJsonDocument::Compact));
}

db::RunStatus trainRecordedRun(db::Store &store, core::TrainConfig config, db::RunRecord run, const std::string &resumeState,
                               int threads, core::Communicator *comm, const TrainingHooks &trainingHooks)
{
    const auto emitEvent = [&](const protocol::JobEvent &event) {
        if (trainingHooks.event)
            trainingHooks.event(event);
    };
    const bool resuming = !resumeState.empty();
    // Checkpoints must be writable before a run is recorded (or a stopped one reopened).
    const QString runsRoot = db::Store::runsFolder(store.path());
    {
        QDir().mkpath(runsRoot);
        QFile probe(runsRoot + QStringLiteral("/.write-test-%1").arg(::getpid()));
        if (!QFileInfo(runsRoot).isDir() || !probe.open(QIODevice::WriteOnly))
            throw UseCaseError(QStringLiteral("%1: cannot write checkpoints here (%2)")
                                   .arg(runsRoot, QFileInfo(runsRoot).exists() && !QFileInfo(runsRoot).isDir()
                                                      ? QStringLiteral("it is a file, not a folder")
                                                      : probe.errorString()));
        probe.close();
        probe.remove();
    }
    PreparedData prepared = prepareTrainingData(store, config, threads, trainingHooks.notes);
    // The run's stored configuration names exactly what it trained on, so that --resume
    // (and anyone reading the run later) gets the same dataset and vocabulary back, not
    // "the newest one of this size" — SentencePiece may give fewer pieces than asked for.
    config.data.dataset = prepared.datasetId;
    config.data.vocabulary = prepared.vocabularyId;

    if (!resuming) {
        run.preset = qs(config.preset);
        run.datasetId = prepared.datasetId;
        run.configJson = qs(core::trainConfigToJson(config, -1));
        run.status = db::RunStatus::Running;
        run.pid = ::getpid();
        run.host = protocol::hostName();
        run.startedAt = QDateTime::currentDateTimeUtc();
        run.id = store.addRun(run);
    } else {
        store.updateRunProcess(run.id, ::getpid(), protocol::hostName());
    }
    const QString checkpointDir = resuming ? store.runFolderOf(run.id) : db::Store::runFolder(store.path(), run.id);
    if (comm)
        comm->set("run", runAnnouncement(run.id, prepared.datasetId, prepared.vocabularyId, checkpointDir, resumeState)
                             .toStdString());
    RunLog log(checkpointDir);
    if (comm)
        log.line(QStringLiteral("%1 on %2 ranks; rank 0 is process %3 on %4, the other ranks log to rank-N.log here")
                     .arg(config.train.expertParallel ? QStringLiteral("expert and data parallel") : QStringLiteral("data parallel"))
                     .arg(comm->world()).arg(::getpid()).arg(protocol::hostName()));
    log.line(resuming ? QStringLiteral("resuming run %1 from %2 (process %3 on %4)")
                            .arg(run.id).arg(qs(resumeState)).arg(::getpid()).arg(protocol::hostName())
                      : QStringLiteral("started run %1 '%2': preset %3, %4/%5 routing, %6 steps, dataset %7, vocabulary %8 "
                                       "(process %9 on %10)")
                            .arg(run.id).arg(run.name, qs(config.preset), qs(core::routingName(config.model.encoderRouting)),
                                 qs(core::routingName(config.model.decoderRouting)))
                            .arg(config.train.steps).arg(prepared.datasetId).arg(prepared.vocabularyId).arg(::getpid())
                            .arg(protocol::hostName()));

    {
        protocol::JobEvent started;
        started.type = protocol::JobEventType::Started;
        started.run = run.id;
        started.resumed = resuming;
        started.pid = qint64(::getpid());
        started.steps = qint64(config.train.steps);
        started.preset = qs(config.preset);
        started.dataset = prepared.datasetId;
        started.vocabulary = prepared.vocabularyId;
        started.encoderRouting = qs(core::routingName(config.model.encoderRouting));
        started.decoderRouting = qs(core::routingName(config.model.decoderRouting));
        started.checkpoints = checkpointDir;
        emitEvent(started);
    }

    core::TrainHooks hooks;
    // The routing of the latest dev evaluation, stored with the checkpoint of the same step.
    std::int64_t devRoutingStep = -1;
    std::vector<core::LayerCounts> devRouting;
    hooks.progress = [&](const core::TrainProgress &p) {
        if (!p.devRouting.empty()) {
            devRoutingStep = p.step;
            devRouting = p.devRouting;
        }
        const double wall = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
        const std::vector<db::MetricPoint> points = progressMetrics(run.id, p, wall);
        protocol::JobEvent event;
        event.type = protocol::JobEventType::Progress;
        event.run = run.id;
        event.step = qint64(p.step);
        event.steps = qint64(p.totalSteps);
        if (p.hasReport) {
            event.loss = p.loss;
            event.ce = p.ce;
            event.balance = p.balance;
            event.lr = p.lr;
            event.gradNorm = p.gradNorm;
            event.tokensPerSecond = p.tokensPerSecond;
            event.etaSeconds = p.etaSeconds;
            QVector<protocol::LayerReport> layers;
            for (const auto &l : p.layers)
                layers.push_back({qs(l.name), l.entropy, l.droppedFraction});
            event.layers = layers;
        }
        if (p.hasDev) {
            event.devLoss = p.devLoss;
            if (std::isfinite(p.devBleu)) {
                event.devBleu = p.devBleu;
                QVector<std::pair<QString, double>> perPair;
                for (const auto &[pair, bleu] : p.devBleuTasks)
                    perPair.push_back({qs(pair), bleu});
                event.devBleuPairs = perPair;
            }
        }
        event.elapsedSeconds = p.elapsedSeconds;
        store.addMetrics(points);
        emitEvent(event);
        if (p.hasReport)
            log.line(QStringLiteral("step %1/%2  loss %3  ce %4  balance %5  lr %6  grad-norm %7  %8 tok/s  eta %9 s")
                         .arg(p.step).arg(p.totalSteps).arg(p.loss, 0, 'f', 4).arg(p.ce, 0, 'f', 4)
                         .arg(p.balance, 0, 'f', 4).arg(p.lr, 0, 'e', 2).arg(p.gradNorm, 0, 'f', 3)
                         .arg(p.tokensPerSecond, 0, 'f', 0).arg(p.etaSeconds, 0, 'f', 0));
        if (p.hasDev)
            log.line(QStringLiteral("step %1/%2  dev cross-entropy %3").arg(p.step).arg(p.totalSteps).arg(p.devLoss, 0, 'f', 4)
                     + (std::isfinite(p.devBleu) ? QStringLiteral("  dev BLEU %1 (greedy, %2 sentences per direction, %3 s)")
                                                       .arg(p.devBleu, 0, 'f', 2).arg(config.train.devBleuSentences)
                                                       .arg(p.devSeconds, 0, 'f', 1)
                                                 : QString()));
        if (trainingHooks.progress)
            trainingHooks.progress(p);
        return true;
    };
    hooks.checkpoint = [&](const core::CheckpointInfo &c) {
        const db::CheckpointRecord checkpoint{0, run.id, c.step, qs(c.modelPath), qs(c.modelSha256), c.modelBytes, {}};
        const qint64 checkpointId = store.addCheckpoint(checkpoint);
        if (devRoutingStep == c.step) {
            // Where the dev sample's tokens went at this checkpoint: the Routing tab's slider
            // walks these to show experts specialising during training.
            db::CheckpointRecord stored = checkpoint;
            stored.id = checkpointId;
            const qint64 model = store.checkpointModel(stored, {});
            std::vector<std::size_t> pairs;
            const std::size_t experts = std::size_t(config.model.experts);
            for (std::size_t p = 0; p < prepared.data.tasks.pairs.size(); ++p) {
                std::int64_t tokens = 0;
                for (std::size_t e = 0; e < experts && !devRouting.empty(); ++e)
                    tokens += devRouting.front().cells[p * experts + e].topk;
                if (tokens > 0)
                    pairs.push_back(p);
            }
            store.replaceRoutingStats(model, c.step,
                                      routingStatRows(devRouting, prepared.data.tasks, pairs, model, c.step));
        }
        protocol::JobEvent written;
        written.type = protocol::JobEventType::Checkpoint;
        written.run = run.id;
        written.step = qint64(c.step);
        written.path = qs(c.modelPath);
        emitEvent(written);
        log.line(QStringLiteral("checkpoint at step %1: %2 (%3 bytes)").arg(c.step).arg(qs(c.modelPath)).arg(c.modelBytes));
    };
    hooks.stopRequested = [&] { return trainingHooks.stopRequested && trainingHooks.stopRequested(); };

    core::TrainResult result;
    try {
        result = core::train(config, prepared.data, checkpointDir.toStdString(), resumeState, hooks, comm);
    } catch (const std::exception &e) {
        // A rank that died shows as a failed collective here: the hook names it.
        const QString cause = (trainingHooks.failureNote ? trainingHooks.failureNote() : QString()) + QString::fromUtf8(e.what());
        store.updateRunStatus(run.id, db::RunStatus::Failed, cause);
        log.line(QStringLiteral("failed: ") + cause);
        protocol::JobEvent failed;
        failed.type = protocol::JobEventType::Failed;
        failed.run = run.id;
        failed.error = cause;
        emitEvent(failed);
        throw UseCaseError(cause);
    }
    const db::RunStatus final = result.stopped ? db::RunStatus::Cancelled : db::RunStatus::Finished;
    store.updateRunStatus(run.id, final);
    const QString status = db::runStatusName(final);
    log.line(QStringLiteral("%1 at step %2").arg(status).arg(result.lastStep)
             + (result.budgetUsed ? QStringLiteral(" (the time budget of %1 minutes is used up)").arg(config.train.maxMinutes)
                                  : QString())
             + (std::isfinite(result.lastDevLoss) ? QStringLiteral(", dev cross-entropy %1").arg(result.lastDevLoss, 0, 'f', 4)
                                                  : QString()));
    protocol::JobEvent done;
    done.type = result.stopped ? protocol::JobEventType::Cancelled : protocol::JobEventType::Finished;
    done.run = run.id;
    done.step = qint64(result.lastStep);
    done.checkpoint = qs(result.lastCheckpointModel);
    if (std::isfinite(result.lastDevLoss))
        done.devLoss = result.lastDevLoss;
    if (result.budgetUsed)
        done.budgetUsed = true;
    emitEvent(done);
    return final;
}


} // namespace taskmoe::usecases
