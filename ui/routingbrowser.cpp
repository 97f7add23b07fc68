#include "ui/routingbrowser.h"

#include "ui/datasetmodels.h"   // formatCount
#include "ui/routingstatsmodel.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHelpEvent>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QSaveFile>
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
#include <cstdio>
#include <functional>

namespace taskmoe::ui {

namespace {

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

QString csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString layerName(const QString &side, int layer)
{
    return QStringLiteral("%1 %2").arg(side).arg(layer);
}

} // namespace

RoutingBrowser::RoutingBrowser(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("routingBrowser"));
    m_thread = new RoutingStatsThread(this);
    connect(m_thread, &RoutingStatsThread::listed, this, &RoutingBrowser::onListed);
    connect(m_thread, &RoutingStatsThread::computed, this, &RoutingBrowser::onComputed);
    connect(m_thread, &RoutingStatsThread::failed, this, &RoutingBrowser::onFailed);

    QWidget *controls = buildControls();

    m_empty = new QLabel;
    m_empty->setObjectName(QStringLiteral("noRoutingLabel"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setTextFormat(Qt::RichText);
    m_empty->setEnabled(false);   // the palette's muted text colour, as the Runs tab's

    m_title = new QLabel;
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_note = new QLabel;
    m_note->setObjectName(QStringLiteral("routingNote"));
    m_note->setWordWrap(true);

    buildPlots();

    m_summaryModel = new LayerSummaryModel(this);
    m_summaryView = new QTableView;
    m_summaryView->setObjectName(QStringLiteral("layerSummaryView"));
    m_summaryView->setModel(m_summaryModel);
    m_summaryView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_summaryView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_summaryView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_summaryView->setAlternatingRowColors(true);
    m_summaryView->setWordWrap(false);
    m_summaryView->verticalHeader()->setVisible(false);
    m_summaryView->verticalHeader()->setDefaultSectionSize(m_summaryView->fontMetrics().height() + 8);
    m_summaryView->horizontalHeader()->setHighlightSections(false);
    m_summaryView->horizontalHeader()->setMinimumSectionSize(44);
    m_summaryView->setToolTip(tr("Load balance and dropped tokens of every MoE layer, over all tasks. "
                                 "Click a layer to show it."));
    connect(m_summaryView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                if (m_selectingSummary)
                    return;
                if (const LayerSummary *s = m_summaryModel->rowAt(current.row())) {
                    setSide(s->side);
                    setLayer(s->layer);
                }
            });

    auto *top = new QSplitter(Qt::Horizontal);
    top->addWidget(m_plot);
    top->addWidget(m_simPlot);
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 2);
    top->setChildrenCollapsible(false);
    auto *bottom = new QSplitter(Qt::Horizontal);
    bottom->addWidget(m_profilePlot);
    bottom->addWidget(m_summaryView);
    bottom->setStretchFactor(0, 1);
    bottom->setStretchFactor(1, 1);
    bottom->setSizes({560, 700});   // the table's columns all visible
    bottom->setChildrenCollapsible(false);
    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(top);
    splitter->addWidget(bottom);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({640, 200});   // the maps need the height: one labelled row per task
    splitter->setChildrenCollapsible(false);

    auto *content = new QWidget;
    auto *contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    contentLayout->addWidget(m_title);
    contentLayout->addWidget(m_note);
    contentLayout->addWidget(splitter, 1);

    m_stack = new QStackedWidget;
    m_stack->addWidget(m_empty);
    m_stack->addWidget(content);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(controls);
    layout->addWidget(m_stack, 1);

    openStore(QString());
}

RoutingBrowser::~RoutingBrowser() = default;

