#include "core/synth.h"

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
// English words are space-separated; the final period is attached to the last word, so the
// number of words of an English sentence is its number of space-separated tokens.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace taskmoe::core {
namespace {

// =============================================================================================
// Deterministic random numbers
// =============================================================================================

std::uint64_t splitMix64(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// Seed of an independent stream `stream` derived from `seed`.
std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t stream)
{
    return splitMix64(splitMix64(seed) ^ splitMix64(stream * 0xd1342543de82ef95ULL + 1));
}

/// High 64 bits of the 128-bit product a × b.
std::uint64_t mulHigh(std::uint64_t a, std::uint64_t b)
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

// =============================================================================================
// English lexicon
// =============================================================================================

using ClassMask = std::uint8_t;
constexpr ClassMask kPerson = 1, kAnimal = 2, kFood = 4, kThing = 8, kPlace = 16, kAbstract = 32;
constexpr ClassMask kAnimate = kPerson | kAnimal;
constexpr ClassMask kObjects = kFood | kThing;
constexpr ClassMask kAnything = 63;

struct NounEntry
{
    const char *singular;
    const char *plural; ///< nullptr: regular
    ClassMask cls;
    char sex;           ///< 'm', 'f' or 0: natural gender overrides the grammatical one
};

constexpr NounEntry kNouns[] = {
    // people
    {"man", "men", kPerson, 'm'}, {"woman", "women", kPerson, 'f'},
    {"child", "children", kPerson, 0}, {"boy", nullptr, kPerson, 'm'},
    {"girl", nullptr, kPerson, 'f'}, {"teacher", nullptr, kPerson, 0},
    {"doctor", nullptr, kPerson, 0}, {"farmer", nullptr, kPerson, 0},
    {"king", nullptr, kPerson, 'm'}, {"queen", nullptr, kPerson, 'f'},
    {"friend", nullptr, kPerson, 0}, {"mother", nullptr, kPerson, 'f'},
    {"father", nullptr, kPerson, 'm'}, {"brother", nullptr, kPerson, 'm'},
    {"sister", nullptr, kPerson, 'f'}, {"student", nullptr, kPerson, 0},
    {"soldier", nullptr, kPerson, 0}, {"baker", nullptr, kPerson, 0},
    {"singer", nullptr, kPerson, 0}, {"driver", nullptr, kPerson, 0},
    {"neighbor", nullptr, kPerson, 0}, {"worker", nullptr, kPerson, 0},
    {"artist", nullptr, kPerson, 0}, {"writer", nullptr, kPerson, 0},
    {"judge", nullptr, kPerson, 0}, {"nurse", nullptr, kPerson, 0},
    {"cook", nullptr, kPerson, 0}, {"guest", nullptr, kPerson, 0},
    {"stranger", nullptr, kPerson, 0}, {"captain", nullptr, kPerson, 0},
    // animals
    {"dog", nullptr, kAnimal, 0}, {"cat", nullptr, kAnimal, 0},
    {"horse", nullptr, kAnimal, 0}, {"bird", nullptr, kAnimal, 0},
    {"crab", nullptr, kAnimal, 0}, {"cow", nullptr, kAnimal, 0},
    {"goat", nullptr, kAnimal, 0}, {"pig", nullptr, kAnimal, 0},
    {"mouse", "mice", kAnimal, 0}, {"rabbit", nullptr, kAnimal, 0},
    {"fox", nullptr, kAnimal, 0}, {"wolf", "wolves", kAnimal, 0},
    {"bear", nullptr, kAnimal, 0}, {"lion", nullptr, kAnimal, 0},
    {"tiger", nullptr, kAnimal, 0}, {"duck", nullptr, kAnimal, 0},
    {"frog", nullptr, kAnimal, 0}, {"snake", nullptr, kAnimal, 0},
    {"monkey", nullptr, kAnimal, 0}, {"elephant", nullptr, kAnimal, 0},
    {"owl", nullptr, kAnimal, 0}, {"bee", nullptr, kAnimal, 0},
    {"camel", nullptr, kAnimal, 0}, {"chicken", nullptr, kAnimal, 0},
    {"donkey", nullptr, kAnimal, 0},
    // food
    {"apple", nullptr, kFood, 0}, {"egg", nullptr, kFood, 0},
    {"cake", nullptr, kFood, 0}, {"orange", nullptr, kFood, 0},
    {"banana", nullptr, kFood, 0}, {"cookie", nullptr, kFood, 0},
    {"potato", "potatoes", kFood, 0}, {"tomato", "tomatoes", kFood, 0},
    {"sandwich", nullptr, kFood, 0}, {"pie", nullptr, kFood, 0},
    {"carrot", nullptr, kFood, 0}, {"pear", nullptr, kFood, 0},
    {"onion", nullptr, kFood, 0}, {"lemon", nullptr, kFood, 0},
    {"peach", nullptr, kFood, 0},
    // things
    {"book", nullptr, kThing, 0}, {"table", nullptr, kThing, 0},
    {"chair", nullptr, kThing, 0}, {"door", nullptr, kThing, 0},
    {"window", nullptr, kThing, 0}, {"box", nullptr, kThing, 0},
    {"cup", nullptr, kThing, 0}, {"bottle", nullptr, kThing, 0},
    {"ball", nullptr, kThing, 0}, {"hat", nullptr, kThing, 0},
    {"shoe", nullptr, kThing, 0}, {"coat", nullptr, kThing, 0},
    {"bag", nullptr, kThing, 0}, {"key", nullptr, kThing, 0},
    {"letter", nullptr, kThing, 0}, {"pen", nullptr, kThing, 0},
    {"picture", nullptr, kThing, 0}, {"lamp", nullptr, kThing, 0},
    {"clock", nullptr, kThing, 0}, {"bed", nullptr, kThing, 0},
    {"car", nullptr, kThing, 0}, {"bus", nullptr, kThing, 0},
    {"boat", nullptr, kThing, 0}, {"train", nullptr, kThing, 0},
    {"bicycle", nullptr, kThing, 0}, {"phone", nullptr, kThing, 0},
    {"computer", nullptr, kThing, 0}, {"knife", "knives", kThing, 0},
    {"plate", nullptr, kThing, 0}, {"spoon", nullptr, kThing, 0},
    {"basket", nullptr, kThing, 0}, {"ring", nullptr, kThing, 0},
    {"flower", nullptr, kThing, 0}, {"tree", nullptr, kThing, 0},
    {"stone", nullptr, kThing, 0}, {"rope", nullptr, kThing, 0},
    {"map", nullptr, kThing, 0}, {"toy", nullptr, kThing, 0},
    {"drum", nullptr, kThing, 0}, {"guitar", nullptr, kThing, 0},
    {"candle", nullptr, kThing, 0}, {"blanket", nullptr, kThing, 0},
    {"mirror", nullptr, kThing, 0}, {"ladder", nullptr, kThing, 0},
    {"bell", nullptr, kThing, 0}, {"wheel", nullptr, kThing, 0},
    {"flag", nullptr, kThing, 0}, {"bucket", nullptr, kThing, 0},
    {"coin", nullptr, kThing, 0}, {"gift", nullptr, kThing, 0},
    // places
    {"house", nullptr, kPlace, 0}, {"garden", nullptr, kPlace, 0},
    {"school", nullptr, kPlace, 0}, {"city", nullptr, kPlace, 0},
    {"village", nullptr, kPlace, 0}, {"forest", nullptr, kPlace, 0},
    {"river", nullptr, kPlace, 0}, {"lake", nullptr, kPlace, 0},
    {"mountain", nullptr, kPlace, 0}, {"field", nullptr, kPlace, 0},
    {"street", nullptr, kPlace, 0}, {"market", nullptr, kPlace, 0},
    {"kitchen", nullptr, kPlace, 0}, {"room", nullptr, kPlace, 0},
    {"shop", nullptr, kPlace, 0}, {"park", nullptr, kPlace, 0},
    {"bridge", nullptr, kPlace, 0}, {"church", nullptr, kPlace, 0},
    {"island", nullptr, kPlace, 0}, {"beach", nullptr, kPlace, 0},
    // abstract
    {"song", nullptr, kAbstract, 0}, {"story", nullptr, kAbstract, 0},
    {"game", nullptr, kAbstract, 0}, {"idea", nullptr, kAbstract, 0},
    {"question", nullptr, kAbstract, 0}, {"answer", nullptr, kAbstract, 0},
    {"plan", nullptr, kAbstract, 0}, {"dream", nullptr, kAbstract, 0},
    {"secret", nullptr, kAbstract, 0}, {"message", nullptr, kAbstract, 0},
};

struct VerbEntry
{
    const char *base;
    const char *past;   ///< nullptr: regular
    ClassMask object;   ///< what the object may be; 0: intransitive
};

constexpr VerbEntry kVerbs[] = {
    // anything as object
    {"see", "saw", kAnything}, {"like", nullptr, kAnything}, {"find", "found", kAnything},
    {"watch", nullptr, kAnything}, {"love", nullptr, kAnything}, {"hate", nullptr, kAnything},
    {"remember", nullptr, kAnything}, {"forget", "forgot", kAnything},
    {"draw", "drew", kAnything}, {"describe", nullptr, kAnything},
    {"choose", "chose", kAnything}, {"show", nullptr, kAnything}, {"hear", "heard", kAnything},
    // things and food
    {"want", nullptr, kObjects}, {"need", nullptr, kObjects}, {"paint", nullptr, kObjects},
    {"carry", nullptr, kObjects}, {"hold", "held", kObjects}, {"take", "took", kObjects},
    {"bring", "brought", kObjects}, {"buy", "bought", kObjects}, {"sell", "sold", kObjects},
    {"open", nullptr, kThing}, {"close", nullptr, kThing}, {"clean", nullptr, kThing},
    {"build", "built", kThing | kPlace}, {"break", "broke", kThing}, {"fix", nullptr, kThing},
    {"wash", nullptr, kObjects}, {"push", nullptr, kThing}, {"pull", nullptr, kThing},
    {"drop", "dropped", kObjects}, {"hide", "hid", kObjects}, {"use", nullptr, kThing},
    {"keep", "kept", kObjects}, {"lose", "lost", kThing}, {"throw", "threw", kObjects},
    {"catch", "caught", kThing | kAnimal}, {"touch", nullptr, kObjects},
    {"count", nullptr, kObjects}, {"move", nullptr, kThing}, {"steal", "stole", kObjects},
    {"borrow", nullptr, kThing}, {"cover", nullptr, kThing}, {"fill", nullptr, kThing},
    {"lift", nullptr, kThing}, {"pack", nullptr, kObjects}, {"kick", nullptr, kThing},
    {"read", "read", kThing | kAbstract}, {"write", "wrote", kAbstract},
    // food
    {"eat", "ate", kFood}, {"cook", nullptr, kFood}, {"cut", "cut", kFood},
    {"taste", nullptr, kFood}, {"smell", nullptr, kFood}, {"bake", nullptr, kFood},
    // people and animals
    {"help", nullptr, kAnimate}, {"follow", nullptr, kAnimate}, {"meet", "met", kAnimate},
    {"teach", "taught", kPerson}, {"greet", nullptr, kAnimate}, {"call", nullptr, kAnimate},
    {"thank", nullptr, kPerson}, {"chase", nullptr, kAnimate}, {"feed", "fed", kAnimate},
    {"kiss", nullptr, kAnimate}, {"hug", "hugged", kAnimate}, {"ask", nullptr, kPerson},
    {"invite", nullptr, kPerson}, {"trust", nullptr, kAnimate}, {"warn", nullptr, kAnimate},
    // places
    {"visit", nullptr, kPlace | kPerson}, {"leave", "left", kPlace}, {"enter", nullptr, kPlace},
    // abstract
    {"tell", "told", kAbstract},
    // intransitive
    {"sleep", "slept", 0}, {"run", "ran", 0}, {"walk", nullptr, 0}, {"swim", "swam", 0},
    {"sing", "sang", 0}, {"dance", nullptr, 0}, {"laugh", nullptr, 0}, {"cry", nullptr, 0},
    {"jump", nullptr, 0}, {"sit", "sat", 0}, {"stand", "stood", 0}, {"wait", nullptr, 0},
    {"work", nullptr, 0}, {"play", nullptr, 0}, {"smile", nullptr, 0}, {"fall", "fell", 0},
    {"arrive", nullptr, 0}, {"rest", nullptr, 0}, {"travel", nullptr, 0},
    {"shout", nullptr, 0}, {"listen", nullptr, 0}, {"talk", nullptr, 0},
    {"climb", nullptr, 0}, {"hurry", nullptr, 0}, {"win", "won", 0},
};

constexpr const char *kAdjectives[] = {
    "big", "small", "old", "young", "new", "good", "bad", "happy", "sad", "red",
    "blue", "green", "yellow", "black", "white", "brown", "tall", "short", "long", "hot",
    "cold", "warm", "fast", "slow", "quiet", "loud", "beautiful", "ugly", "clean", "dirty",
    "rich", "poor", "strong", "weak", "heavy", "light", "dark", "bright", "soft", "hard",
    "sweet", "empty", "full", "round", "kind", "brave", "clever", "lazy", "busy", "tired",
    "hungry", "angry", "famous", "strange", "wild", "gentle", "wooden", "golden", "funny",
    "proud",
};

struct AdverbEntry
{
    const char *word;
    const char *adjective; ///< manner adverbs derive from an adjective in every language
};

constexpr AdverbEntry kAdverbs[] = {
    {"quickly", "fast"}, {"slowly", "slow"}, {"quietly", "quiet"}, {"loudly", "loud"},
    {"happily", "happy"}, {"sadly", "sad"}, {"badly", "bad"}, {"well", "good"},
    {"gently", "gentle"}, {"bravely", "brave"}, {"proudly", "proud"},
    {"strangely", "strange"}, {"often", nullptr}, {"sometimes", nullptr},
    {"again", nullptr}, {"together", nullptr}, {"today", nullptr}, {"here", nullptr},
    {"there", nullptr}, {"early", nullptr},
};

/// Prepositions, in a fixed order that the grammars refer to by index.
enum PrepIndex { kIn, kOn, kUnder, kNear, kBehind, kAcross, kWith, kWithout, kTo, kFrom, kFor, kAfter, kBefore };

struct PrepEntry
{
    const char *word;
    ClassMask object;
};

constexpr PrepEntry kPreps[] = {
    {"in", kPlace | kThing}, {"on", kThing}, {"under", kThing}, {"near", kPlace | kThing},
    {"behind", kPlace | kThing}, {"across", kPlace}, {"with", kAnimate | kThing},
    {"without", kAnimate | kThing}, {"to", kPlace | kPerson}, {"from", kPlace | kPerson},
    {"for", kAnimate}, {"after", kAnimate}, {"before", kAnimate},
};

constexpr const char *kNumerals[] = {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"};

/// Coordinating conjunctions first, then subordinating ones from kFirstSubordinator.
constexpr const char *kConjunctions[] = {"and", "but", "or", "because", "when", "while", "although", "if"};
constexpr int kFirstSubordinator = 3;

// Persons: 0 I, 1 you (singular), 2 he, 3 she, 4 we, 5 they.
constexpr const char *kSubjectPronouns[] = {"I", "you", "he", "she", "we", "they"};
constexpr const char *kObjectPronouns[] = {"me", "you", "him", "her", "us", "them"};
constexpr const char *kPossessives[] = {"my", "your", "his", "her", "our", "their"};

constexpr int kNounCount = static_cast<int>(std::size(kNouns));
constexpr int kVerbCount = static_cast<int>(std::size(kVerbs));
constexpr int kAdjectiveCount = static_cast<int>(std::size(kAdjectives));
constexpr int kAdverbCount = static_cast<int>(std::size(kAdverbs));
constexpr int kPrepCount = static_cast<int>(std::size(kPreps));
constexpr int kNumeralCount = static_cast<int>(std::size(kNumerals));
constexpr int kConjunctionCount = static_cast<int>(std::size(kConjunctions));
static_assert(kPrepCount == kBefore + 1, "kPreps must follow PrepIndex");

bool isSubordinator(int conjunction) { return conjunction >= kFirstSubordinator; }

bool endsWith(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool isEnglishVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

std::string englishPlural(const NounEntry &n)
{
    if (n.plural)
        return n.plural;
    const std::string s = n.singular;
    if (endsWith(s, "s") || endsWith(s, "x") || endsWith(s, "z") || endsWith(s, "ch") || endsWith(s, "sh"))
        return s + "es";
    if (s.size() > 1 && s.back() == 'y' && !isEnglishVowel(s[s.size() - 2]))
        return s.substr(0, s.size() - 1) + "ies";
    return s + "s";
}

std::string englishThirdSingular(const std::string &s)
{
    if (endsWith(s, "s") || endsWith(s, "x") || endsWith(s, "z") || endsWith(s, "ch") || endsWith(s, "sh")
        || endsWith(s, "o"))
        return s + "es";
    if (s.size() > 1 && s.back() == 'y' && !isEnglishVowel(s[s.size() - 2]))
        return s.substr(0, s.size() - 1) + "ies";
    return s + "s";
}

std::string englishPast(const VerbEntry &v)
{
    if (v.past)
        return v.past;
    const std::string s = v.base;
    if (s.back() == 'e')
        return s + "d";
    if (s.size() > 1 && s.back() == 'y' && !isEnglishVowel(s[s.size() - 2]))
        return s.substr(0, s.size() - 1) + "ied";
    return s + "ed";
}

int findIndex(std::string_view word, const char *const *table, int count)
{
    for (int i = 0; i < count; ++i)
        if (word == table[i])
            return i;
    throw std::logic_error("synthetic lexicon: unknown word " + std::string(word));
}

int findNoun(std::string_view word)
{
    for (int i = 0; i < kNounCount; ++i)
        if (word == kNouns[i].singular)
            return i;
    throw std::logic_error("synthetic lexicon: unknown noun " + std::string(word));
}

int findVerb(std::string_view word)
{
    for (int i = 0; i < kVerbCount; ++i)
        if (word == kVerbs[i].base)
            return i;
    throw std::logic_error("synthetic lexicon: unknown verb " + std::string(word));
}

/// English inflected forms, computed once.
struct EnglishTables
{
    std::vector<std::string> nounPlural, verbThird, verbPast;
    std::vector<int> adverbAdjective;        ///< adjective index or -1
};

const EnglishTables &english()
{
    static const EnglishTables tables = [] {
        EnglishTables t;
        for (const NounEntry &n : kNouns)
            t.nounPlural.push_back(englishPlural(n));
        for (const VerbEntry &v : kVerbs) {
            t.verbThird.push_back(englishThirdSingular(v.base));
            t.verbPast.push_back(englishPast(v));
        }
        for (const AdverbEntry &a : kAdverbs)
            t.adverbAdjective.push_back(a.adjective ? findIndex(a.adjective, kAdjectives, kAdjectiveCount) : -1);
        return t;
    }();
    return tables;
}

/// The open-class lemmas sentences may use: a share of each list, taken from its start (the
/// commonest words come first) and per semantic class, so that every verb still finds objects
/// of the classes it takes. With share 1 every list is the whole table, in table order, and the
/// generator draws exactly the numbers it drew before the share existed (the full corpus is
/// unchanged byte for byte).
struct ActiveLexicon
{
    std::vector<std::vector<int>> nounsByMask; ///< [mask] → usable nouns whose class is in the mask
    std::vector<int> verbs, adjectives, adverbs;
    std::size_t lemmas = 0;                    ///< open-class lemmas in use

    explicit ActiveLexicon(double share)
    {
        auto keep = [share](std::size_t n) {
            return std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(share * static_cast<double>(n) - 1e-9)));
        };
        // Nouns: the first share of every semantic class.
        std::vector<bool> noun(static_cast<std::size_t>(kNounCount), false);
        for (ClassMask cls = 1; cls < 64; cls = static_cast<ClassMask>(cls << 1)) {
            std::vector<int> members;
            for (int i = 0; i < kNounCount; ++i)
                if (kNouns[i].cls == cls)
                    members.push_back(i);
            for (std::size_t k = 0; k < keep(members.size()) && k < members.size(); ++k)
                noun[static_cast<std::size_t>(members[k])] = true;
        }
        nounsByMask.resize(64);
        for (int mask = 0; mask < 64; ++mask)
            for (int i = 0; i < kNounCount; ++i)
                if ((kNouns[i].cls & mask) && noun[static_cast<std::size_t>(i)])
                    nounsByMask[static_cast<std::size_t>(mask)].push_back(i);
        // Verbs: the first share of every group taking the same kind of object.
        std::vector<bool> verb(static_cast<std::size_t>(kVerbCount), false);
        std::vector<ClassMask> seen;
        for (int i = 0; i < kVerbCount; ++i) {
            const ClassMask takes = kVerbs[i].object;
            if (std::find(seen.begin(), seen.end(), takes) != seen.end())
                continue;
            seen.push_back(takes);
            std::vector<int> members;
            for (int j = 0; j < kVerbCount; ++j)
                if (kVerbs[j].object == takes)
                    members.push_back(j);
            for (std::size_t k = 0; k < keep(members.size()); ++k)
                verb[static_cast<std::size_t>(members[k])] = true;
        }
        for (int i = 0; i < kVerbCount; ++i)
            if (verb[static_cast<std::size_t>(i)])
                verbs.push_back(i);
        for (int i = 0; i < static_cast<int>(keep(kAdjectiveCount)); ++i)
            adjectives.push_back(i);
        for (int i = 0; i < static_cast<int>(keep(kAdverbCount)); ++i)
            adverbs.push_back(i);
        lemmas = verbs.size() + adjectives.size() + adverbs.size();
        for (bool n : noun)
            lemmas += n ? 1 : 0;
    }
};

// =============================================================================================
// Abstract sentences
// =============================================================================================

enum class Det : std::uint8_t { None, Def, Indef, This, That, Poss, Every, Some, Many, Few };
enum class Tense : std::uint8_t { Present, Past, Future };

struct NounPhrase
{
    std::int16_t noun = -1;     ///< index into kNouns; -1 for a pronoun
    std::int8_t pronoun = -1;   ///< person 0..5 when a pronoun
    bool plural = false;
    Det det = Det::None;
    std::int8_t possessor = -1; ///< person of a possessive determiner
    std::int8_t numeral = -1;   ///< index into kNumerals
    std::uint8_t adjectiveCount = 0;
    std::int16_t adjectives[2] = {-1, -1};

