// BLEU, chrF and their tokenizers against values derived by hand from sacrebleu's documented
// algorithm, against 91 scores of the real sacrebleu 2.6.0 on real text
// (tests/data/sacrebleu, from ../shared/testdata/sacrebleu), and `taskmoe bleu` end to end.
#include "core/eval/bleu.h"
#include "core/base/errors.h"
#include "core/eval/sacretok.h"

#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <cmath>

using namespace taskmoe::core;

Q_DECLARE_METATYPE(taskmoe::core::BleuTokenizer)

namespace {

/// The SacreBLEU oracle cases, kept in the repository (tests/data/sacrebleu).
QString oracleDir()
{
    return QStringLiteral(TEST_DATA_DIR "/sacrebleu");
}

QString binDir()
{
    const QString env = qEnvironmentVariable("TASKMOE_BIN_DIR");
    return env.isEmpty() ? QCoreApplication::applicationDirPath() : env;
}

std::string std8(const QString &s) { return s.toStdString(); }

/// A case's `taskmoe bleu` options applied to the core's option structs.
struct CaseOptions {
    BleuOptions bleu;
    ChrfOptions chrf;
    bool useChrf = false;
    bool sentence = false;
};

CaseOptions parseCaseArgs(const QStringList &args)
{
    CaseOptions o;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        const auto next = [&]() {
            if (i + 1 >= args.size())
                throw std::invalid_argument("missing value of " + std8(a));
            return args[++i];
        };
        if (a == QLatin1String("--tokenize")) {
            const auto t = tokenizerFromName(std8(next()));
            if (!t)
                throw std::invalid_argument("unknown tokenizer");
            o.bleu.tokenizer = *t;
        } else if (a == QLatin1String("--lowercase")) {
            o.bleu.lowercase = o.chrf.lowercase = true;
        } else if (a == QLatin1String("--smooth-method")) {
            const auto s = smoothingFromName(std8(next()));
            if (!s)
                throw std::invalid_argument("unknown smoothing");
            o.bleu.smoothing = *s;
        } else if (a == QLatin1String("--smooth-value")) {
            o.bleu.smoothValue = next().toDouble();
        } else if (a == QLatin1String("--chrf")) {
            o.useChrf = true;
        } else if (a == QLatin1String("--chrf-word-order")) {
            o.chrf.wordOrder = next().toInt();
        } else if (a == QLatin1String("--sentence")) {
            o.sentence = true;
            o.bleu.effectiveOrder = true;  // as sacrebleu -sl
        } else {
            throw std::invalid_argument("option the test does not know: " + std8(a));
        }
    }
    return o;
}

struct Run {
    int exitCode = -1;
    QByteArray out, err;
};

Run runTaskmoe(const QStringList &args)
{
    QProcess p;
    p.setProgram(binDir() + QStringLiteral("/taskmoe"));
    p.setArguments(args);
    p.start();
    Run r;
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -100;  // a crash is never ok
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

void writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

} // namespace

class TestBleu : public QObject
{
    Q_OBJECT

private slots:
    // --- tokenizers, each rule by a string that exercises it -------------------------------

