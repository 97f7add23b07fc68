#pragma once
/// Follows runs through the store, off the GUI thread: every poll it lists the runs (marking
/// those whose process died as interrupted), and for the runs being watched reads the metric
/// points logged since the last poll and the new lines of their `train.log`.
///
/// The store is the one source for every run — started by this workbench, by an earlier one
/// or from a shell — so reopening the workbench re-attaches to runs still running without
/// anything but the store. The follower lives in its own thread with its own connection;
/// RunFollowerThread owns that thread and forwards calls to it.
#include "db/records.h"
#include "ui/common/workerthread.h"

#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <map>
#include <memory>
#include <vector>

class QTimer;

namespace taskmoe::db {
class Store;
}

namespace taskmoe::ui {

/// What changed in one watched run since the last delta.
struct RunDelta
{
    db::RunRecord run;
    /// New points, ordered by step then key; on a reset every curve of the run, ordered by key
    /// then step, long ones downsampled in SQL (Store::metricCurves).
    std::vector<db::MetricPoint> points;
    QStringList downsampledKeys;           ///< on a reset: the keys whose curve was downsampled
    /// Text appended to the run folder's logs since last time, by file name: "train.log" (the
    /// run's own, rank 0 of a run on several processes) and "rank-N.log" (the other ranks').
    std::map<QString, QString> newLogs;
    bool reset = false;                    ///< the run was (re)added: drop what was shown of it
};

/// A store-wide refresh: all runs and each run's newest logged step.
struct RunListing
{
    std::vector<db::RunRecord> runs;
    std::map<qint64, qint64> lastSteps;
    std::map<qint64, std::pair<qint64, double>> best;   ///< run → (step, dev BLEU) of its best checkpoint
};

/// The worker; use it through RunFollowerThread.
class RunFollower : public QObject
{
    Q_OBJECT
public:
    explicit RunFollower(QObject *parent = nullptr);
    ~RunFollower() override;

public slots:
    /// Opens `path` on this thread (empty: closes) and polls every `intervalMs`.
    void open(const QString &path, int intervalMs);
    /// The runs whose points and log to read; runs new to the set start from the beginning.
    void watch(const QVector<qint64> &runIds);
    /// Reads now: the runs and the watched runs' new points only when the store changed since
    /// the last poll (or a run was marked interrupted), the logs always.
    void poll();

signals:
    void listed(const taskmoe::ui::RunListing &listing);
    void changed(const taskmoe::ui::RunDelta &delta);
    void failed(const QString &message);

private:
    struct Cursor
    {
        qint64 lastStep = -1;
        std::map<QString, qint64> logOffsets;   ///< by log file name
        bool sentReset = false;
    };
    std::unique_ptr<db::Store> m_store;
    qint64 m_dataVersion = -1;   ///< the store's data version at the last listing (-1: list now)
    RunListing m_listing;        ///< the last listing
    QString m_path;
    QTimer *m_timer = nullptr;
    std::map<qint64, Cursor> m_watched;
};

/// Runs a RunFollower on its own thread and stops it cleanly on destruction.
class RunFollowerThread : public QObject
{
    Q_OBJECT
public:
    explicit RunFollowerThread(QObject *parent = nullptr);
    ~RunFollowerThread() override;

    void open(const QString &path, int intervalMs = 1000);
    void watch(const QVector<qint64> &runIds);
    void pollNow();

signals:
    void listed(const taskmoe::ui::RunListing &listing);
    void changed(const taskmoe::ui::RunDelta &delta);
    void failed(const QString &message);

private:
    WorkerThread<RunFollower> m_follower;
};

} // namespace taskmoe::ui

Q_DECLARE_METATYPE(taskmoe::ui::RunDelta)
Q_DECLARE_METATYPE(taskmoe::ui::RunListing)
