// Commands on the models a run yields besides its checkpoints:
//   taskmoe extract --run N --task en-de | --all-tasks [--keep K --by M]   per-task sub-networks
//   taskmoe models                                                        the store's models
#include "app/cli.h"

#include "db/store.h"
#include "protocol/jobevents.h"
#include "usecases/comparison.h"
#include "usecases/extract.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <limits>

namespace taskmoe::app {

namespace {

/// "encoder 1: 3 5 (0.62 0.38)" per MoE layer, or "kept all 8".
QString layersText(const std::vector<core::SubnetworkLayer> &layers)
{
    QStringList parts;
    for (const auto &l : layers) {
        QString text = QStringLiteral("%1 %2 %3").arg(l.decoder ? QStringLiteral("dec") : QStringLiteral("enc")).arg(l.layer)
                           .arg(QString::fromStdString(core::subnetworkLayerKindName(l.kind)));
        if (l.kind == core::SubnetworkLayer::Kind::Kept) {
            text += QStringLiteral(" (all %1)").arg(l.experts.size());
        } else {
            QStringList experts;
            for (std::size_t i = 0; i < l.experts.size(); ++i)
                experts << (l.gates.empty() ? QString::number(l.experts[i])
                                            : QStringLiteral("%1×%2").arg(l.experts[i]).arg(l.gates[i], 0, 'f', 2));
            text += QStringLiteral(" [%1]").arg(experts.join(QLatin1Char(' ')));
        }
        parts << text;
    }
    return parts.join(QStringLiteral("; "));
}

QStringList taskList(const CommandLine &cli)
{
    QStringList tasks;
    for (const auto &t : cli.value(QStringLiteral("task")).split(QLatin1Char(','), Qt::SkipEmptyParts))
        tasks << t.trimmed();
    return tasks;
}

/// `extract --model FILE`: folding a model file's task-routed layers.
int extractFromFile(const CommandLine &cli)
{
    for (const char *option : {"checkpoint", "keep", "by"})
        if (cli.isSet(QLatin1String(option)))
            throw UsageError(QStringLiteral("extract: --%1 goes with --run").arg(QLatin1String(option)));
    usecases::ExtractFileRequest request;
    request.model = cli.value(QStringLiteral("model"));
    request.tasks = taskList(cli);
    request.allTasks = cli.isSet(QStringLiteral("all-tasks"));
    request.output = cli.value(QStringLiteral("output"));
    if (cli.isSet(QStringLiteral("verify")))
        request.verifySentences = int(cli.intValue(QStringLiteral("verify"), 0, 100000));
    const Format format = cli.format();
    cli.threads();
    const auto models = usecases::extractFromFile(request, printNote);
    ResultTable table({QStringLiteral("task"), QStringLiteral("serves"), QStringLiteral("params"),
                       QStringLiteral("active_per_token"), QStringLiteral("file_mb"), QStringLiteral("max_logit_diff"),
                       QStringLiteral("layers"), QStringLiteral("path")});
    for (const auto &m : models)
        table.addRow({m.task, m.serves.join(QLatin1Char(' ')), qint64(m.parameters.total),
                      qint64(m.parameters.activePerToken), double(m.fileBytes) / (1 << 20), m.maxLogitDifference,
                      layersText(m.layers), m.path});
    table.print(format, QStringLiteral("Sub-networks of %1").arg(request.model));
    return ExitOk;
}

int extractCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("extract"),
                    QStringLiteral("extract per-task sub-networks of a run's checkpoint: task-routed MoE layers folded into "
                                   "dense FFNs (exact), token-routed ones optionally pruned to K experts"));
    cli.addDbOption();
    cli.addThreadsOption();
    cli.addFormatOption();
    cli.addOption({QStringLiteral("run"), QStringLiteral("The training run."), QStringLiteral("id")});
    cli.addOption({QStringLiteral("model"),
                   QStringLiteral("A model file instead of a run (e.g. random weights for speed measurements): folded "
                                  "only, verified on random sources, written to --output, not registered."),
                   QStringLiteral("file")});
    cli.addOption({QStringLiteral("checkpoint"), QStringLiteral("The checkpoint step, or best (the highest dev BLEU); default: the newest."),
                   QStringLiteral("step")});
    cli.addOption({QStringLiteral("task"),
                   QStringLiteral("The task: a language pair (en-de), or a target language (de) for a model routed by "
                                  "target language; comma-separated for several."),
                   QStringLiteral("task")});
    cli.addOption({QStringLiteral("all-tasks"), QStringLiteral("Every task of the model.")});
    cli.addOption({QStringLiteral("keep"),
                   QStringLiteral("Prune every token- or sentence-routed MoE layer to the K experts the task used most."),
                   QStringLiteral("K")});
    cli.addOption({QStringLiteral("by"),
                   QStringLiteral("How pruning ranks experts: top1, topk, gate or importance (default; NLLB-200's "
                                  "first choices x exp(mean first-choice gate))."),
                   QStringLiteral("measure"), QStringLiteral("importance")});
    cli.addOption({QStringLiteral("output"),
                   QStringLiteral("Folder for the model files (default: the run's folder/subnetworks); with --model and "
                                  "one task, a file name ending in .tmf."),
                   QStringLiteral("dir")});
    cli.addOption({QStringLiteral("events"), QStringLiteral("Print progress as JSON lines on stdout (for the workbench).")});
    cli.addOption({QStringLiteral("verify"),
                   QStringLiteral("Test sentences per pair (16; random sources with --model: 8) on which an exact "
                                  "sub-network is compared with the full model (0: none)."),
                   QStringLiteral("n")});
    if (!cli.parse(args))
        return ExitOk;
    if (cli.isSet(QStringLiteral("run")) == cli.isSet(QStringLiteral("model")))
        throw UsageError(QStringLiteral("extract: give either --run N or --model FILE"));
    if (cli.isSet(QStringLiteral("task")) == cli.isSet(QStringLiteral("all-tasks")))
        throw UsageError(QStringLiteral("extract: give either --task TASK or --all-tasks"));
    if (cli.isSet(QStringLiteral("model")))
        return extractFromFile(cli);
    usecases::ExtractRequest request;
    request.runId = cli.intValue(QStringLiteral("run"), 1, std::numeric_limits<qint64>::max());
    request.checkpoint = usecases::parseCheckpointChoice(cli.isSet(QStringLiteral("checkpoint"))
                                                             ? cli.value(QStringLiteral("checkpoint")) : QString());
    request.tasks = taskList(cli);
    request.allTasks = cli.isSet(QStringLiteral("all-tasks"));
    if (cli.isSet(QStringLiteral("keep")))
        request.keep = cli.intValue(QStringLiteral("keep"), 1, 1 << 20);
    const auto by = usecases::pruneMeasureFromName(cli.value(QStringLiteral("by")));
    if (!by)
        throw UsageError(QStringLiteral("extract: --by must be top1, topk, gate or importance (got '%1')")
                             .arg(cli.value(QStringLiteral("by"))));
    if (cli.isSet(QStringLiteral("by")) && request.keep == 0)
        throw UsageError(QStringLiteral("extract: --by goes with --keep K"));
    request.by = *by;
    request.outputDir = cli.value(QStringLiteral("output"));
    if (cli.isSet(QStringLiteral("verify")))
        request.verifySentences = int(cli.intValue(QStringLiteral("verify"), 0, 100000));
    const Format format = cli.format();
    cli.threads();
    const auto store = cli.openStore(CommandLine::StoreAccess::MustExist);

