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
    if (tokens < 1 || dModel < 1 || dFf < 1 || topK < 1)
        throw std::invalid_argument("tokens, d_model, d_ff and top_k must be positive");
    if (repetitions < 1)
        throw std::invalid_argument("repetitions must be at least 1");
}

std::vector<MoeBenchResult> benchMoeLayer(const MoeBenchOptions &options,
                                          const std::function<void(const MoeBenchResult &)> &progress)
{
    options.validate();
    const std::int64_t T = options.tokens, d = options.dModel;
    // A batch of sentences of 128 tokens (the layer routes non-padding tokens of [B, S]).
    const std::int64_t S = std::min<std::int64_t>(128, T), B = (T + S - 1) / S;
    std::vector<MoeBenchResult> results;
    for (const std::int64_t E : options.experts) {
        torch::manual_seed(1);
        MoeLayer moe(MoeLayerOptions(d, options.dFf, E).top_k(options.topK).routing(Routing::Token)
                         .capacity_factor_train(options.capacityFactor));
        moe->train();
        const std::int64_t hidden = options.topK * options.dFf;
        auto w1 = torch::empty({d, hidden}).uniform_(-0.05, 0.05).requires_grad_();
        auto w2 = torch::empty({hidden, d}).uniform_(-0.05, 0.05).requires_grad_();
        auto mask = torch::zeros({B, S}, torch::kBool);
        mask.view(-1).slice(0, 0, T).fill_(true);
        const auto x = torch::randn({B, S, d});
        const auto seed = torch::randn({B, S, d});

        std::int64_t dropped = 0, copies = 0;
        const auto runMoe = [&] {
            auto input = x.detach().requires_grad_();
            const MoeOutput out = moe->forward(input, mask);
            ((out.output * seed).sum() + out.balanceLoss).backward();
            dropped += out.dropped;
            copies += options.topK * out.tokens;
        };
        const auto runDense = [&] {
            auto input = x.detach().reshape({B * S, d}).slice(0, 0, T).requires_grad_();
            const auto out = torch::relu(input.mm(w1)).mm(w2);
            (out * seed.reshape({B * S, d}).slice(0, 0, T)).sum().backward();
        };
        for (int warm = 0; warm < 2; ++warm) {
            runMoe();
            runDense();
        }
        dropped = copies = 0;
        std::vector<double> moeTimes, denseTimes;
        for (int rep = 0; rep < options.repetitions; ++rep) {
            moe->zero_grad();
            moeTimes.push_back(timeMs(runMoe));
            w1.mutable_grad() = torch::Tensor();
            w2.mutable_grad() = torch::Tensor();
            denseTimes.push_back(timeMs(runDense));
        }
        MoeBenchResult r;
        r.experts = E;
        r.tokens = T;
        r.moeMs = median(moeTimes);
        r.denseMs = median(denseTimes);
        r.ratio = r.moeMs / r.denseMs;
        r.droppedFraction = copies > 0 ? double(dropped) / double(copies) : 0.0;
        results.push_back(r);
        if (progress)
            progress(r);
    }
    return results;
}

} // namespace taskmoe::core
