#include "ui/runs/newrundialog.h"

#include "core/base/errors.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QComboBox>
#include <QSpinBox>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QStyle>
#include <QVBoxLayout>

#include <cmath>
#include <set>

namespace taskmoe::ui {

namespace {

using Json = nlohmann::ordered_json;

/// Starts every message of parseTrainConfig; removed again before a message is shown.
const char *const kSource = "New run";

const char *const kStyleSheet = R"(
QLineEdit[invalid="true"], QComboBox[invalid="true"] {
    border: 1px solid #c62828; border-radius: 2px; background: #ffebee; padding: 2px;
}
QPlainTextEdit[stale="true"] { color: #8a8a8a; background: #f1f1f1; }
QLabel#newRunMessage[error="true"] { color: #c62828; }
QLabel#newRunJsonTitle[stale="true"] { color: #c62828; }
QLabel#newRunDescription { color: #555555; }
)";

/// The value at a canonical key ("model.experts") of a document, or null.
Json valueAt(const Json &doc, const QString &key)
{
    const QStringList parts = key.split(QLatin1Char('.'));
    if (parts.size() != 2)
        return Json();
    const auto section = doc.find(parts[0].toStdString());
    if (section == doc.end() || !section->is_object())
        return Json();
    const auto it = section->find(parts[1].toStdString());
    return it == section->end() ? Json() : *it;
}

void setValueAt(Json &doc, const QString &key, const Json &value)
{
    const QStringList parts = key.split(QLatin1Char('.'));
    if (parts.size() == 2)
        doc[parts[0].toStdString()][parts[1].toStdString()] = value;
}

/// The text a field shows for a JSON value (the shortest form that reads back the same).
QString textOf(const Json &v)
{
    if (v.is_string())
        return QString::fromStdString(v.get<std::string>());
    if (v.is_number_integer())
        return QString::number(v.get<qint64>());
    if (v.is_number()) {
        // Plain decimals for the usual magnitudes ("0.0007", not "7e-04").
        const double d = v.get<double>();
        const bool plain = d == 0 || (std::abs(d) >= 1e-6 && std::abs(d) < 1e15);
        return QString::number(d, plain ? 'f' : 'g', QLocale::FloatingPointShortest);
    }
    return QString();
}

/// Whether `key` occurs in `message` as a whole key ("model.experts", not a part of
/// "model.experts_x" or "xmodel.experts").
bool namesKey(const QString &message, const QString &key)
{
    const auto isKeyChar = [](QChar c) { return c.isLetterOrNumber() || c == QLatin1Char('_'); };
    for (qsizetype at = message.indexOf(key); at >= 0; at = message.indexOf(key, at + 1)) {
        const qsizetype end = at + key.size();
        const bool startOk = at == 0 || (!isKeyChar(message[at - 1]) && message[at - 1] != QLatin1Char('.'));
        const bool endOk = end == message.size() || !isKeyChar(message[end]);
        if (startOk && endOk)
            return true;
    }
    return false;
}

/// "New run: model.top_k must …" → "model.top_k must …".
QString withoutSource(const std::string &message)
{
    QString text = QString::fromStdString(message);
    const QString prefix = QString::fromLatin1(kSource) + QStringLiteral(": ");
    if (text.startsWith(prefix))
        text.remove(0, prefix.size());
    return text;
}

void repolish(QWidget *w)
{
    w->style()->unpolish(w);
    w->style()->polish(w);
    w->update();
}

const QStringList &routingNames()
{
    static const QStringList names = {QStringLiteral("dense"), QStringLiteral("token"), QStringLiteral("sentence"),
                                      QStringLiteral("task:target"), QStringLiteral("task:pair")};
    return names;
}

} // namespace

NewRunDialog::NewRunDialog(const std::vector<db::DatasetRecord> &datasets, QWidget *parent) : QDialog(parent)
{
    setWindowTitle(tr("New run"));
    setStyleSheet(QString::fromLatin1(kStyleSheet));
    buildUi(datasets);

    const std::string presetDir = core::defaultPresetDir();
    for (const auto &name : core::listPresets(presetDir))
        m_presetBox->addItem(QString::fromStdString(name));
    if (m_presetBox->count() == 0) {
        m_presetBox->addItem(tr("(no presets)"));
        m_presetBox->setEnabled(false);
        loadPreset(QString());
        m_descriptionLabel->setText(
            tr("No presets were found in %1; the form starts from the built-in defaults.")
                .arg(QString::fromStdString(presetDir)));
        return;
    }
    const int tiny = m_presetBox->findText(QStringLiteral("tiny"));
    setPreset(m_presetBox->itemText(tiny >= 0 ? tiny : 0));
    // From now on the user picks presets; setPreset() covers reselecting the same one.
    connect(m_presetBox, &QComboBox::currentIndexChanged, this,
            [this](int index) { loadPreset(m_presetBox->itemText(index)); });
}

NewRunDialog::~NewRunDialog() = default;

// ---- building ---------------------------------------------------------------------------------

QWidget *NewRunDialog::addField(const QString &key, const QStringList &targets, Kind kind, const QString &help,
                                const QStringList &choices)
{
    Field f;
    f.key = key;
    f.targets = targets.isEmpty() ? QStringList{key} : targets;
    f.kind = kind;
    f.help = help;
    if (kind == Kind::Choice) {
        auto *box = new QComboBox(this);
        box->addItems(choices);
        connect(box, &QComboBox::currentIndexChanged, this, [this] {
            if (!m_loading)
                revalidate();
        });
        f.editor = box;
    } else {
        auto *edit = new QLineEdit(this);
        // textChanged, not textEdited: setText() from code (tests, presets) is checked too.
        connect(edit, &QLineEdit::textChanged, this, [this] {
            if (!m_loading)
                revalidate();
        });
        f.editor = edit;
    }
    f.editor->setObjectName(key);
    f.editor->setToolTip(help);
    f.editor->setProperty("invalid", false);
    m_fields.push_back(f);
    return f.editor;
}

void NewRunDialog::buildUi(const std::vector<db::DatasetRecord> &datasets)
{
    const auto makeForm = [](QGroupBox *group) {
        auto *form = new QFormLayout(group);
        form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
        form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
        return form;
    };
    const auto addRow = [](QFormLayout *form, const QString &label, QWidget *editor) {
        auto *l = new QLabel(label);
        l->setBuddy(editor);
        l->setToolTip(editor->toolTip());
        form->addRow(l, editor);
    };

    // Run: preset, its description, name.
    auto *runGroup = new QGroupBox(tr("Run"));
    auto *runForm = makeForm(runGroup);
    m_presetBox = new QComboBox;
    m_presetBox->setToolTip(tr("The preset the run starts from (a JSON file of the preset folder); choosing one "
                               "reloads every field below."));
    addRow(runForm, tr("&Preset:"), m_presetBox);
    m_descriptionLabel = new QLabel;
    m_descriptionLabel->setObjectName(QStringLiteral("newRunDescription"));
    m_descriptionLabel->setWordWrap(true);
    m_descriptionLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    runForm->addRow(QString(), m_descriptionLabel);
    m_runNameEdit = new QLineEdit;
    m_runNameEdit->setObjectName(QStringLiteral("runName"));
    m_runNameEdit->setPlaceholderText(tr("optional"));
    m_runNameEdit->setToolTip(tr("A name to find the run by in the runs table (optional; not part of the "
                                 "configuration)."));
    addRow(runForm, tr("Run &name:"), m_runNameEdit);

    // Data: dataset and sampling temperature.
    auto *dataGroup = new QGroupBox(tr("Data"));
    auto *dataForm = makeForm(dataGroup);
    m_datasetBox = new QComboBox;
    m_datasetBox->setToolTip(tr("data.dataset — the store's dataset to train on; 0 is the corpus the preset names "
                                "(data.corpus: the quick or full synthetic corpus, or the system's gettext catalogs), "
                                "created when the store has none."));
    m_datasetBox->addItem(tr("The preset's corpus (created if missing)"), qint64(0));
    for (const auto &d : datasets)
        m_datasetBox->addItem(QStringLiteral("#%1 %2 (%3)").arg(d.id).arg(d.name, d.kind), d.id);
    connect(m_datasetBox, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_loading)
            revalidate();
    });
    addRow(dataForm, tr("&Dataset:"), m_datasetBox);
    addRow(dataForm, tr("&Temperature:"),
           addField(QStringLiteral("data.temperature"), {}, Kind::Real,
                    tr("data.temperature — pair sampling temperature T, p ∝ n^(1/T): 1 samples pairs by size, "
                       "larger values favour low-resource pairs (> 0)")));

    // Routing: the mixture of experts.
    auto *routingGroup = new QGroupBox(tr("Routing"));
    auto *routingForm = makeForm(routingGroup);
    const QString routingHelp = tr("— how MoE layers choose experts: dense (no MoE layers), token (per token), "
                                   "sentence (per sentence), task:target (by target language), task:pair (by "
                                   "language pair)");
    addRow(routingForm, tr("&Encoder routing:"),
           addField(QStringLiteral("model.encoder_routing"), {}, Kind::Choice,
                    QStringLiteral("model.encoder_routing ") + routingHelp, routingNames()));
    addRow(routingForm, tr("Dec&oder routing:"),
           addField(QStringLiteral("model.decoder_routing"), {}, Kind::Choice,
                    QStringLiteral("model.decoder_routing ") + routingHelp, routingNames()));
    addRow(routingForm, tr("E&xperts:"),
           addField(QStringLiteral("model.experts"), {}, Kind::Integer,
                    tr("model.experts — experts (identical FFNs) per MoE layer (≥ 1)")));
    addRow(routingForm, tr("Top-&k:"),
           addField(QStringLiteral("model.top_k"), {}, Kind::Integer,
                    tr("model.top_k — experts each token is sent to (1 ≤ k ≤ experts)")));
    addRow(routingForm, tr("&Capacity factor:"),
           addField(QStringLiteral("model.capacity_factor"), {}, Kind::Real,
                    tr("model.capacity_factor — expert capacity in training = ⌈factor · k · tokens / experts⌉; "
                       "tokens beyond it skip the layer (> 0)")));
    addRow(routingForm, tr("&MoE every:"),
           addField(QStringLiteral("model.moe_every"),
                    {QStringLiteral("model.encoder_moe_every"), QStringLiteral("model.decoder_moe_every")},
                    Kind::Integer,
                    tr("model.moe_every — every Nth layer of each side has an MoE FFN, 0 for none (sets "
                       "model.encoder_moe_every and model.decoder_moe_every; shows the encoder's)")));

    // Model: sizes.
    auto *modelGroup = new QGroupBox(tr("Model"));
    auto *modelForm = makeForm(modelGroup);
    addRow(modelForm, tr("&Layers per side:"),
           addField(QStringLiteral("model.layers"),
                    {QStringLiteral("model.encoder_layers"), QStringLiteral("model.decoder_layers")}, Kind::Integer,
                    tr("model.layers — Transformer layers of the encoder and of the decoder (sets "
                       "model.encoder_layers and model.decoder_layers; shows the encoder's) (≥ 1)")));
    addRow(modelForm, tr("d_&model:"),
           addField(QStringLiteral("model.d_model"), {}, Kind::Integer,
                    tr("model.d_model — width of the residual stream (a multiple of model.heads)")));
    addRow(modelForm, tr("&Heads:"),
           addField(QStringLiteral("model.heads"), {}, Kind::Integer,
                    tr("model.heads — attention heads; must divide model.d_model")));
    addRow(modelForm, tr("d_&ff:"),
           addField(QStringLiteral("model.d_ff"), {}, Kind::Integer,
                    tr("model.d_ff — hidden size of a dense FFN and of each expert (≥ 1)")));

    // Training.
    auto *trainGroup = new QGroupBox(tr("Training"));
    auto *trainForm = makeForm(trainGroup);
    addRow(trainForm, tr("&Steps:"),
           addField(QStringLiteral("train.steps"), {}, Kind::Integer,
                    tr("train.steps — optimiser updates (≥ 1)")));
    auto *budget = addField(QStringLiteral("train.max_minutes"), {}, Kind::OptionalReal,
                            tr("train.max_minutes — wall-clock budget in minutes: the run ends like a cancel (dev "
                               "evaluation, checkpoint) and finishes when it is used up, and a cosine or linear "
                               "schedule decays over it; empty for none (> 0)"));
    static_cast<QLineEdit *>(budget)->setPlaceholderText(tr("none"));
    addRow(trainForm, tr("Time &budget (min):"), budget);
    addRow(trainForm, tr("&Batch tokens:"),
           addField(QStringLiteral("train.batch_tokens"), {}, Kind::Integer,
                    tr("train.batch_tokens — target number of tokens (source + target) per batch (≥ 1)")));
    addRow(trainForm, tr("&Optimizer:"),
           addField(QStringLiteral("train.optimizer"), {}, Kind::Choice,
                    tr("train.optimizer — adafactor (factored second moments, little memory) or adam"),
                    {QStringLiteral("adafactor"), QStringLiteral("adam")}));
    addRow(trainForm, tr("Learning &rate:"),
           addField(QStringLiteral("train.lr"), {}, Kind::Real,
                    tr("train.lr — peak learning rate after the warm-up (> 0), e.g. 0.001 or 1e-3")));
    m_processes = new QSpinBox;
    m_processes->setObjectName(QStringLiteral("newRunProcesses"));
    m_processes->setRange(1, 64);
    m_processes->setToolTip(tr("taskmoe train --nproc — processes on this machine that train the run together "
                               "(data parallel: each takes a share of every batch; rank 0 records the run)"));
    m_expertParallel = new QCheckBox(tr("&Expert parallel"));
    m_expertParallel->setObjectName(QStringLiteral("newRunExpertParallel"));
    m_expertParallel->setToolTip(tr("train.expert_parallel — with several processes, each holds and computes its "
                                    "share of the experts of every token-routed MoE layer (the experts must split "
                                    "evenly over the processes)"));
    auto *processesRow = new QHBoxLayout;
    processesRow->addWidget(m_processes);
    processesRow->addWidget(m_expertParallel);
    processesRow->addStretch(1);
    auto *processesLabel = new QLabel(tr("&Processes:"));
    processesLabel->setBuddy(m_processes);
    trainForm->addRow(processesLabel, processesRow);
    connect(m_processes, &QSpinBox::valueChanged, this, &NewRunDialog::revalidate);
    connect(m_expertParallel, &QCheckBox::toggled, this, &NewRunDialog::revalidate);

    // Two columns of groups: what the run is about on the left, the model on the right.
    auto *formPage = new QWidget;
    auto *columns = new QHBoxLayout(formPage);
    columns->setContentsMargins(0, 0, 0, 0);
    const auto column = [columns](std::initializer_list<QGroupBox *> groups) {
        auto *c = new QVBoxLayout;
        for (QGroupBox *g : groups)
            c->addWidget(g);
        c->addStretch(1);
        columns->addLayout(c, 1);
    };
    column({runGroup, dataGroup, trainGroup});
    column({routingGroup, modelGroup});
    auto *scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setWidget(formPage);

    // The resulting document.
    auto *jsonPage = new QWidget;
    auto *jsonColumn = new QVBoxLayout(jsonPage);
    m_jsonTitle = new QLabel;
    m_jsonTitle->setObjectName(QStringLiteral("newRunJsonTitle"));
    m_jsonView = new QPlainTextEdit;
    m_jsonView->setReadOnly(true);
    m_jsonView->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_jsonView->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_jsonView->setToolTip(tr("The configuration file the run starts with (taskmoe train --config FILE)."));
    jsonColumn->addWidget(m_jsonTitle);
    jsonColumn->addWidget(m_jsonView, 1);

    auto *splitter = new QSplitter(Qt::Horizontal);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(scroll);
    splitter->addWidget(jsonPage);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({640, 360});

    m_messageLabel = new QLabel;
    m_messageLabel->setObjectName(QStringLiteral("newRunMessage"));
    m_messageLabel->setWordWrap(true);
    m_messageLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Room for two lines, so that the buttons do not move when a message wraps.
    m_messageLabel->setMinimumHeight(2 * fontMetrics().lineSpacing() + 4);
    m_messageLabel->setAlignment(Qt::AlignLeft | Qt::AlignTop);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel);
    m_startButton = buttons->addButton(tr("Start run"), QDialogButtonBox::AcceptRole);
    m_startButton->setDefault(true);
    connect(buttons, &QDialogButtonBox::accepted, this, &NewRunDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &NewRunDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(splitter, 1);
    layout->addWidget(m_messageLabel);
    layout->addWidget(buttons);
    resize(1000, 620);
}

