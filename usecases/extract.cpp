#include "usecases/extract.h"

#include "core/data/sentencepiece.h"
#include "core/extract/subnetwork.h"
#include "core/model/transformer.h"
#include "db/store.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <set>

namespace taskmoe::usecases {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

/// A sub-network must agree with its full model this closely (teacher-forced logits).
constexpr double kLogitTolerance = 1e-4;

/// One task to extract: its name, the task ids of each task-routed side, the pairs it serves.
struct Task
{
    QString name;
    std::int64_t encoderTask = -1, decoderTask = -1;
    std::vector<int> pairs;            ///< pair ids of the model's table
};

std::int64_t sideTask(core::Routing routing, int targetLanguage, int pair)
{
    switch (routing) {
    case core::Routing::TaskTarget: return targetLanguage;
    case core::Routing::TaskPair: return pair;
    default: return -1;
    }
}

QString pairList(const core::TaskTable &t)
{
    QStringList names;
    for (std::size_t p = 0; p < t.pairs.size(); ++p)
        names << qs(t.pairName(int(p)));
    return names.join(QStringLiteral(", "));
}

/// The tasks `request` names, resolved against the model's task table.
std::vector<Task> resolveTasks(const ExtractRequest &request, const core::ModelOptions &o, const core::TaskTable &t,
                               bool byPair)
{
    const auto taskFor = [&](const QString &name, std::vector<int> pairs) {
        Task task;
        task.name = name;
        task.pairs = std::move(pairs);
        const int first = task.pairs.front();
        const int target = t.pairs[std::size_t(first)].second;
        task.encoderTask = sideTask(o.encoderRouting, target, first);
        task.decoderTask = sideTask(o.decoderRouting, target, first);
        return task;
    };
    const auto intoLanguage = [&](int language) {
        std::vector<int> pairs;
        for (std::size_t p = 0; p < t.pairs.size(); ++p)
            if (t.pairs[p].second == language)
                pairs.push_back(int(p));
        return pairs;
    };

    std::vector<Task> tasks;
    std::set<QString> seen;
    const auto add = [&](Task task) {
        if (seen.insert(task.name).second)
            tasks.push_back(std::move(task));
    };
    if (request.allTasks) {
        for (std::size_t p = 0; p < t.pairs.size(); ++p) {
            if (byPair) {
                add(taskFor(qs(t.pairName(int(p))), {int(p)}));
            } else {
                const int target = t.pairs[p].second;
                add(taskFor(qs(t.languages[std::size_t(target)]), intoLanguage(target)));
            }
        }
        return tasks;
    }
    for (const QString &name : request.tasks) {
        const auto parts = name.split(QLatin1Char('-'));
        if (parts.size() == 2) {
            const int pair = t.pairId(t.languageId(parts[0].toStdString()), t.languageId(parts[1].toStdString()));
            if (pair < 0)
                throw UseCaseError(QStringLiteral("--task %1: the model was not trained on this pair (it knows: %2)")
                                       .arg(name, pairList(t)));
            if (byPair)
                add(taskFor(name, {pair}));
            else
                add(taskFor(parts[1], intoLanguage(t.pairs[std::size_t(pair)].second)));
        } else if (parts.size() == 1 && !byPair) {
            const int language = t.languageId(name.toStdString());
            const auto pairs = language < 0 ? std::vector<int>() : intoLanguage(language);
            if (pairs.empty())
                throw UseCaseError(QStringLiteral("--task %1: the model translates into no such language (it knows the "
                                                  "pairs %2)").arg(name, pairList(t)));
            add(taskFor(name, pairs));
        } else {
            throw UseCaseError(QStringLiteral("--task %1: give a language pair such as en-de (the model's pairs: %2)")
                                   .arg(name, pairList(t)));
        }
    }
    return tasks;
}

/// The K experts of each token- or sentence-routed layer that `task`'s pairs used most.
std::map<std::pair<bool, std::int64_t>, std::vector<std::int64_t>>
expertsToKeep(const std::vector<db::RoutingStatRecord> &stats, core::TransformerImpl &model, const core::TaskTable &t,
              const Task &task, qint64 keep, PruneMeasure by, const QString &where)
{
    std::set<QString> pairs;
    for (const int p : task.pairs)
        pairs.insert(qs(t.pairName(p)));
    std::map<std::pair<bool, std::int64_t>, std::vector<std::int64_t>> out;
    for (const auto &ref : model.moeLayers()) {
        if (core::isTaskRouting(ref.moe->options().routing()))
            continue;
        const std::int64_t experts = ref.moe->options().num_experts();
        std::vector<double> top1(std::size_t(experts), 0), topk(top1), gate(top1), top1Gate(top1);
        std::set<QString> found;
        for (const auto &s : stats) {
            if ((s.side == db::Side::Decoder) != ref.decoder || s.layer != ref.layer || !pairs.count(s.task)
                || s.expert < 0 || s.expert >= experts)
                continue;
            found.insert(s.task);
            top1[std::size_t(s.expert)] += double(s.top1);
            topk[std::size_t(s.expert)] += double(s.topk);
            gate[std::size_t(s.expert)] += s.gateMass;
            top1Gate[std::size_t(s.expert)] += s.top1GateMass;
        }
        const QString layerName = QStringLiteral("%1 layer %2").arg(ref.decoder ? QStringLiteral("decoder") : QStringLiteral("encoder")).arg(ref.layer);
        for (const auto &p : pairs)
            if (!found.count(p))
                throw UseCaseError(QStringLiteral("%1 has no routing statistics of %2 in the %3; evaluate that pair "
                                                  "first (taskmoe eval --pairs %2)").arg(where, p, layerName));
        const double firstChoices = std::accumulate(top1.begin(), top1.end(), 0.0);
        const double firstGates = std::accumulate(top1Gate.begin(), top1Gate.end(), 0.0);
        if (by == PruneMeasure::Importance && firstChoices > 0 && firstGates == 0)
            throw UseCaseError(QStringLiteral("%1's routing statistics were recorded by an older version without the "
                                              "first-choice gate weights the importance measure needs; evaluate the "
                                              "checkpoint again, or prune --by top1").arg(where));
        std::vector<double> score(static_cast<std::size_t>(experts), 0.0);
        for (std::size_t e = 0; e < score.size(); ++e) {
            switch (by) {
            case PruneMeasure::Top1: score[e] = top1[e]; break;
            case PruneMeasure::TopK: score[e] = topk[e]; break;
            case PruneMeasure::Gate: score[e] = gate[e]; break;
            case PruneMeasure::Importance:
                score[e] = top1[e] > 0 ? top1[e] * std::exp(top1Gate[e] / top1[e]) : 0;
                break;
            }
        }
        std::vector<std::int64_t> order(static_cast<std::size_t>(experts), 0);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](std::int64_t a, std::int64_t b) { return score[std::size_t(a)] > score[std::size_t(b)]; });
        order.resize(std::size_t(keep));
        out[{ref.decoder, ref.layer}] = order;
    }
    return out;
}