    bool isPronoun() const { return pronoun >= 0; }
    bool animate() const { return isPronoun() || (kNouns[noun].cls & kAnimate) != 0; }
};

struct PrepPhrase
{
    std::int16_t prep = -1;
    NounPhrase object;
};

struct Clause
{
    NounPhrase subject;
    std::int16_t verb = 0;
    Tense tense = Tense::Present;
    bool negated = false;
    bool hasObject = false;
    NounPhrase object;
    bool hasPrep = false;
    PrepPhrase prep;
    std::int16_t adverb = -1;
};

/// Up to three clauses: A, "A co B", "A sub B" or "A co B sub C" (the subordinate clause
/// always hangs on the clause before it, which is what the SOV grammars reorder).
struct Sentence
{
    Clause clauses[3];
    int clauseCount = 1;
    int conjunctions[2] = {-1, -1}; ///< conjunctions[k] joins clauses[k + 1] to clauses[k]
};

/// Person 0..5 of a subject (noun phrases are third person).
int personOf(const NounPhrase &np)
{
    if (np.isPronoun())
        return np.pronoun;
    return np.plural ? 5 : 2;
}

NounPhrase pronounPhrase(int person)
{
    NounPhrase np;
    np.pronoun = static_cast<std::int8_t>(person);
    np.plural = person >= 4;
    return np;
}

NounPhrase makeNounPhrase(Rng &rng, const ActiveLexicon &lex, ClassMask mask)
{
    const std::vector<int> &candidates = lex.nounsByMask[mask];
    NounPhrase np;
    np.noun = static_cast<std::int16_t>(candidates[rng.below(candidates.size())]);
    np.plural = rng.percent(30);
    if (np.plural) {
        static constexpr Det kDets[] = {Det::Def, Det::This, Det::That, Det::Poss, Det::Some, Det::Many, Det::Few, Det::None};
        np.det = kDets[rng.weighted({36, 6, 5, 15, 10, 6, 4, 18})];
    } else {
        static constexpr Det kDets[] = {Det::Def, Det::Indef, Det::This, Det::That, Det::Poss, Det::Every};
        np.det = kDets[rng.weighted({44, 26, 7, 6, 13, 4})];
    }
    if (np.det == Det::Poss)
        np.possessor = static_cast<std::int8_t>(rng.below(6));
    return np;
}

Clause makeClause(Rng &rng, const ActiveLexicon &lex)
{
    Clause c;
    c.subject = rng.percent(22) ? pronounPhrase(static_cast<int>(rng.below(6))) : makeNounPhrase(rng, lex, kAnimate);
    c.verb = static_cast<std::int16_t>(lex.verbs[rng.below(lex.verbs.size())]);
    c.tense = static_cast<Tense>(rng.below(3));
    const ClassMask takes = kVerbs[c.verb].object;
    if (takes != 0) {
        c.hasObject = true;
        if ((takes & kAnimate) && rng.percent(12)) {
            int person = static_cast<int>(rng.below(6));
            if (c.subject.isPronoun() && person == c.subject.pronoun) // no reflexives
                person = (person + 1 + static_cast<int>(rng.below(5))) % 6;
            c.object = pronounPhrase(person);
        } else {
            c.object = makeNounPhrase(rng, lex, takes);
        }
    }
    return c;
}

// English word counts, computed from the structure (the renderer below must agree).
std::size_t phraseLength(const NounPhrase &np)
{
    if (np.isPronoun())
        return 1;
    return (np.det != Det::None ? 1u : 0u) + (np.numeral >= 0 ? 1u : 0u) + np.adjectiveCount + 1u;
}

std::size_t clauseLength(const Clause &c)
{
    std::size_t n = phraseLength(c.subject);
    n += c.negated ? 3 : (c.tense == Tense::Future ? 2 : 1); // "does not eat", "will eat", "ate"
    if (c.hasObject)
        n += phraseLength(c.object);
    if (c.hasPrep)
        n += 1 + phraseLength(c.prep.object);
    if (c.adverb >= 0)
        n += 1;
    return n;
}

std::size_t sentenceLength(const Sentence &s)
{
    std::size_t n = static_cast<std::size_t>(s.clauseCount - 1);
    for (int k = 0; k < s.clauseCount; ++k)
        n += clauseLength(s.clauses[k]);
    return n;
}

/// One random growth step (adjective, numeral, prepositional phrase, adverb, negation or a
/// further clause); false when the sentence cannot grow any more.
bool expandSentence(Rng &rng, const ActiveLexicon &lex, Sentence &s)
{
    enum Kind { Adjective, Numeral, Prep, Adverb, Negate, AddClause };
    struct Option
    {
        Kind kind;
        int clause;
        int slot;
        unsigned weight;
    };
    Option options[32];
    int count = 0;
    unsigned total = 0;
    auto add = [&](Kind kind, int clause, int slot, unsigned weight) {
        options[count++] = {kind, clause, slot, weight};
        total += weight;
    };
    for (int k = 0; k < s.clauseCount; ++k) {
        Clause &c = s.clauses[k];
        const NounPhrase *phrases[3] = {&c.subject, c.hasObject ? &c.object : nullptr,
                                        c.hasPrep ? &c.prep.object : nullptr};
        for (int slot = 0; slot < 3; ++slot) {
            const NounPhrase *np = phrases[slot];
            if (!np || np->isPronoun())
                continue;
            if (np->adjectiveCount < 2)
                add(Adjective, k, slot, 3);
            if (np->plural && np->numeral < 0
                && (np->det == Det::None || np->det == Det::Def || np->det == Det::This || np->det == Det::That
                    || np->det == Det::Poss))
                add(Numeral, k, slot, 1);
        }
        if (!c.hasPrep)
            add(Prep, k, 0, 4);
        if (c.adverb < 0)
            add(Adverb, k, 0, 3);
        if (!c.negated)
            add(Negate, k, 0, 1);
    }
    if (s.clauseCount == 1 || (s.clauseCount == 2 && !isSubordinator(s.conjunctions[0])))
        add(AddClause, 0, 0, 3);
    if (count == 0)
        return false;

    std::size_t r = rng.below(total);
    int chosen = 0;
    while (r >= options[chosen].weight) {
        r -= options[chosen].weight;
        ++chosen;
    }
    const Option &o = options[chosen];
    Clause &c = s.clauses[o.clause];
    NounPhrase *np = o.slot == 0 ? &c.subject : (o.slot == 1 ? &c.object : &c.prep.object);
    switch (o.kind) {
    case Adjective: {
        const std::size_t n = lex.adjectives.size();
        std::size_t pick = rng.below(n);
        if (np->adjectiveCount == 1 && lex.adjectives[pick] == np->adjectives[0])
            pick = (pick + 1) % n;
        np->adjectives[np->adjectiveCount++] = static_cast<std::int16_t>(lex.adjectives[pick]);
        break;
    }
    case Numeral:
        np->numeral = static_cast<std::int8_t>(rng.below(kNumeralCount));
        break;
    case Prep: {
        c.hasPrep = true;
        c.prep.prep = static_cast<std::int16_t>(rng.below(kPrepCount));
        const ClassMask takes = kPreps[c.prep.prep].object;
        c.prep.object = (takes & kAnimate) && rng.percent(8) ? pronounPhrase(static_cast<int>(rng.below(6)))
                                                             : makeNounPhrase(rng, lex, takes);
        break;
    }
    case Adverb:
        c.adverb = static_cast<std::int16_t>(lex.adverbs[rng.below(lex.adverbs.size())]);
        break;
    case Negate:
        c.negated = true;
        break;
    case AddClause:
        s.conjunctions[s.clauseCount - 1] =
            s.clauseCount == 1 ? static_cast<int>(rng.below(kConjunctionCount))
                               : kFirstSubordinator + static_cast<int>(rng.below(kConjunctionCount - kFirstSubordinator));
        s.clauses[s.clauseCount++] = makeClause(rng, lex);
        break;
    }
    return true;
}

constexpr std::size_t kLongestTarget = 48;   ///< longest English length aimed at
constexpr std::size_t kMaxMinTokens = 40;    ///< validate(): reachable with three clauses

/// A sentence whose English rendering has between minTokens and maxTokens words. Lengths
/// are skewed towards the short end (target = min + (max - min) · u^1.5).
Sentence makeSentence(Rng &rng, const ActiveLexicon &lex, std::size_t minTokens, std::size_t maxTokens)
{
    const std::size_t top = std::max(minTokens, std::min(maxTokens, kLongestTarget));
    for (;;) {
        const double u = rng.unit();
        std::size_t target = minTokens + static_cast<std::size_t>(u * std::sqrt(u) * static_cast<double>(top - minTokens + 1));
        target = std::min(target, top);
        Sentence s;
        s.clauses[0] = makeClause(rng, lex);
        std::size_t length = sentenceLength(s);
        while (length < target && expandSentence(rng, lex, s))
            length = sentenceLength(s);
        if (length >= minTokens && length <= maxTokens)
            return s;
    }
}

// ---- English rendering ------------------------------------------------------------------

void appendWord(std::string &out, std::string_view word)
{
    if (!out.empty())
        out += ' ';
    out += word;
}

void englishPhrase(const NounPhrase &np, bool objectCase, std::string &out)
{
    if (np.isPronoun()) {
        appendWord(out, objectCase ? kObjectPronouns[np.pronoun] : kSubjectPronouns[np.pronoun]);
        return;
    }
    switch (np.det) {
    case Det::None:
        break;
    case Det::Def:
        appendWord(out, "the");
        break;
    case Det::Indef: {
        const char *next = np.adjectiveCount > 0 ? kAdjectives[np.adjectives[0]] : kNouns[np.noun].singular;
        appendWord(out, isEnglishVowel(next[0]) ? "an" : "a");
        break;
    }
    case Det::This:
        appendWord(out, np.plural ? "these" : "this");
        break;
    case Det::That:
        appendWord(out, np.plural ? "those" : "that");
        break;
    case Det::Poss:
        appendWord(out, kPossessives[np.possessor]);
        break;
    case Det::Every:
        appendWord(out, "every");
        break;
    case Det::Some:
        appendWord(out, "some");
        break;
    case Det::Many:
        appendWord(out, "many");
        break;
    case Det::Few:
        appendWord(out, "few");
        break;
    }
    if (np.numeral >= 0)
        appendWord(out, kNumerals[np.numeral]);
    for (int i = 0; i < np.adjectiveCount; ++i)
        appendWord(out, kAdjectives[np.adjectives[i]]);
    appendWord(out, np.plural ? english().nounPlural[static_cast<std::size_t>(np.noun)] : kNouns[np.noun].singular);
}

void englishClause(const Clause &c, std::string &out)
{
    englishPhrase(c.subject, false, out);
    const int person = personOf(c.subject);
    const bool third = person == 2 || person == 3;
    const auto v = static_cast<std::size_t>(c.verb);
    switch (c.tense) {
    case Tense::Present:
        if (c.negated) {
            appendWord(out, third ? "does not" : "do not");
            appendWord(out, kVerbs[v].base);
        } else {
            appendWord(out, third ? english().verbThird[v] : std::string(kVerbs[v].base));
        }
        break;
    case Tense::Past:
        if (c.negated) {
            appendWord(out, "did not");
            appendWord(out, kVerbs[v].base);
        } else {
            appendWord(out, english().verbPast[v]);
        }
        break;
    case Tense::Future:
        appendWord(out, c.negated ? "will not" : "will");
        appendWord(out, kVerbs[v].base);
        break;
    }
    if (c.hasObject)
        englishPhrase(c.object, true, out);
    if (c.adverb >= 0)
        appendWord(out, kAdverbs[c.adverb].word);
    if (c.hasPrep) {
        appendWord(out, kPreps[c.prep.prep].word);
        englishPhrase(c.prep.object, true, out);
    }
}

std::string renderEnglish(const Sentence &s)
{
    std::string out;
    out.reserve(160);
    englishClause(s.clauses[0], out);
    for (int k = 1; k < s.clauseCount; ++k) {
        appendWord(out, kConjunctions[s.conjunctions[k - 1]]);
        englishClause(s.clauses[k], out);
    }
    if (out[0] >= 'a' && out[0] <= 'z')
        out[0] = static_cast<char>(out[0] - 'a' + 'A');
    out += '.';
    return out;
}

// =============================================================================================
// Concepts: every lemma the derived languages need a word for
// =============================================================================================

enum class Pos : std::uint8_t {
    Noun, Verb, Adjective, Adverb, Preposition, Numeral, Conjunction,
    SubjectPronoun, ObjectPronoun, Possessive, Grammar
};

/// Grammatical words: articles, negation, future auxiliary or particle, determiners.
enum Gram { gDef, gIndef, gNeg, gFut, gThis, gThat, gEvery, gSome, gMany, gFew, kGramCount };

constexpr int kNounBase = 0;
constexpr int kVerbBase = kNounBase + kNounCount;
constexpr int kAdjBase = kVerbBase + kVerbCount;
constexpr int kAdvBase = kAdjBase + kAdjectiveCount;
constexpr int kPrepBase = kAdvBase + kAdverbCount;
constexpr int kNumBase = kPrepBase + kPrepCount;
constexpr int kConjBase = kNumBase + kNumeralCount;
constexpr int kSubjBase = kConjBase + kConjunctionCount;
constexpr int kObjBase = kSubjBase + 6;
constexpr int kPossBase = kObjBase + 6;
constexpr int kGramBase = kPossBase + 6;
constexpr int kConceptCount = kGramBase + kGramCount;

Pos posOf(int concept)
{
    if (concept < kVerbBase) return Pos::Noun;
    if (concept < kAdjBase) return Pos::Verb;
    if (concept < kAdvBase) return Pos::Adjective;
    if (concept < kPrepBase) return Pos::Adverb;
    if (concept < kNumBase) return Pos::Preposition;
    if (concept < kConjBase) return Pos::Numeral;
    if (concept < kSubjBase) return Pos::Conjunction;
    if (concept < kObjBase) return Pos::SubjectPronoun;
    if (concept < kPossBase) return Pos::ObjectPronoun;
    if (concept < kGramBase) return Pos::Possessive;
    return Pos::Grammar;
}

bool isContentPos(Pos pos)
{
    return pos == Pos::Noun || pos == Pos::Verb || pos == Pos::Adjective || pos == Pos::Adverb;
}

/// True for manner adverbs, whose form every language derives from the adjective.
bool isDerivedAdverb(int concept)
{
    return posOf(concept) == Pos::Adverb && english().adverbAdjective[static_cast<std::size_t>(concept - kAdvBase)] >= 0;
}

// =============================================================================================
// Families, phonologies and roots
// =============================================================================================

enum class Family : std::uint8_t { Romance, Germanic, Slavic, Altaic, Greek };
constexpr int kFamilyCount = 5;

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

std::string makeRoot(Rng &rng, Family family, Pos pos, int extraSyllables = 0)
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

bool isVowelIn(char c, std::string_view vowels) { return c != 0 && vowels.find(c) != std::string_view::npos; }

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

// ---- Turkish vowel harmony ------------------------------------------------------------------
// Internal Turkish letters: I = ı, O = ö, U = ü, C = ç, S = ş, G = ğ. In suffix templates
// A = a/e, H = ı/i/u/ü, D = d/t, "(y)" a buffer consonant after a vowel, "[H]" a buffer
// vowel after a consonant.

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

// =============================================================================================
// Scripts and spelling
// =============================================================================================

void appendUtf8(std::string &out, char32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

char32_t upperCase(char32_t cp, bool turkish)
{
    if (cp >= 'a' && cp <= 'z')
        return turkish && cp == 'i' ? 0x130 : cp - 0x20;
    if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) return cp - 0x20;        // Latin-1
    if (cp == 0x131) return 'I';                                          // ı
    if (cp == 0x11F || cp == 0x15F) return cp - 1;                       // ğ ş
    if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) return cp - 0x20;      // Greek
    if (cp >= 0x430 && cp <= 0x44F) return cp - 0x20;                     // Cyrillic
    if (cp >= 0x450 && cp <= 0x45F) return cp - 0x50;
    if (cp == 0x491) return 0x490;                                        // ґ
    return cp;
}

