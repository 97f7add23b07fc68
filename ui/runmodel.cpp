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

RunTableModel::RunTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void RunTableModel::setRuns(std::vector<db::RunRecord> runs)
{
    beginResetModel();
    m_rows = std::move(runs);
    endResetModel();
}

void RunTableModel::clear()
{
    setRuns({});
}

const db::RunRecord *RunTableModel::run(int row) const
{
    if (row < 0 || row >= static_cast<int>(m_rows.size()))
        return nullptr;
    return &m_rows[static_cast<size_t>(row)];
}

int RunTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int RunTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const db::RunRecord &r = m_rows[static_cast<size_t>(index.row())];

    if (role == IdRole)
        return r.id;

    const int column = index.column();
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
    case Qt::TextAlignmentRole:
        return int(column == IdColumn ? (Qt::AlignRight | Qt::AlignVCenter)
                                      : (Qt::AlignLeft | Qt::AlignVCenter));
    default:
        break;
    }
    return {};
}

QVariant RunTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case IdColumn: return QStringLiteral("ID");
        case NameColumn: return QStringLiteral("Name");
        case KindColumn: return QStringLiteral("Kind");
        case PresetColumn: return QStringLiteral("Preset");
        case StatusColumn: return QStringLiteral("Status");
        case StartedColumn: return QStringLiteral("Started");
        case EndedColumn: return QStringLiteral("Ended");
        }
    } else if (role == Qt::TextAlignmentRole) {
        return int(section == IdColumn ? (Qt::AlignRight | Qt::AlignVCenter)
                                       : (Qt::AlignLeft | Qt::AlignVCenter));
    }
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace taskmoe::ui
