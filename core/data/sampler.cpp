#include "core/data/sampler.h"

#include "core/base/errors.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace taskmoe::core {

namespace {

/// Uniform integer in [0, n) from one 64-bit draw (multiply-shift; the same on every
/// platform, unlike std::uniform_int_distribution).
std::uint64_t below(std::mt19937_64 &rng, std::uint64_t n)
{
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(rng()) * n) >> 64);
}

double unit(std::mt19937_64 &rng)
{
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b)
{
    std::uint64_t x = a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e019ULL;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 29;
    return x;
}

constexpr const char *kStateMagic = "taskmoe-sampler-state 1";

} // namespace

std::vector<double> temperatureProbabilities(const std::vector<std::size_t> &sizes, double temperature)
{
    if (!(temperature > 0))
        throw std::invalid_argument("temperature must be > 0, got " + std::to_string(temperature));
    const double total = std::accumulate(sizes.begin(), sizes.end(), 0.0);
    std::vector<double> q(sizes.size(), 0.0);
    if (total <= 0)
        return q;
    double sum = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        q[i] = sizes[i] == 0 ? 0.0 : std::pow(double(sizes[i]) / total, 1.0 / temperature);
        sum += q[i];
    }
    for (double &v : q)
        v /= sum;
    return q;
}

void SamplerOptions::validate() const
{
    if (!(temperature > 0) || !std::isfinite(temperature))
        throw std::invalid_argument("temperature must be a positive number, got " + std::to_string(temperature));
    if (batchTokens < 1)
        throw std::invalid_argument("batchTokens must be at least 1");
    if (poolBatches < 1)
        throw std::invalid_argument("poolBatches must be at least 1");
}

TemperatureSampler::TemperatureSampler(std::vector<std::vector<std::uint32_t>> lengths, SamplerOptions options)
    : m_lengths(std::move(lengths)), m_options(options), m_rng(options.seed)
{
    m_options.validate();
    if (m_lengths.empty())
        throw std::invalid_argument("the sampler needs at least one task");
    std::vector<std::size_t> sizes;
    for (std::size_t t = 0; t < m_lengths.size(); ++t) {
        if (m_lengths[t].empty())
            throw std::invalid_argument("task " + std::to_string(t) + " has no examples");
        sizes.push_back(m_lengths[t].size());
    }
    m_probabilities = temperatureProbabilities(sizes, m_options.temperature);
    m_cumulative.resize(m_probabilities.size());
    std::partial_sum(m_probabilities.begin(), m_probabilities.end(), m_cumulative.begin());
    m_cumulative.back() = 1.0;
    m_order.resize(m_lengths.size());
    m_position.assign(m_lengths.size(), 0);
    m_epoch.assign(m_lengths.size(), 0);
    for (std::uint32_t t = 0; t < m_lengths.size(); ++t)
        reshuffle(t);
}

void TemperatureSampler::reshuffle(std::uint32_t task)
{
    // The order of a pass depends only on (seed, task, epoch), so a saved state needs no
    // permutation: it is recomputed on restore.
    auto &order = m_order[task];
    order.resize(m_lengths[task].size());
    std::iota(order.begin(), order.end(), 0u);
    std::mt19937_64 local(mix(mix(m_options.seed, task), m_epoch[task]));
    for (std::size_t i = order.size(); i > 1; --i)
        std::swap(order[i - 1], order[below(local, i)]);
}

std::uint32_t TemperatureSampler::sampleTask()
{
    const double u = unit(m_rng);
    const auto it = std::upper_bound(m_cumulative.begin(), m_cumulative.end(), u);
    return static_cast<std::uint32_t>(std::min<std::size_t>(it - m_cumulative.begin(), m_cumulative.size() - 1));
}

ExampleRef TemperatureSampler::drawExample()
{
    const std::uint32_t t = sampleTask();
    if (m_position[t] >= m_order[t].size()) {
        ++m_epoch[t];
        m_position[t] = 0;
        reshuffle(t);
    }
    return {t, m_order[t][m_position[t]++]};
}

