#include "ui/datasetmodels.h"

#include <QLocale>
#include <QStringList>

#include <utility>

namespace taskmoe::ui {

namespace {

// Qt 6.4's item delegates read TextAlignmentRole with toInt(): answer a plain int.
constexpr Qt::Alignment kNumberAlignment = Qt::AlignRight | Qt::AlignVCenter;
constexpr Qt::Alignment kTextAlignment = Qt::AlignLeft | Qt::AlignVCenter;

QString languageDescription(const db::LanguageRecord &language)
{
    QString text = language.code;
    if (!language.name.isEmpty() && language.name != language.code)
        text += QStringLiteral(" — ") + language.name;
    QStringList traits;
    if (!language.family.isEmpty())
        traits << language.family;
    if (!language.script.isEmpty())
        traits << language.script;
    if (!traits.isEmpty())
        text += QStringLiteral(" (") + traits.join(QStringLiteral(", ")) + QLatin1Char(')');
    return text;
}

} // namespace

QString formatCount(qint64 value)
{
    return QLocale().toString(value);
}

QString formatCompactCount(qint64 value)
{
    const double v = static_cast<double>(value);
    const double magnitude = v < 0 ? -v : v;
    if (magnitude < 1000)
        return QString::number(value);
    // One decimal below 100 of a unit (12.3k), none above (123k).
    const auto scaled = [](double x, const char *suffix) {
        const int decimals = (x < 0 ? -x : x) < 99.95 ? 1 : 0;
        QString digits = QString::number(x, 'f', decimals);
        if (digits.endsWith(QLatin1String(".0")))
            digits.chop(2);
        return digits + QLatin1String(suffix);
    };
    if (magnitude < 999500)
        return scaled(v / 1e3, "k");
    if (magnitude < 999500000)
        return scaled(v / 1e6, "M");
    return scaled(v / 1e9, "G");
}

QString formatTimestamp(const QDateTime &time)
{
    if (!time.isValid())
        return {};
    return time.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

QColor resourceClassColor(const QString &resourceClass)
{
    if (resourceClass == QLatin1String("high"))
        return QColor(0x2b, 0x6c, 0xb0);   // blue
    if (resourceClass == QLatin1String("low"))
        return QColor(0xe0, 0x7b, 0x24);   // orange: tells apart from blue for most colour vision
    return QColor(0x8a, 0x8a, 0x8a);
}

QString resourceClassLabel(const QString &resourceClass)
{
    if (resourceClass == QLatin1String("high"))
        return QStringLiteral("High-resource");
    if (resourceClass == QLatin1String("low"))
        return QStringLiteral("Low-resource");
    return resourceClass.isEmpty() ? QStringLiteral("Unclassified") : resourceClass;
}

// DatasetTableModel ----------------------------------------------------------------------

DatasetTableModel::DatasetTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void DatasetTableModel::setDatasets(std::vector<db::DatasetRecord> datasets)
{
    beginResetModel();
    m_rows = std::move(datasets);
    endResetModel();
}

void DatasetTableModel::clear()
{
    setDatasets({});
}

const db::DatasetRecord *DatasetTableModel::dataset(int row) const
{
    if (row < 0 || row >= static_cast<int>(m_rows.size()))
        return nullptr;
    return &m_rows[static_cast<size_t>(row)];
}

int DatasetTableModel::rowOfId(qint64 id) const
{
    for (size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].id == id)
            return static_cast<int>(i);
    }
    return -1;
}

int DatasetTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int DatasetTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DatasetTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const db::DatasetRecord &d = m_rows[static_cast<size_t>(index.row())];

    if (role == IdRole)
        return d.id;

    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case IdColumn: return QString::number(d.id);
        case NameColumn: return d.name;
        case KindColumn: return d.kind;
        case LanguagesColumn: {
            QStringList codes;
            for (const auto &l : d.languages)
                codes << l.code;
            return codes.join(QStringLiteral(", "));
        }
        case PairsColumn: return formatCount(d.pairs.size());
        case SentencesColumn: return formatCount(d.totalSentences());
        case FingerprintColumn: return d.fingerprint.left(12);
        case CreatedColumn: return formatTimestamp(d.createdAt);
        }
        break;
    case SortRole:
        switch (column) {
        case IdColumn: return d.id;
        case NameColumn: return d.name;
        case KindColumn: return d.kind;
        case LanguagesColumn: return static_cast<qint64>(d.languages.size());
        case PairsColumn: return static_cast<qint64>(d.pairs.size());
        case SentencesColumn: return d.totalSentences();
        case FingerprintColumn: return d.fingerprint;
        case CreatedColumn: return d.createdAt;
        }
        break;
    case Qt::ToolTipRole:
        switch (column) {
        case NameColumn:
            return d.source.isEmpty() ? d.name
                                      : d.name + QStringLiteral("\nSource: ") + d.source;
        case LanguagesColumn: {
            QStringList lines;
            for (const auto &l : d.languages)
                lines << languageDescription(l);
            return lines.join(QLatin1Char('\n'));
        }
        case SentencesColumn:
            return QStringLiteral("Sentence pairs over all splits (train, dev, test, multi-way)");
        case FingerprintColumn:
            return QStringLiteral("SHA-256 of the content: ") + d.fingerprint;
        case CreatedColumn:
            return d.createdAt.isValid() ? QLocale().toString(d.createdAt.toLocalTime(),
                                                              QLocale::LongFormat)
                                         : QVariant();
        }
        break;
    case Qt::TextAlignmentRole:
        switch (column) {
        case IdColumn:
        case PairsColumn:
        case SentencesColumn:
            return int(kNumberAlignment);
        default:
            return int(kTextAlignment);
        }
    default:
        break;
    }
    return {};
}

