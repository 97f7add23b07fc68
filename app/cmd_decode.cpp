// Commands that use a trained model or what it did:
//   taskmoe translate --model FILE|--run N --to de     stdin → stdout translations
//   taskmoe eval --run N [--checkpoint STEP]           per-pair BLEU/chrF + aggregates, routing statistics
//   taskmoe route --run N --to de                      per-token routing trace (JSON) of one sentence
//   taskmoe routing --run N --side S --layer L         a stored task × expert matrix
#include "app/cli.h"
#include "usecases/route.h"

#include "core/eval/bleu.h"
#include "core/decoding/decoding.h"
#include "core/base/errors.h"
#include "core/model/modelfile.h"
#include "core/eval/routingviews.h"
#include "core/data/sentencepiece.h"
#include "core/base/sha256.h"
#include "core/base/text.h"
#include "core/model/transformer.h"
#include "db/routingtable.h"
#include "db/store.h"
#include "protocol/jobevents.h"
#include "usecases/evaluate.h"
#include "usecases/models.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>

namespace taskmoe::app {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

void addModelOptions(CommandLine &cli, bool modelFile)
{
    if (modelFile)
        cli.addOption({QStringLiteral("model"), QStringLiteral("A model file (.tmf)."), QStringLiteral("file")});
    cli.addOption({QStringLiteral("run"), QStringLiteral("Use a training run's checkpoint."), QStringLiteral("id")});
    cli.addOption({QStringLiteral("checkpoint"), QStringLiteral("The checkpoint step, or best (the highest dev BLEU); default: the newest."),
                   QStringLiteral("step")});
}

void addDecodeOptions(CommandLine &cli, const QString &defaultBeam)
{
    cli.addOption({QStringLiteral("beam"), QStringLiteral("Beam size; 1 = greedy."), QStringLiteral("n"), defaultBeam});
    cli.addOption({QStringLiteral("batch-size"), QStringLiteral("Sentences decoded together."), QStringLiteral("n"),
                   QStringLiteral("32")});
    cli.addOption({QStringLiteral("length-penalty"), QStringLiteral("GNMT length penalty alpha (0 = raw log-probability)."),
                   QStringLiteral("alpha"), QStringLiteral("0.6")});
    cli.addOption({QStringLiteral("max-length-ratio"),
                   QStringLiteral("A translation has at most ratio x source pieces + 10 pieces."), QStringLiteral("ratio"),
                   QStringLiteral("2")});
    cli.addOption({QStringLiteral("capacity-factor"),
                   QStringLiteral("MoE expert capacity while decoding; 0 = no limit (default)."), QStringLiteral("f"),
                   QStringLiteral("0")});
}

core::DecodeOptions decodeOptions(const CommandLine &cli)
{
    core::DecodeOptions o;
    o.beam = int(cli.intValue(QStringLiteral("beam"), 1, 64));
    o.batchSize = int(cli.intValue(QStringLiteral("batch-size"), 1, 4096));
    o.lengthPenalty = cli.doubleValue(QStringLiteral("length-penalty"), 0, 10);
    o.maxLengthRatio = cli.doubleValue(QStringLiteral("max-length-ratio"), 0.01, 100);
    o.capacityFactor = cli.doubleValue(QStringLiteral("capacity-factor"), 0, 1000);
    return o;
}

using Model = usecases::TranslationModel;
using usecases::decodeOptionsJson;

/// --checkpoint: the newest (not given), best, or a step.
usecases::CheckpointChoice checkpointChoice(const CommandLine &cli)
{
    return usecases::parseCheckpointChoice(cli.isSet(QStringLiteral("checkpoint")) ? cli.value(QStringLiteral("checkpoint"))
                                                                                   : QString());
}

void noteBest(const usecases::CheckpointChoice &choice, qint64 runId, qint64 step, double devBleu)
{
    if (choice.kind == usecases::CheckpointChoice::Kind::Best)
        std::fprintf(stderr, "taskmoe: run %lld's best checkpoint is step %lld (dev BLEU %.2f)\n",
                     static_cast<long long>(runId), static_cast<long long>(step), devBleu);
}

/// The model of --model FILE (when `storeOut` is null) or of --run N [--checkpoint STEP|best].
Model loadModelFrom(const CommandLine &cli, std::unique_ptr<db::Store> *storeOut)
{
    const bool byRun = cli.isSet(QStringLiteral("run"));
    const bool byFile = !storeOut && cli.isSet(QStringLiteral("model"));
    if (byFile == byRun)
        throw UsageError(storeOut ? QStringLiteral("give the run with --run N") : QStringLiteral("give either --model FILE or --run N"));
    if (!byRun) {
        if (cli.isSet(QStringLiteral("checkpoint")))
            throw UsageError(QStringLiteral("--checkpoint goes with --run"));
        return usecases::loadModelFile(cli.value(QStringLiteral("model")));
    }
    auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    const auto choice = checkpointChoice(cli);
    double best = 0;
    Model m = usecases::loadRunModel(*store, cli.intValue(QStringLiteral("run"), 1, std::numeric_limits<qint64>::max()),
                                     choice, &best);
    noteBest(choice, m.run.id, m.checkpoint.step, best);
    if (storeOut)
        *storeOut = std::move(store);
    return m;
}

void warnCropped(int cropped, const Model &m, const std::string &where)
{
    if (cropped > 0)
        std::fprintf(stderr, "taskmoe: warning: %s: %d sentence(s) longer than the model's %lld positions were cut to fit\n",
                     where.c_str(), cropped, static_cast<long long>(m.loaded.model->options().maxLength - 1));
}

// ---------------------------------------------------------------------------------------------

int translateCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("translate"),
                    QStringLiteral("translate sentences from stdin (one per line) with a model; translations go to stdout"));
    cli.addDbOption();
    cli.addThreadsOption();
    addModelOptions(cli, true);
    cli.addOption({QStringLiteral("to"), QStringLiteral("Target language code, e.g. de."), QStringLiteral("lang")});
    cli.addOption({QStringLiteral("from"), QStringLiteral("Source language (needed by pair-routed models)."),
                   QStringLiteral("lang")});
    addDecodeOptions(cli, QStringLiteral("4"));
    if (!cli.parse(args))
        return ExitOk;
    if (!cli.isSet(QStringLiteral("to")))
        throw UsageError(QStringLiteral("translate: --to LANG is required"));
    const core::DecodeOptions options = decodeOptions(cli);
    cli.threads();
    const Model m = loadModelFrom(cli, nullptr);
    const auto [tgt, pair] = m.direction(cli.value(QStringLiteral("from")), cli.value(QStringLiteral("to")));

    // Read everything first: a bad line is reported before any output is written.
    std::vector<core::DecodeRequest> requests;
    std::vector<std::size_t> lineOfRequest;
    std::vector<bool> emptyLine;
    int cropped = 0;
    std::string line;
    for (std::int64_t lineNo = 1; std::getline(std::cin, line); ++lineNo) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        std::size_t bad = 0;
        if (!core::isValidUtf8(line, &bad))
            throw core::lineError("<stdin>", lineNo, "invalid UTF-8 at byte " + std::to_string(bad + 1));
        const bool empty = line.find_first_not_of(" \t") == std::string::npos;
        emptyLine.push_back(empty);
        if (empty)
            continue;  // an empty line translates to an empty line
        requests.push_back(m.request(line, tgt, pair, &cropped));
        lineOfRequest.push_back(std::size_t(lineNo - 1));
    }
    warnCropped(cropped, m, "<stdin>");
    const auto results = core::translate(*m.loaded.model, requests, options);
    std::vector<std::string> out(emptyLine.size());
    for (std::size_t i = 0; i < results.size(); ++i)
        out[lineOfRequest[i]] = m.detokenize(results[i].tokens);
    for (const auto &s : out) {
        std::fwrite(s.data(), 1, s.size(), stdout);
        std::fputc('\n', stdout);
    }
    return ExitOk;
}

