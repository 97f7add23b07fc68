#include "ui/runs/runmonitor.h"

#include "ui/runs/runfollower.h"
#include "ui/runs/runmodel.h"
#include "ui/common/plotexport.h"
#include "ui/runs/runsummarymodel.h"
#include "db/store.h"
#include "ui/common/storecontroller.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QFontDatabase>
#include <QHeaderView>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTabWidget>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSplitter>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <set>

namespace taskmoe::ui {

namespace {

constexpr int kRedrawMilliseconds = 250;

/// Colours of runs in an overlay (and of layers when one run is shown): Tableau 10.
QColor paletteColour(int i)
{
    static const QColor colours[] = {{0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c}, {0xd6, 0x27, 0x28},
                                     {0x94, 0x67, 0xbd}, {0x8c, 0x56, 0x4b}, {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f},
                                     {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf}};
    return colours[i % 10];
}

const char *panelTitle(int panel)
{
    switch (panel) {
    case RunMonitor::LossPanel: return "loss";
    case RunMonitor::BleuPanel: return "dev BLEU";
    case RunMonitor::BalancePanel: return "balance loss";
    case RunMonitor::LearningRatePanel: return "learning rate";
    case RunMonitor::ThroughputPanel: return "tokens / s";
    case RunMonitor::EntropyPanel: return "load entropy";
    case RunMonitor::DroppedPanel: return "dropped share";
    case RunMonitor::CommPanel: return "comm. share";
    default: return "";
    }
}

QString durationText(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QString();
    const qint64 s = qint64(std::llround(seconds));
    if (s >= 3600)
        return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
    if (s >= 60)
        return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
    return QStringLiteral("%1 s").arg(s);
}

bool isLayerKey(const QString &key, const QString &suffix)
{
    return key.endsWith(suffix) && (key.startsWith(QLatin1String("enc.")) || key.startsWith(QLatin1String("dec.")));
}

} // namespace

RunMonitor::RunMonitor(QWidget *parent) : QWidget(parent)
{
    m_title = new QLabel(tr("Select one or more runs to see their curves."));
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status = new QLabel;
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(QStringLiteral("%v / %m steps"));
    m_progress->setMinimumWidth(220);
    m_eta = new QLabel;
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setToolTip(tr("Ask the run's process to write a checkpoint and stop (status: cancelled)."));
    m_resume = new QPushButton(tr("Resume"));
    m_resume->setToolTip(tr("Continue the run from its last good checkpoint, exactly where it stopped."));
    m_cancel->setEnabled(false);
    m_resume->setEnabled(false);
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (!m_order.isEmpty())
            emit cancelRequested(m_order.front());
    });
    connect(m_resume, &QPushButton::clicked, this, [this] {
        if (!m_order.isEmpty())
            emit resumeRequested(m_order.front());
    });

    m_slider = new QSlider(Qt::Horizontal);
    m_slider->setRange(0, 99);
    m_slider->setValue(0);
    m_slider->setMaximumWidth(160);
    m_slider->setToolTip(tr("Smoothing: exponential moving average weight (0 = raw values), bias-corrected."));
    m_sliderValue = new QLabel(QStringLiteral("0.00"));
    connect(m_slider, &QSlider::valueChanged, this, [this](int v) { setSmoothing(v / 100.0); });

    auto *exportPngButton = new QPushButton(tr("PNG…"));
    auto *exportPdfButton = new QPushButton(tr("PDF…"));
    auto *exportCsvButton = new QPushButton(tr("CSV…"));
    exportPngButton->setToolTip(tr("Save the plots as a PNG image."));
    exportPdfButton->setToolTip(tr("Save the plots as a PDF (vector graphics)."));
    exportCsvButton->setToolTip(tr("Save every metric of the selected runs as CSV (run, key, step, value, wall time)."));
    const auto exportWith = [this](ExportFormat format, bool (RunMonitor::*fn)(const QString &, QString *)) {
        exportWithDialog(this, QStringLiteral("runs"), format,
                         [this, fn](const QString &path, QString *error) { return (this->*fn)(path, error); });
    };
    connect(exportPngButton, &QPushButton::clicked, this, [exportWith] { exportWith(ExportFormat::Png, &RunMonitor::exportPng); });
    connect(exportPdfButton, &QPushButton::clicked, this, [exportWith] { exportWith(ExportFormat::Pdf, &RunMonitor::exportPdf); });
    connect(exportCsvButton, &QPushButton::clicked, this, [exportWith] { exportWith(ExportFormat::Csv, &RunMonitor::exportCsv); });

    m_progress->setMaximumWidth(520);
    m_eta->setMinimumWidth(260);
    m_status->setFixedSize(18, 18);
    m_exportButtons = {exportPngButton, exportPdfButton, exportCsvButton};
    auto *header = new QHBoxLayout;
    header->addWidget(m_status);
    header->addWidget(m_progress, 2);
    header->addWidget(m_eta, 1);
    header->addSpacing(12);
    header->addWidget(m_cancel);
    header->addWidget(m_resume);

    m_groupBy = new QComboBox;
    m_groupBy->setObjectName(QStringLiteral("runGroupBy"));
    m_groupBy->setToolTip(tr("Group the shown runs by a configuration key whose value differs between them: each group's "
                             "mean curve with a band from its lowest to its highest run (e.g. seeds within a routing)."));
    m_groupBy->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_groupBy->addItem(tr("none (one curve per run)"), QString());
    connect(m_groupBy, &QComboBox::currentIndexChanged, this, [this] { setGroupKey(m_groupBy->currentData().toString()); });
    m_logScale = new QCheckBox(tr("Log scale"));
    m_logScale->setToolTip(tr("Logarithmic value axes for the loss, learning rate and tokens/s."));
    connect(m_logScale, &QCheckBox::toggled, this, &RunMonitor::setLogScale);

    auto *tools = new QHBoxLayout;
    tools->addWidget(new QLabel(tr("Smoothing")));
    tools->addWidget(m_slider);
    tools->addWidget(m_sliderValue);
    tools->addSpacing(12);
    tools->addWidget(new QLabel(tr("Group by")));
    tools->addWidget(m_groupBy);
    tools->addWidget(m_logScale);
    m_sampledNote = new QLabel;
    m_sampledNote->setObjectName(QStringLiteral("runSampledNote"));
    m_sampledNote->setVisible(false);
    tools->addSpacing(12);
    tools->addWidget(m_sampledNote);
    tools->addStretch(1);
    tools->addWidget(new QLabel(tr("Export")));
    tools->addWidget(exportPngButton);
    tools->addWidget(exportPdfButton);
    tools->addWidget(exportCsvButton);

    m_plot = new QCustomPlot;
    m_plot->setMinimumHeight(320);
    buildPlot();

    m_log = new QPlainTextEdit;
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(2000);
    m_log->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log->setPlaceholderText(tr("The log of the current run (train.log in its folder) appears here."));
    m_logFile = new QComboBox;
    m_logFile->setObjectName(QStringLiteral("runLogFile"));
    m_logFile->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_logFile->setToolTip(tr("A run on several processes: rank 0 writes train.log, every other rank its own rank-N.log."));
    connect(m_logFile, &QComboBox::currentIndexChanged, this, &RunMonitor::showLogFile);
    m_logFileLabel = new QLabel(tr("Log of"));
    // In the tab bar's corner: the log keeps every line of its height.
    auto *logChoice = new QWidget;
    auto *logTools = new QHBoxLayout(logChoice);
    logTools->setContentsMargins(0, 0, 0, 2);
    logTools->addWidget(m_logFileLabel);
    logTools->addWidget(m_logFile);
    m_logFile->hide();
    m_logFileLabel->hide();

    m_summaryMetric = new QComboBox;
    m_summaryMetric->setObjectName(QStringLiteral("runSummaryMetric"));
    m_summaryMetric->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    connect(m_summaryMetric, &QComboBox::currentIndexChanged, this, &RunMonitor::updateSummary);
    m_summaryModel = new RunSummaryModel(this);
    m_summaryProxy = new QSortFilterProxyModel(this);
    m_summaryProxy->setSourceModel(m_summaryModel);
    m_summaryProxy->setSortRole(Qt::UserRole);
    m_summaryView = new QTableView;
    m_summaryView->setObjectName(QStringLiteral("runSummary"));
    m_summaryView->setModel(m_summaryProxy);
    m_summaryView->setSortingEnabled(true);
    m_summaryView->sortByColumn(RunSummaryModel::Run, Qt::AscendingOrder);
    m_summaryView->verticalHeader()->hide();
    m_summaryView->horizontalHeader()->setStretchLastSection(true);
    auto *summaryPage = new QWidget;
    auto *summaryLayout = new QVBoxLayout(summaryPage);
    summaryLayout->setContentsMargins(0, 4, 0, 0);
    auto *summaryTools = new QHBoxLayout;
    summaryTools->addWidget(new QLabel(tr("Metric")));
    summaryTools->addWidget(m_summaryMetric);
    summaryTools->addWidget(new QLabel(tr("— one row per shown run; a column for every configuration key that differs "
                                          "between them. Click a header to sort.")));
    summaryTools->addStretch(1);
    summaryLayout->addLayout(summaryTools);
    summaryLayout->addWidget(m_summaryView, 1);
    auto *bottom = new QTabWidget;
    bottom->setObjectName(QStringLiteral("runMonitorPages"));
    bottom->setDocumentMode(true);
    bottom->addTab(m_log, tr("Log"));
    bottom->setCornerWidget(logChoice, Qt::TopRightCorner);
    bottom->addTab(summaryPage, tr("Summary"));
    bottom->setMinimumHeight(90);   // the splitter gives it more; the plots need the room first

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->setObjectName(QStringLiteral("runMonitorSplitter"));
    splitter->addWidget(m_plot);
    splitter->addWidget(bottom);
    splitter->setStretchFactor(0, 4);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addLayout(header);
    layout->addLayout(tools);
    layout->addWidget(splitter, 1);

    m_redrawTimer = new QTimer(this);
    m_redrawTimer->setSingleShot(true);
    m_redrawTimer->setInterval(kRedrawMilliseconds);
    connect(m_redrawTimer, &QTimer::timeout, this, &RunMonitor::redraw);
    updateHeader();
}