    void tokenizers_data()
    {
        QTest::addColumn<BleuTokenizer>("tokenizer");
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        const auto t13a = BleuTokenizer::V13a, intl = BleuTokenizer::Intl, zh = BleuTokenizer::Zh;
        QTest::newRow("13a punctuation") << t13a << "Hello, world!" << "Hello , world !";
        // '$' always stands alone; the decimal point and the comma after a digit do not split
        // on the digit side; the final period splits because mteval pads the line.
        QTest::newRow("13a numbers") << t13a << "It costs $3.50, ok." << "It costs $ 3.50 , ok .";
        QTest::newRow("13a year at the end") << t13a << "year 2019." << "year 2019 .";
        QTest::newRow("13a entities") << t13a << "&quot;a&quot; &amp; b &lt;c&gt;" << "\" a \" & b < c >";
        // replacements run in order, once each: "&amp;quot;" becomes "&quot;" and stays so
        QTest::newRow("13a entity order") << t13a << "&amp;quot;" << "& quot ;";
        QTest::newRow("13a skipped") << t13a << "<skipped>x y" << "x y";
        QTest::newRow("13a dash after digit") << t13a << "1995-2000 well-known" << "1995 - 2000 well-known";
        QTest::newRow("13a apostrophe stays") << t13a << "l'URI dell'avviso" << "l'URI dell'avviso";
        QTest::newRow("13a percent and brackets") << t13a << "(%s) [x]" << "( % s ) [ x ]";
        // non-overlapping matches: in "a.," the period splits off "a", the comma after it
        // is then split by the third rule only
        QTest::newRow("13a period comma") << t13a << "a.,b" << "a . , b";
        QTest::newRow("13a unicode untouched") << t13a << "Σημαίες «GTK+»" << "Σημαίες «GTK + »";
        QTest::newRow("intl punctuation and symbols") << intl << "Hello, world! 3,5 €10" << "Hello , world ! 3,5 € 10";
        QTest::newRow("intl guillemets") << intl << "«Ciao»" << "« Ciao »";
        // mteval-v14's known quirk: a number's final period stays (no padding)
        QTest::newRow("intl year at the end") << intl << "year 2019." << "year 2019.";
        QTest::newRow("intl apostrophe") << intl << "l'URI" << "l ' URI";
        QTest::newRow("intl cjk punctuation") << intl << "格式(有效)。" << "格式 ( 有效 ) 。";
        QTest::newRow("zh characters") << zh << "PID %d 不是进程" << "PID % d 不 是 进 程";
        // sacrebleu's range table as Python compares it takes in U+2001..U+2A6D: curly quotes
        // count as Chinese characters
        QTest::newRow("zh curly quotes") << zh << "值为“xml”。" << "值 为 “ xml ” 。";
        QTest::newRow("zh no padding") << zh << "year 2019." << "year 2019.";
        QTest::newRow("zh strips") << zh << "  生成 " << "生 成";
        QTest::newRow("char") << BleuTokenizer::Char << "ab c" << "a b   c";
        QTest::newRow("char multibyte") << BleuTokenizer::Char << "가나" << "가 나";
        QTest::newRow("none") << BleuTokenizer::None << "a  b, c" << "a  b, c";
    }
    void tokenizers()
    {
        QFETCH(BleuTokenizer, tokenizer);
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(QString::fromStdString(sacreTokenize(std8(input), tokenizer)), expected);
    }

    void tokenizerNames()
    {
        for (const char *name : {"13a", "intl", "none", "char", "zh"})
            QCOMPARE(tokenizerName(*tokenizerFromName(name)), std::string(name));
        QVERIFY(!tokenizerFromName("13A"));
        QVERIFY(!tokenizerFromName("ja-mecab"));
    }

    void pythonStringOperations()
    {
        // İ lower-cases to i + combining dot (no Turkish locale), a final capital sigma to ς
        QCOMPARE(pythonLower("İSTANBUL ΟΔΟΣ"), std::string("i\xCC\x87stanbul οδος"));
        QCOMPARE(pythonLower("ΟΝΌΜΑΤΑ ref"), std::string("ονόματα ref"));
        QCOMPARE(pythonLower(""), std::string());
        QCOMPARE(std::string(pythonRstrip("a b \t\r\xC2\xA0\xE3\x80\x80")), std::string("a b"));
        QCOMPARE(std::string(pythonRstrip("\xEF\xBB\xBF")), std::string("\xEF\xBB\xBF"));  // BOM is no space
        const auto words = pythonSplit(" a\xC2\xA0" "b\x1c" "c\xE2\x80\x83" "d ");
        QCOMPARE(words.size(), std::size_t(4));
        QCOMPARE(std::string(words[3]), std::string("d"));
        QVERIFY(!isPythonSpace(0x200B));  // zero-width space is a format character
        QVERIFY(isPythonSpace(0x85));
    }

