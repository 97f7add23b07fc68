// Optimisers: the learning-rate schedule by hand, Adafactor against a plain reference of the
// paper's algorithm, factoring (rank-1 property, 3-D expert tensors per expert), update and
// gradient-norm clipping, training a tiny model with both optimisers, and exact resumption
// through a saved state (plus refusal of a state that does not fit).
#include "tests/testsupport.h"
#include "core/base/errors.h"
#include "core/train/optim.h"

#include <QtTest>

#include <cmath>
#include <functional>

using namespace taskmoe::core;
using taskmoe::test::errorOf;

namespace {

NamedParameters named(std::initializer_list<std::pair<std::string, torch::Tensor>> list)
{
    NamedParameters params;
    for (const auto &[name, tensor] : list)
        params.insert(name, tensor);
    return params;
}

torch::Tensor leaf(const torch::Tensor &values)
{
    return values.detach().clone().requires_grad_(true);
}

void setGrad(torch::Tensor &param, const torch::Tensor &grad)
{
    param.mutable_grad() = grad.detach().clone();
}


double rmsOf(const torch::Tensor &t)
{
    return t.to(torch::kDouble).square().mean().sqrt().item<double>();
}

} // namespace

class TestOptim : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        torch::set_num_threads(1);
    }

    void schedule()
    {
        OptimizerOptions o;
        o.lr = 1e-3;
        o.warmup = 400;
        QCOMPARE(learningRate(o, 1), 1e-3 / 400);
        QCOMPARE(learningRate(o, 200), 5e-4);
        QCOMPARE(learningRate(o, 400), 1e-3);                 // peak at the end of warm-up
        QCOMPARE(learningRate(o, 1600), 5e-4);                // 1e-3 · sqrt(400/1600)
        QCOMPARE(learningRate(o, 3600), 1e-3 / 3);            // 1e-3 · sqrt(400/3600)
        QVERIFY(learningRate(o, 401) < learningRate(o, 400)); // decays right after the peak
        for (std::int64_t s = 1; s < 400; ++s)
            QVERIFY(learningRate(o, s) < learningRate(o, s + 1));
        o.warmup = 0; // no warm-up: lr / sqrt(step)
        QCOMPARE(learningRate(o, 1), 1e-3);
        QCOMPARE(learningRate(o, 4), 5e-4);
    }

    void validation()
    {
        OptimizerOptions o;
        o.validate();
        o.kind = "sgd";
        QVERIFY(errorOf<std::invalid_argument>([&] { o.validate(); }).find("train.optimizer must be adafactor or adam")
                != std::string::npos);
        o = {};
        o.lr = -1;
        QVERIFY(errorOf<std::invalid_argument>([&] { o.validate(); }).find("train.lr") != std::string::npos);
        o = {};
        o.warmup = -1;
        QVERIFY(errorOf<std::invalid_argument>([&] { o.validate(); }).find("train.warmup") != std::string::npos);
        o = {};
        o.clipNorm = -1;
        QVERIFY(errorOf<std::invalid_argument>([&] { o.validate(); }).find("train.clip_norm") != std::string::npos);
    }

    /// Adafactor on a 2x3 matrix over 3 steps against the paper's algorithm written out in
    /// double with sums (R, C and V̂ = R C / 1ᵀR), with momentum, relative step and a step where
    /// update clipping applies.
    void adafactorMatchesReference()
    {
        const double g[3][2][3] = {{{0.5, -1.0, 2.0}, {0.1, 0.3, -0.2}},
                                   {{-0.4, 0.2, 0.1}, {1.5, -2.5, 0.7}},
                                   {{3.0, 0.05, -0.6}, {0.2, -0.1, 0.9}}};
        double x[2][3] = {{0.3, -0.2, 0.5}, {-0.1, 0.4, 0.25}};
        OptimizerOptions o;
        o.lr = 0.1;
        o.warmup = 2;
        o.beta1 = 0.9;
        o.clipNorm = 0;
        auto w = leaf(torch::tensor({x[0][0], x[0][1], x[0][2], x[1][0], x[1][1], x[1][2]}, torch::kFloat).view({2, 3}));
        Adafactor opt(o, named({{"w", w}}));

        double r[2] = {0, 0}, c[3] = {0, 0, 0}, m[2][3] = {};
        bool clipped = false;
        for (int t = 1; t <= 3; ++t) {
            const double beta2 = 1 - std::pow(t, -0.8);
            for (int i = 0; i < 2; ++i) {
                double sum = 0;
                for (int j = 0; j < 3; ++j)
                    sum += g[t - 1][i][j] * g[t - 1][i][j] + 1e-30;
                r[i] = beta2 * r[i] + (1 - beta2) * sum;
            }
            for (int j = 0; j < 3; ++j) {
                double sum = 0;
                for (int i = 0; i < 2; ++i)
                    sum += g[t - 1][i][j] * g[t - 1][i][j] + 1e-30;
                c[j] = beta2 * c[j] + (1 - beta2) * sum;
            }
            double u[2][3], uSquares = 0, xSquares = 0;
            for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 3; ++j) {
                    u[i][j] = g[t - 1][i][j] / std::sqrt(r[i] * c[j] / (r[0] + r[1]));
                    uSquares += u[i][j] * u[i][j];
                    xSquares += x[i][j] * x[i][j];
                }
            const double clip = std::max(1.0, std::sqrt(uSquares / 6) / 1.0);
            clipped = clipped || clip > 1.0;
            const double lrT = t == 1 ? 0.05 : 0.1 * std::sqrt(2.0 / t);
            const double alpha = lrT * std::max(1e-3, std::sqrt(xSquares / 6));
            for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 3; ++j) {
                    m[i][j] = 0.9 * m[i][j] + 0.1 * alpha * u[i][j] / clip;
                    x[i][j] -= m[i][j];
                }

            setGrad(w, torch::tensor({g[t - 1][0][0], g[t - 1][0][1], g[t - 1][0][2], g[t - 1][1][0], g[t - 1][1][1],
                                      g[t - 1][1][2]}, torch::kFloat).view({2, 3}));
            opt.step(t);
            QCOMPARE(opt.lastLearningRate(), lrT);
            for (int i = 0; i < 2; ++i)
                for (int j = 0; j < 3; ++j) {
                    const double got = w[i][j].item<double>();
                    if (std::abs(got - x[i][j]) > 1e-6 * std::max(1.0, std::abs(x[i][j])))
                        QFAIL(qPrintable(QString("step %1, w[%2][%3]: %4, reference %5")
                                             .arg(t).arg(i).arg(j).arg(got, 0, 'g', 10).arg(x[i][j], 0, 'g', 10)));
                }
        }
        QVERIFY(clipped); // the case exercises update clipping
        QCOMPARE(opt.stateTensor("w", "row").sizes().vec(), std::vector<std::int64_t>({2}));
        QCOMPARE(opt.stateTensor("w", "col").sizes().vec(), std::vector<std::int64_t>({3}));
        QCOMPARE(opt.updateCount("w"), std::int64_t(3));
    }

    /// When the squared gradients form a rank-1 matrix at every step (G = s_t · a bᵀ), the
    /// factored estimate R C / 1ᵀR equals the full second moment, so a factored matrix and the
    /// same numbers as an unfactored vector follow the same path.
    void factoredEqualsUnfactoredForRankOne()
    {
        const auto a = torch::tensor({1.0, -2.0}), b = torch::tensor({0.5, 1.0, -3.0});
        const auto g = torch::outer(a, b).to(torch::kFloat);
        const auto start = torch::tensor({0.3, -0.2, 0.5, -0.1, 0.4, 0.25}, torch::kFloat);
        OptimizerOptions o;
        o.lr = 0.1;
        o.warmup = 1;
        o.clipNorm = 0;
        auto matrix = leaf(start.view({2, 3}));
        auto vector = leaf(start);
        Adafactor factored(o, named({{"p", matrix}}));
        Adafactor full(o, named({{"p", vector}}));
        QVERIFY(factored.stateTensor("p", "row").defined());
        QVERIFY(full.stateTensor("p", "v").defined());
        const double scales[] = {1.0, 2.0, -0.5, 3.0};
        for (int t = 1; t <= 4; ++t) {
            setGrad(matrix, g * scales[t - 1]);
            setGrad(vector, (g * scales[t - 1]).reshape({6}));
            factored.step(t);
            full.step(t);
            QVERIFY(torch::allclose(matrix.reshape({6}), vector, 1e-5, 1e-7));
        }
        QVERIFY(!torch::equal(matrix.reshape({6}), start));
    }

    /// A 3-D expert tensor [E, a, b] is factored per expert: it follows the same path as E
    /// separate matrices (without the two whole-tensor scalings, relative step and clipping).
    void expertTensorsFactoredPerExpert()
    {
        torch::manual_seed(3);
        const auto start = torch::randn({2, 3, 4});
        OptimizerOptions o;
        o.lr = 0.05;
        o.warmup = 2;
        o.beta1 = 0.5;
        o.relativeStep = false;
        o.clipThreshold = 1e9;
        o.clipNorm = 0;
        auto experts = leaf(start);
        auto e0 = leaf(start[0]), e1 = leaf(start[1]);
        Adafactor whole(o, named({{"experts", experts}}));
        Adafactor parts(o, named({{"e0", e0}, {"e1", e1}}));
        QCOMPARE(whole.stateTensor("experts", "row").sizes().vec(), std::vector<std::int64_t>({2, 3}));
        QCOMPARE(whole.stateTensor("experts", "col").sizes().vec(), std::vector<std::int64_t>({2, 4}));
        QVERIFY(!whole.stateTensor("experts", "v").defined());
        for (int t = 1; t <= 4; ++t) {
            // Experts with gradients of very different scale: a whole-tensor factoring would mix them.
            auto grad = torch::randn({2, 3, 4});
            grad[1].mul_(100);
            setGrad(experts, grad);
            setGrad(e0, grad[0]);
            setGrad(e1, grad[1]);
            whole.step(t);
            parts.step(t);
            QVERIFY(torch::allclose(experts[0], e0, 1e-5, 1e-7));
            QVERIFY(torch::allclose(experts[1], e1, 1e-5, 1e-7));
        }
        // And with the defaults (relative step, clipping) it runs and stays finite.
        OptimizerOptions d;
        auto p = leaf(start);
        Adafactor def(d, named({{"experts", p}}));
        for (int t = 1; t <= 3; ++t) {
            setGrad(p, torch::randn({2, 3, 4}));
            def.step(t);
        }
        QVERIFY(torch::isfinite(p).all().item<bool>());
        QVERIFY(!torch::equal(p, start));
    }

    /// Û = U / max(1, RMS(U)/d): with t = 2 after a near-zero first gradient, U = G/sqrt(0.574 G²)
    /// has RMS 1.32, which clipping brings down to d.
    void updateClippingCapsRms()
    {
        for (double threshold : {1.0, 0.5, 1e9}) {
            OptimizerOptions o;
            o.lr = 0.1;
            o.warmup = 1;
            o.relativeStep = false;
            o.clipNorm = 0;
            o.clipThreshold = threshold;
            auto p = leaf(torch::tensor({0.5, -0.5, 1.0, 2.0}, torch::kFloat));
            Adafactor opt(o, named({{"p", p}}));
            setGrad(p, torch::full({4}, 1e-6));
            opt.step(1);
            const auto before = p.detach().clone();
            setGrad(p, torch::tensor({1.0, -1.0, 1.0, -1.0}, torch::kFloat));
            opt.step(2);
            const double lr = opt.lastLearningRate();
            QCOMPARE(lr, 0.1 * std::sqrt(0.5));
            const double updateRms = rmsOf(before - p) / lr;
            const double unclipped = std::pow(2.0, 0.4); // 1/sqrt(1 − β̂2) = 1/sqrt(2^−0.8) for G = ±1
            if (threshold < 1e8)
                QVERIFY2(std::abs(updateRms - threshold) < 1e-5, qPrintable(QString::number(updateRms)));
            else
                QVERIFY2(std::abs(updateRms - unclipped) < 1e-4 && unclipped > 1.3,
                         qPrintable(QString::number(updateRms)));
        }
    }

    void gradNormClipping()
    {
        for (double clipNorm : {1.0, 10.0, 0.0}) {
            OptimizerOptions o;
            o.kind = "adam";
            o.clipNorm = clipNorm;
            auto a = leaf(torch::zeros({3})), b = leaf(torch::zeros({2})), c = leaf(torch::ones({2}));
            auto opt = makeOptimizer(o, named({{"a", a}, {"b", b}, {"c", c}}));
            setGrad(a, torch::tensor({3.0f, 0.0f, 0.0f}));
            setGrad(b, torch::tensor({0.0f, 4.0f}));
            // c has no gradient: skipped, unchanged, no update counted
            const double norm = opt->step(1);
            QCOMPARE(norm, 5.0);
            const double scale = clipNorm > 0 && clipNorm < 5 ? clipNorm / 5 : 1.0;
            QVERIFY(torch::allclose(a.grad(), torch::tensor({3.0f * float(scale), 0.0f, 0.0f})));
            QVERIFY(torch::allclose(b.grad(), torch::tensor({0.0f, 4.0f * float(scale)})));
            const double after = std::sqrt(a.grad().square().sum().item<double>() + b.grad().square().sum().item<double>());
            QVERIFY(std::abs(after - 5.0 * scale) < 1e-6);
            QVERIFY(torch::equal(c, torch::ones({2})));
            QCOMPARE(opt->updateCount("c"), std::int64_t(0));
            QCOMPARE(opt->updateCount("a"), std::int64_t(1));
            opt->zeroGrad();
            QVERIFY(!a.grad().defined());
        }
    }

    void bothDecreaseLeastSquares_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("adafactor") << "adafactor";
        QTest::newRow("adam") << "adam";
    }

    void bothDecreaseLeastSquares()
    {
        QFETCH(QString, kind);
        torch::manual_seed(11);
        torch::nn::Linear model(4, 2);
        const auto x = torch::randn({64, 4});
        const auto y = torch::matmul(x, torch::randn({4, 2})) + torch::tensor({0.5f, -1.0f});
        OptimizerOptions o;
        o.kind = kind.toStdString();
        o.lr = kind == "adam" ? 0.05 : 0.5;
        o.warmup = 10;
        auto opt = makeOptimizer(o, model->named_parameters());
        auto lossOf = [&] { return torch::mse_loss(model(x), y); };
        const double initial = lossOf().item<double>();
        for (int t = 1; t <= 100; ++t) {
            opt->zeroGrad();
            lossOf().backward();
            opt->step(t);
        }
        const double final = lossOf().item<double>();
        QVERIFY2(final < 0.1 * initial, qPrintable(QString("%1 → %2").arg(initial).arg(final)));
    }

    void resumeIsBitExact_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("adafactor") << "adafactor";
        QTest::newRow("adam") << "adam";
    }

    /// Save after 3 steps, load into a fresh optimiser over the same parameter values: the next
    /// 5 steps give bit-identical parameters and a bit-identical state.
    void resumeIsBitExact()
    {
        QFETCH(QString, kind);
        OptimizerOptions o;
        o.kind = kind.toStdString();
        o.lr = 0.01;
        o.warmup = 2;
        o.beta1 = 0.9;
        o.weightDecay = 0.01;
        o.clipNorm = 0.5;
        torch::manual_seed(5);
        const auto x = torch::randn({8, 4}), y = torch::randn({8, 3});
        const std::vector<torch::Tensor> start = {torch::randn({4, 3}), torch::randn({3}), torch::randn({2, 3, 2})};
        auto makeParams = [](const std::vector<torch::Tensor> &values) {
            return std::vector<torch::Tensor>{leaf(values[0]), leaf(values[1]), leaf(values[2])};
        };
        auto run = [&](Optimizer &opt, std::vector<torch::Tensor> &p, int from, int to) {
            for (int t = from; t <= to; ++t) {
                opt.zeroGrad();
                auto loss = torch::mse_loss(torch::matmul(x, p[0]) + p[1], y) + (p[2].tanh() * 0.3).sum()
                            + p[2].square().mean() * (t % 3);
                loss.backward();
                opt.step(t);
            }
        };
        auto namedOf = [](std::vector<torch::Tensor> &p) {
            return named({{"w", p[0]}, {"b", p[1]}, {"experts", p[2]}});
        };

        auto pa = makeParams(start);
        auto optA = makeOptimizer(o, namedOf(pa));
        run(*optA, pa, 1, 3);
        std::vector<torch::Tensor> snapshot;
        for (const auto &t : pa)
            snapshot.push_back(t.detach().clone());
        std::stringstream blob;
        optA->save(blob);
        blob << "after"; // the state can be followed by other data in the same stream
        run(*optA, pa, 4, 8);

        auto pb = makeParams(snapshot);
        auto optB = makeOptimizer(o, namedOf(pb));
        optB->load(blob);
        std::string rest;
        blob >> rest;
        QCOMPARE(rest, std::string("after"));
        QCOMPARE(optB->updateCount("w"), std::int64_t(3));
        run(*optB, pb, 4, 8);
        for (std::size_t i = 0; i < pa.size(); ++i)
            QVERIFY2(torch::equal(pa[i], pb[i]), qPrintable(QString("parameter %1 differs").arg(i)));
        QVERIFY(optA->saveToString() == optB->saveToString());
        QVERIFY(!torch::equal(pa[0], snapshot[0]));
    }

    void mismatchedStateRefused()
    {
        OptimizerOptions o;
        o.beta1 = 0.9;
        auto w = leaf(torch::randn({4, 3})), b = leaf(torch::randn({3}));
        Adafactor source(o, named({{"w", w}, {"b", b}}));
        setGrad(w, torch::randn({4, 3}));
        setGrad(b, torch::randn({3}));
        source.step(1);
        const auto blob = source.saveToString();

        // Transposed shape: refused, naming the parameter and both shapes.
        auto wt = leaf(torch::randn({3, 4})), b2 = leaf(torch::randn({3}));
        Adafactor other(o, named({{"w", wt}, {"b", b2}}));
        const auto before = other.saveToString();
        const auto message = errorOf<InputError>([&] { other.loadFromString(blob); });
        QVERIFY2(message.find("'w'") != std::string::npos && message.find("[4, 3]") != std::string::npos
                     && message.find("[3, 4]") != std::string::npos,
                 message.c_str());
        QVERIFY(other.saveToString() == before); // nothing changed

        // Another name.
        auto v = leaf(torch::randn({4, 3}));
        Adafactor renamed(o, named({{"v", v}, {"b", b2}}));
        QVERIFY(errorOf<InputError>([&] { renamed.loadFromString(blob); }).find("'v'") != std::string::npos);

        // Another optimiser, other options (no momentum slot), truncated data, garbage.
        OptimizerOptions adam = o;
        adam.kind = "adam";
        auto w3 = leaf(torch::randn({4, 3})), b3 = leaf(torch::randn({3}));
        Adam adamOpt(adam, named({{"w", w3}, {"b", b3}}));
        QVERIFY(errorOf<InputError>([&] { adamOpt.loadFromString(blob); }).find("adafactor") != std::string::npos);
        OptimizerOptions noMomentum = o;
        noMomentum.beta1 = 0;
        Adafactor plain(noMomentum, named({{"w", w3}, {"b", b3}}));
        QVERIFY(!errorOf<InputError>([&] { plain.loadFromString(blob); }).empty());
        Adafactor same(o, named({{"w", w3}, {"b", b3}}));
        QVERIFY(errorOf<InputError>([&] { same.loadFromString(blob.substr(0, blob.size() - 5)); }).find("truncated")
                != std::string::npos);
        QVERIFY(!errorOf<InputError>([&] { same.loadFromString("not a state"); }).empty());
        QVERIFY(!errorOf<InputError>([&] { same.loadFromString(blob + "x"); }).empty());
        same.loadFromString(blob);
        QVERIFY(same.saveToString() == blob);
    }
};

QTEST_GUILESS_MAIN(TestOptim)
#include "tst_optim.moc"
