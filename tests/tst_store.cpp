// The SQLite store: migrations from an empty file, refusal of files it must not touch,
// verbatim storage of hostile names, batched metrics, and every table's round trip.
#include "db/store.h"

#include <QCryptographicHash>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtEndian>
#include <QtTest>

using namespace taskmoe::db;

namespace {

QByteArray fileHash(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

NewPair makePair(const QString &src, const QString &tgt, int train)
{
    NewPair p;
    p.info.srcLang = src;
    p.info.tgtLang = tgt;
    p.info.train = train;
    p.info.dev = 1;
    p.info.resourceClass = train >= 3 ? QStringLiteral("high") : QStringLiteral("low");
    for (int i = 0; i < train; ++i)
        p.segments.push_back({QStringLiteral("train"), -1, QStringLiteral("source %1").arg(i), QStringLiteral("ziel %1").arg(i)});
    p.segments.push_back({QStringLiteral("dev"), -1, QStringLiteral("dev source"), QStringLiteral("dev ziel")});
    return p;
}

DatasetRecord makeDataset(const QString &name, const QString &fingerprint)
{
    DatasetRecord d;
    d.name = name;
    d.kind = QStringLiteral("tsv");
    d.source = QStringLiteral("test");
    d.fingerprint = fingerprint;
    d.languages = {{QStringLiteral("de"), QStringLiteral("German"), {}, QStringLiteral("Latin")},
                   {QStringLiteral("en"), QStringLiteral("English"), {}, QStringLiteral("Latin")}};
    return d;
}

} // namespace

class TestStore : public QObject
{
    Q_OBJECT

private slots:
    void init() { QVERIFY(m_dir.isValid()); }

    void migratesAnEmptyFileToTheCurrentSchema()
    {
        const QString path = m_dir.filePath(QStringLiteral("empty.sqlite"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        {
            Store store(path);
            QVERIFY(store.datasets().isEmpty());
            QVERIFY(store.runs().isEmpty());
        }
        // user_version is recorded; WAL is on.
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("check"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("PRAGMA user_version")) && q.next());
            QCOMPARE(q.value(0).toInt(), Store::schemaVersion());
            QVERIFY(q.exec(QStringLiteral("PRAGMA journal_mode")) && q.next());
            QCOMPARE(q.value(0).toString(), QStringLiteral("wal"));
            const QStringList tables = db.tables();
            for (const char *t : {"datasets", "dataset_pairs", "dataset_languages", "segments", "vocabularies",
                                  "experiments", "runs", "metrics", "metric_keys", "checkpoints", "models",
                                  "evaluations", "routing_stats", "benchmarks"})
                QVERIFY2(tables.contains(QLatin1String(t)), t);
        }
        QSqlDatabase::removeDatabase(QStringLiteral("check"));
    }

    void createsANewFileAndItsFolder()
    {
        const QString path = m_dir.filePath(QStringLiteral("a/b/new.sqlite"));
        {
            Store store(path);
        }
        QVERIFY(QFile::exists(path));
        Store again(path);  // reopening an up-to-date store migrates nothing
        QVERIFY(again.datasets().isEmpty());
    }

