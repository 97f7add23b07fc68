// End to end through the real program: the quick `dense` preset, shortened to 500 steps, learns
// to translate the quick synthetic corpus — dev BLEU, measured while it trains, rises from
// about 0 to clearly above it — and its best checkpoint (by dev BLEU) is what
// `--checkpoint best` evaluates; a run with a time budget ends as `finished` when it is used. Bad budgets,
// configurations that cannot fit in memory and `--checkpoint best` without a dev BLEU are
// refused with a sentence naming the key, and nothing is stored.
//
// The threshold is deliberately low. What the presets reach with their full budget is measured
// by tools/measure-presets.sh and reported in the README, not asserted here.
#include "db/store.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include "programsupport.h"

#include <QtTest>

using namespace taskmoe;
using Result = taskmoe::test::ProgramResult;

class TestQuickLearning : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static Result run(const QStringList &args, int timeoutMs = 240000) { return taskmoe::test::runTaskmoe(args, {}, timeoutMs); }

    /// The values of one metric of a run, by step.
    std::map<qint64, double> metric(const QString &db, qint64 runId, const QString &key)
    {
        const Result r = run({"metrics", "--db", db, "--run", QString::number(runId), "--key", key, "--format", "json"});
        if (r.exitCode != 0)
            qFatal("metrics: %s", qPrintable(r.err));
        std::map<qint64, double> out;
        const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8());
        const QJsonArray rows = doc.isArray() ? doc.array() : doc.object().value(QStringLiteral("rows")).toArray();
        for (const auto &row : rows)
            out[row.toObject().value(QStringLiteral("step")).toInteger()] = row.toObject().value(QStringLiteral("value")).toDouble();
        return out;
    }

