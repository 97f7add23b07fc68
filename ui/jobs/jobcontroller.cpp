#include "ui/jobs/jobcontroller.h"

#include "db/store.h"
#include "protocol/processes.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSaveFile>
#include <QTimer>

#include <csignal>

#include <sys/types.h>

namespace taskmoe::ui {

namespace {

constexpr int kPollMilliseconds = 250;

/// The last few non-empty lines of a text file: what a failed job said last.
QString tailOf(const QString &path, int lines = 4)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    if (file.size() > 16384)
        file.seek(file.size() - 16384);
    QStringList all = QString::fromUtf8(file.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    // Drop carriage-return progress fragments: keep what follows the last '\r' of a line.
    for (QString &l : all)
        l = l.mid(l.lastIndexOf(QLatin1Char('\r')) + 1).trimmed();
    all.removeAll(QString());
    return all.mid(std::max<qsizetype>(0, all.size() - lines)).join(QLatin1Char('\n'));
}

} // namespace

QString JobController::stateName(JobState state)
{
    switch (state) {
    case JobState::Queued: return QStringLiteral("queued");
    case JobState::Starting: return QStringLiteral("starting");
    case JobState::Running: return QStringLiteral("running");
    case JobState::Finished: return QStringLiteral("finished");
    case JobState::Cancelled: return QStringLiteral("cancelled");
    case JobState::Failed: return QStringLiteral("failed");
    case JobState::Interrupted: return QStringLiteral("interrupted");
    }
    return {};
}

JobController::JobController(QObject *parent)
    : QObject(parent),
      m_program(QCoreApplication::applicationDirPath() + QStringLiteral("/taskmoe")),
      m_timer(new QTimer(this))
{
    qRegisterMetaType<protocol::JobEvent>();
    qRegisterMetaType<JobState>();
    m_timer->setInterval(kPollMilliseconds);
    connect(m_timer, &QTimer::timeout, this, &JobController::poll);
}

JobController::~JobController() = default;

QString JobController::jobFolder() const
{
    return db::Store::runsFolder(m_storePath) + QStringLiteral("/jobs");
}

int JobController::startTraining(const QString &configJson, const QString &runName, QString *error, int processes)
{
    const QString stem = newJobStem(QString(), error);
    if (stem.isEmpty())
        return 0;
    const QString configPath = jobFolder() + QLatin1Char('/') + stem + QStringLiteral(".json");
    QSaveFile file(configPath);   // written to a temporary name and renamed on commit
    if (!file.open(QIODevice::WriteOnly) || file.write(configJson.toUtf8()) < 0 || !file.commit()) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(configPath, file.errorString());
        return 0;
    }
    QStringList arguments{QStringLiteral("train"), QStringLiteral("--config"), configPath};
    if (!runName.trimmed().isEmpty())
        arguments << QStringLiteral("--name") << runName.trimmed();
    if (processes > 1)
        arguments << QStringLiteral("--nproc") << QString::number(processes);
    const QString preset = QJsonDocument::fromJson(configJson.toUtf8()).object().value(QStringLiteral("preset")).toString();
    return launch(arguments, QString(), protocol::JobKind::Train, error,
                  tr("train %1").arg(!runName.trimmed().isEmpty() ? runName.trimmed() : preset));
}

int JobController::resume(qint64 runId, QString *error)
{
    return launch({QStringLiteral("train"), QStringLiteral("--resume"), QString::number(runId)},
                  QStringLiteral("resume-run-%1").arg(runId), protocol::JobKind::Train, error, tr("resume run %1").arg(runId));
}

int JobController::startEvaluation(const EvalRequest &request, QString *error)
{
    QStringList arguments{QStringLiteral("eval"), QStringLiteral("--events"), QStringLiteral("--split"), request.split,
                          QStringLiteral("--beam"), QString::number(request.beam)};
    if (request.modelId > 0)
        arguments << QStringLiteral("--model") << QString::number(request.modelId);
    else
        arguments << QStringLiteral("--run") << QString::number(request.runId);
    if (request.checkpointStep >= 0 && request.modelId == 0)
        arguments << QStringLiteral("--checkpoint") << QString::number(request.checkpointStep);
    if (request.limit > 0)
        arguments << QStringLiteral("--limit") << QString::number(request.limit);
    const int id = launch(arguments, QStringLiteral("eval-run-%1").arg(request.runId), protocol::JobKind::Eval, error,
                          request.modelId > 0 ? tr("evaluate model %1 (beam %2)").arg(request.modelId).arg(request.beam)
                                              : tr("evaluate run %1 (beam %2)").arg(request.runId).arg(request.beam));
    if (id > 0)
        m_jobs[id].modelId = request.modelId;
    return id;
}

