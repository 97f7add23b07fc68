#include "core/data/synth/grammar.h"

namespace taskmoe::core::synth {

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


} // namespace taskmoe::core::synth
