#include "ui/datasets/datasetmodels.h"

#include <QLocale>
#include <QStringList>

#include <utility>

namespace taskmoe::ui {

namespace {

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

DatasetTableModel::DatasetTableModel(QObject *parent)
    : VectorTableModel(
          {
              {QStringLiteral("ID"), {}, NumberAlignment},
              {QStringLiteral("Name"), {}, TextAlignment},
              {QStringLiteral("Kind"), QStringLiteral("synthetic, gettext, moses or tsv"),
               TextAlignment},
              {QStringLiteral("Languages"), {}, TextAlignment},
              {QStringLiteral("Pairs"),
               QStringLiteral("Number of language pairs (translation directions)"),
               NumberAlignment},
              {QStringLiteral("Sentences"), QStringLiteral("Sentence pairs over all splits"),
               NumberAlignment},
              {QStringLiteral("Fingerprint"),
               QStringLiteral("First 12 hex digits of the content's SHA-256"), TextAlignment},
              {QStringLiteral("Created"), {}, TextAlignment},
          },
          parent)
{
    Q_ASSERT(columnCount() == ColumnCount);
}

QVariant DatasetTableModel::cellData(const db::DatasetRecord &d, int column, int role) const
{
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
    default:
        break;
    }
    return {};
}

// PairTableModel -------------------------------------------------------------------------

PairTableModel::PairTableModel(QObject *parent)
    : VectorTableModel(
          {
              {QStringLiteral("Pair"), QStringLiteral("Source-target language pair"),
               TextAlignment},
              {QStringLiteral("Train"), {}, NumberAlignment},
              {QStringLiteral("Dev"), {}, NumberAlignment},
              {QStringLiteral("Test"), {}, NumberAlignment},
              {QStringLiteral("Multi-way"), QStringLiteral("Sentences aligned across all languages"),
               NumberAlignment},
              {QStringLiteral("Resource"),
               QStringLiteral("High- or low-resource, by training size"), TextAlignment},
          },
          parent)
{
    Q_ASSERT(columnCount() == ColumnCount);
}

void PairTableModel::setPairs(std::vector<db::DatasetPairRecord> pairs, qint64 resourceThreshold)
{
    // Only the tool tips read the threshold, and only views in this thread read those.
    m_threshold = resourceThreshold;
    setRows(std::move(pairs));
}

QVariant PairTableModel::cellData(const db::DatasetPairRecord &p, int column, int role) const
{
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
    default:
        break;
    }
    return {};
}

} // namespace taskmoe::ui
