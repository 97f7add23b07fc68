#include "core/model/transformer.h"

#include "core/data/sentencepiece.h"

#include <cmath>
#include <limits>
#include <unordered_set>

namespace taskmoe::core {

namespace F = torch::nn::functional;

namespace {

torch::nn::Linear linear(std::int64_t in, std::int64_t out)
{
    torch::nn::Linear l(torch::nn::LinearOptions(in, out));
    // Xavier-uniform weights and zero biases, the usual Transformer initialisation.
    torch::NoGradGuard noGrad;
    torch::nn::init::xavier_uniform_(l->weight);
    torch::nn::init::zeros_(l->bias);
    return l;
}

torch::nn::LayerNorm layerNorm(std::int64_t d)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}));
}

/// [length, d]: pe[p, 2i] = sin(p / 10000^(2i/d)), pe[p, 2i+1] = cos(p / 10000^(2i/d)).
torch::Tensor sinusoidalPositions(std::int64_t length, std::int64_t d)
{
    auto pe = torch::zeros({length, d});
    const auto pos = torch::arange(length, torch::kFloat64).unsqueeze(1);             // [length, 1]
    const auto even = torch::arange(0, d, 2, torch::kFloat64);                        // [ceil(d/2)]
    const auto angle = pos * torch::exp(even * (-std::log(10000.0) / double(d)));     // [length, ceil(d/2)]
    using torch::indexing::Slice;
    pe.index_put_({Slice(), Slice(0, d, 2)}, torch::sin(angle).to(torch::kFloat32));
    const std::int64_t odd = d / 2;
    pe.index_put_({Slice(), Slice(1, d, 2)}, torch::cos(angle.index({Slice(), Slice(0, odd)})).to(torch::kFloat32));
    return pe;
}

void addMoe(MoeSummary &summary, const MoeOutput &out, bool decoder, std::int64_t layer)
{
    const auto zero = torch::zeros({}, torch::kFloat32);
    const auto balance = out.balanceLoss.defined() ? out.balanceLoss : zero;
    const auto z = out.zLoss.defined() ? out.zLoss : zero;
    summary.balance = summary.balance.defined() ? summary.balance + balance : balance;
    summary.zLoss = summary.zLoss.defined() ? summary.zLoss + z : z;
    MoeLayerStats s;
    s.decoder = decoder;
    s.layer = layer;
    s.expertLoad = out.expertLoad.defined() ? out.expertLoad.detach() : torch::Tensor();
    s.tokens = out.tokens;
    s.dropped = out.dropped;
    s.balance = balance.detach().item<double>();
    s.zLoss = z.detach().item<double>();
    summary.layers.push_back(std::move(s));
}

void finishSummary(MoeSummary &summary)
{
    if (!summary.balance.defined())
        summary.balance = torch::zeros({}, torch::kFloat32);
    if (!summary.zLoss.defined())
        summary.zLoss = torch::zeros({}, torch::kFloat32);
}

void checkTokens(const torch::Tensor &t, const char *name, std::int64_t vocab, std::int64_t maxLength)
{
    TORCH_CHECK(t.defined() && t.dim() == 2 && t.scalar_type() == torch::kInt64, name,
                " must be a [batch, length] int64 tensor");
    TORCH_CHECK(t.size(0) >= 1 && t.size(1) >= 1, name, " is empty");
    TORCH_CHECK(t.size(1) <= maxLength, name, " has ", t.size(1), " positions; the model accepts at most ",
                maxLength, " (model.max_length)");
    const auto [lo, hi] = torch::aminmax(t);
    TORCH_CHECK(lo.item<std::int64_t>() >= 0 && hi.item<std::int64_t>() < vocab, name,
                " holds a token id outside 0..", vocab - 1, " (model.vocab_size)");
}

/// A whole-model call shares capacity and observer across layers; a prefix state belongs to
/// one layer and is the incremental decoder's business.
MoeCall withoutPrefix(MoeCall call)
{
    call.prefixSum = nullptr;
    call.prefixCount = nullptr;
    return call;
}

} // namespace

// ---------------------------------------------------------------------------------------------

