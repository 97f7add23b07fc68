#include "core/data/synth/languages.h"

namespace taskmoe::core::synth {

/// Parents come before their children.
const std::vector<LanguageSpec> &languageSpecs()
{
    using W = Where;
    static const std::vector<LanguageSpec> specs = {
        // 0 es: diphthongs in the stressed syllable, f → h, v → b
        {"es", "synthetic Spanish-like", Family::Romance, "Latin", Writing::Spanish, -1, 0,
         {{"e", "ie", W::FirstVowel, true}, {"o", "ue", W::FirstVowel, true}, {"f", "h", W::StartBeforeVowel},
          {"v", "b", W::Start}},
         false, "amente"},
        // 1 ca: from Spanish forms (keeping their innovations): ue → o, initial ll, stem-final
        // n lost; the grammar drops the masculine -o
        {"ca", "synthetic Catalan-like", Family::Romance, "Latin", Writing::Catalan, 0, 15,
         {{"ue", "o", W::Anywhere}, {"l", "ll", W::Start}, {"n", "", W::FinalAfterVowel, true}},
         false, "ament"},
        // 2 pt: pl/fl/kl → ch, intervocalic l lost
        {"pt", "synthetic Portuguese-like", Family::Romance, "Latin", Writing::Portuguese, -1, 12,
         {{"pl", "ch", W::Start}, {"fl", "ch", W::Start}, {"kl", "ch", W::Start}, {"l", "", W::BetweenVowels}},
         false, "amente"},
        // 3 it: pl → pi, fl → fi, doubled stem-final consonants
        {"it", "synthetic Italian-like", Family::Romance, "Latin", Writing::Italian, -1, 20,
         {{"pl", "pi", W::Anywhere}, {"fl", "fi", W::Anywhere}, {"t", "tt", W::FinalAfterVowel, true},
          {"l", "ll", W::FinalAfterVowel, true}, {"p", "pp", W::FinalAfterVowel, true},
          {"k", "kk", W::FinalAfterVowel, true}},
         false, "amente"},
        // 4 de: High German consonant shift (t → z, p → pf, final k → ch), sch
        {"de", "synthetic German-like", Family::Germanic, "Latin", Writing::German, -1, 0,
         {{"sk", "sch", W::Start}, {"sw", "schw", W::Start}, {"sl", "schl", W::Start}, {"t", "z", W::StartBeforeVowel},
          {"p", "pf", W::StartBeforeVowel}, {"k", "ch", W::FinalAfterVowel}},
         false, ""},
        // 5 nl: ei → ij, au → ou, u → oe, sch
        {"nl", "synthetic Dutch-like", Family::Germanic, "Latin", Writing::Dutch, -1, 12,
         {{"ei", "ij", W::Anywhere}, {"au", "ou", W::Anywhere}, {"u", "oe", W::FirstVowel},
          {"sk", "sch", W::Start}, {"g", "ch", W::End}},
         false, ""},
        // 6 sv: w → v, ei → e, au → ö, aa → å, ch → k
        {"sv", "synthetic Swedish-like", Family::Germanic, "Latin", Writing::Swedish, -1, 25,
         {{"w", "v", W::Anywhere}, {"ei", "e", W::Anywhere}, {"au", "O", W::Anywhere}, {"aa", "W", W::Anywhere},
          {"oo", "o", W::Anywhere}, {"ie", "i", W::Anywhere}, {"ch", "k", W::Anywhere}},
         false, "t"},
        // 7 ru: pleophony (CorC → CoroC)
        {"ru", "synthetic Russian-like", Family::Slavic, "Cyrillic", Writing::Russian, -1, 0,
         {{"or", "oro", W::BetweenConsonants}, {"ol", "olo", W::BetweenConsonants}},
         false, "o"},
        // 8 uk: from Russian forms; g → h (г), o → i in the closed final syllable
        {"uk", "synthetic Ukrainian-like", Family::Slavic, "Cyrillic", Writing::Ukrainian, 7, 10,
         {{"g", "h", W::Anywhere}, {"o", "i", W::BeforeFinalConsonant, true}},
         false, "o"},
        // 9 bg: liquid metathesis (CorC → CraC)
        {"bg", "synthetic Bulgarian-like", Family::Slavic, "Cyrillic", Writing::Bulgarian, -1, 25,
         {{"or", "ra", W::BetweenConsonants}, {"ol", "la", W::BetweenConsonants}, {"y", "i", W::End}},
         false, "o"},
        // 10 tr: vowel harmony, ti → çi, si → şi, intervocalic g → ğ
        {"tr", "synthetic Turkish-like", Family::Altaic, "Latin", Writing::Turkish, -1, 0,
         {{"ti", "Ci", W::Anywhere}, {"si", "Si", W::Anywhere}, {"g", "G", W::BetweenVowels}},
         true, "cA"},
        // 11 ja: p → h, initial z → j
        {"ja", "synthetic Japanese-like", Family::Altaic, "Hiragana/Katakana", Writing::Japanese, -1, 25,
         {{"p", "h", W::Anywhere}, {"z", "j", W::Start}},
         false, "ku"},
        // 12 ko: z → j, initial r → n, e → eo, final u lost after a consonant (a coda)
        {"ko", "synthetic Korean-like", Family::Altaic, "Hangul", Writing::Korean, -1, 25,
         {{"z", "j", W::Anywhere}, {"r", "n", W::Start}, {"e", "eo", W::Anywhere},
          {"ku", "k", W::FinalAfterVowel, true}, {"pu", "p", W::FinalAfterVowel, true},
          {"mu", "m", W::FinalAfterVowel, true}, {"ru", "l", W::FinalAfterVowel, true},
          {"nu", "n", W::FinalAfterVowel, true}},
         false, "|ge"},
        // 13 el
        {"el", "synthetic Greek-like", Family::Greek, "Greek", Writing::Greek, -1, 0, {}, false, "a"},
    };
    return specs;
}

std::string_view contextVowels(Family f)
{
    switch (f) {
    case Family::Slavic: return "aeiouy";
    case Family::Altaic: return "aeiouIOU";
    default: return "aeiouAOUW";
    }
}

std::string deriveWord(const std::string &base, const LanguageSpec &spec, bool content)
{
    const std::string_view vowels = contextVowels(spec.family);
    std::string w = base;
    if (spec.harmony)
        harmonizeRoot(w);
    for (const SoundChange &change : spec.changes)
        if (content || !change.contentOnly)
            w = applySoundChange(w, change, vowels);
    return w.empty() ? base : w;
}

void buildLexicon(Language &lang, int specIndex, const std::vector<Language> &built)
{
    const LanguageSpec &spec = *lang.spec;
    const std::vector<std::string> &base =
        spec.parent >= 0 ? built[static_cast<std::size_t>(spec.parent)].forms : lang.family->roots;
    Rng rng(mixSeed(kLexiconSeed, 1000 + static_cast<std::uint64_t>(specIndex)));
    lang.forms.assign(kConceptCount, std::string());

    // Function words first, then content words: inherited forms claim their spelling before
    // replacements do, so a replaced noun never pushes an article or a pronoun out of the
    // way (function words are the most frequent and carry the family resemblance).
    std::vector<int> order;
    for (int c = kPrepBase; c < kConceptCount; ++c)
        order.push_back(c);
    for (int c = kNounBase; c < kPrepBase; ++c)
        if (!isDerivedAdverb(c))
            order.push_back(c);
    std::vector<int> fresh; // replaced outright, or merged with an earlier word by sound changes
    std::unordered_set<std::string> used;
    for (int c : order) {
        const bool content = isContentPos(posOf(c));
        if (content && rng.percent(spec.replacePercent)) {
            fresh.push_back(c);
            continue;
        }
        std::string w = deriveWord(base[static_cast<std::size_t>(c)], spec, content);
        if (used.insert(w).second)
            lang.forms[static_cast<std::size_t>(c)] = std::move(w);
        else
            fresh.push_back(c);
    }
    for (int c : fresh) {
        const Pos pos = posOf(c);
        const bool content = isContentPos(pos);
        for (int attempt = 0;; ++attempt) {
            std::string w = deriveWord(makeRoot(rng, spec.family, pos, attempt / 8), spec, content);
            if (used.insert(w).second) {
                lang.forms[static_cast<std::size_t>(c)] = std::move(w);
                break;
            }
        }
    }
    for (int a = 0; a < kAdverbCount; ++a) {
        const int adjective = english().adverbAdjective[static_cast<std::size_t>(a)];
        if (adjective < 0)
            continue;
        std::string w = lang.forms[static_cast<std::size_t>(kAdjBase + adjective)];
        if (spec.harmony)
            appendHarmonic(w, spec.adverbSuffix);
        else
            w += spec.adverbSuffix;
        lang.forms[static_cast<std::size_t>(kAdvBase + a)] = std::move(w);
    }
}


} // namespace taskmoe::core::synth
