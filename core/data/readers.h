#pragma once
/// Readers for parallel text in the formats researchers already have.
#include "core/data/corpus.h"

#include <string>

namespace taskmoe::core {

/// Parses "de-en" into {"de","en"}; throws InputError naming `context` if malformed or unknown.
std::pair<std::string, std::string> parsePairName(const std::string &pair, const std::string &context);

/// Two line-aligned files (Moses style): line i of `srcFile` translates line i of `tgtFile`.
/// Refuses mismatched line counts, invalid UTF-8 (naming file, line and byte), empty files,
/// and lines that are empty on one side only.
ParallelData readParallelFiles(const std::string &srcFile, const std::string &tgtFile,
                               const std::string &srcLang, const std::string &tgtLang);
/// The same for two texts already read; errors name `srcName` and `tgtName`.
ParallelData parseParallelText(std::string_view srcText, std::string_view tgtText, const std::string &srcName,
                               const std::string &tgtName, const std::string &srcLang, const std::string &tgtLang);

/// Every `<prefix>.<src>-<tgt>.<src>` / `.<tgt>` file pair that exists for `prefix`
/// (e.g. prefix "data/train" finds data/train.de-en.de + data/train.de-en.en).
/// Throws InputError when none is found or a pair has only one side.
std::vector<ParallelData> readMosesPrefix(const std::string &prefix);

/// A TSV file: `src<TAB>tgt` per line. Refuses lines without exactly one tab (naming the line),
/// invalid UTF-8 and empty files.
ParallelData readTsv(const std::string &file, const std::string &srcLang, const std::string &tgtLang);
/// The same for TSV text already read; errors name `name`.
ParallelData parseTsv(std::string_view text, const std::string &name, const std::string &srcLang, const std::string &tgtLang);

/// Builds a Corpus from pairs, filling in `languages` from the codes used.
Corpus makeCorpus(std::string kind, std::string source, std::vector<ParallelData> pairs);

} // namespace taskmoe::core
