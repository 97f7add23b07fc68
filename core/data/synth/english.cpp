#include "core/data/synth/english.h"

#include <stdexcept>

namespace taskmoe::core::synth {

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


} // namespace taskmoe::core::synth
