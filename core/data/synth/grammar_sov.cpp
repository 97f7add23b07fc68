#include "core/data/synth/grammar.h"

namespace taskmoe::core::synth {

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


} // namespace taskmoe::core::synth