int JobController::startExtraction(const ExtractRequest &request, QString *error)
{
    QStringList arguments{QStringLiteral("extract"), QStringLiteral("--events"), QStringLiteral("--run"),
                          QString::number(request.runId)};
    if (request.bestCheckpoint)
        arguments << QStringLiteral("--checkpoint") << QStringLiteral("best");
    if (request.tasks.isEmpty())
        arguments << QStringLiteral("--all-tasks");
    else
        arguments << QStringLiteral("--task") << request.tasks.join(QLatin1Char(','));
    if (request.keep > 0)
        arguments << QStringLiteral("--keep") << QString::number(request.keep) << QStringLiteral("--by") << request.by;
    return launch(arguments, QStringLiteral("extract-run-%1").arg(request.runId), protocol::JobKind::Extract, error,
                  request.keep > 0 ? tr("prune run %1 to %2 experts").arg(request.runId).arg(request.keep)
                                   : tr("extract the sub-networks of run %1").arg(request.runId));
}

int JobController::startBenchmark(const QStringList &models, QString *error)
{
    // A few batch sizes: enough to find each model's peak on this machine in minutes.
    const QStringList arguments{QStringLiteral("bench"), QStringLiteral("--decode"), QStringLiteral("--events"),
                                QStringLiteral("--models"), models.join(QLatin1Char(',')),
                                QStringLiteral("--batch-sizes"), QStringLiteral("1,8,32,128")};
    return launch(arguments, QStringLiteral("bench"), protocol::JobKind::Bench, error,
                  tr("measure the decoding speed of %1").arg(models.join(QStringLiteral(", "))));
}