// ---------------------------------------------------------------------------------------------

int evalCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("eval"),
                    QStringLiteral("translate every language pair's test split with a run's checkpoint; store BLEU, chrF, "
                                   "aggregates and routing statistics"));
    cli.addDbOption();
    cli.addThreadsOption();
    cli.addFormatOption();
    addModelOptions(cli, false);
    cli.addOption({QStringLiteral("model"),
                   QStringLiteral("A model of the store instead of a run's checkpoint: its id or file (a sub-network, a "
                                  "student; `taskmoe models` lists them)."),
                   QStringLiteral("id|file")});
    cli.addOption({QStringLiteral("split"), QStringLiteral("test (default), dev or multiway."), QStringLiteral("split"),
                   QStringLiteral("test")});
    cli.addOption({QStringLiteral("pairs"), QStringLiteral("Only these pairs, comma-separated (e.g. en-de,de-en)."),
                   QStringLiteral("list")});
    cli.addOption({QStringLiteral("limit"), QStringLiteral("At most this many sentences per pair."), QStringLiteral("n")});
    cli.addOption({QStringLiteral("no-routing"), QStringLiteral("Do not record routing statistics.")});
    cli.addOption({QStringLiteral("events"), QStringLiteral("Print progress as JSON lines on stdout (for the workbench).")});
    addDecodeOptions(cli, QStringLiteral("4"));
    if (!cli.parse(args))
        return ExitOk;
    if (cli.isSet(QStringLiteral("run")) == cli.isSet(QStringLiteral("model")))
        throw UsageError(QStringLiteral("eval: give either --run N or --model ID|FILE"));
    if (cli.isSet(QStringLiteral("model")) && cli.isSet(QStringLiteral("checkpoint")))
        throw UsageError(QStringLiteral("eval: --checkpoint goes with --run (a stored model is one checkpoint's)"));
    usecases::EvaluateRequest request;
    request.split = cli.value(QStringLiteral("split"));
    if (request.split != QLatin1String("test") && request.split != QLatin1String("dev") && request.split != QLatin1String("multiway"))
        throw UsageError(QStringLiteral("eval: --split must be test, dev or multiway (got '%1')").arg(request.split));
    request.decoding = decodeOptions(cli);
    request.limit = cli.isSet(QStringLiteral("limit")) ? cli.intValue(QStringLiteral("limit"), 1, std::numeric_limits<qint64>::max()) : 0;
    request.recordRouting = !cli.isSet(QStringLiteral("no-routing"));
    if (cli.isSet(QStringLiteral("run")))
        request.runId = cli.intValue(QStringLiteral("run"), 1, std::numeric_limits<qint64>::max());
    request.checkpoint = checkpointChoice(cli);
    for (const auto &p : cli.value(QStringLiteral("pairs")).split(QLatin1Char(','), Qt::SkipEmptyParts))
        request.pairs.insert(p.trimmed());
    const bool events = cli.isSet(QStringLiteral("events"));
    const Format format = cli.format();
    cli.threads();
    const auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    if (cli.isSet(QStringLiteral("model")))
        request.modelId = usecases::findStoredModel(*store, cli.value(QStringLiteral("model")));

    const auto report = [&](const protocol::JobEvent &e) {
        if (!events)
            return;
        emitJobEvent(e);
    };
    usecases::EvaluateHooks hooks;
    qint64 evaluatedRun = request.runId;   // a stored model's run is known once it is loaded
    hooks.started = [&](const usecases::EvaluationResult &r, int pairs) {
        evaluatedRun = r.run.id;
        noteBest(request.checkpoint, r.run.id, r.checkpoint.step, r.bestDevBleu);
        protocol::JobEvent started;
        started.type = protocol::JobEventType::Started;
        started.run = r.run.id;
        started.step = r.checkpoint.step;
        started.pairs = pairs;
        report(started);
    };
    hooks.pairDone = [&](const usecases::PairScore &s, int done, int total) {
        if (s.cropped > 0)
            std::fprintf(stderr, "taskmoe: warning: %s: %d sentence(s) were cut to the model's positions\n",
                         qPrintable(s.pair), s.cropped);
        std::fprintf(stderr, "taskmoe eval: [%d/%d] %s  %lld sentences  BLEU %.2f  chrF %.2f  (%.1f s)\n", done, total,
                     qPrintable(s.pair), static_cast<long long>(s.sentences), s.bleu.score, s.chrf.score, s.seconds);
        protocol::JobEvent progress;
        progress.type = protocol::JobEventType::Progress;
        progress.run = evaluatedRun;
        progress.pair = s.pair;
        progress.done = done;
        progress.pairs = total;
        progress.bleu = s.bleu.score;
        progress.chrf = s.chrf.score;
        progress.seconds = s.seconds;
        report(progress);
    };
    const usecases::EvaluationResult result = usecases::evaluate(*store, request, hooks);

    protocol::JobEvent finished;
    finished.type = protocol::JobEventType::Finished;
    finished.run = result.run.id;
    finished.model = result.modelId;
    finished.seconds = result.seconds;
    report(finished);
    if (events)
        return ExitOk;
    ResultTable table({QStringLiteral("pair"), QStringLiteral("kind"), QStringLiteral("sentences"), QStringLiteral("BLEU"),
                       QStringLiteral("chrF")});
    for (const auto &r : result.pairs)
        table.addRow({r.pair, r.resource, r.sentences, r.bleu.score, r.chrf.score});
    for (const auto &a : result.aggregates)
        table.addRow({a.name, QStringLiteral("mean of %1").arg(a.pairs), a.sentences, a.bleu, a.chrf});
    const auto &first = result.pairs.front();
    const QString subject = request.modelId > 0 ? QStringLiteral("Model %1 of run %2 (%3), checkpoint step %4")
                                                      .arg(request.modelId).arg(result.run.id).arg(result.run.name)
                                                      .arg(result.checkpoint.step)
                                                : QStringLiteral("Run %1 (%2), checkpoint step %3")
                                                      .arg(result.run.id).arg(result.run.name).arg(result.checkpoint.step);
    table.print(format, QStringLiteral("%1, %2 split, beam %3\nBLEU|%4\n%5|%6")
                            .arg(subject, request.split).arg(request.decoding.beam)
                            .arg(qs(first.bleu.signature), qs(first.chrf.name), qs(first.chrf.signature)));
    return ExitOk;
}

