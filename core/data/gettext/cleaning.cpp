// Cleaning catalog entries into sentence pairs: context prefixes, accelerators, format
// directives and markup, entries without letters.
#include "core/data/gettext/gettext.h"
#include "core/data/gettext/chars.h"

#include "core/base/errors.h"
#include "core/base/languages.h"
#include "core/data/readers.h"
#include "core/base/text.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

namespace taskmoe::core {

namespace {

// ---------------------------------------------------------------------------------------------
// Cleaning
// ---------------------------------------------------------------------------------------------

bool isAsciiAlnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool isAsciiAlpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/// Decodes the code point at text[i] (valid UTF-8 expected; a stray byte decodes as itself)
/// and advances i.
char32_t decodeAt(std::string_view text, std::size_t &i)
{
    const auto b0 = static_cast<unsigned char>(text[i]);
    std::size_t n = b0 < 0x80 ? 1 : b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 1;
    if (i + n > text.size())
        n = 1;
    char32_t cp = n == 1 ? b0 : n == 2 ? (b0 & 0x1F) : n == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (std::size_t k = 1; k < n; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    i += n;
    return cp;
}

/// A rough "is a letter" without Unicode tables: ASCII letters, and non-ASCII code points
/// outside the blocks of punctuation, symbols, marks, digits and private use.
bool isLetterish(char32_t cp)
{
    if (cp < 0x80)
        return isAsciiAlpha(static_cast<unsigned char>(cp));
    if (cp == 0xAA || cp == 0xB5 || cp == 0xBA)
        return true;
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7)
        return false;
    if (cp >= 0x0300 && cp <= 0x036F)   // combining marks
        return false;
    if (cp >= 0x2000 && cp <= 0x2BFF)   // punctuation, symbols, arrows, math, box drawing …
        return false;
    if (cp >= 0x3000 && cp <= 0x303F)   // CJK symbols and punctuation
        return cp == 0x3005 || cp == 0x3006;
    if (cp >= 0xE000 && cp <= 0xF8FF)   // private use
        return false;
    if (cp >= 0xFE10 && cp <= 0xFE6F)   // vertical forms, CJK compatibility, small forms
        return false;
    if (cp >= 0xFF00 && cp <= 0xFF20)   // full-width punctuation and digits
        return false;
    if ((cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) || cp >= 0xFFE0) {
        if (cp < 0x10000)
            return false;
    }
    if (cp >= 0x1F000 && cp <= 0x1FFFF)   // emoji and other symbols
        return false;
    if (cp >= 0xF0000)   // supplementary private use
        return false;
    return true;
}

/// Length of a printf/Qt/Python format directive starting at text[i] == '%' (0 if none).
std::size_t formatDirectiveLength(std::string_view text, std::size_t i)
{
    auto isDigit = [&](std::size_t p) { return p < text.size() && text[p] >= '0' && text[p] <= '9'; };
    auto oneOf = [&](std::size_t p, std::string_view set) {
        return p < text.size() && set.find(text[p]) != std::string_view::npos;
    };
    std::size_t p = i + 1;
    if (p >= text.size())
        return 0;
    if (text[p] == '%')
        return 2;
    if (text[p] == '(') {   // Python %(name)s
        const std::size_t close = text.find(')', p);
        if (close == std::string_view::npos || close - p > 40)
            return 0;
        p = close + 1;
    }
    const std::size_t digitsStart = p;
    while (isDigit(p))
        ++p;
    const std::size_t digitsEnd = p;
    if (digitsEnd > digitsStart && p < text.size() && text[p] == '$')
        ++p;                // positional %1$s
    else
        p = digitsStart;    // the digits are flags and width
    while (oneOf(p, "-+#0'I"))
        ++p;
    while (isDigit(p) || oneOf(p, "*"))
        ++p;
    if (oneOf(p, ".")) {
        ++p;
        while (isDigit(p) || oneOf(p, "*"))
            ++p;
    }
    while (oneOf(p, "hlLqjzZt"))
        ++p;
    if (oneOf(p, "diouxXeEfFgGaAcspnmCS"))
        return p + 1 - i;
    if (digitsEnd > digitsStart)
        return digitsEnd - i;   // Qt-style %1
    return 0;
}

/// Length of a markup tag of Pango/HTML ("<b>", "</span>", "<a href=\"…\">", "<br/>")
/// starting at text[i] == '<', 0 otherwise. Only known tag names count, so that text in
/// angle brackets such as "<unknown>" stays text.
std::size_t markupTagLength(std::string_view text, std::size_t i)
{
    static const std::set<std::string_view> kTags = {
        "a", "b", "big", "br", "code", "div", "em", "font", "h1", "h2", "h3", "hr", "i", "img",
        "kbd", "li", "markup", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
        "sup", "table", "td", "th", "tr", "tt", "u", "ul"};
    std::size_t p = i + 1;
    if (p < text.size() && text[p] == '/')
        ++p;
    const std::size_t nameStart = p;
    while (p < text.size() && isAsciiAlnum(static_cast<unsigned char>(text[p])))
        ++p;
    std::string name(text.substr(nameStart, p - nameStart));
    for (char &ch : name)
        ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
    if (name.empty() || kTags.count(name) == 0 || p >= text.size())
        return 0;
    if (text[p] != '>' && text[p] != ' ' && text[p] != '/')
        return 0;
    const std::size_t close = text.find('>', p);
    if (close == std::string_view::npos || text.substr(p, close - p).find('<') != std::string_view::npos)
        return 0;
    return close + 1 - i;
}

/// True when the text contains a letter outside format directives, {placeholders},
/// <markup tags> and &entities;.
bool hasLetters(std::string_view text)
{
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '%') {
            const std::size_t n = formatDirectiveLength(text, i);
            if (n > 0) {
                i += n;
                continue;
            }
        } else if (c == '{') {
            const std::size_t close = text.find('}', i);
            if (close != std::string_view::npos && close - i <= 40
                && text.substr(i + 1, close - i - 1).find_first_of(" {") == std::string_view::npos) {
                i = close + 1;   // a {placeholder}
                continue;
            }
        } else if (c == '<') {
            const std::size_t n = markupTagLength(text, i);
            if (n > 0) {
                i += n;
                continue;
            }
        } else if (c == '&') {
            std::size_t p = i + 1;
            while (p < text.size() && p - i <= 10
                   && (isAsciiAlnum(static_cast<unsigned char>(text[p])) || text[p] == '#'))
                ++p;
            if (p > i + 1 && p < text.size() && text[p] == ';') {
                i = p + 1;
                continue;
            }
        }
        if (isLetterish(decodeAt(text, i)))
            return true;
    }
    return false;
}

