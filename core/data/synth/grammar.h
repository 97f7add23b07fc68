#pragma once
/// Rendering: one grammar per family turns an abstract sentence into the language's tokens.
#include "core/data/synth/languages.h"

namespace taskmoe::core::synth {

// =============================================================================================
// Rendering
// =============================================================================================

struct Token
{
    std::string text;      ///< internal spelling
    bool commaAfter = false;
};
using Tokens = std::vector<Token>;

inline void push(Tokens &out, std::string text) { out.push_back(Token{std::move(text), false}); }

inline bool endsInVowel(const std::string &w)
{
    return !w.empty() && (w.back() == 'a' || w.back() == 'e' || w.back() == 'i' || w.back() == 'o' || w.back() == 'u');
}

using ClauseRenderer = void (*)(const Language &, const Clause &, bool main, Tokens &);

/// Clauses in English order; a comma before subordinating conjunctions where the language
/// writes one.
void joinClauses(const Language &L, const Sentence &s, bool commaBeforeSubordinator, ClauseRenderer renderClause,
                 Tokens &out);

void romanceClause(const Language &L, const Clause &c, bool main, Tokens &out);
void germanicClause(const Language &L, const Clause &c, bool main, Tokens &out);
void slavicClause(const Language &L, const Clause &c, bool main, Tokens &out);
void greekClause(const Language &L, const Clause &c, bool main, Tokens &out);
/// Turkic/Japonic: SOV, the subordinate clause before the clause it hangs on.
void altaicSentence(const Language &L, const Sentence &s, Tokens &out);

/// The sentence in the language: its grammar, then its script and punctuation.
std::string render(Language &L, const Sentence &s, Tokens &scratch);

} // namespace taskmoe::core::synth
