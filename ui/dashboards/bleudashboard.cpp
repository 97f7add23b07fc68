#include "ui/dashboards/bleudashboard.h"

#include "db/store.h"
#include "ui/common/deferredrefresh.h"
#include "ui/common/plotexport.h"
#include "ui/common/plots.h"
#include "ui/common/storecontroller.h"
#include "ui/dashboards/dashboardframe.h"
#include "ui/runs/runcomparison.h"

#include <qcustomplot.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace taskmoe::ui {

namespace {

constexpr double kGroupWidth = 0.8;

QString millions(qint64 n) { return QStringLiteral("%1 M").arg(double(n) / 1e6, 0, 'f', 2); }

/// The score columns of the table and the aggregate each shows.
QString aggregateOf(int column)
{
    const int i = column - ScoreTableModel::Average;
    return i >= 0 && i < usecases::scoreAggregates().size() ? usecases::scoreAggregates()[i] : QString();
}

} // namespace

// ---- the aggregate table ------------------------------------------------------------------------

void ScoreTableModel::setBoard(const usecases::Scoreboard &board)
{
    beginResetModel();
    m_board = board;
    endResetModel();
}

int ScoreTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_board.entries.size());
}

int ScoreTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

std::optional<double> ScoreTableModel::value(int row, int column) const
{
    if (row < 0 || row >= rowCount())
        return std::nullopt;
    const usecases::ScoredEntry &s = m_board.entries[std::size_t(row)];
    if (column == Delta)
        return s.deltaAverage;
    if (column == Gain)
        return s.gainKept;
    const QString aggregate = aggregateOf(column);
    if (aggregate.isEmpty())
        return std::nullopt;
    const auto it = s.aggregates.find(aggregate);
    return it == s.aggregates.end() ? std::nullopt : std::optional<double>(it->second);
}

int ScoreTableModel::bestRow(int column) const
{
    int best = -1;
    for (int r = 0; r < rowCount(); ++r) {
        if (column == Delta && r == m_board.baseline)
            continue;
        const auto v = value(r, column);
        if (v && (best < 0 || *v > *value(best, column)))
            best = r;
    }
    return best;
}

QVariant ScoreTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const usecases::ScoredEntry &s = m_board.entries[std::size_t(index.row())];
    const int column = index.column();
    if (role == Qt::DisplayRole) {
        switch (column) {
        case Model: return s.entry.label + (index.row() == m_board.baseline ? tr(" (baseline)") : QString());
        case Params: return s.entry.paramsTotal > 0 ? millions(s.entry.paramsTotal) : QString();
        case Active: return s.entry.paramsActive > 0 ? millions(s.entry.paramsActive) : QString();
        case Pairs: return int(s.cells.size());
        default: break;
        }
        const auto v = value(index.row(), column);
        if (!v)
            return QString();
        if (column == Delta)
            return QString::asprintf("%+.2f", *v);
        if (column == Gain)
            return QStringLiteral("%1 %").arg(*v * 100, 0, 'f', 0);
        return QString::number(*v, 'f', 2);
    }
    if (role == Qt::FontRole && column >= Average && index.row() == bestRow(column)) {
        QFont bold;
        bold.setBold(true);
        return bold;
    }
    if (role == Qt::TextAlignmentRole && column != Model)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && column == Gain)
        return tr("(model − baseline) / (its full model − baseline), over the model's directions; only where the full "
                  "model gains at least %1 over the baseline").arg(usecases::kMinimumGainBleu);
    if (role == Qt::ToolTipRole && column == Pairs) {
        QStringList pairs;
        for (const auto &[pair, cell] : s.cells)
            pairs << pair;
        return pairs.join(QStringLiteral(", "));
    }
    return {};
}

QVariant ScoreTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Model: return tr("Model");
    case Params: return tr("Params");
    case Active: return tr("Active");
    case Pairs: return tr("Directions");
    case XxEn: return tr("xx→en");
    case EnXx: return tr("en→xx");
    case Delta: return tr("Δ average");
    case Gain: return tr("Gain kept");
    default: return aggregateOf(section);
    }
}