QJsonObject parametersJson(const core::ParameterCounts &c)
{
    return {{QStringLiteral("total"), qint64(c.total)},
            {QStringLiteral("embedding"), qint64(c.embedding)},
            {QStringLiteral("encoder"), qint64(c.encoder)},
            {QStringLiteral("decoder"), qint64(c.decoder)},
            {QStringLiteral("dense"), qint64(c.dense)},
            {QStringLiteral("expert"), qint64(c.expert)},
            {QStringLiteral("router"), qint64(c.router)},
            {QStringLiteral("active_per_token"), qint64(c.activePerToken)}};
}

QJsonArray layersJson(const std::vector<core::SubnetworkLayer> &layers)
{
    QJsonArray out;
    for (const auto &l : layers) {
        QJsonArray experts, gates;
        for (const auto e : l.experts)
            experts << QJsonValue(qint64(e));
        for (const auto g : l.gates)
            gates << g;
        QJsonObject o{{QStringLiteral("side"), l.decoder ? QStringLiteral("decoder") : QStringLiteral("encoder")},
                      {QStringLiteral("layer"), QJsonValue(qint64(l.layer))},
                      {QStringLiteral("kind"), qs(core::subnetworkLayerKindName(l.kind))},
                      {QStringLiteral("experts"), experts}};
        if (!l.gates.empty())
            o.insert(QStringLiteral("gates"), gates);
        out << o;
    }
    return out;
}