QWidget *RoutingBrowser::buildControls()
{
    m_setCombo = new QComboBox;
    m_setCombo->setObjectName(QStringLiteral("statSetCombo"));
    m_setCombo->setMinimumContentsLength(32);
    m_setCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_setCombo->setToolTip(tr("The recorded routing statistics: a run's checkpoint, as taskmoe eval stored them."));

    m_sideCombo = new QComboBox;
    m_sideCombo->addItem(tr("encoder"), QStringLiteral("encoder"));
    m_sideCombo->addItem(tr("decoder"), QStringLiteral("decoder"));
    m_sideCombo->setToolTip(tr("The encoder or the decoder stack."));

    m_layerCombo = new QComboBox;
    m_layerCombo->setMinimumContentsLength(3);
    m_layerCombo->setToolTip(tr("The MoE layer (index in its stack); only layers with statistics are listed."));

    m_measureCombo = new QComboBox;
    m_measureCombo->addItem(tr("top-1 choices"), int(RoutingMeasure::Top1));
    m_measureCombo->addItem(tr("top-k choices"), int(RoutingMeasure::TopK));
    m_measureCombo->addItem(tr("gate mass"), int(RoutingMeasure::GateMass));
    m_measureCombo->addItem(tr("processed"), int(RoutingMeasure::Processed));
    m_measureCombo->setToolTip(tr("What the colour counts: tokens whose first choice was the expert, tokens that chose it "
                                  "among their top k, their summed gate weight, or the copies it processed after "
                                  "capacity limits. Each row is divided by its sum."));

    m_orderCombo = new QComboBox;
    m_orderCombo->addItem(tr("name"), int(RowOrder::Name));
    m_orderCombo->addItem(tr("resource size"), int(RowOrder::ResourceSize));
    m_orderCombo->addItem(tr("clustering"), int(RowOrder::Clustering));
    m_orderCombo->setToolTip(tr("Order of the tasks: by name, largest training set first, or by average-linkage "
                                "clustering of their expert distributions (Jensen–Shannon), with the dendrogram."));

    m_similarityCombo = new QComboBox;
    m_similarityCombo->addItem(tr("Jensen–Shannon"), int(core::Similarity::JensenShannon));
    m_similarityCombo->addItem(tr("cosine"), int(core::Similarity::Cosine));
    m_similarityCombo->setToolTip(tr("Task similarity: 1 − Jensen–Shannon divergence (bits) of the two tasks' expert "
                                     "distributions, or their cosine."));

    auto *refresh = new QToolButton;
    refresh->setText(tr("Refresh"));
    refresh->setToolTip(tr("List the recorded statistics again (after a taskmoe eval)."));
    connect(refresh, &QToolButton::clicked, this, &RoutingBrowser::refresh);

    m_exportButton = new QToolButton;
    m_exportButton->setText(tr("Export"));
    m_exportButton->setPopupMode(QToolButton::InstantPopup);
    auto *menu = new QMenu(m_exportButton);
    const auto addExport = [this, menu](const QString &text, Matrix matrix, const QString &suffix, const QString &filter) {
        menu->addAction(text, this, [this, matrix, suffix, filter] {
            const QString name = (matrix == RoutingMatrix ? QStringLiteral("routing.") : QStringLiteral("similarity."))
                                 + suffix;
            const QString path = QFileDialog::getSaveFileName(this, tr("Export"), name, filter);
            if (path.isEmpty())
                return;
            QString error;
            const bool ok = suffix == QLatin1String("png")   ? exportPng(path, matrix, &error)
                            : suffix == QLatin1String("pdf") ? exportPdf(path, matrix, &error)
                                                             : exportCsv(path, matrix, &error);
            if (!ok)
                QMessageBox::warning(this, tr("Export failed"), error);
        });
    };
    const QString png = tr("PNG images (*.png)"), pdf = tr("PDF documents (*.pdf)"), csv = tr("CSV files (*.csv)");
    addExport(tr("Routing matrix as PNG…"), RoutingMatrix, QStringLiteral("png"), png);
    addExport(tr("Routing matrix as PDF…"), RoutingMatrix, QStringLiteral("pdf"), pdf);
    addExport(tr("Routing matrix as CSV…"), RoutingMatrix, QStringLiteral("csv"), csv);
    menu->addSeparator();
    addExport(tr("Similarity matrix as PNG…"), SimilarityMatrix, QStringLiteral("png"), png);
    addExport(tr("Similarity matrix as PDF…"), SimilarityMatrix, QStringLiteral("pdf"), pdf);
    addExport(tr("Similarity matrix as CSV…"), SimilarityMatrix, QStringLiteral("csv"), csv);
    m_exportButton->setMenu(menu);

    connect(m_setCombo, &QComboBox::currentIndexChanged, this, [this] {
        fillLayerChoices();
        request();
    });
    connect(m_sideCombo, &QComboBox::currentIndexChanged, this, [this] {
        fillLayerChoices();
        request();
    });
    for (QComboBox *combo : {m_layerCombo, m_measureCombo, m_orderCombo, m_similarityCombo})
        connect(combo, &QComboBox::currentIndexChanged, this, &RoutingBrowser::request);

    // Two rows: what to look at (and what to do with it), then how to look at it.
    auto *widget = new QWidget;
    auto *rows = new QVBoxLayout(widget);
    rows->setContentsMargins(0, 0, 0, 0);
    rows->setSpacing(4);
    auto *first = new QHBoxLayout;
    auto *second = new QHBoxLayout;
    rows->addLayout(first);
    rows->addLayout(second);
    const auto labelled = [](QHBoxLayout *row, const QString &text, QWidget *field, int stretch = 0) {
        auto *label = new QLabel(text);
        label->setBuddy(field);
        row->addWidget(label);
        row->addWidget(field, stretch);
        row->addSpacing(10);
    };
    labelled(first, tr("&Statistics"), m_setCombo, 1);
    first->addWidget(refresh);
    first->addWidget(m_exportButton);
    labelled(second, tr("S&ide"), m_sideCombo);
    labelled(second, tr("&Layer"), m_layerCombo);
    labelled(second, tr("&Measure"), m_measureCombo);
    labelled(second, tr("&Rows"), m_orderCombo);
    labelled(second, tr("Simi&larity"), m_similarityCombo);
    second->addStretch(1);
    return widget;
}

