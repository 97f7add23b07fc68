#pragma once
/// The synthetic multilingual corpus: the embedded default that always works offline.
///
/// A base language ("en", English words from a small grammar) and derived languages grouped
/// in families. Every sentence is first generated as an abstract clause (subject, verb,
/// object, modifiers, tense, number) and then rendered by each language's grammar: related
/// languages share most of their lexicon (derived from a common family root by a few sound
/// changes) and their word order; unrelated ones differ in script, morphology (case and
/// agreement suffixes, articles or none) and order (SVO, SOV, VSO; prepositions or
/// postpositions; adjective before or after the noun). Sizes are deliberately imbalanced.
/// Everything is deterministic from the seed.
#include "core/data/corpus.h"

#include <cstdint>
#include <string>
#include <vector>

namespace taskmoe::core {

struct SynthOptions
{
    std::uint64_t seed = 1;              ///< same seed, same corpus, byte for byte
    std::size_t largestPair = 24000;     ///< sentences of the largest pair (others scale down),
                                         ///< not counting the multi-way sentences added to every pair
    double imbalance = 24.0;             ///< largest ÷ smallest pair size (≥ 1)
    std::size_t multiwaySentences = 400; ///< sentences rendered in every language (aligned set)
    std::size_t minTokens = 5;           ///< English sentence length bounds, in words
    std::size_t maxTokens = 30;
    /// Derived languages to generate (codes, see syntheticLanguageCodes()); empty = all 14.
    /// Pair sizes follow the fixed size order of the full corpus among the chosen ones.
    std::vector<std::string> languages;
    /// Share (0, 1] of the open-class lemmas (nouns per semantic class, verbs, adjectives,
    /// adverbs) sentences may use; the commonest come first. 1 = the whole lexicon (≈ 360 lemmas).
    double lexicon = 1.0;

    /// Throws std::invalid_argument naming the field when a value cannot work.
    void validate() const;

    /// The quick profile: 6 languages in 3 families (es/ca, ru/uk, de, ja), about a third of the
    /// lexicon, 3–14 words, 12,000 sentences in the largest pair — sized so that small models
    /// translate it after minutes of training on 2 cores. The defaults are the full profile.
    static SynthOptions quick();
};

/// Codes of the derived languages the generator knows, largest pair first.
std::vector<std::string> syntheticLanguageCodes();

/// Generates the corpus: one en → xx pair per derived language. The multi-way sentences are
/// included in every pair (same English text), so splitCorpus() finds them as the aligned set.
Corpus generateSynthetic(const SynthOptions &options);

} // namespace taskmoe::core