/// The first test sentences of each pair `task` serves, as requests of `full`.
std::vector<core::DecodeRequest> testRequests(const TranslationModel &full, const db::Store &store,
                                              const db::DatasetRecord &dataset, const Task &task, int perPair)
{
    const auto &t = full.tasks();
    std::vector<core::DecodeRequest> requests;
    for (const int p : task.pairs) {
        const auto &[src, tgt] = t.pairs[std::size_t(p)];
        const auto sentences = directionSentences(store, dataset, t.languages[std::size_t(src)],
                                                  t.languages[std::size_t(tgt)], QStringLiteral("test"), perPair);
        for (const auto &s : sentences.sources)
            requests.push_back(full.request(s, tgt, p));
    }
    return requests;
}

/// Random sources for each pair `task` serves (models without data).
std::vector<core::DecodeRequest> randomRequests(const core::ModelOptions &o, const core::TaskTable &t, const Task &task,
                                                int perPair)
{
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::int32_t> piece(4, std::int32_t(o.vocabSize - 1));
    std::uniform_int_distribution<int> length(4, int(std::min<std::int64_t>(24, o.maxLength - 1)));
    std::vector<core::DecodeRequest> requests;
    for (const int p : task.pairs)
        for (int i = 0; i < perPair; ++i) {
            core::DecodeRequest r;
            r.src.resize(std::size_t(length(rng)));
            for (auto &id : r.src)
                id = piece(rng);
            r.targetLang = t.pairs[std::size_t(p)].second;
            r.pair = p;
            requests.push_back(std::move(r));
        }
    return requests;
}

/// Compares the sub-network with the full model on `requests`: greedy translations and
/// teacher-forced logits, both without a capacity limit.
void verify(core::TransformerImpl &full, core::TransformerImpl &sub, const std::vector<core::DecodeRequest> &requests,
            ExtractedModel &out)
{
    core::DecodeOptions greedy;
    greedy.beam = 1;
    greedy.capacityFactor = 0;
    const auto a = core::translate(full, requests, greedy);
    const auto b = core::translate(sub, requests, greedy);
    std::vector<std::vector<std::int32_t>> targets;
    for (std::size_t i = 0; i < a.size(); ++i) {
        targets.push_back(a[i].tokens);
        if (a[i].tokens == b[i].tokens)
            ++out.identicalOutputs;
    }
    out.verifiedSentences = int(requests.size());
    out.maxLogitDifference = core::maxLogitDifference(full, sub, requests, targets);
}

/// Throws when a verified sub-network is not the full model's function.
void requireExact(const ExtractedModel &out, const QString &where)
{
    if (out.maxLogitDifference > kLogitTolerance || out.identicalOutputs != out.verifiedSentences)
        throw UseCaseError(QStringLiteral("the %1 sub-network of %2 differs from the full model: largest logit difference "
                                          "%3, %4 of %5 greedy translations identical; nothing was written")
                               .arg(out.task, where).arg(out.maxLogitDifference).arg(out.identicalOutputs)
                               .arg(out.verifiedSentences));
}

/// The part of every sub-network's manifest that describes it.
QJsonObject subnetworkManifest(const ExtractedModel &out, const core::ParameterCounts &full)
{
    QJsonObject manifest{{QStringLiteral("kind"), QStringLiteral("subnetwork")},
                         {QStringLiteral("task"), out.task},
                         {QStringLiteral("serves"), QJsonArray::fromStringList(out.serves)},
                         {QStringLiteral("layers"), layersJson(out.layers)},
                         {QStringLiteral("parameters"), parametersJson(out.parameters)},
                         {QStringLiteral("full_parameters"), parametersJson(full)}};
    if (out.verifiedSentences > 0)
        manifest.insert(QStringLiteral("verified"), QJsonObject{{QStringLiteral("sentences"), out.verifiedSentences},
                                                                {QStringLiteral("identical_greedy"), out.identicalOutputs},
                                                                {QStringLiteral("max_logit_difference"), out.maxLogitDifference}});
    return manifest;
}

