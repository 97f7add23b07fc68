#include "ui/common/plots.h"

#include <qcustomplot.h>

namespace taskmoe::ui {

/// A perceptually uniform map (matplotlib's viridis, sampled at eleven points): equal steps
/// of share look like equal steps of colour, and it stays readable in greyscale.
QCPColorGradient viridis()
{
    static const struct
    {
        double at;
        QRgb rgb;
    } stops[] = {{0.0, 0x440154}, {0.1, 0x482475}, {0.2, 0x414487}, {0.3, 0x355f8d}, {0.4, 0x2a788e}, {0.5, 0x21918c},
                 {0.6, 0x22a884}, {0.7, 0x44bf70}, {0.8, 0x7ad151}, {0.9, 0xbddf26}, {1.0, 0xfde725}};
    QCPColorGradient gradient;
    for (const auto &s : stops)
        gradient.setColorStopAt(s.at, QColor(s.rgb));
    gradient.setColorInterpolation(QCPColorGradient::ciRGB);
    gradient.setLevelCount(256);
    return gradient;
}

/// Fills `map` with keys × values cells whose centres sit on the integers 0..n−1.
/// QCPColorMap stretches its data between the centres of the first and last cells, so one
/// cell would have no extent: a single row or column becomes two equal cells a half unit
/// apart, which cover the same unit.
void fillMap(QCPColorMap *map, int keys, int values, const std::function<double(int, int)> &z)
{
    if (keys <= 0 || values <= 0) {
        map->data()->clear();
        return;
    }
    const int k = keys == 1 ? 2 : keys;
    const int v = values == 1 ? 2 : values;
    map->data()->setSize(k, v);
    map->data()->setRange(keys == 1 ? QCPRange(-0.25, 0.25) : QCPRange(0, keys - 1),
                          values == 1 ? QCPRange(-0.25, 0.25) : QCPRange(0, values - 1));
    for (int i = 0; i < k; ++i)
        for (int j = 0; j < v; ++j)
            map->data()->setCell(i, j, z(keys == 1 ? 0 : i, values == 1 ? 0 : j));
}

/// Labels `labels` on the integer positions of `axis`, every stride-th when they would not
/// fit side by side in `pixels`. Returns whether the ticks changed.
bool setTextTicks(QCPAxis *axis, const QStringList &labels, int pixels)
{
    auto ticker = qSharedPointerDynamicCast<QCPAxisTickerText>(axis->ticker());
    if (!ticker)
        return false;
    const QFontMetrics metrics(axis->tickLabelFont());
    // Labels stack along the axis by their height on a vertical axis or when rotated, else by
    // their width.
    const bool stacked = axis->orientation() == Qt::Vertical || std::abs(axis->tickLabelRotation()) > 45;
    int need = metrics.height();
    if (!stacked)
        for (const QString &l : labels)
            need = std::max(need, metrics.horizontalAdvance(l) + 10);
    const int n = int(labels.size());
    int stride = 1;
    while (stride < n && double(n) / stride * need > std::max(pixels, 40))
        stride *= 2;
    QMap<double, QString> ticks;
    for (int i = 0; i < n; i += stride)
        ticks.insert(i, labels[i]);
    if (ticks == ticker->ticks())
        return false;
    ticker->setTicks(ticks);
    return true;
}

QCPAxisRect *makeMapRect(QCustomPlot *plot, const QFont &font)
{
    auto *rect = new QCPAxisRect(plot);
    for (QCPAxis *axis : rect->axes()) {
        axis->grid()->setVisible(false);
        axis->setTickLabelFont(font);
        axis->setLabelFont(font);
    }
    for (QCPAxis *axis : {rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft)}) {
        auto ticker = QSharedPointer<QCPAxisTickerText>::create();
        ticker->setSubTickCount(0);
        axis->setTicker(ticker);
        axis->setSubTicks(false);
        axis->setTickLength(0, 3);
        axis->setBasePen(Qt::NoPen);
        axis->setLabelPadding(4);
    }
    rect->axis(QCPAxis::atLeft)->setRangeReversed(true);   // first row on top
    return rect;
}

