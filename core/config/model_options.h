#pragma once
/// Options of the MoE Transformer and its routing, as plain data (no LibTorch here, so the
/// command line and the configuration code can check them cheaply).
#include <cstdint>
#include <string>
#include <vector>

namespace taskmoe::core {

/// How the MoE layers of one side (encoder or decoder) choose experts.
enum class Routing
{
    Dense,       ///< no MoE layers: every layer has a dense FFN
    Token,       ///< router input = the token's hidden state ("Token-MoE")
    Sentence,    ///< router input = mean of the sentence's non-padding hidden states
    TaskTarget,  ///< router input = a learned embedding of the target language
    TaskPair,    ///< router input = a learned embedding of the language pair
};

/// "dense", "token", "sentence", "task:target", "task:pair".
std::string routingName(Routing routing);
/// Parses a routing name; throws std::invalid_argument naming `field` and the allowed values.
Routing parseRouting(const std::string &name, const std::string &field);
/// True for task:target and task:pair.
bool isTaskRouting(Routing routing);

/// The tasks a model knows: languages (for task:target) and language pairs (for task:pair),
/// each with a stable id. Stored in every model file.
struct TaskTable
{
    std::vector<std::string> languages;            ///< id → code, e.g. {"de", "en", "es"}
    std::vector<std::pair<int, int>> pairs;        ///< id → (source language id, target language id)

    int languageId(const std::string &code) const; ///< -1 when absent
    int pairId(int src, int tgt) const;            ///< -1 when absent
    std::string pairName(int pair) const;          ///< "en-de"
    /// Throws std::invalid_argument when a pair refers to a language outside the table or a
    /// code or pair appears twice.
    void validate() const;
};

struct ModelOptions
{
    // Sizes
    std::int64_t vocabSize = 8000;       ///< SentencePiece vocabulary size (ids 0..vocabSize-1)
    std::int64_t dModel = 256;           ///< width of the residual stream
    std::int64_t heads = 4;              ///< attention heads; must divide dModel
    std::int64_t dFf = 1024;             ///< hidden size of a dense FFN and of each expert
    std::int64_t encoderLayers = 3;
    std::int64_t decoderLayers = 3;
    std::int64_t maxLength = 256;        ///< longest sequence (positions) the model accepts
    double dropout = 0.1;
    double labelSmoothing = 0.1;

    // Mixture of experts
    std::int64_t experts = 8;            ///< E identical FFN experts per MoE layer
    std::int64_t topK = 2;               ///< experts per token, weights renormalised over them
    std::int64_t encoderMoeEvery = 2;    ///< every Nth encoder layer is MoE (layer N-1, 2N-1, …); 0: none
    std::int64_t decoderMoeEvery = 2;    ///< likewise for the decoder
    Routing encoderRouting = Routing::Token;
    Routing decoderRouting = Routing::TaskTarget;
    double capacityFactorTrain = 1.25;   ///< capacity = ceil(factor · k · tokens / E) in training
    double capacityFactorEval = 2.0;     ///< … and in evaluation
    double balanceLossCoef = 0.01;       ///< weight of the load-balancing loss E · Σ f_e · P_e
    double zLossCoef = 0.0;              ///< weight of the router z-loss mean(logsumexp(logits)²)
    double routerJitter = 0.0;           ///< multiplicative noise on router inputs in training

    // Tasks
    std::int64_t numLanguages = 1;       ///< size of the target-language task table
    std::int64_t numPairs = 1;           ///< size of the language-pair task table

    // Extracted sub-networks and the dense students sized like them
    /// Hidden size of the dense FFN at each of the encoder's MoE positions (every
    /// encoder_moe_every-th layer) when the encoder's routing is dense: an extracted task
    /// sub-network folds the task's k experts into one FFN of k · d_ff there. 0: d_ff, as in
    /// every other layer. Written to JSON only when set, so older files and configurations read
    /// and print as before.
    std::int64_t encoderFoldedFf = 0;
    std::int64_t decoderFoldedFf = 0;        ///< likewise for the decoder

    /// Throws std::invalid_argument whose message names the field and the allowed values.
    void validate() const;

    /// True when layer `index` (0-based) of the encoder / decoder has an MoE FFN.
    bool encoderLayerIsMoe(std::int64_t index) const;
    bool decoderLayerIsMoe(std::int64_t index) const;
    /// Hidden size of layer `index`'s FFN when it is dense: the side's folded size at its MoE
    /// positions when set, d_ff otherwise.
    std::int64_t denseFfHidden(bool decoder, std::int64_t index) const;
};

} // namespace taskmoe::core