    // --- BLEU by hand ---------------------------------------------------------------------

    void bleuByHand()
    {
        // hyp n-grams matched: 1-grams 5/6, 2-grams 3/5, 3-grams 2/4, 4-grams 1/3; same length
        const BleuScore s = sentenceBleu("the cat sat on a mat", "the cat sat on the mat", BleuOptions{});
        QCOMPARE(s.counts, (std::array<std::int64_t, 4>{5, 3, 2, 1}));
        QCOMPARE(s.totals, (std::array<std::int64_t, 4>{6, 5, 4, 3}));
        QCOMPARE(s.bp, 1.0);
        QVERIFY(std::fabs(s.score - 100.0 * std::pow(5.0 / 6 * 3.0 / 5 * 2.0 / 4 * 1.0 / 3, 0.25)) < 1e-9);
        QCOMPARE(QString::fromStdString(s.verbose()),
                 QStringLiteral("83.3/60.0/50.0/33.3 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)"));
        QCOMPARE(QString::fromStdString(s.format(2, false)).left(12), QStringLiteral("BLEU = 53.73"));

        const BleuScore same = sentenceBleu("the cat sat on the mat", "the cat sat on the mat", BleuOptions{});
        QVERIFY(std::fabs(same.score - 100.0) < 1e-9);
    }

    void bleuBrevityAndEffectiveOrder()
    {
        // 2 hypothesis tokens against 6: BP = exp(1 - 6/2); no 3-grams at all
        BleuOptions corpus;
        const BleuScore plain = sentenceBleu("the cat", "the cat sat on the mat", corpus);
        QCOMPARE(plain.bp, std::exp(-2.0));
        QCOMPARE(plain.score, 0.0);  // orders 3 and 4 have no n-grams: log(0) stands in
        QCOMPARE(QString::fromStdString(plain.verbose()).left(19), QStringLiteral("100.0/100.0/0.0/0.0"));
        BleuOptions effective;
        effective.effectiveOrder = true;
        const BleuScore eff = sentenceBleu("the cat", "the cat sat on the mat", effective);
        QVERIFY(std::fabs(eff.score - 100.0 * std::exp(-2.0)) < 1e-9);
        QVERIFY(QString::fromStdString(eff.signature).contains(QLatin1String("|eff:yes|")));
    }

