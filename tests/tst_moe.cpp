// The MoE layer: routing invariants per granularity, capacity in its documented order, the
// balance loss on a hand-computed case, gradients, and the fast dispatch against the
// straightforward reference.
#include "core/model/moe.h"
#include "core/model/backend.h"
#include "core/memory/bigtensorcache.h"

#include <QtTest>

#include <cmath>

using namespace taskmoe::core;

namespace {

MoeLayer makeLayer(Routing routing, std::int64_t experts = 8, std::int64_t k = 2, double capacity = 100.0,
                   std::int64_t d = 16, std::int64_t f = 32, std::int64_t tasks = 4)
{
    torch::manual_seed(7);
    return MoeLayer(MoeLayerOptions(d, f, experts).top_k(k).routing(routing).num_tasks(tasks)
                        .capacity_factor_train(capacity).capacity_factor_eval(capacity));
}

/// Collects the decisions of a layer.
struct Recorder
{
    std::vector<RoutingDecision> decisions;
    RoutingObserver observer()
    {
        return [this](const RoutingDecision &d) { decisions.push_back(d); };
    }
};

torch::Tensor fullMask(std::int64_t b, std::int64_t s)
{
    return torch::ones({b, s}, torch::kBool);
}

/// Rows of `decision.experts` / `gates` belonging to sentence `b` of a [B, S] batch.
torch::Tensor rowsOfSentence(const RoutingDecision &decision, std::int64_t b, std::int64_t S)
{
    return torch::div(decision.positions, S, "trunc").eq(b).nonzero().squeeze(1);
}

} // namespace

