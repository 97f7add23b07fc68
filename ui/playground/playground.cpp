#include "ui/playground/playground.h"

#include "db/store.h"
#include "ui/common/deferredrefresh.h"
#include "ui/common/storecontroller.h"
#include "ui/common/storereader.h"
#include "usecases/throughputboard.h"   // modelLabel

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>

namespace taskmoe::ui {

namespace {

constexpr int kMargin = 8, kRowHeight = 24, kLabelWidth = 64, kTitleHeight = 26, kHeaderHeight = 22;

/// The layers of one side of a trace, in order.
std::vector<QJsonObject> layersOf(const QJsonObject &trace, const QString &side)
{
    std::vector<QJsonObject> out;
    for (const auto &v : trace.value(QStringLiteral("layers")).toArray())
        if (v.toObject().value(QStringLiteral("side")).toString() == side)
            out.push_back(v.toObject());
    return out;
}

} // namespace

// ---- the model server --------------------------------------------------------------------------

RouteServer::RouteServer(const QString &program, QObject *parent) : QObject(parent), m_program(program) {}

RouteServer::~RouteServer()
{
    stop();
}

void RouteServer::start(const QString &store, const QStringList &modelArgs)
{
    stop();
    m_process = new QProcess(this);
    m_process->setProgram(m_program);
    m_process->setArguments(QStringList{QStringLiteral("route"), QStringLiteral("--serve"), QStringLiteral("--db"), store}
                            + modelArgs);
    connect(m_process, &QProcess::readyReadStandardOutput, this, &RouteServer::readLines);
    connect(m_process, &QProcess::readyReadStandardError, this, [this] {
        m_errors += m_process->readAllStandardError();
        if (m_errors.size() > 4096)
            m_errors = m_errors.right(4096);
    });
    connect(m_process, &QProcess::finished, this, &RouteServer::ended);
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            emit failed(tr("Cannot start %1: %2").arg(m_program, m_process->errorString()));
    });
    m_process->start();
}

void RouteServer::stop()
{
    if (!m_process)
        return;
    disconnect(m_process, nullptr, this, nullptr);
    // Nothing to save: the server only reads. Ending it at once frees the model's memory.
    m_process->kill();
    m_process->waitForFinished(2000);
    delete m_process;
    m_process = nullptr;
    m_ready = false;
    m_description = QJsonObject();
    m_pending.clear();
    m_buffer.clear();
    m_errors.clear();
}

quint64 RouteServer::send(const QJsonObject &request)
{
    if (!m_process || !m_ready)
        return 0;
    m_process->write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    m_pending.enqueue(++m_serial);
    return m_serial;
}

void RouteServer::readLines()
{
    m_buffer += m_process->readAllStandardOutput();
    for (int end = m_buffer.indexOf('\n'); end >= 0; end = m_buffer.indexOf('\n')) {
        const QByteArray line = m_buffer.left(end);
        m_buffer.remove(0, end + 1);
        const QJsonObject object = QJsonDocument::fromJson(line).object();
        if (!m_ready) {
            m_ready = true;
            m_description = object;
            emit ready(object);
        } else if (!m_pending.isEmpty()) {
            emit answered(m_pending.dequeue(), object);
        }
    }
}

void RouteServer::ended(int exitCode, QProcess::ExitStatus status)
{
    QString errors = QString::fromUtf8(m_errors).trimmed();
    const QStringList lines = errors.split(QLatin1Char('\n'));
    errors = lines.mid(std::max<qsizetype>(0, lines.size() - 3)).join(QLatin1Char('\n'));
    const QString how = status == QProcess::CrashExit ? tr("crashed") : tr("ended with status %1").arg(exitCode);
    m_ready = false;
    m_pending.clear();
    emit failed(errors.isEmpty() ? tr("The model server %1.").arg(how) : tr("The model server %1: %2").arg(how, errors));
}

