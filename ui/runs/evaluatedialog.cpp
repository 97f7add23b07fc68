#include "ui/runs/evaluatedialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace taskmoe::ui {

EvaluateDialog::EvaluateDialog(qint64 runId, const QString &runName, const QVector<qint64> &checkpointSteps,
                               QWidget *parent, qint64 bestStep, double bestBleu)
    : QDialog(parent), m_runId(runId)
{
    setWindowTitle(tr("Evaluate run %1").arg(runId));
    auto *intro = new QLabel(tr("Translate every language pair of <b>%1</b> with a checkpoint, store BLEU and chrF "
                                "(SacreBLEU's definitions) with the averages over all, xx→en, en→xx, high- and "
                                "low-resource pairs, and record which experts the tokens used.")
                                 .arg(runName.isEmpty() ? tr("run %1").arg(runId) : runName.toHtmlEscaped()));
    intro->setWordWrap(true);

    m_checkpoint = new QComboBox;
    m_checkpoint->setObjectName(QStringLiteral("checkpointBox"));
    int preselected = int(checkpointSteps.size()) - 1;
    for (const qint64 step : checkpointSteps) {
        if (step == bestStep) {
            preselected = m_checkpoint->count();
            m_checkpoint->addItem(tr("step %1 — best dev BLEU %2").arg(step).arg(bestBleu, 0, 'f', 1), step);
        } else {
            m_checkpoint->addItem(tr("step %1").arg(step), step);
        }
    }
    m_checkpoint->setCurrentIndex(preselected);
    m_split = new QComboBox;
    m_split->setObjectName(QStringLiteral("splitBox"));
    m_split->addItem(tr("test"), QStringLiteral("test"));
    m_split->addItem(tr("multi-way aligned"), QStringLiteral("multiway"));
    m_split->addItem(tr("dev"), QStringLiteral("dev"));
    m_split->setToolTip(tr("The multi-way aligned set has the same sentences in every language: routing statistics "
                           "on it compare tasks on equal content."));
    m_beam = new QSpinBox;
    m_beam->setObjectName(QStringLiteral("beamBox"));
    m_beam->setRange(1, 16);
    m_beam->setValue(4);
    m_beam->setToolTip(tr("Beam size; 1 is greedy decoding (--beam)."));
    m_limit = new QSpinBox;
    m_limit->setObjectName(QStringLiteral("limitBox"));
    m_limit->setRange(0, 1000000);
    m_limit->setSpecialValueText(tr("all"));
    m_limit->setToolTip(tr("At most this many sentences per language pair (--limit); all by default."));

    auto *form = new QFormLayout;
    form->addRow(tr("Checkpoint:"), m_checkpoint);
    form->addRow(tr("Split:"), m_split);
    form->addRow(tr("Beam size:"), m_beam);
    form->addRow(tr("Sentences per pair:"), m_limit);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Start evaluation"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(buttons);
    setMinimumWidth(460);
}

JobController::EvalRequest EvaluateDialog::request() const
{
    JobController::EvalRequest r;
    r.runId = m_runId;
    r.checkpointStep = m_checkpoint->currentData().toLongLong();
    r.split = m_split->currentData().toString();
    r.beam = m_beam->value();
    r.limit = m_limit->value();
    return r;
}

} // namespace taskmoe::ui
