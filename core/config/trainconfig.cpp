#include "core/config/trainconfig.h"

#include "core/base/errors.h"
#include "core/config/model_json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace taskmoe::core {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// ---- field tables -----------------------------------------------------------------------------

/// One key of the "data" or "train" section and the member it fills (exactly one pointer set).
template<class S>
struct Field
{
    const char *name;
    std::int64_t S::*integer = nullptr;
    std::uint64_t S::*unsignedInteger = nullptr;
    double S::*real = nullptr;
    std::string S::*text = nullptr;
};

template<class S>
Field<S> intField(const char *n, std::int64_t S::*p)
{
    return {n, p, nullptr, nullptr, nullptr};
}
template<class S>
Field<S> u64Field(const char *n, std::uint64_t S::*p)
{
    return {n, nullptr, p, nullptr, nullptr};
}
template<class S>
Field<S> realField(const char *n, double S::*p)
{
    return {n, nullptr, nullptr, p, nullptr};
}
template<class S>
Field<S> textField(const char *n, std::string S::*p)
{
    return {n, nullptr, nullptr, nullptr, p};
}

const std::vector<Field<DataConfig>> &dataFields()
{
    static const std::vector<Field<DataConfig>> fields = {
        intField("dataset", &DataConfig::dataset),
        realField("temperature", &DataConfig::temperature),
        intField("vocabulary", &DataConfig::vocabulary),
        intField("max_length", &DataConfig::maxLength),
        textField("directions", &DataConfig::directions),
        textField("corpus", &DataConfig::corpus),
    };
    return fields;
}

const std::vector<Field<TrainSettings>> &trainFields()
{
    static const std::vector<Field<TrainSettings>> fields = {
        intField("steps", &TrainSettings::steps),
        intField("batch_tokens", &TrainSettings::batchTokens),
        textField("optimizer", &TrainSettings::optimizer),
        realField("lr", &TrainSettings::lr),
        intField("warmup", &TrainSettings::warmup),
        intField("log_every", &TrainSettings::logEvery),
        intField("eval_every", &TrainSettings::evalEvery),
        intField("checkpoint_every", &TrainSettings::checkpointEvery),
        u64Field("seed", &TrainSettings::seed),
        realField("clip_norm", &TrainSettings::clipNorm),
        textField("schedule", &TrainSettings::schedule),
        realField("max_minutes", &TrainSettings::maxMinutes),
        intField("dev_bleu_sentences", &TrainSettings::devBleuSentences),
        realField("distill_alpha", &TrainSettings::distillAlpha),
        textField("teacher", &TrainSettings::teacher),
        intField("sequence_distill", &TrainSettings::sequenceDistill),
        intField("expert_parallel", &TrainSettings::expertParallel),
        intField("overlap_gradients", &TrainSettings::overlapGradients),
        intField("shard_task_experts", &TrainSettings::shardTaskExperts),
    };
    return fields;
}

/// Aliases of the model section that set both sides at once.
constexpr const char *kLayersAlias = "layers";
constexpr const char *kMoeEveryAlias = "moe_every";

/// The model keys modelOptionsFromJson knows, in its order.
const std::vector<std::string> &modelKeys()
{
    static const std::vector<std::string> keys = modelOptionNames();
    return keys;
}

/// Every key a document may hold, written as in messages ("train.steps", "description").
const std::vector<std::string> &allKeys()
{
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> k = {"description", "preset", "data", "model", "train"};
        for (const auto &f : dataFields())
            k.push_back(std::string("data.") + f.name);
        for (const auto &name : modelKeys())
            k.push_back("model." + name);
        k.push_back(std::string("model.") + kLayersAlias);
        k.push_back(std::string("model.") + kMoeEveryAlias);
        for (const auto &f : trainFields())
            k.push_back(std::string("train.") + f.name);
        return k;
    }();
    return keys;
}

