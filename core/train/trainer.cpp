#include "core/train/trainer.h"

#include "core/eval/bleu.h"
#include "core/decoding/decoding.h"
#include "core/distributed/communicator.h"
#include "core/distributed/gradientsync.h"
#include "core/base/errors.h"
#include "core/model/modelfile.h"
#include "core/train/optim.h"
#include "core/data/sampler.h"
#include "core/data/sentencepiece.h"
#include "core/base/sha256.h"
#include "core/base/text.h"
#include "core/eval/routingviews.h"
#include "core/model/torch.h"
#include "core/model/transformer.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <tuple>
#include <sstream>
#include <unistd.h>

namespace taskmoe::core {

namespace {

using Json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr char kStateMagic[8] = {'T', 'M', 'S', 'T', 'A', 'T', 'E', '1'};
constexpr std::size_t kDevCap = 2000;

void putSection(std::string &out, const std::string &bytes)
{
    std::uint64_t n = bytes.size();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i)
        len[i] = static_cast<unsigned char>(n >> (8 * i));
    out.append(reinterpret_cast<const char *>(len), 8);
    out += bytes;
}

std::string getSection(const std::string &path, const std::string &in, std::size_t &pos, std::size_t end)
{
    if (end - pos < 8)
        throw offsetError(path, std::int64_t(pos), "truncated state file");
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i)
        n |= std::uint64_t(static_cast<unsigned char>(in[pos + std::size_t(i)])) << (8 * i);
    pos += 8;
    if (n > end - pos)
        throw offsetError(path, std::int64_t(pos), "truncated state file (a section runs past the end)");
    std::string s = in.substr(pos, std::size_t(n));
    pos += std::size_t(n);
    return s;
}

// ---------------------------------------------------------------------------------------------
// Torch's default CPU generator

std::string rngState()
{
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    torch::Tensor state = gen.get_state().contiguous();
    return std::string(static_cast<const char *>(state.data_ptr()), std::size_t(state.numel()));
}

void setRngState(const std::string &bytes, const std::string &path)
{
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    if (std::int64_t(bytes.size()) != gen.get_state().numel())
        throw fileError(path, "the random generator state has " + std::to_string(bytes.size())
                                  + " bytes, not the " + std::to_string(gen.get_state().numel())
                                  + " this LibTorch uses");
    torch::Tensor state = torch::empty({std::int64_t(bytes.size())}, torch::kUInt8);
    std::memcpy(state.data_ptr(), bytes.data(), bytes.size());
    gen.set_state(state);
}

// ---------------------------------------------------------------------------------------------
// Progress window: sums since the last report (saved in checkpoints so resumed means match)

struct LayerWindow
{
    std::string name;
    std::vector<double> load;  ///< summed expert loads
    double dropped = 0;
};

struct Window
{
    std::int64_t steps = 0;
    double loss = 0, ce = 0, balance = 0, gradNorm = 0, tokens = 0;
    std::vector<LayerWindow> layers;

    void clear()
    {
        steps = 0;
        loss = ce = balance = gradNorm = tokens = 0;
        layers.clear();
    }

    Json toJson() const
    {
        Json j;
        j["steps"] = steps;
        j["loss"] = loss;
        j["ce"] = ce;
        j["balance"] = balance;
        j["grad_norm"] = gradNorm;
        j["tokens"] = tokens;
        Json ls = Json::array();
        for (const auto &l : layers)
            ls.push_back(Json{{"name", l.name}, {"load", l.load}, {"dropped", l.dropped}});
        j["layers"] = ls;
        return j;
    }

    void fromJson(const Json &j)
    {
        clear();
        steps = j.at("steps").get<std::int64_t>();
        loss = j.at("loss").get<double>();
        ce = j.at("ce").get<double>();
        balance = j.at("balance").get<double>();
        gradNorm = j.at("grad_norm").get<double>();
        tokens = j.at("tokens").get<double>();
        for (const auto &l : j.at("layers"))
            layers.push_back({l.at("name").get<std::string>(), l.at("load").get<std::vector<double>>(),
                              l.at("dropped").get<double>()});
    }
};

// ---------------------------------------------------------------------------------------------
// State files

struct TrainState
{
    std::int64_t step = 0;
    std::string modelFile;  ///< file name, in the state file's folder
    std::string modelSha256;
    std::int64_t modelBytes = 0;
    Window window;
    double elapsedSeconds = 0;  ///< wall time the run has trained so far (for the time budget)
    std::string optimizer, sampler, rng;
};

std::string encodeState(const TrainState &s)
{
    Json meta;
    meta["format"] = "taskmoe-train-state";
    meta["version"] = 1;
    meta["step"] = s.step;
    meta["model_file"] = s.modelFile;
    meta["model_sha256"] = s.modelSha256;
    meta["model_bytes"] = s.modelBytes;
    meta["window"] = s.window.toJson();
    meta["elapsed_s"] = s.elapsedSeconds;
    std::string out(kStateMagic, sizeof kStateMagic);
    putSection(out, meta.dump());
    putSection(out, s.optimizer);
    putSection(out, s.sampler);
    putSection(out, s.rng);
    out += Sha256::hex(out);
    return out;
}

