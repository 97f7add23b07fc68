#pragma once
/// The store's schema as numbered migrations. Migration N brings a store from version N-1
/// to N; each runs in its own transaction and ends with PRAGMA user_version = N.
#include <QStringList>
#include <QVector>

namespace taskmoe::db {

/// SQL statements of each migration; index 0 is migration 1.
const QVector<QStringList> &migrations();

} // namespace taskmoe::db
