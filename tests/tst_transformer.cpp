// The MoE Transformer: every routing combination trains, padding and causality are respected,
// the embedding is tied, parameter counts add up, the loss matches PyTorch's, and bad options
// are refused naming the field.
#include "tests/fixtures.h"
#include "core/data/sentencepiece.h"
#include "core/model/transformer.h"

#include <QtTest>

#include <set>

using namespace taskmoe::core;

namespace {

ModelOptions tinyOptions(Routing encoder = Routing::Token, Routing decoder = Routing::TaskTarget)
{
    return taskmoe::test::tinyModelOptions(encoder, decoder);
}

/// Three sentence pairs of different lengths, padded: src [3, 7], tgtIn/tgtOut [3, 6].
Seq2SeqBatch tinyBatch()
{
    const std::vector<std::vector<std::int64_t>> src = {{4, 10, 11, 12, 13, 14, kEosId}, {5, 20, 21, kEosId}, {6, kEosId}};
    const std::vector<std::vector<std::int64_t>> tgt = {{30, 31, 32, 33, 34}, {40, 41}, {45, 46, 47}};
    const std::int64_t B = 3, S = 7, L = 6;
    Seq2SeqBatch b;
    b.src = torch::zeros({B, S}, torch::kInt64);
    b.tgtIn = torch::zeros({B, L}, torch::kInt64);
    b.tgtOut = torch::zeros({B, L}, torch::kInt64);
    for (std::int64_t i = 0; i < B; ++i) {
        const auto &s = src[std::size_t(i)];
        for (std::size_t j = 0; j < s.size(); ++j)
            b.src[i][std::int64_t(j)] = s[j];
        const auto &t = tgt[std::size_t(i)];
        b.tgtIn[i][0] = kBosId;
        for (std::size_t j = 0; j < t.size(); ++j) {
            b.tgtIn[i][std::int64_t(j) + 1] = t[j];
            b.tgtOut[i][std::int64_t(j)] = t[j];
        }
        b.tgtOut[i][std::int64_t(t.size())] = kEosId;
    }
    b.targetLang = torch::tensor({0, 2, 1}, torch::kInt64);
    b.pair = torch::tensor({3, 0, 1}, torch::kInt64);
    return b;
}

const std::vector<Routing> kRoutings = {Routing::Dense, Routing::Token, Routing::Sentence, Routing::TaskTarget,
                                        Routing::TaskPair};

std::int64_t numel(const std::vector<torch::Tensor> &ts)
{
    std::int64_t n = 0;
    for (const auto &t : ts)
        n += t.numel();
    return n;
}

bool sameTensor(const torch::Tensor &a, const torch::Tensor &b, double tol = 1e-5)
{
    return a.sizes() == b.sizes() && torch::allclose(a, b, tol, tol);
}

} // namespace

Q_DECLARE_METATYPE(taskmoe::core::Routing)