// ---- presets and fields -----------------------------------------------------------------------

void NewRunDialog::setPreset(const QString &name)
{
    const int index = m_presetBox->findText(name);
    if (index < 0 || !m_presetBox->isEnabled())
        return;
    {
        // Reload here, also when the preset is already selected (the box would not signal).
        const QSignalBlocker blocker(m_presetBox);
        m_presetBox->setCurrentIndex(index);
    }
    loadPreset(name);
}

void NewRunDialog::loadPreset(const QString &name)
{
    m_baseError.clear();
    try {
        // No name: the built-in defaults (there are no presets to choose from).
        m_base = name.isEmpty() ? core::TrainConfig() : core::loadPreset(name.toStdString());
    } catch (const std::exception &e) {
        m_base = core::TrainConfig();
        m_baseError = tr("Preset '%1' cannot be used: %2").arg(name, QString::fromStdString(e.what()));
    }
    m_descriptionLabel->setText(m_base.description.empty() ? tr("(no description)")
                                                           : QString::fromStdString(m_base.description));

    const Json doc = Json::parse(core::trainConfigToJson(m_base, -1));
    m_loading = true;
    for (Field &f : m_fields) {
        f.loadedText = textOf(valueAt(doc, f.targets.first()));
        setFieldText(f, f.loadedText);
    }
    m_loading = false;
    revalidate();
}