RunMonitor::~RunMonitor() = default;

void RunMonitor::buildPlot()
{
    m_plot->plotLayout()->clear();
    auto *margins = new QCPMarginGroup(m_plot);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    for (int p = 0; p < PanelCount; ++p) {
        auto *rect = new QCPAxisRect(m_plot);
        m_plot->plotLayout()->addElement(p / 2, p % 2, rect);
        rect->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
        rect->axis(QCPAxis::atLeft)->setLabel(QString::fromUtf8(panelTitle(p)));
        rect->axis(QCPAxis::atLeft)->setLabelFont(small);
        rect->axis(QCPAxis::atLeft)->setTickLabelFont(small);
        rect->axis(QCPAxis::atBottom)->setTickLabelFont(small);
        rect->axis(QCPAxis::atBottom)->setLabelFont(small);
        if (p >= PanelCount - 2)
            rect->axis(QCPAxis::atBottom)->setLabel(tr("step"));
        rect->setRangeDrag(Qt::Horizontal);
        rect->setRangeZoom(Qt::Horizontal);
        auto *legend = new QCPLegend;
        rect->insetLayout()->addElement(legend, Qt::AlignTop | Qt::AlignRight);
        legend->setLayer(QStringLiteral("legend"));
        legend->setFont(small);
        legend->setIconSize(16, 8);
        legend->setBrush(QColor(255, 255, 255, 200));
        legend->setBorderPen(QPen(QColor(0xc8, 0xc8, 0xc8)));
        legend->setVisible(false);
        m_rects[p] = rect;
    }
    m_rects[LearningRatePanel]->axis(QCPAxis::atLeft)->setNumberFormat(QStringLiteral("gb"));
    m_rects[LearningRatePanel]->axis(QCPAxis::atLeft)->setNumberPrecision(2);
    // Linked step axes: dragging or zooming one moves them all.
    for (int p = 0; p < PanelCount; ++p) {
        QCPAxis *x = m_rects[p]->axis(QCPAxis::atBottom);
        connect(x, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, [this, p](const QCPRange &range) {
            for (int q = 0; q < PanelCount; ++q)
                if (q != p)
                    m_rects[q]->axis(QCPAxis::atBottom)->setRange(range);
        });
    }
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setToolTip(tr("Loss: training loss (solid) and dev cross-entropy (dashed, dots). Dev BLEU: greedy "
                          "SacreBLEU of a fixed dev sample, the mean over directions (dots) and each direction "
                          "(faint, one run only). Load entropy: "
                          "entropy of the expert-load distribution per MoE layer (ln E when balanced). Dropped share: "
                          "tokens over an expert's capacity. Comm. share: the share of each rank's step spent in "
                          "collectives (runs on several processes). Drag or wheel to move or zoom the steps of all plots."));
    m_plot->setAntialiasedElements(QCP::aeAll);
    m_plot->setPlottingHint(QCP::phFastPolylines, true);   // long curves: one polyline per graph
}

