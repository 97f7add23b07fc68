// `taskmoe bench --comm --nproc N`: the communication of expert parallelism, token routing against
// task routing, measured side by side in one run with the real program on N local ranks.
#include "app/cli.h"

#include "db/store.h"
#include "usecases/commsummary.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTextStream>

#include <cstdio>
#include <map>

namespace taskmoe::app {

namespace {

struct CommMeasurement
{
    QString label;
    QString preset;
    QStringList sets;   ///< extra --set overrides
    qint64 run = 0;
    usecases::CommSummary summary;
};

} // namespace

int benchComm(const CommandLine &cli)
{
    const int nproc = int(cli.intValue(QStringLiteral("nproc"), 2, 64));
    const qint64 steps = cli.isSet(QStringLiteral("steps")) ? cli.intValue(QStringLiteral("steps"), 6, 100000) : 60;
    const QStringList presets{cli.value(QStringLiteral("token-preset")), cli.value(QStringLiteral("task-preset"))};
    const QString folder = QFileInfo(cli.dbPath()).absolutePath();
    if (!QDir().mkpath(folder))
        throw CommandError(QStringLiteral("%1: cannot create the folder").arg(folder));
    QTemporaryDir scratch(folder + QStringLiteral("/taskmoe-comm-XXXXXX"));
    if (!scratch.isValid())
        throw CommandError(QStringLiteral("%1: cannot create a scratch folder: %2").arg(folder, scratch.errorString()));
    const QString store = scratch.filePath(QStringLiteral("comm.sqlite"));

    QTextStream out(stdout);
    // Token routing against task routing; task routing again with its experts split over the
    // ranks like token routing's; token routing again with the gradient sums after the
    // backward pass instead of beside it.
    std::vector<CommMeasurement> results{{presets[0], presets[0], {}, 0, {}},
                                         {presets[1], presets[1], {}, 0, {}},
                                         {presets[1] + QStringLiteral(", split"), presets[1],
                                          {QStringLiteral("train.shard_task_experts=1")}, 0, {}},
                                         {presets[0] + QStringLiteral(", sums after"), presets[0],
                                          {QStringLiteral("train.overlap_gradients=0")}, 0, {}}};
    for (auto &m : results) {
        std::fprintf(stderr, "training %s on %d ranks with expert parallelism for %lld steps…\n", qPrintable(m.label), nproc,
                     static_cast<long long>(steps));
        QStringList arguments{QStringLiteral("train"), QStringLiteral("--db"), store, QStringLiteral("--preset"), m.preset,
                              QStringLiteral("--nproc"), QString::number(nproc), QStringLiteral("--expert-parallel"),
                              QStringLiteral("--threads"), QString::number(std::max(1, cli.threads() / nproc)),
                              QStringLiteral("--set"), QStringLiteral("train.steps=%1").arg(steps),
                              QStringLiteral("--set"), QStringLiteral("train.log_every=%1").arg(std::max<qint64>(1, steps / 6)),
                              QStringLiteral("--set"), QStringLiteral("train.eval_every=%1").arg(steps * 10),
                              QStringLiteral("--set"), QStringLiteral("train.checkpoint_every=%1").arg(steps * 10),
                              QStringLiteral("--set"), QStringLiteral("train.dev_bleu_sentences=0"),
                              QStringLiteral("--name"), QStringLiteral("bench-comm-") + m.label};
        for (const QString &set : m.sets)
            arguments << QStringLiteral("--set") << set;
        QProcess train;
        train.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        train.start(QCoreApplication::applicationFilePath(), arguments);
        if (!train.waitForFinished(-1) || train.exitStatus() != QProcess::NormalExit || train.exitCode() != 0)
            throw CommandError(QStringLiteral("bench --comm: training %1 on %2 ranks failed (exit %3)")
                                   .arg(m.label).arg(nproc).arg(train.exitCode()));
        db::Store s(store);
        for (const auto &r : s.runs())
            if (r.name == QStringLiteral("bench-comm-") + m.label)
                m.run = r.id;
        m.summary = usecases::commSummary(s, m.run);
        if (m.summary.reports == 0)
            throw CommandError(QStringLiteral("bench --comm: %1 logged too few steps to measure; give more --steps").arg(m.label));
    }

    out << QStringLiteral("Expert parallelism on %1 local ranks (c10d/Gloo over 127.0.0.1), %2 steps per model, means over the "
                          "reports after the first:\n\n").arg(nproc).arg(steps);
    out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8 %9\n")
               .arg(QStringLiteral("model"), -24).arg(QStringLiteral("step ms"), 9).arg(QStringLiteral("tokens/s"), 9)
               .arg(QStringLiteral("exchange"), 9).arg(QStringLiteral("all comm"), 9).arg(QStringLiteral("MB exch/step"), 13)
               .arg(QStringLiteral("MB all/step"), 12).arg(QStringLiteral("copies moved"), 13)
               .arg(QStringLiteral("MB held/rank"), 13);
    for (const auto &[label, preset, sets, run, m] : results)
        out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8 %9\n")
                   .arg(label, -24).arg(m.stepMs, 9, 'f', 1).arg(m.tokensPerSecond, 9, 'f', 0)
                   .arg(QStringLiteral("%1 %").arg(100 * m.exchangeShare, 0, 'f', 2), 9)
                   .arg(QStringLiteral("%1 %").arg(100 * m.commShare, 0, 'f', 1), 9).arg(m.exchangeMb, 13, 'f', 3)
                   .arg(m.commMb, 12, 'f', 3).arg(QStringLiteral("%1 %").arg(100 * m.movedShare, 0, 'f', 1), 13)
                   .arg(m.stateMb, 13, 'f', 1);
    out << QStringLiteral("\nexchange = share of step time in the MoE layers' token exchanges (all-to-all, forward and "
                          "backward); all comm = with the gradient sums and the step's statistics; copies moved = token "
                          "copies sent to another rank's experts; MB held/rank = parameters and optimiser state rank 0 holds (token-routed "
                          "layers keep their rank's experts only; task-routed ones keep every expert, so that a task's "
                          "tokens never travel, or with \"split\" (train.shard_task_experts=1) their rank's experts, "
                          "a task's sentences going where most of its experts are).\n");
    const double ratio = results[0].summary.exchangeShare > 0
                             ? results[1].summary.exchangeShare / results[0].summary.exchangeShare
                             : 0;
    out << QStringLiteral("%1's exchange share is %2x %3's (goal: at most 0.10x)\n")
               .arg(results[1].preset).arg(ratio, 0, 'f', 3).arg(results[0].preset);
    const auto &split = results[2].summary, &whole = results[1].summary;
    out << QStringLiteral("%1 with its experts split over the ranks: exchange share %2x %3's, %4 % of copies moved, "
                          "%5 MB held per rank instead of %6\n")
               .arg(results[1].preset)
               .arg(results[0].summary.exchangeShare > 0 ? split.exchangeShare / results[0].summary.exchangeShare : 0, 0, 'f', 3)
               .arg(results[0].preset)
               .arg(100 * split.movedShare, 0, 'f', 1)
               .arg(split.stateMb, 0, 'f', 1)
               .arg(whole.stateMb, 0, 'f', 1);
    const auto &after = results[3].summary, &beside = results[0].summary;
    out << QStringLiteral("gradient sums beside the backward pass: %1's step %2 ms vs %3 ms with the sums after it (%4x), "
                          "communication %5 % vs %6 % of the step\n")
               .arg(results[0].preset)
               .arg(beside.stepMs, 0, 'f', 1)
               .arg(after.stepMs, 0, 'f', 1)
               .arg(after.stepMs > 0 ? beside.stepMs / after.stepMs : 0, 0, 'f', 3)
               .arg(100 * beside.commShare, 0, 'f', 1)
               .arg(100 * after.commShare, 0, 'f', 1);
    return ExitOk;
}

} // namespace taskmoe::app
