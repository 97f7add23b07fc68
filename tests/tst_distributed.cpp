// Training across processes through the real program: two local ranks (c10d, Gloo, 127.0.0.1)
// follow the single process's loss curve, record one run with per-rank timings and logs; a
// rank killed with SIGKILL fails the run naming the rank, and --resume continues it with
// exactly the losses of an uninterrupted two-rank run; a run resumes on another number of ranks;
// two launchers with --nnodes 2 and their --node-rank train one run.
#include "programsupport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>

#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/types.h>

using taskmoe::test::ProgramResult;

namespace {

/// step → logged training loss, from a job's event lines.
std::map<int, double> lossesOf(const QString &out)
{
    std::map<int, double> losses;
    for (const QString &line : out.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QJsonObject e = QJsonDocument::fromJson(line.toUtf8()).object();
        if (e.value(QStringLiteral("event")).toString() == QLatin1String("progress") && e.contains(QStringLiteral("loss")))
            losses[e.value(QStringLiteral("step")).toInt()] = e.value(QStringLiteral("loss")).toDouble();
    }
    return losses;
}

/// A TCP port nothing listens on now, on 127.0.0.1.
int freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    int port = 0;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    if (fd >= 0)
        ::close(fd);
    return port;
}

qint64 runOf(const QString &out)
{
    return QJsonDocument::fromJson(out.section(QLatin1Char('\n'), 0, 0).toUtf8()).object().value(QStringLiteral("run")).toInteger();
}

} // namespace

