#pragma once
/// The Jobs tab: every job the workbench queued or started — train, eval, extract, distill,
/// bench — with its state, progress, run and how it ended; the selected job's log (its standard
/// error, as it grows); cancel, retry and reorder; and how many jobs run at once.
#include "ui/jobs/jobcontroller.h"

#include <QAbstractTableModel>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableView;
class QTimer;

namespace taskmoe::ui {

/// The controller's jobs, newest last; queued ones show their place in the queue.
class JobTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Id, What, State, Progress, Run, Queue, Started, Message, ColumnCount };
    explicit JobTableModel(JobController *jobs, QObject *parent = nullptr);
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    /// The job of a row (0: none).
    int jobAt(int row) const;
    int rowOf(int job) const;
    /// Reads the controller's jobs again (keeps rows stable: jobs are only ever added).
    void refresh();

private:
    JobController *m_jobs;
    QList<int> m_ids;
};

class JobsView : public QWidget
{
    Q_OBJECT
public:
    explicit JobsView(JobController *jobs, QWidget *parent = nullptr);

    JobTableModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    QPlainTextEdit *logView() const { return m_log; }
    QSpinBox *concurrencyBox() const { return m_concurrency; }
    QPushButton *cancelButton() const { return m_cancel; }
    QPushButton *retryButton() const { return m_retry; }
    QPushButton *upButton() const { return m_up; }
    QPushButton *downButton() const { return m_down; }
    /// Selects a job's row; false when it is not listed.
    bool selectJob(int job);
    int currentJob() const;

private:
    void updateButtons();
    void showLog();

    JobController *m_jobs;
    JobTableModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    QPlainTextEdit *m_log = nullptr;
    QLabel *m_summary = nullptr;
    QSpinBox *m_concurrency = nullptr;
    QPushButton *m_cancel = nullptr;
    QPushButton *m_retry = nullptr;
    QPushButton *m_up = nullptr;
    QPushButton *m_down = nullptr;
    QTimer *m_logTimer = nullptr;
};

} // namespace taskmoe::ui
