#include "db/records.h"

#include "core/base/names.h"

namespace taskmoe::db {

namespace {
constexpr core::EnumName<RunStatus> kStatusNames[] = {
    {RunStatus::Queued, "queued"},       {RunStatus::Running, "running"},     {RunStatus::Finished, "finished"},
    {RunStatus::Failed, "failed"},       {RunStatus::Cancelled, "cancelled"}, {RunStatus::Interrupted, "interrupted"},
};
constexpr core::EnumName<Side> kSideNames[] = {{Side::Encoder, "encoder"}, {Side::Decoder, "decoder"}};
} // namespace

QString sideName(Side side)
{
    return QLatin1String(core::nameOf(kSideNames, side));
}

std::optional<Side> sideFromName(const QString &name)
{
    return core::valueNamed(kSideNames, name.toStdString());
}

QString runStatusName(RunStatus status)
{
    return QLatin1String(core::nameOf(kStatusNames, status));
}

std::optional<RunStatus> runStatusFromName(const QString &name)
{
    return core::valueNamed(kStatusNames, name.toStdString());
}

qint64 DatasetRecord::totalSentences() const
{
    qint64 n = 0;
    for (const auto &p : pairs)
        n += p.train + p.dev + p.test + p.multiway;
    return n;
}

} // namespace taskmoe::db