    const bool events = cli.isSet(QStringLiteral("events"));
    usecases::ExtractHooks hooks;
    hooks.started = [&](const usecases::ExtractResult &r, int total) {
        protocol::JobEvent started;
        started.type = protocol::JobEventType::Started;
        started.run = r.run.id;
        started.step = r.checkpoint.step;
        started.pairs = total;
        if (events)
            emitJobEvent(started);
    };
    hooks.extracted = [&](const usecases::ExtractedModel &m, int done, int total) {
        if (events) {
            protocol::JobEvent progress;
            progress.type = protocol::JobEventType::Progress;
            progress.run = request.runId;
            progress.pair = m.task;
            progress.done = done;
            progress.pairs = total;
            progress.model = m.modelId;
            emitJobEvent(progress);
        }
        QString check;
        if (m.verifiedSentences > 0)
            check = QStringLiteral(", verified on %1 test sentences: %2 greedy translations identical, largest logit "
                                   "difference %3").arg(m.verifiedSentences).arg(m.identicalOutputs)
                        .arg(m.maxLogitDifference, 0, 'g', 3);
        else if (!m.exact)
            check = QStringLiteral(", pruned (not exact: evaluate it to measure the BLEU change)");
        printNote(QStringLiteral("[%1/%2] %3 → %4%5").arg(done).arg(total).arg(m.task, m.path, check));
    };
    const auto result = usecases::extract(*store, request, printNote, hooks);
    if (events) {
        protocol::JobEvent finished;
        finished.type = protocol::JobEventType::Finished;
        finished.run = result.run.id;
        emitJobEvent(finished);
        return ExitOk;
    }