/// Control characters (bell, vertical tab as used by argp, …) become spaces, so that
/// whitespace normalisation removes them.
std::string controlsToSpaces(std::string text)
{
    for (char &c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F)
            c = ' ';
    }
    return text;
}

/// "File|Open" → "File" (prefix length, 0 when the text has no context-like prefix): a
/// non-empty run without whitespace before the first '|', followed by some text.
std::size_t contextPrefixLength(std::string_view text)
{
    const std::size_t bar = text.find('|');
    if (bar == std::string_view::npos || bar == 0 || bar + 1 >= text.size())
        return 0;
    // No blanks, and none of the brackets, quotes and operators of syntax such as
    // "[-L|-P]", "(tcp|udp)" or "a=b|c".
    for (std::size_t i = 0; i < bar; ++i) {
        const auto u = static_cast<unsigned char>(text[i]);
        if (u <= 0x20 || u == 0x7F
            || std::string_view("()[]{}<>'\"`=,;*+!?%$&#\\^~").find(static_cast<char>(u))
                   != std::string_view::npos)
            return 0;
    }
    // A context names something: it has a letter.
    if (!std::any_of(text.begin(), text.begin() + bar,
                     [](char c) { return isAsciiAlpha(static_cast<unsigned char>(c)); }))
        return 0;
    return bar;
}

/// Strips "ctx|" from msgid (and from msgstr when it carries the same prefix). Only when the
/// translation either starts with the same prefix or contains no '|' at all: a translation
/// with a '|' elsewhere shows the bar is part of the text ("yes|no" → "ja|nein").
void stripContextPrefix(std::string &src, std::string &tgt)
{
    const std::size_t n = contextPrefixLength(src);
    if (n == 0)
        return;
    const std::string_view prefix(src.data(), n + 1);   // including the bar
    if (tgt.size() > prefix.size() && tgt.compare(0, prefix.size(), prefix) == 0) {
        tgt.erase(0, prefix.size());
        src.erase(0, prefix.size());
        return;
    }
    if (tgt.find('|') == std::string::npos)
        src.erase(0, prefix.size());
}

/// Position of a trailing CJK-style accelerator "(_F)" / "(&F)" (optionally followed by
/// "...", "…" or ":" and blanks), including blanks before it; npos when there is none.
std::size_t trailingCjkAccelerator(std::string_view text, std::size_t &tailStart)
{
    std::size_t end = text.size();
    auto stripSuffix = [&](std::string_view s) {
        if (end >= s.size() && text.substr(end - s.size(), s.size()) == s) {
            end -= s.size();
            return true;
        }
        return false;
    };
    while (end > 0 && isBlank(text[end - 1]))
        --end;
    // Trailing punctuation that follows the accelerator in menu labels.
    while (stripSuffix("...") || stripSuffix("\xE2\x80\xA6") || stripSuffix(":")
           || stripSuffix("\xEF\xBC\x9A")) {
        while (end > 0 && isBlank(text[end - 1]))
            --end;
    }
    if (end < 4)
        return std::string_view::npos;
    const std::string_view tail = text.substr(end - 4, 4);
    if (tail[0] != '(' || (tail[1] != '_' && tail[1] != '&') || tail[3] != ')'
        || !isAsciiAlnum(static_cast<unsigned char>(tail[2])))
        return std::string_view::npos;
    tailStart = end;
    std::size_t start = end - 4;
    while (start > 0 && isBlank(text[start - 1]))
        --start;
    return start;
}

