#include "core/data/synth/synth.h"

// The synthetic corpus in three stages:
//
//  1. An abstract sentence (clauses of subject, verb with tense and polarity, object,
//     prepositional phrase, adverb; noun phrases with determiner, numeral, adjectives) is
//     drawn from a seeded std::mt19937_64, grown until its English rendering reaches a
//     target length.
//  2. Lexicons: every English lemma gets one root per family, built from seeded random
//     syllables of the family's phonology (with a fixed seed, so the languages are the same
//     for every corpus seed); each language derives its words from the family root (or from
//     a sister language) by a few ordered sound changes and replaces a share of its content
//     words outright.
//  3. Rendering: one grammar per family (word order, articles, case, agreement, tense
//     morphology, pro-drop, clitics), parameterised per language, writes internal Latin
//     forms, and a per-language speller turns them into the language's orthography and
//     script (Cyrillic, Greek, kana, Hangul, Turkish letters, umlauts), memoised per word.
//
// The parts, in that order: random.h (seeded numbers, the same on every standard library),
// english.{h,cpp} (stage 1 and the concepts), phonology.{h,cpp} and languages.{h,cpp} (stage 2),
// spelling.{h,cpp}, grammar.h, grammar_*.cpp and render.cpp (stage 3), and this file, which
// draws the sentences of every pair.
//
// English words are space-separated; the final period is attached to the last word, so the
// number of words of an English sentence is its number of space-separated tokens.

#include "core/data/synth/grammar.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace taskmoe::core {
using namespace synth;
namespace {

// =============================================================================================
// The corpus
// =============================================================================================

/// Pair sizes of `n` pairs spread geometrically from largestPair down to largestPair ÷ imbalance.
std::vector<std::size_t> pairSizes(const SynthOptions &o, std::size_t n)
{
    std::vector<std::size_t> sizes;
    for (std::size_t i = 0; i < n; ++i) {
        const double f = n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 0.0;
        const double size = static_cast<double>(o.largestPair) / std::pow(o.imbalance, f);
        sizes.push_back(std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(size))));
    }
    return sizes;
}

std::string formatNumber(double value)
{
    std::ostringstream s;
    s << value;
    return s.str();
}

} // namespace

void SynthOptions::validate() const
{
    if (largestPair < 10)
        throw std::invalid_argument("largestPair must be at least 10 (got " + std::to_string(largestPair) + ")");
    if (!(imbalance >= 1.0) || !std::isfinite(imbalance))
        throw std::invalid_argument("imbalance must be >= 1 (got " + formatNumber(imbalance) + ")");
    if (imbalance > static_cast<double>(largestPair))
        throw std::invalid_argument("imbalance must be at most largestPair (" + std::to_string(largestPair)
                                    + ") so that the smallest pair keeps a sentence (got "
                                    + formatNumber(imbalance) + ")");
    if (minTokens < 1 || minTokens > maxTokens)
        throw std::invalid_argument("minTokens must be >= 1 and <= maxTokens (got minTokens="
                                    + std::to_string(minTokens) + ", maxTokens=" + std::to_string(maxTokens) + ")");
    if (maxTokens < 2)
        throw std::invalid_argument("maxTokens must be at least 2, the length of the shortest sentence the grammar "
                                    "builds, e.g. \"Dogs run.\" (got "
                                    + std::to_string(maxTokens) + ")");
    if (minTokens > kMaxMinTokens)
        throw std::invalid_argument("minTokens must be at most " + std::to_string(kMaxMinTokens)
                                    + ": longer sentences need more clauses than the grammar builds (got "
                                    + std::to_string(minTokens) + ")");
    if (multiwaySentences > 100000)
        throw std::invalid_argument("multiwaySentences must be at most 100000 (got " + std::to_string(multiwaySentences)
                                    + ")");
    if (!(lexicon > 0.0 && lexicon <= 1.0))
        throw std::invalid_argument("lexicon must be a share greater than 0 and at most 1 (got " + formatNumber(lexicon)
                                    + ")");
    for (std::size_t i = 0; i < languages.size(); ++i) {
        const std::string &code = languages[i];
        if (std::find_if(std::begin(kSizeOrder), std::end(kSizeOrder), [&](const char *c) { return code == c; })
            == std::end(kSizeOrder)) {
            std::string known;
            for (const char *c : kSizeOrder)
                known += (known.empty() ? "" : ", ") + std::string(c);
            throw std::invalid_argument("languages: '" + code + "' is not a synthetic language (known: " + known + ")");
        }
        if (std::find(languages.begin(), languages.begin() + static_cast<std::ptrdiff_t>(i), code)
            != languages.begin() + static_cast<std::ptrdiff_t>(i))
            throw std::invalid_argument("languages: '" + code + "' is listed twice");
    }
}

std::vector<std::string> syntheticLanguageCodes()
{
    return {std::begin(kSizeOrder), std::end(kSizeOrder)};
}

SynthOptions SynthOptions::quick()
{
    SynthOptions o;
    o.languages = {"es", "ca", "de", "ru", "uk", "ja"};
    o.largestPair = 12000;
    o.imbalance = 6.0;
    o.lexicon = 0.35;
    o.minTokens = 3;
    o.maxTokens = 14;
    o.multiwaySentences = 200;
    return o;
}

