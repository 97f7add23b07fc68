#pragma once
/// The base language: English lexicon, abstract sentences and their English rendering, and
/// the concepts (lemmas and grammatical words) every derived language has a word for.
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
#include "core/data/synth/random.h"

namespace taskmoe::core::synth {

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

inline bool isSubordinator(int conjunction) { return conjunction >= kFirstSubordinator; }

inline bool endsWith(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

inline bool isEnglishVowel(char c) { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'; }

/// Index of `word` in `table`; throws std::logic_error for an unknown word (a table typo).
int findIndex(std::string_view word, const char *const *table, int count);
int findNoun(std::string_view word);
int findVerb(std::string_view word);

/// English inflected forms, computed once.
struct EnglishTables
{
    std::vector<std::string> nounPlural, verbThird, verbPast;
    std::vector<int> adverbAdjective;        ///< adjective index or -1
};

const EnglishTables &english();

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
int personOf(const NounPhrase &np);

constexpr std::size_t kLongestTarget = 48;   ///< longest English length aimed at
constexpr std::size_t kMaxMinTokens = 40;    ///< validate(): reachable with three clauses

/// A sentence whose English rendering has between minTokens and maxTokens words.
Sentence makeSentence(Rng &rng, const ActiveLexicon &lex, std::size_t minTokens, std::size_t maxTokens);

/// The English sentence, capitalised, with its final period.
std::string renderEnglish(const Sentence &s);

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

Pos posOf(int concept);
bool isContentPos(Pos pos);
/// True for manner adverbs, whose form every language derives from the adjective.
bool isDerivedAdverb(int concept);

inline int nounConcept(int i) { return kNounBase + i; }
inline int verbConcept(int i) { return kVerbBase + i; }
inline int adjConcept(int i) { return kAdjBase + i; }
inline int advConcept(int i) { return kAdvBase + i; }
inline int prepConcept(int i) { return kPrepBase + i; }
inline int numConcept(int i) { return kNumBase + i; }
inline int conjConcept(int i) { return kConjBase + i; }
inline int subjConcept(int person) { return kSubjBase + person; }
inline int objConcept(int person) { return kObjBase + person; }
inline int possConcept(int person) { return kPossBase + person; }
inline int gramConcept(Gram g) { return kGramBase + g; }

} // namespace taskmoe::core::synth
