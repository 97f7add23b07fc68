#include "ui/jobs/jobsview.h"

#include <QFile>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace taskmoe::ui {

namespace {

QString durationText(qint64 seconds)
{
    if (seconds >= 3600)
        return QStringLiteral("%1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60);
    if (seconds >= 60)
        return QStringLiteral("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
    return QStringLiteral("%1 s").arg(seconds);
}

} // namespace

// ---- the table -------------------------------------------------------------------------------

JobTableModel::JobTableModel(JobController *jobs, QObject *parent) : QAbstractTableModel(parent), m_jobs(jobs)
{
    refresh();
}

void JobTableModel::refresh()
{
    QList<int> ids;
    for (const auto &[id, job] : m_jobs->jobs())
        ids << id;
    // Jobs are only added (ids ascending): new rows are inserted at the end, the rest change.
    int keep = 0;
    while (keep < m_ids.size() && keep < ids.size() && m_ids[keep] == ids[keep])
        ++keep;
    if (keep < m_ids.size()) {
        beginResetModel();
        m_ids = ids;
        endResetModel();
        return;
    }
    if (ids.size() > m_ids.size()) {
        beginInsertRows({}, int(m_ids.size()), int(ids.size()) - 1);
        m_ids = ids;
        endInsertRows();
    }
    if (!m_ids.isEmpty())
        emit dataChanged(index(0, 0), index(int(m_ids.size()) - 1, ColumnCount - 1));
}

int JobTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_ids.size());
}

int JobTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

int JobTableModel::jobAt(int row) const
{
    return row >= 0 && row < m_ids.size() ? m_ids[row] : 0;
}

int JobTableModel::rowOf(int job) const
{
    return int(m_ids.indexOf(job));
}

QVariant JobTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const auto found = m_jobs->jobs().find(m_ids[index.row()]);
    if (found == m_jobs->jobs().end())
        return {};
    const JobController::Job &job = found->second;
    if (role == Qt::ToolTipRole && index.column() == Message)
        return job.message;
    if (role == Qt::ToolTipRole && index.column() == What)
        return QStringLiteral("taskmoe ") + job.arguments.join(QLatin1Char(' '));
    if (role == Qt::TextAlignmentRole && (index.column() == Id || index.column() == Run || index.column() == Queue))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Id: return job.id;
    case What: return job.title;
    case State: return JobController::stateName(job.state);
    case Progress: {
        if (job.steps <= 0)
            return QString();
        // A training's planned steps say little when a time budget ends it: its step and ETA do.
        QString text = job.kind == protocol::JobKind::Train || job.kind == protocol::JobKind::Distill
                           ? tr("step %1").arg(job.step)
                           : QStringLiteral("%1 / %2 %3").arg(job.step).arg(job.steps)
                                 .arg(job.kind == protocol::JobKind::Eval ? tr("pairs") : tr("parts"));
        if (JobController::isActive(job.state) && job.etaSeconds >= 0)
            text += tr(" · ETA %1").arg(durationText(qint64(job.etaSeconds)));
        return text;
    }
    case Run: return job.runId > 0 ? QVariant(job.runId) : QVariant(QString());
    case Queue: {
        const int place = int(m_jobs->queue().indexOf(job.id));
        return place >= 0 ? QVariant(place + 1) : QVariant(QString());
    }
    case Started:
        if (!job.startedAt.isValid())
            return QString();
        return job.startedAt.toLocalTime().toString(QStringLiteral("HH:mm:ss"))
               + (job.endedAt.isValid() ? tr(" · took %1").arg(durationText(job.startedAt.secsTo(job.endedAt))) : QString());
    case Message: return job.message.section(QLatin1Char('\n'), -1);
    default: return {};
    }
}

QVariant JobTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Id: return tr("Job");
    case What: return tr("What");
    case State: return tr("State");
    case Progress: return tr("Progress");
    case Run: return tr("Run");
    case Queue: return tr("In queue");
    case Started: return tr("Started");
    case Message: return tr("Message");
    default: return {};
    }
}

// ---- the view ---------------------------------------------------------------------------------