/// Upper-cases the first letter (1- or 2-byte UTF-8 letters; other scripts have no case).
void capitalizeFirst(std::string &s, bool turkish = false)
{
    if (s.empty())
        return;
    const auto c0 = static_cast<unsigned char>(s[0]);
    std::size_t length = 0;
    char32_t cp = 0;
    if (c0 < 0x80) {
        cp = c0;
        length = 1;
    } else if ((c0 & 0xE0) == 0xC0 && s.size() >= 2) {
        cp = (static_cast<char32_t>(c0 & 0x1F) << 6) | (static_cast<unsigned char>(s[1]) & 0x3F);
        length = 2;
    } else {
        return;
    }
    const char32_t up = upperCase(cp, turkish);
    if (up == cp)
        return;
    std::string encoded;
    appendUtf8(encoded, up);
    s.replace(0, length, encoded);
}

using Transliteration = std::vector<std::pair<std::string_view, std::string_view>>;

/// Greedy transliteration; `table` lists longer keys before their prefixes.
std::string transliterate(std::string_view w, const Transliteration &table)
{
    std::string out;
    out.reserve(w.size() * 2);
    std::size_t i = 0;
    while (i < w.size()) {
        bool matched = false;
        for (const auto &[from, to] : table) {
            if (w.compare(i, from.size(), from) == 0) {
                out += to;
                i += from.size();
                matched = true;
                break;
            }
        }
        if (!matched)
            out += w[i++];
    }
    return out;
}