void RoutingBrowser::buildPlots()
{
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.9);

    const auto makePlot = [this](const QString &name) {
        auto *plot = new QCustomPlot;
        plot->setObjectName(name);
        plot->setBackground(palette().base());
        plot->plotLayout()->clear();
        plot->installEventFilter(this);
        return plot;
    };

    // Routing: title over [dendrogram (when clustering), map, colour scale].
    m_plot = makePlot(QStringLiteral("routingPlot"));
    m_plot->setMinimumSize(420, 300);
    m_plotTitle = addTitle(m_plot, small);
    m_grid = new QCPLayoutGrid;
    m_plot->plotLayout()->addElement(1, 0, m_grid);
    m_rect = makeMapRect(m_plot, small);
    m_rect->axis(QCPAxis::atBottom)->setLabel(tr("expert"));
    m_scale = makeScale(m_plot, small);
    m_map = makeMap(m_rect, m_scale);
    m_dendrogram = new QCPAxisRect(m_plot);
    for (QCPAxis *axis : m_dendrogram->axes()) {
        axis->grid()->setVisible(false);
        axis->setTickLabelFont(small);
        axis->setLabelFont(small);
    }
    m_dendrogram->axis(QCPAxis::atLeft)->setVisible(false);
    m_dendrogram->axis(QCPAxis::atLeft)->setRangeReversed(true);
    m_dendrogram->axis(QCPAxis::atBottom)->setRangeReversed(true);   // root on the left, leaves at the labels
    m_dendrogram->axis(QCPAxis::atBottom)->setLabel(tr("JS divergence"));
    m_dendrogram->axis(QCPAxis::atBottom)->ticker()->setTickCount(2);
    m_dendrogram->setMinimumSize(90, 50);
    m_dendrogram->setMaximumSize(130, QWIDGETSIZE_MAX);
    m_dendrogram->setVisible(false);
    auto *margins = new QCPMarginGroup(m_plot);
    for (QCPLayoutElement *e : std::initializer_list<QCPLayoutElement *>{m_dendrogram, m_rect, m_scale})
        e->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    m_grid->addElement(0, 0, m_rect);
    m_grid->addElement(0, 1, m_scale);
    m_grid->setColumnStretchFactor(1, 0.01);
    m_grid->setColumnSpacing(8);
    m_outline = makeOutline(m_plot, m_rect);   // once the rect is in the layout
    m_outline->setObjectName(QStringLiteral("selectedRow"));
    connect(m_plot, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        int column = -1;
        const int row = rowAt(m_rect, event->position().toPoint(), int(m_view.tasks.size()), &column);
        if (row >= 0)
            selectTask(m_view.tasks[row]);
    });

    // Similarity: title over [map, colour scale].
    m_simPlot = makePlot(QStringLiteral("similarityPlot"));
    m_simPlot->setMinimumSize(320, 300);
    m_simTitle = addTitle(m_simPlot, small);
    auto *simGrid = new QCPLayoutGrid;
    m_simPlot->plotLayout()->addElement(1, 0, simGrid);
    m_simRect = makeMapRect(m_simPlot, small);
    m_simRect->axis(QCPAxis::atBottom)->setTickLabelRotation(-90);
    m_simScale = makeScale(m_simPlot, small);
    m_simMap = makeMap(m_simRect, m_simScale);
    auto *simMargins = new QCPMarginGroup(m_simPlot);
    m_simRect->setMarginGroup(QCP::msTop | QCP::msBottom, simMargins);
    m_simScale->setMarginGroup(QCP::msTop | QCP::msBottom, simMargins);
    simGrid->addElement(0, 0, m_simRect);
    simGrid->addElement(0, 1, m_simScale);
    simGrid->setColumnStretchFactor(1, 0.01);
    simGrid->setColumnSpacing(8);
    connect(m_simPlot, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        const int row = rowAt(m_simRect, event->position().toPoint(), int(m_view.tasks.size()));
        if (row >= 0)
            selectTask(m_view.tasks[row]);
    });

    // The selected task in every MoE layer: title over [map, colour scale].
    m_profilePlot = makePlot(QStringLiteral("profilePlot"));
    m_profilePlot->setMinimumSize(320, 160);
    m_profileTitle = addTitle(m_profilePlot, small);
    auto *profileGrid = new QCPLayoutGrid;
    m_profilePlot->plotLayout()->addElement(1, 0, profileGrid);
    m_profileRect = makeMapRect(m_profilePlot, small);
    m_profileRect->axis(QCPAxis::atBottom)->setLabel(tr("expert"));
    m_profileScale = makeScale(m_profilePlot, small);
    m_profileMap = makeMap(m_profileRect, m_profileScale);
    m_profileScale->axis()->ticker()->setTickCount(3);   // a short bar
    auto *profileMargins = new QCPMarginGroup(m_profilePlot);
    m_profileRect->setMarginGroup(QCP::msTop | QCP::msBottom, profileMargins);
    m_profileScale->setMarginGroup(QCP::msTop | QCP::msBottom, profileMargins);
    profileGrid->addElement(0, 0, m_profileRect);
    profileGrid->addElement(0, 1, m_profileScale);
    profileGrid->setColumnStretchFactor(1, 0.01);
    profileGrid->setColumnSpacing(8);
    m_profileOutline = makeOutline(m_profilePlot, m_profileRect);
    connect(m_profilePlot, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        // Clicking a layer of the profile shows that layer.
        const int row = rowAt(m_profileRect, event->position().toPoint(), int(m_view.summaries.size()));
        if (row >= 0) {
            setSide(m_view.summaries[std::size_t(row)].side);
            setLayer(m_view.summaries[std::size_t(row)].layer);
        }
    });

    for (QCustomPlot *plot : {m_plot, m_simPlot, m_profilePlot})
        connect(plot, &QCustomPlot::afterLayout, this, [this, plot] {
            // Tick labels thin out to what fits; that is only known once the plot is laid out.
            if (updateTickDensityFor(plot))
                plot->replot(QCustomPlot::rpQueuedReplot);
        });
}