/// Writes the sub-network (temporary name, then rename) with the full model's task table and
/// SentencePiece model; fills path, SHA-256 and size.
void saveSubnetwork(core::Subnetwork &sub, const core::ModelFileInfo &fullInfo, const QJsonObject &manifest,
                    const QString &path, ExtractedModel &out)
{
    core::ModelFileInfo info;
    info.tasks = fullInfo.tasks;
    info.sentencePiece = fullInfo.sentencePiece;
    info.sentencePieceSha256 = fullInfo.sentencePieceSha256;
    info.json = QJsonDocument(manifest).toJson(QJsonDocument::Compact).toStdString();
    out.path = path;
    out.sha256 = qs(core::saveModel(path.toStdString(), sub.model, info));
    out.fileBytes = QFileInfo(path).size();
}

/// The sub-network of `task` from `full`, described (not yet verified or written).
ExtractedModel describe(const core::Subnetwork &sub, const core::TaskTable &t, const Task &task)
{
    ExtractedModel out;
    out.task = task.name;
    for (const int p : task.pairs)
        out.serves << qs(t.pairName(p));
    out.layers = sub.layers;
    out.parameters = sub.model->parameterCounts();
    out.exact = std::none_of(sub.layers.begin(), sub.layers.end(), [](const core::SubnetworkLayer &l) {
        return l.kind == core::SubnetworkLayer::Kind::Pruned;
    });
    return out;
}

/// Whether the model's tasks are pairs (pair routing anywhere, or no task routing at all).
bool tasksArePairs(const core::ModelOptions &o)
{
    const bool taskRouted = core::isTaskRouting(o.encoderRouting) || core::isTaskRouting(o.decoderRouting);
    return o.encoderRouting == core::Routing::TaskPair || o.decoderRouting == core::Routing::TaskPair || !taskRouted;
}

} // namespace

QString pruneMeasureName(PruneMeasure measure)
{
    switch (measure) {
    case PruneMeasure::Top1: return QStringLiteral("top1");
    case PruneMeasure::TopK: return QStringLiteral("topk");
    case PruneMeasure::Gate: return QStringLiteral("gate");
    case PruneMeasure::Importance: return QStringLiteral("importance");
    }
    return QStringLiteral("importance");
}

std::optional<PruneMeasure> pruneMeasureFromName(const QString &name)
{
    for (const auto m : {PruneMeasure::Top1, PruneMeasure::TopK, PruneMeasure::Gate, PruneMeasure::Importance})
        if (pruneMeasureName(m) == name)
            return m;
    return std::nullopt;
}