MultiHeadAttentionImpl::MultiHeadAttentionImpl(std::int64_t dModel, std::int64_t heads, double dropoutRate)
    : m_heads(heads), m_headDim(dModel / heads)
{
    TORCH_CHECK(heads >= 1 && dModel % heads == 0, "attention heads must divide d_model");
    q = register_module("q", linear(dModel, dModel));
    k = register_module("k", linear(dModel, dModel));
    v = register_module("v", linear(dModel, dModel));
    out = register_module("out", linear(dModel, dModel));
    dropout = register_module("dropout", torch::nn::Dropout(dropoutRate));
}

std::pair<torch::Tensor, torch::Tensor> MultiHeadAttentionImpl::projectKeyValue(const torch::Tensor &memory)
{
    const auto B = memory.size(0), S = memory.size(1);
    auto keys = k(memory).view({B, S, m_heads, m_headDim}).transpose(1, 2);    // [B, H, S, dh]
    auto values = v(memory).view({B, S, m_heads, m_headDim}).transpose(1, 2);  // [B, H, S, dh]
    return {keys, values};
}

torch::Tensor MultiHeadAttentionImpl::attend(const torch::Tensor &query, const torch::Tensor &keys,
                                             const torch::Tensor &values, const torch::Tensor &keyMask, bool causal,
                                             std::int64_t queryOffset)
{
    const auto B = query.size(0), L = query.size(1), S = keys.size(2);
    const auto qh = q(query).view({B, L, m_heads, m_headDim}).transpose(1, 2);        // [B, H, L, dh]
    auto scores = torch::matmul(qh, keys.transpose(-2, -1)) / std::sqrt(double(m_headDim));  // [B, H, L, S]

    // allowed[b, ·, i, j]: key j is a real token (and, causally, not after query i).
    torch::Tensor allowed;
    if (keyMask.defined())
        allowed = keyMask.view({B, 1, 1, S});                                         // [B, 1, 1, S]
    if (causal) {
        const auto qpos = torch::arange(queryOffset, queryOffset + L, torch::kInt64).view({L, 1});
        const auto kpos = torch::arange(S, torch::kInt64).view({1, S});
        const auto c = (kpos <= qpos).view({1, 1, L, S});                             // [1, 1, L, S]
        allowed = allowed.defined() ? allowed.logical_and(c) : c;
    }
    if (allowed.defined())
        // The lowest finite value rather than -inf: a row with no allowed key (a padding query
        // of an all-padding row) becomes uniform instead of NaN; allowed rows are unaffected
        // (exp underflows to exactly 0).
        scores = scores.masked_fill(allowed.logical_not(), std::numeric_limits<float>::lowest());
    const auto weights = dropout(torch::softmax(scores, -1));                          // [B, H, L, S]
    const auto context = torch::matmul(weights, values).transpose(1, 2).reshape({B, L, m_heads * m_headDim});
    return out(context);                                                              // [B, L, d]
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor &query, const torch::Tensor &memory,
                                              const torch::Tensor &keyMask, bool causal)
{
    const auto [keys, values] = projectKeyValue(memory);
    return attend(query, keys, values, keyMask, causal, 0);
}

// ---------------------------------------------------------------------------------------------

FeedForwardImpl::FeedForwardImpl(std::int64_t dModel, std::int64_t dFf, const MoeLayerOptions *moeOptions)
{
    if (moeOptions) {
        moe = register_module("moe", MoeLayer(*moeOptions));
    } else {
        wi = register_module("wi", linear(dModel, dFf));
        wo = register_module("wo", linear(dFf, dModel));
    }
}

MoeOutput FeedForwardImpl::forward(const torch::Tensor &x, const torch::Tensor &mask, const torch::Tensor &tasks,
                                   const MoeCall &call)
{
    if (!moe.is_empty())
        return moe(x, mask, tasks, call);
    MoeOutput out;
    out.output = wo(torch::relu(wi(x)));  // [B, S, d]
    return out;
}

// ---------------------------------------------------------------------------------------------

