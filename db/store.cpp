#include "db/statement.h"

#include "db/schema.h"

#include <QAtomicInteger>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMutex>
#include <QMutexLocker>
#include <QHash>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QVariant>
#include <QSqlDriver>
#include <QtEndian>

#include <sqlite3.h>


#include <algorithm>
#include <map>
#include <tuple>

namespace taskmoe::db {

namespace {

QAtomicInteger<quint64> g_connectionCounter;

// The store files this process has SQLite connections to, with how many. Reading a file's
// header through a descriptor of our own is only safe while no connection of this process has
// it open: closing any descriptor of a file drops every POSIX lock the process holds on it —
// SQLite's too — and another process may then recover or checkpoint the WAL under a reader
// here ("database disk image is malformed"). The workbench has several connections at once.
QMutex g_openMutex;
std::map<QString, int> g_openStores;

QString openKey(const QString &path)
{
    return QFileInfo(path).absoluteFilePath();
}

void unregisterStore(const QString &key)
{
    const QMutexLocker lock(&g_openMutex);
    if (--g_openStores[key] <= 0)
        g_openStores.erase(key);
}

} // namespace

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
    const QString key = openKey(path);
    {
        const QMutexLocker lock(&g_openMutex);
        if (g_openStores.count(key) == 0) {   // else a connection of ours has checked it and holds locks on it
            const QString problem = checkFile(path);
            if (!problem.isEmpty())
                throw StoreError(problem);
        }
        ++g_openStores[key];
    }
    try {
        open(path);
    } catch (...) {
        unregisterStore(key);
        throw;
    }
}

void Store::open(const QString &path)
{
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
        // 32 MB of pages per connection (SQLite's default is 2 MB): a follower's poll of a large
        // store reads the same index pages every second.
        Query(m_connection, QStringLiteral("PRAGMA cache_size = -32768")).exec("set the page cache size");
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
    unregisterStore(openKey(m_path));
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

} // namespace taskmoe::db