// ---- the grids ---------------------------------------------------------------------------------

RouteGridView::RouteGridView(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("routeGrid"));
    setMouseTracking(true);
}

QColor RouteGridView::expertColour(int expert, int experts)
{
    // Up to ten experts: Tableau's ten categorical colours, paled for black text on them;
    // more: evenly spaced hues.
    static const QColor tableau[] = {{0x1f, 0x77, 0xb4}, {0xff, 0x7f, 0x0e}, {0x2c, 0xa0, 0x2c}, {0xd6, 0x27, 0x28},
                                     {0x94, 0x67, 0xbd}, {0x8c, 0x56, 0x4b}, {0xe3, 0x77, 0xc2}, {0x7f, 0x7f, 0x7f},
                                     {0xbc, 0xbd, 0x22}, {0x17, 0xbe, 0xcf}};
    const int n = std::max(1, experts);
    const QColor base = n <= 10 ? tableau[expert % 10] : QColor::fromHsv(int(360.0 * double(expert % n) / double(n)) % 360, 200, 220);
    return QColor::fromRgbF(0.55f * base.redF() + 0.45f, 0.55f * base.greenF() + 0.45f, 0.55f * base.blueF() + 0.45f);
}

void RouteGridView::setTrace(const QJsonObject &trace, int experts)
{
    m_trace = trace;
    m_experts = experts;
    layout();
    updateGeometry();
    resize(m_size);
    update();
}

void RouteGridView::layout()
{
    m_cells.clear();
    m_labels.clear();
    const QFontMetrics fm(font());
    int y = kMargin, width = 0;
    for (const QString &side : {QStringLiteral("encoder"), QStringLiteral("decoder")}) {
        const auto layers = layersOf(m_trace, side);
        if (layers.empty())
            continue;
        m_labels.push_back({QRect(kMargin, y, 600, kTitleHeight),
                            side == QLatin1String("encoder") ? tr("Source tokens in the encoder's MoE layers (%1 routing)")
                                                                   .arg(layers.front().value(QStringLiteral("routing")).toString())
                                                             : tr("Translation tokens in the decoder's MoE layers (%1 routing)")
                                                                   .arg(layers.front().value(QStringLiteral("routing")).toString())});
        y += kTitleHeight;
        // Columns: one per token, as wide as its piece or its experts need.
        const QJsonArray tokens = layers.front().value(QStringLiteral("tokens")).toArray();
        std::vector<int> left, widths;
        int x = kMargin + kLabelWidth;
        for (int t = 0; t < tokens.size(); ++t) {
            int w = fm.horizontalAdvance(tokens[t].toObject().value(QStringLiteral("piece")).toString()) + 10;
            for (const auto &layer : layers) {
                const QJsonArray experts = layer.value(QStringLiteral("tokens")).toArray()[t].toObject().value(QStringLiteral("experts")).toArray();
                QStringList ids;
                for (const auto &e : experts)
                    ids << QString::number(e.toInt());
                w = std::max(w, fm.horizontalAdvance(ids.join(QStringLiteral(" · "))) + 10);
            }
            w = std::max(w, 34);
            left.push_back(x);
            widths.push_back(w);
            m_labels.push_back({QRect(x, y, w, kHeaderHeight), tokens[t].toObject().value(QStringLiteral("piece")).toString()});
            x += w + 2;
        }
        width = std::max(width, x + kMargin);
        y += kHeaderHeight;
        for (const auto &layer : layers) {
            const int index = layer.value(QStringLiteral("layer")).toInt();
            m_labels.push_back({QRect(kMargin, y, kLabelWidth - 6, kRowHeight),
                                QStringLiteral("%1 %2").arg(side == QLatin1String("encoder") ? tr("enc") : tr("dec")).arg(index)});
            const QJsonArray layerTokens = layer.value(QStringLiteral("tokens")).toArray();
            for (int t = 0; t < layerTokens.size() && t < int(left.size()); ++t) {
                const QJsonObject token = layerTokens[t].toObject();
                Cell c;
                c.rect = QRect(left[std::size_t(t)], y, widths[std::size_t(t)], kRowHeight);
                c.side = side;
                c.layer = index;
                c.position = t;
                c.piece = token.value(QStringLiteral("piece")).toString();
                for (const auto &e : token.value(QStringLiteral("experts")).toArray())
                    c.experts << e.toInt();
                for (const auto &g : token.value(QStringLiteral("gates")).toArray())
                    c.gates << g.toDouble();
                for (const auto &d : token.value(QStringLiteral("dropped")).toArray())
                    c.dropped << d.toBool();
                m_cells.push_back(std::move(c));
            }
            y += kRowHeight + 2;
        }
        y += kMargin;
    }
    m_size = QSize(std::max(width, 300), std::max(y, 60));
}

