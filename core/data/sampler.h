#pragma once
/// Temperature sampling over language pairs and token-count batching.
///
/// A pair L with n_L training examples is drawn with probability q_L ∝ p_L^(1/T), where
/// p_L = n_L / Σ n (T = 1: proportional; T → ∞: uniform; the paper uses T = 5). Within a pair,
/// examples come in a seeded random order that is reshuffled each time the pair is exhausted.
/// Drawn examples fill a pool that is sorted by length and cut into batches of at most
/// `batchTokens` padded tokens (length bucketing); the batches leave in a shuffled order.
/// The whole state can be saved to a string and restored, so that a resumed training run
/// continues the exact same stream.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace taskmoe::core {

/// Sampling probabilities q_L ∝ (n_L / Σn)^(1/T) for the given sizes.
std::vector<double> temperatureProbabilities(const std::vector<std::size_t> &sizes, double temperature);

struct SamplerOptions
{
    double temperature = 5.0;       ///< T in p^(1/T); must be > 0
    std::size_t batchTokens = 4096; ///< padded tokens per batch: max length × examples
    std::size_t poolBatches = 64;   ///< batches' worth of examples sorted together
    std::uint64_t seed = 1;
    void validate() const;          ///< throws std::invalid_argument naming the field
};

/// One example reference: which task (pair) and which example within it.
struct ExampleRef
{
    std::uint32_t task = 0;
    std::uint32_t index = 0;
    bool operator==(const ExampleRef &o) const { return task == o.task && index == o.index; }
};

struct Batch
{
    std::vector<ExampleRef> examples;
    std::size_t maxLength = 0;  ///< longest example of the batch, in tokens
};

class TemperatureSampler
{
public:
    /// `lengths[t][i]` is the length in tokens of example i of task t (e.g. the longer of
    /// source and target). Every task needs at least one example.
    TemperatureSampler(std::vector<std::vector<std::uint32_t>> lengths, SamplerOptions options);

    /// Draws one task index from q.
    std::uint32_t sampleTask();
    /// The next batch of the stream.
    Batch next();

    const std::vector<double> &probabilities() const { return m_probabilities; }
    std::size_t taskCount() const { return m_lengths.size(); }

    /// The complete state (RNG, per-task order and position, pending batches) as text.
    std::string saveState() const;
    /// Restores a state saved by a sampler built with the same lengths and options; throws
    /// InputError when the state is malformed or belongs to a different corpus.
    void restoreState(const std::string &state);

private:
    ExampleRef drawExample();
    void refill();
    void reshuffle(std::uint32_t task);

    std::vector<std::vector<std::uint32_t>> m_lengths;
    SamplerOptions m_options;
    std::vector<double> m_probabilities;
    std::vector<double> m_cumulative;
    std::mt19937_64 m_rng;
    std::vector<std::vector<std::uint32_t>> m_order;  ///< current permutation per task
    std::vector<std::uint64_t> m_position;            ///< next index into m_order per task
    std::vector<std::uint64_t> m_epoch;               ///< completed passes per task
    std::vector<Batch> m_pending;                     ///< batches not yet handed out (back first)
};

} // namespace taskmoe::core
