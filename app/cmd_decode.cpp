// Commands that use a trained model or what it did:
//   taskmoe translate --model FILE|--run N --to de     stdin → stdout translations
//   taskmoe eval --run N [--checkpoint STEP]           per-pair BLEU/chrF + aggregates, routing statistics
//   taskmoe route --run N --to de                      per-token routing trace (JSON) of one sentence
//   taskmoe routing --run N --side S --layer L         a stored task × expert matrix
#include "app/cli.h"

#include "core/bleu.h"
#include "core/decoding.h"
#include "core/errors.h"
#include "core/modelfile.h"
#include "core/routingviews.h"
#include "core/sentencepiece.h"
#include "core/sha256.h"
#include "core/text.h"
#include "core/transformer.h"
#include "db/store.h"

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

QJsonObject decodeOptionsJson(const core::DecodeOptions &o)
{
    return {{QStringLiteral("beam"), o.beam},
            {QStringLiteral("length_penalty"), o.lengthPenalty},
            {QStringLiteral("max_length_ratio"), o.maxLengthRatio},
            {QStringLiteral("max_length_extra"), o.maxLengthExtra},
            {QStringLiteral("capacity_factor"), o.capacityFactor},
            {QStringLiteral("batch_size"), o.batchSize}};
}

/// A model ready to translate, with where it came from.
struct Model
{
    core::LoadedModel loaded;
    std::optional<core::SentencePieceModel> spm;   ///< set once the model is loaded
    db::CheckpointRecord checkpoint;   ///< id 0 for --model FILE
    db::RunRecord run;                 ///< id 0 for --model FILE
    QString path;
};

/// The checkpoint --checkpoint names, or the run's newest.
db::CheckpointRecord chooseCheckpoint(const db::Store &store, const CommandLine &cli, qint64 runId)
{
    const auto all = store.checkpoints(runId);
    if (all.isEmpty())
        throw CommandError(QStringLiteral("run %1 has no checkpoints yet (a run writes one every train.checkpoint_every "
                                          "steps and when it stops)").arg(runId));
    if (!cli.isSet(QStringLiteral("checkpoint")))
        return all.back();
    if (cli.value(QStringLiteral("checkpoint")) == QLatin1String("best")) {
        const auto best = store.bestCheckpoint(runId);
        if (!best)
            throw CommandError(QStringLiteral("--checkpoint best: run %1 has no checkpoint with a dev BLEU yet (the "
                                              "dev_bleu metric is written at every dev evaluation when "
                                              "train.dev_bleu_sentences > 0)").arg(runId));
        std::fprintf(stderr, "taskmoe: run %lld's best checkpoint is step %lld (dev BLEU %.2f)\n",
                     static_cast<long long>(runId), static_cast<long long>(best->first.step), best->second);
        return best->first;
    }
    const qint64 step = cli.intValue(QStringLiteral("checkpoint"), 0, std::numeric_limits<qint64>::max());
    QStringList steps;
    for (const auto &c : all) {
        if (c.step == step)
            return c;
        steps << QString::number(c.step);
    }
    throw CommandError(QStringLiteral("run %1 has no checkpoint at step %2 (it has: %3)").arg(runId).arg(step).arg(steps.join(QStringLiteral(", "))));
}

