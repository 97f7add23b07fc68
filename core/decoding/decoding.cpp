#include "core/decoding/decoding.h"

#include "core/base/errors.h"
#include "core/data/sentencepiece.h"
#include "core/model/transformer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace taskmoe::core {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

double lengthNorm(double alpha, std::size_t length)
{
    return alpha == 0 ? 1.0 : std::pow((5.0 + double(length)) / 6.0, alpha);
}

void checkRequests(const TransformerImpl &model, const std::vector<DecodeRequest> &requests)
{
    const auto &o = model.options();
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const auto &r = requests[i];
        const std::string where = "sentence " + std::to_string(i + 1) + ": ";
        if (r.src.empty())
            throw InputError(where + "the source is empty (it needs at least the <2xx> target-language token)");
        if (std::int64_t(r.src.size()) > o.maxLength)
            throw InputError(where + "the source has " + std::to_string(r.src.size()) + " pieces; the model accepts at most "
                             + std::to_string(o.maxLength) + " (model.max_length)");
        for (const auto id : r.src)
            if (id < 0 || id >= o.vocabSize)
                throw InputError(where + "piece id " + std::to_string(id) + " is outside the model's vocabulary (0.."
                                 + std::to_string(o.vocabSize - 1) + ")");
        if (r.targetLang < 0 || r.targetLang >= o.numLanguages)
            throw InputError(where + "target-language id " + std::to_string(r.targetLang) + " is outside the model's "
                             + std::to_string(o.numLanguages) + " languages");
        if (r.pair < 0 || r.pair >= o.numPairs)
            throw InputError(where + "pair id " + std::to_string(r.pair) + " is outside the model's "
                             + std::to_string(o.numPairs) + " pairs");
    }
}

torch::Tensor int64Tensor(const std::vector<std::int64_t> &v, std::int64_t rows, std::int64_t cols)
{
    return torch::from_blob(const_cast<std::int64_t *>(v.data()), {rows, cols}, torch::kInt64).clone();
}

/// Sources of some requests as a padded [n, S] batch with their task ids.
struct SourceBatch
{
    torch::Tensor src, targetLang, pair;
};

SourceBatch sourceBatch(const std::vector<DecodeRequest> &requests, const std::vector<std::size_t> &which)
{
    const auto n = std::int64_t(which.size());
    std::size_t S = 1;
    for (const auto i : which)
        S = std::max(S, requests[i].src.size());
    std::vector<std::int64_t> src(std::size_t(n) * S, kPadId), lang(which.size()), pair(which.size());
    for (std::size_t b = 0; b < which.size(); ++b) {
        const auto &r = requests[which[b]];
        std::copy(r.src.begin(), r.src.end(), src.begin() + std::ptrdiff_t(b * S));
        lang[b] = r.targetLang;
        pair[b] = r.pair;
    }
    return {int64Tensor(src, n, std::int64_t(S)), int64Tensor(lang, n, 1).view({n}), int64Tensor(pair, n, 1).view({n})};
}

/// Teacher-forced decoder input (BOS + target) and output (target + EOS), padded.
std::pair<torch::Tensor, torch::Tensor> targetBatch(const std::vector<std::vector<std::int32_t>> &targets,
                                                    const std::vector<std::size_t> &which)
{
    const auto n = std::int64_t(which.size());
    std::size_t L = 1;
    for (const auto i : which)
        L = std::max(L, targets[i].size() + 1);
    std::vector<std::int64_t> in(std::size_t(n) * L, kPadId), out(std::size_t(n) * L, kPadId);
    for (std::size_t b = 0; b < which.size(); ++b) {
        const auto &t = targets[which[b]];
        in[b * L] = kBosId;
        for (std::size_t i = 0; i < t.size(); ++i) {
            in[b * L + i + 1] = t[i];
            out[b * L + i] = t[i];
        }
        out[b * L + t.size()] = kEosId;
    }
    return {int64Tensor(in, n, std::int64_t(L)), int64Tensor(out, n, std::int64_t(L))};
}

/// Request indices in batches of similar source length (longest first), each batch in order.
std::vector<std::vector<std::size_t>> lengthBatches(const std::vector<DecodeRequest> &requests, int batchSize)
{
    std::vector<std::size_t> order(requests.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return requests[a].src.size() > requests[b].src.size(); });
    std::vector<std::vector<std::size_t>> batches;
    for (std::size_t i = 0; i < order.size(); i += std::size_t(batchSize))
        batches.emplace_back(order.begin() + std::ptrdiff_t(i),
                             order.begin() + std::ptrdiff_t(std::min(order.size(), i + std::size_t(batchSize))));
    return batches;
}

