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
#include <QSlider>
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

RoutingBrowser::RoutingBrowser(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("routingBrowser"));
    m_thread = new RoutingStatsThread(this);
    connect(m_thread, &RoutingStatsThread::listed, this, &RoutingBrowser::onListed);
    connect(m_thread, &RoutingStatsThread::computed, this, &RoutingBrowser::onComputed);
    connect(m_thread, &RoutingStatsThread::failed, this, &RoutingBrowser::onFailed);
    m_compareThread = new RoutingStatsThread(this);
    connect(m_compareThread, &RoutingStatsThread::computed, this, &RoutingBrowser::onCompareComputed);
    connect(m_compareThread, &RoutingStatsThread::failed, this, &RoutingBrowser::onFailed);

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
    top->setObjectName(QStringLiteral("routingTopSplitter"));
    top->addWidget(m_plot);
    top->addWidget(m_simPlot);
    top->addWidget(m_comparePlot);
    m_comparePlot->hide();
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 2);
    top->setChildrenCollapsible(false);
    auto *bottom = new QSplitter(Qt::Horizontal);
    bottom->setObjectName(QStringLiteral("routingBottomSplitter"));
    bottom->addWidget(m_profilePlot);
    bottom->addWidget(m_summaryView);
    bottom->setStretchFactor(0, 1);
    bottom->setStretchFactor(1, 1);
    bottom->setSizes({560, 700});   // the table's columns all visible
    bottom->setChildrenCollapsible(false);
    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->setObjectName(QStringLiteral("routingSplitter"));
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
    m_sideCombo->addItem(tr("encoder"), int(db::Side::Encoder));
    m_sideCombo->addItem(tr("decoder"), int(db::Side::Decoder));
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
    const auto addExport = [this, menu](const QString &text, Matrix matrix, ExportFormat format) {
        menu->addAction(text, this, [this, matrix, format] {
            exportWithDialog(this, matrix == RoutingMatrix ? QStringLiteral("routing") : QStringLiteral("similarity"), format,
                             [this, matrix, format](const QString &path, QString *error) {
                                 return format == ExportFormat::Png   ? exportPng(path, matrix, error)
                                        : format == ExportFormat::Pdf ? exportPdf(path, matrix, error)
                                                                      : exportCsv(path, matrix, error);
                             });
        });
    };
    addExport(tr("Routing matrix as PNG…"), RoutingMatrix, ExportFormat::Png);
    addExport(tr("Routing matrix as PDF…"), RoutingMatrix, ExportFormat::Pdf);
    addExport(tr("Routing matrix as CSV…"), RoutingMatrix, ExportFormat::Csv);
    menu->addSeparator();
    addExport(tr("Similarity matrix as PNG…"), SimilarityMatrix, ExportFormat::Png);
    addExport(tr("Similarity matrix as PDF…"), SimilarityMatrix, ExportFormat::Pdf);
    addExport(tr("Similarity matrix as CSV…"), SimilarityMatrix, ExportFormat::Csv);
    m_exportButton->setMenu(menu);

    m_compareCombo = new QComboBox;
    m_compareCombo->setObjectName(QStringLiteral("compareCombo"));
    m_compareCombo->setMinimumContentsLength(24);
    m_compareCombo->setMaximumWidth(420);
    m_compareCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_compareCombo->setToolTip(tr("Compare with another recording — another run, or another checkpoint of this one: it is "
                                  "drawn beside the map (instead of the similarity matrix) with the same layer, measure, "
                                  "rows and colour scale, or as the difference of the two."));
    m_compareModeCombo = new QComboBox;
    m_compareModeCombo->addItem(tr("side by side"), int(CompareMode::SideBySide));
    m_compareModeCombo->addItem(tr("difference (shown − other)"), int(CompareMode::Difference));
    connect(m_compareCombo, &QComboBox::currentIndexChanged, this, &RoutingBrowser::requestCompare);
    connect(m_compareModeCombo, &QComboBox::currentIndexChanged, this, &RoutingBrowser::drawCompare);
    m_checkpointSlider = new QSlider(Qt::Horizontal);
    m_checkpointSlider->setObjectName(QStringLiteral("routingCheckpointSlider"));
    m_checkpointSlider->setToolTip(tr("Move through the run's checkpoints: the map follows, with the same side, layer, "
                                      "measure and row order — watch the experts specialise as training goes on."));
    m_checkpointSlider->setTickPosition(QSlider::TicksBelow);
    m_checkpointSlider->setPageStep(1);
    m_checkpointLabel = new QLabel;
    m_checkpointLabel->setMinimumWidth(200);
    connect(m_checkpointSlider, &QSlider::valueChanged, this, [this](int position) {
        const QVector<int> sets = timeline();
        if (position >= 0 && position < sets.size()) {
            const int index = m_setCombo->findData(sets[position]);
            if (index >= 0 && index != m_setCombo->currentIndex())
                m_setCombo->setCurrentIndex(index);
        }
    });
    connect(m_setCombo, &QComboBox::currentIndexChanged, this, [this] {
        updateCheckpointSlider();
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
    // Third row: the other recording to compare with, and the run's checkpoints (when it has several).
    auto *third = new QHBoxLayout;
    rows->addLayout(third);
    labelled(third, tr("Com&pare with"), m_compareCombo);
    third->addWidget(m_compareModeCombo);
    third->addSpacing(10);
    m_checkpointRow = new QWidget;
    auto *checkpoints = new QHBoxLayout(m_checkpointRow);
    checkpoints->setContentsMargins(0, 0, 0, 0);
    labelled(checkpoints, tr("&Checkpoint"), m_checkpointSlider, 1);
    checkpoints->addWidget(m_checkpointLabel);
    third->addWidget(m_checkpointRow, 3);
    third->addStretch(1);
    m_checkpointRow->setVisible(false);
    return widget;
}

QVector<int> RoutingBrowser::timeline() const
{
    const int current = m_setCombo->currentData().isValid() ? m_setCombo->currentData().toInt() : -1;
    if (current < 0 || current >= m_sets.size() || m_sets[current].runId == 0
        || m_sets[current].modelKind != QLatin1String("full"))
        return {};
    QVector<int> sets;
    for (int i = 0; i < m_sets.size(); ++i)
        if (m_sets[i].runId == m_sets[current].runId && m_sets[i].modelKind == QLatin1String("full"))
            sets << i;
    std::stable_sort(sets.begin(), sets.end(), [this](int a, int b) { return m_sets[a].step < m_sets[b].step; });
    return sets;
}

QVector<qint64> RoutingBrowser::checkpointSteps() const
{
    QVector<qint64> steps;
    for (const int i : timeline())
        steps << m_sets[i].step;
    return steps;
}

void RoutingBrowser::updateCheckpointSlider()
{
    const QVector<int> sets = timeline();
    m_checkpointRow->setVisible(sets.size() >= 2);
    if (sets.size() < 2)
        return;
    const int current = m_setCombo->currentData().toInt();
    const int position = int(sets.indexOf(current));
    const QSignalBlocker block(m_checkpointSlider);
    m_checkpointSlider->setRange(0, int(sets.size()) - 1);
    m_checkpointSlider->setValue(std::max(0, position));
    m_checkpointLabel->setText(tr("step %1 — %2 of %3 recorded").arg(m_sets[current].step).arg(position + 1).arg(sets.size()));
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
    const TitledMap similarity = addTitledMap(m_simPlot, small);
    m_simTitle = similarity.title;
    m_simRect = similarity.rect;
    m_simScale = similarity.scale;
    m_simMap = similarity.map;
    m_simRect->axis(QCPAxis::atBottom)->setTickLabelRotation(-90);
    connect(m_simPlot, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        const int row = rowAt(m_simRect, event->position().toPoint(), int(m_view.tasks.size()));
        if (row >= 0)
            selectTask(m_view.tasks[row]);
    });

    // The comparison: title over [map, colour scale], in the similarity matrix's place.
    m_comparePlot = makePlot(QStringLiteral("comparePlot"));
    m_comparePlot->setMinimumSize(320, 300);
    const TitledMap comparison = addTitledMap(m_comparePlot, small);
    m_compareTitle = comparison.title;
    m_compareRect = comparison.rect;
    m_compareScale = comparison.scale;
    m_compareMap = comparison.map;
    m_compareRect->axis(QCPAxis::atBottom)->setLabel(tr("expert"));

    // The selected task in every MoE layer: title over [map, colour scale].
    m_profilePlot = makePlot(QStringLiteral("profilePlot"));
    m_profilePlot->setMinimumSize(320, 160);
    const TitledMap profile = addTitledMap(m_profilePlot, small);
    m_profileTitle = profile.title;
    m_profileRect = profile.rect;
    m_profileScale = profile.scale;
    m_profileMap = profile.map;
    m_profileRect->axis(QCPAxis::atBottom)->setLabel(tr("expert"));
    m_profileScale->axis()->ticker()->setTickCount(3);   // a short bar
    m_profileOutline = makeOutline(m_profilePlot, m_profileRect);
    connect(m_profilePlot, &QCustomPlot::mousePress, this, [this](QMouseEvent *event) {
        // Clicking a layer of the profile shows that layer.
        const int row = rowAt(m_profileRect, event->position().toPoint(), int(m_view.summaries.size()));
        if (row >= 0) {
            setSide(m_view.summaries[std::size_t(row)].side);
            setLayer(m_view.summaries[std::size_t(row)].layer);
        }
    });

    for (QCustomPlot *plot : {m_plot, m_simPlot, m_profilePlot, m_comparePlot})
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
    m_compareThread->open(path);
    m_hasCompareView = false;
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
    updateCheckpointSlider();
    fillCompareChoices();
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
    updateCheckpointSlider();
    fillLayerChoices();
    request();
    return true;
}

