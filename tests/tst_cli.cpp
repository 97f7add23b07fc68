// End to end: the real `taskmoe` program on real files and a real store. Few processes
// (each LibTorch-linked start costs about a second), each checking several things.
#include "programsupport.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QElapsedTimer>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>

#include <csignal>
#include <sys/types.h>

namespace {

using Result = taskmoe::test::ProgramResult;

QByteArray fileHash(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_db;

    Result run(const QStringList &args, const QByteArray &input = {}) { return taskmoe::test::runTaskmoe(args, input); }

    QString write(const QString &name, const QByteArray &content)
    {
        return taskmoe::test::writeFixture(m_dir.filePath(name), content);
    }

    QJsonArray statsJson()
    {
        const Result r = run({"corpus", "stats", "--db", m_db, "--format", "json"});
        if (r.exitCode != 0)
            qWarning() << r.err;
        return QJsonDocument::fromJson(r.out.toUtf8()).array();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = m_dir.filePath(QStringLiteral("store.sqlite"));
    }

    void versionNamesLibTorchBlasAndThreads()
    {
        const Result r = run({"--version"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QStringLiteral("taskmoe 0.")));
        QVERIFY(r.out.contains(QStringLiteral("LibTorch 1.")));
        QVERIFY(r.out.contains(QStringLiteral("BLAS ")));
        QVERIFY(r.out.contains(QStringLiteral("threads ")));
    }

    void warnsWhenTheSlowReferenceBlasIsInUse()
    {
        // Debian's reference BLAS, put first on the library path, is what a machine without
        // libopenblas0-pthread runs: a real slow product, measured.
        const QString reference = QStringLiteral("/usr/lib/x86_64-linux-gnu/blas");
        if (!QFile::exists(reference + QStringLiteral("/libblas.so.3")))
            QSKIP("the reference BLAS is not installed here");
        QProcess p;
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("LD_LIBRARY_PATH"), reference);
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("TASKMOE_BIN_DIR") + QStringLiteral("/taskmoe"), {QStringLiteral("--version")});
        QVERIFY(p.waitForFinished(120000));
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitCode(), 0);
        QVERIFY2(out.contains(QStringLiteral("reference BLAS")), qPrintable(out));
        QVERIFY2(err.contains(QStringLiteral("warning")) && err.contains(QStringLiteral("libopenblas0-pthread")), qPrintable(err));
        // With the BLAS this project installs, no warning.
        const Result normal = run({"--version"});
        QVERIFY2(!normal.err.contains(QStringLiteral("warning")), qPrintable(normal.err));
    }

    void usageErrorsExitWithStatusTwo_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown command") << QStringList{"frobnicate"} << QStringLiteral("unknown command 'frobnicate'");
        QTest::newRow("unknown option") << QStringList{"corpus", "stats", "--colour"} << QStringLiteral("colour");
        QTest::newRow("bad format") << QStringList{"corpus", "list", "--format", "xml"} << QStringLiteral("--format must be");
        QTest::newRow("bad number") << QStringList{"corpus", "synth", "--largest", "many"} << QStringLiteral("--largest");
        QTest::newRow("two import modes") << QStringList{"corpus", "import", "--tsv", "a", "--moses", "b"}
                                          << QStringLiteral("exactly one");
        QTest::newRow("extract without a task") << QStringList{"extract", "--run", "1"} << QStringLiteral("--task");
        QTest::newRow("distill without a student") << QStringList{"distill", "--teacher", "1"}
                                                   << QStringLiteral("--student-preset");
        QTest::newRow("compare without a run") << QStringList{"compare"} << QStringLiteral("--run N is required");
        QTest::newRow("target length alone") << QStringList{"bench", "--decode", "--models", "a.tmf", "--target-length", "3"}
                                             << QStringLiteral("--target-length goes with --source-length");
    }
    void usageErrorsExitWithStatusTwo()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const Result r = run(args + QStringList{"--db", m_dir.filePath("unused.sqlite")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QCOMPARE(r.err.count(QLatin1Char('\n')), 1);  // one sentence, one line
    }

    void helpIsAvailableOnEveryCommand()
    {
        const Result r = run({"corpus", "import", "--help"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QStringLiteral("--gettext")));
        QVERIFY(r.out.contains(QStringLiteral("--db")));
        QVERIFY(r.out.contains(QStringLiteral("--format")));
    }

    void synthRegistersADatasetOnceAndStatsShowsItsPairs()
    {
        const QStringList args{"corpus", "synth", "--db", m_db, "--profile", "full", "--largest", "1200", "--multiway", "40",
                               "--name", "syn'; DROP TABLE datasets;--", "--format", "json"};
        const Result r = run(args);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonArray rows = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QVERIFY(rows.size() >= 12);
        QCOMPARE(rows.first().toObject().value("name").toString(), QStringLiteral("syn'; DROP TABLE datasets;--"));
        QSet<QString> classes;
        for (const auto &row : rows) {
            const QJsonObject o = row.toObject();
            QCOMPARE(o.value("multiway").toInt(), 40);
            QVERIFY(o.value("train").toInt() > 0);
            classes.insert(o.value("resource").toString());
        }
        QVERIFY(classes.contains("low"));
        // Same seed, same content: recognised by its fingerprint, nothing added.
        const Result again = run(args);
        QCOMPARE(again.exitCode, 0);
        QVERIFY2(again.err.contains(QStringLiteral("already holds")), qPrintable(again.err));
        const Result list = run({"corpus", "list", "--db", m_db, "--format", "csv"});
        QCOMPARE(list.exitCode, 0);
        QCOMPARE(list.out.trimmed().split('\n').size(), 2);  // header + one dataset
    }

    void synthProfilesAndDifficultyOptions()
    {
        const QString db = m_dir.filePath(QStringLiteral("profiles.sqlite"));
        // The default is the quick profile: 6 languages in 3 families.
        Result r = run({"corpus", "synth", "--db", db, "--largest", "300", "--multiway", "10", "--format", "json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).array().size(), 6);
        // A difficulty parameter changes one thing.
        r = run({"corpus", "synth", "--db", db, "--languages", "es,ca", "--lexicon", "0.2", "--max-words", "8",
                 "--largest", "300", "--multiway", "10", "--format", "json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).array().size(), 2);
        // Out of range: exit 1, a sentence naming the parameter, nothing stored.
        const QList<QPair<QStringList, QString>> bad = {
            {{"--lexicon", "1.5"}, "--lexicon must be"},
            {{"--lexicon", "0"}, "--lexicon must be"},
            {{"--languages", "es,xx"}, "'xx'"},
            {{"--min-words", "12", "--max-words", "8"}, "--min-words must be"},
            {{"--min-words", "1", "--max-words", "1"}, "--max-words must be"},
        };
        for (const auto &[options, named] : bad) {
            r = run(QStringList{"corpus", "synth", "--db", db} + options);
            QVERIFY2(r.exitCode == 1, qPrintable(options.join(' ') + ": " + r.err));
            QVERIFY2(r.err.contains(named), qPrintable(r.err));
        }
        r = run({"corpus", "synth", "--db", db, "--profile", "huge"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("huge")), qPrintable(r.err));
        const Result list = run({"corpus", "list", "--db", db, "--format", "csv"});
        QCOMPARE(list.out.trimmed().split('\n').size(), 3);  // header + the two datasets made above
    }

    void importsTsvAndMosesFiles()
    {
        const QString tsv = write("de-en.tsv", "Hallo Welt\tHello world\nGuten Tag\tGood day\nDanke\tThanks\n");
        Result r = run({"corpus", "import", "--db", m_db, "--tsv", tsv, "--pair", "de-en", "--name", "tiny tsv"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QStringLiteral("de-en")));
        QDir().mkpath(m_dir.filePath("moses"));
        write("moses/train.fr-en.fr", "un\ndeux\ntrois\n");
        write("moses/train.fr-en.en", "one\ntwo\nthree\n");
        r = run({"corpus", "import", "--db", m_db, "--moses", m_dir.filePath("moses/train")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QStringLiteral("fr-en")));
    }

    void badInputIsRefusedWithTheFileAndLineAndTheStoreIsUnchanged_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("message");
        QTest::newRow("no tab") << "bad1.tsv" << QByteArray("a\tb\nc d\n") << QStringLiteral("line 2: no tab");
        QTest::newRow("invalid utf-8") << "bad2.tsv" << QByteArray("a\tb\n\xC3\x28\tx\n") << QStringLiteral("line 2: invalid UTF-8");
        QTest::newRow("empty") << "bad3.tsv" << QByteArray() << QStringLiteral("is empty");
    }
    void badInputIsRefusedWithTheFileAndLineAndTheStoreIsUnchanged()
    {
        QFETCH(QString, file);
        QFETCH(QByteArray, content);
        QFETCH(QString, message);
        const QString path = write(file, content);
        const QByteArray before = fileHash(m_db);
        const Result r = run({"corpus", "import", "--db", m_db, "--tsv", path, "--pair", "de-en"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(path) && r.err.contains(message), qPrintable(r.err));
        QCOMPARE(fileHash(m_db), before);
    }

    void unknownLanguageAndMismatchedFilesAreRefused()
    {
        const QString tsv = write("ok.tsv", "a\tb\n");
        const QByteArray before = fileHash(m_db);
        Result r = run({"corpus", "import", "--db", m_db, "--tsv", tsv, "--pair", "de-qq"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("'qq'")), qPrintable(r.err));
        const QString a = write("mm.de", "a\nb\n"), b = write("mm.en", "a\n");
        r = run({"corpus", "import", "--db", m_db, "--src", a, "--tgt", b, "--pair", "de-en"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(a) && r.err.contains(QStringLiteral("2 lines")), qPrintable(r.err));
        QCOMPARE(fileHash(m_db), before);
    }

    // The issue's "Bad input" list end to end: exit 1, the file and the line or offset
    // named, the store left byte for byte.
    void corruptCatalogsAndMissingFilesAreRefused()
    {
        QDir().mkpath(m_dir.filePath("tree-po/de/LC_MESSAGES"));
        write("tree-po/de/LC_MESSAGES/app.po", "msgid \"Open\"\nmsgstr \"\xC3\x96" "ffnen\n");
        // A .mo file that ends after its header: the tables it announces are not there.
        QByteArray mo(28, '\0');
        const quint32 header[] = {0x950412deu, 0, 2, 28, 0xfffffff0u, 0, 28};
        for (int i = 0; i < 7; ++i)
            for (int b = 0; b < 4; ++b)
                mo[4 * i + b] = char((header[i] >> (8 * b)) & 0xff);
        QDir().mkpath(m_dir.filePath("tree-mo/fr/LC_MESSAGES"));
        const QString moPath = write("tree-mo/fr/LC_MESSAGES/app.mo", mo);
        const QString missing = m_dir.filePath("no-such-file.tsv");
        const struct
        {
            QStringList args;
            QStringList expected;
        } cases[] = {
            {{"--gettext", m_dir.filePath("tree-po"), "--langs", "de"},
             {m_dir.filePath("tree-po/de/LC_MESSAGES/app.po"), "line 2", "unterminated string"}},
            {{"--gettext", m_dir.filePath("tree-mo"), "--langs", "fr"},
             {moPath, "offset 12", "original string table", "past the end of the file"}},
            {{"--tsv", missing, "--pair", "de-en"}, {missing}},
        };
        const QByteArray before = fileHash(m_db);
        QVERIFY(!before.isEmpty());
        for (const auto &c : cases) {
            const Result r = run(QStringList{"corpus", "import", "--db", m_db} + c.args);
            QCOMPARE(r.exitCode, 1);
            QCOMPARE(r.err.count(QLatin1Char('\n')), 1);  // one sentence, one line
            for (const QString &part : c.expected)
                QVERIFY2(r.err.contains(part), qPrintable(r.err + " lacks " + part));
            QCOMPARE(fileHash(m_db), before);
        }
    }

    void storesThatMustNotBeTouchedAreRefused()
    {
        const QString notSqlite = write("notes.txt", "my precious notes\n");
        const QByteArray before = fileHash(notSqlite);
        Result r = run({"corpus", "stats", "--db", notSqlite});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(notSqlite) && r.err.contains(QStringLiteral("not an SQLite database")), qPrintable(r.err));
        QCOMPARE(fileHash(notSqlite), before);
        r = run({"corpus", "list", "--db", m_dir.path()});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("is a directory")), qPrintable(r.err));
    }

    void gettextCatalogsOfThisMachineImport()
    {
        if (!QDir(QStringLiteral("/usr/share/locale/de/LC_MESSAGES")).exists())
            QSKIP("no German gettext catalogs on this machine");
        const QString db = m_dir.filePath(QStringLiteral("gettext.sqlite"));
        const Result r = run({"corpus", "import", "--db", db, "--gettext", "/usr/share/locale", "--langs", "de,fr",
                              "--format", "json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonArray rows = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(rows.size(), 2);
        for (const auto &row : rows) {
            QCOMPARE(row.toObject().value("kind").toString(), QStringLiteral("gettext"));
            QVERIFY(row.toObject().value("train").toInt() > 100);
            QVERIFY(row.toObject().value("multiway").toInt() > 0);
        }
        QVERIFY2(r.err.contains(QStringLiteral("de:")), qPrintable(r.err));  // per-language report
        const Result missing = run({"corpus", "import", "--db", db, "--gettext", "/usr/share/locale", "--langs", "de,zz"});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains(QStringLiteral("'zz'")), qPrintable(missing.err));
    }

    void vocabularyHasTargetSymbolsAndEncodesRoundTrip()
    {
        const Result list = run({"corpus", "list", "--db", m_db, "--format", "json"});
        const qint64 dataset = QJsonDocument::fromJson(list.out.toUtf8()).array().first().toObject().value("id").toInteger();
        Result r = run({"corpus", "vocab", "--db", m_db, "--dataset", QString::number(dataset), "--size", "1000",
                        "--sentences", "3000", "--format", "json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject v = QJsonDocument::fromJson(r.out.toUtf8()).array().first().toObject();
        QVERIFY(v.value("target_symbols").toString().contains(QStringLiteral("<2ca>=")));
        QVERIFY(v.value("pieces").toInt() > 100);
        const QString vocab = QString::number(v.value("vocabulary").toInteger());
        r = run({"corpus", "encode", "--db", m_db, "--vocab", vocab, "--to", "ca", "--pieces"}, "the dog sees a cat .\n");
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.startsWith(QStringLiteral("<2ca> ")), qPrintable(r.out));
        r = run({"corpus", "encode", "--db", m_db, "--vocab", vocab}, "the dog sees a cat .\n");
        QCOMPARE(r.exitCode, 0);
        const Result back = run({"corpus", "encode", "--db", m_db, "--vocab", vocab, "--decode"}, r.out.toUtf8());
        QCOMPARE(back.exitCode, 0);
        QCOMPARE(back.out, QStringLiteral("the dog sees a cat .\n"));
        // Regression: std::stoi read "12abc" as 12. A word that is not a whole id is refused.
        const Result bad = run({"corpus", "encode", "--db", m_db, "--vocab", vocab, "--decode"}, "5 6\n5 12abc\n");
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.contains(QStringLiteral("<stdin>: line 2")) && bad.err.contains(QStringLiteral("'12abc'")),
                 qPrintable(bad.err));
    }

    void modelFilesAreWrittenCheckedAndCorruptOnesRefused()
    {
        const QString model = m_dir.filePath(QStringLiteral("tiny.tmf"));
        Result r = run({"model", "init", "--output", model, "--languages", "en,de,fr", "--options",
                        R"({"d_model": 32, "heads": 2, "d_ff": 64, "experts": 4, "vocab_size": 100,
                            "decoder_routing": "task:pair"})"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = run({"model", "info", "--model", model, "--format", "json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject info = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(info.value("decoder_routing").toString(), QStringLiteral("task:pair"));
        QCOMPARE(info.value("pairs").toString().split(' ').size(), 6);
        QVERIFY(info.value("params_active_per_token").toInteger() < info.value("params_total").toInteger());
        QCOMPARE(info.value("sha256").toString().toUtf8(), fileHash(model).toHex());
        // A truncated copy is refused with the file named; nothing crashes.
        QFile full(model);
        QVERIFY(full.open(QIODevice::ReadOnly));
        const QString cut = write(QStringLiteral("cut.tmf"), full.read(full.size() / 2));
        r = run({"model", "info", "--model", cut});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(cut) && r.err.contains(QStringLiteral("truncated")), qPrintable(r.err));
        // Options that cannot work name the field and the allowed values.
        r = run({"model", "init", "--output", m_dir.filePath("bad.tmf"), "--options", R"({"top_k": 9, "experts": 4})"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("model.top_k")) && r.err.contains(QStringLiteral("between 1 and")), qPrintable(r.err));
        QVERIFY(!QFile::exists(m_dir.filePath("bad.tmf")));
    }

    // The paper's comparison on random weights: a task-routed model, its extracted sub-network
    // (exact, smaller) and their decoding throughput measured side by side in one run.
    void randomModelsAreExtractedAndComparedForSpeed()
    {
        const QString full = m_dir.filePath(QStringLiteral("task-moe.tmf"));
        Result r = run({"model", "init", "--output", full, "--preset", "task-moe-target", "--languages", "en,de,fr"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString sub = m_dir.filePath(QStringLiteral("task-moe-de.tmf"));
        r = run({"extract", "--model", full, "--task", "en-de", "--output", sub, "--format", "json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject extracted = QJsonDocument::fromJson(r.out.toUtf8()).array().first().toObject();
        QCOMPARE(extracted.value("task").toString(), QStringLiteral("de"));
        QVERIFY(extracted.value("max_logit_diff").toDouble() < 1e-4);
        r = run({"model", "info", "--model", sub, "--format", "json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).object().value("decoder_routing").toString(), QStringLiteral("dense"));
        // A model file is not pruned: that needs a run's routing statistics.
        r = run({"extract", "--model", full, "--task", "en-de", "--keep", "2", "--output", sub});
        QCOMPARE(r.exitCode, 2);

        r = run({"bench", "--decode", "--models", full + "," + sub, "--source-length", "6", "--target-length", "6",
                 "--batch-sizes", "1,4", "--beams", "1", "--sentences", "4", "--format", "json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonArray rows = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows[0].toObject().value("beam1_ratio_to_first").toDouble(), 1.0);
        QVERIFY(rows[1].toObject().value("peak_beam1_tokens_per_s").toDouble() > 0);
        QVERIFY(rows[1].toObject().value("params").toInteger() < rows[0].toObject().value("params").toInteger());
    }

    void moeLayerBenchmarkPrintsTrainingAndDecodingRatiosAsJson()
    {
        const Result r = run({"bench", "--moe-layer", "--experts", "4,8", "--tokens", "8,256", "--repetitions", "1",
                              "--format", "json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonArray results = QJsonDocument::fromJson(r.out.toUtf8()).object().value("results").toArray();
        QCOMPARE(results.size(), 4);  // each E at each token count
        const QJsonObject first = results.first().toObject();
        QCOMPARE(first.value("experts").toInt(), 4);
        QCOMPARE(first.value("tokens").toInt(), 8);
        QCOMPARE(results[1].toObject().value("tokens").toInt(), 256);
        for (const auto &row : results) {
            const QJsonObject o = row.toObject();
            QVERIFY(o.value("moe_forward_ms").toDouble() > 0 && o.value("dense_forward_ms").toDouble() > 0);
            QVERIFY(std::fabs(o.value("forward_ratio").toDouble()
                              - o.value("moe_forward_ms").toDouble() / o.value("dense_forward_ms").toDouble()) < 1e-9);
        }
        // 256 tokens reach all 8 experts: a pass reads 8 experts of 2·256·1024 weights and the
        // router's 8·256, against the dense FFN's 2·256·2048.
        const double all8 = (8.0 * 2 * 256 * 1024 + 8 * 256) / (2.0 * 256 * 2048);
        QCOMPARE(results[3].toObject().value("weights_read_ratio").toDouble(), all8);
        QVERIFY(std::fabs(first.value("ratio").toDouble() - first.value("moe_ms").toDouble() / first.value("dense_ms").toDouble()) < 1e-9);
    }

    // Issue 5's central promise: a run killed with SIGKILL between checkpoints and resumed
    // logs, step for step, the losses of an uninterrupted run.
    void trainingResumesExactlyAfterSigkillAndStopsCleanlyOnSigterm()
    {
        const QString db = m_dir.filePath(QStringLiteral("train.sqlite"));
        Result r = run({"corpus", "synth", "--db", db, "--largest", "600", "--multiway", "20"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList common{"train", "--db", db, "--preset", "tiny", "--set", "model.vocab_size=700",
                                 "--set", "train.steps=30", "--set", "train.log_every=1", "--set", "train.eval_every=10",
                                 "--set", "train.checkpoint_every=10"};
        r = run(common + QStringList{"--name", "uninterrupted"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList lines = r.out.trimmed().split('\n');
        const QJsonObject started = QJsonDocument::fromJson(lines.first().toUtf8()).object();
        QCOMPARE(started.value("event").toString(), QStringLiteral("started"));
        const qint64 reference = started.value("run").toInteger();
        QCOMPARE(QJsonDocument::fromJson(lines.last().toUtf8()).object().value("event").toString(), QStringLiteral("finished"));

        // The same run, killed after step 15 (last checkpoint at 10), then resumed.
        QProcess job;
        job.start(qEnvironmentVariable("TASKMOE_BIN_DIR") + QStringLiteral("/taskmoe"), common + QStringList{"--name", "killed"});
        qint64 killed = 0;
        for (QElapsedTimer t; !t.isValid() || t.elapsed() < 120000;) {
            if (!t.isValid())
                t.start();
            if (!job.canReadLine() && !job.waitForReadyRead(5000))
                continue;
            const QJsonObject e = QJsonDocument::fromJson(job.readLine()).object();
            if (e.value("event").toString() == QLatin1String("started"))
                killed = e.value("run").toInteger();
            if (e.value("event").toString() == QLatin1String("progress") && e.value("step").toInt() >= 15)
                break;
        }
        QVERIFY(killed > 0);
        ::kill(static_cast<pid_t>(job.processId()), SIGKILL);
        QVERIFY(job.waitForFinished(30000));
        r = run({"runs", "--db", db, "--format", "json"});
        QVERIFY2(r.out.contains(QStringLiteral("\"interrupted\"")), qPrintable(r.out));
        r = run({"train", "--db", db, "--resume", QString::number(killed)});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QStringLiteral("\"resumed\":true")));
        // Regression: the run's configuration must name the vocabulary it trained with;
        // resuming once looked it up by size and could train a different one.
        {
            auto sql = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("inspect"));
            sql.setDatabaseName(db);
            QVERIFY(sql.open());
            QSqlQuery q(sql);
            QVERIFY(q.exec(QStringLiteral("SELECT config_json FROM runs WHERE id = %1").arg(killed)) && q.next());
            const QJsonObject data = QJsonDocument::fromJson(q.value(0).toString().toUtf8()).object().value("data").toObject();
            QCOMPARE(data.value("vocabulary").toInteger(), started.value("vocabulary").toInteger());
            QCOMPARE(data.value("dataset").toInteger(), started.value("dataset").toInteger());
        }
        QSqlDatabase::removeDatabase(QStringLiteral("inspect"));

        const auto losses = [&](qint64 id) {
            const Result m = run({"metrics", "--db", db, "--run", QString::number(id), "--key", "loss", "--format", "json"});
            std::map<int, double> byStep;
            for (const auto &row : QJsonDocument::fromJson(m.out.toUtf8()).array())
                byStep[row.toObject().value("step").toInt()] = row.toObject().value("value").toDouble();
            return byStep;
        };
        const auto a = losses(reference), b = losses(killed);
        QCOMPARE(a.size(), std::size_t(30));
        QCOMPARE(b.size(), std::size_t(30));
        for (const auto &[step, value] : a)
            QVERIFY2(std::fabs(b.at(step) - value) <= 1e-6 * std::fabs(value),
                     qPrintable(QStringLiteral("step %1: %2 vs %3").arg(step).arg(value, 0, 'g', 17).arg(b.at(step), 0, 'g', 17)));

        // SIGTERM: a checkpoint, status cancelled, exit 0.
        job.start(qEnvironmentVariable("TASKMOE_BIN_DIR") + QStringLiteral("/taskmoe"),
                  common + QStringList{"--set", "train.steps=100000", "--name", "terminated"});
        // Past a checkpoint (every 10 steps), so that there is an older one to fall back to.
        for (bool past = false; !past;) {
            QVERIFY(job.canReadLine() || job.waitForReadyRead(60000));
            while (job.canReadLine()) {
                const QJsonObject e = QJsonDocument::fromJson(job.readLine()).object();
                past = past || (e.value("event").toString() == QLatin1String("progress") && e.value("step").toInt() >= 12);
            }
        }
        job.terminate();
        QVERIFY(job.waitForFinished(60000));
        QCOMPARE(job.exitCode(), 0);
        r = run({"runs", "--db", db, "--format", "json"});
        const QJsonArray runs = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(runs.last().toObject().value("status").toString(), QStringLiteral("cancelled"));
        QCOMPARE(runs.first().toObject().value("status").toString(), QStringLiteral("finished"));

        // A corrupt newest checkpoint: --resume falls back to the one before and finishes.
        const qint64 cancelled = runs.last().toObject().value("id").toInteger();
        QDir folder(QFileInfo(db).absoluteFilePath() + QStringLiteral("-runs/run-%1").arg(cancelled));
        const QStringList models = folder.entryList({QStringLiteral("step-*.tmf")}, QDir::Files, QDir::Name);
        QVERIFY2(models.size() >= 2, qPrintable(models.join(' ')));
        {
            QFile newest(folder.filePath(models.last()));
            QVERIFY(newest.open(QIODevice::ReadWrite));
            newest.seek(newest.size() / 2);
            const char flipped = char(newest.peek(1).at(0) ^ 0x55);
            newest.write(&flipped, 1);
        }
        job.start(qEnvironmentVariable("TASKMOE_BIN_DIR") + QStringLiteral("/taskmoe"),
                  {"train", "--db", db, "--resume", QString::number(cancelled)});
        QVERIFY(job.waitForReadyRead(60000));
        while (!job.readAllStandardOutput().contains("\"progress\""))
            QVERIFY(job.waitForReadyRead(60000));
        job.terminate();
        QVERIFY(job.waitForFinished(60000));
        QCOMPARE(job.exitCode(), 0);
        const QString err = QString::fromUtf8(job.readAllStandardError());
        QVERIFY2(err.contains(models.last()) && err.contains(QStringLiteral("SHA-256")) && err.contains(QStringLiteral("older")),
                 qPrintable(err));
    }

    void tinyPresetLearnsWithEveryRouting_data()
    {
        QTest::addColumn<QString>("encoder");
        QTest::addColumn<QString>("decoder");
        QTest::newRow("dense/dense") << "dense" << "dense";
        QTest::newRow("token/token") << "token" << "token";
        QTest::newRow("sentence/sentence") << "sentence" << "sentence";
        QTest::newRow("task:pair/task:pair") << "task:pair" << "task:pair";
        QTest::newRow("token/task:target") << "token" << "task:target";
    }

    // Every routing trains end to end through the real program: a finished run whose dev
    // cross-entropy after 30 steps is clearly below the initial model's (step 0).
    void tinyPresetLearnsWithEveryRouting()
    {
        QFETCH(QString, encoder);
        QFETCH(QString, decoder);
        const QString db = m_dir.filePath(QStringLiteral("routings.sqlite"));
        if (!QFile::exists(db)) {
            const Result r = run({"corpus", "synth", "--db", db, "--largest", "600", "--multiway", "20"});
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        }
        // One routing also records dev BLEU, and with it the routing of the dev sample at each checkpoint.
        const bool recordRouting = encoder == QLatin1String("token") && decoder == QLatin1String("task:target");
        QStringList args{"train", "--db", db, "--preset", "tiny", "--set", "model.vocab_size=700", "--set",
                         "model.encoder_routing=" + encoder, "--set", "model.decoder_routing=" + decoder, "--set",
                         recordRouting ? "train.eval_every=10" : "train.eval_every=30"};
        if (recordRouting)
            args << "--set" << "train.dev_bleu_sentences=3";
        const Result r = run(args);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        if (recordRouting) {
            {
                auto sql = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("routing"));
                sql.setDatabaseName(db);
                QVERIFY(sql.open());
                QSqlQuery q(sql);
                // Checkpoints at 10, 20 and 30, each with the dev sample's routing in both MoE layers.
                QVERIFY(q.exec(QStringLiteral(
                    "SELECT s.step, COUNT(DISTINCT s.side || s.layer), SUM(s.topk) FROM routing_stats s "
                    "JOIN models m ON m.id = s.model_id JOIN checkpoints c ON c.id = m.checkpoint_id "
                    "WHERE m.run_id = (SELECT MAX(id) FROM runs) AND c.step = s.step GROUP BY s.step ORDER BY s.step")));
                QList<qint64> steps;
                while (q.next()) {
                    steps << q.value(0).toLongLong();
                    QCOMPARE(q.value(1).toInt(), 2);
                    QVERIFY(q.value(2).toLongLong() > 0);
                }
                QCOMPARE(steps, (QList<qint64>{10, 20, 30}));
            }
            QSqlDatabase::removeDatabase(QStringLiteral("routing"));
        }
        std::map<qint64, double> dev;
        QString last;
        for (const QString &line : r.out.trimmed().split('\n')) {
            const QJsonObject event = QJsonDocument::fromJson(line.toUtf8()).object();
            if (event.contains("dev_loss") && event.value("event").toString() == QLatin1String("progress"))
                dev[event.value("step").toInteger()] = event.value("dev_loss").toDouble();
            last = event.value("event").toString();
        }
        QCOMPARE(last, QStringLiteral("finished"));
        QVERIFY2(dev.count(0) && dev.count(30), qPrintable(r.out.left(400)));
        qInfo("%s: dev cross-entropy %.3f -> %.3f", qPrintable(encoder + '/' + decoder), dev[0], dev[30]);
        QVERIFY2(dev[30] < dev[0] - 0.5, qPrintable(QString("%1 -> %2").arg(dev[0]).arg(dev[30])));
    }

    void badTrainingConfigurationsAreRefusedBeforeAnyStoreWrite()
    {
        const QString db = m_dir.filePath(QStringLiteral("never.sqlite"));
        const QString config = write(QStringLiteral("bad.json"), "{\n  \"train\": {\n    \"stpes\": 10\n  }\n}\n");
        Result r = run({"train", "--db", db, "--config", config});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("train.stpes")) && r.err.contains(QStringLiteral("train.steps")), qPrintable(r.err));
        const QString broken = write(QStringLiteral("broken.json"), "{\n  \"model\": {\"experts\": 4,}\n}\n");
        r = run({"train", "--db", db, "--config", broken});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("line 2")), qPrintable(r.err));
        r = run({"train", "--db", db, "--preset", "tiny", "--set", "model.top_k=9"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("model.top_k")), qPrintable(r.err));
        QVERIFY(!QFile::exists(db));
    }

    void trainingRefusesAnUnwritableCheckpointFolderAndUnknownDevices()
    {
        // Root may write anywhere, so "unwritable" is a file where the runs folder must go.
        QDir(m_dir.path()).mkpath(QStringLiteral("blocked"));
        const QString db = m_dir.filePath(QStringLiteral("blocked/store.sqlite"));
        write(QStringLiteral("blocked/store.sqlite-runs"), "not a folder");
        Result r = run({"train", "--db", db, "--preset", "tiny"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("blocked/store.sqlite-runs")) && r.err.contains(QStringLiteral("not a folder")),
                 qPrintable(r.err));
        r = run({"runs", "--db", db, "--format", "json"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).array().size(), 0);   // no run was recorded

        r = run({"train", "--db", db, "--preset", "tiny", "--device", "gpu"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--device")), qPrintable(r.err));
        r = run({"train", "--db", db, "--preset", "tiny", "--device", "cuda"});
        QCOMPARE(r.exitCode, 1);   // Debian's LibTorch is CPU-only
        QVERIFY2(r.err.contains(QStringLiteral("--device cuda")), qPrintable(r.err));
    }

    void storeBenchmarkPrintsTheWriteRate()
    {
        const Result r = run({"bench", "--store", "--rows", "20000", "--db", m_db, "--format", "json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).array().first().toObject();
        QVERIFY(o.value("rows_per_s").toDouble() > 0);
        QCOMPARE(o.value("rows").toInt(), 20000);
        QVERIFY(o.contains("ratio_to_target"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
