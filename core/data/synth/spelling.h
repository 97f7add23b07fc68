#pragma once
/// Scripts and spelling: internal Latin forms to each language's orthography and script.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskmoe::core::synth {

enum class Writing : std::uint8_t {
    Spanish, Catalan, Portuguese, Italian, German, Dutch, Swedish,
    Russian, Ukrainian, Bulgarian, Turkish, Japanese, Korean, Greek
};

void appendUtf8(std::string &out, char32_t cp);
/// Upper-cases the first letter (1- or 2-byte UTF-8 letters; other scripts have no case).
void capitalizeFirst(std::string &s, bool turkish = false);

using Transliteration = std::vector<std::pair<std::string_view, std::string_view>>;

/// Greedy transliteration; `table` lists longer keys before their prefixes.
std::string transliterate(std::string_view w, const Transliteration &table);
const Transliteration &russianLetters();
const Transliteration &ukrainianLetters();
const Transliteration &bulgarianLetters();
const Transliteration &greekLetters();

std::string greekSpelling(std::string_view w);
std::string turkishSpelling(std::string_view w);
/// k and g before front vowels: Spanish/Catalan/Portuguese qu, gu; Italian ch, gh, cch.
std::string romanceSpelling(std::string_view w, Writing writing);
/// Placeholders: A ä, O ö, U ü, W å. A leading '#' capitalises (German nouns).
std::string germanicSpelling(std::string_view w);
std::string kanaSpelling(std::string_view w);
std::string hangulSpelling(std::string_view w);

} // namespace taskmoe::core::synth
