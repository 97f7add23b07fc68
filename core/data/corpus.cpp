#include "core/data/corpus.h"

#include "core/base/sha256.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace taskmoe::core {

namespace {

std::uint64_t mix64(std::uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/// Seeded 64-bit hash of a string (FNV-1a, then a finaliser): stable across platforms.
std::uint64_t seededHash(std::uint64_t seed, std::string_view text)
{
    std::uint64_t h = 0xcbf29ce484222325ULL ^ mix64(seed);
    for (const char c : text) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return mix64(h);
}

/// The language that every pair has on one side, preferring English.
std::string findPivot(const Corpus &corpus)
{
    if (corpus.pairs.empty())
        return {};
    std::vector<std::string> candidates{corpus.pairs.front().srcLang, corpus.pairs.front().tgtLang};
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const std::string &a, const std::string &b) { return a == "en" && b != "en"; });
    for (const auto &lang : candidates) {
        const bool everywhere = std::all_of(corpus.pairs.begin(), corpus.pairs.end(), [&](const ParallelData &p) {
            return p.srcLang == lang || p.tgtLang == lang;
        });
        if (everywhere)
            return lang;
    }
    return {};
}

const std::string &pivotSide(const SentencePair &s, const ParallelData &p, const std::string &pivot)
{
    return p.srcLang == pivot ? s.src : s.tgt;
}

} // namespace

const char *splitName(Split split)
{
    switch (split) {
    case Split::Train: return "train";
    case Split::Dev: return "dev";
    case Split::Test: return "test";
    case Split::Multiway: return "multiway";
    }
    return "train";
}

void SplitOptions::validate() const
{
    if (maxEvalFraction < 0 || maxEvalFraction >= 0.5)
        throw std::invalid_argument("maxEvalFraction must be in [0, 0.5), got " + std::to_string(maxEvalFraction));
    if (minTrain < 1)
        throw std::invalid_argument("minTrain must be at least 1");
}

