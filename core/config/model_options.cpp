#include "core/config/model_options.h"

#include <cmath>
#include <set>
#include <stdexcept>

namespace taskmoe::core {

namespace {

void require(bool ok, const std::string &message)
{
    if (!ok)
        throw std::invalid_argument(message);
}

std::string num(double v)
{
    std::string s = std::to_string(v);
    while (s.size() > 1 && s.back() == '0')
        s.pop_back();
    if (!s.empty() && s.back() == '.')
        s.pop_back();
    return s;
}

} // namespace

std::string routingName(Routing routing)
{
    switch (routing) {
    case Routing::Dense: return "dense";
    case Routing::Token: return "token";
    case Routing::Sentence: return "sentence";
    case Routing::TaskTarget: return "task:target";
    case Routing::TaskPair: return "task:pair";
    }
    return "dense";
}

Routing parseRouting(const std::string &name, const std::string &field)
{
    for (Routing r : {Routing::Dense, Routing::Token, Routing::Sentence, Routing::TaskTarget, Routing::TaskPair})
        if (routingName(r) == name)
            return r;
    throw std::invalid_argument(field + " must be one of dense, token, sentence, task:target, task:pair (got '" + name
                                + "')");
}

bool isTaskRouting(Routing routing)
{
    return routing == Routing::TaskTarget || routing == Routing::TaskPair;
}

int TaskTable::languageId(const std::string &code) const
{
    for (std::size_t i = 0; i < languages.size(); ++i)
        if (languages[i] == code)
            return static_cast<int>(i);
    return -1;
}

int TaskTable::pairId(int src, int tgt) const
{
    for (std::size_t i = 0; i < pairs.size(); ++i)
        if (pairs[i].first == src && pairs[i].second == tgt)
            return static_cast<int>(i);
    return -1;
}

std::string TaskTable::pairName(int pair) const
{
    if (pair < 0 || pair >= static_cast<int>(pairs.size()))
        return "?";
    return languages.at(static_cast<std::size_t>(pairs[static_cast<std::size_t>(pair)].first)) + "-"
           + languages.at(static_cast<std::size_t>(pairs[static_cast<std::size_t>(pair)].second));
}

void TaskTable::validate() const
{
    std::set<std::string> codes;
    for (const auto &code : languages) {
        require(!code.empty(), "task table: a language code is empty");
        require(codes.insert(code).second, "task table: language '" + code + "' appears twice");
    }
    std::set<std::pair<int, int>> seen;
    const int n = static_cast<int>(languages.size());
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        const auto [s, t] = pairs[i];
        require(s >= 0 && s < n && t >= 0 && t < n,
                "task table: pair " + std::to_string(i) + " refers to a language id outside 0.." + std::to_string(n - 1));
        require(s != t, "task table: pair " + std::to_string(i) + " has the same language on both sides");
        require(seen.insert(pairs[i]).second, "task table: pair " + pairName(static_cast<int>(i)) + " appears twice");
    }
}

void ModelOptions::validate() const
{
    require(vocabSize >= 8, "model.vocab_size must be at least 8 (got " + std::to_string(vocabSize) + ")");
    require(dModel >= 1, "model.d_model must be a positive number (got " + std::to_string(dModel) + ")");
    require(heads >= 1, "model.heads must be a positive number (got " + std::to_string(heads) + ")");
    require(dModel % heads == 0, "model.heads must divide model.d_model (" + std::to_string(heads) + " does not divide "
                                     + std::to_string(dModel) + ")");
    require(dFf >= 1, "model.d_ff must be a positive number (got " + std::to_string(dFf) + ")");
    require(encoderLayers >= 1, "model.encoder_layers must be at least 1 (got " + std::to_string(encoderLayers) + ")");
    require(decoderLayers >= 1, "model.decoder_layers must be at least 1 (got " + std::to_string(decoderLayers) + ")");
    require(maxLength >= 2, "model.max_length must be at least 2 (got " + std::to_string(maxLength) + ")");
    require(dropout >= 0 && dropout < 1, "model.dropout must be in [0, 1) (got " + num(dropout) + ")");
    require(labelSmoothing >= 0 && labelSmoothing < 1,
            "model.label_smoothing must be in [0, 1) (got " + num(labelSmoothing) + ")");
    require(experts >= 1, "model.experts must be at least 1 (got " + std::to_string(experts) + ")");
    require(topK >= 1 && topK <= experts, "model.top_k must be between 1 and model.experts = " + std::to_string(experts)
                                              + " (got " + std::to_string(topK) + ")");
    require(encoderMoeEvery >= 0, "model.encoder_moe_every must be 0 (no MoE layers) or a positive number (got "
                                      + std::to_string(encoderMoeEvery) + ")");
    require(decoderMoeEvery >= 0, "model.decoder_moe_every must be 0 (no MoE layers) or a positive number (got "
                                      + std::to_string(decoderMoeEvery) + ")");
    require(std::isfinite(capacityFactorTrain) && capacityFactorTrain > 0,
            "model.capacity_factor must be a positive number (got " + num(capacityFactorTrain) + ")");
    require(std::isfinite(capacityFactorEval) && capacityFactorEval > 0,
            "model.eval_capacity_factor must be a positive number (got " + num(capacityFactorEval) + ")");
    require(balanceLossCoef >= 0, "model.balance_loss must be >= 0 (got " + num(balanceLossCoef) + ")");
    require(zLossCoef >= 0, "model.z_loss must be >= 0 (got " + num(zLossCoef) + ")");
    require(routerJitter >= 0 && routerJitter < 1, "model.router_jitter must be in [0, 1) (got " + num(routerJitter) + ")");
    require(numLanguages >= 1, "model.num_languages must be at least 1 (got " + std::to_string(numLanguages) + ")");
    require(numPairs >= 1, "model.num_pairs must be at least 1 (got " + std::to_string(numPairs) + ")");
    const auto checkFolded = [&](const char *side, std::int64_t folded, Routing routing, std::int64_t every) {
        const std::string field = std::string("model.") + side + "_folded_ff";
        require(folded >= 0, field + " must be 0 (d_ff) or a positive number (got " + std::to_string(folded) + ")");
        if (folded == 0)
            return;
        require(routing == Routing::Dense, field + " sizes the dense FFNs at the " + side
                                               + "'s MoE positions, so model." + side
                                               + "_routing must be dense (got " + routingName(routing) + ")");
        require(every > 0, field + " needs MoE positions: model." + side + "_moe_every must be positive");
    };
    checkFolded("encoder", encoderFoldedFf, encoderRouting, encoderMoeEvery);
    checkFolded("decoder", decoderFoldedFf, decoderRouting, decoderMoeEvery);
}

bool ModelOptions::encoderLayerIsMoe(std::int64_t index) const
{
    return encoderRouting != Routing::Dense && encoderMoeEvery > 0 && (index + 1) % encoderMoeEvery == 0;
}

bool ModelOptions::decoderLayerIsMoe(std::int64_t index) const
{
    return decoderRouting != Routing::Dense && decoderMoeEvery > 0 && (index + 1) % decoderMoeEvery == 0;
}

std::int64_t ModelOptions::denseFfHidden(bool decoder, std::int64_t index) const
{
    const std::int64_t folded = decoder ? decoderFoldedFf : encoderFoldedFf;
    const std::int64_t every = decoder ? decoderMoeEvery : encoderMoeEvery;
    return folded > 0 && every > 0 && (index + 1) % every == 0 ? folded : dFf;
}

} // namespace taskmoe::core