/// The per-batch state of incremental decoding: one row per live hypothesis. Kept apart from
/// the model; select() follows beam reordering and drops finished sentences.
struct DecoderCache
{
    std::vector<torch::Tensor> selfKeys, selfValues;    ///< per decoder layer [N, H, t, dh]
    std::vector<torch::Tensor> crossKeys, crossValues;  ///< per decoder layer [N, H, S, dh]
    std::vector<torch::Tensor> prefixSum, prefixCount;  ///< per decoder layer (causal sentence routing)
    torch::Tensor memoryStates, memoryMask;             ///< [N, S, d], [N, S]
    torch::Tensor targetLang, pair;                     ///< [N]

    void select(const torch::Tensor &rows)
    {
        const auto pick = [&](torch::Tensor &t) {
            if (t.defined())
                t = t.index_select(0, rows);
        };
        for (auto *list : {&selfKeys, &selfValues, &crossKeys, &crossValues, &prefixSum, &prefixCount})
            for (auto &t : *list)
                pick(t);
        pick(memoryStates);
        pick(memoryMask);
        pick(targetLang);
        pick(pair);
    }
};

/// Log-probabilities [N, V] of the next piece for every row, from the last `tokens` [N] at
/// position `t`, advancing the cache by one position.
torch::Tensor cachedStep(TransformerImpl &m, DecoderCache &c, const torch::Tensor &tokens, std::int64_t t,
                         const MoeCall &base)
{
    const auto N = tokens.size(0);
    const auto tasks = m.tasksFor(true, c.targetLang, c.pair);
    const auto mask = torch::ones({N, 1}, torch::kBool);
    auto h = m.embed(tokens.view({N, 1}), t);                          // [N, 1, d]
    auto &layers = m.decoder->layers;
    for (std::size_t i = 0; i < layers.size(); ++i) {
        auto &layer = layers[i];
        const auto n1 = layer->selfAttnNorm(h);
        auto [k, v] = layer->selfAttn->projectKeyValue(n1);           // [N, H, 1, dh]
        c.selfKeys[i] = c.selfKeys[i].defined() ? torch::cat({c.selfKeys[i], k}, 2) : k;
        c.selfValues[i] = c.selfValues[i].defined() ? torch::cat({c.selfValues[i], v}, 2) : v;
        h = h + layer->selfAttn->attend(n1, c.selfKeys[i], c.selfValues[i], {}, false);
        h = h + layer->crossAttn->attend(layer->crossAttnNorm(h), c.crossKeys[i], c.crossValues[i], c.memoryMask);
        MoeCall call = base;
        call.prefixSum = &c.prefixSum[i];
        call.prefixCount = &c.prefixCount[i];
        h = h + layer->ffn->forward(layer->ffnNorm(h), mask, tasks, call).output;
    }
    const auto logits = m.project(m.decoder->finalNorm(h)).select(1, 0);  // [N, V]
    return torch::log_softmax(logits.to(torch::kFloat64), -1);
}

/// The same without a cache: the whole prefix `history` [N, t + 1] again.
torch::Tensor uncachedStep(TransformerImpl &m, const DecoderCache &c, const torch::Tensor &history, const MoeCall &base)
{
    EncoderOutput memory;
    memory.states = c.memoryStates;
    memory.mask = c.memoryMask;
    const auto out = m.decode(history, memory, c.targetLang, c.pair, base);
    const auto logits = m.project(out.states.select(1, history.size(1) - 1));  // [N, V]
    return torch::log_softmax(logits.to(torch::kFloat64), -1);
}

struct Candidate
{
    std::int64_t parent = 0;   ///< row
    std::int64_t token = 0;
    double logProb = 0;
};

