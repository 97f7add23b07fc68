#include "core/extract/subnetwork.h"

#include "core/data/sentencepiece.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <unordered_map>

namespace taskmoe::core {

namespace {

std::string place(bool decoder, std::int64_t layer)
{
    return std::string(decoder ? "decoder" : "encoder") + " layer " + std::to_string(layer);
}

/// The FFN module at (decoder, layer).
FeedForward ffnAt(TransformerImpl &model, bool decoder, std::int64_t layer)
{
    return decoder ? model.decoder->layers[std::size_t(layer)]->ffn : model.encoder->layers[std::size_t(layer)]->ffn;
}

void checkTask(const char *side, Routing routing, std::int64_t task, std::int64_t tasks)
{
    if (isTaskRouting(routing)) {
        if (task < 0 || task >= tasks)
            throw std::invalid_argument(std::string("the ") + side + " routes by "
                                        + (routing == Routing::TaskTarget ? "target language" : "language pair")
                                        + ": its task must be one of its " + std::to_string(tasks) + " task ids (got "
                                        + std::to_string(task) + ")");
    } else if (task >= 0) {
        throw std::invalid_argument(std::string("the ") + side + " is not task-routed (" + routingName(routing)
                                    + "), so it takes no task");
    }
}

} // namespace

std::string subnetworkLayerKindName(SubnetworkLayer::Kind kind)
{
    switch (kind) {
    case SubnetworkLayer::Kind::Folded: return "folded";
    case SubnetworkLayer::Kind::Pruned: return "pruned";
    case SubnetworkLayer::Kind::Kept: return "kept";
    }
    return "kept";
}

std::pair<std::vector<std::int64_t>, std::vector<double>> taskExperts(MoeLayerImpl &layer, std::int64_t task)
{
    const auto &o = layer.options();
    if (!isTaskRouting(o.routing()))
        throw std::invalid_argument("the layer is not task-routed");
    if (task < 0 || task >= o.num_tasks())
        throw std::invalid_argument("task id " + std::to_string(task) + " is outside the task table (0.."
                                    + std::to_string(o.num_tasks() - 1) + ")");
    torch::NoGradGuard noGrad;
    // As the forward pass: the router over the whole task table, then the task's row.
    const auto logits = layer.router(layer.taskEmbedding->weight).index_select(0, torch::tensor({task}));
    const auto probs = torch::softmax(logits, -1);
    const auto [values, experts] = probs.topk(o.top_k(), -1);
    const auto gates = (values / values.sum(-1, true)).to(torch::kFloat64).contiguous();
    const auto chosen = experts.contiguous();
    std::vector<std::int64_t> e(chosen.data_ptr<std::int64_t>(), chosen.data_ptr<std::int64_t>() + o.top_k());
    std::vector<double> g(gates.data_ptr<double>(), gates.data_ptr<double>() + o.top_k());
    return {e, g};
}

Subnetwork extractSubnetwork(TransformerImpl &full, const SubnetworkSpec &spec)
{
    const ModelOptions &o = full.options();
    checkTask("encoder", o.encoderRouting, spec.encoderTask, moeLayerOptionsFor(o, false).num_tasks());
    checkTask("decoder", o.decoderRouting, spec.decoderTask, moeLayerOptionsFor(o, true).num_tasks());

    // The layers to prune and their common K.
    const auto refs = full.moeLayers();
    std::int64_t keepCount = 0;
    for (const auto &ref : refs) {
        if (isTaskRouting(ref.moe->options().routing()))
            continue;
        const auto it = spec.keep.find({ref.decoder, ref.layer});
        if (spec.keep.empty())
            continue;
        const std::string where = place(ref.decoder, ref.layer);
        if (it == spec.keep.end())
            throw std::invalid_argument("the experts to keep in " + where + " are not given (every token- or "
                                        "sentence-routed layer keeps the same number)");
        const auto &kept = it->second;
        if (keepCount == 0)
            keepCount = std::int64_t(kept.size());
        if (std::int64_t(kept.size()) != keepCount)
            throw std::invalid_argument(where + " keeps " + std::to_string(kept.size()) + " experts, another layer "
                                        + std::to_string(keepCount) + "; every pruned layer keeps the same number");
        if (keepCount < o.topK || keepCount > o.experts)
            throw std::invalid_argument("a pruned layer keeps between top_k = " + std::to_string(o.topK)
                                        + " and E = " + std::to_string(o.experts) + " experts (got "
                                        + std::to_string(keepCount) + ")");
        std::set<std::int64_t> seen;
        for (const auto e : kept)
            if (e < 0 || e >= o.experts || !seen.insert(e).second)
                throw std::invalid_argument(where + ": expert " + std::to_string(e)
                                            + (e < 0 || e >= o.experts ? " does not exist" : " is listed twice"));
    }
    for (const auto &[key, kept] : spec.keep) {
        const bool known = std::any_of(refs.begin(), refs.end(), [&](const MoeLayerRef &r) {
            return r.decoder == key.first && r.layer == key.second && !isTaskRouting(r.moe->options().routing());
        });
        if (!known)
            throw std::invalid_argument(place(key.first, key.second) + " is not a token- or sentence-routed MoE layer");
    }

    // The sub-network's options: folded sides become dense with wide FFNs at the MoE positions.
    ModelOptions so = o;
    if (isTaskRouting(o.encoderRouting)) {
        so.encoderRouting = Routing::Dense;
        so.encoderFoldedFf = o.topK * o.dFf;
    }
    if (isTaskRouting(o.decoderRouting)) {
        so.decoderRouting = Routing::Dense;
        so.decoderFoldedFf = o.topK * o.dFf;
    }
    if (keepCount > 0)
        so.experts = keepCount;

    Subnetwork result;
    result.model = Transformer(so);
    TransformerImpl &sub = *result.model;
    torch::NoGradGuard noGrad;

    // Everything outside the changed layers is copied by name; the changed ones are written below.
    std::unordered_map<std::string, torch::Tensor> source;
    for (const auto &item : full.named_parameters(true))
        source.emplace(item.key(), item.value());
    for (const auto &item : full.named_buffers(true))
        source.emplace(item.key(), item.value());
    std::unordered_map<std::string, torch::Tensor> target;
    for (const auto &item : sub.named_parameters(true))
        target.emplace(item.key(), item.value());
    for (const auto &item : sub.named_buffers(true))
        target.emplace(item.key(), item.value());
    std::set<const void *> written;
    const auto write = [&](torch::Tensor dst, const torch::Tensor &value) {
        TORCH_CHECK(dst.sizes() == value.sizes(), "sub-network: shape ", value.sizes(), " written to ", dst.sizes());
        dst.copy_(value);
        written.insert(dst.unsafeGetTensorImpl());
    };
    for (auto &[name, dst] : target) {
        const auto it = source.find(name);
        if (it != source.end() && it->second.sizes() == dst.sizes())
            write(dst, it->second);
    }

    for (const auto &ref : refs) {
        SubnetworkLayer layer;
        layer.decoder = ref.decoder;
        layer.layer = ref.layer;
        MoeLayerImpl &moe = *ref.moe.ptr();
        if (isTaskRouting(moe.options().routing())) {
            layer.kind = SubnetworkLayer::Kind::Folded;
            std::tie(layer.experts, layer.gates) = taskExperts(moe, ref.decoder ? spec.decoderTask : spec.encoderTask);
            std::vector<torch::Tensor> inputs, outputs;
            for (std::size_t i = 0; i < layer.experts.size(); ++i) {
                const auto e = layer.experts[i];
                inputs.push_back(moe.wi[e].t());                          // [f, d]
                outputs.push_back(moe.wo[e].t() * layer.gates[i]);        // [d, f]
            }
            FeedForward ffn = ffnAt(sub, ref.decoder, ref.layer);
            write(ffn->wi->weight, torch::cat(inputs, 0));                // [k·f, d]
            write(ffn->wi->bias, torch::zeros_like(ffn->wi->bias));
            write(ffn->wo->weight, torch::cat(outputs, 1));               // [d, k·f]
            write(ffn->wo->bias, torch::zeros_like(ffn->wo->bias));
        } else if (keepCount > 0) {
            layer.kind = SubnetworkLayer::Kind::Pruned;
            layer.experts = spec.keep.at({ref.decoder, ref.layer});
            const auto index = torch::tensor(layer.experts, torch::kInt64);
            MoeLayerImpl &pruned = *ffnAt(sub, ref.decoder, ref.layer)->moe;
            write(pruned.router->weight, moe.router->weight.index_select(0, index));
            write(pruned.wi, moe.wi.index_select(0, index));
            write(pruned.wo, moe.wo.index_select(0, index));
        } else {
            layer.kind = SubnetworkLayer::Kind::Kept;
            for (std::int64_t e = 0; e < moe.options().num_experts(); ++e)
                layer.experts.push_back(e);
        }
        result.layers.push_back(std::move(layer));
    }

    for (const auto &[name, dst] : target)
        TORCH_CHECK(written.count(dst.unsafeGetTensorImpl()), "sub-network: tensor ", name, " was not filled");
    sub.eval();
    return result;
}

double maxLogitDifference(TransformerImpl &a, TransformerImpl &b, const std::vector<DecodeRequest> &requests,
                          const std::vector<std::vector<std::int32_t>> &targets, std::size_t batchSize)
{
    if (requests.size() != targets.size())
        throw std::invalid_argument("maxLogitDifference: one target per request");
    if (a.options().vocabSize != b.options().vocabSize)
        throw std::invalid_argument("maxLogitDifference: the models have different vocabularies");
    torch::NoGradGuard noGrad;
    a.eval();
    b.eval();
    MoeCall call;
    call.capacityFactor = 0;
    double worst = 0;
    for (std::size_t start = 0; start < requests.size(); start += std::max<std::size_t>(1, batchSize)) {
        const std::size_t end = std::min(requests.size(), start + std::max<std::size_t>(1, batchSize));
        std::int64_t srcLen = 1, tgtLen = 1;
        for (std::size_t i = start; i < end; ++i) {
            srcLen = std::max<std::int64_t>(srcLen, std::int64_t(requests[i].src.size()));
            tgtLen = std::max<std::int64_t>(tgtLen, std::int64_t(targets[i].size()) + 1);
        }
        const auto rows = std::int64_t(end - start);
        std::vector<std::int64_t> srcIds(std::size_t(rows * srcLen), kPadId), tgtIds(std::size_t(rows * tgtLen), kPadId);
        std::vector<std::int64_t> languages, pairs;
        for (std::size_t i = start; i < end; ++i) {
            const auto r = std::size_t(i - start);
            std::copy(requests[i].src.begin(), requests[i].src.end(), srcIds.begin() + std::ptrdiff_t(r * std::size_t(srcLen)));
            tgtIds[r * std::size_t(tgtLen)] = kBosId;
            std::copy(targets[i].begin(), targets[i].end(), tgtIds.begin() + std::ptrdiff_t(r * std::size_t(tgtLen) + 1));
            languages.push_back(requests[i].targetLang);
            pairs.push_back(requests[i].pair);
        }
        const auto src = torch::tensor(srcIds, torch::kInt64).reshape({rows, srcLen});
        const auto tgtIn = torch::tensor(tgtIds, torch::kInt64).reshape({rows, tgtLen});
        const auto targetLang = torch::tensor(languages, torch::kInt64), pair = torch::tensor(pairs, torch::kInt64);
        const auto logits = [&](TransformerImpl &m) {
            const auto memory = m.encode(src, targetLang, pair, call);
            return m.project(m.decode(tgtIn, memory, targetLang, pair, call).states);
        };
        const auto real = tgtIn.ne(kPadId).unsqueeze(-1);                   // BOS and the target pieces
        const auto diff = (logits(a) - logits(b)).abs().masked_fill(real.logical_not(), 0);
        worst = std::max(worst, diff.max().item<double>());
    }
    return worst;
}

} // namespace taskmoe::core
