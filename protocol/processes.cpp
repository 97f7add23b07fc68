#include "protocol/processes.h"

#include <QFile>

#include <cerrno>

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

namespace taskmoe::protocol {

bool processAlive(qint64 pid)
{
    if (pid <= 0)
        return false;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
        return false;
    // /proc/PID/stat: "PID (command) STATE …"; the command may contain spaces and parentheses.
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return true;   // no procfs: trust kill()
    const QByteArray text = stat.readAll();
    const int close = text.lastIndexOf(')');
    return close < 0 || close + 2 >= text.size() || text.at(close + 2) != 'Z';
}

QString hostName()
{
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0)
        return QStringLiteral("localhost");
    return QString::fromLocal8Bit(name);
}

} // namespace taskmoe::protocol