void RunMonitor::showRuns(const QVector<qint64> &runIds)
{
    const qint64 oldCurrent = m_order.isEmpty() ? 0 : m_order.front();
    m_order = runIds;
    for (auto it = m_runs.begin(); it != m_runs.end();)
        it = runIds.contains(it->first) ? std::next(it) : m_runs.erase(it);
    if (m_order.isEmpty() || m_order.front() != oldCurrent)
        clearLogs();
    updateHeader();
    updateComparison();
    scheduleRedraw();
}

void RunMonitor::clearLogs()
{
    m_logTexts.clear();
    m_log->clear();
    const QSignalBlocker block(m_logFile);
    m_logFile->clear();
    m_logFile->hide();
    m_logFileLabel->hide();
}

bool RunMonitor::addLogFile(const QString &name)
{
    // train.log (rank 0) first, then rank-1.log, rank-2.log, …; the one shown stays shown.
    const auto rankOf = [](const QString &file) {
        return file == QLatin1String("train.log") ? 0 : file.mid(5, file.size() - 9).toInt();
    };
    QStringList names{name};
    for (int i = 0; i < m_logFile->count(); ++i)
        names << m_logFile->itemData(i).toString();
    std::sort(names.begin(), names.end(), [&](const QString &a, const QString &b) { return rankOf(a) < rankOf(b); });
    const QString shown = m_logFile->count() > 0 ? m_logFile->currentData().toString() : name;
    const QSignalBlocker block(m_logFile);
    m_logFile->clear();
    for (const QString &file : names)
        m_logFile->addItem(file == QLatin1String("train.log") ? tr("train.log (rank 0)") : file, file);
    m_logFile->setCurrentIndex(m_logFile->findData(name == QLatin1String("train.log") ? name : shown));
    m_logFile->setVisible(m_logFile->count() > 1);
    m_logFileLabel->setVisible(m_logFile->count() > 1);
    return m_logFile->currentData().toString() == name;
}

