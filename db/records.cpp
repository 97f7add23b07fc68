#include "db/records.h"

namespace taskmoe::db {

qint64 DatasetRecord::totalSentences() const
{
    qint64 n = 0;
    for (const auto &p : pairs)
        n += p.train + p.dev + p.test + p.multiway;
    return n;
}

} // namespace taskmoe::db
