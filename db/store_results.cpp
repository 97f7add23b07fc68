// The store's checkpoints, models, evaluations and routing statistics.
#include "db/statement.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <tuple>

namespace taskmoe::db {

// ----------------------------------------------------------------------------------------
// Results

qint64 Store::addCheckpoint(const CheckpointRecord &c)
{
    Query q(m_connection, QStringLiteral(
        "INSERT INTO checkpoints (run_id, step, path, sha256, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)"));
    q.bind(c.runId).bind(c.step).bind(c.path).bind(c.sha256).bind(c.bytes)
        .bind(c.createdAt.isValid() ? timeText(c.createdAt) : now()).exec("add the checkpoint");
    return q.id();
}

QVector<CheckpointRecord> Store::checkpoints(qint64 runId) const
{
    QVector<CheckpointRecord> out;
    Query q(m_connection, QStringLiteral(
        "SELECT id, run_id, step, path, sha256, bytes, created_at FROM checkpoints WHERE run_id = ? ORDER BY step"));
    q.bind(runId).exec("list checkpoints");
    while (q.next())
        out.push_back({q.value(0).toLongLong(), q.value(1).toLongLong(), q.value(2).toLongLong(), q.value(3).toString(),
                       q.value(4).toString(), q.value(5).toLongLong(), timeValue(q.value(6))});
    return out;
}

std::set<qint64> Store::runsWithCheckpoints() const
{
    std::set<qint64> out;
    Query q(m_connection, QStringLiteral("SELECT DISTINCT run_id FROM checkpoints"));
    q.exec("list the runs with checkpoints");
    while (q.next())
        out.insert(q.value(0).toLongLong());
    return out;
}

std::optional<std::pair<CheckpointRecord, double>> Store::bestCheckpoint(qint64 runId) const
{
    Query q(m_connection, QStringLiteral(
        "SELECT c.id, c.run_id, c.step, c.path, c.sha256, c.bytes, c.created_at, m.value FROM checkpoints c "
        "JOIN metrics m ON m.run_id = c.run_id AND m.step = c.step "
        "AND m.key_id = (SELECT id FROM metric_keys WHERE name = 'dev_bleu') "
        "WHERE c.run_id = ? ORDER BY m.value DESC, c.step DESC, c.id DESC LIMIT 1"));
    q.bind(runId).exec("find the best checkpoint");
    if (!q.next())
        return std::nullopt;
    return std::make_pair(CheckpointRecord{q.value(0).toLongLong(), q.value(1).toLongLong(), q.value(2).toLongLong(),
                                           q.value(3).toString(), q.value(4).toString(), q.value(5).toLongLong(),
                                           timeValue(q.value(6))},
                          q.value(7).toDouble());
}

std::map<qint64, std::pair<qint64, double>> Store::bestCheckpointSteps() const
{
    std::map<qint64, std::pair<qint64, double>> out;
    Query q(m_connection, QStringLiteral(
        "SELECT c.run_id, c.step, m.value FROM checkpoints c "
        "JOIN metrics m ON m.run_id = c.run_id AND m.step = c.step "
        "AND m.key_id = (SELECT id FROM metric_keys WHERE name = 'dev_bleu') "
        "ORDER BY c.run_id, m.value, c.step, c.id"));
    q.exec("find the best checkpoints");
    while (q.next())   // ascending: the last row of a run is its best
        out[q.value(0).toLongLong()] = {q.value(1).toLongLong(), q.value(2).toDouble()};
    return out;
}

qint64 Store::addModel(const ModelRecord &m)
{
    Query q(m_connection, QStringLiteral(
        "INSERT INTO models (run_id, checkpoint_id, kind, task, path, sha256, manifest_json, params_total, "
        "params_embedding, params_encoder, params_decoder, params_expert, params_active, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    q.bind(nullIfZero(m.runId)).bind(nullIfZero(m.checkpointId)).bind(m.kind).bind(m.task).bind(m.path).bind(m.sha256)
        .bind(m.manifestJson.isEmpty() ? QStringLiteral("{}") : m.manifestJson).bind(m.paramsTotal)
        .bind(m.paramsEmbedding).bind(m.paramsEncoder).bind(m.paramsDecoder).bind(m.paramsExpert).bind(m.paramsActive)
        .bind(m.createdAt.isValid() ? timeText(m.createdAt) : now()).exec("add the model");
    return q.id();
}

qint64 Store::registerModelFile(const ModelRecord &m)
{
    Transaction tx(m_connection);
    Query find(m_connection, QStringLiteral("SELECT id, sha256 FROM models WHERE path = ? AND kind <> 'full' ORDER BY id"));
    find.bind(m.path).exec("find the model file's rows");
    qint64 id = 0;
    QVector<qint64> stale;
    while (find.next()) {
        if (id == 0 && find.value(1).toString() == m.sha256)
            id = find.value(0).toLongLong();
        else
            stale.push_back(find.value(0).toLongLong());
    }
    for (const qint64 old : stale) {
        Query del(m_connection, QStringLiteral("DELETE FROM models WHERE id = ?"));
        del.bind(old).exec("remove the replaced model file's row");
    }
    if (id == 0) {
        id = addModel(m);
    } else {
        Query update(m_connection, QStringLiteral(
            "UPDATE models SET run_id = ?, checkpoint_id = ?, kind = ?, task = ?, manifest_json = ?, params_total = ?, "
            "params_embedding = ?, params_encoder = ?, params_decoder = ?, params_expert = ?, params_active = ? WHERE id = ?"));
        update.bind(nullIfZero(m.runId)).bind(nullIfZero(m.checkpointId)).bind(m.kind).bind(m.task)
            .bind(m.manifestJson.isEmpty() ? QStringLiteral("{}") : m.manifestJson).bind(m.paramsTotal)
            .bind(m.paramsEmbedding).bind(m.paramsEncoder).bind(m.paramsDecoder).bind(m.paramsExpert).bind(m.paramsActive)
            .bind(id).exec("update the model file's row");
    }
    tx.commit();
    return id;
}

QVector<ModelRecord> Store::models() const
{
    QVector<ModelRecord> out;
    Query q(m_connection, QStringLiteral(
        "SELECT id, run_id, checkpoint_id, kind, task, path, sha256, manifest_json, params_total, params_embedding, "
        "params_encoder, params_decoder, params_expert, params_active, created_at FROM models ORDER BY id"));
    q.exec("list models");
    while (q.next()) {
        ModelRecord m;
        m.id = q.value(0).toLongLong();
        m.runId = q.value(1).toLongLong();
        m.checkpointId = q.value(2).toLongLong();
        m.kind = q.value(3).toString();
        m.task = q.value(4).toString();
        m.path = q.value(5).toString();
        m.sha256 = q.value(6).toString();
        m.manifestJson = q.value(7).toString();
        m.paramsTotal = q.value(8).toLongLong();
        m.paramsEmbedding = q.value(9).toLongLong();
        m.paramsEncoder = q.value(10).toLongLong();
        m.paramsDecoder = q.value(11).toLongLong();
        m.paramsExpert = q.value(12).toLongLong();
        m.paramsActive = q.value(13).toLongLong();
        m.createdAt = timeValue(q.value(14));
        out.push_back(m);
    }
    return out;
}

namespace {
constexpr const char *kEvaluationColumns =
    "id, model_id, run_id, step, split, pair, metric, score, signature, sentences, aggregate, config_json, created_at";

EvaluationRecord evaluationFrom(const QSqlQuery &q)
{
    EvaluationRecord e;
    e.id = q.value(0).toLongLong();
    e.modelId = q.value(1).toLongLong();
    e.runId = q.value(2).toLongLong();
    e.step = q.value(3).toLongLong();
    e.split = q.value(4).toString();
    e.pair = q.value(5).toString();
    e.metric = q.value(6).toString();
    e.score = q.value(7).toDouble();
    e.signature = q.value(8).toString();
    e.sentences = q.value(9).toLongLong();
    e.aggregate = q.value(10).toInt() != 0;
    e.configJson = q.value(11).toString();
    e.createdAt = timeValue(q.value(12));
    return e;
}
} // namespace

qint64 Store::addEvaluation(const EvaluationRecord &e)
{
    Query q(m_connection, QStringLiteral(
        "INSERT INTO evaluations (model_id, run_id, step, split, pair, metric, score, signature, sentences, aggregate, "
        "config_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    q.bind(nullIfZero(e.modelId)).bind(nullIfZero(e.runId)).bind(e.step).bind(e.split).bind(e.pair).bind(e.metric)
        .bind(e.score).bind(e.signature).bind(e.sentences).bind(e.aggregate ? 1 : 0)
        .bind(e.configJson.isEmpty() ? QStringLiteral("{}") : e.configJson)
        .bind(e.createdAt.isValid() ? timeText(e.createdAt) : now())
        .exec("add the evaluation");
    return q.id();
}

void Store::addEvaluations(const QVector<EvaluationRecord> &evaluations)
{
    Transaction tx(m_connection);
    for (const auto &e : evaluations)
        addEvaluation(e);
    tx.commit();
}

QVector<EvaluationRecord> Store::evaluationsWhere(const char *column, qint64 id) const
{
    QVector<EvaluationRecord> out;
    Query q(m_connection, QStringLiteral("SELECT %1 FROM evaluations WHERE %2 = ? ORDER BY id")
                              .arg(QLatin1String(kEvaluationColumns), QLatin1String(column)));
    q.bind(id).exec("list evaluations");
    while (q.next())
        out.push_back(evaluationFrom(q.raw()));
    return out;
}

QVector<EvaluationRecord> Store::evaluations(qint64 modelId) const
{
    return evaluationsWhere("model_id", modelId);
}

QVector<EvaluationRecord> Store::runEvaluations(qint64 runId) const
{
    return evaluationsWhere("run_id", runId);
}

qint64 Store::checkpointModel(const CheckpointRecord &checkpoint, const ModelRecord &details)
{
    Transaction tx(m_connection);
    Query find(m_connection, QStringLiteral("SELECT id FROM models WHERE checkpoint_id = ? AND kind = 'full' ORDER BY id LIMIT 1"));
    find.bind(checkpoint.id).exec("find the checkpoint's model");
    qint64 id = find.next() ? find.value(0).toLongLong() : 0;
    if (id == 0) {
        ModelRecord m = details;
        m.runId = checkpoint.runId;
        m.checkpointId = checkpoint.id;
        m.kind = QStringLiteral("full");
        m.path = checkpoint.path;
        m.sha256 = checkpoint.sha256;
        id = addModel(m);
    } else if (details.paramsTotal > 0) {
        // Training registers a checkpoint's model (for its routing statistics) before anyone has
        // loaded it; the first to load it fills in what loading tells.
        Query fill(m_connection, QStringLiteral(
            "UPDATE models SET params_total = ?, params_embedding = ?, params_encoder = ?, params_decoder = ?, "
            "params_expert = ?, params_active = ?, manifest_json = CASE WHEN manifest_json IN ('', '{}') THEN ? "
            "ELSE manifest_json END WHERE id = ? AND params_total = 0"));
        fill.bind(details.paramsTotal).bind(details.paramsEmbedding).bind(details.paramsEncoder).bind(details.paramsDecoder)
            .bind(details.paramsExpert).bind(details.paramsActive)
            .bind(details.manifestJson.isEmpty() ? QStringLiteral("{}") : details.manifestJson).bind(id)
            .exec("fill in the checkpoint's model");
    }
    tx.commit();
    return id;
}

void Store::replaceRoutingStats(qint64 modelId, qint64 step, const std::vector<RoutingStatRecord> &stats)
{
    Transaction tx(m_connection);
    Query del(m_connection, QStringLiteral("DELETE FROM routing_stats WHERE model_id = ? AND step = ?"));
    del.bind(modelId).bind(step).exec("replace routing statistics");
    insertRoutingStats(stats);
    tx.commit();
}

void Store::insertRoutingStats(const std::vector<RoutingStatRecord> &stats)
{
    Query q(m_connection, QStringLiteral(
        "INSERT OR REPLACE INTO routing_stats (model_id, step, side, layer, task, expert, top1, topk, gate_mass, "
        "processed, top1_gate_mass) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const auto &s : stats)
        q.bind(s.modelId).bind(s.step).bind(sideName(s.side)).bind(s.layer).bind(s.task).bind(s.expert).bind(s.top1).bind(s.topk)
            .bind(s.gateMass).bind(s.processed).bind(s.top1GateMass).exec("write routing statistics");
}

void Store::addRoutingStats(const std::vector<RoutingStatRecord> &stats)
{
    Transaction tx(m_connection);
    insertRoutingStats(stats);
    tx.commit();
}

std::vector<RoutingStatRecord> Store::routingStats(qint64 modelId, qint64 step) const
{
    std::vector<RoutingStatRecord> out;
    Query q(m_connection, QStringLiteral(
        "SELECT model_id, step, side, layer, task, expert, top1, topk, gate_mass, processed, top1_gate_mass FROM routing_stats "
        "WHERE model_id = ? AND step = ? ORDER BY side, layer, task, expert"));
    q.bind(modelId).bind(step).exec("read routing statistics");
    while (q.next())
        // The table's CHECK admits only the two side names.
        out.push_back({q.value(0).toLongLong(), q.value(1).toLongLong(),
                       sideFromName(q.value(2).toString()).value_or(Side::Encoder), q.value(3).toInt(),
                       q.value(4).toString(), q.value(5).toInt(), q.value(6).toLongLong(), q.value(7).toLongLong(),
                       q.value(8).toDouble(), q.value(9).toLongLong(), q.value(10).toDouble()});
    return out;
}

qint64 Store::addBenchmark(const BenchmarkRecord &b)
{
    Query q(m_connection, QStringLiteral(
        "INSERT INTO benchmarks (model_id, kind, batch_size, tokens_per_s, latency_ms, peak_rss_bytes, encoder_ms, "
        "decoder_ms, config_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    q.bind(nullIfZero(b.modelId)).bind(b.kind).bind(b.batchSize).bind(b.tokensPerSecond).bind(b.latencyMs)
        .bind(b.peakRssBytes).bind(b.encoderMs).bind(b.decoderMs)
        .bind(b.configJson.isEmpty() ? QStringLiteral("{}") : b.configJson)
        .bind(b.createdAt.isValid() ? timeText(b.createdAt) : now()).exec("add the benchmark");
    return q.id();
}

void Store::addBenchmarks(const QVector<BenchmarkRecord> &benchmarks)
{
    Transaction tx(m_connection);
    for (const auto &b : benchmarks)
        addBenchmark(b);
    tx.commit();
}

QVector<BenchmarkRecord> Store::benchmarks() const
{
    QVector<BenchmarkRecord> out;
    Query q(m_connection, QStringLiteral(
        "SELECT id, model_id, kind, batch_size, tokens_per_s, latency_ms, peak_rss_bytes, encoder_ms, decoder_ms, "
        "config_json, created_at FROM benchmarks ORDER BY id"));
    q.exec("list benchmarks");
    while (q.next()) {
        BenchmarkRecord b;
        b.id = q.value(0).toLongLong();
        b.modelId = q.value(1).toLongLong();
        b.kind = q.value(2).toString();
        b.batchSize = q.value(3).toInt();
        b.tokensPerSecond = q.value(4).toDouble();
        b.latencyMs = q.value(5).toDouble();
        b.peakRssBytes = q.value(6).toLongLong();
        b.encoderMs = q.value(7).toDouble();
        b.decoderMs = q.value(8).toDouble();
        b.configJson = q.value(9).toString();
        b.createdAt = timeValue(q.value(10));
        out.push_back(b);
    }
    return out;
}

// ----------------------------------------------------------------------------------------
// Routing statistics, listed: what the heatmap browser offers to pick from.

QVector<RoutingStatSet> Store::routingStatSets() const
{
    QVector<RoutingStatSet> out;
    Transaction snapshot(m_connection);   // both statements read the same state of the file
    Query sets(m_connection, QStringLiteral(
        "SELECT s.model_id, s.step, COALESCE(m.run_id, 0), COALESCE(r.name, ''), COALESCE(m.checkpoint_id, 0), "
        "COALESCE(c.step, -1), m.kind, m.task, COUNT(DISTINCT s.task), MAX(s.expert) + 1, COUNT(*) "
        "FROM routing_stats s JOIN models m ON m.id = s.model_id "
        "LEFT JOIN runs r ON r.id = m.run_id LEFT JOIN checkpoints c ON c.id = m.checkpoint_id "
        "GROUP BY s.model_id, s.step ORDER BY COALESCE(m.run_id, 0), s.step, s.model_id"));
    sets.exec("list routing statistics");
    QHash<QPair<qint64, qint64>, int> index;
    while (sets.next()) {
        RoutingStatSet set;
        set.modelId = sets.value(0).toLongLong();
        set.step = sets.value(1).toLongLong();
        set.runId = sets.value(2).toLongLong();
        set.runName = sets.value(3).toString();
        set.checkpointId = sets.value(4).toLongLong();
        set.checkpointStep = sets.value(5).toLongLong();
        set.modelKind = sets.value(6).toString();
        set.modelTask = sets.value(7).toString();
        set.tasks = sets.value(8).toInt();
        set.experts = sets.value(9).toInt();
        set.rows = sets.value(10).toLongLong();
        index.insert({set.modelId, set.step}, int(out.size()));
        out.push_back(set);
    }
    Query layers(m_connection, QStringLiteral(
        "SELECT DISTINCT model_id, step, side, layer FROM routing_stats ORDER BY model_id, step, side, layer"));
    layers.exec("list the layers of routing statistics");
    while (layers.next()) {
        const auto it = index.constFind({layers.value(0).toLongLong(), layers.value(1).toLongLong()});
        if (it == index.constEnd())
            continue;
        RoutingStatSet &set = out[*it];
        (sideFromName(layers.value(2).toString()) == Side::Encoder ? set.encoderLayers : set.decoderLayers)
            .push_back(layers.value(3).toInt());
    }
    snapshot.commit();
    return out;
}


} // namespace taskmoe::db
