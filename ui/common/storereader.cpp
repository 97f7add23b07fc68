#include "ui/common/storereader.h"

#include "db/store.h"

namespace taskmoe::ui {

StoreReaderWorker::StoreReaderWorker() = default;
StoreReaderWorker::~StoreReaderWorker() = default;

const db::Store *StoreReaderWorker::storeFor(const QString &path, QString *error)
{
    if (path.isEmpty()) {
        *error = tr("No store is open.");
        return nullptr;
    }
    if (!m_store || path != m_path) {
        m_store.reset();
        m_path = path;
        m_store = openWorkerConnection(path, error);
    }
    return m_store.get();
}

void StoreReaderWorker::close()
{
    m_store.reset();
    m_path.clear();
}

StoreReader::StoreReader(QObject *owner, const QString &threadName)
    : m_thread(owner, new StoreReaderWorker, threadName)
{
}

StoreReader::~StoreReader()
{
    m_thread.stop([](StoreReaderWorker *w) { w->close(); });
}

} // namespace taskmoe::ui
