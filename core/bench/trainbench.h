#pragma once
/// How fast a training configuration trains on this machine, against what the machine can do:
/// a training step (forward, backward, optimiser update) of the configuration's model on
/// batches of its size, its floating-point work counted from the shapes, and the machine's fp32
/// matrix-product rate measured in the same run. No LibTorch in this header.
#include "core/config/trainconfig.h"

#include <cstdint>

namespace taskmoe::core {

struct TrainBenchOptions
{
    int steps = 8;                      ///< timed training steps (after two untimed ones); the median is reported
    std::int64_t sentenceLength = 16;   ///< pieces per source and per target sentence of the batches
    std::int64_t languages = 7;         ///< task tables of the model (as on the quick corpus)
    std::int64_t pairs = 12;
    void validate() const;              ///< throws std::invalid_argument naming the field
};

struct TrainBenchResult
{
    std::int64_t sentences = 0;         ///< per batch
    std::int64_t tokens = 0;            ///< real source + target tokens per batch
    double stepMs = 0;                  ///< median wall time of a training step
    double tokensPerSecond = 0;
    double flopsPerStep = 0;            ///< forward + backward (3 × forward) floating-point operations
    double achievedGflops = 0;          ///< flopsPerStep / stepMs
    double gemmGflops = 0;              ///< a 1024³ fp32 matrix product here, same run, same threads
    double gemmShare = 0;               ///< achievedGflops / gemmGflops
    std::int64_t parameters = 0;        ///< all weights
    std::int64_t activeParameters = 0;  ///< weights a token passes through (k experts per MoE layer)
};

/// Forward floating-point operations of one batch: 2 per multiply-add of every matrix product
/// (attention projections, FFNs or the k chosen experts, routers, output projection) plus the
/// attention scores and weighted sums. Training counts three times this.
double forwardFlops(const ModelOptions &model, std::int64_t sentences, std::int64_t srcLength, std::int64_t tgtLength);

/// Times training steps of `config`'s model and optimiser on random batches of
/// config.train.batch_tokens tokens.
TrainBenchResult benchTraining(const TrainConfig &config, const TrainBenchOptions &options);

} // namespace taskmoe::core