// ---- messages ---------------------------------------------------------------------------------

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
std::size_t editDistance(const std::string &a, const std::string &b)
{
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

std::string leafOf(const std::string &key)
{
    const auto dot = key.rfind('.');
    return dot == std::string::npos ? key : key.substr(dot + 1);
}

/// "SOURCE: unknown key 'train.stpes'; did you mean 'train.steps'?" — the suggestion is the
/// closest known key within edit distance 2, else a key of the same name in another section.
InputError unknownKey(const std::string &source, const std::string &key)
{
    std::string best;
    std::size_t bestDistance = 3;
    for (const auto &known : allKeys()) {
        const std::size_t d = editDistance(key, known);
        if (d < bestDistance) {
            bestDistance = d;
            best = known;
        }
    }
    if (best.empty())
        for (const auto &known : allKeys())
            if (known.find('.') != std::string::npos && leafOf(known) == leafOf(key)) {
                best = known;
                break;
            }
    std::string message = "unknown key '" + key + "'";
    if (!best.empty())
        message += "; did you mean '" + best + "'?";
    return fileError(source, message);
}

std::string shown(const Json &v)
{
    return v.dump();
}

std::string shown(double v)
{
    return Json(v).dump();
}

void require(bool ok, const std::string &source, const std::string &message)
{
    if (!ok)
        throw fileError(source, message);
}

// ---- reading ----------------------------------------------------------------------------------

/// nlohmann's message without its "[json.exception.…] " prefix.
std::string jsonMessage(const Json::exception &e)
{
    std::string what = e.what();
    const auto bracket = what.find("] ");
    return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

/// "line L, column C: what" for a parse error at 1-based byte count `byte` of `text`.
InputError syntaxError(const std::string &source, const std::string &text, const Json::parse_error &e)
{
    const std::size_t pos = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    std::int64_t line = 1;
    std::size_t lineStart = 0;
    for (std::size_t i = 0; i < pos; ++i)
        if (text[i] == '\n') {
            ++line;
            lineStart = i + 1;
        }
    const std::int64_t column = static_cast<std::int64_t>(pos - lineStart) + 1;
    // nlohmann's message: "[json.exception.parse_error.101] parse error at line 3, column 5: what".
    std::string what = e.what();
    const auto bracket = what.find(']');
    const auto colon = what.find(": ", bracket == std::string::npos ? 0 : bracket);
    if (colon != std::string::npos)
        what = what.substr(colon + 2);
    return fileError(source, "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + what);
}

template<class S>
void readSection(const Json &section, const char *sectionName, const std::vector<Field<S>> &fields, S &out,
                 const std::string &source)
{
    const std::string prefix = std::string(sectionName) + ".";
    if (!section.is_object())
        throw fileError(source, std::string(sectionName) + " must be a JSON object (got " + shown(section) + ")");
    for (const auto &item : section.items())
        if (std::none_of(fields.begin(), fields.end(), [&](const Field<S> &f) { return item.key() == f.name; }))
            throw unknownKey(source, prefix + item.key());
    for (const auto &f : fields) {
        const auto it = section.find(f.name);
        if (it == section.end())
            continue;
        const Json &v = *it;
        const std::string key = prefix + f.name;
        if (f.integer) {
            require(v.is_number_integer(), source, key + " must be an integer (got " + shown(v) + ")");
            require(!v.is_number_unsigned() || v.get<std::uint64_t>() <= std::uint64_t(INT64_MAX), source,
                    key + " is too large (got " + shown(v) + ")");
            out.*f.integer = v.get<std::int64_t>();
        } else if (f.unsignedInteger) {
            require(v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0), source,
                    key + " must be a non-negative integer (got " + shown(v) + ")");
            out.*f.unsignedInteger = v.get<std::uint64_t>();
        } else if (f.real) {
            require(v.is_number(), source, key + " must be a number (got " + shown(v) + ")");
            out.*f.real = v.get<double>();
        } else {
            require(v.is_string(), source, key + " must be a string (got " + shown(v) + ")");
            out.*f.text = v.get<std::string>();
        }
    }
}

/// Checks the model section's keys, resolves the two aliases and hands it to modelOptionsFromJson.
ModelOptions readModel(const Json &section, const std::string &source)
{
    if (!section.is_object())
        throw fileError(source, "model must be a JSON object (got " + shown(section) + ")");
    const auto &keys = modelKeys();
    Json resolved = section;
    for (const auto &item : section.items())
        if (item.key() != kLayersAlias && item.key() != kMoeEveryAlias
            && std::find(keys.begin(), keys.end(), item.key()) == keys.end())
            throw unknownKey(source, "model." + item.key());
    const auto alias = [&](const char *name, const char *encoderKey, const char *decoderKey) {
        const auto it = section.find(name);
        if (it == section.end())
            return;
        require(it->is_number_integer(), source,
                std::string("model.") + name + " must be an integer (got " + shown(*it) + ")");
        // A per-side key present as well wins for its side.
        if (!section.contains(encoderKey))
            resolved[encoderKey] = *it;
        if (!section.contains(decoderKey))
            resolved[decoderKey] = *it;
        resolved.erase(name);
    };
    alias(kLayersAlias, "encoder_layers", "decoder_layers");
    alias(kMoeEveryAlias, "encoder_moe_every", "decoder_moe_every");
    try {
        return modelOptionsFromJson(resolved.dump(), ModelOptions());
    } catch (const std::invalid_argument &e) {
        throw fileError(source, e.what());
    }
}

void validate(const TrainConfig &c, const std::string &source)
{
    const DataConfig &d = c.data;
    require(d.dataset >= 0, source, "data.dataset must be a store id, or 0 for the synthetic dataset (got "
                                        + std::to_string(d.dataset) + ")");
    require(std::isfinite(d.temperature) && d.temperature > 0, source,
            "data.temperature must be greater than 0 (got " + shown(d.temperature) + ")");
    require(d.vocabulary >= 0, source, "data.vocabulary must be a store id, or 0 for the dataset's latest (got "
                                           + std::to_string(d.vocabulary) + ")");
    require(d.maxLength >= 2 && d.maxLength <= c.model.maxLength, source,
            "data.max_length must be between 2 and model.max_length = " + std::to_string(c.model.maxLength) + " (got "
                + std::to_string(d.maxLength) + ")");
    require(d.directions == "en-xx" || d.directions == "xx-en" || d.directions == "both", source,
            "data.directions must be one of en-xx, xx-en, both (got '" + d.directions + "')");
    require(d.corpus.empty() || d.corpus == "quick" || d.corpus == "full" || d.corpus == "gettext", source,
            "data.corpus must be quick, full, gettext or \"\" (the newest synthetic corpus) (got '" + d.corpus + "')");

    const TrainSettings &t = c.train;
    require(t.steps >= 1, source, "train.steps must be at least 1 (got " + std::to_string(t.steps) + ")");
    require(t.batchTokens >= 1, source,
            "train.batch_tokens must be at least 1 (got " + std::to_string(t.batchTokens) + ")");
    require(t.optimizer == "adafactor" || t.optimizer == "adam", source,
            "train.optimizer must be one of adafactor, adam (got '" + t.optimizer + "')");
    require(std::isfinite(t.lr) && t.lr > 0, source, "train.lr must be greater than 0 (got " + shown(t.lr) + ")");
    require(t.warmup >= 0, source, "train.warmup must be 0 or more (got " + std::to_string(t.warmup) + ")");
    require(t.logEvery >= 1, source, "train.log_every must be at least 1 (got " + std::to_string(t.logEvery) + ")");
    require(t.evalEvery >= 1, source, "train.eval_every must be at least 1 (got " + std::to_string(t.evalEvery) + ")");
    require(t.checkpointEvery >= 1, source,
            "train.checkpoint_every must be at least 1 (got " + std::to_string(t.checkpointEvery) + ")");
    require(std::isfinite(t.clipNorm) && t.clipNorm >= 0, source,
            "train.clip_norm must be 0 (off) or a positive number (got " + shown(t.clipNorm) + ")");
    require(t.schedule == "rsqrt" || t.schedule == "linear" || t.schedule == "cosine", source,
            "train.schedule must be one of rsqrt, linear, cosine (got '" + t.schedule + "')");
    // 0 is what an absent key holds; parseTrainConfig() refuses a budget written as 0 or less.
    require(std::isfinite(t.maxMinutes) && t.maxMinutes >= 0 && t.maxMinutes <= 525600, source,
            "train.max_minutes must be a number of minutes greater than 0 and at most a year (got "
                + shown(t.maxMinutes) + ")");
    require(t.devBleuSentences >= 0 && t.devBleuSentences <= 100000, source,
            "train.dev_bleu_sentences must be between 0 (off) and 100000 (got " + std::to_string(t.devBleuSentences) + ")");
    require(std::isfinite(t.distillAlpha) && t.distillAlpha >= 0 && t.distillAlpha <= 1, source,
            "train.distill_alpha must be between 0 (no distillation) and 1 (the teacher's distribution only) (got "
                + shown(t.distillAlpha) + ")");
    require(t.sequenceDistill >= 0, source,
            "train.sequence_distill must be 0 (off) or a number of sentences per direction (got "
                + std::to_string(t.sequenceDistill) + ")");
    require(t.expertParallel == 0 || t.expertParallel == 1, source,
            "train.expert_parallel must be 0 or 1 (got " + std::to_string(t.expertParallel) + ")");
    require(t.shardTaskExperts == 0 || t.shardTaskExperts == 1, source,
            "train.shard_task_experts must be 0 or 1 (got " + std::to_string(t.shardTaskExperts) + ")");
    require(t.overlapGradients == 0 || t.overlapGradients == 1, source,
            "train.overlap_gradients must be 0 or 1 (got " + std::to_string(t.overlapGradients) + ")");
    require((t.distillAlpha == 0 && t.sequenceDistill == 0) || !t.teacher.empty(), source,
            "train.distill_alpha and train.sequence_distill need the teacher's model file in train.teacher");

    try {
        c.model.validate();
    } catch (const std::invalid_argument &e) {
        throw fileError(source, e.what());
    }
}

// ---- writing ----------------------------------------------------------------------------------

template<class S>
Json writeSection(const std::vector<Field<S>> &fields, const S &in)
{
    Json j = Json::object();
    for (const auto &f : fields) {
        if (f.integer)
            j[f.name] = in.*f.integer;
        else if (f.unsignedInteger)
            j[f.name] = in.*f.unsignedInteger;
        else if (f.real)
            j[f.name] = in.*f.real;
        else
            j[f.name] = in.*f.text;
    }
    return j;
}

Json toJson(const TrainConfig &c)
{
    Json j = Json::object();
    j["description"] = c.description;
    j["preset"] = c.preset;
    j["data"] = writeSection(dataFields(), c.data);
    j["model"] = Json::parse(modelOptionsToJson(c.model, -1));
    j["train"] = writeSection(trainFields(), c.train);
    if (c.train.maxMinutes == 0)
        j["train"].erase("max_minutes");
    // Distillation keys only when used: configurations of other runs print as before.
    if (c.train.distillAlpha == 0)
        j["train"].erase("distill_alpha");
    if (c.train.teacher.empty())
        j["train"].erase("teacher");
    if (c.train.sequenceDistill == 0)
        j["train"].erase("sequence_distill");
    if (c.train.expertParallel == 0)
        j["train"].erase("expert_parallel");
    if (c.train.overlapGradients == 1)
        j["train"].erase("overlap_gradients");
    if (c.train.shardTaskExperts == 0)
        j["train"].erase("shard_task_experts");
    return j;
}

} // namespace

bool DataConfig::operator==(const DataConfig &o) const
{
    return dataset == o.dataset && temperature == o.temperature && vocabulary == o.vocabulary
           && maxLength == o.maxLength && directions == o.directions && corpus == o.corpus;
}

bool TrainSettings::operator==(const TrainSettings &o) const
{
    return steps == o.steps && batchTokens == o.batchTokens && optimizer == o.optimizer && lr == o.lr
           && warmup == o.warmup && logEvery == o.logEvery && evalEvery == o.evalEvery
           && checkpointEvery == o.checkpointEvery && seed == o.seed && clipNorm == o.clipNorm
           && schedule == o.schedule && maxMinutes == o.maxMinutes && devBleuSentences == o.devBleuSentences
           && distillAlpha == o.distillAlpha && teacher == o.teacher && sequenceDistill == o.sequenceDistill
           && expertParallel == o.expertParallel && overlapGradients == o.overlapGradients
           && shardTaskExperts == o.shardTaskExperts;
}

bool TrainConfig::operator==(const TrainConfig &o) const
{
    return data == o.data && train == o.train && preset == o.preset && description == o.description
           && modelOptionsToJson(model, -1) == modelOptionsToJson(o.model, -1);
}

TrainConfig parseTrainConfig(const std::string &jsonText, const std::string &sourceName)
{
    Json doc;
    try {
        doc = Json::parse(jsonText);
    } catch (const Json::parse_error &e) {
        throw syntaxError(sourceName, jsonText, e);
    } catch (const Json::out_of_range &e) {   // a number beyond double's range
        throw fileError(sourceName, jsonMessage(e));
    }
    if (!doc.is_object())
        throw fileError(sourceName, "a configuration must be a JSON object with the sections data, model and train (got "
                                        + std::string(doc.type_name()) + ")");
    static const std::vector<std::string> topLevel = {"description", "preset", "data", "model", "train"};
    for (const auto &item : doc.items())
        if (std::find(topLevel.begin(), topLevel.end(), item.key()) == topLevel.end())
            throw unknownKey(sourceName, item.key());

    TrainConfig c;
    for (const char *name : {"description", "preset"})
        if (const auto it = doc.find(name); it != doc.end()) {
            require(it->is_string(), sourceName, std::string(name) + " must be a string (got " + shown(*it) + ")");
            (std::string(name) == "preset" ? c.preset : c.description) = it->get<std::string>();
        }
    if (const auto it = doc.find("data"); it != doc.end())
        readSection(*it, "data", dataFields(), c.data, sourceName);
    if (const auto it = doc.find("model"); it != doc.end())
        c.model = readModel(*it, sourceName);
    if (auto it = doc.find("train"); it != doc.end()) {
        // null removes the budget (--set train.max_minutes=null: a preset's budget taken away).
        if (it->is_object() && it->contains("max_minutes") && (*it)["max_minutes"].is_null())
            it->erase("max_minutes");
        readSection(*it, "train", trainFields(), c.train, sourceName);
        // A budget that is written must be one: "no budget" is the absent key.
        if (const auto budget = it->find("max_minutes"); budget != it->end())
            require(c.train.maxMinutes > 0, sourceName,
                    "train.max_minutes must be greater than 0 (got " + shown(*budget)
                        + "); leave the key out, or set it to null, for no time budget");
    }
    validate(c, sourceName);
    return c;
}

void applyOverride(TrainConfig &config, const std::string &assignment)
{
    const std::string source = "--set " + assignment;
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw InputError("--set '" + assignment + "': expected key=value, e.g. train.steps=100");
    const std::string key = assignment.substr(0, eq);
    const std::string text = assignment.substr(eq + 1);
    Json value;
    try {
        value = Json::parse(text);
    } catch (const Json::parse_error &) {
        value = text; // a bare string: task:target, adam, en-xx …
    } catch (const Json::out_of_range &e) {   // a number beyond double's range
        throw InputError(source + ": " + jsonMessage(e));
    }

    Json doc = toJson(config);
    const auto dot = key.find('.');
    if (dot == std::string::npos) {
        doc[key] = value;
    } else {
        const std::string section = key.substr(0, dot);
        const std::string name = key.substr(dot + 1);
        if (section != "data" && section != "model" && section != "train")
            throw unknownKey(source, key);
        // An alias replaces both per-side keys, so that it takes effect.
        if (section == "model" && name == kLayersAlias) {
            doc[section].erase("encoder_layers");
            doc[section].erase("decoder_layers");
        } else if (section == "model" && name == kMoeEveryAlias) {
            doc[section].erase("encoder_moe_every");
            doc[section].erase("decoder_moe_every");
        }
        doc[section][name] = value;
    }
    config = parseTrainConfig(doc.dump(), source);
}

MemoryEstimate estimateTrainingMemory(const TrainConfig &c)
{
    const ModelOptions &m = c.model;
    // Sizes as doubles: a configuration asking for absurd sizes must not overflow the estimate.
    const double d = double(m.dModel), f = double(m.dFf), e = double(m.experts), v = double(m.vocabSize);
    const double attention = 4 * d * d + 4 * d, norm = 2 * d;
    const auto denseFfn = [&](bool decoder, std::int64_t layer) {
        const double h = double(m.denseFfHidden(decoder, layer));
        return 2 * d * h + h + d;
    };
    const double moeFfn = e * 2 * d * f + d * e + double(std::max(m.numLanguages, m.numPairs)) * d;
    double params = v * d + 2 * norm;  // tied embedding, final norms
    double activationsPerToken = 0;    // floats kept per (padded) token for the backward pass
    const double k = double(std::min(m.topK, m.experts));
    for (std::int64_t i = 0; i < m.encoderLayers; ++i) {
        const bool moe = m.encoderLayerIsMoe(i);
        params += attention + 2 * norm + (moe ? moeFfn : denseFfn(false, i));
        activationsPerToken += 16 * d + double(m.heads) * double(c.data.maxLength)
                               + (moe ? 3 * k * f + 2 * e : 2 * double(m.denseFfHidden(false, i)));
    }
    for (std::int64_t i = 0; i < m.decoderLayers; ++i) {
        const bool moe = m.decoderLayerIsMoe(i);
        params += 2 * attention + 3 * norm + (moe ? moeFfn : denseFfn(true, i));
        activationsPerToken += 24 * d + 2 * double(m.heads) * double(c.data.maxLength)
                               + (moe ? 3 * k * f + 2 * e : 2 * double(m.denseFfHidden(true, i)));
    }
    activationsPerToken += 3 * v;      // output logits, log-softmax and their gradient
    // Weights, gradients, optimiser moments and the update's full-size temporaries at the peak:
    // Adafactor (no first moment) about 6.5 copies — a tiny model with 100,000 experts, 0.8
    // billion parameters, reached 22.9 GB here — and Adam's two moments one more.
    const double stateCopies = c.train.optimizer == "adam" ? 7.5 : 6.5;
    // batch_tokens counts source and target: each side's layers see about half of them.
    const double paddedTokens = 1.5 * double(c.train.batchTokens) / 2;
    MemoryEstimate out;
    const double cap = 9e18;
    out.parameters = std::int64_t(std::min(params, cap));
    out.parameterBytes = std::int64_t(std::min(params * 4 * stateCopies, cap));
    out.activationBytes = std::int64_t(std::min(activationsPerToken * paddedTokens * 4, cap));
    out.baseBytes = std::int64_t(400) << 20;
    return out;
}

std::string trainConfigToJson(const TrainConfig &config, int indent)
{
    return toJson(config).dump(indent);
}

std::string defaultPresetDir()
{
    if (const char *env = std::getenv("TASKMOE_PRESETS"); env && *env)
        return env;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path installed = exe.parent_path() / ".." / "share" / "taskmoe" / "presets";
        if (fs::is_directory(installed, ec))
            return installed.lexically_normal().string();
    }
#ifdef TASKMOE_PRESET_DIR
    return TASKMOE_PRESET_DIR;
#else
    return std::string();
#endif
}

std::vector<std::string> listPresets(const std::string &presetDir)
{
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(presetDir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".json" && it->is_regular_file(ec))
            names.push_back(it->path().stem().string());
    std::sort(names.begin(), names.end());
    return names;
}

TrainConfig loadPreset(const std::string &name, const std::string &presetDir)
{
    const auto names = listPresets(presetDir);
    if (std::find(names.begin(), names.end(), name) == names.end()) {
        std::string available;
        for (const auto &n : names)
            available += (available.empty() ? "" : ", ") + n;
        throw InputError("unknown preset '" + name + "' ("
                         + (names.empty() ? "no presets in " + presetDir : "available: " + available) + ")");
    }
    const std::string path = (fs::path(presetDir) / (name + ".json")).string();
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw fileError(path, "cannot be read");
    std::ostringstream text;
    text << in.rdbuf();
    TrainConfig config = parseTrainConfig(text.str(), path);
    config.preset = name;
    return config;
}

} // namespace taskmoe::core
