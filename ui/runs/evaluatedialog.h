#pragma once
/// Asks how to evaluate a run: which checkpoint, which split, the beam size and how many
/// sentences per language pair — the options of `taskmoe eval`.
#include "ui/jobs/jobcontroller.h"

#include <QDialog>
#include <QVector>

class QComboBox;
class QSpinBox;

namespace taskmoe::ui {

class EvaluateDialog : public QDialog
{
    Q_OBJECT
public:
    /// `checkpointSteps` of run `runId`, oldest first; not empty. The best checkpoint by dev
    /// BLEU (`bestStep`, with `bestBleu`) is marked and preselected; without one (bestStep < 0)
    /// the newest is.
    EvaluateDialog(qint64 runId, const QString &runName, const QVector<qint64> &checkpointSteps,
                   QWidget *parent = nullptr, qint64 bestStep = -1, double bestBleu = 0);

    JobController::EvalRequest request() const;

    QComboBox *checkpointBox() const { return m_checkpoint; }
    QComboBox *splitBox() const { return m_split; }
    QSpinBox *beamBox() const { return m_beam; }
    QSpinBox *limitBox() const { return m_limit; }

private:
    qint64 m_runId = 0;
    QComboBox *m_checkpoint = nullptr;
    QComboBox *m_split = nullptr;
    QSpinBox *m_beam = nullptr;
    QSpinBox *m_limit = nullptr;
};

} // namespace taskmoe::ui