QCPColorScale *makeScale(QCustomPlot *plot, const QFont &font)
{
    auto *scale = new QCPColorScale(plot);
    scale->setType(QCPAxis::atRight);
    scale->setBarWidth(12);
    scale->setGradient(viridis());
    scale->axis()->setTickLabelFont(font);
    scale->axis()->setLabelFont(font);
    scale->axis()->setLabelPadding(4);
    scale->axis()->ticker()->setTickCount(5);
    return scale;
}

QCPColorMap *makeMap(QCPAxisRect *rect, QCPColorScale *scale)
{
    auto *map = new QCPColorMap(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    map->setInterpolate(false);
    map->setTightBoundary(false);
    map->setColorScale(scale);
    map->setGradient(viridis());
    map->setSelectable(QCP::stNone);
    return map;
}

/// A plot with a title row over a grid of [extra…, map rect, colour scale], top and bottom
/// margins aligned.
QCPTextElement *addTitle(QCustomPlot *plot, const QFont &font)
{
    QFont titleFont = font;
    titleFont.setBold(true);
    auto *title = new QCPTextElement(plot, QString(), titleFont);
    title->setMargins(QMargins(6, 4, 6, 0));
    plot->plotLayout()->addElement(0, 0, title);
    plot->plotLayout()->setRowStretchFactor(0, 0.001);
    return title;
}

TitledMap addTitledMap(QCustomPlot *plot, const QFont &font)
{
    TitledMap m;
    m.title = addTitle(plot, font);
    auto *grid = new QCPLayoutGrid;
    plot->plotLayout()->addElement(1, 0, grid);
    m.rect = makeMapRect(plot, font);
    m.scale = makeScale(plot, font);
    m.map = makeMap(m.rect, m.scale);
    auto *margins = new QCPMarginGroup(plot);
    m.rect->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    m.scale->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    grid->addElement(0, 0, m.rect);
    grid->addElement(0, 1, m.scale);
    grid->setColumnStretchFactor(1, 0.01);
    grid->setColumnSpacing(8);
    return m;
}

/// A rectangle outlining one row of a map (the selection), drawn over the cells.
QCPItemRect *makeOutline(QCustomPlot *plot, QCPAxisRect *rect)
{
    auto *outline = new QCPItemRect(plot);
    outline->setClipAxisRect(rect);
    outline->topLeft->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    outline->bottomRight->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    outline->setPen(QPen(QColor(0xd6, 0x27, 0x28), 2));
    outline->setBrush(Qt::NoBrush);
    outline->setSelectable(false);
    outline->setVisible(false);
    return outline;
}

void outlineRow(QCPItemRect *outline, int row, int columns)
{
    outline->setVisible(row >= 0 && columns > 0);
    outline->topLeft->setCoords(-0.5, row - 0.5);
    outline->bottomRight->setCoords(columns - 0.5, row + 0.5);
}

QColor seriesColour(int i)
{
    static const QColor colours[] = {QColor(0, 114, 178), QColor(230, 159, 0), QColor(0, 158, 115), QColor(204, 121, 167),
                                     QColor(86, 180, 233), QColor(213, 94, 0), QColor(240, 228, 66), QColor(0, 0, 0)};
    return colours[i % 8];
}

int legendBelow(QCustomPlot &plot, int columns)
{
    QCPLegend *legend = plot.legend;
    legend->setVisible(true);
    legend->setFont(QFont(QStringLiteral("Sans"), 8));
    plot.axisRect()->insetLayout()->take(legend);
    plot.plotLayout()->addElement(1, 0, legend);
    legend->setWrap(columns);                                   // before the fill order, which
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);  // rearranges by the wrap
    legend->setBorderPen(Qt::NoPen);
    plot.plotLayout()->setRowStretchFactor(1, 0.001);
    const int rows = (legend->itemCount() + columns - 1) / columns;
    return 16 + 22 * rows;
}

} // namespace taskmoe::ui
