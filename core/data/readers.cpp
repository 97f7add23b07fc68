#include "core/data/readers.h"

#include "core/base/errors.h"
#include "core/base/languages.h"
#include "core/base/text.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace taskmoe::core {

std::pair<std::string, std::string> parsePairName(const std::string &pair, const std::string &context)
{
    const auto dash = pair.find('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == pair.size() || pair.find('-', dash + 1) != std::string::npos)
        throw InputError(context + ": language pair '" + pair + "' is malformed (expected SRC-TGT, as in de-en)");
    std::string src = pair.substr(0, dash), tgt = pair.substr(dash + 1);
    validateLanguageCode(src, context);
    validateLanguageCode(tgt, context);
    if (src == tgt)
        throw InputError(context + ": language pair '" + pair + "' has the same language on both sides");
    return {src, tgt};
}

ParallelData readParallelFiles(const std::string &srcFile, const std::string &tgtFile,
                               const std::string &srcLang, const std::string &tgtLang)
{
    // The codes first, so that a wrong code is named before a missing file is (the parser checks
    // them again for callers that pass text).
    validateLanguageCode(srcLang, srcFile);
    validateLanguageCode(tgtLang, tgtFile);
    const std::string srcText = readFile(srcFile);
    const std::string tgtText = readFile(tgtFile);
    return parseParallelText(srcText, tgtText, srcFile, tgtFile, srcLang, tgtLang);
}

ParallelData parseParallelText(std::string_view srcText, std::string_view tgtText, const std::string &srcFile,
                               const std::string &tgtFile, const std::string &srcLang, const std::string &tgtLang)
{
    validateLanguageCode(srcLang, srcFile);
    validateLanguageCode(tgtLang, tgtFile);
    const std::vector<std::string> src = splitTextLines(srcText, srcFile);
    const std::vector<std::string> tgt = splitTextLines(tgtText, tgtFile);
    if (src.size() != tgt.size())
        throw InputError(srcFile + " has " + std::to_string(src.size()) + " lines but " + tgtFile + " has "
                         + std::to_string(tgt.size()) + ": parallel files must have one line per sentence on both sides");
    ParallelData data{srcLang, tgtLang, {}};
    data.sentences.reserve(src.size());
    for (std::size_t i = 0; i < src.size(); ++i) {
        std::string s = normalizeWhitespace(src[i]), t = normalizeWhitespace(tgt[i]);
        if (s.empty() && t.empty())
            continue;  // blank on both sides: a separator, not a sentence
        if (s.empty() || t.empty())
            throw lineError(s.empty() ? srcFile : tgtFile, std::int64_t(i) + 1,
                            "empty line whose translation in " + (s.empty() ? tgtFile : srcFile) + " is not empty");
        data.sentences.push_back({std::move(s), std::move(t)});
    }
    if (data.sentences.empty())
        throw fileError(srcFile, "holds no sentences (every line is blank)");
    return data;
}

std::vector<ParallelData> readMosesPrefix(const std::string &prefix)
{
    const fs::path p(prefix);
    const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
    const std::string stem = p.filename().string() + ".";
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
        throw fileError(dir.string(), "folder of the Moses prefix does not exist");
    // stem.<src>-<tgt>.<lang>
    std::map<std::string, std::set<std::string>> found;
    for (const auto &entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.compare(0, stem.size(), stem) != 0)
            continue;
        const std::string rest = name.substr(stem.size());
        const auto dot = rest.rfind('.');
        if (dot == std::string::npos)
            continue;
        const std::string pair = rest.substr(0, dot), lang = rest.substr(dot + 1);
        const auto dash = pair.find('-');
        if (dash == std::string::npos)
            continue;
        if (lang == pair.substr(0, dash) || lang == pair.substr(dash + 1))
            found[pair].insert(lang);
    }
    if (ec)
        throw fileError(dir.string(), "cannot list the folder: " + ec.message());
    if (found.empty())
        throw InputError(prefix + ": no files named " + stem + "<src>-<tgt>.<src> and .<tgt> were found");
    std::vector<ParallelData> pairs;
    for (const auto &[pair, langs] : found) {
        const auto [src, tgt] = parsePairName(pair, (dir / (stem + pair)).string());
        const std::string srcFile = (dir / (stem + pair + "." + src)).string();
        const std::string tgtFile = (dir / (stem + pair + "." + tgt)).string();
        if (!langs.count(src) || !langs.count(tgt))
            throw InputError((langs.count(src) ? srcFile : tgtFile) + " has no counterpart: expected "
                             + (langs.count(src) ? tgtFile : srcFile));
        pairs.push_back(readParallelFiles(srcFile, tgtFile, src, tgt));
    }
    return pairs;
}

ParallelData readTsv(const std::string &file, const std::string &srcLang, const std::string &tgtLang)
{
    validateLanguageCode(srcLang, file);   // before reading: see readParallelFiles
    validateLanguageCode(tgtLang, file);
    return parseTsv(readFile(file), file, srcLang, tgtLang);
}

ParallelData parseTsv(std::string_view text, const std::string &file, const std::string &srcLang, const std::string &tgtLang)
{
    validateLanguageCode(srcLang, file);
    validateLanguageCode(tgtLang, file);
    const std::vector<std::string> lines = splitTextLines(text, file);
    ParallelData data{srcLang, tgtLang, {}};
    data.sentences.reserve(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string &line = lines[i];
        if (normalizeWhitespace(line).empty())
            continue;
        const auto tab = line.find('\t');
        if (tab == std::string::npos)
            throw lineError(file, std::int64_t(i) + 1, "no tab: expected source<TAB>target");
        if (line.find('\t', tab + 1) != std::string::npos)
            throw lineError(file, std::int64_t(i) + 1, "more than one tab: expected exactly source<TAB>target");
        std::string s = normalizeWhitespace(std::string_view(line).substr(0, tab));
        std::string t = normalizeWhitespace(std::string_view(line).substr(tab + 1));
        if (s.empty() || t.empty())
            throw lineError(file, std::int64_t(i) + 1, std::string("empty ") + (s.empty() ? "source" : "target") + " column");
        data.sentences.push_back({std::move(s), std::move(t)});
    }
    if (data.sentences.empty())
        throw fileError(file, "holds no sentences (every line is blank)");
    return data;
}

Corpus makeCorpus(std::string kind, std::string source, std::vector<ParallelData> pairs)
{
    Corpus corpus;
    corpus.kind = std::move(kind);
    corpus.source = std::move(source);
    std::set<std::string> codes;
    for (const auto &p : pairs) {
        codes.insert(p.srcLang);
        codes.insert(p.tgtLang);
    }
    for (const auto &code : codes)
        corpus.languages.push_back({code, languageName(code), "", ""});
    std::map<std::string, std::size_t> seen;
    for (const auto &p : pairs)
        if (++seen[p.name()] > 1)
            throw InputError("language pair " + p.name() + " is given twice");
    corpus.pairs = std::move(pairs);
    return corpus;
}

} // namespace taskmoe::core
