#pragma once
/// The Mixture-of-Experts FFN layer: a softmax router, top-k gating with renormalised
/// weights, expert capacity, the GShard load-balancing loss, and E identical ReLU experts
/// FFN_e(x) = wo_e · ReLU(wi_e · x) run by a fast grouped dispatch.
///
/// Routing granularity decides the router's input: the token's state (token), the mean of
/// the sentence's non-padding states (sentence), or a learned embedding of the sentence's
/// task id (task:target, task:pair). Under task routing every token of a sentence gets the
/// same experts and weights, and so it does under sentence routing in the encoder. In the
/// decoder (causal_sentence) sentence routing uses the mean of the states up to and including
/// the token — the prefix a decoder has when it generates the token — so that training sees
/// no future tokens and incremental decoding routes exactly as a full pass does.
///
/// Capacity: an expert takes at most C = ceil(capacity_factor · k · tokens / E) token
/// copies per forward pass. Assignments are considered in order of choice rank — every
/// token's first choice before any token's second choice — and within a rank in token order
/// (sentence by sentence, position by position); an expert accepts them until it holds C, and
/// later ones are dropped. A dropped copy contributes nothing: if all k copies of a token are
/// dropped, the layer adds zero and the token passes through the residual connection.
/// A call may set its own capacity factor (MoeCall), 0 meaning no limit: decoding uses that.
#include "core/config/model_options.h"
#include "core/model/torch.h"

#include <functional>

namespace taskmoe::core {

class Communicator;

/// What one MoE layer decided for a batch, for the non-padding tokens in order (sentence by
/// sentence, position by position).
struct RoutingDecision
{
    bool decoder = false;           ///< side
    std::int64_t layer = 0;         ///< layer index within its side (0-based)
    torch::Tensor positions;        ///< [tokens] int64: flat index b·S + s into the [B, S] batch
    torch::Tensor sentences;        ///< [tokens] int64: b, the batch row of each token
    torch::Tensor experts;          ///< [tokens, k] int64: the chosen experts, best first
    torch::Tensor gates;            ///< [tokens, k] float: their renormalised weights
    torch::Tensor dropped;          ///< [tokens, k] bool: the copy exceeded the expert's capacity
    torch::Tensor tasks;            ///< [sentences] int64: the task id of each sentence (or empty)
    std::int64_t capacity = 0;      ///< C of this forward pass
};

/// Receives every decision of the layers it is attached to. No cost when none is attached.
using RoutingObserver = std::function<void(const RoutingDecision &)>;

/// Settings of one call of an MoE layer, kept outside the module so that concurrent requests
/// (and a decoder's per-request state) do not touch the weights.
struct MoeCall
{
    /// < 0: the layer's capacity_factor_train / _eval by mode; 0: no capacity limit (every
    /// chosen expert processes its copy); > 0: this factor.
    double capacityFactor = -1;
    /// Incremental decoding under causal sentence routing: the running sum [B, d_model] and
    /// count [B, 1] of the earlier positions' inputs, read and then advanced by this call.
    torch::Tensor *prefixSum = nullptr;
    torch::Tensor *prefixCount = nullptr;
    /// Receives this call's decision (besides the layer's own observer); may be null.
    const RoutingObserver *observer = nullptr;
};

struct MoeLayerOptions
{
    MoeLayerOptions(std::int64_t d_model, std::int64_t d_ff, std::int64_t num_experts)
        : d_model_(d_model), d_ff_(d_ff), num_experts_(num_experts) {}
    /// Throws std::invalid_argument naming the field.
    void validate() const;

    TORCH_ARG(std::int64_t, d_model);
    TORCH_ARG(std::int64_t, d_ff);
    TORCH_ARG(std::int64_t, num_experts);
    TORCH_ARG(std::int64_t, top_k) = 2;
    TORCH_ARG(Routing, routing) = Routing::Token;
    /// Rows of the task embedding (task routing): languages or pairs.
    TORCH_ARG(std::int64_t, num_tasks) = 1;
    TORCH_ARG(double, capacity_factor_train) = 1.25;
    TORCH_ARG(double, capacity_factor_eval) = 2.0;
    TORCH_ARG(double, router_jitter) = 0.0;
    /// Sentence routing on the mean of the prefix up to each token (the decoder's side).
    TORCH_ARG(bool, causal_sentence) = false;
};

/// The layer's output and what the training loop logs.
struct MoeOutput
{
    torch::Tensor output;        ///< [B, S, d_model]; zero at padding positions
    torch::Tensor balanceLoss;   ///< scalar: E · Σ_e f_e · P_e (f: share of first choices, P: mean probability)
    torch::Tensor zLoss;         ///< scalar: mean over tokens of logsumexp(logits)²
    torch::Tensor expertLoad;    ///< [E] int64: token copies each expert processed
    std::int64_t tokens = 0;     ///< non-padding tokens routed
    std::int64_t dropped = 0;    ///< token copies dropped at capacity
};

class MoeLayerImpl : public torch::nn::Module
{
public:
    explicit MoeLayerImpl(const MoeLayerOptions &options);

