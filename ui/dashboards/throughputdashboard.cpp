#include "ui/dashboards/throughputdashboard.h"

#include "db/store.h"
#include "ui/common/deferredrefresh.h"
#include "ui/common/plotexport.h"
#include "ui/common/plots.h"
#include "ui/common/storecontroller.h"
#include "ui/dashboards/dashboardframe.h"
#include "ui/jobs/jobcontroller.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

namespace taskmoe::ui {

namespace {

QString millions(qint64 n) { return QStringLiteral("%1 M").arg(double(n) / 1e6, 0, 'f', 2); }

QString beamName(int beam) { return beam <= 1 ? QObject::tr("greedy") : QObject::tr("beam %1").arg(beam); }

/// The baseline's curve of the same beam and source as `s` (null when it has none).
const usecases::SpeedSeries *baselineOf(const std::vector<usecases::SpeedSeries> &series, int baseline,
                                         const usecases::SpeedSeries &s)
{
    if (baseline < 0)
        return nullptr;
    const qint64 model = series[std::size_t(baseline)].modelId;
    for (const auto &b : series)
        if (b.modelId == model && b.beam == s.beam && b.source == s.source)
            return &b;
    return nullptr;
}

void configureBatchAxis(QCPAxis *axis)
{
    axis->setScaleType(QCPAxis::stLogarithmic);
    auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
    ticker->setLogBase(2);
    ticker->setSubTickCount(0);
    axis->setTicker(ticker);
    axis->setNumberFormat(QStringLiteral("f"));
    axis->setNumberPrecision(0);
}

} // namespace

// ---- the table --------------------------------------------------------------------------------

void SpeedTableModel::setSeries(const std::vector<usecases::SpeedSeries> &series, int baseline)
{
    beginResetModel();
    m_series = series;
    m_baseline = baseline;
    endResetModel();
}

int SpeedTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_series.size());
}

int SpeedTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

std::optional<double> SpeedTableModel::peakRatio(int row) const
{
    const usecases::SpeedSeries &s = m_series[std::size_t(row)];
    const usecases::SpeedSeries *b = baselineOf(m_series, m_baseline, s);
    if (!b || !b->peakPoint() || !s.peakPoint() || b->peakPoint()->tokensPerSecond <= 0)
        return std::nullopt;
    return s.peakPoint()->tokensPerSecond / b->peakPoint()->tokensPerSecond;
}

std::optional<double> SpeedTableModel::number(int row, int column) const
{
    const usecases::SpeedSeries &s = m_series[std::size_t(row)];
    switch (column) {
    case Peak: return s.peakPoint() ? std::optional<double>(s.peakPoint()->tokensPerSecond) : std::nullopt;
    case Ratio: return peakRatio(row);
    case Memory: return s.peakRssBytes > 0 ? std::optional<double>(double(s.peakRssBytes) / (1 << 20)) : std::nullopt;
    case Latency:
        for (const auto &p : s.points)
            if (p.batchSize == 1)
                return p.latencyMs;
        return std::nullopt;
    default: return std::nullopt;
    }
}

int SpeedTableModel::bestRow(int column) const
{
    // Most tokens per second; least memory and latency.
    const bool lower = column == Memory || column == Latency;
    int best = -1;
    for (int r = 0; r < rowCount(); ++r) {
        const auto v = number(r, column);
        if (v && (best < 0 || (lower ? *v < *number(best, column) : *v > *number(best, column))))
            best = r;
    }
    return best;
}

QVariant SpeedTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const usecases::SpeedSeries &s = m_series[std::size_t(index.row())];
    const int column = index.column();
    if (role == Qt::DisplayRole) {
        const auto v = number(index.row(), column);
        switch (column) {
        case Model:
            return s.label + (m_baseline >= 0 && m_series[std::size_t(m_baseline)].modelId == s.modelId ? tr(" (baseline)")
                                                                                                           : QString());
        case Beam: return beamName(s.beam);
        case Params: return s.paramsTotal > 0 ? millions(s.paramsTotal) : QString();
        case Active: return s.paramsActive > 0 ? millions(s.paramsActive) : QString();
        case Peak: return v ? QString::number(*v, 'f', 0) : QString();
        case PeakBatch: return s.peakPoint() ? s.peakPoint()->batchSize : QVariant();
        case Ratio: return v ? QStringLiteral("%1×").arg(*v, 0, 'f', 2) : QString();
        case Memory: return v ? QStringLiteral("%1 MB").arg(*v, 0, 'f', 0) : QString();
        case EncoderShare: {
            const auto share = s.encoderShare();
            return share ? QStringLiteral("%1 %").arg(*share * 100, 0, 'f', 0) : QString();
        }
        case Latency: return v ? QStringLiteral("%1 ms").arg(*v, 0, 'f', 1) : QString();
        case Source: return s.source;
        default: return {};
        }
    }
    if (role == Qt::FontRole && (column == Peak || column == Ratio || column == Memory || column == Latency)
        && index.row() == bestRow(column)) {
        QFont bold;
        bold.setBold(true);
        return bold;
    }
    if (role == Qt::TextAlignmentRole && column != Model && column != Source)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && column == EncoderShare)
        return tr("The encoder's share of the decoding time at the peak batch size");
    if (role == Qt::ToolTipRole && column == Memory)
        return tr("The process's peak resident memory over all batch sizes (the model, activations, caches)");
    return {};
}

