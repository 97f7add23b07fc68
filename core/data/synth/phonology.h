#pragma once
/// Families, their phonologies and proto-language roots, sound changes, Turkish vowel harmony.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>
#include "core/data/synth/english.h"

namespace taskmoe::core::synth {

// =============================================================================================
// Families, phonologies and roots
// =============================================================================================

enum class Family : std::uint8_t { Romance, Germanic, Slavic, Altaic, Greek };
constexpr int kFamilyCount = 5;

const char *familyName(Family f);

/// A random root of the family's phonology; longer by `extraSyllables` (retries after a clash).
std::string makeRoot(Rng &rng, Family family, Pos pos, int extraSyllables = 0);

/// The proto-language of a family: one root per concept, grammatical gender of nouns,
/// theme vowel of verbs (Romance).
struct FamilyLexicon
{
    Family family = Family::Romance;
    std::vector<std::string> roots;
    std::vector<std::uint8_t> gender; ///< nouns: 0 masculine/common, 1 feminine, 2 neuter
    std::vector<char> theme;          ///< verbs: theme vowel (Romance)
};

/// Languages are the same for every corpus seed: only the sentences depend on the seed.
constexpr std::uint64_t kLexiconSeed = 0x5eed7a5c3fULL;

FamilyLexicon buildFamily(Family family);

// =============================================================================================
// Sound changes
// =============================================================================================

enum class Where : std::uint8_t {
    Anywhere,
    Start,               ///< at the start of the word
    StartBeforeVowel,    ///< at the start of the word, before a vowel
    End,                 ///< at the end of the word
    BetweenVowels,
    FirstVowel,          ///< the first vowel of the word (stressed syllable)
    BetweenConsonants,
    FinalAfterVowel,     ///< at the end, after a vowel
    BeforeFinalConsonant ///< followed by exactly one consonant that ends the word
};

struct SoundChange
{
    std::string_view from;
    std::string_view to;
    Where where;
    bool contentOnly = false; ///< leave function words alone
};

inline bool isVowelIn(char c, std::string_view vowels) { return c != 0 && vowels.find(c) != std::string_view::npos; }

std::string applySoundChange(const std::string &word, const SoundChange &change, std::string_view vowels);

// ---- Turkish vowel harmony ------------------------------------------------------------------
// Internal Turkish letters: I = ı, O = ö, U = ü, C = ç, S = ş, G = ğ. In suffix templates
// A = a/e, H = ı/i/u/ü, D = d/t, "(y)" a buffer consonant after a vowel, "[H]" a buffer
// vowel after a consonant.

bool trVowel(char c);
/// Makes a root harmonic: later vowels follow the backness of the first.
void harmonizeRoot(std::string &w);
/// Appends a suffix template (A, H, D, "(y)", "[H]") in harmony with the word.
void appendHarmonic(std::string &w, std::string_view suffix);

} // namespace taskmoe::core::synth