EncoderLayerImpl::EncoderLayerImpl(const ModelOptions &o, const MoeLayerOptions *moeOptions, std::int64_t ffHidden)
{
    selfAttnNorm = register_module("self_attn_norm", layerNorm(o.dModel));
    selfAttn = register_module("self_attn", MultiHeadAttention(o.dModel, o.heads, o.dropout));
    ffnNorm = register_module("ffn_norm", layerNorm(o.dModel));
    ffn = register_module("ffn", FeedForward(o.dModel, ffHidden, moeOptions));
    dropout = register_module("dropout", torch::nn::Dropout(o.dropout));
}

torch::Tensor EncoderLayerImpl::forward(const torch::Tensor &x, const torch::Tensor &mask, const torch::Tensor &tasks,
                                        MoeOutput *moeOut, const MoeCall &call)
{
    const auto n1 = selfAttnNorm(x);
    auto h = x + dropout(selfAttn(n1, n1, mask));
    MoeOutput f = ffn(ffnNorm(h), mask, tasks, call);
    h = h + dropout(f.output);
    if (moeOut)
        *moeOut = std::move(f);
    return h;
}

DecoderLayerImpl::DecoderLayerImpl(const ModelOptions &o, const MoeLayerOptions *moeOptions, std::int64_t ffHidden)
{
    selfAttnNorm = register_module("self_attn_norm", layerNorm(o.dModel));
    selfAttn = register_module("self_attn", MultiHeadAttention(o.dModel, o.heads, o.dropout));
    crossAttnNorm = register_module("cross_attn_norm", layerNorm(o.dModel));
    crossAttn = register_module("cross_attn", MultiHeadAttention(o.dModel, o.heads, o.dropout));
    ffnNorm = register_module("ffn_norm", layerNorm(o.dModel));
    ffn = register_module("ffn", FeedForward(o.dModel, ffHidden, moeOptions));
    dropout = register_module("dropout", torch::nn::Dropout(o.dropout));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor &x, const torch::Tensor &mask, const torch::Tensor &memory,
                                        const torch::Tensor &memoryMask, const torch::Tensor &tasks, MoeOutput *moeOut,
                                        const MoeCall &call)
{
    const auto n1 = selfAttnNorm(x);
    auto h = x + dropout(selfAttn(n1, n1, mask, /*causal=*/true));
    h = h + dropout(crossAttn(crossAttnNorm(h), memory, memoryMask));
    MoeOutput f = ffn(ffnNorm(h), mask, tasks, call);
    h = h + dropout(f.output);
    if (moeOut)
        *moeOut = std::move(f);
    return h;
}

// ---------------------------------------------------------------------------------------------

MoeLayerOptions moeLayerOptionsFor(const ModelOptions &o, bool decoder)
{
    const Routing routing = decoder ? o.decoderRouting : o.encoderRouting;
    const std::int64_t tasks = routing == Routing::TaskTarget ? o.numLanguages
                               : routing == Routing::TaskPair ? o.numPairs
                                                              : 1;
    return MoeLayerOptions(o.dModel, o.dFf, o.experts)
        .top_k(o.topK)
        .routing(routing)
        .num_tasks(tasks)
        .capacity_factor_train(o.capacityFactorTrain)
        .capacity_factor_eval(o.capacityFactorEval)
        .router_jitter(o.routerJitter)
        .causal_sentence(decoder);
}

EncoderImpl::EncoderImpl(const ModelOptions &o)
{
    layerList = register_module("layers", torch::nn::ModuleList());
    const MoeLayerOptions moeOptions = moeLayerOptionsFor(o, false);
    for (std::int64_t i = 0; i < o.encoderLayers; ++i) {
        EncoderLayer layer(o, o.encoderLayerIsMoe(i) ? &moeOptions : nullptr, o.denseFfHidden(false, i));
        layerList->push_back(layer);
        layers.push_back(layer);
    }
    finalNorm = register_module("final_norm", layerNorm(o.dModel));
    dropout = register_module("dropout", torch::nn::Dropout(o.dropout));
}

