#include "usecases/scoreboard.h"

#include "core/config/trainconfig.h"
#include "usecases/comparison.h"   // kMinimumGainBleu
#include "usecases/modelrecords.h"
#include "usecases/throughputboard.h"   // modelLabel
#include "db/store.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <climits>
#include <set>

namespace taskmoe::usecases {

namespace {

using Evaluations = std::map<qint64, QVector<db::EvaluationRecord>>;

int beamOf(const QString &configJson)
{
    return QJsonDocument::fromJson(configJson.toUtf8()).object().value(QStringLiteral("beam")).toInt(-1);
}

bool matches(const db::EvaluationRecord &e, const QString &split, int beam)
{
    return !e.aggregate && e.split == split && beamOf(e.configJson) == beam;
}

/// What the entries are made of, read once.
struct StoreView
{
    std::map<qint64, db::RunRecord> runs;
    QVector<db::ModelRecord> models;
    std::map<qint64, qint64> stepOfCheckpoint;
    Evaluations evaluations;

    explicit StoreView(const db::Store &store) : models(store.models())
    {
        for (const auto &r : store.runs())
            runs[r.id] = r;
        std::set<qint64> withModels;
        for (const auto &m : models) {
            evaluations[m.id] = store.evaluations(m.id);
            if (m.runId > 0)
                withModels.insert(m.runId);
        }
        for (const qint64 run : withModels)
            for (const auto &c : store.checkpoints(run))
                stepOfCheckpoint[c.id] = c.step;
    }

    qint64 stepOf(const db::ModelRecord &m) const
    {
        const auto it = stepOfCheckpoint.find(m.checkpointId);
        return it == stepOfCheckpoint.end() ? 0 : it->second;
    }

