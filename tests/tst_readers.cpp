// Readers for Moses-style parallel text and TSV, including every kind of bad input.
#include "core/base/errors.h"
#include "core/data/readers.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace taskmoe::core;

class TestReaders : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    std::string write(const QString &name, const QByteArray &content)
    {
        const QString path = m_dir.filePath(name);
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(path));
        f.write(content);
        return path.toStdString();
    }

    /// Runs `fn`, expects an InputError whose message contains every part.
    template <typename Fn>
    void expectError(Fn fn, const QStringList &parts)
    {
        try {
            fn();
            QFAIL("no error was raised");
        } catch (const InputError &e) {
            for (const QString &part : parts)
                QVERIFY2(QString::fromUtf8(e.what()).contains(part),
                         qPrintable(QStringLiteral("'%1' does not mention '%2'").arg(e.what(), part)));
        }
    }

private slots:
    void readsAlignedFiles()
    {
        const auto src = write("a.de", "Hallo Welt\r\n  Guten   Tag \n\nDanke\n");
        const auto tgt = write("a.en", "\xEF\xBB\xBFHello world\nGood day\n\nThanks\n");
        const ParallelData d = readParallelFiles(src, tgt, "de", "en");
        QCOMPARE(d.sentences.size(), std::size_t(3));  // blank on both sides is skipped
        QCOMPARE(d.sentences[0].src, std::string("Hallo Welt"));
        QCOMPARE(d.sentences[0].tgt, std::string("Hello world"));  // BOM stripped
        QCOMPARE(d.sentences[1].src, std::string("Guten Tag"));
        QCOMPARE(d.name(), std::string("de-en"));
    }

    void findsEveryPairOfAMosesPrefix()
    {
        write("moses/train.de-en.de", "eins\nzwei\n");
        write("moses/train.de-en.en", "one\ntwo\n");
        write("moses/train.fr-en.fr", "un\n");
        write("moses/train.fr-en.en", "one\n");
        write("moses/dev.de-en.de", "not this prefix\n");
        const auto pairs = readMosesPrefix(m_dir.filePath("moses/train").toStdString());
        QCOMPARE(pairs.size(), std::size_t(2));
        QCOMPARE(pairs[0].name(), std::string("de-en"));
        QCOMPARE(pairs[1].name(), std::string("fr-en"));
        QCOMPARE(pairs[0].sentences[1].tgt, std::string("two"));
    }

    void readsTsv()
    {
        const auto f = write("p.tsv", "Hallo\tHello\n\nTschüss\t Bye \n");
        const ParallelData d = readTsv(f, "de", "en");
        QCOMPARE(d.sentences.size(), std::size_t(2));
        QCOMPARE(d.sentences[1].src, std::string("Tschüss"));
        QCOMPARE(d.sentences[1].tgt, std::string("Bye"));
    }

    void refusesMismatchedLineCounts()
    {
        const auto src = write("m.de", "a\nb\nc\n");
        const auto tgt = write("m.en", "a\nb\n");
        expectError([&] { readParallelFiles(src, tgt, "de", "en"); },
                    {QString::fromStdString(src), QStringLiteral("3 lines"), QString::fromStdString(tgt), QStringLiteral("2")});
    }

    void refusesInvalidUtf8NamingTheLine()
    {
        const auto src = write("u.de", "gut\nschl\xE4\x63ht\n");
        const auto tgt = write("u.en", "good\nbad\n");
        expectError([&] { readParallelFiles(src, tgt, "de", "en"); },
                    {QString::fromStdString(src), QStringLiteral("line 2"), QStringLiteral("invalid UTF-8"), QStringLiteral("byte 5")});
        const auto tsv = write("u.tsv", "a\tb\nc\td\xFF\n");
        expectError([&] { readTsv(tsv, "de", "en"); }, {QString::fromStdString(tsv), QStringLiteral("line 2")});
    }

    void refusesEmptyFiles()
    {
        const auto empty = write("e.de", "");
        const auto tgt = write("e.en", "x\n");
        expectError([&] { readParallelFiles(empty, tgt, "de", "en"); }, {QString::fromStdString(empty), QStringLiteral("empty")});
        const auto tsv = write("e.tsv", "");
        expectError([&] { readTsv(tsv, "de", "en"); }, {QString::fromStdString(tsv), QStringLiteral("empty")});
        const auto blank = write("b.tsv", "\n\n  \n");
        expectError([&] { readTsv(blank, "de", "en"); }, {QString::fromStdString(blank), QStringLiteral("no sentences")});
    }

    void refusesAOneSidedEmptyLine()
    {
        const auto src = write("o.de", "a\n\nc\n");
        const auto tgt = write("o.en", "a\nb\nc\n");
        expectError([&] { readParallelFiles(src, tgt, "de", "en"); }, {QString::fromStdString(src), QStringLiteral("line 2")});
    }

    void refusesMalformedTsvLines()
    {
        const auto noTab = write("t1.tsv", "a\tb\njust text\n");
        expectError([&] { readTsv(noTab, "de", "en"); }, {QStringLiteral("line 2"), QStringLiteral("no tab")});
        const auto twoTabs = write("t2.tsv", "a\tb\tc\n");
        expectError([&] { readTsv(twoTabs, "de", "en"); }, {QStringLiteral("line 1"), QStringLiteral("more than one tab")});
        const auto emptyCol = write("t3.tsv", "a\tb\n\tc\n");
        expectError([&] { readTsv(emptyCol, "de", "en"); }, {QStringLiteral("line 2"), QStringLiteral("empty source")});
    }

    void refusesUnknownOrMalformedLanguageCodes()
    {
        const auto f = write("l.tsv", "a\tb\n");
        expectError([&] { readTsv(f, "xx", "en"); }, {QStringLiteral("'xx'"), QStringLiteral("not a known")});
        expectError([&] { readTsv(f, "DE", "en"); }, {QStringLiteral("'DE'"), QStringLiteral("malformed")});
        expectError([&] { parsePairName("deen", "--pair"); }, {QStringLiteral("--pair"), QStringLiteral("SRC-TGT")});
        expectError([&] { parsePairName("de-de", "--pair"); }, {QStringLiteral("same language")});
        write("bad/train.de-qq.de", "x\n");
        write("bad/train.de-qq.qq", "y\n");
        expectError([&] { readMosesPrefix(m_dir.filePath("bad/train").toStdString()); }, {QStringLiteral("'qq'")});
    }

    void refusesMissingPathsAndDirectories()
    {
        const std::string missing = m_dir.filePath("nope.de").toStdString();
        const auto tgt = write("n.en", "x\n");
        expectError([&] { readParallelFiles(missing, tgt, "de", "en"); }, {QString::fromStdString(missing), QStringLiteral("cannot open")});
        expectError([&] { readTsv(m_dir.path().toStdString(), "de", "en"); }, {QStringLiteral("is a directory")});
        expectError([&] { readMosesPrefix(m_dir.filePath("nothing/here").toStdString()); }, {QStringLiteral("does not exist")});
        expectError([&] { readMosesPrefix(m_dir.filePath("none").toStdString()); }, {QStringLiteral("no files named")});
    }

    void refusesAMosesPairWithOneSide()
    {
        write("half/train.de-en.de", "x\n");
        expectError([&] { readMosesPrefix(m_dir.filePath("half/train").toStdString()); },
                    {QStringLiteral("train.de-en.de"), QStringLiteral("no counterpart"), QStringLiteral("train.de-en.en")});
    }
};

QTEST_GUILESS_MAIN(TestReaders)
#include "tst_readers.moc"