TrainState decodeState(const std::string &path)
{
    const std::string bytes = readFile(path);
    if (bytes.size() < sizeof kStateMagic + 64)
        throw fileError(path, "truncated: " + std::to_string(bytes.size()) + " bytes, too short for a training state file");
    if (std::memcmp(bytes.data(), kStateMagic, sizeof kStateMagic) != 0)
        throw fileError(path, "not a TaskMoE training state file (wrong magic bytes)");
    const std::size_t end = bytes.size() - 64;
    if (Sha256::hex(std::string_view(bytes).substr(0, end)) != bytes.substr(end))
        throw fileError(path, "checksum mismatch: the state file is corrupt or truncated");
    std::size_t pos = sizeof kStateMagic;
    TrainState s;
    const std::string metaText = getSection(path, bytes, pos, end);
    s.optimizer = getSection(path, bytes, pos, end);
    s.sampler = getSection(path, bytes, pos, end);
    s.rng = getSection(path, bytes, pos, end);
    if (pos != end)
        throw offsetError(path, std::int64_t(pos), "unexpected bytes after the last section");
    try {
        const Json meta = Json::parse(metaText);
        if (meta.at("format").get<std::string>() != "taskmoe-train-state" || meta.at("version").get<int>() != 1)
            throw fileError(path, "unsupported training state format");
        s.step = meta.at("step").get<std::int64_t>();
        s.modelFile = meta.at("model_file").get<std::string>();
        s.modelSha256 = meta.at("model_sha256").get<std::string>();
        s.modelBytes = meta.at("model_bytes").get<std::int64_t>();
        s.window.fromJson(meta.at("window"));
        s.elapsedSeconds = meta.value("elapsed_s", 0.0);  // absent in states written before time budgets
    } catch (const Json::exception &e) {
        throw fileError(path, std::string("malformed metadata: ") + e.what());
    }
    if (s.step < 0)
        throw fileError(path, "negative step " + std::to_string(s.step));
    return s;
}

// ---------------------------------------------------------------------------------------------
// Batches

struct BatchBuilder
{
    const std::vector<TrainTask> *tasks = nullptr;
    std::size_t maxLength = 0;

    std::size_t srcLen(const TrainExample &e) const { return std::min(e.src.size(), maxLength); }
    std::size_t tgtLen(const TrainExample &e) const { return std::min(e.tgt.size() + 1, maxLength); }

    /// `tokens` receives the real (non-padding) source + target tokens.
    Seq2SeqBatch build(const std::vector<ExampleRef> &refs, double *tokens) const
    {
        const std::int64_t B = std::int64_t(refs.size());
        std::size_t S = 1, L = 1;
        for (const auto &r : refs) {
            const TrainExample &e = (*tasks)[r.task].examples[r.index];
            S = std::max(S, srcLen(e));
            L = std::max(L, tgtLen(e));
        }
        std::vector<std::int64_t> src(std::size_t(B) * S, kPadId), tin(std::size_t(B) * L, kPadId),
            tout(std::size_t(B) * L, kPadId), lang(std::size_t(B), 0), pair(std::size_t(B), 0);
        double count = 0;
        for (std::size_t b = 0; b < refs.size(); ++b) {
            const TrainTask &task = (*tasks)[refs[b].task];
            const TrainExample &e = task.examples[refs[b].index];
            const std::size_t s = srcLen(e), l = tgtLen(e);
            for (std::size_t i = 0; i < s; ++i)
                src[b * S + i] = e.src[i];
            tin[b * L] = kBosId;
            for (std::size_t i = 0; i + 1 < l; ++i) {
                tin[b * L + i + 1] = e.tgt[i];
                tout[b * L + i] = e.tgt[i];
            }
            tout[b * L + l - 1] = l - 1 < e.tgt.size() ? e.tgt[l - 1] : kEosId;
            lang[b] = task.targetLang;
            pair[b] = task.pair;
            count += double(s + l);
        }
        if (tokens)
            *tokens = count;
        auto make = [](std::vector<std::int64_t> &v, std::int64_t rows, std::int64_t cols) {
            return torch::from_blob(v.data(), {rows, cols}, torch::kInt64).clone();
        };
        Seq2SeqBatch batch;
        batch.src = make(src, B, std::int64_t(S));
        batch.tgtIn = make(tin, B, std::int64_t(L));
        batch.tgtOut = make(tout, B, std::int64_t(L));
        batch.targetLang = torch::from_blob(lang.data(), {B}, torch::kInt64).clone();
        batch.pair = torch::from_blob(pair.data(), {B}, torch::kInt64).clone();
        return batch;
    }
};

void checkTasks(const std::vector<TrainTask> &tasks, const ModelOptions &o, const char *which, bool needExamples)
{
    for (const auto &t : tasks) {
        if (needExamples && t.examples.empty())
            throw InputError(std::string(which) + " task '" + t.name + "' has no examples");
        if (t.targetLang < 0 || t.targetLang >= o.numLanguages)
            throw InputError(std::string(which) + " task '" + t.name + "': target language id "
                             + std::to_string(t.targetLang) + " is outside model.num_languages = "
                             + std::to_string(o.numLanguages));
        if (t.pair < 0 || t.pair >= o.numPairs)
            throw InputError(std::string(which) + " task '" + t.name + "': pair id " + std::to_string(t.pair)
                             + " is outside model.num_pairs = " + std::to_string(o.numPairs));
        for (const auto &e : t.examples) {
            for (auto id : e.src)
                if (id < 0 || id >= o.vocabSize)
                    throw InputError(std::string(which) + " task '" + t.name + "': token id " + std::to_string(id)
                                     + " is outside the vocabulary (model.vocab_size = " + std::to_string(o.vocabSize) + ")");
            for (auto id : e.tgt)
                if (id < 0 || id >= o.vocabSize)
                    throw InputError(std::string(which) + " task '" + t.name + "': token id " + std::to_string(id)
                                     + " is outside the vocabulary (model.vocab_size = " + std::to_string(o.vocabSize) + ")");
        }
    }
}

/// Dev batches: at most kDevCap examples taken round-robin over the tasks, sorted by length,
/// cut at `batchTokens` padded tokens.
std::vector<std::vector<ExampleRef>> devBatches(const BatchBuilder &builder, std::size_t batchTokens)
{
    std::vector<ExampleRef> refs;
    const auto &tasks = *builder.tasks;
    for (std::size_t i = 0; refs.size() < kDevCap; ++i) {
        bool any = false;
        for (std::size_t t = 0; t < tasks.size() && refs.size() < kDevCap; ++t)
            if (i < tasks[t].examples.size()) {
                refs.push_back({std::uint32_t(t), std::uint32_t(i)});
                any = true;
            }
        if (!any)
            break;
    }
    auto len = [&](const ExampleRef &r) {
        const auto &e = tasks[r.task].examples[r.index];
        return std::max(builder.srcLen(e), builder.tgtLen(e));
    };
    std::stable_sort(refs.begin(), refs.end(), [&](const ExampleRef &a, const ExampleRef &b) { return len(a) < len(b); });
    std::vector<std::vector<ExampleRef>> batches;
    std::vector<ExampleRef> current;
    std::size_t longest = 0;
    for (const auto &r : refs) {
        const std::size_t l = std::max(longest, len(r));
        if (!current.empty() && l * (current.size() + 1) > batchTokens) {
            batches.push_back(std::move(current));
            current.clear();
            longest = 0;
        }
        current.push_back(r);
        longest = std::max(longest, len(r));
    }
    if (!current.empty())
        batches.push_back(std::move(current));
    return batches;
}

