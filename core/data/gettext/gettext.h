#pragma once
/// Gettext catalogs as a parallel corpus: every Debian system carries human translations of
/// its programs' messages in /usr/share/locale/<lang>/LC_MESSAGES/*.mo. msgid → msgstr gives
/// en → xx.
#include "core/data/corpus.h"

#include <cstddef>
#include <string>
#include <vector>

namespace taskmoe::core {

/// One catalog entry as stored: context (may be empty), singular msgid, plural msgid (may
/// be empty) and the translations (one per plural form; empty strings for untranslated).
struct CatalogEntry
{
    std::string context;
    std::string msgid;
    std::string msgidPlural;
    std::vector<std::string> msgstr;
    bool fuzzy = false;
};

/// Reads a binary .mo file (either byte order). Refuses a wrong magic number, a table or
/// string outside the file, a string not NUL-terminated, and invalid UTF-8, naming the offset.
std::vector<CatalogEntry> readMoFile(const std::string &path);
/// The same for the bytes of a .mo file; errors name `name`.
std::vector<CatalogEntry> parseMoData(const std::string &data, const std::string &name);

/// Reads a text .po file (msgctxt, msgid, msgid_plural, msgstr[n], "#, fuzzy" flags, C escapes,
/// continuation lines). Refuses unterminated strings, unknown escapes and keywords out of
/// order, naming the line.
std::vector<CatalogEntry> readPoFile(const std::string &path);
/// The same for the bytes of a .po file; errors name `name`.
std::vector<CatalogEntry> parsePoData(std::string data, const std::string &name);

struct CatalogCleaning
{
    std::size_t maxChars = 200;   ///< skip entries whose source or target is longer (code points)
    std::size_t minChars = 1;     ///< skip entries shorter than this after cleaning
    void validate() const;
};

/// Counts of what cleaning kept and dropped, for the per-language report.
struct CleaningStats
{
    std::size_t entries = 0, kept = 0, header = 0, untranslated = 0, fuzzy = 0, tooLong = 0,
                empty = 0, notText = 0, duplicates = 0;
};

/// Cleans one catalog's entries into en → xx sentence pairs: drops the header, untranslated,
/// fuzzy and empty entries, takes the singular of plural forms, strips context prefixes
/// ("ctx|text") and keyboard accelerators ("_File", "&File"), normalises whitespace and skips
/// over-long entries. Appends to `out`; does not dedupe (the caller dedupes per language).
void cleanCatalog(const std::vector<CatalogEntry> &entries, const CatalogCleaning &options,
                  std::vector<SentencePair> &out, CleaningStats &stats);

/// Strips keyboard accelerators: "_File" → "File", "&Save" → "Save", "&&" → "&", "__" → "_";
/// also a trailing CJK-style "(_F)" / "(&F)" accelerator.
std::string stripAccelerators(const std::string &text);

struct GettextImportOptions
{
    std::string localeRoot = "/usr/share/locale";
    std::vector<std::string> languages;   ///< required: locale directory names (de, pt_BR, …)
    CatalogCleaning cleaning;
};

/// Reads <root>/<lang>/LC_MESSAGES/*.mo and *.po for every language and returns one en → lang
/// pair per language, cleaned and deduplicated, with a per-language report. A catalog that is
/// corrupt stops the import with an error naming it (nothing is half-imported), and so does a
/// language whose catalogs leave no sentence pair after cleaning.
Corpus importGettext(const GettextImportOptions &options);

} // namespace taskmoe::core