QVector<int> RouteGridView::experts(const QString &side, int layer, int position) const
{
    for (const auto &c : m_cells)
        if (c.side == side && c.layer == layer && c.position == position)
            return c.experts;
    return {};
}

QPoint RouteGridView::cellCentre(const QString &side, int layer, int position) const
{
    for (const auto &c : m_cells)
        if (c.side == side && c.layer == layer && c.position == position)
            return c.rect.center();
    return {-1, -1};
}

QString RouteGridView::toolTipAt(const QPoint &pos) const
{
    for (const auto &c : m_cells) {
        if (!c.rect.contains(pos))
            continue;
        QStringList lines{tr("%1 MoE layer %2, token %3 “%4”").arg(c.side).arg(c.layer).arg(c.position).arg(c.piece)};
        for (int k = 0; k < c.experts.size(); ++k)
            lines << tr("%1 choice: expert %2, gate %3%4")
                         .arg(k == 0 ? tr("1st") : k == 1 ? tr("2nd") : tr("%1th").arg(k + 1))
                         .arg(c.experts[k])
                         .arg(c.gates.value(k), 0, 'f', 3)
                         .arg(c.dropped.value(k) ? tr(" — dropped (over the expert's capacity)") : QString());
        return lines.join(QLatin1Char('\n'));
    }
    return {};
}

QSize RouteGridView::sizeHint() const
{
    return m_size.isValid() ? m_size : QSize(300, 60);
}

QSize RouteGridView::minimumSizeHint() const
{
    return sizeHint();
}

bool RouteGridView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(event);
        const QString tip = toolTipAt(help->pos());
        if (tip.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), tip, this);
        return true;
    }
    return QWidget::event(event);
}

void RouteGridView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    if (m_cells.empty() && m_labels.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(rect(), Qt::AlignCenter, tr("Translate a sentence to see where its tokens go."));
        return;
    }
    p.setPen(palette().color(QPalette::Text));
    for (const auto &[r, text] : m_labels) {
        const bool title = r.height() == kTitleHeight;
        QFont f = font();
        f.setBold(title);
        p.setFont(f);
        p.drawText(r, (title ? Qt::AlignLeft : Qt::AlignCenter) | Qt::AlignVCenter, text);
    }
    p.setFont(font());
    for (const auto &c : m_cells) {
        p.fillRect(c.rect, c.experts.isEmpty() ? palette().window().color() : expertColour(c.experts.front(), m_experts));
        QStringList ids;
        for (int k = 0; k < c.experts.size(); ++k)
            ids << QString::number(c.experts[k]) + (c.dropped.value(k) ? QStringLiteral("✕") : QString());
        p.setPen(Qt::black);
        p.drawText(c.rect, Qt::AlignCenter, ids.join(QStringLiteral(" · ")));
        if (c.dropped.contains(true)) {
            p.setPen(QPen(QColor(0xb0, 0x00, 0x20), 2));
            p.drawRect(c.rect.adjusted(1, 1, -1, -1));
        }
    }
}