const Transliteration &russianLetters()
{
    static const Transliteration t = {
        {"shch", "щ"}, {"zh", "ж"}, {"ch", "ч"}, {"sh", "ш"}, {"ts", "ц"}, {"ja", "я"}, {"ju", "ю"},
        {"jo", "ё"}, {"je", "е"}, {"a", "а"}, {"b", "б"}, {"v", "в"}, {"g", "г"}, {"d", "д"}, {"e", "е"},
        {"z", "з"}, {"i", "и"}, {"j", "й"}, {"k", "к"}, {"l", "л"}, {"m", "м"}, {"n", "н"}, {"o", "о"},
        {"p", "п"}, {"r", "р"}, {"s", "с"}, {"t", "т"}, {"u", "у"}, {"f", "ф"}, {"x", "х"}, {"h", "х"},
        {"c", "ц"}, {"y", "ы"}, {"'", "ь"}, {"w", "в"},
    };
    return t;
}

const Transliteration &ukrainianLetters()
{
    static const Transliteration t = {
        {"shch", "щ"}, {"zh", "ж"}, {"ch", "ч"}, {"sh", "ш"}, {"ts", "ц"}, {"ja", "я"}, {"ju", "ю"},
        {"je", "є"}, {"ji", "ї"}, {"a", "а"}, {"b", "б"}, {"v", "в"}, {"h", "г"}, {"g", "ґ"}, {"d", "д"},
        {"e", "е"}, {"z", "з"}, {"i", "і"}, {"y", "и"}, {"j", "й"}, {"k", "к"}, {"l", "л"}, {"m", "м"},
        {"n", "н"}, {"o", "о"}, {"p", "п"}, {"r", "р"}, {"s", "с"}, {"t", "т"}, {"u", "у"}, {"f", "ф"},
        {"x", "х"}, {"c", "ц"}, {"'", "ь"}, {"w", "в"},
    };
    return t;
}

const Transliteration &bulgarianLetters()
{
    static const Transliteration t = {
        {"sht", "щ"}, {"zh", "ж"}, {"ch", "ч"}, {"sh", "ш"}, {"ts", "ц"}, {"ja", "я"}, {"ju", "ю"},
        {"je", "е"}, {"a", "а"}, {"b", "б"}, {"v", "в"}, {"g", "г"}, {"d", "д"}, {"e", "е"}, {"z", "з"},
        {"i", "и"}, {"j", "й"}, {"k", "к"}, {"l", "л"}, {"m", "м"}, {"n", "н"}, {"o", "о"}, {"p", "п"},
        {"r", "р"}, {"s", "с"}, {"t", "т"}, {"u", "у"}, {"f", "ф"}, {"x", "х"}, {"h", "х"}, {"c", "ц"},
        {"y", "ъ"}, {"'", "ь"}, {"w", "в"},
    };
    return t;
}

const Transliteration &greekLetters()
{
    static const Transliteration t = {
        {"th", "θ"}, {"ch", "χ"}, {"ps", "ψ"}, {"ks", "ξ"}, {"a", "α"}, {"b", "β"}, {"v", "β"}, {"g", "γ"},
        {"d", "δ"}, {"e", "ε"}, {"z", "ζ"}, {"i", "ι"}, {"k", "κ"}, {"l", "λ"}, {"m", "μ"}, {"n", "ν"},
        {"x", "ξ"}, {"o", "ο"}, {"p", "π"}, {"r", "ρ"}, {"s", "σ"}, {"t", "τ"}, {"u", "ου"}, {"y", "υ"},
        {"f", "φ"}, {"h", "χ"}, {"j", "ι"}, {"w", "ου"},
    };
    return t;
}

std::string greekSpelling(std::string_view w)
{
    std::string out = transliterate(w, greekLetters());
    if (endsWith(out, "σ")) // word-final sigma
        out.replace(out.size() - 2, 2, "ς");
    return out;
}

std::string turkishSpelling(std::string_view w)
{
    std::string out;
    out.reserve(w.size() + 4);
    for (char c : w) {
        switch (c) {
        case 'I': out += "ı"; break;
        case 'O': out += "ö"; break;
        case 'U': out += "ü"; break;
        case 'C': out += "ç"; break;
        case 'S': out += "ş"; break;
        case 'G': out += "ğ"; break;
        default: out += c;
        }
    }
    return out;
}

bool isFrontVowelByte(std::string_view w, std::size_t i)
{
    if (i >= w.size())
        return false;
    if (w[i] == 'e' || w[i] == 'i')
        return true;
    // é, è, í, ì written directly in endings
    return w.compare(i, 2, "é") == 0 || w.compare(i, 2, "è") == 0 || w.compare(i, 2, "í") == 0
           || w.compare(i, 2, "ì") == 0;
}

enum class Writing : std::uint8_t {
    Spanish, Catalan, Portuguese, Italian, German, Dutch, Swedish,
    Russian, Ukrainian, Bulgarian, Turkish, Japanese, Korean, Greek
};

/// k and g before front vowels: Spanish/Catalan/Portuguese qu, gu; Italian ch, gh, cch.
std::string romanceSpelling(std::string_view w, Writing writing)
{
    const bool italian = writing == Writing::Italian;
    std::string out;
    out.reserve(w.size() + 4);
    for (std::size_t i = 0; i < w.size(); ++i) {
        const char c = w[i];
        if (c == 'k') {
            if (italian && i + 1 < w.size() && w[i + 1] == 'k') {
                out += isFrontVowelByte(w, i + 2) ? "cch" : "cc";
                ++i;
            } else if (isFrontVowelByte(w, i + 1)) {
                out += italian ? "ch" : "qu";
            } else {
                out += 'c';
            }
        } else if (c == 'g' && isFrontVowelByte(w, i + 1)) {
            out += italian ? "gh" : "gu";
        } else {
            out += c;
        }
    }
    return out;
}

/// Placeholders: A ä, O ö, U ü, W å. A leading '#' capitalises (German nouns).
std::string germanicSpelling(std::string_view w)
{
    const bool capital = !w.empty() && w[0] == '#';
    if (capital)
        w.remove_prefix(1);
    std::string out;
    out.reserve(w.size() + 4);
    for (char c : w) {
        switch (c) {
        case 'A': out += "ä"; break;
        case 'O': out += "ö"; break;
        case 'U': out += "ü"; break;
        case 'W': out += "å"; break;
        default: out += c;
        }
    }
    if (capital)
        capitalizeFirst(out);
    return out;
}

// ---- kana -------------------------------------------------------------------------------------

struct KanaEntry
{
    std::string_view romaji;
    std::u32string_view kana; ///< hiragana
};

const std::unordered_map<std::string_view, std::u32string_view> &kanaTable()
{
    static const KanaEntry entries[] = {
        {"a", U"あ"}, {"i", U"い"}, {"u", U"う"}, {"e", U"え"}, {"o", U"お"},
        {"ka", U"か"}, {"ki", U"き"}, {"ku", U"く"}, {"ke", U"け"}, {"ko", U"こ"},
        {"ga", U"が"}, {"gi", U"ぎ"}, {"gu", U"ぐ"}, {"ge", U"げ"}, {"go", U"ご"},
        {"sa", U"さ"}, {"si", U"し"}, {"su", U"す"}, {"se", U"せ"}, {"so", U"そ"},
        {"sha", U"しゃ"}, {"shi", U"し"}, {"shu", U"しゅ"}, {"she", U"しぇ"}, {"sho", U"しょ"},
        {"za", U"ざ"}, {"zi", U"じ"}, {"zu", U"ず"}, {"ze", U"ぜ"}, {"zo", U"ぞ"},
        {"ja", U"じゃ"}, {"ji", U"じ"}, {"ju", U"じゅ"}, {"je", U"じぇ"}, {"jo", U"じょ"},
        {"ta", U"た"}, {"ti", U"ち"}, {"tu", U"つ"}, {"te", U"て"}, {"to", U"と"},
        {"cha", U"ちゃ"}, {"chi", U"ち"}, {"chu", U"ちゅ"}, {"che", U"ちぇ"}, {"cho", U"ちょ"},
        {"tsa", U"つぁ"}, {"tsi", U"つぃ"}, {"tsu", U"つ"}, {"tse", U"つぇ"}, {"tso", U"つぉ"},
        {"da", U"だ"}, {"di", U"ぢ"}, {"du", U"づ"}, {"de", U"で"}, {"do", U"ど"},
        {"na", U"な"}, {"ni", U"に"}, {"nu", U"ぬ"}, {"ne", U"ね"}, {"no", U"の"},
        {"ha", U"は"}, {"hi", U"ひ"}, {"hu", U"ふ"}, {"he", U"へ"}, {"ho", U"ほ"},
        {"fa", U"ふぁ"}, {"fi", U"ふぃ"}, {"fu", U"ふ"}, {"fe", U"ふぇ"}, {"fo", U"ふぉ"},
        {"ba", U"ば"}, {"bi", U"び"}, {"bu", U"ぶ"}, {"be", U"べ"}, {"bo", U"ぼ"},
        {"pa", U"ぱ"}, {"pi", U"ぴ"}, {"pu", U"ぷ"}, {"pe", U"ぺ"}, {"po", U"ぽ"},
        {"ma", U"ま"}, {"mi", U"み"}, {"mu", U"む"}, {"me", U"め"}, {"mo", U"も"},
        {"ya", U"や"}, {"yi", U"い"}, {"yu", U"ゆ"}, {"ye", U"いぇ"}, {"yo", U"よ"},
        {"ra", U"ら"}, {"ri", U"り"}, {"ru", U"る"}, {"re", U"れ"}, {"ro", U"ろ"},
        {"wa", U"わ"}, {"wi", U"うぃ"}, {"wu", U"う"}, {"we", U"うぇ"}, {"wo", U"を"},
    };
    static const std::unordered_map<std::string_view, std::u32string_view> table = [] {
        std::unordered_map<std::string_view, std::u32string_view> m;
        for (const KanaEntry &e : entries)
            m.emplace(e.romaji, e.kana);
        return m;
    }();
    return table;
}