QVariant DatasetTableModel::headerData(int section, Qt::Orientation orientation, int role) const
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
        case LanguagesColumn: return QStringLiteral("Languages");
        case PairsColumn: return QStringLiteral("Pairs");
        case SentencesColumn: return QStringLiteral("Sentences");
        case FingerprintColumn: return QStringLiteral("Fingerprint");
        case CreatedColumn: return QStringLiteral("Created");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case KindColumn: return QStringLiteral("synthetic, gettext, moses or tsv");
        case PairsColumn: return QStringLiteral("Number of language pairs (translation directions)");
        case SentencesColumn: return QStringLiteral("Sentence pairs over all splits");
        case FingerprintColumn: return QStringLiteral("First 12 hex digits of the content's SHA-256");
        }
    } else if (role == Qt::TextAlignmentRole) {
        switch (section) {
        case IdColumn:
        case PairsColumn:
        case SentencesColumn:
            return int(kNumberAlignment);
        default:
            return int(kTextAlignment);
        }
    }
    return QAbstractTableModel::headerData(section, orientation, role);
}

// PairTableModel -------------------------------------------------------------------------

PairTableModel::PairTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void PairTableModel::setPairs(std::vector<db::DatasetPairRecord> pairs, qint64 resourceThreshold)
{
    beginResetModel();
    m_rows = std::move(pairs);
    m_threshold = resourceThreshold;
    endResetModel();
}

void PairTableModel::clear()
{
    setPairs({}, 0);
}

const db::DatasetPairRecord *PairTableModel::pair(int row) const
{
    if (row < 0 || row >= static_cast<int>(m_rows.size()))
        return nullptr;
    return &m_rows[static_cast<size_t>(row)];
}

int PairTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int PairTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PairTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const db::DatasetPairRecord &p = m_rows[static_cast<size_t>(index.row())];

    if (role == IdRole)
        return p.id;

    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case PairColumn: return p.name();
        case TrainColumn: return formatCount(p.train);
        case DevColumn: return formatCount(p.dev);
        case TestColumn: return formatCount(p.test);
        case MultiwayColumn: return formatCount(p.multiway);
        case ResourceClassColumn: return p.resourceClass;
        }
        break;
    case SortRole:
        switch (column) {
        case PairColumn: return p.name();
        case TrainColumn: return p.train;
        case DevColumn: return p.dev;
        case TestColumn: return p.test;
        case MultiwayColumn: return p.multiway;
        case ResourceClassColumn: return p.resourceClass;
        }
        break;
    case Qt::ToolTipRole:
        if (column == ResourceClassColumn) {
            QString tip = resourceClassLabel(p.resourceClass);
            if (m_threshold > 0) {
                tip += p.resourceClass == QLatin1String("high")
                           ? QStringLiteral(": at least %1 training sentences")
                           : QStringLiteral(": fewer than %1 training sentences");
                tip = tip.arg(formatCount(m_threshold));
            }
            return tip;
        }
        if (column == PairColumn)
            return QStringLiteral("%1 → %2").arg(p.srcLang, p.tgtLang);
        if (column == MultiwayColumn)
            return QStringLiteral("Sentences aligned across all languages (multi-way test set)");
        break;
    case Qt::DecorationRole:
        if (column == ResourceClassColumn)
            return resourceClassColor(p.resourceClass);
        break;
    case Qt::TextAlignmentRole:
        if (column == PairColumn || column == ResourceClassColumn)
            return int(kTextAlignment);
        return int(kNumberAlignment);
    default:
        break;
    }
    return {};
}

QVariant PairTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case PairColumn: return QStringLiteral("Pair");
        case TrainColumn: return QStringLiteral("Train");
        case DevColumn: return QStringLiteral("Dev");
        case TestColumn: return QStringLiteral("Test");
        case MultiwayColumn: return QStringLiteral("Multi-way");
        case ResourceClassColumn: return QStringLiteral("Resource");
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case PairColumn: return QStringLiteral("Source-target language pair");
        case MultiwayColumn: return QStringLiteral("Sentences aligned across all languages");
        case ResourceClassColumn: return QStringLiteral("High- or low-resource, by training size");
        }
    } else if (role == Qt::TextAlignmentRole) {
        if (section == PairColumn || section == ResourceClassColumn)
            return int(kTextAlignment);
        return int(kNumberAlignment);
    }
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace taskmoe::ui