DecoderImpl::DecoderImpl(const ModelOptions &o)
{
    layerList = register_module("layers", torch::nn::ModuleList());
    const MoeLayerOptions moeOptions = moeLayerOptionsFor(o, true);
    for (std::int64_t i = 0; i < o.decoderLayers; ++i) {
        DecoderLayer layer(o, o.decoderLayerIsMoe(i) ? &moeOptions : nullptr, o.denseFfHidden(true, i));
        layerList->push_back(layer);
        layers.push_back(layer);
    }
    finalNorm = register_module("final_norm", layerNorm(o.dModel));
    dropout = register_module("dropout", torch::nn::Dropout(o.dropout));
}

// ---------------------------------------------------------------------------------------------

namespace {
const ModelOptions &validated(const ModelOptions &o)
{
    o.validate();
    return o;
}
} // namespace

TransformerImpl::TransformerImpl(const ModelOptions &options) : m_options(validated(options))
{
    const auto &o = m_options;
    embedding = register_module("embedding", torch::nn::Embedding(o.vocabSize, o.dModel));
    {
        // N(0, d^-1/2): the scaled embedding (× sqrt(d)) has unit variance, and the tied output
        // projection starts with logits of unit scale.
        torch::NoGradGuard noGrad;
        embedding->weight.normal_(0.0, 1.0 / std::sqrt(double(o.dModel)));
    }
    encoder = register_module("encoder", Encoder(o));
    decoder = register_module("decoder", Decoder(o));
    positions = register_buffer("positions", sinusoidalPositions(o.maxLength, o.dModel));
    for (auto &ref : moeLayers())
        ref.moe->setPlace(ref.decoder, ref.layer);
}

torch::Tensor TransformerImpl::embed(const torch::Tensor &tokens, std::int64_t positionOffset) const
{
    const auto L = tokens.size(1);
    TORCH_CHECK(positionOffset >= 0 && positionOffset + L <= m_options.maxLength, "positions ", positionOffset, "..",
                positionOffset + L - 1, " exceed model.max_length = ", m_options.maxLength);
    const auto pos = positions.narrow(0, positionOffset, L).unsqueeze(0);                 // [1, L, d]
    return F::embedding(tokens, embedding->weight) * std::sqrt(double(m_options.dModel)) + pos;  // [B, L, d]
}

torch::Tensor TransformerImpl::project(const torch::Tensor &states) const
{
    return F::linear(states, embedding->weight);  // [..., vocab]
}

torch::Tensor TransformerImpl::tasksFor(bool decoderSide, const torch::Tensor &targetLang,
                                        const torch::Tensor &pair) const
{
    const Routing routing = decoderSide ? m_options.decoderRouting : m_options.encoderRouting;
    if (!isTaskRouting(routing))
        return {};
    const bool target = routing == Routing::TaskTarget;
    const torch::Tensor &ids = target ? targetLang : pair;
    const std::int64_t n = target ? m_options.numLanguages : m_options.numPairs;
    const char *what = target ? "targetLang" : "pair";
    TORCH_CHECK(ids.defined() && ids.dim() == 1 && ids.scalar_type() == torch::kInt64, "the ",
                decoderSide ? "decoder" : "encoder", "'s ", routingName(routing), " routing needs ", what,
                " task ids as a [batch] int64 tensor");
    if (ids.numel() > 0) {
        const auto [lo, hi] = torch::aminmax(ids);
        const auto l = lo.item<std::int64_t>(), h = hi.item<std::int64_t>();
        TORCH_CHECK(l >= 0 && h < n, "task id ", l < 0 ? l : h, " is outside the task table (", what, " ids 0..",
                    n - 1, ", ", target ? "model.num_languages" : "model.num_pairs", " = ", n, ")");
    }
    return ids;
}