/// Mean token-level NLL over the dev batches, in eval mode without gradients; leaves the
/// model in training mode and the random generator as it was.
double evaluate(Transformer &model, const BatchBuilder &builder, const std::vector<std::vector<ExampleRef>> &batches)
{
    const std::string rng = rngState();
    torch::NoGradGuard noGrad;
    model->eval();
    double sum = 0, tokens = 0;
    for (const auto &refs : batches) {
        ModelOutput out = model->forward(builder.build(refs, nullptr));
        sum += out.nll.item<double>() * double(out.targetTokens);
        tokens += double(out.targetTokens);
    }
    model->train();
    setRngState(rng, "random generator state");
    return tokens > 0 ? sum / tokens : std::numeric_limits<double>::quiet_NaN();
}

/// Pieces as text: decoded by the vocabulary, or written as ids when there is none (tests).
std::string piecesText(const std::vector<std::int32_t> &ids, const SentencePieceModel *spm)
{
    if (spm)
        return spm->decode(std::vector<int>(ids.begin(), ids.end()));
    std::string out;
    for (auto id : ids)
        out += (out.empty() ? "" : " ") + std::to_string(id);
    return out;
}

/// The dev BLEU sample: the first N examples of every dev task, with their references.
struct DevBleuSample
{
    std::vector<DecodeRequest> requests;
    std::vector<std::string> references;
    std::vector<std::size_t> task;      ///< dev task index of each request
};

DevBleuSample devBleuSample(const std::vector<TrainTask> &dev, std::size_t perTask,
                            const SentencePieceModel *spm, std::size_t maxLength)
{
    DevBleuSample sample;
    for (std::size_t t = 0; t < dev.size(); ++t) {
        const TrainTask &task = dev[t];
        for (std::size_t i = 0; i < task.examples.size() && i < perTask; ++i) {
            const TrainExample &e = task.examples[i];
            DecodeRequest r;
            r.src.assign(e.src.begin(), e.src.begin() + std::ptrdiff_t(std::min(e.src.size(), maxLength)));
            r.targetLang = task.targetLang;
            r.pair = task.pair;
            sample.requests.push_back(std::move(r));
            sample.references.push_back(i < task.references.size() ? task.references[i] : piecesText(e.tgt, spm));
            sample.task.push_back(t);
        }
    }
    return sample;
}

/// Greedy translations of the sample scored per task with SacreBLEU's BLEU (13a, exp
/// smoothing); the mean over tasks first. Without a vocabulary, pieces are written as ids.
/// Leaves the model in training mode and the random generator as it was.
/// With `routing` (may be null): the routing of the translations, replayed.
std::pair<double, std::vector<std::pair<std::string, double>>>
devBleu(Transformer &model, const std::vector<TrainTask> &dev, const DevBleuSample &sample, const SentencePieceModel *spm,
        std::size_t pairs, std::vector<LayerCounts> *routing)
{
    const std::string rng = rngState();
    DecodeOptions options;
    options.beam = 1;
    options.batchSize = 64;
    const std::vector<DecodeResult> results = translate(*model, sample.requests, options);
    if (routing) {
        RoutingRecorder recorder(*model, pairs);
        if (!recorder.layers().empty()) {
            std::vector<std::vector<std::int32_t>> targets;
            for (const auto &r : results)
                targets.push_back(r.tokens);
            recorder.record(sample.requests, targets, options);
        }
        *routing = recorder.layers();
    }
    model->train();
    setRngState(rng, "random generator state");
    std::vector<std::vector<std::string>> hyps(dev.size()), refs(dev.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
        hyps[sample.task[i]].push_back(piecesText(results[i].tokens, spm));
        refs[sample.task[i]].push_back(sample.references[i]);
    }
    std::vector<std::pair<std::string, double>> perTask;
    double sum = 0;
    for (std::size_t t = 0; t < dev.size(); ++t) {
        if (hyps[t].empty())
            continue;
        const double bleu = corpusBleu(hyps[t], refs[t], BleuOptions()).score;
        perTask.emplace_back(dev[t].name, bleu);
        sum += bleu;
    }
    const double mean = perTask.empty() ? std::numeric_limits<double>::quiet_NaN() : sum / double(perTask.size());
    return {mean, std::move(perTask)};
}

std::string layerName(const MoeLayerStats &s)
{
    return std::string(s.decoder ? "dec." : "enc.") + std::to_string(s.layer);
}

/// The model file a state names, after checking its size and SHA-256.
std::string verifiedModelPath(const std::string &statePath, const TrainState &state)
{
    const std::string modelPath = (fs::path(statePath).parent_path() / state.modelFile).string();
    std::error_code sizeError;
    const auto size = fs::file_size(modelPath, sizeError);
    if (sizeError)
        throw fileError(modelPath, "cannot read the checkpoint's model file: " + sizeError.message());
    if (std::int64_t(size) != state.modelBytes)
        throw fileError(modelPath, "truncated or altered: " + std::to_string(size) + " bytes, the training state "
                                       + statePath + " recorded " + std::to_string(state.modelBytes));
    const std::string sha = sha256File(modelPath);
    if (sha != state.modelSha256)
        throw fileError(modelPath, "SHA-256 mismatch: the model file is " + sha + ", the training state "
                                       + statePath + " recorded " + state.modelSha256);
    return modelPath;
}