SplitCorpus splitCorpus(const Corpus &corpus, const SplitOptions &options)
{
    options.validate();
    SplitCorpus out;
    out.pivotLang = findPivot(corpus);

    // 1. The multi-way set: pivot sentences present in every pair, chosen by seeded hash.
    std::unordered_map<std::string, std::int64_t> alignOf;
    if (corpus.pairs.size() >= 2 && !out.pivotLang.empty() && options.multiwaySize > 0) {
        std::unordered_map<std::string, std::size_t> seenIn;  // pivot text → pairs containing it
        for (const auto &pair : corpus.pairs) {
            std::unordered_set<std::string_view> mine;
            for (const auto &s : pair.sentences)
                mine.insert(pivotSide(s, pair, out.pivotLang));
            for (const auto &text : mine)
                ++seenIn[std::string(text)];
        }
        std::vector<std::pair<std::uint64_t, std::string>> common;
        for (auto &[text, n] : seenIn)
            if (n == corpus.pairs.size())
                common.emplace_back(seededHash(options.seed ^ 0x6d77ULL, text), text);
        std::sort(common.begin(), common.end());
        if (common.size() > options.multiwaySize)
            common.resize(options.multiwaySize);
        // alignIds follow the text order so that they do not depend on the hash.
        std::sort(common.begin(), common.end(), [](const auto &a, const auto &b) { return a.second < b.second; });
        for (std::size_t i = 0; i < common.size(); ++i) {
            alignOf.emplace(common[i].second, static_cast<std::int64_t>(i));
            out.multiwayPivot.push_back(common[i].second);
        }
    }

    // 2. Per pair: multi-way rows out first, then test, dev and train by hash of the source.
    for (const auto &pair : corpus.pairs) {
        PairSplits ps;
        ps.srcLang = pair.srcLang;
        ps.tgtLang = pair.tgtLang;
        const std::size_t n = pair.sentences.size();
        std::vector<Split> assigned(n, Split::Train);
        std::vector<std::int64_t> align(n, -1);
        std::unordered_set<std::int64_t> alignTaken;
        std::vector<std::size_t> rest;
        rest.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            const auto it = alignOf.find(pivotSide(pair.sentences[i], pair, out.pivotLang));
            if (it != alignOf.end()) {
                // Every row with a multi-way pivot leaves training (no leakage); the first is kept.
                assigned[i] = Split::Multiway;
                if (alignTaken.insert(it->second).second)
                    align[i] = it->second;
            } else {
                rest.push_back(i);
            }
        }
        std::vector<std::uint64_t> key(n);
        for (const std::size_t i : rest)
            key[i] = seededHash(options.seed, pair.sentences[i].src);
        std::sort(rest.begin(), rest.end(), [&](std::size_t a, std::size_t b) {
            return key[a] != key[b] ? key[a] < key[b] : a < b;
        });
        const auto evalTarget = [&](std::size_t wanted) {
            const auto byFraction = static_cast<std::size_t>(options.maxEvalFraction * double(rest.size()));
            std::size_t t = std::min(wanted, byFraction);
            const std::size_t room = rest.size() > options.minTrain ? (rest.size() - options.minTrain) / 2 : 0;
            return std::min(t, room);
        };
        const std::size_t testTarget = evalTarget(options.testSize);
        const std::size_t devTarget = evalTarget(options.devSize);
        std::size_t k = 0, taken = 0;
        // Groups of equal source text share a hash and so stay together in one split.
        for (auto [split, target] : {std::pair{Split::Test, testTarget}, std::pair{Split::Dev, devTarget}}) {
            taken = 0;
            while (k < rest.size() && taken < target) {
                const std::uint64_t h = key[rest[k]];
                while (k < rest.size() && key[rest[k]] == h) {
                    assigned[rest[k++]] = split;
                    ++taken;
                }
            }
        }
        for (std::size_t i = 0; i < n; ++i) {
            const auto &s = pair.sentences[i];
            switch (assigned[i]) {
            case Split::Train: ps.train.push_back({s.src, s.tgt, -1}); break;
            case Split::Dev: ps.dev.push_back({s.src, s.tgt, -1}); break;
            case Split::Test: ps.test.push_back({s.src, s.tgt, -1}); break;
            case Split::Multiway:
                if (align[i] >= 0)
                    ps.multiway.push_back({s.src, s.tgt, align[i]});
                break;
            }
        }
        std::sort(ps.multiway.begin(), ps.multiway.end(),
                  [](const SplitSentence &a, const SplitSentence &b) { return a.alignId < b.alignId; });
        out.pairs.push_back(std::move(ps));
    }
    return out;
}

std::string fingerprint(const SplitCorpus &corpus)
{
    std::vector<const PairSplits *> pairs;
    for (const auto &p : corpus.pairs)
        pairs.push_back(&p);
    std::sort(pairs.begin(), pairs.end(), [](const PairSplits *a, const PairSplits *b) { return a->name() < b->name(); });
    Sha256 h;
    const auto field = [&h](std::string_view s) {
        h.update(std::to_string(s.size()));
        h.update(":");
        h.update(s);
    };
    for (const PairSplits *p : pairs) {
        field(p->name());
        for (const auto &[name, rows] : {std::pair{"train", &p->train}, std::pair{"dev", &p->dev},
                                         std::pair{"test", &p->test}, std::pair{"multiway", &p->multiway}}) {
            field(name);
            field(std::to_string(rows->size()));
            for (const auto &r : *rows) {
                field(r.src);
                field(r.tgt);
                field(std::to_string(r.alignId));
            }
        }
    }
    return h.hexDigest();
}

std::size_t dedupe(ParallelData &data)
{
    std::unordered_set<std::string> seen;
    seen.reserve(data.sentences.size());
    std::vector<SentencePair> kept;
    kept.reserve(data.sentences.size());
    for (auto &s : data.sentences) {
        std::string key = s.src;
        key.push_back('\t');
        key += s.tgt;
        if (seen.insert(std::move(key)).second)
            kept.push_back(std::move(s));
    }
    const std::size_t removed = data.sentences.size() - kept.size();
    data.sentences = std::move(kept);
    return removed;
}

std::string resourceClass(std::size_t trainSentences, std::size_t threshold)
{
    return trainSentences >= threshold ? "high" : "low";
}

} // namespace taskmoe::core