// ---------------------------------------------------------------------------------------------

int routeCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("route"),
                    QStringLiteral("translate one sentence and print which experts each source and target token chose "
                                   "in every MoE layer (JSON)"));
    cli.addDbOption();
    cli.addThreadsOption();
    addModelOptions(cli, true);
    cli.addOption({QStringLiteral("to"), QStringLiteral("Target language code."), QStringLiteral("lang")});
    cli.addOption({QStringLiteral("from"), QStringLiteral("Source language (needed by pair-routed models)."),
                   QStringLiteral("lang")});
    cli.addOption({QStringLiteral("text"), QStringLiteral("The sentence (default: the first line of stdin)."),
                   QStringLiteral("text")});
    cli.addOption({QStringLiteral("serve"),
                   QStringLiteral("Keep the model loaded and answer requests, one JSON object per line on stdin "
                                  "({\"text\", \"to\", \"from\", \"beam\", \"capacity_factor\"}), with one line of "
                                  "JSON each on stdout (the trace, or {\"error\": …}); the first line describes the model.")});
    addDecodeOptions(cli, QStringLiteral("4"));
    if (!cli.parse(args))
        return ExitOk;
    const bool serve = cli.isSet(QStringLiteral("serve"));
    if (!serve && !cli.isSet(QStringLiteral("to")))
        throw UsageError(QStringLiteral("route: --to LANG is required"));
    const core::DecodeOptions options = decodeOptions(cli);
    cli.threads();
    const Model m = loadModelFrom(cli, nullptr);
    if (serve) {
        std::fputs(QJsonDocument(usecases::modelDescription(m)).toJson(QJsonDocument::Compact).constData(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
        for (std::string line; std::getline(std::cin, line);) {
            QJsonObject answer;
            try {
                const QJsonObject in = QJsonDocument::fromJson(QByteArray::fromStdString(line)).object();
                usecases::RouteRequest request;
                request.text = in.value(QStringLiteral("text")).toString().toStdString();
                request.to = in.value(QStringLiteral("to")).toString();
                request.from = in.value(QStringLiteral("from")).toString();
                request.decoding = options;
                request.decoding.beam = std::clamp(in.value(QStringLiteral("beam")).toInt(options.beam), 1, 64);
                request.decoding.capacityFactor =
                    std::clamp(in.value(QStringLiteral("capacity_factor")).toDouble(options.capacityFactor), 0.0, 1000.0);
                if (request.to.isEmpty())
                    throw UsageError(QStringLiteral("the request names no target language (\"to\")"));
                int cropped = 0;
                answer = usecases::routeSentence(m, request, &cropped);
                answer.insert(QStringLiteral("cropped"), cropped > 0);
            } catch (const std::exception &e) {
                answer = QJsonObject{{QStringLiteral("error"), QString::fromUtf8(e.what())}};
            }
            std::fputs(QJsonDocument(answer).toJson(QJsonDocument::Compact).constData(), stdout);
            std::fputc('\n', stdout);
            std::fflush(stdout);
        }
        return ExitOk;
    }
    usecases::RouteRequest request;
    request.from = cli.value(QStringLiteral("from"));
    request.to = cli.value(QStringLiteral("to"));
    request.decoding = options;
    if (cli.isSet(QStringLiteral("text")))
        request.text = cli.value(QStringLiteral("text")).toStdString();
    else
        std::getline(std::cin, request.text);
    if (!request.text.empty() && request.text.back() == '\r')
        request.text.pop_back();
    int cropped = 0;
    const QJsonObject out = usecases::routeSentence(m, request, &cropped);
    warnCropped(cropped, m, "the sentence");
    std::fputs(QJsonDocument(out).toJson(QJsonDocument::Indented).constData(), stdout);
    return ExitOk;
}

// ---------------------------------------------------------------------------------------------

int routingCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("routing"),
                    QStringLiteral("print a stored task x expert routing matrix (share of each task's tokens per expert)"));
    cli.addDbOption();
    cli.addFormatOption();
    addModelOptions(cli, false);
    cli.addOption({QStringLiteral("side"), QStringLiteral("encoder or decoder."), QStringLiteral("side"),
                   QStringLiteral("decoder")});
    cli.addOption({QStringLiteral("layer"), QStringLiteral("MoE layer index within the side (default: the first)."),
                   QStringLiteral("n")});
    cli.addOption({QStringLiteral("measure"), QStringLiteral("top1, topk (default), gate or processed."),
                   QStringLiteral("m"), QStringLiteral("topk")});
    if (!cli.parse(args))
        return ExitOk;
    if (!cli.isSet(QStringLiteral("run")))
        throw UsageError(QStringLiteral("routing: --run N is required"));
    const QString side = cli.value(QStringLiteral("side"));
    const auto chosenSide = db::sideFromName(side);
    if (!chosenSide)
        throw UsageError(QStringLiteral("routing: --side must be encoder or decoder (got '%1')").arg(side));
    const QString measure = cli.value(QStringLiteral("measure"));
    const auto measured = db::routingMeasureFromKey(measure);
    if (!measured)
        throw UsageError(QStringLiteral("routing: --measure must be top1, topk, gate or processed (got '%1')").arg(measure));
    const Format format = cli.format();

    auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    const db::RunRecord run = store->run(cli.intValue(QStringLiteral("run"), 1, std::numeric_limits<qint64>::max()));
    const db::CheckpointRecord checkpoint = usecases::chooseCheckpoint(*store, run.id, checkpointChoice(cli));
    qint64 modelId = 0;
    for (const auto &model : store->models())
        if (model.checkpointId == checkpoint.id && model.kind == QLatin1String("full"))
            modelId = model.id;
    const auto all = modelId ? store->routingStats(modelId, checkpoint.step) : std::vector<db::RoutingStatRecord>();
    if (all.empty())
        throw CommandError(QStringLiteral("no routing statistics for run %1 at step %2 yet; record them with "
                                          "`taskmoe eval --run %1 --checkpoint %2`").arg(run.id).arg(checkpoint.step));
    const db::RoutingTable routing = db::routingTable(all);
    std::set<int> layers;
    for (const auto &l : routing.layers)
        if (l.side == *chosenSide)
            layers.insert(l.layer);
    if (layers.empty())
        throw CommandError(QStringLiteral("run %1 has no MoE layer in the %2").arg(run.id).arg(side));
    const int layer = cli.isSet(QStringLiteral("layer")) ? int(cli.intValue(QStringLiteral("layer"), 0, 1000)) : *layers.begin();
    if (!layers.count(layer)) {
        QStringList have;
        for (const int l : layers)
            have << QString::number(l);
        throw CommandError(QStringLiteral("the %1's MoE layers are %2; there is no MoE layer %3").arg(side, have.join(QStringLiteral(", "))).arg(layer));
    }

    // Rows: the tasks present in the layer, by name; columns: experts.
    const db::RoutingTable::Layer &cells = *routing.find(*chosenSide, layer);
    const int experts = routing.experts;
    core::RoutingMatrix matrix;
    matrix.experts = std::size_t(experts);
    std::vector<QString> order;
    std::vector<qint64> tokens;
    for (std::size_t t = 0; t < routing.tasks.size(); ++t) {
        if (!cells.taskPresent[t])
            continue;
        order.push_back(routing.tasks[t]);
        matrix.tasks.push_back(routing.tasks[t].toStdString());
        qint64 n = 0;
        for (int e = 0; e < experts; ++e) {
            matrix.values.push_back(cells.cell(t, e, experts).value(*measured));
            n += cells.cell(t, e, experts).top1;
        }
        tokens.push_back(n);
    }
    const auto shares = core::taskDistributions(matrix);
    // The layer's expert load: copies each expert processed, over all tasks.
    std::vector<double> load = routing.processedLoad(cells);
    double loadTotal = 0;
    for (const double l : load)
        loadTotal += l;
    for (double &l : load)
        l = loadTotal > 0 ? l / loadTotal : 0;
    QStringList columns{QStringLiteral("task"), QStringLiteral("tokens")};
    for (int e = 0; e < experts; ++e)
        columns << QStringLiteral("e%1").arg(e);
    columns << QStringLiteral("entropy");
    ResultTable table(columns);
    for (std::size_t t = 0; t < order.size(); ++t) {
        QVariantList row{order[t], tokens[t]};
        for (const double v : shares[t])
            row << v;
        row << core::entropy(shares[t]);
        table.addRow(row);
    }
    table.print(format, QStringLiteral("Run %1 (%2), step %3, %4 MoE layer %5: share of each task's tokens per expert (%6); "
                                       "entropy in nats (uniform over %7 experts = %8); the layer's expert-load entropy "
                                       "(processed copies) %9")
                            .arg(run.id).arg(run.name).arg(checkpoint.step).arg(side).arg(layer).arg(measure).arg(experts)
                            .arg(std::log(double(experts)), 0, 'f', 3).arg(core::entropy(load), 0, 'f', 3));
    return ExitOk;
}

} // namespace

