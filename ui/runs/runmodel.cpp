#include "ui/runs/runmodel.h"

#include "core/config/trainconfig.h"

#include "ui/datasets/datasetmodels.h"   // roles and formatting helpers

#include <QColor>
#include <QHash>
#include <QPainter>
#include <QPixmap>
#include <QLocale>

#include <utility>

namespace taskmoe::ui {

QColor runStatusColor(db::RunStatus status)
{
    switch (status) {
    case db::RunStatus::Running: return QColor(0x1f, 0x77, 0xb4);
    case db::RunStatus::Finished: return QColor(0x2c, 0x8a, 0x3c);
    case db::RunStatus::Failed: return QColor(0xc0, 0x39, 0x2b);
    case db::RunStatus::Interrupted: return QColor(0xd3, 0x80, 0x1a);
    case db::RunStatus::Cancelled: return QColor(0x6b, 0x6b, 0x6b);
    case db::RunStatus::Queued: break;
    }
    return {};   // queued: the palette's text colour
}

QIcon runStatusIcon(db::RunStatus status)
{
    static QHash<int, QIcon> cache;
    if (const auto it = cache.constFind(int(status)); it != cache.constEnd())
        return *it;
    // Drawn at 2x for high-density screens; a shape per status, not only a colour.
    constexpr int size = 32;
    QPixmap pixmap(size, size);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    QColor colour = runStatusColor(status);
    if (!colour.isValid())
        colour = QColor(0x9a, 0x9a, 0x9a);
    p.setPen(Qt::NoPen);
    p.setBrush(colour);
    p.drawEllipse(QRectF(1, 1, size - 2, size - 2));
    p.setBrush(Qt::white);
    QPen pen(Qt::white, 4.0, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
    if (status == db::RunStatus::Running) {
        const QPointF play[] = {{12, 8}, {12, 24}, {25, 16}};
        p.drawPolygon(play, 3);
    } else if (status == db::RunStatus::Finished) {
        p.setPen(pen);
        p.setBrush(Qt::NoBrush);
        const QPointF tick[] = {{9, 17}, {14, 22}, {23, 10}};
        p.drawPolyline(tick, 3);
    } else if (status == db::RunStatus::Failed) {
        p.setPen(pen);
        p.drawLine(QPointF(10, 10), QPointF(22, 22));
        p.drawLine(QPointF(22, 10), QPointF(10, 22));
    } else if (status == db::RunStatus::Cancelled) {
        p.drawRect(QRectF(10, 10, 12, 12));
    } else if (status == db::RunStatus::Interrupted) {
        p.setPen(pen);
        p.drawLine(QPointF(16, 8), QPointF(16, 18));
        p.drawPoint(QPointF(16, 24));
    } else if (status == db::RunStatus::Queued) {
        p.setPen(pen);
        p.setBrush(Qt::NoBrush);
        p.drawLine(QPointF(16, 16), QPointF(16, 9));
        p.drawLine(QPointF(16, 16), QPointF(21, 19));
    }
    p.end();
    const QIcon icon(pixmap);
    cache.insert(int(status), icon);
    return icon;
}

std::optional<core::TrainConfig> runConfig(const db::RunRecord &run)
{
    try {
        return core::parseTrainConfig(run.configJson.toStdString(), "run " + std::to_string(run.id));
    } catch (const std::exception &) {
        return std::nullopt;   // not a training run's configuration, or one of another version
    }
}

qint64 plannedSteps(const db::RunRecord &run)
{
    const auto config = runConfig(run);
    return config ? config->train.steps : 0;
}

double budgetMinutes(const db::RunRecord &run)
{
    const auto config = runConfig(run);
    return config ? config->train.maxMinutes : 0;
}

const RunTableModel::Plan &RunTableModel::planOf(const db::RunRecord &r) const
{
    // Parsed when a row is first drawn or its configuration changed (a resume may change it),
    // not for every run on every refresh: a store may hold thousands of runs.
    auto it = m_plans.find(r.id);
    if (it == m_plans.end() || it->second.configJson != r.configJson) {
        const auto config = runConfig(r);
        Plan plan{r.configJson, config ? config->train.steps : 0, config ? config->train.maxMinutes : 0.0};
        it = m_plans.insert_or_assign(r.id, std::move(plan)).first;
    }
    return it->second;
}

void RunTableModel::setRuns(std::vector<db::RunRecord> runs)
{
    setRows(std::move(runs));
}

void RunTableModel::updateRuns(std::vector<db::RunRecord> runs, std::map<qint64, qint64> lastSteps,
                               std::map<qint64, std::pair<qint64, double>> best)
{
    m_lastSteps = std::move(lastSteps);
    m_best = std::move(best);
    updateRows(std::move(runs));
}


RunTableModel::RunTableModel(QObject *parent)
    : VectorTableModel(
          {
              {QStringLiteral("ID"), {}, NumberAlignment},
              {QStringLiteral("Name"), {}, TextAlignment},
              {QStringLiteral("Kind"), {}, TextAlignment},
              {QStringLiteral("Preset"), {}, TextAlignment},
              {QStringLiteral("Status"), {}, TextAlignment},
              {QStringLiteral("Progress"),
               QStringLiteral("Newest logged step of the planned steps (train.steps), or with a time budget the "
                              "newest step and the budget in minutes (train.max_minutes)"),
               NumberAlignment},
              {QStringLiteral("Best dev BLEU"),
               QStringLiteral("The checkpoint with the highest dev BLEU (greedy, a fixed dev sample per direction): "
                              "what --checkpoint best picks"),
               NumberAlignment},
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
        case StatusColumn: return db::runStatusName(r.status);
        case ProgressColumn: {
            const auto it = m_lastSteps.find(r.id);
            const Plan &plan = planOf(r);
            const qint64 planned = plan.steps;
            if (it == m_lastSteps.end() && planned == 0)
                return QString();
            const qint64 step = it == m_lastSteps.end() ? 0 : it->second;
            if (plan.minutes > 0)
                return QStringLiteral("%1 (%2 min)").arg(step).arg(plan.minutes);
            return planned > 0 ? QStringLiteral("%1 / %2").arg(step).arg(planned) : QString::number(step);
        }
        case BestColumn: {
            const auto it = m_best.find(r.id);
            return it == m_best.end() ? QString()
                                      : QStringLiteral("%1 @ %2").arg(it->second.second, 0, 'f', 1).arg(it->second.first);
        }
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
        case StatusColumn: return db::runStatusName(r.status);
        case ProgressColumn: {
            const auto it = m_lastSteps.find(r.id);
            return it == m_lastSteps.end() ? qint64(0) : it->second;
        }
        case BestColumn: {
            const auto it = m_best.find(r.id);
            return it == m_best.end() ? -1.0 : it->second.second;
        }
        case StartedColumn: return r.startedAt;
        case EndedColumn: return r.endedAt;
        }
        break;
    case Qt::ToolTipRole:
        if (column == StatusColumn && !r.error.isEmpty())
            return db::runStatusName(r.status) + QStringLiteral(": ") + r.error;
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
    case Qt::DecorationRole:
        if (column == StatusColumn)
            return runStatusIcon(r.status);
        break;
    case Qt::ForegroundRole:
        if (column == StatusColumn) {
            const QColor c = runStatusColor(r.status);
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
