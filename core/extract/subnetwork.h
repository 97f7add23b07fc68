#pragma once
/// Sub-networks of a trained MoE Transformer (Kudugunta et al. 2021, section 3):
///
/// - Task extraction. A task-routed MoE layer sends every token of a task to the same k experts
///   with the same gate weights g_1..g_k, so on that task it computes
///   Σ_i g_i · wo_i · ReLU(wi_i · x). That is one dense ReLU FFN of hidden size k · d_ff whose
///   input projection stacks the wi_i and whose output projection stacks the g_i · wo_i: the
///   layer is folded into it, and the router, the task embedding and the other experts go. The
///   folded model computes the same function as the full one wherever no expert copy is dropped
///   at capacity (decoding runs without a capacity limit), up to float summation order.
/// - Expert pruning. A token- or sentence-routed layer cannot be folded (every token chooses its
///   own experts); it can keep K of its E experts, the router restricted to their rows, so that
///   the softmax and the top-k renormalise over the experts kept (NLLB-200's expert pruning).
///   Which K is the caller's choice (usecases/extract: by the task's routing statistics).
/// - A token- or sentence-routed layer that is neither folded nor pruned stays as it is.
#include "core/decoding/decoding.h"
#include "core/extract/subnetworklayer.h"
#include "core/model/transformer.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace taskmoe::core {

struct SubnetworkSpec
{
    /// The task of each task-routed side, as an id of that side's task table (a target
    /// language for task:target, a language pair for task:pair); −1 for a side that is not
    /// task-routed. Every task-routed side needs one.
    std::int64_t encoderTask = -1;
    std::int64_t decoderTask = -1;
    /// Experts kept per token- or sentence-routed MoE layer, keyed by (decoder, layer index).
    /// Empty: every such layer keeps all its experts. Otherwise every such layer needs a list,
    /// all of one length K with top_k ≤ K ≤ E, of distinct experts.
    std::map<std::pair<bool, std::int64_t>, std::vector<std::int64_t>> keep;
};

struct Subnetwork
{
    Transformer model = nullptr;        ///< in evaluation mode
    std::vector<SubnetworkLayer> layers;  ///< every MoE layer of the full model, encoder first
};

/// The experts and renormalised gate weights a task-routed layer gives task `task` — exactly
/// as its forward pass computes them (router over the whole task table, softmax, top-k).
std::pair<std::vector<std::int64_t>, std::vector<double>> taskExperts(MoeLayerImpl &layer, std::int64_t task);

/// Builds the sub-network `spec` describes from `full` (left unchanged). Throws
/// std::invalid_argument naming what is wrong: a task-routed side without a task or with one
/// outside its table, a task for a side that is not task-routed, keep lists missing, of
/// different lengths, out of range, repeated or shorter than top_k.
Subnetwork extractSubnetwork(TransformerImpl &full, const SubnetworkSpec &spec);

/// The largest |logit difference| between two models of one vocabulary over the real target
/// positions of `targets[i]` as translations of `requests[i]`, teacher-forced without a
/// capacity limit (as decoding runs), `batchSize` sentences at a time.
double maxLogitDifference(TransformerImpl &a, TransformerImpl &b, const std::vector<DecodeRequest> &requests,
                          const std::vector<std::vector<std::int32_t>> &targets, std::size_t batchSize = 16);

} // namespace taskmoe::core