void RoutingBrowser::openStore(const QString &path)
{
    if (!path.isEmpty() && path == m_path) {
        refresh();
        return;
    }
    m_path = path;
    m_listed = false;
    m_sets.clear();
    m_hasView = false;
    m_view = RoutingView();
    m_requested = 0;
    m_error.clear();
    {
        const QSignalBlocker block(m_setCombo);
        m_setCombo->clear();
    }
    m_thread->open(path);
    showPage(false, !m_path.isEmpty() ? tr("<p>Reading routing statistics…</p>")
                                : tr("<p style='font-size:large'>No store open</p>"
                                     "<p>Open one with File → Open store….</p>"));
}

void RoutingBrowser::refresh()
{
    if (!m_path.isEmpty())
        m_thread->list();
}

void RoutingBrowser::onListed(const RoutingStatListing &listing)
{
    const qint64 oldModel = currentModelId(), oldStep = currentStep();
    m_sets = listing.sets;
    m_listed = true;
    {
        const QSignalBlocker block(m_setCombo);
        m_setCombo->clear();
        for (int i = 0; i < m_sets.size(); ++i)
            m_setCombo->addItem(setLabel(m_sets[i]), i);
        int index = -1;
        for (int i = 0; i < m_sets.size(); ++i)
            if (m_sets[i].modelId == oldModel && m_sets[i].step == oldStep)
                index = i;
        // The newest recording when nothing was shown: what a researcher just evaluated.
        m_setCombo->setCurrentIndex(index >= 0 ? index : int(m_sets.size()) - 1);
    }
    applyPending();
    for (QWidget *w : std::initializer_list<QWidget *>{m_setCombo, m_sideCombo, m_layerCombo, m_measureCombo, m_orderCombo,
                                                       m_similarityCombo, m_exportButton})
        w->setEnabled(!m_sets.isEmpty());
    if (m_sets.isEmpty()) {
        m_hasView = false;
        m_view = RoutingView();
        showPage(false, tr("<p style='font-size:large'>No routing statistics yet — run taskmoe eval</p>"
                           "<p>An evaluation records, for every MoE layer, task and expert, how many tokens chose "
                           "the expert first, among their top k, with what gate weight, and how many it processed "
                           "after capacity limits. They appear here once stored.</p>"));
    } else {
        // Read again even when the same set stays selected: a new evaluation may have replaced it.
        fillLayerChoices();
        request();
    }
    emit statSetsListed(int(m_sets.size()));
}

