// `taskmoe train|runs|metrics|cancel`: training jobs from a shell (or started by the
// workbench), with the store as the durable record and JSON lines on stdout as the live one.
#include "app/cli.h"
#include "app/datasets.h"

#include "core/errors.h"
#include "core/sentencepiece.h"
#include "core/sha256.h"
#include "core/system.h"
#include "core/text.h"
#include "core/trainconfig.h"
#include "core/trainer.h"
#include "db/store.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <map>
#include <set>

#include <sys/types.h>
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
void emitEvent(const QJsonObject &event)
{
    const QByteArray line = QJsonDocument(event).toJson(QJsonDocument::Compact);
    std::fwrite(line.constData(), 1, static_cast<std::size_t>(line.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

QString hostName() { return db::Store::hostName(); }

/// The run's human-readable log, `train.log` in its folder: appended by every process that
/// trains the run (a resumed run continues the same file), one line at a time and flushed,
/// so the workbench can show its tail while the run goes on — whoever started it.
class RunLog
{
public:
    explicit RunLog(const QString &folder)
    {
        QDir().mkpath(folder);
        m_file = std::fopen(QFile::encodeName(folder + QStringLiteral("/train.log")).constData(), "a");
    }
    ~RunLog()
    {
        if (m_file)
            std::fclose(m_file);
    }
    RunLog(const RunLog &) = delete;
    RunLog &operator=(const RunLog &) = delete;

    void line(const QString &text)
    {
        if (!m_file)
            return;   // a log that cannot be written must not stop training; checkpoints will say so
        const QByteArray bytes = (QDateTime::currentDateTimeUtc().toString(Qt::ISODate) + QLatin1Char(' ') + text
                                  + QLatin1Char('\n')).toUtf8();
        std::fwrite(bytes.constData(), 1, static_cast<std::size_t>(bytes.size()), m_file);
        std::fflush(m_file);
    }

private:
    std::FILE *m_file = nullptr;
};

QString gigabytes(std::int64_t bytes)
{
    return QString::number(double(bytes) / double(1 << 30), 'f', 1) + QStringLiteral(" GiB");
}

/// Refuses a configuration whose estimated training memory exceeds what the machine has
/// available, before anything is stored (a run the kernel kills later leaves an
/// interrupted run behind and can take the machine's other work with it).
void checkMemory(const core::TrainConfig &config)
{
    const core::MemoryEstimate need = core::estimateTrainingMemory(config);
    const std::int64_t available = core::availableMemoryBytes();
    // A margin for what the estimate leaves out (allocator slack, the data, other programs).
    if (available <= 0 || double(need.total()) <= 0.9 * double(available))
        return;
    throw CommandError(
        QStringLiteral("this configuration needs about %1 to train (%2 parameters: %3 for weights, gradients and "
                       "optimiser state; %4 of activations for train.batch_tokens = %5), more than 90% of the %6 this "
                       "machine has available (%7 in all); make model.experts, model.d_ff, model.d_model, "
                       "model.vocab_size or train.batch_tokens smaller")
            .arg(gigabytes(need.total()))
            .arg(double(need.parameters), 0, 'g', 3)
            .arg(gigabytes(need.parameterBytes), gigabytes(need.activationBytes))
            .arg(config.train.batchTokens)
            .arg(gigabytes(available), gigabytes(core::totalMemoryBytes())));
}

/// Everything the loop needs from the store: the dataset's sentences encoded with its
/// vocabulary, one task per direction and pair.
struct PreparedData
{
    core::TrainData data;
    qint64 datasetId = 0;
    qint64 vocabularyId = 0;
};

PreparedData prepareData(db::Store &store, core::TrainConfig &config, int threads)
{
    PreparedData prepared;
    prepared.datasetId = config.data.dataset > 0 ? config.data.dataset : ensureNamedDataset(store, config.data.corpus);
    const db::DatasetRecord dataset = store.dataset(prepared.datasetId);  // throws naming the id when absent

    db::VocabularyRecord vocabulary;
    if (config.data.vocabulary > 0) {
        vocabulary = store.vocabulary(config.data.vocabulary);
        if (vocabulary.datasetId != dataset.id)
            throw CommandError(QStringLiteral("data.vocabulary %1 belongs to dataset %2, not to data.dataset %3")
                                   .arg(vocabulary.id).arg(vocabulary.datasetId).arg(dataset.id));
    } else {
        // The newest vocabulary trained for this size, else a new one.
        for (const auto &v : store.vocabularies(dataset.id)) {
            const auto requested = QJsonDocument::fromJson(v.paramsJson.toUtf8()).object().value(QStringLiteral("requested_size")).toInteger();
            if (requested == config.model.vocabSize)
                vocabulary = store.vocabulary(v.id);
        }
        if (vocabulary.id == 0) {
            VocabRequest request;
            request.options.vocabSize = static_cast<int>(config.model.vocabSize);
            request.options.threads = threads;
            request.temperature = config.data.temperature;
            vocabulary = trainVocabulary(store, dataset, request);
        }
    }
    prepared.vocabularyId = vocabulary.id;
    const auto spm = core::SentencePieceModel::fromBytes(vocabulary.model.toStdString());
    config.model.vocabSize = spm.size();
    prepared.data.sentencePiece = spm.bytes();

    // Tasks: every language is a possible target; pairs in the directions asked for.
    std::set<std::string> codes;
    for (const auto &l : dataset.languages)
        codes.insert(l.code.toStdString());
    auto &tasks = prepared.data.tasks;
    tasks.languages.assign(codes.begin(), codes.end());
    struct Direction { const db::DatasetPairRecord *pair; bool reversed; };
    std::vector<Direction> directions;
    for (const auto &p : dataset.pairs) {
        const bool fromPivot = p.srcLang == QLatin1String("en");
        const bool forward = config.data.directions == "both" || (config.data.directions == "en-xx") == fromPivot;
        const bool backward = config.data.directions == "both" || (config.data.directions == "xx-en") == fromPivot;
        if (forward)
            directions.push_back({&p, false});
        if (backward)
            directions.push_back({&p, true});
    }
    const auto encodeTask = [&](const Direction &d, const QString &split) {
        const std::string src = (d.reversed ? d.pair->tgtLang : d.pair->srcLang).toStdString();
        const std::string tgt = (d.reversed ? d.pair->srcLang : d.pair->tgtLang).toStdString();
        core::TrainTask task;
        task.name = src + "-" + tgt;
        task.targetLang = tasks.languageId(tgt);
        int pairId = tasks.pairId(tasks.languageId(src), task.targetLang);
        if (pairId < 0) {
            tasks.pairs.emplace_back(tasks.languageId(src), task.targetLang);
            pairId = static_cast<int>(tasks.pairs.size()) - 1;
        }
        task.pair = pairId;
        const int tag = spm.pieceToId(core::targetToken(tgt));
        const bool keepReferences = split == QLatin1String("dev");  // dev BLEU scores against the real text
        for (const auto &row : store.segments(d.pair->id, split)) {
            core::TrainExample e;
            e.src.push_back(tag);
            for (const int id : spm.encode((d.reversed ? row.tgt : row.src).toStdString()))
                e.src.push_back(id);
            for (const int id : spm.encode((d.reversed ? row.src : row.tgt).toStdString()))
                e.tgt.push_back(id);
            if (std::int64_t(e.src.size()) + 1 > config.data.maxLength || std::int64_t(e.tgt.size()) + 1 > config.data.maxLength)
                continue;
            task.examples.push_back(std::move(e));
            if (keepReferences)
                task.references.push_back((d.reversed ? row.src : row.tgt).toStdString());
        }
        return task;
    };
    for (const auto &d : directions) {
        auto train = encodeTask(d, QStringLiteral("train"));
        if (train.examples.empty())
            continue;
        prepared.data.train.push_back(std::move(train));
        auto dev = encodeTask(d, QStringLiteral("dev"));
        if (!dev.examples.empty())
            prepared.data.dev.push_back(std::move(dev));
    }
    if (prepared.data.train.empty())
        throw CommandError(QStringLiteral("dataset %1 has no training sentence of at most data.max_length = %2 pieces")
                               .arg(dataset.id).arg(config.data.maxLength));
    config.model.numLanguages = std::int64_t(tasks.languages.size());
    config.model.numPairs = std::int64_t(tasks.pairs.size());
    config.model.validate();
    return prepared;
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

void addLayerMetrics(std::vector<db::MetricPoint> &points, qint64 runId, qint64 step, double wall,
                     const core::TrainProgress &p)
{
    for (const auto &l : p.layers) {
        const QString prefix = qs(l.name) + QLatin1Char('.');
        points.push_back({runId, step, prefix + QStringLiteral("entropy"), l.entropy, wall});
        points.push_back({runId, step, prefix + QStringLiteral("max_load"), l.maxLoad, wall});
        points.push_back({runId, step, prefix + QStringLiteral("mean_load"), l.meanLoad, wall});
        points.push_back({runId, step, prefix + QStringLiteral("dropped"), l.droppedFraction, wall});
    }
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
    if (!cli.parse(args))
        return ExitOk;

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

    db::RunRecord run;
    core::TrainConfig config;
    std::string resumeState;
    if (!resuming) {
        config = trainConfigurationFrom(cli, QStringLiteral("train"));  // every check before the store is even opened
        checkMemory(config);
    }
    auto store = cli.openStore(resuming ? CommandLine::StoreAccess::MustExist : CommandLine::StoreAccess::CreateIfMissing);
    if (resuming) {
        run = store->run(cli.intValue(QStringLiteral("resume"), 1, std::numeric_limits<qint64>::max()));
        if (run.kind != QLatin1String("train"))
            throw CommandError(QStringLiteral("run %1 is a %2 run, not a training run").arg(run.id).arg(run.kind));
        if (run.status == QLatin1String("finished"))
            throw CommandError(QStringLiteral("run %1 has finished; there is nothing to resume").arg(run.id));
        store->markInterruptedRuns();
        if (store->run(run.id).status == QLatin1String("running"))
            throw CommandError(QStringLiteral("run %1 is still running (process %2 on %3); cancel it first")
                                   .arg(run.id).arg(run.pid).arg(run.host));
        config = core::parseTrainConfig(run.configJson.toStdString(), "run " + std::to_string(run.id));
        const db::CheckpointRecord checkpoint = lastGoodCheckpoint(*store, run.id);
        resumeState = (checkpoint.path.left(checkpoint.path.size() - 4) + QStringLiteral(".state")).toStdString();
    }
    // Checkpoints must be writable before a run is recorded (or a stopped one reopened).
    const QString runsRoot = db::Store::runsFolder(store->path());
    {
        QDir().mkpath(runsRoot);
        QFile probe(runsRoot + QStringLiteral("/.write-test-%1").arg(::getpid()));
        if (!QFileInfo(runsRoot).isDir() || !probe.open(QIODevice::WriteOnly))
            throw CommandError(QStringLiteral("%1: cannot write checkpoints here (%2)")
                                   .arg(runsRoot, QFileInfo(runsRoot).exists() && !QFileInfo(runsRoot).isDir()
                                                      ? QStringLiteral("it is a file, not a folder")
                                                      : probe.errorString()));
        probe.close();
        probe.remove();
    }
    PreparedData prepared = prepareData(*store, config, cli.threads());
    // The run's stored configuration names exactly what it trained on, so that --resume
    // (and anyone reading the run later) gets the same dataset and vocabulary back, not
    // "the newest one of this size" — SentencePiece may give fewer pieces than asked for.
    config.data.dataset = prepared.datasetId;
    config.data.vocabulary = prepared.vocabularyId;

    if (!resuming) {
        run.kind = QStringLiteral("train");
        run.name = cli.isSet(QStringLiteral("name")) ? cli.value(QStringLiteral("name")) : qs(config.preset);
        run.preset = qs(config.preset);
        run.datasetId = prepared.datasetId;
        run.configJson = qs(core::trainConfigToJson(config, -1));
        run.status = QStringLiteral("running");
        run.pid = ::getpid();
        run.host = hostName();
        run.startedAt = QDateTime::currentDateTimeUtc();
        run.id = store->addRun(run);
    } else {
        store->updateRunProcess(run.id, ::getpid(), hostName());
    }
    const QString checkpointDir = db::Store::runFolder(store->path(), run.id);
    RunLog log(checkpointDir);
    log.line(resuming ? QStringLiteral("resuming run %1 from %2 (process %3 on %4)")
                            .arg(run.id).arg(qs(resumeState)).arg(::getpid()).arg(hostName())
                      : QStringLiteral("started run %1 '%2': preset %3, %4/%5 routing, %6 steps, dataset %7, vocabulary %8 "
                                       "(process %9 on %10)")
                            .arg(run.id).arg(run.name, qs(config.preset), qs(core::routingName(config.model.encoderRouting)),
                                 qs(core::routingName(config.model.decoderRouting)))
                            .arg(config.train.steps).arg(prepared.datasetId).arg(prepared.vocabularyId).arg(::getpid())
                            .arg(hostName()));

    emitEvent({{QStringLiteral("event"), QStringLiteral("started")}, {QStringLiteral("run"), run.id},
               {QStringLiteral("resumed"), resuming}, {QStringLiteral("pid"), qint64(::getpid())},
               {QStringLiteral("steps"), qint64(config.train.steps)}, {QStringLiteral("preset"), qs(config.preset)},
               {QStringLiteral("dataset"), prepared.datasetId}, {QStringLiteral("vocabulary"), prepared.vocabularyId},
               {QStringLiteral("encoder_routing"), qs(core::routingName(config.model.encoderRouting))},
               {QStringLiteral("decoder_routing"), qs(core::routingName(config.model.decoderRouting))},
               {QStringLiteral("checkpoints"), checkpointDir}});
    installStopHandlers();
    const bool terminal = ::isatty(STDERR_FILENO);

    core::TrainHooks hooks;
    hooks.progress = [&](const core::TrainProgress &p) {
        const double wall = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
        std::vector<db::MetricPoint> points;
        QJsonObject event{{QStringLiteral("event"), QStringLiteral("progress")}, {QStringLiteral("run"), run.id},
                          {QStringLiteral("step"), qint64(p.step)}, {QStringLiteral("steps"), qint64(p.totalSteps)}};
        if (p.hasReport) {
            for (const auto &[key, value] : std::initializer_list<std::pair<const char *, double>>{
                     {"loss", p.loss}, {"ce", p.ce}, {"balance", p.balance}, {"lr", p.lr}, {"grad_norm", p.gradNorm},
                     {"tokens_per_s", p.tokensPerSecond}}) {
                points.push_back({run.id, p.step, QLatin1String(key), value, wall});
                event.insert(QLatin1String(key), value);
            }
            event.insert(QStringLiteral("eta_s"), p.etaSeconds);
            // The run's training time so far: a time budget's progress (the live panel's bar).
            points.push_back({run.id, p.step, QStringLiteral("elapsed_s"), p.elapsedSeconds, wall});
            addLayerMetrics(points, run.id, p.step, wall, p);
            QJsonArray layers;
            for (const auto &l : p.layers)
                layers.append(QJsonObject{{QStringLiteral("layer"), qs(l.name)}, {QStringLiteral("entropy"), l.entropy},
                                          {QStringLiteral("dropped"), l.droppedFraction}});
            event.insert(QStringLiteral("layers"), layers);
        }
        if (p.hasDev) {
            points.push_back({run.id, p.step, QStringLiteral("dev_loss"), p.devLoss, wall});
            event.insert(QStringLiteral("dev_loss"), p.devLoss);
            points.push_back({run.id, p.step, QStringLiteral("dev_eval_s"), p.devSeconds, wall});
            if (std::isfinite(p.devBleu)) {
                points.push_back({run.id, p.step, QStringLiteral("dev_bleu"), p.devBleu, wall});
                event.insert(QStringLiteral("dev_bleu"), p.devBleu);
                QJsonObject perPair;
                for (const auto &[pair, bleu] : p.devBleuTasks) {
                    points.push_back({run.id, p.step, QStringLiteral("dev_bleu.") + qs(pair), bleu, wall});
                    perPair.insert(qs(pair), bleu);
                }
                event.insert(QStringLiteral("dev_bleu_pairs"), perPair);
            }
        }
        event.insert(QStringLiteral("elapsed_s"), p.elapsedSeconds);
        store->addMetrics(points);
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
        if (terminal && p.hasReport)
            std::fprintf(stderr, "\rstep %lld/%lld  loss %.4f  lr %.2e  %.0f tok/s  eta %.0f s   ",
                         static_cast<long long>(p.step), static_cast<long long>(p.totalSteps), p.loss, p.lr,
                         p.tokensPerSecond, p.etaSeconds);
        return true;
    };
    hooks.checkpoint = [&](const core::CheckpointInfo &c) {
        store->addCheckpoint({0, run.id, c.step, qs(c.modelPath), qs(c.modelSha256), c.modelBytes, {}});
        emitEvent({{QStringLiteral("event"), QStringLiteral("checkpoint")}, {QStringLiteral("run"), run.id},
                   {QStringLiteral("step"), qint64(c.step)}, {QStringLiteral("path"), qs(c.modelPath)}});
        log.line(QStringLiteral("checkpoint at step %1: %2 (%3 bytes)").arg(c.step).arg(qs(c.modelPath)).arg(c.modelBytes));
    };
    hooks.stopRequested = [] { return g_stopRequested.load(); };

    core::TrainResult result;
    try {
        result = core::train(config, prepared.data, checkpointDir.toStdString(), resumeState, hooks);
    } catch (const std::exception &e) {
        store->updateRunStatus(run.id, QStringLiteral("failed"), QString::fromUtf8(e.what()));
        log.line(QStringLiteral("failed: ") + QString::fromUtf8(e.what()));
        emitEvent({{QStringLiteral("event"), QStringLiteral("failed")}, {QStringLiteral("run"), run.id},
                   {QStringLiteral("error"), QString::fromUtf8(e.what())}});
        throw;
    }
    if (terminal)
        std::fputc('\n', stderr);
    const QString status = result.stopped ? QStringLiteral("cancelled") : QStringLiteral("finished");
    store->updateRunStatus(run.id, status);
    log.line(QStringLiteral("%1 at step %2").arg(status).arg(result.lastStep)
             + (result.budgetUsed ? QStringLiteral(" (the time budget of %1 minutes is used up)").arg(config.train.maxMinutes)
                                  : QString())
             + (std::isfinite(result.lastDevLoss) ? QStringLiteral(", dev cross-entropy %1").arg(result.lastDevLoss, 0, 'f', 4)
                                                  : QString()));
    QJsonObject done{{QStringLiteral("event"), status}, {QStringLiteral("run"), run.id},
                     {QStringLiteral("step"), qint64(result.lastStep)},
                     {QStringLiteral("checkpoint"), qs(result.lastCheckpointModel)}};
    if (std::isfinite(result.lastDevLoss))
        done.insert(QStringLiteral("dev_loss"), result.lastDevLoss);
    if (result.budgetUsed)
        done.insert(QStringLiteral("budget_used"), true);
    emitEvent(done);
    return ExitOk;
}

int runsCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("runs"), QStringLiteral("list the runs in the store"));
    cli.addDbOption();
    cli.addFormatOption();
    if (!cli.parse(args))
        return ExitOk;
    auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    store->markInterruptedRuns();
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
        table.addRow({run.id, run.name, run.preset, routing, run.status,
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
    store->markInterruptedRuns();
    const db::RunRecord run = store->run(runId);
    if (run.status != QLatin1String("running"))
        throw CommandError(QStringLiteral("run %1 is not running (status %2)").arg(run.id).arg(run.status));
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
    return cancelCommand(rest);
}

} // namespace taskmoe::app