    ResultTable table({QStringLiteral("model"), QStringLiteral("task"), QStringLiteral("serves"), QStringLiteral("params"),
                       QStringLiteral("active_per_token"), QStringLiteral("file_mb"), QStringLiteral("exact"),
                       QStringLiteral("max_logit_diff"), QStringLiteral("layers"), QStringLiteral("path")});
    for (const auto &m : result.models)
        table.addRow({m.modelId, m.task, m.serves.join(QLatin1Char(' ')), qint64(m.parameters.total),
                      qint64(m.parameters.activePerToken), double(m.fileBytes) / (1 << 20),
                      m.exact ? QStringLiteral("yes") : QStringLiteral("no (pruned)"), m.maxLogitDifference,
                      layersText(m.layers), m.path});
    table.print(format, QStringLiteral("Run %1 (%2), checkpoint step %3: %4 parameters, %5 active per token")
                            .arg(result.run.id).arg(result.run.name).arg(result.checkpoint.step)
                            .arg(result.fullParameters.total).arg(result.fullParameters.activePerToken));
    return ExitOk;
}

int modelsCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("models"),
                    QStringLiteral("list the store's models: evaluated checkpoints, extracted sub-networks, students"));
    cli.addDbOption();
    cli.addFormatOption();
    cli.addOption({QStringLiteral("run"), QStringLiteral("Only the models of this run."), QStringLiteral("id")});
    cli.addOption({QStringLiteral("kind"), QStringLiteral("Only full, subnetwork or student models."), QStringLiteral("kind")});
    if (!cli.parse(args))
        return ExitOk;
    const qint64 run = cli.isSet(QStringLiteral("run")) ? cli.intValue(QStringLiteral("run"), 1, std::numeric_limits<qint64>::max()) : 0;
    const QString kind = cli.value(QStringLiteral("kind"));
    if (!kind.isEmpty() && kind != QLatin1String("full") && kind != QLatin1String("subnetwork") && kind != QLatin1String("student"))
        throw UsageError(QStringLiteral("models: --kind must be full, subnetwork or student (got '%1')").arg(kind));
    const Format format = cli.format();
    const auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    std::map<qint64, qint64> steps;   // checkpoint id → step
    ResultTable table({QStringLiteral("id"), QStringLiteral("kind"), QStringLiteral("run"), QStringLiteral("step"),
                       QStringLiteral("task"), QStringLiteral("params"), QStringLiteral("active_per_token"),
                       QStringLiteral("file_mb"), QStringLiteral("path")});
    for (const auto &m : store->models()) {
        if ((run > 0 && m.runId != run) || (!kind.isEmpty() && m.kind != kind))
            continue;
        if (m.runId > 0 && !steps.count(m.checkpointId))
            for (const auto &c : store->checkpoints(m.runId))
                steps[c.id] = c.step;
        const QFileInfo file(m.path);
        table.addRow({m.id, m.kind, m.runId, steps.count(m.checkpointId) ? QVariant(steps[m.checkpointId]) : QVariant(),
                      m.task, m.paramsTotal, m.paramsActive,
                      file.exists() ? QVariant(double(file.size()) / (1 << 20)) : QVariant(QStringLiteral("missing")),
                      m.path});
    }
    table.print(format);
    return ExitOk;
}

QVariant optional(const std::optional<double> &v)
{
    return v ? QVariant(*v) : QVariant();
}

int compareCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("compare"),
                    QStringLiteral("a run's full model beside its sub-networks and students, per task, from stored "
                                   "evaluations and benchmarks"));
    cli.addDbOption();
    cli.addFormatOption();
    cli.addOption({QStringLiteral("run"), QStringLiteral("The run the models come from."), QStringLiteral("id")});
    cli.addOption({QStringLiteral("dense"), QStringLiteral("A dense baseline run: the share of the BLEU gain each model keeps."),
                   QStringLiteral("id")});
    cli.addOption({QStringLiteral("beam"), QStringLiteral("Scores of evaluations with this beam (default 4)."),
                   QStringLiteral("n"), QStringLiteral("4")});
    cli.addOption({QStringLiteral("split"), QStringLiteral("test (default), dev or multiway."), QStringLiteral("split"),
                   QStringLiteral("test")});
    if (!cli.parse(args))
        return ExitOk;
    if (!cli.isSet(QStringLiteral("run")))
        throw UsageError(QStringLiteral("compare: --run N is required"));
    usecases::ComparisonRequest request;
    request.runId = cli.intValue(QStringLiteral("run"), 1, std::numeric_limits<qint64>::max());
    if (cli.isSet(QStringLiteral("dense")))
        request.denseRunId = cli.intValue(QStringLiteral("dense"), 1, std::numeric_limits<qint64>::max());
    request.beam = int(cli.intValue(QStringLiteral("beam"), 1, 64));
    request.split = cli.value(QStringLiteral("split"));
    const Format format = cli.format();
    const auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    const auto c = usecases::compareModels(*store, request);
    ResultTable table({QStringLiteral("task"), QStringLiteral("kind"), QStringLiteral("model"), QStringLiteral("step"),
                       QStringLiteral("params"), QStringLiteral("active_per_token"), QStringLiteral("file_mb"),
                       QStringLiteral("experts"), QStringLiteral("BLEU"), QStringLiteral("chrF"),
                       QStringLiteral("delta_BLEU"), QStringLiteral("gain_kept"), QStringLiteral("greedy_tokens_per_s"),
                       QStringLiteral("beam4_tokens_per_s")});
    for (const auto &r : c.rows)
        table.addRow({r.task, r.kind, r.modelId, r.step, r.paramsTotal, r.paramsActive,
                      r.fileBytes > 0 ? QVariant(double(r.fileBytes) / (1 << 20)) : QVariant(), r.experts,
                      optional(r.bleu), optional(r.chrf), optional(r.deltaBleu), optional(r.gainKept),
                      optional(r.peakGreedy), optional(r.peakBeam)});
    table.print(format, QStringLiteral("Run %1 (%2)%3; %4 split, beam %5; scores are means over each task's pairs")
                            .arg(c.run.id).arg(c.run.name)
                            .arg(c.dense.id > 0 ? QStringLiteral(", dense baseline run %1 (%2)").arg(c.dense.id).arg(c.dense.name)
                                                : QString())
                            .arg(request.split).arg(request.beam));
    if (format == Format::Table && !c.summary.empty()) {
        std::printf("\n");
        ResultTable summary({QStringLiteral("variant"), QStringLiteral("models"), QStringLiteral("pairs"),
                             QStringLiteral("params"), QStringLiteral("active_per_token"), QStringLiteral("BLEU"),
                             QStringLiteral("full_BLEU"), QStringLiteral("dense_BLEU"), QStringLiteral("delta_BLEU"),
                             QStringLiteral("gain_kept")});
        for (const auto &r : c.summary)
            summary.addRow({r.variant, r.models, r.pairs, r.paramsTotal, r.paramsActive, optional(r.bleu),
                            optional(r.fullBleu), optional(r.denseBleu), optional(r.deltaBleu), optional(r.gainKept)});
        summary.print(format, QStringLiteral("Over all the pairs each variant covers (means over pairs); gain kept where the "
                                             "full model gains at least %1 BLEU over the baseline")
                                  .arg(usecases::kMinimumGainBleu));
    }
    for (const auto &m : c.missing)
        printNote(QStringLiteral("not measured yet: %1").arg(m));
    return ExitOk;
}

} // namespace

int runExtract(const QStringList &args)
{
    const QString command = args.value(1);
    QStringList rest = args;
    rest.removeAt(1);
    if (command == QLatin1String("compare"))
        return compareCommand(rest);
    return command == QLatin1String("models") ? modelsCommand(rest) : extractCommand(rest);
}

} // namespace taskmoe::app
