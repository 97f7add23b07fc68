// Decoding: the incremental decoder with its cache against full re-runs, beam search against
// greedy under the model, causal sentence routing, routing traces and recorded statistics.
// Models are tiny and trained here for real on a toy two-language task.
#include "tests/fixtures.h"
#include "core/decoding/decoding.h"
#include "core/base/errors.h"
#include "core/model/moe.h"
#include "core/data/sentencepiece.h"
#include "core/model/transformer.h"

#include <QtTest>

#include <numeric>
#include <random>

using namespace taskmoe::core;

namespace {

constexpr int kVocab = 24;
constexpr int kFirstWord = 6;  // ids 4, 5 are the <2xx> tokens of languages 0 and 1

ModelOptions tinyOptions(Routing encoder, Routing decoder)
{
    ModelOptions o = taskmoe::test::tinyModelOptions(encoder, decoder);
    o.vocabSize = kVocab;
    o.heads = 4;
    o.dFf = 48;
    o.maxLength = 40;
    o.dropout = 0.0;
    o.labelSmoothing = 0.0;
    o.encoderMoeEvery = 1;
    o.decoderMoeEvery = 2;
    o.numLanguages = 2;
    o.numPairs = 2;
    return o;
}

/// Language 0 copies the source words, language 1 writes each word + 1.
std::vector<std::int32_t> toyTarget(const std::vector<std::int32_t> &words, int lang)
{
    std::vector<std::int32_t> t = words;
    if (lang == 1) {
        for (auto &w : t)
            w = kFirstWord + (w - kFirstWord + 1) % (kVocab - kFirstWord);
    }
    return t;
}

struct ToyData
{
    std::vector<DecodeRequest> requests;
    std::vector<std::vector<std::int32_t>> targets;
};

ToyData toyData(int sentences, unsigned seed)
{
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> len(2, 7), word(kFirstWord, kVocab - 1), lang(0, 1);
    ToyData d;
    for (int i = 0; i < sentences; ++i) {
        std::vector<std::int32_t> words(std::size_t(len(rng)));
        for (auto &w : words)
            w = word(rng);
        const int l = lang(rng);
        DecodeRequest r;
        r.src.push_back(4 + l);
        r.src.insert(r.src.end(), words.begin(), words.end());
        r.targetLang = l;
        r.pair = l;
        d.requests.push_back(r);
        d.targets.push_back(toyTarget(words, l));
    }
    return d;
}

/// Trains for `steps` steps of 32 sentences with Adam; returns the model in eval mode.
Transformer trainedModel(const ModelOptions &o, int steps)
{
    torch::manual_seed(7);
    Transformer model(o);
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(3e-3));
    model->train();
    for (int step = 0; step < steps; ++step) {
        const ToyData d = toyData(32, unsigned(100 + step));
        std::size_t S = 0, L = 0;
        for (std::size_t i = 0; i < d.requests.size(); ++i) {
            S = std::max(S, d.requests[i].src.size());
            L = std::max(L, d.targets[i].size() + 1);
        }
        const auto B = std::int64_t(d.requests.size());
        auto src = torch::zeros({B, std::int64_t(S)}, torch::kInt64), in = torch::zeros({B, std::int64_t(L)}, torch::kInt64),
             out = torch::zeros({B, std::int64_t(L)}, torch::kInt64), lang = torch::zeros({B}, torch::kInt64);
        for (std::int64_t b = 0; b < B; ++b) {
            const auto &r = d.requests[std::size_t(b)];
            const auto &t = d.targets[std::size_t(b)];
            for (std::size_t i = 0; i < r.src.size(); ++i)
                src[b][std::int64_t(i)] = r.src[i];
            in[b][0] = kBosId;
            for (std::size_t i = 0; i < t.size(); ++i) {
                in[b][std::int64_t(i) + 1] = t[i];
                out[b][std::int64_t(i)] = t[i];
            }
            out[b][std::int64_t(t.size())] = kEosId;
            lang[b] = r.targetLang;
        }
        Seq2SeqBatch batch{src, in, out, lang, lang.clone()};
        adam.zero_grad();
        model->forward(batch).loss.backward();
        adam.step();
    }
    model->eval();
    return model;
}

double sum(const std::vector<double> &v)
{
    return std::accumulate(v.begin(), v.end(), 0.0);
}

} // namespace

