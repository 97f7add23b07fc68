#include "ui/subnetworks/subnetworkstab.h"

#include "core/config/trainconfig.h"
#include "db/store.h"
#include "ui/common/deferredrefresh.h"
#include "ui/common/plots.h"
#include "ui/common/storecontroller.h"
#include "ui/jobs/jobcontroller.h"
#include "ui/runs/runmodel.h"   // runConfig

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

namespace taskmoe::ui {

namespace {

QString number(double v, int decimals) { return QString::number(v, 'f', decimals); }

/// "1.78 M" for parameter counts.
QString millions(qint64 n) { return QStringLiteral("%1 M").arg(double(n) / 1e6, 0, 'f', 2); }

bool hasMoe(const core::TrainConfig &c)
{
    return (c.model.encoderRouting != core::Routing::Dense && c.model.encoderMoeEvery > 0)
           || (c.model.decoderRouting != core::Routing::Dense && c.model.decoderMoeEvery > 0);
}

/// The manifest-style layer list of a full model: every MoE layer keeps all its experts.
QJsonArray fullModelLayers(const core::TrainConfig &c)
{
    QJsonArray layers;
    for (int side = 0; side < 2; ++side) {
        const bool decoder = side == 1;
        const std::int64_t count = decoder ? c.model.decoderLayers : c.model.encoderLayers;
        for (std::int64_t i = 0; i < count; ++i)
            if (decoder ? c.model.decoderLayerIsMoe(i) : c.model.encoderLayerIsMoe(i))
                layers << QJsonObject{{QStringLiteral("side"), decoder ? QStringLiteral("decoder") : QStringLiteral("encoder")},
                                      {QStringLiteral("layer"), int(i)},
                                      {QStringLiteral("kind"), QStringLiteral("kept")},
                                      {QStringLiteral("routing"), QString::fromStdString(core::routingName(
                                                                      decoder ? c.model.decoderRouting : c.model.encoderRouting))}};
    }
    return layers;
}

} // namespace

// ---- the table ---------------------------------------------------------------------------------

void ComparisonTableModel::setComparison(const usecases::Comparison &comparison)
{
    beginResetModel();
    m_rows = comparison.rows;
    endResetModel();
}

int ComparisonTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ComparisonTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

std::optional<double> ComparisonTableModel::value(const usecases::ComparisonRow &r, int column) const
{
    switch (column) {
    case Params: return double(r.paramsTotal);
    case Active: return double(r.paramsActive);
    case FileMb: return r.fileBytes > 0 ? std::optional<double>(double(r.fileBytes) / (1 << 20)) : std::nullopt;
    case Bleu: return r.bleu;
    case Chrf: return r.chrf;
    case Delta: return r.deltaBleu;
    case Gain: return r.gainKept;
    case Greedy: return r.peakGreedy;
    case Beam: return r.peakBeam;
    default: return std::nullopt;
    }
}

int ComparisonTableModel::bestRow(int column) const
{
    const bool smaller = column == Params || column == Active || column == FileMb;
    int best = -1;
    for (int r = 0; r < int(m_rows.size()); ++r) {
        const auto v = value(m_rows[std::size_t(r)], column);
        if (!v)
            continue;
        const auto b = best >= 0 ? value(m_rows[std::size_t(best)], column) : std::nullopt;
        if (!b || (smaller ? *v < *b : *v > *b))
            best = r;
    }
    return best;
}

QVariant ComparisonTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const auto &r = m_rows[std::size_t(index.row())];
    const int c = index.column();
    if (role == Qt::DisplayRole) {
        switch (c) {
        case Task: return r.task;
        case Kind: return r.kind;
        case Model: return r.modelId;
        case Params: return millions(r.paramsTotal);
        case Active: return millions(r.paramsActive);
        case FileMb: return r.fileBytes > 0 ? number(double(r.fileBytes) / (1 << 20), 1) : tr("missing");
        case Experts: return r.experts.isEmpty() ? tr("all (full)") : r.experts;
        default: break;
        }
        const auto v = value(r, c);
        if (!v)
            return QStringLiteral("—");
        if (c == Gain)
            return QStringLiteral("%1 %").arg(*v * 100, 0, 'f', 0);
        if (c == Delta)
            return (*v > 0 ? QStringLiteral("+") : QString()) + number(*v, 2);
        if (c == Greedy || c == Beam)
            return number(*v, 0);
        return number(*v, 2);
    }
    if (role == Qt::TextAlignmentRole)
        return c >= Params && c != Experts ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::FontRole && c >= Params && c != Experts && index.row() == bestRow(c) && m_rows.size() > 1) {
        QFont bold;
        bold.setBold(true);
        return bold;
    }
    if (role == Qt::ToolTipRole)
        return tr("model %1 (%2), checkpoint step %3\n%4\nscores over %5\n%6 parameters: embedding %7, encoder %8, decoder %9, "
                  "experts %10")
            .arg(r.modelId).arg(r.kind).arg(r.step).arg(r.path).arg(r.pairs.join(QStringLiteral(", ")))
            .arg(r.paramsTotal).arg(r.paramsEmbedding).arg(r.paramsEncoder).arg(r.paramsDecoder).arg(r.paramsExpert);
    return {};
}