void RunMonitor::showLogFile()
{
    const auto found = m_logTexts.find(m_logFile->currentData().toString());
    QString text = found == m_logTexts.end() ? QString() : found->second;
    if (text.endsWith(QLatin1Char('\n')))
        text.chop(1);
    m_log->setPlainText(text);
    m_log->moveCursor(QTextCursor::End);
}

void RunMonitor::applyDelta(const RunDelta &delta)
{
    const qint64 id = delta.run.id;
    if (!m_order.contains(id))
        return;   // a late delta for a run no longer shown
    const bool first = !m_runs.count(id);
    RunData &data = m_runs[id];
    if (delta.reset) {
        data.series.clear();
        data.downsampledKeys = delta.downsampledKeys;
        if (!m_order.isEmpty() && m_order.front() == id)
            clearLogs();
    }
    data.run = delta.run;
    for (const auto &point : delta.points) {
        Series &s = data.series[point.key];
        if (!s.steps.isEmpty() && point.step <= s.steps.back())
            continue;   // already shown (points only ever extend a series)
        s.steps.append(double(point.step));
        s.values.append(point.value);
        s.walls.append(point.wallTime);
    }
    if (!m_order.isEmpty() && m_order.front() == id) {
        for (const auto &[name, added] : delta.newLogs) {
            QString &kept = m_logTexts[name];
            kept += added;
            constexpr qsizetype kKeep = 256 * 1024;   // the tail of each log, from a line start
            if (kept.size() > kKeep)
                kept.remove(0, kept.indexOf(QLatin1Char('\n'), kept.size() - kKeep) + 1);
            if (m_logFile->findData(name) < 0 && addLogFile(name)) {
                showLogFile();   // the file now shown: all of it
                continue;
            }
            if (m_logFile->currentData().toString() == name) {
                QString text = added;
                if (text.endsWith(QLatin1Char('\n')))
                    text.chop(1);
                m_log->appendPlainText(text);
            }
        }
    }
    updateHeader();
    if (first || delta.reset)
        updateComparison();
    if (!delta.points.empty() || delta.reset)
        scheduleRedraw();
}

void RunMonitor::updateHeader()
{
    const RunData *current = nullptr;
    if (!m_order.isEmpty())
        if (const auto it = m_runs.find(m_order.front()); it != m_runs.end())
            current = &it->second;
    if (!current) {
        m_title->setText(m_order.isEmpty() ? tr("Select one or more runs to see their curves.") : tr("Loading…"));
        m_status->clear();
        m_progress->setRange(0, 1);
        m_progress->setValue(0);
        m_progress->setTextVisible(false);   // no "0 / 1 steps" for no run
        m_eta->clear();
        m_cancel->setEnabled(false);
        m_resume->setEnabled(false);
        for (QPushButton *b : m_exportButtons)
            b->setEnabled(false);
        return;
    }
    m_progress->setTextVisible(true);
    for (QPushButton *b : m_exportButtons)
        b->setEnabled(true);
    const db::RunRecord &run = current->run;
    QString title = tr("Run %1 — %2").arg(run.id).arg(run.name.isEmpty() ? run.preset : run.name);
    if (m_order.size() > 1)
        title += tr("   (+%n more overlaid)", nullptr, int(m_order.size() - 1));
    m_title->setText(title);
    m_status->setPixmap(runStatusIcon(run.status).pixmap(16, 16));
    const QString statusName = db::runStatusName(run.status);
    m_status->setToolTip(run.error.isEmpty() ? statusName : statusName + QStringLiteral(": ") + run.error);

    const qint64 planned = plannedSteps(run);
    qint64 step = 0;
    QString rate;
    double etaSeconds = -1;
    if (const auto it = current->series.find(QStringLiteral("loss")); it != current->series.end() && !it->second.steps.isEmpty()) {
        const Series &s = it->second;
        step = qint64(s.steps.back());
        // Seconds per step over the last five reports. Right after a resume that window spans
        // the pause, so the ETA runs long until five new reports have come in.
        const int n = int(s.steps.size());
        const int first = std::max(0, n - 6);
        const double dSteps = s.steps[n - 1] - s.steps[first];
        const double dWall = s.walls[n - 1] - s.walls[first];
        if (run.status == db::RunStatus::Running && dSteps > 0 && dWall > 0 && planned > step)
            etaSeconds = (double(planned) - double(step)) * dWall / dSteps;
        if (const auto tps = current->series.find(QStringLiteral("tokens_per_s"));
            tps != current->series.end() && !tps->second.values.isEmpty())
            rate = tr("%1 tokens/s").arg(QLocale().toString(tps->second.values.back(), 'f', 0));
    }
    const double budget = budgetMinutes(run) * 60;
    if (budget > 0) {
        // A time budget: the bar follows the training time (which every process of a resumed
        // run adds to); the run ends at the budget or at train.steps, whichever comes first.
        double elapsed = 0;
        if (const auto it = current->series.find(QStringLiteral("elapsed_s")); it != current->series.end()
                                                                              && !it->second.values.isEmpty())
            elapsed = it->second.values.back();
        else if (const auto loss = current->series.find(QStringLiteral("loss")); loss != current->series.end()
                                                                                && loss->second.walls.size() > 1)
            elapsed = loss->second.walls.back() - loss->second.walls.front();   // runs that did not log it
        const bool done = run.status == db::RunStatus::Finished;
        const double share = done ? 1.0 : std::clamp(elapsed / budget, 0.0, 1.0);
        m_progress->setRange(0, 1000);
        m_progress->setValue(int(std::lround(share * 1000)));
        m_progress->setFormat(elapsed > 0 ? tr("step %1 · %2 of %3").arg(step).arg(durationText(std::min(elapsed, budget)),
                                                                                  durationText(budget))
                                          : tr("step %1 · %2 budget").arg(step).arg(durationText(budget)));
        if (run.status == db::RunStatus::Running && elapsed > 0) {
            const double left = std::max(0.0, budget - elapsed);
            etaSeconds = etaSeconds < 0 ? left : std::min(etaSeconds, left);
        }
    } else {
        m_progress->setFormat(QStringLiteral("%v / %m steps"));
        m_progress->setRange(0, int(std::max<qint64>(planned, 1)));
        m_progress->setValue(int(std::min<qint64>(step, std::max<qint64>(planned, 1))));
    }
    QStringList parts{db::runStatusName(run.status)};
    if (!rate.isEmpty())
        parts << rate;
    if (etaSeconds >= 0)
        parts << tr("ETA %1").arg(durationText(etaSeconds));
    m_eta->setText(parts.join(QStringLiteral(" · ")));
    m_cancel->setEnabled(run.status == db::RunStatus::Running);
    m_resume->setEnabled(run.kind == QLatin1String("train")
                         && (run.status == db::RunStatus::Cancelled || run.status == db::RunStatus::Interrupted
                             || run.status == db::RunStatus::Failed));
}

