#include "ui/runs/runfollower.h"

#include "db/store.h"
#include "protocol/processes.h"
#include "ui/common/storecontroller.h"

#include <QDir>
#include <QFile>
#include <QTimer>

#include <algorithm>
#include <set>

namespace taskmoe::ui {

namespace {

/// At most this much of a log is sent when a run is first watched: the tail is what matters.
constexpr qint64 kInitialLogBytes = 64 * 1024;
/// A run first shown reads each curve with at most this many buckets (two points each):
/// far more than a plot has pixels, and every run this machine trains is read whole.
constexpr int kCurveBuckets = 10000;

} // namespace

RunFollower::RunFollower(QObject *parent) : QObject(parent) {}

RunFollower::~RunFollower() = default;

void RunFollower::open(const QString &path, int intervalMs)
{
    if (!m_timer) {
        m_timer = new QTimer(this);
        connect(m_timer, &QTimer::timeout, this, &RunFollower::poll);
    }
    m_timer->stop();
    m_store.reset();
    m_dataVersion = -1;
    m_listing = RunListing();
    m_path = path;
    for (auto &[id, cursor] : m_watched)
        cursor = Cursor();
    if (path.isEmpty())
        return;
    QString error;
    m_store = openWorkerConnection(path, &error);
    if (!m_store) {
        emit failed(error);
        return;
    }
    m_timer->start(intervalMs);
    poll();
}

void RunFollower::watch(const QVector<qint64> &runIds)
{
    const std::set<qint64> wanted(runIds.begin(), runIds.end());
    for (auto it = m_watched.begin(); it != m_watched.end();)
        it = wanted.count(it->first) ? std::next(it) : m_watched.erase(it);
    for (qint64 id : wanted)
        m_watched.try_emplace(id);
    poll();
}

void RunFollower::poll()
{
    if (!m_store)
        return;
    try {
        const int marked = m_store->markInterruptedRuns(protocol::hostName(), protocol::processAlive);
        const qint64 version = m_store->dataVersion();
        const bool storeChanged = marked > 0 || version != m_dataVersion || m_dataVersion < 0;
        m_dataVersion = version;
        if (storeChanged) {
            RunListing listing;
            for (auto &run : m_store->runs())
                listing.runs.push_back(std::move(run));
            listing.lastSteps = m_store->lastMetricSteps();
            listing.best = m_store->bestCheckpointSteps();
            m_listing = std::move(listing);
            emit listed(m_listing);
        }
        const RunListing &listing = m_listing;

        for (auto &[id, cursor] : m_watched) {
            const auto found = std::find_if(listing.runs.begin(), listing.runs.end(),
                                            [id = id](const db::RunRecord &r) { return r.id == id; });
            if (found == listing.runs.end())
                continue;
            RunDelta delta;
            delta.run = *found;
            delta.reset = !cursor.sentReset;
            cursor.sentReset = true;
            if (delta.reset) {
                delta.points = m_store->metricCurves(id, kCurveBuckets, &delta.downsampledKeys);
                for (const auto &point : delta.points)
                    cursor.lastStep = std::max(cursor.lastStep, point.step);
            } else if (storeChanged) {
                delta.points = m_store->metricsAfter(id, cursor.lastStep);
                if (!delta.points.empty())
                    cursor.lastStep = delta.points.back().step;
            }

            const QDir folder(m_store->runFolderOf(id));
            for (const QString &name : folder.entryList({QStringLiteral("train.log"), QStringLiteral("rank-*.log")}, QDir::Files)) {
                QFile log(folder.filePath(name));
                if (!log.open(QIODevice::ReadOnly))
                    continue;
                qint64 &offset = cursor.logOffsets[name];
                if (delta.reset)
                    offset = std::max<qint64>(0, log.size() - kInitialLogBytes);
                if (log.size() > offset && log.seek(offset)) {
                    QByteArray bytes = log.readAll();
                    // Only whole lines: a line being written is read on the next poll.
                    const qsizetype end = bytes.lastIndexOf('\n') + 1;
                    bytes.truncate(end);
                    offset += end;
                    if (end > 0)
                        delta.newLogs[name] = QString::fromUtf8(bytes);
                }
            }
            emit changed(delta);   // also without new points: the status may have changed
        }
    } catch (const db::StoreError &e) {
        emit failed(e.message());
    }
}

RunFollowerThread::RunFollowerThread(QObject *parent)
    : QObject(parent), m_follower(this, new RunFollower, QStringLiteral("run follower"))
{
    qRegisterMetaType<RunDelta>();
    qRegisterMetaType<RunListing>();
    connect(m_follower.worker(), &RunFollower::listed, this, &RunFollowerThread::listed);
    connect(m_follower.worker(), &RunFollower::changed, this, &RunFollowerThread::changed);
    connect(m_follower.worker(), &RunFollower::failed, this, &RunFollowerThread::failed);
}

RunFollowerThread::~RunFollowerThread()
{
    m_follower.stop([](RunFollower *f) { f->open(QString(), 0); });
}

void RunFollowerThread::open(const QString &path, int intervalMs)
{
    m_follower.post([path, intervalMs](RunFollower *f) { f->open(path, intervalMs); });
}

void RunFollowerThread::watch(const QVector<qint64> &runIds)
{
    m_follower.post([runIds](RunFollower *f) { f->watch(runIds); });
}

void RunFollowerThread::pollNow()
{
    m_follower.post([](RunFollower *f) { f->poll(); });
}

} // namespace taskmoe::ui
