// Reading gettext catalogs: binary .mo files and .po sources, with their declared charsets.
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
        std::int64_t lines = 0;
        forEachLine(data, true, [&](std::int64_t lineNo, std::string_view line, std::size_t) {
            processLine(lineNo, line);
            lines = lineNo;
        });
        finish(lines);
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
} // namespace

std::vector<CatalogEntry> readMoFile(const std::string &path)
{
    return parseMoData(readFile(path), path);
}

std::vector<CatalogEntry> parseMoData(const std::string &data, const std::string &path)
{
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
    return parsePoData(readFile(path), path);
}

std::vector<CatalogEntry> parsePoData(std::string data, const std::string &path)
{
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


} // namespace taskmoe::core
