#include "core/gettext.h"

#include "core/errors.h"
#include "core/languages.h"
#include "core/readers.h"
#include "core/text.h"

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

#include <iconv.h>

namespace taskmoe::core {

namespace {

// ---------------------------------------------------------------------------------------------
// .mo (binary) catalogs
// ---------------------------------------------------------------------------------------------

constexpr std::uint32_t kMoMagic = 0x950412deu;
constexpr std::uint32_t kMoMagicSwapped = 0xde120495u;
constexpr std::size_t kMoHeaderSize = 20;   // magic, revision, N, O, T

std::uint32_t readU32(const std::string &data, std::uint64_t offset, bool bigEndian)
{
    // Callers check offset + 4 <= data.size() first.
    const auto *p = reinterpret_cast<const unsigned char *>(data.data()) + offset;
    if (bigEndian)
        return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8)
               | std::uint32_t(p[3]);
    return (std::uint32_t(p[3]) << 24) | (std::uint32_t(p[2]) << 16) | (std::uint32_t(p[1]) << 8)
           | std::uint32_t(p[0]);
}

std::string hex32(std::uint32_t value)
{
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(value));
    return buf;
}

/// Returns string `index` of the table at `tableOffset` as a view into `data`, after checking
/// that the descriptor and the string (plus its terminating NUL) lie inside the file. All
/// arithmetic is 64-bit so 32-bit fields cannot overflow. The caller has already checked
/// that the whole table lies inside the file.
std::string_view moRawString(const std::string &path, const std::string &data, bool bigEndian,
                             std::uint64_t tableOffset, std::uint64_t index, const char *tableName,
                             std::uint64_t *stringOffset = nullptr)
{
    const std::uint64_t size = data.size();
    const std::uint64_t descriptor = tableOffset + index * 8;
    const std::uint64_t length = readU32(data, descriptor, bigEndian);
    const std::uint64_t offset = readU32(data, descriptor + 4, bigEndian);
    if (offset > size || length >= size - offset) {   // needs offset + length + 1 <= size
        throw offsetError(path, static_cast<std::int64_t>(descriptor),
                          std::string(tableName) + " string table entry " + std::to_string(index)
                              + " points past the end of the file (size " + std::to_string(size)
                              + ", string at offset " + std::to_string(offset) + " with length "
                              + std::to_string(length) + ")");
    }
    if (data[offset + length] != '\0') {
        throw offsetError(path, static_cast<std::int64_t>(offset + length),
                          std::string(tableName) + " string table entry " + std::to_string(index)
                              + " is not NUL-terminated");
    }
    if (stringOffset)
        *stringOffset = offset;
    return std::string_view(data.data() + offset, static_cast<std::size_t>(length));
}

/// Converts text in a catalog's declared character set to UTF-8 with iconv (glibc).
class CharsetConverter
{
public:
    explicit CharsetConverter(const std::string &charset)
        : m_cd(iconv_open("UTF-8", charset.c_str()))
    {
    }
    ~CharsetConverter()
    {
        if (ok())
            iconv_close(m_cd);
    }
    CharsetConverter(const CharsetConverter &) = delete;
    CharsetConverter &operator=(const CharsetConverter &) = delete;

    bool ok() const { return m_cd != reinterpret_cast<iconv_t>(-1); }

    /// False on a byte sequence invalid in the source charset; `badOffset` receives its offset.
    bool convert(std::string_view in, std::string &out, std::size_t &badOffset)
    {
        out.clear();
        iconv(m_cd, nullptr, nullptr, nullptr, nullptr);   // reset the shift state
        std::string input(in);
        char *inPtr = input.data();
        std::size_t inLeft = input.size();
        char buffer[4096];
        while (true) {
            char *outPtr = buffer;
            std::size_t outLeft = sizeof buffer;
            const std::size_t r = inLeft == 0 ? iconv(m_cd, nullptr, nullptr, &outPtr, &outLeft)
                                              : iconv(m_cd, &inPtr, &inLeft, &outPtr, &outLeft);
            const int err = errno;
            out.append(buffer, static_cast<std::size_t>(outPtr - buffer));
            if (r != static_cast<std::size_t>(-1)) {
                if (inLeft == 0)
                    return true;
                continue;
            }
            if (err == E2BIG)
                continue;
            badOffset = static_cast<std::size_t>(inPtr - input.data());
            return false;
        }
    }

private:
    iconv_t m_cd;
};