ExtractResult extract(db::Store &store, const ExtractRequest &request, const Notes &notes, const ExtractHooks &hooks)
{
    if (!request.allTasks && request.tasks.isEmpty())
        throw UseCaseError(QStringLiteral("give the task to extract with --task (e.g. en-de) or --all-tasks"));
    if (request.verifySentences < 0)
        throw UseCaseError(QStringLiteral("--verify must be 0 or a positive number of sentences per pair"));
    ExtractResult result;
    TranslationModel m = loadRunModel(store, request.runId, request.checkpoint);
    result.run = m.run;
    result.checkpoint = m.checkpoint;
    core::TransformerImpl &full = *m.loaded.model;
    full.eval();
    result.fullParameters = full.parameterCounts();
    const core::ModelOptions &o = full.options();
    const QString where = QStringLiteral("run %1's checkpoint at step %2").arg(m.run.id).arg(m.checkpoint.step);

    const auto moe = full.moeLayers();
    if (moe.empty())
        throw UseCaseError(QStringLiteral("run %1 is dense: it has no MoE layers to extract a sub-network from").arg(m.run.id));
    const bool taskRouted = core::isTaskRouting(o.encoderRouting) || core::isTaskRouting(o.decoderRouting);
    const bool tokenRouted = std::any_of(moe.begin(), moe.end(), [](const core::MoeLayerRef &r) {
        return !core::isTaskRouting(r.moe->options().routing());
    });
    const bool byPair = tasksArePairs(o);
    if (!taskRouted && request.keep == 0)
        throw UseCaseError(QStringLiteral("run %1 routes every MoE layer by token or sentence, so no layer can be folded "
                                          "into a task's experts; prune it with --keep K (K of its %2 experts per layer)")
                               .arg(m.run.id).arg(o.experts));
    if (request.keep != 0 && !tokenRouted)
        throw UseCaseError(QStringLiteral("--keep: run %1 has no token- or sentence-routed layer to prune (its task-routed "
                                          "layers are folded exactly)").arg(m.run.id));
    if (request.keep != 0 && (request.keep < o.topK || request.keep > o.experts))
        throw UseCaseError(QStringLiteral("--keep %1: a pruned layer keeps between top_k = %2 and the %3 experts it has")
                               .arg(request.keep).arg(o.topK).arg(o.experts));
    const std::vector<Task> tasks = resolveTasks(request, o, m.tasks(), byPair);

    std::vector<db::RoutingStatRecord> stats;
    if (request.keep != 0) {
        qint64 modelId = 0;
        for (const auto &row : store.models())
            if (row.checkpointId == m.checkpoint.id && row.kind == QLatin1String("full"))
                modelId = row.id;
        if (modelId > 0)
            stats = store.routingStats(modelId, m.checkpoint.step);
        if (stats.empty())
            throw UseCaseError(QStringLiteral("--keep chooses experts by the routing statistics of %1, and it has none; "
                                              "evaluate it first (taskmoe eval --run %2 --checkpoint %3)")
                                   .arg(where).arg(m.run.id).arg(m.checkpoint.step));
    }
    if (m.run.datasetId == 0)
        throw UseCaseError(QStringLiteral("run %1 does not record its dataset").arg(m.run.id));
    const db::DatasetRecord dataset = store.dataset(m.run.datasetId);

    if (hooks.started)
        hooks.started(result, int(tasks.size()));
    const QString folder = request.outputDir.isEmpty() ? store.runFolderOf(m.run.id) + QStringLiteral("/subnetworks")
                                                       : request.outputDir;
    if (!QDir().mkpath(folder))
        throw UseCaseError(QStringLiteral("%1: cannot create the output folder").arg(folder));

    for (std::size_t n = 0; n < tasks.size(); ++n) {
        const Task &task = tasks[n];
        core::SubnetworkSpec spec;
        spec.encoderTask = task.encoderTask;
        spec.decoderTask = task.decoderTask;
        if (request.keep != 0)
            spec.keep = expertsToKeep(stats, full, m.tasks(), task, request.keep, request.by, where);
        if (notes)
            notes(QStringLiteral("extracting %1 from %2").arg(task.name, where));
        core::Subnetwork sub = core::extractSubnetwork(full, spec);

        ExtractedModel out = describe(sub, m.tasks(), task);
        if (out.exact && request.verifySentences > 0) {
            verify(full, *sub.model, testRequests(m, store, dataset, task, request.verifySentences), out);
            requireExact(out, where);
        }

        QString file = QStringLiteral("run%1-step%2-%3").arg(m.run.id).arg(m.checkpoint.step).arg(task.name);
        if (request.keep != 0)
            file += QStringLiteral("-keep%1-%2").arg(request.keep).arg(pruneMeasureName(request.by));
        QJsonObject manifest = subnetworkManifest(out, result.fullParameters);
        manifest.insert(QStringLiteral("source_run"), m.run.id);
        manifest.insert(QStringLiteral("source_checkpoint_step"), m.checkpoint.step);
        manifest.insert(QStringLiteral("source_sha256"), m.checkpoint.sha256);
        if (request.keep != 0)
            manifest.insert(QStringLiteral("pruning"), QJsonObject{{QStringLiteral("keep"), request.keep},
                                                                   {QStringLiteral("by"), pruneMeasureName(request.by)}});
        saveSubnetwork(sub, m.loaded.info, manifest, QDir(folder).absoluteFilePath(file + QStringLiteral(".tmf")), out);

        manifest.insert(QStringLiteral("file_bytes"), out.fileBytes);
        db::ModelRecord row;
        row.runId = m.run.id;
        row.checkpointId = m.checkpoint.id;
        row.kind = QStringLiteral("subnetwork");
        row.task = task.name;
        row.path = out.path;
        row.sha256 = out.sha256;
        row.manifestJson = QString::fromUtf8(QJsonDocument(manifest).toJson(QJsonDocument::Compact));
        setParameterCounts(row, out.parameters);
        out.modelId = store.registerModelFile(row);
        result.models.push_back(out);
        if (hooks.extracted)
            hooks.extracted(result.models.back(), int(n + 1), int(tasks.size()));
    }
    return result;
}

