// The routing browser's drawing (heatmap, dendrogram, similarity, profile), hover tool tips
// and exports; construction, controls and requests are in routingbrowser.cpp.
#include "ui/routing/routingbrowser.h"

#include "ui/datasets/datasetmodels.h"   // formatCount
#include "ui/routing/routingstatsmodel.h"
#include "ui/common/plotexport.h"
#include "ui/common/plots.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHelpEvent>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMenu>
#include <QScopeGuard>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QTableView>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <functional>


namespace taskmoe::ui {

namespace {

QString layerName(db::Side side, int layer)
{
    return QStringLiteral("%1 %2").arg(db::sideName(side)).arg(layer);
}

} // namespace

// ----------------------------------------------------------------------------------------
// Drawing

void RoutingBrowser::redraw()
{
    const RoutingView &v = m_view;
    const db::RoutingStatSet &set = v.set;
    QStringList layers;
    if (!set.encoderLayers.isEmpty()) {
        QStringList l;
        for (int i : set.encoderLayers)
            l << QString::number(i);
        layers << tr("encoder %1").arg(l.join(QStringLiteral(", ")));
    }
    if (!set.decoderLayers.isEmpty()) {
        QStringList l;
        for (int i : set.decoderLayers)
            l << QString::number(i);
        layers << tr("decoder %1").arg(l.join(QStringLiteral(", ")));
    }
    m_title->setText(tr("%1 — %2 tasks, %3 experts; MoE layers: %4")
                         .arg(setLabel(set))
                         .arg(set.tasks)
                         .arg(set.experts)
                         .arg(layers.join(QStringLiteral(" · "))));

    QString note = v.orderNote;
    if (note.isEmpty() && v.order == RowOrder::ResourceSize && !v.datasetName.isEmpty())
        note = tr("Rows: largest training set first (dataset %1).").arg(v.datasetName.toHtmlEscaped());
    if (v.isEmpty())
        note = tr("This recording has no statistics for any layer (was it replaced?). Refresh the list.");
    m_note->setText(note);
    m_note->setVisible(!note.isEmpty());

    drawRouting();
    drawDendrogram();
    drawSimilarity();
    drawProfile();

    m_summaryModel->setSummaries(v.summaries);
    m_summaryView->resizeColumnsToContents();
    for (int c = 0; c < m_summaryModel->columnCount(); ++c)   // numbers need air between them
        m_summaryView->setColumnWidth(c, m_summaryView->columnWidth(c) + 8);
    updateSummarySelection();

    for (QCustomPlot *plot : {m_plot, m_simPlot, m_profilePlot}) {
        updateTickDensityFor(plot);
        plot->replot(QCustomPlot::rpQueuedReplot);
    }
}

void RoutingBrowser::drawRouting()
{
    const RoutingView &v = m_view;
    const int rows = int(v.tasks.size()), experts = v.experts;
    fillMap(m_map, experts, rows, [&](int e, int t) { return v.shares[std::size_t(t)][std::size_t(e)]; });
    double top = 0;
    for (const auto &row : v.shares)
        for (double s : row)
            top = std::max(top, s);
    m_map->setDataRange(QCPRange(0, top > 0 ? top : 1));
    m_rect->axis(QCPAxis::atBottom)->setRange(-0.5, std::max(experts, 1) - 0.5);
    m_rect->axis(QCPAxis::atLeft)->setRange(-0.5, std::max(rows, 1) - 0.5);
    m_scale->axis()->setLabel(tr("share of %1").arg(measureName(v.request.measure)));
    m_plotTitle->setText(v.isEmpty() ? tr("No statistics")
                                     : tr("%1 MoE layer %2: where each task's tokens go")
                                           .arg(v.request.side == db::Side::Encoder ? tr("Encoder") : tr("Decoder"))
                                           .arg(v.request.layer));

    outlineRow(m_outline, int(v.tasks.indexOf(m_selectedTask)), experts);   // the selected task
}

bool RoutingBrowser::dendrogramShown() const
{
    return m_grid->elements(false).contains(m_dendrogram);
}

void RoutingBrowser::drawDendrogram()
{
    const RoutingView &v = m_view;
    for (QCPItemLine *line : std::as_const(m_dendrogramLines))
        m_plot->removeItem(line);
    m_dendrogramLines.clear();
    const bool show = v.order == RowOrder::Clustering && v.tasks.size() > 1 && !v.merges.empty();
    if (show != dendrogramShown()) {
        if (show) {
            m_grid->insertColumn(0);
            m_grid->addElement(0, 0, m_dendrogram);
            m_grid->setColumnStretchFactors({0.2, 1, 0.01});
        } else {
            m_grid->take(m_dendrogram);
            m_grid->simplify();
            m_grid->setColumnStretchFactors({1, 0.01});
        }
        m_dendrogram->setVisible(show);
    }
    if (!show)
        return;

    // Leaves sit on their rows at height 0; a merge joins its two children at its height,
    // midway between them.
    const std::size_t n = std::size_t(v.tasks.size());
    std::vector<double> x(n + v.merges.size(), 0.0), y(n + v.merges.size(), 0.0);
    for (std::size_t i = 0; i < n; ++i)
        y[i] = double(i);
    double highest = 0;
    QCPAxis *hx = m_dendrogram->axis(QCPAxis::atBottom);
    QCPAxis *hy = m_dendrogram->axis(QCPAxis::atLeft);
    const auto line = [&](double x0, double y0, double x1, double y1) {
        auto *item = new QCPItemLine(m_plot);
        item->setClipAxisRect(m_dendrogram);
        item->start->setAxes(hx, hy);
        item->end->setAxes(hx, hy);
        item->start->setCoords(x0, y0);
        item->end->setCoords(x1, y1);
        item->setPen(QPen(QColor(0x55, 0x55, 0x55), 1.4));
        item->setSelectable(false);
        m_dendrogramLines << item;
    };
    for (std::size_t k = 0; k < v.merges.size(); ++k) {
        const core::Merge &m = v.merges[k];
        const std::size_t id = n + k;
        x[id] = m.height;
        y[id] = 0.5 * (y[m.left] + y[m.right]);
        highest = std::max(highest, m.height);
        line(x[m.left], y[m.left], m.height, y[m.left]);
        line(x[m.right], y[m.right], m.height, y[m.right]);
        line(m.height, y[m.left], m.height, y[m.right]);
    }
    // A little room on the leaf side: tasks that join at height 0 still show their stubs.
    const double top = highest > 0 ? highest : 0.01;
    hx->setRange(-0.06 * top, top * 1.08);
    hy->setRange(m_rect->axis(QCPAxis::atLeft)->range());
}

void RoutingBrowser::drawSimilarity()
{
    const RoutingView &v = m_view;
    const int n = int(v.tasks.size());
    fillMap(m_simMap, n, n, [&](int a, int b) { return v.similarity[std::size_t(b)][std::size_t(a)]; });
    double lowest = 1;
    for (const auto &row : v.similarity)
        for (double s : row)
            lowest = std::min(lowest, s);
    // From the lowest similarity shown (rounded down to a tenth) to 1: related tasks stand out
    // even when every pair is fairly similar; the tool tip has the exact value.
    const double lower = std::min(std::floor(lowest * 10) / 10, 0.9);
    m_simMap->setDataRange(QCPRange(std::max(0.0, lower), 1.0));
    m_simRect->axis(QCPAxis::atBottom)->setRange(-0.5, std::max(n, 1) - 0.5);
    m_simRect->axis(QCPAxis::atLeft)->setRange(-0.5, std::max(n, 1) - 0.5);
    const bool js = v.request.similarity == core::Similarity::JensenShannon;
    m_simScale->axis()->setLabel(js ? tr("1 − JS divergence") : tr("cosine similarity"));
    m_simTitle->setText(tr("Task similarity (%1)").arg(js ? tr("Jensen–Shannon") : tr("cosine")));
}

void RoutingBrowser::drawProfile()
{
    const RoutingView &v = m_view;
    const auto it = v.profiles.find(m_selectedTask);
    if (it == v.profiles.end()) {
        m_profileMap->data()->clear();
        m_profileOutline->setVisible(false);
        m_profileTitle->setText(tr("Click a task to see it in every MoE layer"));
        setTextTicks(m_profileRect->axis(QCPAxis::atLeft), {}, 100);
        return;
    }
    const auto &profile = it->second;
    const int rows = int(profile.size());
    fillMap(m_profileMap, v.experts, rows, [&](int e, int l) { return profile[std::size_t(l)].shares[std::size_t(e)]; });
    double top = 0;
    for (const auto &row : profile)
        for (double s : row.shares)
            top = std::max(top, s);
    m_profileMap->setDataRange(QCPRange(0, top > 0 ? top : 1));
    m_profileRect->axis(QCPAxis::atBottom)->setRange(-0.5, std::max(v.experts, 1) - 0.5);
    m_profileRect->axis(QCPAxis::atLeft)->setRange(-0.5, std::max(rows, 1) - 0.5);
    m_profileScale->axis()->setLabel(tr("share"));
    m_profileTitle->setText(tr("%1 in every MoE layer (share of its %2)").arg(m_selectedTask, measureDescription(v.request.measure)));

    // The layer shown in the routing map, outlined.
    int shown = -1;
    for (int l = 0; l < rows; ++l)
        if (profile[std::size_t(l)].side == v.request.side && profile[std::size_t(l)].layer == v.request.layer)
            shown = l;
    outlineRow(m_profileOutline, shown, v.experts);
}

bool RoutingBrowser::updateTickDensityFor(QCustomPlot *plot)
{
    const RoutingView &v = m_view;
    QStringList experts;
    for (int e = 0; e < v.experts; ++e)
        experts << QString::number(e);
    // Before the first layout the rects have no size: estimate from the widget.
    const auto span = [plot](QCPAxisRect *rect, bool vertical) {
        const int laidOut = vertical ? rect->height() : rect->width();
        return laidOut > 10 ? laidOut : (vertical ? plot->height() - 90 : plot->width() - 160);
    };
    bool changed = false;
    if (plot == m_plot) {
        changed |= setTextTicks(m_rect->axis(QCPAxis::atLeft), v.tasks, span(m_rect, true));
        changed |= setTextTicks(m_rect->axis(QCPAxis::atBottom), experts, span(m_rect, false));
    } else if (plot == m_simPlot) {
        changed |= setTextTicks(m_simRect->axis(QCPAxis::atLeft), v.tasks, span(m_simRect, true));
        changed |= setTextTicks(m_simRect->axis(QCPAxis::atBottom), v.tasks, span(m_simRect, false));
    } else if (plot == m_comparePlot) {
        QStringList columns;
        for (int e = 0; e < std::max(v.experts, m_compareView.experts); ++e)
            columns << QString::number(e);
        changed |= setTextTicks(m_compareRect->axis(QCPAxis::atLeft), v.tasks, span(m_compareRect, true));
        changed |= setTextTicks(m_compareRect->axis(QCPAxis::atBottom), columns, span(m_compareRect, false));
    } else if (plot == m_profilePlot) {
        QStringList layers;
        if (v.profiles.count(m_selectedTask))
            for (const LayerSummary &s : v.summaries)
                layers << layerName(s.side, s.layer);
        changed |= setTextTicks(m_profileRect->axis(QCPAxis::atLeft), layers, span(m_profileRect, true));
        changed |= setTextTicks(m_profileRect->axis(QCPAxis::atBottom), experts, span(m_profileRect, false));
    }
    return changed;
}

void RoutingBrowser::updateSummarySelection()
{
    const int row = m_view.request.side ? m_summaryModel->rowOf(*m_view.request.side, m_view.request.layer) : -1;
    m_selectingSummary = true;
    if (row < 0)
        m_summaryView->selectionModel()->clear();
    else
        m_summaryView->selectionModel()->setCurrentIndex(m_summaryModel->index(row, 0),
                                                         QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_selectingSummary = false;
}

void RoutingBrowser::redrawNow()
{
    for (QCustomPlot *plot : {m_plot, m_simPlot, m_profilePlot}) {
        plot->replot(QCustomPlot::rpImmediateRefresh);
        if (updateTickDensityFor(plot))
            plot->replot(QCustomPlot::rpImmediateRefresh);
    }
}

// ----------------------------------------------------------------------------------------
// Hover and click

int RoutingBrowser::rowAt(QCPAxisRect *rect, const QPoint &pos, int rows, int *column) const
{
    if (rows <= 0 || !rect->rect().contains(pos))
        return -1;
    const double x = rect->axis(QCPAxis::atBottom)->pixelToCoord(pos.x());
    const double y = rect->axis(QCPAxis::atLeft)->pixelToCoord(pos.y());
    const int row = int(std::lround(y));
    if (row < 0 || row >= rows)
        return -1;
    if (column)
        *column = int(std::lround(x));
    return row;
}

QString RoutingBrowser::cellToolTip(int row, int expert) const
{
    const RoutingView &v = m_view;
    if (row < 0 || row >= v.tasks.size() || expert < 0 || expert >= v.experts)
        return {};
    const RoutingCounts &c = v.cell(row, expert);
    const qint64 tokens = v.taskTokens[std::size_t(row)];
    const double share = v.shares[std::size_t(row)][std::size_t(expert)];
    QStringList lines;
    lines << tr("%1 → expert %2 (%3 MoE layer %4)").arg(v.tasks[row]).arg(expert).arg(db::sideName(v.request.side.value_or(db::Side::Encoder))).arg(v.request.layer);
    lines << tr("top-1: %1").arg(c.top1);
    lines << tr("top-k: %1").arg(c.topk);
    lines << tr("gate mass: %1").arg(QString::number(c.gateMass, 'f', 3));
    lines << tr("processed: %1 (dropped: %2)").arg(c.processed).arg(c.topk - c.processed);
    lines << tr("task tokens: %1").arg(tokens);
    lines << tr("share of %1: %2 (%3 %)")
                 .arg(measureDescription(v.request.measure), QString::number(share, 'f', 4),
                      QString::number(100 * share, 'f', 1));
    if (const qint64 size = v.resourceSizes[std::size_t(row)]; size >= 0)
        lines << tr("training sentences: %1").arg(formatCount(size));
    return lines.join(QLatin1Char('\n'));
}

QString RoutingBrowser::heatmapToolTipAt(const QPoint &pos) const
{
    int column = -1;
    const int row = rowAt(m_rect, pos, int(m_view.tasks.size()), &column);
    return row < 0 ? QString() : cellToolTip(row, column);
}

QPoint RoutingBrowser::heatmapCellCentre(int row, int expert) const
{
    return QPoint(int(std::lround(m_rect->axis(QCPAxis::atBottom)->coordToPixel(expert))),
                  int(std::lround(m_rect->axis(QCPAxis::atLeft)->coordToPixel(row))));
}

QString RoutingBrowser::similarityToolTipAt(const QPoint &pos) const
{
    int column = -1;
    const int n = int(m_view.tasks.size());
    const int row = rowAt(m_simRect, pos, n, &column);
    if (row < 0 || column < 0 || column >= n)
        return {};
    const bool js = m_view.request.similarity == core::Similarity::JensenShannon;
    return tr("%1 vs %2\n%3: %4")
        .arg(m_view.tasks[row], m_view.tasks[column], js ? tr("1 − Jensen–Shannon divergence") : tr("cosine similarity"),
             QString::number(m_view.similarity[std::size_t(row)][std::size_t(column)], 'f', 4));
}

QString RoutingBrowser::profileToolTipAt(const QPoint &pos) const
{
    const auto it = m_view.profiles.find(m_selectedTask);
    if (it == m_view.profiles.end())
        return {};
    int column = -1;
    const int row = rowAt(m_profileRect, pos, int(it->second.size()), &column);
    if (row < 0 || column < 0 || column >= m_view.experts)
        return {};
    const TaskLayerShares &l = it->second[std::size_t(row)];
    return tr("%1 · %2 MoE layer %3 · expert %4\nshare: %5 of %6 tokens\n(click to show this layer)")
        .arg(m_selectedTask, db::sideName(l.side))
        .arg(l.layer)
        .arg(column)
        .arg(QString::number(l.shares[std::size_t(column)], 'f', 4))
        .arg(l.tokens);
}

bool RoutingBrowser::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::ToolTip && (watched == m_plot || watched == m_simPlot || watched == m_profilePlot)) {
        auto *help = static_cast<QHelpEvent *>(event);
        auto *plot = static_cast<QCustomPlot *>(watched);
        const QString text = watched == m_plot      ? heatmapToolTipAt(help->pos())
                             : watched == m_simPlot ? similarityToolTipAt(help->pos())
                                                    : profileToolTipAt(help->pos());
        if (text.isEmpty() && watched == m_plot && dendrogramShown() && m_dendrogram->rect().contains(help->pos())) {
            QToolTip::showText(help->globalPos(),
                               tr("Average-linkage clustering of the rows on Jensen–Shannon divergence: the closer "
                                  "to the labels two tasks join, the more alike their tokens are routed."),
                               plot, m_dendrogram->rect());
            return true;
        }
        if (text.isEmpty()) {
            QToolTip::hideText();
            event->ignore();
        } else {
            // Valid while the pointer stays in this cell: moving on asks again.
            QCPAxisRect *rect = watched == m_plot ? m_rect : watched == m_simPlot ? m_simRect : m_profileRect;
            const double x = std::round(rect->axis(QCPAxis::atBottom)->pixelToCoord(help->pos().x()));
            const double y = std::round(rect->axis(QCPAxis::atLeft)->pixelToCoord(help->pos().y()));
            const QRectF cell(QPointF(rect->axis(QCPAxis::atBottom)->coordToPixel(x - 0.5),
                                      rect->axis(QCPAxis::atLeft)->coordToPixel(y - 0.5)),
                              QPointF(rect->axis(QCPAxis::atBottom)->coordToPixel(x + 0.5),
                                      rect->axis(QCPAxis::atLeft)->coordToPixel(y + 0.5)));
            QToolTip::showText(help->globalPos(), text, plot, cell.normalized().toAlignedRect());
        }
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

// ----------------------------------------------------------------------------------------
// Exports

QCustomPlot *RoutingBrowser::plotOf(Matrix matrix) const
{
    return matrix == SimilarityMatrix ? m_simPlot : m_plot;
}

bool RoutingBrowser::savePlot(const QString &path, Matrix matrix, bool pdf, QString *error)
{
    if (!m_hasView || m_view.isEmpty()) {
        if (error)
            *error = tr("There is no matrix to export.");
        return false;
    }
    QCustomPlot *plot = plotOf(matrix);
    // A file leaves the browser: its title says which recording it shows, and the selection
    // outline (an on-screen aid) stays behind.
    QCPTextElement *title = matrix == SimilarityMatrix ? m_simTitle : m_plotTitle;
    const QString shownTitle = title->text();
    title->setText(setLabel(m_view.set) + QStringLiteral(" — ") + shownTitle);
    const bool outlined = m_outline->visible();
    m_outline->setVisible(false);
    const auto restore = qScopeGuard([&] {
        title->setText(shownTitle);
        m_outline->setVisible(outlined);
        plot->replot(QCustomPlot::rpQueuedReplot);
    });
    redrawNow();
    return ui::savePlot(plot, path, pdf ? ExportFormat::Pdf : ExportFormat::Png,
                        QSize(matrix == SimilarityMatrix ? 760 : 1000, 700), error);
}

bool RoutingBrowser::exportPng(const QString &path, Matrix matrix, QString *error)
{
    return savePlot(path, matrix, false, error);
}

bool RoutingBrowser::exportPdf(const QString &path, Matrix matrix, QString *error)
{
    return savePlot(path, matrix, true, error);
}

bool RoutingBrowser::exportCsv(const QString &path, Matrix matrix, QString *error)
{
    const auto fail = [&](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    if (!m_hasView || m_view.isEmpty())
        return fail(tr("There is no matrix to export."));
    // The routing matrix has the columns of `taskmoe routing --format csv`: the task, its tokens
    // in the layer (Σ top-1), its share per expert, and the entropy of those shares (nats).
    const RoutingView &v = m_view;
    const bool routing = matrix == RoutingMatrix;
    QStringList header{QStringLiteral("task")};
    if (routing) {
        header << QStringLiteral("tokens");
        for (int e = 0; e < v.experts; ++e)
            header << QStringLiteral("e%1").arg(e);
        header << QStringLiteral("entropy");
    } else {
        for (const QString &task : v.tasks)
            header << csvField(task);
    }
    QByteArray out = header.join(QLatin1Char(',')).toUtf8() + '\n';
    const auto &values = routing ? v.shares : v.similarity;
    for (int r = 0; r < v.tasks.size(); ++r) {
        const auto &row = values[std::size_t(r)];
        out += csvField(v.tasks[r]).toUtf8();
        if (routing)
            out += ',' + QByteArray::number(v.taskTokens[std::size_t(r)]);
        for (double x : row)
            out += ',' + QByteArray::number(x, 'g', 17);
        if (routing)
            out += ',' + QByteArray::number(core::entropy(row), 'g', 17);
        out += '\n';
    }
    return saveFile(path, out, error);
}

double RoutingBrowser::compareValue(int row, int expert) const
{
    if (!m_hasCompareView || row < 0 || row >= m_view.tasks.size())
        return std::nan("");
    const int other = int(m_compareView.tasks.indexOf(m_view.tasks[row]));
    if (other < 0)
        return std::nan("");
    const auto share = [](const RoutingView &v, int r, int e) {
        return e < v.experts ? v.shares[std::size_t(r)][std::size_t(e)] : 0.0;
    };
    const double theirs = share(m_compareView, other, expert);
    return CompareMode(m_compareModeCombo->currentData().toInt()) == CompareMode::Difference
               ? share(m_view, row, expert) - theirs
               : theirs;
}

void RoutingBrowser::drawCompare()
{
    const bool comparing = isComparing() && m_hasView;
    m_simPlot->setVisible(!comparing);
    m_comparePlot->setVisible(comparing);
    if (!comparing) {
        if (m_hasView)
            drawRouting();   // its own colour scale again
        m_plot->replot(QCustomPlot::rpQueuedReplot);
        return;
    }
    const RoutingView &v = m_view;
    const int rows = int(v.tasks.size()), experts = std::max(v.experts, m_compareView.experts);
    const bool difference = CompareMode(m_compareModeCombo->currentData().toInt()) == CompareMode::Difference;
    fillMap(m_compareMap, experts, rows, [&](int e, int t) {
        const double value = compareValue(t, e);
        return std::isnan(value) ? 0.0 : value;
    });
    double top = 0;
    for (int t = 0; t < rows; ++t)
        for (int e = 0; e < experts; ++e) {
            const double value = compareValue(t, e);
            if (!std::isnan(value))
                top = std::max(top, std::abs(value));
            if (!difference && e < v.experts)
                top = std::max(top, v.shares[std::size_t(t)][std::size_t(e)]);
        }
    if (top <= 0)
        top = 1;
    const QString measure = measureName(v.request.measure);
    if (difference) {
        m_compareMap->setGradient(QCPColorGradient(QCPColorGradient::gpPolar));
        m_compareMap->setDataRange(QCPRange(-top, top));
        m_compareScale->axis()->setLabel(tr("difference of the shares of %1").arg(measure));
    } else {
        // The same colour scale on both maps, so that equal colours mean equal shares.
        m_compareMap->setGradient(viridis());
        m_compareMap->setDataRange(QCPRange(0, top));
        m_map->setDataRange(QCPRange(0, top));
        m_compareScale->axis()->setLabel(tr("share of %1").arg(measure));
    }
    m_compareRect->axis(QCPAxis::atBottom)->setRange(-0.5, std::max(experts, 1) - 0.5);
    m_compareRect->axis(QCPAxis::atLeft)->setRange(-0.5, std::max(rows, 1) - 0.5);
    QStringList missing;
    for (const QString &task : v.tasks)
        if (!m_compareView.tasks.contains(task))
            missing << task;
    const QString where = layerName(m_compareView.request.side.value_or(db::Side::Encoder), m_compareView.request.layer);
    QString title = difference ? tr("Shown − %1, %2").arg(setLabel(m_compareView.set), where)
                               : tr("%1, %2 (same rows and colours)").arg(setLabel(m_compareView.set), where);
    if (m_compareView.request.layer != v.request.layer || m_compareView.request.side != v.request.side)
        title += tr(" — it has no %1").arg(layerName(v.request.side.value_or(db::Side::Encoder), v.request.layer));
    if (!missing.isEmpty())
        title += tr(" — no statistics for %1").arg(missing.join(QStringLiteral(", ")));
    m_compareTitle->setText(title);
    updateTickDensityFor(m_comparePlot);
    m_comparePlot->replot(QCustomPlot::rpQueuedReplot);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    emit comparisonShown();
}

} // namespace taskmoe::ui