QString JobController::newJobStem(const QString &what, QString *error) const
{
    if (m_storePath.isEmpty()) {
        if (error)
            *error = tr("No store is open.");
        return {};
    }
    if (!ensureJobFolder(error))
        return {};
    return QStringLiteral("job-%1-%2%3")
        .arg(QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss-zzz")))
        .arg(m_nextId)
        .arg(what.isEmpty() ? QString() : QLatin1Char('-') + what);
}

bool JobController::ensureJobFolder(QString *error) const
{
    if (QDir().mkpath(jobFolder()))
        return true;
    if (error)
        *error = tr("Cannot create the job folder %1.").arg(jobFolder());
    return false;
}

int JobController::launch(const QStringList &arguments, const QString &stemWhat, protocol::JobKind kind, QString *error,
                          const QString &title)
{
    return enqueue(title, kind, arguments, stemWhat, {}, {}, error);
}

int JobController::enqueue(const QString &title, protocol::JobKind kind, const QStringList &arguments, const QString &stemWhat,
                           const QList<int> &after, const ArgumentResolver &resolve, QString *error)
{
    if (m_storePath.isEmpty()) {
        if (error)
            *error = tr("No store is open.");
        return 0;
    }
    Job job;
    job.id = m_nextId++;
    job.kind = kind;
    job.title = title.isEmpty() ? arguments.join(QLatin1Char(' ')) : title;
    job.arguments = arguments;
    job.stemWhat = stemWhat;
    job.after = after;
    job.resolve = resolve;
    job.state = JobState::Queued;
    job.queuedAt = QDateTime::currentDateTimeUtc();
    const int id = job.id;
    m_jobs[id] = job;
    m_queue << id;
    QString startError;
    startQueued(id, &startError);
    if (!startError.isEmpty()) {
        // Nothing held it back, yet it could not start: the caller hears it now.
        m_queue.removeAll(id);
        m_jobs.erase(id);
        if (error)
            *error = startError;
        emit jobsChanged();
        return 0;
    }
    emit jobsChanged();
    return id;
}

void JobController::setMaxConcurrent(int jobs)
{
    m_maxConcurrent = std::max(1, jobs);
    startQueued();
}

void JobController::startQueued(int which, QString *error)
{
    int running = 0;
    for (const auto &[id, job] : m_jobs)
        running += isActive(job.state) ? 1 : 0;
    for (int i = 0; i < m_queue.size() && running < m_maxConcurrent;) {
        Job &job = m_jobs[m_queue[i]];
        bool ready = true;
        QString blocked;
        for (const int other : job.after) {
            const auto it = m_jobs.find(other);
            if (it == m_jobs.end())
                continue;
            if (isPending(it->second.state))
                ready = false;
            else if (it->second.state != JobState::Finished)
                blocked = tr("job %1, which it needs, %2").arg(other).arg(stateName(it->second.state));
        }
        if (!blocked.isEmpty()) {
            m_queue.removeAt(i);
            finish(job, JobState::Failed, blocked);
            continue;
        }
        if (!ready) {
            ++i;
            continue;
        }
        m_queue.removeAt(i);
        QString failure;
        const QStringList extra = job.resolve ? job.resolve(&failure) : QStringList();
        if (failure.isEmpty()) {
            job.arguments += extra;
            job.resolve = {};
            if (startProcess(job, &failure)) {
                ++running;
                emit jobsChanged();
                continue;
            }
        }
        if (job.id == which && error) {
            *error = failure;   // the caller drops the job and says why
            return;
        }
        finish(job, JobState::Failed, failure);
    }
}

bool JobController::startProcess(Job &job, QString *error)
{
    const QString stem = newJobStem(job.stemWhat, error);
    if (stem.isEmpty())
        return false;
    job.outputPath = jobFolder() + QLatin1Char('/') + stem + QStringLiteral(".out");
    job.errorPath = jobFolder() + QLatin1Char('/') + stem + QStringLiteral(".err");

    QProcess process;
    process.setProgram(m_program);
    process.setArguments(QStringList(job.arguments) << QStringLiteral("--db") << m_storePath);
    process.setStandardOutputFile(job.outputPath);
    process.setStandardErrorFile(job.errorPath);
    process.setStandardInputFile(QProcess::nullDevice());
    qint64 pid = 0;
    if (!process.startDetached(&pid)) {
        if (error)
            *error = tr("Cannot start %1: %2").arg(m_program, process.errorString());
        return false;
    }
    job.pid = pid;
    job.state = JobState::Starting;
    job.startedAt = QDateTime::currentDateTimeUtc();
    m_readOffsets[job.id] = 0;
    m_timer->start();
    return true;
}

bool JobController::cancelJob(int id)
{
    const auto it = m_jobs.find(id);
    if (it == m_jobs.end() || !isPending(it->second.state))
        return false;
    Job &job = it->second;
    if (job.state == JobState::Queued) {
        m_queue.removeAll(id);
        finish(job, JobState::Cancelled, tr("cancelled before it started"));
        return true;
    }
    job.cancelRequested = true;
    if (job.kind == protocol::JobKind::Train && job.runId > 0)
        cancel(job.runId);   // checkpoint first, then stop: the run can be resumed
    else
        ::kill(pid_t(job.pid), SIGTERM);
    return true;
}

int JobController::retry(int id, QString *error)
{
    const auto it = m_jobs.find(id);
    if (it == m_jobs.end() || isPending(it->second.state)) {
        if (error)
            *error = tr("Job %1 has not ended.").arg(id);
        return 0;
    }
    const Job old = it->second;
    const int again = enqueue(old.title, old.kind, old.arguments, old.stemWhat, {}, {}, error);
    if (again > 0)
        m_jobs[again].modelId = old.modelId;
    return again;
}

bool JobController::moveQueued(int id, int delta)
{
    const int from = int(m_queue.indexOf(id));
    if (from < 0)
        return false;
    const int to = std::clamp(from + delta, 0, int(m_queue.size()) - 1);
    if (to == from)
        return false;
    m_queue.move(from, to);
    emit jobsChanged();
    return true;
}

void JobController::cancel(qint64 runId)
{
    auto *process = new QProcess(this);
    process->setProgram(m_program);
    process->setArguments({QStringLiteral("cancel"), QStringLiteral("--run"), QString::number(runId),
                           QStringLiteral("--db"), m_storePath});
    connect(process, &QProcess::finished, this, [this, process, runId](int code, QProcess::ExitStatus status) {
        const QString said = QString::fromUtf8(process->readAllStandardError()).trimmed();
        process->deleteLater();
        emit cancelDone(runId, status == QProcess::NormalExit && code == 0, said);
    });
    connect(process, &QProcess::errorOccurred, this, [this, process, runId](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart)
            return;
        process->deleteLater();
        emit cancelDone(runId, false, tr("Cannot start %1: %2").arg(m_program, process->errorString()));
    });
    process->start();
}

const JobController::Job *JobController::jobForRun(qint64 runId) const
{
    const Job *found = nullptr;
    for (const auto &[id, job] : m_jobs)
        if (job.runId == runId)
            found = &job;   // the newest job of the run (a resume follows a cancel)
    return found;
}

bool JobController::hasActiveJobs() const
{
    for (const auto &[id, job] : m_jobs)
        if (isActive(job.state))
            return true;
    return false;
}