// ---- the playground ----------------------------------------------------------------------------

Playground::Playground(StoreController *store, const QString &program, QWidget *parent)
    : QWidget(parent), m_store(store), m_reader(new StoreReader(this, QStringLiteral("playground"))),
      m_server(new RouteServer(program, this))
{
    setObjectName(QStringLiteral("playground"));
    m_model = new QComboBox;
    m_model->setObjectName(QStringLiteral("playgroundModel"));
    m_model->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_model->setMinimumContentsLength(36);
    m_from = new QComboBox;
    m_from->setToolTip(tr("The source language: pair-routed models route by it; others do not need it."));
    m_to = new QComboBox;
    m_to->setObjectName(QStringLiteral("playgroundTarget"));
    m_beam = new QSpinBox;
    m_beam->setRange(1, 16);
    m_beam->setValue(4);
    m_beam->setToolTip(tr("Beam size; 1 = greedy."));
    m_capacity = new QDoubleSpinBox;
    m_capacity->setRange(0, 8);
    m_capacity->setSingleStep(0.25);
    m_capacity->setSpecialValueText(tr("no limit"));
    m_capacity->setToolTip(tr("Expert capacity factor while decoding; with a limit, copies over an expert's capacity "
                              "are dropped (framed in red)."));
    m_text = new QLineEdit;
    m_text->setObjectName(QStringLiteral("playgroundText"));
    m_text->setPlaceholderText(tr("Type a sentence in the source language and press Enter"));
    m_go = new QPushButton(tr("Translate"));
    m_go->setEnabled(false);
    m_status = new QLabel(tr("Pick a model."));
    m_status->setWordWrap(true);
    m_translation = new QLabel;
    m_translation->setObjectName(QStringLiteral("playgroundTranslation"));
    m_translation->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_translation->setWordWrap(true);
    QFont big = m_translation->font();
    big.setPointSizeF(big.pointSizeF() * 1.35);
    m_translation->setFont(big);
    m_task = new QLabel;
    m_grid = new RouteGridView;
    m_scroll = new QScrollArea;
    m_scroll->setWidget(m_grid);
    m_scroll->setWidgetResizable(false);
    m_scroll->setBackgroundRole(QPalette::Base);

    auto *top = new QHBoxLayout;
    auto *form = new QFormLayout;
    form->addRow(tr("Model"), m_model);
    auto *languages = new QHBoxLayout;
    languages->addWidget(new QLabel(tr("from")));
    languages->addWidget(m_from);
    languages->addWidget(new QLabel(tr("to")));
    languages->addWidget(m_to);
    languages->addSpacing(16);
    languages->addWidget(new QLabel(tr("beam")));
    languages->addWidget(m_beam);
    languages->addWidget(new QLabel(tr("capacity")));
    languages->addWidget(m_capacity);
    languages->addStretch(1);
    form->addRow(tr("Direction"), languages);
    top->addLayout(form, 1);
    auto *input = new QHBoxLayout;
    input->addWidget(m_text, 1);
    input->addWidget(m_go);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(input);
    layout->addWidget(m_status);
    layout->addWidget(m_translation);
    layout->addWidget(m_task);
    layout->addWidget(m_scroll, 1);

    connect(m_store, &StoreController::loaded, new DeferredRefresh(this, [this] { fillModels(); }), &DeferredRefresh::request);
    connect(m_model, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_filling)
            loadModel();
    });
    connect(m_server, &RouteServer::ready, this, &Playground::onReady);
    connect(m_server, &RouteServer::answered, this, &Playground::onAnswer);
    connect(m_server, &RouteServer::failed, this, [this](const QString &message) {
        m_go->setEnabled(false);
        m_status->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(message.toHtmlEscaped()));
        emit traceShown();
    });
    const auto go = [this] { translate(m_text->text(), m_to->currentData().toString(), m_from->currentData().toString()); };
    connect(m_go, &QPushButton::clicked, this, go);
    connect(m_text, &QLineEdit::returnPressed, this, go);
    fillModels();
}

