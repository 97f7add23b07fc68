// The store at scale: long curves read downsampled in SQL (lowest and highest point per step
// range, ends kept) and followed live after that; the runs panel telling which curves are
// downsampled and exporting every point anyway; the generated benchmark store (exact row
// counts, reused, never overwriting a store of the user's); the workbench and plot timings
// on a small one; and `taskmoe bench --store-scale` end to end.
#include "db/store.h"
#include "ui/bench/scalebench.h"
#include "ui/runs/runfollower.h"
#include "ui/runs/runmonitor.h"
#include "usecases/storescale.h"

#include <QLabel>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace taskmoe;

namespace {

/// A loss with one spike (step 777) and one dip (step 4321) among `steps` points, and a short lr curve.
qint64 addLongRun(db::Store &store, qint64 steps)
{
    db::RunRecord run;
    run.kind = QStringLiteral("train");
    run.status = db::RunStatus::Finished;
    const qint64 id = store.addRun(run);
    std::vector<db::MetricPoint> points;
    for (qint64 step = 1; step <= steps; ++step) {
        double value = 2.0 + std::sin(double(step) / 50.0);
        if (step == 777)
            value = 50.0;
        if (step == 4321)
            value = -7.0;
        points.push_back({id, step, QStringLiteral("loss"), value, 1000.0 + double(step)});
    }
    for (qint64 step = 10; step <= 100; step += 10)
        points.push_back({id, step, QStringLiteral("lr"), 0.001 * double(step), 1000.0 + double(step)});
    store.addMetrics(points);
    return id;
}

std::vector<db::MetricPoint> ofKey(const std::vector<db::MetricPoint> &points, const QString &key)
{
    std::vector<db::MetricPoint> out;
    std::copy_if(points.begin(), points.end(), std::back_inserter(out), [&](const auto &p) { return p.key == key; });
    return out;
}

} // namespace

class TestStoreScale : public QObject
{
    Q_OBJECT

private slots:
    void shortCurvesAreReadWhole()
    {
        QTemporaryDir dir;
        db::Store store(dir.filePath(QStringLiteral("s.sqlite")));
        const qint64 id = addLongRun(store, 5000);
        QStringList sampled;
        const auto points = store.metricCurves(id, 5000, &sampled);
        QVERIFY(sampled.isEmpty());
        QCOMPARE(ofKey(points, QStringLiteral("loss")).size(), std::size_t(5000));
        QCOMPARE(ofKey(points, QStringLiteral("lr")).size(), std::size_t(10));
        // Ordered by key, then step.
        QCOMPARE(points.front().key, QStringLiteral("loss"));
        QCOMPARE(points.back().key, QStringLiteral("lr"));
    }

    void longCurvesKeepEveryRangesLowestAndHighestPointAndTheirEnds()
    {
        QTemporaryDir dir;
        db::Store store(dir.filePath(QStringLiteral("s.sqlite")));
        const qint64 id = addLongRun(store, 20000);
        QStringList sampled;
        const auto points = store.metricCurves(id, 100, &sampled);
        QCOMPARE(sampled, QStringList{QStringLiteral("loss")});
        const auto loss = ofKey(points, QStringLiteral("loss"));
        QVERIFY2(loss.size() <= 202 && loss.size() >= 100, qPrintable(QString::number(loss.size())));
        QVERIFY(std::is_sorted(loss.begin(), loss.end(), [](const auto &a, const auto &b) { return a.step < b.step; }));
        QCOMPARE(loss.front().step, qint64(1));
        QCOMPARE(loss.back().step, qint64(20000));
        const auto spike = std::find_if(loss.begin(), loss.end(), [](const auto &p) { return p.step == 777; });
        QVERIFY(spike != loss.end());
        QCOMPARE(spike->value, 50.0);
        QCOMPARE(spike->wallTime, 1777.0);
        QVERIFY(std::any_of(loss.begin(), loss.end(), [](const auto &p) { return p.step == 4321 && p.value == -7.0; }));
        // Each of the 100 ranges of 200 steps contributes its lowest and highest point: the
        // sine's troughs and crests are in.
        for (qint64 lo = 1; lo <= 20000; lo += 200) {
            double lowest = 1e9, highest = -1e9;
            for (qint64 s = lo; s < lo + 200; ++s) {
                const double v = s == 777 ? 50.0 : s == 4321 ? -7.0 : 2.0 + std::sin(double(s) / 50.0);
                lowest = std::min(lowest, v);
                highest = std::max(highest, v);
            }
            const auto inRange = [&](const auto &p) { return p.step >= lo && p.step < lo + 200; };
            QVERIFY(std::any_of(loss.begin(), loss.end(), [&](const auto &p) { return inRange(p) && p.value == lowest; }));
            QVERIFY(std::any_of(loss.begin(), loss.end(), [&](const auto &p) { return inRange(p) && p.value == highest; }));
        }
        // The short curve beside it is whole.
        QCOMPARE(ofKey(points, QStringLiteral("lr")).size(), std::size_t(10));
    }