/// The charset named by "charset=" in a catalog header (or the start of a .po file), or ""
/// when none is declared.
std::string declaredCharset(std::string_view text)
{
    const std::size_t at = text.find("charset=");
    if (at == std::string_view::npos)
        return {};
    std::size_t end = at + 8;
    while (end < text.size() && text[end] != ' ' && text[end] != ';' && text[end] != '\n'
           && text[end] != '\\' && text[end] != '"' && text[end] != '\r' && text[end] != '\t'
           && end - at < 48)
        ++end;
    return std::string(text.substr(at + 8, end - at - 8));
}

/// True for charsets that need no conversion: UTF-8, ASCII, and the "CHARSET" placeholder
/// of template catalogs.
bool isUtf8Compatible(const std::string &charset)
{
    std::string key;
    for (char c : charset) {
        if (c == '-' || c == '_')
            continue;
        key += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    return key.empty() || key == "UTF8" || key == "ASCII" || key == "USASCII" || key == "CHARSET"
           || key == "ANSIX3.41968";
}

std::vector<std::string> splitNul(std::string_view text)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t nul = text.find('\0', start);
        if (nul == std::string_view::npos) {
            parts.emplace_back(text.substr(start));
            return parts;
        }
        parts.emplace_back(text.substr(start, nul - start));
        start = nul + 1;
    }
}

// ---------------------------------------------------------------------------------------------
// .po (text) catalogs
// ---------------------------------------------------------------------------------------------

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/// Parses the quoted string starting at line[pos] == '"', appends its decoded value to `out`
/// and checks that nothing but blanks follows it.
void parsePoString(const std::string &path, std::int64_t lineNo, std::string_view line,
                   std::size_t pos, std::string &out)
{
    ++pos;   // opening quote
    while (true) {
        if (pos >= line.size())
            throw lineError(path, lineNo, "unterminated string");
        const char c = line[pos];
        if (c == '"') {
            ++pos;
            break;
        }
        if (c != '\\') {
            out += c;
            ++pos;
            continue;
        }
        ++pos;
        if (pos >= line.size())
            throw lineError(path, lineNo, "unterminated string (backslash at the end of the line)");
        const char e = line[pos];
        switch (e) {
        case 'n': out += '\n'; ++pos; break;
        case 't': out += '\t'; ++pos; break;
        case 'r': out += '\r'; ++pos; break;
        case 'a': out += '\a'; ++pos; break;
        case 'b': out += '\b'; ++pos; break;
        case 'f': out += '\f'; ++pos; break;
        case 'v': out += '\v'; ++pos; break;
        case '"': out += '"'; ++pos; break;
        case '\\': out += '\\'; ++pos; break;
        case '\'': out += '\''; ++pos; break;
        case '?': out += '?'; ++pos; break;
        case 'x': {
            ++pos;
            int value = 0, digits = 0;
            while (digits < 2 && pos < line.size() && hexValue(line[pos]) >= 0) {
                value = value * 16 + hexValue(line[pos]);
                ++pos;
                ++digits;
            }
            if (digits == 0)
                throw lineError(path, lineNo, "escape \\x without hexadecimal digits");
            out += static_cast<char>(value);
            break;
        }
        default:
            if (e >= '0' && e <= '7') {
                int value = 0, digits = 0;
                while (digits < 3 && pos < line.size() && line[pos] >= '0' && line[pos] <= '7') {
                    value = value * 8 + (line[pos] - '0');
                    ++pos;
                    ++digits;
                }
                if (value > 0xff)
                    throw lineError(path, lineNo, "octal escape out of range (above \\377)");
                out += static_cast<char>(value);
                break;
            }
            if (static_cast<unsigned char>(e) < 0x80 && e > ' ')
                throw lineError(path, lineNo, std::string("unknown escape sequence \\") + e);
            throw lineError(path, lineNo, "unknown escape sequence (backslash followed by a "
                                          "non-printable or non-ASCII character)");
        }
    }
    while (pos < line.size() && isBlank(line[pos]))
        ++pos;
    if (pos < line.size())
        throw lineError(path, lineNo, "unexpected text after the closing quote");
}

