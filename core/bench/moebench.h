#pragma once
/// Side-by-side timing of the MoE layer against a dense FFN with the same active FLOPs.
#include <cstdint>
#include <functional>
#include <vector>

namespace taskmoe::core {

struct MoeBenchOptions
{
    std::vector<std::int64_t> experts{8, 32, 128};  ///< E values to measure
    std::int64_t tokens = 4096;
    std::int64_t dModel = 256;
    std::int64_t dFf = 1024;                          ///< per expert; the dense FFN has topK · dFf
    std::int64_t topK = 2;
    double capacityFactor = 1.25;
    int repetitions = 7;                              ///< timed runs of each; the median is reported
    void validate() const;                            ///< throws std::invalid_argument naming the field
};

struct MoeBenchResult
{
    std::int64_t experts = 0;
    std::int64_t tokens = 0;
    double moeMs = 0;      ///< median forward + backward of the token-routed MoE layer
    double denseMs = 0;    ///< median forward + backward of the dense FFN (hidden topK · dFf)
    double ratio = 0;      ///< moeMs / denseMs
    double droppedFraction = 0;  ///< token copies over capacity in the timed runs
};

/// Measures each E in turn, MoE and dense runs interleaved so that both see the same machine
/// state. `progress` (may be empty) is told each result as it is measured.
std::vector<MoeBenchResult> benchMoeLayer(const MoeBenchOptions &options,
                                          const std::function<void(const MoeBenchResult &)> &progress = {});

} // namespace taskmoe::core
