#pragma once
/// The derived languages: their specifications and lexicons.
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
#include "core/data/synth/phonology.h"
#include "core/data/synth/spelling.h"

namespace taskmoe::core::synth {

// =============================================================================================
// Languages
// =============================================================================================

struct LanguageSpec
{
    const char *code;
    const char *name;
    Family family;
    const char *script;
    Writing writing;
    int parent;              ///< index of the sister language the words derive from; -1: the family root
    unsigned replacePercent; ///< content words replaced outright by new roots
    std::vector<SoundChange> changes;
    bool harmony;            ///< Turkish vowel harmony of roots
    const char *adverbSuffix;
};

/// The 14 derived languages; parents come before their children.
const std::vector<LanguageSpec> &languageSpecs();

/// Pair sizes run from the largest down; families mix high and low resource.
constexpr const char *kSizeOrder[] = {"es", "ru", "de", "ja", "tr", "el", "pt", "ko", "nl", "it", "uk", "sv", "bg", "ca"};

std::string_view contextVowels(Family f);

struct Language
{
    const LanguageSpec *spec = nullptr;
    const FamilyLexicon *family = nullptr;
    std::vector<std::string> forms; ///< internal spelling, by concept
    std::unordered_map<std::string, std::string> spelled; ///< internal word → written word

    const std::string &word(int concept) const { return forms[static_cast<std::size_t>(concept)]; }
    int gender(int noun) const { return family->gender[static_cast<std::size_t>(kNounBase + noun)]; }
    Writing writing() const { return spec->writing; }

    const std::string &spell(const std::string &internal)
    {
        auto it = spelled.find(internal);
        if (it != spelled.end())
            return it->second;
        std::string written;
        switch (spec->writing) {
        case Writing::Spanish:
        case Writing::Catalan:
        case Writing::Portuguese:
        case Writing::Italian: written = romanceSpelling(internal, spec->writing); break;
        case Writing::German:
        case Writing::Dutch:
        case Writing::Swedish: written = germanicSpelling(internal); break;
        case Writing::Russian: written = transliterate(internal, russianLetters()); break;
        case Writing::Ukrainian: written = transliterate(internal, ukrainianLetters()); break;
        case Writing::Bulgarian: written = transliterate(internal, bulgarianLetters()); break;
        case Writing::Turkish: written = turkishSpelling(internal); break;
        case Writing::Japanese: written = kanaSpelling(internal); break;
        case Writing::Korean: written = hangulSpelling(internal); break;
        case Writing::Greek: written = greekSpelling(internal); break;
        }
        return spelled.emplace(internal, std::move(written)).first->second;
    }
};

std::string deriveWord(const std::string &base, const LanguageSpec &spec, bool content);
/// Builds the language's word for every concept from its parent's (or the family root's).
void buildLexicon(Language &lang, int specIndex, const std::vector<Language> &built);

} // namespace taskmoe::core::synth