bool isEntityAt(std::string_view text, std::size_t amp)
{
    std::size_t p = amp + 1;
    if (p < text.size() && text[p] == '#')
        ++p;
    const std::size_t nameStart = p;
    while (p < text.size() && p - amp <= 10 && isAsciiAlnum(static_cast<unsigned char>(text[p])))
        ++p;
    return p > nameStart && p < text.size() && text[p] == ';';
}

bool isUpperOrDigit(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

/// An accelerator candidate: a single marker followed by a letter or digit (doubled markers
/// are escapes). Not an "&entity;" and not the '_' of an identifier such as "LC_ALL".
bool isAcceleratorAt(std::string_view text, std::size_t i)
{
    const char m = text[i];
    if (i + 1 >= text.size())
        return false;
    const auto next = static_cast<unsigned char>(text[i + 1]);
    if (!isAsciiAlnum(next) && next < 0x80)
        return false;
    if (m == '&' && isEntityAt(text, i))
        return false;
    if (m == '_' && i > 0 && isUpperOrDigit(static_cast<unsigned char>(text[i - 1]))
        && isUpperOrDigit(next))
        return false;
    return true;
}

} // namespace

void CatalogCleaning::validate() const
{
    if (minChars < 1)
        throw std::invalid_argument("minChars must be at least 1 (got " + std::to_string(minChars) + ")");
    if (maxChars < minChars)
        throw std::invalid_argument("maxChars (" + std::to_string(maxChars)
                                    + ") must be at least minChars (" + std::to_string(minChars) + ")");
}

std::string stripAccelerators(const std::string &text)
{
    std::string_view view(text);
    std::string work;
    std::size_t tailStart = 0;
    const std::size_t cjk = trailingCjkAccelerator(view, tailStart);
    if (cjk != std::string_view::npos) {
        work.assign(view.substr(0, cjk));
        work.append(view.substr(tailStart));
        view = work;
    }

    // Single markers in identifiers ("some_variable_name") are not accelerators: a label has
    // at most one accelerator per marker kind, so strip a kind only when it occurs once.
    std::size_t underscores = 0, ampersands = 0;
    for (std::size_t i = 0; i < view.size(); ++i) {
        const char c = view[i];
        if (c != '_' && c != '&')
            continue;
        if (i + 1 < view.size() && view[i + 1] == c) {
            ++i;   // doubled marker: an escape
            continue;
        }
        if (isAcceleratorAt(view, i))
            ++(c == '_' ? underscores : ampersands);
    }

    std::string out;
    out.reserve(view.size());
    for (std::size_t i = 0; i < view.size(); ++i) {
        const char c = view[i];
        if (c != '_' && c != '&') {
            out += c;
            continue;
        }
        if (i + 1 < view.size() && view[i + 1] == c) {
            out += c;   // "__" → "_", "&&" → "&"
            ++i;
            continue;
        }
        const std::size_t count = c == '_' ? underscores : ampersands;
        if (count == 1 && isAcceleratorAt(view, i))
            continue;
        out += c;
    }
    return out;
}

void cleanCatalog(const std::vector<CatalogEntry> &entries, const CatalogCleaning &options,
                  std::vector<SentencePair> &out, CleaningStats &stats)
{
    options.validate();
    for (const CatalogEntry &entry : entries) {
        ++stats.entries;
        if (entry.msgid.empty()) {
            ++(entry.context.empty() ? stats.header : stats.empty);
            continue;
        }
        if (entry.fuzzy) {
            ++stats.fuzzy;
            continue;
        }
        if (entry.msgstr.empty() || entry.msgstr.front().empty()) {
            ++stats.untranslated;
            continue;
        }
        std::string src = entry.msgid;               // the singular of plural forms
        std::string tgt = entry.msgstr.front();
        stripContextPrefix(src, tgt);
        src = normalizeWhitespace(controlsToSpaces(stripAccelerators(src)));
        tgt = normalizeWhitespace(controlsToSpaces(stripAccelerators(tgt)));
        if (src.empty() || tgt.empty()) {
            ++stats.empty;
            continue;
        }
        const std::size_t srcLen = utf8Length(src), tgtLen = utf8Length(tgt);
        if (srcLen > options.maxChars || tgtLen > options.maxChars) {
            ++stats.tooLong;
            continue;
        }
        if (srcLen < options.minChars || tgtLen < options.minChars) {
            ++stats.empty;
            continue;
        }
        if (!hasLetters(src) || !hasLetters(tgt)) {
            ++stats.notText;
            continue;
        }
        ++stats.kept;
        out.push_back(SentencePair{std::move(src), std::move(tgt)});
    }
}


} // namespace taskmoe::core