void TemperatureSampler::refill()
{
    // Draw a pool worth `poolBatches` batches, sort it by length, cut it into batches.
    std::vector<ExampleRef> pool;
    std::size_t tokens = 0;
    const std::size_t wanted = m_options.poolBatches * m_options.batchTokens;
    while (tokens < wanted) {
        const ExampleRef e = drawExample();
        tokens += std::max<std::uint32_t>(1, m_lengths[e.task][e.index]);
        pool.push_back(e);
    }
    const auto len = [this](const ExampleRef &e) { return m_lengths[e.task][e.index]; };
    std::stable_sort(pool.begin(), pool.end(), [&](const ExampleRef &a, const ExampleRef &b) { return len(a) < len(b); });
    std::vector<Batch> batches;
    Batch current;
    for (const ExampleRef &e : pool) {
        const std::size_t longest = std::max<std::size_t>(current.maxLength, len(e));
        if (!current.examples.empty() && longest * (current.examples.size() + 1) > m_options.batchTokens) {
            batches.push_back(std::move(current));
            current = Batch{};
        }
        current.examples.push_back(e);
        current.maxLength = std::max<std::size_t>(current.maxLength, len(e));
    }
    if (!current.examples.empty())
        batches.push_back(std::move(current));
    for (std::size_t i = batches.size(); i > 1; --i)
        std::swap(batches[i - 1], batches[below(m_rng, i)]);
    m_pending = std::move(batches);
}

Batch TemperatureSampler::next()
{
    if (m_pending.empty())
        refill();
    Batch b = std::move(m_pending.back());
    m_pending.pop_back();
    return b;
}

std::string TemperatureSampler::saveState() const
{
    std::ostringstream out;
    out << kStateMagic << '\n' << m_lengths.size();
    for (const auto &l : m_lengths)
        out << ' ' << l.size();
    out << '\n' << m_rng << '\n';
    for (std::size_t t = 0; t < m_lengths.size(); ++t)
        out << m_epoch[t] << ' ' << m_position[t] << '\n';
    out << m_pending.size() << '\n';
    for (const Batch &b : m_pending) {
        out << b.maxLength << ' ' << b.examples.size();
        for (const ExampleRef &e : b.examples)
            out << ' ' << e.task << ' ' << e.index;
        out << '\n';
    }
    return out.str();
}

void TemperatureSampler::restoreState(const std::string &state)
{
    const auto bad = [](const std::string &what) { return InputError("sampler state: " + what); };
    std::istringstream in(state);
    std::string magic;
    std::getline(in, magic);
    if (magic != kStateMagic)
        throw bad("not a sampler state (first line '" + magic.substr(0, 40) + "')");
    std::size_t tasks = 0;
    if (!(in >> tasks) || tasks != m_lengths.size())
        throw bad("it was saved for " + std::to_string(tasks) + " tasks, this corpus has " + std::to_string(m_lengths.size()));
    for (std::size_t t = 0; t < tasks; ++t) {
        std::size_t n = 0;
        if (!(in >> n) || n != m_lengths[t].size())
            throw bad("task " + std::to_string(t) + " had " + std::to_string(n) + " examples, now "
                      + std::to_string(m_lengths[t].size()) + ": a different corpus");
    }
    std::mt19937_64 rng;
    if (!(in >> rng))
        throw bad("the random generator state is malformed");
    std::vector<std::uint64_t> epoch(tasks), position(tasks);
    for (std::size_t t = 0; t < tasks; ++t)
        if (!(in >> epoch[t] >> position[t]) || position[t] > m_lengths[t].size())
            throw bad("the position of task " + std::to_string(t) + " is malformed");
    std::size_t pendingCount = 0;
    if (!(in >> pendingCount))
        throw bad("the pending batch count is missing");
    // Counts come from the text: grow the vectors as entries are read, never by a count
    // (a corrupt count would otherwise ask for exabytes before any check could run).
    std::vector<Batch> pending;
    for (std::size_t k = 0; k < pendingCount; ++k) {
        Batch b;
        std::size_t n = 0;
        if (!(in >> b.maxLength >> n) || n == 0)
            throw bad("pending batch " + std::to_string(k) + " is malformed or missing");
        for (std::size_t i = 0; i < n; ++i) {
            ExampleRef e;
            if (!(in >> e.task >> e.index) || e.task >= tasks || e.index >= m_lengths[e.task].size())
                throw bad("pending batch " + std::to_string(k) + " refers to an example outside the corpus");
            b.examples.push_back(e);
        }
        pending.push_back(std::move(b));
    }
    // Everything parsed: commit.
    m_rng = rng;
    m_epoch = std::move(epoch);
    m_position = std::move(position);
    m_pending = std::move(pending);
    for (std::uint32_t t = 0; t < tasks; ++t)
        reshuffle(t);
}

} // namespace taskmoe::core