void RunMonitor::setSmoothing(double weight)
{
    weight = std::clamp(weight, 0.0, 0.99);
    if (weight == m_smoothing)
        return;
    m_smoothing = weight;
    const QSignalBlocker block(m_slider);
    m_slider->setValue(int(std::lround(weight * 100)));
    m_sliderValue->setText(QString::number(weight, 'f', 2));
    scheduleRedraw();
}

QVector<double> RunMonitor::smoothed(const QVector<double> &values) const
{
    return smoothedValues(values, m_smoothing);
}

QVector<double> RunMonitor::shownValues(qint64 runId, const QString &key) const
{
    const auto run = m_runs.find(runId);
    if (run == m_runs.end())
        return {};
    const auto s = run->second.series.find(key);
    if (s == run->second.series.end())
        return {};
    const bool smooth = key != QLatin1String("lr") && key != QLatin1String("dev_loss") && !key.startsWith(QLatin1String("dev_bleu"));
    return smooth ? smoothed(s->second.values) : s->second.values;
}

int RunMonitor::pointCount(qint64 runId, const QString &key) const
{
    const auto run = m_runs.find(runId);
    if (run == m_runs.end())
        return 0;
    const auto s = run->second.series.find(key);
    return s == run->second.series.end() ? 0 : int(s->second.steps.size());
}

void RunMonitor::scheduleRedraw()
{
    if (!m_redrawTimer->isActive())
        m_redrawTimer->start();
}

void RunMonitor::redrawNow()
{
    m_redrawTimer->stop();
    redraw();
    m_plot->replot(QCustomPlot::rpRefreshHint);   // now, not at the next event loop pass
}

void RunMonitor::addCurve(int panel, const RunData &data, const QString &key, const QColor &colour, Qt::PenStyle style,
                          const QString &legend, bool smooth, bool dots)
{
    const auto it = data.series.find(key);
    if (it == data.series.end() || it->second.steps.isEmpty())
        return;
    QCPAxisRect *rect = m_rects[panel];
    auto *graph = m_plot->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    graph->setData(it->second.steps, smooth ? smoothed(it->second.values) : it->second.values, /*alreadySorted=*/true);
    QPen pen(colour, 1.6, style);
    graph->setPen(pen);
    graph->setName(legend);
    if (it->second.steps.size() == 1 || dots)
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, colour, colour, 4));
    graph->removeFromLegend();
    if (!legend.isEmpty()) {
        auto *l = qobject_cast<QCPLegend *>(rect->insetLayout()->elementAt(0));
        if (l) {
            graph->addToLegend(l);
            l->setVisible(true);
        }
    }
}