std::vector<ExtractedModel> extractFromFile(const ExtractFileRequest &request, const Notes &notes)
{
    if (!request.allTasks && request.tasks.isEmpty())
        throw UseCaseError(QStringLiteral("give the task to extract with --task (e.g. en-de) or --all-tasks"));
    if (request.output.isEmpty())
        throw UseCaseError(QStringLiteral("give the file or folder to write with --output"));
    const core::LoadedModel loaded = core::loadModel(request.model.toStdString());
    core::TransformerImpl &full = *loaded.model;
    full.eval();
    const core::ModelOptions &o = full.options();
    if (!core::isTaskRouting(o.encoderRouting) && !core::isTaskRouting(o.decoderRouting))
        throw UseCaseError(QStringLiteral("%1 has no task-routed layer to fold (a model file is not pruned: pruning needs "
                                          "the routing statistics of a run's evaluation)").arg(request.model));
    ExtractRequest resolve;
    resolve.tasks = request.tasks;
    resolve.allTasks = request.allTasks;
    const std::vector<Task> tasks = resolveTasks(resolve, o, loaded.info.tasks, tasksArePairs(o));
    const bool oneFile = tasks.size() == 1 && request.output.endsWith(QLatin1String(".tmf"));
    if (!oneFile && !QDir().mkpath(request.output))
        throw UseCaseError(QStringLiteral("%1: cannot create the output folder").arg(request.output));
    const core::ParameterCounts fullCounts = full.parameterCounts();
    std::vector<ExtractedModel> out;
    for (const Task &task : tasks) {
        if (notes)
            notes(QStringLiteral("extracting %1 from %2").arg(task.name, request.model));
        core::SubnetworkSpec spec;
        spec.encoderTask = task.encoderTask;
        spec.decoderTask = task.decoderTask;
        core::Subnetwork sub = core::extractSubnetwork(full, spec);
        ExtractedModel model = describe(sub, loaded.info.tasks, task);
        if (request.verifySentences > 0) {
            verify(full, *sub.model, randomRequests(o, loaded.info.tasks, task, request.verifySentences), model);
            requireExact(model, request.model);
        }
        QJsonObject manifest = subnetworkManifest(model, fullCounts);
        manifest.insert(QStringLiteral("source_file"), QFileInfo(request.model).fileName());
        manifest.insert(QStringLiteral("source_sha256"), qs(loaded.sha256));
        const QString path = oneFile ? request.output
                                     : QDir(request.output).absoluteFilePath(QFileInfo(request.model).completeBaseName()
                                                                             + QLatin1Char('-') + task.name
                                                                             + QStringLiteral(".tmf"));
        saveSubnetwork(sub, loaded.info, manifest, path, model);
        out.push_back(std::move(model));
    }
    return out;
}

} // namespace taskmoe::usecases