bool RoutingBrowser::applyPending()
{
    if (!m_pending.active)
        return false;
    int index = -1;
    for (int i = 0; i < m_sets.size(); ++i) {
        const db::RoutingStatSet &s = m_sets[i];
        const bool match = m_pending.byRun ? s.runId == m_pending.id && (m_pending.step < 0 || s.step == m_pending.step)
                                           : s.modelId == m_pending.id && s.step == m_pending.step;
        if (match)
            index = i;   // the newest match (the listing is ordered by step)
    }
    if (index < 0)
        return false;
    m_pending = Pending();
    const QSignalBlocker block(m_setCombo);
    m_setCombo->setCurrentIndex(index);
    return true;
}

bool RoutingBrowser::selectStatSet(qint64 modelId, qint64 step)
{
    m_pending = {true, false, modelId, step};
    if (!m_listed || !applyPending())
        return false;
    fillLayerChoices();
    request();
    return true;
}

bool RoutingBrowser::selectRunStatSet(qint64 runId, qint64 step)
{
    m_pending = {true, true, runId, step};
    if (!m_listed || !applyPending())
        return false;
    fillLayerChoices();
    request();
    return true;
}

qint64 RoutingBrowser::currentModelId() const
{
    const int i = m_setCombo->currentData().isValid() ? m_setCombo->currentData().toInt() : -1;
    return i >= 0 && i < m_sets.size() ? m_sets[i].modelId : 0;
}

qint64 RoutingBrowser::currentStep() const
{
    const int i = m_setCombo->currentData().isValid() ? m_setCombo->currentData().toInt() : -1;
    return i >= 0 && i < m_sets.size() ? m_sets[i].step : 0;
}

QString RoutingBrowser::setLabel(const db::RoutingStatSet &set) const
{
    QString label = set.runId > 0 ? tr("Run %1").arg(set.runId) : tr("Model %1").arg(set.modelId);
    if (!set.runName.isEmpty())
        label += QStringLiteral(" · ") + set.runName;
    label += QStringLiteral(" · ") + tr("step %1").arg(set.step);
    if (set.modelKind != QLatin1String("full") && !set.modelKind.isEmpty())
        label += QStringLiteral(" · ") + set.modelKind + (set.modelTask.isEmpty() ? QString() : QLatin1Char(' ') + set.modelTask);
    return label;
}

void RoutingBrowser::fillLayerChoices()
{
    const int i = m_setCombo->currentData().isValid() ? m_setCombo->currentData().toInt() : -1;
    const db::RoutingStatSet set = i >= 0 && i < m_sets.size() ? m_sets[i] : db::RoutingStatSet();
    const QSignalBlocker blockSide(m_sideCombo);
    const QSignalBlocker blockLayer(m_layerCombo);
    auto *sides = qobject_cast<QStandardItemModel *>(m_sideCombo->model());
    const bool has[2] = {!set.encoderLayers.isEmpty(), !set.decoderLayers.isEmpty()};
    for (int s = 0; s < 2; ++s)
        if (sides)
            sides->item(s)->setEnabled(has[s]);
    if (!has[m_sideCombo->currentIndex()] && (has[0] || has[1]))
        m_sideCombo->setCurrentIndex(has[0] ? 0 : 1);
    const QVector<int> &layers = m_sideCombo->currentIndex() == 0 ? set.encoderLayers : set.decoderLayers;
    const QVariant old = m_layerCombo->currentData();
    m_layerCombo->clear();
    for (int layer : layers)
        m_layerCombo->addItem(QString::number(layer), layer);
    const int keep = old.isValid() ? m_layerCombo->findData(old) : -1;
    m_layerCombo->setCurrentIndex(keep >= 0 ? keep : (layers.isEmpty() ? -1 : 0));
}

