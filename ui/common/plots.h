#pragma once
/// QCustomPlot building blocks the screens share: the colour map, heatmaps whose cells sit on
/// integer positions, text ticks that thin out when they do not fit, a titled map with its
/// colour scale, and a row outline for the selection.
#include <QColor>
#include <QFont>
#include <QString>
#include <QStringList>

#include <functional>

class QCPAxis;
class QCPAxisRect;
class QCPColorGradient;
class QCPColorMap;
class QCPColorScale;
class QCPItemRect;
class QCPTextElement;
class QCustomPlot;

namespace taskmoe::ui {

/// A perceptually uniform map (matplotlib's viridis, sampled at eleven points): equal steps
/// of share look like equal steps of colour, and it stays readable in greyscale.
QCPColorGradient viridis();

/// Fills `map` with keys × values cells whose centres sit on the integers 0..n−1.
/// QCPColorMap stretches its data between the centres of the first and last cells, so one
/// cell would have no extent: a single row or column becomes two equal cells a half unit
/// apart, which cover the same unit.
void fillMap(QCPColorMap *map, int keys, int values, const std::function<double(int, int)> &z);

/// Labels `labels` on the integer positions of `axis`, every stride-th when they would not
/// fit side by side in `pixels`. Returns whether the ticks changed.
bool setTextTicks(QCPAxis *axis, const QStringList &labels, int pixels);

QCPAxisRect *makeMapRect(QCustomPlot *plot, const QFont &font);

QCPColorScale *makeScale(QCustomPlot *plot, const QFont &font);

QCPColorMap *makeMap(QCPAxisRect *rect, QCPColorScale *scale);

/// A plot with a title row over a grid of [extra…, map rect, colour scale], top and bottom
/// margins aligned.
QCPTextElement *addTitle(QCustomPlot *plot, const QFont &font);

/// A titled map: a title row over [map rect, colour scale], top and bottom margins aligned.
struct TitledMap
{
    QCPTextElement *title = nullptr;
    QCPAxisRect *rect = nullptr;
    QCPColorScale *scale = nullptr;
    QCPColorMap *map = nullptr;
};
TitledMap addTitledMap(QCustomPlot *plot, const QFont &font);

/// A rectangle outlining one row of a map (the selection), drawn over the cells.
QCPItemRect *makeOutline(QCustomPlot *plot, QCPAxisRect *rect);

void outlineRow(QCPItemRect *outline, int row, int columns);

/// Colours of the series of a comparison that stay apart in print and for colour-blind
/// readers (Okabe & Ito), the i-th of eight, repeating.
QColor seriesColour(int i);

/// Moves the legend out of the plot into a row below it, `columns` entries wide, so that it
/// covers no data; returns the height in pixels the figure needs for it.
int legendBelow(QCustomPlot &plot, int columns);

} // namespace taskmoe::ui