bool isKanaVowel(char c) { return c == 'a' || c == 'i' || c == 'u' || c == 'e' || c == 'o'; }

/// Romaji to kana: '^' starts katakana (nouns), '|' switches to hiragana (particles,
/// endings). A consonant without a vowel is moraic n (ん), a geminate (っ) or gets an
/// epenthetic vowel, as loanwords do.
std::string kanaSpelling(std::string_view w)
{
    static constexpr std::string_view kOnsets[] = {"ch", "sh", "ts", "k", "g", "s", "z", "t", "d", "n", "h",
                                                   "b", "p", "m", "y", "r", "w", "f", "j"};
    const auto &table = kanaTable();
    std::string out;
    out.reserve(w.size() * 2);
    bool katakana = false;
    auto emit = [&](std::u32string_view kana) {
        for (char32_t cp : kana)
            appendUtf8(out, katakana && cp >= 0x3041 && cp <= 0x3096 ? cp + 0x60 : cp);
    };
    std::size_t i = 0;
    while (i < w.size()) {
        const char c = w[i];
        if (c == '^') { katakana = true; ++i; continue; }
        if (c == '|') { katakana = false; ++i; continue; }
        if (isKanaVowel(c)) {
            emit(table.at(w.substr(i, 1)));
            ++i;
            continue;
        }
        std::string_view onset;
        for (std::string_view o : kOnsets)
            if (w.compare(i, o.size(), o) == 0) {
                onset = o;
                break;
            }
        if (onset.empty()) { // not a kana consonant: skip
            ++i;
            continue;
        }
        const std::size_t next = i + onset.size();
        if (next < w.size() && isKanaVowel(w[next])) {
            std::string key(onset);
            key += w[next];
            emit(table.at(key));
            i = next + 1;
        } else if (onset == "n") {
            emit(U"ん");
            i = next;
        } else if (next < w.size() && w[next] == onset[0]) {
            emit(U"っ");
            i = next;
        } else {
            std::string key(onset);
            key += (onset == "t" || onset == "d") ? 'o' : 'u';
            emit(table.at(key));
            i = next;
        }
    }
    return out;
}

// ---- Hangul -----------------------------------------------------------------------------------

/// Romanisation to Hangul syllables U+AC00 + (initial·21 + medial)·28 + final. '|' is a
/// morpheme boundary (the next syllable starts with the silent ㅇ if it begins with a
/// vowel), 'S' is the ㅆ coda. Consonant clusters get the epenthetic vowel ㅡ.
std::string hangulSpelling(std::string_view w)
{
    struct Jamo { std::string_view latin; int index; };
    static constexpr Jamo kInitials[] = {
        {"kk", 1}, {"tt", 4}, {"pp", 8}, {"ss", 10}, {"jj", 13}, {"ch", 14},
        {"g", 0}, {"n", 2}, {"d", 3}, {"r", 5}, {"l", 5}, {"m", 6}, {"b", 7}, {"s", 9}, {"j", 12},
        {"z", 12}, {"c", 14}, {"k", 15}, {"t", 16}, {"p", 17}, {"h", 18}, {"f", 17}, {"v", 7},
        {"x", 15}, {"q", 15}, {"S", 10},
    };
    static constexpr Jamo kMedials[] = {
        {"yae", 3}, {"yeo", 6}, {"wae", 10}, {"ae", 1}, {"ya", 2}, {"eo", 4}, {"ye", 7}, {"wa", 9},
        {"oe", 11}, {"yo", 12}, {"wo", 14}, {"we", 15}, {"wi", 16}, {"yu", 17}, {"eu", 18}, {"ui", 19},
        {"a", 0}, {"e", 5}, {"o", 8}, {"u", 13}, {"i", 20},
    };
    static constexpr Jamo kFinals[] = {
        {"ng", 21}, {"g", 1}, {"k", 1}, {"n", 4}, {"d", 7}, {"t", 7}, {"l", 8}, {"r", 8}, {"m", 16},
        {"b", 17}, {"p", 17}, {"s", 19}, {"S", 20}, {"j", 22}, {"z", 22}, {"h", 27},
    };
    auto match = [&](const auto &table, std::size_t at) -> const Jamo * {
        for (const Jamo &j : table)
            if (w.compare(at, j.latin.size(), j.latin) == 0)
                return &j;
        return nullptr;
    };
    auto vowelAt = [&](std::size_t at) { return at < w.size() && match(kMedials, at) != nullptr; };

    std::string out;
    out.reserve(w.size() * 2);
    std::size_t i = 0;
    while (i < w.size()) {
        if (w[i] == '|') {
            ++i;
            continue;
        }
        int initial = 11; // ㅇ
        if (const Jamo *j = match(kInitials, i); j && !vowelAt(i)) {
            initial = j->index;
            i += j->latin.size();
        } else if (!vowelAt(i)) {
            ++i; // a letter Hangul cannot write
            continue;
        }
        int medial = 18; // ㅡ when no vowel follows
        if (const Jamo *j = i < w.size() ? match(kMedials, i) : nullptr) {
            medial = j->index;
            i += j->latin.size();
        }
        int coda = 0;
        // A consonant closes the syllable when no vowel follows it; "ng" before a vowel
        // leaves its g to the next syllable.
        for (const Jamo &f : kFinals) {
            if (w.compare(i, f.latin.size(), f.latin) != 0)
                continue;
            const std::size_t after = i + f.latin.size();
            if (after >= w.size() || w[after] == '|' || !vowelAt(after)) {
                coda = f.index;
                i = after;
                break;
            }
        }
        appendUtf8(out, static_cast<char32_t>(0xAC00 + (initial * 21 + medial) * 28 + coda));
    }
    return out;
}

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

/// Pair sizes run from the largest down; families mix high and low resource.
constexpr const char *kSizeOrder[] = {"es", "ru", "de", "ja", "tr", "el", "pt", "ko", "nl", "it", "uk", "sv", "bg", "ca"};

std::string_view contextVowels(Family f)
{
    switch (f) {
    case Family::Slavic: return "aeiouy";
    case Family::Altaic: return "aeiouIOU";
    default: return "aeiouAOUW";
    }
}

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

int nounConcept(int i) { return kNounBase + i; }
int verbConcept(int i) { return kVerbBase + i; }
int adjConcept(int i) { return kAdjBase + i; }
int advConcept(int i) { return kAdvBase + i; }
int prepConcept(int i) { return kPrepBase + i; }
int numConcept(int i) { return kNumBase + i; }
int conjConcept(int i) { return kConjBase + i; }
int subjConcept(int person) { return kSubjBase + person; }
int objConcept(int person) { return kObjBase + person; }
int possConcept(int person) { return kPossBase + person; }
int gramConcept(Gram g) { return kGramBase + g; }

// =============================================================================================
// Rendering
// =============================================================================================

struct Token
{
    std::string text;      ///< internal spelling
    bool commaAfter = false;
};
using Tokens = std::vector<Token>;

void push(Tokens &out, std::string text) { out.push_back(Token{std::move(text), false}); }

bool endsInVowel(const std::string &w)
{
    return !w.empty() && (w.back() == 'a' || w.back() == 'e' || w.back() == 'i' || w.back() == 'o' || w.back() == 'u');
}

using ClauseRenderer = void (*)(const Language &, const Clause &, bool main, Tokens &);

/// Clauses in English order; a comma before subordinating conjunctions where the language
/// writes one.
void joinClauses(const Language &L, const Sentence &s, bool commaBeforeSubordinator, ClauseRenderer renderClause,
                 Tokens &out)
{
    renderClause(L, s.clauses[0], true, out);
    for (int k = 1; k < s.clauseCount; ++k) {
        const int conj = s.conjunctions[k - 1];
        if (isSubordinator(conj) && commaBeforeSubordinator && !out.empty())
            out.back().commaAfter = true;
        push(out, L.word(conjConcept(conj)));
        renderClause(L, s.clauses[k], !isSubordinator(conj), out);
    }
}

// ---- Romance: SVO, article + noun + adjectives (gender and number agreement), pro-drop,
// object clitics before the verb, theme-vowel verb endings ----------------------------------

struct RomanceGrammar
{
    const char *nounEnd[2][2]; ///< [gender][plural]
    const char *present[6];    ///< 'V' stands for the verb's theme vowel
    const char *past[6];
    const char *future[6];
    bool articleWithPossessive; ///< "il mio libro" (it, pt, ca) rather than "mi libro" (es)
};

const RomanceGrammar &romanceGrammar(Writing w)
{
    static const RomanceGrammar es{{{"o", "os"}, {"a", "as"}},
                                   {"o", "Vs", "V", "V", "Vmos", "Vn"},
                                   {"Vba", "Vbas", "Vba", "Vba", "Vbamos", "Vban"},
                                   {"Vré", "Vrás", "Vrá", "Vrá", "Vremos", "Vrán"},
                                   false};
    static const RomanceGrammar ca{{{"", "s"}, {"a", "es"}},
                                   {"o", "Vs", "V", "V", "Vm", "Vn"},
                                   {"Vba", "Vbes", "Vba", "Vba", "Vbem", "Vben"},
                                   {"Vré", "Vràs", "Vrà", "Vrà", "Vrem", "Vran"},
                                   true};
    static const RomanceGrammar pt{{{"o", "os"}, {"a", "as"}},
                                   {"o", "Vs", "V", "V", "Vmos", "Vm"},
                                   {"Vva", "Vvas", "Vva", "Vva", "Vvamos", "Vvam"},
                                   {"Vrei", "Vrás", "Vrá", "Vrá", "Vremos", "Vrão"},
                                   true};
    static const RomanceGrammar it{{{"o", "i"}, {"a", "e"}},
                                   {"o", "i", "V", "V", "iamo", "Vno"},
                                   {"Vvo", "Vvi", "Vva", "Vva", "Vvamo", "Vvano"},
                                   {"erò", "erai", "erà", "erà", "eremo", "eranno"},
                                   true};
    switch (w) {
    case Writing::Catalan: return ca;
    case Writing::Portuguese: return pt;
    case Writing::Italian: return it;
    default: return es;
    }
}

void romancePhrase(const Language &L, const NounPhrase &np, Tokens &out)
{
    if (np.isPronoun()) { // strong pronoun after a preposition
        push(out, L.word(subjConcept(np.pronoun)));
        return;
    }
    const RomanceGrammar &g = romanceGrammar(L.writing());
    const char *end = g.nounEnd[L.gender(np.noun) & 1][np.plural ? 1 : 0];
    switch (np.det) {
    case Det::None: break;
    case Det::Def: push(out, L.word(gramConcept(gDef)) + end); break;
    case Det::Indef:
    case Det::Some: push(out, L.word(gramConcept(gIndef)) + end); break;
    case Det::This: push(out, L.word(gramConcept(gThis)) + end); break;
    case Det::That: push(out, L.word(gramConcept(gThat)) + end); break;
    case Det::Poss:
        if (g.articleWithPossessive)
            push(out, L.word(gramConcept(gDef)) + end);
        push(out, L.word(possConcept(np.possessor)) + end);
        break;
    case Det::Every: push(out, L.word(gramConcept(gEvery))); break;
    case Det::Many: push(out, L.word(gramConcept(gMany)) + end); break;
    case Det::Few: push(out, L.word(gramConcept(gFew)) + end); break;
    }
    if (np.numeral >= 0)
        push(out, L.word(numConcept(np.numeral)));
    push(out, L.word(nounConcept(np.noun)) + end);
    for (int i = 0; i < np.adjectiveCount; ++i)
        push(out, L.word(adjConcept(np.adjectives[i])) + end);
}

