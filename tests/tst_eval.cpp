// End to end through the real program: a tiny model is trained, then translated with
// (`translate`), evaluated (`eval`: BLEU/chrF per pair, aggregates and routing statistics in the
// store), traced (`route`) and its routing matrices printed (`routing`); bad input is refused
// with a message that names what is wrong.
#include "core/eval/bleu.h"
#include "db/store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include "programsupport.h"

#include <QtTest>

#include <cmath>
#include <set>

using namespace taskmoe;

namespace {

using Result = taskmoe::test::ProgramResult;

} // namespace

class TestEval : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_db;
    qint64 m_run = 0;

    Result run(const QStringList &args, const QByteArray &input = {}) { return taskmoe::test::runTaskmoe(args, input); }

    QString write(const QString &name, const QByteArray &content)
    {
        return taskmoe::test::writeFixture(m_dir.filePath(name), content);
    }

    QString checkpointPath()
    {
        db::Store store(m_db);
        return store.checkpoints(m_run).back().path;
    }

    /// The first `n` en-de test sentences of the dataset (source, reference).
    std::pair<QStringList, QStringList> enDeTest(int n)
    {
        db::Store store(m_db);
        const auto dataset = store.dataset(store.run(m_run).datasetId);
        QStringList src, ref;
        for (const auto &p : dataset.pairs)
            if (p.srcLang == QLatin1String("en") && p.tgtLang == QLatin1String("de"))
                for (const auto &row : store.segments(p.id, QStringLiteral("test"))) {
                    if (src.size() == n)
                        break;
                    src << row.src;
                    ref << row.tgt;
                }
        return {src, ref};
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = m_dir.filePath(QStringLiteral("store.sqlite"));
        Result r = run({"corpus", "synth", "--db", m_db, "--largest", "600", "--multiway", "20"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = run({"train", "--db", m_db, "--preset", "tiny", "--set", "model.vocab_size=700", "--set", "train.steps=40"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        m_run = 1;
    }

    void translateWritesALinePerInputLineAndKeepsEmptyLinesEmpty()
    {
        const auto [src, ref] = enDeTest(3);
        const QByteArray input = (src[0] + "\n\n" + src[1] + "\n" + src[2] + "\n").toUtf8();
        for (const QString beam : {"1", "3"}) {
            const Result r = run({"translate", "--db", m_db, "--run", QString::number(m_run), "--to", "de", "--beam", beam}, input);
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
            const QStringList lines = r.out.split('\n');
            QCOMPARE(lines.size(), 5);  // four lines and the final newline
            QCOMPARE(lines[1], QString());
        }
        // A model file works the same as the run's checkpoint.
        const Result byFile = run({"translate", "--model", checkpointPath(), "--to", "de", "--beam", "1"}, input);
        const Result byRun = run({"translate", "--db", m_db, "--run", QString::number(m_run), "--to", "de", "--beam", "1"}, input);
        QCOMPARE(byFile.exitCode, 0);
        QCOMPARE(byFile.out, byRun.out);
    }

    void badTranslationInputIsRefusedWithItsPlace()
    {
        const QString runId = QString::number(m_run);
        Result r = run({"translate", "--db", m_db, "--run", runId, "--to", "xx"}, "hello\n");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("--to xx") && r.err.contains("does not know"), qPrintable(r.err));
        r = run({"translate", "--db", m_db, "--run", runId, "--to", "de"}, "fine\nbad \xff byte\n");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("<stdin>: line 2") && r.err.contains("UTF-8"), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());  // nothing is written before the input is known to be good
        r = run({"translate", "--model", m_dir.filePath("missing.tmf"), "--to", "de"}, "hello\n");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("missing.tmf"), qPrintable(r.err));

        QFile model(checkpointPath());
        QVERIFY(model.open(QIODevice::ReadOnly));
        const QByteArray bytes = model.readAll();
        const QString truncated = write("truncated.tmf", bytes.left(bytes.size() / 2));
        r = run({"translate", "--model", truncated, "--to", "de"}, "hello\n");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("truncated.tmf"), qPrintable(r.err));
        QByteArray flipped = bytes;
        flipped[flipped.size() / 2] = char(flipped[flipped.size() / 2] ^ 0x40);
        const QString corrupt = write("corrupt.tmf", flipped);
        r = run({"translate", "--model", corrupt, "--to", "de"}, "hello\n");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("corrupt.tmf") && r.err.contains("SHA-256"), qPrintable(r.err));

        // A run that has not written a checkpoint yet.
        qint64 empty = 0;
        {
            db::Store store(m_db);
            db::RunRecord rec = store.run(m_run);
            rec.id = 0;
            rec.name = QStringLiteral("no checkpoints");
            rec.status = db::RunStatus::Queued;
            empty = store.addRun(rec);
        }
        r = run({"translate", "--db", m_db, "--run", QString::number(empty), "--to", "de"}, "hello\n");
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("has no checkpoints"), qPrintable(r.err));
        r = run({"eval", "--db", m_db, "--run", QString::number(empty)});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("has no checkpoints"), qPrintable(r.err));
    }

    void evalStoresPerPairScoresAggregatesAndRoutingStatistics()
    {
        const Result r = run({"eval", "--db", m_db, "--run", QString::number(m_run), "--limit", "6", "--beam", "2",
                              "--pairs", "en-de,de-en,en-es,es-en", "--format", "json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("[1/4]") && r.err.contains("[4/4]"), qPrintable(r.err));  // progress per pair
        const QJsonArray rows = QJsonDocument::fromJson(r.out.toUtf8()).array();
        std::map<QString, QJsonObject> byPair;
        for (const auto &v : rows)
            byPair[v.toObject().value("pair").toString()] = v.toObject();
        for (const char *name : {"en-de", "de-en", "en-es", "es-en", "average", "xx-en", "en-xx"})
            QVERIFY2(byPair.count(name), name);

        db::Store store(m_db);
        const auto stored = store.runEvaluations(m_run);
        int pairRows = 0, aggregateRows = 0;
        double enDeBleu = -1;
        for (const auto &e : stored) {
            (e.aggregate ? aggregateRows : pairRows) += 1;
            QCOMPARE(e.split, QStringLiteral("test"));
            QVERIFY(e.modelId > 0);
            if (!e.aggregate)
                QCOMPARE(e.sentences, 6);
            if (e.metric == QLatin1String("BLEU"))
                QVERIFY2(e.signature.startsWith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:"), qPrintable(e.signature));
            if (e.pair == QLatin1String("en-de") && e.metric == QLatin1String("BLEU"))
                enDeBleu = e.score;
        }
        QCOMPARE(pairRows, 8);  // 4 pairs × BLEU, chrF
        QVERIFY(aggregateRows >= 6);
        // The average is the mean of the per-pair scores.
        double sum = 0;
        for (const char *name : {"en-de", "de-en", "en-es", "es-en"})
            sum += byPair[name].value("BLEU").toDouble();
        QVERIFY(std::abs(byPair["average"].value("BLEU").toDouble() - sum / 4) < 1e-9);

        // The stored en-de BLEU is what `translate` + `bleu` give for the same sentences.
        const auto [src, ref] = enDeTest(6);
        const Result t = run({"translate", "--db", m_db, "--run", QString::number(m_run), "--to", "de", "--beam", "2"},
                             (src.join('\n') + '\n').toUtf8());
        QCOMPARE(t.exitCode, 0);
        const QString hypPath = write("ende.hyp", t.out.toUtf8());
        const QString refPath = write("ende.ref", (ref.join('\n') + '\n').toUtf8());
        const Result b = run({"bleu", "--ref", refPath, "--hyp", hypPath, "--format", "json"});
        QCOMPARE(b.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(b.out.toUtf8()).object().value("score").toDouble(), enDeBleu);

        // Routing statistics: every (side, MoE layer, pair, expert) with consistent counts.
        const auto checkpoints = store.checkpoints(m_run);
        const auto stats = store.routingStats(stored.front().modelId, checkpoints.back().step);
        QVERIFY(!stats.empty());
        std::map<std::pair<QString, QString>, std::pair<qint64, qint64>> top1AndTopk;
        for (const auto &s : stats) {
            QVERIFY(s.processed <= s.topk && s.top1 <= s.topk && s.gateMass <= double(s.topk) + 1e-9);
            auto &t = top1AndTopk[{db::sideName(s.side) + QString::number(s.layer), s.task}];
            t.first += s.top1;
            t.second += s.topk;
        }
        QCOMPARE(int(top1AndTopk.size()), 2 * 4);  // encoder layer 1 and decoder layer 1, four pairs
        for (const auto &[key, t] : top1AndTopk)
            QCOMPARE(t.second, 2 * t.first);  // top-2: each token chose two experts
    }

    void routingPrintsEachTasksExpertShares()
    {
        // (evalStores… recorded the statistics.)
        Result r = run({"routing", "--db", m_db, "--run", QString::number(m_run), "--side", "decoder", "--format", "json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonArray rows = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(rows.size(), 4);
        for (const auto &v : rows) {
            const QJsonObject row = v.toObject();
            double total = 0;
            int used = 0;
            for (int e = 0; e < 4; ++e) {
                const double share = row.value(QStringLiteral("e%1").arg(e)).toDouble();
                total += share;
                used += share > 0;
            }
            QVERIFY(std::abs(total - 1.0) < 1e-9);
            // Task routing by target language: a task's decoder tokens all go to the same 2 experts.
            QCOMPARE(used, 2);
            QVERIFY(std::abs(row.value("entropy").toDouble() - std::log(2.0)) < 0.7);
        }
        r = run({"routing", "--db", m_db, "--run", QString::number(m_run), "--side", "encoder", "--measure", "top1",
                 "--format", "csv"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.startsWith("task,tokens,e0,e1,e2,e3,entropy"));

        r = run({"routing", "--db", m_db, "--run", QString::number(m_run), "--side", "decoder", "--layer", "0"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("MoE layers are 1"), qPrintable(r.err));
        // Training recorded the dev sample's routing at its checkpoints; without a recording, the
        // error says how to make one.
        r = run({"routing", "--db", m_db, "--run", QString::number(m_run), "--checkpoint", "10", "--format", "json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(!QJsonDocument::fromJson(r.out.toUtf8()).array().isEmpty());
        {
            db::Store store(m_db);
            for (const auto &c : store.checkpoints(m_run))
                if (c.step == 10)
                    store.replaceRoutingStats(store.checkpointModel(c, {}), 10, {});
        }
        r = run({"routing", "--db", m_db, "--run", QString::number(m_run), "--checkpoint", "10"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no routing statistics") && r.err.contains("taskmoe eval"), qPrintable(r.err));
        r = run({"routing", "--db", m_db, "--run", QString::number(m_run), "--measure", "median"});
        QCOMPARE(r.exitCode, 2);
    }

    void routeTracesEveryTokenOfOneSentence()
    {
        const auto [src, ref] = enDeTest(1);
        const Result r = run({"route", "--db", m_db, "--run", QString::number(m_run), "--to", "de", "--text", src[0]});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject trace = QJsonDocument::fromJson(r.out.toUtf8()).object();
        const int sourcePieces = trace.value("source").toObject().value("pieces").toArray().size();
        const int targetPieces = trace.value("translation").toObject().value("pieces").toArray().size();
        const QJsonArray layers = trace.value("layers").toArray();
        QCOMPARE(layers.size(), 2);
        for (const auto &v : layers) {
            const QJsonObject layer = v.toObject();
            const QJsonArray tokens = layer.value("tokens").toArray();
            const bool decoder = layer.value("side").toString() == QLatin1String("decoder");
            QCOMPARE(tokens.size(), decoder ? targetPieces + 1 : sourcePieces);
            for (const auto &t : tokens) {
                QCOMPARE(t.toObject().value("experts").toArray().size(), 2);
                if (decoder)  // task routing: the same experts for every target token
                    QCOMPARE(t.toObject().value("experts"), tokens.first().toObject().value("experts"));
            }
        }
        QCOMPARE(layers.first().toObject().value("tokens").toArray().first().toObject().value("piece").toString(),
                 QStringLiteral("<2de>"));
    }
};

QTEST_GUILESS_MAIN(TestEval)
#include "tst_eval.moc"
