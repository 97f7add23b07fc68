#include "usecases/evaluate.h"

#include "usecases/common.h"
#include "core/model/transformer.h"
#include "db/store.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonDocument>

namespace taskmoe::usecases {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

/// The paper's aggregates: means of the per-pair scores over a group of pairs.
std::vector<AggregateScore> aggregatesOf(const std::vector<PairScore> &pairs)
{
    struct Group
    {
        const char *name;
        std::function<bool(const PairScore &)> member;
    };
    const Group groups[] = {
        {"average", [](const PairScore &) { return true; }},
        {"xx-en", [](const PairScore &p) { return p.toEnglish; }},
        {"en-xx", [](const PairScore &p) { return p.fromEnglish; }},
        {"high", [](const PairScore &p) { return p.resource == QLatin1String("high"); }},
        {"low", [](const PairScore &p) { return p.resource == QLatin1String("low"); }},
    };
    std::vector<AggregateScore> out;
    for (const auto &g : groups) {
        AggregateScore a;
        a.name = QLatin1String(g.name);
        for (const auto &p : pairs)
            if (g.member(p)) {
                a.bleu += p.bleu.score;
                a.chrf += p.chrf.score;
                a.sentences += p.sentences;
                ++a.pairs;
            }
        if (a.pairs == 0)
            continue;
        a.bleu /= double(a.pairs);
        a.chrf /= double(a.pairs);
        out.push_back(a);
    }
    return out;
}

} // namespace