EncoderOutput TransformerImpl::encode(const torch::Tensor &src, const torch::Tensor &targetLang,
                                      const torch::Tensor &pair, const MoeCall &call)
{
    checkTokens(src, "src", m_options.vocabSize, m_options.maxLength);
    const auto tasks = tasksFor(false, targetLang, pair);
    TORCH_CHECK(!tasks.defined() || tasks.size(0) == src.size(0), "task ids: ", tasks.size(0), " for a batch of ",
                src.size(0));
    EncoderOutput out;
    out.mask = src.ne(kPadId);                          // [B, S]
    auto h = encoder->dropout(embed(src));              // [B, S, d]
    for (std::size_t i = 0; i < encoder->layers.size(); ++i) {
        auto &layer = encoder->layers[i];
        if (layer->ffn->isMoe()) {
            MoeOutput m;
            h = layer(h, out.mask, tasks, &m, withoutPrefix(call));
            addMoe(out.moe, m, false, std::int64_t(i));
        } else {
            h = layer(h, out.mask, tasks, nullptr);
        }
    }
    out.states = encoder->finalNorm(h);
    finishSummary(out.moe);
    return out;
}

DecoderOutput TransformerImpl::decode(const torch::Tensor &tgtIn, const EncoderOutput &memory,
                                      const torch::Tensor &targetLang, const torch::Tensor &pair,
                                      const MoeCall &call)
{
    checkTokens(tgtIn, "tgtIn", m_options.vocabSize, m_options.maxLength);
    TORCH_CHECK(memory.states.defined() && memory.states.size(0) == tgtIn.size(0),
                "the encoder output's batch does not match tgtIn's");
    const auto tasks = tasksFor(true, targetLang, pair);
    TORCH_CHECK(!tasks.defined() || tasks.size(0) == tgtIn.size(0), "task ids: ", tasks.size(0),
                " for a batch of ", tgtIn.size(0));
    DecoderOutput out;
    out.mask = tgtIn.ne(kPadId);                        // [B, L]
    auto h = decoder->dropout(embed(tgtIn));            // [B, L, d]
    for (std::size_t i = 0; i < decoder->layers.size(); ++i) {
        auto &layer = decoder->layers[i];
        if (layer->ffn->isMoe()) {
            MoeOutput m;
            h = layer(h, out.mask, memory.states, memory.mask, tasks, &m, withoutPrefix(call));
            addMoe(out.moe, m, true, std::int64_t(i));
        } else {
            h = layer(h, out.mask, memory.states, memory.mask, tasks, nullptr);
        }
    }
    out.states = decoder->finalNorm(h);
    finishSummary(out.moe);
    return out;
}

ModelOutput TransformerImpl::forward(const Seq2SeqBatch &batch)
{
    TORCH_CHECK(batch.tgtOut.defined() && batch.tgtIn.defined() && batch.tgtOut.sizes() == batch.tgtIn.sizes(),
                "tgtOut must have the shape of tgtIn");
    TORCH_CHECK(batch.src.defined() && batch.src.size(0) == batch.tgtIn.size(0),
                "src and tgtIn must have the same batch size");
    checkTokens(batch.tgtOut, "tgtOut", m_options.vocabSize, m_options.maxLength);

    const EncoderOutput enc = encode(batch.src, batch.targetLang, batch.pair);
    const DecoderOutput dec = decode(batch.tgtIn, enc, batch.targetLang, batch.pair);

    ModelOutput out;
    out.logits = project(dec.states);                                            // [B, L, V]

    // Cross-entropy over non-padding targets, label-smoothed as PyTorch defines it:
    // (1 − ε) · (−log p_y) + ε/V · Σ_c (−log p_c).
    const auto V = out.logits.size(-1);
    const auto logp = torch::log_softmax(out.logits.reshape({-1, V}), -1);      // [B·L, V]
    const auto target = batch.tgtOut.reshape({-1});                             // [B·L]
    const auto real = target.ne(kPadId).to(logp.scalar_type());                // [B·L]
    out.targetTokens = target.ne(kPadId).sum().item<std::int64_t>();
    const double denom = double(std::max<std::int64_t>(out.targetTokens, 1));
    const auto nllTok = -logp.gather(1, target.unsqueeze(1)).squeeze(1);        // [B·L]
    out.nll = (nllTok * real).sum() / denom;
    const double eps = m_options.labelSmoothing;
    if (eps > 0) {
        const auto smoothTok = -logp.mean(-1);                                  // [B·L]: ε/V·Σ_c = ε·mean_c
        out.ce = ((nllTok * (1.0 - eps) + smoothTok * eps) * real).sum() / denom;
    } else {
        out.ce = out.nll;
    }

    out.balance = enc.moe.balance + dec.moe.balance;
    out.zLoss = enc.moe.zLoss + dec.moe.zLoss;
    out.loss = out.ce + out.balance * m_options.balanceLossCoef + out.zLoss * m_options.zLossCoef;
    out.perLayer = enc.moe.layers;
    out.perLayer.insert(out.perLayer.end(), dec.moe.layers.begin(), dec.moe.layers.end());
    return out;
}