    void aFollowedLongRunStartsDownsampledAndGrowsByEveryNewPoint()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("s.sqlite"));
        db::Store store(path);
        const qint64 id = addLongRun(store, 30000);
        ui::RunFollower follower;
        QSignalSpy changed(&follower, &ui::RunFollower::changed);
        follower.open(path, 60000);
        follower.watch({id});
        QVERIFY(!changed.isEmpty());
        const auto first = changed.takeLast().at(0).value<ui::RunDelta>();
        QVERIFY(first.reset);
        QCOMPARE(first.downsampledKeys, QStringList{QStringLiteral("loss")});
        QVERIFY(ofKey(first.points, QStringLiteral("loss")).size() < 30000);

        store.addMetrics({{id, 30001, QStringLiteral("loss"), 1.5, 0}, {id, 30002, QStringLiteral("loss"), 1.4, 0}});
        changed.clear();
        follower.poll();
        QCOMPARE(changed.size(), 1);
        const auto next = changed.takeFirst().at(0).value<ui::RunDelta>();
        QVERIFY(!next.reset);
        QCOMPARE(next.points.size(), std::size_t(2));
        QCOMPARE(next.points[0].step, qint64(30001));
        QCOMPARE(next.points[1].step, qint64(30002));

        // The panel says the curve is downsampled, and its CSV export has every point from the store.
        ui::RunMonitor monitor;
        monitor.setStorePath(path);
        monitor.showRuns({id});
        monitor.applyDelta(first);
        monitor.applyDelta(next);
        monitor.redrawNow();
        QCOMPARE(monitor.downsampledKeys(id), QStringList{QStringLiteral("loss")});
        auto *note = monitor.findChild<QLabel *>(QStringLiteral("runSampledNote"));
        QVERIFY(note && !note->isHidden());
        QVERIFY(note->text().contains(QString::number(id)));
        QCOMPARE(monitor.pointCount(id, QStringLiteral("loss")), int(ofKey(first.points, QStringLiteral("loss")).size()) + 2);
        const QString csv = dir.filePath(QStringLiteral("runs.csv"));
        QString error;
        QVERIFY2(monitor.exportCsv(csv, &error), qPrintable(error));
        QFile file(csv);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().split('\n');
        QCOMPARE(lines.size(), 1 + 30002 + 10 + 1);   // header, loss, lr, the empty piece after the last newline
        QVERIFY(lines.contains(QByteArray("1,loss,777,50,1777.000")));
    }

    void theGeneratedStoreHoldsExactlyWhatItsSpecSaysAndIsReused()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("scale.sqlite"));
        usecases::ScaleSpec spec;
        spec.runs = 30;
        spec.steps = 50;
        spec.longRunSteps = 5000;
        qint64 lastReported = 0;
        const auto made = usecases::prepareScaleStore(path, spec, [&](qint64 done, qint64) { lastReported = done; });
        QVERIFY(!made.reused);
        QCOMPARE(lastReported, qint64(30));
        QCOMPARE(made.metricRows, qint64(30 * (50 * 10 + 5) + 4950));
        QCOMPARE(made.metricRows, spec.metricRows());
        {
            db::Store store(path);
            QCOMPARE(store.runs().size(), 30);
            QCOMPARE(store.metrics(made.longRunId, QStringLiteral("loss")).size(), std::size_t(5000));
            QCOMPARE(store.metrics(made.typicalRunId, QStringLiteral("loss")).size(), std::size_t(50));
            QCOMPARE(store.lastMetricSteps().size(), std::size_t(30));
            QCOMPARE(store.bestCheckpointSteps().size(), std::size_t(30));
            QCOMPARE(store.checkpoints(made.typicalRunId).size(), 5);
            QCOMPARE(store.metricKeys(made.typicalRunId).size(), 11);
        }
        const auto again = usecases::prepareScaleStore(path, spec);
        QVERIFY(again.reused);
        QCOMPARE(again.longRunId, made.longRunId);
        QCOMPARE(again.typicalRunId, made.typicalRunId);

        // Another spec replaces the generated store; a store of the user's is never touched.
        spec.runs = 20;
        QVERIFY(!usecases::prepareScaleStore(path, spec).reused);
        QCOMPARE(db::Store(path).runs().size(), 20);
        const QString mine = dir.filePath(QStringLiteral("mine.sqlite"));
        { db::Store store(mine); addLongRun(store, 10); }
        try {
            usecases::prepareScaleStore(mine, spec);
            QFAIL("overwrote a store that it did not generate");
        } catch (const std::runtime_error &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(mine), e.what());
        }
        QCOMPARE(db::Store(mine).runs().size(), 1);
    }

    void theWorkbenchAndThePlotAreTimedOnASmallStore()
    {
        QTemporaryDir dir;
        usecases::ScaleSpec spec;
        spec.runs = 40;
        spec.steps = 20;
        spec.longRunSteps = 3000;
        const auto store = usecases::prepareScaleStore(dir.filePath(QStringLiteral("scale.sqlite")), spec);
        const auto reads = usecases::timeStoreReads(store, 500, 1);
        QCOMPARE(reads.listing.rows, qint64(40));
        QCOMPARE(reads.longWhole.rows, qint64(3000 + 9 * 20 + 5));
        QVERIFY(reads.longDownsampled.rows < reads.longWhole.rows);
        QCOMPARE(reads.livePoll.rows, qint64(10));

        const auto window = ui::timeWorkbenchOnStore(store.path, 40, store.typicalRunId, store.longRunId, 60);
        QCOMPARE(window.runsShown, qint64(40));
        QCOMPARE(window.lossPoints, qint64(20));
        QCOMPARE(window.longLossPoints, qint64(3000));   // under the follower's 10,000 buckets: whole
        QVERIFY(window.runsListSeconds > 0 && window.curveSeconds > 0);

        const auto plot = ui::timePlotFrames(2000, 4);
        QCOMPARE(plot.points, qint64(2000));
        QCOMPARE(plot.pan.frames, 4);
        QCOMPARE(plot.zoom.frames, 4);
        QVERIFY(plot.pan.medianMs > 0 && plot.pan.medianMs <= plot.pan.worstMs);
    }

    void theBenchmarkCommandPrintsEachTargetWithItsRatio()
    {
        QTemporaryDir dir;
        QProcess p;
        const QString program = qEnvironmentVariable("TASKMOE_BIN_DIR") + QStringLiteral("/taskmoe");
        p.start(program, {"bench", "--store-scale", "--db", dir.filePath("user.sqlite"), "--runs", "20", "--steps", "10",
                          "--long-steps", "2000", "--plot-points", "5000", "--frames", "3"});
        QVERIFY(p.waitForFinished(120000));
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY2(p.exitCode() == 0, qPrintable(out + p.readAllStandardError()));
        QVERIFY2(out.contains(QStringLiteral("20 runs listed")), qPrintable(out));
        QVERIFY(out.contains(QStringLiteral("of the 1 s budget")));
        QVERIFY(out.contains(QStringLiteral("of the 16 ms budget")));
        QVERIFY(out.contains(QStringLiteral("downsampled in SQL")));
        // The scratch store is gone; the user's store was not created by the benchmark.
        QCOMPARE(QDir(dir.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), QStringList());

        // A file that is not a generated store is refused, by name, and left alone.
        const QString mine = dir.filePath(QStringLiteral("mine.sqlite"));
        { db::Store store(mine); }
        p.start(program, {"bench", "--store-scale", "--scale-store", mine, "--runs", "20", "--steps", "10"});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 1);
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains(mine) && err.contains(QStringLiteral("not a generated")), qPrintable(err));
    }
};

QTEST_MAIN(TestStoreScale)
#include "tst_storescale.moc"