void RunMonitor::addBand(int panel, const QString &key, const std::vector<const RunData *> &runs, const QColor &colour,
                         const QString &legend, const QString &group, bool smooth, bool dots)
{
    std::vector<Curve> curves;
    for (const RunData *d : runs)
        if (const auto it = d->series.find(key); it != d->series.end() && !it->second.steps.isEmpty())
            curves.push_back({it->second.steps, smooth ? smoothed(it->second.values) : it->second.values});
    if (curves.empty())
        return;
    const Band band = bandOf(curves);
    m_bands[{group, key}] = band;
    QCPAxisRect *rect = m_rects[panel];
    QCPGraph *mean = drawBand(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft), band, colour, curves.size() > 1);
    mean->setName(legend);
    if (dots || band.steps.size() == 1)
        mean->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, colour, colour, 4));
    if (!legend.isEmpty())
        if (auto *l = qobject_cast<QCPLegend *>(rect->insetLayout()->elementAt(0))) {
            mean->addToLegend(l);
            l->setVisible(true);
        }
}

void RunMonitor::redraw()
{
    QStringList sampled;
    for (const qint64 id : m_order)
        if (const auto it = m_runs.find(id); it != m_runs.end() && !it->second.downsampledKeys.isEmpty())
            sampled << QString::number(id);
    m_sampledNote->setVisible(!sampled.isEmpty());
    m_sampledNote->setText(tr("Long curves of run %1 drawn downsampled").arg(sampled.join(QStringLiteral(", "))));
    m_sampledNote->setToolTip(tr("Curves with more points than the plot can show are read as the lowest and the highest "
                                 "point of each of many equal step ranges (spikes stay visible). The CSV export writes "
                                 "every point."));
    m_plot->clearGraphs();
    m_bands.clear();
    m_groupLegends.clear();
    for (QCPAxisRect *rect : m_rects)
        if (auto *l = qobject_cast<QCPLegend *>(rect->insetLayout()->elementAt(0))) {
            l->clearItems();
            l->setVisible(false);
        }
    const bool overlay = m_order.size() > 1;
    // Groups by the chosen configuration key: legend → runs, in the order of the runs list.
    std::vector<std::pair<QString, std::vector<const RunData *>>> groups;
    std::map<qint64, int> groupOf;
    if (overlay && !m_groupKey.isEmpty()) {
        for (const qint64 id : m_order) {
            const auto it = m_runs.find(id);
            if (it == m_runs.end())
                continue;
            const auto config = flattenConfig(it->second.run.configJson);
            const auto value = config.find(m_groupKey);
            const QString text = value == config.end() ? tr("(not set)") : value->second;
            auto g = std::find_if(groups.begin(), groups.end(), [&](const auto &p) { return p.first == text; });
            if (g == groups.end()) {
                groups.push_back({text, {}});
                g = groups.end() - 1;
            }
            g->second.push_back(&it->second);
            groupOf[id] = int(g - groups.begin());
        }
        for (std::size_t g = 0; g < groups.size(); ++g) {
            const QColor colour = paletteColour(int(g));
            const QString legend = groupLegend(m_groupKey, groups[g].first, int(groups[g].second.size()));
            m_groupLegends << legend;
            addBand(LossPanel, QStringLiteral("loss"), groups[g].second, colour, legend, legend, true, false);
            addBand(BleuPanel, QStringLiteral("dev_bleu"), groups[g].second, colour, QString(), legend, false, true);
            addBand(BalancePanel, QStringLiteral("balance"), groups[g].second, colour, QString(), legend, true, false);
            addBand(LearningRatePanel, QStringLiteral("lr"), groups[g].second, colour, QString(), legend, false, false);
            addBand(ThroughputPanel, QStringLiteral("tokens_per_s"), groups[g].second, colour, QString(), legend, true, false);
        }
    }
    const bool grouped = !groups.empty();
    double maxStep = 0;
    for (int r = 0; r < m_order.size(); ++r) {
        const auto it = m_runs.find(m_order[r]);
        if (it == m_runs.end())
            continue;
        const RunData &data = it->second;
        const QColor colour = paletteColour(grouped ? groupOf[data.run.id] : r);
        const QString runName = tr("run %1 %2").arg(data.run.id).arg(data.run.name);
        if (!grouped) {
            // A faint raw curve under the smoothed one, as TensorBoard draws it.
            if (m_smoothing > 0) {
                QColor faint = colour;
                faint.setAlpha(60);
                addCurve(LossPanel, data, QStringLiteral("loss"), faint, Qt::SolidLine, QString(), false, false);
            }
            addCurve(LossPanel, data, QStringLiteral("loss"), colour, Qt::SolidLine, overlay ? runName : tr("training loss"), true, false);
            addCurve(LossPanel, data, QStringLiteral("dev_loss"), colour, Qt::DashLine, overlay ? QString() : tr("dev cross-entropy"),
                     false, true);
            if (!overlay) {
                QColor faint = colour;
                faint.setAlpha(50);
                for (const auto &[key, series] : data.series)
                    if (key.startsWith(QLatin1String("dev_bleu.")))
                        addCurve(BleuPanel, data, key, faint, Qt::SolidLine, QString(), false, false);
            }
            addCurve(BleuPanel, data, QStringLiteral("dev_bleu"), colour, Qt::SolidLine,
                     overlay ? QString() : tr("mean over directions"), false, true);
            addCurve(BalancePanel, data, QStringLiteral("balance"), colour, Qt::SolidLine, QString(), true, false);
            addCurve(LearningRatePanel, data, QStringLiteral("lr"), colour, Qt::SolidLine, QString(), false, false);
            addCurve(ThroughputPanel, data, QStringLiteral("tokens_per_s"), colour, Qt::SolidLine, QString(), true, false);
        }
        int layer = 0, rankIndex = 0;
        for (const auto &[key, series] : data.series) {
            maxStep = std::max(maxStep, series.steps.isEmpty() ? 0.0 : series.steps.back());
            if (key.startsWith(QLatin1String("rank.")) && key.endsWith(QLatin1String(".comm_share"))) {
                // Data-parallel runs: each rank's share of a step spent communicating.
                const QColor c = overlay ? colour : paletteColour(rankIndex);
                const Qt::PenStyle style = overlay ? Qt::PenStyle(Qt::SolidLine + rankIndex % 4) : Qt::SolidLine;
                addCurve(CommPanel, data, key, c, style, overlay && r > 0 ? QString() : key.section(QLatin1Char('.'), 0, 1).replace(QLatin1Char('.'), QLatin1Char(' ')),
                         true, false);
                ++rankIndex;
                continue;
            }
            const bool entropy = isLayerKey(key, QStringLiteral(".entropy"));
            const bool dropped = isLayerKey(key, QStringLiteral(".dropped"));
            if (!entropy && !dropped)
                continue;
            const QString layerName = key.left(key.lastIndexOf(QLatin1Char('.')));
            // One run: a colour per layer; several: the run's (or group's) colour, a dash pattern per layer.
            const QColor c = overlay ? colour : paletteColour(layer / 2);
            const Qt::PenStyle style = overlay ? Qt::PenStyle(Qt::SolidLine + (layer / 2) % 4) : Qt::SolidLine;
            const QString legend = overlay && r > 0 ? QString() : layerName;
            addCurve(entropy ? EntropyPanel : DroppedPanel, data, key, c, style, entropy ? legend : QString(), true, false);
            ++layer;
        }
    }
    const bool log = m_logScale->isChecked();
    for (int p = 0; p < PanelCount; ++p) {
        QCPAxisRect *rect = m_rects[p];
        QCPAxis *yAxis = rect->axis(QCPAxis::atLeft);
        const bool logAxis = log && (p == LossPanel || p == LearningRatePanel || p == ThroughputPanel);
        if (logAxis != (yAxis->scaleType() == QCPAxis::stLogarithmic)) {
            yAxis->setScaleType(logAxis ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
            yAxis->setTicker(logAxis ? QSharedPointer<QCPAxisTicker>(new QCPAxisTickerLog) : QSharedPointer<QCPAxisTicker>::create());
        }
        bool found = false;
        double lowestPositive = std::numeric_limits<double>::infinity();
        const QCPRange y = [&] {
            QCPRange range;
            for (QCPGraph *g : rect->graphs()) {
                bool ok = false;
                const QCPRange gr = g->getValueRange(ok);
                if (!ok)
                    continue;
                range = found ? QCPRange(std::min(range.lower, gr.lower), std::max(range.upper, gr.upper)) : gr;
                found = true;
                bool positive = false;
                const QCPRange pr = g->getValueRange(positive, QCP::sdPositive);
                if (positive)
                    lowestPositive = std::min(lowestPositive, pr.lower);
            }
            return range;
        }();
        if (found && logAxis && std::isfinite(lowestPositive)) {
            yAxis->setRange(lowestPositive / 1.3, std::max(y.upper, lowestPositive) * 1.3);
        } else if (found) {
            const double pad = std::max((y.upper - y.lower) * 0.08, std::abs(y.upper) * 1e-3 + 1e-12);
            yAxis->setRange(p == DroppedPanel || p == BalancePanel || p == BleuPanel ? std::max(0.0, y.lower - pad) : y.lower - pad,
                            y.upper + pad);
        } else {
            yAxis->setRange(logAxis ? 0.1 : 0, 1);
        }
        rect->axis(QCPAxis::atBottom)->setRange(0, std::max(maxStep, 1.0));
    }
    updateSummary();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void RunMonitor::setGroupKey(const QString &key)
{
    if (key == m_groupKey)
        return;
    m_groupKey = key;
    const QSignalBlocker block(m_groupBy);
    const int index = m_groupBy->findData(key);
    if (index >= 0)
        m_groupBy->setCurrentIndex(index);
    scheduleRedraw();
}

void RunMonitor::setLogScale(bool on)
{
    if (m_logScale->isChecked() != on) {
        m_logScale->setChecked(on);   // comes back here through toggled
        return;
    }
    scheduleRedraw();
}

const Band *RunMonitor::shownBand(const QString &group, const QString &key) const
{
    const auto it = m_bands.find({group, key});
    return it == m_bands.end() ? nullptr : &it->second;
}

QStringList RunMonitor::shownGroups() const
{
    return m_groupLegends;
}

void RunMonitor::updateComparison()
{
    std::vector<std::map<QString, QString>> configs;
    for (const qint64 id : m_order)
        if (const auto it = m_runs.find(id); it != m_runs.end())
            configs.push_back(flattenConfig(it->second.run.configJson));
    const QStringList keys = configs.size() > 1 ? differingKeys(configs) : QStringList();
    {
        const QSignalBlocker block(m_groupBy);
        m_groupBy->clear();
        m_groupBy->addItem(tr("none (one curve per run)"), QString());
        for (const QString &key : keys)
            m_groupBy->addItem(key, key);
        const int index = m_groupBy->findData(m_groupKey);
        m_groupBy->setCurrentIndex(std::max(0, index));
    }
    // A group key no longer differing between the shown runs is kept, and shown again when it does.
    m_groupBy->setEnabled(keys.size() > 0);
    updateSummary();
}

void RunMonitor::updateSummary()
{
    // The metrics the shown runs have, the scalar ones first.
    std::set<QString> keys;
    for (const qint64 id : m_order)
        if (const auto it = m_runs.find(id); it != m_runs.end())
            for (const auto &[key, series] : it->second.series)
                keys.insert(key);
    QStringList metrics;
    for (const char *k : {"loss", "dev_loss", "dev_bleu", "tokens_per_s", "balance", "lr"})
        if (keys.count(QString::fromLatin1(k)))
            metrics << QString::fromLatin1(k);
    for (const QString &k : keys)
        if (!metrics.contains(k) && k != QLatin1String("elapsed_s"))
            metrics << k;
    QString metric = m_summaryMetric->currentText();
    if (metrics != [&] {
            QStringList items;
            for (int i = 0; i < m_summaryMetric->count(); ++i)
                items << m_summaryMetric->itemText(i);
            return items;
        }()) {
        const QSignalBlocker block(m_summaryMetric);
        m_summaryMetric->clear();
        m_summaryMetric->addItems(metrics);
        m_summaryMetric->setCurrentIndex(std::max(0, int(metrics.indexOf(metric))));
        metric = m_summaryMetric->currentText();
    }
    std::vector<RunSummaryModel::Row> rows;
    for (const qint64 id : m_order) {
        const auto it = m_runs.find(id);
        if (it == m_runs.end())
            continue;
        RunSummaryModel::Row row{it->second.run, flattenConfig(it->second.run.configJson), std::nullopt};
        if (const auto s = it->second.series.find(metric); s != it->second.series.end())
            row.summary = summarise({s->second.steps, s->second.values}, higherIsBetter(metric));
        rows.push_back(std::move(row));
    }
    m_summaryModel->setRows(rows, metric);
    m_summaryView->resizeColumnsToContents();
}

bool RunMonitor::exportPng(const QString &path, QString *error)
{
    redrawNow();
    return savePlot(m_plot, path, ExportFormat::Png, QSize(1400, 900), error);
}

bool RunMonitor::exportPdf(const QString &path, QString *error)
{
    redrawNow();
    return savePlot(m_plot, path, ExportFormat::Pdf, QSize(1400, 900), error);
}

QStringList RunMonitor::downsampledKeys(qint64 runId) const
{
    const auto it = m_runs.find(runId);
    return it == m_runs.end() ? QStringList() : it->second.downsampledKeys;
}

bool RunMonitor::exportCsv(const QString &path, QString *error)
{
    QByteArray out("run,key,step,value,wall_time\n");
    const auto line = [&out](qint64 id, const QString &key, qint64 step, double value, double wall) {
        out += QByteArray::number(id) + ',' + key.toUtf8() + ',' + QByteArray::number(step) + ','
               + QByteArray::number(value, 'g', 17) + ',' + QByteArray::number(wall, 'f', 3) + '\n';
    };
    std::unique_ptr<db::Store> store;
    for (qint64 id : m_order) {
        const auto it = m_runs.find(id);
        if (it == m_runs.end())
            continue;
        if (!it->second.downsampledKeys.isEmpty()) {
            // The plot holds a sample of this run: the file gets every point, from the store.
            if (!store && !(store = openWorkerConnection(m_storePath, error)))
                return false;
            try {
                QApplication::setOverrideCursor(Qt::WaitCursor);
                const auto points = store->metrics(id);
                QApplication::restoreOverrideCursor();
                for (const auto &p : points)
                    line(id, p.key, p.step, p.value, p.wallTime);
            } catch (const db::StoreError &e) {
                QApplication::restoreOverrideCursor();
                if (error)
                    *error = e.message();
                return false;
            }
            continue;
        }
        for (const auto &[key, s] : it->second.series)
            for (int i = 0; i < s.steps.size(); ++i)
                line(id, key, qint64(s.steps[i]), s.values[i], s.walls[i]);
    }
    return saveFile(path, out, error);
}

} // namespace taskmoe::ui