QVariant SpeedTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Model: return tr("Model");
    case Beam: return tr("Decoding");
    case Params: return tr("Params");
    case Active: return tr("Active");
    case Peak: return tr("Peak tokens/s");
    case PeakBatch: return tr("at batch");
    case Ratio: return tr("Peak vs baseline");
    case Memory: return tr("Peak memory");
    case EncoderShare: return tr("Encoder time");
    case Latency: return tr("Latency, batch 1");
    case Source: return tr("Sentences");
    default: return {};
    }
}

// ---- the dashboard -------------------------------------------------------------------------------

ThroughputDashboard::ThroughputDashboard(StoreController *store, JobController *jobs, QWidget *parent)
    : QWidget(parent), m_store(store), m_jobs(jobs), m_reader(this, QStringLiteral("throughput-dashboard"))
{
    setObjectName(QStringLiteral("throughputDashboard"));
    m_beam = new QComboBox;
    m_beam->addItem(tr("greedy and beam search"), 0);
    m_beam->addItem(tr("greedy"), 1);
    m_beam->addItem(tr("beam 4"), 4);
    m_beam->setCurrentIndex(1);   // greedy: half the curves, the one most papers quote
    m_baseline = new QComboBox;
    m_baseline->setObjectName(QStringLiteral("throughputBaseline"));
    m_models = new QListWidget;
    m_models->setObjectName(QStringLiteral("throughputModels"));
    m_models->setToolTip(tr("The store's models; those measured show their curves when checked"));
    m_measure = new QPushButton(tr("Measure the checked models"));
    m_measure->setToolTip(tr("Starts taskmoe bench --decode --models … for the checked models (batch sizes 1 to 256, greedy "
                             "and beam 4, on the test sentences of a direction they all serve)"));
    auto *form = new QFormLayout;
    form->addRow(tr("Decoding"), m_beam);
    form->addRow(tr("Baseline"), m_baseline);
    m_plot = new QCustomPlot;
    m_plot->setObjectName(QStringLiteral("throughputPlot"));
    m_plot->setMinimumHeight(200);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->axisRect()->setRangeZoom(Qt::Horizontal);
    m_plot->axisRect()->setRangeDrag(Qt::Horizontal);
    configureBatchAxis(m_plot->xAxis);
    m_plot->xAxis->setLabel(tr("batch size (sentences)"));
    m_plot->yAxis->setLabel(tr("target tokens / s"));
    m_plot->legend->setVisible(true);
    legendBelow(*m_plot, 2);
    m_ratio = new QCustomPlot;
    m_ratio->setObjectName(QStringLiteral("throughputRatio"));
    m_ratio->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_ratio->axisRect()->setRangeZoom(Qt::Horizontal);
    m_ratio->axisRect()->setRangeDrag(Qt::Horizontal);
    configureBatchAxis(m_ratio->xAxis);
    m_ratio->xAxis->setLabel(tr("batch size (sentences)"));
    m_ratio->setMinimumHeight(100);
    // Linked zoom: both plots show the same batch sizes.
    connect(m_plot->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, [this](const QCPRange &r) {
        if (m_ratio->xAxis->range() != r) {
            m_ratio->xAxis->setRange(r);
            m_ratio->replot();
        }
    });
    connect(m_ratio->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, [this](const QCPRange &r) {
        if (m_plot->xAxis->range() != r) {
            m_plot->xAxis->setRange(r);
            m_plot->replot();
        }
    });
    m_model = new SpeedTableModel(this);
    m_table = makeResultTable(m_model, QStringLiteral("throughputTable"));
    m_table->setMinimumHeight(90);
    m_status = makeStatusLine();
    layOutDashboard(this, QStringLiteral("throughput"), form, m_models, {m_measure}, m_status,
                    {{m_plot, 5}, {m_ratio, 2}, {m_table, 3}}, [this](ExportFormat format) {
                        exportWithDialog(this, QStringLiteral("throughput"), format,
                                         [this, format](const QString &path, QString *error) {
                                             return format == ExportFormat::Csv
                                                        ? saveFile(path, speedCsv(), error)
                                                        : savePlot(m_plot, path, format, QSize(900, 560), error);
                                         });
                    });

    connect(m_store, &StoreController::loaded, new DeferredRefresh(this, [this] { refresh(); }), &DeferredRefresh::request);
    connect(m_beam, &QComboBox::currentIndexChanged, this, &ThroughputDashboard::select);
    connect(m_baseline, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_filling)
            select();
    });
    connect(m_models, &QListWidget::itemChanged, this, [this] {
        if (m_filling)
            return;
        fillBaselines();
        select();
    });
    connect(m_measure, &QPushButton::clicked, this, &ThroughputDashboard::measure);
    if (m_jobs)
        connect(m_jobs, &JobController::jobEnded, this, [this](int job, qint64, JobController::JobState, const QString &) {
            const auto found = m_jobs->jobs().find(job);
            if (found != m_jobs->jobs().end() && found->second.kind == protocol::JobKind::Bench)
                refresh();
        });
    refresh();
}