    /// `x` [B, S, d_model]; `mask` [B, S] bool, true at real tokens; `tasks` [B] int64 task
    /// ids (required for task routing, ignored otherwise).
    MoeOutput forward(const torch::Tensor &x, const torch::Tensor &mask, const torch::Tensor &tasks = {},
                      const MoeCall &call = {});

    /// Use the straightforward per-expert reference dispatch (for tests) instead of the fast one.
    void setReferenceDispatch(bool on) { m_reference = on; }
    /// Expert parallelism while training. Token (and sentence) routing: the experts are split
    /// over the group's ranks in equal contiguous blocks (rank r holds and computes experts
    /// r·E/N … (r+1)·E/N − 1: `wi` and `wo` shrink to those rows); each token copy is sent to
    /// the rank of its expert and its result sent back (exchangeRows), and the layer counts the
    /// copies that left this rank. To evaluate or save such a layer, put the whole experts'
    /// weights back in `wi` and `wo` (set_data) for the time being. Task routing: a task's
    /// tokens all use the task's experts, which the task's gate picks and may change while it
    /// learns, and the trainer puts each task's sentences on one rank; so every rank keeps every
    /// expert of these layers, runs the chosen ones where the task's tokens are, and nothing is
    /// sent — or, with `shardTaskExperts`, each rank keeps its block of them too and a task's
    /// copies whose expert is on another rank travel like token routing's (the trainer puts the
    /// task's sentences where most of its experts are). nullptr: all local. E must be a multiple
    /// of the group's size.
    void setExpertParallel(Communicator *comm, bool shardTaskExperts = false);
    /// Task routing: the experts each task's gate picks now, [num_tasks, top_k] (no jitter).
    torch::Tensor chosenTaskExperts();
    /// Token copies this layer sent to other ranks, and all it dispatched, since the last call.
    std::pair<std::int64_t, std::int64_t> takeMovedCopies();
    /// Expert parallelism with token or sentence routing: `wi` and `wo` hold this rank's
    /// experts only, from firstLocalExpert() on.
    bool expertsSharded() const { return m_sharded; }
    std::int64_t firstLocalExpert() const { return m_firstLocal; }
    void setObserver(RoutingObserver observer, bool decoder, std::int64_t layer);
    /// Where the layer sits (reported in its decisions); the Transformer sets it.
    void setPlace(bool decoder, std::int64_t layer);

    const MoeLayerOptions &options() const { return m_options; }

    torch::nn::Linear router = nullptr;        ///< d_model → E, no bias
    torch::nn::Embedding taskEmbedding = nullptr;  ///< task routing only
    torch::Tensor wi;                          ///< [E, d_model, d_ff] (sharded: this rank's experts)
    torch::Tensor wo;                          ///< [E, d_ff, d_model] (sharded: this rank's experts)

private:
    /// Expert parallelism: runs this rank's experts on the copies sent to it; `xs` grouped by
    /// expert, load[e] rows each. Returns the experts' outputs for `xs`'s rows (no gates).
    torch::Tensor expertParallelFfn(const torch::Tensor &xs, const std::vector<std::int64_t> &load);

    MoeLayerOptions m_options;
    bool m_reference = false;
    RoutingObserver m_observer;
    Communicator *m_comm = nullptr;
    std::int64_t m_moved = 0, m_dispatched = 0;
    bool m_sharded = false;
    std::int64_t m_firstLocal = 0;
    bool m_observerDecoder = false;
    std::int64_t m_observerLayer = 0;
};
TORCH_MODULE(MoeLayer);

/// Threads that run experts side by side (0: LibTorch's intra-op thread count).
void setExpertThreads(int threads);
int expertThreads();

/// Runs the experts on token rows grouped by expert: rows offsets[e] .. offsets[e+1] of `xs`
/// go to expert e. One matrix product per expert on a contiguous slice, experts spread over
/// the intra-op threads with a single-threaded BLAS each; backward through the same path.
/// `xs` [N, d], `wi` [E, d, f], `wo` [E, f, d], `offsets` [E + 1] int64 (CPU) → [N, d]; with
/// `gates` [N], row n of the result is multiplied by gates[n] (and gates get their gradient).
torch::Tensor groupedExpertFfn(const torch::Tensor &xs, const torch::Tensor &wi, const torch::Tensor &wo,
                               const torch::Tensor &offsets, const torch::Tensor &gates = {});

} // namespace taskmoe::core