EvaluationResult evaluate(db::Store &store, const EvaluateRequest &request, const EvaluateHooks &hooks)
{
    if (request.split != QLatin1String("test") && request.split != QLatin1String("dev")
        && request.split != QLatin1String("multiway"))
        throw UseCaseError(QStringLiteral("--split must be test, dev or multiway (got '%1')").arg(request.split));
    QElapsedTimer total;
    total.start();
    EvaluationResult result;
    db::ModelRecord stored;
    const TranslationModel m = request.modelId > 0
                                   ? loadStoredModel(store, request.modelId, &stored)
                                   : loadRunModel(store, request.runId, request.checkpoint, &result.bestDevBleu);
    const QStringList served = servedPairs(stored.manifestJson);
    result.run = m.run;
    result.checkpoint = m.checkpoint;
    const auto &tasks = m.tasks();
    if (m.run.id == 0)
        throw UseCaseError(QStringLiteral("model %1 is not linked to a run, so its dataset is unknown").arg(request.modelId));
    if (m.run.datasetId == 0)
        throw UseCaseError(QStringLiteral("run %1 does not record its dataset").arg(m.run.id));
    const db::DatasetRecord dataset = store.dataset(m.run.datasetId);
    for (const auto &p : request.pairs) {
        const auto parts = p.split(QLatin1Char('-'));
        if (parts.size() != 2 || tasks.pairId(tasks.languageId(parts[0].toStdString()), tasks.languageId(parts[1].toStdString())) < 0)
            throw UseCaseError(QStringLiteral("--pairs: the model was not trained on '%1'").arg(p));
        if (!served.isEmpty() && !served.contains(p))
            throw UseCaseError(QStringLiteral("--pairs: model %1 serves %2, not '%3'")
                                   .arg(request.modelId).arg(served.join(QStringLiteral(", ")), p));
    }

    core::RoutingRecorder recorder(*m.loaded.model, tasks.pairs.size());
    std::vector<std::size_t> todo;
    for (std::size_t p = 0; p < tasks.pairs.size(); ++p)
        if ((request.pairs.empty() || request.pairs.count(qs(tasks.pairName(int(p)))))
            && (served.isEmpty() || served.contains(qs(tasks.pairName(int(p))))))
            todo.push_back(p);
    if (hooks.started)
        hooks.started(result, int(todo.size()));
    for (std::size_t n = 0; n < todo.size(); ++n) {
        const int p = int(todo[n]);
        const std::string src = tasks.languages[std::size_t(tasks.pairs[std::size_t(p)].first)];
        const std::string tgt = tasks.languages[std::size_t(tasks.pairs[std::size_t(p)].second)];
        QElapsedTimer timer;
        timer.start();
        PairScore score;
        const DirectionSentences sentences = directionSentences(store, dataset, src, tgt, request.split, request.limit);
        std::vector<core::DecodeRequest> requests;
        for (const auto &source : sentences.sources)
            requests.push_back(m.request(source, int(tasks.pairs[std::size_t(p)].second), p, &score.cropped));
        const auto &refs = sentences.references;
        if (requests.empty())
            throw UseCaseError(QStringLiteral("dataset %1 has no %2 sentences for %3")
                                   .arg(dataset.id).arg(request.split, qs(tasks.pairName(p))));
        const auto decoded = core::translate(*m.loaded.model, requests, request.decoding);
        std::vector<std::string> hyps;
        std::vector<std::vector<std::int32_t>> pieces;
        for (const auto &d : decoded) {
            hyps.push_back(m.detokenize(d.tokens));
            pieces.push_back(d.tokens);
        }
        if (request.recordRouting)
            recorder.record(requests, pieces, request.decoding);
        score.pair = qs(tasks.pairName(p));
        score.resource = sentences.resourceClass;
        score.toEnglish = tgt == "en";
        score.fromEnglish = src == "en";
        score.sentences = qint64(requests.size());
        score.bleu = core::corpusBleu(hyps, refs, core::BleuOptions());
        score.chrf = core::corpusChrf(hyps, refs, core::ChrfOptions());
        score.seconds = double(timer.elapsed()) / 1000.0;
        result.pairs.push_back(score);
        if (hooks.pairDone)
            hooks.pairDone(result.pairs.back(), int(n + 1), int(todo.size()));
    }
    result.aggregates = aggregatesOf(result.pairs);

    // The scores, one row per pair and aggregate and metric, all with the decoding settings.
    QJsonObject settings = decodeOptionsJson(request.decoding);
    settings.insert(QStringLiteral("limit_per_pair"), request.limit);   // 0: every sentence of the split
    const QString config = QString::fromUtf8(QJsonDocument(settings).toJson(QJsonDocument::Compact));
    const QDateTime created = QDateTime::currentDateTimeUtc();
    QVector<db::EvaluationRecord> rows;
    const auto addRow = [&](const QString &pair, bool aggregate, const QString &metric, double value,
                            const std::string &signature, qint64 sentences) {
        db::EvaluationRecord e;
        e.runId = m.run.id;
        e.step = m.checkpoint.step;
        e.split = request.split;
        e.pair = pair;
        e.aggregate = aggregate;
        e.metric = metric;
        e.score = value;
        e.signature = qs(signature);
        e.sentences = sentences;
        e.configJson = config;
        e.createdAt = created;
        rows.push_back(e);
    };
    for (const auto &r : result.pairs) {
        addRow(r.pair, false, QStringLiteral("BLEU"), r.bleu.score, r.bleu.signature, r.sentences);
        addRow(r.pair, false, QStringLiteral("chrF"), r.chrf.score, r.chrf.signature, r.sentences);
    }
    for (const auto &a : result.aggregates) {
        addRow(a.name, true, QStringLiteral("BLEU"), a.bleu, result.pairs.front().bleu.signature, a.sentences);
        addRow(a.name, true, QStringLiteral("chrF"), a.chrf, result.pairs.front().chrf.signature, a.sentences);
    }

    // The checkpoint as a model of the store, with its parameter counts (a stored model is one).
    const auto counts = m.loaded.model->parameterCounts();
    db::ModelRecord details;
    setParameterCounts(details, counts);
    details.manifestJson = qs(m.loaded.info.json);
    result.modelId = request.modelId > 0 ? request.modelId : store.checkpointModel(m.checkpoint, details);

    // Routing statistics: one row per (side, layer, pair, expert) of the pairs evaluated.
    const std::vector<db::RoutingStatRecord> stats =
        request.recordRouting ? routingStatRows(recorder.layers(), tasks, todo, result.modelId, m.checkpoint.step)
                              : std::vector<db::RoutingStatRecord>();
    for (auto &row : rows)
        row.modelId = result.modelId;
    store.addEvaluations(rows);
    if (!stats.empty())
        store.replaceRoutingStats(result.modelId, m.checkpoint.step, stats);
    result.seconds = double(total.elapsed()) / 1000.0;
    return result;
}

std::vector<db::RoutingStatRecord> routingStatRows(const std::vector<core::LayerCounts> &layers, const core::TaskTable &tasks,
                                                   const std::vector<std::size_t> &pairs, qint64 modelId, qint64 step)
{
    std::vector<db::RoutingStatRecord> stats;
    const std::size_t experts = tasks.pairs.empty() || layers.empty() ? 0 : layers.front().cells.size() / tasks.pairs.size();
    for (const auto &layer : layers)
        for (const std::size_t p : pairs)
            for (std::size_t e = 0; e < experts; ++e) {
                const auto &c = layer.cells[p * experts + e];
                stats.push_back({modelId, step, layer.decoder ? db::Side::Decoder : db::Side::Encoder, layer.layer,
                                 qs(tasks.pairName(int(p))), int(e), c.top1, c.topk, c.gate, c.processed, c.top1Gate});
            }
    return stats;
}

} // namespace taskmoe::usecases