class PoParser
{
public:
    explicit PoParser(const std::string &path) : m_path(path) {}

    std::vector<CatalogEntry> parse(const std::string &data)
    {
        std::size_t start = 0;
        if (data.compare(0, 3, "\xEF\xBB\xBF") == 0)
            start = 3;
        std::int64_t lineNo = 0;
        while (start < data.size()) {
            std::size_t end = data.find('\n', start);
            if (end == std::string::npos)
                end = data.size();
            ++lineNo;
            processLine(lineNo, std::string_view(data.data() + start, end - start));
            start = end + 1;
        }
        finish(lineNo);
        return std::move(m_entries);
    }

private:
    enum class Field { None, Context, Msgid, Plural, Msgstr };

    void processLine(std::int64_t lineNo, std::string_view line)
    {
        std::size_t bad = 0;
        if (!isValidUtf8(line, &bad))
            throw lineError(m_path, lineNo, "invalid UTF-8 at byte " + std::to_string(bad + 1));
        std::size_t pos = 0;
        while (pos < line.size() && isBlank(line[pos]))
            ++pos;
        if (pos == line.size()) {   // blank line: ends an entry, no continuation after it
            m_field = Field::None;
            if (complete())
                flush();
            return;
        }
        const char c = line[pos];
        if (c == '#') {
            m_field = Field::None;
            if (complete())
                flush();
            const std::string_view comment = line.substr(pos);
            if (comment.size() >= 2 && comment[1] == '~') {
                m_pendingFuzzy = false;   // flags before an obsolete entry belong to it
                return;
            }
            if (comment.size() >= 2 && comment[1] == ',' && hasFuzzyFlag(comment.substr(2))) {
                if (inEntry())
                    m_cur.fuzzy = true;
                else
                    m_pendingFuzzy = true;
            }
            return;
        }
        if (c == '"') {
            if (m_field == Field::None)
                throw lineError(m_path, lineNo, "string without a keyword before it");
            parsePoString(m_path, lineNo, line, pos, fieldValue());
            return;
        }
        std::size_t kwEnd = pos;
        while (kwEnd < line.size()
               && ((line[kwEnd] >= 'a' && line[kwEnd] <= 'z') || line[kwEnd] == '_'))
            ++kwEnd;
        const std::string_view keyword = line.substr(pos, kwEnd - pos);
        long pluralIndex = -1;
        std::size_t after = kwEnd;
        if (keyword == "msgstr" && after < line.size() && line[after] == '[') {
            std::size_t p = after + 1;
            long value = 0;
            std::size_t digits = 0;
            while (p < line.size() && line[p] >= '0' && line[p] <= '9' && digits < 6) {
                value = value * 10 + (line[p] - '0');
                ++p;
                ++digits;
            }
            if (digits == 0 || p >= line.size() || line[p] != ']')
                throw lineError(m_path, lineNo, "malformed msgstr[N] keyword");
            pluralIndex = value;
            after = p + 1;
        }
        const bool known = keyword == "msgctxt" || keyword == "msgid" || keyword == "msgid_plural"
                           || keyword == "msgstr";
        if (!known) {
            if (keyword.empty())
                throw lineError(m_path, lineNo, "unexpected text (expected a keyword, a string or "
                                                "a comment)");
            throw lineError(m_path, lineNo, "unknown keyword '" + std::string(keyword) + "'");
        }
        std::size_t q = after;
        while (q < line.size() && isBlank(line[q]))
            ++q;
        if (q >= line.size() || line[q] != '"')
            throw lineError(m_path, lineNo,
                            "expected a quoted string after " + std::string(line.substr(pos, after - pos)));

        if (keyword == "msgctxt") {
            if (complete())
                flush();
            if (m_hasContext || m_hasMsgid)
                throw lineError(m_path, lineNo, "msgctxt out of order (the entry begun at line "
                                                    + std::to_string(m_entryLine) + " has no msgstr)");
            begin(lineNo);
            m_hasContext = true;
            m_field = Field::Context;
        } else if (keyword == "msgid") {
            if (complete())
                flush();
            if (m_hasMsgid)
                throw lineError(m_path, lineNo, "msgid out of order (the msgid at line "
                                                    + std::to_string(m_msgidLine) + " has no msgstr)");
            if (!m_hasContext)
                begin(lineNo);
            m_hasMsgid = true;
            m_msgidLine = lineNo;
            m_field = Field::Msgid;
        } else if (keyword == "msgid_plural") {
            if (!m_hasMsgid || !m_cur.msgstr.empty())
                throw lineError(m_path, lineNo, "msgid_plural without a msgid before it");
            if (m_hasPlural)
                throw lineError(m_path, lineNo, "a second msgid_plural in one entry");
            m_hasPlural = true;
            m_field = Field::Plural;
        } else {   // msgstr, msgstr[N]
            if (!m_hasMsgid)
                throw lineError(m_path, lineNo, "msgstr without a msgid before it");
            if (pluralIndex < 0) {
                if (m_hasPlural)
                    throw lineError(m_path, lineNo, "msgstr after msgid_plural (expected msgstr[0])");
                if (!m_cur.msgstr.empty())
                    throw lineError(m_path, lineNo, "a second msgstr in one entry");
            } else {
                if (!m_hasPlural)
                    throw lineError(m_path, lineNo, "msgstr[" + std::to_string(pluralIndex)
                                                        + "] without msgid_plural");
                if (static_cast<std::size_t>(pluralIndex) != m_cur.msgstr.size())
                    throw lineError(m_path, lineNo, "msgstr[" + std::to_string(pluralIndex)
                                                        + "] out of order (expected msgstr["
                                                        + std::to_string(m_cur.msgstr.size()) + "])");
            }
            m_cur.msgstr.emplace_back();
            m_msgstrLines.push_back(lineNo);
            m_field = Field::Msgstr;
        }
        parsePoString(m_path, lineNo, line, q, fieldValue());
        fieldLine() = lineNo;
    }

