#include "usecases/storescale.h"

#include "core/config/trainconfig.h"
#include "db/store.h"
#include "db/syntheticstore.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace taskmoe::usecases {

namespace {

QString specJson(const ScaleSpec &spec)
{
    // "generator" changes with what a generated store holds: older ones are made again.
    return QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("generator"), 2},
                                                       {QStringLiteral("runs"), spec.runs},
                                                       {QStringLiteral("steps"), spec.steps},
                                                       {QStringLiteral("long_run_steps"), spec.longRunSteps}})
                                 .toJson(QJsonDocument::Compact));
}

/// Configurations as training writes them: three presets, a seed each.
std::vector<std::pair<QString, QString>> presetConfigs()
{
    std::vector<std::pair<QString, QString>> out;
    for (const char *name : {"dense", "token-moe", "task-moe-target"}) {
        const auto config = core::loadPreset(name);
        out.push_back({QString::fromLatin1(name), QString::fromStdString(core::trainConfigToJson(config, -1))});
    }
    return out;
}

template <typename Read>
ReadTime timeRead(int repeats, Read read)
{
    ReadTime t;
    for (int i = 0; i < std::max(1, repeats); ++i) {
        QElapsedTimer timer;
        timer.start();
        t.rows = read();
        const double s = double(timer.nsecsElapsed()) / 1e9;
        if (i == 0)
            t.first = t.best = s;
        t.best = std::min(t.best, s);
    }
    return t;
}

} // namespace

qint64 ScaleSpec::metricRows() const
{
    const qint64 perRun = steps * kKeysPerStep + kCheckpoints;
    const qint64 longExtra = runs > 0 && longRunSteps > steps ? longRunSteps - steps : 0;
    return runs * perRun + longExtra;
}

QString ScaleSpec::describe() const
{
    const QLocale c = QLocale::c();
    return QStringLiteral("%1 runs, %2 metric rows (%3 keys × %4 steps per run; run 1's loss over %5 steps)")
        .arg(c.toString(runs), c.toString(metricRows()))
        .arg(kKeysPerStep)
        .arg(c.toString(steps), c.toString(std::max(longRunSteps, steps)));
}

ScaleStore prepareScaleStore(const QString &path, const ScaleSpec &spec, const std::function<void(qint64, qint64)> &progress)
{
    if (spec.runs < 2 || spec.steps < ScaleSpec::kCheckpoints)
        throw std::runtime_error(QStringLiteral("store-scale: needs at least 2 runs and %1 steps (got %2 runs, %3 steps)")
                                     .arg(ScaleSpec::kCheckpoints).arg(spec.runs).arg(spec.steps).toStdString());
    ScaleStore out;
    out.path = path;
    out.spec = spec;
    const QString marker = db::syntheticMarker(path);
    if (!marker.isEmpty() && marker == specJson(spec)) {
        out.reused = true;
        out.metricRows = spec.metricRows();   // counted when it was generated
        db::Store store(path);
        std::vector<qint64> ids;
        for (const auto &run : store.runs())
            ids.push_back(run.id);
        std::sort(ids.begin(), ids.end());
        out.longRunId = ids.front();
        out.typicalRunId = ids[(ids.size() - 1) / 2];
        return out;
    }
    if (QFile::exists(path)) {
        if (marker.isEmpty())
            throw std::runtime_error(QStringLiteral("%1: exists and is not a generated store-scale store; give a new file")
                                         .arg(path).toStdString());
        for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
            QFile::remove(path + suffix);
    }
    db::SyntheticSpec synthetic;
    synthetic.runs = spec.runs;
    synthetic.steps = spec.steps;
    synthetic.longRunSteps = spec.longRunSteps;
    synthetic.checkpoints = ScaleSpec::kCheckpoints;
    synthetic.configs = presetConfigs();
    synthetic.marker = specJson(spec);
    QElapsedTimer timer;
    timer.start();
    const auto facts = db::writeSyntheticStore(path, synthetic, progress);
    out.generateSeconds = double(timer.nsecsElapsed()) / 1e9;
    out.metricRows = facts.metricRows;
    out.longRunId = facts.longRunId;
    out.typicalRunId = facts.typicalRunId;
    if (out.metricRows != spec.metricRows())
        throw std::runtime_error(QStringLiteral("%1: generated %2 metric rows, expected %3")
                                     .arg(path).arg(out.metricRows).arg(spec.metricRows()).toStdString());
    return out;
}

StoreReadTimes timeStoreReads(const ScaleStore &store, int buckets, int repeats)
{
    db::Store s(store.path);
    StoreReadTimes t;
    t.listing = timeRead(repeats, [&] {
        const auto runs = s.runs();
        const auto last = s.lastMetricSteps();
        const auto best = s.bestCheckpointSteps();
        if (qint64(last.size()) != runs.size() || qint64(best.size()) != runs.size())
            throw std::runtime_error("store-scale: the listing lacks a run's newest step or best checkpoint");
        return qint64(runs.size());
    });
    t.typicalCurves = timeRead(repeats, [&] { return qint64(s.metricCurves(store.typicalRunId, buckets).size()); });
    t.longWhole = timeRead(repeats, [&] { return qint64(s.metrics(store.longRunId).size()); });
    t.longDownsampled = timeRead(repeats, [&] { return qint64(s.metricCurves(store.longRunId, buckets).size()); });
    const qint64 lastStep = std::max(store.spec.longRunSteps, store.spec.steps);
    t.livePoll = timeRead(repeats, [&] { return qint64(s.metricsAfter(store.longRunId, lastStep - 10).size()); });
    return t;
}

} // namespace taskmoe::usecases
