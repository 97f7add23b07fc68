#pragma once
/// The MoE Transformer: a pre-LayerNorm encoder-decoder whose FFN sublayers are dense ReLU
/// FFNs or MoE layers (core/moe.h), sized and routed by ModelOptions.
///
/// - One embedding matrix [vocab, d_model] embeds source and target tokens (scaled by
///   sqrt(d_model), plus sinusoidal positions) and is the output projection (tied weights).
/// - Multi-head attention with a key padding mask everywhere and a causal mask in decoder
///   self-attention. The attention modules hold weights only: keys and values are computed by
///   projectKeyValue() and consumed by attend(), so that incremental decoding can keep a
///   per-request KV cache outside the modules (whisper.cpp's context/state split).
/// - Loss: label-smoothed cross-entropy (PyTorch's definition) over non-padding targets plus
///   the MoE layers' auxiliary losses.
///
/// Registered names are checkpoint keys and must stay stable:
///   embedding.weight, positions (buffer),
///   encoder.layers.<i>.{self_attn_norm, self_attn.{q,k,v,out}, ffn_norm, ffn.{wi,wo} | ffn.moe.*},
///   encoder.final_norm, decoder.layers.<i>.{…, cross_attn_norm, cross_attn.{q,k,v,out}, …},
///   decoder.final_norm.
#include "core/config/model_options.h"
#include "core/model/moe.h"
#include "core/model/parametercounts.h"
#include "core/model/torch.h"

#include <cstdint>
#include <vector>

namespace taskmoe::core {

/// A batch of sentence pairs, token ids padded with kPadId (0).
struct Seq2SeqBatch
{
    torch::Tensor src;         ///< [B, S] int64: <2xx> first, then the source sentence (often + EOS)
    torch::Tensor tgtIn;       ///< [B, L] int64: BOS + target sentence (decoder input)
    torch::Tensor tgtOut;      ///< [B, L] int64: target sentence + EOS (what is predicted)
    torch::Tensor targetLang;  ///< [B] int64: target-language task id (needed by task:target routing)
    torch::Tensor pair;        ///< [B] int64: language-pair task id (needed by task:pair routing)
};

/// What one MoE layer did in a forward pass (detached, for logging).
struct MoeLayerStats
{
    bool decoder = false;          ///< side
    std::int64_t layer = 0;        ///< layer index within its side (0-based)
    torch::Tensor expertLoad;      ///< [E] int64: token copies each expert processed
    std::int64_t tokens = 0;       ///< non-padding tokens routed
    std::int64_t dropped = 0;      ///< token copies dropped at capacity
    double balance = 0;            ///< this layer's load-balancing loss E · Σ f_e · P_e
    double zLoss = 0;              ///< this layer's router z-loss
};

/// Auxiliary losses and statistics of the MoE layers of one or both sides.
struct MoeSummary
{
    torch::Tensor balance;              ///< scalar: Σ of the layers' balance losses (0 without MoE)
    torch::Tensor zLoss;                ///< scalar: Σ of the layers' z-losses (0 without MoE)
    std::vector<MoeLayerStats> layers;  ///< in order: encoder layers, then decoder layers
};

/// The encoder's result, the memory the decoder attends to.
struct EncoderOutput
{
    torch::Tensor states;  ///< [B, S, d_model] after the encoder's final LayerNorm
    torch::Tensor mask;    ///< [B, S] bool: true at real (non-padding) source tokens
    MoeSummary moe;        ///< the encoder's MoE layers
};

/// The decoder's result before the output projection.
struct DecoderOutput
{
    torch::Tensor states;  ///< [B, L, d_model] after the decoder's final LayerNorm
    torch::Tensor mask;    ///< [B, L] bool: true at real (non-padding) target positions
    MoeSummary moe;        ///< the decoder's MoE layers
};

/// Result of a training / evaluation forward pass.
struct ModelOutput
{
    torch::Tensor logits;   ///< [B, L, vocab]
    torch::Tensor loss;     ///< scalar: ce + balanceLossCoef · balance + zLossCoef · zLoss (what is minimised)
    torch::Tensor ce;       ///< scalar: label-smoothed cross-entropy, mean over non-padding targets
    torch::Tensor nll;      ///< scalar: plain cross-entropy (no smoothing), mean over non-padding targets
    torch::Tensor balance;  ///< scalar: Σ over MoE layers of the balance loss
    torch::Tensor zLoss;    ///< scalar: Σ over MoE layers of the router z-loss
    std::vector<MoeLayerStats> perLayer;  ///< encoder MoE layers first, then decoder
    std::int64_t targetTokens = 0;        ///< non-padding target tokens (the denominator of ce and nll)
};

/// Multi-head scaled dot-product attention with its own q/k/v/out projections.
class MultiHeadAttentionImpl : public torch::nn::Module
{
public:
    MultiHeadAttentionImpl(std::int64_t dModel, std::int64_t heads, double dropout);