// ---- the dashboard -----------------------------------------------------------------------------

BleuDashboard::BleuDashboard(StoreController *store, QWidget *parent)
    : QWidget(parent), m_store(store), m_reader(this, QStringLiteral("bleu-dashboard"))
{
    setObjectName(QStringLiteral("bleuDashboard"));
    m_setting = new QComboBox;
    m_setting->setObjectName(QStringLiteral("bleuSetting"));
    m_setting->setToolTip(tr("The split and beam of the evaluations shown (taskmoe eval --split --beam)"));
    m_metric = new QComboBox;
    m_metric->addItems({QStringLiteral("BLEU"), QStringLiteral("chrF")});
    m_entries = new QListWidget;
    m_entries->setObjectName(QStringLiteral("bleuEntries"));
    m_entries->setToolTip(tr("Evaluated models: a run at a checkpoint, the sub-networks cut from one checkpoint (together "
                             "they serve every pair), models pruned alike, students, model files"));
    m_baseline = new QComboBox;
    m_baseline->setObjectName(QStringLiteral("bleuBaseline"));
    m_sort = new QComboBox;
    m_sort->addItem(tr("training sentences"), QStringLiteral("size"));
    m_sort->addItem(tr("name"), QStringLiteral("name"));
    m_delta = new QCheckBox(tr("Change against the baseline"));
    m_curveDirection = new QComboBox;
    m_curveDirection->setObjectName(QStringLiteral("bleuCurveDirection"));
    m_curveDirection->addItem(tr("average of the dev pairs"), QString());

    auto *form = new QFormLayout;
    form->addRow(tr("Evaluations"), m_setting);
    form->addRow(tr("Metric"), m_metric);
    form->addRow(tr("Baseline"), m_baseline);
    form->addRow(tr("Directions by"), m_sort);
    form->addRow(m_delta);
    m_curveGroup = new QComboBox;
    m_curveGroup->setObjectName(QStringLiteral("bleuCurveGroup"));
    m_curveGroup->setToolTip(tr("Group the runs' curves by a configuration key whose value differs between them: each "
                                "group's mean with a band from its lowest to its highest run (seeds within a routing)."));
    m_curveGroup->addItem(tr("none"), QString());
    m_curveSmoothing = new QDoubleSpinBox;
    m_curveSmoothing->setObjectName(QStringLiteral("bleuCurveSmoothing"));
    m_curveSmoothing->setRange(0, 0.99);
    m_curveSmoothing->setSingleStep(0.1);
    m_curveSmoothing->setDecimals(2);
    m_curveSmoothing->setToolTip(tr("Smoothing of the dev BLEU curves, as in the runs panel (an exponential moving "
                                    "average, 0 = none)."));
    form->addRow(tr("Training curve"), m_curveDirection);
    form->addRow(tr("Group curves by"), m_curveGroup);
    form->addRow(tr("Smoothing"), m_curveSmoothing);
    m_plot = new QCustomPlot;
    m_plot->setObjectName(QStringLiteral("bleuBars"));
    m_plot->setMinimumHeight(200);
    m_plot->setMouseTracking(true);
    m_plot->installEventFilter(this);
    m_plot->legend->setVisible(true);
    legendBelow(*m_plot, 2);
    m_training = new QCustomPlot;
    m_training->setObjectName(QStringLiteral("bleuTraining"));
    m_training->setMinimumHeight(120);
    m_training->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_training->legend->setVisible(true);
    m_training->legend->setFont(QFont(QStringLiteral("Sans"), 8));
    m_training->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
    m_training->xAxis->setLabel(tr("step"));
    m_training->yAxis->setLabel(tr("dev BLEU"));
    m_model = new ScoreTableModel(this);
    m_table = makeResultTable(m_model, QStringLiteral("bleuTable"));
    m_status = makeStatusLine();
    layOutDashboard(this, QStringLiteral("bleu"), form, m_entries, {}, m_status, {{m_plot, 3}, {m_table, 1}, {m_training, 2}},
                    [this](ExportFormat format) {
                        exportWithDialog(this, QStringLiteral("bleu"), format, [this, format](const QString &path, QString *error) {
                            return format == ExportFormat::Csv ? saveFile(path, scoresCsv(), error)
                                                               : savePlot(m_plot, path, format, QSize(900, 500), error);
                        });
                    });

    connect(m_store, &StoreController::loaded, new DeferredRefresh(this, [this] { refresh(); }), &DeferredRefresh::request);
    connect(m_setting, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_filling)
            refresh();
    });
    connect(m_metric, &QComboBox::currentIndexChanged, this, &BleuDashboard::readBoard);
    connect(m_baseline, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_filling)
            readBoard();
    });
    connect(m_sort, &QComboBox::currentIndexChanged, this, &BleuDashboard::drawBars);
    connect(m_delta, &QCheckBox::toggled, this, &BleuDashboard::drawBars);
    connect(m_curveDirection, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_filling)
            readCurves();
    });
    connect(m_curveGroup, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_filling)
            drawCurves();
    });
    connect(m_curveSmoothing, &QDoubleSpinBox::valueChanged, this, &BleuDashboard::drawCurves);
    connect(m_entries, &QListWidget::itemChanged, this, [this] {
        if (m_filling)
            return;
        fillBaselines();
        readBoard();
    });
    refresh();
}

