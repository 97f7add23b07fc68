#pragma once
/// What the store's model rows say about themselves, read without loading a model (no
/// LibTorch): part of the queries the workbench runs too.
#include <QString>
#include <QStringList>

namespace taskmoe::usecases {

/// The language pairs a stored model's manifest says it serves ("serves"); empty when it
/// names none (a full model serves every pair it was trained on).
QStringList servedPairs(const QString &manifestJson);

} // namespace taskmoe::usecases