/// Beam search (greedy for beam 1) over one batch; results in `which` order.
std::vector<DecodeResult> searchBatch(TransformerImpl &m, const std::vector<DecodeRequest> &requests,
                                      const std::vector<std::size_t> &which, const DecodeOptions &o,
                                      DecodeTimings *timings)
{
    const auto started = std::chrono::steady_clock::now();
    const auto n = std::int64_t(which.size());
    const std::int64_t beam = o.beam;
    const auto &mo = m.options();
    MoeCall base;
    base.capacityFactor = o.capacityFactor;

    const SourceBatch sb = sourceBatch(requests, which);
    const EncoderOutput enc = m.encode(sb.src, sb.targetLang, sb.pair, base);
    const auto encoded = std::chrono::steady_clock::now();

    std::vector<std::int64_t> maxLen(which.size());
    for (std::size_t b = 0; b < which.size(); ++b) {
        const double pieces = double(requests[which[b]].src.size() - 1);
        maxLen[b] = std::min<std::int64_t>(std::int64_t(std::floor(o.maxLengthRatio * pieces)) + o.maxLengthExtra,
                                           mo.maxLength - 1);
        maxLen[b] = std::max<std::int64_t>(maxLen[b], 0);
    }

    // Rows: beam per live sentence, contiguous. The first row of each starts with score 0, the
    // others with −inf so that the first step chooses distinct continuations.
    std::vector<std::int64_t> rowsSentence;
    std::vector<double> rowScore;
    std::vector<std::vector<std::int32_t>> history;
    std::vector<std::int64_t> expand;
    for (std::int64_t b = 0; b < n; ++b)
        for (std::int64_t j = 0; j < beam; ++j) {
            rowsSentence.push_back(b);
            rowScore.push_back(j == 0 ? 0.0 : kNegInf);
            history.emplace_back();
            expand.push_back(b);
        }
    DecoderCache cache;
    const auto expandRows = torch::tensor(expand, torch::kInt64);
    cache.memoryStates = enc.states.index_select(0, expandRows);
    cache.memoryMask = enc.mask.index_select(0, expandRows);
    cache.targetLang = sb.targetLang.index_select(0, expandRows);
    cache.pair = sb.pair.index_select(0, expandRows);
    const auto layers = m.decoder->layers.size();
    cache.selfKeys.resize(layers);
    cache.selfValues.resize(layers);
    cache.prefixSum.resize(layers);
    cache.prefixCount.resize(layers);
    if (o.useCache)
        for (std::size_t i = 0; i < layers; ++i) {
            auto [k, v] = m.decoder->layers[i]->crossAttn->projectKeyValue(cache.memoryStates);
            cache.crossKeys.push_back(k);
            cache.crossValues.push_back(v);
        }

    std::vector<std::vector<DecodeResult>> finished(which.size());
    const auto finish = [&](std::int64_t sentence, const std::vector<std::int32_t> &tokens, double logProb, bool eos) {
        DecodeResult r;
        r.tokens = tokens;
        r.logProb = logProb;
        r.score = logProb / lengthNorm(o.lengthPenalty, tokens.size() + 1);
        r.finished = eos;
        finished[std::size_t(sentence)].push_back(std::move(r));
    };

    for (std::int64_t t = 0; !rowsSentence.empty(); ++t) {
        const auto N = std::int64_t(rowsSentence.size());
        std::vector<std::int64_t> last(rowsSentence.size());
        for (std::int64_t r = 0; r < N; ++r)
            last[std::size_t(r)] = history[std::size_t(r)].empty() ? kBosId : history[std::size_t(r)].back();
        torch::Tensor logp;
        if (o.useCache) {
            logp = cachedStep(m, cache, torch::tensor(last, torch::kInt64), t, base);
        } else {
            std::vector<std::int64_t> prefix;
            for (const auto &h : history) {
                prefix.push_back(kBosId);
                prefix.insert(prefix.end(), h.begin(), h.end());
            }
            logp = uncachedStep(m, cache, int64Tensor(prefix, N, t + 1), base);
        }
        // Never generate padding or BOS (nor EOS in a benchmark that decodes to the limit).
        logp.select(1, kPadId).fill_(kNegInf);
        logp.select(1, kBosId).fill_(kNegInf);
        if (o.ignoreEos)
            logp.select(1, kEosId).fill_(kNegInf);
        const auto V = logp.size(1);
        const auto total = logp + torch::tensor(rowScore, torch::kFloat64).unsqueeze(1);  // [N, V]
        const auto live = N / beam;
        const auto [topValues, topIndices] = total.view({live, beam * V}).topk(std::min<std::int64_t>(2 * beam, beam * V), 1);
        const auto values = topValues.contiguous(), indices = topIndices.contiguous();
        const double *val = values.data_ptr<double>();
        const std::int64_t *idx = indices.data_ptr<std::int64_t>();
        const auto eosLogp = logp.select(1, kEosId).contiguous();
        const double *eos = eosLogp.data_ptr<double>();
        const auto width = values.size(1);

        std::vector<std::int64_t> nextRows, nextSentence;
        std::vector<double> nextScore;
        std::vector<std::vector<std::int32_t>> nextHistory;
        for (std::int64_t s = 0; s < live; ++s) {
            const std::int64_t sentence = rowsSentence[std::size_t(s * beam)];
            // Ends every live hypothesis of the sentence here, with the EOS forced.
            const auto endLive = [&] {
                for (std::int64_t j = 0; j < beam; ++j) {
                    const auto row = std::size_t(s * beam + j);
                    if (rowScore[row] > kNegInf)
                        finish(sentence, history[row], rowScore[row] + eos[row], false);
                }
            };
            if (t >= maxLen[std::size_t(sentence)]) {
                endLive();  // the length limit
                continue;
            }
            std::vector<Candidate> kept;
            for (std::int64_t c = 0; c < width && std::int64_t(kept.size()) < beam; ++c) {
                const double v = val[s * width + c];
                if (v == kNegInf)
                    break;
                const std::int64_t row = s * beam + idx[s * width + c] / V;
                const std::int64_t token = idx[s * width + c] % V;
                if (token == kEosId) {
                    // As in the usual beam search, an EOS counts only among the beam best.
                    if (c < beam)
                        finish(sentence, history[std::size_t(row)], v, true);
                    continue;
                }
                kept.push_back({row, token, v});
            }
            if (kept.empty()) {
                // No continuation is left (every candidate was an EOS outside the beam best or
                // impossible): the sentence ends with what its live hypotheses have.
                if (finished[std::size_t(sentence)].empty())
                    endLive();
                continue;
            }
            // Done once `beam` hypotheses have ended and none of the live ones can still beat the
            // best of them: with α = 0 exactly (log-probabilities only fall), with α > 0 assuming
            // the next piece is the EOS (the usual heuristic).
            const auto &ended = finished[std::size_t(sentence)];
            if (std::int64_t(ended.size()) >= beam) {
                double best = kNegInf;
                for (const auto &f : ended)
                    best = std::max(best, f.score);
                const double bound = kept.front().logProb / lengthNorm(o.lengthPenalty, std::size_t(t) + 2);
                if (best >= bound)
                    continue;  // the sentence is done and leaves the batch
            }
            for (std::int64_t j = 0; j < beam; ++j) {
                const Candidate &c = kept[std::size_t(std::min<std::int64_t>(j, std::int64_t(kept.size()) - 1))];
                nextRows.push_back(c.parent);
                nextSentence.push_back(sentence);
                nextScore.push_back(j < std::int64_t(kept.size()) ? c.logProb : kNegInf);
                auto h = history[std::size_t(c.parent)];
                h.push_back(std::int32_t(c.token));
                nextHistory.push_back(std::move(h));
            }
        }
        if (!nextRows.empty())
            cache.select(torch::tensor(nextRows, torch::kInt64));
        rowsSentence = std::move(nextSentence);
        rowScore = std::move(nextScore);
        history = std::move(nextHistory);
    }

    std::vector<DecodeResult> results(which.size());
    for (std::size_t b = 0; b < which.size(); ++b) {
        auto &f = finished[b];
        // Finished hypotheses first, then by score; a sentence always has at least one.
        const auto best = std::max_element(f.begin(), f.end(), [](const DecodeResult &a, const DecodeResult &c) {
            return std::make_pair(a.finished, a.score) < std::make_pair(c.finished, c.score);
        });
        results[b] = *best;
    }
    if (timings) {
        const auto done = std::chrono::steady_clock::now();
        timings->encoderSeconds += std::chrono::duration<double>(encoded - started).count();
        timings->decoderSeconds += std::chrono::duration<double>(done - encoded).count();
    }
    return results;
}