void BleuDashboard::refresh()
{
    const QString path = m_store->path();
    if (path.isEmpty()) {
        fillEntries({}, {}, 0);
        return;
    }
    const QString split = m_setting->currentData().toStringList().value(0, QStringLiteral("test"));
    const int beam = m_setting->currentData().toStringList().value(1, QStringLiteral("4")).toInt();
    struct Result
    {
        std::vector<usecases::ScoreEntry> entries;
        std::vector<std::pair<QString, int>> settings;
        int used = 0;   ///< the setting the entries are of
    };
    const quint64 serial = ++m_serial;
    m_reader.read<Result>(
        path,
        [split, beam](const db::Store &store) {
            auto settings = usecases::evaluationSettings(store);
            // The setting asked for; the first time (or when it has gone) the most common one.
            const auto it = std::find(settings.begin(), settings.end(), std::make_pair(split, beam));
            const int used = it == settings.end() ? 0 : int(it - settings.begin());
            if (settings.empty())
                return Result{};
            return Result{usecases::scoreEntries(store, settings[std::size_t(used)].first, settings[std::size_t(used)].second),
                          settings, used};
        },
        this, [this, serial](const Result &result, const QString &error) {
            if (serial != m_serial)
                return;
            if (!error.isEmpty())
                m_status->setText(tr("Cannot read the evaluations: %1").arg(error));
            fillEntries(result.entries, result.settings, result.used);
        });
}

void BleuDashboard::fillEntries(const std::vector<usecases::ScoreEntry> &entries,
                                const std::vector<std::pair<QString, int>> &settings, int used)
{
    m_filling = true;
    const QStringList wasChecked = checkedEntries();
    m_setting->clear();
    for (const auto &[split, beam] : settings)
        m_setting->addItem(tr("%1 split, beam %2").arg(split).arg(beam), QStringList{split, QString::number(beam)});
    m_setting->setCurrentIndex(used);

    m_entries->clear();
    // Checked before: kept. Nothing checked before: the newest checkpoint of every run and
    // the sub-networks cut from it, at most eight.
    std::map<qint64, qint64> newestStep;
    for (const auto &e : entries)
        if (e.kind == QLatin1String("full") || e.kind == QLatin1String("student"))
            newestStep[e.runId] = std::max(newestStep[e.runId], e.step);
    int defaults = 0;
    for (const auto &e : entries) {
        auto *item = new QListWidgetItem(e.label, m_entries);
        item->setData(Qt::UserRole, e.key);
        item->setData(Qt::UserRole + 1, e.dense && e.kind == QLatin1String("full"));
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        bool check = wasChecked.contains(e.key);
        if (wasChecked.isEmpty())
            check = e.kind != QLatin1String("pruned") && (e.runId == 0 || e.step == newestStep[e.runId]) && defaults < 8;
        defaults += check ? 1 : 0;
        item->setCheckState(check ? Qt::Checked : Qt::Unchecked);
        item->setToolTip(tr("%1 model(s); %2 parameters").arg(e.models.size()).arg(millions(e.paramsTotal)));
    }
    m_filling = false;
    fillBaselines();
    if (entries.empty())
        m_status->setText(m_store->path().isEmpty()
                              ? tr("No store is open.")
                              : tr("No evaluations yet: evaluate a run (Runs tab → Evaluate, or taskmoe eval --run N) to "
                                   "compare its BLEU here."));
    readBoard();
}

