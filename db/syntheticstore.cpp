#include "db/syntheticstore.h"

#include "db/store.h"

#include <QDate>
#include <QDateTime>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>
#include <QVariant>

#include <algorithm>

namespace taskmoe::db {

namespace {

const QString kMarker = QStringLiteral("store-scale benchmark");

/// A connection of its own to the file, closed (and removed from Qt's registry) on scope exit.
class RawConnection
{
public:
    explicit RawConnection(const QString &path)
        : m_name(QStringLiteral("taskmoe-scale-") + QUuid::createUuid().toString(QUuid::Id128))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_name);
        db.setDatabaseName(path);
        if (!db.open())
            throw StoreError(QStringLiteral("%1: cannot open: %2").arg(path, db.lastError().text()));
    }
    ~RawConnection()
    {
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }
    QSqlQuery query(const QString &sql) const
    {
        QSqlQuery q(QSqlDatabase::database(m_name, false));
        q.setForwardOnly(true);
        if (!q.prepare(sql))
            throw StoreError(QStringLiteral("store-scale: cannot prepare: %1").arg(q.lastError().text()));
        return q;
    }
    void exec(const QString &sql) const
    {
        QSqlQuery q = query(sql);
        run(q, "run a statement");
    }
    static void run(QSqlQuery &q, const char *what)
    {
        if (!q.exec())
            throw StoreError(QStringLiteral("store-scale: cannot %1: %2").arg(QLatin1String(what), q.lastError().text()));
    }

private:
    QString m_name;
};

/// The marker's description when the file is a generated store ('' when it is not).
} // namespace

QString syntheticMarker(const QString &path)
{
    if (!QFile::exists(path))
        return {};
    RawConnection c(path);
    QSqlQuery q = c.query(QStringLiteral("SELECT description FROM experiments WHERE name = ?"));
    q.addBindValue(kMarker);
    if (!q.exec())
        return {};   // not a store of ours
    const QString description = q.next() ? q.value(0).toString() : QString();
    q.finish();
    return description;
}


