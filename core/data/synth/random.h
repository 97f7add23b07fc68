#pragma once
/// Deterministic random numbers of the synthetic generator: the same on every standard library.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

namespace taskmoe::core::synth {

// =============================================================================================
// Deterministic random numbers
// =============================================================================================

inline std::uint64_t splitMix64(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// Seed of an independent stream `stream` derived from `seed`.
inline std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t stream)
{
    return splitMix64(splitMix64(seed) ^ splitMix64(stream * 0xd1342543de82ef95ULL + 1));
}

/// High 64 bits of the 128-bit product a × b.
inline std::uint64_t mulHigh(std::uint64_t a, std::uint64_t b)
{
    const std::uint64_t aLo = a & 0xffffffffULL, aHi = a >> 32;
    const std::uint64_t bLo = b & 0xffffffffULL, bHi = b >> 32;
    const std::uint64_t loLo = aLo * bLo;
    const std::uint64_t hiLo = aHi * bLo;
    const std::uint64_t loHi = aLo * bHi;
    const std::uint64_t cross = (loLo >> 32) + (hiLo & 0xffffffffULL) + loHi;
    return aHi * bHi + (hiLo >> 32) + (cross >> 32);
}

/// mt19937_64 (whose output the standard fixes) with our own mapping to ranges:
/// std::uniform_int_distribution and friends differ between standard libraries.
class Rng
{
public:
    explicit Rng(std::uint64_t seed) : m_engine(seed) {}

    /// Uniform in [0, n), n > 0 (multiply-shift; the bias is below 2^-40 for our n).
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(mulHigh(m_engine(), n)); }
    bool percent(unsigned p) { return below(100) < p; }
    /// Uniform in [0, 1) with 53 random bits.
    double unit() { return static_cast<double>(m_engine() >> 11) * (1.0 / 9007199254740992.0); }
    /// Index drawn with the given relative weights.
    std::size_t weighted(std::initializer_list<unsigned> weights)
    {
        unsigned total = 0;
        for (unsigned w : weights)
            total += w;
        std::size_t r = below(total), i = 0;
        for (unsigned w : weights) {
            if (r < w)
                return i;
            r -= w;
            ++i;
        }
        return weights.size() - 1;
    }
    template <typename T> const T &pick(const std::vector<T> &items) { return items[below(items.size())]; }

private:
    std::mt19937_64 m_engine;
};

} // namespace taskmoe::core::synth