void BleuDashboard::fillBaselines()
{
    m_filling = true;
    const QString current = m_baseline->currentData().toString();
    m_baseline->clear();
    m_baseline->addItem(tr("none"), QString());
    QString firstDense;
    for (int i = 0; i < m_entries->count(); ++i) {
        const QListWidgetItem *item = m_entries->item(i);
        if (item->checkState() != Qt::Checked)
            continue;
        m_baseline->addItem(item->text(), item->data(Qt::UserRole));
        if (firstDense.isEmpty() && item->data(Qt::UserRole + 1).toBool())
            firstDense = item->data(Qt::UserRole).toString();
    }
    int index = m_baseline->findData(current.isEmpty() ? firstDense : current);
    m_baseline->setCurrentIndex(std::max(0, index));
    m_filling = false;
}

QStringList BleuDashboard::checkedEntries() const
{
    QStringList keys;
    for (int i = 0; i < m_entries->count(); ++i)
        if (m_entries->item(i)->checkState() == Qt::Checked)
            keys << m_entries->item(i)->data(Qt::UserRole).toString();
    return keys;
}

void BleuDashboard::showEntries(const QStringList &keys, const QString &baseline)
{
    m_filling = true;
    for (int i = 0; i < m_entries->count(); ++i)
        m_entries->item(i)->setCheckState(keys.contains(m_entries->item(i)->data(Qt::UserRole).toString()) ? Qt::Checked
                                                                                                           : Qt::Unchecked);
    m_filling = false;
    fillBaselines();
    m_filling = true;
    m_baseline->setCurrentIndex(std::max(0, m_baseline->findData(baseline)));
    m_filling = false;
    readBoard();
}

void BleuDashboard::readBoard()
{
    usecases::ScoreboardRequest request;
    request.entries = checkedEntries();
    request.baseline = m_baseline->currentData().toString();
    request.metric = m_metric->currentText();
    const QStringList setting = m_setting->currentData().toStringList();
    request.split = setting.value(0, QStringLiteral("test"));
    request.beam = setting.value(1, QStringLiteral("4")).toInt();
    const quint64 serial = ++m_serial;
    if (m_store->path().isEmpty()) {
        showBoard({}, QString());
        return;
    }
    m_reader.read<usecases::Scoreboard>(
        m_store->path(), [request](const db::Store &store) { return usecases::scoreboard(store, request); }, this,
        [this, serial](const usecases::Scoreboard &board, const QString &error) {
            if (serial == m_serial)
                showBoard(board, error);
        });
}

void BleuDashboard::showBoard(const usecases::Scoreboard &board, const QString &error)
{
    m_board = board;
    m_model->setBoard(board);
    m_table->resizeColumnsToContents();
    m_table->setColumnWidth(ScoreTableModel::Model, std::min(m_table->columnWidth(ScoreTableModel::Model), 300));
    if (!error.isEmpty())
        m_status->setText(tr("Cannot read the scores: %1").arg(error));
    else if (!board.entries.empty())
        m_status->setText(tr("%1 on the %2 split, beam %3: %4 models, %5 directions. Hover a bar for its exact score.")
                              .arg(board.metric, board.split).arg(board.beam).arg(board.entries.size()).arg(board.directions.size()));
    else if (m_entries->count() > 0)
        m_status->setText(tr("Check models on the left to compare them."));

    m_filling = true;
    const QString direction = m_curveDirection->currentData().toString();
    m_curveDirection->clear();
    m_curveDirection->addItem(tr("average of the dev pairs"), QString());
    for (const auto &d : board.directions)
        m_curveDirection->addItem(d.name, d.name);
    m_curveDirection->setCurrentIndex(std::max(0, m_curveDirection->findData(direction)));
    m_filling = false;
    drawBars();
    emit boardShown();
    readCurves();
}

