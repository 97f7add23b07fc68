#pragma once
/// BLEU and chrF/chrF++ as SacreBLEU 2.x computes them (Post, 2018), so that scores and
/// signatures from `taskmoe bleu` can be reported next to sacrebleu's.
///
/// Written from sacrebleu's documented algorithm: corpus BLEU sums per-segment n-gram
/// statistics (orders 1–4) and applies the brevity penalty once; chrF sums per-segment
/// character (and, for chrF++, word) n-gram statistics and averages precision and recall over
/// the orders that occur. No Qt and no LibTorch here.
///
/// Two deliberate differences from sacrebleu's Python API, both about inputs it refuses:
/// an empty reference line is scored (as a segment without n-grams) instead of raising, and
/// only one reference per segment is supported (signatures say `nrefs:1`).
#include "core/eval/sacretok.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskmoe::core {

/// The sacrebleu release whose numbers and signatures these functions reproduce; it is the
/// `version:` field of every signature.
inline constexpr const char *kSacreBleuVersion = "2.6.0";

/// BLEU's maximum n-gram order (sacrebleu's default, fixed here).
inline constexpr int kBleuMaxOrder = 4;

/// Smoothing of zero n-gram matches (Chen & Cherry, 2014), sacrebleu's `--smooth-method`.
enum class BleuSmoothing {
    Exp,    ///< "exp": the k-th order without matches counts 1/2^k matches (mteval-v13a; default)
    Floor,  ///< "floor": an order without matches counts `smoothValue` matches (default 0.1)
    AddK,   ///< "add-k": `smoothValue` added to matches and totals of orders 2–4 (default 1)
    None,   ///< "none": no smoothing
};

std::string smoothingName(BleuSmoothing smoothing);
std::optional<BleuSmoothing> smoothingFromName(std::string_view name);

/// How BLEU is computed; the defaults are sacrebleu's corpus BLEU.
struct BleuOptions {
    /// Tokenizer applied to hypothesis and reference after lower-casing.
    BleuTokenizer tokenizer = BleuTokenizer::V13a;
    /// Lower-case both sides first (Python's `str.lower()`); signature `case:lc`.
    bool lowercase = false;
    /// Smoothing method.
    BleuSmoothing smoothing = BleuSmoothing::Exp;
    /// Value for `floor` (default 0.1) and `add-k` (default 1); ignored by `exp` and `none`.
    std::optional<double> smoothValue;
    /// Average the log precisions only over the orders the hypothesis has n-grams of, instead
    /// of always over four. sacrebleu's command line turns this on for sentence-level scores
    /// (signature `eff:yes`); corpus scores leave it off.
    bool effectiveOrder = false;

    /// Throws std::invalid_argument for a negative or non-finite smoothing value.
    void validate() const;
    /// smoothValue, or the method's default.
    double smoothingValue() const;
};

/// The sufficient statistics of BLEU: they add up over segments.
struct BleuStats {
    std::int64_t sysLen = 0;                          ///< hypothesis tokens
    std::int64_t refLen = 0;                          ///< reference tokens
    std::array<std::int64_t, kBleuMaxOrder> correct{}; ///< clipped n-gram matches per order
    std::array<std::int64_t, kBleuMaxOrder> total{};   ///< hypothesis n-grams per order

    BleuStats &operator+=(const BleuStats &other);
};

/// A BLEU score with everything sacrebleu prints about it.
struct BleuScore {
    double score = 0;                                 ///< 0–100, full precision
    std::array<std::int64_t, kBleuMaxOrder> counts{}; ///< matches per order (before smoothing)
    std::array<std::int64_t, kBleuMaxOrder> totals{}; ///< hypothesis n-grams per order
    std::array<double, kBleuMaxOrder> precisions{};   ///< percent, after smoothing (as printed)
    double bp = 0;                                    ///< brevity penalty
    double ratio = 0;                                 ///< sysLen / refLen (0 without reference tokens)
    std::int64_t sysLen = 0;
    std::int64_t refLen = 0;
    std::string signature;                            ///< "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"

