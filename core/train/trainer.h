#pragma once
/// The core training loop: batches from the temperature sampler, forward / backward /
/// optimiser step, progress every train.log_every steps, dev loss and a small greedy dev BLEU
/// every train.eval_every steps, and resumable checkpoints (model file + state file) every
/// train.checkpoint_every steps, at the end, when a stop is requested and when the time budget
/// (train.max_minutes) is used up — each of the last three after a final dev evaluation.
///
/// Resuming reproduces an uninterrupted run exactly (the model, optimiser, sampler and random
/// state, and every value logged at the steps an uninterrupted run logs; the step a run was
/// stopped at has a dev evaluation of its own besides), except where wall time steers it: a time
/// budget ends the run when the summed training time of all its processes reaches it, and a
/// decaying schedule follows the share of the budget used.
///
/// A checkpoint at step N is two files in the checkpoint folder:
///   step-NNNNNN.tmf    the model (core/modelfile.h), metadata {"step": N}
///   step-NNNNNN.state  step, optimiser state, sampler state, LibTorch's CPU generator state,
///                      the progress window and the model file's name, size and SHA-256
/// Both are written to a temporary name and renamed, the model first. Resuming from a state
/// file continues at step N + 1 and reproduces the losses of an uninterrupted run exactly.
///
/// Distillation (train.teacher): the teacher's model file is loaded and checked against the
/// student's vocabulary and task table; with train.sequence_distill, the first N training
/// targets of each direction become the teacher's beam-4 translations (made again, identically,
/// on resume); with train.distill_alpha = α the loss is (1 − α) · the label-smoothed
/// cross-entropy + α · the cross-entropy against the teacher's per-token distribution (computed
/// without a capacity limit and without gradients) + the MoE auxiliary losses.
/// No LibTorch in this header.
#include "core/config/model_options.h"
#include "core/config/trainconfig.h"
#include "core/decoding/decoding.h"   // LayerCounts

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace taskmoe::core {

struct TrainExample
{
    std::vector<std::int32_t> src;  ///< <2xx> first, then the source pieces (as the model sees them)
    std::vector<std::int32_t> tgt;  ///< target pieces only, no BOS / EOS
};

struct TrainTask
{
    std::string name;               ///< "en-de"
    int targetLang = 0;             ///< target-language task id (index into TaskTable::languages)
    int pair = 0;                   ///< pair task id (index into TaskTable::pairs)
    std::vector<TrainExample> examples;
    /// Dev tasks: the reference text of examples[i] for dev BLEU (may be shorter than examples
    /// or empty: then the reference is the target pieces decoded by the vocabulary).
    std::vector<std::string> references;
};

struct TrainData
{
    TaskTable tasks;                ///< stored in every checkpoint's model file
    std::vector<TrainTask> train;   ///< each needs at least one example
    std::vector<TrainTask> dev;     ///< may be empty (then no dev loss)
    std::string sentencePiece;      ///< serialised SentencePiece model to embed in checkpoints; may be empty
};

/// Routing statistics of one MoE layer over the last logging window.
struct LayerLoad
{
    std::string name;               ///< "enc.1" / "dec.3" (layer index within its side)
    double entropy = 0;             ///< entropy (nats) of the expert-load distribution
    double maxLoad = 0;             ///< token copies per step of the busiest expert
    double meanLoad = 0;            ///< token copies per step per expert (maxLoad / meanLoad = imbalance)
    double droppedFraction = 0;     ///< dropped token copies / (tokens · top_k)
};

/// One rank's share of the training steps since the previous report (data-parallel runs).
struct RankTiming
{
    double stepSeconds = 0;         ///< wall time per step
    double commSeconds = 0;         ///< of which in collectives (gradients, statistics)
    double bytesPerStep = 0;        ///< bytes this rank sent per step
    double exchangeSeconds = 0;     ///< of commSeconds, in the MoE layers' token exchanges
    double exchangeBytesPerStep = 0;///< of bytesPerStep, token copies and their gradients
    double stateBytes = 0;          ///< parameters and optimiser state this rank holds
};

struct TrainProgress
{
    std::int64_t step = 0, totalSteps = 0;
    /// Means over the steps since the previous report: loss (what is minimised), label-smoothed
    /// cross-entropy, balance loss, gradient norm before clipping; lr of the last step.
    double loss = 0, ce = 0, balance = 0, lr = 0, gradNorm = 0;
    double tokensPerSecond = 0;     ///< source + target tokens (non-padding) per second
    double etaSeconds = 0;
    std::vector<LayerLoad> layers;  ///< per MoE layer, encoder first
    bool hasReport = false;         ///< the training values above are set (a log_every step)
    bool hasDev = false;
    double devLoss = 0;             ///< mean token-level NLL over the dev set (no smoothing)
    /// With hasDev and train.dev_bleu_sentences > 0: greedy BLEU (SacreBLEU 13a) of the dev sample,
    /// the mean over directions and per direction ("en-de"); NaN when not computed.
    double devBleu = 0;
    std::vector<std::pair<std::string, double>> devBleuTasks;
    /// With dev BLEU on a model with MoE layers: where the dev sample's tokens went in every MoE
    /// layer while it was translated (rows: the pairs of TrainData::tasks), as `taskmoe eval`
    /// records it for the test split.
    std::vector<LayerCounts> devRouting;
    double devSeconds = 0;          ///< wall time of this dev evaluation (loss + BLEU)
    /// Data-parallel runs, with hasReport: every rank's timing (rank order), the same on every rank.
    std::vector<RankTiming> ranks;
    int rank = 0;                   ///< the rank reporting (0 alone has dev evaluations)
    /// Expert parallelism: the share of token copies sent to another rank's experts; −1 without.
    double movedShare = -1;
    double elapsedSeconds = 0;      ///< wall time of the run so far (across resumes)
};

struct CheckpointInfo
{
    std::int64_t step = 0;
    std::string modelPath, statePath;
    std::string modelSha256;
    std::int64_t modelBytes = 0;
};

struct TrainHooks
{
    /// Every train.log_every steps and at dev evaluations; return false to stop (after a checkpoint).
    std::function<bool(const TrainProgress &)> progress;
    /// After each checkpoint's files are in place.
    std::function<void(const CheckpointInfo &)> checkpoint;
    /// Polled after every step (e.g. a SIGTERM flag): when true, checkpoint and stop.
    std::function<bool()> stopRequested;
};

struct TrainResult
{
    std::int64_t lastStep = 0;
    bool stopped = false;           ///< ended before train.steps (stop request or progress returned false)
    bool budgetUsed = false;        ///< ended before train.steps because train.max_minutes was used up
    std::string lastCheckpointModel, lastCheckpointState;
    double lastDevLoss = 0;         ///< NaN when there was no dev evaluation
};

/// Trains as `config` says on `data`, writing checkpoints into `checkpointDir` (created when
/// missing). With `resumeStatePath` non-empty, continues the run that wrote that state file:
/// the model file it names must have the recorded size and SHA-256 (else InputError naming
/// the file). Throws InputError for unusable data (no train task, an empty task, a task id
/// outside the model's table) or an unwritable checkpoint folder.
///
/// With `communicator` (a group of N processes, each calling train() with the same arguments):
/// data parallelism. Every rank draws the same global batch from the sampler and trains on its
/// share of the examples (every N-th); the losses are weighted by each share's target tokens
/// and the gradients summed over the ranks in buckets, so the update is the single process's
/// (up to the MoE capacity and balance loss, computed per share). Logged values are the global
/// ones; rank 0 alone evaluates on dev and writes checkpoints, which hold whole tensors — a run
/// resumes on any number of ranks. Stops (time budget, stop requests, a progress hook's `false`
/// on rank 0) are agreed on by all ranks at the same step. `progress` is called on every rank.
class Communicator;
TrainResult train(const TrainConfig &config, const TrainData &data, const std::string &checkpointDir,
                  const std::string &resumeStatePath, const TrainHooks &hooks, Communicator *communicator = nullptr);

/// "step-000042" for 42: the base name of a checkpoint's files.
std::string checkpointBaseName(std::int64_t step);

/// Reads the step recorded in a state file (checks its format and checksum only).
std::int64_t readCheckpointStep(const std::string &statePath);

/// Checks a checkpoint without loading it: the state file's format and checksum, and the size
/// and SHA-256 of the model file it names. Returns the step; throws InputError naming the
/// file that is wrong.
std::int64_t verifyCheckpoint(const std::string &statePath);

/// The state file of the newest checkpoint in `checkpointDir` that passes verifyCheckpoint()
/// (older ones are tried when a newer one is corrupt or truncated); "" when there is none.
/// `skipped` (may be null) receives one message per newer checkpoint that was passed over.
std::string latestGoodCheckpoint(const std::string &checkpointDir, std::vector<std::string> *skipped = nullptr);

} // namespace taskmoe::core