void BleuDashboard::drawBars()
{
    m_plot->clearPlottables();
    m_plot->clearItems();
    const bool delta = m_delta->isChecked() && m_board.baseline >= 0;
    std::vector<usecases::ScoreDirection> directions = m_board.directions;
    if (m_sort->currentData().toString() == QLatin1String("name"))
        std::sort(directions.begin(), directions.end(), [](const auto &a, const auto &b) { return a.name < b.name; });
    m_shownDirections.clear();
    QVector<double> ticks;
    QVector<QString> labels;
    for (std::size_t d = 0; d < directions.size(); ++d) {
        m_shownDirections << directions[d].name;
        ticks << double(d);
        labels << (directions[d].train > 0 ? QStringLiteral("%1\n%2").arg(directions[d].name).arg(directions[d].train)
                                           : directions[d].name);
    }
    std::vector<int> shown;
    for (int i = 0; i < int(m_board.entries.size()); ++i)
        if (!delta || i != m_board.baseline)
            shown.push_back(i);
    const double width = shown.empty() ? kGroupWidth : kGroupWidth / double(shown.size());
    for (std::size_t s = 0; s < shown.size(); ++s) {
        const usecases::ScoredEntry &e = m_board.entries[std::size_t(shown[s])];
        auto *bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
        bars->setName(e.entry.label);
        bars->setWidth(width * 0.92);
        bars->setPen(Qt::NoPen);
        bars->setBrush(seriesColour(shown[s]));
        QVector<double> keys, values;
        for (std::size_t d = 0; d < directions.size(); ++d) {
            const auto cell = e.cells.find(directions[d].name);
            const auto change = e.delta.find(directions[d].name);
            if (delta ? change == e.delta.end() : cell == e.cells.end())
                continue;
            keys << double(d) - kGroupWidth / 2 + width * (double(s) + 0.5);
            values << (delta ? change->second : cell->second.score);
        }
        bars->setData(keys, values, true);
    }
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    ticker->setTicks(ticks, labels);
    m_plot->xAxis->setTicker(ticker);
    m_plot->xAxis->setTickLabelFont(QFont(QStringLiteral("Sans"), 8));
    m_plot->xAxis->setLabel(m_sort->currentData().toString() == QLatin1String("name")
                                ? tr("direction (training sentences)")
                                : tr("direction (training sentences), most data first"));
    const QString baselineLabel = m_board.baseline >= 0 ? m_board.entries[std::size_t(m_board.baseline)].entry.label : QString();
    m_plot->yAxis->setLabel(delta ? tr("Δ%1 against %2").arg(m_board.metric, baselineLabel) : m_board.metric);
    m_plot->rescaleAxes(true);
    m_plot->xAxis->setRange(-0.6, std::max(0.4, double(directions.size()) - 0.4));
    const QCPRange y = m_plot->yAxis->range();
    const double pad = std::max(0.5, 0.05 * (y.upper - y.lower));
    m_plot->yAxis->setRange(std::min(y.lower, 0.0) - (delta ? pad : 0.0), std::max(y.upper, 0.0) + pad);
    if (delta) {
        auto *zero = new QCPItemStraightLine(m_plot);
        zero->point1->setCoords(0, 0);
        zero->point2->setCoords(1, 0);
        zero->setPen(QPen(Qt::gray));
    }
    m_plot->plotLayout()->setRowStretchFactor(1, 0.001);
    m_plot->legend->setVisible(!shown.empty());
    m_plot->replot();
}

