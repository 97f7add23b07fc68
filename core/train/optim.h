#pragma once
/// Optimisers for training: Adafactor (Shazeer & Stern 2018, "Adafactor: Adaptive Learning
/// Rates with Sublinear Memory Cost") and Adam, global gradient-norm clipping, and the
/// learning-rate schedule (linear warm-up, then inverse square root decay).
///
/// Resuming a run must reproduce an uninterrupted one exactly, so the whole optimiser state is
/// saved as raw bytes (no text round trip) and checked against the parameters when loaded.
#include "core/model/torch.h"

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace taskmoe::core {

struct OptimizerOptions
{
    std::string kind = "adafactor"; ///< "adafactor" or "adam"
    /// Peak learning rate of the schedule (see learningRate). For Adafactor with relativeStep the
    /// scheduled value is a relative step: it is multiplied by max(1e-3, RMS(parameter)).
    double lr = 1e-3;
    std::int64_t warmup = 400;      ///< linear warm-up steps; 0 behaves like 1 (no warm-up)
    /// After warm-up: "rsqrt" (inverse square root of the step), or "linear" / "cosine" decay to 0
    /// over the run's progress (see learningRate), which a time budget can end early.
    std::string schedule = "rsqrt";
    bool relativeStep = true;       ///< Adafactor: scale the step by max(ε2, RMS(parameter))
    double beta1 = 0.0;             ///< Adafactor first-moment momentum; 0 = off (no state kept)
    double clipThreshold = 1.0;     ///< Adafactor update clipping d: RMS(update) ≤ d
    double adamBeta1 = 0.9;         ///< Adam first-moment decay
    double adamBeta2 = 0.98;        ///< Adam second-moment decay
    double adamEps = 1e-9;          ///< Adam denominator epsilon
    double weightDecay = 0;         ///< decoupled weight decay per unit step size; 0 = off
    double clipNorm = 1.0;          ///< global gradient-norm clipping threshold; 0 = off

    /// Throws std::invalid_argument naming the field, e.g.
    /// "train.optimizer must be adafactor or adam (got 'sgd')".
    void validate() const;
};

/// The learning rate at 1-based step `step`, with W = max(1, warmup), for the schedules:
///   rsqrt:   lr · step / W for step ≤ W (linear warm-up), then lr · sqrt(W / step)
///   linear:  lr · min(step / W, 1 − p)
///   cosine:  lr · min(step / W, (1 + cos(π p)) / 2)
/// where p ∈ [0, 1] is the share of the run done (`progress`: steps done ÷ planned steps, or the
/// share of a time budget used when that is larger; clamped). Steps below 1 are treated as step 1.
double learningRate(const OptimizerOptions &options, std::int64_t step, double progress = 0);

/// Parameters an optimiser updates, in a stable order, by name (the names are the keys of the
/// saved state): typically `module->named_parameters()`.
using NamedParameters = torch::OrderedDict<std::string, torch::Tensor>;

/// An optimiser over a fixed list of named parameters. Use:
///   auto opt = makeOptimizer(options, model->named_parameters());
///   for (step = 1; …; ++step) { opt->zeroGrad(); loss.backward(); double norm = opt->step(step); }
/// Parameters whose gradient is undefined at a step are skipped (their state is untouched).
class Optimizer
{
public:
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer &) = delete;
    Optimizer &operator=(const Optimizer &) = delete;

    const OptimizerOptions &options() const { return options_; }

    /// One update at 1-based training step `step`: computes the global L2 norm of all defined
    /// gradients, scales them in place to options().clipNorm when the norm exceeds it, then
    /// updates every parameter with the learning rate learningRate(options(), step). Returns
    /// the norm before clipping. When that norm is not finite (NaN/inf) nothing is updated.
    /// `progress` is the share of the run done, for the decaying schedules.
    double step(std::int64_t step, double progress = 0);
    /// The learning rate used by the last step() (0 before the first).
    double lastLearningRate() const { return lastLr_; }
    /// Sets every gradient to undefined.
    void zeroGrad();

    /// Writes the whole state (kind, per parameter: name, shape, update count and every state
    /// tensor as raw bytes) to `out`.
    void save(std::ostream &out) const;
    /// Replaces the state with one written by save(), reading exactly the bytes save() wrote
    /// (the state may be followed by other data in the stream). Everything is read and checked
    /// before anything changes; throws InputError on a different kind, different parameter names or
    /// shapes (naming the parameter and both shapes), or a truncated or corrupt stream.
    void load(std::istream &in);
    std::string saveToString() const;
    /// Like load(); also refuses bytes after the state.
    void loadFromString(const std::string &blob);

    /// Expert parallelism: parameter `name` now holds rows first … first+count−1 of its first
    /// dimension (`whole` rows in all, split over the ranks in equal blocks); its state is
    /// narrowed the same way. Values that need the whole tensor — the global gradient norm,
    /// Adafactor's RMS of the update and of the parameter — are then summed over the ranks
    /// with setSumOverRanks()'s function, which every rank calls in the same order.
    void shard(const std::string &name, std::int64_t first, std::int64_t count, std::int64_t whole);
    /// `sum` adds each value over the ranks, in place.
    void setSumOverRanks(std::function<void(std::vector<double> &)> sum);
    /// saveToString() with each sharded parameter's state tensors made whole by `whole` (a
    /// collective: every rank calls it, in the same order; the state is complete on the rank
    /// `whole` returns whole tensors on).
    std::string saveWholeToString(const std::function<torch::Tensor(const torch::Tensor &)> &whole) const;

    /// Bytes of every state tensor.
    double stateBytes() const;

    /// A state tensor by parameter and slot name (for tests and diagnostics), e.g. ("w", "row");
    /// an undefined tensor when absent.
    torch::Tensor stateTensor(const std::string &parameter, const std::string &slot) const;
    /// How many updates the parameter has received.
    std::int64_t updateCount(const std::string &parameter) const;

protected:
    using Slots = std::vector<std::pair<std::string, torch::Tensor>>;
    struct ParamState
    {
        std::string name;
        torch::Tensor param;
        std::int64_t count = 0; ///< updates applied to this parameter (t of the paper)
        Slots slots;            ///< state tensors, fixed names and shapes per parameter
        std::int64_t wholeRows = 0;   ///< sharded: rows of the whole parameter (0: not sharded)
    };

    Optimizer(std::string kindName, const OptimizerOptions &options, const NamedParameters &params);
    /// Fills every ParamState's slots with freshSlots(); call from the derived constructor.
    void initialiseState();
    /// Zero-initialised state tensors for one parameter.
    virtual Slots freshSlots(const torch::Tensor &param) const = 0;
    /// Applies one update (count already incremented) with learning rate lr; runs under NoGradGuard.
    virtual void update(ParamState &state, const torch::Tensor &grad, double lr) = 0;
    static torch::Tensor &slot(ParamState &state, const char *name);
    /// Root mean squares of `a` and `b` over the whole parameter (summed over the ranks when sharded).
    std::pair<torch::Tensor, torch::Tensor> wholeRms(const ParamState &state, const torch::Tensor &a, const torch::Tensor &b) const;

    OptimizerOptions options_;

private:
    /// Reads and checks a whole state (update count and slots per parameter) without changing anything.
    std::vector<std::pair<std::int64_t, Slots>> readState(std::istream &in) const;
    void commitState(std::vector<std::pair<std::int64_t, Slots>> loaded);
    void save(std::ostream &out, const std::function<torch::Tensor(const torch::Tensor &)> *whole) const;

    std::string kindName_;
    std::vector<ParamState> params_;
    double lastLr_ = 0;
    std::function<void(std::vector<double> &)> sumOverRanks_;
};

