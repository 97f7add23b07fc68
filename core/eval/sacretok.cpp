// SacreBLEU 2.x's tokenizers, written from their documented rules.
//
// sacrebleu states each rule as a regular expression applied with Python's `re.sub`, which
// scans left to right and, after a match, resumes behind it (matches never overlap). All the
// rules here match one or two code points, so each is a single pass over the text below; the
// order of the passes is sacrebleu's.
#include "core/eval/sacretok.h"

#include "core/base/text.h"

#include <unicode/uchar.h>
#include <unicode/ucasemap.h>
#include <unicode/utypes.h>

#include <memory>
#include <stdexcept>

namespace taskmoe::core {

namespace {

/// Decodes one code point at `i`; returns its length (at least 1). Malformed → U+FFFD, 1 byte.
std::size_t decodeAt(std::string_view s, std::size_t i, char32_t &cp)
{
    const std::size_t len = decodeUtf8(s, i, cp);
    if (len == 0) {
        cp = 0xFFFD;
        return 1;
    }
    return len;
}

bool isAsciiDigit(char32_t c) { return c >= '0' && c <= '9'; }

/// 13a's first rule: the ASCII punctuation and symbols that always stand alone — everything
/// in `{|}~ [\]^_` space !"#$%& ()*+ :;<=>?@ /` (not the apostrophe, hyphen, period or comma).
bool is13aSymbol(char32_t c)
{
    return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&')
        || (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}

bool isPeriodOrComma(char32_t c) { return c == '.' || c == ','; }

bool isUnicodePunctuation(char32_t c) { return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_P_MASK) != 0; }
bool isUnicodeSymbol(char32_t c) { return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_S_MASK) != 0; }
bool isUnicodeNumber(char32_t c) { return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_N_MASK) != 0; }

/// Where the spaces go around a two-code-point match (a, b).
enum class PairSpacing {
    AfterBoth,   ///< "a b " (the replacement `\1 \2 `)
    BeforeBoth,  ///< " a b" (the replacement ` \1 \2`)
};

/// One `re.sub` pass of a pattern `(A)(B)` where A and B are single code points.
template <class First, class Second>
std::u32string splitPairs(const std::u32string &s, First first, Second second, PairSpacing spacing)
{
    std::u32string out;
    out.reserve(s.size() + s.size() / 2);
    std::size_t i = 0;
    while (i < s.size()) {
        if (i + 1 < s.size() && first(s[i]) && second(s[i + 1])) {
            if (spacing == PairSpacing::AfterBoth) {
                out += s[i];
                out += U' ';
                out += s[i + 1];
                out += U' ';
            } else {
                out += U' ';
                out += s[i];
                out += U' ';
                out += s[i + 1];
            }
            i += 2;
        } else {
            out += s[i];
            ++i;
        }
    }
    return out;
}

/// One `re.sub` pass of a pattern `(A)` → ` \1 `.
template <class Pred>
std::u32string isolate(const std::u32string &s, Pred pred)
{
    std::u32string out;
    out.reserve(s.size() + s.size() / 2);
    for (const char32_t c : s) {
        if (pred(c)) {
            out += U' ';
            out += c;
            out += U' ';
        } else {
            out += c;
        }
    }
    return out;
}

/// `' '.join(s.split())`.
std::string joinWords(const std::u32string &s)
{
    std::u32string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && isPythonSpace(s[i]))
            ++i;
        if (i == s.size())
            break;
        if (!out.empty())
            out += U' ';
        while (i < s.size() && !isPythonSpace(s[i]))
            out += s[i++];
    }
    return toUtf8(out);
}

/// The punctuation rules 13a and zh share (sacrebleu's TokenizerRegexp).
std::string regexpPostTokenize(std::u32string s)
{
    s = isolate(s, is13aSymbol);
    // period and comma split off unless preceded by a digit …
    s = splitPairs(s, [](char32_t c) { return !isAsciiDigit(c); }, isPeriodOrComma, PairSpacing::AfterBoth);
    // … and unless followed by a digit
    s = splitPairs(s, isPeriodOrComma, [](char32_t c) { return !isAsciiDigit(c); }, PairSpacing::BeforeBoth);
    // a dash after a digit
    s = splitPairs(s, isAsciiDigit, [](char32_t c) { return c == U'-'; }, PairSpacing::AfterBoth);
    return joinWords(s);
}