    /// "94.2/85.3/76.2/68.4 (BP = 1.000 ratio = 1.020 hyp_len = 1340 ref_len = 1314)"
    std::string verbose() const;
    /// sacrebleu's text line: "BLEU|<signature> = 80.4 <verbose>" with `width` decimals, or
    /// "BLEU = 80.45 <verbose>" (its `str(score)` at width 2) without the signature.
    std::string format(int width = 2, bool withSignature = true) const;
};

/// sacrebleu's BLEU signature for these options and reference count.
std::string bleuSignature(const BleuOptions &options, int references = 1);

/// Statistics of one segment (after sacrebleu's preprocessing: lower-case, strip trailing
/// whitespace, tokenize).
BleuStats bleuSegmentStats(std::string_view hypothesis, std::string_view reference, const BleuOptions &options);
/// The score of summed statistics.
BleuScore bleuFromStats(const BleuStats &stats, const BleuOptions &options);
/// Corpus BLEU of line-aligned hypotheses and references; throws std::invalid_argument when
/// their counts differ.
BleuScore corpusBleu(const std::vector<std::string> &hypotheses, const std::vector<std::string> &references,
                     const BleuOptions &options);
/// BLEU of one segment with `options` as given (set effectiveOrder for sacrebleu's
/// sentence-level behaviour).
BleuScore sentenceBleu(std::string_view hypothesis, std::string_view reference, const BleuOptions &options);

/// How chrF is computed; the defaults are sacrebleu's chrF2, wordOrder = 2 gives chrF++.
struct ChrfOptions {
    /// Character n-gram orders 1..charOrder (sacrebleu: 6).
    int charOrder = 6;
    /// Word n-gram orders 1..wordOrder (0: chrF, 2: chrF++).
    int wordOrder = 0;
    /// Weight of recall against precision (sacrebleu: 2).
    int beta = 2;
    /// Lower-case both sides first; signature `case:lc`.
    bool lowercase = false;
    /// Keep whitespace inside character n-grams (sacrebleu's --chrf-whitespace).
    bool whitespace = false;
    /// chrF++.py-style epsilon smoothing over all orders instead of averaging over the orders
    /// present (sacrebleu's --chrf-eps-smoothing; signature `eff:no`).
    bool epsSmoothing = false;

    /// Throws std::invalid_argument for orders or beta out of range.
    void validate() const;
};

/// chrF statistics: for each order (characters 1..charOrder, then words 1..wordOrder) the
/// hypothesis n-grams, reference n-grams and matches. They add up over segments.
struct ChrfStats {
    std::vector<std::int64_t> values;  ///< 3 * (charOrder + wordOrder): [hyp, ref, match] per order

    ChrfStats &operator+=(const ChrfStats &other);
};

struct ChrfScore {
    double score = 0;       ///< 0–100, full precision
    std::string name;       ///< "chrF2", "chrF2++"
    std::string signature;  ///< "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0"
    ChrfStats stats;        ///< the summed statistics
    int charOrder = 6;
    int wordOrder = 0;

    /// sacrebleu's text line: "chrF2|<signature> = 91.6", or "chrF2 = 91.60" without signature.
    std::string format(int width = 2, bool withSignature = true) const;
};

std::string chrfSignature(const ChrfOptions &options, int references = 1);
ChrfStats chrfSegmentStats(std::string_view hypothesis, std::string_view reference, const ChrfOptions &options);
ChrfScore chrfFromStats(const ChrfStats &stats, const ChrfOptions &options);
/// Corpus chrF; throws std::invalid_argument when the counts differ.
ChrfScore corpusChrf(const std::vector<std::string> &hypotheses, const std::vector<std::string> &references,
                     const ChrfOptions &options);
ChrfScore sentenceChrf(std::string_view hypothesis, std::string_view reference, const ChrfOptions &options);

/// Reads a file of segments as sacrebleu's command line does: lines end at "\n", each loses
/// its trailing whitespace (Python's `rstrip()`, so also "\r"), a byte-order mark is kept as
/// text, and an empty file has no segments. Throws InputError naming the file for a missing
/// or unreadable file, and the file and line for invalid UTF-8.
std::vector<std::string> readSegments(const std::string &path);

} // namespace taskmoe::core