Corpus generateSynthetic(const SynthOptions &options)
{
    options.validate();

    // The languages: proto-languages first, then each language from its root or sister.
    std::vector<FamilyLexicon> families;
    for (int f = 0; f < kFamilyCount; ++f)
        families.push_back(buildFamily(static_cast<Family>(f)));
    const std::vector<LanguageSpec> &specs = languageSpecs();
    std::vector<Language> languages(specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
        languages[i].spec = &specs[i];
        languages[i].family = &families[static_cast<std::size_t>(specs[i].family)];
        buildLexicon(languages[i], static_cast<int>(i), languages);
    }
    std::vector<Language *> ordered; // the chosen languages by pair size, largest first
    for (const char *code : kSizeOrder)
        for (Language &l : languages)
            if (std::string_view(l.spec->code) == code
                && (options.languages.empty()
                    || std::find(options.languages.begin(), options.languages.end(), code) != options.languages.end()))
                ordered.push_back(&l);
    const ActiveLexicon lexicon(options.lexicon);

    Corpus corpus;
    corpus.kind = "synthetic";
    {
        std::ostringstream source;
        source << "synthetic generator (seed=" << options.seed << ", largestPair=" << options.largestPair
               << ", imbalance=" << options.imbalance << ", multiwaySentences=" << options.multiwaySentences
               << ", tokens=" << options.minTokens << ".." << options.maxTokens;
        if (options.lexicon < 1.0)
            source << ", lexicon=" << options.lexicon << " (" << lexicon.lemmas << " open-class lemmas)";
        source << ", " << ordered.size() << " pairs en->xx)";
        corpus.source = source.str();
    }
    corpus.languages.push_back({"en", "synthetic English (base)", "base", "Latin"});
    for (const Language *l : ordered)
        corpus.languages.push_back({l->spec->code, l->spec->name, familyName(l->spec->family), l->spec->script});

    // The multi-way aligned set: distinct English sentences rendered in every language.
    const std::size_t multiway = options.multiwaySentences;
    std::vector<Sentence> multi;
    std::vector<std::string> multiEnglish;
    std::unordered_set<std::string> multiSet;
    {
        Rng rng(mixSeed(options.seed, 1));
        std::size_t failures = 0;
        while (multi.size() < multiway) {
            Sentence s = makeSentence(rng, lexicon, options.minTokens, options.maxTokens);
            std::string e = renderEnglish(s);
            if (multiSet.insert(e).second) {
                multi.push_back(s);
                multiEnglish.push_back(std::move(e));
            } else if (++failures > 1000 + 100 * multiway) {
                throw std::invalid_argument("multiwaySentences: minTokens=" + std::to_string(options.minTokens)
                                            + " and maxTokens=" + std::to_string(options.maxTokens)
                                            + " leave too few distinct sentences for "
                                            + std::to_string(multiway) + " multi-way sentences");
            }
        }
    }

    const std::vector<std::size_t> sizes = pairSizes(options, ordered.size());
    Tokens scratch;
    scratch.reserve(64);
    for (std::size_t rank = 0; rank < ordered.size(); ++rank) {
        Language &L = *ordered[rank];
        // The multi-way sentences come on top of the pair's own sentences, so that even the
        // smallest pair keeps its full share for training.
        const std::size_t size = sizes[rank] + multiway;
        const auto specIndex = static_cast<std::uint64_t>(L.spec - specs.data());
        Rng rng(mixSeed(options.seed, 1000 + specIndex)); // each pair its own stream
        std::unordered_set<std::string> seen = multiSet;
        seen.reserve(size * 2);
        ParallelData pair;
        pair.srcLang = "en";
        pair.tgtLang = L.spec->code;
        pair.sentences.reserve(size);
        std::size_t nextMulti = 0;
        for (std::size_t k = 0; k < size; ++k) {
            // Multi-way sentences are spread evenly through the pair.
            if (multiway > 0 && ((k + 1) * multiway) / size > (k * multiway) / size) {
                pair.sentences.push_back({multiEnglish[nextMulti], render(L, multi[nextMulti], scratch)});
                ++nextMulti;
                continue;
            }
            for (std::size_t attempt = 0;; ++attempt) {
                const Sentence s = makeSentence(rng, lexicon, options.minTokens, options.maxTokens);
                std::string e = renderEnglish(s);
                // Sentences are distinct within a pair; in a tiny sentence space (very short
                // bounds) repeats are allowed, but never of a multi-way sentence.
                const bool fresh = seen.insert(e).second;
                if (fresh || (attempt >= 200 && multiSet.count(e) == 0)) {
                    pair.sentences.push_back({std::move(e), render(L, s, scratch)});
                    break;
                }
                if (attempt > 100000)
                    throw std::invalid_argument("minTokens and maxTokens leave too few distinct sentences");
            }
        }
        corpus.report.push_back(pair.name() + ": " + std::to_string(pair.sentences.size()) + " sentence pairs ("
                                + std::to_string(multiway) + " multi-way aligned)");
        corpus.pairs.push_back(std::move(pair));
    }
    return corpus;
}

} // namespace taskmoe::core