std::string romanceVerb(const Language &L, const Clause &c)
{
    const RomanceGrammar &g = romanceGrammar(L.writing());
    const int person = personOf(c.subject);
    const char *ending = c.tense == Tense::Present ? g.present[person]
                         : c.tense == Tense::Past  ? g.past[person]
                                                   : g.future[person];
    const char theme = L.family->theme[static_cast<std::size_t>(verbConcept(c.verb))];
    std::string w = L.word(verbConcept(c.verb));
    for (const char *p = ending; *p; ++p)
        w += *p == 'V' ? theme : *p;
    return w;
}

void romanceClause(const Language &L, const Clause &c, bool, Tokens &out)
{
    if (!c.subject.isPronoun()) // pro-drop: the verb ending carries the person
        romancePhrase(L, c.subject, out);
    if (c.negated)
        push(out, L.word(gramConcept(gNeg)));
    if (c.hasObject && c.object.isPronoun())
        push(out, L.word(objConcept(c.object.pronoun))); // clitic
    push(out, romanceVerb(L, c));
    if (c.hasObject && !c.object.isPronoun())
        romancePhrase(L, c.object, out);
    if (c.hasPrep) {
        push(out, L.word(prepConcept(c.prep.prep)));
        romancePhrase(L, c.prep.object, out);
    }
    if (c.adverb >= 0)
        push(out, L.word(advConcept(c.adverb)));
}

// ---- Germanic: verb-final clauses (future auxiliary after the subject), adjectives before
// the noun, articles by gender, no case; German capitalises nouns and umlauts plurals,
// Swedish suffixes the definite article ------------------------------------------------------

struct GermanicGrammar
{
    const char *present[6];
    const char *past[6];
    const char *auxiliary[6];
    const char *infinitive;
};

const GermanicGrammar &germanicGrammar(Writing w)
{
    static const GermanicGrammar de{{"e", "st", "t", "t", "en", "en"},
                                    {"te", "test", "te", "te", "ten", "ten"},
                                    {"e", "st", "t", "t", "en", "en"},
                                    "en"};
    static const GermanicGrammar nl{{"", "t", "t", "t", "en", "en"},
                                    {"de", "de", "de", "de", "den", "den"},
                                    {"", "t", "t", "t", "en", "en"},
                                    "en"};
    static const GermanicGrammar sv{{"er", "er", "er", "er", "er", "er"},
                                    {"de", "de", "de", "de", "de", "de"},
                                    {"", "", "", "", "", ""},
                                    "a"};
    switch (w) {
    case Writing::Dutch: return nl;
    case Writing::Swedish: return sv;
    default: return de;
    }
}

/// German plural: masculine and neuter umlaut the last back vowel.
std::string umlaut(std::string w)
{
    for (std::size_t i = w.size(); i-- > 0;) {
        const char c = w[i];
        if (c != 'a' && c != 'o' && c != 'u')
            continue;
        if (c == 'u' && i > 0 && w[i - 1] == 'a') { // au → äu
            w[i - 1] = 'A';
        } else if (i > 0 && w[i - 1] == c) { // aa, oo → ä, ö
            w.erase(i, 1);
            w[i - 1] = c == 'a' ? 'A' : (c == 'o' ? 'O' : 'U');
        } else if (!(c == 'u' && i > 0 && w[i - 1] == 'e')) {
            w[i] = c == 'a' ? 'A' : (c == 'o' ? 'O' : 'U');
        }
        break;
    }
    return w;
}

void germanPhrase(const Language &L, const NounPhrase &np, Tokens &out)
{
    const int g = L.gender(np.noun);
    const bool pl = np.plural;
    static constexpr const char *kStrong[3] = {"er", "e", "es"};
    static constexpr const char *kArticle[3] = {"r", "e", "s"};
    static constexpr const char *kIndef[3] = {"", "e", ""};
    bool weak = false;
    switch (np.det) {
    case Det::None: break;
    case Det::Def: push(out, L.word(gramConcept(gDef)) + (pl ? "e" : kArticle[g])); weak = true; break;
    case Det::Indef: push(out, L.word(gramConcept(gIndef)) + kIndef[g]); break;
    case Det::This: push(out, L.word(gramConcept(gThis)) + (pl ? "e" : kStrong[g])); weak = true; break;
    case Det::That: push(out, L.word(gramConcept(gThat)) + (pl ? "e" : kStrong[g])); weak = true; break;
    case Det::Every: push(out, L.word(gramConcept(gEvery)) + kStrong[g]); weak = true; break;
    case Det::Poss: push(out, L.word(possConcept(np.possessor)) + (pl ? "e" : kIndef[g])); weak = pl; break;
    case Det::Some: push(out, L.word(gramConcept(gSome)) + "e"); break;
    case Det::Many: push(out, L.word(gramConcept(gMany)) + "e"); break;
    case Det::Few: push(out, L.word(gramConcept(gFew)) + "e"); break;
    }
    if (np.numeral >= 0)
        push(out, L.word(numConcept(np.numeral)));
    const char *adjEnd = weak ? (pl ? "en" : "e") : (pl ? "e" : kStrong[g]);
    for (int i = 0; i < np.adjectiveCount; ++i)
        push(out, L.word(adjConcept(np.adjectives[i])) + adjEnd);
    const std::string &stem = L.word(nounConcept(np.noun));
    std::string noun;
    if (!pl)
        noun = stem;
    else if (g == 1)
        noun = stem + (stem.back() == 'e' ? "n" : "en");
    else
        noun = umlaut(stem) + (g == 0 ? "e" : "er");
    push(out, "#" + noun); // '#': capitalised
}

void dutchPhrase(const Language &L, const NounPhrase &np, Tokens &out)
{
    const bool neuter = L.gender(np.noun) == 2;
    const bool pl = np.plural;
    bool bareAdjective = false; // "een groot huis"
    switch (np.det) {
    case Det::None: break;
    case Det::Def: push(out, L.word(gramConcept(gDef)) + (neuter && !pl ? "t" : "")); break;
    case Det::Indef: push(out, L.word(gramConcept(gIndef))); bareAdjective = neuter; break;
    case Det::This: push(out, L.word(gramConcept(gThis)) + (neuter && !pl ? "t" : "e")); break;
    case Det::That: push(out, L.word(gramConcept(gThat)) + (neuter && !pl ? "t" : "e")); break;
    case Det::Every: push(out, L.word(gramConcept(gEvery)) + (neuter ? "" : "e")); bareAdjective = neuter; break;
    case Det::Poss: push(out, L.word(possConcept(np.possessor))); break;
    case Det::Some: push(out, L.word(gramConcept(gSome)) + "e"); break;
    case Det::Many: push(out, L.word(gramConcept(gMany)) + "e"); break;
    case Det::Few: push(out, L.word(gramConcept(gFew)) + "e"); break;
    }
    if (np.numeral >= 0)
        push(out, L.word(numConcept(np.numeral)));
    for (int i = 0; i < np.adjectiveCount; ++i)
        push(out, L.word(adjConcept(np.adjectives[i])) + (bareAdjective ? "" : "e"));
    const std::string &stem = L.word(nounConcept(np.noun));
    push(out, pl ? stem + (endsInVowel(stem) ? "s" : "en") : stem);
}

void swedishPhrase(const Language &L, const NounPhrase &np, Tokens &out)
{
    const bool neuter = L.gender(np.noun) == 2;
    const bool pl = np.plural;
    const std::string &stem = L.word(nounConcept(np.noun));
    std::string plural = stem;
    if (!neuter)
        plural = endsInVowel(stem) ? stem.substr(0, stem.size() - 1) + "or" : stem + "ar";
    else if (endsInVowel(stem))
        plural = stem + "n";
    auto definite = [&]() -> std::string { // suffixed article
        if (pl)
            return plural + (neuter ? "en" : "na");
        if (endsInVowel(stem))
            return stem + (neuter ? "t" : "n");
        return stem + (neuter ? "et" : "en");
    };
    const char *adjEnd = "a";
    std::string noun = pl ? plural : stem;
    switch (np.det) {
    case Det::None: break;
    case Det::Def:
        if (np.adjectiveCount > 0 || np.numeral >= 0) // double definiteness: "den stora hunden"
            push(out, L.word(gramConcept(gDef)) + (pl ? "" : (neuter ? "t" : "n")));
        noun = definite();
        break;
    case Det::Indef:
        push(out, L.word(gramConcept(gIndef)) + (neuter ? "tt" : "n"));
        adjEnd = neuter ? "t" : "";
        break;
    case Det::This:
    case Det::That:
        push(out, L.word(gramConcept(np.det == Det::This ? gThis : gThat)) + (pl ? "a" : (neuter ? "t" : "n")));
        noun = definite();
        break;
    case Det::Every:
        push(out, L.word(gramConcept(gEvery)) + (neuter ? "t" : ""));
        adjEnd = neuter ? "t" : "";
        break;
    case Det::Poss: push(out, L.word(possConcept(np.possessor)) + (pl ? "a" : (neuter ? "tt" : ""))); break;
    case Det::Some: push(out, L.word(gramConcept(gSome)) + "a"); break;
    case Det::Many: push(out, L.word(gramConcept(gMany)) + "a"); break;
    case Det::Few: push(out, L.word(gramConcept(gFew)) + "a"); break;
    }
    if (np.numeral >= 0)
        push(out, L.word(numConcept(np.numeral)));
    for (int i = 0; i < np.adjectiveCount; ++i)
        push(out, L.word(adjConcept(np.adjectives[i])) + adjEnd);
    push(out, noun);
}

void germanicPhrase(const Language &L, const NounPhrase &np, Tokens &out)
{
    if (np.isPronoun()) {
        push(out, L.word(objConcept(np.pronoun)));
        return;
    }
    switch (L.writing()) {
    case Writing::Dutch: dutchPhrase(L, np, out); break;
    case Writing::Swedish: swedishPhrase(L, np, out); break;
    default: germanPhrase(L, np, out); break;
    }
}

/// Stem + ending: German inserts e between a dental and t or s ("arbeitet"), Dutch writes
/// one t for two ("zit").
std::string germanicJoin(Writing writing, const std::string &stem, const char *ending)
{
    const char last = stem.back();
    if (writing == Writing::German && (last == 't' || last == 'd') && (ending[0] == 't' || ending[0] == 's'))
        return stem + "e" + ending;
    if (writing == Writing::Dutch && last == 't' && ending[0] == 't')
        return stem + (ending + 1);
    return stem + ending;
}

void germanicClause(const Language &L, const Clause &c, bool, Tokens &out)
{
    const GermanicGrammar &g = germanicGrammar(L.writing());
    const int person = personOf(c.subject);
    if (c.subject.isPronoun())
        push(out, L.word(subjConcept(c.subject.pronoun)));
    else
        germanicPhrase(L, c.subject, out);
    if (c.tense == Tense::Future)
        push(out, L.word(gramConcept(gFut)) + g.auxiliary[person]);
    if (c.hasObject)
        germanicPhrase(L, c.object, out);
    if (c.hasPrep) {
        push(out, L.word(prepConcept(c.prep.prep)));
        germanicPhrase(L, c.prep.object, out);
    }
    if (c.adverb >= 0)
        push(out, L.word(advConcept(c.adverb)));
    if (c.negated)
        push(out, L.word(gramConcept(gNeg)));
    const std::string &stem = L.word(verbConcept(c.verb));
    switch (c.tense) {
    case Tense::Present: push(out, germanicJoin(L.writing(), stem, g.present[person])); break;
    case Tense::Past: push(out, germanicJoin(L.writing(), stem, g.past[person])); break;
    case Tense::Future: push(out, germanicJoin(L.writing(), stem, g.infinitive)); break;
    }
}

// ---- Slavic: SVO, no articles (Bulgarian: a suffixed definite article instead of case),
// case endings on nouns and agreeing adjectives, past tense agreeing in gender ------------------