    bool evaluated(qint64 modelId, const QString &split, int beam) const
    {
        const auto it = evaluations.find(modelId);
        return it != evaluations.end()
               && std::any_of(it->second.begin(), it->second.end(),
                              [&](const db::EvaluationRecord &e) { return matches(e, split, beam); });
    }
};

int kindRank(const db::ModelRecord &m)
{
    if (m.kind == QLatin1String("full"))
        return 0;
    return pruningOf(m.manifestJson) ? 2 : 1;
}

std::vector<ScoreEntry> entriesOf(const StoreView &view, const QString &split, int beam)
{
    std::vector<const db::ModelRecord *> order;
    for (const auto &m : view.models)
        if (view.evaluated(m.id, split, beam))
            order.push_back(&m);
    std::stable_sort(order.begin(), order.end(), [&](const db::ModelRecord *a, const db::ModelRecord *b) {
        const auto rank = [&](const db::ModelRecord *m) {
            return std::make_tuple(m->runId > 0 && view.runs.count(m->runId) ? m->runId : LLONG_MAX, view.stepOf(*m),
                                   kindRank(*m), m->id);
        };
        return rank(a) < rank(b);
    });

    std::vector<ScoreEntry> entries;
    std::map<QString, std::size_t> index;
    // "run 3 task-moe-target, step 1369": what a family of models cut from one checkpoint shares.
    const auto checkpointLabel = [](db::ModelRecord m, const db::RunRecord &run, qint64 step) {
        m.kind = QStringLiteral("full");
        return modelLabel(m, &run, step);
    };
    for (const db::ModelRecord *m : order) {
        ScoreEntry e;
        const auto run = view.runs.find(m->runId);
        const qint64 step = view.stepOf(*m);
        if (run == view.runs.end()) {
            e.key = QStringLiteral("model:%1").arg(m->id);
            e.kind = QStringLiteral("model");
            e.label = modelLabel(*m, nullptr, step);
        } else if (m->kind == QLatin1String("subnetwork")) {
            const std::optional<Pruning> pruning = pruningOf(m->manifestJson);
            e.key = pruning ? QStringLiteral("pruned:%1:%2:%3:%4").arg(m->runId).arg(m->checkpointId).arg(pruning->keep).arg(pruning->by)
                            : QStringLiteral("subnetworks:%1:%2").arg(m->runId).arg(m->checkpointId);
            e.kind = pruning ? QStringLiteral("pruned") : QStringLiteral("subnetworks");
            e.label = checkpointLabel(*m, run->second, step)
                      + (pruning ? QStringLiteral(" — pruned to %1 experts by %2").arg(pruning->keep).arg(pruning->by)
                                 : QStringLiteral(" — sub-networks"));
            for (const auto &full : view.models)
                if (full.runId == m->runId && full.checkpointId == m->checkpointId && full.kind == QLatin1String("full"))
                    e.referenceKey = QStringLiteral("model:%1").arg(full.id);
        } else {
            const bool student = run->second.kind == QLatin1String("student");
            e.key = QStringLiteral("model:%1").arg(m->id);
            e.kind = student ? QStringLiteral("student") : QStringLiteral("full");
            e.label = modelLabel(*m, &run->second, step);
            try {
                const core::TrainConfig c = core::parseTrainConfig(run->second.configJson.toStdString(), "run");
                e.dense = c.model.encoderRouting == core::Routing::Dense && c.model.decoderRouting == core::Routing::Dense;
            } catch (const std::exception &) {
                e.dense = false;   // a run without a readable configuration is no baseline
            }
            if (student) {
                // The teacher's newest evaluated full model.
                for (const auto &t : view.models)
                    if (t.runId == run->second.parentRunId && t.kind == QLatin1String("full") && view.evaluated(t.id, split, beam))
                        e.referenceKey = QStringLiteral("model:%1").arg(t.id);
            }
        }
        e.runId = run == view.runs.end() ? 0 : m->runId;
        e.step = step;
        auto found = index.find(e.key);
        if (found == index.end()) {
            found = index.emplace(e.key, entries.size()).first;
            entries.push_back(e);
        }
        ScoreEntry &target = entries[found->second];
        target.models.push_back(m->id);
        target.paramsTotal = std::max(target.paramsTotal, m->paramsTotal);
        target.paramsActive = std::max(target.paramsActive, m->paramsActive);
    }
    return entries;
}

/// An entry's latest score per direction, each from the model that serves the direction.
std::map<QString, ScoreCell> cellsOf(const StoreView &view, const ScoreEntry &entry, const ScoreboardRequest &request)
{
    std::map<QString, ScoreCell> cells;
    for (const qint64 id : entry.models) {
        const auto model = std::find_if(view.models.begin(), view.models.end(), [&](const db::ModelRecord &m) { return m.id == id; });
        const QStringList served = model == view.models.end() ? QStringList() : servedPairs(model->manifestJson);
        for (const auto &e : view.evaluations.at(id))   // id order: later rows replace earlier ones
            if (matches(e, request.split, request.beam) && e.metric == request.metric
                && (served.isEmpty() || served.contains(e.pair)))
                cells[e.pair] = {e.score, e.signature, e.sentences, id};
    }
    return cells;
}

} // namespace

const QStringList &scoreAggregates()
{
    static const QStringList names{QStringLiteral("average"), QStringLiteral("xx-en"), QStringLiteral("en-xx"),
                                   QStringLiteral("high"), QStringLiteral("low")};
    return names;
}

std::vector<ScoreEntry> scoreEntries(const db::Store &store, const QString &split, int beam)
{
    return entriesOf(StoreView(store), split, beam);
}

std::vector<std::pair<QString, int>> evaluationSettings(const db::Store &store)
{
    std::map<std::pair<QString, int>, int> rows;
    for (const auto &m : store.models())
        for (const auto &e : store.evaluations(m.id))
            if (!e.aggregate)
                ++rows[{e.split, beamOf(e.configJson)}];
    std::vector<std::pair<QString, int>> out;
    for (const auto &[setting, count] : rows)
        out.push_back(setting);
    std::stable_sort(out.begin(), out.end(), [&](const auto &a, const auto &b) { return rows[a] > rows[b]; });
    return out;
}

Scoreboard scoreboard(const db::Store &store, const ScoreboardRequest &request)
{
    const StoreView view(store);
    const std::vector<ScoreEntry> all = entriesOf(view, request.split, request.beam);
    const auto entryOf = [&](const QString &key) -> const ScoreEntry * {
        const auto it = std::find_if(all.begin(), all.end(), [&](const ScoreEntry &e) { return e.key == key; });
        return it == all.end() ? nullptr : &*it;
    };

    Scoreboard board;
    board.metric = request.metric;
    board.split = request.split;
    board.beam = request.beam;
    for (const QString &key : request.entries)
        if (const ScoreEntry *e = entryOf(key)) {
            ScoredEntry scored;
            scored.entry = *e;
            scored.cells = cellsOf(view, *e, request);
            if (key == request.baseline)
                board.baseline = int(board.entries.size());
            board.entries.push_back(std::move(scored));
        }

    // Directions: sizes and classes from the datasets of the shown runs.
    std::map<QString, ScoreDirection> directions;
    std::set<qint64> datasets;
    for (const auto &s : board.entries)
        if (const auto run = view.runs.find(s.entry.runId); run != view.runs.end() && run->second.datasetId > 0)
            datasets.insert(run->second.datasetId);
    for (const qint64 id : datasets)
        for (const auto &p : store.dataset(id).pairs)
            for (const QString &name : {p.srcLang + QLatin1Char('-') + p.tgtLang, p.tgtLang + QLatin1Char('-') + p.srcLang})
                directions.emplace(name, ScoreDirection{name, p.train, p.resourceClass});
    std::set<QString> shown;
    for (const auto &s : board.entries)
        for (const auto &[pair, cell] : s.cells)
            shown.insert(pair);
    for (const QString &name : shown) {
        const auto it = directions.find(name);
        board.directions.push_back(it == directions.end() ? ScoreDirection{name, 0, QString()} : it->second);
    }
    std::stable_sort(board.directions.begin(), board.directions.end(),
                     [](const ScoreDirection &a, const ScoreDirection &b) { return a.train > b.train; });
    std::map<QString, QString> classOf;
    for (const auto &d : board.directions)
        classOf[d.name] = d.resourceClass;

    const ScoredEntry *baseline = board.baseline >= 0 ? &board.entries[std::size_t(board.baseline)] : nullptr;
    for (auto &s : board.entries) {
        for (const QString &aggregate : scoreAggregates()) {
            double sum = 0;
            int n = 0;
            for (const auto &[pair, cell] : s.cells) {
                const QStringList langs = pair.split(QLatin1Char('-'));
                const bool member = aggregate == QLatin1String("average")
                                    || (aggregate == QLatin1String("xx-en") && langs.value(1) == QLatin1String("en"))
                                    || (aggregate == QLatin1String("en-xx") && langs.value(0) == QLatin1String("en"))
                                    || classOf[pair] == aggregate;
                if (member) {
                    sum += cell.score;
                    ++n;
                }
            }
            if (n > 0)
                s.aggregates[aggregate] = sum / n;
        }
        if (!baseline)
            continue;
        double deltaSum = 0;
        for (const auto &[pair, cell] : s.cells)
            if (const auto b = baseline->cells.find(pair); b != baseline->cells.end()) {
                s.delta[pair] = cell.score - b->second.score;
                deltaSum += s.delta[pair];
            }
        if (!s.delta.empty())
            s.deltaAverage = deltaSum / double(s.delta.size());

        // The gain kept: over every direction of the entry, which its reference and the
        // baseline must both cover; only where the reference gains enough to divide by.
        const ScoreEntry *reference = entryOf(s.entry.referenceKey);
        if (!reference || reference->key == baseline->entry.key || &s == baseline || s.cells.empty())
            continue;
        const auto referenceCells = cellsOf(view, *reference, request);
        double own = 0, full = 0, base = 0;
        bool complete = true;
        for (const auto &[pair, cell] : s.cells) {
            const auto r = referenceCells.find(pair);
            const auto b = baseline->cells.find(pair);
            complete = complete && r != referenceCells.end() && b != baseline->cells.end();
            if (!complete)
                break;
            own += cell.score;
            full += r->second.score;
            base += b->second.score;
        }
        if (complete && (full - base) / double(s.cells.size()) >= kMinimumGainBleu)
            s.gainKept = (own - base) / (full - base);
    }
    return board;
}

} // namespace taskmoe::usecases