    static bool hasFuzzyFlag(std::string_view flags)
    {
        std::size_t start = 0;
        while (start <= flags.size()) {
            std::size_t comma = flags.find(',', start);
            if (comma == std::string_view::npos)
                comma = flags.size();
            std::string_view flag = flags.substr(start, comma - start);
            while (!flag.empty() && isBlank(flag.front()))
                flag.remove_prefix(1);
            while (!flag.empty() && isBlank(flag.back()))
                flag.remove_suffix(1);
            if (flag == "fuzzy")
                return true;
            start = comma + 1;
        }
        return false;
    }

    std::string &fieldValue()
    {
        switch (m_field) {
        case Field::Context: return m_cur.context;
        case Field::Msgid: return m_cur.msgid;
        case Field::Plural: return m_cur.msgidPlural;
        case Field::Msgstr: return m_cur.msgstr.back();
        case Field::None: break;
        }
        throw std::logic_error("PoParser: no current field");
    }

    std::int64_t &fieldLine()
    {
        switch (m_field) {
        case Field::Context: return m_contextLine;
        case Field::Msgid: return m_msgidLine;
        case Field::Plural: return m_pluralLine;
        case Field::Msgstr: return m_msgstrLines.back();
        case Field::None: break;
        }
        throw std::logic_error("PoParser: no current field");
    }

    bool inEntry() const { return m_hasContext || m_hasMsgid; }
    bool complete() const { return m_hasMsgid && !m_cur.msgstr.empty(); }

