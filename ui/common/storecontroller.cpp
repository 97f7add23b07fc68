#include "ui/common/storecontroller.h"

#include "db/store.h"

#include <QEventLoop>

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

void StoreLoader::load(quint64 serial, const QString &path)
{
    StoreSnapshot snapshot;
    snapshot.serial = serial;
    snapshot.requestedPath = path;
    // Everything the store throws is caught here: an exception must never cross the event loop.
    try {
        // The store is opened only for the duration of the read: the GUI keeps plain records,
        // never a live handle.
        const db::Store store(path);
        snapshot.path = store.path();
        const QVector<db::DatasetRecord> d = store.datasets();
        const QVector<db::RunRecord> r = store.runs();
        snapshot.datasets.assign(d.begin(), d.end());
        snapshot.runs.assign(r.begin(), r.end());
    } catch (const db::StoreError &e) {
        snapshot.error = e.message();
    } catch (const std::exception &e) {
        snapshot.error = tr("Could not read the store %1: %2").arg(path, QString::fromLocal8Bit(e.what()));
    } catch (...) {
        snapshot.error = tr("Could not read the store %1: unknown error.").arg(path);
    }
    emit loaded(snapshot);
}

StoreController::StoreController(QObject *parent)
    : QObject(parent), m_loader(this, new StoreLoader, QStringLiteral("store loader"))
{
    qRegisterMetaType<StoreSnapshot>();
    connect(m_loader.worker(), &StoreLoader::loaded, this, &StoreController::onSnapshot);
}

StoreController::~StoreController()
{
    m_loader.stop([](StoreLoader *) {});
}

bool StoreController::open(const QString &path)
{
    if (path.trimmed().isEmpty()) {
        fail(tr("No store path was given."));
        return false;
    }
    const quint64 serial = ++m_serial;
    m_loader.post([serial, path](StoreLoader *l) { l->load(serial, path); });
    // Wait for this request's answer with the event loop running (the window keeps painting).
    QEventLoop wait;
    bool answered = false;
    const auto done = [&] {
        answered = true;
        wait.quit();
    };
    const auto a = connect(this, &StoreController::loaded, &wait, done);
    const auto b = connect(this, &StoreController::failed, &wait, done);
    while (!answered && m_serial == serial)
        wait.exec();
    disconnect(a);
    disconnect(b);
    return m_serial == serial && !m_path.isEmpty() && m_lastError.isEmpty();
}

void StoreController::onSnapshot(const StoreSnapshot &snapshot)
{
    if (snapshot.serial != m_serial)
        return;   // a newer request is on its way
    if (!snapshot.error.isEmpty()) {
        fail(snapshot.error);
        return;
    }
    m_path = snapshot.path.isEmpty() ? snapshot.requestedPath : snapshot.path;
    m_lastError.clear();
    m_datasets = snapshot.datasets;
    m_runs = snapshot.runs;
    emit loaded();
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
