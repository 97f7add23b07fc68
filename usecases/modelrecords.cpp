#include "usecases/modelrecords.h"

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

} // namespace taskmoe::usecases
