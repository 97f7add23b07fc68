#include "ui/runmodel.h"

#include "ui/datasetmodels.h"   // roles and formatting helpers

#include <QColor>
#include <QLocale>

#include <utility>

namespace taskmoe::ui {

namespace {

QColor statusColor(const QString &status)
{
    if (status == QLatin1String("running"))
        return QColor(0x1f, 0x77, 0xb4);
    if (status == QLatin1String("finished"))
        return QColor(0x2c, 0x8a, 0x3c);
    if (status == QLatin1String("failed") || status == QLatin1String("interrupted"))
        return QColor(0xc0, 0x39, 0x2b);
    return {};   // queued, cancelled, unknown: the palette's text colour
}

} // namespace

RunTableModel::RunTableModel(QObject *parent)
    : VectorTableModel(
          {
              {QStringLiteral("ID"), {}, NumberAlignment},
              {QStringLiteral("Name"), {}, TextAlignment},
              {QStringLiteral("Kind"), {}, TextAlignment},
              {QStringLiteral("Preset"), {}, TextAlignment},
              {QStringLiteral("Status"), {}, TextAlignment},
              {QStringLiteral("Started"), {}, TextAlignment},
              {QStringLiteral("Ended"), {}, TextAlignment},
          },
          parent)
{
    Q_ASSERT(columnCount() == ColumnCount);
}

QVariant RunTableModel::cellData(const db::RunRecord &r, int column, int role) const
{
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case IdColumn: return QString::number(r.id);
        case NameColumn: return r.name;
        case KindColumn: return r.kind;
        case PresetColumn: return r.preset;
        case StatusColumn: return r.status;
        case StartedColumn: return formatTimestamp(r.startedAt);
        case EndedColumn: return formatTimestamp(r.endedAt);
        }
        break;
    case SortRole:
        switch (column) {
        case IdColumn: return r.id;
        case NameColumn: return r.name;
        case KindColumn: return r.kind;
        case PresetColumn: return r.preset;
        case StatusColumn: return r.status;
        case StartedColumn: return r.startedAt;
        case EndedColumn: return r.endedAt;
        }
        break;
    case Qt::ToolTipRole:
        if (column == StatusColumn && !r.error.isEmpty())
            return r.status + QStringLiteral(": ") + r.error;
        if (column == NameColumn) {
            QStringList lines{r.name};
            if (!r.host.isEmpty())
                lines << QStringLiteral("Host: %1, process %2").arg(r.host).arg(r.pid);
            if (r.parentRunId > 0)
                lines << QStringLiteral("Continues run %1").arg(r.parentRunId);
            return lines.join(QLatin1Char('\n'));
        }
        if ((column == StartedColumn || column == EndedColumn)) {
            const QDateTime &t = column == StartedColumn ? r.startedAt : r.endedAt;
            if (t.isValid())
                return QLocale().toString(t.toLocalTime(), QLocale::LongFormat);
        }
        break;
    case Qt::ForegroundRole:
        if (column == StatusColumn) {
            const QColor c = statusColor(r.status);
            if (c.isValid())
                return c;
        }
        break;
    default:
        break;
    }
    return {};
}

} // namespace taskmoe::ui