/// The model of --model FILE (when `storeOut` is null) or of --run N [--checkpoint STEP].
Model loadModelFrom(const CommandLine &cli, std::unique_ptr<db::Store> *storeOut)
{
    const bool byRun = cli.isSet(QStringLiteral("run"));
    const bool byFile = !storeOut && cli.isSet(QStringLiteral("model"));
    if (byFile == byRun)
        throw UsageError(storeOut ? QStringLiteral("give the run with --run N") : QStringLiteral("give either --model FILE or --run N"));
    Model m;
    if (byRun) {
        auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
        m.run = store->run(cli.intValue(QStringLiteral("run"), 1, std::numeric_limits<qint64>::max()));
        m.checkpoint = chooseCheckpoint(*store, cli, m.run.id);
        m.path = m.checkpoint.path;
        if (!QFileInfo::exists(m.path))
            throw CommandError(QStringLiteral("%1: the checkpoint of run %2 at step %3 is missing")
                                   .arg(m.path).arg(m.run.id).arg(m.checkpoint.step));
        if (storeOut)
            *storeOut = std::move(store);
    } else {
        if (cli.isSet(QStringLiteral("checkpoint")))
            throw UsageError(QStringLiteral("--checkpoint goes with --run"));
        m.path = cli.value(QStringLiteral("model"));
    }
    m.loaded = core::loadModel(m.path.toStdString());   // checks size, SHA-256, manifest, tensors
    if (m.checkpoint.id != 0 && qs(m.loaded.sha256) != m.checkpoint.sha256)
        throw CommandError(QStringLiteral("%1: the file's SHA-256 differs from the one recorded for run %2's checkpoint "
                                          "at step %3 (was it replaced?)").arg(m.path).arg(m.run.id).arg(m.checkpoint.step));
    if (m.loaded.info.sentencePiece.empty())
        throw CommandError(QStringLiteral("%1: the model file does not embed its SentencePiece model, which translation "
                                          "needs").arg(m.path));
    m.spm.emplace(core::SentencePieceModel::fromBytes(m.loaded.info.sentencePiece));
    return m;
}

QString knownLanguages(const core::TaskTable &t)
{
    QStringList codes;
    for (const auto &l : t.languages)
        codes << qs(l);
    return codes.join(QStringLiteral(", "));
}

/// Task ids of a translation direction; --from may be empty when the model does not route by pair.
std::pair<int, int> directionIds(const Model &m, const QString &from, const QString &to)
{
    const auto &tasks = m.loaded.info.tasks;
    const int tgt = tasks.languageId(to.toStdString());
    if (tgt < 0)
        throw CommandError(QStringLiteral("--to %1: the model does not know this target language (it knows: %2)")
                               .arg(to, knownLanguages(tasks)));
    const auto &o = m.loaded.model->options();
    const bool needsPair = o.encoderRouting == core::Routing::TaskPair || o.decoderRouting == core::Routing::TaskPair;
    if (from.isEmpty()) {
        if (needsPair)
            throw UsageError(QStringLiteral("this model routes by language pair: give the source language with --from"));
        for (std::size_t p = 0; p < tasks.pairs.size(); ++p)
            if (tasks.pairs[p].second == tgt)
                return {tgt, int(p)};
        return {tgt, 0};
    }
    const int src = tasks.languageId(from.toStdString());
    if (src < 0)
        throw CommandError(QStringLiteral("--from %1: the model does not know this language (it knows: %2)")
                               .arg(from, knownLanguages(tasks)));
    const int pair = tasks.pairId(src, tgt);
    if (pair < 0) {
        if (needsPair)
            throw CommandError(QStringLiteral("the model was not trained on %1-%2 and routes by language pair").arg(from, to));
        return {tgt, 0};
    }
    return {tgt, pair};
}

/// <2xx> + pieces of `text`. A sentence longer than the model's positions is cut to fit (as
/// Marian's --max-length-crop does) and counted in `cropped`, so that a test set keeps every line.
core::DecodeRequest makeRequest(const Model &m, const std::string &text, int targetLang, int pair, int *cropped)
{
    core::DecodeRequest r;
    r.src.push_back(m.spm->pieceToId(core::targetToken(m.loaded.info.tasks.languages[std::size_t(targetLang)])));
    for (const int id : m.spm->encode(text))
        r.src.push_back(id);
    const auto max = std::size_t(m.loaded.model->options().maxLength);
    if (r.src.size() > max) {
        r.src.resize(max);
        if (cropped)
            ++*cropped;
    }
    r.targetLang = targetLang;
    r.pair = pair;
    return r;
}

void warnCropped(int cropped, const Model &m, const std::string &where)
{
    if (cropped > 0)
        std::fprintf(stderr, "taskmoe: warning: %s: %d sentence(s) longer than the model's %lld positions were cut to fit\n",
                     where.c_str(), cropped, static_cast<long long>(m.loaded.model->options().maxLength - 1));
}