struct SlavicGrammar
{
    const char *noun[3][2][3];         ///< [gender][plural][case: nominative, accusative, oblique]
    const char *animateNoun[2];        ///< masculine animate accusative: singular, plural
    const char *adjective[4][3];       ///< [masculine, feminine, neuter, plural][case]
    const char *animateAdjective[2];   ///< animate accusative: masculine singular, plural
    const char *present[6];
    const char *past[6];               ///< by gender slot (m, f, n, pl), or by person
    bool pastByPerson;
    const char *infinitive;            ///< with the future auxiliary
    const char *futureInfix;           ///< synthetic future: stem + infix + present ending
    bool futureParticle;               ///< particle + present
    const char *definite[4];           ///< suffixed article, or nullptr
};

const SlavicGrammar &slavicGrammar(Writing w)
{
    static const SlavicGrammar ru{
        {{{"", "", "e"}, {"y", "y", "ax"}}, {{"a", "u", "e"}, {"y", "y", "ax"}}, {{"o", "o", "e"}, {"a", "a", "ax"}}},
        {"a", "ov"},
        {{"yj", "yj", "om"}, {"aja", "uju", "oj"}, {"oe", "oe", "om"}, {"ye", "ye", "yx"}},
        {"ogo", "yx"},
        {"u", "esh", "et", "et", "em", "ut"},
        {"l", "la", "lo", "li", "", ""},
        false, "t'", nullptr, false, {nullptr, nullptr, nullptr, nullptr}};
    static const SlavicGrammar uk{
        {{{"", "", "i"}, {"y", "y", "ax"}}, {{"a", "u", "i"}, {"y", "y", "ax"}}, {{"o", "o", "i"}, {"a", "a", "ax"}}},
        {"a", "iv"},
        {{"yj", "yj", "omu"}, {"a", "u", "ij"}, {"e", "e", "omu"}, {"i", "i", "yx"}},
        {"oho", "yx"},
        {"u", "esh", "e", "e", "emo", "ut'"},
        {"v", "la", "lo", "ly", "", ""},
        false, "ty", "tym", false, {nullptr, nullptr, nullptr, nullptr}};
    static const SlavicGrammar bg{
        {{{"", "", ""}, {"ove", "ove", "ove"}}, {{"a", "a", "a"}, {"i", "i", "i"}}, {{"o", "o", "o"}, {"a", "a", "a"}}},
        {nullptr, nullptr},
        {{"", "", ""}, {"a", "a", "a"}, {"o", "o", "o"}, {"i", "i", "i"}},
        {nullptr, nullptr},
        {"a", "ish", "i", "i", "im", "at"},
        {"ax", "e", "e", "e", "axme", "axa"},
        true, nullptr, nullptr, true, {"yt", "ta", "to", "te"}};
    switch (w) {
    case Writing::Ukrainian: return uk;
    case Writing::Bulgarian: return bg;
    default: return ru;
    }
}

enum Case { Nominative = 0, Accusative = 1, Oblique = 2 };

void slavicPhrase(const Language &L, const NounPhrase &np, Case grammaticalCase, Tokens &out)
{
    if (np.isPronoun()) {
        push(out, L.word(grammaticalCase == Nominative ? subjConcept(np.pronoun) : objConcept(np.pronoun)));
        return;
    }
    const SlavicGrammar &g = slavicGrammar(L.writing());
    const int gender = L.gender(np.noun);
    const int slot = np.plural ? 3 : gender;
    const bool animateAccusative = grammaticalCase == Accusative && np.animate() && (slot == 0 || slot == 3);
    const char *adjEnd = g.adjective[slot][grammaticalCase];
    if (animateAccusative && g.animateAdjective[0])
        adjEnd = g.animateAdjective[slot == 3 ? 1 : 0];
    const char *nounEnd = g.noun[gender][np.plural ? 1 : 0][grammaticalCase];
    if (animateAccusative && gender == 0 && g.animateNoun[0])
        nounEnd = g.animateNoun[np.plural ? 1 : 0];

    switch (np.det) {
    case Det::This: push(out, L.word(gramConcept(gThis)) + adjEnd); break;
    case Det::That: push(out, L.word(gramConcept(gThat)) + adjEnd); break;
    case Det::Every: push(out, L.word(gramConcept(gEvery)) + adjEnd); break;
    case Det::Some: push(out, L.word(gramConcept(gSome)) + adjEnd); break;
    case Det::Many: push(out, L.word(gramConcept(gMany)) + adjEnd); break;
    case Det::Few: push(out, L.word(gramConcept(gFew)) + adjEnd); break;
    case Det::Poss: push(out, L.word(possConcept(np.possessor)) + adjEnd); break;
    default: break; // no articles
    }
    if (np.numeral >= 0)
        push(out, L.word(numConcept(np.numeral)));
    const std::size_t firstModified = out.size();
    for (int i = 0; i < np.adjectiveCount; ++i)
        push(out, L.word(adjConcept(np.adjectives[i])) + adjEnd);
    push(out, L.word(nounConcept(np.noun)) + nounEnd);
    if (g.definite[0] && np.det == Det::Def) // the article follows the first word of the phrase
        out[firstModified].text += g.definite[slot];
}

void slavicVerb(const Language &L, const Clause &c, Tokens &out)
{
    const SlavicGrammar &g = slavicGrammar(L.writing());
    const int person = personOf(c.subject);
    int slot = 0; // gender and number of the subject, for the past tense
    if (c.subject.isPronoun())
        slot = person >= 4 ? 3 : (person == 3 ? 1 : 0);
    else
        slot = c.subject.plural ? 3 : L.gender(c.subject.noun);
    const std::string &stem = L.word(verbConcept(c.verb));
    if (c.negated)
        push(out, L.word(gramConcept(gNeg)));
    switch (c.tense) {
    case Tense::Present: push(out, stem + g.present[person]); break;
    case Tense::Past: push(out, stem + g.past[g.pastByPerson ? person : slot]); break;
    case Tense::Future:
        if (g.futureInfix) {
            push(out, stem + g.futureInfix + g.present[person]);
        } else if (g.futureParticle) {
            push(out, L.word(gramConcept(gFut)));
            push(out, stem + g.present[person]);
        } else {
            push(out, L.word(gramConcept(gFut)) + g.present[person]);
            push(out, stem + g.infinitive);
        }
        break;
    }
}

void slavicClause(const Language &L, const Clause &c, bool, Tokens &out)
{
    slavicPhrase(L, c.subject, Nominative, out);
    if (c.adverb >= 0)
        push(out, L.word(advConcept(c.adverb)));
    slavicVerb(L, c, out);
    if (c.hasObject)
        slavicPhrase(L, c.object, Accusative, out);
    if (c.hasPrep) {
        push(out, L.word(prepConcept(c.prep.prep)));
        slavicPhrase(L, c.prep.object, Oblique, out);
    }
}

// ---- Greek: VSO, pro-drop, clitic object pronouns, articles with gender and case,
// enclitic possessives, augment in the past, sigmatic future ---------------------------------

void greekPhrase(const Language &L, const NounPhrase &np, bool accusative, Tokens &out)
{
    if (np.isPronoun()) {
        push(out, L.word(accusative ? objConcept(np.pronoun) : subjConcept(np.pronoun)));
        return;
    }
    static constexpr const char *kNoun[3][4] = {{"os", "o", "oi", "us"}, {"a", "a", "es", "es"}, {"o", "o", "a", "a"}};
    static constexpr const char *kAdjective[3][4] = {{"os", "o", "oi", "us"}, {"i", "i", "es", "es"}, {"o", "o", "a", "a"}};
    static constexpr const char *kArticle[3][4] = {{"o", "on", "i", "us"}, {"i", "in", "i", "is"}, {"o", "o", "a", "a"}};
    static constexpr const char *kIndefinite[3][2] = {{"as", "a"}, {"ia", "ia"}, {"a", "a"}};
    const int g = L.gender(np.noun);
    const int form = (np.plural ? 2 : 0) + (accusative ? 1 : 0);
    const char *adjEnd = kAdjective[g][form];
    auto article = [&] {
        const std::string &root = L.word(gramConcept(gDef));
        std::size_t onset = 0;
        while (onset < root.size() && !isVowelIn(root[onset], "aeiou"))
            ++onset;
        push(out, root.substr(0, onset) + kArticle[g][form]);
    };
    switch (np.det) {
    case Det::None: break;
    case Det::Def:
    case Det::Poss: article(); break;
    case Det::Indef: push(out, L.word(gramConcept(gIndef)) + kIndefinite[g][accusative ? 1 : 0]); break;
    case Det::This:
    case Det::That: // demonstrative and article: "aftos o skylos"
        push(out, L.word(gramConcept(np.det == Det::This ? gThis : gThat)) + adjEnd);
        article();
        break;
    case Det::Every: push(out, L.word(gramConcept(gEvery)) + adjEnd); break;
    case Det::Some: push(out, L.word(gramConcept(gSome)) + adjEnd); break;
    case Det::Many: push(out, L.word(gramConcept(gMany)) + adjEnd); break;
    case Det::Few: push(out, L.word(gramConcept(gFew)) + adjEnd); break;
    }
    if (np.numeral >= 0)
        push(out, L.word(numConcept(np.numeral)));
    for (int i = 0; i < np.adjectiveCount; ++i)
        push(out, L.word(adjConcept(np.adjectives[i])) + adjEnd);
    push(out, L.word(nounConcept(np.noun)) + kNoun[g][form]);
    if (np.det == Det::Poss)
        push(out, L.word(possConcept(np.possessor)));
}

void greekClause(const Language &L, const Clause &c, bool, Tokens &out)
{
    static constexpr const char *kPresent[6] = {"o", "eis", "ei", "ei", "ume", "un"};
    static constexpr const char *kPast[6] = {"a", "es", "e", "e", "ame", "an"};
    const int person = personOf(c.subject);
    if (c.negated)
        push(out, L.word(gramConcept(gNeg)));
    if (c.hasObject && c.object.isPronoun())
        push(out, L.word(objConcept(c.object.pronoun))); // clitic
    const std::string &stem = L.word(verbConcept(c.verb));
    switch (c.tense) {
    case Tense::Present: push(out, stem + kPresent[person]); break;
    case Tense::Past: push(out, "e" + stem + kPast[person]); break; // augment
    case Tense::Future: push(out, stem + "s" + kPresent[person]); break;
    }
    if (!c.subject.isPronoun())
        greekPhrase(L, c.subject, false, out);
    if (c.hasObject && !c.object.isPronoun())
        greekPhrase(L, c.object, true, out);
    if (c.hasPrep) {
        push(out, L.word(prepConcept(c.prep.prep)));
        greekPhrase(L, c.prep.object, true, out);
    }
    if (c.adverb >= 0)
        push(out, L.word(advConcept(c.adverb)));
}

// ---- Turkic/Japonic: SOV, postpositions and case suffixes, no articles, subordinate
// clauses before the main clause with the subordinator after them --------------------------

enum class Role { Subject, Object, Prep };

bool isSpatial(int prep) { return prep == kOn || prep == kUnder || prep == kNear || prep == kBehind || prep == kAcross; }

// Turkish: pro-drop, plural -lAr (not after numerals and quantifiers), possessive suffixes
// instead of possessive words, accusative -(y)H on definite objects, case suffixes for
// in/from/to/with and postpositions for the rest, tense and person suffixes on the verb.
const char *turkishCase(int prep)
{
    switch (prep) {
    case kIn: return "DA";
    case kFrom: return "DAn";
    case kTo: return "(y)A";
    case kWith: return "(y)lA";
    default: return nullptr;
    }
}

