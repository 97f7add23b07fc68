// The shared SentencePiece vocabulary, reached through the run-time-loaded module in a
// process that also links LibTorch (the combination that crashes when linked directly).
#include "core/base/errors.h"
#include "core/data/sentencepiece.h"
#include "core/model/backend.h"

#include <QtTest>

using namespace taskmoe::core;

namespace {

std::vector<std::string> trainingText()
{
    const char *words[] = {"the", "house", "is", "big", "small", "dog", "cat", "sees", "runs", "quickly",
                           "das", "Haus", "ist", "groß", "klein", "Hund", "Katze", "sieht", "läuft", "schnell",
                           "дом", "большой", "маленький", "собака", "кошка", "видит", "бежит", "быстро"};
    std::vector<std::string> text;
    std::uint32_t x = 1;
    for (int s = 0; s < 3000; ++s) {
        std::string line;
        const int n = 4 + s % 7;
        for (int w = 0; w < n; ++w) {
            x = x * 1664525u + 1013904223u;
            line += (w ? " " : "") + std::string(words[(x >> 16) % (sizeof words / sizeof *words)]);
        }
        text.push_back(line);
    }
    return text;
}

} // namespace

class TestSentencePiece : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        setThreads(2);  // LibTorch is live in this process
        VocabTrainOptions o;
        o.vocabSize = 120;
        o.targetLanguages = {"de", "en", "ru"};
        m_model = std::make_unique<SentencePieceModel>(SentencePieceModel::train(trainingText(), o));
    }

    void roundTripsTextInSeveralScripts_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("latin") << QStringLiteral("the big dog sees the small cat");
        QTest::newRow("umlaut") << QStringLiteral("das Haus ist groß");
        QTest::newRow("cyrillic") << QStringLiteral("собака видит кошка быстро");
    }
    void roundTripsTextInSeveralScripts()
    {
        QFETCH(QString, text);
        const std::string s = text.toStdString();
        const auto ids = m_model->encode(s);
        QVERIFY(!ids.empty());
        QCOMPARE(QString::fromStdString(m_model->decode(ids)), text);
    }

    void targetSymbolsAreSinglePieces()
    {
        for (const char *lang : {"de", "en", "ru"}) {
            const std::string token = targetToken(lang);
            const int id = m_model->pieceToId(token);
            QVERIFY(id != kUnkId);
            QCOMPARE(m_model->idToPiece(id), token);
            // Encoded inside text it stays one piece (possibly after a lone "▁").
            const auto pieces = m_model->encodePieces(token + " das Haus");
            QVERIFY(std::find(pieces.begin(), pieces.end(), token) != pieces.end());
        }
        QCOMPARE(m_model->pieceToId("<2fr>"), kUnkId);
    }

    void specialIdsAreFixed()
    {
        QCOMPARE(m_model->idToPiece(kPadId), std::string("<pad>"));
        QCOMPARE(m_model->idToPiece(kUnkId), std::string("<unk>"));
        QCOMPARE(m_model->idToPiece(kBosId), std::string("<s>"));
        QCOMPARE(m_model->idToPiece(kEosId), std::string("</s>"));
        QVERIFY(m_model->size() <= 120);
    }

    void serialisedModelReloadsIdentically()
    {
        const auto copy = SentencePieceModel::fromBytes(m_model->bytes());
        const std::string s = "the small Hund läuft schnell";
        QCOMPARE(copy.encode(s), m_model->encode(s));
        QCOMPARE(copy.size(), m_model->size());
    }

    void trainingIsDeterministic()
    {
        VocabTrainOptions o;
        o.vocabSize = 120;
        o.targetLanguages = {"de", "en", "ru"};
        const auto again = SentencePieceModel::train(trainingText(), o);
        QCOMPARE(again.bytes(), m_model->bytes());
    }

    void refusesGarbageAndBadOptions()
    {
        QVERIFY_THROWS_EXCEPTION(InputError, SentencePieceModel::fromBytes("this is not a model"));
        QVERIFY_THROWS_EXCEPTION(InputError, m_model->decode({m_model->size() + 5}));
        VocabTrainOptions o;
        o.vocabSize = 5;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, SentencePieceModel::train(trainingText(), o));
        o = VocabTrainOptions{};
        o.modelType = "word2vec";
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, SentencePieceModel::train(trainingText(), o));
        QVERIFY_THROWS_EXCEPTION(InputError, SentencePieceModel::train({}, VocabTrainOptions{}));
    }

private:
    std::unique_ptr<SentencePieceModel> m_model;
};

QTEST_GUILESS_MAIN(TestSentencePiece)
#include "tst_sentencepiece.moc"
