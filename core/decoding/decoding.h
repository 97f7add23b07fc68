#pragma once
/// Translation with a trained model: batched greedy and beam search over an incremental
/// decoder with a key/value cache, teacher-forced scoring, and replays that show the router's
/// decisions for given translations. No LibTorch in this header.
///
/// Decoding runs one target position per step for every live hypothesis. The decoder's
/// self-attention keys and values of earlier positions and the encoder's cross-attention keys
/// and values are computed once and kept in a per-batch cache (DecoderCache in decoding.cpp),
/// apart from the model's weights; when beams are reordered or a sentence finishes, the cache
/// rows follow (index_select), so a finished sentence leaves the batch.
///
/// MoE capacity while decoding: DecodeOptions::capacityFactor, by default 0 = no limit — every
/// token is processed by the experts it chose, as in an extracted sub-network. With a factor,
/// capacity applies to the tokens of one call: the batch's sources in the encoder, one step's
/// hypotheses in the decoder. Without a limit, routing is independent of the batch, and cached
/// and uncached decoding produce the same translations.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace taskmoe::core {

class TransformerImpl;
struct TaskTable;

struct DecodeOptions
{
    int beam = 4;                     ///< hypotheses kept per sentence; 1 = greedy
    /// GNMT length penalty α: hypotheses are compared by logP / ((5 + |y|) / 6)^α, |y| counting
    /// the EOS. 0 compares raw log-probabilities.
    double lengthPenalty = 0.6;
    double maxLengthRatio = 2.0;      ///< a translation has at most ratio · |source| + extra pieces …
    int maxLengthExtra = 10;          ///< … and never more than model.max_length − 1
    int batchSize = 32;               ///< sentences decoded together (sorted by source length)
    double capacityFactor = 0;        ///< MoE capacity factor while decoding; 0 = no limit
    bool useCache = true;             ///< false: rerun the whole prefix at every step (for tests)
    /// Never end a hypothesis at an EOS: every sentence runs to its length limit. For
    /// throughput benchmarks, so that models (random ones included) do equal work.
    bool ignoreEos = false;

    /// Throws InputError naming the option when a value is out of range.
    void validate() const;
};

/// One sentence to translate.
struct DecodeRequest
{
    std::vector<std::int32_t> src;    ///< <2xx> first, then the source pieces (no EOS), as in training
    int targetLang = 0;               ///< target-language task id
    int pair = 0;                     ///< language-pair task id
};

struct DecodeResult
{
    std::vector<std::int32_t> tokens; ///< the translation's pieces, without BOS and EOS
    double logProb = 0;               ///< Σ log p of the pieces and the EOS (when finished)
    double score = 0;                 ///< logProb with the length penalty applied
    bool finished = true;             ///< false: stopped at the maximum length without EOS
};

/// Where decoding spent its time (wall clock, summed over batches).
struct DecodeTimings
{
    double encoderSeconds = 0;        ///< running the encoder on the sources
    double decoderSeconds = 0;        ///< everything after it: decoder steps and the search
};

/// Translates `requests` in batches, returning results in request order. `progress` (may be
/// empty) is told how many requests are done after each batch; `timings` (may be null) adds
/// the time spent. The model is switched to evaluation mode and left there. Throws InputError
/// for a request that is empty, too long for the model or holds a token or task id outside the
/// model's tables.
std::vector<DecodeResult> translate(TransformerImpl &model, const std::vector<DecodeRequest> &requests,
                                    const DecodeOptions &options,
                                    const std::function<void(std::size_t done)> &progress = {},
                                    DecodeTimings *timings = nullptr);

/// Σ log p(target pieces + EOS | source) under the model, teacher-forced, per request, with
/// the decoding capacity of `options` (no limit by default).
std::vector<double> scoreTargets(TransformerImpl &model, const std::vector<DecodeRequest> &requests,
                                 const std::vector<std::vector<std::int32_t>> &targets, const DecodeOptions &options);

/// Where one token went in one MoE layer.
struct TokenRoute
{
    std::vector<int> experts;         ///< chosen experts, best first
    std::vector<double> gates;        ///< their renormalised weights
    std::vector<bool> dropped;        ///< the copy exceeded the expert's capacity
};

/// The routing of one MoE layer for one sentence: a route per source or target token.
struct LayerRoute
{
    bool decoder = false;
    int layer = 0;
    std::vector<TokenRoute> tokens;   ///< encoder: the source tokens; decoder: BOS + the translation's pieces
};

/// Per-token routing of `targets[i]` as translations of `requests[i]`, replayed teacher-forced
/// (with causal routing this is what the decoder did while generating them).
std::vector<std::vector<LayerRoute>> traceRouting(TransformerImpl &model, const std::vector<DecodeRequest> &requests,
                                                  const std::vector<std::vector<std::int32_t>> &targets,
                                                  const DecodeOptions &options);

/// Counts of one MoE layer: task × expert cells.
struct RoutingCell
{
    std::int64_t top1 = 0;            ///< tokens whose first choice was the expert
    std::int64_t topk = 0;            ///< tokens that chose it among their top k
    double gate = 0;                  ///< summed renormalised gate weight
    std::int64_t processed = 0;       ///< copies the expert processed (topk − dropped)
    double top1Gate = 0;              ///< summed gate weight of the first choices
};

struct LayerCounts
{
    bool decoder = false;
    int layer = 0;
    std::vector<RoutingCell> cells;   ///< tasks × experts, row-major
};

/// Routing statistics over many sentences: bounded memory (one cell per layer, task, expert),
/// rows are language pairs (task ids of the model's pair table) whatever the routing.
class RoutingRecorder
{
public:
    RoutingRecorder(TransformerImpl &model, std::size_t pairs);

    /// Replays `targets` as translations of `requests` (as traceRouting) and adds the counts.
    void record(const std::vector<DecodeRequest> &requests, const std::vector<std::vector<std::int32_t>> &targets,
                const DecodeOptions &options);

    const std::vector<LayerCounts> &layers() const { return m_layers; }
    std::size_t pairs() const { return m_pairs; }
    std::size_t experts() const { return m_experts; }

private:
    TransformerImpl &m_model;
    std::size_t m_pairs = 0, m_experts = 0;
    std::vector<LayerCounts> m_layers;
};

} // namespace taskmoe::core
