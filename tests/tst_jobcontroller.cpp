// Training jobs from the workbench's side, end to end: the real `taskmoe` program trains the
// tiny preset into a real store while the JobController reports it, the follower reads it
// back from the store on its thread, and the live panel and runs list show it.
#include "core/config/trainconfig.h"
#include "db/store.h"
#include "protocol/processes.h"
#include "ui/runs/evaluatedialog.h"
#include "ui/jobs/jobcontroller.h"
#include "ui/jobs/jobsview.h"
#include "ui/routing/routingbrowser.h"
#include "ui/mainwindow.h"
#include "ui/runs/runfollower.h"
#include "ui/runs/runmodel.h"
#include "ui/runs/runmonitor.h"

#include <qcustomplot.h>

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QSpinBox>
#include <QTabWidget>
#include <QTimer>
#include <QFile>
#include <QIcon>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace taskmoe;

namespace {

using State = ui::JobController::JobState;

QString taskmoeProgram()
{
    return qEnvironmentVariable("TASKMOE_BIN_DIR") + QStringLiteral("/taskmoe");
}

/// The tiny preset with a few overrides, as the New run dialog would hand it over.
QString tinyConfig(qint64 steps)
{
    core::TrainConfig config = core::loadPreset("tiny");
    core::applyOverride(config, "train.steps=" + std::to_string(steps));
    return QString::fromStdString(core::trainConfigToJson(config, 2));
}

/// A controller on the test's store with a spy on each of its signals.
struct ObservedJobs
{
    explicit ObservedJobs(const QString &store)
    {
        jobs.setProgram(taskmoeProgram());
        jobs.setStorePath(store);
    }
    ui::JobController jobs;
    QSignalSpy started{&jobs, &ui::JobController::jobStarted};
    QSignalSpy progress{&jobs, &ui::JobController::progress};
    QSignalSpy checkpoints{&jobs, &ui::JobController::checkpointWritten};
    QSignalSpy ended{&jobs, &ui::JobController::jobEnded};
    QSignalSpy cancelled{&jobs, &ui::JobController::cancelDone};
};

} // namespace

