#include "core/data/synth/spelling.h"

#include "core/data/synth/english.h"

#include <unordered_map>

namespace taskmoe::core::synth {

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
void capitalizeFirst(std::string &s, bool turkish)
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


} // namespace taskmoe::core::synth
