#include "ui/jobs/quickstart.h"

#include "db/store.h"
#include "ui/common/storereader.h"
#include "usecases/modelrecords.h"

namespace taskmoe::ui {

Quickstart::Quickstart(JobController *jobs, QObject *parent)
    : QObject(parent), m_controller(jobs), m_reader(new StoreReader(this, QStringLiteral("quickstart")))
{
    connect(jobs, &JobController::jobEnded, this, [this](int job) { onJobEnded(job); });
}

Quickstart::~Quickstart()
{
    delete m_reader;
}

JobController::ArgumentResolver Quickstart::runArgument(int job, const QString &option) const
{
    JobController *controller = m_controller;
    return [controller, job, option](QString *error) -> QStringList {
        const auto found = controller->jobs().find(job);
        const qint64 run = found == controller->jobs().end() ? 0 : found->second.runId;
        if (run <= 0) {
            *error = QObject::tr("job %1 made no run").arg(job);
            return {};
        }
        return {option, QString::number(run)};
    };
}

int Quickstart::queue(const QString &title, protocol::JobKind kind, const QStringList &arguments, const QList<int> &after,
                      const JobController::ArgumentResolver &resolve)
{
    const int id = m_controller->enqueue(title, kind, arguments, QStringLiteral("quickstart"), after, resolve);
    if (id > 0)
        m_queued << id;
    return id;
}

bool Quickstart::start(const Options &options, QString *error)
{
    if (m_controller->storePath().isEmpty()) {
        if (error)
            *error = tr("No store is open.");
        return false;
    }
    m_options = options;
    m_running = true;
    m_queued.clear();
    m_modelEvals.clear();
    m_problems.clear();
    m_modelEvalsQueued = m_benchQueued = false;
    QStringList settings;
    for (const QString &s : options.trainSettings)
        settings << QStringLiteral("--set") << s;
    QStringList studentSettings;
    for (const QString &s : options.studentSettings)
        studentSettings << QStringLiteral("--set") << s;
    const QString minutes = QString::number(options.minutes);
    const QStringList evaluation{QStringLiteral("--checkpoint"), QStringLiteral("best"), QStringLiteral("--beam"),
                                 QString::number(options.beam), QStringLiteral("--limit"), QString::number(options.evalLimit)};
    // Train all three first: the queue then evaluates while nothing else waits on them.
    for (int i = 0; i < 3 && i < options.presets.size(); ++i) {
        const QString preset = options.presets[i];
        QStringList own = settings;
        for (const QString &s : options.presetSettings.value(i))
            own << QStringLiteral("--set") << s;
        m_train[i] = queue(tr("quickstart: train %1 (%2 min)").arg(preset, minutes), protocol::JobKind::Train,
                           QStringList{QStringLiteral("train"), QStringLiteral("--preset"), preset, QStringLiteral("--minutes"),
                                       minutes, QStringLiteral("--name"), QStringLiteral("quickstart-%1").arg(i + 1)}
                               + own,
                           {});
    }
    for (int i = 0; i < 3 && i < options.presets.size(); ++i)
        m_eval[i] = queue(tr("quickstart: evaluate %1").arg(options.presets[i]), protocol::JobKind::Eval,
                          QStringList{QStringLiteral("eval"), QStringLiteral("--events")} + evaluation, {m_train[i]},
                          runArgument(m_train[i], QStringLiteral("--run")));
    m_extract = queue(tr("quickstart: extract the sub-networks of %1").arg(options.presets.value(2)), protocol::JobKind::Extract,
                      {QStringLiteral("extract"), QStringLiteral("--events"), QStringLiteral("--checkpoint"), QStringLiteral("best"),
                       QStringLiteral("--all-tasks")},
                      {m_eval[2]}, runArgument(m_train[2], QStringLiteral("--run")));
    // Pruning ranks experts by the routing statistics the evaluation recorded.
    m_prune = queue(tr("quickstart: prune %1 to %2 experts").arg(options.presets.value(1)).arg(options.pruneKeep),
                    protocol::JobKind::Extract,
                    {QStringLiteral("extract"), QStringLiteral("--events"), QStringLiteral("--checkpoint"), QStringLiteral("best"),
                     QStringLiteral("--all-tasks"), QStringLiteral("--keep"), QString::number(options.pruneKeep),
                     QStringLiteral("--by"), QStringLiteral("importance")},
                    {m_eval[1]}, runArgument(m_train[1], QStringLiteral("--run")));
    m_distill = queue(tr("quickstart: distill a student of %1 (%2 min)").arg(options.presets.value(2), minutes),
                      protocol::JobKind::Distill,
                      QStringList{QStringLiteral("distill"), QStringLiteral("--student-preset"), options.studentPreset,
                                  QStringLiteral("--minutes"), minutes, QStringLiteral("--name"), QStringLiteral("quickstart-student")}
                          + studentSettings,
                      {m_train[2]}, runArgument(m_train[2], QStringLiteral("--teacher")));
    m_studentEval = queue(tr("quickstart: evaluate the student"), protocol::JobKind::Eval,
                          QStringList{QStringLiteral("eval"), QStringLiteral("--events")} + evaluation, {m_distill},
                          runArgument(m_distill, QStringLiteral("--run")));
    if (m_queued.isEmpty()) {
        m_running = false;
        if (error)
            *error = tr("No job could be queued.");
        return false;
    }
    return true;
}

void Quickstart::onJobEnded(int job)
{
    if (!m_running || !m_queued.contains(job))
        return;
    const auto ended = [this](int id) {
        const auto found = m_controller->jobs().find(id);
        return found == m_controller->jobs().end() || !JobController::isPending(found->second.state);
    };
    if (!m_modelEvalsQueued && ended(m_extract) && ended(m_prune)) {
        m_modelEvalsQueued = true;
        queueModelEvaluations();
        return;
    }
    if (m_modelEvalsQueued && !m_benchQueued && !m_modelEvals.isEmpty()
        && std::all_of(m_modelEvals.begin(), m_modelEvals.end(), ended) && ended(m_studentEval))
        queueBenchmark();
    checkDone();
}

void Quickstart::queueModelEvaluations()
{
    const auto runOf = [this](int job) {
        const auto found = m_controller->jobs().find(job);
        return found == m_controller->jobs().end() ? qint64(0) : found->second.runId;
    };
    const qint64 task = runOf(m_train[2]), token = runOf(m_train[1]);
    using Models = std::vector<std::pair<qint64, QString>>;
    m_reader->read<Models>(
        m_controller->storePath(),
        [task, token](const db::Store &store) {
            Models models;
            for (const auto &m : store.models())
                if (m.kind == QLatin1String("subnetwork") && (m.runId == task || m.runId == token))
                    models.push_back({m.id, usecases::pruningOf(m.manifestJson)
                                                ? QObject::tr("pruned %1").arg(m.task)
                                                : QObject::tr("sub-network %1").arg(m.task)});
            return models;
        },
        this, [this](const Models &models, const QString &error) {
            // Without the list, the sub-networks go unevaluated: the end of the experiment says so.
            if (!error.isEmpty())
                m_problems << tr("quickstart: cannot list the extracted models: %1").arg(error);
            const QStringList evaluation{QStringLiteral("--beam"), QString::number(m_options.beam), QStringLiteral("--limit"),
                                         QString::number(m_options.evalLimit)};
            for (const auto &[id, what] : models) {
                m_modelEvals << queue(tr("quickstart: evaluate %1 (model %2)").arg(what).arg(id), protocol::JobKind::Eval,
                                      QStringList{QStringLiteral("eval"), QStringLiteral("--events"), QStringLiteral("--model"),
                                                  QString::number(id)}
                                          + evaluation,
                                      {});
                m_modelOfEval[m_modelEvals.back()] = id;
            }
            if (m_modelEvals.isEmpty())
                queueBenchmark();
        });
}

void Quickstart::queueBenchmark()
{
    m_benchQueued = true;
    QStringList models;
    for (const int job : {m_train[0], m_train[1], m_train[2], m_distill}) {
        const auto found = m_controller->jobs().find(job);
        if (found != m_controller->jobs().end() && found->second.runId > 0 && found->second.state == JobController::JobState::Finished)
            models << QStringLiteral("run:%1@best").arg(found->second.runId);
    }
    // One sub-network beside the full models: the first extracted (task-routed) one.
    for (const int job : m_modelEvals) {
        const auto found = m_controller->jobs().find(job);
        if (found != m_controller->jobs().end() && found->second.state == JobController::JobState::Finished
            && m_modelOfEval.count(job)) {
            models.insert(std::min<qsizetype>(3, models.size()), QStringLiteral("model:%1").arg(m_modelOfEval[job]));
            break;
        }
    }
    if (models.isEmpty()) {
        checkDone();
        return;
    }
    queue(tr("quickstart: measure the decoding speed of %n models", nullptr, int(models.size())), protocol::JobKind::Bench,
          {QStringLiteral("bench"), QStringLiteral("--decode"), QStringLiteral("--events"), QStringLiteral("--models"),
           models.join(QLatin1Char(',')), QStringLiteral("--batch-sizes"), m_options.benchBatchSizes},
          {});
}

void Quickstart::checkDone()
{
    if (!m_benchQueued)
        return;
    QStringList failed;
    for (const int id : m_queued) {
        const auto found = m_controller->jobs().find(id);
        if (found == m_controller->jobs().end())
            continue;
        if (JobController::isPending(found->second.state))
            return;
        if (found->second.state != JobController::JobState::Finished)
            failed << QStringLiteral("%1: %2").arg(found->second.title, found->second.message.section(QLatin1Char('\n'), -1));
    }
    m_running = false;
    emit finished(m_problems + failed);
}

} // namespace taskmoe::ui