QString NewRunDialog::fieldText(const Field &f) const
{
    if (f.kind == Kind::Choice)
        return static_cast<QComboBox *>(f.editor)->currentText();
    return static_cast<QLineEdit *>(f.editor)->text();
}

void NewRunDialog::setFieldText(Field &f, const QString &text)
{
    if (f.kind == Kind::Choice) {
        auto *box = static_cast<QComboBox *>(f.editor);
        int index = box->findText(text);
        if (index < 0) {
            // Not a value the form offers; keep it selectable so that validation reports it.
            box->addItem(text);
            index = box->count() - 1;
        }
        box->setCurrentIndex(index);
    } else {
        auto *edit = static_cast<QLineEdit *>(f.editor);
        edit->setText(text);
        edit->setCursorPosition(0);
    }
}

QWidget *NewRunDialog::field(const QString &key) const
{
    for (const Field &f : m_fields)
        if (f.key == key)
            return f.editor;
    return nullptr;
}

QStringList NewRunDialog::invalidFields() const
{
    QStringList keys;
    for (const Field &f : m_fields)
        if (!f.error.isEmpty())
            keys << f.key;
    return keys;
}

QString NewRunDialog::configJson() const
{
    return QString::fromStdString(core::trainConfigToJson(m_config, 2));
}

