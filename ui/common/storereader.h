#pragma once
/// Runs read-only queries of a store on a thread with its own connection and hands the
/// results back to the GUI thread, for the screens that only show what is stored (the
/// dashboards). The connection is opened on first use and again when the path changes.
/// A result whose receiver is gone by then is dropped.
#include "ui/common/storecontroller.h"
#include "ui/common/workerthread.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

namespace taskmoe::ui {

/// The worker: one store connection, opened where it is used.
class StoreReaderWorker : public QObject
{
    Q_OBJECT
public:
    StoreReaderWorker();
    ~StoreReaderWorker() override;
    /// The open store for `path` (opened now when it is another), or nothing with `error` set.
    const db::Store *storeFor(const QString &path, QString *error);
    void close();

private:
    std::unique_ptr<db::Store> m_store;
    QString m_path;
};

class StoreReader
{
public:
    StoreReader(QObject *owner, const QString &threadName);
    ~StoreReader();
    StoreReader(const StoreReader &) = delete;
    StoreReader &operator=(const StoreReader &) = delete;

    /// Runs `query` on the reader's thread against the store at `path`, then `done(result,
    /// error)` on `receiver`'s thread: the error is empty unless the store could not be opened
    /// or the query threw (its message), in which case the result is default-constructed.
    template <typename Result>
    void read(const QString &path, std::function<Result(const db::Store &)> query, QObject *receiver,
              std::function<void(const Result &, const QString &)> done) const
    {
        m_thread.post([path, query = std::move(query), receiver, done = std::move(done)](StoreReaderWorker *w) {
            Result result{};
            QString error;
            if (const db::Store *store = w->storeFor(path, &error)) {
                try {
                    result = query(*store);
                } catch (const std::exception &e) {
                    error = QString::fromUtf8(e.what());
                }
            }
            QMetaObject::invokeMethod(receiver, [done, result = std::move(result), error] { done(result, error); });
        });
    }

private:
    mutable WorkerThread<StoreReaderWorker> m_thread;
};

} // namespace taskmoe::ui