void ThroughputDashboard::refresh()
{
    const quint64 serial = ++m_serial;
    if (m_store->path().isEmpty()) {
        showListing({}, QString());
        return;
    }
    m_reader.read<Listing>(
        m_store->path(),
        [](const db::Store &store) {
            Listing l;
            l.models = store.models();
            std::map<qint64, db::RunRecord> runs;
            for (const auto &r : store.runs())
                runs[r.id] = r;
            std::map<qint64, qint64> steps;
            for (const auto &m : l.models) {
                const auto run = runs.find(m.runId);
                if (run != runs.end() && !steps.count(m.checkpointId))
                    for (const auto &c : store.checkpoints(m.runId))
                        steps[c.id] = c.step;
                const qint64 step = steps.count(m.checkpointId) ? steps[m.checkpointId] : 0;
                l.labels.push_back(usecases::modelLabel(m, run == runs.end() ? nullptr : &run->second, step));
                l.steps.push_back(step);
            }
            l.series = usecases::speedSeries(store);
            return l;
        },
        this, [this, serial](const Listing &listing, const QString &error) {
            if (serial == m_serial)
                showListing(listing, error);
        });
}

void ThroughputDashboard::showListing(const Listing &listing, const QString &error)
{
    m_all = listing.series;
    std::set<qint64> measured;
    for (const auto &s : m_all)
        measured.insert(s.modelId);
    m_filling = true;
    const QList<qint64> wasChecked = checkedModels();
    m_models->clear();
    // A run's full models are its checkpoints (training registers each one that records routing):
    // offered are the newest one of each run and those measured before.
    std::map<qint64, qint64> newestStep;
    for (int i = 0; i < listing.models.size(); ++i)
        if (listing.models[i].kind == QLatin1String("full") && listing.models[i].runId > 0)
            newestStep[listing.models[i].runId] = std::max(newestStep[listing.models[i].runId], listing.steps[std::size_t(i)]);
    for (int i = 0; i < listing.models.size(); ++i) {
        const db::ModelRecord &m = listing.models[i];
        const bool has = measured.count(m.id) > 0;
        if (!has && m.kind == QLatin1String("full") && m.runId > 0 && listing.steps[std::size_t(i)] != newestStep[m.runId])
            continue;
        auto *item = new QListWidgetItem(listing.labels[std::size_t(i)] + (has ? QString() : tr(" (not measured)")), m_models);
        item->setData(Qt::UserRole, m.id);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        const bool check = wasChecked.isEmpty() ? has : wasChecked.contains(m.id);
        item->setCheckState(check ? Qt::Checked : Qt::Unchecked);
        if (!has)
            item->setForeground(palette().color(QPalette::PlaceholderText));
    }
    // Model files of no run measured by name (taskmoe bench --decode --models FILE.tmf).
    std::set<qint64> files;
    for (const auto &s : m_all) {
        if (s.modelId >= 0 || !files.insert(s.modelId).second)
            continue;
        auto *item = new QListWidgetItem(s.label, m_models);
        item->setToolTip(s.spec);
        item->setData(Qt::UserRole, s.modelId);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(wasChecked.isEmpty() || wasChecked.contains(s.modelId) ? Qt::Checked : Qt::Unchecked);
    }
    m_filling = false;
    fillBaselines();
    if (!error.isEmpty())
        m_status->setText(tr("Cannot read the benchmarks: %1").arg(error));
    else if (listing.models.isEmpty())
        m_status->setText(m_store->path().isEmpty() ? tr("No store is open.")
                                                    : tr("No models yet: train a run first, then measure its checkpoints here."));
    else if (m_all.empty())
        m_status->setText(tr("No decoding benchmarks yet: check models and press \"Measure the checked models\" "
                             "(or run taskmoe bench --decode --models run:N@best,…)."));
    select();
}

