#pragma once
/// Parameter counts of a model by component, as TransformerImpl::parameterCounts() computes
/// them; no LibTorch here, so programs and use-case headers can pass them around.
#include <cstdint>

namespace taskmoe::core {

/// Parameter counts computed from the registered parameters (buffers excluded).
struct ParameterCounts
{
    std::int64_t total = 0;           ///< every parameter (the tied embedding counted once)
    std::int64_t embedding = 0;       ///< the shared embedding / output projection
    std::int64_t encoder = 0;         ///< everything under encoder.
    std::int64_t decoder = 0;         ///< everything under decoder.
    std::int64_t dense = 0;           ///< non-expert parameters (total − expert), routers included
    std::int64_t expert = 0;          ///< expert FFN weights of all MoE layers
    std::int64_t encoderExpert = 0;   ///< … of the encoder's MoE layers
    std::int64_t decoderExpert = 0;   ///< … of the decoder's MoE layers
    std::int64_t router = 0;          ///< routers and task embeddings (part of dense)
    std::int64_t activePerToken = 0;  ///< dense + Σ over MoE layers of top_k/E of its expert parameters
    std::int64_t encoderActive = 0;   ///< encoder parameters a token uses (non-expert + k/E of experts)
    std::int64_t decoderActive = 0;   ///< decoder parameters a token uses (non-expert + k/E of experts)
};

} // namespace taskmoe::core