    /// `query` [B, L, d], `memory` [B, S, d] (keys and values come from it), `keyMask` [B, S]
    /// bool (true = real key), `causal`: query i may only see keys 0..i → [B, L, d].
    torch::Tensor forward(const torch::Tensor &query, const torch::Tensor &memory, const torch::Tensor &keyMask,
                          bool causal = false);

    /// Projects `memory` [B, S, d] to keys and values, each [B, H, S, d/H] — what a KV cache stores.
    std::pair<torch::Tensor, torch::Tensor> projectKeyValue(const torch::Tensor &memory);
    /// Attends `query` [B, L, d] to projected `keys`/`values` [B, H, S, d/H]. With `causal`, the
    /// query at position i (0-based within `query`) sits at absolute position queryOffset + i
    /// and sees keys 0..queryOffset + i. → [B, L, d]
    torch::Tensor attend(const torch::Tensor &query, const torch::Tensor &keys, const torch::Tensor &values,
                         const torch::Tensor &keyMask, bool causal = false, std::int64_t queryOffset = 0);

    torch::nn::Linear q = nullptr, k = nullptr, v = nullptr, out = nullptr;
    torch::nn::Dropout dropout = nullptr;  ///< on the attention weights

private:
    std::int64_t m_heads;
    std::int64_t m_headDim;
};
TORCH_MODULE(MultiHeadAttention);

/// The FFN sublayer: a dense ReLU FFN (wi, wo) or an MoE layer (moe), never both.
class FeedForwardImpl : public torch::nn::Module
{
public:
    /// Dense when `moeOptions` is null.
    FeedForwardImpl(std::int64_t dModel, std::int64_t dFf, const MoeLayerOptions *moeOptions);

    /// `x` [B, S, d] (normalised), `mask` [B, S] bool, `tasks` [B] int64 or undefined.
    /// Returns the MoE layer's output, or for a dense FFN only `output` (losses undefined).
    MoeOutput forward(const torch::Tensor &x, const torch::Tensor &mask, const torch::Tensor &tasks,
                      const MoeCall &call = {});

    bool isMoe() const { return !moe.is_empty(); }

    torch::nn::Linear wi = nullptr, wo = nullptr;  ///< dense: d → d_ff → d
    MoeLayer moe = nullptr;                        ///< MoE
};
TORCH_MODULE(FeedForward);

class EncoderLayerImpl : public torch::nn::Module
{
public:
    /// `ffHidden`: the hidden size of a dense FFN (ignored for an MoE layer).
    EncoderLayerImpl(const ModelOptions &options, const MoeLayerOptions *moeOptions, std::int64_t ffHidden);

    /// `x` [B, S, d], `mask` [B, S] bool, `tasks` [B] or undefined. `moeOut` (may be null)
    /// receives the MoE layer's output. → [B, S, d]
    torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &mask, const torch::Tensor &tasks,
                          MoeOutput *moeOut, const MoeCall &call = {});

    torch::nn::LayerNorm selfAttnNorm = nullptr, ffnNorm = nullptr;
    MultiHeadAttention selfAttn = nullptr;
    FeedForward ffn = nullptr;
    torch::nn::Dropout dropout = nullptr;  ///< on each sublayer's output before the residual add
};
TORCH_MODULE(EncoderLayer);

class DecoderLayerImpl : public torch::nn::Module
{
public:
    /// `ffHidden`: the hidden size of a dense FFN (ignored for an MoE layer).
    DecoderLayerImpl(const ModelOptions &options, const MoeLayerOptions *moeOptions, std::int64_t ffHidden);

    /// `x` [B, L, d], `mask` [B, L] bool (real target positions), `memory` [B, S, d] with
    /// `memoryMask` [B, S], `tasks` [B] or undefined. → [B, L, d]
    torch::Tensor forward(const torch::Tensor &x, const torch::Tensor &mask, const torch::Tensor &memory,
                          const torch::Tensor &memoryMask, const torch::Tensor &tasks, MoeOutput *moeOut,
                          const MoeCall &call = {});