void ThroughputDashboard::fillBaselines()
{
    m_filling = true;
    const QVariant current = m_baseline->currentData();
    m_baseline->clear();
    m_baseline->addItem(tr("none"), qint64(0));
    for (int i = 0; i < m_models->count(); ++i) {
        const QListWidgetItem *item = m_models->item(i);
        const qint64 id = item->data(Qt::UserRole).toLongLong();
        if (item->checkState() == Qt::Checked
            && std::any_of(m_all.begin(), m_all.end(), [&](const usecases::SpeedSeries &s) { return s.modelId == id; }))
            m_baseline->addItem(item->text(), id);
    }
    // The first measured model checked is the baseline until the user picks another.
    const int index = current.isValid() && current.toLongLong() != 0 ? m_baseline->findData(current) : -1;
    m_baseline->setCurrentIndex(index >= 0 ? index : std::min(1, m_baseline->count() - 1));
    m_filling = false;
}

QList<qint64> ThroughputDashboard::checkedModels() const
{
    QList<qint64> ids;
    for (int i = 0; i < m_models->count(); ++i)
        if (m_models->item(i)->checkState() == Qt::Checked)
            ids << m_models->item(i)->data(Qt::UserRole).toLongLong();
    return ids;
}

void ThroughputDashboard::showModels(const QList<qint64> &models, qint64 baselineModel)
{
    m_filling = true;
    for (int i = 0; i < m_models->count(); ++i)
        m_models->item(i)->setCheckState(models.contains(m_models->item(i)->data(Qt::UserRole).toLongLong()) ? Qt::Checked
                                                                                                              : Qt::Unchecked);
    m_filling = false;
    fillBaselines();
    m_filling = true;
    m_baseline->setCurrentIndex(std::max(0, m_baseline->findData(baselineModel)));
    m_filling = false;
    select();
}

void ThroughputDashboard::select()
{
    const QList<qint64> checked = checkedModels();
    const int beam = m_beam->currentData().toInt();
    m_shown.clear();
    for (const qint64 id : checked)   // in list order, greedy before beam search
        for (const auto &s : m_all)
            if (s.modelId == id && (beam == 0 || s.beam == beam))
                m_shown.push_back(s);
    const qint64 baselineModel = m_baseline->currentData().toLongLong();
    m_shownBaseline = -1;
    for (std::size_t i = 0; i < m_shown.size(); ++i)
        if (m_shown[i].modelId == baselineModel && m_shownBaseline < 0)
            m_shownBaseline = int(i);
    m_model->setSeries(m_shown, m_shownBaseline);
    m_table->resizeColumnsToContents();
    m_table->setColumnWidth(SpeedTableModel::Model, std::min(m_table->columnWidth(SpeedTableModel::Model), 360));
    if (!m_shown.empty())
        m_status->setText(tr("%1 curves of %2 models: the best of the stored measurements at each batch size; ★ marks each "
                             "curve's peak. Drag or wheel to zoom the batch sizes (both plots follow).")
                              .arg(m_shown.size()).arg(checked.size()));
    draw();
    emit curvesShown();
}

