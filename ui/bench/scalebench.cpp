#include "ui/bench/scalebench.h"

#include "db/records.h"
#include "ui/mainwindow.h"
#include "ui/runs/runfollower.h"
#include "ui/runs/runmodel.h"
#include "ui/runs/runmonitor.h"

#include <qcustomplot.h>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTableView>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <vector>

static void initWorkbenchResources()
{
    Q_INIT_RESOURCE(resources);   // the resources live in the static taskmoe_ui library
}

namespace taskmoe::ui {

namespace {

/// Runs the event loop until `done()` or `timeoutSeconds`; seconds taken.
double waitFor(const std::function<bool()> &done, double timeoutSeconds, const char *what)
{
    QElapsedTimer timer;
    timer.start();
    QTimer tick;   // wakes the loop even when no event arrives
    tick.start(2);
    while (!done()) {
        if (double(timer.nsecsElapsed()) / 1e9 > timeoutSeconds)
            throw std::runtime_error(std::string("store-scale: timed out waiting for ") + what);
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents | QEventLoop::AllEvents);
    }
    return double(timer.nsecsElapsed()) / 1e9;
}

FrameTimes summarise(std::vector<double> ms)
{
    FrameTimes f;
    f.frames = int(ms.size());
    if (ms.empty())
        return f;
    std::sort(ms.begin(), ms.end());
    f.medianMs = ms[ms.size() / 2];
    f.p95Ms = ms[std::min(ms.size() - 1, std::size_t(std::ceil(0.95 * double(ms.size()))) - 1)];
    f.worstMs = ms.back();
    return f;
}

} // namespace

WindowScaleTimes timeWorkbenchOnStore(const QString &storePath, qint64 expectedRuns, qint64 runId, qint64 longRunId,
                                      double timeoutSeconds)
{
    initWorkbenchResources();
    WindowScaleTimes t;
    MainWindow window;
    window.resize(1400, 900);
    window.show();
    QElapsedTimer start;
    start.start();
    if (!window.openStore(storePath))
        throw std::runtime_error(QStringLiteral("%1: the workbench could not open it").arg(storePath).toStdString());
    waitFor([&] { return window.runModel()->rowCount() >= expectedRuns; }, timeoutSeconds, "the runs list");
    QCoreApplication::processEvents();   // the view lays out and draws the rows
    t.runsListSeconds = double(start.nsecsElapsed()) / 1e9;
    t.runsShown = window.runModel()->rowCount();

    RunMonitor *monitor = window.runMonitor();
    const auto select = [&](qint64 id, double *seconds, qint64 *points) {
        start.restart();
        if (!window.selectRuns({id}))
            throw std::runtime_error(QStringLiteral("store-scale: run %1 is not in the runs list").arg(id).toStdString());
        waitFor([&] { return monitor->pointCount(id, QStringLiteral("loss")) > 0; }, timeoutSeconds, "the run's curves");
        monitor->redrawNow();
        *seconds = double(start.nsecsElapsed()) / 1e9;
        *points = monitor->pointCount(id, QStringLiteral("loss"));
    };
    select(runId, &t.curveSeconds, &t.lossPoints);
    select(longRunId, &t.longCurveSeconds, &t.longLossPoints);
    window.close();
    return t;
}

PlotScaleTimes timePlotFrames(qint64 points, int frames)
{
    PlotScaleTimes t;
    t.points = points;
    RunMonitor monitor;
    monitor.resize(1400, 900);
    monitor.show();
    RunDelta delta;
    delta.run.id = 1;
    delta.run.name = QStringLiteral("a million steps");
    delta.run.kind = QStringLiteral("train");
    delta.run.status = db::RunStatus::Finished;
    delta.reset = true;
    delta.points.reserve(std::size_t(points));
    const QString loss = QStringLiteral("loss");
    for (qint64 step = 1; step <= points; ++step) {
        const double noise = double((step * 7919) % 1000) / 1000.0 - 0.5;
        delta.points.push_back({1, step, loss, 1.7 + 6.0 / (1.0 + double(step) / 40.0) + 0.15 * noise, double(step) * 0.6});
    }
    QElapsedTimer timer;
    timer.start();
    monitor.showRuns({1});
    monitor.applyDelta(delta);
    monitor.redrawNow();
    t.loadMs = double(timer.nsecsElapsed()) / 1e6;
    if (monitor.pointCount(1, loss) != points)
        throw std::runtime_error("store-scale: the runs panel did not take every point");

    QCustomPlot *plot = monitor.plot();
    QCPAxis *x = monitor.panel(RunMonitor::LossPanel)->axis(QCPAxis::atBottom);
    const auto frame = [&](const QCPRange &range) {
        timer.restart();
        x->setRange(range);   // the other panels follow (linked step axes), as under the mouse
        plot->replot(QCustomPlot::rpImmediateRefresh);
        return double(timer.nsecsElapsed()) / 1e6;
    };
    // Pans across the middle of the curve with a tenth of the steps in view.
    std::vector<double> pan, zoom;
    const double width = double(points) / 10.0;
    for (int i = 0; i < frames; ++i) {
        const double lower = double(points) * 0.3 + double(i) * width / 10.0;
        pan.push_back(frame(QCPRange(lower, lower + width)));
    }
    // Zooms in from the whole curve by 20 % a frame around its middle, then back out.
    QCPRange range(0, double(points));
    for (int i = 0; i < frames; ++i) {
        const double factor = i < frames / 2 ? 0.8 : 1.25;
        const double centre = range.center(), half = range.size() * factor / 2;
        range = QCPRange(centre - half, centre + half);
        zoom.push_back(frame(range));
    }
    t.pan = summarise(pan);
    t.zoom = summarise(zoom);
    return t;
}

} // namespace taskmoe::ui
