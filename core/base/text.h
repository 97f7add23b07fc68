#pragma once
/// Small text utilities: UTF-8 validation, whitespace normalisation, file reading.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace taskmoe::core {

/// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points
/// above U+10FFFF). On failure `badOffset` (if given) receives the offset of the first bad byte.
/// Decodes the code point starting at byte `i` of `s` into `cp`; returns its length in bytes,
/// or 0 when the bytes there are not well-formed UTF-8 (overlong, surrogate, truncated …).
std::size_t decodeUtf8(std::string_view s, std::size_t i, char32_t &cp);

bool isValidUtf8(std::string_view text, std::size_t *badOffset = nullptr);

/// Collapses every run of Unicode whitespace (ASCII space, tab, CR, LF, NBSP, U+2000–U+200A,
/// U+3000 …) into one ASCII space and trims both ends.
std::string normalizeWhitespace(std::string_view text);

/// Number of Unicode code points in valid UTF-8 text.
std::size_t utf8Length(std::string_view text);

/// Splits on single spaces (the text is expected to be whitespace-normalised).
std::vector<std::string_view> splitWords(std::string_view text);

/// Calls `visit(number, line, offset)` for every line of `data` split at '\n': numbers from 1,
/// the line without its '\n', `offset` its first byte in `data`. A last line without '\n'
/// counts; nothing after a final '\n' does. With `skipBom`, a leading UTF-8 byte-order mark is
/// not part of the first line.
void forEachLine(std::string_view data, bool skipBom,
                 const std::function<void(std::int64_t number, std::string_view line, std::size_t offset)> &visit);

/// Reads a whole file; throws InputError naming the file when it is missing, a directory
/// or unreadable.
std::string readFile(const std::string &path);

/// Reads a text file as lines: strips a UTF-8 byte-order mark and a trailing "\r" per line,
/// checks that every line is valid UTF-8 (error names the line and byte offset within it),
/// and refuses an empty file.
std::vector<std::string> readTextLines(const std::string &path);
/// The same for text already read; errors name `name`.
std::vector<std::string> splitTextLines(std::string_view data, const std::string &name);

/// Writes `data` to `path` through a temporary file in the same folder and a rename, so
/// that readers see either the old or the new file, never half of one.
void writeFileAtomically(const std::string &path, std::string_view data);

} // namespace taskmoe::core
