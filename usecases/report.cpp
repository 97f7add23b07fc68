#include "usecases/report.h"

#include "core/config/trainconfig.h"
#include "usecases/common.h"
#include "usecases/modelrecords.h"
#include "db/store.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <set>

namespace taskmoe::usecases {

namespace {

int beamOf(const QString &configJson)
{
    return QJsonDocument::fromJson(configJson.toUtf8()).object().value(QStringLiteral("beam")).toInt(-1);
}

/// "subnetwork de", "pruned en-de to 2 experts" for a run's extracted model.
QString subnetworkLabel(const db::ModelRecord &m)
{
    if (const std::optional<Pruning> pruning = pruningOf(m.manifestJson))
        return QStringLiteral("pruned %1 to %2 experts").arg(m.task).arg(pruning->keep);
    return QStringLiteral("%1 %2").arg(m.kind, m.task);
}

} // namespace

Report assembleReport(const db::Store &store, const ReportRequest &request)
{
    if (request.runs.empty())
        throw UseCaseError(QStringLiteral("--runs: name at least one run"));
    Report report;
    report.split = request.split;
    report.beam = request.beam;
    const auto allRuns = store.runs();
    const auto models = store.models();
    std::map<qint64, qint64> stepOfCheckpoint;

    for (const qint64 id : request.runs) {
        const auto it = std::find_if(allRuns.begin(), allRuns.end(), [&](const db::RunRecord &r) { return r.id == id; });
        if (it == allRuns.end())
            throw UseCaseError(QStringLiteral("--runs: the store has no run %1").arg(id));
        ReportRun rr;
        rr.run = *it;
        bool dense = false;
        try {
            const core::TrainConfig config = core::parseTrainConfig(it->configJson.toStdString(), "run " + std::to_string(id));
            rr.routing = QString::fromStdString(core::routingName(config.model.encoderRouting) + "/"
                                                + core::routingName(config.model.decoderRouting));
            dense = config.model.encoderRouting == core::Routing::Dense && config.model.decoderRouting == core::Routing::Dense;
        } catch (const std::exception &) {
            rr.routing = QStringLiteral("?");
        }
        for (const auto &c : store.checkpoints(id))
            stepOfCheckpoint[c.id] = c.step;
        // The run's full model evaluated last with this split and beam.
        qint64 newestRow = 0;
        for (const auto &m : models) {
            if (m.runId != id || m.kind != QLatin1String("full"))
                continue;
            for (const auto &e : store.evaluations(m.id))
                if (e.split == request.split && beamOf(e.configJson) == request.beam && e.id > newestRow) {
                    newestRow = e.id;
                    rr.modelId = m.id;
                    rr.step = stepOfCheckpoint.count(m.checkpointId) ? stepOfCheckpoint[m.checkpointId] : e.step;
                    rr.paramsTotal = m.paramsTotal;
                    rr.paramsActive = m.paramsActive;
                    rr.paramsEmbedding = m.paramsEmbedding;
                    rr.paramsEncoder = m.paramsEncoder;
                    rr.paramsDecoder = m.paramsDecoder;
                    rr.paramsExpert = m.paramsExpert;
                }
        }
        if (rr.modelId > 0) {
            for (const auto &e : store.evaluations(rr.modelId))   // id order: later rows replace earlier ones
                if (e.split == request.split && beamOf(e.configJson) == request.beam && e.metric == QLatin1String("BLEU"))
                    (e.aggregate ? rr.aggregates : rr.pairs)[e.pair] = e.score;
        } else {
            report.missing << QStringLiteral("taskmoe eval --run %1 --checkpoint best --beam %2").arg(id).arg(request.beam);
        }
        if (dense && report.denseRunId == 0 && request.denseRunId == 0)
            report.denseRunId = id;
        report.runs.push_back(rr);
    }
    if (request.denseRunId > 0)
        report.denseRunId = request.denseRunId;

    // Directions by training size, from the first run's dataset.
    std::set<QString> evaluated;
    for (const auto &rr : report.runs)
        for (const auto &[pair, bleu] : rr.pairs)
            evaluated.insert(pair);
    if (report.runs.front().run.datasetId > 0) {
        const db::DatasetRecord dataset = store.dataset(report.runs.front().run.datasetId);
        for (const auto &p : dataset.pairs)
            for (const QString &name : {p.srcLang + QLatin1Char('-') + p.tgtLang, p.tgtLang + QLatin1Char('-') + p.srcLang})
                if (evaluated.count(name)
                    && std::none_of(report.directions.begin(), report.directions.end(),
                                    [&](const auto &d) { return d.first == name; }))
                    report.directions.push_back({name, p.train});
        std::stable_sort(report.directions.begin(), report.directions.end(),
                         [](const auto &a, const auto &b) { return a.second > b.second; });
    }

    // Throughput curves of the runs' models (full ones, sub-networks, students' checkpoints).
    std::map<qint64, QString> labels;
    for (const auto &rr : report.runs)
        for (const auto &m : models) {
            const bool student = std::any_of(allRuns.begin(), allRuns.end(), [&](const db::RunRecord &r) {
                return r.id == m.runId && r.parentRunId == rr.run.id && r.kind == QLatin1String("student");
            });
            if (m.runId == rr.run.id)
                labels[m.id] = m.kind == QLatin1String("full")
                                   ? QStringLiteral("run %1 %2").arg(rr.run.id).arg(rr.run.name)
                                   : QStringLiteral("run %1 %2").arg(rr.run.id).arg(subnetworkLabel(m));
            else if (student)
                labels[m.id] = QStringLiteral("student of run %1 (run %2)").arg(rr.run.id).arg(m.runId);
        }
    std::map<std::pair<qint64, int>, std::map<int, double>> curves;
    for (const auto &b : store.benchmarks())
        if (b.kind == QLatin1String("decode") && labels.count(b.modelId)) {
            double &best = curves[{b.modelId, std::max(1, beamOf(b.configJson))}][b.batchSize];
            best = std::max(best, b.tokensPerSecond);   // several measurements: the best each
        }
    for (const auto &[key, points] : curves) {
        ThroughputCurve c;
        c.modelId = key.first;
        c.beam = key.second;
        c.label = labels[key.first];
        c.points.assign(points.begin(), points.end());
        report.throughput.push_back(std::move(c));
    }

    // Sub-networks and students of every MoE run that has some.
    for (const auto &rr : report.runs) {
        if (rr.run.id == report.denseRunId)
            continue;
        ComparisonRequest cr;
        cr.runId = rr.run.id;
        cr.denseRunId = report.denseRunId;
        cr.split = request.split;
        cr.beam = request.beam;
        Comparison c = compareModels(store, cr);
        const bool others = std::any_of(c.rows.begin(), c.rows.end(), [](const ComparisonRow &r) {
            return r.kind != QLatin1String("full");
        });
        if (!others)
            continue;
        report.missing << c.missing;
        report.comparisons.push_back(std::move(c));
    }
    report.missing.removeDuplicates();
    return report;
}

} // namespace taskmoe::usecases
