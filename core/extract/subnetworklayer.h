#pragma once
/// What extraction did to one MoE layer (core/extract/subnetwork.h), without LibTorch: the
/// use cases and programs report it.
#include <cstdint>
#include <string>
#include <vector>

namespace taskmoe::core {

/// What became of one MoE layer.
struct SubnetworkLayer
{
    enum class Kind { Folded, Pruned, Kept };
    bool decoder = false;
    std::int64_t layer = 0;
    Kind kind = Kind::Kept;
    std::vector<std::int64_t> experts;  ///< folded: the task's experts, best first; pruned: those kept
    std::vector<double> gates;          ///< folded: their renormalised gate weights (sum 1)
};

/// "folded", "pruned", "kept".
std::string subnetworkLayerKindName(SubnetworkLayer::Kind kind);

} // namespace taskmoe::core