QString BleuDashboard::barToolTip(const QPointF &pos) const
{
    if (m_shownDirections.isEmpty() || !m_plot->axisRect()->rect().contains(pos.toPoint()))
        return {};
    const bool delta = m_delta->isChecked() && m_board.baseline >= 0;
    std::vector<int> shown;
    for (int i = 0; i < int(m_board.entries.size()); ++i)
        if (!delta || i != m_board.baseline)
            shown.push_back(i);
    if (shown.empty())
        return {};
    const double key = m_plot->xAxis->pixelToCoord(pos.x());
    const int d = int(std::lround(key));
    if (d < 0 || d >= m_shownDirections.size())
        return {};
    const double width = kGroupWidth / double(shown.size());
    const double offset = key - (double(d) - kGroupWidth / 2);
    if (offset < 0 || offset >= kGroupWidth)
        return {};
    const usecases::ScoredEntry &e = m_board.entries[std::size_t(shown[std::size_t(offset / width)])];
    const QString direction = m_shownDirections[d];
    const auto cell = e.cells.find(direction);
    if (cell == e.cells.end())
        return {};
    QString text = tr("%1\n%2: %3 %4").arg(e.entry.label, direction, m_board.metric).arg(cell->second.score, 0, 'f', 2);
    if (const auto it = e.delta.find(direction); it != e.delta.end() && int(&e - &m_board.entries[0]) != m_board.baseline)
        text += tr(" (%1 against the baseline)").arg(QString::asprintf("%+.2f", it->second));
    text += tr("\n%1 sentences, model %2").arg(cell->second.sentences).arg(cell->second.modelId);
    if (!cell->second.signature.isEmpty())
        text += QLatin1Char('\n') + cell->second.signature;
    return text;
}

bool BleuDashboard::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_plot && event->type() == QEvent::MouseMove) {
        const auto *move = static_cast<QMouseEvent *>(event);
        const QString tip = barToolTip(move->position());
        if (tip.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(move->globalPosition().toPoint(), tip, m_plot);
    }
    return QWidget::eventFilter(watched, event);
}

QByteArray BleuDashboard::scoresCsv() const
{
    QString out = QStringLiteral("model,key,direction,train_sentences,metric,split,beam,score,delta,sentences,signature\n");
    for (const auto &e : m_board.entries)
        for (const auto &d : m_board.directions) {
            const auto cell = e.cells.find(d.name);
            if (cell == e.cells.end())
                continue;
            const auto delta = e.delta.find(d.name);
            out += QStringList{csvField(e.entry.label), e.entry.key, d.name, QString::number(d.train), m_board.metric,
                               m_board.split, QString::number(m_board.beam), QString::number(cell->second.score, 'f', 4),
                               delta == e.delta.end() ? QString() : QString::number(delta->second, 'f', 4),
                               QString::number(cell->second.sentences), csvField(cell->second.signature)}
                       .join(QLatin1Char(','))
                   + QLatin1Char('\n');
        }
    return out.toUtf8();
}

void BleuDashboard::readCurves()
{
    std::vector<std::pair<qint64, QString>> runs;
    for (const auto &e : m_board.entries)
        if (e.entry.runId > 0 && (e.entry.kind == QLatin1String("full") || e.entry.kind == QLatin1String("student"))
            && std::none_of(runs.begin(), runs.end(), [&](const auto &r) { return r.first == e.entry.runId; }))
            runs.push_back({e.entry.runId, e.entry.label.section(QStringLiteral(", step"), 0, 0)});
    const QString direction = m_curveDirection->currentData().toString();
    const QString key = direction.isEmpty() ? QStringLiteral("dev_bleu") : QStringLiteral("dev_bleu.") + direction;
    const quint64 serial = ++m_curveSerial;
    if (m_store->path().isEmpty() || runs.empty()) {
        m_curves.clear();
        drawCurves();
        return;
    }
    m_reader.read<std::vector<TrainingCurve>>(
        m_store->path(),
        [runs, key](const db::Store &store) {
            std::vector<TrainingCurve> curves;
            for (const auto &[id, label] : runs) {
                TrainingCurve c{id, label, store.run(id).configJson, {}};
                for (const auto &p : store.metrics(id, key))
                    c.points.push_back({double(p.step), p.value});
                curves.push_back(std::move(c));
            }
            return curves;
        },
        this, [this, serial](const std::vector<TrainingCurve> &curves, const QString &) {
            if (serial != m_curveSerial)
                return;
            m_curves = curves;
            fillCurveGroups();
            drawCurves();
            emit curvesShown();
        });
}

