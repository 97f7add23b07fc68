#pragma once
/// The per-layer summary table of the gating heatmap browser: one row per MoE layer (encoder
/// first) with its tokens, load balance (min, max and standard deviation of the token copies
/// each expert processed), dropped copies and expert-load entropy.
#include "ui/routing/routingstatsworker.h"
#include "ui/common/vectortablemodel.h"

#include <vector>

namespace taskmoe::ui {

class LayerSummaryModel : public VectorTableModel<LayerSummary>
{
    Q_OBJECT
public:
    enum Column {
        SideColumn,
        LayerColumn,
        TokensColumn,
        MinColumn,
        MaxColumn,
        StdColumn,
        DroppedColumn,
        DroppedShareColumn,
        EntropyColumn,
        ColumnCount
    };

    explicit LayerSummaryModel(QObject *parent = nullptr);

    void setSummaries(std::vector<LayerSummary> rows) { setRows(std::move(rows)); }
    /// The row of (side, layer), or −1.
    int rowOf(db::Side side, int layer) const;

protected:
    QVariant cellData(const LayerSummary &s, int column, int role) const override;
};

} // namespace taskmoe::ui
