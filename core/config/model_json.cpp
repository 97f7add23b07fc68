#include "core/config/model_json.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <stdexcept>

namespace taskmoe::core {

using Json = nlohmann::ordered_json;

namespace {

struct Field
{
    const char *name;
    std::int64_t ModelOptions::*integer = nullptr;
    double ModelOptions::*real = nullptr;
    Routing ModelOptions::*routing = nullptr;
    /// Written only when not 0 and never required: options added after files were written.
    bool optional = false;
};

Field intField(const char *n, std::int64_t ModelOptions::*p) { return {n, p, nullptr, nullptr}; }
Field optionalIntField(const char *n, std::int64_t ModelOptions::*p) { return {n, p, nullptr, nullptr, true}; }
Field realField(const char *n, double ModelOptions::*p) { return {n, nullptr, p, nullptr}; }
Field routingField(const char *n, Routing ModelOptions::*p) { return {n, nullptr, nullptr, p}; }

/// Field names as validate() spells them ("model.<name>").
const std::vector<Field> &optionFields()
{
    static const std::vector<Field> fields = {
        intField("vocab_size", &ModelOptions::vocabSize),
        intField("d_model", &ModelOptions::dModel),
        intField("heads", &ModelOptions::heads),
        intField("d_ff", &ModelOptions::dFf),
        intField("encoder_layers", &ModelOptions::encoderLayers),
        intField("decoder_layers", &ModelOptions::decoderLayers),
        intField("max_length", &ModelOptions::maxLength),
        realField("dropout", &ModelOptions::dropout),
        realField("label_smoothing", &ModelOptions::labelSmoothing),
        intField("experts", &ModelOptions::experts),
        intField("top_k", &ModelOptions::topK),
        intField("encoder_moe_every", &ModelOptions::encoderMoeEvery),
        intField("decoder_moe_every", &ModelOptions::decoderMoeEvery),
        routingField("encoder_routing", &ModelOptions::encoderRouting),
        routingField("decoder_routing", &ModelOptions::decoderRouting),
        realField("capacity_factor", &ModelOptions::capacityFactorTrain),
        realField("eval_capacity_factor", &ModelOptions::capacityFactorEval),
        realField("balance_loss", &ModelOptions::balanceLossCoef),
        realField("z_loss", &ModelOptions::zLossCoef),
        realField("router_jitter", &ModelOptions::routerJitter),
        intField("num_languages", &ModelOptions::numLanguages),
        intField("num_pairs", &ModelOptions::numPairs),
        optionalIntField("encoder_folded_ff", &ModelOptions::encoderFoldedFf),
        optionalIntField("decoder_folded_ff", &ModelOptions::decoderFoldedFf),
    };
    return fields;
}

} // namespace

std::vector<std::string> modelOptionNames()
{
    std::vector<std::string> names;
    for (const Field &f : optionFields())
        names.emplace_back(f.name);
    return names;
}

Json optionsToJsonValue(const ModelOptions &o)
{
    Json j = Json::object();
    for (const Field &f : optionFields()) {
        if (f.optional && o.*f.integer == 0)
            continue;
        if (f.integer)
            j[f.name] = o.*f.integer;
        else if (f.real)
            j[f.name] = o.*f.real;
        else
            j[f.name] = routingName(o.*f.routing);
    }
    return j;
}

/// Reads `j` onto `o`; with `requireAll` every field must be present (model files).
void optionsFromJsonValue(const Json &j, ModelOptions &o, bool requireAll)
{
    if (!j.is_object())
        throw std::invalid_argument("model options must be a JSON object (got " + std::string(j.type_name()) + ")");
    for (const auto &item : j.items()) {
        const auto &fields = optionFields();
        if (std::none_of(fields.begin(), fields.end(), [&](const Field &f) { return item.key() == f.name; }))
            throw std::invalid_argument("model." + item.key() + " is not a model option");
    }
    for (const Field &f : optionFields()) {
        const std::string field = std::string("model.") + f.name;
        const auto it = j.find(f.name);
        if (it == j.end()) {
            if (requireAll && !f.optional)
                throw std::invalid_argument(field + " is missing");
            continue;
        }
        const Json &v = *it;
        if (f.integer) {
            if (!v.is_number_integer())
                throw std::invalid_argument(field + " must be an integer (got " + v.dump() + ")");
            if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(INT64_MAX))
                throw std::invalid_argument(field + " is too large (got " + v.dump() + ")");
            o.*f.integer = v.get<std::int64_t>();
        } else if (f.real) {
            if (!v.is_number())
                throw std::invalid_argument(field + " must be a number (got " + v.dump() + ")");
            o.*f.real = v.get<double>();
        } else {
            if (!v.is_string())
                throw std::invalid_argument(field + " must be one of dense, token, sentence, task:target, task:pair (got "
                                            + v.dump() + ")");
            o.*f.routing = parseRouting(v.get<std::string>(), field);
        }
    }
}