Playground::~Playground()
{
    m_server->stop();
    delete m_reader;   // ends its thread before the widgets go
    m_reader = nullptr;
}

void Playground::fillModels()
{
    const QString path = m_store->path();
    if (path.isEmpty())
        return;
    using Entries = std::vector<std::pair<QString, QStringList>>;
    m_reader->read<Entries>(
        path,
        [](const db::Store &store) {
            Entries entries;
            const auto best = store.bestCheckpointSteps();
            std::map<qint64, db::RunRecord> runs;
            for (const auto &r : store.runs())
                runs[r.id] = r;
            const auto withCheckpoints = store.runsWithCheckpoints();
            for (const auto &[id, run] : runs) {
                if (!withCheckpoints.count(id))
                    continue;
                const bool hasBest = best.count(id) > 0;
                entries.push_back({hasBest ? QObject::tr("run %1 %2 — best checkpoint (step %3)").arg(id).arg(run.name).arg(best.at(id).first)
                                           : QObject::tr("run %1 %2 — newest checkpoint").arg(id).arg(run.name),
                                   hasBest ? QStringList{QStringLiteral("--run"), QString::number(id), QStringLiteral("--checkpoint"),
                                                         QStringLiteral("best")}
                                           : QStringList{QStringLiteral("--run"), QString::number(id)}});
            }
            std::map<qint64, qint64> stepOfCheckpoint;   // of the runs with sub-networks
            for (const auto &m : store.models())
                if (m.kind == QLatin1String("subnetwork")) {
                    const auto run = runs.find(m.runId);
                    if (run != runs.end() && !stepOfCheckpoint.count(m.checkpointId))
                        for (const auto &c : store.checkpoints(m.runId))
                            stepOfCheckpoint[c.id] = c.step;
                    const auto step = stepOfCheckpoint.find(m.checkpointId);
                    entries.push_back({usecases::modelLabel(m, run == runs.end() ? nullptr : &run->second,
                                                            step == stepOfCheckpoint.end() ? 0 : step->second),
                                       {QStringLiteral("--model"), m.path}});
                }
            return entries;
        },
        this, [this](const Entries &entries, const QString &error) {
            m_filling = true;
            const QStringList current = m_model->currentData().toStringList();
            m_model->clear();
            for (const auto &[label, args] : entries)
                m_model->addItem(label, args);
            const int index = m_model->findData(current);
            m_model->setCurrentIndex(index >= 0 ? index : -1);
            m_filling = false;
            if (!error.isEmpty())
                m_status->setText(tr("Cannot list the models: %1").arg(error));
            else if (entries.empty())
                m_status->setText(tr("No trained models yet: train a run first (Runs tab → New run)."));
            else if (index < 0)
                m_status->setText(tr("Pick a model to load it."));
        });
}

bool Playground::selectModel(const QStringList &modelArgs)
{
    const int index = m_model->findData(modelArgs);
    if (index < 0)
        return false;
    if (index == m_model->currentIndex())
        loadModel();
    else
        m_model->setCurrentIndex(index);
    return true;
}

void Playground::loadModel()
{
    const QStringList args = m_model->currentData().toStringList();
    if (args.isEmpty() || m_store->path().isEmpty())
        return;
    m_go->setEnabled(false);
    m_status->setText(tr("Loading %1…").arg(m_model->currentText()));
    m_server->start(m_store->path(), args);
}