void replaceAll(std::string &s, std::string_view from, std::string_view to)
{
    std::string out;
    std::size_t pos = 0;
    bool changed = false;
    while (true) {
        const std::size_t hit = s.find(from, pos);
        if (hit == std::string::npos)
            break;
        out.append(s, pos, hit - pos);
        out.append(to);
        pos = hit + from.size();
        changed = true;
    }
    if (changed) {
        out.append(s, pos, std::string::npos);
        s = std::move(out);
    }
}

std::string tokenize13a(std::string_view line)
{
    std::string s(line);
    replaceAll(s, "<skipped>", "");
    replaceAll(s, "-\n", "");
    replaceAll(s, "\n", " ");
    replaceAll(s, "&quot;", "\"");
    replaceAll(s, "&amp;", "&");
    replaceAll(s, "&lt;", "<");
    replaceAll(s, "&gt;", ">");
    // mteval pads the line with spaces, so that a final period is split off too.
    return regexpPostTokenize(U" " + toCodePoints(s) + U" ");
}

std::string tokenizeIntl(std::string_view line)
{
    std::u32string s = toCodePoints(line);
    // punctuation split off unless between digits (a decimal or thousands separator)
    s = splitPairs(s, [](char32_t c) { return !isUnicodeNumber(c); }, isUnicodePunctuation, PairSpacing::AfterBoth);
    s = splitPairs(s, isUnicodePunctuation, [](char32_t c) { return !isUnicodeNumber(c); }, PairSpacing::BeforeBoth);
    s = isolate(s, isUnicodeSymbol);
    return joinWords(s);
}

/// sacrebleu's test for a "Chinese character". Its table compares one-character Python strings
/// with range ends; two ends there were written as '\u20000', '\u2a6d6', '\u2f800' and
/// '\u2fa1d', which Python reads as a BMP character followed by a digit. A one-character string
/// c then lies in ['\u2000' '0', '\u2a6d' '6'] exactly when U+2000 < c <= U+2A6D, and in
/// ['\u2f80' '0', '\u2fa1' 'd'] when U+2F80 < c <= U+2FA1. We reproduce those effective ranges
/// (they take in general punctuation such as “ ” and all arrows and mathematical operators,
/// and leave out the supplementary-plane ideographs), because the scores depend on them.
bool isSacreBleuChineseChar(char32_t c)
{
    struct Range { char32_t lo, hi; };
    static constexpr Range ranges[] = {
        {0x3400, 0x4DB5}, {0x4E00, 0x9FA5}, {0x9FA6, 0x9FBB}, {0xF900, 0xFA2D}, {0xFA30, 0xFA6A},
        {0xFA70, 0xFAD9},
        {0x2001, 0x2A6D},  // as the table's '\u20000'..'\u2a6d6' compares (see above)
        {0x2F81, 0x2FA1},  // as the table's '\u2f800'..'\u2fa1d' compares
        {0xFF00, 0xFFEF}, {0x2E80, 0x2EFF}, {0x3000, 0x303F}, {0x31C0, 0x31EF}, {0x2F00, 0x2FDF},
        {0x2FF0, 0x2FFF}, {0x3100, 0x312F}, {0x31A0, 0x31BF}, {0xFE10, 0xFE1F}, {0xFE30, 0xFE4F},
        {0x2600, 0x26FF}, {0x2700, 0x27BF}, {0x3200, 0x32FF}, {0x3300, 0x33FF},
    };
    for (const Range &r : ranges)
        if (c >= r.lo && c <= r.hi)
            return true;
    return false;
}

std::string tokenizeZh(std::string_view line)
{
    const std::u32string s = toCodePoints(line);
    std::size_t begin = 0, end = s.size();
    while (begin < end && isPythonSpace(s[begin]))
        ++begin;
    while (end > begin && isPythonSpace(s[end - 1]))
        --end;
    std::u32string spaced;
    spaced.reserve((end - begin) * 2);
    for (std::size_t i = begin; i < end; ++i) {
        if (isSacreBleuChineseChar(s[i])) {
            spaced += U' ';
            spaced += s[i];
            spaced += U' ';
        } else {
            spaced += s[i];
        }
    }
    // No padding here (unlike 13a): a final "2019." keeps its period, as in sacrebleu.
    return regexpPostTokenize(std::move(spaced));
}

