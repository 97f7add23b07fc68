#include "core/data/synth/phonology.h"

namespace taskmoe::core::synth {

const char *familyName(Family f)
{
    switch (f) {
    case Family::Romance: return "Romance-like";
    case Family::Germanic: return "Germanic-like";
    case Family::Slavic: return "Slavic-like";
    case Family::Altaic: return "Turkic/Japonic-like";
    case Family::Greek: return "Greek-like";
    }
    return "";
}

/// Sound inventory of a family's proto-language (internal Latin spelling). Items repeat to
/// weight them.
struct Phonology
{
    std::vector<std::string_view> onsets, vowels, codas, finals;
    unsigned codaPercent;      ///< chance of a coda inside a word
    unsigned bareOnsetPercent; ///< chance that a word starts with a vowel
    bool consonantFinal;       ///< stems end in a consonant (endings start with a vowel)
};

const Phonology &phonology(Family f)
{
    static const Phonology table[kFamilyCount] = {
        // Romance: open syllables, stems ending in a consonant before gender endings
        {{"p", "t", "k", "b", "d", "g", "f", "v", "s", "l", "r", "m", "n", "p", "t", "k", "s", "l", "m", "n",
          "pr", "tr", "kr", "br", "pl", "fl", "gr"},
         {"a", "e", "i", "o", "u", "a", "e", "o"},
         {"n", "r", "s", "l"},
         {"t", "d", "n", "r", "l", "s", "k", "m", "p", "v", "nt", "rt", "st", "nd", "l", "n", "r", "t"},
         15, 10, true},
        // Germanic: closed syllables, clusters, long vowels and diphthongs
        {{"b", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "b", "h", "k", "t", "w",
          "sk", "st", "sp", "br", "gr", "kl", "fl", "tr", "sw", "sl"},
         {"a", "e", "i", "o", "u", "a", "e", "i", "ei", "au", "aa", "oo", "ie"},
         {"n", "r", "l", "s", "m"},
         {"t", "d", "k", "g", "n", "r", "l", "m", "s", "nd", "ld", "rt", "st", "lk", "ft", "ng", "rk", "mp", "ch",
          "t", "k", "n", "l"},
         30, 8, true},
        // Slavic: consonant clusters, y (ы) as a vowel, liquid codas that East and South
        // Slavic treat differently
        {{"b", "v", "g", "d", "zh", "z", "k", "l", "m", "n", "p", "r", "s", "t", "x", "ch", "sh",
          "b", "v", "d", "k", "m", "p", "s", "t",
          "pr", "tr", "sl", "dr", "kr", "gl", "st", "zv", "sv", "br", "gr"},
         {"a", "e", "i", "o", "u", "y", "a", "o", "e"},
         {"r", "l", "n", "s", "r", "l"},
         {"t", "d", "k", "g", "n", "r", "l", "m", "s", "v", "z", "zh", "ch", "sh", "x", "st", "sk"},
         22, 6, true},
        // Turkic/Japonic: CV syllables (fit for kana and Hangul), rare moraic n
        {{"k", "s", "t", "n", "h", "m", "y", "r", "g", "z", "d", "b", "p", "k", "t", "s", "m", "n"},
         {"a", "i", "u", "e", "o", "a", "i", "u"},
         {"n"},
         {},
         10, 12, false},
        // Greek: clusters such as ps, th, ch, stems ending in a consonant
        {{"p", "t", "k", "v", "d", "g", "m", "n", "l", "r", "s", "z", "f", "th", "ch", "ps", "x",
          "p", "t", "k", "m", "n", "l",
          "pl", "tr", "kr", "gr", "st", "sk"},
         {"a", "e", "i", "o", "u", "a", "e", "o", "i"},
         {"n", "r", "s", "l"},
         {"n", "r", "l", "t", "k", "p", "m", "ch", "th", "nt", "st", "r", "n"},
         18, 10, true},
    };
    return table[static_cast<int>(f)];
}

std::string makeRoot(Rng &rng, Family family, Pos pos, int extraSyllables)
{
    const Phonology &ph = phonology(family);
    const bool content = isContentPos(pos);
    int syllables = 1;
    if (family == Family::Altaic)
        syllables = content ? 2 + static_cast<int>(rng.percent(40)) : 1 + static_cast<int>(rng.percent(40));
    else if (family == Family::Germanic)
        syllables = content ? 1 + static_cast<int>(rng.percent(45)) : 1;
    else
        syllables = content ? 1 + static_cast<int>(rng.weighted({35, 50, 15})) : 1;
    if (!content && family != Family::Altaic
        && (pos == Pos::Preposition || pos == Pos::Conjunction || pos == Pos::Numeral))
        syllables += static_cast<int>(rng.percent(35));
    syllables += extraSyllables;

    std::string s;
    for (int i = 0; i < syllables; ++i) {
        if (!(i == 0 && rng.percent(ph.bareOnsetPercent)))
            s += rng.pick(ph.onsets);
        s += rng.pick(ph.vowels);
        if (i + 1 < syllables && rng.percent(ph.codaPercent))
            s += rng.pick(ph.codas);
    }
    // Stems that take vowel-initial endings end in a consonant; free-standing function
    // words may end in a vowel.
    const bool inflected = content || pos == Pos::Grammar || pos == Pos::Possessive;
    // Germanic articles and determiners take consonant endings (-r, -s, -n): open stems.
    const bool openGrammarStem = family == Family::Germanic && pos == Pos::Grammar;
    if (ph.consonantFinal && !openGrammarStem && (inflected || rng.percent(50)))
        s += rng.pick(ph.finals);
    else if (!ph.consonantFinal && rng.percent(ph.codaPercent))
        s += rng.pick(ph.codas);
    return s;
}

FamilyLexicon buildFamily(Family family)
{
    FamilyLexicon lex;
    lex.family = family;
    lex.roots.resize(kConceptCount);
    lex.gender.assign(kConceptCount, 0);
    lex.theme.assign(kConceptCount, 'a');
    Rng rng(mixSeed(kLexiconSeed, 100 + static_cast<std::uint64_t>(family)));
    std::unordered_set<std::string> used;
    for (int c = 0; c < kConceptCount; ++c) {
        const Pos pos = posOf(c);
        for (int attempt = 0;; ++attempt) {
            std::string root = makeRoot(rng, family, pos, attempt / 8);
            if (used.insert(root).second) {
                lex.roots[static_cast<std::size_t>(c)] = std::move(root);
                break;
            }
        }
        if (pos == Pos::Noun) {
            const char sex = kNouns[c - kNounBase].sex;
            if (sex == 'm')
                lex.gender[static_cast<std::size_t>(c)] = 0;
            else if (sex == 'f')
                lex.gender[static_cast<std::size_t>(c)] = 1;
            else if (family == Family::Romance)
                lex.gender[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(rng.below(2));
            else
                lex.gender[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(rng.weighted({40, 35, 25}));
        } else if (pos == Pos::Verb) {
            lex.theme[static_cast<std::size_t>(c)] = "aei"[rng.weighted({60, 25, 15})];
        }
    }
    if (family == Family::Germanic) {
        // Compounds: the head is the last part and gives the gender.
        struct Compound { const char *noun; Pos firstPos; const char *first; const char *head; };
        static constexpr Compound kCompounds[] = {
            {"school", Pos::Verb, "teach", "house"}, {"kitchen", Pos::Verb, "cook", "room"},
            {"shop", Pos::Verb, "sell", "room"}, {"bicycle", Pos::Numeral, "two", "wheel"},
            {"park", Pos::Noun, "tree", "garden"},
        };
        for (const Compound &cp : kCompounds) {
            const int first = cp.firstPos == Pos::Verb ? kVerbBase + findVerb(cp.first)
                              : cp.firstPos == Pos::Numeral ? kNumBase + findIndex(cp.first, kNumerals, kNumeralCount)
                                                            : kNounBase + findNoun(cp.first);
            const int head = kNounBase + findNoun(cp.head);
            const auto noun = static_cast<std::size_t>(kNounBase + findNoun(cp.noun));
            lex.roots[noun] = lex.roots[static_cast<std::size_t>(first)] + lex.roots[static_cast<std::size_t>(head)];
            lex.gender[noun] = lex.gender[static_cast<std::size_t>(head)];
        }
    }
    return lex;
}

std::string applySoundChange(const std::string &word, const SoundChange &change, std::string_view vowels)
{
    std::string out;
    out.reserve(word.size() + 4);
    std::size_t firstVowel = std::string::npos;
    for (std::size_t i = 0; i < word.size(); ++i)
        if (isVowelIn(word[i], vowels)) {
            firstVowel = i;
            break;
        }
    std::size_t i = 0;
    while (i < word.size()) {
        if (word.compare(i, change.from.size(), change.from) == 0) {
            const std::size_t end = i + change.from.size();
            const char before = i > 0 ? word[i - 1] : 0;
            const char after = end < word.size() ? word[end] : 0;
            bool ok = false;
            switch (change.where) {
            case Where::Anywhere: ok = true; break;
            case Where::Start: ok = i == 0; break;
            case Where::StartBeforeVowel: ok = i == 0 && isVowelIn(after, vowels); break;
            case Where::End: ok = end == word.size(); break;
            case Where::BetweenVowels: ok = isVowelIn(before, vowels) && isVowelIn(after, vowels); break;
            case Where::FirstVowel: ok = i == firstVowel; break;
            case Where::BetweenConsonants:
                ok = before != 0 && after != 0 && !isVowelIn(before, vowels) && !isVowelIn(after, vowels);
                break;
            case Where::FinalAfterVowel: ok = end == word.size() && isVowelIn(before, vowels); break;
            case Where::BeforeFinalConsonant:
                ok = after != 0 && !isVowelIn(after, vowels) && end + 1 == word.size();
                break;
            }
            if (ok) {
                out += change.to;
                i = end;
                continue;
            }
        }
        out += word[i++];
    }
    return out;
}

bool trVowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'I' || c == 'O' || c == 'U';
}

bool trBack(char v) { return v == 'a' || v == 'I' || v == 'o' || v == 'u'; }
bool trRound(char v) { return v == 'o' || v == 'u' || v == 'O' || v == 'U'; }

char trLastVowel(const std::string &w)
{
    for (auto it = w.rbegin(); it != w.rend(); ++it)
        if (trVowel(*it))
            return *it;
    return 'e';
}

/// Makes a root harmonic: later vowels follow the backness of the first.
void harmonizeRoot(std::string &w)
{
    char first = 0;
    for (char &c : w) {
        if (!trVowel(c))
            continue;
        if (!first) {
            first = c;
            continue;
        }
        if (trBack(first)) {
            if (c == 'e') c = 'a';
            else if (c == 'i') c = 'I';
        } else {
            if (c == 'a') c = 'e';
            else if (c == 'o') c = 'O';
            else if (c == 'u') c = 'U';
        }
    }
}

void trAppendVowel(std::string &w, char archiphoneme)
{
    int vowels = 0;
    for (char c : w)
        vowels += trVowel(c) ? 1 : 0;
    if (!w.empty() && w.back() == 'k' && vowels > 1) // k → ğ before a vowel in polysyllables
        w.back() = 'G';
    const char v = trLastVowel(w);
    if (archiphoneme == 'A')
        w += trBack(v) ? 'a' : 'e';
    else
        w += trBack(v) ? (trRound(v) ? 'u' : 'I') : (trRound(v) ? 'U' : 'i');
}

void appendHarmonic(std::string &w, std::string_view suffix)
{
    for (std::size_t i = 0; i < suffix.size(); ++i) {
        const char c = suffix[i];
        if (c == '(' && i + 2 < suffix.size()) { // buffer consonant after a vowel
            if (!w.empty() && trVowel(w.back()))
                w += suffix[i + 1];
            i += 2;
        } else if (c == '[' && i + 2 < suffix.size()) { // buffer vowel after a consonant
            if (!w.empty() && !trVowel(w.back()))
                trAppendVowel(w, suffix[i + 1]);
            i += 2;
        } else if (c == 'A' || c == 'H') {
            trAppendVowel(w, c);
        } else if (c == 'D') {
            const char last = w.empty() ? 'a' : w.back();
            const bool voiceless = last == 'p' || last == 't' || last == 'k' || last == 'C' || last == 's'
                                   || last == 'S' || last == 'h' || last == 'f';
            w += voiceless ? 't' : 'd';
        } else {
            w += c;
        }
    }
}

} // namespace taskmoe::core::synth