/// Runs the model teacher-forced on (source, target) pairs of `which` and returns the
/// log-probabilities [n, L, V] and the decoder output [n, L] (target + EOS).
std::pair<torch::Tensor, torch::Tensor> teacherForced(TransformerImpl &m, const std::vector<DecodeRequest> &requests,
                                                      const std::vector<std::vector<std::int32_t>> &targets,
                                                      const std::vector<std::size_t> &which, const MoeCall &call)
{
    const SourceBatch sb = sourceBatch(requests, which);
    const auto [tgtIn, tgtOut] = targetBatch(targets, which);
    const EncoderOutput enc = m.encode(sb.src, sb.targetLang, sb.pair, call);
    const DecoderOutput dec = m.decode(tgtIn, enc, sb.targetLang, sb.pair, call);
    return {torch::log_softmax(m.project(dec.states).to(torch::kFloat64), -1), tgtOut};
}

void checkTargets(const TransformerImpl &m, const std::vector<DecodeRequest> &requests,
                  const std::vector<std::vector<std::int32_t>> &targets)
{
    if (targets.size() != requests.size())
        throw InputError(std::to_string(targets.size()) + " translations for " + std::to_string(requests.size())
                         + " sources");
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (std::int64_t(targets[i].size()) + 1 > m.options().maxLength)
            throw InputError("sentence " + std::to_string(i + 1) + ": the translation has " + std::to_string(targets[i].size())
                             + " pieces; the model accepts at most " + std::to_string(m.options().maxLength - 1));
        for (const auto id : targets[i])
            if (id < 0 || id >= m.options().vocabSize)
                throw InputError("sentence " + std::to_string(i + 1) + ": piece id " + std::to_string(id)
                                 + " is outside the model's vocabulary");
    }
}

} // namespace