void BleuDashboard::fillCurveGroups()
{
    std::vector<std::map<QString, QString>> configs;
    for (const auto &c : m_curves)
        if (!c.points.empty())
            configs.push_back(flattenConfig(c.configJson));
    const QString current = m_wantedGroup.isEmpty() ? m_curveGroup->currentData().toString() : m_wantedGroup;
    m_filling = true;
    m_curveGroup->clear();
    m_curveGroup->addItem(tr("none"), QString());
    for (const QString &key : differingKeys(configs))
        m_curveGroup->addItem(key, key);
    m_curveGroup->setCurrentIndex(std::max(0, m_curveGroup->findData(current)));
    if (m_curveGroup->currentIndex() > 0)
        m_wantedGroup.clear();
    m_filling = false;
}

void BleuDashboard::setTrainingGroup(const QString &key)
{
    const int index = m_curveGroup->findData(key);
    m_wantedGroup = index < 0 ? key : QString();
    if (index >= 0)
        m_curveGroup->setCurrentIndex(index);
}

QStringList BleuDashboard::trainingLegends() const
{
    QStringList out;
    for (int i = 0; i < m_training->graphCount(); ++i)
        if (!m_training->graph(i)->name().isEmpty())
            out << m_training->graph(i)->name();
    return out;
}

void BleuDashboard::drawCurves()
{
    m_training->clearGraphs();
    const double smoothing = m_curveSmoothing->value();
    const QString groupKey = m_curveGroup->currentData().toString();
    const auto curveOf = [smoothing](const TrainingCurve &c) {
        Curve out;
        for (const auto &[step, value] : c.points) {
            out.steps << step;
            out.values << value;
        }
        out.values = smoothedValues(out.values, smoothing);
        return out;
    };
    const auto dotted = [](QCPGraph *g, const QColor &colour) {
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, colour, colour, 4));
    };
    bool any = false;
    if (!groupKey.isEmpty()) {
        // One mean curve and min–max band per value of the key, in the order the runs come.
        std::vector<std::pair<QString, std::vector<Curve>>> groups;
        for (const auto &c : m_curves) {
            if (c.points.empty())
                continue;
            const auto config = flattenConfig(c.configJson);
            const auto value = config.find(groupKey);
            const QString text = value == config.end() ? tr("(not set)") : value->second;
            auto g = std::find_if(groups.begin(), groups.end(), [&](const auto &p) { return p.first == text; });
            if (g == groups.end())
                g = groups.insert(groups.end(), {text, {}});
            g->second.push_back(curveOf(c));
        }
        for (std::size_t g = 0; g < groups.size(); ++g) {
            const QColor colour = seriesColour(int(g));
            QCPGraph *mean = drawBand(m_training->xAxis, m_training->yAxis, bandOf(groups[g].second), colour,
                                      groups[g].second.size() > 1);
            mean->setName(groupLegend(groupKey, groups[g].first, int(groups[g].second.size())));
            mean->addToLegend();
            dotted(mean, colour);
            any = true;
        }
    } else {
        for (const auto &c : m_curves) {
            if (c.points.empty())
                continue;
            // The run's colour in the bar chart: the index of its first entry there.
            int colourIndex = 0;
            for (std::size_t i = 0; i < m_board.entries.size(); ++i)
                if (m_board.entries[i].entry.runId == c.runId) {
                    colourIndex = int(i);
                    break;
                }
            const QColor colour = seriesColour(colourIndex);
            const Curve curve = curveOf(c);
            QCPGraph *g = m_training->addGraph();
            g->setName(c.label);
            g->setPen(QPen(colour, 1.6));
            dotted(g, colour);
            g->setData(curve.steps, curve.values, true);
            any = true;
        }
    }
    const QString direction = m_curveDirection->currentData().toString();
    m_training->yAxis->setLabel(direction.isEmpty() ? tr("dev BLEU (mean)") : tr("dev BLEU, %1").arg(direction));
    m_training->legend->setVisible(any);
    if (any) {
        m_training->rescaleAxes();
        m_training->yAxis->scaleRange(1.08);   // the top points clear the frame
    }
    m_training->replot();
}

} // namespace taskmoe::ui