/// Adafactor as in Shazeer & Stern 2018 (Algorithms 4 and 5 with the options of section 7):
/// β̂2_t = 1 − t^(−0.8), ε1 = 1e-30 added to G², ε2 = 1e-3 floor of the parameter scale,
/// update clipping Û = U / max(1, RMS(U)/d), step size α_t = learningRate(t) · max(ε2, RMS(X_{t−1}))
/// with relative step (learningRate(t) alone otherwise) — with lr = 1e-2 and warmup = 10⁴ the
/// decay part equals the paper's ρ_t = min(1e-2, 1/√t). Parameters with ≥ 2 dimensions keep
/// factored second moments over their last two dimensions (slots "row" [..., a] and "col"
/// [..., b] for a parameter [..., a, b]; a 3-D expert tensor [E, a, b] is factored per expert);
/// 0-/1-D ones keep the full "v". With beta1 > 0 the scaled update goes through momentum "m".
class Adafactor final : public Optimizer
{
public:
    Adafactor(const OptimizerOptions &options, const NamedParameters &params);
    static constexpr double kEps1 = 1e-30;
    static constexpr double kEps2 = 1e-3;
    static constexpr double kDecayRate = 0.8;

protected:
    Slots freshSlots(const torch::Tensor &param) const override;
    void update(ParamState &state, const torch::Tensor &grad, double lr) override;
};

/// Adam (Kingma & Ba) with bias correction and decoupled weight decay (AdamW):
/// m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
/// X ← X·(1 − lr·wd) − lr · (m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + ε). Slots "m" and "v".
class Adam final : public Optimizer
{
public:
    Adam(const OptimizerOptions &options, const NamedParameters &params);

protected:
    Slots freshSlots(const torch::Tensor &param) const override;
    void update(ParamState &state, const torch::Tensor &grad, double lr) override;
};

/// Validates `options` and builds the optimiser it names.
std::unique_ptr<Optimizer> makeOptimizer(const OptimizerOptions &options, const NamedParameters &params);

} // namespace taskmoe::core
