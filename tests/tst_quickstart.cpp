// The quickstart experiment end to end, with tiny models: queued from the workbench as jobs
// of the real program (three trainings, their evaluations, extraction, pruning, a student, the
// sub-networks' evaluations, a benchmark), run one at a time, and every tab filled from the
// results when it ends.
#include "ui/common/storecontroller.h"
#include "ui/dashboards/bleudashboard.h"
#include "ui/dashboards/throughputdashboard.h"
#include "ui/jobs/jobsview.h"
#include "ui/mainwindow.h"
#include "ui/routing/routingbrowser.h"
#include "ui/runs/runmodel.h"
#include "ui/subnetworks/subnetworkstab.h"
#include "programsupport.h"

#include <QComboBox>
#include <QListWidget>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace taskmoe;

class TestQuickstart : public QObject
{
    Q_OBJECT

private slots:
    void theQueueEndsWithEveryTabFilled()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString db = dir.filePath(QStringLiteral("quick.sqlite"));
        const auto r = test::runTaskmoe({"corpus", "synth", "--db", db, "--largest", "600", "--multiway", "20"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));

        ui::MainWindow window;
        window.jobController()->setProgram(qEnvironmentVariable("TASKMOE_BIN_DIR") + QStringLiteral("/taskmoe"));
        QVERIFY(window.openStore(db));
        QSignalSpy finished(&window, &ui::MainWindow::quickstartFinished);

        ui::Quickstart::Options o;
        o.presets = {QStringLiteral("tiny"), QStringLiteral("tiny"), QStringLiteral("tiny")};
        o.presetSettings = {{QStringLiteral("model.encoder_routing=dense"), QStringLiteral("model.decoder_routing=dense")},
                            {QStringLiteral("model.encoder_routing=token"), QStringLiteral("model.decoder_routing=token")},
                            {QStringLiteral("model.encoder_routing=token"), QStringLiteral("model.decoder_routing=task:target")}};
        o.trainSettings = {QStringLiteral("model.vocab_size=700"), QStringLiteral("train.steps=20"),
                           QStringLiteral("train.dev_bleu_sentences=3")};
        o.studentPreset = QStringLiteral("tiny");
        o.studentSettings = {QStringLiteral("model.encoder_routing=dense"), QStringLiteral("model.decoder_routing=dense"),
                             QStringLiteral("model.vocab_size=700"), QStringLiteral("train.steps=20"),
                             QStringLiteral("train.dev_bleu_sentences=3")};
        o.minutes = 5;
        o.evalLimit = 4;
        o.beam = 2;
        o.benchBatchSizes = QStringLiteral("1,4");
        QVERIFY(window.startQuickstart(o));
        // Queued at once: 3 trainings, 3 evaluations, extraction, pruning, distillation, the student's evaluation.
        QCOMPARE(window.quickstart()->jobs().size(), 10);
        QCOMPARE(window.tabs()->currentWidget(), window.jobsView());
        // One at a time: the rest wait in the queue.
        int running = 0;
        for (const auto &[id, job] : window.jobController()->jobs())
            running += ui::JobController::isActive(job.state) ? 1 : 0;
        QCOMPARE(running, 1);
        QCOMPARE(window.jobController()->queue().size(), 9);
        QCOMPARE(window.jobsView()->model()->rowCount(), 10);

        QVERIFY(finished.wait(900000));
        for (const auto &[id, job] : window.jobController()->jobs())
            qInfo("job %d %s: %s %s", id, qPrintable(job.title), qPrintable(ui::JobController::stateName(job.state)),
                  qPrintable(job.message));
        const QStringList failed = finished.front().front().toStringList();
        QVERIFY2(failed.isEmpty(), qPrintable(failed.join('\n')));
        // Sub-network and pruned-model evaluations and the benchmark were added as they became possible.
        QVERIFY(window.quickstart()->jobs().size() > 12);
        for (const auto &[id, job] : window.jobController()->jobs())
            QCOMPARE(job.state, ui::JobController::JobState::Finished);

        // Every tab shows what the jobs stored.
        QTRY_COMPARE(window.runModel()->rowCount(), 4);   // dense, token, task, student
        QTRY_VERIFY(window.bleuDashboard()->entryList()->count() >= 6);   // 3 full, sub-networks, pruned, student
        QTRY_VERIFY(!window.bleuDashboard()->board().entries.empty());
        QTRY_VERIFY(!window.throughputDashboard()->shownSeries().empty());
        QTRY_VERIFY(!window.routingBrowser()->statSets().isEmpty());
        QTRY_VERIFY(window.subnetworksTab()->runBox()->count() >= 2);
    }
};

QTEST_MAIN(TestQuickstart)
#include "tst_quickstart.moc"