void turkishPhrase(const Language &L, const NounPhrase &np, Role role, int prep, Tokens &out)
{
    auto finish = [&](std::string w) {
        if (role == Role::Prep) {
            if (const char *suffix = turkishCase(prep)) {
                appendHarmonic(w, suffix);
                push(out, std::move(w));
            } else {
                push(out, std::move(w));
                push(out, L.word(prepConcept(prep))); // postposition
            }
        } else {
            push(out, std::move(w));
        }
    };
    if (np.isPronoun()) {
        if (role == Role::Object)
            push(out, L.word(objConcept(np.pronoun)));
        else
            finish(L.word(subjConcept(np.pronoun)));
        return;
    }
    static constexpr const char *kPossessive[6] = {"[H]m", "[H]n", "(s)H", "(s)H", "[H]mHz", "lArH"};
    switch (np.det) {
    case Det::This: push(out, L.word(gramConcept(gThis))); break;
    case Det::That: push(out, L.word(gramConcept(gThat))); break;
    case Det::Every: push(out, L.word(gramConcept(gEvery))); break;
    case Det::Some: push(out, L.word(gramConcept(gSome))); break;
    case Det::Many: push(out, L.word(gramConcept(gMany))); break;
    case Det::Few: push(out, L.word(gramConcept(gFew))); break;
    default: break;
    }
    if (np.numeral >= 0)
        push(out, L.word(numConcept(np.numeral)));
    for (int i = 0; i < np.adjectiveCount; ++i)
        push(out, L.word(adjConcept(np.adjectives[i])));
    std::string w = L.word(nounConcept(np.noun));
    // No plural after numerals and quantifiers; "their books" is kitap-ları, not *kitaplar-ları.
    const bool theirs = np.det == Det::Poss && np.possessor == 5;
    if (np.plural && np.numeral < 0 && np.det != Det::Many && np.det != Det::Few && !theirs)
        appendHarmonic(w, "lAr");
    if (np.det == Det::Poss)
        appendHarmonic(w, kPossessive[np.possessor]);
    const bool definite = np.det == Det::Def || np.det == Det::This || np.det == Det::That || np.det == Det::Poss
                          || np.det == Det::Every;
    if (role == Role::Object && definite)
        appendHarmonic(w, np.det == Det::Poss && (np.possessor == 2 || np.possessor == 3 || np.possessor == 5)
                              ? "(n)H"
                              : "(y)H");
    finish(std::move(w));
}

std::string turkishVerb(const Language &L, const Clause &c)
{
    static constexpr const char *kPresent[6] = {"Hm", "sHn", "", "", "Hz", "lAr"};
    static constexpr const char *kPast[6] = {"m", "n", "", "", "k", "lAr"};
    static constexpr const char *kFuture[6] = {"[H]m", "sHn", "", "", "[H]z", "lAr"};
    const int person = personOf(c.subject);
    std::string w = L.word(verbConcept(c.verb));
    switch (c.tense) {
    case Tense::Present:
        if (c.negated) {
            appendHarmonic(w, "mH");
            w += "yor";
        } else {
            if (trVowel(w.back()) && w.size() > 2)
                w.pop_back(); // bekle + iyor → bekliyor
            appendHarmonic(w, "Hyor");
        }
        appendHarmonic(w, kPresent[person]);
        break;
    case Tense::Past:
        if (c.negated)
            appendHarmonic(w, "mA");
        appendHarmonic(w, "DH");
        appendHarmonic(w, kPast[person]);
        break;
    case Tense::Future:
        if (c.negated)
            appendHarmonic(w, "mA");
        appendHarmonic(w, "(y)AcAk");
        appendHarmonic(w, kFuture[person]);
        break;
    }
    return w;
}

void turkishClause(const Language &L, const Clause &c, bool, Tokens &out)
{
    if (!c.subject.isPronoun())
        turkishPhrase(L, c.subject, Role::Subject, -1, out);
    if (c.hasPrep)
        turkishPhrase(L, c.prep.object, Role::Prep, c.prep.prep, out);
    if (c.hasObject)
        turkishPhrase(L, c.object, Role::Object, -1, out);
    if (c.adverb >= 0)
        push(out, L.word(advConcept(c.adverb)));
    push(out, turkishVerb(L, c));
}

// Japanese, written with spaces between phrases as in children's books: nouns in katakana
// with hiragana particles (topic は in main clauses, が in subordinate ones, を, で, に, から,
// と; spatial postpositions "X の うえに"), -i adjectives, polite verb endings.
void japanesePhrase(const Language &L, const NounPhrase &np, const char *particle, Tokens &out)
{
    auto withParticle = [&](std::string w) {
        if (particle && *particle) {
            w += '|';
            w += particle;
        }
        return w;
    };
    if (np.isPronoun()) {
        push(out, withParticle(L.word(subjConcept(np.pronoun))));
        return;
    }
    switch (np.det) {
    case Det::This: push(out, L.word(gramConcept(gThis))); break;
    case Det::That: push(out, L.word(gramConcept(gThat))); break;
    case Det::Every: push(out, L.word(gramConcept(gEvery))); break;
    case Det::Some: push(out, L.word(gramConcept(gSome))); break;
    case Det::Many: push(out, L.word(gramConcept(gMany))); break;
    case Det::Few: push(out, L.word(gramConcept(gFew))); break;
    case Det::Poss: push(out, L.word(subjConcept(np.possessor)) + "|no"); break;
    default: break;
    }
    if (np.numeral >= 0)
        push(out, L.word(numConcept(np.numeral)) + "|no");
    for (int i = 0; i < np.adjectiveCount; ++i)
        push(out, L.word(adjConcept(np.adjectives[i])) + "i");
    std::string w = "^" + L.word(nounConcept(np.noun));
    if (np.plural && np.animate() && np.numeral < 0)
        w += "|tachi";
    push(out, withParticle(std::move(w)));
}

void japaneseClause(const Language &L, const Clause &c, bool main, Tokens &out)
{
    japanesePhrase(L, c.subject, main ? "ha" : "ga", out);
    if (c.hasPrep) {
        const int p = c.prep.prep;
        const char *particle = p == kIn ? "de" : p == kTo ? "ni" : p == kFrom ? "kara" : p == kWith ? "to" : nullptr;
        if (particle) {
            japanesePhrase(L, c.prep.object, particle, out);
        } else {
            japanesePhrase(L, c.prep.object, "no", out);
            push(out, L.word(prepConcept(p)) + (isSpatial(p) ? "|ni" : ""));
        }
    }
    if (c.hasObject)
        japanesePhrase(L, c.object, "wo", out);
    if (c.adverb >= 0)
        push(out, L.word(advConcept(c.adverb)));
    std::string verb = L.word(verbConcept(c.verb)) + "|";
    if (c.tense == Tense::Past) {
        verb += c.negated ? "masen" : "mashita";
        push(out, std::move(verb));
        if (c.negated)
            push(out, "deshita");
    } else { // the non-past covers the future
        verb += c.negated ? "masen" : "masu";
        push(out, std::move(verb));
    }
}

// Korean: Hangul syllables, particles that depend on the preceding sound (은/는, 이/가,
// 을/를, 와/과), attributive -n on adjectives, negation 안 before the verb, polite endings.
void koreanAttach(std::string &w, const char *afterVowel, const char *afterConsonant)
{
    const bool vowel = endsInVowel(w);
    w += '|';
    w += vowel ? afterVowel : afterConsonant;
}

enum class KoreanRole { Topic, Subject, Object, None };

void koreanPhrase(const Language &L, const NounPhrase &np, KoreanRole role, Tokens &out)
{
    auto finish = [&](std::string w) {
        switch (role) {
        case KoreanRole::Topic: koreanAttach(w, "neun", "eun"); break;
        case KoreanRole::Subject: koreanAttach(w, "ga", "i"); break;
        case KoreanRole::Object: koreanAttach(w, "reul", "eul"); break;
        case KoreanRole::None: break;
        }
        return w;
    };
    if (np.isPronoun()) {
        push(out, finish(L.word(subjConcept(np.pronoun))));
        return;
    }
    switch (np.det) {
    case Det::This: push(out, L.word(gramConcept(gThis))); break;
    case Det::That: push(out, L.word(gramConcept(gThat))); break;
    case Det::Every: push(out, L.word(gramConcept(gEvery))); break;
    case Det::Some: push(out, L.word(gramConcept(gSome))); break;
    case Det::Many: push(out, L.word(gramConcept(gMany))); break;
    case Det::Few: push(out, L.word(gramConcept(gFew))); break;
    case Det::Poss: push(out, L.word(subjConcept(np.possessor)) + "|ui"); break;
    default: break;
    }
    if (np.numeral >= 0)
        push(out, L.word(numConcept(np.numeral)));
    for (int i = 0; i < np.adjectiveCount; ++i) {
        const std::string &a = L.word(adjConcept(np.adjectives[i]));
        push(out, endsInVowel(a) ? a + "n" : a + "|eun");
    }
    std::string w = L.word(nounConcept(np.noun));
    if (np.plural && np.animate() && np.numeral < 0)
        w += "|deul";
    push(out, finish(std::move(w)));
}

void koreanClause(const Language &L, const Clause &c, bool main, Tokens &out)
{
    koreanPhrase(L, c.subject, main ? KoreanRole::Topic : KoreanRole::Subject, out);
    if (c.hasPrep) {
        const int p = c.prep.prep;
        koreanPhrase(L, c.prep.object, KoreanRole::None, out);
        std::string &noun = out.back().text;
        switch (p) {
        case kIn: noun += "|eseo"; break;
        case kTo: noun += "|e"; break;
        case kFrom: noun += "|buteo"; break;
        case kWith: koreanAttach(noun, "wa", "gwa"); break;
        default: push(out, L.word(prepConcept(p)) + (isSpatial(p) ? "|e" : "")); break;
        }
    }
    if (c.hasObject)
        koreanPhrase(L, c.object, KoreanRole::Object, out);
    if (c.adverb >= 0)
        push(out, L.word(advConcept(c.adverb)));
    if (c.negated)
        push(out, L.word(gramConcept(gNeg)));
    const std::string &stem = L.word(verbConcept(c.verb));
    const bool vowel = endsInVowel(stem);
    switch (c.tense) {
    case Tense::Present: push(out, stem + (vowel ? "yo" : "|eoyo")); break;
    case Tense::Past: push(out, stem + (vowel ? "S|eoyo" : "|eoS|eoyo")); break;
    case Tense::Future: push(out, stem + (vowel ? "l|geoyeyo" : "|eul|geoyeyo")); break;
    }
}

void altaicClause(const Language &L, const Clause &c, bool main, Tokens &out)
{
    switch (L.writing()) {
    case Writing::Japanese: japaneseClause(L, c, main, out); break;
    case Writing::Korean: koreanClause(L, c, main, out); break;
    default: turkishClause(L, c, main, out); break;
    }
}

/// A subordinate clause (with its subordinator after it) precedes the clause it belongs
/// to: "A because B" → "B because, A"; "A and B because C" → "A and C because, B".
void altaicSentence(const Language &L, const Sentence &s, Tokens &out)
{
    auto subordinate = [&](int k, int conj) {
        altaicClause(L, s.clauses[k], false, out);
        const std::string &word = L.word(conjConcept(conj));
        if (L.writing() == Writing::Turkish) {
            push(out, word);
        } else { // attached to the verb
            out.back().text += '|';
            out.back().text += word;
        }
        out.back().commaAfter = true;
    };
    if (s.clauseCount == 1) {
        altaicClause(L, s.clauses[0], true, out);
    } else if (s.clauseCount == 2 && isSubordinator(s.conjunctions[0])) {
        subordinate(1, s.conjunctions[0]);
        altaicClause(L, s.clauses[0], true, out);
    } else {
        altaicClause(L, s.clauses[0], true, out);
        push(out, L.word(conjConcept(s.conjunctions[0])));
        if (s.clauseCount == 3) {
            subordinate(2, s.conjunctions[1]);
        }
        altaicClause(L, s.clauses[1], true, out);
    }
}

/// Writes the tokens in the language's script, with punctuation and a capital letter.
std::string assemble(Language &L, const Tokens &tokens)
{
    const bool japanese = L.writing() == Writing::Japanese;
    std::string out;
    out.reserve(192);
    for (const Token &t : tokens) {
        if (t.text.empty())
            continue;
        if (!out.empty())
            out += ' ';
        out += L.spell(t.text);
        if (t.commaAfter)
            out += japanese ? "、" : ",";
    }
    out += japanese ? "。" : ".";
    if (L.writing() != Writing::Japanese && L.writing() != Writing::Korean)
        capitalizeFirst(out, L.writing() == Writing::Turkish);
    return out;
}

std::string render(Language &L, const Sentence &s, Tokens &scratch)
{
    scratch.clear();
    switch (L.spec->family) {
    case Family::Romance: joinClauses(L, s, false, romanceClause, scratch); break;
    case Family::Germanic: joinClauses(L, s, true, germanicClause, scratch); break;
    case Family::Slavic: joinClauses(L, s, true, slavicClause, scratch); break;
    case Family::Greek: joinClauses(L, s, true, greekClause, scratch); break;
    case Family::Altaic: altaicSentence(L, s, scratch); break;
    }
    return assemble(L, scratch);
}

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
