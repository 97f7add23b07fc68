#include "usecases/comparison.h"

#include "usecases/common.h"
#include "usecases/modelrecords.h"
#include "db/store.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <map>

namespace taskmoe::usecases {

namespace {

QJsonObject objectOf(const QString &json)
{
    return QJsonDocument::fromJson(json.toUtf8()).object();
}

/// The mean of `metric` over `pairs` in the model's latest evaluation of each pair with
/// `split` and `beam`; empty unless every pair has one.
std::optional<double> meanScore(const QVector<db::EvaluationRecord> &rows, const QStringList &pairs, const QString &metric,
                                const QString &split, int beam)
{
    if (pairs.isEmpty())
        return std::nullopt;
    std::map<QString, double> latest;
    for (const auto &e : rows)   // in id order: later rows replace earlier ones
        if (!e.aggregate && e.metric == metric && e.split == split && pairs.contains(e.pair)
            && objectOf(e.configJson).value(QStringLiteral("beam")).toInt(-1) == beam)
            latest[e.pair] = e.score;
    if (latest.size() != std::size_t(pairs.size()))
        return std::nullopt;
    double sum = 0;
    for (const auto &[pair, score] : latest)
        sum += score;
    return sum / double(latest.size());
}

/// The pairs a model has evaluations of (for a full model: what it was evaluated on).
QStringList evaluatedPairs(const QVector<db::EvaluationRecord> &rows, const QString &split, int beam)
{
    QStringList pairs;
    for (const auto &e : rows)
        if (!e.aggregate && e.split == split && !pairs.contains(e.pair)
            && objectOf(e.configJson).value(QStringLiteral("beam")).toInt(-1) == beam)
            pairs << e.pair;
    pairs.sort();
    return pairs;
}

/// "enc 1 all; dec 1: 3 5" from a sub-network manifest's layers.
QString expertsText(const QJsonObject &manifest)
{
    QStringList parts;
    for (const auto &value : manifest.value(QStringLiteral("layers")).toArray()) {
        const QJsonObject l = value.toObject();
        QString text = QStringLiteral("%1 %2 ").arg(l.value(QStringLiteral("side")).toString() == QLatin1String("decoder")
                                                        ? QStringLiteral("dec") : QStringLiteral("enc"))
                           .arg(l.value(QStringLiteral("layer")).toInt());
        if (l.value(QStringLiteral("kind")).toString() == QLatin1String("kept")) {
            text += QStringLiteral("all");
        } else {
            QStringList experts;
            for (const auto &e : l.value(QStringLiteral("experts")).toArray())
                experts << QString::number(e.toInt());
            text += experts.join(QLatin1Char(' '));
        }
        parts << text;
    }
    return parts.join(QStringLiteral("; "));
}

} // namespace

Comparison compareModels(const db::Store &store, const ComparisonRequest &request)
{
    Comparison out;
    for (const auto &run : store.runs()) {
        if (run.id == request.runId)
            out.run = run;
        if (request.denseRunId > 0 && run.id == request.denseRunId)
            out.dense = run;
    }
    if (out.run.id == 0)
        throw UseCaseError(QStringLiteral("the store has no run %1").arg(request.runId));
    if (request.denseRunId > 0 && out.dense.id == 0)
        throw UseCaseError(QStringLiteral("--dense %1: the store has no such run").arg(request.denseRunId));
    QVector<qint64> students;
    for (const auto &run : store.runs())
        if (run.parentRunId == out.run.id && run.kind == QLatin1String("student"))
            students.push_back(run.id);

    const auto models = store.models();
    std::map<qint64, QVector<db::EvaluationRecord>> evaluations;
    const auto scoresOf = [&](qint64 modelId) -> const QVector<db::EvaluationRecord> & {
        auto it = evaluations.find(modelId);
        if (it == evaluations.end())
            it = evaluations.emplace(modelId, store.evaluations(modelId)).first;
        return it->second;
    };
    std::map<qint64, qint64> stepOfCheckpoint;
    for (const qint64 runId : QVector<qint64>{out.run.id} + students)
        for (const auto &c : store.checkpoints(runId))
            stepOfCheckpoint[c.id] = c.step;
    std::map<std::pair<qint64, int>, double> peak;   // (model, beam) → tokens/s
    for (const auto &b : store.benchmarks())
        if (b.kind == QLatin1String("decode") && b.modelId > 0) {
            const int beam = objectOf(b.configJson).value(QStringLiteral("beam")).toInt(1);
            double &p = peak[{b.modelId, beam}];
            p = std::max(p, b.tokensPerSecond);
        }
    // The baseline's and a run's model with evaluations: the newest full model that has some.
    const auto evaluatedFullModel = [&](qint64 runId) -> const db::ModelRecord * {
        const db::ModelRecord *chosen = nullptr;
        for (const auto &m : models)
            if (m.runId == runId && m.kind == QLatin1String("full")
                && !evaluatedPairs(scoresOf(m.id), request.split, request.beam).isEmpty())
                chosen = &m;
        return chosen;
    };
    const db::ModelRecord *denseModel = out.dense.id > 0 ? evaluatedFullModel(out.dense.id) : nullptr;
    if (out.dense.id > 0 && !denseModel)
        out.missing << QStringLiteral("taskmoe eval --run %1 --beam %2 (the dense baseline)").arg(out.dense.id).arg(request.beam);

    const auto rowOf = [&](const db::ModelRecord &m, const QString &kind, const QString &task, const QStringList &pairs) {
        ComparisonRow r;
        r.modelId = m.id;
        r.kind = kind;
        r.task = task;
        r.pairs = pairs;
        r.step = stepOfCheckpoint.count(m.checkpointId) ? stepOfCheckpoint[m.checkpointId] : 0;
        r.path = m.path;
        r.paramsTotal = m.paramsTotal;
        r.paramsActive = m.paramsActive;
        r.paramsEmbedding = m.paramsEmbedding;
        r.paramsEncoder = m.paramsEncoder;
        r.paramsDecoder = m.paramsDecoder;
        r.paramsExpert = m.paramsExpert;
        const QFileInfo file(m.path);
        r.fileBytes = file.exists() ? file.size() : 0;
        r.experts = expertsText(objectOf(m.manifestJson));
        r.bleu = meanScore(scoresOf(m.id), pairs, QStringLiteral("BLEU"), request.split, request.beam);
        r.chrf = meanScore(scoresOf(m.id), pairs, QStringLiteral("chrF"), request.split, request.beam);
        if (peak.count({m.id, 1}))
            r.peakGreedy = peak[{m.id, 1}];
        if (peak.count({m.id, 4}))
            r.peakBeam = peak[{m.id, 4}];
        return r;
    };

    // Task groups: one per sub-network task (with the checkpoint it was cut from), else all pairs.
    struct Group
    {
        QString task;
        QStringList pairs;
        qint64 checkpointId = 0;
        std::vector<const db::ModelRecord *> members;
    };
    std::vector<Group> groups;
    for (const auto &m : models) {
        if (m.runId != out.run.id || m.kind != QLatin1String("subnetwork"))
            continue;
        auto it = std::find_if(groups.begin(), groups.end(), [&](const Group &g) {
            return g.task == m.task && g.checkpointId == m.checkpointId;
        });
        if (it == groups.end()) {
            groups.push_back({m.task, servedPairs(m.manifestJson), m.checkpointId, {}});
            it = groups.end() - 1;
        }
        it->members.push_back(&m);
    }
    const db::ModelRecord *newestFull = evaluatedFullModel(out.run.id);
    if (groups.empty()) {
        if (!newestFull) {
            out.missing << QStringLiteral("taskmoe eval --run %1 --beam %2").arg(out.run.id).arg(request.beam);
            return out;
        }
        groups.push_back({QStringLiteral("all"), evaluatedPairs(scoresOf(newestFull->id), request.split, request.beam),
                          newestFull->checkpointId, {}});
    }

    // Per variant: pair-weighted sums of the model's, the full model's and the baseline's BLEU.
    struct Totals
    {
        ComparisonSummaryRow row;
        QSet<qint64> models;
        double model = 0, full = 0, dense = 0;
        bool complete = true, withDense = true;
    };
    std::vector<Totals> totals;
    const auto summarise = [&](const ComparisonRow &r, std::optional<double> fullBleu, std::optional<double> denseBleu) {
        auto it = std::find_if(totals.begin(), totals.end(), [&](const Totals &t) { return t.row.variant == r.variant; });
        if (it == totals.end()) {
            totals.push_back({});
            it = totals.end() - 1;
            it->row.variant = r.variant;
            it->row.kind = r.kind;
        }
        const double n = double(r.pairs.size());
        it->models.insert(r.modelId);
        it->row.pairs += int(r.pairs.size());
        it->row.paramsTotal = std::max(it->row.paramsTotal, r.paramsTotal);
        it->row.paramsActive = std::max(it->row.paramsActive, r.paramsActive);
        it->complete = it->complete && r.bleu && fullBleu;
        it->withDense = it->withDense && denseBleu;
        if (r.bleu && fullBleu) {
            it->model += n * *r.bleu;
            it->full += n * *fullBleu;
        }
        if (denseBleu)
            it->dense += n * *denseBleu;
    };

    // Sub-networks cut from several checkpoints are variants of their own.
    const bool severalCheckpoints = std::any_of(groups.begin(), groups.end(), [&](const Group &g) {
        return g.checkpointId != groups.front().checkpointId;
    });
    for (const Group &g : groups) {
        const QString atStep = severalCheckpoints ? QStringLiteral(" (step %1)").arg(stepOfCheckpoint[g.checkpointId])
                                                  : QString();
        const db::ModelRecord *full = nullptr;
        for (const auto &m : models)
            if (m.kind == QLatin1String("full") && m.checkpointId == g.checkpointId && m.runId == out.run.id)
                full = &m;
        std::optional<double> fullBleu;
        if (full) {
            out.rows.push_back(rowOf(*full, QStringLiteral("full"), g.task, g.pairs));
            fullBleu = out.rows.back().bleu;
        }
        if (!fullBleu)
            out.missing << QStringLiteral("taskmoe eval --run %1 --checkpoint %2 --beam %3")
                               .arg(out.run.id).arg(stepOfCheckpoint[g.checkpointId]).arg(request.beam);
        const std::optional<double> denseBleu =
            denseModel ? meanScore(scoresOf(denseModel->id), g.pairs, QStringLiteral("BLEU"), request.split, request.beam)
                       : std::nullopt;
        const auto compare = [&](ComparisonRow &r) {
            if (r.bleu && fullBleu)
                r.deltaBleu = *r.bleu - *fullBleu;
            if (r.bleu && fullBleu && denseBleu && *fullBleu - *denseBleu >= kMinimumGainBleu)
                r.gainKept = (*r.bleu - *denseBleu) / (*fullBleu - *denseBleu);
            if (!r.bleu)
                out.missing << QStringLiteral("taskmoe eval --model %1 --beam %2").arg(r.modelId).arg(request.beam);
            summarise(r, fullBleu, denseBleu);
        };
        if (full && fullBleu) {
            out.rows.back().variant = QStringLiteral("full") + atStep;
            compare(out.rows.back());
        }
        for (const db::ModelRecord *m : g.members) {
            const std::optional<Pruning> pruning = pruningOf(m->manifestJson);
            ComparisonRow r = rowOf(*m, pruning ? QStringLiteral("pruned") : QStringLiteral("subnetwork"), g.task, g.pairs);
            r.variant = pruning ? QStringLiteral("pruned to %1 experts by %2").arg(pruning->keep).arg(pruning->by)
                                : QStringLiteral("sub-networks");
            r.variant += atStep;
            compare(r);
            out.rows.push_back(r);
        }
        for (const qint64 student : students)
            if (const db::ModelRecord *m = evaluatedFullModel(student)) {
                ComparisonRow r = rowOf(*m, QStringLiteral("student"), g.task, g.pairs);
                r.variant = QStringLiteral("student run %1").arg(student) + atStep;
                compare(r);
                out.rows.push_back(r);
            } else if (&g == &groups.front()) {
                out.missing << QStringLiteral("taskmoe eval --run %1 --beam %2 (a student)").arg(student).arg(request.beam);
            }
    }
    for (Totals &t : totals) {
        ComparisonSummaryRow &row = t.row;
        row.models = int(t.models.size());
        if (t.complete && row.pairs > 0) {
            row.bleu = t.model / row.pairs;
            row.fullBleu = t.full / row.pairs;
            row.deltaBleu = *row.bleu - *row.fullBleu;
            if (t.withDense) {
                row.denseBleu = t.dense / row.pairs;
                if (*row.fullBleu - *row.denseBleu >= kMinimumGainBleu)
                    row.gainKept = (*row.bleu - *row.denseBleu) / (*row.fullBleu - *row.denseBleu);
            }
        }
        out.summary.push_back(row);
    }
    out.missing.removeDuplicates();
    return out;
}

} // namespace taskmoe::usecases
