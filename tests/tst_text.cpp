// Text utilities, SHA-256, language codes and corpus splitting.
#include "core/data/corpus.h"
#include "core/base/errors.h"
#include "core/base/languages.h"
#include "core/base/sha256.h"
#include "core/base/text.h"

#include <QtTest>

#include <set>

using namespace taskmoe::core;

class TestText : public QObject
{
    Q_OBJECT

private slots:
    void utf8Validation_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<int>("badOffset");
        QTest::newRow("ascii") << QByteArray("hello") << true << -1;
        QTest::newRow("cyrillic and cjk") << QByteArray("дом 家") << true << -1;
        QTest::newRow("emoji") << QByteArray("\xF0\x9F\x98\x80") << true << -1;
        QTest::newRow("lone continuation") << QByteArray("ab\x80") << false << 2;
        QTest::newRow("overlong slash") << QByteArray("\xC0\xAF") << false << 0;
        QTest::newRow("surrogate") << QByteArray("x\xED\xA0\x80") << false << 1;
        QTest::newRow("truncated") << QByteArray("ok\xE4\xB8") << false << 2;
        QTest::newRow("above max") << QByteArray("\xF4\x90\x80\x80") << false << 0;
    }
    void utf8Validation()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(bool, valid);
        QFETCH(int, badOffset);
        std::size_t bad = 99;
        QCOMPARE(isValidUtf8(std::string_view(bytes.constData(), bytes.size()), &bad), valid);
        if (!valid)
            QCOMPARE(int(bad), badOffset);
    }

    void whitespaceIsNormalised()
    {
        QCOMPARE(normalizeWhitespace("  a \t b\n\nc  "), std::string("a b c"));
        QCOMPARE(normalizeWhitespace("x\xC2\xA0y\xE3\x80\x80z"), std::string("x y z"));  // NBSP, ideographic space
        QCOMPARE(normalizeWhitespace(""), std::string());
        QCOMPARE(utf8Length("groß"), std::size_t(4));
    }

    void sha256MatchesKnownVectors()
    {
        QCOMPARE(Sha256::hex(""), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(Sha256::hex("abc"), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        QCOMPARE(Sha256::hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                 std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
        Sha256 incremental;
        const std::string million(1000000, 'a');
        for (std::size_t i = 0; i < million.size(); i += 997)
            incremental.update(std::string_view(million).substr(i, 997));
        QCOMPARE(incremental.hexDigest(), std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    }

    void languageCodes_data()
    {
        QTest::addColumn<QString>("code");
        QTest::addColumn<bool>("valid");
        QTest::newRow("de") << "de" << true;
        QTest::newRow("pt_BR") << "pt_BR" << true;
        QTest::newRow("zh-Hans") << "zh-Hans" << true;
        QTest::newRow("sr@latin") << "sr@latin" << true;
        QTest::newRow("ast") << "ast" << true;
        QTest::newRow("unknown xx") << "xx" << false;
        QTest::newRow("upper case") << "DE" << false;
        QTest::newRow("too long") << "germ" << false;
        QTest::newRow("bad region") << "pt_br" << false;
        QTest::newRow("empty") << "" << false;
        QTest::newRow("digits") << "d3" << false;
    }
    void languageCodes()
    {
        QFETCH(QString, code);
        QFETCH(bool, valid);
        QCOMPARE(isValidLanguageCode(code.toStdString()), valid);
        if (!valid) {
            try {
                validateLanguageCode(code.toStdString(), "--langs");
                QFAIL("accepted");
            } catch (const InputError &e) {
                QVERIFY(QString(e.what()).startsWith(QStringLiteral("--langs: language code '%1'").arg(code)));
            }
        }
    }

    void splitsAreDeterministicDisjointAndKeepDuplicatesTogether()
    {
        Corpus c;
        ParallelData p{"en", "de", {}};
        for (int i = 0; i < 2000; ++i)
            p.sentences.push_back({"sentence " + std::to_string(i % 1500), "satz " + std::to_string(i)});
        c.pairs.push_back(p);
        SplitOptions o;
        o.devSize = 100;
        o.testSize = 150;
        const SplitCorpus a = splitCorpus(c, o), b = splitCorpus(c, o);
        QCOMPARE(fingerprint(a), fingerprint(b));
        const auto &s = a.pairs.front();
        QCOMPARE(s.total(), std::size_t(2000));
        QVERIFY(s.test.size() >= 150 && s.test.size() < 160);
        QVERIFY(s.dev.size() >= 100 && s.dev.size() < 110);
        std::set<std::string> train, test;
        for (const auto &r : s.train)
            train.insert(r.src);
        for (const auto &r : s.test)
            test.insert(r.src);
        for (const auto &t : test)
            QVERIFY2(!train.count(t), t.c_str());  // duplicates of a source never straddle splits
        o.seed = 2;
        QVERIFY(fingerprint(splitCorpus(c, o)) != fingerprint(a));
    }

    void multiwaySetTakesPivotSentencesCommonToEveryPair()
    {
        Corpus c;
        for (const char *lang : {"de", "fr", "ru"}) {
            ParallelData p{"en", lang, {}};
            for (int i = 0; i < 300; ++i)
                p.sentences.push_back({"shared " + std::to_string(i), std::string(lang) + " " + std::to_string(i)});
            for (int i = 0; i < 500; ++i)
                p.sentences.push_back({std::string(lang) + " only " + std::to_string(i), "x" + std::to_string(i)});
            c.pairs.push_back(p);
        }
        SplitOptions o;
        o.multiwaySize = 100;
        const SplitCorpus s = splitCorpus(c, o);
        QCOMPARE(s.pivotLang, std::string("en"));
        QCOMPARE(s.multiwayPivot.size(), std::size_t(100));
        for (const auto &pair : s.pairs) {
            QCOMPARE(pair.multiway.size(), std::size_t(100));
            for (std::size_t i = 0; i < pair.multiway.size(); ++i) {
                QCOMPARE(pair.multiway[i].alignId, std::int64_t(i));
                QCOMPARE(pair.multiway[i].src, s.multiwayPivot[i]);
            }
            QCOMPARE(pair.total(), std::size_t(800));
        }
    }

    void fingerprintDoesNotDependOnPairOrder()
    {
        Corpus c;
        c.pairs.push_back({"en", "de", {{"a", "b"}, {"c", "d"}}});
        c.pairs.push_back({"en", "fr", {{"a", "e"}, {"f", "g"}}});
        SplitOptions o;
        const std::string one = fingerprint(splitCorpus(c, o));
        std::swap(c.pairs[0], c.pairs[1]);
        QCOMPARE(fingerprint(splitCorpus(c, o)), one);
        c.pairs[0].sentences[0].tgt = "changed";
        QVERIFY(fingerprint(splitCorpus(c, o)) != one);
    }

    void dedupeKeepsFirstOccurrences()
    {
        ParallelData p{"en", "de", {{"a", "b"}, {"a", "c"}, {"a", "b"}, {"d", "e"}}};
        QCOMPARE(dedupe(p), std::size_t(1));
        QCOMPARE(p.sentences.size(), std::size_t(3));
        QCOMPARE(p.sentences[1].tgt, std::string("c"));
    }
};

QTEST_GUILESS_MAIN(TestText)
#include "tst_text.moc"
