#pragma once
// Running the real `taskmoe` program from a test. Qt headers: include after any LibTorch header
// (Qt's `slots` macro breaks them).
#include <QByteArray>
#include <QFile>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QtGlobal>

namespace taskmoe::test {

/// What a run of the real `taskmoe` program did.
struct ProgramResult
{
    int exitCode = -1;   ///< -100 when it crashed (a crash is never ok)
    QString out, err;
};

/// Runs `taskmoe args` from $TASKMOE_BIN_DIR with `input` on its standard input; a run that
/// does not end within `timeoutMs` (four minutes unless told) is fatal.
inline ProgramResult runTaskmoe(const QStringList &args, const QByteArray &input = {}, int timeoutMs = 240000)
{
    QProcess p;
    p.setProgram(qEnvironmentVariable("TASKMOE_BIN_DIR") + QStringLiteral("/taskmoe"));
    p.setArguments(args);
    p.start();
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs))
        qFatal("taskmoe %s did not finish", qPrintable(args.join(QLatin1Char(' '))));
    ProgramResult r;
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -100;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

/// Writes `content` to `path` (a test fixture); failing to is fatal. Returns `path`.
inline QString writeFixture(const QString &path, const QByteArray &content)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

} // namespace taskmoe::test