void Playground::onReady(const QJsonObject &description)
{
    m_filling = true;
    const QString to = m_to->currentData().toString(), from = m_from->currentData().toString();
    m_to->clear();
    m_from->clear();
    m_from->addItem(tr("(any)"), QString());
    QStringList targets, sources;
    for (const auto &p : description.value(QStringLiteral("pairs")).toArray()) {
        const QStringList langs = p.toString().split(QLatin1Char('-'));
        if (!sources.contains(langs.value(0)))
            sources << langs.value(0);
        if (!targets.contains(langs.value(1)))
            targets << langs.value(1);
    }
    targets.sort();
    sources.sort();
    for (const QString &l : targets)
        m_to->addItem(l, l);
    for (const QString &l : sources)
        m_from->addItem(l, l);
    m_to->setCurrentIndex(std::max(0, m_to->findData(to)));
    m_from->setCurrentIndex(std::max(0, m_from->findData(from)));
    const bool byPair = description.value(QStringLiteral("encoder_routing")).toString() == QLatin1String("task:pair")
                        || description.value(QStringLiteral("decoder_routing")).toString() == QLatin1String("task:pair");
    m_from->setEnabled(byPair);
    m_filling = false;
    m_go->setEnabled(true);
    m_status->setText(tr("Loaded: %1 experts, %2 / %3 routing. The model stays loaded between sentences.")
                          .arg(description.value(QStringLiteral("experts")).toInt())
                          .arg(description.value(QStringLiteral("encoder_routing")).toString(),
                               description.value(QStringLiteral("decoder_routing")).toString()));
    emit modelReady();
}

void Playground::translate(const QString &text, const QString &to, const QString &from)
{
    if (!m_server->isReady()) {
        m_status->setText(tr("The model is not loaded yet."));
        return;
    }
    if (text.trimmed().isEmpty()) {
        m_status->setText(tr("Type a sentence first."));
        return;
    }
    m_filling = true;
    if (const int index = m_to->findData(to); index >= 0)
        m_to->setCurrentIndex(index);
    if (const int index = m_from->findData(from); index >= 0)
        m_from->setCurrentIndex(index);
    m_filling = false;
    m_waiting = m_server->send(QJsonObject{{QStringLiteral("text"), text},
                                           {QStringLiteral("to"), to},
                                           {QStringLiteral("from"), from},
                                           {QStringLiteral("beam"), m_beam->value()},
                                           {QStringLiteral("capacity_factor"), m_capacity->value()}});
    m_status->setText(tr("Translating…"));
}

void Playground::onAnswer(quint64 serial, const QJsonObject &answer)
{
    if (serial != m_waiting)
        return;   // an answer to a sentence typed over since
    if (answer.contains(QStringLiteral("error"))) {
        m_status->setText(QStringLiteral("<span style='color:#b00020'>%1</span>")
                              .arg(answer.value(QStringLiteral("error")).toString().toHtmlEscaped()));
        emit traceShown();
        return;
    }
    m_trace = answer;
    const QJsonObject translation = answer.value(QStringLiteral("translation")).toObject();
    m_translation->setText(translation.value(QStringLiteral("text")).toString());
    const QJsonObject decoding = answer.value(QStringLiteral("decoding")).toObject();
    const double capacity = decoding.value(QStringLiteral("capacity_factor")).toDouble();
    m_task->setText(tr("task %1 · beam %2 · capacity %3 · log-probability %4%5")
                        .arg(answer.value(QStringLiteral("task")).toString())
                        .arg(decoding.value(QStringLiteral("beam")).toInt())
                        .arg(capacity > 0 ? QString::number(capacity) : tr("no limit"))
                        .arg(translation.value(QStringLiteral("log_prob")).toDouble(), 0, 'f', 2)
                        .arg(answer.value(QStringLiteral("cropped")).toBool() ? tr(" · the source was cut to the model's positions")
                                                                               : QString()));
    m_grid->setTrace(answer, m_server->description().value(QStringLiteral("experts")).toInt());
    m_status->setText(tr("Each cell: the experts a token went to in that MoE layer, first choice first (the colour); "
                         "hover for the gate weights."));
    emit traceShown();
}

} // namespace taskmoe::ui
