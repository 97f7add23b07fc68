#include "db/store.h"

#include "db/schema.h"

#include <QAtomicInteger>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QVariant>
#include <QSqlDriver>
#include <QtEndian>

#include <sqlite3.h>

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <tuple>

namespace taskmoe::db {

namespace {

QAtomicInteger<quint64> g_connectionCounter;

QString now()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

QString timeText(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

QDateTime timeValue(const QVariant &v)
{
    if (v.isNull())
        return {};
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    t.setTimeSpec(Qt::UTC);
    return t;
}

QVariant nullIfZero(qint64 id)
{
    return id > 0 ? QVariant(id) : QVariant(QMetaType(QMetaType::LongLong));
}

} // namespace

// ----------------------------------------------------------------------------------------
// Statement helpers: every failure becomes a StoreError that says what was being done.

class Query
{
public:
    Query(const QString &connection, const QString &sql) : m_query(QSqlDatabase::database(connection, false))
    {
        m_query.setForwardOnly(true);
        if (!m_query.prepare(sql))
            throw StoreError(QStringLiteral("store: cannot prepare a statement: %1").arg(m_query.lastError().text()));
    }
    Query &bind(const QVariant &v)
    {
        // A null QString binds as SQL NULL; text columns are NOT NULL with '' as "none".
        if (v.typeId() == QMetaType::QString && !v.isNull() && v.toString().isNull())
            m_query.addBindValue(QStringLiteral(""));
        else
            m_query.addBindValue(v);
        return *this;
    }
    Query &exec(const char *what)
    {
        if (!m_query.exec())
            throw StoreError(QStringLiteral("store: cannot %1: %2").arg(QLatin1String(what), m_query.lastError().text()));
        m_lastId = m_query.lastInsertId().toLongLong();
        m_rowsAffected = m_query.numRowsAffected();
        if (!m_query.isSelect())
            m_query.finish();  // an unfinished statement would keep the transaction busy
        return *this;
    }
    bool next() { return m_query.next(); }
    QVariant value(int i) const { return m_query.value(i); }
    qint64 id() const { return m_lastId; }
    int rowsAffected() const { return m_rowsAffected; }
    QSqlQuery &raw() { return m_query; }

private:
    QSqlQuery m_query;
    qint64 m_lastId = 0;
    int m_rowsAffected = 0;
};

class Store::Transaction
{
public:
    explicit Transaction(const QString &connection) : m_db(QSqlDatabase::database(connection, false))
    {
        if (!m_db.transaction())
            throw StoreError(QStringLiteral("store: cannot begin a transaction: %1").arg(m_db.lastError().text()));
    }
    ~Transaction()
    {
        if (!m_done)
            m_db.rollback();
    }
    void commit()
    {
        if (!m_db.commit())
            throw StoreError(QStringLiteral("store: cannot commit: %1").arg(m_db.lastError().text()));
        m_done = true;
    }

private:
    QSqlDatabase m_db;
    bool m_done = false;
};

// ----------------------------------------------------------------------------------------

int Store::schemaVersion()
{
    return static_cast<int>(migrations().size());
}

QString Store::defaultPath()
{
    const QString env = qEnvironmentVariable("TASKMOE_DB");
    if (!env.isEmpty())
        return env;
    QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    if (base.isEmpty())
        base = QDir::homePath() + QStringLiteral("/.local/share");
    return base + QStringLiteral("/taskmoe/taskmoe.sqlite");
}

QString Store::checkFile(const QString &path)
{
    const QFileInfo info(path);
    if (!info.exists())
        return {};
    if (info.isDir())
        return QStringLiteral("%1: is a directory, not a store file").arg(path);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return QStringLiteral("%1: cannot be read: %2").arg(path, file.errorString());
    const QByteArray header = file.read(100);
    if (header.isEmpty())
        return {};  // an empty file becomes a new store
    static const QByteArray magic("SQLite format 3\0", 16);
    if (header.size() < 100 || !header.startsWith(magic))
        return QStringLiteral("%1: is not a TaskMoE store (not an SQLite database: its first bytes are not "
                              "\"SQLite format 3\")").arg(path);
    // The header keeps PRAGMA user_version big-endian at offset 60.
    const qint32 version = qFromBigEndian<qint32>(header.constData() + 60);
    if (version > schemaVersion())
        return QStringLiteral("%1: was written by a newer TaskMoE (store schema version %2; this program "
                              "reads versions up to %3): upgrade TaskMoE to open it").arg(path).arg(version).arg(schemaVersion());
    return {};
}

Store::Store(const QString &path) : m_path(path)
{
    const QString problem = checkFile(path);
    if (!problem.isEmpty())
        throw StoreError(problem);
    const QFileInfo info(path);
    if (!info.exists() && !QDir().mkpath(info.absolutePath()))
        throw StoreError(QStringLiteral("%1: cannot create the folder %2").arg(path, info.absolutePath()));

    m_connection = QStringLiteral("taskmoe-store-%1").arg(++g_connectionCounter);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
        if (!db.open()) {
            const QString error = db.lastError().text();
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(m_connection);
            throw StoreError(QStringLiteral("%1: cannot open the store: %2").arg(path, error));
        }
    }
    try {
        // Read the version before anything writes: a newer store must stay untouched.
        int current = 0;
        {
            Query version(m_connection, QStringLiteral("PRAGMA user_version"));
            version.exec("read the schema version");
            current = version.next() ? version.value(0).toInt() : 0;
        }
        if (current > schemaVersion())
            throw StoreError(QStringLiteral("%1: was written by a newer TaskMoE (store schema version %2; this program "
                                            "reads versions up to %3): upgrade TaskMoE to open it")
                                 .arg(path).arg(current).arg(schemaVersion()));
        if (current == 0) {
            // Version 0 with tables: another program's database (ours records version 1 in
            // the same transaction as its first tables). Migrating would add our schema to it.
            Query tables(m_connection, QStringLiteral(
                "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"));
            tables.exec("look for existing tables");
            if (tables.next() && tables.value(0).toLongLong() > 0)
                throw StoreError(QStringLiteral("%1: is an SQLite database of another program, not a TaskMoE "
                                                "store (it has tables but no TaskMoE schema version)").arg(path));
        }
        Query(m_connection, QStringLiteral("PRAGMA foreign_keys = ON")).exec("turn on foreign keys");
        Query(m_connection, QStringLiteral("PRAGMA journal_mode = WAL")).exec("switch to the WAL journal");
        Query(m_connection, QStringLiteral("PRAGMA synchronous = NORMAL")).exec("set the sync mode");
        if (current < schemaVersion())
            migrate(current);
    } catch (const StoreError &e) {
        QSqlDatabase::database(m_connection, false).close();
        QSqlDatabase::removeDatabase(m_connection);
        // "file is not a database" from SQLite: say it the way a user understands.
        if (e.message().contains(QStringLiteral("not a database")))
            throw StoreError(QStringLiteral("%1: is not a TaskMoE store (not an SQLite database)").arg(path));
        throw;
    }
}

Store::~Store()
{
    {
        QSqlDatabase db = QSqlDatabase::database(m_connection, false);
        if (db.isValid())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connection);
}

void Store::migrate(int from)
{
    const auto &steps = migrations();
    for (int version = from + 1; version <= static_cast<int>(steps.size()); ++version) {
        Transaction tx(m_connection);
        for (const QString &sql : steps[version - 1]) {
            Query q(m_connection, sql);
            q.exec("apply a schema migration");
        }
        Query(m_connection, QStringLiteral("PRAGMA user_version = %1").arg(version)).exec("record the schema version");
        tx.commit();
    }
}

// ----------------------------------------------------------------------------------------
// Datasets

qint64 Store::addDataset(const DatasetRecord &dataset, const std::vector<NewPair> &pairs)
{
    Transaction tx(m_connection);
    Query insert(m_connection, QStringLiteral(
        "INSERT INTO datasets (name, kind, source, fingerprint, params_json, resource_threshold, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    insert.bind(dataset.name).bind(dataset.kind).bind(dataset.source).bind(dataset.fingerprint)
        .bind(dataset.paramsJson.isEmpty() ? QStringLiteral("{}") : dataset.paramsJson)
        .bind(dataset.resourceThreshold)
        .bind(dataset.createdAt.isValid() ? timeText(dataset.createdAt) : now())
        .exec("add the dataset");
    const qint64 id = insert.id();

    Query lang(m_connection, QStringLiteral(
        "INSERT INTO dataset_languages (dataset_id, code, name, family, script) VALUES (?, ?, ?, ?, ?)"));
    for (const auto &l : dataset.languages) {
        lang.bind(id).bind(l.code).bind(l.name).bind(l.family).bind(l.script).exec("add a dataset language");
    }
    Query pairInsert(m_connection, QStringLiteral(
        "INSERT INTO dataset_pairs (dataset_id, src_lang, tgt_lang, train_count, dev_count, test_count, "
        "multiway_count, resource_class) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    Query segment(m_connection, QStringLiteral(
        "INSERT INTO segments (pair_id, split, align_id, src, tgt) VALUES (?, ?, ?, ?, ?)"));
    const QVariant noAlign(QMetaType(QMetaType::LongLong));
    for (const auto &p : pairs) {
        pairInsert.bind(id).bind(p.info.srcLang).bind(p.info.tgtLang).bind(p.info.train).bind(p.info.dev)
            .bind(p.info.test).bind(p.info.multiway).bind(p.info.resourceClass).exec("add a language pair");
        const qint64 pairId = pairInsert.id();
        for (const auto &s : p.segments) {
            segment.bind(pairId).bind(s.split).bind(s.alignId >= 0 ? QVariant(s.alignId) : noAlign)
                .bind(s.src).bind(s.tgt).exec("add a sentence");
        }
    }
    tx.commit();
    return id;
}

qint64 Store::findDatasetByFingerprint(const QString &fingerprint) const
{
    Query q(m_connection, QStringLiteral("SELECT id FROM datasets WHERE fingerprint = ?"));
    q.bind(fingerprint).exec("look up a dataset");
    return q.next() ? q.value(0).toLongLong() : 0;
}

QVector<DatasetRecord> Store::datasets() const
{
    QVector<DatasetRecord> out;
    QHash<qint64, int> index;
    {
        Query q(m_connection, QStringLiteral(
            "SELECT id, name, kind, source, fingerprint, params_json, resource_threshold, created_at "
            "FROM datasets ORDER BY id"));
        q.exec("list datasets");
        while (q.next()) {
            DatasetRecord d;
            d.id = q.value(0).toLongLong();
            d.name = q.value(1).toString();
            d.kind = q.value(2).toString();
            d.source = q.value(3).toString();
            d.fingerprint = q.value(4).toString();
            d.paramsJson = q.value(5).toString();
            d.resourceThreshold = q.value(6).toLongLong();
            d.createdAt = timeValue(q.value(7));
            index.insert(d.id, out.size());
            out.push_back(d);
        }
    }
    {
        Query q(m_connection, QStringLiteral(
            "SELECT dataset_id, code, name, family, script FROM dataset_languages ORDER BY dataset_id, code"));
        q.exec("list dataset languages");
        while (q.next()) {
            const auto it = index.constFind(q.value(0).toLongLong());
            if (it != index.constEnd())
                out[*it].languages.push_back({q.value(1).toString(), q.value(2).toString(), q.value(3).toString(),
                                              q.value(4).toString()});
        }
    }
    {
        Query q(m_connection, QStringLiteral(
            "SELECT id, dataset_id, src_lang, tgt_lang, train_count, dev_count, test_count, multiway_count, "
            "resource_class FROM dataset_pairs ORDER BY dataset_id, id"));
        q.exec("list language pairs");
        while (q.next()) {
            DatasetPairRecord p;
            p.id = q.value(0).toLongLong();
            p.datasetId = q.value(1).toLongLong();
            p.srcLang = q.value(2).toString();
            p.tgtLang = q.value(3).toString();
            p.train = q.value(4).toLongLong();
            p.dev = q.value(5).toLongLong();
            p.test = q.value(6).toLongLong();
            p.multiway = q.value(7).toLongLong();
            p.resourceClass = q.value(8).toString();
            const auto it = index.constFind(p.datasetId);
            if (it != index.constEnd())
                out[*it].pairs.push_back(p);
        }
    }
    return out;
}

DatasetRecord Store::dataset(qint64 id) const
{
    for (const auto &d : datasets())
        if (d.id == id)
            return d;
    throw StoreError(QStringLiteral("%1: there is no dataset %2 (see `taskmoe corpus list`)").arg(m_path).arg(id));
}

std::vector<SegmentRow> Store::segments(qint64 pairId, const QString &split) const
{
    std::vector<SegmentRow> rows;
    Query q(m_connection, QStringLiteral(
        "SELECT split, align_id, src, tgt FROM segments WHERE pair_id = ? AND split = ? ORDER BY id"));
    q.bind(pairId).bind(split).exec("read sentences");
    while (q.next()) {
        const QVariant align = q.value(1);
        rows.push_back({q.value(0).toString(), align.isNull() ? -1 : align.toLongLong(), q.value(2).toString(),
                        q.value(3).toString()});
    }
    return rows;
}

void Store::forEachSegment(qint64 datasetId, const QString &split,
                           const std::function<void(const DatasetPairRecord &, const SegmentRow &)> &fn) const
{
    const DatasetRecord d = dataset(datasetId);
    for (const auto &pair : d.pairs)
        for (const auto &row : segments(pair.id, split))
            fn(pair, row);
}

void Store::deleteDataset(qint64 id)
{
    Transaction tx(m_connection);
    Query q(m_connection, QStringLiteral("DELETE FROM datasets WHERE id = ?"));
    q.bind(id).exec("delete the dataset");
    tx.commit();
}

// ----------------------------------------------------------------------------------------
// Vocabularies

qint64 Store::addVocabulary(const VocabularyRecord &v)
{
    Transaction tx(m_connection);
    Query q(m_connection, QStringLiteral(
        "INSERT INTO vocabularies (dataset_id, vocab_size, temperature, sha256, params_json, model, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    q.bind(v.datasetId).bind(v.vocabSize).bind(v.temperature).bind(v.sha256)
        .bind(v.paramsJson.isEmpty() ? QStringLiteral("{}") : v.paramsJson).bind(v.model)
        .bind(v.createdAt.isValid() ? timeText(v.createdAt) : now()).exec("add the vocabulary");
    const qint64 id = q.id();
    tx.commit();
    return id;
}

namespace {
VocabularyRecord vocabularyFrom(Query &q, bool withModel)
{
    VocabularyRecord v;
    v.id = q.value(0).toLongLong();
    v.datasetId = q.value(1).toLongLong();
    v.vocabSize = q.value(2).toInt();
    v.temperature = q.value(3).toDouble();
    v.sha256 = q.value(4).toString();
    v.paramsJson = q.value(5).toString();
    v.createdAt = timeValue(q.value(6));
    if (withModel)
        v.model = q.value(7).toByteArray();
    return v;
}
} // namespace

QVector<VocabularyRecord> Store::vocabularies(qint64 datasetId) const
{
    QVector<VocabularyRecord> out;
    Query q(m_connection, QStringLiteral(
        "SELECT id, dataset_id, vocab_size, temperature, sha256, params_json, created_at FROM vocabularies "
        "WHERE dataset_id = ? OR ? = 0 ORDER BY id"));
    q.bind(datasetId).bind(datasetId).exec("list vocabularies");
    while (q.next())
        out.push_back(vocabularyFrom(q, false));
    return out;
}

VocabularyRecord Store::vocabulary(qint64 id) const
{
    Query q(m_connection, QStringLiteral(
        "SELECT id, dataset_id, vocab_size, temperature, sha256, params_json, created_at, model FROM vocabularies "
        "WHERE id = ?"));
    q.bind(id).exec("read the vocabulary");
    if (!q.next())
        throw StoreError(QStringLiteral("%1: there is no vocabulary %2").arg(m_path).arg(id));
    return vocabularyFrom(q, true);
}

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
        .bind(r.status.isEmpty() ? QStringLiteral("queued") : r.status).bind(nullIfZero(r.pid)).bind(r.host)
        .bind(r.startedAt.isValid() ? QVariant(timeText(r.startedAt)) : QVariant(QMetaType(QMetaType::QString)))
        .bind(r.endedAt.isValid() ? QVariant(timeText(r.endedAt)) : QVariant(QMetaType(QMetaType::QString)))
        .bind(r.error).exec("add the run");
    return q.id();
}

void Store::updateRunStatus(qint64 runId, const QString &status, const QString &error)
{
    const bool final = status != QLatin1String("running") && status != QLatin1String("queued");
    Query q(m_connection, QStringLiteral(
        "UPDATE runs SET status = ?, error = ?, ended_at = CASE WHEN ? THEN ? ELSE ended_at END WHERE id = ?"));
    q.bind(status).bind(error).bind(final).bind(now()).bind(runId).exec("update the run status");
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

int Store::markInterruptedRuns()
{
    const QString host = hostName();
    std::vector<std::pair<qint64, qint64>> dead;   // (run, pid)
    {
        Query q(m_connection, QStringLiteral("SELECT id, pid FROM runs WHERE status = 'running' AND host = ? AND pid > 0"));
        q.bind(host).exec("list running runs");
        while (q.next()) {
            if (!processAlive(q.value(1).toLongLong()))
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

bool Store::processAlive(qint64 pid)
{
    if (pid <= 0)
        return false;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
        return false;
    // /proc/PID/stat: "PID (command) STATE …"; the command may contain spaces and parentheses.
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return true;   // no procfs: trust kill()
    const QByteArray text = stat.readAll();
    const int close = text.lastIndexOf(')');
    return close < 0 || close + 2 >= text.size() || text.at(close + 2) != 'Z';
}

QString Store::hostName()
{
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0)
        return QStringLiteral("localhost");
    return QString::fromLocal8Bit(name);
}

QString Store::runsFolder(const QString &storePath)
{
    return QFileInfo(storePath).absolutePath() + QStringLiteral("/runs");
}

QString Store::runFolder(const QString &storePath, qint64 runId)
{
    return runsFolder(storePath) + QStringLiteral("/run-%1").arg(runId);
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
    r.status = q.value(8).toString();
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
        "WHERE m.run_id = ? AND m.step > ? ORDER BY m.step, k.name"));
    q.bind(runId).bind(afterStep).exec("read new metrics");
    return metricPoints(q);
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
        "SELECT DISTINCT k.name FROM metrics m JOIN metric_keys k ON k.id = m.key_id WHERE m.run_id = ? ORDER BY k.name"));
    q.bind(runId).exec("list metric keys");
    while (q.next())
        out << q.value(0).toString();
    return out;
}

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
        "processed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const auto &s : stats)
        q.bind(s.modelId).bind(s.step).bind(s.side).bind(s.layer).bind(s.task).bind(s.expert).bind(s.top1).bind(s.topk)
            .bind(s.gateMass).bind(s.processed).exec("write routing statistics");
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
        "SELECT model_id, step, side, layer, task, expert, top1, topk, gate_mass, processed FROM routing_stats "
        "WHERE model_id = ? AND step = ? ORDER BY side, layer, task, expert"));
    q.bind(modelId).bind(step).exec("read routing statistics");
    while (q.next())
        out.push_back({q.value(0).toLongLong(), q.value(1).toLongLong(), q.value(2).toString(), q.value(3).toInt(),
                       q.value(4).toString(), q.value(5).toInt(), q.value(6).toLongLong(), q.value(7).toLongLong(),
                       q.value(8).toDouble(), q.value(9).toLongLong()});
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
        (layers.value(2).toString() == QLatin1String("encoder") ? set.encoderLayers : set.decoderLayers)
            .push_back(layers.value(3).toInt());
    }
    snapshot.commit();
    return out;
}

} // namespace taskmoe::db