    void bleuSmoothing_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<double>("value");  // < 0: default
        QTest::addColumn<double>("expected");
        QTest::addColumn<QString>("smoothSignature");
        // "a b c d" vs "a b x d": 1-grams 3/4, 2-grams 1/3, 3-grams 0/2, 4-grams 0/1
        QTest::newRow("exp") << "exp" << -1.0 << std::pow(75.0 * (100.0 / 3) * (100.0 / (2 * 2)) * (100.0 / (4 * 1)), 0.25)
                             << "exp";
        QTest::newRow("floor default") << "floor" << -1.0
                                       << std::pow(75.0 * (100.0 / 3) * (100.0 * 0.1 / 2) * (100.0 * 0.1 / 1), 0.25)
                                       << "floor[0.10]";
        QTest::newRow("floor 0.5") << "floor" << 0.5
                                   << std::pow(75.0 * (100.0 / 3) * (100.0 * 0.5 / 2) * (100.0 * 0.5 / 1), 0.25)
                                   << "floor[0.50]";
        // add-k adds k to matches and totals of orders 2-4 only
        QTest::newRow("add-k default") << "add-k" << -1.0
                                       << std::pow(75.0 * (100.0 * 2 / 4) * (100.0 * 1 / 3) * (100.0 * 1 / 2), 0.25)
                                       << "add-k[1.00]";
        QTest::newRow("none") << "none" << -1.0 << 0.0 << "none";
    }
    void bleuSmoothing()
    {
        QFETCH(QString, method);
        QFETCH(double, value);
        QFETCH(double, expected);
        QFETCH(QString, smoothSignature);
        BleuOptions o;
        o.smoothing = *smoothingFromName(std8(method));
        if (value >= 0)
            o.smoothValue = value;
        const BleuScore s = sentenceBleu("a b c d", "a b x d", o);
        QVERIFY2(std::fabs(s.score - expected) < 1e-9, qPrintable(QString::number(s.score, 'g', 17)));
        QCOMPARE(QString::fromStdString(s.signature),
                 QStringLiteral("nrefs:1|case:mixed|eff:no|tok:13a|smooth:%1|version:2.6.0").arg(smoothSignature));
    }

    void bleuEmptyAndNoMatch()
    {
        const BleuScore empty = sentenceBleu("", "a b c", BleuOptions{});
        QCOMPARE(empty.score, 0.0);
        QCOMPARE(empty.bp, 0.0);
        QCOMPARE(empty.sysLen, std::int64_t(0));
        QCOMPARE(empty.refLen, std::int64_t(3));
        const BleuScore both = sentenceBleu("", "", BleuOptions{});
        QCOMPARE(both.score, 0.0);
        QCOMPARE(both.bp, 1.0);
        QCOMPARE(both.ratio, 0.0);
        // no match at any order is 0 whatever the smoothing
        BleuOptions addK;
        addK.smoothing = BleuSmoothing::AddK;
        QCOMPARE(sentenceBleu("x y z", "a b c", addK).score, 0.0);
        // corpus statistics add up: an empty line contributes nothing but its reference length
        const BleuScore corpus = corpusBleu({"the cat sat on a mat", ""}, {"the cat sat on the mat", "x"}, BleuOptions{});
        QCOMPARE(corpus.sysLen, std::int64_t(6));
        QCOMPARE(corpus.refLen, std::int64_t(7));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, corpusBleu({"a"}, {}, BleuOptions{}));
    }

    void bleuLowercaseAndSignature()
    {
        BleuOptions o;
        o.lowercase = true;
        o.tokenizer = BleuTokenizer::Intl;
        QVERIFY(std::fabs(sentenceBleu("The CAT sat on MAT", "the cat sat on mat", o).score - 100.0) < 1e-9);
        QCOMPARE(QString::fromStdString(bleuSignature(o)),
                 QStringLiteral("nrefs:1|case:lc|eff:no|tok:intl|smooth:exp|version:2.6.0"));
        BleuOptions bad;
        bad.smoothValue = -1;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, bad.validate());
    }

    // --- chrF by hand ---------------------------------------------------------------------

    void chrfByHand()
    {
        // "ab" vs "abc": 1-grams 2 hyp / 3 ref / 2 match, 2-grams 1 / 2 / 1, 3-grams 0 / 1 / 0,
        // higher orders empty. Averaged over orders 1-2: P = 1, R = (2/3 + 1/2) / 2 = 7/12,
        // F2 = 5PR / (4P + R) = 7/11.
        const ChrfScore s = sentenceChrf("ab", "abc", ChrfOptions{});
        QVERIFY(std::fabs(s.score - 100.0 * 7.0 / 11.0) < 1e-9);
        QCOMPARE(QString::fromStdString(s.name), QStringLiteral("chrF2"));
        QCOMPARE(s.stats.values.size(), std::size_t(18));
        QCOMPARE(s.stats.values[6], std::int64_t(0));  // 3-grams: hyp has none
        QCOMPARE(s.stats.values[7], std::int64_t(1));
        QCOMPARE(QString::fromStdString(s.format(2, false)), QStringLiteral("chrF2 = 63.64"));
        // whitespace is not part of character n-grams
        QVERIFY(std::fabs(sentenceChrf("a b", "ab", ChrfOptions{}).score - 100.0) < 1e-9);
    }

    void chrfPlusPlusByHand()
    {
        // "ab, cd" vs "ab cd", characters of order 1 and words of orders 1-2:
        //   chars  "ab,cd" / "abcd": 5 / 4 / 4
        //   words  ab , cd / ab cd:  3 / 2 / 2   (the comma is split off "ab,")
        //   2-grams "ab ,", ", cd" / "ab cd": 2 / 1 / 0
        ChrfOptions o;
        o.charOrder = 1;
        o.wordOrder = 2;
        const ChrfScore s = sentenceChrf("ab, cd", "ab cd", o);
        const double p = (4.0 / 5 + 2.0 / 3 + 0.0) / 3, r = (1.0 + 1.0 + 0.0) / 3;
        QVERIFY(std::fabs(s.score - 100.0 * 5 * p * r / (4 * p + r)) < 1e-9);
        QCOMPARE(QString::fromStdString(s.name), QStringLiteral("chrF2++"));
        QCOMPARE(QString::fromStdString(s.signature),
                 QStringLiteral("nrefs:1|case:mixed|eff:yes|nc:1|nw:2|space:no|version:2.6.0"));
        QCOMPARE(sentenceChrf("", "abc", ChrfOptions{}).score, 0.0);
        QCOMPARE(sentenceChrf("", "", ChrfOptions{}).score, 0.0);
    }

    // --- reading files --------------------------------------------------------------------

    void readSegmentsAsSacrebleu()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("a.txt"));
        writeBytes(path, "one  \r\n\ntwo\xC2\xA0\nthree");
        const auto lines = readSegments(std8(path));
        QCOMPARE(lines, (std::vector<std::string>{"one", "", "two", "three"}));
        writeBytes(path, "x\n");
        QCOMPARE(readSegments(std8(path)).size(), std::size_t(1));
        writeBytes(path, "");
        QCOMPARE(readSegments(std8(path)).size(), std::size_t(0));
    }

    void readSegmentsRefusesInvalidUtf8()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("bad.txt"));
        writeBytes(path, "good\nba\xC3(d\n");
        try {
            readSegments(std8(path));
            QFAIL("no error for invalid UTF-8");
        } catch (const InputError &e) {
            const QString message = QString::fromUtf8(e.what());
            QVERIFY2(message.contains(path) && message.contains(QLatin1String("line 2")), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(InputError, readSegments(std8(dir.filePath(QStringLiteral("missing.txt")))));
    }

    // --- the real sacrebleu 2.6.0 ---------------------------------------------------------

    void sacrebleuReference_data()
    {
        QTest::addColumn<QString>("ref");
        QTest::addColumn<QString>("hyp");
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("line");  // 0: corpus
        QTest::addColumn<double>("score");
        QTest::addColumn<QString>("signature");
        QTest::addColumn<QString>("printed");

        QFile file(oracleDir() + QStringLiteral("/expected.json"));
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(QStringLiteral("reference data missing: %1").arg(file.fileName())));
        const QJsonArray cases = QJsonDocument::fromJson(file.readAll()).object().value(QStringLiteral("cases")).toArray();
        QCOMPARE(cases.size(), 91);
        for (const QJsonValue &v : cases) {
            const QJsonObject c = v.toObject();
            QStringList args;
            for (const QJsonValue &a : c.value(QStringLiteral("args")).toArray())
                args << a.toString();
            const bool sentence = c.value(QStringLiteral("level")).toString() == QLatin1String("sentence");
            const int line = sentence ? c.value(QStringLiteral("line")).toInt() : 0;
            const QString name = QStringLiteral("%1 %2%3")
                                     .arg(c.value(QStringLiteral("hyp")).toString(),
                                          args.isEmpty() ? QStringLiteral("(defaults)") : args.join(QLatin1Char(' ')),
                                          sentence ? QStringLiteral(" line %1").arg(line) : QString());
            QTest::newRow(qPrintable(name)) << c.value(QStringLiteral("ref")).toString()
                                            << c.value(QStringLiteral("hyp")).toString() << args << line
                                            << c.value(QStringLiteral("score")).toDouble()
                                            << c.value(QStringLiteral("signature")).toString()
                                            << c.value(QStringLiteral("sacrebleu")).toString();
        }
    }
    void sacrebleuReference()
    {
        QFETCH(QString, ref);
        QFETCH(QString, hyp);
        QFETCH(QStringList, args);
        QFETCH(int, line);
        QFETCH(double, score);
        QFETCH(QString, signature);
        QFETCH(QString, printed);

        const auto refs = readSegments(std8(oracleDir() + QLatin1Char('/') + ref));
        const auto hyps = readSegments(std8(oracleDir() + QLatin1Char('/') + hyp));
        QCOMPARE(refs.size(), hyps.size());
        const CaseOptions o = parseCaseArgs(args);
        double ours = 0;
        QString ourSignature, ourLine;
        if (line > 0) {
            QVERIFY(line <= int(hyps.size()));
            const auto i = static_cast<std::size_t>(line - 1);
            if (o.useChrf) {
                ours = sentenceChrf(hyps[i], refs[i], o.chrf).score;
            } else {
                const BleuScore s = sentenceBleu(hyps[i], refs[i], o.bleu);
                ours = s.score;
                QVERIFY(s.signature.find("|eff:yes|") != std::string::npos);
            }
        } else if (o.useChrf) {
            const ChrfScore s = corpusChrf(hyps, refs, o.chrf);
            ours = s.score;
            ourSignature = QString::fromStdString(s.signature);
            ourLine = QString::fromStdString(s.format(2, false));
        } else {
            const BleuScore s = corpusBleu(hyps, refs, o.bleu);
            ours = s.score;
            ourSignature = QString::fromStdString(s.signature);
            ourLine = QString::fromStdString(s.format(2, false));
        }
        QVERIFY2(std::fabs(ours - score) < 1e-9,
                 qPrintable(QStringLiteral("ours %1, sacrebleu %2").arg(ours, 0, 'g', 17).arg(score, 0, 'g', 17)));
        if (line == 0) {
            QCOMPARE(ourSignature, signature);
            QCOMPARE(ourLine, printed);
        }
    }

    // --- `taskmoe bleu` end to end --------------------------------------------------------

    void commandLineCorpusScores()
    {
        const QString ref = oracleDir() + QStringLiteral("/it.ref"), hyp = oracleDir() + QStringLiteral("/it.hyp");

        // text: sacrebleu's `--format text` line at its default width 1
        Run r = runTaskmoe({"bleu", "--ref", ref, "--hyp", hyp});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QString::fromUtf8(r.out).trimmed(),
                 QStringLiteral("BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 80.4 "
                                "94.2/85.3/76.2/68.4 (BP = 1.000 ratio = 1.020 hyp_len = 1340 ref_len = 1314)"));

        r = runTaskmoe({"bleu", "--ref", ref, "--hyp", hyp, "--format", "json", "--tokenize", "intl"});
        QCOMPARE(r.exitCode, 0);
        QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(QStringLiteral("name")).toString(), QStringLiteral("BLEU"));
        QVERIFY(std::fabs(o.value(QStringLiteral("score")).toDouble() - 81.96525128554438) < 1e-9);
        QCOMPARE(o.value(QStringLiteral("signature")).toString(),
                 QStringLiteral("nrefs:1|case:mixed|eff:no|tok:intl|smooth:exp|version:2.6.0"));
        QCOMPARE(o.value(QStringLiteral("sys_len")).toInt(), 1442);
        QCOMPARE(o.value(QStringLiteral("ref_len")).toInt(), 1416);
        QCOMPARE(o.value(QStringLiteral("counts")).toArray().size(), 4);

        r = runTaskmoe({"bleu", "--ref", ref, "--hyp", hyp, "--chrf", "--chrf-word-order", "2", "--format", "json"});
        QCOMPARE(r.exitCode, 0);
        o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(QStringLiteral("name")).toString(), QStringLiteral("chrF2++"));
        QVERIFY(std::fabs(o.value(QStringLiteral("score")).toDouble() - 91.28124088711645) < 1e-9);
        QCOMPARE(o.value(QStringLiteral("chars")).toArray().size(), 6);
        QCOMPARE(o.value(QStringLiteral("words")).toArray().size(), 2);

        r = runTaskmoe({"bleu", "--ref", ref, "--hyp", hyp, "--chrf", "-w", "2"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QString::fromUtf8(r.out).trimmed(),
                 QStringLiteral("chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0 = 91.60"));
    }

    void commandLineSentenceScores()
    {
        const QString ref = oracleDir() + QStringLiteral("/it.ref"), hyp = oracleDir() + QStringLiteral("/it.hyp");
        const Run r = runTaskmoe({"bleu", "--ref", ref, "--hyp", hyp, "--sentence", "--format", "json"});
        QCOMPARE(r.exitCode, 0);
        const QList<QByteArray> lines = r.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 150);
        const QJsonObject second = QJsonDocument::fromJson(lines[1]).object();
        QCOMPARE(second.value(QStringLiteral("line")).toInt(), 2);
        QVERIFY(std::fabs(second.value(QStringLiteral("score")).toDouble() - 83.43519768888818) < 1e-9);
        QVERIFY(second.value(QStringLiteral("signature")).toString().contains(QLatin1String("|eff:yes|")));
    }

    void commandLineErrors()
    {
        const QString ref = oracleDir() + QStringLiteral("/it.ref");
        QTemporaryDir dir;
        const QString shortHyp = dir.filePath(QStringLiteral("short.hyp"));
        writeBytes(shortHyp, "one\ntwo\nthree\n");
        Run r = runTaskmoe({"bleu", "--ref", ref, "--hyp", shortHyp});
        QCOMPARE(r.exitCode, 1);
        const QString err = QString::fromUtf8(r.err);
        QVERIFY2(err.contains(ref) && err.contains(shortHyp) && err.contains(QLatin1String("150"))
                     && err.contains(QLatin1String(" 3")),
                 r.err.constData());

        const QString badHyp = dir.filePath(QStringLiteral("bad.hyp"));
        writeBytes(badHyp, "ok\n\xFF\xFE\n");
        r = runTaskmoe({"bleu", "--ref", badHyp, "--hyp", badHyp});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(QString::fromUtf8(r.err).contains(badHyp + QStringLiteral(": line 2")), r.err.constData());

        r = runTaskmoe({"bleu", "--ref", ref, "--hyp", dir.filePath(QStringLiteral("missing.hyp"))});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("missing.hyp"));

        r = runTaskmoe({"bleu", "--ref", ref, "--hyp", ref, "--tokenize", "moses"});
        QCOMPARE(r.exitCode, 2);
        r = runTaskmoe({"bleu", "--ref", ref});
        QCOMPARE(r.exitCode, 2);
        r = runTaskmoe({"bleu", "--ref", ref, "--hyp", ref, "--chrf", "--smooth-method", "floor"});
        QCOMPARE(r.exitCode, 2);

        // empty lines are fine
        const QString withEmpty = dir.filePath(QStringLiteral("empty-lines.txt"));
        writeBytes(withEmpty, "a b c d\n\n");
        r = runTaskmoe({"bleu", "--ref", withEmpty, "--hyp", withEmpty, "--score-only"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out.trimmed(), QByteArray("100.0"));
    }
};

QTEST_GUILESS_MAIN(TestBleu)
#include "tst_bleu.moc"
