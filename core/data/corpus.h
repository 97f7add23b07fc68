#pragma once
/// The multilingual corpus as the data pipeline sees it: language pairs of aligned sentences,
/// deterministic train/dev/test splits, a multi-way aligned evaluation set and a content
/// fingerprint. Plain structs, no I/O.
#include <cstdint>
#include <string>
#include <vector>

namespace taskmoe::core {

struct SentencePair
{
    std::string src;
    std::string tgt;
    bool operator==(const SentencePair &o) const { return src == o.src && tgt == o.tgt; }
};

/// Aligned sentences of one language pair, in the direction they were read (src → tgt).
struct ParallelData
{
    std::string srcLang;
    std::string tgtLang;
    std::vector<SentencePair> sentences;

    std::string name() const { return srcLang + "-" + tgtLang; }
};

/// What the corpus knows about one language.
struct LanguageInfo
{
    std::string code;   ///< e.g. "de", "pt_BR"
    std::string name;   ///< English name, or a description for synthetic languages
    std::string family; ///< language family ("" when unknown)
    std::string script; ///< writing system ("Latin", "Cyrillic", …; "" when unknown)
};

/// A corpus as read or generated, before splitting.
struct Corpus
{
    std::string kind;                     ///< "synthetic", "gettext", "moses", "tsv"
    std::string source;                   ///< where it came from (paths, generator settings)
    std::vector<LanguageInfo> languages;  ///< every language that occurs in `pairs`
    std::vector<ParallelData> pairs;
    std::vector<std::string> report;      ///< human-readable notes (counts found, dropped)
};

enum class Split { Train, Dev, Test, Multiway };
const char *splitName(Split split);

/// A sentence of a split. `alignId` ties the rows of the multi-way aligned set together:
/// rows of different pairs with the same alignId translate the same pivot sentence.
struct SplitSentence
{
    std::string src;
    std::string tgt;
    std::int64_t alignId = -1;
};

struct PairSplits
{
    std::string srcLang;
    std::string tgtLang;
    std::vector<SplitSentence> train, dev, test, multiway;

    std::string name() const { return srcLang + "-" + tgtLang; }
    std::size_t total() const { return train.size() + dev.size() + test.size() + multiway.size(); }
};

struct SplitOptions
{
    std::uint64_t seed = 1;          ///< the same seed gives the same splits
    std::size_t devSize = 500;       ///< dev sentences per pair, at most
    std::size_t testSize = 500;      ///< test sentences per pair, at most
    double maxEvalFraction = 0.1;    ///< dev and test each take at most this share of a pair
    std::size_t multiwaySize = 500;  ///< pivot sentences in the multi-way set, at most
    std::size_t minTrain = 1;        ///< a pair keeps at least this many training sentences
    void validate() const;
};

struct SplitCorpus
{
    std::vector<PairSplits> pairs;
    std::string pivotLang;                   ///< language shared by every pair ("" if none)
    std::vector<std::string> multiwayPivot;  ///< the pivot sentences, indexed by alignId
};

/// Splits every pair deterministically. The multi-way set takes pivot sentences (in the
/// language every pair shares, normally English) that occur in every pair, and removes
/// them from the other splits; the rest is assigned to test, dev and train by a seeded hash
/// of the source text, so duplicates of a source sentence never straddle splits.
SplitCorpus splitCorpus(const Corpus &corpus, const SplitOptions &options);

/// SHA-256 over a canonical serialisation of the split pairs (sorted by name; every split's
/// sentences in order, with their alignment ids): the same stored content always gives the
/// same fingerprint, whatever order the pairs were read in.
std::string fingerprint(const SplitCorpus &corpus);

/// Removes exact duplicate sentence pairs (keeping the first) and returns how many went.
std::size_t dedupe(ParallelData &data);

/// "high" when a pair has at least `threshold` training sentences, else "low".
std::string resourceClass(std::size_t trainSentences, std::size_t threshold);

} // namespace taskmoe::core