void JobController::poll()
{
    for (auto &[id, job] : m_jobs) {
        if (!isActive(job.state))
            continue;
        const bool alive = protocol::processAlive(job.pid);
        readOutput(job);   // after the liveness check: whatever a dead job wrote is read now
        if (alive || !isActive(job.state))
            continue;
        // Ended without a final line: killed, crashed, or refused before it began.
        const QString said = tailOf(job.errorPath);
        if (job.cancelRequested)
            finish(job, JobState::Cancelled, tr("cancelled"));
        else if (job.kind == protocol::JobKind::Eval)
            finish(job, JobState::Failed, said.isEmpty() ? tr("the evaluation ended without a result") : said);
        else if (job.kind == protocol::JobKind::Extract || job.kind == protocol::JobKind::Bench)
            finish(job, JobState::Failed, said.isEmpty() ? tr("the job ended without a result") : said);
        else if (job.runId == 0)
            finish(job, JobState::Failed, said.isEmpty() ? tr("the job ended before it started training") : said);
        else
            finish(job, JobState::Interrupted,
                   said.isEmpty() ? tr("the training process ended without a final status") : said);
    }
    if (!hasActiveJobs())
        m_timer->stop();
}

void JobController::readOutput(Job &job)
{
    QFile file(job.outputPath);
    if (!file.open(QIODevice::ReadOnly))
        return;
    qint64 &offset = m_readOffsets[job.id];
    if (file.size() <= offset || !file.seek(offset))
        return;
    const QByteArray bytes = file.readAll();
    offset += bytes.size();
    QByteArray &partial = m_partialLines[job.id];
    partial += bytes;
    qsizetype start = 0;
    for (qsizetype nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n', start)) {
        handleLine(job, partial.mid(start, nl - start));
        start = nl + 1;
    }
    partial.remove(0, start);
}

void JobController::handleLine(Job &job, const QByteArray &line)
{
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(line, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject())
        return;   // not an event line (nothing else is written to stdout, but be lenient)
    QString error;
    const auto parsed = protocol::jobEventFromJson(doc.object(), &error);
    if (!parsed) {
        // A taskmoe of another version: say so once, keep following the job.
        if (!job.protocolWarned)
            qWarning("taskmoe job %d (%s): %s", job.id, qPrintable(job.outputPath), qPrintable(error));
        job.protocolWarned = true;
        return;
    }
    const protocol::JobEvent &event = *parsed;
    const qint64 runId = event.run;
    switch (event.type) {
    case protocol::JobEventType::Started:
        job.runId = runId;
        job.state = JobState::Running;
        job.steps = event.steps.value_or(event.pairs.value_or(0));
        emit jobStarted(job.id, runId);
        break;
    case protocol::JobEventType::Progress:
        if (job.kind == protocol::JobKind::Extract || job.kind == protocol::JobKind::Bench) {
            job.step = event.done.value_or(job.step);
            job.steps = event.pairs.value_or(job.steps);
            emit taskProgress(job.id, int(job.step), int(job.steps), event.pair.value_or(QString()));
        } else if (job.kind == protocol::JobKind::Eval) {
            job.step = event.done.value_or(job.step);
            job.steps = event.pairs.value_or(job.steps);
            emit evalProgress(job.id, runId, int(job.step), int(job.steps), event.pair.value_or(QString()),
                              event.bleu.value_or(0), event.chrf.value_or(0));
        } else {
            job.step = event.step.value_or(job.step);
            job.steps = event.steps.value_or(job.steps);
            if (event.etaSeconds)
                job.etaSeconds = *event.etaSeconds;
            emit progress(runId, event);
        }
        break;
    case protocol::JobEventType::Checkpoint:
        emit checkpointWritten(runId, event.step.value_or(0));
        break;
    case protocol::JobEventType::Finished:
    case protocol::JobEventType::Cancelled:
    case protocol::JobEventType::Failed:
        if (event.step)
            job.step = *event.step;
        finish(job,
               event.type == protocol::JobEventType::Finished    ? JobState::Finished
               : event.type == protocol::JobEventType::Cancelled ? JobState::Cancelled
                                                                 : JobState::Failed,
               event.error.value_or(QString()));
        break;
    }
}

void JobController::finish(Job &job, JobState state, const QString &message)
{
    job.state = state;
    job.message = message;
    job.endedAt = QDateTime::currentDateTimeUtc();
    emit jobEnded(job.id, job.runId, state, message);
    emit jobsChanged();
    // The next queued job starts from the event loop, not from inside this report.
    QMetaObject::invokeMethod(this, [this] { startQueued(); }, Qt::QueuedConnection);
}

} // namespace taskmoe::ui