void RoutingBrowser::setSide(const QString &side)
{
    const int index = m_sideCombo->findData(side);
    if (index >= 0)
        m_sideCombo->setCurrentIndex(index);
}

void RoutingBrowser::setLayer(int layer)
{
    const int index = m_layerCombo->findData(layer);
    if (index >= 0)
        m_layerCombo->setCurrentIndex(index);
}

void RoutingBrowser::setMeasure(RoutingMeasure measure)
{
    m_measureCombo->setCurrentIndex(m_measureCombo->findData(int(measure)));
}

void RoutingBrowser::setRowOrder(RowOrder order)
{
    m_orderCombo->setCurrentIndex(m_orderCombo->findData(int(order)));
}

void RoutingBrowser::setSimilarity(core::Similarity similarity)
{
    m_similarityCombo->setCurrentIndex(m_similarityCombo->findData(int(similarity)));
}

void RoutingBrowser::request()
{
    const qint64 modelId = currentModelId();
    if (modelId == 0)
        return;
    RoutingRequest r;
    r.modelId = modelId;
    r.step = currentStep();
    r.side = m_sideCombo->currentData().toString();
    r.layer = m_layerCombo->currentData().isValid() ? m_layerCombo->currentData().toInt() : -1;
    r.measure = RoutingMeasure(m_measureCombo->currentData().toInt());
    r.order = RowOrder(m_orderCombo->currentData().toInt());
    r.similarity = core::Similarity(m_similarityCombo->currentData().toInt());
    m_requested = m_thread->compute(r);
}

void RoutingBrowser::onComputed(const RoutingView &view)
{
    if (view.request.serial != m_requested)
        return;   // an answer to a request that has been superseded
    m_view = view;
    m_hasView = true;
    m_error.clear();
    if (!m_view.tasks.contains(m_selectedTask))
        m_selectedTask = m_view.tasks.value(0);
    redraw();
    showPage(true);
    emit viewShown();
}

void RoutingBrowser::onFailed(const QString &message)
{
    m_error = message;
    if (m_hasView) {
        m_note->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(message.toHtmlEscaped()));
        m_note->setVisible(true);
    } else {
        showPage(false, QStringLiteral("<p style='font-size:large'>%1</p><p>%2</p>")
                            .arg(tr("The routing statistics could not be read"), message.toHtmlEscaped()));
    }
    emit failed(message);
}

void RoutingBrowser::showPage(bool content, const QString &message)
{
    if (!content)
        m_empty->setText(message);
    m_stack->setCurrentIndex(content ? 1 : 0);
}

QString RoutingBrowser::message() const
{
    return m_stack->currentIndex() == 0 ? m_empty->text() : m_note->text();
}

void RoutingBrowser::selectTask(const QString &task)
{
    if (!m_view.profiles.count(task))
        return;
    m_selectedTask = task;
    outlineRow(m_outline, int(m_view.tasks.indexOf(task)), m_view.experts);
    drawProfile();
    updateTickDensityFor(m_profilePlot);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    m_profilePlot->replot(QCustomPlot::rpQueuedReplot);
}

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
                                           .arg(v.request.side == QLatin1String("encoder") ? tr("Encoder") : tr("Decoder"))
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
    const int row = m_summaryModel->rowOf(m_view.request.side, m_view.request.layer);
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
    lines << tr("%1 → expert %2 (%3 MoE layer %4)").arg(v.tasks[row]).arg(expert).arg(v.request.side).arg(v.request.layer);
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
        .arg(m_selectedTask, l.side)
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
    const QString temporary = path + QStringLiteral(".part");
    // As shown, unless the plot is not laid out on screen (hidden tab, tests).
    const bool shown = plot->isVisible() && plot->width() >= 300;
    const int width = shown ? 0 : (matrix == SimilarityMatrix ? 760 : 1000);
    const int height = shown ? 0 : 700;
    const bool ok = pdf ? plot->savePdf(temporary, width, height) : plot->savePng(temporary, width, height, 2.0);
    if (!ok || std::rename(QFile::encodeName(temporary).constData(), QFile::encodeName(path).constData()) != 0) {
        QFile::remove(temporary);
        if (error)
            *error = tr("Cannot write %1.").arg(path);
        return false;
    }
    return true;
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
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
        return fail(tr("Cannot write %1: %2").arg(path, file.errorString()));
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
    file.write(out);
    if (!file.commit())
        return fail(tr("Cannot write %1: %2").arg(path, file.errorString()));
    return true;
}

} // namespace taskmoe::ui