SyntheticFacts writeSyntheticStore(const QString &path, const SyntheticSpec &spec,
                                   const std::function<void(qint64, qint64)> &progress)
{
    SyntheticFacts out;
    { Store schema(path); }   // the program's schema, at the current version
    RawConnection c(path);
    c.exec(QStringLiteral("PRAGMA synchronous = OFF"));
    c.exec(QStringLiteral("PRAGMA foreign_keys = OFF"));
    // Metric keys as training names them, with the shape of each curve: base + scale / (1 + step / tau) ± noise.
    struct Key
    {
        const char *name;
        double base, scale, tau, noise;
    };
    static const Key keys[] = {
        {"balance", 1.0, 0.2, 50, 0.02},        {"ce", 1.6, 6.0, 40, 0.15},
        {"dec.1.dropped", 0.0, 0.08, 100, 0.01}, {"dec.1.entropy", 1.2, 0.8, 300, 0.05},
        {"enc.1.dropped", 0.0, 0.06, 100, 0.01}, {"enc.1.entropy", 1.1, 0.9, 300, 0.05},
        {"grad_norm", 0.4, 3.0, 60, 0.1},       {"loss", 1.7, 6.0, 40, 0.15},
        {"lr", 0.0003, -0.0003, 100, 0.0},      {"tokens_per_s", 3000, 0, 1, 150},
    };
    c.exec(QStringLiteral("CREATE TEMP TABLE scale_keys (id INTEGER PRIMARY KEY, name TEXT, base REAL, scale REAL, tau REAL, "
                          "noise REAL)"));
    for (const Key &k : keys) {
        QSqlQuery add = c.query(QStringLiteral("INSERT OR IGNORE INTO metric_keys (name) VALUES (?)"));
        add.addBindValue(QString::fromLatin1(k.name));
        RawConnection::run(add, "add a metric key");
        QSqlQuery shape = c.query(QStringLiteral(
            "INSERT INTO scale_keys SELECT id, name, ?, ?, ?, ? FROM metric_keys WHERE name = ?"));
        shape.addBindValue(k.base);
        shape.addBindValue(k.scale);
        shape.addBindValue(k.tau);
        shape.addBindValue(k.noise);
        shape.addBindValue(QString::fromLatin1(k.name));
        RawConnection::run(shape, "describe a metric key");
    }
    c.exec(QStringLiteral("INSERT OR IGNORE INTO metric_keys (name) VALUES ('dev_bleu')"));

    const auto &configs = spec.configs;
    if (configs.empty())
        throw StoreError(QStringLiteral("%1: a synthetic store needs at least one configuration").arg(path));
    QSqlQuery addRun = c.query(QStringLiteral(
        "INSERT INTO runs (name, kind, preset, config_json, status, host, started_at, ended_at, error) "
        "VALUES (?, 'train', ?, ?, ?, 'scale', ?, ?, ?)"));
    // mode 0: every key; 1: the loss only; 2: every key but the loss. The cross join keeps the
    // keys outside and the steps inside: rows arrive in primary-key order.
    QSqlQuery addPoints = c.query(QStringLiteral(
        "INSERT INTO metrics (run_id, key_id, step, value, wall_time) "
        "WITH RECURSIVE s(step) AS (SELECT 1 UNION ALL SELECT step + 1 FROM s WHERE step < ?) "
        "SELECT ?, k.id, s.step, k.base + k.scale / (1.0 + s.step / k.tau) "
        "+ k.noise * (((s.step * 7919 + ? * 104729 + k.id * 31) % 1000) / 1000.0 - 0.5), ? + s.step * 0.6 "
        "FROM scale_keys k CROSS JOIN s WHERE ? = 0 OR (? = 1 AND k.name = 'loss') OR (? = 2 AND k.name <> 'loss')"));
    QSqlQuery addDevBleu = c.query(QStringLiteral(
        "INSERT INTO metrics (run_id, key_id, step, value, wall_time) "
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
        "SELECT ?, (SELECT id FROM metric_keys WHERE name = 'dev_bleu'), c.i * ?, "
        "12.0 + 28.0 * c.i / (c.i + 1.5) + ((? * 37 + c.i * 11) % 60) / 10.0, ? + c.i * ? * 0.6 FROM c"));
    QSqlQuery addCheckpoints = c.query(QStringLiteral(
        "INSERT INTO checkpoints (run_id, step, path, sha256, bytes, created_at) "
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
        "SELECT ?, c.i * ?, printf('runs/run-%d/step-%06d.tmf', ?, c.i * ?), '', 6370720, ? FROM c"));

    const QDateTime origin = QDateTime(QDate(2024, 1, 1), QTime(0, 0), Qt::UTC);
    const qint64 every = std::max<qint64>(1, spec.steps / spec.checkpoints);
    constexpr qint64 kRunsPerTransaction = 50;
    c.exec(QStringLiteral("BEGIN"));
    for (qint64 r = 1; r <= spec.runs; ++r) {
        const auto &[preset, config] = configs[std::size_t(r % qint64(configs.size()))];
        const QDateTime started = origin.addSecs(r * 900);
        const bool failed = r % 97 == 0;
        addRun.addBindValue(QStringLiteral("%1-seed%2").arg(preset).arg(r));
        addRun.addBindValue(preset);
        addRun.addBindValue(config);
        addRun.addBindValue(failed ? QStringLiteral("failed") : QStringLiteral("finished"));
        addRun.addBindValue(started.toString(Qt::ISODateWithMs));
        addRun.addBindValue(started.addSecs(qint64(double(spec.steps) * 0.6)).toString(Qt::ISODateWithMs));
        addRun.addBindValue(failed ? QStringLiteral("generated failure") : QString(QLatin1String("")));
        RawConnection::run(addRun, "add a run");
        const qint64 runId = addRun.lastInsertId().toLongLong();
        if (r == 1)
            out.longRunId = runId;
        if (r == (spec.runs + 1) / 2)
            out.typicalRunId = runId;
        const double wall = double(started.toSecsSinceEpoch());
        const auto points = [&](qint64 steps, int mode) {
            addPoints.addBindValue(steps);
            addPoints.addBindValue(runId);
            addPoints.addBindValue(runId);
            addPoints.addBindValue(wall);
            for (int i = 0; i < 3; ++i)
                addPoints.addBindValue(mode);
            RawConnection::run(addPoints, "add metric points");
        };
        if (r == 1 && spec.longRunSteps > spec.steps) {
            points(spec.steps, 2);
            points(spec.longRunSteps, 1);
        } else {
            points(spec.steps, 0);
        }
        addDevBleu.addBindValue(spec.checkpoints);
        addDevBleu.addBindValue(runId);
        addDevBleu.addBindValue(every);
        addDevBleu.addBindValue(runId);
        addDevBleu.addBindValue(wall);
        addDevBleu.addBindValue(every);
        RawConnection::run(addDevBleu, "add dev BLEU points");
        addCheckpoints.addBindValue(spec.checkpoints);
        addCheckpoints.addBindValue(runId);
        addCheckpoints.addBindValue(every);
        addCheckpoints.addBindValue(runId);
        addCheckpoints.addBindValue(every);
        addCheckpoints.addBindValue(started.toString(Qt::ISODateWithMs));
        RawConnection::run(addCheckpoints, "add checkpoints");
        if (r % kRunsPerTransaction == 0 || r == spec.runs) {
            c.exec(QStringLiteral("COMMIT"));
            if (progress)
                progress(r, spec.runs);
            if (r < spec.runs)
                c.exec(QStringLiteral("BEGIN"));
        }
    }
    QSqlQuery count = c.query(QStringLiteral("SELECT COUNT(*) FROM metrics"));
    RawConnection::run(count, "count the metric rows");
    out.metricRows = count.next() ? count.value(0).toLongLong() : 0;
    count.finish();
    // Written last: a store with the marker is complete.
    QSqlQuery mark = c.query(QStringLiteral("INSERT INTO experiments (name, description, created_at) VALUES (?, ?, ?)"));
    mark.addBindValue(kMarker);
    mark.addBindValue(spec.marker);
    mark.addBindValue(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    RawConnection::run(mark, "mark the generated store");
    c.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)"));
    return out;
}

} // namespace taskmoe::db