class TestMoe : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { setThreads(2); }

    void taskRoutingSendsEveryTokenOfATaskToTheSameExperts()
    {
        for (Routing routing : {Routing::TaskTarget, Routing::TaskPair}) {
            auto layer = makeLayer(routing);
            layer->eval();
            Recorder rec;
            layer->setObserver(rec.observer(), true, 1);
            const auto x = torch::randn({6, 9, 16});
            const auto tasks = torch::tensor({0, 1, 0, 2, 1, 0}, torch::kInt64);
            layer->forward(x, fullMask(6, 9), tasks);
            QCOMPARE(rec.decisions.size(), std::size_t(1));
            const auto &d = rec.decisions.front();
            QVERIFY(d.decoder);
            QCOMPARE(d.layer, std::int64_t(1));
            for (std::int64_t task = 0; task < 3; ++task) {
                const auto sentences = tasks.eq(task).nonzero().squeeze(1);
                torch::Tensor rows = torch::cat({rowsOfSentence(d, sentences[0].item<std::int64_t>(), 9)});
                for (std::int64_t i = 1; i < sentences.size(0); ++i)
                    rows = torch::cat({rows, rowsOfSentence(d, sentences[i].item<std::int64_t>(), 9)});
                const auto experts = d.experts.index_select(0, rows);
                const auto gates = d.gates.index_select(0, rows);
                QVERIFY(torch::equal(experts, experts[0].expand_as(experts)));
                QVERIFY(torch::allclose(gates, gates[0].expand_as(gates), 0, 0));
            }
            // Different tasks may choose differently: tasks 0 and 1 are separate embeddings.
            QVERIFY(!d.dropped.any().item<bool>());
        }
    }

    void sentenceRoutingIsPerSentenceAndBlindToPadding()
    {
        auto layer = makeLayer(Routing::Sentence);
        layer->eval();
        Recorder rec;
        layer->setObserver(rec.observer(), false, 0);
        auto x = torch::randn({3, 7, 16});
        auto mask = fullMask(3, 7);
        mask[1].slice(0, 4).fill_(false);  // sentence 1 has 4 real tokens
        mask[2].slice(0, 2).fill_(false);  // sentence 2 has 2
        layer->forward(x, mask);
        const RoutingDecision d = rec.decisions.front();  // a copy: the recorder grows below
        QCOMPARE(d.positions.size(0), std::int64_t(7 + 4 + 2));
        for (std::int64_t b = 0; b < 3; ++b) {
            const auto rows = rowsOfSentence(d, b, 7);
            const auto experts = d.experts.index_select(0, rows);
            QVERIFY(torch::equal(experts, experts[0].expand_as(experts)));
        }
        // The padding's content and amount do not change the decision.
        auto y = x.clone();
        y[1].slice(0, 4).normal_(0, 100);
        auto padded = torch::cat({y, torch::randn({3, 5, 16})}, 1);  // five more padding columns
        auto paddedMask = torch::cat({mask, torch::zeros({3, 5}, torch::kBool)}, 1);
        layer->forward(padded, paddedMask);
        const auto &e = rec.decisions.back();
        QVERIFY(torch::equal(e.experts, d.experts));
        QVERIFY(torch::allclose(e.gates, d.gates, 1e-6, 1e-6));
    }

    void tokenRoutingLetsTokensOfOneSentenceDiffer()
    {
        auto layer = makeLayer(Routing::Token);
        Recorder rec;
        layer->setObserver(rec.observer(), false, 0);
        layer->forward(torch::randn({1, 32, 16}), fullMask(1, 32));
        const auto first = rec.decisions.front().experts.select(1, 0);
        QVERIFY(first.min().item<std::int64_t>() != first.max().item<std::int64_t>());
    }

    void capacityDropsExactlyTheCopiesBeyondItInPriorityOrder()
    {
        // d = E = 4, router = identity: the input is the logits. Every token prefers expert 0,
        // then expert 1. capacity = ceil(1.0 · 2 · 10 / 4) = 5.
        auto layer = makeLayer(Routing::Token, 4, 2, 1.0, 4, 8);
        {
            torch::NoGradGuard g;
            layer->router->weight.copy_(torch::eye(4));
        }
        Recorder rec;
        layer->setObserver(rec.observer(), false, 0);
        const auto logits = torch::tensor({5.0f, 3.0f, 0.0f, 0.0f}).repeat({2, 5, 1});  // B=2, S=5
        const MoeOutput out = layer->forward(logits, fullMask(2, 5));
        const auto &d = rec.decisions.front();
        QCOMPARE(d.capacity, std::int64_t(5));
        QVERIFY(torch::equal(d.experts.select(1, 0), torch::zeros({10}, torch::kInt64)));
        QVERIFY(torch::equal(d.experts.select(1, 1), torch::ones({10}, torch::kInt64)));
        // First choices of tokens 0..4 fill expert 0; second choices of tokens 0..4 fill expert 1.
        auto expected = torch::zeros({10, 2}, torch::kBool);
        expected.slice(0, 5).fill_(true);
        QVERIFY(torch::equal(d.dropped, expected));
        QCOMPARE(out.dropped, std::int64_t(10));
        QVERIFY(torch::equal(out.expertLoad, torch::tensor({5, 5, 0, 0}, torch::kInt64)));
        // Tokens with both copies dropped get exactly zero from the layer.
        QVERIFY(out.output[1].abs().max().item<float>() == 0.0f);
        QVERIFY(out.output[0].abs().max().item<float>() > 0.0f);
    }

    void secondChoicesWaitForEveryFirstChoice()
    {
        // Token 0 prefers expert 1 then 0; tokens 1..3 prefer expert 0. Capacity 2 (k=1 would
        // be 1; with k = 2: ceil(1.0·2·4/4) = 2): expert 0 takes the first choices of tokens 1
        // and 2, so token 3's first choice and token 0's second choice are dropped.
        auto layer = makeLayer(Routing::Token, 4, 2, 1.0, 4, 8);
        {
            torch::NoGradGuard g;
            layer->router->weight.copy_(torch::eye(4));
        }
        Recorder rec;
        layer->setObserver(rec.observer(), false, 0);
        const auto logits = torch::tensor({{3.0f, 5.0f, 0.0f, 0.0f}, {5.0f, 0.0f, 3.0f, 0.0f},
                                           {5.0f, 0.0f, 0.0f, 3.0f}, {5.0f, 0.0f, 0.0f, 3.0f}}).unsqueeze(0);
        layer->forward(logits, fullMask(1, 4));
        const auto &d = rec.decisions.front();
        const auto expected = torch::tensor({false, true, false, false, false, false, true, false}, torch::kBool).reshape({4, 2});
        QVERIFY2(torch::equal(d.dropped, expected), qPrintable(QString::fromStdString(c10::str(d.dropped))));
    }

    void balanceLossEqualsTheHandComputedValue()
    {
        // E = 2, k = 1, router = identity; probabilities (0.75, 0.25), (0.25, 0.75), (0.75, 0.25):
        // f = (2/3, 1/3), P = (7/12, 5/12), loss = 2 · (2/3 · 7/12 + 1/3 · 5/12) = 19/18.
        auto layer = makeLayer(Routing::Token, 2, 1, 10.0, 2, 4);
        {
            torch::NoGradGuard g;
            layer->router->weight.copy_(torch::eye(2));
        }
        const double l3 = std::log(3.0);
        const auto x = torch::tensor({{l3, 0.0}, {0.0, l3}, {l3, 0.0}}, torch::kFloat).unsqueeze(0);
        const MoeOutput out = layer->forward(x, fullMask(1, 3));
        QVERIFY(std::fabs(out.balanceLoss.item<double>() - 19.0 / 18.0) < 1e-6);
        // z-loss: mean of logsumexp² = mean((ln 3 + ln(4/3))²) = ln(4)²
        QVERIFY(std::fabs(out.zLoss.item<double>() - std::pow(std::log(4.0), 2)) < 1e-5);
    }

    void gradientsReachTheRouterTaskEmbeddingsAndEveryUsedExpert()
    {
        auto layer = makeLayer(Routing::TaskTarget, 8, 2);
        const auto x = torch::randn({4, 5, 16}, torch::requires_grad());
        const auto tasks = torch::tensor({0, 1, 2, 0}, torch::kInt64);
        const MoeOutput out = layer->forward(x, fullMask(4, 5), tasks);
        (out.output.pow(2).sum() + out.balanceLoss).backward();
        QVERIFY(layer->router->weight.grad().abs().sum().item<double>() > 0);
        const auto embGrad = layer->taskEmbedding->weight.grad();
        for (int t : {0, 1, 2})
            QVERIFY(embGrad[t].abs().sum().item<double>() > 0);
        QCOMPARE(embGrad[3].abs().sum().item<double>(), 0.0);  // task 3 was not in the batch
        for (std::int64_t e = 0; e < 8; ++e) {
            const bool used = out.expertLoad[e].item<std::int64_t>() > 0;
            QCOMPARE(layer->wi.grad()[e].abs().sum().item<double>() > 0, used);
            QCOMPARE(layer->wo.grad()[e].abs().sum().item<double>() > 0, used);
        }
        QVERIFY(x.grad().abs().sum().item<double>() > 0);
    }

    void fastDispatchMatchesTheReference_data()
    {
        QTest::addColumn<int>("routing");
        QTest::addColumn<double>("capacity");
        QTest::newRow("token, drops") << int(Routing::Token) << 0.8;
        QTest::newRow("token, roomy") << int(Routing::Token) << 4.0;
        QTest::newRow("sentence") << int(Routing::Sentence) << 1.0;
        QTest::newRow("task:target") << int(Routing::TaskTarget) << 1.25;
        QTest::newRow("task:pair") << int(Routing::TaskPair) << 0.5;
    }
    void fastDispatchMatchesTheReference()
    {
        QFETCH(int, routing);
        QFETCH(double, capacity);
        auto run = [&](bool reference) {
            auto layer = makeLayer(static_cast<Routing>(routing), 8, 2, capacity, 24, 40);
            layer->setReferenceDispatch(reference);
            torch::manual_seed(11);
            const auto x = torch::randn({5, 13, 24}, torch::requires_grad());
            auto mask = fullMask(5, 13);
            mask[3].slice(0, 6).fill_(false);
            const auto tasks = torch::tensor({0, 1, 3, 1, 2}, torch::kInt64);
            const MoeOutput out = layer->forward(x, mask, tasks);
            const auto seed = torch::randn({5, 13, 24}, torch::TensorOptions().dtype(torch::kFloat));
            ((out.output * seed).sum() + out.balanceLoss).backward();
            return std::vector<torch::Tensor>{out.output.detach(), x.grad(), layer->wi.grad(), layer->wo.grad(),
                                              layer->router->weight.grad()};
        };
        const auto fast = run(false), reference = run(true);
        const char *names[] = {"output", "input grad", "wi grad", "wo grad", "router grad"};
        for (std::size_t i = 0; i < fast.size(); ++i) {
            const double diff = (fast[i] - reference[i]).abs().max().item<double>();
            QVERIFY2(diff < 1e-5, qPrintable(QStringLiteral("%1 differs by %2").arg(names[i]).arg(diff)));
        }
    }

    void groupedExpertsMatchPlainAutograd()
    {
        torch::manual_seed(3);
        const auto xs = torch::randn({20, 6}, torch::requires_grad());
        const auto wi = torch::randn({3, 6, 10}, torch::requires_grad());
        const auto wo = torch::randn({3, 10, 6}, torch::requires_grad());
        const auto offsets = torch::tensor({0, 7, 7, 20}, torch::kInt64);  // expert 1 gets no rows
        const auto seed = torch::randn({20, 6});
        (groupedExpertFfn(xs, wi, wo, offsets) * seed).sum().backward();
        const auto gx = xs.grad().clone(), gwi = wi.grad().clone(), gwo = wo.grad().clone();
        xs.grad().zero_(); wi.grad().zero_(); wo.grad().zero_();
        const auto a = torch::relu(xs.slice(0, 0, 7).matmul(wi[0])).matmul(wo[0]);
        const auto b = torch::relu(xs.slice(0, 7, 20).matmul(wi[2])).matmul(wo[2]);
        (torch::cat({a, b}) * seed).sum().backward();
        QVERIFY(torch::allclose(gx, xs.grad(), 1e-5, 1e-5));
        QVERIFY(torch::allclose(gwi, wi.grad(), 1e-5, 1e-5));
        QVERIFY(torch::allclose(gwo, wo.grad(), 1e-5, 1e-5));
        QCOMPARE(gwi[1].abs().sum().item<double>(), 0.0);
    }

    void gatedGroupedExpertsMatchPlainAutogradWithGateGradients()
    {
        torch::manual_seed(4);
        const auto xs = torch::randn({20, 6}, torch::requires_grad());
        const auto wi = torch::randn({3, 6, 10}, torch::requires_grad());
        const auto wo = torch::randn({3, 10, 6}, torch::requires_grad());
        const auto gates = torch::rand({20}).add_(0.1).requires_grad_();
        const auto offsets = torch::tensor({0, 7, 7, 20}, torch::kInt64);
        const auto seed = torch::randn({20, 6});
        const auto fast = groupedExpertFfn(xs, wi, wo, offsets, gates);
        (fast * seed).sum().backward();
        const std::vector<torch::Tensor> got{xs.grad().clone(), wi.grad().clone(), wo.grad().clone(), gates.grad().clone()};
        for (const auto &t : {xs, wi, wo, gates})
            t.mutable_grad() = torch::Tensor();
        const auto a = torch::relu(xs.slice(0, 0, 7).matmul(wi[0])).matmul(wo[0]);
        const auto b = torch::relu(xs.slice(0, 7, 20).matmul(wi[2])).matmul(wo[2]);
        const auto plain = torch::cat({a, b}) * gates.unsqueeze(1);
        QVERIFY(torch::allclose(fast, plain, 1e-5, 1e-5));
        (plain * seed).sum().backward();
        const std::vector<torch::Tensor> want{xs.grad(), wi.grad(), wo.grad(), gates.grad()};
        for (std::size_t i = 0; i < got.size(); ++i)
            QVERIFY2(torch::allclose(got[i], want[i], 1e-5, 1e-5), qPrintable(QString::number(i)));
        // Without gradients (decoding) the same numbers come from the path that keeps nothing.
        torch::NoGradGuard noGrad;
        QVERIFY(torch::allclose(groupedExpertFfn(xs, wi, wo, offsets, gates), plain, 1e-5, 1e-5));
    }

    // Big tensors come from the cache (core/memory): memory freed by one step is given to the
    // next, so an expert gradient written in place must zero the experts without rows itself.
    void unusedExpertsGetZeroGradientsInRecycledBigBuffers()
    {
        torch::manual_seed(5);
        const std::int64_t E = 72, d = 256, f = 256;  // 18.9 MB per weight tensor: above the cache's threshold
        const auto wi = (torch::randn({E, d, f}) * 0.05).requires_grad_();
        const auto wo = (torch::randn({E, f, d}) * 0.05).requires_grad_();
        const auto before = bigTensorCacheStats();
        for (int pass = 0; pass < 2; ++pass) {
            // First every expert gets rows (the buffers fill with gradients), then only expert 0.
            auto offsets = pass == 0 ? torch::arange(0, E + 1, torch::kInt64) : torch::full({E + 1}, 3, torch::kInt64);
            if (pass == 1)
                offsets[0] = 0;
            const auto xs = torch::randn({pass == 0 ? E : 3, d});
            groupedExpertFfn(xs, wi, wo, offsets).pow(2).sum().backward();
            if (pass == 1) {
                QVERIFY(wi.grad()[0].abs().sum().item<double>() > 0);
                QCOMPARE(wi.grad().slice(0, 1).abs().max().item<double>(), 0.0);
                QCOMPARE(wo.grad().slice(0, 1).abs().max().item<double>(), 0.0);
            }
            wi.mutable_grad() = torch::Tensor();
            wo.mutable_grad() = torch::Tensor();
        }
        const auto after = bigTensorCacheStats();
        QVERIFY2(after.hits > before.hits, "the second pass's gradients should reuse the first pass's memory");
    }

    void bigTensorsReuseFreedMemoryAndTheCacheEmptiesOnRequest()
    {
        void *first = nullptr;
        {
            const auto t = torch::empty({5, 1 << 20});  // 20 MiB
            first = t.data_ptr();
        }
        QVERIFY(bigTensorCacheStats().freeBytes >= 20 << 20);
        {
            const auto t = torch::empty({5, 1 << 20});
            QCOMPARE(t.data_ptr(), first);
        }
        releaseBigTensorCache();
        QCOMPARE(bigTensorCacheStats().freeBytes, std::int64_t(0));
        const auto small = torch::ones({16});  // small tensors keep LibTorch's own allocator
        QCOMPARE(small.sum().item<double>(), 16.0);
    }

    void allPaddingGivesZeroOutput()
    {
        auto layer = makeLayer(Routing::Token);
        const MoeOutput out = layer->forward(torch::randn({2, 3, 16}), torch::zeros({2, 3}, torch::kBool));
        QCOMPARE(out.tokens, std::int64_t(0));
        QCOMPARE(out.output.abs().sum().item<double>(), 0.0);
    }

    void badOptionsAndTaskIdsAreRefused()
    {
        const auto message = [](auto fn) {
            try {
                fn();
            } catch (const std::invalid_argument &e) {
                return QString::fromUtf8(e.what());
            }
            return QString();
        };
        QVERIFY(message([] { MoeLayer(MoeLayerOptions(16, 32, 4).top_k(5)); }).contains("top_k"));
        QVERIFY(message([] { MoeLayer(MoeLayerOptions(16, 0, 4)); }).contains("d_ff"));
        QVERIFY(message([] { MoeLayer(MoeLayerOptions(16, 32, 4).routing(Routing::Dense)); }).contains("routing"));
        auto layer = makeLayer(Routing::TaskPair, 8, 2, 2.0, 16, 32, 3);
        const QString outside = message([&] { layer->forward(torch::randn({2, 2, 16}), fullMask(2, 2), torch::tensor({0, 3})); });
        QVERIFY2(outside.contains("task id 3") && outside.contains("0..2"), qPrintable(outside));
        QVERIFY(!message([&] { layer->forward(torch::randn({2, 2, 16}), fullMask(2, 2)); }).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestMoe)
#include "tst_moe.moc"