Json tasksToJsonValue(const TaskTable &t)
{
    Json j = Json::object();
    j["languages"] = t.languages;
    Json pairs = Json::array();
    for (const auto &[s, d] : t.pairs)
        pairs.push_back(Json::array({s, d}));
    j["pairs"] = pairs;
    return j;
}

TaskTable tasksFromJsonValue(const Json &j)
{
    if (!j.is_object())
        throw std::invalid_argument("tasks must be a JSON object with \"languages\" and \"pairs\"");
    for (const auto &item : j.items())
        if (item.key() != "languages" && item.key() != "pairs")
            throw std::invalid_argument("tasks." + item.key() + " is not a task table field (languages, pairs)");
    TaskTable t;
    if (const auto it = j.find("languages"); it != j.end()) {
        if (!it->is_array())
            throw std::invalid_argument("tasks.languages must be an array of language codes");
        for (std::size_t i = 0; i < it->size(); ++i) {
            const Json &code = (*it)[i];
            if (!code.is_string())
                throw std::invalid_argument("tasks.languages[" + std::to_string(i) + "] must be a string (got "
                                            + code.dump() + ")");
            t.languages.push_back(code.get<std::string>());
        }
    }
    if (const auto it = j.find("pairs"); it != j.end()) {
        if (!it->is_array())
            throw std::invalid_argument("tasks.pairs must be an array of [source id, target id] pairs");
        for (std::size_t i = 0; i < it->size(); ++i) {
            const Json &p = (*it)[i];
            const bool ok = p.is_array() && p.size() == 2 && p[0].is_number_integer() && p[1].is_number_integer()
                            && p[0].get<std::int64_t>() >= 0 && p[0].get<std::int64_t>() <= INT32_MAX
                            && p[1].get<std::int64_t>() >= 0 && p[1].get<std::int64_t>() <= INT32_MAX;
            if (!ok)
                throw std::invalid_argument("tasks.pairs[" + std::to_string(i)
                                            + "] must be [source language id, target language id] (got " + p.dump()
                                            + ")");
            t.pairs.emplace_back(p[0].get<int>(), p[1].get<int>());
        }
    }
    t.validate();
    return t;
}

Json parseJsonText(const std::string &text, const std::string &what)
{
    try {
        return Json::parse(text);
    } catch (const Json::parse_error &e) {
        throw std::invalid_argument(what + ": malformed JSON at byte " + std::to_string(e.byte) + ": " + e.what());
    } catch (const Json::out_of_range &e) {   // a number beyond double's range
        throw std::invalid_argument(what + ": " + e.what());
    }
}

std::string modelOptionsToJson(const ModelOptions &options, int indent)
{
    return optionsToJsonValue(options).dump(indent);
}

ModelOptions modelOptionsFromJson(const std::string &json, const ModelOptions &defaults)
{
    ModelOptions o = defaults;
    optionsFromJsonValue(parseJsonText(json, "model options"), o, /*requireAll=*/false);
    return o;
}

std::string taskTableToJson(const TaskTable &tasks, int indent)
{
    return tasksToJsonValue(tasks).dump(indent);
}

TaskTable taskTableFromJson(const std::string &json)
{
    return tasksFromJsonValue(parseJsonText(json, "task table"));
}

} // namespace taskmoe::core