/// The teacher of a distillation: its model file, checked against the student's vocabulary
/// and task table, in evaluation mode without gradients.
Transformer loadTeacher(const std::string &path, const ModelOptions &student, const TaskTable &tasks)
{
    LoadedModel loaded = loadModel(path);   // InputError naming the file when it is damaged
    const ModelOptions &o = loaded.model->options();
    if (o.vocabSize != student.vocabSize)
        throw fileError(path, "the teacher has a vocabulary of " + std::to_string(o.vocabSize) + " pieces, the student "
                                  + std::to_string(student.vocabSize) + "; a student learns in its teacher's vocabulary");
    if (loaded.info.tasks.languages != tasks.languages || loaded.info.tasks.pairs != tasks.pairs)
        throw fileError(path, "the teacher was trained on other languages or pairs than the student's data");
    Transformer teacher(loaded.model);
    teacher->eval();
    for (auto &p : teacher->parameters())
        p.set_requires_grad(false);
    return teacher;
}

/// `data` with the targets of the first `perTask` training sentences of each direction
/// replaced by the teacher's beam-4 translations (Kim & Rush 2016).
TrainData sequenceDistilled(TransformerImpl &teacher, const TrainData &data, std::int64_t perTask)
{
    TrainData out = data;
    DecodeOptions o;
    o.beam = 4;
    o.capacityFactor = 0;
    for (auto &task : out.train) {
        const auto n = std::size_t(std::min<std::int64_t>(perTask, std::int64_t(task.examples.size())));
        std::vector<DecodeRequest> requests;
        for (std::size_t i = 0; i < n; ++i)
            requests.push_back({task.examples[i].src, task.targetLang, task.pair});
        const auto results = translate(teacher, requests, o);
        for (std::size_t i = 0; i < n; ++i)
            if (!results[i].tokens.empty())
                task.examples[i].tgt = results[i].tokens;
    }
    teacher.eval();
    return out;
}

/// Word-level distillation: the mean over real target positions of the cross-entropy between
/// the teacher's distribution (no capacity limit, no gradient) and the student's.
torch::Tensor distillationLoss(TransformerImpl &teacher, const Seq2SeqBatch &batch, const torch::Tensor &studentLogits)
{
    torch::Tensor teacherProbs;
    {
        torch::NoGradGuard noGrad;
        MoeCall call;
        call.capacityFactor = 0;
        const EncoderOutput memory = teacher.encode(batch.src, batch.targetLang, batch.pair, call);
        const DecoderOutput states = teacher.decode(batch.tgtIn, memory, batch.targetLang, batch.pair, call);
        teacherProbs = torch::softmax(teacher.project(states.states), -1);
    }
    const auto studentLogp = torch::log_softmax(studentLogits, -1);                 // [B, L, V]
    const auto real = batch.tgtOut.ne(kPadId).to(studentLogp.scalar_type());        // [B, L]
    const auto perToken = -(teacherProbs * studentLogp).sum(-1);                     // [B, L]
    return (perToken * real).sum() / real.sum().clamp_min(1.0);
}

} // namespace

std::int64_t verifyCheckpoint(const std::string &statePath)
{
    const TrainState state = decodeState(statePath);
    verifiedModelPath(statePath, state);
    return state.step;
}

std::string latestGoodCheckpoint(const std::string &checkpointDir, std::vector<std::string> *skipped)
{
    std::vector<std::pair<std::string, std::string>> states;  // (file name, path)
    std::error_code ec;
    for (fs::directory_iterator it(checkpointDir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() > 11 && name.compare(0, 5, "step-") == 0 && name.compare(name.size() - 6, 6, ".state") == 0)
            states.emplace_back(name, it->path().string());
    }
    // Zero-padded names sort by step; a longer name (a step ≥ 10⁶) is a later step.
    std::sort(states.begin(), states.end(), [](const auto &a, const auto &b) {
        return a.first.size() != b.first.size() ? a.first.size() > b.first.size() : a.first > b.first;
    });
    for (const auto &[name, path] : states) {
        try {
            verifyCheckpoint(path);
            return path;
        } catch (const InputError &e) {
            if (skipped)
                skipped->push_back(e.what());
        }
    }
    return {};
}

std::string checkpointBaseName(std::int64_t step)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "step-%06lld", static_cast<long long>(step));
    return buf;
}

std::int64_t readCheckpointStep(const std::string &statePath)
{
    return decodeState(statePath).step;
}