bool RoutingBrowser::selectRunStatSet(qint64 runId, qint64 step)
{
    m_pending = {true, true, runId, step};
    if (!m_listed || !applyPending())
        return false;
    updateCheckpointSlider();
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

void RoutingBrowser::setSide(db::Side side)
{
    const int index = m_sideCombo->findData(int(side));
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
    if (m_sideCombo->currentData().isValid())
        r.side = db::Side(m_sideCombo->currentData().toInt());
    r.layer = m_layerCombo->currentData().isValid() ? m_layerCombo->currentData().toInt() : -1;
    r.measure = RoutingMeasure(m_measureCombo->currentData().toInt());
    r.order = RowOrder(m_orderCombo->currentData().toInt());
    r.similarity = core::Similarity(m_similarityCombo->currentData().toInt());
    m_requested = m_thread->compute(r);
    requestCompare();
}

void RoutingBrowser::fillCompareChoices()
{
    const QVariant current = m_compareCombo->currentData();
    const QSignalBlocker block(m_compareCombo);
    m_compareCombo->clear();
    m_compareCombo->addItem(tr("nothing"), QVariant());
    for (const auto &set : m_sets)
        m_compareCombo->addItem(setLabel(set), QStringLiteral("%1:%2").arg(set.modelId).arg(set.step));
    m_compareCombo->setCurrentIndex(std::max(0, m_compareCombo->findData(current)));
}

bool RoutingBrowser::compareWith(qint64 modelId, qint64 step)
{
    if (modelId == 0) {
        m_compareCombo->setCurrentIndex(0);
        return true;
    }
    const int index = m_compareCombo->findData(QStringLiteral("%1:%2").arg(modelId).arg(step));
    if (index < 0)
        return false;
    if (index == m_compareCombo->currentIndex())
        requestCompare();
    else
        m_compareCombo->setCurrentIndex(index);
    return true;
}

bool RoutingBrowser::isComparing() const
{
    return m_hasCompareView && m_compareCombo->currentIndex() > 0;
}

void RoutingBrowser::setCompareMode(CompareMode mode)
{
    m_compareModeCombo->setCurrentIndex(std::max(0, m_compareModeCombo->findData(int(mode))));
}

void RoutingBrowser::requestCompare()
{
    if (m_compareCombo->currentIndex() <= 0 || !m_compareCombo->currentData().isValid()) {
        m_hasCompareView = false;
        drawCompare();
        return;
    }
    const QStringList other = m_compareCombo->currentData().toString().split(QLatin1Char(':'));
    RoutingRequest r;
    r.modelId = other.value(0).toLongLong();
    r.step = other.value(1).toLongLong();
    // The layer shown (once resolved), else what the controls ask for.
    if (m_hasView) {
        r.side = m_view.request.side;
        r.layer = m_view.request.layer;
    } else {
        if (m_sideCombo->currentData().isValid())
            r.side = db::Side(m_sideCombo->currentData().toInt());
        r.layer = m_layerCombo->currentData().isValid() ? m_layerCombo->currentData().toInt() : -1;
    }
    r.measure = RoutingMeasure(m_measureCombo->currentData().toInt());
    r.order = RowOrder::Name;   // rows follow the main map's order when drawn
    r.similarity = core::Similarity(m_similarityCombo->currentData().toInt());
    m_compareRequested = m_compareThread->compute(r);
}

void RoutingBrowser::onCompareComputed(const RoutingView &view)
{
    if (view.request.serial != m_compareRequested)
        return;
    m_compareView = view;
    m_hasCompareView = true;
    drawCompare();
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
    // The comparison follows the layer the view resolved (the first of a side, when none was asked for).
    if (m_compareCombo->currentIndex() > 0
        && (!m_hasCompareView || m_compareView.request.side != m_view.request.side
            || m_compareView.request.layer != m_view.request.layer || m_compareView.request.measure != m_view.request.measure))
        requestCompare();
    else
        drawCompare();
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

} // namespace taskmoe::ui