void DecodeOptions::validate() const
{
    if (beam < 1)
        throw InputError("beam must be at least 1 (got " + std::to_string(beam) + ")");
    if (batchSize < 1)
        throw InputError("batch size must be at least 1 (got " + std::to_string(batchSize) + ")");
    if (!(lengthPenalty >= 0) || !std::isfinite(lengthPenalty))
        throw InputError("length penalty must be a number ≥ 0 (got " + std::to_string(lengthPenalty) + ")");
    if (!(maxLengthRatio > 0) || !std::isfinite(maxLengthRatio) || maxLengthExtra < 0)
        throw InputError("the maximum length must be a positive ratio plus a non-negative number of pieces");
    if (!(capacityFactor >= 0) || !std::isfinite(capacityFactor))
        throw InputError("capacity factor must be ≥ 0 (0: no limit), got " + std::to_string(capacityFactor));
}

std::vector<DecodeResult> translate(TransformerImpl &model, const std::vector<DecodeRequest> &requests,
                                    const DecodeOptions &options, const std::function<void(std::size_t)> &progress,
                                    DecodeTimings *timings)
{
    options.validate();
    checkRequests(model, requests);
    model.eval();
    torch::NoGradGuard noGrad;
    std::vector<DecodeResult> results(requests.size());
    std::size_t done = 0;
    for (const auto &batch : lengthBatches(requests, options.batchSize)) {
        auto out = searchBatch(model, requests, batch, options, timings);
        for (std::size_t b = 0; b < batch.size(); ++b)
            results[batch[b]] = std::move(out[b]);
        done += batch.size();
        if (progress)
            progress(done);
    }
    return results;
}

std::vector<double> scoreTargets(TransformerImpl &model, const std::vector<DecodeRequest> &requests,
                                 const std::vector<std::vector<std::int32_t>> &targets, const DecodeOptions &options)
{
    options.validate();
    checkRequests(model, requests);
    checkTargets(model, requests, targets);
    model.eval();
    torch::NoGradGuard noGrad;
    MoeCall call;
    call.capacityFactor = options.capacityFactor;
    std::vector<double> scores(requests.size(), 0.0);
    for (const auto &batch : lengthBatches(requests, options.batchSize)) {
        const auto [logp, out] = teacherForced(model, requests, targets, batch, call);
        const auto picked = logp.gather(2, out.unsqueeze(2)).squeeze(2) * out.ne(kPadId).to(torch::kFloat64);
        const auto sums = picked.sum(1).contiguous();
        for (std::size_t b = 0; b < batch.size(); ++b)
            scores[batch[b]] = sums[std::int64_t(b)].item<double>();
    }
    return scores;
}