private slots:
    void quickDensePresetLearnsToTranslateWithinItsBudget()
    {
        const QString db = m_dir.filePath(QStringLiteral("quick.sqlite"));
        // 500 steps instead of a 15-minute budget, so that a loaded machine trains as far as an
        // idle one, with the inverse square root schedule: a cosine decay over only 500 steps
        // would cool down before the model has learnt to align (dev BLEU 1.3 instead of ~7 here).
        const Result train = run({"train", "--db", db, "--preset", "dense", "--set", "train.steps=500", "--set",
                                  "train.max_minutes=null", "--set", "train.schedule=rsqrt", "--set",
                                  "train.eval_every=250", "--set", "train.checkpoint_every=250"},
                                 20 * 60 * 1000);
        QVERIFY2(train.exitCode == 0, qPrintable(train.err));
        {
            db::Store store(db);
            const auto runs = store.runs();
            QCOMPARE(runs.size(), 1);
            QCOMPARE(runs[0].status, db::RunStatus::Finished);
        }
        const auto bleu = metric(db, 1, QStringLiteral("dev_bleu"));
        QVERIFY(bleu.size() >= 2);
        const double first = bleu.begin()->second, last = bleu.rbegin()->second;
        double best = 0;
        for (const auto &[step, value] : bleu)
            best = std::max(best, value);
        qInfo("dev BLEU (greedy, 20 sentences per direction): %.2f at step 0, %.2f at step %lld (best %.2f)", first, last,
              static_cast<long long>(bleu.rbegin()->first), best);
        QCOMPARE(bleu.begin()->first, qint64(0));
        QVERIFY2(first < 1.0, qPrintable(QString::number(first)));
        // After 500 steps (2 million tokens) the model has begun to translate, far from trained:
        // the quick preset's own run was at dev BLEU 6.85 and dev cross-entropy 1.52 at step 500.
        QVERIFY2(last > 3.0, qPrintable(QString("dev BLEU only reached %1").arg(last)));
        const auto devLoss = metric(db, 1, QStringLiteral("dev_loss"));
        QVERIFY2(devLoss.rbegin()->second < devLoss.begin()->second - 4,
                 qPrintable(QString("dev cross-entropy %1 -> %2").arg(devLoss.begin()->second).arg(devLoss.rbegin()->second)));
        // Per direction too: every direction of the quick corpus has its own curve.
        QCOMPARE(metric(db, 1, QStringLiteral("dev_bleu.en-de")).size(), bleu.size());
        // The dev evaluations' own time is recorded, to check what they cost.
        QCOMPARE(metric(db, 1, QStringLiteral("dev_eval_s")).size(), bleu.size());

        // --checkpoint best evaluates the checkpoint with the highest dev BLEU.
        const Result eval = run({"eval", "--db", db, "--run", "1", "--checkpoint", "best", "--beam", "1", "--limit", "20",
                                 "--no-routing", "--format", "json"});
        QVERIFY2(eval.exitCode == 0, qPrintable(eval.err));
        QVERIFY2(eval.err.contains(QStringLiteral("best checkpoint is step")), qPrintable(eval.err));
        const QJsonArray result = QJsonDocument::fromJson(eval.out.toUtf8()).array();
        qint64 bestStep = -1;
        for (const auto &[step, value] : bleu)
            if (value == best && step >= bestStep)
                bestStep = step;
        db::Store store(db);
        bool checkpointed = false;
        for (const auto &c : store.checkpoints(1))
            checkpointed |= c.step == bestStep;
        if (checkpointed)
            QVERIFY2(eval.err.contains(QStringLiteral("step %1 ").arg(bestStep)), qPrintable(eval.err));
        QVERIFY2(!result.isEmpty(), qPrintable(eval.out.left(400)));   // per-pair rows and the averages
    }

    void timeBudgetFinishesTheRunWithAFinalCheckpoint()
    {
        const QString db = m_dir.filePath(QStringLiteral("budget.sqlite"));
        const Result train = run({"train", "--db", db, "--preset", "tiny", "--set", "train.steps=1000000", "--minutes", "0.1",
                                  "--set", "train.eval_every=1000000", "--set", "train.checkpoint_every=1000000"});
        QVERIFY2(train.exitCode == 0, qPrintable(train.err));
        QVERIFY2(train.out.contains(QStringLiteral("\"budget_used\":true")), qPrintable(train.out.right(600)));
        db::Store store(db);
        QCOMPARE(store.runs().size(), 1);
        QCOMPARE(store.runs()[0].status, db::RunStatus::Finished);
        const auto checkpoints = store.checkpoints(1);
        QCOMPARE(checkpoints.size(), 1);   // the final one, at the step the budget ended
        const auto devLoss = metric(db, 1, QStringLiteral("dev_loss"));
        QVERIFY2(devLoss.count(checkpoints[0].step), "a dev evaluation at the final step");
        QVERIFY(checkpoints[0].step > 1 && checkpoints[0].step < 1000000);
    }

    void badBudgetIsRefusedNamingTheKeyAndNothingIsStored_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("named");
        QTest::newRow("--minutes 0") << QStringList{"--minutes", "0"} << "train.max_minutes";
        QTest::newRow("--minutes -3") << QStringList{"--minutes", "-3"} << "train.max_minutes";
        QTest::newRow("max_minutes=0") << QStringList{"--set", "train.max_minutes=0"} << "train.max_minutes";
        QTest::newRow("unknown schedule") << QStringList{"--set", "train.schedule=step"} << "train.schedule";
        QTest::newRow("negative dev BLEU sample") << QStringList{"--set", "train.dev_bleu_sentences=-1"}
                                                  << "train.dev_bleu_sentences";
        QTest::newRow("unknown corpus") << QStringList{"--set", "data.corpus=huge"} << "data.corpus";
        QTest::newRow("ten million experts do not fit") << QStringList{"--set", "model.experts=10000000"} << "GiB";
    }

    void badBudgetIsRefusedNamingTheKeyAndNothingIsStored()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, named);
        const QString db = m_dir.filePath(QStringLiteral("refused-%1.sqlite").arg(QTest::currentDataTag()));
        const Result r = run(QStringList{"train", "--db", db, "--preset", "tiny"} + args);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(named), qPrintable(r.err));
        QVERIFY2(!QFileInfo::exists(db), "a refused configuration must not create a store");
    }

    void checkpointBestWithoutDevBleuIsRefused()
    {
        const QString db = m_dir.filePath(QStringLiteral("nobleu.sqlite"));
        const Result train = run({"train", "--db", db, "--preset", "tiny", "--set", "train.dev_bleu_sentences=0",
                                  "--set", "train.steps=4"});
        QVERIFY2(train.exitCode == 0, qPrintable(train.err));
        const Result eval = run({"eval", "--db", db, "--run", "1", "--checkpoint", "best", "--limit", "2"});
        QCOMPARE(eval.exitCode, 1);
        QVERIFY2(eval.err.contains(QStringLiteral("--checkpoint best")) && eval.err.contains(QStringLiteral("dev BLEU")),
                 qPrintable(eval.err));
        db::Store store(db);
        QVERIFY(store.evaluations(0).isEmpty());
        QCOMPARE(store.runEvaluations(1).size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestQuickLearning)
#include "tst_quicklearning.moc"