std::string tokenizeChar(std::string_view line)
{
    const std::u32string s = toCodePoints(line);
    std::u32string out;
    out.reserve(s.size() * 2);
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i > 0)
            out += U' ';
        out += s[i];
    }
    return toUtf8(out);
}

} // namespace

std::string tokenizerName(BleuTokenizer tokenizer)
{
    switch (tokenizer) {
    case BleuTokenizer::V13a: return "13a";
    case BleuTokenizer::Intl: return "intl";
    case BleuTokenizer::None: return "none";
    case BleuTokenizer::Char: return "char";
    case BleuTokenizer::Zh: return "zh";
    }
    return "13a";
}

std::optional<BleuTokenizer> tokenizerFromName(std::string_view name)
{
    for (const BleuTokenizer t : {BleuTokenizer::V13a, BleuTokenizer::Intl, BleuTokenizer::None, BleuTokenizer::Char,
                                  BleuTokenizer::Zh})
        if (name == tokenizerName(t))
            return t;
    return std::nullopt;
}

std::string sacreTokenize(std::string_view line, BleuTokenizer tokenizer)
{
    switch (tokenizer) {
    case BleuTokenizer::V13a: return tokenize13a(line);
    case BleuTokenizer::Intl: return tokenizeIntl(line);
    case BleuTokenizer::None: return std::string(line);
    case BleuTokenizer::Char: return tokenizeChar(line);
    case BleuTokenizer::Zh: return tokenizeZh(line);
    }
    return std::string(line);
}

bool isPythonSpace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680
        || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string pythonLower(std::string_view text)
{
    if (text.empty())
        return {};
    UErrorCode status = U_ZERO_ERROR;
    // "" is ICU's root locale: no Turkish or Lithuanian rules, as in Python.
    std::unique_ptr<UCaseMap, void (*)(UCaseMap *)> map(ucasemap_open("", 0, &status), ucasemap_close);
    if (U_FAILURE(status))
        throw std::runtime_error(std::string("ICU case mapping unavailable: ") + u_errorName(status));
    std::string out(text.size() + text.size() / 2 + 16, '\0');
    for (int attempt = 0; attempt < 2; ++attempt) {
        status = U_ZERO_ERROR;
        const int32_t n = ucasemap_utf8ToLower(map.get(), out.data(), static_cast<int32_t>(out.size()), text.data(),
                                               static_cast<int32_t>(text.size()), &status);
        if (status == U_BUFFER_OVERFLOW_ERROR) {
            out.assign(static_cast<std::size_t>(n) + 1, '\0');
            continue;
        }
        if (U_FAILURE(status))
            throw std::runtime_error(std::string("ICU lower-casing failed: ") + u_errorName(status));
        out.resize(static_cast<std::size_t>(n));
        return out;
    }
    throw std::runtime_error("ICU lower-casing failed: buffer size");
}

std::string_view pythonRstrip(std::string_view text)
{
    // Walk forward (UTF-8 cannot be decoded backwards safely when malformed), remembering
    // where the last non-space code point ends.
    std::size_t keep = 0, i = 0;
    while (i < text.size()) {
        char32_t cp;
        const std::size_t n = decodeAt(text, i, cp);
        i += n;
        if (!isPythonSpace(cp))
            keep = i;
    }
    return text.substr(0, keep);
}

std::vector<std::string_view> pythonSplit(std::string_view text)
{
    std::vector<std::string_view> words;
    std::size_t i = 0, start = 0;
    bool inWord = false;
    while (i < text.size()) {
        char32_t cp;
        const std::size_t n = decodeAt(text, i, cp);
        if (isPythonSpace(cp)) {
            if (inWord)
                words.push_back(text.substr(start, i - start));
            inWord = false;
        } else if (!inWord) {
            inWord = true;
            start = i;
        }
        i += n;
    }
    if (inWord)
        words.push_back(text.substr(start));
    return words;
}

std::u32string toCodePoints(std::string_view text)
{
    std::u32string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        char32_t cp;
        i += decodeAt(text, i, cp);
        out += cp;
    }
    return out;
}

std::string toUtf8(std::u32string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (const char32_t c : text) {
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if (c < 0x800) {
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out += static_cast<char>(0xE0 | (c >> 12));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (c >> 18));
            out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    return out;
}

} // namespace taskmoe::core