    void begin(std::int64_t lineNo)
    {
        m_entryLine = lineNo;
        m_cur.fuzzy = m_pendingFuzzy;
        m_pendingFuzzy = false;
    }

    void checkUtf8(const std::string &value, std::int64_t lineNo, const char *what)
    {
        // Lines are valid UTF-8, but \x and octal escapes can produce any byte.
        if (!isValidUtf8(value))
            throw lineError(m_path, lineNo, std::string("invalid UTF-8 in ") + what
                                                + " (from an escape sequence)");
    }

    void flush()
    {
        if (m_hasContext)
            checkUtf8(m_cur.context, m_contextLine, "msgctxt");
        checkUtf8(m_cur.msgid, m_msgidLine, "msgid");
        if (m_hasPlural)
            checkUtf8(m_cur.msgidPlural, m_pluralLine, "msgid_plural");
        for (std::size_t i = 0; i < m_cur.msgstr.size(); ++i)
            checkUtf8(m_cur.msgstr[i], m_msgstrLines[i], "msgstr");
        m_entries.push_back(std::move(m_cur));
        m_cur = CatalogEntry();
        m_msgstrLines.clear();
        m_hasContext = m_hasMsgid = m_hasPlural = false;
        m_field = Field::None;
    }

    void finish(std::int64_t lastLine)
    {
        if (complete()) {
            flush();
            return;
        }
        if (m_hasMsgid)
            throw lineError(m_path, m_msgidLine, "msgid without a msgstr (end of file at line "
                                                     + std::to_string(lastLine) + ")");
        if (m_hasContext)
            throw lineError(m_path, m_contextLine, "msgctxt without a msgid (end of file at line "
                                                       + std::to_string(lastLine) + ")");
    }

    const std::string &m_path;
    std::vector<CatalogEntry> m_entries;
    CatalogEntry m_cur;
    bool m_hasContext = false, m_hasMsgid = false, m_hasPlural = false, m_pendingFuzzy = false;
    Field m_field = Field::None;
    std::int64_t m_entryLine = 0, m_contextLine = 0, m_msgidLine = 0, m_pluralLine = 0;
    std::vector<std::int64_t> m_msgstrLines;
};

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

// ---------------------------------------------------------------------------------------------
// Public functions
// ---------------------------------------------------------------------------------------------