class TestDecoding : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void cachedDecodingEqualsFullRerunsForEveryRouting_data()
    {
        QTest::addColumn<int>("encoder");
        QTest::addColumn<int>("decoder");
        QTest::newRow("token/token") << int(Routing::Token) << int(Routing::Token);
        QTest::newRow("sentence/sentence") << int(Routing::Sentence) << int(Routing::Sentence);
        QTest::newRow("token/task:target") << int(Routing::Token) << int(Routing::TaskTarget);
        QTest::newRow("task:pair/task:pair") << int(Routing::TaskPair) << int(Routing::TaskPair);
    }
    void cachedDecodingEqualsFullRerunsForEveryRouting()
    {
        QFETCH(int, encoder);
        QFETCH(int, decoder);
        Transformer model = trainedModel(tinyOptions(Routing(encoder), Routing(decoder)), 60);
        const ToyData d = toyData(24, 1);
        for (const int beam : {1, 3}) {
            DecodeOptions o;
            o.beam = beam;
            o.batchSize = 7;  // several batches with finished sentences leaving them
            const auto cached = translate(*model, d.requests, o);
            o.useCache = false;
            const auto uncached = translate(*model, d.requests, o);
            QCOMPARE(cached.size(), d.requests.size());
            for (std::size_t i = 0; i < cached.size(); ++i) {
                QCOMPARE(cached[i].tokens, uncached[i].tokens);
                QVERIFY(std::abs(cached[i].logProb - uncached[i].logProb) < 1e-4);
            }
        }
    }

    void decodedLogProbabilityEqualsTeacherForcedScore()
    {
        Transformer model = trainedModel(tinyOptions(Routing::Token, Routing::TaskTarget), 60);
        const ToyData d = toyData(16, 2);
        DecodeOptions o;
        o.beam = 2;
        const auto results = translate(*model, d.requests, o);
        std::vector<std::vector<std::int32_t>> hyps;
        for (const auto &r : results) {
            QVERIFY(r.finished);
            hyps.push_back(r.tokens);
        }
        const auto scores = scoreTargets(*model, d.requests, hyps, o);
        for (std::size_t i = 0; i < results.size(); ++i)
            QVERIFY2(std::abs(scores[i] - results[i].logProb) < 1e-4,
                     qPrintable(QStringLiteral("%1 vs %2").arg(scores[i]).arg(results[i].logProb)));
    }

    void trainedToyModelTranslatesAndBeamScoresAtLeastGreedy()
    {
        Transformer model = trainedModel(tinyOptions(Routing::Token, Routing::TaskTarget), 250);
        const ToyData test = toyData(60, 3);
        DecodeOptions o;
        o.lengthPenalty = 0;  // compare raw model scores
        o.beam = 1;
        const auto greedy = translate(*model, test.requests, o);
        o.beam = 4;
        const auto beam = translate(*model, test.requests, o);
        std::vector<std::vector<std::int32_t>> g, b;
        int correct = 0;
        for (std::size_t i = 0; i < greedy.size(); ++i) {
            g.push_back(greedy[i].tokens);
            b.push_back(beam[i].tokens);
            correct += greedy[i].tokens == test.targets[i];
        }
        // The model learned the task (most sentences exactly right), so decoding works.
        QVERIFY2(correct >= 40, qPrintable(QStringLiteral("%1 of 60 correct").arg(correct)));
        const double greedyScore = sum(scoreTargets(*model, test.requests, g, o));
        const double beamScore = sum(scoreTargets(*model, test.requests, b, o));
        QVERIFY2(beamScore >= greedyScore - 1e-6, qPrintable(QStringLiteral("beam %1 < greedy %2").arg(beamScore).arg(greedyScore)));
    }

    void maximumLengthStopsUnfinishedHypotheses()
    {
        Transformer model(tinyOptions(Routing::Token, Routing::Token));  // untrained: rarely says EOS
        DecodeRequest r;
        r.src = {4, 7, 8, 9};
        DecodeOptions o;
        o.maxLengthRatio = 1.0;
        o.maxLengthExtra = 2;
        o.beam = 2;
        const auto out = translate(*model, {r}, o);
        QVERIFY(out[0].tokens.size() <= 5);
        if (!out[0].finished)
            QCOMPARE(out[0].tokens.size(), std::size_t(5));
    }

    void decoderSentenceRoutingDoesNotSeeLaterTokens()
    {
        torch::manual_seed(3);
        Transformer model(tinyOptions(Routing::Sentence, Routing::Sentence));
        model->eval();
        torch::NoGradGuard noGrad;
        const auto src = torch::tensor({{4, 7, 8, 9}}, torch::kInt64);
        const auto lang = torch::zeros({1}, torch::kInt64);
        const auto enc = model->encode(src, lang, lang);
        const auto shortIn = torch::tensor({{int64_t(kBosId), int64_t(10), int64_t(11)}}, torch::kInt64);
        const auto longIn = torch::tensor({{int64_t(kBosId), int64_t(10), int64_t(11), int64_t(20), int64_t(21)}}, torch::kInt64);
        const auto a = model->decode(shortIn, enc, lang, lang).states;
        const auto b = model->decode(longIn, enc, lang, lang).states.narrow(1, 0, 3);
        QVERIFY(torch::allclose(a, b, 1e-5, 1e-6));
    }

    void traceShowsEveryTokenOfEveryMoeLayer()
    {
        Transformer model = trainedModel(tinyOptions(Routing::Token, Routing::TaskTarget), 20);
        const ToyData d = toyData(3, 4);
        const auto traces = traceRouting(*model, d.requests, d.targets, DecodeOptions());
        QCOMPARE(traces.size(), std::size_t(3));
        for (std::size_t i = 0; i < traces.size(); ++i) {
            QCOMPARE(traces[i].size(), std::size_t(3));  // encoder layers 0, 1; decoder layer 1
            QCOMPARE(traces[i][0].decoder, false);
            QCOMPARE(traces[i][0].tokens.size(), d.requests[i].src.size());
            QCOMPARE(traces[i][2].decoder, true);
            QCOMPARE(traces[i][2].layer, 1);
            QCOMPARE(traces[i][2].tokens.size(), d.targets[i].size() + 1);  // BOS + pieces
            // Task routing: every decoder token of the sentence chose the same experts.
            for (const auto &t : traces[i][2].tokens) {
                QCOMPARE(t.experts, traces[i][2].tokens.front().experts);
                QCOMPARE(t.experts.size(), std::size_t(2));
                QVERIFY(std::abs(t.gates[0] + t.gates[1] - 1.0) < 1e-6);
                QVERIFY(!t.dropped[0] && !t.dropped[1]);  // no capacity limit while decoding
            }
        }
    }

    void recorderCountsAddUpAndCapacityShowsDrops()
    {
        Transformer model = trainedModel(tinyOptions(Routing::Token, Routing::TaskTarget), 20);
        const ToyData d = toyData(20, 5);
        std::int64_t srcTokens[2] = {0, 0}, tgtTokens[2] = {0, 0};
        for (std::size_t i = 0; i < d.requests.size(); ++i) {
            srcTokens[d.requests[i].pair] += std::int64_t(d.requests[i].src.size());
            tgtTokens[d.requests[i].pair] += std::int64_t(d.targets[i].size() + 1);
        }
        RoutingRecorder rec(*model, 2);
        rec.record(d.requests, d.targets, DecodeOptions());
        QCOMPARE(rec.layers().size(), std::size_t(3));
        for (const auto &layer : rec.layers())
            for (int task = 0; task < 2; ++task) {
                std::int64_t top1 = 0, topk = 0, processed = 0;
                double gate = 0;
                int used = 0;
                for (std::size_t e = 0; e < rec.experts(); ++e) {
                    const auto &c = layer.cells[std::size_t(task) * rec.experts() + e];
                    top1 += c.top1;
                    topk += c.topk;
                    processed += c.processed;
                    gate += c.gate;
                    used += c.topk > 0;
                }
                const auto tokens = layer.decoder ? tgtTokens[task] : srcTokens[task];
                QCOMPARE(top1, tokens);
                QCOMPARE(topk, 2 * tokens);
                QCOMPARE(processed, topk);
                QVERIFY(std::abs(gate - double(tokens)) < 1e-6 * double(tokens));
                if (layer.decoder)
                    QCOMPARE(used, 2);  // task routing: a task's tokens all on its k experts
            }
        // A tight capacity drops copies: processed falls below the choices.
        RoutingRecorder tight(*model, 2);
        DecodeOptions o;
        o.capacityFactor = 0.5;
        tight.record(d.requests, d.targets, o);
        std::int64_t topk = 0, processed = 0;
        for (const auto &c : tight.layers().back().cells) {
            topk += c.topk;
            processed += c.processed;
        }
        QVERIFY(processed < topk);
    }

    void badRequestsAreRefusedWithTheirSentence()
    {
        Transformer model(tinyOptions(Routing::Token, Routing::TaskTarget));
        DecodeRequest ok;
        ok.src = {4, 7};
        DecodeRequest badLang = ok;
        badLang.targetLang = 5;
        try {
            translate(*model, {ok, badLang}, DecodeOptions());
            QFAIL("accepted an unknown target language");
        } catch (const InputError &e) {
            QVERIFY2(QString::fromStdString(e.what()).contains(QStringLiteral("sentence 2")), e.what());
        }
        DecodeRequest empty;
        QVERIFY_THROWS_EXCEPTION(InputError, translate(*model, {empty}, DecodeOptions()));
        DecodeOptions zeroBeam;
        zeroBeam.beam = 0;
        QVERIFY_THROWS_EXCEPTION(InputError, translate(*model, {ok}, zeroBeam));
        QVERIFY_THROWS_EXCEPTION(InputError, scoreTargets(*model, {ok}, {}, DecodeOptions()));
    }
};

QTEST_GUILESS_MAIN(TestDecoding)
#include "tst_decoding.moc"
