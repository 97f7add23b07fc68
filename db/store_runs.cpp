// The store's experiments, runs, their folders and metrics.
#include "db/statement.h"

#include <QFileInfo>
#include <QSqlDriver>

#include <sqlite3.h>

#include <algorithm>
#include <iterator>
#include <tuple>

namespace taskmoe::db {

// ----------------------------------------------------------------------------------------
// Experiments and runs

qint64 Store::addExperiment(const ExperimentRecord &e)
{
    Query q(m_connection, QStringLiteral("INSERT INTO experiments (name, description, created_at) VALUES (?, ?, ?)"));
    q.bind(e.name).bind(e.description).bind(e.createdAt.isValid() ? timeText(e.createdAt) : now())
        .exec("add the experiment");
    return q.id();
}

QVector<ExperimentRecord> Store::experiments() const
{
    QVector<ExperimentRecord> out;
    Query q(m_connection, QStringLiteral("SELECT id, name, description, created_at FROM experiments ORDER BY id"));
    q.exec("list experiments");
    while (q.next())
        out.push_back({q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toString(), timeValue(q.value(3))});
    return out;
}

qint64 Store::addRun(const RunRecord &r)
{
    Query q(m_connection, QStringLiteral(
        "INSERT INTO runs (experiment_id, dataset_id, parent_run_id, name, kind, preset, config_json, status, pid, "
        "host, started_at, ended_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    q.bind(nullIfZero(r.experimentId)).bind(nullIfZero(r.datasetId)).bind(nullIfZero(r.parentRunId)).bind(r.name)
        .bind(r.kind).bind(r.preset).bind(r.configJson.isEmpty() ? QStringLiteral("{}") : r.configJson)
        .bind(runStatusName(r.status)).bind(nullIfZero(r.pid)).bind(r.host)
        .bind(r.startedAt.isValid() ? QVariant(timeText(r.startedAt)) : QVariant(QMetaType(QMetaType::QString)))
        .bind(r.endedAt.isValid() ? QVariant(timeText(r.endedAt)) : QVariant(QMetaType(QMetaType::QString)))
        .bind(r.error).exec("add the run");
    return q.id();
}

void Store::updateRunStatus(qint64 runId, RunStatus status, const QString &error)
{
    const bool final = !isActive(status);
    Query q(m_connection, QStringLiteral(
        "UPDATE runs SET status = ?, error = ?, ended_at = CASE WHEN ? THEN ? ELSE ended_at END WHERE id = ?"));
    q.bind(runStatusName(status)).bind(error).bind(final).bind(now()).bind(runId).exec("update the run status");
    if (q.rowsAffected() == 0)
        throw StoreError(QStringLiteral("%1: there is no run %2").arg(m_path).arg(runId));
}

void Store::updateRunProcess(qint64 runId, qint64 pid, const QString &host)
{
    Query q(m_connection, QStringLiteral(
        "UPDATE runs SET status = 'running', error = '', pid = ?, host = ?, ended_at = NULL WHERE id = ?"));
    q.bind(pid).bind(host).bind(runId).exec("update the run's process");
    if (q.rowsAffected() == 0)
        throw StoreError(QStringLiteral("%1: there is no run %2").arg(m_path).arg(runId));
}

int Store::markInterruptedRuns(const QString &host, const std::function<bool(qint64)> &alive)
{
    std::vector<std::pair<qint64, qint64>> dead;   // (run, pid)
    {
        Query q(m_connection, QStringLiteral("SELECT id, pid FROM runs WHERE status = 'running' AND host = ? AND pid > 0"));
        q.bind(host).exec("list running runs");
        while (q.next()) {
            if (!alive(q.value(1).toLongLong()))
                dead.emplace_back(q.value(0).toLongLong(), q.value(1).toLongLong());
        }
    }
    int marked = 0;
    for (const auto &[run, pid] : dead) {
        Query q(m_connection, QStringLiteral(
            "UPDATE runs SET status = 'interrupted', error = ?, ended_at = ? "
            "WHERE id = ? AND status = 'running' AND pid = ? AND host = ?"));
        q.bind(QStringLiteral("the training process ended without a final status")).bind(now()).bind(run).bind(pid)
            .bind(host).exec("mark an interrupted run");
        marked += q.rowsAffected() > 0 ? 1 : 0;
    }
    return marked;
}

QString Store::runsFolder(const QString &storePath)
{
    return QFileInfo(storePath).absoluteFilePath() + QStringLiteral("-runs");
}

QString Store::runFolder(const QString &storePath, qint64 runId)
{
    return runsFolder(storePath) + QStringLiteral("/run-%1").arg(runId);
}

QString Store::runFolderOf(qint64 runId) const
{
    Query q(m_connection, QStringLiteral("SELECT path FROM checkpoints WHERE run_id = ? ORDER BY step DESC LIMIT 1"));
    q.bind(runId).exec("find the run's folder");
    if (q.next())
        return QFileInfo(q.value(0).toString()).absolutePath();
    return runFolder(m_path, runId);
}

namespace {
const char *kRunColumns = "id, experiment_id, dataset_id, parent_run_id, name, kind, preset, config_json, status, "
                          "pid, host, started_at, ended_at, error";
RunRecord runFrom(Query &q)
{
    RunRecord r;
    r.id = q.value(0).toLongLong();
    r.experimentId = q.value(1).toLongLong();
    r.datasetId = q.value(2).toLongLong();
    r.parentRunId = q.value(3).toLongLong();
    r.name = q.value(4).toString();
    r.kind = q.value(5).toString();
    r.preset = q.value(6).toString();
    r.configJson = q.value(7).toString();
    // The runs table's CHECK admits only the six names.
    r.status = runStatusFromName(q.value(8).toString()).value_or(RunStatus::Interrupted);
    r.pid = q.value(9).toLongLong();
    r.host = q.value(10).toString();
    r.startedAt = timeValue(q.value(11));
    r.endedAt = timeValue(q.value(12));
    r.error = q.value(13).toString();
    return r;
}
} // namespace

RunRecord Store::run(qint64 id) const
{
    Query q(m_connection, QStringLiteral("SELECT %1 FROM runs WHERE id = ?").arg(QLatin1String(kRunColumns)));
    q.bind(id).exec("read the run");
    if (!q.next())
        throw StoreError(QStringLiteral("%1: there is no run %2").arg(m_path).arg(id));
    return runFrom(q);
}

QVector<RunRecord> Store::runs() const
{
    QVector<RunRecord> out;
    Query q(m_connection, QStringLiteral("SELECT %1 FROM runs ORDER BY id").arg(QLatin1String(kRunColumns)));
    q.exec("list runs");
    while (q.next())
        out.push_back(runFrom(q));
    return out;
}

// ----------------------------------------------------------------------------------------
// Metrics: the hot write path. Keys are interned, and rows go through SQLite's own API on
// the connection's handle: Qt's per-value binding (QVariant, placeholder names) costs more
// than SQLite's work here. One transaction per flush.

void Store::addMetrics(const std::vector<MetricPoint> &points)
{
    if (points.empty())
        return;
    Transaction tx(m_connection);
    QHash<QString, qint64> keys;
    {
        Query find(m_connection, QStringLiteral("SELECT id FROM metric_keys WHERE name = ?"));
        Query add(m_connection, QStringLiteral("INSERT INTO metric_keys (name) VALUES (?)"));
        for (const auto &p : points) {
            if (keys.contains(p.key))
                continue;
            find.bind(p.key).exec("look up a metric key");
            if (find.next()) {
                keys.insert(p.key, find.value(0).toLongLong());
            } else {
                add.bind(p.key).exec("add a metric key");
                keys.insert(p.key, add.id());
            }
            find.raw().finish();
        }
    }
    const QVariant handle = QSqlDatabase::database(m_connection, false).driver()->handle();
    sqlite3 *sqlite = handle.isValid() && qstrcmp(handle.typeName(), "sqlite3*") == 0
                          ? *static_cast<sqlite3 *const *>(handle.constData())
                          : nullptr;
    if (!sqlite)
        throw StoreError(QStringLiteral("store: the SQLite driver gave no connection handle"));
    sqlite3_stmt *stmt = nullptr;
    if (sqlite3_prepare_v2(sqlite,
                           "INSERT OR REPLACE INTO metrics (run_id, key_id, step, value, wall_time) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &stmt, nullptr) != SQLITE_OK)
        throw StoreError(QStringLiteral("store: cannot prepare the metric insert: %1").arg(QString::fromUtf8(sqlite3_errmsg(sqlite))));
    const auto failed = [&] {
        const QString error = QString::fromUtf8(sqlite3_errmsg(sqlite));
        sqlite3_finalize(stmt);
        return StoreError(QStringLiteral("store: cannot write metrics: %1").arg(error));
    };
    // In key order, each run's curve is appended to the B-tree rather than spliced into it.
    std::vector<std::pair<qint64, const MetricPoint *>> ordered;
    ordered.reserve(points.size());
    for (const auto &p : points)
        ordered.emplace_back(keys.value(p.key), &p);
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto &a, const auto &b) {
        return std::tie(a.second->runId, a.first, a.second->step) < std::tie(b.second->runId, b.first, b.second->step);
    });
    for (const auto &[keyId, point] : ordered) {
        const MetricPoint &p = *point;
        sqlite3_bind_int64(stmt, 1, p.runId);
        sqlite3_bind_int64(stmt, 2, keyId);
        sqlite3_bind_int64(stmt, 3, p.step);
        sqlite3_bind_double(stmt, 4, p.value);
        sqlite3_bind_double(stmt, 5, p.wallTime);
        if (sqlite3_step(stmt) != SQLITE_DONE)
            throw failed();
        sqlite3_reset(stmt);
    }
    sqlite3_finalize(stmt);
    tx.commit();
}

/// The rows of a query selecting run_id, step, key name, value, wall_time.
static std::vector<MetricPoint> metricPoints(Query &q)
{
    std::vector<MetricPoint> out;
    while (q.next())
        out.push_back({q.value(0).toLongLong(), q.value(1).toLongLong(), q.value(2).toString(), q.value(3).toDouble(),
                       q.value(4).toDouble()});
    return out;
}

qint64 Store::dataVersion() const
{
    Query q(m_connection, QStringLiteral("PRAGMA data_version"));
    q.exec("read the data version");
    return q.next() ? q.value(0).toLongLong() : -1;
}

std::vector<MetricPoint> Store::metrics(qint64 runId, const QString &key) const
{
    Query q(m_connection, QStringLiteral(
        "SELECT m.run_id, m.step, k.name, m.value, m.wall_time FROM metrics m JOIN metric_keys k ON k.id = m.key_id "
        "WHERE m.run_id = ? AND (? = '' OR k.name = ?) ORDER BY k.name, m.step"));
    q.bind(runId).bind(key.isNull() ? QStringLiteral("") : key).bind(key.isNull() ? QStringLiteral("") : key)
        .exec("read metrics");
    return metricPoints(q);
}

std::vector<MetricPoint> Store::metricsAfter(qint64 runId, qint64 afterStep) const
{
    Query q(m_connection, QStringLiteral(
        "SELECT m.run_id, m.step, k.name, m.value, m.wall_time FROM metrics m JOIN metric_keys k ON k.id = m.key_id "
        // key_id IN (…) lets SQLite seek (run, key, step > after) in the primary key for each
        // key instead of walking every point of the run on every poll.
        "WHERE m.run_id = ? AND m.key_id IN (SELECT id FROM metric_keys) AND m.step > ? ORDER BY m.step, k.name"));
    q.bind(runId).bind(afterStep).exec("read new metrics");
    return metricPoints(q);
}

std::vector<MetricPoint> Store::metricCurves(qint64 runId, int maxBuckets, QStringList *downsampledKeys) const
{
    if (maxBuckets < 1)
        throw StoreError(QStringLiteral("store: a curve needs at least one bucket (asked for %1)").arg(maxBuckets));
    if (downsampledKeys)
        downsampledKeys->clear();
    struct Extent
    {
        qint64 keyId;
        QString name;
        qint64 first, last;
    };
    std::vector<Extent> extents;
    {
        // The first and last step of each key the run logged: two seeks in the primary key per key.
        Query q(m_connection, QStringLiteral(
            "SELECT k.id, k.name, (SELECT MIN(step) FROM metrics m WHERE m.run_id = ? AND m.key_id = k.id), "
            "(SELECT MAX(step) FROM metrics m WHERE m.run_id = ? AND m.key_id = k.id) FROM metric_keys k ORDER BY k.name"));
        q.bind(runId).bind(runId).exec("find the extent of a run's curves");
        while (q.next())
            if (!q.value(2).isNull())
                extents.push_back({q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toLongLong(),
                                   q.value(3).toLongLong()});
    }
    std::vector<MetricPoint> out;
    for (const Extent &e : extents) {
        const qint64 span = e.last - e.first + 1;
        if (span <= 2 * qint64(maxBuckets)) {
            // Steps are unique per key, so at most 2 × maxBuckets points: read them all.
            Query q(m_connection, QStringLiteral(
                "SELECT run_id, step, ?, value, wall_time FROM metrics WHERE run_id = ? AND key_id = ? ORDER BY step"));
            q.bind(e.name).bind(runId).bind(e.keyId).exec("read a curve");
            auto points = metricPoints(q);
            out.insert(out.end(), std::make_move_iterator(points.begin()), std::make_move_iterator(points.end()));
            continue;
        }
        const qint64 width = (span + maxBuckets - 1) / maxBuckets;
        // Per bucket a correlated aggregate over a primary-key range gives the step of its lowest
        // and of its highest point (SQLite takes a bare column from the row MIN/MAX picked); the
        // points are then read by key. No sort of the run's points, no temporary B-tree but the
        // UNION of at most 2 × maxBuckets + 2 steps.
        Query q(m_connection, QStringLiteral(
            "WITH RECURSIVE bucket(lo) AS (SELECT ? UNION ALL SELECT lo + ? FROM bucket WHERE lo + ? <= ?), "
            "chosen(step) AS ("
            " SELECT (SELECT step FROM (SELECT step, MIN(value) FROM metrics "
            "   WHERE run_id = ? AND key_id = ? AND step >= lo AND step < lo + ?)) FROM bucket"
            " UNION SELECT (SELECT step FROM (SELECT step, MAX(value) FROM metrics "
            "   WHERE run_id = ? AND key_id = ? AND step >= lo AND step < lo + ?)) FROM bucket"
            " UNION SELECT ? UNION SELECT ?) "
            "SELECT m.run_id, m.step, ?, m.value, m.wall_time FROM chosen c "
            "JOIN metrics m ON m.run_id = ? AND m.key_id = ? AND m.step = c.step ORDER BY m.step"));
        q.bind(e.first).bind(width).bind(width).bind(e.last)
            .bind(runId).bind(e.keyId).bind(width)
            .bind(runId).bind(e.keyId).bind(width)
            .bind(e.first).bind(e.last)
            .bind(e.name).bind(runId).bind(e.keyId)
            .exec("read a downsampled curve");
        auto points = metricPoints(q);
        out.insert(out.end(), std::make_move_iterator(points.begin()), std::make_move_iterator(points.end()));
        if (downsampledKeys)
            *downsampledKeys << e.name;
    }
    return out;
}

std::map<qint64, qint64> Store::lastMetricSteps() const
{
    std::map<qint64, qint64> out;
    // Per run through the primary key (run_id, key_id, step) on the training loss: a few
    // index lookups per run, not a scan of every point — this runs on every live refresh.
    Query q(m_connection, QStringLiteral(
        "SELECT r.id, (SELECT MAX(m.step) FROM metrics m WHERE m.run_id = r.id AND m.key_id = k.id) "
        "FROM runs r JOIN metric_keys k ON k.name = 'loss'"));
    q.exec("read the newest steps");
    while (q.next())
        if (!q.value(1).isNull())
            out[q.value(0).toLongLong()] = q.value(1).toLongLong();
    return out;
}

QStringList Store::metricKeys(qint64 runId) const
{
    QStringList out;
    Query q(m_connection, QStringLiteral(
        // One seek per key, not a pass over every point of the run.
        "SELECT k.name FROM metric_keys k WHERE EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = ? AND m.key_id = k.id) "
        "ORDER BY k.name"));
    q.bind(runId).exec("list metric keys");
    while (q.next())
        out << q.value(0).toString();
    return out;
}


} // namespace taskmoe::db
