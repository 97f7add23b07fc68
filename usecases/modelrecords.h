#pragma once
/// What the store's model rows say about themselves, read without loading a model (no
/// LibTorch): part of the queries the workbench runs too.
#include <QString>
#include <QStringList>

#include <optional>

namespace taskmoe::db {
class Store;
}

namespace taskmoe::usecases {

/// The language pairs a stored model's manifest says it serves ("serves"); empty when it
/// names none (a full model serves every pair it was trained on).
QStringList servedPairs(const QString &manifestJson);

/// How a pruned sub-network was pruned (its manifest's "pruning"): experts kept per layer and
/// the measure they were ranked by; empty for an exact sub-network or a full model.
struct Pruning
{
    int keep = 0;
    QString by;
};
std::optional<Pruning> pruningOf(const QString &manifestJson);

/// The id of the store's model named by `idOrFile` (its id, or its file's path); throws
/// UseCaseError naming it when the store has no such model.
qint64 findStoredModel(const db::Store &store, const QString &idOrFile);

} // namespace taskmoe::usecases