QString NewRunDialog::runName() const
{
    return m_runNameEdit->text().trimmed();
}

int NewRunDialog::processes() const
{
    return m_processes->value();
}

void NewRunDialog::accept()
{
    if (isValid())
        QDialog::accept();
}

// ---- validation -------------------------------------------------------------------------------

void NewRunDialog::revalidate()
{
    m_errors.clear();
    for (Field &f : m_fields)
        f.error.clear();
    if (!m_baseError.isEmpty())
        m_errors << m_baseError;

    // The whole document is assembled first and checked once: applying the fields one by one
    // as `--set` overrides would reject valid end states whose intermediate states are not
    // (raising experts and top_k together).
    const Json base = Json::parse(core::trainConfigToJson(m_base, -1));
    Json doc = base;
    doc["data"]["dataset"] = m_datasetBox->currentData().toLongLong();
    if (m_expertParallel && m_expertParallel->isChecked())
        doc["train"]["expert_parallel"] = 1;
    else
        doc["train"].erase("expert_parallel");
    for (Field &f : m_fields) {
        const QString text = fieldText(f).trimmed();
        Json value;
        if (f.kind == Kind::Integer) {
            bool ok = false;
            const qlonglong v = text.toLongLong(&ok);
            if (ok) {
                value = static_cast<std::int64_t>(v);
            } else if (text.isEmpty()) {
                f.error = tr("%1: enter a whole number").arg(f.key);
            } else {
                // Only digits after an optional sign, yet unreadable: beyond 64 bits.
                const bool sign = text[0] == QLatin1Char('-') || text[0] == QLatin1Char('+');
                bool digits = text.size() > (sign ? 1 : 0);
                for (qsizetype i = sign ? 1 : 0; i < text.size(); ++i)
                    digits = digits && text[i].isDigit();
                f.error = digits ? tr("%1: '%2' is too large").arg(f.key, text)
                                 : tr("%1: '%2' is not an integer").arg(f.key, text);
            }
        } else if (f.kind == Kind::Real || f.kind == Kind::OptionalReal) {
            bool ok = false;
            const double v = text.toDouble(&ok);
            if (ok && std::isfinite(v)) {
                value = v;
            } else if (text.isEmpty() && f.kind == Kind::OptionalReal) {
                // Left out: the key's absence is its meaning (no time budget).
                const auto dot = f.key.indexOf(QLatin1Char('.'));
                doc[f.key.left(dot).toStdString()].erase(f.key.mid(dot + 1).toStdString());
                continue;
            } else if (text.isEmpty()) {
                f.error = tr("%1: enter a number").arg(f.key);
            } else {
                f.error = tr("%1: '%2' is not a number").arg(f.key, text);
            }
        } else {
            value = text.toStdString();
        }
        if (!f.error.isEmpty()) {
            m_errors << f.error;
            continue; // the preset's value stands in while the rest is checked
        }
        // An untouched alias keeps the preset's per-side values (they may differ).
        if (f.targets.size() > 1 && text == f.loadedText.trimmed())
            continue;
        for (const QString &target : f.targets)
            setValueAt(doc, target, value);
    }

    // parseTrainConfig reports one problem at a time. To show independent problems together,
    // the fields a message names go back to the preset's values and the document is checked
    // again, until it passes or a message names no field that has not been reset yet.
    std::set<const Field *> reset;
    bool configValid = false;
    core::TrainConfig parsed;
    for (std::size_t round = 0; round <= m_fields.size(); ++round) {
        QString message;
        try {
            parsed = core::parseTrainConfig(doc.dump(), kSource);
            configValid = round == 0;
            break;
        } catch (const core::InputError &e) {
            message = withoutSource(e.what());
        } catch (const std::exception &e) {
            message = QString::fromStdString(e.what());
        }
        if (!m_errors.contains(message))
            m_errors << message;
        bool progress = false;
        for (Field &f : m_fields) {
            bool named = namesKey(message, f.key);
            for (const QString &target : f.targets)
                named = named || namesKey(message, target);
            if (!named)
                continue;
            if (f.error.isEmpty())
                f.error = message;
            if (reset.insert(&f).second) {
                progress = true;
                for (const QString &target : f.targets)
                    if (valueAt(base, target).is_null()) {   // a key the preset leaves out stays out
                        const auto dot = target.indexOf(QLatin1Char('.'));
                        doc[target.left(dot).toStdString()].erase(target.mid(dot + 1).toStdString());
                    } else {
                        setValueAt(doc, target, valueAt(base, target));
                    }
            }
        }
        if (!progress)
            break;
    }
    if (configValid && m_processes && m_expertParallel->isChecked() && m_processes->value() > 1) {
        const std::int64_t experts = parsed.model.experts;
        if (experts % m_processes->value() != 0) {
            const QString message = tr("Processes: %1 experts do not split evenly over %2 processes (expert parallel)")
                                        .arg(experts)
                                        .arg(m_processes->value());
            if (!m_errors.contains(message))
                m_errors << message;
        }
    }
    if (configValid && m_errors.isEmpty())
        m_config = parsed;
    showState();
}

