#pragma once
/// How the two programs tell whether a run's process is still there: runs record the host and
/// process id that train them; a run marked running whose process is gone (on this host) died
/// without a final status.
#include <QString>

namespace taskmoe::protocol {

/// Whether process `pid` on this machine exists and is not a zombie (a detached job whose exit
/// nobody has collected yet has ended all the same).
bool processAlive(qint64 pid);

/// This machine's name as runs record it in `host`.
QString hostName();

} // namespace taskmoe::protocol
