#pragma once
/// Opens a store and holds what the views show of it: the dataset and run records.
///
/// Views never touch db::Store themselves; they ask the controller to open or reload a
/// path and listen for loaded() or failed(). The store is opened (created, migrated) and read
/// on a thread of the controller's own; the GUI thread only receives the records. open() and
/// reload() keep the event loop running until the answer is there, so callers may use their
/// result at once while the window stays responsive.
#include "db/records.h"
#include "ui/common/workerthread.h"

#include <QObject>
#include <QString>

#include <memory>
#include <vector>

namespace taskmoe::db {
class Store;
}

namespace taskmoe::ui {

/// What the loader thread read from a store (or why it could not).
struct StoreSnapshot
{
    quint64 serial = 0;
    QString requestedPath;
    QString path;                        ///< the store's own (absolute) path
    QString error;                       ///< empty when the records are there
    std::vector<db::DatasetRecord> datasets;
    std::vector<db::RunRecord> runs;
};

/// Opens stores and reads their records on the controller's thread.
class StoreLoader : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    void load(quint64 serial, const QString &path);
signals:
    void loaded(const taskmoe::ui::StoreSnapshot &snapshot);
};

/// A connection of a worker thread's own to the store at `path`, which the workbench has
/// opened (and if needed created) already; nothing, with `error` set, when it cannot be opened.
std::unique_ptr<db::Store> openWorkerConnection(const QString &path, QString *error);

class StoreController : public QObject
{
    Q_OBJECT
public:
    explicit StoreController(QObject *parent = nullptr);
    ~StoreController() override;

    /// The path of the store whose records are loaded; empty when none is.
    QString path() const { return m_path; }
    /// Whether a store is loaded (possibly empty of datasets).
    bool isOpen() const { return !m_path.isEmpty(); }
    /// The message of the last failure; empty after a successful load.
    QString lastError() const { return m_lastError; }

    const std::vector<db::DatasetRecord> &datasets() const { return m_datasets; }
    const std::vector<db::RunRecord> &runs() const { return m_runs; }

public slots:
    /// Opens the store at `path` (creating an empty one when the file does not exist) and
    /// loads its records. Emits loaded() or failed(); on failure the records are cleared and
    /// no store is open. Returns whether it succeeded.
    bool open(const QString &path);
    /// Reads the records of the current store again. Fails when no store is open.
    bool reload();
    /// Forgets the current store and its records; emits loaded() with empty data.
    void close();

signals:
    /// Records were (re)loaded; read them with datasets() and runs().
    void loaded();
    /// Opening or loading failed; `message` is meant for the user.
    void failed(const QString &message);

private:
    void fail(const QString &message);
    void onSnapshot(const StoreSnapshot &snapshot);

    WorkerThread<StoreLoader> m_loader;
    quint64 m_serial = 0;      // the newest request; older answers are dropped
    QString m_path;
    QString m_lastError;
    std::vector<db::DatasetRecord> m_datasets;
    std::vector<db::RunRecord> m_runs;
};

} // namespace taskmoe::ui

Q_DECLARE_METATYPE(taskmoe::ui::StoreSnapshot)
