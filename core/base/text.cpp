#include "core/base/text.h"

#include "core/base/errors.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace taskmoe::core {

std::size_t decodeUtf8(std::string_view s, std::size_t i, char32_t &cp)
{
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    std::size_t len;
    char32_t min;
    if ((b0 & 0xE0) == 0xC0) {
        len = 2; cp = b0 & 0x1F; min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3; cp = b0 & 0x0F; min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4; cp = b0 & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    if (i + len > s.size())
        return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

namespace {

bool isUnicodeSpace(char32_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x85
        || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029
        || c == 0x202F || c == 0x205F || c == 0x3000;
}

} // namespace

bool isValidUtf8(std::string_view text, std::size_t *badOffset)
{
    std::size_t i = 0;
    while (i < text.size()) {
        char32_t cp;
        const std::size_t n = decodeUtf8(text, i, cp);
        if (n == 0) {
            if (badOffset)
                *badOffset = i;
            return false;
        }
        i += n;
    }
    return true;
}

std::string normalizeWhitespace(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    bool pendingSpace = false;
    std::size_t i = 0;
    while (i < text.size()) {
        char32_t cp;
        std::size_t n = decodeUtf8(text, i, cp);
        if (n == 0)
            n = 1, cp = 0xFFFD;  // malformed input is kept byte for byte, never a space
        if (isUnicodeSpace(cp)) {
            pendingSpace = !out.empty();
        } else {
            if (pendingSpace)
                out.push_back(' ');
            pendingSpace = false;
            out.append(text.substr(i, n));
        }
        i += n;
    }
    return out;
}

std::size_t utf8Length(std::string_view text)
{
    std::size_t n = 0;
    for (const char c : text)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
            ++n;
    return n;
}

std::vector<std::string_view> splitWords(std::string_view text)
{
    std::vector<std::string_view> words;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(' ', start);
        if (end == std::string_view::npos)
            end = text.size();
        if (end > start)
            words.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return words;
}

void forEachLine(std::string_view data, bool skipBom,
                 const std::function<void(std::int64_t, std::string_view, std::size_t)> &visit)
{
    std::size_t pos = skipBom && data.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    std::int64_t number = 0;
    while (pos < data.size()) {
        std::size_t end = data.find('\n', pos);
        if (end == std::string_view::npos)
            end = data.size();
        visit(++number, data.substr(pos, end - pos), pos);
        pos = end + 1;
    }
}

std::string readFile(const std::string &path)
{
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0)
        throw fileError(path, std::string("cannot open: ") + std::strerror(errno));
    if (S_ISDIR(st.st_mode))
        throw fileError(path, "is a directory, not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw fileError(path, std::string("cannot open: ") + std::strerror(errno));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        throw fileError(path, "read error");
    return buffer.str();
}

std::vector<std::string> readTextLines(const std::string &path)
{
    return splitTextLines(readFile(path), path);
}

std::vector<std::string> splitTextLines(std::string_view data, const std::string &path)
{
    if (data.empty())
        throw fileError(path, "is empty");
    std::vector<std::string> lines;
    forEachLine(data, true, [&](std::int64_t lineNo, std::string_view line, std::size_t offset) {
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        std::size_t bad = 0;
        if (!isValidUtf8(line, &bad))
            throw lineError(path, lineNo, "invalid UTF-8 at byte " + std::to_string(bad + 1)
                                              + " of the line (file offset " + std::to_string(offset + bad) + ")");
        lines.emplace_back(line);
    });
    return lines;
}

void writeFileAtomically(const std::string &path, std::string_view data)
{
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    std::FILE *f = std::fopen(tmp.c_str(), "wb");
    if (!f)
        throw fileError(path, std::string("cannot write: ") + std::strerror(errno));
    const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size() && std::fflush(f) == 0
                    && ::fsync(fileno(f)) == 0;
    int err = errno;
    const bool closed = std::fclose(f) == 0;
    if (ok && !closed)
        err = errno;
    if (!ok || !closed) {
        std::remove(tmp.c_str());
        throw fileError(path, std::string("cannot write: ") + std::strerror(err));
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        err = errno;
        std::remove(tmp.c_str());
        throw fileError(path, std::string("cannot rename the temporary file into place: ") + std::strerror(err));
    }
}

} // namespace taskmoe::core