class JobControllerTest : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(taskmoeProgram()), qPrintable(taskmoeProgram()));
        QVERIFY(m_dir.isValid());
        m_store = m_dir.filePath(QStringLiteral("store.sqlite"));
    }

    void startingATinyJobGivesLiveProgressAndAFinishedRun()
    {
        ObservedJobs o(m_store);
        auto &[jobs, started, progress, checkpoints, ended, cancelled] = o;

        QString error;
        const int job = jobs.startTraining(tinyConfig(30), QStringLiteral("from the controller"), &error);
        QVERIFY2(job > 0, qPrintable(error));
        QVERIFY(jobs.hasActiveJobs());
        // The first run also generates the synthetic corpus and a vocabulary.
        QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, 240000);
        QCOMPARE(started.count(), 1);
        const qint64 runId = started.at(0).at(1).toLongLong();
        QVERIFY(runId > 0);
        QCOMPARE(ended.at(0).at(1).toLongLong(), runId);
        QCOMPARE(ended.at(0).at(2).value<State>(), State::Finished);
        // tiny logs every 5 steps: 6 progress reports, steps increasing to 30.
        QVERIFY2(progress.count() >= 7, qPrintable(QString::number(progress.count())));
        // First the initial model's dev cross-entropy (step 0), then increasing steps.
        qint64 lastStep = -1;
        for (const auto &args : progress) {
            QCOMPARE(args.at(0).toLongLong(), runId);
            const auto event = args.at(1).value<protocol::JobEvent>();
            QVERIFY(event.step.has_value());
            const qint64 step = *event.step;
            QVERIFY(step > lastStep);
            lastStep = step;
        }
        QCOMPARE(progress.at(0).at(1).value<protocol::JobEvent>().step, std::optional<qint64>(0));
        QVERIFY(progress.at(0).at(1).value<protocol::JobEvent>().devLoss.has_value());
        QCOMPARE(lastStep, qint64(30));
        QVERIFY(checkpoints.count() >= 3);
        QVERIFY(!jobs.hasActiveJobs());
        QCOMPARE(jobs.jobForRun(runId)->state, State::Finished);

        db::Store store(m_store);
        const db::RunRecord run = store.run(runId);
        QCOMPARE(run.status, db::RunStatus::Finished);
        QCOMPARE(run.name, QStringLiteral("from the controller"));
        QCOMPARE(store.metrics(runId, QStringLiteral("loss")).size(), size_t(6));
        QVERIFY(QFile::exists(db::Store::runFolder(m_store, runId) + QStringLiteral("/train.log")));
        m_finishedRun = runId;
    }

    void evaluatingAFinishedRunReportsEachPairAndStoresItsScores()
    {
        QVERIFY(m_finishedRun > 0);
        ObservedJobs o(m_store);
        QSignalSpy evalProgress(&o.jobs, &ui::JobController::evalProgress);
        ui::JobController::EvalRequest request;
        request.runId = m_finishedRun;
        request.beam = 2;
        request.limit = 3;
        QString error;
        const int job = o.jobs.startEvaluation(request, &error);
        QVERIFY2(job > 0, qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(o.ended.count() == 1, 240000);
        QCOMPARE(o.ended.at(0).at(2).value<State>(), State::Finished);
        QCOMPARE(o.jobs.jobs().at(job).kind, protocol::JobKind::Eval);
        // One report per language pair, counting up to all of them.
        QVERIFY(evalProgress.count() >= 2);
        const int pairs = evalProgress.at(0).at(3).toInt();
        QCOMPARE(evalProgress.count(), pairs);
        for (int i = 0; i < evalProgress.count(); ++i) {
            QCOMPARE(evalProgress.at(i).at(1).toLongLong(), m_finishedRun);
            QCOMPARE(evalProgress.at(i).at(2).toInt(), i + 1);
            QVERIFY(!evalProgress.at(i).at(4).toString().isEmpty());
        }
        db::Store store(m_store);
        int bleuRows = 0;
        for (const auto &e : store.runEvaluations(m_finishedRun))
            bleuRows += !e.aggregate && e.metric == QLatin1String("BLEU");
        QCOMPARE(bleuRows, pairs);

        // An evaluation that cannot run (no such checkpoint) ends failed with the reason.
        request.checkpointStep = 12345;
        QVERIFY(o.jobs.startEvaluation(request) > 0);
        QTRY_VERIFY_WITH_TIMEOUT(o.ended.count() == 2, 60000);
        QCOMPARE(o.ended.at(1).at(2).value<State>(), State::Failed);
        QVERIFY2(o.ended.at(1).at(3).toString().contains(QStringLiteral("12345")), qPrintable(o.ended.at(1).at(3).toString()));
    }

    void theWorkbenchEvaluatesTheSelectedRunAndShowsItsRouting()
    {
        QVERIFY(m_finishedRun > 0);
        ui::MainWindow window;
        window.show();
        QVERIFY(window.openStore(m_store));
        window.selectRunsWhenListed({m_finishedRun});
        QTRY_VERIFY_WITH_TIMEOUT(window.evaluateAction()->isEnabled(), 10000);
        auto *button = window.findChild<QPushButton *>(QStringLiteral("evaluateButton"));
        QVERIFY(button && button->isEnabled());

        // The dialog offers the run's checkpoints with the best by dev BLEU chosen (and marked);
        // evaluate 2 sentences a pair.
        qint64 bestStep = 0;
        {
            db::Store store(m_store);
            const auto best = store.bestCheckpoint(m_finishedRun);
            QVERIFY(best.has_value());
            bestStep = best->first.step;
        }
        bool sawDialog = false;
        QTimer::singleShot(0, this, [&] {
            auto *dialog = qobject_cast<ui::EvaluateDialog *>(QApplication::activeModalWidget());
            if (!dialog)
                return;
            sawDialog = true;
            QCOMPARE(dialog->checkpointBox()->currentData().toLongLong(), bestStep);
            QVERIFY(dialog->checkpointBox()->currentText().contains(QStringLiteral("best dev BLEU")));
            QVERIFY(dialog->checkpointBox()->count() >= 3);
            dialog->limitBox()->setValue(2);
            dialog->beamBox()->setValue(1);
            if (qEnvironmentVariableIsSet("TASKMOE_SCREENSHOT_DIR"))
                dialog->grab().save(qEnvironmentVariable("TASKMOE_SCREENSHOT_DIR") + QStringLiteral("/evaluate-dialog.png"));
            dialog->accept();
        });
        QSignalSpy ended(window.jobController(), &ui::JobController::jobEnded);
        window.evaluateAction()->trigger();
        QVERIFY(sawDialog);
        auto *progress = window.findChild<QProgressBar *>(QStringLiteral("evalProgress"));
        QVERIFY(progress && progress->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, 240000);
        QCOMPARE(ended.at(0).at(2).value<State>(), State::Finished);
        QVERIFY(!progress->isVisible());
        // The Routing tab opens on the statistics just recorded.
        QTRY_VERIFY_WITH_TIMEOUT(window.routingBrowser()->hasView() && window.routingBrowser()->currentStep() == 30, 20000);
        QCOMPARE(window.tabs()->currentWidget()->isAncestorOf(window.routingBrowser()) || window.tabs()->currentWidget() == window.routingBrowser(), true);
    }

    void aJobThatCannotStartReportsWhy()
    {
        ObservedJobs o(m_store);
        auto &[jobs, started, progress, checkpoints, ended, cancelled] = o;
        core::TrainConfig config = core::loadPreset("tiny");
        core::applyOverride(config, "data.dataset=999");
        const int job = jobs.startTraining(QString::fromStdString(core::trainConfigToJson(config, 2)), QString());
        QVERIFY(job > 0);
        QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, 60000);
        QCOMPARE(ended.at(0).at(1).toLongLong(), qint64(0));
        QCOMPARE(ended.at(0).at(2).value<State>(), State::Failed);
        QVERIFY2(ended.at(0).at(3).toString().contains(QStringLiteral("999")), qPrintable(ended.at(0).at(3).toString()));
    }

    // Jobs wait their turn, one at a time by default; a queued job can move, be cancelled,
    // fail when a job it waits for failed; an ended one can be retried.
    void theQueueRunsJobsOneAtATimeInItsOrder()
    {
        ObservedJobs o(m_store);
        auto &jobs = o.jobs;
        QSignalSpy changed(&jobs, &ui::JobController::jobsChanged);
        const auto evalOf = [&](qint64 run) {
            ui::JobController::EvalRequest request;
            request.runId = run;   // no such run: each job fails within a second
            return jobs.startEvaluation(request);
        };
        const int a = evalOf(9001), b = evalOf(9002), c = evalOf(9003);
        QVERIFY(a > 0 && b > 0 && c > 0);
        QVERIFY(changed.count() >= 3);
        QCOMPARE(jobs.jobs().at(a).state, State::Starting);
        QCOMPARE(jobs.jobs().at(b).state, State::Queued);
        QCOMPARE(jobs.queue(), (QList<int>{b, c}));
        QVERIFY(jobs.moveQueued(c, -1));
        QCOMPARE(jobs.queue(), (QList<int>{c, b}));
        QVERIFY(!jobs.moveQueued(c, -1));   // first already
        QVERIFY(jobs.cancelJob(b));
        QCOMPARE(jobs.jobs().at(b).state, State::Cancelled);
        QCOMPARE(jobs.queue(), (QList<int>{c}));
        // A job that waits for one that fails fails too, naming it.
        const int d = jobs.enqueue(QStringLiteral("after c"), protocol::JobKind::Eval,
                                   {QStringLiteral("eval"), QStringLiteral("--events"), QStringLiteral("--run"),
                                    QStringLiteral("9004")},
                                   QStringLiteral("after"), {c});
        QVERIFY(d > 0);
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.hasActiveJobs() && jobs.queue().isEmpty(), 60000);
        QCOMPARE(jobs.jobs().at(a).state, State::Failed);
        QVERIFY(!jobs.jobs().at(a).message.isEmpty());   // what the program said
        QCOMPARE(jobs.jobs().at(c).state, State::Failed);
        QCOMPARE(jobs.jobs().at(d).state, State::Failed);
        QVERIFY2(jobs.jobs().at(d).message.contains(QStringLiteral("job %1").arg(c)), qPrintable(jobs.jobs().at(d).message));
        // Jobs never overlapped: each started after the one before it ended.
        QVERIFY(jobs.jobs().at(c).startedAt >= jobs.jobs().at(a).endedAt);
        // Retry: the same arguments as a new job.
        const int again = jobs.retry(a);
        QVERIFY(again > a);
        QCOMPARE(jobs.jobs().at(again).arguments, jobs.jobs().at(a).arguments);
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.hasActiveJobs(), 60000);
        // Two at once when asked.
        jobs.setMaxConcurrent(2);
        const int e = evalOf(9005), f = evalOf(9006);
        QCOMPARE(jobs.jobs().at(e).state, State::Starting);
        QCOMPARE(jobs.jobs().at(f).state, State::Starting);
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.hasActiveJobs(), 60000);

        // The jobs view lists them all, in order, with their states.
        ui::JobsView view(&jobs);
        QAbstractItemModelTester tester(view.model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(view.model()->rowCount(), int(jobs.jobs().size()));
        QCOMPARE(view.model()->index(1, ui::JobTableModel::State).data().toString(), QStringLiteral("cancelled"));
        QVERIFY(view.selectJob(a));
        QVERIFY(view.retryButton()->isEnabled());
        QVERIFY(!view.cancelButton()->isEnabled());
        view.retryButton()->click();
        QCOMPARE(view.model()->rowCount(), int(jobs.jobs().size()));
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.hasActiveJobs(), 60000);
    }

    void cancellingARunningJobCheckpointsAndResumingContinuesTheSameRun()
    {
        ObservedJobs o(m_store);
        auto &[jobs, started, progress, checkpoints, ended, cancelled] = o;

        QVERIFY(jobs.startTraining(tinyConfig(2000), QStringLiteral("to cancel")) > 0);
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 2, 120000);
        const qint64 runId = started.at(0).at(1).toLongLong();
        jobs.cancel(runId);
        QTRY_VERIFY_WITH_TIMEOUT(cancelled.count() == 1, 30000);
        QVERIFY2(cancelled.at(0).at(1).toBool(), qPrintable(cancelled.at(0).at(2).toString()));
        QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, 60000);
        QCOMPARE(ended.at(0).at(2).value<State>(), State::Cancelled);
        {
            db::Store store(m_store);
            QCOMPARE(store.run(runId).status, db::RunStatus::Cancelled);
            QVERIFY(!store.checkpoints(runId).isEmpty());   // the stop wrote one
        }

        // Cancelling a run that is not running says so.
        jobs.cancel(runId);
        QTRY_VERIFY_WITH_TIMEOUT(cancelled.count() == 2, 30000);
        QVERIFY(!cancelled.at(1).at(1).toBool());
        QVERIFY2(cancelled.at(1).at(2).toString().contains(QStringLiteral("not running")),
                 qPrintable(cancelled.at(1).at(2).toString()));

        // Resume it, then stop it again: the resumed job reports the same run.
        QVERIFY(jobs.resume(runId) > 0);
        QTRY_VERIFY_WITH_TIMEOUT(started.count() == 2, 60000);
        QCOMPARE(started.at(1).at(1).toLongLong(), runId);
        const int before = progress.count();
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() > before, 60000);
        jobs.cancel(runId);
        QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 2, 60000);
        QCOMPARE(ended.at(1).at(2).value<State>(), State::Cancelled);
        m_cancelledRun = runId;
    }

    void aKilledJobIsReportedInterrupted()
    {
        ObservedJobs o(m_store);
        auto &[jobs, started, progress, checkpoints, ended, cancelled] = o;
        QVERIFY(jobs.startTraining(tinyConfig(2000), QStringLiteral("to kill")) > 0);
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 2, 120000);   // step 0's dev loss, then a logged step
        const qint64 runId = started.at(0).at(1).toLongLong();
        const auto *job = jobs.jobForRun(runId);
        QVERIFY(job);
        QCOMPARE(::kill(pid_t(job->pid), SIGKILL), 0);
        QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, 30000);
        QCOMPARE(ended.at(0).at(2).value<State>(), State::Interrupted);
        db::Store store(m_store);
        QCOMPARE(store.markInterruptedRuns(protocol::hostName(), protocol::processAlive), 1);
        QCOMPARE(store.run(runId).status, db::RunStatus::Interrupted);
        m_killedRun = runId;
    }

    void theWorkbenchFollowsRunsThroughTheStore()
    {
        QVERIFY(m_finishedRun > 0 && m_cancelledRun > 0 && m_killedRun > 0);
        ui::MainWindow window;
        window.resize(1280, 900);
        window.show();
        QAbstractItemModelTester tester(window.runModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(window.openStore(m_store));
        // The follower lists the runs with their statuses and progress.
        QTRY_VERIFY_WITH_TIMEOUT(window.runModel()->rowOfId(m_killedRun) >= 0, 10000);
        const auto statusOf = [&](qint64 id) {
            return window.runModel()->index(window.runModel()->rowOfId(id), ui::RunTableModel::StatusColumn).data().toString();
        };
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(m_finishedRun), QStringLiteral("finished"), 10000);
        QCOMPARE(statusOf(m_cancelledRun), QStringLiteral("cancelled"));
        QCOMPARE(statusOf(m_killedRun), QStringLiteral("interrupted"));
        QTRY_COMPARE_WITH_TIMEOUT(
            window.runModel()->index(window.runModel()->rowOfId(m_finishedRun), ui::RunTableModel::ProgressColumn).data().toString(),
            QStringLiteral("30 / 30"), 10000);
        QVERIFY(!window.runModel()
                     ->index(window.runModel()->rowOfId(m_finishedRun), ui::RunTableModel::StatusColumn)
                     .data(Qt::DecorationRole)
                     .value<QIcon>()
                     .isNull());

        // One run: its curves, progress and log.
        ui::RunMonitor *monitor = window.runMonitor();
        QVERIFY(window.selectRuns({m_finishedRun}));
        QTRY_COMPARE_WITH_TIMEOUT(monitor->pointCount(m_finishedRun, QStringLiteral("loss")), 6, 10000);
        QCOMPARE(monitor->progressBar()->value(), 30);
        QCOMPARE(monitor->progressBar()->maximum(), 30);
        QVERIFY(!monitor->cancelButton()->isEnabled());
        QVERIFY(!monitor->resumeButton()->isEnabled());   // finished: nothing to resume
        QTRY_VERIFY_WITH_TIMEOUT(monitor->logView()->toPlainText().contains(QStringLiteral("finished at step 30")), 10000);
        monitor->redrawNow();
        QVERIFY(monitor->plot()->graphCount() > 0);
        db::Store store(m_store);
        const auto losses = store.metrics(m_finishedRun, QStringLiteral("loss"));
        const QVector<double> shown = monitor->shownValues(m_finishedRun, QStringLiteral("loss"));
        QCOMPARE(shown.size(), int(losses.size()));
        for (int i = 0; i < shown.size(); ++i)
            QCOMPARE(shown[i], losses[size_t(i)].value);

        // Smoothing: bias-corrected EMA, so the first value stays, later ones move toward the past.
        monitor->setSmoothing(0.6);
        const QVector<double> smooth = monitor->shownValues(m_finishedRun, QStringLiteral("loss"));
        QCOMPARE(smooth[0], losses[0].value);
        const double expected1 = (0.6 * 0.4 * losses[0].value + 0.4 * losses[1].value) / (0.6 * 0.4 + 0.4);
        QVERIFY(qAbs(smooth[1] - expected1) < 1e-9);
        monitor->setSmoothing(0);

        // A cancelled run can be resumed from the panel.
        QVERIFY(window.selectRuns({m_cancelledRun}));
        QTRY_VERIFY_WITH_TIMEOUT(monitor->resumeButton()->isEnabled(), 10000);

        // Several runs: overlaid, linked step axes, exports.
        QVERIFY(window.selectRuns({m_finishedRun, m_cancelledRun, m_killedRun}));
        // The current run first (it drives the progress bar and log), the others as listed.
        QCOMPARE(monitor->runIds().size(), 3);
        QCOMPARE(monitor->runIds().front(), m_finishedRun);
        QVERIFY(monitor->runIds().contains(m_cancelledRun) && monitor->runIds().contains(m_killedRun));
        QTRY_VERIFY_WITH_TIMEOUT(monitor->pointCount(m_killedRun, QStringLiteral("loss")) > 0, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(monitor->pointCount(m_cancelledRun, QStringLiteral("loss")) > 0, 10000);
        monitor->redrawNow();
        int lossCurves = 0;
        for (int i = 0; i < monitor->plot()->graphCount(); ++i)
            lossCurves += monitor->plot()->graph(i)->keyAxis()->axisRect() == monitor->panel(ui::RunMonitor::LossPanel)
                          && monitor->plot()->graph(i)->pen().style() == Qt::SolidLine;
        QCOMPARE(lossCurves, 3);
        monitor->panel(ui::RunMonitor::LossPanel)->axis(QCPAxis::atBottom)->setRange(5, 15);
        for (int p = 0; p < ui::RunMonitor::PanelCount; ++p) {
            const QCPRange r = monitor->panel(ui::RunMonitor::Panel(p))->axis(QCPAxis::atBottom)->range();
            QCOMPARE(r.lower, 5.0);
            QCOMPARE(r.upper, 15.0);
        }

        const QString png = m_dir.filePath(QStringLiteral("curves.png"));
        const QString pdf = m_dir.filePath(QStringLiteral("curves.pdf"));
        const QString csv = m_dir.filePath(QStringLiteral("metrics.csv"));
        QString error;
        QVERIFY2(monitor->exportPng(png, &error), qPrintable(error));
        QVERIFY2(monitor->exportPdf(pdf, &error), qPrintable(error));
        QVERIFY2(monitor->exportCsv(csv, &error), qPrintable(error));
        QVERIFY(!QImage(png).isNull());
        QFile pdfFile(pdf);
        QVERIFY(pdfFile.open(QIODevice::ReadOnly));
        QVERIFY(pdfFile.read(5) == "%PDF-");
        QFile csvFile(csv);
        QVERIFY(csvFile.open(QIODevice::ReadOnly | QIODevice::Text));
        const QList<QByteArray> lines = csvFile.readAll().split('\n');
        QCOMPARE(lines.first(), QByteArray("run,key,step,value,wall_time"));
        const QByteArray firstLoss = QByteArray::number(m_finishedRun) + ",loss,5,";
        QVERIFY(std::any_of(lines.begin(), lines.end(), [&](const QByteArray &l) { return l.startsWith(firstLoss); }));
        QVERIFY(!QFile::exists(png + QStringLiteral(".part")));
        // An export to a folder that does not exist fails with a message, not a crash.
        QVERIFY(!monitor->exportPng(m_dir.filePath(QStringLiteral("missing/curves.png")), &error));
        QVERIFY(error.contains(QStringLiteral("missing")));

        if (!qEnvironmentVariableIsEmpty("TASKMOE_SCREENSHOT_DIR"))
            window.saveScreenshot(qEnvironmentVariable("TASKMOE_SCREENSHOT_DIR") + QStringLiteral("/jobs-overlay.png"));
    }

    // A run started elsewhere (another controller stands for an earlier workbench or a
    // shell): a newly opened window follows it live, and its Cancel button stops it.
    void aReopenedWorkbenchFollowsARunningJobAndCancelsIt()
    {
        ObservedJobs o(m_store);
        QVERIFY(o.jobs.startTraining(tinyConfig(5000), QStringLiteral("elsewhere")) > 0);
        QTRY_VERIFY_WITH_TIMEOUT(o.progress.count() >= 2, 120000);
        const qint64 runId = o.started.at(0).at(1).toLongLong();

        ui::MainWindow window;
        window.show();
        QVERIFY(window.openStore(m_store));
        window.selectRunsWhenListed({runId});
        ui::RunMonitor *monitor = window.runMonitor();
        QTRY_VERIFY_WITH_TIMEOUT(monitor->runIds() == QVector<qint64>{runId}, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(monitor->cancelButton()->isEnabled(), 10000);   // it is running
        QTRY_VERIFY_WITH_TIMEOUT(monitor->pointCount(runId, QStringLiteral("loss")) >= 1, 10000);
        const int seen = monitor->pointCount(runId, QStringLiteral("loss"));
        QTRY_VERIFY_WITH_TIMEOUT(monitor->pointCount(runId, QStringLiteral("loss")) > seen, 60000);   // live
        QVERIFY(monitor->progressBar()->value() > 0);
        QCOMPARE(monitor->progressBar()->maximum(), 5000);
        QVERIFY(monitor->etaLabel()->text().contains(QStringLiteral("ETA")));

        QTest::mouseClick(monitor->cancelButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(o.ended.count(), 1, 60000);
        QCOMPARE(o.ended.at(0).at(2).value<State>(), State::Cancelled);
        QTRY_VERIFY_WITH_TIMEOUT(monitor->resumeButton()->isEnabled(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(monitor->logView()->toPlainText().contains(QStringLiteral("cancelled at step")), 10000);
    }

    void aRunOnTwoProcessesStartsFromTheWorkbenchAndShowsEachRanksLog()
    {
        ObservedJobs o(m_store);
        auto &[jobs, started, progress, checkpoints, ended, cancelled] = o;
        core::TrainConfig config = core::loadPreset("tiny");
        core::applyOverride(config, "train.steps=10");
        core::applyOverride(config, "train.expert_parallel=1");
        QString error;
        QVERIFY2(jobs.startTraining(QString::fromStdString(core::trainConfigToJson(config, 2)), QStringLiteral("two processes"),
                                    &error, 2) > 0,
                 qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(ended.count() == 1, 240000);
        QCOMPARE(ended.at(0).at(2).value<State>(), State::Finished);
        const qint64 runId = started.at(0).at(1).toLongLong();
        db::Store store(m_store);
        QCOMPARE(store.metrics(runId, QStringLiteral("rank.1.state_mb")).size(), size_t(2));   // two ranks, each its experts

        ui::MainWindow window;
        window.resize(1280, 900);
        window.show();
        QVERIFY(window.openStore(m_store));
        QTRY_VERIFY_WITH_TIMEOUT(window.selectRuns({runId}), 10000);
        ui::RunMonitor *monitor = window.runMonitor();
        QTRY_COMPARE_WITH_TIMEOUT(monitor->logFileBox()->count(), 2, 10000);
        QVERIFY(monitor->logFileBox()->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(monitor->logView()->toPlainText().contains(QStringLiteral("finished at step 10")), 10000);
        monitor->logFileBox()->setCurrentIndex(monitor->logFileBox()->findData(QStringLiteral("rank-1.log")));
        QVERIFY2(monitor->logView()->toPlainText().contains(QStringLiteral("rank 1 of 2")), qPrintable(monitor->logView()->toPlainText()));
        QVERIFY(monitor->logView()->toPlainText().contains(QStringLiteral("ended at step 10")));
    }

private:
    QTemporaryDir m_dir;
    QString m_store;
    qint64 m_finishedRun = 0;
    qint64 m_cancelledRun = 0;
    qint64 m_killedRun = 0;

};

QTEST_MAIN(JobControllerTest)
#include "tst_jobcontroller.moc"
