#pragma once
/// The workbench at scale (`taskmoe bench --store-scale`): a real main window on a large
/// store, and the runs panel's plot with a million points, timed off screen. Needs a
/// QApplication (the offscreen platform will do).
#include <QString>

namespace taskmoe::ui {

struct WindowScaleTimes
{
    double runsListSeconds = 0;   ///< opening the store until the runs list shows every run
    qint64 runsShown = 0;
    double curveSeconds = 0;      ///< selecting a run until its curves are drawn
    qint64 lossPoints = 0;        ///< points of its loss curve the panel holds
    double longCurveSeconds = 0;  ///< then selecting the long run until its curves are drawn
    qint64 longLossPoints = 0;    ///< points of its loss curve the panel holds (downsampled)
};

/// Opens `storePath` (holding `expectedRuns` runs) in a main window, selects `runId` as soon
/// as the runs list is full, then `longRunId`. Throws std::runtime_error when one of them does
/// not happen within `timeoutSeconds`.
WindowScaleTimes timeWorkbenchOnStore(const QString &storePath, qint64 expectedRuns, qint64 runId, qint64 longRunId,
                                      double timeoutSeconds = 120);

struct FrameTimes
{
    int frames = 0;
    double medianMs = 0, p95Ms = 0, worstMs = 0;
};

struct PlotScaleTimes
{
    qint64 points = 0;
    double loadMs = 0;   ///< handing the points to the panel and drawing it the first time
    FrameTimes pan, zoom;
};

/// The runs panel (RunMonitor, as the Runs tab draws it, 1400 × 900) with one run whose loss
/// curve has `points` points: `frames` pans (a tenth of the view each) and `frames` zooms
/// (in and out by 20 %), each drawn at once.
PlotScaleTimes timePlotFrames(qint64 points, int frames = 60);

} // namespace taskmoe::ui