std::vector<CatalogEntry> readMoFile(const std::string &path)
{
    const std::string data = readFile(path);
    const std::uint64_t size = data.size();
    if (size < 4)
        throw offsetError(path, 0, "not a gettext .mo file (only " + std::to_string(size)
                                       + " bytes, too short for a magic number)");
    bool bigEndian = false;
    const std::uint32_t magic = readU32(data, 0, false);
    if (magic == kMoMagic)
        bigEndian = false;
    else if (magic == kMoMagicSwapped)
        bigEndian = true;
    else
        throw offsetError(path, 0, "not a gettext .mo file (magic number " + hex32(magic) + ")");
    if (size < kMoHeaderSize)
        throw offsetError(path, static_cast<std::int64_t>(size),
                          "truncated .mo header (file size " + std::to_string(size) + ", the header needs "
                              + std::to_string(kMoHeaderSize) + " bytes)");
    const std::uint32_t revision = readU32(data, 4, bigEndian);
    if ((revision >> 16) > 1)
        throw offsetError(path, 4, "unsupported .mo format revision " + std::to_string(revision >> 16)
                                       + "." + std::to_string(revision & 0xffff));
    const std::uint64_t count = readU32(data, 8, bigEndian);
    const std::uint64_t originals = readU32(data, 12, bigEndian);
    const std::uint64_t translations = readU32(data, 16, bigEndian);
    const struct { std::uint64_t offset; std::int64_t field; const char *name; } tables[] = {
        {originals, 12, "original"}, {translations, 16, "translation"}};
    for (const auto &t : tables) {
        const std::uint64_t end = t.offset + count * 8;   // < 2^36, no overflow
        if (t.offset > size || end > size)
            throw offsetError(path, t.field,
                              std::string(t.name) + " string table (" + std::to_string(count)
                                  + " entries at offset " + std::to_string(t.offset)
                                  + ") is truncated: it extends past the end of the file (size "
                                  + std::to_string(size) + ")");
    }

    // The header (the entry with an empty msgid) declares the charset of every string.
    std::unique_ptr<CharsetConverter> converter;
    std::string charset;
    for (std::uint64_t i = 0; i < count; ++i) {
        if (readU32(data, originals + i * 8, bigEndian) != 0)
            continue;
        std::uint64_t headerOffset = 0;
        moRawString(path, data, bigEndian, originals, i, "original");
        const std::string_view header =
            moRawString(path, data, bigEndian, translations, i, "translation", &headerOffset);
        charset = declaredCharset(header);
        if (!isUtf8Compatible(charset)) {
            converter = std::make_unique<CharsetConverter>(charset);
            if (!converter->ok())
                throw offsetError(path, static_cast<std::int64_t>(headerOffset),
                                  "unsupported charset '" + charset + "' in the catalog header");
        }
        break;
    }
    std::string converted;
    auto decode = [&](std::uint64_t tableOffset, std::uint64_t index, const char *tableName) {
        std::uint64_t offset = 0;
        const std::string_view raw =
            moRawString(path, data, bigEndian, tableOffset, index, tableName, &offset);
        std::size_t bad = 0;
        if (converter) {
            if (!converter->convert(raw, converted, bad))
                throw offsetError(path, static_cast<std::int64_t>(offset + bad),
                                  "invalid " + charset + " text in " + std::string(tableName)
                                      + " string table entry " + std::to_string(index));
            return std::string_view(converted);
        }
        if (!isValidUtf8(raw, &bad))
            throw offsetError(path, static_cast<std::int64_t>(offset + bad),
                              "invalid UTF-8 in " + std::string(tableName) + " string table entry "
                                  + std::to_string(index));
        return raw;
    };

    std::vector<CatalogEntry> entries;
    entries.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
        CatalogEntry entry;
        entry.msgstr = splitNul(decode(translations, i, "translation"));
        const std::string_view key = decode(originals, i, "original");
        std::string_view rest = key;
        const std::size_t eot = rest.find('\x04');
        if (eot != std::string_view::npos) {
            entry.context.assign(rest.substr(0, eot));
            rest.remove_prefix(eot + 1);
        }
        const std::size_t nul = rest.find('\0');
        if (nul != std::string_view::npos) {
            entry.msgid.assign(rest.substr(0, nul));
            entry.msgidPlural.assign(rest.substr(nul + 1));
        } else {
            entry.msgid.assign(rest);
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::vector<CatalogEntry> readPoFile(const std::string &path)
{
    std::string data = readFile(path);
    if (!isValidUtf8(data)) {
        // A catalog in another charset declares it in its header; convert it as a whole
        // (line breaks survive, so errors still name the right line). Without such a
        // declaration the parser reports the first line that is not UTF-8.
        const std::string charset = declaredCharset(data);
        if (!isUtf8Compatible(charset)) {
            CharsetConverter converter(charset);
            if (!converter.ok()) {
                const auto at = static_cast<std::ptrdiff_t>(data.find("charset="));
                const auto line = 1 + std::count(data.begin(), data.begin() + at, '\n');
                throw lineError(path, line, "unsupported charset '" + charset + "' in the catalog header");
            }
            std::string converted;
            std::size_t bad = 0;
            if (!converter.convert(data, converted, bad)) {
                const auto line = 1 + std::count(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(bad), '\n');
                throw lineError(path, line, "invalid " + charset + " text (the header declares that charset)");
            }
            data = std::move(converted);
        }
    }
    PoParser parser(path);
    return parser.parse(data);
}

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

Corpus importGettext(const GettextImportOptions &options)
{
    namespace fs = std::filesystem;
    options.cleaning.validate();
    if (options.languages.empty())
        throw InputError("--langs: at least one language is required for a gettext import");
    std::set<std::string> seen;
    for (const std::string &lang : options.languages) {
        validateLanguageCode(lang, "--langs");
        if (lang == "en")
            throw InputError("--langs: en is the source language of gettext catalogs, "
                             "it cannot also be a target");
        if (!seen.insert(lang).second)
            throw InputError("--langs: language '" + lang + "' is given twice");
    }

    const std::string &root = options.localeRoot;
    std::error_code ec;
    if (root.empty())
        throw InputError("the locale directory is empty");
    if (!fs::exists(root, ec))
        throw fileError(root, "locale directory not found");
    if (!fs::is_directory(root, ec))
        throw fileError(root, "not a directory (expected a locale tree like /usr/share/locale)");

    std::vector<ParallelData> pairs;
    std::vector<std::string> report;
    for (const std::string &lang : options.languages) {
        const fs::path dir = fs::path(root) / lang / "LC_MESSAGES";
        if (!fs::is_directory(dir, ec))
            throw fileError(dir.string(), "no such directory (no catalogs for language '" + lang + "')");
        std::vector<fs::path> catalogs;
        fs::directory_iterator it(dir, ec);
        if (ec)
            throw fileError(dir.string(), "cannot read the directory: " + ec.message());
        for (; it != fs::directory_iterator(); it.increment(ec)) {
            if (ec)
                throw fileError(dir.string(), "cannot read the directory: " + ec.message());
            const fs::path &p = it->path();
            const std::string ext = p.extension().string();
            if (ext != ".mo" && ext != ".po")
                continue;
            std::error_code typeEc;
            if (!fs::is_regular_file(p, typeEc))   // follows symlinks
                continue;
            catalogs.push_back(p);
        }
        if (ec)
            throw fileError(dir.string(), "cannot read the directory: " + ec.message());
        if (catalogs.empty())
            throw fileError(dir.string(), "no .mo or .po catalogs for language '" + lang + "'");
        std::sort(catalogs.begin(), catalogs.end(), [](const fs::path &a, const fs::path &b) {
            return a.filename().string() < b.filename().string();
        });

        ParallelData data;
        data.srcLang = "en";
        data.tgtLang = lang;
        CleaningStats stats;
        for (const fs::path &catalog : catalogs) {
            const std::string file = catalog.string();
            const std::vector<CatalogEntry> entries =
                catalog.extension() == ".mo" ? readMoFile(file) : readPoFile(file);
            cleanCatalog(entries, options.cleaning, data.sentences, stats);
        }
        stats.duplicates = dedupe(data);
        stats.kept = data.sentences.size();
        const std::string counts = lang + ": " + std::to_string(stats.entries) + " entries in "
                         + std::to_string(catalogs.size()) + " catalogs, kept "
                         + std::to_string(stats.kept) + " (untranslated "
                         + std::to_string(stats.untranslated) + ", fuzzy " + std::to_string(stats.fuzzy)
                         + ", too long " + std::to_string(stats.tooLong) + ", not text "
                         + std::to_string(stats.notText) + ", duplicates "
                         + std::to_string(stats.duplicates) + ", headers " + std::to_string(stats.header)
                         + ", empty " + std::to_string(stats.empty) + ")";
        // A pair without sentences would be registered and only fail at training time
        // ("task has no examples"); refuse it here, where the reason is known.
        if (data.sentences.empty())
            throw fileError(dir.string(), "no usable sentence pairs for language '" + lang + "' ("
                                              + counts.substr(lang.size() + 2) + ")");
        report.push_back(counts);
        pairs.push_back(std::move(data));
    }

    std::string source = root + " (languages ";
    for (std::size_t i = 0; i < options.languages.size(); ++i)
        source += (i ? "," : "") + options.languages[i];
    source += ")";
    Corpus corpus = makeCorpus("gettext", std::move(source), std::move(pairs));
    corpus.report.insert(corpus.report.end(), report.begin(), report.end());
    return corpus;
}

} // namespace taskmoe::core