// ---------------------------------------------------------------------------------------------

std::vector<MoeLayerRef> TransformerImpl::moeLayers() const
{
    std::vector<MoeLayerRef> refs;
    for (std::size_t i = 0; i < encoder->layers.size(); ++i)
        if (encoder->layers[i]->ffn->isMoe())
            refs.push_back({false, std::int64_t(i), encoder->layers[i]->ffn->moe});
    for (std::size_t i = 0; i < decoder->layers.size(); ++i)
        if (decoder->layers[i]->ffn->isMoe())
            refs.push_back({true, std::int64_t(i), decoder->layers[i]->ffn->moe});
    return refs;
}

ParameterCounts TransformerImpl::parameterCounts() const
{
    ParameterCounts c;
    // Identify expert and router tensors by identity, not by name, so the counts do not
    // depend on how the MoE layer names its parameters.
    std::unordered_set<const void *> routerTensors;
    std::unordered_set<const void *> expertTensors;
    std::int64_t encActiveExpert = 0, decActiveExpert = 0;
    for (const auto &ref : moeLayers()) {
        std::unordered_set<const void *> routing;
        if (!ref.moe->router.is_empty())
            for (const auto &p : ref.moe->router->parameters())
                routing.insert(p.unsafeGetTensorImpl());
        if (!ref.moe->taskEmbedding.is_empty())
            for (const auto &p : ref.moe->taskEmbedding->parameters())
                routing.insert(p.unsafeGetTensorImpl());
        std::int64_t layerExpert = 0;
        for (const auto &p : ref.moe->parameters()) {
            if (routing.count(p.unsafeGetTensorImpl()))
                continue;
            expertTensors.insert(p.unsafeGetTensorImpl());
            layerExpert += p.numel();
        }
        routerTensors.insert(routing.begin(), routing.end());
        const auto &mo = ref.moe->options();
        // Each expert holds layerExpert / E parameters; a token uses top_k experts.
        const std::int64_t active = layerExpert / mo.num_experts() * mo.top_k();
        (ref.decoder ? c.decoderExpert : c.encoderExpert) += layerExpert;
        (ref.decoder ? decActiveExpert : encActiveExpert) += active;
    }
    for (const auto &item : named_parameters(/*recurse=*/true)) {
        const auto &name = item.key();
        const auto n = item.value().numel();
        c.total += n;
        if (name.rfind("embedding.", 0) == 0)
            c.embedding += n;
        else if (name.rfind("encoder.", 0) == 0)
            c.encoder += n;
        else if (name.rfind("decoder.", 0) == 0)
            c.decoder += n;
        const void *impl = item.value().unsafeGetTensorImpl();
        if (expertTensors.count(impl))
            c.expert += n;
        if (routerTensors.count(impl))
            c.router += n;
    }
    c.dense = c.total - c.expert;
    c.activePerToken = c.dense + encActiveExpert + decActiveExpert;
    c.encoderActive = c.encoder - c.encoderExpert + encActiveExpert;
    c.decoderActive = c.decoder - c.decoderExpert + decActiveExpert;
    return c;
}

void TransformerImpl::setRoutingObserver(const RoutingObserver &observer)
{
    for (auto &ref : moeLayers())
        ref.moe->setObserver(observer, ref.decoder, ref.layer);
}

void TransformerImpl::setReferenceDispatch(bool on)
{
    for (auto &ref : moeLayers())
        ref.moe->setReferenceDispatch(on);
}

} // namespace taskmoe::core
