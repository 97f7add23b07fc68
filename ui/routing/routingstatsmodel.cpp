#include "ui/routing/routingstatsmodel.h"

#include "ui/datasets/datasetmodels.h"   // formatCount

#include <QLocale>

#include <cmath>

namespace taskmoe::ui {

LayerSummaryModel::LayerSummaryModel(QObject *parent)
    : VectorTableModel<LayerSummary>(
          {
              {tr("Side"), tr("Encoder or decoder"), TextAlignment},
              {tr("Layer"), tr("Index of the MoE layer in its stack"), NumberAlignment},
              {tr("Tokens"), tr("Tokens that reached the layer (Σ top-1 over tasks and experts)"), NumberAlignment},
              {tr("Min"), tr("Fewest token copies one expert processed"), NumberAlignment},
              {tr("Max"), tr("Most token copies one expert processed"), NumberAlignment},
              {tr("Std"), tr("Standard deviation of the token copies processed per expert (population)"),
               NumberAlignment},
              {tr("Dropped"), tr("Token copies chosen but over an expert's capacity (top-k − processed)"), NumberAlignment},
              {tr("Drop %"), tr("Dropped copies as a share of all top-k choices"), NumberAlignment},
              {tr("Entropy"), tr("Entropy (nats) of the processed copies per expert; ln E when perfectly balanced"),
               NumberAlignment},
          },
          parent)
{
}

int LayerSummaryModel::rowOf(db::Side side, int layer) const
{
    for (std::size_t i = 0; i < rows().size(); ++i)
        if (rows()[i].side == side && rows()[i].layer == layer)
            return int(i);
    return -1;
}

QVariant LayerSummaryModel::cellData(const LayerSummary &s, int column, int role) const
{
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case SideColumn: return db::sideName(s.side);
        case LayerColumn: return QString::number(s.layer);
        case TokensColumn: return formatCount(s.tokens);
        case MinColumn: return formatCount(s.minProcessed);
        case MaxColumn: return formatCount(s.maxProcessed);
        case StdColumn: return QLocale().toString(s.stdProcessed, 'f', 1);
        case DroppedColumn: return formatCount(s.dropped);
        case DroppedShareColumn: return QLocale().toString(100.0 * s.droppedShare, 'f', 2);
        case EntropyColumn: return QLocale().toString(s.entropy, 'f', 3);
        }
        break;
    case SortRole:
        switch (column) {
        case SideColumn: return db::sideName(s.side);
        case LayerColumn: return s.layer;
        case TokensColumn: return s.tokens;
        case MinColumn: return s.minProcessed;
        case MaxColumn: return s.maxProcessed;
        case StdColumn: return s.stdProcessed;
        case DroppedColumn: return s.dropped;
        case DroppedShareColumn: return s.droppedShare;
        case EntropyColumn: return s.entropy;
        }
        break;
    case Qt::ToolTipRole:
        if (column == EntropyColumn && s.experts > 0)
            return tr("%1 nats of at most ln %2 = %3 (all experts equally loaded)")
                .arg(QLocale().toString(s.entropy, 'f', 4))
                .arg(s.experts)
                .arg(QLocale().toString(std::log(double(s.experts)), 'f', 4));
        if (column == StdColumn)
            return QLocale().toString(s.stdProcessed, 'f', 4);
        break;
    default:
        break;
    }
    return {};
}

} // namespace taskmoe::ui