void ThroughputDashboard::draw()
{
    m_plot->clearGraphs();
    m_ratio->clearGraphs();
    m_ratio->clearItems();
    std::map<qint64, int> colourOf;
    int minBatch = 0, maxBatch = 0;
    bool anyRatio = false;
    for (std::size_t i = 0; i < m_shown.size(); ++i) {
        const usecases::SpeedSeries &s = m_shown[i];
        const int colour = colourOf.emplace(s.modelId, int(colourOf.size())).first->second;
        QPen pen(seriesColour(colour), 1.8, s.beam > 1 ? Qt::DashLine : Qt::SolidLine);
        QVector<double> x, y;
        for (const auto &p : s.points) {
            x << p.batchSize;
            y << p.tokensPerSecond;
            minBatch = minBatch == 0 ? p.batchSize : std::min(minBatch, p.batchSize);
            maxBatch = std::max(maxBatch, p.batchSize);
        }
        QCPGraph *g = m_plot->addGraph();
        g->setName(QStringLiteral("%1, %2").arg(s.label, beamName(s.beam)));
        g->setPen(pen);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
        g->setData(x, y, true);
        if (const usecases::SpeedPoint *peak = s.peakPoint()) {
            QCPGraph *star = m_plot->addGraph();
            star->setPen(QPen(seriesColour(colour)));
            star->setLineStyle(QCPGraph::lsNone);
            star->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssStar, QPen(seriesColour(colour), 2), Qt::NoBrush, 13));
            star->setData({double(peak->batchSize)}, {peak->tokensPerSecond});
            star->removeFromLegend();
        }
        // The ratio to the baseline at each batch size both measured.
        const usecases::SpeedSeries *base = baselineOf(m_shown, m_shownBaseline, s);
        if (base && base != &s) {
            QVector<double> rx, ry;
            for (const auto &p : s.points)
                if (const auto b = base->at(p.batchSize); b && *b > 0) {
                    rx << p.batchSize;
                    ry << p.tokensPerSecond / *b;
                }
            QCPGraph *r = m_ratio->addGraph();
            r->setPen(pen);
            r->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
            r->setData(rx, ry, true);
            anyRatio = anyRatio || !rx.isEmpty();
        }
    }
    const QString baseline = m_shownBaseline >= 0 ? m_shown[std::size_t(m_shownBaseline)].label : QString();
    m_ratio->yAxis->setLabel(baseline.isEmpty() ? tr("ratio (choose a baseline)") : tr("× baseline"));
    m_ratio->setToolTip(baseline.isEmpty() ? QString() : tr("Tokens per second over %1's at the same batch size and decoding").arg(baseline));
    m_plot->legend->setVisible(!m_shown.empty());
    if (!m_shown.empty()) {
        m_plot->rescaleAxes();
        const QCPRange y = m_plot->yAxis->range();
        m_plot->yAxis->setRange(0, y.upper * 1.08);
        m_plot->xAxis->setRange(std::max(0.5, minBatch / 1.4), maxBatch * 1.4);
    }
    if (anyRatio) {
        m_ratio->yAxis->rescale();   // the batch axis follows the throughput plot's
        const QCPRange y = m_ratio->yAxis->range();
        m_ratio->yAxis->setRange(std::min(y.lower, 1.0) - 0.1, std::max(y.upper, 1.0) + 0.1);
        m_ratio->xAxis->setRange(m_plot->xAxis->range());
        auto *one = new QCPItemStraightLine(m_ratio);
        one->point1->setCoords(1, 1);
        one->point2->setCoords(2, 1);
        one->setPen(QPen(Qt::gray, 1, Qt::DotLine));
    }
    m_plot->replot();
    m_ratio->replot();
}

void ThroughputDashboard::measure()
{
    QStringList models;
    for (const qint64 id : checkedModels()) {
        const auto file = std::find_if(m_all.begin(), m_all.end(), [id](const usecases::SpeedSeries &s) { return s.modelId == id; });
        models << (id < 0 && file != m_all.end() ? file->spec : QStringLiteral("model:%1").arg(id));
    }
    if (models.isEmpty()) {
        m_status->setText(tr("Check the models to measure."));
        return;
    }
    if (!m_jobs) {
        m_status->setText(tr("Benchmarks cannot be started from here in this window."));
        return;
    }
    QString error;
    if (m_jobs->startBenchmark(models, &error) == 0)
        m_status->setText(tr("Cannot start the benchmark: %1").arg(error));
    else
        m_status->setText(tr("Measuring the decoding throughput of %1… (the curves appear when it ends)")
                              .arg(models.join(QStringLiteral(", "))));
}

QByteArray ThroughputDashboard::speedCsv() const
{
    QString out = QStringLiteral("model_id,model,beam,source,batch_size,tokens_per_second,latency_ms,encoder_ms,decoder_ms,"
                                 "peak_rss_bytes,params_total,params_active\n");
    for (const auto &s : m_shown)
        for (const auto &p : s.points)
            out += QStringList{QString::number(s.modelId), csvField(s.label), QString::number(s.beam), csvField(s.source),
                               QString::number(p.batchSize), QString::number(p.tokensPerSecond, 'f', 2),
                               QString::number(p.latencyMs, 'f', 3), QString::number(p.encoderMs, 'f', 3),
                               QString::number(p.decoderMs, 'f', 3), QString::number(p.peakRssBytes),
                               QString::number(s.paramsTotal), QString::number(s.paramsActive)}
                       .join(QLatin1Char(','))
                   + QLatin1Char('\n');
    return out.toUtf8();
}

} // namespace taskmoe::ui
