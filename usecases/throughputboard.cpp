#include "usecases/throughputboard.h"

#include "usecases/modelrecords.h"
#include "db/store.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <map>

namespace taskmoe::usecases {

std::optional<double> SpeedSeries::at(int batchSize) const
{
    for (const auto &p : points)
        if (p.batchSize == batchSize)
            return p.tokensPerSecond;
    return std::nullopt;
}

std::optional<double> SpeedSeries::encoderShare() const
{
    const SpeedPoint *p = peakPoint();
    if (!p || p->encoderMs + p->decoderMs <= 0)
        return std::nullopt;
    return p->encoderMs / (p->encoderMs + p->decoderMs);
}

QString modelLabel(const db::ModelRecord &model, const db::RunRecord *run, qint64 step)
{
    if (!run)
        return QStringLiteral("model %1 (%2)").arg(model.id).arg(QFileInfo(model.path).fileName());
    QString label = QStringLiteral("run %1 %2").arg(run->id).arg(run->name);
    if (step > 0)
        label += QStringLiteral(", step %1").arg(step);
    if (model.kind == QLatin1String("subnetwork")) {
        if (const std::optional<Pruning> pruning = pruningOf(model.manifestJson))
            label += QStringLiteral(" — pruned %1 to %2 experts").arg(model.task).arg(pruning->keep);
        else
            label += QStringLiteral(" — sub-network %1").arg(model.task);
    } else if (run->kind == QLatin1String("student")) {
        label += QStringLiteral(" — student of run %1").arg(run->parentRunId);
    }
    return label;
}

std::vector<SpeedSeries> speedSeries(const db::Store &store)
{
    std::map<qint64, db::RunRecord> runs;
    for (const auto &r : store.runs())
        runs[r.id] = r;
    std::map<qint64, db::ModelRecord> models;
    for (const auto &m : store.models())
        models[m.id] = m;
    std::map<qint64, qint64> stepOfCheckpoint;

    // (model, beam, source) → batch size → the best measurement.
    std::map<std::tuple<qint64, int, QString>, std::map<int, db::BenchmarkRecord>> best;
    std::map<qint64, QString> fileOf;   // negative id → the file as the benchmark named it
    std::map<QString, qint64> idOfFile;
    for (const auto &b : store.benchmarks()) {
        if (b.kind != QLatin1String("decode"))
            continue;
        const QJsonObject config = QJsonDocument::fromJson(b.configJson.toUtf8()).object();
        qint64 modelId = b.modelId;
        if (!models.count(modelId)) {
            // A file of no run measured by name: its own series, named by the file.
            const QString file = config.value(QStringLiteral("model")).toString();
            if (modelId > 0 || file.isEmpty())
                continue;   // a model row deleted since
            modelId = idOfFile.emplace(file, -qint64(idOfFile.size()) - 1).first->second;
            fileOf[modelId] = file;
        }
        auto &slot = best[{modelId, std::max(1, config.value(QStringLiteral("beam")).toInt(1)),
                           config.value(QStringLiteral("source")).toString()}];
        const auto it = slot.find(b.batchSize);
        if (it == slot.end() || b.tokensPerSecond > it->second.tokensPerSecond)
            slot[b.batchSize] = b;
    }
    std::vector<SpeedSeries> out;
    for (const auto &[key, batches] : best) {
        const auto &[modelId, beam, source] = key;
        SpeedSeries s;
        s.key = QStringLiteral("%1/%2/%3").arg(modelId).arg(beam).arg(source);
        s.modelId = modelId;
        s.beam = beam;
        s.source = source;
        if (modelId < 0) {
            const QString &file = fileOf[modelId];
            const QJsonObject config = QJsonDocument::fromJson(batches.begin()->second.configJson.toUtf8()).object();
            s.spec = file;
            s.label = QStringLiteral("file %1").arg(QFileInfo(file).fileName());
            s.kind = QStringLiteral("model");
            s.paramsTotal = config.value(QStringLiteral("params_total")).toInteger();
            s.paramsActive = config.value(QStringLiteral("params_active")).toInteger();
        }
        const db::ModelRecord &m = modelId < 0 ? db::ModelRecord() : models[modelId];
        const auto run = modelId < 0 ? runs.end() : runs.find(m.runId);
        if (run != runs.end() && !stepOfCheckpoint.count(m.checkpointId))
            for (const auto &c : store.checkpoints(m.runId))
                stepOfCheckpoint[c.id] = c.step;
        if (modelId > 0) {
            s.spec = QStringLiteral("model:%1").arg(modelId);
            s.label = modelLabel(m, run == runs.end() ? nullptr : &run->second,
                                 stepOfCheckpoint.count(m.checkpointId) ? stepOfCheckpoint[m.checkpointId] : 0);
            s.kind = run == runs.end() ? QStringLiteral("model")
                     : m.kind == QLatin1String("subnetwork") ? (pruningOf(m.manifestJson) ? QStringLiteral("pruned") : QStringLiteral("subnetwork"))
                     : run->second.kind == QLatin1String("student") ? QStringLiteral("student")
                                                                    : QStringLiteral("full");
            s.paramsTotal = m.paramsTotal;
            s.paramsActive = m.paramsActive;
        }
        for (const auto &[batch, b] : batches) {
            s.points.push_back({batch, b.tokensPerSecond, b.latencyMs, b.encoderMs, b.decoderMs, b.peakRssBytes});
            if (s.peak < 0 || b.tokensPerSecond > s.points[std::size_t(s.peak)].tokensPerSecond)
                s.peak = int(s.points.size()) - 1;
            s.peakRssBytes = std::max(s.peakRssBytes, b.peakRssBytes);
        }
        out.push_back(std::move(s));
    }
    return out;
}

} // namespace taskmoe::usecases