namespace {

/// Replays `targets` batch by batch, handing every MoE decision with the batch's request
/// indices to `sink`.
void replay(TransformerImpl &model, const std::vector<DecodeRequest> &requests,
            const std::vector<std::vector<std::int32_t>> &targets, const DecodeOptions &options,
            const std::function<void(const RoutingDecision &, const std::vector<std::size_t> &)> &sink)
{
    options.validate();
    checkRequests(model, requests);
    checkTargets(model, requests, targets);
    model.eval();
    torch::NoGradGuard noGrad;
    for (const auto &batch : lengthBatches(requests, options.batchSize)) {
        const RoutingObserver observer = [&](const RoutingDecision &d) { sink(d, batch); };
        MoeCall call;
        call.capacityFactor = options.capacityFactor;
        call.observer = &observer;
        teacherForced(model, requests, targets, batch, call);
    }
}

/// A decision's tensors as CPU arrays: token t's r-th choice is expert[t·k + r].
struct DecisionView
{
    torch::Tensor sentenceTensor, expertTensor, gateTensor, dropTensor;
    std::int64_t tokens = 0, k = 0;
    const std::int64_t *sentence = nullptr, *expert = nullptr;
    const double *gate = nullptr;
    const bool *drop = nullptr;

    explicit DecisionView(const RoutingDecision &d)
        : sentenceTensor(d.sentences.contiguous()), expertTensor(d.experts.contiguous()),
          gateTensor(d.gates.to(torch::kFloat64).contiguous()), dropTensor(d.dropped.contiguous()),
          tokens(d.positions.size(0)), k(d.experts.size(1)), sentence(sentenceTensor.data_ptr<std::int64_t>()),
          expert(expertTensor.data_ptr<std::int64_t>()), gate(gateTensor.data_ptr<double>()),
          drop(dropTensor.data_ptr<bool>())
    {
    }
};

} // namespace

std::vector<std::vector<LayerRoute>> traceRouting(TransformerImpl &model, const std::vector<DecodeRequest> &requests,
                                                  const std::vector<std::vector<std::int32_t>> &targets,
                                                  const DecodeOptions &options)
{
    std::vector<std::vector<LayerRoute>> traces(requests.size());
    replay(model, requests, targets, options, [&](const RoutingDecision &d, const std::vector<std::size_t> &batch) {
        const DecisionView v(d);
        // Tokens arrive sentence by sentence, position by position.
        for (std::int64_t t = 0; t < v.tokens; ++t) {
            auto &layers = traces[batch[std::size_t(v.sentence[t])]];
            if (layers.empty() || layers.back().decoder != d.decoder || layers.back().layer != d.layer)
                layers.push_back({d.decoder, int(d.layer), {}});
            TokenRoute route;
            for (std::int64_t r = 0; r < v.k; ++r) {
                route.experts.push_back(int(v.expert[t * v.k + r]));
                route.gates.push_back(v.gate[t * v.k + r]);
                route.dropped.push_back(v.drop[t * v.k + r]);
            }
            layers.back().tokens.push_back(std::move(route));
        }
    });
    return traces;
}

RoutingRecorder::RoutingRecorder(TransformerImpl &model, std::size_t pairs) : m_model(model), m_pairs(pairs)
{
    m_experts = std::size_t(model.options().experts);
    for (const auto &ref : model.moeLayers())
        m_layers.push_back({ref.decoder, int(ref.layer), std::vector<RoutingCell>(m_pairs * m_experts)});
}

void RoutingRecorder::record(const std::vector<DecodeRequest> &requests,
                             const std::vector<std::vector<std::int32_t>> &targets, const DecodeOptions &options)
{
    std::map<std::pair<bool, int>, LayerCounts *> byPlace;
    for (auto &l : m_layers)
        byPlace[{l.decoder, l.layer}] = &l;
    for (const auto &r : requests)
        if (r.pair < 0 || std::size_t(r.pair) >= m_pairs)
            throw InputError("pair id " + std::to_string(r.pair) + " is outside the recorder's " + std::to_string(m_pairs)
                             + " pairs");
    replay(m_model, requests, targets, options, [&](const RoutingDecision &d, const std::vector<std::size_t> &batch) {
        LayerCounts *layer = byPlace.at({d.decoder, int(d.layer)});
        const DecisionView v(d);
        for (std::int64_t t = 0; t < v.tokens; ++t) {
            const auto task = std::size_t(requests[batch[std::size_t(v.sentence[t])]].pair);
            for (std::int64_t r = 0; r < v.k; ++r) {
                auto &cell = layer->cells[task * m_experts + std::size_t(v.expert[t * v.k + r])];
                if (r == 0) {
                    ++cell.top1;
                    cell.top1Gate += v.gate[t * v.k + r];
                }
                ++cell.topk;
                cell.gate += v.gate[t * v.k + r];
                if (!v.drop[t * v.k + r])
                    ++cell.processed;
            }
        }
    });
}

} // namespace taskmoe::core