TrainResult train(const TrainConfig &config, const TrainData &given, const std::string &checkpointDir,
                  const std::string &resumeStatePath, const TrainHooks &hooks, Communicator *comm)
{
    const int rank = comm ? comm->rank() : 0, world = comm ? comm->world() : 1;
    const bool lead = rank == 0;
    const ModelOptions &mo = config.model;
    mo.validate();
    const TrainSettings &ts = config.train;
    if (given.train.empty())
        throw InputError("no training data: the dataset has no training task");
    checkTasks(given.train, mo, "train", true);

    // Distillation: the teacher (word level), and its translations as the targets of a sample
    // of the training sources (sequence level), made again identically when a run resumes.
    Transformer teacher = nullptr;
    std::optional<TrainData> distilled;
    if (!ts.teacher.empty()) {
        teacher = loadTeacher(ts.teacher, mo, given.tasks);
        if (ts.sequenceDistill > 0)
            distilled = sequenceDistilled(*teacher, given, ts.sequenceDistill);
    }
    const TrainData &data = distilled ? *distilled : given;
    checkTasks(data.dev, mo, "dev", false);

    OptimizerOptions oo;
    oo.kind = ts.optimizer;
    oo.lr = ts.lr;
    oo.warmup = ts.warmup;
    oo.clipNorm = ts.clipNorm;
    oo.schedule = ts.schedule;
    oo.validate();

    std::error_code ec;
    fs::create_directories(checkpointDir, ec);
    if (ec || !fs::is_directory(checkpointDir))
        throw fileError(checkpointDir, "cannot create the checkpoint folder: " + (ec ? ec.message() : "not a folder"));

    BatchBuilder builder{&data.train, std::size_t(std::max<std::int64_t>(2, std::min(config.data.maxLength, mo.maxLength)))};
    BatchBuilder devBuilder{&data.dev, builder.maxLength};

    std::vector<std::vector<std::uint32_t>> lengths;
    for (const auto &t : data.train) {
        std::vector<std::uint32_t> l;
        l.reserve(t.examples.size());
        for (const auto &e : t.examples)
            l.push_back(std::uint32_t(std::max(builder.srcLen(e), builder.tgtLen(e))));
        lengths.push_back(std::move(l));
    }
    SamplerOptions so;
    so.temperature = config.data.temperature;
    so.batchTokens = std::size_t(ts.batchTokens);
    so.seed = ts.seed;
    TemperatureSampler sampler(std::move(lengths), so);

    torch::manual_seed(ts.seed);
    Transformer model(mo);
    model->train();

    Window window;
    std::int64_t step = 0;
    double elapsedBefore = 0;  // training wall time of earlier processes of this run
    TrainResult result;
    result.lastDevLoss = std::numeric_limits<double>::quiet_NaN();

    std::unique_ptr<Optimizer> optimizer;
    if (!resumeStatePath.empty()) {
        TrainState state = decodeState(resumeStatePath);
        const std::string modelPath = verifiedModelPath(resumeStatePath, state);
        LoadedModel loaded = loadModel(modelPath);
        if (modelOptionsToJson(loaded.model->options(), -1) != modelOptionsToJson(mo, -1))
            throw fileError(modelPath, "the model options differ from the run's configuration");
        model = Transformer(loaded.model);
        model->train();
        optimizer = makeOptimizer(oo, model->named_parameters());
        try {
            optimizer->loadFromString(state.optimizer);
        } catch (const InputError &e) {
            throw fileError(resumeStatePath, std::string("optimiser state: ") + e.what());
        }
        try {
            sampler.restoreState(state.sampler);
        } catch (const InputError &e) {
            throw fileError(resumeStatePath, std::string("sampler state: ") + e.what());
        }
        setRngState(state.rng, resumeStatePath);
        window = state.window;
        elapsedBefore = state.elapsedSeconds;
        step = state.step;
        result.lastCheckpointModel = modelPath;
        result.lastCheckpointState = resumeStatePath;
    } else {
        optimizer = makeOptimizer(oo, model->named_parameters());
    }

    // Rank 0 alone evaluates on dev (the others wait for it at the next collective).
    const auto devSet = data.dev.empty() || !lead ? std::vector<std::vector<ExampleRef>>()
                                                  : devBatches(devBuilder, std::size_t(ts.batchTokens));
    std::optional<SentencePieceModel> spm;
    if (!data.sentencePiece.empty())
        spm.emplace(SentencePieceModel::fromBytes(data.sentencePiece));
    const DevBleuSample bleuSample = lead ? devBleuSample(data.dev, std::size_t(ts.devBleuSentences), spm ? &*spm : nullptr,
                                                          builder.maxLength)
                                          : DevBleuSample();

    using Clock = std::chrono::steady_clock;
    const auto runStart = Clock::now();
    const double budgetSeconds = ts.maxMinutes * 60.0;  // 0: none
    auto elapsed = [&] { return elapsedBefore + std::chrono::duration<double>(Clock::now() - runStart).count(); };
    /// Dev loss and BLEU into `p`.
    auto devEvaluation = [&](TrainProgress &p) {
        const auto start = Clock::now();
        p.hasDev = true;
        p.devLoss = evaluate(model, devBuilder, devSet);
        p.devBleu = std::numeric_limits<double>::quiet_NaN();
        if (!bleuSample.requests.empty())
            std::tie(p.devBleu, p.devBleuTasks) =
                devBleu(model, data.dev, bleuSample, spm ? &*spm : nullptr, data.tasks.pairs.size(), &p.devRouting);
        p.devSeconds = std::chrono::duration<double>(Clock::now() - start).count();
        result.lastDevLoss = p.devLoss;
    };
    bool taskPlacement = false;   // expert parallelism with task-routed layers: sentences stay with their task
    std::vector<torch::Tensor> shardedParams;   // expert parallelism: this rank's block of experts
    if (world > 1 && ts.expertParallel) {
        for (auto &ref : model->moeLayers()) {
            ref.moe->setExpertParallel(comm, ts.shardTaskExperts != 0);
            taskPlacement = taskPlacement || isTaskRouting(ref.moe->options().routing());
            if (!ref.moe->expertsSharded())
                continue;
            // The optimiser's state of these weights shrinks to the same rows.
            for (const auto &item : model->named_parameters())
                for (const torch::Tensor *w : {&ref.moe->wi, &ref.moe->wo})
                    if (item.value().unsafeGetTensorImpl() == w->unsafeGetTensorImpl()) {
                        optimizer->shard(item.key(), ref.moe->firstLocalExpert(), w->size(0), ref.moe->options().num_experts());
                        shardedParams.push_back(*w);
                    }
        }
        optimizer->setSumOverRanks([comm](std::vector<double> &values) {
            std::vector<torch::Tensor> packed{torch::tensor(values, torch::kFloat64)};
            comm->allreduceSum(packed, "summing the split experts' norms");
            for (std::size_t i = 0; i < values.size(); ++i)
                values[i] = packed[0][std::int64_t(i)].item<double>();
        });
    }
    const auto isSharded = [&](const torch::Tensor &t) {
        for (const auto &s : shardedParams)
            if (s.unsafeGetTensorImpl() == t.unsafeGetTensorImpl())
                return true;
        return false;
    };
    /// Runs `use` with rank 0's MoE layers holding every rank's experts (gathered; a collective
    /// every rank calls), then puts this rank's block back: to evaluate or save the whole model.
    auto withWholeExperts = [&](const std::function<void()> &use) {
        if (shardedParams.empty()) {
            use();
            return;
        }
        torch::NoGradGuard noGrad;
        std::vector<torch::Tensor> blocks;
        for (auto &p : shardedParams) {
            blocks.push_back(p.data());
            const torch::Tensor whole = comm->gatherRows(p.data(), 0, "gathering the experts");
            if (lead)
                p.set_data(whole);
        }
        try {
            use();
        } catch (...) {
            for (std::size_t i = 0; i < shardedParams.size(); ++i)
                shardedParams[i].set_data(blocks[i]);
            throw;
        }
        for (std::size_t i = 0; i < shardedParams.size(); ++i)
            shardedParams[i].set_data(blocks[i]);
    };
    // Data parallel: gradients summed over the ranks while the backward pass runs (a split
    // expert's gradient is complete on its rank: every copy it computed came to it).
    std::unique_ptr<GradientSync> gradientSync;
    if (world > 1) {
        std::vector<torch::Tensor> summed;
        for (const auto &p : model->parameters())
            if (p.requires_grad() && !isSharded(p))
                summed.push_back(p);
        gradientSync = std::make_unique<GradientSync>(*comm, std::move(summed), GradientSync::kBucketBytes, ts.overlapGradients != 0);
    }
    // Bytes of parameters and optimiser state this rank holds.
    const double heldBytes = [&] {
        double bytes = optimizer->stateBytes();
        for (const auto &p : model->parameters())
            bytes += double(p.numel()) * double(p.element_size());
        return bytes;
    }();
    const std::int64_t total = ts.steps;
    const std::int64_t logEvery = std::max<std::int64_t>(1, ts.logEvery);
    const std::int64_t evalEvery = std::max<std::int64_t>(1, ts.evalEvery);
    const std::int64_t checkpointEvery = std::max<std::int64_t>(1, ts.checkpointEvery);

    auto writeWholeCheckpoint = [&](std::int64_t atStep, const std::string &optimizerState) {
        const std::string base = (fs::path(checkpointDir) / checkpointBaseName(atStep)).string();
        CheckpointInfo info;
        info.step = atStep;
        info.modelPath = base + ".tmf";
        info.statePath = base + ".state";
        ModelFileInfo fileInfo;
        fileInfo.tasks = data.tasks;
        fileInfo.sentencePiece = data.sentencePiece;
        fileInfo.json = Json{{"step", atStep}}.dump();
        info.modelSha256 = saveModel(info.modelPath, model, fileInfo);
        info.modelBytes = std::int64_t(fs::file_size(info.modelPath));
        TrainState state;
        state.step = atStep;
        state.modelFile = fs::path(info.modelPath).filename().string();
        state.modelSha256 = info.modelSha256;
        state.modelBytes = info.modelBytes;
        state.window = window;
        state.elapsedSeconds = elapsed();
        state.optimizer = optimizerState;
        state.sampler = sampler.saveState();
        state.rng = rngState();
        writeFileAtomically(info.statePath, encodeState(state));
        result.lastCheckpointModel = info.modelPath;
        result.lastCheckpointState = info.statePath;
        if (hooks.checkpoint)
            hooks.checkpoint(info);
    };
    auto writeCheckpoint = [&](std::int64_t atStep) {
        // Rank 0 writes the whole model and state (the split experts' weights and state
        // gathered from every rank, which all take part).
        std::string optimizerState;
        if (!shardedParams.empty())
            optimizerState = optimizer->saveWholeToString([&](const torch::Tensor &t) {
                const torch::Tensor whole = comm->gatherRows(t, 0, "gathering the experts' optimiser state");
                return lead ? whole : t;
            });
        else if (lead)
            optimizerState = optimizer->saveToString();
        withWholeExperts([&] {
            if (lead)
                writeWholeCheckpoint(atStep, optimizerState);
        });
    };

    // The dev cross-entropy of the initial model, so a run's curve shows where it started
    // (evaluate() leaves the random generator as it was: resuming stays exact).
    if (step == 0 && !data.dev.empty())
        withWholeExperts([&] {
            if (!lead)
                return;
            TrainProgress initial;
            initial.step = 0;
            initial.totalSteps = ts.steps;
            devEvaluation(initial);
            initial.elapsedSeconds = elapsed();
            if (hooks.progress)
                hooks.progress(initial);
        });

    auto windowStart = Clock::now();
    std::int64_t windowStartStep = step;
    double windowTokens = 0;  // tokens since windowStart (not saved: timing is not reproducible anyway)
    std::int64_t lastCheckpointStep = resumeStatePath.empty() ? -1 : step;

    const bool devDue0 = !data.dev.empty();   // dev evaluations happen (on rank 0) at these steps
    double windowComm = 0, windowBytes = 0;   // this rank's collectives since the last report
    double windowExchange = 0, windowExchangeBytes = 0;   // of which the MoE layers' token exchanges
    while (step < total) {
        ++step;
        const Batch batch = sampler.next();
        // Data parallel: every rank has the same global batch and trains on every world-th
        // example of it, its loss weighted by its share of the batch's target tokens.
        std::vector<ExampleRef> shard;
        double weight = 1;
        bool countLoads = true;
        if (world > 1) {
            // Expert parallelism with task-routed layers: a task's sentences stay together on
            // one rank (tasks by their tokens in this batch, largest first, each to the rank with
            // the fewest so far), so its experts run where its tokens are.
            std::map<std::uint32_t, int> rankOfTask;
            // Task-routed layers split over the ranks: how many of each direction's chosen
            // experts (over those layers, at the gates' current values) each rank holds.
            std::map<std::uint32_t, std::vector<int>> expertsOnRank;
            if (taskPlacement && ts.shardTaskExperts)
                for (auto &ref : model->moeLayers()) {
                    const Routing routing = ref.moe->options().routing();
                    if (!isTaskRouting(routing) || !ref.moe->expertsSharded())
                        continue;
                    const torch::Tensor chosen = ref.moe->chosenTaskExperts();   // [routing tasks, k]
                    const std::int64_t *c = chosen.data_ptr<std::int64_t>();
                    const std::int64_t perRank = ref.moe->options().num_experts() / world, k = chosen.size(1);
                    std::set<std::uint32_t> directions;
                    for (const auto &example : batch.examples)
                        directions.insert(example.task);
                    for (const std::uint32_t task : directions) {
                        const TrainTask &direction = data.train[task];
                        const std::int64_t id = routing == Routing::TaskPair ? direction.pair : direction.targetLang;
                        auto &counts = expertsOnRank[task];
                        counts.resize(std::size_t(world), 0);
                        for (std::int64_t j = 0; j < k; ++j)
                            ++counts[std::size_t(c[id * k + j] / perRank)];
                    }
                }
            if (taskPlacement) {
                std::map<std::uint32_t, double> taskTokens;
                for (const auto &ref : batch.examples)
                    taskTokens[ref.task] += double(builder.srcLen(data.train[ref.task].examples[ref.index])
                                                   + builder.tgtLen(data.train[ref.task].examples[ref.index]));
                std::vector<std::pair<double, std::uint32_t>> bySize;
                for (const auto &[task, n] : taskTokens)
                    bySize.push_back({-n, task});
                std::sort(bySize.begin(), bySize.end());
                std::vector<double> loads(std::size_t(world), 0.0);
                double totalTokens = 0;
                for (const auto &[negative, task] : bySize)
                    totalTokens -= negative;
                // A rank takes at most a fair share and a tenth of the batch's tokens while tasks
                // go where their experts are (or the waiting for it costs more than the copies).
                const double fair = 1.1 * totalTokens / double(world);
                for (const auto &[negative, task] : bySize) {
                    // Where most of the task's experts are (split task experts) if that rank
                    // has room, else the least-loaded rank.
                    std::size_t best = std::size_t(std::min_element(loads.begin(), loads.end()) - loads.begin());
                    const auto found = expertsOnRank.find(task);
                    if (found != expertsOnRank.end())
                        for (std::size_t r = 0; r < loads.size(); ++r)
                            if (loads[r] - negative <= fair
                                && (found->second[r] > found->second[best]
                                    || (found->second[r] == found->second[best] && loads[r] < loads[best])
                                    || loads[best] - negative > fair))
                                best = r;
                    rankOfTask[task] = int(best);
                    loads[best] -= negative;
                }
            }
            double globalTargets = 0, myTargets = 0;
            for (std::size_t i = 0; i < batch.examples.size(); ++i) {
                const auto &ref = batch.examples[i];
                const double targets = double(builder.tgtLen(data.train[ref.task].examples[ref.index]));
                globalTargets += targets;
                const int owner = taskPlacement ? rankOfTask[ref.task] : int(i % std::size_t(world));
                if (owner == rank) {
                    shard.push_back(ref);
                    myTargets += targets;
                }
            }
            weight = globalTargets > 0 ? myTargets / globalTargets : 0;
            if (shard.empty()) {
                // Fewer examples than ranks: this rank's share is empty; it runs the first
                // example with weight 0 (its gradients are zeros) so that every rank reports
                // the same layers.
                shard.push_back(batch.examples.front());
                weight = 0;
                countLoads = false;
            }
        }
        double tokens = 0;
        const Seq2SeqBatch input = builder.build(world > 1 ? shard : batch.examples, &tokens);
        if (!countLoads)
            tokens = 0;
        ModelOutput out = model->forward(input);
        if (!teacher.is_empty() && ts.distillAlpha > 0)
            out.loss = out.loss + ts.distillAlpha * (distillationLoss(*teacher, input, out.logits) - out.ce);
        if (world > 1) {
            const torch::Tensor weighted = out.loss * weight;
            gradientSync->prepare(weighted);
            weighted.backward();
            gradientSync->finish();
            for (auto &p : shardedParams)
                if (!p.grad().defined())
                    p.mutable_grad() = torch::zeros_like(p);
        } else
            out.loss.backward();

        // This step's values: the global ones, summed over the ranks in one collective.
        double stepLoss = out.loss.item<double>() * weight, stepCe = out.ce.item<double>() * weight;
        double stepBalance = (out.balance.defined() ? out.balance.item<double>() : 0.0) * weight;
        std::vector<std::vector<double>> stepLoads;
        std::vector<double> stepDropped;
        for (const auto &st : out.perLayer) {
            torch::Tensor load = st.expertLoad.to(torch::kInt64).contiguous();
            const std::int64_t *p = load.data_ptr<std::int64_t>();
            std::vector<double> l(std::size_t(load.numel()), 0.0);
            for (std::size_t e = 0; e < l.size(); ++e)
                l[e] = countLoads ? double(p[e]) : 0.0;
            stepLoads.push_back(std::move(l));
            stepDropped.push_back(countLoads ? double(st.dropped) : 0.0);
        }
        bool syncedStop = false, syncedBudget = false;
        double syncedElapsed = elapsed();
        if (world > 1) {
            std::vector<double> stats{stepLoss, stepCe, stepBalance, tokens, syncedElapsed,
                                      budgetSeconds > 0 && syncedElapsed >= budgetSeconds ? 1.0 : 0.0,
                                      hooks.stopRequested && hooks.stopRequested() ? 1.0 : 0.0};
            for (std::size_t i = 0; i < stepLoads.size(); ++i) {
                stats.insert(stats.end(), stepLoads[i].begin(), stepLoads[i].end());
                stats.push_back(stepDropped[i]);
            }
            std::vector<torch::Tensor> packed{torch::tensor(stats, torch::kFloat64)};
            comm->allreduceSum(packed, "summing the step's loss and routing statistics");
            const double *v = packed[0].data_ptr<double>();
            stepLoss = v[0];
            stepCe = v[1];
            stepBalance = v[2];
            tokens = v[3];
            syncedElapsed = v[4] / double(world);   // one clock for the schedule on every rank
            syncedBudget = v[5] > 0 && step < total;
            syncedStop = syncedBudget || v[6] > 0;
            std::size_t k = 7;
            for (std::size_t i = 0; i < stepLoads.size(); ++i) {
                for (double &l : stepLoads[i])
                    l = v[k++];
                stepDropped[i] = v[k++];
            }
            const auto usage = comm->takeUsage();
            windowComm += usage.seconds;
            windowBytes += double(usage.bytes);
            windowExchange += usage.exchangeSeconds;
            windowExchangeBytes += double(usage.exchangeBytes);
        }
        // The share of the run done: of the planned steps, or of the time budget when larger.
        double done = double(step) / double(total);
        if (budgetSeconds > 0)
            done = std::max(done, (world > 1 ? syncedElapsed : elapsed()) / budgetSeconds);
        const double gradNorm = optimizer->step(step, done);
        optimizer->zeroGrad();

        window.steps += 1;
        window.loss += stepLoss;
        window.ce += stepCe;
        window.balance += stepBalance;
        window.gradNorm += gradNorm;
        window.tokens += tokens;
        windowTokens += tokens;
        if (window.layers.size() != out.perLayer.size()) {
            window.layers.clear();
            for (std::size_t i = 0; i < out.perLayer.size(); ++i)
                window.layers.push_back({layerName(out.perLayer[i]), std::vector<double>(stepLoads[i].size(), 0.0), 0});
        }
        for (std::size_t i = 0; i < out.perLayer.size(); ++i) {
            for (std::size_t e = 0; e < window.layers[i].load.size(); ++e)
                window.layers[i].load[e] += stepLoads[i][e];
            window.layers[i].dropped += stepDropped[i];
        }

        // Stop requests and the time budget are looked at before reporting, so that the
        // step a run ends at gets its report and a final dev evaluation.
        const bool budgetUsed = world > 1 ? syncedBudget : budgetSeconds > 0 && elapsed() >= budgetSeconds && step < total;
        bool stop = world > 1 ? syncedStop : budgetUsed || (hooks.stopRequested && hooks.stopRequested());
        TrainProgress progress;
        progress.step = step;
        progress.totalSteps = total;
        progress.rank = rank;
        bool report = false;
        if (step % logEvery == 0 || step == total || budgetUsed) {
            report = true;
            const double n = double(std::max<std::int64_t>(1, window.steps));
            progress.hasReport = true;
            progress.loss = window.loss / n;
            progress.ce = window.ce / n;
            progress.balance = window.balance / n;
            progress.gradNorm = window.gradNorm / n;
            progress.lr = optimizer->lastLearningRate();
            const double seconds = std::chrono::duration<double>(Clock::now() - windowStart).count();
            const std::int64_t stepsTimed = step - windowStartStep;
            progress.tokensPerSecond = seconds > 0 ? windowTokens / seconds : 0;
            progress.etaSeconds = stepsTimed > 0 ? seconds / double(stepsTimed) * double(total - step) : 0;
            if (budgetSeconds > 0)
                progress.etaSeconds = std::min(progress.etaSeconds, std::max(0.0, budgetSeconds - elapsed()));
            if (world > 1) {
                // Every rank's step and communication time, to every rank.
                const double steps = double(std::max<std::int64_t>(1, stepsTimed));
                constexpr int kPer = 6;   // per rank: step, communication, bytes, exchange time, exchange bytes, state held
                std::vector<double> mine(std::size_t(kPer * world + 2), 0.0);
                mine[std::size_t(kPer * rank)] = std::chrono::duration<double>(Clock::now() - windowStart).count() / steps;
                mine[std::size_t(kPer * rank + 1)] = windowComm / steps;
                mine[std::size_t(kPer * rank + 2)] = windowBytes / steps;
                mine[std::size_t(kPer * rank + 3)] = windowExchange / steps;
                mine[std::size_t(kPer * rank + 4)] = windowExchangeBytes / steps;
                mine[std::size_t(kPer * rank + 5)] = heldBytes;
                // Expert parallelism: the token copies that left their rank, of all dispatched.
                for (auto &ref : model->moeLayers()) {
                    const auto [moved, dispatched] = ref.moe->takeMovedCopies();
                    mine[std::size_t(kPer * world)] += double(moved);
                    mine[std::size_t(kPer * world + 1)] += double(dispatched);
                }
                std::vector<torch::Tensor> packed{torch::tensor(mine, torch::kFloat64)};
                comm->allreduceSum(packed, "gathering the ranks' timings");
                comm->takeUsage();
                const double *v = packed[0].data_ptr<double>();
                for (int r = 0; r < world; ++r)
                    progress.ranks.push_back({v[kPer * r], v[kPer * r + 1], v[kPer * r + 2], v[kPer * r + 3], v[kPer * r + 4],
                                              v[kPer * r + 5]});
                if (ts.expertParallel && v[kPer * world + 1] > 0)
                    progress.movedShare = v[kPer * world] / v[kPer * world + 1];
                windowComm = windowBytes = windowExchange = windowExchangeBytes = 0;
            }
            for (const auto &l : window.layers) {
                LayerLoad ll;
                ll.name = l.name;
                ll.entropy = countEntropy(l.load);
                double sum = 0, mx = 0;
                for (double v : l.load) {
                    sum += v;
                    mx = std::max(mx, v);
                }
                ll.maxLoad = mx / n;
                ll.meanLoad = l.load.empty() ? 0 : sum / double(l.load.size()) / n;
                ll.droppedFraction = sum + l.dropped > 0 ? l.dropped / (sum + l.dropped) : 0;
                progress.layers.push_back(ll);
            }
            window.clear();
            windowStart = Clock::now();
            windowStartStep = step;
            windowTokens = 0;
        }
        const bool devDue = devDue0 && (step % evalEvery == 0 || step == total || stop);
        if (devDue) {
            report = true;
            withWholeExperts([&] {
                if (lead)
                    devEvaluation(progress);
            });
        }
        progress.elapsedSeconds = elapsed();
        if (report && hooks.progress && !hooks.progress(progress) && lead)
            stop = true;
        if (report && world > 1) {
            // Rank 0's progress hook may stop the run (a cancel through the store): all ranks follow.
            torch::Tensor flag = torch::tensor({stop ? 1.0 : 0.0}, torch::kFloat64);
            comm->broadcast(flag, 0, "agreeing on stopping");
            comm->takeUsage();
            stop = flag.item<double>() > 0;
        }
        if (stop || step % checkpointEvery == 0 || step == total) {
            writeCheckpoint(step);
            lastCheckpointStep = step;
        }
        if (stop) {
            result.stopped = step < total && !budgetUsed;
            result.budgetUsed = budgetUsed;
            break;
        }
    }
    if (lastCheckpointStep != step)
        writeCheckpoint(step);
    result.lastStep = step;
    return result;
}

} // namespace taskmoe::core
