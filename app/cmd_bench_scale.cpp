// `taskmoe bench --store-scale`: the store and the workbench with 10,000 runs and 100 million
// metric rows, timed against their budgets in one run.
#include "app/cli.h"

#include "ui/bench/scalebench.h"
#include "usecases/storescale.h"

#include <QDir>
#include <QFileInfo>
#include <QLocale>
#include <QTemporaryDir>
#include <QTextStream>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace taskmoe::app {

int benchStoreScale(const CommandLine &cli)
{
    usecases::ScaleSpec spec;
    spec.runs = cli.intValue(QStringLiteral("runs"), 2, 1000000);
    spec.steps = cli.isSet(QStringLiteral("steps")) ? cli.intValue(QStringLiteral("steps"), usecases::ScaleSpec::kCheckpoints, 100000000) : 1000;
    spec.longRunSteps = cli.intValue(QStringLiteral("long-steps"), 0, 1000000000);
    const qint64 plotPoints = cli.intValue(QStringLiteral("plot-points"), 2, 100000000);
    const int frames = int(cli.intValue(QStringLiteral("frames"), 2, 100000));
    constexpr int kBuckets = 10000;   // what the runs panel's follower reads (ui/runs/runfollower.cpp)
    constexpr double kListBudget = 1.0, kCurveBudget = 1.0, kFrameBudgetMs = 16.0;

    QTextStream out(stdout);
    const QString keep = cli.value(QStringLiteral("scale-store"));
    std::unique_ptr<QTemporaryDir> scratch;
    QString path = keep;
    if (path.isEmpty()) {
        const QString folder = QFileInfo(cli.dbPath()).absolutePath();
        if (!QDir().mkpath(folder))
            throw CommandError(QStringLiteral("%1: cannot create the folder").arg(folder));
        scratch = std::make_unique<QTemporaryDir>(folder + QStringLiteral("/taskmoe-scale-XXXXXX"));
        if (!scratch->isValid())
            throw CommandError(QStringLiteral("%1: cannot create a scratch folder: %2").arg(folder, scratch->errorString()));
        path = scratch->filePath(QStringLiteral("scale.sqlite"));
    }
    out << "store: " << spec.describe() << "\n" << Qt::flush;
    usecases::ScaleStore store;
    ui::WindowScaleTimes window;
    ui::PlotScaleTimes plot;
    usecases::StoreReadTimes reads;
    try {
        qint64 reported = 0;
        store = usecases::prepareScaleStore(path, spec, [&](qint64 done, qint64 total) {
            if (done * 10 / total != reported * 10 / total)
                std::fprintf(stderr, "generating: %lld of %lld runs\n", static_cast<long long>(done), static_cast<long long>(total));
            reported = done;
        });
        out << (store.reused ? QStringLiteral("reused %1\n").arg(path)
                             : QStringLiteral("generated %1 in %2 s (%3 rows/s)\n")
                                   .arg(keep.isEmpty() ? QStringLiteral("a scratch store") : path)
                                   .arg(store.generateSeconds, 0, 'f', 1)
                                   .arg(double(store.metricRows) / store.generateSeconds, 0, 'f', 0))
            << Qt::flush;
        reads = usecases::timeStoreReads(store, kBuckets);
        window = ui::timeWorkbenchOnStore(path, spec.runs, store.typicalRunId, store.longRunId);
        plot = ui::timePlotFrames(plotPoints, frames);
    } catch (const std::runtime_error &e) {   // StoreError included
        throw CommandError(QString::fromUtf8(e.what()));
    }

    const auto row = [&out](const QString &what, double value, const QString &unit, double budget, const QString &detail) {
        out << QStringLiteral("  %1 %2 %3").arg(what, -46).arg(value, 9, 'f', unit == QLatin1String("ms") ? 1 : 3).arg(unit, -2);
        if (budget > 0)
            out << QStringLiteral("  %1 of the %2 %3 budget").arg(QStringLiteral("%1x").arg(value / budget, 0, 'f', 2), 6).arg(budget).arg(unit);
        out << "  " << detail << "\n";
    };
    const QLocale c = QLocale::c();
    out << "\nstore reads (a connection of their own, best of 3; the first read in brackets)\n";
    row(QStringLiteral("runs listing (runs, newest steps, best ckpts)"), reads.listing.best, QStringLiteral("s"), 0,
        QStringLiteral("%1 runs [%2 s]").arg(c.toString(reads.listing.rows)).arg(reads.listing.first, 0, 'f', 3));
    row(QStringLiteral("a typical run's curves"), reads.typicalCurves.best, QStringLiteral("s"), 0,
        QStringLiteral("%1 points [%2 s]").arg(c.toString(reads.typicalCurves.rows)).arg(reads.typicalCurves.first, 0, 'f', 3));
    row(QStringLiteral("the long run's curves, every point"), reads.longWhole.best, QStringLiteral("s"), 0,
        QStringLiteral("%1 points").arg(c.toString(reads.longWhole.rows)));
    row(QStringLiteral("the long run's curves, downsampled in SQL"), reads.longDownsampled.best, QStringLiteral("s"), 0,
        QStringLiteral("%1 points: %2x faster than every point")
            .arg(c.toString(reads.longDownsampled.rows))
            .arg(reads.longWhole.best / reads.longDownsampled.best, 0, 'f', 1));
    row(QStringLiteral("a live poll of the long run (last 10 steps)"), reads.livePoll.best * 1000, QStringLiteral("ms"), 0,
        QStringLiteral("%1 points").arg(c.toString(reads.livePoll.rows)));
    out << "\nthe workbench (its main window off screen, 1400 x 900)\n";
    row(QStringLiteral("open the store until the runs list is full"), window.runsListSeconds, QStringLiteral("s"), kListBudget,
        QStringLiteral("%1 runs listed").arg(c.toString(window.runsShown)));
    row(QStringLiteral("select a run until its curves are drawn"), window.curveSeconds, QStringLiteral("s"), kCurveBudget,
        QStringLiteral("run %1, %2 loss points").arg(store.typicalRunId).arg(c.toString(window.lossPoints)));
    row(QStringLiteral("then the long run until its curves are drawn"), window.longCurveSeconds, QStringLiteral("s"), kCurveBudget,
        QStringLiteral("run %1, %2 of its %3 loss points (downsampled)")
            .arg(store.longRunId)
            .arg(c.toString(window.longLossPoints), c.toString(std::max(spec.longRunSteps, spec.steps))));
    out << QStringLiteral("\nthe runs panel's plot with %1 points (handed over and first drawn in %2 ms)\n")
               .arg(c.toString(plot.points))
               .arg(plot.loadMs, 0, 'f', 0);
    const auto frameRow = [&](const QString &what, const ui::FrameTimes &f) {
        row(what, f.p95Ms, QStringLiteral("ms"), kFrameBudgetMs,
            QStringLiteral("p95 of %1 frames; median %2 ms, worst %3 ms").arg(f.frames).arg(f.medianMs, 0, 'f', 1).arg(f.worstMs, 0, 'f', 1));
    };
    frameRow(QStringLiteral("pan, a frame"), plot.pan);
    frameRow(QStringLiteral("zoom, a frame"), plot.zoom);
    const bool met = window.runsListSeconds <= kListBudget && window.curveSeconds <= kCurveBudget
                     && window.longCurveSeconds <= kCurveBudget
                     && plot.pan.p95Ms <= kFrameBudgetMs && plot.zoom.p95Ms <= kFrameBudgetMs;
    out << "\n" << (met ? "every target met" : "a target was missed: see the ratios above") << "\n";
    return ExitOk;
}

} // namespace taskmoe::app
