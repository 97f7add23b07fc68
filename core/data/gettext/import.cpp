// Importing a folder of installed catalogs (/usr/share/locale) as a corpus.
#include "core/data/gettext/gettext.h"

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

