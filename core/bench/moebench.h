#pragma once
/// Side-by-side timing of the MoE layer against a dense FFN with the same active FLOPs.
#include <cstdint>
#include <functional>
#include <vector>

namespace taskmoe::core {

struct MoeBenchOptions
{
    std::vector<std::int64_t> experts{8, 32, 128};  ///< E values to measure
    /// Tokens per call: decoding-sized batches (a step of 8–64 sentences) and a training batch.
    std::vector<std::int64_t> tokens{8, 64, 4096};
    std::int64_t dModel = 256;
    std::int64_t dFf = 1024;                          ///< per expert; the dense FFN has topK · dFf
    std::int64_t topK = 2;
    double capacityFactor = 1.25;                     ///< of the training pass (decoding: no limit)
    int repetitions = 7;                              ///< timed runs of each; the median is reported
    void validate() const;                            ///< throws std::invalid_argument naming the field
};

struct MoeBenchResult
{
    std::int64_t experts = 0;
    std::int64_t tokens = 0;
    double moeMs = 0;      ///< median forward + backward of the token-routed MoE layer (training mode)
    double denseMs = 0;    ///< median forward + backward of the dense FFN (hidden topK · dFf)
    double ratio = 0;      ///< moeMs / denseMs
    double moeForwardMs = 0;    ///< median forward alone as decoding runs it (no gradients, no capacity limit)
    double denseForwardMs = 0;
    double forwardRatio = 0;    ///< moeForwardMs / denseForwardMs
    /// Expert weights a forward pass reads against the dense FFN's: the experts that receive
    /// tokens (mean over the timed passes) times an expert's size, plus the router, over the
    /// dense weights. With few tokens a pass is limited by reading weights, so this is the
    /// ratio no implementation can beat there.
    double weightsReadRatio = 0;
    double droppedFraction = 0;  ///< token copies over capacity in the timed training passes
};

/// Measures each E and token count in turn, MoE and dense runs interleaved so that both see
/// the same machine state. `progress` (may be empty) is told each result as it is measured.
std::vector<MoeBenchResult> benchMoeLayer(const MoeBenchOptions &options,
                                          const std::function<void(const MoeBenchResult &)> &progress = {});

} // namespace taskmoe::core
