#include "core/data/synth/grammar.h"

namespace taskmoe::core::synth {

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


} // namespace taskmoe::core::synth
