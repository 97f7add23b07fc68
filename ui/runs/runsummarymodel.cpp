#include "ui/runs/runsummarymodel.h"

namespace taskmoe::ui {

namespace {

QString number(double v)
{
    return std::abs(v) >= 1000 ? QString::number(v, 'f', 0) : QString::number(v, 'g', 4);
}

} // namespace

void RunSummaryModel::setRows(const std::vector<Row> &rows, const QString &metric)
{
    beginResetModel();
    m_rows = rows;
    m_metric = metric;
    std::vector<std::map<QString, QString>> configs;
    for (const auto &r : rows)
        configs.push_back(r.config);
    m_keys = rows.size() > 1 ? differingKeys(configs) : QStringList();
    endResetModel();
}

int RunSummaryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RunSummaryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : FixedColumns + int(m_keys.size());
}

QVariant RunSummaryModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount())
        return {};
    const Row &r = m_rows[std::size_t(index.row())];
    const int column = index.column();
    if (role != Qt::DisplayRole && role != Qt::UserRole && role != Qt::TextAlignmentRole)
        return {};
    if (role == Qt::TextAlignmentRole)
        return column == Name || column >= FixedColumns ? QVariant() : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    if (column >= FixedColumns) {
        const auto it = r.config.find(m_keys[column - FixedColumns]);
        const QString text = it == r.config.end() ? QString() : it->second;
        bool numeric = false;
        const double v = text.toDouble(&numeric);
        return role == Qt::UserRole && numeric ? QVariant(v) : QVariant(text);
    }
    switch (column) {
    case Run: return r.run.id;
    case Name: return r.run.name;
    case Status: return db::runStatusName(r.run.status);
    default: break;
    }
    if (!r.summary)
        return role == Qt::UserRole ? QVariant(-std::numeric_limits<double>::infinity()) : QVariant(QString());
    const MetricSummary &s = *r.summary;
    const double v = column == Points ? s.points : column == Last ? s.last : column == Best ? s.best
                     : column == BestStep ? s.bestStep : column == Min ? s.min : s.max;
    if (role == Qt::UserRole)
        return v;
    return column == Points || column == BestStep ? QString::number(qint64(v)) : number(v);
}

QVariant RunSummaryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Run: return tr("Run");
    case Name: return tr("Name");
    case Status: return tr("Status");
    case Points: return tr("Points");
    case Last: return tr("Last");
    case Best: return higherIsBetter(m_metric) ? tr("Best (max)") : tr("Best (min)");
    case BestStep: return tr("at step");
    case Min: return tr("Min");
    case Max: return tr("Max");
    default: return m_keys.value(section - FixedColumns);
    }
}

} // namespace taskmoe::ui