    torch::nn::LayerNorm selfAttnNorm = nullptr, crossAttnNorm = nullptr, ffnNorm = nullptr;
    MultiHeadAttention selfAttn = nullptr, crossAttn = nullptr;
    FeedForward ffn = nullptr;
    torch::nn::Dropout dropout = nullptr;
};
TORCH_MODULE(DecoderLayer);

/// A stack of layers with a final LayerNorm; the input dropout applies to the embeddings.
class EncoderImpl : public torch::nn::Module
{
public:
    explicit EncoderImpl(const ModelOptions &options);
    torch::nn::ModuleList layerList = nullptr;  ///< registered as "layers"
    std::vector<EncoderLayer> layers;           ///< the same modules, typed
    torch::nn::LayerNorm finalNorm = nullptr;
    torch::nn::Dropout dropout = nullptr;
};
TORCH_MODULE(Encoder);

class DecoderImpl : public torch::nn::Module
{
public:
    explicit DecoderImpl(const ModelOptions &options);
    torch::nn::ModuleList layerList = nullptr;
    std::vector<DecoderLayer> layers;
    torch::nn::LayerNorm finalNorm = nullptr;
    torch::nn::Dropout dropout = nullptr;
};
TORCH_MODULE(Decoder);

/// One MoE layer of the model with its place.
struct MoeLayerRef
{
    bool decoder = false;
    std::int64_t layer = 0;
    MoeLayer moe = nullptr;
};

class TransformerImpl : public torch::nn::Module
{
public:
    /// Calls options.validate() first (std::invalid_argument naming the field).
    explicit TransformerImpl(const ModelOptions &options);

    /// Training / evaluation pass: logits, losses and MoE statistics.
    ModelOutput forward(const Seq2SeqBatch &batch);

    /// Runs the encoder on `src` [B, S]. `targetLang` / `pair` [B] are the task ids; only the
    /// one the encoder's routing uses must be defined. `call` applies to every MoE layer
    /// (capacity, observer; not the prefix state).
    EncoderOutput encode(const torch::Tensor &src, const torch::Tensor &targetLang = {},
                         const torch::Tensor &pair = {}, const MoeCall &call = {});
    /// Runs the decoder on `tgtIn` [B, L] (BOS first) over the encoder's output.
    DecoderOutput decode(const torch::Tensor &tgtIn, const EncoderOutput &memory,
                         const torch::Tensor &targetLang = {}, const torch::Tensor &pair = {},
                         const MoeCall &call = {});
    /// Output projection with the tied embedding: `states` [..., d] → logits [..., vocab].
    torch::Tensor project(const torch::Tensor &states) const;
    /// Token embedding × sqrt(d_model) + sinusoidal positions starting at `positionOffset`:
    /// `tokens` [B, L] → [B, L, d] (no dropout).
    torch::Tensor embed(const torch::Tensor &tokens, std::int64_t positionOffset = 0) const;

    /// The task ids a side's routing uses: targetLang for task:target, pair for task:pair,
    /// undefined otherwise. Checks that the ids are inside the task table.
    torch::Tensor tasksFor(bool decoder, const torch::Tensor &targetLang, const torch::Tensor &pair) const;

    ParameterCounts parameterCounts() const;
    /// Every MoE layer, encoder first, in layer order.
    std::vector<MoeLayerRef> moeLayers() const;
    /// Attaches `observer` to every MoE layer (an empty function detaches).
    void setRoutingObserver(const RoutingObserver &observer);
    /// Switches every MoE layer to the reference dispatch (tests) or back.
    void setReferenceDispatch(bool on);

    /// The output projection's weight: the very tensor of the embedding.
    const torch::Tensor &outputProjectionWeight() const { return embedding->weight; }
    const ModelOptions &options() const { return m_options; }

    torch::nn::Embedding embedding = nullptr;  ///< [vocab, d_model], shared by source, target and output
    Encoder encoder = nullptr;
    Decoder decoder = nullptr;
    torch::Tensor positions;                   ///< buffer [max_length, d_model]: sinusoidal encodings

private:
    ModelOptions m_options;
};
TORCH_MODULE(Transformer);

/// Options of the MoE layer at one side of a model, with the task table size its routing needs.
MoeLayerOptions moeLayerOptionsFor(const ModelOptions &options, bool decoder);

} // namespace taskmoe::core
