#include "core/bench/moebench.h"

#include "core/model/moe.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

namespace taskmoe::core {

namespace {

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

template <typename Fn>
double timeMs(Fn fn)
{
    const auto start = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

void MoeBenchOptions::validate() const
{
    if (experts.empty())
        throw std::invalid_argument("experts: give at least one number of experts");
    for (const auto e : experts)
        if (e < topK || e < 1)
            throw std::invalid_argument("experts: every value must be at least top_k = " + std::to_string(topK));
    if (tokens.empty())
        throw std::invalid_argument("tokens: give at least one number of tokens");
    for (const auto t : tokens)
        if (t < 1)
            throw std::invalid_argument("tokens: every value must be positive");
    if (dModel < 1 || dFf < 1 || topK < 1)
        throw std::invalid_argument("d_model, d_ff and top_k must be positive");
    if (repetitions < 1)
        throw std::invalid_argument("repetitions must be at least 1");
}

namespace {

MoeBenchResult benchOne(const MoeBenchOptions &options, std::int64_t E, std::int64_t T)
{
    const std::int64_t d = options.dModel;
    // A batch of sentences of up to 128 tokens (the layer routes non-padding tokens of [B, S]).
    const std::int64_t S = std::min<std::int64_t>(128, T), B = (T + S - 1) / S;
    torch::manual_seed(1);
    MoeLayer moe(MoeLayerOptions(d, options.dFf, E).top_k(options.topK).routing(Routing::Token)
                     .capacity_factor_train(options.capacityFactor));
    const std::int64_t hidden = options.topK * options.dFf;
    auto w1 = torch::empty({d, hidden}).uniform_(-0.05, 0.05).requires_grad_();
    auto w2 = torch::empty({hidden, d}).uniform_(-0.05, 0.05).requires_grad_();
    auto mask = torch::zeros({B, S}, torch::kBool);
    mask.view(-1).slice(0, 0, T).fill_(true);
    const auto x = torch::randn({B, S, d});
    const auto seed = torch::randn({B, S, d});
    const auto xDense = x.reshape({B * S, d}).slice(0, 0, T);
    const auto seedDense = seed.reshape({B * S, d}).slice(0, 0, T);

    std::int64_t dropped = 0, copies = 0, touched = 0, passes = 0;
    const auto trainMoe = [&] {
        auto input = x.detach().requires_grad_();
        const MoeOutput out = moe->forward(input, mask);
        ((out.output * seed).sum() + out.balanceLoss).backward();
        dropped += out.dropped;
        copies += options.topK * out.tokens;
    };
    const auto trainDense = [&] {
        auto input = xDense.detach().requires_grad_();
        const auto out = torch::relu(input.mm(w1)).mm(w2);
        (out * seedDense).sum().backward();
    };
    MoeCall decoding;
    decoding.capacityFactor = 0;  // as translation calls the layer
    const auto decodeMoe = [&] {
        const MoeOutput out = moe->forward(x, mask, {}, decoding);
        touched += out.expertLoad.gt(0).sum().item<std::int64_t>();
        ++passes;
    };
    const auto decodeDense = [&] { torch::relu(xDense.mm(w1)).mm(w2); };

    const auto measure = [&](auto moeRun, auto denseRun, auto clear, double &moeMs, double &denseMs) {
        for (int warm = 0; warm < 2; ++warm) {
            moeRun();
            denseRun();
        }
        dropped = copies = touched = passes = 0;
        std::vector<double> moeTimes, denseTimes;
        for (int rep = 0; rep < options.repetitions; ++rep) {
            clear();
            moeTimes.push_back(timeMs(moeRun));
            denseTimes.push_back(timeMs(denseRun));
        }
        moeMs = median(moeTimes);
        denseMs = median(denseTimes);
    };

    MoeBenchResult r;
    r.experts = E;
    r.tokens = T;
    moe->train();
    measure(trainMoe, trainDense, [&] {
        moe->zero_grad(/*set_to_none=*/true);  // as the training loop's optimizer leaves them
        w1.mutable_grad() = torch::Tensor();
        w2.mutable_grad() = torch::Tensor();
    }, r.moeMs, r.denseMs);
    r.droppedFraction = copies > 0 ? double(dropped) / double(copies) : 0.0;
    moe->zero_grad(true);
    {
        torch::NoGradGuard noGrad;
        moe->eval();
        measure(decodeMoe, decodeDense, [] {}, r.moeForwardMs, r.denseForwardMs);
    }
    r.ratio = r.moeMs / r.denseMs;
    r.forwardRatio = r.moeForwardMs / r.denseForwardMs;
    const double expertWeights = 2.0 * double(d) * double(options.dFf);
    const double meanTouched = passes > 0 ? double(touched) / double(passes) : 0.0;
    r.weightsReadRatio = (meanTouched * expertWeights + double(d) * double(E)) / (2.0 * double(d) * double(hidden));
    return r;
}

} // namespace

std::vector<MoeBenchResult> benchMoeLayer(const MoeBenchOptions &options,
                                          const std::function<void(const MoeBenchResult &)> &progress)
{
    options.validate();
    std::vector<MoeBenchResult> results;
    for (const std::int64_t E : options.experts)
        for (const std::int64_t T : options.tokens) {
            results.push_back(benchOne(options, E, T));
            if (progress)
                progress(results.back());
        }
    return results;
}

} // namespace taskmoe::core