class TestDistributed : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_db;
    QStringList m_common;

    ProgramResult run(const QStringList &args) { return taskmoe::test::runTaskmoe(args, {}, 300000); }

    /// A column of the store's row for `run` (status, error, …).
    QString runField(qint64 run, const char *column)
    {
        QString value;
        {
            auto sql = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("inspect"));
            sql.setDatabaseName(m_db);
            if (sql.open()) {
                QSqlQuery q(sql);
                q.exec(QStringLiteral("SELECT %1 FROM runs WHERE id = %2").arg(QLatin1String(column)).arg(run));
                if (q.next())
                    value = q.value(0).toString();
            }
        }
        QSqlDatabase::removeDatabase(QStringLiteral("inspect"));
        return value;
    }

    /// step → loss stored for `run` (`taskmoe metrics`).
    std::map<int, double> storedLosses(qint64 run)
    {
        const ProgramResult r = this->run({"metrics", "--db", m_db, "--run", QString::number(run), "--key", "loss", "--format", "json"});
        std::map<int, double> out;
        for (const auto &v : QJsonDocument::fromJson(r.out.toUtf8()).array())
            out[v.toObject().value(QStringLiteral("step")).toInt()] = v.toObject().value(QStringLiteral("value")).toDouble();
        return out;
    }

    /// The last value stored for `key` of `run`.
    double lastValue(qint64 run, const char *key)
    {
        const ProgramResult r = this->run({"metrics", "--db", m_db, "--run", QString::number(run), "--key", key, "--format", "json"});
        return QJsonDocument::fromJson(r.out.toUtf8()).array().last().toObject().value(QStringLiteral("value")).toDouble();
    }

    /// Starts a training job, waits until it logged `step`, and returns it still running.
    qint64 startUntil(QProcess &job, const QStringList &args, int step, QString *folder)
    {
        job.start(qEnvironmentVariable("TASKMOE_BIN_DIR") + QStringLiteral("/taskmoe"), args);
        qint64 id = 0;
        for (QElapsedTimer t; !t.isValid() || t.elapsed() < 180000;) {
            if (!t.isValid())
                t.start();
            if (!job.canReadLine() && !job.waitForReadyRead(5000))
                continue;
            const QJsonObject e = QJsonDocument::fromJson(job.readLine()).object();
            if (e.value(QStringLiteral("event")).toString() == QLatin1String("started")) {
                id = e.value(QStringLiteral("run")).toInteger();
                *folder = e.value(QStringLiteral("checkpoints")).toString();
            }
            if (e.value(QStringLiteral("event")).toString() == QLatin1String("progress") && e.value(QStringLiteral("step")).toInt() >= step)
                return id;
        }
        return 0;
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = m_dir.filePath(QStringLiteral("dist.sqlite"));
        const ProgramResult r = run({"corpus", "synth", "--db", m_db, "--largest", "600", "--multiway", "20"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        m_common = QStringList{"train", "--db", m_db, "--preset", "tiny", "--set", "model.vocab_size=700", "--set", "train.steps=40",
                               "--set", "train.log_every=1", "--set", "train.eval_every=20", "--set", "train.checkpoint_every=10",
                               "--set", "train.batch_tokens=512", "--threads", "1"};
    }

    void twoRanksFollowTheSingleProcessLossCurve()
    {
        const ProgramResult single = run(m_common + QStringList{"--name", "single"});
        QVERIFY2(single.exitCode == 0, qPrintable(single.err));
        const ProgramResult two = run(m_common + QStringList{"--name", "two ranks", "--nproc", "2"});
        QVERIFY2(two.exitCode == 0, qPrintable(two.err));
        const auto a = lossesOf(single.out), b = lossesOf(two.out);
        QCOMPARE(a.size(), std::size_t(40));
        QCOMPARE(b.size(), std::size_t(40));
        // The first step is the same update on the same batch (no dropout in the tiny preset);
        // later steps drift apart only through the MoE capacity and balance loss, computed per share.
        QVERIFY2(std::fabs(a.at(1) - b.at(1)) < 1e-3 * a.at(1), qPrintable(QStringLiteral("%1 vs %2").arg(a.at(1)).arg(b.at(1))));
        double worst = 0;
        for (const auto &[step, loss] : a)
            worst = std::max(worst, std::fabs(loss - b.at(step)) / loss);
        qInfo("two ranks against one process: step 1 %.6f vs %.6f, largest relative difference over 40 steps %.4f",
              a.at(1), b.at(1), worst);
        QVERIFY2(worst < 0.015, qPrintable(QStringLiteral("largest relative difference %1").arg(worst)));

        // One run, rank 0's records, every rank's timing and a log per rank.
        const qint64 id = runOf(two.out);
        QCOMPARE(runField(id, "status"), QStringLiteral("finished"));
        const ProgramResult share = run({"metrics", "--db", m_db, "--run", QString::number(id), "--key", "rank.1.comm_share",
                                         "--format", "json"});
        const QJsonArray shares = QJsonDocument::fromJson(share.out.toUtf8()).array();
        QCOMPARE(shares.size(), 40);
        for (const auto &v : shares)
            QVERIFY(v.toObject().value(QStringLiteral("value")).toDouble() >= 0 && v.toObject().value(QStringLiteral("value")).toDouble() < 1);
        const QString folder = QJsonDocument::fromJson(two.out.section(QLatin1Char('\n'), 0, 0).toUtf8()).object().value("checkpoints").toString();
        QFile log(folder + QStringLiteral("/rank-1.log"));
        QVERIFY2(log.open(QIODevice::ReadOnly), qPrintable(log.fileName()));
        const QString text = QString::fromUtf8(log.readAll());
        QVERIFY2(text.contains(QStringLiteral("rank 1 of 2")) && text.contains(QStringLiteral("step 40/40")), qPrintable(text));
    }

    void expertParallelTrainsLikeDataParallel()
    {
        // Each rank computes 2 of the 4 experts of every MoE layer; token copies travel between
        // the ranks and back. The outputs and gradients are the data-parallel ones: so is every loss.
        // Token routing on both sides, so that both runs split every batch alike.
        const QStringList token = m_common + QStringList{"--nproc", "2", "--set", "model.decoder_routing=token"};
        const ProgramResult dp = run(token + QStringList{"--name", "data parallel"});
        QVERIFY2(dp.exitCode == 0, qPrintable(dp.err));
        const ProgramResult ep = run(token + QStringList{"--name", "expert parallel", "--expert-parallel"});
        QVERIFY2(ep.exitCode == 0, qPrintable(ep.err));
        const auto reference = lossesOf(dp.out), losses = lossesOf(ep.out);
        QCOMPARE(losses.size(), std::size_t(40));
        for (const auto &[step, loss] : losses)
            QVERIFY2(std::fabs(loss - reference.at(step)) <= 1e-6 * loss,
                     qPrintable(QStringLiteral("step %1: %2 vs %3").arg(step).arg(loss, 0, 'g', 12).arg(reference.at(step), 0, 'g', 12)));
        // About half of the copies of the token-routed layer leave their rank with 2 ranks.
        const ProgramResult moved = run({"metrics", "--db", m_db, "--run", QString::number(runOf(ep.out)), "--key", "moved_share",
                                         "--format", "json"});
        const QJsonArray shares = QJsonDocument::fromJson(moved.out.toUtf8()).array();
        QCOMPARE(shares.size(), 40);
        const double last = shares.last().toObject().value(QStringLiteral("value")).toDouble();
        QVERIFY2(last > 0.1 && last < 0.9, qPrintable(QString::number(last)));
        const ProgramResult exchanged = run({"metrics", "--db", m_db, "--run", QString::number(runOf(ep.out)), "--key",
                                             "exchange_mb_per_step", "--format", "json"});
        QVERIFY(QJsonDocument::fromJson(exchanged.out.toUtf8()).array().last().toObject().value("value").toDouble() > 0);
        // Each rank holds its own experts and their optimiser state only; the gradient sums
        // leave them out (each expert's gradient is complete on its rank).
        const double heldDp = lastValue(runOf(dp.out), "rank.1.state_mb"), heldEp = lastValue(runOf(ep.out), "rank.1.state_mb");
        QVERIFY2(heldEp < 0.9 * heldDp, qPrintable(QStringLiteral("%1 vs %2 MB").arg(heldEp).arg(heldDp)));
        const double sumsDp = lastValue(runOf(dp.out), "comm_mb_per_step") - lastValue(runOf(dp.out), "exchange_mb_per_step");
        const double sumsEp = lastValue(runOf(ep.out), "comm_mb_per_step") - lastValue(runOf(ep.out), "exchange_mb_per_step");
        QVERIFY2(sumsEp < 0.9 * sumsDp, qPrintable(QStringLiteral("%1 vs %2 MB summed per step").arg(sumsEp).arg(sumsDp)));

        // Stopped at a step and resumed, the expert-parallel run logs exactly the uninterrupted
        // one's losses: the checkpoint holds every rank's experts and their state, whole, and each
        // rank takes its block back.
        QProcess job;
        QString folder;
        const qint64 stopped = startUntil(job, token + QStringList{"--name", "expert parallel, resumed", "--expert-parallel"}, 12, &folder);
        QVERIFY(stopped > 0);
        ::kill(pid_t(job.processId()), SIGTERM);
        QVERIFY(job.waitForFinished(60000));
        QCOMPARE(runField(stopped, "status"), QStringLiteral("cancelled"));
        const ProgramResult resumed = run({"train", "--db", m_db, "--resume", QString::number(stopped), "--nproc", "2", "--threads", "1"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        const auto after = storedLosses(stopped);
        QCOMPARE(after.size(), std::size_t(40));
        for (const auto &[step, loss] : after)
            QVERIFY2(loss == losses.at(step),
                     qPrintable(QStringLiteral("step %1: %2 vs %3").arg(step).arg(loss, 0, 'g', 17).arg(losses.at(step), 0, 'g', 17)));

        // Task routing on both sides: each task's sentences stay on one rank with the experts the
        // task chose, so no token copy travels.
        const ProgramResult task = run(m_common + QStringList{"--name", "task routed", "--nproc", "2", "--expert-parallel", "--set",
                                                              "model.encoder_routing=task:target"});
        QVERIFY2(task.exitCode == 0, qPrintable(task.err));
        for (const char *key : {"moved_share", "exchange_mb_per_step", "exchange_share"}) {
            const ProgramResult r = run({"metrics", "--db", m_db, "--run", QString::number(runOf(task.out)), "--key", key, "--format", "json"});
            const QJsonArray values = QJsonDocument::fromJson(r.out.toUtf8()).array();
            QCOMPARE(values.size(), 40);
            for (const auto &v : values)
                QCOMPARE(v.toObject().value(QStringLiteral("value")).toDouble(), 0.0);
        }

        // The same with the task-routed layers' experts split over the ranks too: each task's
        // sentences go where most of its experts are, the copies whose expert is elsewhere travel,
        // and each rank holds less.
        const ProgramResult split = run(m_common + QStringList{"--name", "task routed, split", "--nproc", "2", "--expert-parallel",
                                                               "--set", "model.encoder_routing=task:target", "--set",
                                                               "train.shard_task_experts=1"});
        QVERIFY2(split.exitCode == 0, qPrintable(split.err));
        const double movedSplit = lastValue(runOf(split.out), "moved_share");
        QVERIFY2(movedSplit >= 0 && movedSplit < 1, qPrintable(QString::number(movedSplit)));
        QVERIFY(lastValue(runOf(split.out), "rank.0.state_mb") < lastValue(runOf(task.out), "rank.0.state_mb"));
        QCOMPARE(lossesOf(split.out).size(), std::size_t(40));

        // A count of experts that does not split over the ranks is refused before anything starts.
        const ProgramResult odd = run(m_common + QStringList{"--set", "model.experts=3", "--nproc", "2", "--expert-parallel"});
        QCOMPARE(odd.exitCode, 2);
        QVERIFY2(odd.err.contains(QStringLiteral("split evenly")), qPrintable(odd.err));
    }

    void aKilledRankFailsTheRunAndResumeIsExact()
    {
        // The reference: two ranks, uninterrupted.
        const ProgramResult reference = run(m_common + QStringList{"--name", "reference", "--nproc", "2"});
        QVERIFY2(reference.exitCode == 0, qPrintable(reference.err));
        const auto expected = lossesOf(reference.out);

        // The same, with rank 1 killed after step 15 (last checkpoint at 10).
        QProcess job;
        QString folder;
        const qint64 id = startUntil(job, m_common + QStringList{"--name", "killed", "--nproc", "2"}, 15, &folder);
        QVERIFY(id > 0);
        QFile rankLog(folder + QStringLiteral("/rank-1.log"));
        QVERIFY(rankLog.open(QIODevice::ReadOnly));
        const auto match = QRegularExpression(QStringLiteral("\\(process (\\d+) on")).match(QString::fromUtf8(rankLog.readAll()));
        QVERIFY(match.hasMatch());
        const pid_t rank1 = pid_t(match.captured(1).toLongLong());
        QVERIFY(::kill(rank1, SIGKILL) == 0);
        QElapsedTimer stopped;
        stopped.start();
        QVERIFY(job.waitForFinished(60000));
        QVERIFY2(stopped.elapsed() < 30000, "rank 0 did not notice the dead rank within 30 s");
        QVERIFY(job.exitCode() != 0);
        const QString err = QString::fromUtf8(job.readAllStandardError());
        QVERIFY2(err.contains(QStringLiteral("rank 1")), qPrintable(err));
        QCOMPARE(runField(id, "status"), QStringLiteral("failed"));
        QVERIFY2(runField(id, "error").contains(QStringLiteral("rank 1 (process %1) was killed by signal 9").arg(rank1)),
                 qPrintable(runField(id, "error")));

        const ProgramResult resumed = run({"train", "--db", m_db, "--resume", QString::number(id), "--nproc", "2", "--threads", "1"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        QCOMPARE(runField(id, "status"), QStringLiteral("finished"));
        const auto after = storedLosses(id);
        QCOMPARE(after.size(), std::size_t(40));
        for (int step = 1; step <= 40; ++step)
            QVERIFY2(after.at(step) == expected.at(step),
                     qPrintable(QStringLiteral("step %1: %2 vs %3").arg(step).arg(after.at(step), 0, 'g', 17).arg(expected.at(step), 0, 'g', 17)));
    }

    void twoMachinesRunTheSameCommandWithTheirNodeRank()
    {
        // torchrun's flags: each "machine" (two launchers here, over 127.0.0.1) starts its own
        // process, node 0 records the run, node 1's rank logs to rank-1.log in the run folder.
        const QString port = QString::number(freePort());
        const QStringList machine = m_common + QStringList{"--name", "two machines", "--set", "train.steps=12", "--nproc", "1",
                                                           "--nnodes", "2", "--master-addr", "127.0.0.1", "--master-port", port};
        QProcess second;
        second.start(qEnvironmentVariable("TASKMOE_BIN_DIR") + QStringLiteral("/taskmoe"), machine + QStringList{"--node-rank", "1"});
        QVERIFY(second.waitForStarted());
        const ProgramResult first = run(machine + QStringList{"--node-rank", "0"});
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        QVERIFY(second.waitForFinished(120000));
        QCOMPARE(second.exitCode(), 0);
        const qint64 id = runOf(first.out);
        QCOMPARE(runField(id, "status"), QStringLiteral("finished"));
        QCOMPARE(storedLosses(id).size(), std::size_t(12));
        QVERIFY(lastValue(id, "rank.1.step_ms") > 0);
        const QString folder = QJsonDocument::fromJson(first.out.section(QLatin1Char('\n'), 0, 0).toUtf8()).object().value("checkpoints").toString();
        QFile log(folder + QStringLiteral("/rank-1.log"));
        QVERIFY2(log.open(QIODevice::ReadOnly), qPrintable(log.fileName()));
        QVERIFY(QString::fromUtf8(log.readAll()).contains(QStringLiteral("rank 1 of 2")));
    }

    void aRunResumesOnAnotherNumberOfRanks()
    {
        // 1 → 2: a single process killed after step 15 goes on as two ranks.
        QProcess job;
        QString folder;
        const qint64 id = startUntil(job, m_common + QStringList{"--name", "one then two"}, 15, &folder);
        QVERIFY(id > 0);
        ::kill(pid_t(job.processId()), SIGKILL);
        QVERIFY(job.waitForFinished(30000));
        ProgramResult r = run({"train", "--db", m_db, "--resume", QString::number(id), "--nproc", "2", "--threads", "1"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(runField(id, "status"), QStringLiteral("finished"));
        QCOMPARE(storedLosses(id).rbegin()->first, 40);

        // 2 → 1: two ranks stopped by SIGTERM to rank 0 (a cancel) at a step both agree on, then one process.
        QProcess two;
        const qint64 other = startUntil(two, m_common + QStringList{"--name", "two then one", "--nproc", "2"}, 12, &folder);
        QVERIFY(other > 0);
        ::kill(pid_t(two.processId()), SIGTERM);
        QVERIFY(two.waitForFinished(60000));
        QCOMPARE(two.exitCode(), 0);
        QCOMPARE(runField(other, "status"), QStringLiteral("cancelled"));
        r = run({"train", "--db", m_db, "--resume", QString::number(other), "--threads", "1"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(runField(other, "status"), QStringLiteral("finished"));
        QCOMPARE(storedLosses(other).rbegin()->first, 40);
    }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "tst_distributed.moc"
