#pragma once
/// A QObject worker on a thread of its own, for the screens that read the store off the GUI
/// thread (the runs follower, the routing statistics). The owner posts calls with `post`; the
/// worker's signals reach the owner through queued connections as usual. `stop` runs a last
/// call on the worker's thread (closing its store connection there, where it was opened),
/// then ends the thread, which deletes the worker.
#include <QMetaObject>
#include <QObject>
#include <QString>
#include <QThread>

#include <utility>

namespace taskmoe::ui {

template <typename Worker>
class WorkerThread
{
public:
    /// Takes `worker` (created without a parent) and starts the thread, named `name`.
    WorkerThread(QObject *owner, Worker *worker, const QString &name) : m_thread(new QThread(owner)), m_worker(worker)
    {
        m_thread->setObjectName(name);
        m_worker->moveToThread(m_thread);
        QObject::connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
        m_thread->start();
    }
    WorkerThread(const WorkerThread &) = delete;
    WorkerThread &operator=(const WorkerThread &) = delete;

    Worker *worker() const { return m_worker; }

    /// Runs `call(worker)` on the worker's thread, after the calls posted before it.
    template <typename Call>
    void post(Call call) const
    {
        QMetaObject::invokeMethod(m_worker, [w = m_worker, call = std::move(call)] { call(w); });
    }

    /// Runs `last(worker)` on the worker's thread and waits for it, then ends the thread.
    template <typename Call>
    void stop(Call last)
    {
        if (!m_thread->isRunning())
            return;
        m_thread->requestInterruption();
        QMetaObject::invokeMethod(m_worker, [w = m_worker, last = std::move(last)] { last(w); },
                                  Qt::BlockingQueuedConnection);
        m_thread->quit();
        m_thread->wait();
    }

private:
    QThread *m_thread;
    Worker *m_worker;
};

} // namespace taskmoe::ui
