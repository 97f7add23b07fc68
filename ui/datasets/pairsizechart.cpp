#include "ui/datasets/pairsizechart.h"

#include "ui/datasets/datasetmodels.h"   // colours and number formatting shared with the tables

#include <qcustomplot.h>

#include <QFontMetrics>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace taskmoe::ui {

namespace {

/// Log ticks labelled as compact counts (100, 1k, 10k, 1M) instead of scientific notation.
class CountLogTicker : public QCPAxisTickerLog
{
protected:
    QString getTickLabel(double tick, const QLocale &, QChar, int) override
    {
        return formatCompactCount(std::llround(tick));
    }
};

QCPBars *makeBars(QCustomPlot *plot, const QString &resourceClass)
{
    auto *bars = new QCPBars(plot->xAxis, plot->yAxis);
    const QColor colour = resourceClassColor(resourceClass);
    bars->setName(resourceClassLabel(resourceClass));
    bars->setWidth(0.7);
    bars->setPen(QPen(colour.darker(130), 1));
    bars->setBrush(colour);
    bars->setSelectable(QCP::stNone);
    return bars;
}

constexpr double kLabelRotation = 45;   // degrees, when pair names do not fit side by side

} // namespace

PairSizeChart::PairSizeChart(QWidget *parent) : QWidget(parent)
{
    m_plot = new QCustomPlot(this);
    m_plot->setObjectName(QStringLiteral("pairSizePlot"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);

    m_plot->setBackground(palette().base());
    m_plot->setNoAntialiasingOnDrag(true);

    QFont titleFont = font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    titleFont.setBold(true);
    m_plot->plotLayout()->insertRow(0);
    m_title = new QCPTextElement(m_plot, QString(), titleFont);
    m_title->setMargins(QMargins(8, 6, 8, 0));
    m_plot->plotLayout()->addElement(0, 0, m_title);

    QCPAxis *x = m_plot->xAxis;
    QCPAxis *y = m_plot->yAxis;

    auto xTicker = QSharedPointer<QCPAxisTickerText>::create();
    xTicker->setSubTickCount(0);
    x->setTicker(xTicker);
    x->setSubTicks(false);
    x->setTickLength(0, 4);
    x->grid()->setVisible(false);
    x->setBasePen(QPen(palette().color(QPalette::Mid)));
    x->setLabel(tr("Language pair"));

    y->setScaleType(QCPAxis::stLogarithmic);
    auto yTicker = QSharedPointer<CountLogTicker>::create();
    yTicker->setLogBase(10);
    yTicker->setSubTickCount(8);   // 2..9 between decades
    y->setTicker(yTicker);
    y->setLabel(tr("Training sentences (log scale)"));
    y->grid()->setSubGridVisible(true);
    y->grid()->setPen(QPen(QColor(0, 0, 0, 45), 1, Qt::SolidLine));
    y->grid()->setSubGridPen(QPen(QColor(0, 0, 0, 20), 1, Qt::DotLine));
    y->setBasePen(QPen(palette().color(QPalette::Mid)));

    m_high = makeBars(m_plot, QStringLiteral("high"));
    m_low = makeBars(m_plot, QStringLiteral("low"));

    // The legend goes in its own row under the title, laid out horizontally: inside the
    // axis rect it would hide tall bars whatever corner it took.
    QCPLegend *legend = m_plot->legend;
    legend->setVisible(true);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    legend->setBorderPen(Qt::NoPen);
    legend->setBrush(Qt::NoBrush);
    legend->setColumnSpacing(16);
    legend->setMargins(QMargins(4, 0, 4, 0));
    legend->setIconSize(14, 10);
    m_plot->axisRect()->insetLayout()->take(legend);
    m_plot->plotLayout()->insertRow(1);
    // Centred between two empty elements that take the spare width.
    auto *legendRow = new QCPLayoutGrid;
    m_plot->plotLayout()->addElement(1, 0, legendRow);
    legendRow->addElement(0, 0, new QCPLayoutElement(m_plot));
    legendRow->addElement(0, 1, legend);
    legendRow->addElement(0, 2, new QCPLayoutElement(m_plot));
    legendRow->setColumnStretchFactors({1, 0.001, 1});
    m_plot->plotLayout()->setRowSpacing(0);
    m_plot->plotLayout()->setRowStretchFactor(0, 0.001);
    m_plot->plotLayout()->setRowStretchFactor(1, 0.001);

    connect(m_plot, &QCustomPlot::mouseMove, this, &PairSizeChart::showToolTip);

    clear();
}

PairSizeChart::~PairSizeChart() = default;

void PairSizeChart::setDataset(const db::DatasetRecord &dataset)
{
    m_hasDataset = true;
    m_datasetName = dataset.name;
    m_bars.clear();
    m_bars.reserve(static_cast<size_t>(dataset.pairs.size()));
    for (const auto &p : dataset.pairs)
        m_bars.push_back({p.name(), p.resourceClass, p.train});
    // Largest first: the imbalance reads as a descending staircase, and the top right of
    // the plot stays free for the legend.
    std::stable_sort(m_bars.begin(), m_bars.end(), [](const Bar &a, const Bar &b) {
        return a.train > b.train;
    });
    rebuild();
}

void PairSizeChart::clear()
{
    m_hasDataset = false;
    m_datasetName.clear();
    m_bars.clear();
    rebuild();
}

int PairSizeChart::barCount() const
{
    return m_high->dataCount() + m_low->dataCount();
}

QString PairSizeChart::title() const
{
    return m_title->text();
}

QSize PairSizeChart::sizeHint() const
{
    return {640, 420};
}

QSize PairSizeChart::minimumSizeHint() const
{
    return {320, 240};
}

void PairSizeChart::rebuild()
{
    m_plot->clearItems();
    m_labels.clear();

    QVector<double> highKeys, highValues, lowKeys, lowValues;
    QVector<double> tickPositions;
    QVector<QString> tickLabels;
    qint64 minTrain = 0, maxTrain = 0;
    for (size_t i = 0; i < m_bars.size(); ++i) {
        const Bar &bar = m_bars[i];
        const double key = static_cast<double>(i);
        tickPositions << key;
        tickLabels << bar.pair;
        m_labels << bar.pair;
        if (bar.train <= 0)
            continue;   // no bar on a log axis
        minTrain = minTrain == 0 ? bar.train : std::min(minTrain, bar.train);
        maxTrain = std::max(maxTrain, bar.train);
        if (bar.resourceClass == QLatin1String("low")) {
            lowKeys << key;
            lowValues << static_cast<double>(bar.train);
        } else {
            highKeys << key;
            highValues << static_cast<double>(bar.train);
        }
    }
    m_high->setData(highKeys, highValues, true);
    m_low->setData(lowKeys, lowValues, true);

    auto xTicker = qSharedPointerDynamicCast<QCPAxisTickerText>(m_plot->xAxis->ticker());
    xTicker->setTicks(tickPositions, tickLabels);

    // Legend: only the classes present.
    for (QCPBars *bars : {m_high, m_low}) {
        bars->removeFromLegend();
        if (!bars->data()->isEmpty())
            bars->addToLegend();
    }
    m_plot->legend->setVisible(m_plot->legend->itemCount() > 0);
    m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);   // re-flow after changes

    // From a whole decade, with room above the tallest bar for its value label.
    double lower = 1, upper = 1000;
    if (maxTrain > 0) {
        lower = std::pow(10.0, std::floor(std::log10(static_cast<double>(minTrain) / 2.0)));
        lower = std::max(lower, 1.0);
        // Room above the tallest bar for its value label; the grid still marks decades.
        upper = static_cast<double>(maxTrain) * 2.2;
        // Up to the next decade when that is close, so the top of the axis has a label.
        const double decade = std::pow(10.0, std::ceil(std::log10(upper)));
        if (decade / upper < 2.5)
            upper = decade;
    }
    // The bars keep their base value 0: QCPBars draws a bar from base to base + value, and a
    // log axis maps 0 below the axis rect, so bars grow from the bottom edge. (A base at
    // `lower` drew every bar `lower` too tall.)
    m_plot->yAxis->setRange(lower, upper);
    const double n = static_cast<double>(m_bars.size());
    m_plot->xAxis->setRange(-0.6, std::max(n, 1.0) - 0.4);

    // Value labels above the bars.
    QFont valueFont = font();
    valueFont.setPointSizeF(valueFont.pointSizeF() * 0.85);
    for (size_t i = 0; i < m_bars.size(); ++i) {
        if (m_bars[i].train <= 0)
            continue;
        auto *label = new QCPItemText(m_plot);
        label->setObjectName(QStringLiteral("valueLabel"));
        label->position->setType(QCPItemPosition::ptPlotCoords);
        label->position->setCoords(static_cast<double>(i), static_cast<double>(m_bars[i].train));
        label->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
        label->setPadding(QMargins(0, 0, 0, 2));
        label->setFont(valueFont);
        label->setColor(palette().color(QPalette::Text));
        label->setText(formatCompactCount(m_bars[i].train));
        label->setSelectable(false);
    }

    if (!m_hasDataset) {
        m_title->setText(tr("No dataset selected"));
    } else if (m_bars.empty()) {
        m_title->setText(tr("%1: no language pairs").arg(m_datasetName));
    } else {
        m_title->setText(tr("Training sentences per pair — %1").arg(m_datasetName));
    }
    m_plot->xAxis->setTickLabels(!m_bars.empty());
    m_plot->yAxis->setTickLabels(maxTrain > 0);

    updateLabelRotation();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void PairSizeChart::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    const double before = m_plot->xAxis->tickLabelRotation();
    updateLabelRotation();
    if (m_plot->xAxis->tickLabelRotation() != before)
        m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void PairSizeChart::updateLabelRotation()
{
    if (m_bars.empty()) {
        m_plot->xAxis->setTickLabelRotation(0);
        return;
    }
    // The axis rect is not laid out before the first replot: estimate its width from the
    // widget's, less the left margin taken by the y axis labels.
    const int plotWidth = std::max(100, m_plot->width() - 90);
    const double slot = static_cast<double>(plotWidth) / static_cast<double>(m_bars.size());

    const QFontMetrics tickMetrics(m_plot->xAxis->tickLabelFont());
    int widest = 0;
    for (const QString &label : m_labels)
        widest = std::max(widest, tickMetrics.horizontalAdvance(label));
    m_plot->xAxis->setTickLabelRotation(widest + 10 > slot ? kLabelRotation : 0);

    // Value labels only when they fit over their bar without touching the neighbours.
    int widestValue = 0;
    QList<QCPItemText *> valueLabels;
    for (int i = 0; i < m_plot->itemCount(); ++i) {
        if (auto *text = qobject_cast<QCPItemText *>(m_plot->item(i))) {
            valueLabels << text;
            widestValue = std::max(widestValue,
                                   QFontMetrics(text->font()).horizontalAdvance(text->text()));
        }
    }
    const bool showValues = widestValue + 4 <= slot;
    for (QCPItemText *text : valueLabels)
        text->setVisible(showValues);
}

void PairSizeChart::showToolTip(QMouseEvent *event)
{
    const QPointF pos = event->position();
    if (m_bars.empty() || !m_plot->axisRect()->rect().contains(pos.toPoint())) {
        QToolTip::hideText();
        return;
    }
    const double key = m_plot->xAxis->pixelToCoord(pos.x());
    const long index = std::lround(key);
    if (index < 0 || index >= static_cast<long>(m_bars.size()) || std::abs(key - index) > 0.4) {
        QToolTip::hideText();
        return;
    }
    const Bar &bar = m_bars[static_cast<size_t>(index)];
    QToolTip::showText(event->globalPosition().toPoint(),
                       tr("%1: %2 training sentences (%3)")
                           .arg(bar.pair, formatCount(bar.train),
                                resourceClassLabel(bar.resourceClass).toLower()),
                       m_plot);
}

} // namespace taskmoe::ui