void NewRunDialog::showState()
{
    for (Field &f : m_fields) {
        const bool invalid = !f.error.isEmpty();
        if (f.editor->property("invalid").toBool() != invalid) {
            f.editor->setProperty("invalid", invalid);
            repolish(f.editor);
        }
        f.editor->setToolTip(invalid ? f.error + QStringLiteral("\n\n") + f.help : f.help);
    }

    const bool valid = isValid();
    if (valid) {
        m_messageLabel->setText(tr("The configuration is valid."));
    } else {
        QString text = m_errors.first();
        if (m_errors.size() > 1)
            text += m_errors.size() == 2 ? tr(" — and 1 more problem (see the highlighted fields)")
                                         : tr(" — and %1 more problems (see the highlighted fields)")
                                               .arg(m_errors.size() - 1);
        m_messageLabel->setText(text);
    }
    m_messageLabel->setProperty("error", !valid);
    repolish(m_messageLabel);

    m_startButton->setEnabled(valid);

    if (valid) {
        const QString json = configJson();
        if (m_jsonView->toPlainText() != json)
            m_jsonView->setPlainText(json);
        m_jsonTitle->setText(tr("Configuration file (taskmoe train --config):"));
    } else {
        m_jsonTitle->setText(m_jsonView->toPlainText().isEmpty()
                                 ? tr("No valid configuration yet.")
                                 : tr("Out of date: the last valid configuration"));
    }
    m_jsonView->setProperty("stale", !valid);
    repolish(m_jsonView);
    m_jsonTitle->setProperty("stale", !valid);
    repolish(m_jsonTitle);

    if (valid != m_lastValid) {
        m_lastValid = valid;
        emit validityChanged(valid);
    }
}

} // namespace taskmoe::ui
