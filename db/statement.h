#pragma once
/// Inside the store only (db/store*.cpp): prepared statements whose every failure becomes a
/// StoreError saying what was being done, transactions, and how times and optional ids are
/// written to and read from SQLite.
#include "db/store.h"

#include <QDateTime>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace taskmoe::db {

inline QString now()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

inline QString timeText(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

inline QDateTime timeValue(const QVariant &v)
{
    if (v.isNull())
        return {};
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    t.setTimeSpec(Qt::UTC);
    return t;
}

inline QVariant nullIfZero(qint64 id)
{
    return id > 0 ? QVariant(id) : QVariant(QMetaType(QMetaType::LongLong));
}

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

} // namespace taskmoe::db
