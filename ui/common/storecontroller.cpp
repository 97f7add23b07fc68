#include "ui/common/storecontroller.h"

#include "db/store.h"

#include <exception>

namespace taskmoe::ui {

std::unique_ptr<db::Store> openWorkerConnection(const QString &path, QString *error)
{
    try {
        return std::make_unique<db::Store>(path);
    } catch (const db::StoreError &e) {
        *error = e.message();
    } catch (const std::exception &e) {
        *error = QString::fromStdString(e.what());
    }
    return nullptr;
}

StoreController::StoreController(QObject *parent) : QObject(parent) {}

StoreController::~StoreController() = default;

bool StoreController::open(const QString &path)
{
    if (path.trimmed().isEmpty()) {
        fail(tr("No store path was given."));
        return false;
    }

    std::vector<db::DatasetRecord> datasets;
    std::vector<db::RunRecord> runs;
    QString canonicalPath;
    // Everything the store throws is caught here: this runs inside slots and signal
    // handlers, and an exception must never cross the event loop.
    try {
        // The store is opened only for the duration of the read: it holds a per-thread
        // connection, and the GUI keeps plain records, never a live handle.
        const db::Store store(path);
        canonicalPath = store.path();
        const QVector<db::DatasetRecord> d = store.datasets();
        const QVector<db::RunRecord> r = store.runs();
        datasets.assign(d.begin(), d.end());
        runs.assign(r.begin(), r.end());
    } catch (const db::StoreError &e) {
        fail(e.message());
        return false;
    } catch (const std::exception &e) {
        fail(tr("Could not read the store %1: %2").arg(path, QString::fromLocal8Bit(e.what())));
        return false;
    } catch (...) {
        fail(tr("Could not read the store %1: unknown error.").arg(path));
        return false;
    }

    m_path = canonicalPath.isEmpty() ? path : canonicalPath;
    m_lastError.clear();
    m_datasets = std::move(datasets);
    m_runs = std::move(runs);
    emit loaded();
    return true;
}

bool StoreController::reload()
{
    if (m_path.isEmpty()) {
        fail(tr("No store is open."));
        return false;
    }
    return open(m_path);
}

void StoreController::close()
{
    m_path.clear();
    m_lastError.clear();
    m_datasets.clear();
    m_runs.clear();
    emit loaded();
}

void StoreController::fail(const QString &message)
{
    m_path.clear();
    m_lastError = message;
    m_datasets.clear();
    m_runs.clear();
    emit failed(message);
}

} // namespace taskmoe::ui
