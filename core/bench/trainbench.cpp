#include "core/bench/trainbench.h"

#include "core/train/optim.h"
#include "core/data/sentencepiece.h"
#include "core/model/torch.h"
#include "core/model/transformer.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace taskmoe::core {

namespace {

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

double secondsOf(const std::chrono::steady_clock::time_point &start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// GFLOP/s of a 1024³ fp32 product: the median of five after one untimed.
double gemmRate()
{
    const auto a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
    std::vector<double> seconds;
    for (int i = 0; i < 6; ++i) {
        const auto start = std::chrono::steady_clock::now();
        const auto c = a.mm(b);
        (void)c.data_ptr<float>();
        if (i > 0)
            seconds.push_back(secondsOf(start));
    }
    return 2.0 * 1024 * 1024 * 1024 / median(seconds) / 1e9;
}

} // namespace

void TrainBenchOptions::validate() const
{
    if (steps < 1 || steps > 1000)
        throw std::invalid_argument("steps must be between 1 and 1000 (got " + std::to_string(steps) + ")");
    if (sentenceLength < 2 || sentenceLength > 4096)
        throw std::invalid_argument("sentence length must be between 2 and 4096 (got " + std::to_string(sentenceLength) + ")");
    if (languages < 1 || pairs < 1)
        throw std::invalid_argument("languages and pairs must be at least 1");
}

double forwardFlops(const ModelOptions &m, std::int64_t sentences, std::int64_t srcLength, std::int64_t tgtLength)
{
    const double d = double(m.dModel), f = double(m.dFf), e = double(m.experts), k = double(std::min(m.topK, m.experts));
    const double src = double(sentences * srcLength), tgt = double(sentences * tgtLength);
    const double S = double(srcLength), L = double(tgtLength);
    // Per token: the FFN (dense, or router + k experts).
    const auto ffn = [&](bool moe) { return moe ? 2 * d * e + k * 4 * d * f : 4 * d * f; };
    double flops = 0;
    for (std::int64_t i = 0; i < m.encoderLayers; ++i)
        flops += src * (8 * d * d + 4 * S * d + ffn(m.encoderLayerIsMoe(i)));  // q,k,v,o; scores and sums; FFN
    for (std::int64_t i = 0; i < m.decoderLayers; ++i)
        flops += tgt * (8 * d * d + 2 * L * d                                  // causal self-attention (half)
                        + 4 * d * d + 4 * S * d                                // cross-attention: q, o; scores and sums
                        + ffn(m.decoderLayerIsMoe(i)))
                 + src * 4 * d * d;                                            // cross-attention k, v of the source
    flops += tgt * 2 * d * double(m.vocabSize);                                // output projection
    return flops;
}

TrainBenchResult benchTraining(const TrainConfig &config, const TrainBenchOptions &options)
{
    options.validate();
    ModelOptions mo = config.model;
    mo.numLanguages = options.languages;
    mo.numPairs = options.pairs;
    mo.validate();
    const std::int64_t len = std::min(options.sentenceLength, std::min(mo.maxLength - 1, config.data.maxLength - 1));
    const std::int64_t B = std::max<std::int64_t>(1, config.train.batchTokens / (2 * (len + 1)));

    torch::manual_seed(config.train.seed);
    Transformer model(mo);
    model->train();
    OptimizerOptions oo;
    oo.kind = config.train.optimizer;
    oo.lr = config.train.lr;
    oo.warmup = config.train.warmup;
    oo.clipNorm = config.train.clipNorm;
    oo.schedule = config.train.schedule;
    auto optimizer = makeOptimizer(oo, model->named_parameters());

    const auto batch = [&] {
        Seq2SeqBatch b;
        const std::int64_t first = kEosId + 1;
        b.src = torch::randint(first, mo.vocabSize, {B, len + 1}, torch::kInt64);
        b.tgtIn = torch::randint(first, mo.vocabSize, {B, len + 1}, torch::kInt64);
        b.tgtIn.select(1, 0).fill_(kBosId);
        b.tgtOut = torch::randint(first, mo.vocabSize, {B, len + 1}, torch::kInt64);
        b.targetLang = torch::randint(0, mo.numLanguages, {B}, torch::kInt64);
        b.pair = torch::randint(0, mo.numPairs, {B}, torch::kInt64);
        return b;
    };
    std::vector<double> seconds;
    for (int step = 1; step <= options.steps + 2; ++step) {
        const Seq2SeqBatch input = batch();
        const auto start = std::chrono::steady_clock::now();
        ModelOutput out = model->forward(input);
        out.loss.backward();
        optimizer->step(step, 0.0);
        optimizer->zeroGrad();
        if (step > 2)
            seconds.push_back(secondsOf(start));
    }

    TrainBenchResult r;
    r.sentences = B;
    r.tokens = 2 * B * (len + 1);
    r.stepMs = median(seconds) * 1000;
    r.tokensPerSecond = double(r.tokens) / (r.stepMs / 1000);
    r.flopsPerStep = 3 * forwardFlops(mo, B, len + 1, len + 1);
    r.achievedGflops = r.flopsPerStep / (r.stepMs / 1000) / 1e9;
    r.gemmGflops = gemmRate();
    r.gemmShare = r.achievedGflops / r.gemmGflops;
    const ParameterCounts counts = model->parameterCounts();
    r.parameters = counts.total;
    r.activeParameters = counts.activePerToken;
    return r;
}

} // namespace taskmoe::core