int benchDecode(const CommandLine &cli)
{
    std::unique_ptr<db::Store> store;
    const Model m = loadModelFrom(cli, &store);
    const auto &tasks = m.loaded.info.tasks;
    const qint64 wanted = cli.intValue(QStringLiteral("sentences"), 1, 100000);
    const db::DatasetRecord dataset = store->dataset(m.run.datasetId);
    // The first test sentences of the first pairs, in the model's directions.
    std::vector<core::DecodeRequest> requests;
    for (std::size_t p = 0; p < tasks.pairs.size() && qint64(requests.size()) < wanted; ++p) {
        const std::string src = tasks.languages[std::size_t(tasks.pairs[p].first)];
        const std::string tgt = tasks.languages[std::size_t(tasks.pairs[p].second)];
        for (const auto &dp : dataset.pairs) {
            const bool forward = dp.srcLang == qs(src) && dp.tgtLang == qs(tgt);
            if (!forward && !(dp.srcLang == qs(tgt) && dp.tgtLang == qs(src)))
                continue;
            int taken = 0;
            for (const auto &row : store->segments(dp.id, QStringLiteral("test"))) {
                if (qint64(requests.size()) >= wanted || ++taken > 8)
                    break;  // a few sentences of many pairs
                requests.push_back(m.request((forward ? row.src : row.tgt).toStdString(), tasks.pairs[p].second, int(p)));
            }
        }
    }
    struct Setting { QString name; int beam; bool cache; };
    const std::vector<Setting> settings = {{QStringLiteral("greedy, KV cache"), 1, true},
                                           {QStringLiteral("greedy, no cache"), 1, false},
                                           {QStringLiteral("beam 4, KV cache"), 4, true},
                                           {QStringLiteral("beam 4, no cache"), 4, false}};
    ResultTable table({QStringLiteral("decoding"), QStringLiteral("sentences"), QStringLiteral("pieces"),
                       QStringLiteral("seconds"), QStringLiteral("pieces_per_s"), QStringLiteral("speedup_of_cache")});
    std::map<int, double> uncachedRate;
    std::vector<std::tuple<QString, qint64, double>> rows;
    {
        core::DecodeOptions warmUp;  // first-call allocations and thread start-up are not timed
        warmUp.beam = 1;
        core::translate(*m.loaded.model, {requests.begin(), requests.begin() + std::min<std::ptrdiff_t>(8, std::ptrdiff_t(requests.size()))}, warmUp);
    }
    for (const auto &s : settings) {
        core::DecodeOptions o;
        o.beam = s.beam;
        o.useCache = s.cache;
        o.batchSize = int(cli.intValue(QStringLiteral("batch-size"), 1, 4096));
        QElapsedTimer timer;
        timer.start();
        const auto out = core::translate(*m.loaded.model, requests, o);
        const double seconds = double(timer.nsecsElapsed()) / 1e9;
        qint64 pieces = 0;
        for (const auto &r : out)
            pieces += qint64(r.tokens.size()) + 1;
        rows.emplace_back(s.name, pieces, seconds);
        if (!s.cache)
            uncachedRate[s.beam] = double(pieces) / seconds;
        std::fprintf(stderr, "taskmoe: %s measured\n", s.name.toUtf8().constData());
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto &[name, pieces, seconds] = rows[i];
        const double rate = double(pieces) / seconds;
        table.addRow({name, qint64(requests.size()), pieces, seconds, rate,
                      settings[i].cache ? QVariant(rate / uncachedRate[settings[i].beam]) : QVariant(1.0)});
    }
    table.print(cli.format(), QStringLiteral("Decoding %1 test sentences with run %2's checkpoint at step %3, batches of %4, "
                                             "%5 threads (pieces include the EOS)")
                                  .arg(requests.size()).arg(m.run.id).arg(m.checkpoint.step)
                                  .arg(cli.value(QStringLiteral("batch-size"))).arg(cli.threads()));
    return ExitOk;
}

int runDecode(const QStringList &args)
{
    const QString command = args.value(1);
    QStringList rest = args;
    rest.removeAt(1);
    if (command == QLatin1String("translate"))
        return translateCommand(rest);
    if (command == QLatin1String("eval"))
        return evalCommand(rest);
    if (command == QLatin1String("route"))
        return routeCommand(rest);
    return routingCommand(rest);
}

} // namespace taskmoe::app
