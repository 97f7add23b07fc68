#include "core/data/synth/grammar.h"

namespace taskmoe::core::synth {

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


} // namespace taskmoe::core::synth