std::string detokenize(const Model &m, const std::vector<std::int32_t> &tokens)
{
    return m.spm->decode(std::vector<int>(tokens.begin(), tokens.end()));
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
    const auto [tgt, pair] = directionIds(m, cli.value(QStringLiteral("from")), cli.value(QStringLiteral("to")));

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
        requests.push_back(makeRequest(m, line, tgt, pair, &cropped));
        lineOfRequest.push_back(std::size_t(lineNo - 1));
    }
    warnCropped(cropped, m, "<stdin>");
    const auto results = core::translate(*m.loaded.model, requests, options);
    std::vector<std::string> out(emptyLine.size());
    for (std::size_t i = 0; i < results.size(); ++i)
        out[lineOfRequest[i]] = detokenize(m, results[i].tokens);
    for (const auto &s : out) {
        std::fwrite(s.data(), 1, s.size(), stdout);
        std::fputc('\n', stdout);
    }
    return ExitOk;
}

// ---------------------------------------------------------------------------------------------

struct PairResult
{
    QString name, resource;
    bool toEnglish = false, fromEnglish = false;
    qint64 sentences = 0;
    core::BleuScore bleu;
    core::ChrfScore chrf;
};

int evalCommand(const QStringList &args)
{
    CommandLine cli(QStringLiteral("eval"),
                    QStringLiteral("translate every language pair's test split with a run's checkpoint; store BLEU, chrF, "
                                   "aggregates and routing statistics"));
    cli.addDbOption();
    cli.addThreadsOption();
    cli.addFormatOption();
    addModelOptions(cli, false);
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
    if (!cli.isSet(QStringLiteral("run")))
        throw UsageError(QStringLiteral("eval: --run N is required"));
    const QString split = cli.value(QStringLiteral("split"));
    if (split != QLatin1String("test") && split != QLatin1String("dev") && split != QLatin1String("multiway"))
        throw UsageError(QStringLiteral("eval: --split must be test, dev or multiway (got '%1')").arg(split));
    const core::DecodeOptions options = decodeOptions(cli);
    const qint64 limit = cli.isSet(QStringLiteral("limit")) ? cli.intValue(QStringLiteral("limit"), 1, std::numeric_limits<qint64>::max()) : 0;
    const bool events = cli.isSet(QStringLiteral("events"));
    const Format format = cli.format();
    cli.threads();

    std::unique_ptr<db::Store> store;
    const Model m = loadModelFrom(cli, &store);
    const auto &tasks = m.loaded.info.tasks;
    if (m.run.datasetId == 0)
        throw CommandError(QStringLiteral("run %1 does not record its dataset").arg(m.run.id));
    const db::DatasetRecord dataset = store->dataset(m.run.datasetId);

    std::set<QString> only;
    for (const auto &p : cli.value(QStringLiteral("pairs")).split(QLatin1Char(','), Qt::SkipEmptyParts))
        only.insert(p.trimmed());
    for (const auto &p : only) {
        const auto parts = p.split(QLatin1Char('-'));
        if (parts.size() != 2 || tasks.pairId(tasks.languageId(parts[0].toStdString()), tasks.languageId(parts[1].toStdString())) < 0)
            throw CommandError(QStringLiteral("--pairs: the model was not trained on '%1'").arg(p));
    }

    const auto report = [&](const QJsonObject &o) {
        if (!events)
            return;
        std::fputs(QJsonDocument(o).toJson(QJsonDocument::Compact).constData(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
    };
    QElapsedTimer total;
    total.start();
    core::RoutingRecorder recorder(*m.loaded.model, tasks.pairs.size());
    std::vector<PairResult> results;
    std::vector<std::size_t> todo;
    for (std::size_t p = 0; p < tasks.pairs.size(); ++p)
        if (only.empty() || only.count(qs(tasks.pairName(int(p)))))
            todo.push_back(p);
    report({{QStringLiteral("event"), QStringLiteral("started")}, {QStringLiteral("run"), m.run.id},
          {QStringLiteral("step"), m.checkpoint.step}, {QStringLiteral("pairs"), qint64(todo.size())}});
    for (std::size_t n = 0; n < todo.size(); ++n) {
        const int p = int(todo[n]);
        const std::string src = tasks.languages[std::size_t(tasks.pairs[std::size_t(p)].first)];
        const std::string tgt = tasks.languages[std::size_t(tasks.pairs[std::size_t(p)].second)];
        const db::DatasetPairRecord *record = nullptr;
        bool reversed = false;
        for (const auto &dp : dataset.pairs) {
            if (dp.srcLang == qs(src) && dp.tgtLang == qs(tgt))
                record = &dp;
            else if (dp.srcLang == qs(tgt) && dp.tgtLang == qs(src))
                record = &dp, reversed = true;
        }
        if (!record)
            throw CommandError(QStringLiteral("dataset %1 has no %2-%3 pair").arg(dataset.id).arg(qs(src), qs(tgt)));
        QElapsedTimer timer;
        timer.start();
        std::vector<core::DecodeRequest> requests;
        std::vector<std::string> refs;
        int cropped = 0;
        for (const auto &row : store->segments(record->id, split)) {
            if (limit > 0 && qint64(requests.size()) >= limit)
                break;
            const std::string source = (reversed ? row.tgt : row.src).toStdString();
            requests.push_back(makeRequest(m, source, int(tasks.pairs[std::size_t(p)].second), p, &cropped));
            refs.push_back((reversed ? row.src : row.tgt).toStdString());
        }
        if (requests.empty())
            throw CommandError(QStringLiteral("dataset %1 has no %2 sentences for %3").arg(dataset.id).arg(split, qs(tasks.pairName(p))));
        warnCropped(cropped, m, tasks.pairName(p));
        const auto decoded = core::translate(*m.loaded.model, requests, options);
        std::vector<std::string> hyps;
        std::vector<std::vector<std::int32_t>> pieces;
        for (const auto &d : decoded) {
            hyps.push_back(detokenize(m, d.tokens));
            pieces.push_back(d.tokens);
        }
        if (!cli.isSet(QStringLiteral("no-routing")))
            recorder.record(requests, pieces, options);
        PairResult r;
        r.name = qs(tasks.pairName(p));
        r.resource = record->resourceClass;
        r.toEnglish = tgt == "en";
        r.fromEnglish = src == "en";
        r.sentences = qint64(requests.size());
        r.bleu = core::corpusBleu(hyps, refs, core::BleuOptions());
        r.chrf = core::corpusChrf(hyps, refs, core::ChrfOptions());
        results.push_back(r);
        const double seconds = double(timer.elapsed()) / 1000.0;
        std::fprintf(stderr, "taskmoe eval: [%zu/%zu] %s  %lld sentences  BLEU %.2f  chrF %.2f  (%.1f s)\n", n + 1,
                     todo.size(), tasks.pairName(p).c_str(), static_cast<long long>(r.sentences), r.bleu.score,
                     r.chrf.score, seconds);
        report({{QStringLiteral("event"), QStringLiteral("progress")}, {QStringLiteral("run"), m.run.id},
              {QStringLiteral("pair"), r.name}, {QStringLiteral("done"), qint64(n + 1)},
              {QStringLiteral("pairs"), qint64(todo.size())}, {QStringLiteral("bleu"), r.bleu.score},
              {QStringLiteral("chrf"), r.chrf.score}, {QStringLiteral("seconds"), seconds}});
    }

    // The paper's aggregates: means of the per-pair scores over a group of pairs.
    struct Aggregate { QString name; std::function<bool(const PairResult &)> member; };
    const std::vector<Aggregate> groups = {
        {QStringLiteral("average"), [](const PairResult &) { return true; }},
        {QStringLiteral("xx-en"), [](const PairResult &r) { return r.toEnglish; }},
        {QStringLiteral("en-xx"), [](const PairResult &r) { return r.fromEnglish; }},
        {QStringLiteral("high"), [](const PairResult &r) { return r.resource == QLatin1String("high"); }},
        {QStringLiteral("low"), [](const PairResult &r) { return r.resource == QLatin1String("low"); }},
    };

    QJsonObject settings = decodeOptionsJson(options);
    settings.insert(QStringLiteral("limit_per_pair"), limit);   // 0: every sentence of the split
    const QString config = QString::fromUtf8(QJsonDocument(settings).toJson(QJsonDocument::Compact));
    const QDateTime created = QDateTime::currentDateTimeUtc();
    QVector<db::EvaluationRecord> rows;
    const auto addRow = [&](const QString &pair, bool aggregate, const QString &metric, double score,
                            const std::string &signature, qint64 sentences) {
        db::EvaluationRecord e;
        e.runId = m.run.id;
        e.step = m.checkpoint.step;
        e.split = split;
        e.pair = pair;
        e.aggregate = aggregate;
        e.metric = metric;
        e.score = score;
        e.signature = qs(signature);
        e.sentences = sentences;
        e.configJson = config;
        e.createdAt = created;
        rows.push_back(e);
    };
    ResultTable table({QStringLiteral("pair"), QStringLiteral("kind"), QStringLiteral("sentences"), QStringLiteral("BLEU"),
                       QStringLiteral("chrF")});
    for (const auto &r : results) {
        addRow(r.name, false, QStringLiteral("BLEU"), r.bleu.score, r.bleu.signature, r.sentences);
        addRow(r.name, false, QStringLiteral("chrF"), r.chrf.score, r.chrf.signature, r.sentences);
        table.addRow({r.name, r.resource, r.sentences, r.bleu.score, r.chrf.score});
    }
    for (const auto &g : groups) {
        double bleu = 0, chrf = 0;
        qint64 sentences = 0, count = 0;
        for (const auto &r : results)
            if (g.member(r)) {
                bleu += r.bleu.score;
                chrf += r.chrf.score;
                sentences += r.sentences;
                ++count;
            }
        if (count == 0)
            continue;
        addRow(g.name, true, QStringLiteral("BLEU"), bleu / double(count), results.front().bleu.signature, sentences);
        addRow(g.name, true, QStringLiteral("chrF"), chrf / double(count), results.front().chrf.signature, sentences);
        table.addRow({g.name, QStringLiteral("mean of %1").arg(count), sentences, bleu / double(count), chrf / double(count)});
    }

    // Routing statistics: one row per (side, layer, pair, expert) of the pairs evaluated.
    std::vector<db::RoutingStatRecord> stats;
    const auto counts = m.loaded.model->parameterCounts();
    db::ModelRecord details;
    details.paramsTotal = counts.total;
    details.paramsEmbedding = counts.embedding;
    details.paramsEncoder = counts.encoder;
    details.paramsDecoder = counts.decoder;
    details.paramsExpert = counts.expert;
    details.paramsActive = counts.activePerToken;
    details.manifestJson = qs(m.loaded.info.json);
    const qint64 modelId = store->checkpointModel(m.checkpoint, details);
    if (!cli.isSet(QStringLiteral("no-routing")))
        for (const auto &layer : recorder.layers())
            for (const std::size_t p : todo)
                for (std::size_t e = 0; e < recorder.experts(); ++e) {
                    const auto &c = layer.cells[p * recorder.experts() + e];
                    stats.push_back({modelId, m.checkpoint.step, layer.decoder ? QStringLiteral("decoder") : QStringLiteral("encoder"),
                                     layer.layer, qs(tasks.pairName(int(p))), int(e), c.top1, c.topk, c.gate, c.processed});
                }
    for (auto &row : rows)
        row.modelId = modelId;
    store->addEvaluations(rows);
    if (!stats.empty())
        store->replaceRoutingStats(modelId, m.checkpoint.step, stats);

    report({{QStringLiteral("event"), QStringLiteral("finished")}, {QStringLiteral("run"), m.run.id},
          {QStringLiteral("model"), modelId}, {QStringLiteral("seconds"), double(total.elapsed()) / 1000.0}});
    if (!events)
        table.print(format, QStringLiteral("Run %1 (%2), checkpoint step %3, %4 split, beam %5\nBLEU|%6\n%7|%8")
                                .arg(m.run.id).arg(m.run.name).arg(m.checkpoint.step).arg(split).arg(options.beam)
                                .arg(qs(results.front().bleu.signature), qs(results.front().chrf.name),
                                     qs(results.front().chrf.signature)));
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
    addDecodeOptions(cli, QStringLiteral("4"));
    if (!cli.parse(args))
        return ExitOk;
    if (!cli.isSet(QStringLiteral("to")))
        throw UsageError(QStringLiteral("route: --to LANG is required"));
    const core::DecodeOptions options = decodeOptions(cli);
    cli.threads();
    const Model m = loadModelFrom(cli, nullptr);
    const auto [tgt, pair] = directionIds(m, cli.value(QStringLiteral("from")), cli.value(QStringLiteral("to")));
    std::string text;
    if (cli.isSet(QStringLiteral("text")))
        text = cli.value(QStringLiteral("text")).toStdString();
    else
        std::getline(std::cin, text);
    if (!text.empty() && text.back() == '\r')
        text.pop_back();
    std::size_t bad = 0;
    if (!core::isValidUtf8(text, &bad))
        throw core::InputError("the sentence is not valid UTF-8 (byte " + std::to_string(bad + 1) + ")");
    int cropped = 0;
    const auto request = makeRequest(m, text, tgt, pair, &cropped);
    warnCropped(cropped, m, "the sentence");
    const auto result = core::translate(*m.loaded.model, {request}, options).front();
    const auto trace = core::traceRouting(*m.loaded.model, {request}, {result.tokens}, options).front();

    const auto pieces = [&](const std::vector<std::int32_t> &ids) {
        QJsonArray a;
        for (const auto id : ids)
            a.append(qs(m.spm->idToPiece(id)));
        return a;
    };
    std::vector<std::int32_t> decoderInput{core::kBosId};
    decoderInput.insert(decoderInput.end(), result.tokens.begin(), result.tokens.end());
    QJsonArray layers;
    for (const auto &layer : trace) {
        const auto &inputs = layer.decoder ? decoderInput : request.src;
        QJsonArray tokens;
        for (std::size_t i = 0; i < layer.tokens.size(); ++i) {
            const auto &t = layer.tokens[i];
            QJsonArray experts, gates, dropped;
            for (std::size_t r = 0; r < t.experts.size(); ++r) {
                experts.append(t.experts[r]);
                gates.append(t.gates[r]);
                dropped.append(bool(t.dropped[r]));
            }
            tokens.append(QJsonObject{{QStringLiteral("position"), qint64(i)},
                                      {QStringLiteral("piece"), qs(m.spm->idToPiece(inputs[i]))},
                                      {QStringLiteral("experts"), experts},
                                      {QStringLiteral("gates"), gates},
                                      {QStringLiteral("dropped"), dropped}});
        }
        layers.append(QJsonObject{{QStringLiteral("side"), layer.decoder ? QStringLiteral("decoder") : QStringLiteral("encoder")},
                                  {QStringLiteral("layer"), layer.layer},
                                  {QStringLiteral("routing"), qs(core::routingName(layer.decoder ? m.loaded.model->options().decoderRouting
                                                                                                  : m.loaded.model->options().encoderRouting))},
                                  {QStringLiteral("tokens"), tokens}});
    }
    const QJsonObject out{
        {QStringLiteral("model"), m.path},
        {QStringLiteral("source"), QJsonObject{{QStringLiteral("text"), qs(text)}, {QStringLiteral("pieces"), pieces(request.src)}}},
        {QStringLiteral("translation"),
         QJsonObject{{QStringLiteral("text"), qs(detokenize(m, result.tokens))},
                     {QStringLiteral("pieces"), pieces(result.tokens)},
                     {QStringLiteral("log_prob"), result.logProb},
                     {QStringLiteral("finished"), result.finished}}},
        {QStringLiteral("target_language"), cli.value(QStringLiteral("to"))},
        {QStringLiteral("task"), qs(m.loaded.info.tasks.pairName(pair))},
        {QStringLiteral("decoding"), decodeOptionsJson(options)},
        {QStringLiteral("layers"), layers}};
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
    if (side != QLatin1String("encoder") && side != QLatin1String("decoder"))
        throw UsageError(QStringLiteral("routing: --side must be encoder or decoder (got '%1')").arg(side));
    const QString measure = cli.value(QStringLiteral("measure"));
    if (!QStringList{QStringLiteral("top1"), QStringLiteral("topk"), QStringLiteral("gate"), QStringLiteral("processed")}.contains(measure))
        throw UsageError(QStringLiteral("routing: --measure must be top1, topk, gate or processed (got '%1')").arg(measure));
    const Format format = cli.format();

    auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    const db::RunRecord run = store->run(cli.intValue(QStringLiteral("run"), 1, std::numeric_limits<qint64>::max()));
    const db::CheckpointRecord checkpoint = chooseCheckpoint(*store, cli, run.id);
    qint64 modelId = 0;
    for (const auto &model : store->models())
        if (model.checkpointId == checkpoint.id && model.kind == QLatin1String("full"))
            modelId = model.id;
    const auto all = modelId ? store->routingStats(modelId, checkpoint.step) : std::vector<db::RoutingStatRecord>();
    if (all.empty())
        throw CommandError(QStringLiteral("no routing statistics for run %1 at step %2 yet; record them with "
                                          "`taskmoe eval --run %1 --checkpoint %2`").arg(run.id).arg(checkpoint.step));
    std::set<int> layers;
    for (const auto &s : all)
        if (s.side == side)
            layers.insert(s.layer);
    if (layers.empty())
        throw CommandError(QStringLiteral("run %1 has no MoE layer in the %2").arg(run.id).arg(side));
    const int layer = cli.isSet(QStringLiteral("layer")) ? int(cli.intValue(QStringLiteral("layer"), 0, 1000)) : *layers.begin();
    if (!layers.count(layer)) {
        QStringList have;
        for (const int l : layers)
            have << QString::number(l);
        throw CommandError(QStringLiteral("the %1's MoE layers are %2; there is no MoE layer %3").arg(side, have.join(QStringLiteral(", "))).arg(layer));
    }

    // Rows in the model's pair order as stored (task names), columns = experts.
    std::map<QString, std::map<int, const db::RoutingStatRecord *>> cells;
    std::vector<QString> order;
    int experts = 0;
    for (const auto &s : all)
        if (s.side == side && s.layer == layer) {
            if (!cells.count(s.task))
                order.push_back(s.task);
            cells[s.task][s.expert] = &s;
            experts = std::max(experts, s.expert + 1);
        }
    std::sort(order.begin(), order.end());
    core::RoutingMatrix matrix;
    matrix.experts = std::size_t(experts);
    std::vector<qint64> tokens;
    for (const auto &task : order) {
        matrix.tasks.push_back(task.toStdString());
        qint64 n = 0;
        for (int e = 0; e < experts; ++e) {
            const auto *c = cells[task].count(e) ? cells[task][e] : nullptr;
            double v = 0;
            if (c)
                v = measure == QLatin1String("top1") ? double(c->top1)
                    : measure == QLatin1String("topk") ? double(c->topk)
                    : measure == QLatin1String("gate") ? c->gateMass
                                                       : double(c->processed);
            n += c ? c->top1 : 0;
            matrix.values.push_back(v);
        }
        tokens.push_back(n);
    }
    const auto shares = core::taskDistributions(matrix);
    // The layer's expert load: copies each expert processed, over all tasks.
    std::vector<double> load(std::size_t(experts), 0.0);
    double loadTotal = 0;
    for (const auto &task : order)
        for (const auto &[e, c] : cells[task]) {
            load[std::size_t(e)] += double(c->processed);
            loadTotal += double(c->processed);
        }
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
                requests.push_back(makeRequest(m, (forward ? row.src : row.tgt).toStdString(), tasks.pairs[p].second, int(p), nullptr));
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