class TestTransformer : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        torch::set_num_threads(2);
    }

    void everyRoutingCombinationTrainsOnAPaddedBatch_data()
    {
        QTest::addColumn<Routing>("encoder");
        QTest::addColumn<Routing>("decoder");
        for (Routing e : kRoutings)
            for (Routing d : kRoutings)
                QTest::newRow((routingName(e) + "/" + routingName(d)).c_str()) << e << d;
    }
    void everyRoutingCombinationTrainsOnAPaddedBatch()
    {
        QFETCH(Routing, encoder);
        QFETCH(Routing, decoder);
        torch::manual_seed(1);
        auto options = tinyOptions(encoder, decoder);
        options.zLossCoef = 0.001;
        Transformer model(options);
        model->train();
        const auto batch = tinyBatch();
        const ModelOutput out = model(batch);

        QCOMPARE(out.logits.sizes().vec(), (std::vector<std::int64_t>{3, 6, 50}));
        QCOMPARE(out.targetTokens, std::int64_t(6 + 3 + 4));
        QVERIFY(torch::isfinite(out.loss).item<bool>());
        QVERIFY(out.ce.item<double>() > 0);
        const std::size_t moeLayers = (encoder != Routing::Dense ? 1 : 0) + (decoder != Routing::Dense ? 1 : 0);
        QCOMPARE(out.perLayer.size(), moeLayers);
        for (const auto &s : out.perLayer) {
            QCOMPARE(s.layer, std::int64_t(1));  // every 2nd layer: layer 1
            QCOMPARE(s.tokens, std::int64_t(13));  // 7 + 4 + 2 source, 6 + 3 + 4 target tokens
            QCOMPARE(s.expertLoad.sum().item<std::int64_t>() + s.dropped, 2 * s.tokens);
            QVERIFY(s.balance > 0);
        }
        if (moeLayers == 0)
            QCOMPARE(out.balance.item<double>(), 0.0);
        const double expectedLoss = out.ce.item<double>() + options.balanceLossCoef * out.balance.item<double>()
                                    + options.zLossCoef * out.zLoss.item<double>();
        QVERIFY(std::fabs(out.loss.item<double>() - expectedLoss) < 1e-5);

        out.loss.backward();
        const auto &embGrad = model->embedding->weight.grad();
        QVERIFY(embGrad.defined());
        QVERIFY(torch::isfinite(embGrad).all().item<bool>());
        QVERIFY(embGrad.abs().sum().item<double>() > 0);
        for (const auto &p : model->named_parameters()) {
            if (p.value().grad().defined())
                QVERIFY2(torch::isfinite(p.value().grad()).all().item<bool>(), p.key().c_str());
        }
        // The experts of every MoE layer are trained.
        for (const auto &ref : model->moeLayers()) {
            QVERIFY(ref.moe->wi.grad().defined());
            QVERIFY(ref.moe->wi.grad().abs().sum().item<double>() > 0);
        }
    }

    void sourcePaddingDoesNotChangeRealTokenOutputs_data()
    {
        QTest::addColumn<Routing>("encoder");
        QTest::addColumn<Routing>("decoder");
        QTest::newRow("dense") << Routing::Dense << Routing::Dense;
        QTest::newRow("token/task:target") << Routing::Token << Routing::TaskTarget;
        QTest::newRow("sentence/sentence") << Routing::Sentence << Routing::Sentence;
    }
    void sourcePaddingDoesNotChangeRealTokenOutputs()
    {
        QFETCH(Routing, encoder);
        QFETCH(Routing, decoder);
        torch::manual_seed(2);
        Transformer model(tinyOptions(encoder, decoder));
        model->eval();
        torch::NoGradGuard noGrad;
        const auto batch = tinyBatch();
        auto padded = batch;
        padded.src = torch::cat({batch.src, torch::zeros({3, 5}, torch::kInt64)}, 1);  // five more pad columns

        const auto a = model(batch);
        const auto b = model(padded);
        QVERIFY(sameTensor(a.logits, b.logits));
        const auto ea = model->encode(batch.src, batch.targetLang, batch.pair);
        const auto eb = model->encode(padded.src, padded.targetLang, padded.pair);
        QVERIFY(sameTensor(ea.states, eb.states.narrow(1, 0, 7)));
        QCOMPARE(eb.mask.sum().item<std::int64_t>(), ea.mask.sum().item<std::int64_t>());
    }

    void laterTargetTokensDoNotChangeEarlierLogits_data()
    {
        QTest::addColumn<Routing>("decoder");
        QTest::newRow("dense decoder") << Routing::Dense;
        // With capacity for every token, token routing is per position and so causal too.
        QTest::newRow("token decoder, no drops") << Routing::Token;
    }
    void laterTargetTokensDoNotChangeEarlierLogits()
    {
        QFETCH(Routing, decoder);
        torch::manual_seed(3);
        auto options = tinyOptions(Routing::Token, decoder);
        options.capacityFactorEval = double(options.experts);  // capacity ≥ all tokens
        Transformer model(options);
        model->eval();
        torch::NoGradGuard noGrad;
        auto batch = tinyBatch();
        const auto before = model(batch).logits;
        batch.tgtIn[0][3] = 17;  // change position 3 of sentence 0
        const auto after = model(batch).logits;
        QVERIFY(sameTensor(before.narrow(1, 0, 3), after.narrow(1, 0, 3), 1e-6));
        QVERIFY(!torch::allclose(before[0].narrow(0, 3, 3), after[0].narrow(0, 3, 3)));
        // Other sentences are untouched entirely.
        QVERIFY(sameTensor(before.narrow(0, 1, 2), after.narrow(0, 1, 2), 1e-6));
    }

    void embeddingIsTiedWithTheOutputProjection()
    {
        torch::manual_seed(4);
        Transformer model(tinyOptions(Routing::Token, Routing::TaskTarget));
        model->eval();
        QVERIFY(model->outputProjectionWeight().is_same(model->embedding->weight));
        // Exactly one [vocab, d_model] parameter: no separate output matrix.
        int matrices = 0;
        for (const auto &p : model->parameters())
            matrices += p.sizes() == torch::IntArrayRef({50, 32});
        QCOMPARE(matrices, 1);

        const auto batch = tinyBatch();
        const auto out = model(batch);
        const auto enc = model->encode(batch.src, batch.targetLang, batch.pair);
        const auto dec = model->decode(batch.tgtIn, enc, batch.targetLang, batch.pair);
        QVERIFY(sameTensor(out.logits, torch::matmul(dec.states, model->embedding->weight.t())));

        // Token 49 appears in no input: its row still learns, through the output projection.
        model->train();
        model->zero_grad();
        model(batch).loss.backward();
        QVERIFY(model->embedding->weight.grad()[49].abs().sum().item<double>() > 0);
    }

    void parameterCountsAddUp_data()
    {
        QTest::addColumn<Routing>("encoder");
        QTest::addColumn<Routing>("decoder");
        QTest::addColumn<std::int64_t>("experts");
        QTest::addColumn<std::int64_t>("topK");
        QTest::newRow("dense") << Routing::Dense << Routing::Dense << std::int64_t(4) << std::int64_t(2);
        QTest::newRow("token/task:target E4 k2") << Routing::Token << Routing::TaskTarget << std::int64_t(4)
                                                 << std::int64_t(2);
        QTest::newRow("sentence/task:pair E8 k1") << Routing::Sentence << Routing::TaskPair << std::int64_t(8)
                                                  << std::int64_t(1);
        QTest::newRow("token/token E2 k2") << Routing::Token << Routing::Token << std::int64_t(2) << std::int64_t(2);
    }
    void parameterCountsAddUp()
    {
        QFETCH(Routing, encoder);
        QFETCH(Routing, decoder);
        QFETCH(std::int64_t, experts);
        QFETCH(std::int64_t, topK);
        auto o = tinyOptions(encoder, decoder);
        o.experts = experts;
        o.topK = topK;
        Transformer model(o);
        const auto c = model->parameterCounts();
        QCOMPARE(c.total, numel(model->parameters()));
        QCOMPARE(c.embedding + c.encoder + c.decoder, c.total);
        QCOMPARE(c.dense + c.expert, c.total);
        QCOMPARE(c.encoderExpert + c.decoderExpert, c.expert);
        QCOMPARE(c.embedding, o.vocabSize * o.dModel);

        // One MoE layer per MoE side (layer 1 of 2): E experts of d·f + f·d weights each.
        const std::int64_t perExpert = 2 * o.dModel * o.dFf;
        const std::int64_t moeSides = (encoder != Routing::Dense) + (decoder != Routing::Dense);
        QCOMPARE(c.expert, moeSides * experts * perExpert);
        QCOMPARE(c.activePerToken, c.dense + moeSides * topK * perExpert);
        QCOMPARE(c.encoderActive + c.decoderActive + c.embedding, c.activePerToken);
        if (moeSides > 0) {
            QVERIFY(c.router > 0);
            QVERIFY(c.router < c.dense);
        }
        if (moeSides > 0 && experts > topK)
            QVERIFY(c.activePerToken < c.total);
        else
            QCOMPARE(c.activePerToken, c.total);
    }

    void labelSmoothedLossMatchesTorchCrossEntropy_data()
    {
        QTest::addColumn<double>("smoothing");
        QTest::newRow("none") << 0.0;
        QTest::newRow("0.1") << 0.1;
        QTest::newRow("0.3") << 0.3;
    }
    void labelSmoothedLossMatchesTorchCrossEntropy()
    {
        QFETCH(double, smoothing);
        torch::manual_seed(5);
        auto o = tinyOptions(Routing::Dense, Routing::Dense);
        o.labelSmoothing = smoothing;
        Transformer model(o);
        model->eval();
        const auto batch = tinyBatch();
        const auto out = model(batch);
        namespace F = torch::nn::functional;
        const auto logits = out.logits.reshape({-1, 50});
        const auto target = batch.tgtOut.reshape({-1});
        const auto ce = F::cross_entropy(logits, target,
                                         F::CrossEntropyFuncOptions().ignore_index(kPadId).label_smoothing(smoothing));
        const auto nll = F::cross_entropy(logits, target, F::CrossEntropyFuncOptions().ignore_index(kPadId));
        QVERIFY2(std::fabs(out.ce.item<double>() - ce.item<double>()) < 1e-5,
                 qPrintable(QString("ours %1, torch %2").arg(out.ce.item<double>()).arg(ce.item<double>())));
        QVERIFY(std::fabs(out.nll.item<double>() - nll.item<double>()) < 1e-5);
        QVERIFY(std::fabs(out.loss.item<double>() - out.ce.item<double>()) < 1e-7);  // no MoE: no auxiliary loss
    }

    void encodeThenDecodeIsForward()
    {
        torch::manual_seed(6);
        Transformer model(tinyOptions(Routing::Sentence, Routing::TaskPair));
        model->eval();
        torch::NoGradGuard noGrad;
        const auto batch = tinyBatch();
        const auto enc = model->encode(batch.src, batch.targetLang, batch.pair);
        const auto dec = model->decode(batch.tgtIn, enc, batch.targetLang, batch.pair);
        QVERIFY(sameTensor(model->project(dec.states), model(batch).logits, 1e-6));
        QCOMPARE(enc.moe.layers.size(), std::size_t(1));
        QCOMPARE(dec.moe.layers.size(), std::size_t(1));
    }

    void dropoutIsActiveInTrainingOnly()
    {
        torch::manual_seed(7);
        auto o = tinyOptions(Routing::Dense, Routing::Dense);
        o.dropout = 0.3;
        Transformer model(o);
        const auto batch = tinyBatch();
        torch::NoGradGuard noGrad;
        model->train();
        QVERIFY(!torch::allclose(model(batch).logits, model(batch).logits));
        model->eval();
        QVERIFY(torch::equal(model(batch).logits, model(batch).logits));
    }

    void routingObserverSeesEveryMoeLayer()
    {
        torch::manual_seed(8);
        auto o = tinyOptions(Routing::Token, Routing::TaskTarget);
        o.encoderMoeEvery = 1;  // both encoder layers
        Transformer model(o);
        std::set<std::pair<bool, std::int64_t>> seen;
        model->setRoutingObserver([&](const RoutingDecision &d) { seen.insert({d.decoder, d.layer}); });
        model(tinyBatch());
        QCOMPARE(seen, (std::set<std::pair<bool, std::int64_t>>{{false, 0}, {false, 1}, {true, 1}}));
        seen.clear();
        model->setRoutingObserver({});
        model(tinyBatch());
        QVERIFY(seen.empty());
    }

    void referenceDispatchGivesTheSameModelOutput()
    {
        torch::manual_seed(9);
        Transformer model(tinyOptions(Routing::Token, Routing::TaskTarget));
        model->eval();
        torch::NoGradGuard noGrad;
        const auto fast = model(tinyBatch()).logits;
        model->setReferenceDispatch(true);
        const auto reference = model(tinyBatch()).logits;
        QVERIFY(sameTensor(fast, reference));
    }

    void badOptionsAreRefusedNamingTheField_data()
    {
        QTest::addColumn<int>("which");
        QTest::addColumn<QStringList>("mentions");
        QTest::newRow("heads do not divide d_model") << 0 << QStringList{"model.heads", "model.d_model"};
        QTest::newRow("top_k above experts") << 1 << QStringList{"model.top_k", "model.experts"};
        QTest::newRow("zero d_ff") << 2 << QStringList{"model.d_ff"};
        QTest::newRow("negative layers") << 3 << QStringList{"model.decoder_layers"};
        QTest::newRow("unknown routing") << 4 << QStringList{"model.encoder_routing", "task:target", "expert"};
    }
    void badOptionsAreRefusedNamingTheField()
    {
        QFETCH(int, which);
        QFETCH(QStringList, mentions);
        auto o = tinyOptions();
        QString message;
        try {
            switch (which) {
            case 0: o.heads = 3; break;
            case 1: o.topK = 5; break;
            case 2: o.dFf = 0; break;
            case 3: o.decoderLayers = -1; break;
            case 4: o.encoderRouting = parseRouting("expert", "model.encoder_routing"); break;
            }
            Transformer model(o);
            QFAIL("no exception");
        } catch (const std::invalid_argument &e) {
            message = e.what();
        }
        for (const auto &m : mentions)
            QVERIFY2(message.contains(m), qPrintable(message));
    }

    void taskIdOutsideTheTableIsRefused()
    {
        Transformer model(tinyOptions(Routing::Token, Routing::TaskTarget));
        auto batch = tinyBatch();
        batch.targetLang = torch::tensor({0, 3, 1}, torch::kInt64);  // num_languages = 3
        try {
            model(batch);
            QFAIL("no exception");
        } catch (const std::exception &e) {
            const QString message = e.what();
            QVERIFY2(message.contains("task id 3 is outside the task table"), qPrintable(message));
            QVERIFY2(message.contains("model.num_languages"), qPrintable(message));
        }
        // A source longer than max_length is refused too.
        batch = tinyBatch();
        batch.src = torch::ones({3, 40}, torch::kInt64);
        QVERIFY_THROWS_EXCEPTION(c10::Error, model(batch));
    }
};

QTEST_GUILESS_MAIN(TestTransformer)
#include "tst_transformer.moc"
