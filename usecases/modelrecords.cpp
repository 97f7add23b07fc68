#include "usecases/modelrecords.h"

#include "usecases/common.h"
#include "db/store.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace taskmoe::usecases {

QStringList servedPairs(const QString &manifestJson)
{
    QStringList pairs;
    const auto serves = QJsonDocument::fromJson(manifestJson.toUtf8()).object().value(QStringLiteral("serves")).toArray();
    for (const auto &p : serves)
        pairs << p.toString();
    return pairs;
}

std::optional<Pruning> pruningOf(const QString &manifestJson)
{
    const QJsonObject pruning =
        QJsonDocument::fromJson(manifestJson.toUtf8()).object().value(QStringLiteral("pruning")).toObject();
    if (pruning.isEmpty())
        return std::nullopt;
    return Pruning{pruning.value(QStringLiteral("keep")).toInt(), pruning.value(QStringLiteral("by")).toString()};
}

qint64 findStoredModel(const db::Store &store, const QString &idOrFile)
{
    bool numeric = false;
    const qint64 id = idOrFile.toLongLong(&numeric);
    const QString path = QFileInfo(idOrFile).absoluteFilePath();
    for (const auto &m : store.models())
        if ((numeric && m.id == id) || (!numeric && QFileInfo(m.path).absoluteFilePath() == path))
            return m.id;
    throw UseCaseError(numeric ? QStringLiteral("--model %1: the store has no such model (`taskmoe models` lists them)").arg(id)
                               : QStringLiteral("%1: not a model of the store (`taskmoe extract` registers sub-networks; "
                                                "`taskmoe models` lists them)").arg(idOrFile));
}

} // namespace taskmoe::usecases