JobsView::JobsView(JobController *jobs, QWidget *parent) : QWidget(parent), m_jobs(jobs)
{
    setObjectName(QStringLiteral("jobsView"));
    m_model = new JobTableModel(jobs, this);
    m_table = new QTableView;
    m_table->setObjectName(QStringLiteral("jobsTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setColumnWidth(JobTableModel::What, 360);
    m_log = new QPlainTextEdit;
    m_log->setObjectName(QStringLiteral("jobLog"));
    m_log->setReadOnly(true);
    m_log->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log->setPlaceholderText(tr("The selected job's log (its standard error) appears here."));
    m_concurrency = new QSpinBox;
    m_concurrency->setRange(1, 8);
    m_concurrency->setValue(jobs->maxConcurrent());
    m_concurrency->setToolTip(tr("How many jobs run at once. Each job uses every core; on a small machine two at once "
                                 "only slow each other down."));
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setToolTip(tr("A queued job leaves the queue; a training run checkpoints and stops (resumable); any other "
                            "job is stopped."));
    m_retry = new QPushButton(tr("Retry"));
    m_retry->setToolTip(tr("Queue the job again with the same arguments."));
    m_up = new QPushButton(tr("Earlier"));
    m_down = new QPushButton(tr("Later"));
    m_summary = new QLabel;

    auto *tools = new QHBoxLayout;
    tools->addWidget(m_cancel);
    tools->addWidget(m_retry);
    tools->addSpacing(12);
    tools->addWidget(m_up);
    tools->addWidget(m_down);
    tools->addSpacing(12);
    tools->addWidget(m_summary, 1);
    tools->addWidget(new QLabel(tr("Jobs at once")));
    tools->addWidget(m_concurrency);
    auto *split = new QSplitter(Qt::Vertical);
    split->setObjectName(QStringLiteral("jobsSplitter"));
    split->addWidget(m_table);
    split->addWidget(m_log);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(tools);
    layout->addWidget(split, 1);

    m_logTimer = new QTimer(this);
    m_logTimer->setInterval(1000);
    connect(m_logTimer, &QTimer::timeout, this, &JobsView::showLog);
    m_logTimer->start();
    connect(jobs, &JobController::jobsChanged, this, [this] {
        const int current = currentJob();
        m_model->refresh();
        if (current > 0)
            selectJob(current);
        else if (m_model->rowCount() > 0)
            m_table->selectRow(0);   // its log shows at once
        m_table->resizeColumnToContents(JobTableModel::Progress);
        m_table->resizeColumnToContents(JobTableModel::Started);
        updateButtons();
    });
    const auto refreshRows = [this] { m_model->refresh(); };
    connect(jobs, &JobController::progress, this, refreshRows);
    connect(jobs, &JobController::evalProgress, this, refreshRows);
    connect(jobs, &JobController::taskProgress, this, refreshRows);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        m_log->clear();
        showLog();
        updateButtons();
    });
    connect(m_concurrency, &QSpinBox::valueChanged, jobs, &JobController::setMaxConcurrent);
    connect(m_cancel, &QPushButton::clicked, this, [this] { m_jobs->cancelJob(currentJob()); });
    connect(m_retry, &QPushButton::clicked, this, [this] {
        QString error;
        const int again = m_jobs->retry(currentJob(), &error);
        if (again > 0)
            selectJob(again);
        else
            m_summary->setText(tr("Cannot retry: %1").arg(error));
    });
    connect(m_up, &QPushButton::clicked, this, [this] { m_jobs->moveQueued(currentJob(), -1); });
    connect(m_down, &QPushButton::clicked, this, [this] { m_jobs->moveQueued(currentJob(), 1); });
    updateButtons();
}

int JobsView::currentJob() const
{
    return m_model->jobAt(m_table->currentIndex().row());
}

bool JobsView::selectJob(int job)
{
    const int row = m_model->rowOf(job);
    if (row < 0)
        return false;
    m_table->selectRow(row);
    return true;
}

void JobsView::updateButtons()
{
    const auto found = m_jobs->jobs().find(currentJob());
    const bool has = found != m_jobs->jobs().end();
    const auto state = has ? found->second.state : JobController::JobState::Finished;
    m_cancel->setEnabled(has && JobController::isPending(state));
    m_retry->setEnabled(has && !JobController::isPending(state));
    const int place = has ? int(m_jobs->queue().indexOf(found->first)) : -1;
    m_up->setEnabled(place > 0);
    m_down->setEnabled(place >= 0 && place < m_jobs->queue().size() - 1);
    int running = 0, queued = 0, ended = 0;
    for (const auto &[id, job] : m_jobs->jobs()) {
        running += JobController::isActive(job.state) ? 1 : 0;
        queued += job.state == JobController::JobState::Queued ? 1 : 0;
        ended += JobController::isPending(job.state) ? 0 : 1;
    }
    m_summary->setText(m_jobs->jobs().empty() ? tr("No jobs yet: start training, evaluations, extractions or benchmarks "
                                                    "from the other tabs.")
                                              : tr("%1 running, %2 queued, %3 ended").arg(running).arg(queued).arg(ended));
}

void JobsView::showLog()
{
    if (!isVisible() && !m_log->toPlainText().isEmpty())
        return;
    const auto found = m_jobs->jobs().find(currentJob());
    if (found == m_jobs->jobs().end() || found->second.errorPath.isEmpty()) {
        if (found != m_jobs->jobs().end())
            m_log->setPlainText(tr("(queued: taskmoe %1)").arg(found->second.arguments.join(QLatin1Char(' '))));
        return;
    }
    QFile file(found->second.errorPath);
    if (!file.open(QIODevice::ReadOnly))
        return;
    if (file.size() > 65536)
        file.seek(file.size() - 65536);
    const QString text = QString::fromUtf8(file.readAll());
    if (text == m_log->toPlainText())
        return;
    const bool atEnd = m_log->verticalScrollBar()->value() == m_log->verticalScrollBar()->maximum();
    m_log->setPlainText(text);
    if (atEnd)
        m_log->verticalScrollBar()->setValue(m_log->verticalScrollBar()->maximum());
}

} // namespace taskmoe::ui
