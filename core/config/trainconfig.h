#pragma once
/// The configuration of a training run: one JSON document with the sections "data", "model"
/// and "train" (plus an optional top-level "description" and "preset"), its parser with
/// messages that name the source, the key and the problem, `--set key=value` overrides, the
/// canonical JSON form stored with every run, and the presets shipped as JSON files.
/// No Qt and no LibTorch here.
#include "core/config/model_options.h"

#include <cstdint>
#include <string>
#include <vector>

namespace taskmoe::core {

/// Which sentences the run trains on ("data" section).
struct DataConfig
{
    std::int64_t dataset = 0;           ///< store id of the dataset; 0 = the store's synthetic dataset
    double temperature = 5.0;           ///< pair sampling temperature T (p ∝ n^(1/T)); > 0
    std::int64_t vocabulary = 0;        ///< store id of the SentencePiece vocabulary; 0 = latest for the dataset
    std::int64_t maxLength = 128;       ///< longer sentence pairs (in pieces) are skipped; ≤ model.max_length
    std::string directions = "both";    ///< "en-xx", "xx-en" or "both"
    /// With dataset 0, which corpus: "quick" or "full" (the newest synthetic corpus generated
    /// with that profile), "gettext" (the newest gettext import), each made on first use when the
    /// store has none; "" for the newest synthetic corpus of any profile.
    std::string corpus;

    bool operator==(const DataConfig &other) const;
    bool operator!=(const DataConfig &other) const { return !(*this == other); }
};

/// How the run trains ("train" section).
struct TrainSettings
{
    std::int64_t steps = 1000;          ///< optimiser updates; ≥ 1
    std::int64_t batchTokens = 4096;    ///< target tokens (source + target) per batch; ≥ 1
    std::string optimizer = "adafactor"; ///< "adafactor" or "adam"
    double lr = 1e-3;                   ///< peak learning rate; > 0
    std::int64_t warmup = 100;          ///< linear warm-up steps; ≥ 0
    std::int64_t logEvery = 10;         ///< print / store training metrics every N steps
    std::int64_t evalEvery = 100;       ///< dev cross-entropy every N steps
    std::int64_t checkpointEvery = 250; ///< write a resumable checkpoint every N steps
    std::uint64_t seed = 1;             ///< seeds data order, initialisation and dropout
    double clipNorm = 1.0;              ///< global gradient-norm clipping; 0 = off
    /// Learning-rate schedule after warm-up: "rsqrt", "linear" or "cosine" (decaying to 0 at the
    /// end of train.steps or of train.max_minutes, whichever comes first).
    std::string schedule = "rsqrt";
    /// Wall-clock budget in minutes: the run ends like a cancel (dev evaluation, checkpoint) and
    /// finishes when it is used up; 0 = none (the key is absent). Given, it must be > 0.
    double maxMinutes = 0;
    /// Greedy dev BLEU at every dev evaluation over the first N dev sentences of each direction
    /// (metrics dev_bleu and dev_bleu.<pair>); 0 = off.
    std::int64_t devBleuSentences = 20;
    /// Word-level knowledge distillation: the target distribution is (1 − α) · the (smoothed)
    /// reference + α · the teacher's distribution, computed on the fly for every batch. 0 = off
    /// (the key is absent); > 0 needs train.teacher.
    double distillAlpha = 0;
    /// The teacher's model file (a checkpoint of the teacher run); "" = none (the key is absent).
    std::string teacher;
    /// Sequence-level distillation: the targets of the first N training sentences of each
    /// direction are replaced by the teacher's beam-4 translations before training; 0 = off.
    std::int64_t sequenceDistill = 0;
    /// Runs on several processes (taskmoe train --nproc N): 1 = expert parallelism besides the
    /// data parallelism (each rank holds and computes E/N experts of every token-routed MoE
    /// layer; token copies travel to their expert's rank); 0 = every rank computes every expert
    /// (the key is absent).
    std::int64_t expertParallel = 0;
    /// Expert parallelism: 1 = task-routed layers keep E/N experts per rank too (a task's copies
    /// whose expert is elsewhere travel; its sentences go where most of its experts are); 0 =
    /// they keep every expert, so nothing travels (the key is absent).
    std::int64_t shardTaskExperts = 0;
    /// Runs on several processes: 1 = the gradient sums start while the backward pass still runs
    /// (the default; the key is absent); 0 = they start after it (to measure what overlapping saves).
    std::int64_t overlapGradients = 1;

    bool operator==(const TrainSettings &other) const;
    bool operator!=(const TrainSettings &other) const { return !(*this == other); }
};

/// A whole training configuration.
struct TrainConfig
{
    DataConfig data;
    ModelOptions model;
    TrainSettings train;
    std::string preset;                 ///< the preset it started from, "" when none
    std::string description;            ///< free text (presets state their time budget here)

    /// Compares every field (the model through its canonical JSON form).
    bool operator==(const TrainConfig &other) const;
    bool operator!=(const TrainConfig &other) const { return !(*this == other); }
};

/// What training a configuration needs in memory, estimated from its sizes before anything
/// is allocated (within a factor of about 1.5 of the resident size measured here).
struct MemoryEstimate
{
    std::int64_t parameters = 0;        ///< all weights (experts included)
    std::int64_t parameterBytes = 0;    ///< weights, gradients and optimiser state
    std::int64_t activationBytes = 0;   ///< what one batch keeps for the backward pass
    std::int64_t baseBytes = 0;         ///< the process itself (libraries, data, caches)
    std::int64_t total() const { return parameterBytes + activationBytes + baseBytes; }
};
MemoryEstimate estimateTrainingMemory(const TrainConfig &config);

/// Parses and validates a configuration document; fields that are absent keep their defaults.
/// `sourceName` (a path, "--config", …) starts every message. Throws InputError:
///   malformed JSON   "SOURCE: line L, column C: <what>"
///   unknown key      "SOURCE: unknown key 'train.stpes'; did you mean 'train.steps'?"
///   wrong type       "SOURCE: train.steps must be an integer (got \"x\")"
///   out of range     "SOURCE: train.lr must be greater than 0 (got 0)", then ModelOptions::validate().
/// "model.layers" sets encoder_layers and decoder_layers, "model.moe_every" sets
/// encoder_moe_every and decoder_moe_every; a per-side key present as well wins for its side.
TrainConfig parseTrainConfig(const std::string &jsonText, const std::string &sourceName);

/// Applies one `--set key=value` assignment ("model.experts=32", "train.lr=0.001",
/// "model.decoder_routing=task:target"). The value is read as JSON when it parses as JSON,
/// else as a bare string. The whole configuration is checked again, so `config` is changed
/// only when the result is valid. Throws InputError naming the assignment.
void applyOverride(TrainConfig &config, const std::string &assignment);

/// The canonical, complete document: every key with its resolved value (no aliases), in a
/// fixed order. parseTrainConfig(trainConfigToJson(c), …) == c. `indent` −1 gives one line.
std::string trainConfigToJson(const TrainConfig &config, int indent = 2);

/// $TASKMOE_PRESETS when set; else <folder of the executable>/../share/taskmoe/presets when
/// it exists; else the source tree's resources/presets (compile-time default).
std::string defaultPresetDir();

/// Reads `<presetDir>/<name>.json`; the result's `preset` is `name`. An unknown name throws
/// InputError listing the available presets.
TrainConfig loadPreset(const std::string &name, const std::string &presetDir = defaultPresetDir());
/// Preset names (file names without ".json") in `presetDir`, sorted; empty when it is missing.
std::vector<std::string> listPresets(const std::string &presetDir = defaultPresetDir());

} // namespace taskmoe::core