    void refusesFilesItMustNotTouch_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");
        QTest::newRow("text file") << QByteArray("name,value\n1,2\n") << QStringLiteral("not an SQLite database");
        QTest::newRow("short binary") << QByteArray("\x00\x01\x02", 3) << QStringLiteral("not an SQLite database");
        QByteArray fakeHeader(100, '\0');
        fakeHeader.replace(0, 16, QByteArray("SQLite format 2\0", 16));
        QTest::newRow("other magic") << fakeHeader << QStringLiteral("not an SQLite database");
    }
    void refusesFilesItMustNotTouch()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        const QString path = m_dir.filePath(QStringLiteral("bad-%1.sqlite").arg(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('-')));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(content);
        f.close();
        const QByteArray before = fileHash(path);
        try {
            Store store(path);
            QFAIL("a file that is not a store was opened");
        } catch (const StoreError &e) {
            QVERIFY2(e.message().contains(expected), qPrintable(e.message()));
            QVERIFY2(e.message().contains(path), qPrintable(e.message()));
        }
        QCOMPARE(fileHash(path), before);
        QVERIFY(!QFile::exists(path + QStringLiteral("-wal")));
    }

    void refusesADirectory()
    {
        try {
            Store store(m_dir.path());
            QFAIL("a directory was opened as a store");
        } catch (const StoreError &e) {
            QVERIFY2(e.message().contains(QStringLiteral("is a directory")), qPrintable(e.message()));
        }
    }

    void refusesAStoreFromANewerVersionUntouched()
    {
        const QString path = m_dir.filePath(QStringLiteral("newer.sqlite"));
        {
            Store store(path);
            store.addDataset(makeDataset(QStringLiteral("keep me"), QStringLiteral("f1")), {makePair("de", "en", 3)});
        }
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("bump"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("PRAGMA user_version = %1").arg(Store::schemaVersion() + 1)));
            QVERIFY(q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")));
            QVERIFY(q.exec(QStringLiteral("PRAGMA journal_mode = DELETE")));
        }
        QSqlDatabase::removeDatabase(QStringLiteral("bump"));
        const QByteArray before = fileHash(path);
        try {
            Store store(path);
            QFAIL("a newer store was opened");
        } catch (const StoreError &e) {
            QVERIFY2(e.message().contains(QStringLiteral("newer")), qPrintable(e.message()));
            QVERIFY2(e.message().contains(QString::number(Store::schemaVersion() + 1)), qPrintable(e.message()));
        }
        QCOMPARE(fileHash(path), before);
    }

    // Regression: an SQLite database of another program (user_version 0, its own tables) was
    // "migrated": our fourteen tables were added to it and its journal switched to WAL.
    void refusesAnotherProgramsDatabaseUntouched()
    {
        const QString path = m_dir.filePath(QStringLiteral("other-program.sqlite"));
        {
            auto db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("other"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("CREATE TABLE bookmarks (url TEXT)")));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO bookmarks VALUES ('https://example.org')")));
        }
        QSqlDatabase::removeDatabase(QStringLiteral("other"));
        const QByteArray before = fileHash(path);
        try {
            Store store(path);
            QFAIL("another program's database was opened as a store");
        } catch (const StoreError &e) {
            QVERIFY2(e.message().contains(path) && e.message().contains(QStringLiteral("not a TaskMoE store")),
                     qPrintable(e.message()));
        }
        QCOMPARE(fileHash(path), before);
        QVERIFY(!QFile::exists(path + QStringLiteral("-wal")));
    }

    void storesNamesWithQuotesAndSqlVerbatim()
    {
        Store store(m_dir.filePath(QStringLiteral("names.sqlite")));
        const QString evil = QStringLiteral("Robert'); DROP TABLE datasets;-- \"quoted\" ünïcødé");
        const qint64 id = store.addDataset(makeDataset(evil, QStringLiteral("f-evil")), {makePair("de", "en", 2)});
        QCOMPARE(store.dataset(id).name, evil);
        QCOMPARE(store.datasets().size(), 1);
        RunRecord run;
        run.kind = QStringLiteral("train");
        run.name = evil;
        run.status = RunStatus::Finished;
        const qint64 runId = store.addRun(run);
        QCOMPARE(store.run(runId).name, evil);
    }

    void datasetRoundTripKeepsPairsLanguagesAndSentences()
    {
        Store store(m_dir.filePath(QStringLiteral("rt.sqlite")));
        const qint64 id = store.addDataset(makeDataset(QStringLiteral("two pairs"), QStringLiteral("fp")),
                                           {makePair("de", "en", 5), makePair("fr", "en", 2)});
        const DatasetRecord d = store.dataset(id);
        QCOMPARE(d.pairs.size(), 2);
        QCOMPARE(d.languages.size(), 2);
        QCOMPARE(d.pairs[0].name(), QStringLiteral("de-en"));
        QCOMPARE(d.pairs[0].train, 5);
        QCOMPARE(d.pairs[1].resourceClass, QStringLiteral("low"));
        QCOMPARE(d.totalSentences(), 5 + 1 + 2 + 1);
        const auto rows = store.segments(d.pairs[0].id, QStringLiteral("train"));
        QCOMPARE(rows.size(), std::size_t(5));
        QCOMPARE(rows[4].src, QStringLiteral("source 4"));
        QCOMPARE(store.findDatasetByFingerprint(QStringLiteral("fp")), id);
        QCOMPARE(store.findDatasetByFingerprint(QStringLiteral("nope")), 0);
    }

    void aFailedDatasetInsertLeavesNothingBehind()
    {
        Store store(m_dir.filePath(QStringLiteral("atomic.sqlite")));
        store.addDataset(makeDataset(QStringLiteral("first"), QStringLiteral("same")), {makePair("de", "en", 3)});
        // The same fingerprint violates a UNIQUE constraint: the whole insert must roll back.
        QVERIFY_THROWS_EXCEPTION(StoreError, store.addDataset(makeDataset(QStringLiteral("second"), QStringLiteral("other")),
                                                              {makePair("de", "en", 3), makePair("de", "en", 3)}));
        QCOMPARE(store.datasets().size(), 1);
        QCOMPARE(store.datasets().front().name, QStringLiteral("first"));
    }

    void metricsAreWrittenInBatchesAndReadBackInOrder()
    {
        Store store(m_dir.filePath(QStringLiteral("metrics.sqlite")));
        RunRecord run;
        run.kind = QStringLiteral("train");
        run.status = RunStatus::Running;
        const qint64 runId = store.addRun(run);
        std::vector<MetricPoint> points;
        for (int step = 0; step < 450; ++step) {  // 900 rows: four full multi-row inserts and a remainder
            points.push_back({runId, step, QStringLiteral("loss"), 10.0 / (step + 1), 1000.0 + step});
            points.push_back({runId, step, QStringLiteral("lr"), 1e-3 * step, 1000.0 + step});
        }
        store.addMetrics(points);
        store.addMetrics({{runId, 450, QStringLiteral("loss"), 0.5, 2000.0}});
        const auto loss = store.metrics(runId, QStringLiteral("loss"));
        QCOMPARE(loss.size(), std::size_t(451));
        QCOMPARE(loss[3].step, 3);
        QCOMPARE(loss[3].value, 10.0 / 4);
        QCOMPARE(loss.back().value, 0.5);
        QCOMPARE(store.metrics(runId).size(), std::size_t(901));
        QCOMPARE(store.metricKeys(runId), (QStringList{QStringLiteral("loss"), QStringLiteral("lr")}));
    }

    void runStatusUpdatesSetTheEndTime()
    {
        Store store(m_dir.filePath(QStringLiteral("runs.sqlite")));
        RunRecord run;
        run.kind = QStringLiteral("train");
        run.status = RunStatus::Running;
        run.startedAt = QDateTime::currentDateTimeUtc();
        const qint64 id = store.addRun(run);
        QVERIFY(!store.run(id).endedAt.isValid());
        store.updateRunStatus(id, RunStatus::Failed, QStringLiteral("out of memory"));
        const RunRecord r = store.run(id);
        QCOMPARE(r.status, RunStatus::Failed);
        QCOMPARE(r.error, QStringLiteral("out of memory"));
        QVERIFY(r.endedAt.isValid());
        for (RunStatus s : {RunStatus::Queued, RunStatus::Running, RunStatus::Finished, RunStatus::Failed,
                            RunStatus::Cancelled, RunStatus::Interrupted})
            QCOMPARE(runStatusFromName(runStatusName(s)), std::optional<RunStatus>(s));
        QVERIFY(!runStatusFromName(QStringLiteral("exploded")));
        QVERIFY_THROWS_EXCEPTION(StoreError, store.updateRunStatus(999, RunStatus::Failed));
    }

    void twoStoresInOneFolderKeepTheirRunsApart()
    {
        const QString a = m_dir.filePath(QStringLiteral("a.sqlite")), b = m_dir.filePath(QStringLiteral("b.sqlite"));
        QCOMPARE(Store::runsFolder(a), a + QStringLiteral("-runs"));
        QVERIFY(Store::runFolder(a, 1) != Store::runFolder(b, 1));
        // A run's files are where its checkpoints are (older versions used runs/run-N).
        Store store(a);
        RunRecord run;
        run.kind = QStringLiteral("train");
        const qint64 id = store.addRun(run);
        QCOMPARE(store.runFolderOf(id), Store::runFolder(a, id));
        store.addCheckpoint({0, id, 500, m_dir.filePath(QStringLiteral("runs/run-1/step-000500.tmf")), QStringLiteral("ff"), 1, {}});
        QCOMPARE(store.runFolderOf(id), m_dir.filePath(QStringLiteral("runs/run-1")));
    }

    void resultTablesRoundTrip()
    {
        Store store(m_dir.filePath(QStringLiteral("results.sqlite")));
        const qint64 datasetId = store.addDataset(makeDataset(QStringLiteral("d"), QStringLiteral("fp2")), {makePair("de", "en", 3)});
        VocabularyRecord v;
        v.datasetId = datasetId;
        v.vocabSize = 100;
        v.temperature = 5;
        v.sha256 = QStringLiteral("abc");
        v.model = QByteArray("\x00\x01model", 7);
        const qint64 vocabId = store.addVocabulary(v);
        QCOMPARE(store.vocabulary(vocabId).model, v.model);
        QCOMPARE(store.vocabularies(datasetId).size(), 1);

        const qint64 exp = store.addExperiment({0, QStringLiteral("routing study"), QStringLiteral("token vs task"), {}});
        RunRecord run;
        run.kind = QStringLiteral("train");
        run.status = RunStatus::Finished;
        run.experimentId = exp;
        run.datasetId = datasetId;
        const qint64 runId = store.addRun(run);
        CheckpointRecord c{0, runId, 100, QStringLiteral("/tmp/c.pt"), QStringLiteral("ff"), 1234, {}};
        const qint64 ckpt = store.addCheckpoint(c);
        QCOMPARE(store.checkpoints(runId).front().bytes, 1234);
        ModelRecord m;
        m.runId = runId;
        m.checkpointId = ckpt;
        m.kind = QStringLiteral("subnetwork");
        m.task = QStringLiteral("de");
        m.path = QStringLiteral("/tmp/m.tmoe");
        m.sha256 = QStringLiteral("00");
        m.paramsTotal = 42;
        const qint64 modelId = store.addModel(m);
        QCOMPARE(store.models().front().paramsTotal, 42);
        EvaluationRecord e;
        e.modelId = modelId;
        e.split = QStringLiteral("test");
        e.pair = QStringLiteral("en-de");
        e.metric = QStringLiteral("BLEU");
        e.score = 27.25;
        e.signature = QStringLiteral("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0");
        store.addEvaluation(e);
        QCOMPARE(store.evaluations(modelId).front().score, 27.25);
        store.addRoutingStats({{modelId, 100, Side::Decoder, 1, QStringLiteral("de"), 3, 10, 20, 7.5, 18}});
        QCOMPARE(store.routingStats(modelId, 100).front().processed, 18);
        BenchmarkRecord b;
        b.modelId = modelId;
        b.kind = QStringLiteral("decode");
        b.tokensPerSecond = 1500;
        store.addBenchmark(b);
        QCOMPARE(store.benchmarks().front().tokensPerSecond, 1500.0);

        // Deleting the dataset removes its pairs, sentences and vocabularies; the run stays.
        store.deleteDataset(datasetId);
        QVERIFY(store.datasets().isEmpty());
        QCOMPARE(store.run(runId).datasetId, 0);
    }

    void bestCheckpointIsTheOneWithTheHighestDevBleuAtItsStep()
    {
        Store store(m_dir.filePath(QStringLiteral("best.sqlite")));
        RunRecord run;
        run.kind = QStringLiteral("train");
        run.status = RunStatus::Finished;
        const qint64 a = store.addRun(run), b = store.addRun(run);
        for (const qint64 step : {100, 200, 300})
            store.addCheckpoint({0, a, step, QStringLiteral("/tmp/a%1.tmf").arg(step), QStringLiteral("ff"), 1, {}});
        store.addCheckpoint({0, b, 100, QStringLiteral("/tmp/b100.tmf"), QStringLiteral("ff"), 1, {}});
        QVERIFY(!store.bestCheckpoint(a));   // no dev BLEU yet
        store.addMetrics({{a, 100, QStringLiteral("dev_bleu"), 5.0, 0},
                          {a, 200, QStringLiteral("dev_bleu"), 9.0, 0},
                          {a, 250, QStringLiteral("dev_bleu"), 12.0, 0},   // no checkpoint at 250
                          {a, 300, QStringLiteral("dev_bleu"), 9.0, 0},    // ties with 200: the later wins
                          {a, 300, QStringLiteral("dev_loss"), 99.0, 0},
                          {b, 100, QStringLiteral("dev_loss"), 1.0, 0}});
        const auto best = store.bestCheckpoint(a);
        QVERIFY(best.has_value());
        QCOMPARE(best->first.step, qint64(300));
        QCOMPARE(best->first.path, QStringLiteral("/tmp/a300.tmf"));
        QCOMPARE(best->second, 9.0);
        QVERIFY(!store.bestCheckpoint(b));   // a dev loss is not a dev BLEU
        const auto all = store.bestCheckpointSteps();
        QCOMPARE(all.size(), std::size_t(1));
        QCOMPARE(all.at(a).first, qint64(300));
        QCOMPARE(all.at(a).second, 9.0);
    }

    void twoConnectionsSeeEachOthersWrites()
    {
        const QString path = m_dir.filePath(QStringLiteral("shared.sqlite"));
        Store writer(path);
        Store reader(path);
        writer.addDataset(makeDataset(QStringLiteral("w"), QStringLiteral("fp3")), {makePair("de", "en", 3)});
        QCOMPARE(reader.datasets().size(), 1);
    }

    void routingStatSetsListEachModelAndStepWithItsRunAndLayers()
    {
        Store store(m_dir.filePath(QStringLiteral("routing-sets.sqlite")));
        QVERIFY(store.routingStatSets().isEmpty());

        RunRecord run;
        run.kind = QStringLiteral("train");
        run.status = RunStatus::Finished;
        run.name = QStringLiteral("task-moe 'target'");
        const qint64 runId = store.addRun(run);
        const qint64 ckpt = store.addCheckpoint({0, runId, 400, QStringLiteral("/tmp/c400.tmf"), QStringLiteral("ff"), 1, {}});
        ModelRecord m;
        m.runId = runId;
        m.checkpointId = ckpt;
        m.kind = QStringLiteral("full");
        m.path = QStringLiteral("/tmp/c400.tmf");
        m.sha256 = QStringLiteral("ff");
        const qint64 withRun = store.addModel(m);
        ModelRecord loose;
        loose.kind = QStringLiteral("subnetwork");
        loose.task = QStringLiteral("en-de");
        loose.path = QStringLiteral("/tmp/sub.tmf");
        loose.sha256 = QStringLiteral("00");
        const qint64 withoutRun = store.addModel(loose);

        const auto row = [](qint64 model, qint64 step, const char *side, int layer, const char *task, int expert) {
            return RoutingStatRecord{model, step, *sideFromName(QString::fromLatin1(side)), layer, QString::fromLatin1(task), expert, 1, 2, 0.5, 2};
        };
        std::vector<RoutingStatRecord> stats;
        for (int expert = 0; expert < 4; ++expert)
            for (const char *task : {"en-de", "de-en", "en-fr"}) {
                stats.push_back(row(withRun, 400, "encoder", 1, task, expert));
                stats.push_back(row(withRun, 400, "decoder", 1, task, expert));
                stats.push_back(row(withRun, 400, "decoder", 3, task, expert));
            }
        stats.push_back(row(withRun, 200, "encoder", 3, "en-de", 0));
        stats.push_back(row(withoutRun, 0, "decoder", 5, "en-de", 7));
        store.addRoutingStats(stats);

        const QVector<RoutingStatSet> sets = store.routingStatSets();
        QCOMPARE(sets.size(), 3);
        // No run first, then the run's steps in order.
        QCOMPARE(sets[0].modelId, withoutRun);
        QCOMPARE(sets[0].runId, 0);
        QCOMPARE(sets[0].runName, QString());
        QCOMPARE(sets[0].checkpointId, 0);
        QCOMPARE(sets[0].checkpointStep, -1);
        QCOMPARE(sets[0].modelKind, QStringLiteral("subnetwork"));
        QCOMPARE(sets[0].modelTask, QStringLiteral("en-de"));
        QCOMPARE(sets[0].decoderLayers, QVector<int>{5});
        QVERIFY(sets[0].encoderLayers.isEmpty());
        QCOMPARE(sets[0].experts, 8);

        QCOMPARE(sets[1].modelId, withRun);
        QCOMPARE(sets[1].step, 200);
        QCOMPARE(sets[1].encoderLayers, QVector<int>{3});
        QCOMPARE(sets[1].rows, 1);

        const RoutingStatSet &full = sets[2];
        QCOMPARE(full.modelId, withRun);
        QCOMPARE(full.step, 400);
        QCOMPARE(full.runId, runId);
        QCOMPARE(full.runName, QStringLiteral("task-moe 'target'"));
        QCOMPARE(full.checkpointId, ckpt);
        QCOMPARE(full.checkpointStep, 400);
        QCOMPARE(full.modelKind, QStringLiteral("full"));
        QCOMPARE(full.encoderLayers, QVector<int>{1});
        QCOMPARE(full.decoderLayers, (QVector<int>{1, 3}));
        QCOMPARE(full.tasks, 3);
        QCOMPARE(full.experts, 4);
        QCOMPARE(full.rows, 36);
    }

private:
    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestStore)
#include "tst_store.moc"
