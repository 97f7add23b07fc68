// `taskmoe bench …`: benchmarks that print measured ratios side by side in one run.
#include "app/cli.h"

#include "core/bench/moebench.h"
#include "core/bench/trainbench.h"
#include "core/config/trainconfig.h"
#include "db/store.h"
#include "protocol/jobevents.h"
#include "usecases/throughput.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <QTemporaryDir>

#include <cstdio>

namespace taskmoe::app {

namespace {

/// Metric rows written per second through the store's batched path, on a scratch store in
/// the same folder (same file system) as the user's store; the result is recorded there.
int benchStore(const CommandLine &cli)
{
    const qint64 rows = cli.intValue(QStringLiteral("rows"), 1000, 100000000);
    const qint64 flush = cli.intValue(QStringLiteral("flush"), 1, 10000000);
    const double target = 200000;
    const QString storePath = cli.dbPath();
    const QString folder = QFileInfo(storePath).absolutePath();
    if (!QDir().mkpath(folder))
        throw CommandError(QStringLiteral("%1: cannot create the folder").arg(folder));
    QTemporaryDir scratch(folder + QStringLiteral("/taskmoe-bench-XXXXXX"));
    if (!scratch.isValid())
        throw CommandError(QStringLiteral("%1: cannot create a scratch folder: %2").arg(folder, scratch.errorString()));

    double seconds = 0;
    {
        db::Store bench(scratch.filePath(QStringLiteral("bench.sqlite")));
        db::RunRecord run;
        run.kind = QStringLiteral("bench");
        run.status = db::RunStatus::Running;
        const qint64 runId = bench.addRun(run);
        // Keys as a training run writes them: a dozen scalars and per-layer values each step.
        const QStringList keys = {QStringLiteral("loss"), QStringLiteral("ce"), QStringLiteral("balance"),
                                  QStringLiteral("lr"), QStringLiteral("grad_norm"), QStringLiteral("tokens_per_s"),
                                  QStringLiteral("enc1.entropy"), QStringLiteral("enc1.max_load"),
                                  QStringLiteral("enc1.dropped"), QStringLiteral("dec1.entropy"),
                                  QStringLiteral("dec1.max_load"), QStringLiteral("dec1.dropped")};
        std::vector<db::MetricPoint> batch;
        batch.reserve(static_cast<std::size_t>(flush));
        const double wall = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
        QElapsedTimer timer;
        timer.start();
        for (qint64 i = 0; i < rows; ++i) {
            const qint64 step = i / keys.size();
            batch.push_back({runId, step, keys[int(i % keys.size())], 1.0 / double(i + 1), wall + double(step) * 0.01});
            if (qint64(batch.size()) == flush || i + 1 == rows) {
                bench.addMetrics(batch);
                batch.clear();
            }
        }
        seconds = double(timer.nsecsElapsed()) / 1e9;
        if (qint64(bench.metrics(runId, QStringLiteral("loss")).size()) != (rows + keys.size() - 1) / keys.size())
            throw CommandError(QStringLiteral("the store benchmark read back a different number of rows than it wrote"));
    }
    const double rate = double(rows) / seconds;

    auto store = cli.openStore();
    db::BenchmarkRecord record;
    record.kind = QStringLiteral("store-write");
    record.batchSize = static_cast<int>(flush);
    record.tokensPerSecond = rate;
    record.latencyMs = seconds * 1000.0;
    record.configJson = QString::fromUtf8(QJsonDocument(QJsonObject{
        {QStringLiteral("rows"), rows}, {QStringLiteral("rows_per_flush"), flush},
        {QStringLiteral("unit"), QStringLiteral("metric rows per second")}}).toJson(QJsonDocument::Compact));
    store->addBenchmark(record);

    ResultTable table({QStringLiteral("benchmark"), QStringLiteral("rows"), QStringLiteral("rows_per_flush"),
                       QStringLiteral("seconds"), QStringLiteral("rows_per_s"), QStringLiteral("target_rows_per_s"),
                       QStringLiteral("ratio_to_target")});
    table.addRow({QStringLiteral("store-metric-writes"), rows, flush, seconds, rate, target, rate / target});
    table.print(cli.format());
    return ExitOk;
}

/// A comma-separated list of whole numbers from `min` to `max` (--experts, --tokens).
std::vector<std::int64_t> wholeNumbers(const CommandLine &cli, const QString &option, qint64 min, qint64 max)
{
    std::vector<std::int64_t> out;
    for (const QString &part : cli.value(option).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const qint64 v = part.trimmed().toLongLong(&ok);
        if (!ok || v < min || v > max)
            throw UsageError(QStringLiteral("bench: --%1 must be a list of numbers from %2 to %3, not '%4'")
                                 .arg(option).arg(min).arg(max).arg(part));
        out.push_back(v);
    }
    if (out.empty())
        throw UsageError(QStringLiteral("bench: --%1 needs at least one number").arg(option));
    return out;
}

/// The MoE layer against a dense FFN of the same active FLOPs: forward+backward as training
/// runs it, and forward alone as decoding does, at each token count.
int benchMoeLayer(const CommandLine &cli)
{
    core::MoeBenchOptions o;
    if (cli.isSet(QStringLiteral("experts")))
        o.experts = wholeNumbers(cli, QStringLiteral("experts"), 1, 4096);
    if (cli.isSet(QStringLiteral("tokens")))
        o.tokens = wholeNumbers(cli, QStringLiteral("tokens"), 1, 1 << 20);
    o.repetitions = static_cast<int>(cli.intValue(QStringLiteral("repetitions"), 1, 1000));
    o.validate();
    const Format format = cli.format();
    const auto results = core::benchMoeLayer(o, [&](const core::MoeBenchResult &r) {
        if (format == Format::Table)
            std::fprintf(stderr, "taskmoe: E = %lld, %lld tokens measured\n", static_cast<long long>(r.experts),
                         static_cast<long long>(r.tokens));
    });
    if (format == Format::Json) {
        QJsonArray rows;
        for (const auto &r : results)
            rows.append(QJsonObject{{QStringLiteral("experts"), qint64(r.experts)}, {QStringLiteral("tokens"), qint64(r.tokens)},
                                    {QStringLiteral("d_model"), qint64(o.dModel)}, {QStringLiteral("d_ff"), qint64(o.dFf)},
                                    {QStringLiteral("top_k"), qint64(o.topK)}, {QStringLiteral("moe_ms"), r.moeMs},
                                    {QStringLiteral("dense_ms"), r.denseMs}, {QStringLiteral("ratio"), r.ratio},
                                    {QStringLiteral("moe_forward_ms"), r.moeForwardMs},
                                    {QStringLiteral("dense_forward_ms"), r.denseForwardMs},
                                    {QStringLiteral("forward_ratio"), r.forwardRatio},
                                    {QStringLiteral("weights_read_ratio"), r.weightsReadRatio},
                                    {QStringLiteral("dropped_fraction"), r.droppedFraction},
                                    {QStringLiteral("threads"), cli.threads()}});
        QTextStream(stdout) << QJsonDocument(QJsonObject{{QStringLiteral("results"), rows}}).toJson(QJsonDocument::Indented);
        return ExitOk;
    }
    ResultTable table({QStringLiteral("experts"), QStringLiteral("tokens"), QStringLiteral("moe_ms"),
                       QStringLiteral("dense_ms"), QStringLiteral("ratio"), QStringLiteral("moe_forward_ms"),
                       QStringLiteral("dense_forward_ms"), QStringLiteral("forward_ratio"),
                       QStringLiteral("weights_read_ratio"), QStringLiteral("dropped_fraction")});
    for (const auto &r : results)
        table.addRow({qint64(r.experts), qint64(r.tokens), r.moeMs, r.denseMs, r.ratio, r.moeForwardMs, r.denseForwardMs,
                      r.forwardRatio, r.weightsReadRatio, r.droppedFraction});
    table.print(format, QStringLiteral("MoE layer (token routing, top-%1, d_model %2, d_ff %3) vs dense FFN (hidden %4), "
                                       "median of %5, %6 threads: forward + backward in training mode (capacity %7), "
                                       "and forward alone as decoding runs it (no gradients, no capacity limit); "
                                       "weights_read_ratio: expert weights a forward pass reads over the dense FFN's")
                            .arg(o.topK).arg(o.dModel).arg(o.dFf).arg(o.topK * o.dFf).arg(o.repetitions)
                            .arg(cli.threads()).arg(o.capacityFactor));
    return ExitOk;
}

/// A comma-separated list of positive numbers (--batch-sizes, --beams).
std::vector<int> numberList(const CommandLine &cli, const QString &option, int max)
{
    const auto numbers = wholeNumbers(cli, option, 1, max);
    return {numbers.begin(), numbers.end()};
}

/// Decoding throughput of several models side by side: tokens/s against batch size, the peak
/// of each and its ratio to the first model's, measured in one run and stored.
int benchDecodeModels(const CommandLine &cli)
{
    usecases::ThroughputRequest request;
    request.models = cli.value(QStringLiteral("models")).split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (cli.isSet(QStringLiteral("batch-sizes")))
        request.batchSizes = numberList(cli, QStringLiteral("batch-sizes"), 65536);
    request.beams = numberList(cli, QStringLiteral("beams"), 64);
    request.pair = cli.value(QStringLiteral("pair"));
    if (cli.isSet(QStringLiteral("source-length")))
        request.sourceLength = int(cli.intValue(QStringLiteral("source-length"), 1, 4096));
    if (cli.isSet(QStringLiteral("target-length"))) {
        if (request.sourceLength == 0)
            throw UsageError(QStringLiteral("bench: --target-length goes with --source-length (random sources)"));
        request.targetLength = int(cli.intValue(QStringLiteral("target-length"), 1, 4096));
    }
    request.minSentences = int(cli.intValue(QStringLiteral("sentences"), 1, 100000));
    const Format format = cli.format();
    const int threads = cli.threads();
    const bool anyStored = std::any_of(request.models.begin(), request.models.end(), [](const QString &m) {
        return usecases::parseModelRef(m.trimmed()).kind != usecases::ModelRef::Kind::File;
    });
    std::unique_ptr<db::Store> store;
    if (anyStored || cli.isSet(QStringLiteral("db")))
        store = cli.openStore(CommandLine::StoreAccess::MustExist);
    usecases::ThroughputHooks hooks;
    hooks.measured = [&](const usecases::ThroughputModel &m, const usecases::ThroughputPoint &p) {
        if (format == Format::Table)
            std::fprintf(stderr, "taskmoe: %s beam %d batch %d: %.0f tokens/s, %.1f ms per batch\n", qPrintable(m.label),
                         p.beam, p.batchSize, p.tokensPerSecond, p.latencyMs);
    };
    const bool events = cli.isSet(QStringLiteral("events"));
    int done = 0, planned = 0;
    hooks.started = [&](int measurements) {
        planned = measurements;
        if (!events)
            return;
        protocol::JobEvent started;
        started.type = protocol::JobEventType::Started;
        started.pairs = measurements;
        emitJobEvent(started);
    };
    if (events)
        hooks.measured = [&](const usecases::ThroughputModel &m, const usecases::ThroughputPoint &p) {
            protocol::JobEvent progress;
            progress.type = protocol::JobEventType::Progress;
            progress.done = ++done;
            progress.pairs = planned;
            progress.pair = QStringLiteral("%1, beam %2, batch %3").arg(m.label).arg(p.beam).arg(p.batchSize);
            progress.model = m.modelId;
            emitJobEvent(progress);
        };
    const auto result = usecases::measureThroughput(store.get(), request, printNote, hooks);
    if (events) {
        protocol::JobEvent finished;
        finished.type = protocol::JobEventType::Finished;
        emitJobEvent(finished);
        return ExitOk;
    }

    ResultTable points({QStringLiteral("model"), QStringLiteral("beam"), QStringLiteral("batch"), QStringLiteral("sentences"),
                        QStringLiteral("tokens"), QStringLiteral("tokens_per_s"), QStringLiteral("latency_ms"),
                        QStringLiteral("encoder_ms"), QStringLiteral("decoder_ms"), QStringLiteral("peak_rss_mb")});
    for (const auto &m : result.models)
        for (const auto &p : m.points)
            points.addRow({m.label, p.beam, p.batchSize, p.sentences, p.targetTokens, p.tokensPerSecond, p.latencyMs,
                           p.encoderMs, p.decoderMs, double(p.peakRssBytes) / (1 << 20)});
    QStringList columns{QStringLiteral("model"), QStringLiteral("kind"), QStringLiteral("params"),
                        QStringLiteral("active_per_token")};
    for (const int beam : request.beams)
        columns << QStringLiteral("peak_beam%1_tokens_per_s").arg(beam) << QStringLiteral("beam%1_at_batch").arg(beam)
                << QStringLiteral("beam%1_ratio_to_first").arg(beam) << QStringLiteral("beam%1_decoder_share").arg(beam);
    columns << QStringLiteral("peak_rss_mb") << QStringLiteral("stopped");
    ResultTable summary(columns);
    for (const auto &m : result.models) {
        QVariantList row{m.label, m.kind, qint64(m.parameters.total), qint64(m.parameters.activePerToken)};
        qint64 rss = 0;
        for (const auto &p : m.points)
            rss = std::max(rss, p.peakRssBytes);
        for (const int beam : request.beams) {
            const auto *peak = m.peak(beam);
            const auto *base = result.models.front().peak(beam);
            if (!peak) {
                row << QVariant() << QVariant() << QVariant() << QVariant();
                continue;
            }
            row << peak->tokensPerSecond << peak->batchSize
                << (base && base->tokensPerSecond > 0 ? QVariant(peak->tokensPerSecond / base->tokensPerSecond) : QVariant())
                << (peak->encoderMs + peak->decoderMs > 0 ? QVariant(peak->decoderMs / (peak->encoderMs + peak->decoderMs))
                                                          : QVariant());
        }
        row << double(rss) / (1 << 20) << m.stopped;
        summary.addRow(row);
    }
    if (format != Format::Table) {
        summary.print(format);
        return ExitOk;
    }
    points.print(format, QStringLiteral("Decoding throughput, %1, %2 threads, no capacity limit").arg(result.source).arg(threads));
    std::fputs("\n", stdout);
    summary.print(format, QStringLiteral("Peak throughput per model; ratios to %1, measured in this run")
                              .arg(result.models.front().label));
    return ExitOk;
}

/// A training step of a configuration: tokens/s, its FLOPs and the share of the machine's
/// measured matrix-product rate, side by side in one run.
int benchTrain(const CommandLine &cli)
{
    const core::TrainConfig config = trainConfigurationFrom(cli, QStringLiteral("bench --train"));
    core::TrainBenchOptions o;
    o.steps = static_cast<int>(cli.intValue(QStringLiteral("repetitions"), 1, 1000));
    o.sentenceLength = cli.intValue(QStringLiteral("length"), 2, 4096);
    const core::TrainBenchResult r = core::benchTraining(config, o);
    const QString name = config.preset.empty() ? QStringLiteral("(config)") : QString::fromStdString(config.preset);
    ResultTable table({QStringLiteral("preset"), QStringLiteral("parameters"), QStringLiteral("active_parameters"),
                       QStringLiteral("batch_tokens"), QStringLiteral("step_ms"), QStringLiteral("tokens_per_s"),
                       QStringLiteral("gflop_per_step"), QStringLiteral("achieved_gflops"), QStringLiteral("gemm_gflops"),
                       QStringLiteral("share_of_gemm")});
    table.addRow({name, qint64(r.parameters), qint64(r.activeParameters), qint64(r.tokens), r.stepMs, r.tokensPerSecond,
                  r.flopsPerStep / 1e9, r.achievedGflops, r.gemmGflops, r.gemmShare});
    table.print(cli.format(), QStringLiteral("Training step (forward, backward, %1 update) of %2 sentences of %3 + %3 pieces, "
                                             "median of %4; GEMM = one 1024x1024x1024 fp32 product, same run, %5 threads")
                                  .arg(QString::fromStdString(config.train.optimizer)).arg(r.sentences)
                                  .arg(r.tokens / (2 * r.sentences)).arg(o.steps).arg(cli.threads()));
    return ExitOk;
}

} // namespace

int runBench(const QStringList &args)
{
    QStringList rest = args;
    rest.removeAt(1);
    CommandLine cli(QStringLiteral("bench"), QStringLiteral("benchmarks that print measured ratios side by side"));
    cli.addDbOption();
    cli.addFormatOption();
    cli.addThreadsOption();
    cli.addOption({QStringLiteral("store"), QStringLiteral("Measure metric rows written per second to the store.")});
    cli.addOption({QStringLiteral("rows"), QStringLiteral("With --store: rows to write (default 1000000)."),
                   QStringLiteral("n"), QStringLiteral("1000000")});
    cli.addOption({QStringLiteral("flush"), QStringLiteral("With --store: rows per transaction (default 10000)."),
                   QStringLiteral("n"), QStringLiteral("10000")});
    cli.addOption({QStringLiteral("moe-layer"),
                   QStringLiteral("Time the MoE layer against a dense FFN of the same active FLOPs: forward+backward "
                                  "(training) and forward alone (decoding).")});
    cli.addOption({QStringLiteral("experts"), QStringLiteral("With --moe-layer: numbers of experts (default 8,32,128)."),
                   QStringLiteral("list")});
    cli.addOption({QStringLiteral("tokens"), QStringLiteral("With --moe-layer: tokens per call, comma-separated (default 8,64,4096: "
                                                          "decoding steps and a training batch)."),
                   QStringLiteral("list")});
    cli.addOption({QStringLiteral("repetitions"), QStringLiteral("With --moe-layer or --train: timed runs, median reported (default 7)."),
                   QStringLiteral("n"), QStringLiteral("7")});
    cli.addOption({QStringLiteral("decode"),
                   QStringLiteral("Decoding throughput of --models A,B,… at growing batch sizes; or of one run's checkpoint "
                                  "(--run N) with and without the KV cache.")});
    cli.addOption({QStringLiteral("models"),
                   QStringLiteral("With --decode: models to compare, comma-separated: run:N[@best|@STEP], model:ID (a "
                                  "stored model) or a model file; the first is the baseline of the ratios."),
                   QStringLiteral("list")});
    cli.addOption({QStringLiteral("events"),
                   QStringLiteral("With --models: print progress as JSON lines on stdout (for the workbench).")});
    cli.addOption({QStringLiteral("batch-sizes"), QStringLiteral("With --models: batch sizes (default 1,2,4,…,256)."),
                   QStringLiteral("list")});
    cli.addOption({QStringLiteral("beams"), QStringLiteral("With --models: beam sizes (default 1,4)."), QStringLiteral("list"),
                   QStringLiteral("1,4")});
    cli.addOption({QStringLiteral("pair"), QStringLiteral("With --models: the direction whose test sentences are decoded "
                                                          "(default: the first every model translates)."),
                   QStringLiteral("pair")});
    cli.addOption({QStringLiteral("source-length"),
                   QStringLiteral("With --models: decode random sources of this many pieces instead (models with random "
                                  "weights; one vocabulary)."),
                   QStringLiteral("n")});
    cli.addOption({QStringLiteral("target-length"),
                   QStringLiteral("With --source-length: decode exactly this many pieces (default: the source length)."),
                   QStringLiteral("n")});
    cli.addOption({QStringLiteral("run"), QStringLiteral("With --decode: the run."), QStringLiteral("id")});
    cli.addOption({QStringLiteral("checkpoint"), QStringLiteral("With --decode: the checkpoint step, or best (the highest dev BLEU); default: newest."),
                   QStringLiteral("step")});
    cli.addOption({QStringLiteral("sentences"),
                   QStringLiteral("With --decode: test sentences to translate (default 64); with --models, at least this "
                                  "many per measurement."),
                   QStringLiteral("n"), QStringLiteral("64")});
    cli.addOption({QStringLiteral("batch-size"), QStringLiteral("With --decode: sentences per batch (default 16)."),
                   QStringLiteral("n"), QStringLiteral("16")});
    cli.addOption({QStringLiteral("train"),
                   QStringLiteral("Time a training step of a preset or configuration (--preset, --config, --set): "
                                  "tokens/s, FLOPs and the share of the measured GEMM rate.")});
    cli.addOption({QStringLiteral("length"), QStringLiteral("With --train: pieces per sentence (default 15)."),
                   QStringLiteral("n"), QStringLiteral("15")});
    cli.addOption({QStringLiteral("comm"),
                   QStringLiteral("Expert parallelism's communication on --nproc local ranks: trains --token-preset and "
                                  "--task-preset (the same size, token- and task-routed) for --steps steps each with the real "
                                  "program and prints each one's share of step time in token exchanges and the bytes moved.")});
    cli.addOption({QStringLiteral("nproc"), QStringLiteral("With --comm: ranks on this machine (default 2)."), QStringLiteral("n"),
                   QStringLiteral("2")});
    cli.addOption({QStringLiteral("steps"), QStringLiteral("With --comm: training steps per model (default 60); with --store-scale: "
                                                           "logged steps per run, 10 keys each (default 1000)."),
                   QStringLiteral("n")});
    cli.addOption({QStringLiteral("token-preset"), QStringLiteral("With --comm: the token-routed model (default token-moe)."),
                   QStringLiteral("preset"), QStringLiteral("token-moe")});
    cli.addOption({QStringLiteral("task-preset"), QStringLiteral("With --comm: the task-routed model (default task-moe-both)."),
                   QStringLiteral("preset"), QStringLiteral("task-moe-both")});
    cli.addOption({QStringLiteral("store-scale"),
                   QStringLiteral("The store and the workbench at scale: a generated store of --runs runs (default 10000) "
                                  "and about 100 million metric rows; the runs list, one run's curve and a plot of "
                                  "--plot-points points timed against their budgets (1 s, 1 s, 16 ms a frame).")});
    cli.addOption({QStringLiteral("scale-store"),
                   QStringLiteral("With --store-scale: generate the store at this path and keep it (a later run with the same "
                                  "sizes reuses it); default: a scratch file next to --db, removed afterwards."),
                   QStringLiteral("path")});
    cli.addOption({QStringLiteral("runs"), QStringLiteral("With --store-scale: runs in the store (default 10000)."),
                   QStringLiteral("n"), QStringLiteral("10000")});
    cli.addOption({QStringLiteral("long-steps"),
                   QStringLiteral("With --store-scale: run 1 logged its loss this many times (default 1000000)."),
                   QStringLiteral("n"), QStringLiteral("1000000")});
    cli.addOption({QStringLiteral("plot-points"), QStringLiteral("With --store-scale: points of the plot timed (default 1000000)."),
                   QStringLiteral("n"), QStringLiteral("1000000")});
    cli.addOption({QStringLiteral("frames"), QStringLiteral("With --store-scale: pans and zooms timed (default 60 each)."),
                   QStringLiteral("n"), QStringLiteral("60")});
    addTrainConfigOptions(cli);
    if (!cli.parse(rest))
        return ExitOk;
    if (int(cli.isSet(QStringLiteral("store"))) + int(cli.isSet(QStringLiteral("moe-layer"))) + int(cli.isSet(QStringLiteral("decode")))
            + int(cli.isSet(QStringLiteral("train"))) + int(cli.isSet(QStringLiteral("store-scale"))) + int(cli.isSet(QStringLiteral("comm")))
        > 1)
        throw UsageError(QStringLiteral("bench: choose one benchmark, --store, --store-scale, --comm, --moe-layer, --decode or --train"));
    if (cli.isSet(QStringLiteral("comm")))
        return benchComm(cli);
    if (cli.isSet(QStringLiteral("store-scale")))
        return benchStoreScale(cli);
    if (cli.isSet(QStringLiteral("train")))
        return benchTrain(cli);
    if (cli.isSet(QStringLiteral("decode")))
        return cli.isSet(QStringLiteral("models")) ? benchDecodeModels(cli) : benchDecode(cli);
    if (cli.isSet(QStringLiteral("store")))
        return benchStore(cli);
    if (cli.isSet(QStringLiteral("moe-layer")))
        return benchMoeLayer(cli);
    throw UsageError(QStringLiteral("bench: choose a benchmark: --store, --store-scale, --comm, --moe-layer, --decode or --train"));
}

} // namespace taskmoe::app