QVariant ComparisonTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        static const char *const names[] = {"Task", "Kind", "Model", "Params", "Active/token", "File MB", "Experts kept",
                                            "BLEU", "chrF", "ΔBLEU", "Gain kept", "Greedy tok/s", "Beam-4 tok/s"};
        return tr(names[section]);
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Delta: return tr("BLEU minus the full model's on the same pairs, decoded alike");
        case Gain: return tr("(model − dense) / (full − dense): the share of the full model's BLEU gain over the dense "
                             "baseline the model keeps (paper: distillation 32–43 %, extraction 100 %)");
        case Greedy:
        case Beam: return tr("Peak decoding throughput measured by taskmoe bench --decode --models (target tokens/s)");
        case Active: return tr("Parameters a token uses: dense ones plus k/E of each MoE layer's experts");
        default: return {};
        }
    }
    return {};
}

// ---- experts kept ---------------------------------------------------------------------------------

ExpertsKeptView::ExpertsKeptView(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("expertsKept"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void ExpertsKeptView::setLayers(const QJsonArray &layers, int experts, const QString &title)
{
    m_layers = layers;
    m_experts = experts;
    m_title = title;
    updateGeometry();
    update();
}

QSize ExpertsKeptView::sizeHint() const
{
    return {640, 48 + 44 * std::max(1, int(m_layers.size()))};
}

QSize ExpertsKeptView::minimumSizeHint() const
{
    return {320, 90};
}

void ExpertsKeptView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    p.setPen(palette().text().color());
    QFont titleFont = font();
    titleFont.setBold(true);
    p.setFont(titleFont);
    const int margin = 10;
    p.drawText(QRect(margin, 4, width() - 2 * margin, 22), Qt::AlignLeft | Qt::AlignVCenter,
               m_title.isEmpty() ? tr("Select a row to see which experts it keeps") : m_title);
    p.setFont(font());
    if (m_layers.isEmpty()) {
        if (!m_title.isEmpty())
            p.drawText(QRect(margin, 30, width() - 2 * margin, 22), Qt::AlignLeft | Qt::AlignVCenter,
                       tr("A dense model: no MoE layers."));
        return;
    }
    QCPColorGradient gradient = viridis();   // color() is not const
    const int labelWidth = 150;
    const int experts = std::max(1, m_experts);
    const int cell = std::clamp((width() - labelWidth - 2 * margin) / experts, 14, 44);
    int y = 32;
    for (const auto &value : m_layers) {
        const QJsonObject l = value.toObject();
        const bool decoder = l.value(QStringLiteral("side")).toString() == QLatin1String("decoder");
        const QString kind = l.value(QStringLiteral("kind")).toString();
        const QString label = QStringLiteral("%1 %2 · %3").arg(decoder ? tr("decoder") : tr("encoder"))
                                  .arg(l.value(QStringLiteral("layer")).toInt()).arg(kind);
        p.setPen(palette().text().color());
        p.drawText(QRect(margin, y, labelWidth - 8, cell), Qt::AlignLeft | Qt::AlignVCenter, label);
        std::map<int, double> kept;   // expert → gate (1 when the layer has no gates)
        const QJsonArray ids = l.value(QStringLiteral("experts")).toArray();
        const QJsonArray gates = l.value(QStringLiteral("gates")).toArray();
        for (int i = 0; i < ids.size(); ++i)
            kept[ids[i].toInt()] = i < gates.size() ? gates[i].toDouble() : 1.0;
        const bool all = kind == QLatin1String("kept");
        for (int e = 0; e < experts; ++e) {
            const QRect box(margin + labelWidth + e * cell, y, cell - 3, cell - 3);
            const auto it = kept.find(e);
            const bool isKept = all || it != kept.end();
            // Folded layers: the colour says the gate weight; pruned or whole layers: kept or not.
            const double shade = !isKept ? 0 : gates.isEmpty() ? 0.75 : 0.25 + 0.75 * it->second;
            p.fillRect(box, isKept ? QColor(gradient.color(shade, QCPRange(0, 1))) : palette().window().color());
            p.setPen(palette().mid().color());
            p.drawRect(box);
            p.setPen(isKept && shade < 0.6 ? Qt::white : palette().text().color());
            QString text = QString::number(e);
            if (isKept && !gates.isEmpty() && it != kept.end() && cell >= 30)
                text += QStringLiteral("\n%1").arg(it->second, 0, 'f', 2);
            QFont small = font();
            small.setPointSizeF(std::max(6.0, font().pointSizeF() * (cell >= 30 ? 0.8 : 0.7)));
            p.setFont(small);
            p.drawText(box, Qt::AlignCenter, text);
            p.setFont(font());
        }
        y += cell + 8;
    }
}

// ---- the worker -------------------------------------------------------------------------------------

ComparisonWorker::ComparisonWorker(QObject *parent) : QObject(parent) {}

ComparisonWorker::~ComparisonWorker() = default;

QString ComparisonWorker::open(const QString &path)
{
    m_store.reset();
    if (path.isEmpty())
        return {};
    QString error;
    m_store = openWorkerConnection(path, &error);
    return error;
}

std::pair<usecases::Comparison, QString> ComparisonWorker::compare(const usecases::ComparisonRequest &request)
{
    if (!m_store)
        return {{}, tr("No store is open.")};
    try {
        return {usecases::compareModels(*m_store, request), {}};
    } catch (const std::exception &e) {
        return {{}, QString::fromUtf8(e.what())};
    }
}

QVector<db::ModelRecord> ComparisonWorker::models()
{
    if (!m_store)
        return {};
    try {
        return m_store->models();
    } catch (const std::exception &) {
        return {};
    }
}

// ---- the tab ------------------------------------------------------------------------------------------

SubnetworksTab::SubnetworksTab(StoreController *store, JobController *jobs, QWidget *parent)
    : QWidget(parent), m_store(store), m_jobs(jobs),
      m_worker(this, new ComparisonWorker, QStringLiteral("subnetworks-comparison"))
{
    setObjectName(QStringLiteral("subnetworksTab"));

    m_runBox = new QComboBox;
    m_runBox->setObjectName(QStringLiteral("subnetworkRun"));
    m_runBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_runBox->setMinimumContentsLength(18);
    m_checkpointBox = new QComboBox;
    m_checkpointBox->addItem(tr("best (highest dev BLEU)"), true);
    m_checkpointBox->addItem(tr("newest"), false);
    m_tasks = new QListWidget;
    m_tasks->setObjectName(QStringLiteral("subnetworkTasks"));
    m_tasks->setToolTip(tr("Tasks to extract; none checked: every task. A model routed by target language has one "
                           "sub-network per target language, one routed by pair one per pair."));
    m_tasks->setMaximumHeight(150);
    m_prune = new QCheckBox(tr("Prune token-routed layers"));
    m_prune->setToolTip(tr("Keep, in every token- or sentence-routed MoE layer, the K experts the task used most in the "
                           "checkpoint's routing statistics (evaluate the checkpoint first)"));
    m_keep = new QSpinBox;
    m_keep->setRange(1, 4096);
    m_keep->setValue(2);
    m_keep->setPrefix(tr("keep "));
    m_by = new QComboBox;
    for (const char *measure : {"importance", "top1", "topk", "gate"})
        m_by->addItem(QString::fromLatin1(measure));
    m_by->setToolTip(tr("importance: NLLB-200's first choices × exp(mean first-choice gate weight)"));
    m_extract = new QPushButton(tr("Extract"));
    m_extract->setObjectName(QStringLiteral("extractButton"));

    auto *extractBox = new QGroupBox(tr("Extract"));
    auto *extractForm = new QFormLayout(extractBox);
    extractForm->addRow(tr("Run"), m_runBox);
    extractForm->addRow(tr("Checkpoint"), m_checkpointBox);
    extractForm->addRow(tr("Tasks"), m_tasks);
    extractForm->addRow(m_prune);
    auto *pruneRow = new QHBoxLayout;
    pruneRow->addWidget(m_keep);
    pruneRow->addWidget(new QLabel(tr("by")));
    pruneRow->addWidget(m_by, 1);
    extractForm->addRow(pruneRow);
    extractForm->addRow(m_extract);

    m_denseBox = new QComboBox;
    m_denseBox->setObjectName(QStringLiteral("denseBaseline"));
    m_denseBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_denseBox->setMinimumContentsLength(18);
    m_beamBox = new QComboBox;
    m_beamBox->addItem(tr("beam 4"), 4);
    m_beamBox->addItem(tr("greedy"), 1);
    m_evaluate = new QPushButton(tr("Evaluate selected"));
    m_evaluate->setToolTip(tr("Translate and score the selected models' test pairs with the chosen decoding"));
    m_bench = new QPushButton(tr("Benchmark selected"));
    m_bench->setToolTip(tr("Measure the selected models' decoding throughput side by side (batch sizes 1–128)"));
    auto *compareBox = new QGroupBox(tr("Compare"));
    auto *compareForm = new QFormLayout(compareBox);
    compareForm->addRow(tr("Dense baseline"), m_denseBox);
    compareForm->addRow(tr("Scores of"), m_beamBox);
    compareForm->addRow(m_evaluate);
    compareForm->addRow(m_bench);

    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("subnetworkStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setAlignment(Qt::AlignTop | Qt::AlignLeft);

    auto *controls = new QWidget;
    auto *controlsLayout = new QVBoxLayout(controls);
    controlsLayout->setContentsMargins(0, 0, 0, 0);
    controlsLayout->addWidget(extractBox);
    controlsLayout->addWidget(compareBox);
    controlsLayout->addWidget(m_status, 1);
    controls->setMaximumWidth(340);

    m_model = new ComparisonTableModel(this);
    m_table = new QTableView;
    m_table->setObjectName(QStringLiteral("comparisonTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->setWordWrap(false);
    m_experts = new ExpertsKeptView;

    auto *right = new QSplitter(Qt::Vertical);
    right->setObjectName(QStringLiteral("subnetworksSplitter"));
    right->addWidget(m_table);
    right->addWidget(m_experts);
    right->setStretchFactor(0, 3);
    right->setStretchFactor(1, 2);

    auto *layout = new QHBoxLayout(this);
    layout->addWidget(controls);
    layout->addWidget(right, 1);

    connect(m_store, &StoreController::loaded, new DeferredRefresh(this, [this] { fillRuns(); }), &DeferredRefresh::request);
    connect(m_runBox, &QComboBox::currentIndexChanged, this, &SubnetworksTab::onRunChanged);
    connect(m_denseBox, &QComboBox::currentIndexChanged, this, &SubnetworksTab::refresh);
    connect(m_beamBox, &QComboBox::currentIndexChanged, this, &SubnetworksTab::refresh);
    connect(m_prune, &QCheckBox::toggled, this, [this](bool on) {
        m_keep->setEnabled(on);
        m_by->setEnabled(on);
    });
    connect(m_extract, &QPushButton::clicked, this, &SubnetworksTab::extract);
    connect(m_evaluate, &QPushButton::clicked, this, &SubnetworksTab::evaluateSelected);
    connect(m_bench, &QPushButton::clicked, this, &SubnetworksTab::benchmarkSelected);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &SubnetworksTab::onRowChanged);
    if (m_jobs) {
        connect(m_jobs, &JobController::taskProgress, this, [this](int, int done, int total, const QString &what) {
            m_status->setText(tr("Working: %1 of %2 done (%3)…").arg(done).arg(total).arg(what));
        });
        connect(m_jobs, &JobController::jobEnded, this, [this](int job, qint64, JobController::JobState, const QString &) {
            const auto found = m_jobs->jobs().find(job);
            if (found != m_jobs->jobs().end() && found->second.kind != protocol::JobKind::Train)
                refresh();
        });
    }
    m_prune->setChecked(false);
    m_keep->setEnabled(false);
    m_by->setEnabled(false);
    fillRuns();
}

SubnetworksTab::~SubnetworksTab()
{
    m_worker.stop([](ComparisonWorker *w) { w->open(QString()); });
}

qint64 SubnetworksTab::currentRun() const
{
    return m_runBox->currentData().toLongLong();
}

bool SubnetworksTab::selectRun(qint64 runId)
{
    const int index = m_runBox->findData(runId);
    if (index < 0)
        return false;
    m_runBox->setCurrentIndex(index);
    return true;
}

void SubnetworksTab::fillRuns()
{
    const qint64 current = currentRun();
    const QVariant dense = m_denseBox->currentData();
    {
        const QSignalBlocker blockRuns(m_runBox);
        const QSignalBlocker blockDense(m_denseBox);
        m_runBox->clear();
        m_denseBox->clear();
        m_denseBox->addItem(tr("(none)"), qint64(0));
        for (const auto &run : m_store->runs()) {
            if (run.kind != QLatin1String("train") || run.status != db::RunStatus::Finished)
                continue;
            const auto config = runConfig(run);
            if (!config)
                continue;
            const QString routing = QStringLiteral("%1/%2").arg(QString::fromStdString(core::routingName(config->model.encoderRouting)),
                                                                QString::fromStdString(core::routingName(config->model.decoderRouting)));
            const QString text = QStringLiteral("%1 · %2 (%3)").arg(run.id).arg(run.name, routing);
            if (hasMoe(*config))
                m_runBox->addItem(text, run.id);
            else
                m_denseBox->addItem(text, run.id);
        }
        const int keep = m_runBox->findData(current);
        m_runBox->setCurrentIndex(keep >= 0 ? keep : m_runBox->count() - 1);   // the newest by default
        const int denseIndex = m_denseBox->findData(dense);
        m_denseBox->setCurrentIndex(denseIndex >= 0 ? denseIndex : (m_denseBox->count() > 1 ? m_denseBox->count() - 1 : 0));
    }
    onRunChanged();
}

void SubnetworksTab::onRunChanged()
{
    m_tasks->clear();
    const qint64 runId = currentRun();
    db::RunRecord run;
    for (const auto &r : m_store->runs())
        if (r.id == runId)
            run = r;
    const auto config = runConfig(run);
    m_extract->setEnabled(run.id > 0 && config && m_jobs);
    if (!config) {
        m_model->setComparison({});
        m_experts->setLayers({}, 0, {});
        m_status->setText(m_runBox->count() == 0 ? tr("No finished MoE run in this store yet: train one (e.g. the "
                                                      "task-moe-target preset) to extract its sub-networks.")
                                                 : QString());
        return;
    }
    const auto &m = config->model;
    const bool byPair = m.encoderRouting == core::Routing::TaskPair || m.decoderRouting == core::Routing::TaskPair
                        || (!core::isTaskRouting(m.encoderRouting) && !core::isTaskRouting(m.decoderRouting));
    const bool tokenRouted = (m.encoderRouting == core::Routing::Token || m.encoderRouting == core::Routing::Sentence)
                             || (m.decoderRouting == core::Routing::Token || m.decoderRouting == core::Routing::Sentence);
    m_prune->setEnabled(tokenRouted);
    if (!core::isTaskRouting(m.encoderRouting) && !core::isTaskRouting(m.decoderRouting))
        m_prune->setChecked(true);   // nothing to fold: pruning is the only extraction
    m_keep->setMaximum(int(m.experts));
    m_keep->setMinimum(int(m.topK));
    std::set<QString> tasks;
    for (const auto &dataset : m_store->datasets()) {
        if (dataset.id != run.datasetId)
            continue;
        const std::string &dir = config->data.directions;
        for (const auto &p : dataset.pairs) {
            // The store keeps a pair once (en-de); the run trains the directions it was asked to.
            const QString english = p.srcLang == QLatin1String("en") ? p.srcLang : p.tgtLang;
            const QString other = english == p.srcLang ? p.tgtLang : p.srcLang;
            if (dir != "xx-en")
                tasks.insert(byPair ? english + QLatin1Char('-') + other : other);
            if (dir != "en-xx")
                tasks.insert(byPair ? other + QLatin1Char('-') + english : english);
        }
    }
    for (const auto &t : tasks) {
        auto *item = new QListWidgetItem(t, m_tasks);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Unchecked);
    }
    refresh();
}

void SubnetworksTab::refresh()
{
    const quint64 serial = ++m_serial;
    usecases::ComparisonRequest request;
    request.runId = currentRun();
    request.denseRunId = m_denseBox->currentData().toLongLong();
    request.beam = m_beamBox->currentData().toInt();
    const QString path = m_store->path();
    if (request.runId == 0 || path.isEmpty())
        return;
    const bool reopen = path != m_openPath;
    m_openPath = path;
    QPointer<SubnetworksTab> self(this);
    m_worker.post([self, request, path, reopen, serial](ComparisonWorker *w) {
        QString error = reopen ? w->open(path) : QString();
        auto [comparison, compareError] = error.isEmpty() ? w->compare(request) : std::make_pair(usecases::Comparison(), error);
        const auto models = w->models();
        QMetaObject::invokeMethod(QCoreApplication::instance(), [self, comparison = std::move(comparison), compareError = std::move(compareError),
                                         models, serial] {
            if (!self)
                return;
            self->m_modelRecords = models;
            self->showComparison(comparison, compareError, serial);
        });
    });
}

void SubnetworksTab::showComparison(const usecases::Comparison &comparison, const QString &error, quint64 serial)
{
    if (serial != m_serial)
        return;   // a newer request is on its way
    m_comparison = comparison;
    m_model->setComparison(comparison);
    m_table->resizeColumnsToContents();
    m_table->setColumnWidth(ComparisonTableModel::Experts,
                            std::min(m_table->columnWidth(ComparisonTableModel::Experts), 220));
    if (!error.isEmpty()) {
        m_status->setText(tr("Cannot compare: %1").arg(error));
    } else if (comparison.rows.empty()) {
        m_status->setText(tr("Run %1 has no evaluated checkpoint or sub-network yet. Extract sub-networks here, or "
                             "evaluate the run first: %2").arg(comparison.run.id)
                              .arg(comparison.missing.join(QStringLiteral("; "))));
    } else if (!comparison.missing.isEmpty()) {
        QStringList shown = comparison.missing.mid(0, 6);
        if (comparison.missing.size() > 6)
            shown << tr("… %1 more").arg(comparison.missing.size() - 6);
        m_status->setText(tr("Empty cells are not measured yet (select the rows and use Evaluate or Benchmark, or run):\n%1")
                              .arg(shown.join(QLatin1Char('\n'))));
    } else {
        std::set<QString> tasks;
        for (const auto &r : comparison.rows)
            tasks.insert(r.task);
        QStringList lines{tr("%1 models compared on %2 tasks.").arg(comparison.rows.size()).arg(tasks.size())};
        for (const auto &v : comparison.summary)
            if (v.bleu && v.kind != QLatin1String("full"))
                lines << tr("• %1: BLEU %2 (%3 to the full model%4)")
                             .arg(v.variant)
                             .arg(*v.bleu, 0, 'f', 2)
                             .arg(QString::asprintf("%+.2f", v.deltaBleu.value_or(0.0)))
                             .arg(v.gainKept ? tr(", %1 % of its gain kept").arg(*v.gainKept * 100, 0, 'f', 0) : QString());
        if (lines.size() > 1)
            lines[0] += tr(" Over all the pairs each covers:");
        m_status->setText(lines.join(QLatin1Char('\n')));
    }
    if (m_model->rowCount() > 0 && !m_table->currentIndex().isValid())
        m_table->selectRow(std::min(1, m_model->rowCount() - 1));   // the first sub-network
    onRowChanged();
    emit comparisonShown();
}

void SubnetworksTab::onRowChanged()
{
    const QModelIndex current = m_table->currentIndex();
    if (!current.isValid() || current.row() >= m_model->rowCount()) {
        m_experts->setLayers({}, 0, {});
        return;
    }
    const usecases::ComparisonRow &row = m_model->row(current.row());
    const auto config = runConfig(m_comparison.run);
    const int experts = config ? int(config->model.experts) : 0;
    QJsonArray layers;
    if (row.kind == QLatin1String("full") && config) {
        layers = fullModelLayers(*config);
    } else {
        for (const auto &m : m_modelRecords)
            if (m.id == row.modelId)
                layers = QJsonDocument::fromJson(m.manifestJson.toUtf8()).object().value(QStringLiteral("layers")).toArray();
    }
    m_experts->setLayers(layers, experts,
                         tr("Model %1 (%2, task %3): experts kept in each MoE layer").arg(row.modelId).arg(row.kind, row.task));
}

QList<int> SubnetworksTab::selectedRows() const
{
    QList<int> rows;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows())
        rows << index.row();
    std::sort(rows.begin(), rows.end());
    return rows;
}

void SubnetworksTab::extract()
{
    if (!m_jobs)
        return;
    JobController::ExtractRequest request;
    request.runId = currentRun();
    request.bestCheckpoint = m_checkpointBox->currentData().toBool();
    for (int i = 0; i < m_tasks->count(); ++i)
        if (m_tasks->item(i)->checkState() == Qt::Checked)
            request.tasks << m_tasks->item(i)->text();
    if (m_prune->isEnabled() && m_prune->isChecked()) {
        request.keep = m_keep->value();
        request.by = m_by->currentText();
    }
    QString error;
    if (m_jobs->startExtraction(request, &error) == 0)
        m_status->setText(tr("Cannot start the extraction: %1").arg(error));
    else
        m_status->setText(tr("Extracting from run %1…").arg(request.runId));
}

void SubnetworksTab::evaluateSelected()
{
    if (!m_jobs)
        return;
    QStringList started;
    for (const int r : selectedRows()) {
        JobController::EvalRequest request;
        request.modelId = m_model->row(r).modelId;
        request.beam = m_beamBox->currentData().toInt();
        QString error;
        if (m_jobs->startEvaluation(request, &error) == 0) {
            m_status->setText(tr("Cannot start the evaluation: %1").arg(error));
            return;
        }
        started << QString::number(request.modelId);
    }
    m_status->setText(started.isEmpty() ? tr("Select the rows to evaluate.")
                                        : tr("Evaluating models %1…").arg(started.join(QStringLiteral(", "))));
}

void SubnetworksTab::benchmarkSelected()
{
    if (!m_jobs)
        return;
    QStringList models;
    for (const int r : selectedRows())
        models << QStringLiteral("model:%1").arg(m_model->row(r).modelId);
    if (models.isEmpty()) {
        m_status->setText(tr("Select the rows to benchmark."));
        return;
    }
    models.removeDuplicates();
    QString error;
    if (m_jobs->startBenchmark(models, &error) == 0)
        m_status->setText(tr("Cannot start the benchmark: %1").arg(error));
    else
        m_status->setText(tr("Measuring the decoding throughput of %1…").arg(models.join(QStringLiteral(", "))));
}

} // namespace taskmoe::ui
