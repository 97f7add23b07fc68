// `taskmoe bench …`: benchmarks that print measured ratios side by side in one run.
#include "app/cli.h"

#include "core/bench/moebench.h"
#include "core/bench/trainbench.h"
#include "core/config/trainconfig.h"
#include "db/store.h"

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

/// The MoE layer's forward+backward time against a dense FFN with the same active FLOPs.
int benchMoeLayer(const CommandLine &cli)
{
    core::MoeBenchOptions o;
    if (cli.isSet(QStringLiteral("experts"))) {
        o.experts.clear();
        for (const QString &part : cli.value(QStringLiteral("experts")).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            bool ok = false;
            const qint64 e = part.trimmed().toLongLong(&ok);
            if (!ok || e < 1 || e > 4096)
                throw UsageError(QStringLiteral("bench: --experts must be a list of numbers from 1 to 4096, not '%1'").arg(part));
            o.experts.push_back(e);
        }
    }
    o.tokens = cli.intValue(QStringLiteral("tokens"), 1, 1 << 20);
    o.repetitions = static_cast<int>(cli.intValue(QStringLiteral("repetitions"), 1, 1000));
    o.validate();
    const Format format = cli.format();
    const auto results = core::benchMoeLayer(o, [&](const core::MoeBenchResult &r) {
        if (format == Format::Table)
            std::fprintf(stderr, "taskmoe: E = %lld measured\n", static_cast<long long>(r.experts));
    });
    if (format == Format::Json) {
        QJsonArray rows;
        for (const auto &r : results)
            rows.append(QJsonObject{{QStringLiteral("experts"), qint64(r.experts)}, {QStringLiteral("tokens"), qint64(r.tokens)},
                                    {QStringLiteral("d_model"), qint64(o.dModel)}, {QStringLiteral("d_ff"), qint64(o.dFf)},
                                    {QStringLiteral("top_k"), qint64(o.topK)}, {QStringLiteral("moe_ms"), r.moeMs},
                                    {QStringLiteral("dense_ms"), r.denseMs}, {QStringLiteral("ratio"), r.ratio},
                                    {QStringLiteral("dropped_fraction"), r.droppedFraction},
                                    {QStringLiteral("threads"), cli.threads()}});
        QTextStream(stdout) << QJsonDocument(QJsonObject{{QStringLiteral("results"), rows}}).toJson(QJsonDocument::Indented);
        return ExitOk;
    }
    ResultTable table({QStringLiteral("experts"), QStringLiteral("tokens"), QStringLiteral("moe_ms"),
                       QStringLiteral("dense_ms"), QStringLiteral("ratio"), QStringLiteral("dropped_fraction")});
    for (const auto &r : results)
        table.addRow({qint64(r.experts), qint64(r.tokens), r.moeMs, r.denseMs, r.ratio, r.droppedFraction});
    table.print(format, QStringLiteral("MoE layer (token routing, top-%1, d_model %2, d_ff %3, capacity %4) vs dense FFN "
                                       "(hidden %5), forward + backward, median of %6, %7 threads")
                            .arg(o.topK).arg(o.dModel).arg(o.dFf).arg(o.capacityFactor).arg(o.topK * o.dFf)
                            .arg(o.repetitions).arg(cli.threads()));
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
                   QStringLiteral("Time the MoE layer's forward+backward against a dense FFN of the same active FLOPs.")});
    cli.addOption({QStringLiteral("experts"), QStringLiteral("With --moe-layer: numbers of experts (default 8,32,128)."),
                   QStringLiteral("list")});
    cli.addOption({QStringLiteral("tokens"), QStringLiteral("With --moe-layer: tokens per batch (default 4096)."),
                   QStringLiteral("n"), QStringLiteral("4096")});
    cli.addOption({QStringLiteral("repetitions"), QStringLiteral("With --moe-layer or --train: timed runs, median reported (default 7)."),
                   QStringLiteral("n"), QStringLiteral("7")});
    cli.addOption({QStringLiteral("decode"),
                   QStringLiteral("Decoding speed of a run's checkpoint (--run N) with and without the KV cache.")});
    cli.addOption({QStringLiteral("run"), QStringLiteral("With --decode: the run."), QStringLiteral("id")});
    cli.addOption({QStringLiteral("checkpoint"), QStringLiteral("With --decode: the checkpoint step, or best (the highest dev BLEU); default: newest."),
                   QStringLiteral("step")});
    cli.addOption({QStringLiteral("sentences"), QStringLiteral("With --decode: test sentences to translate (default 64)."),
                   QStringLiteral("n"), QStringLiteral("64")});
    cli.addOption({QStringLiteral("batch-size"), QStringLiteral("With --decode: sentences per batch (default 16)."),
                   QStringLiteral("n"), QStringLiteral("16")});
    cli.addOption({QStringLiteral("train"),
                   QStringLiteral("Time a training step of a preset or configuration (--preset, --config, --set): "
                                  "tokens/s, FLOPs and the share of the measured GEMM rate.")});
    cli.addOption({QStringLiteral("length"), QStringLiteral("With --train: pieces per sentence (default 15)."),
                   QStringLiteral("n"), QStringLiteral("15")});
    addTrainConfigOptions(cli);
    if (!cli.parse(rest))
        return ExitOk;
    if (int(cli.isSet(QStringLiteral("store"))) + int(cli.isSet(QStringLiteral("moe-layer"))) + int(cli.isSet(QStringLiteral("decode")))
            + int(cli.isSet(QStringLiteral("train"))) > 1)
        throw UsageError(QStringLiteral("bench: choose one benchmark, --store, --moe-layer, --decode or --train"));
    if (cli.isSet(QStringLiteral("train")))
        return benchTrain(cli);
    if (cli.isSet(QStringLiteral("decode")))
        return benchDecode(cli);
    if (cli.isSet(QStringLiteral("store")))
        return benchStore(cli);
    if (cli.isSet(QStringLiteral("moe-layer")))
        return benchMoeLayer(cli);
    throw UsageError(QStringLiteral("bench: choose a benchmark: --store, --moe-layer, --decode or --train"));
}

} // namespace taskmoe::app
