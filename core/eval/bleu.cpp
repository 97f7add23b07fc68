// BLEU and chrF as SacreBLEU 2.x computes them. The arithmetic follows sacrebleu's order of
// operations (sums left to right, percentages before logarithms) so that the doubles agree
// with Python's to the last bit, not merely to the printed digits.
#include "core/eval/bleu.h"

#include "core/base/errors.h"
#include "core/base/text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <unordered_map>

namespace taskmoe::core {

namespace {

using NgramCounts = std::unordered_map<std::string, std::int64_t>;

std::string fixed(double value, int decimals)
{
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

/// Word n-grams of orders minOrder..maxOrder, keyed by their tokens joined with single spaces
/// (tokens never contain whitespace, so the key is unambiguous).
NgramCounts wordNgrams(const std::vector<std::string_view> &tokens, int minOrder, int maxOrder)
{
    NgramCounts counts;
    std::string key;
    for (int n = minOrder; n <= maxOrder; ++n) {
        for (std::size_t i = 0; i + static_cast<std::size_t>(n) <= tokens.size(); ++i) {
            key.assign(tokens[i]);
            for (int k = 1; k < n; ++k) {
                key += ' ';
                key += tokens[i + static_cast<std::size_t>(k)];
            }
            ++counts[key];
        }
    }
    return counts;
}

/// sacrebleu's `my_log`: the logarithm, with a large negative number standing in for log(0).
double sacreLog(double x)
{
    return x == 0.0 ? -9999999999.0 : std::log(x);
}

/// BLEU's preprocessing of one segment: lower-case, strip trailing whitespace, tokenize.
std::string bleuPreprocess(std::string_view segment, const BleuOptions &options)
{
    std::string text = options.lowercase ? pythonLower(segment) : std::string(segment);
    return sacreTokenize(pythonRstrip(text), options.tokenizer);
}

/// ASCII punctuation (Python's string.punctuation), which chrF++ splits off word edges.
bool isAsciiPunctuation(char32_t c)
{
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}

/// chrF++'s word tokenization: one punctuation mark split off the end of a word, or else off
/// its start ("(hi)" gives "(hi" and ")", as in sacrebleu).
std::vector<std::string> chrfWords(std::string_view text)
{
    std::vector<std::string> words;
    for (const std::string_view w : pythonSplit(text)) {
        const std::u32string cps = toCodePoints(w);
        if (cps.size() == 1) {
            words.emplace_back(w);
        } else if (isAsciiPunctuation(cps.back())) {
            words.emplace_back(w.substr(0, w.size() - 1));  // ASCII: one byte
            words.emplace_back(w.substr(w.size() - 1));
        } else if (isAsciiPunctuation(cps.front())) {
            words.emplace_back(w.substr(0, 1));
            words.emplace_back(w.substr(1));
        } else {
            words.emplace_back(w);
        }
    }
    return words;
}

/// Character n-grams of order n over code points.
std::unordered_map<std::u32string, std::int64_t> charNgrams(const std::u32string &text, int n)
{
    std::unordered_map<std::u32string, std::int64_t> counts;
    const auto len = static_cast<std::size_t>(n);
    for (std::size_t i = 0; i + len <= text.size(); ++i)
        ++counts[text.substr(i, len)];
    return counts;
}

/// [hyp, ref, match] of one order; hypothesis n-grams count only when the reference has some
/// of that order (sacrebleu's rule, which keeps such orders out of the effective order).
template <class Map>
void appendMatchStats(const Map &hyp, const Map &ref, std::vector<std::int64_t> &out)
{
    std::int64_t hypCount = 0, refCount = 0, matches = 0;
    for (const auto &[ngram, count] : hyp) {
        hypCount += count;
        const auto it = ref.find(ngram);
        if (it != ref.end())
            matches += std::min(count, it->second);
    }
    for (const auto &entry : ref)
        refCount += entry.second;
    out.push_back(ref.empty() ? 0 : hypCount);
    out.push_back(refCount);
    out.push_back(matches);
}

double chrfFScore(const std::vector<std::int64_t> &stats, const ChrfOptions &options)
{
    const double eps = 1e-16;
    const int order = options.charOrder + options.wordOrder;
    const int factor = options.beta * options.beta;
    double epsScore = 0.0, avgPrec = 0.0, avgRec = 0.0;
    int effectiveOrder = 0;
    for (int i = 0; i < order; ++i) {
        const std::int64_t nHyp = stats[3 * i], nRef = stats[3 * i + 1], nMatch = stats[3 * i + 2];
        const double prec = nHyp > 0 ? static_cast<double>(nMatch) / static_cast<double>(nHyp) : eps;
        const double rec = nRef > 0 ? static_cast<double>(nMatch) / static_cast<double>(nRef) : eps;
        const double denom = factor * prec + rec;
        epsScore += denom > 0 ? (1 + factor) * prec * rec / denom : eps;
        if (nHyp > 0 && nRef > 0) {
            avgPrec += prec;
            avgRec += rec;
            ++effectiveOrder;
        }
    }
    if (options.epsSmoothing)
        return 100 * epsScore / order;
    if (effectiveOrder == 0)
        return 0.0;
    avgPrec /= effectiveOrder;
    avgRec /= effectiveOrder;
    if (avgPrec + avgRec == 0.0)
        return 0.0;
    double score = (1 + factor) * avgPrec * avgRec;
    score /= (factor * avgPrec) + avgRec;
    return 100 * score;
}

template <class Hyps, class Refs>
void requireSameLength(const Hyps &hyps, const Refs &refs)
{
    if (hyps.size() != refs.size())
        throw std::invalid_argument("hypotheses and references differ in number: " + std::to_string(hyps.size())
                                    + " hypotheses, " + std::to_string(refs.size()) + " references");
}

} // namespace

std::string smoothingName(BleuSmoothing smoothing)
{
    switch (smoothing) {
    case BleuSmoothing::Exp: return "exp";
    case BleuSmoothing::Floor: return "floor";
    case BleuSmoothing::AddK: return "add-k";
    case BleuSmoothing::None: return "none";
    }
    return "exp";
}

std::optional<BleuSmoothing> smoothingFromName(std::string_view name)
{
    for (const BleuSmoothing s : {BleuSmoothing::Exp, BleuSmoothing::Floor, BleuSmoothing::AddK, BleuSmoothing::None})
        if (name == smoothingName(s))
            return s;
    return std::nullopt;
}

void BleuOptions::validate() const
{
    if (smoothValue && (!std::isfinite(*smoothValue) || *smoothValue < 0))
        throw std::invalid_argument("the smoothing value must be a number of at least 0, not "
                                    + std::to_string(*smoothValue));
}

double BleuOptions::smoothingValue() const
{
    if (smoothValue)
        return *smoothValue;
    switch (smoothing) {
    case BleuSmoothing::Floor: return 0.1;
    case BleuSmoothing::AddK: return 1.0;
    default: return 0.0;
    }
}

BleuStats &BleuStats::operator+=(const BleuStats &other)
{
    sysLen += other.sysLen;
    refLen += other.refLen;
    for (int n = 0; n < kBleuMaxOrder; ++n) {
        correct[n] += other.correct[n];
        total[n] += other.total[n];
    }
    return *this;
}

std::string BleuScore::verbose() const
{
    std::string text;
    for (int n = 0; n < kBleuMaxOrder; ++n) {
        if (n > 0)
            text += '/';
        text += fixed(precisions[n], 1);
    }
    text += " (BP = " + fixed(bp, 3) + " ratio = " + fixed(ratio, 3) + " hyp_len = " + std::to_string(sysLen)
            + " ref_len = " + std::to_string(refLen) + ")";
    return text;
}

std::string BleuScore::format(int width, bool withSignature) const
{
    std::string name = "BLEU";
    if (withSignature && !signature.empty())
        name += "|" + signature;
    return name + " = " + fixed(score, width) + " " + verbose();
}

std::string bleuSignature(const BleuOptions &options, int references)
{
    std::string smooth = smoothingName(options.smoothing);
    if (options.smoothing == BleuSmoothing::Floor || options.smoothing == BleuSmoothing::AddK)
        smooth += "[" + fixed(options.smoothingValue(), 2) + "]";
    return "nrefs:" + std::to_string(references) + "|case:" + (options.lowercase ? "lc" : "mixed")
           + "|eff:" + (options.effectiveOrder ? "yes" : "no") + "|tok:" + tokenizerName(options.tokenizer)
           + "|smooth:" + smooth + "|version:" + kSacreBleuVersion;
}

BleuStats bleuSegmentStats(std::string_view hypothesis, std::string_view reference, const BleuOptions &options)
{
    const std::string hypText = bleuPreprocess(hypothesis, options);
    const std::string refText = bleuPreprocess(reference, options);
    const auto hypTokens = pythonSplit(hypText);
    const auto refTokens = pythonSplit(refText);
    const NgramCounts hypNgrams = wordNgrams(hypTokens, 1, kBleuMaxOrder);
    const NgramCounts refNgrams = wordNgrams(refTokens, 1, kBleuMaxOrder);

    BleuStats stats;
    stats.sysLen = static_cast<std::int64_t>(hypTokens.size());
    stats.refLen = static_cast<std::int64_t>(refTokens.size());
    for (const auto &[ngram, count] : hypNgrams) {
        const auto n = static_cast<std::size_t>(std::count(ngram.begin(), ngram.end(), ' '));  // order - 1
        stats.total[n] += count;
        const auto it = refNgrams.find(ngram);
        if (it != refNgrams.end())
            stats.correct[n] += std::min(count, it->second);
    }
    return stats;
}

BleuScore bleuFromStats(const BleuStats &stats, const BleuOptions &options)
{
    options.validate();
    BleuScore result;
    result.counts = stats.correct;
    result.totals = stats.total;
    result.sysLen = stats.sysLen;
    result.refLen = stats.refLen;
    result.ratio = stats.refLen ? static_cast<double>(stats.sysLen) / static_cast<double>(stats.refLen) : 0.0;
    result.signature = bleuSignature(options);

    if (stats.sysLen < stats.refLen)
        result.bp = stats.sysLen > 0
                        ? std::exp(1.0 - static_cast<double>(stats.refLen) / static_cast<double>(stats.sysLen))
                        : 0.0;
    else
        result.bp = 1.0;

    // No match at any order: 0, whatever the smoothing (sacrebleu #141).
    if (std::all_of(stats.correct.begin(), stats.correct.end(), [](std::int64_t c) { return c == 0; }))
        return result;

    const double k = options.smoothingValue();
    double mtevalDivisor = 1.0;
    int effectiveOrder = kBleuMaxOrder;
    for (int n = 1; n <= kBleuMaxOrder; ++n) {
        double correct = static_cast<double>(stats.correct[n - 1]);
        double total = static_cast<double>(stats.total[n - 1]);
        if (options.smoothing == BleuSmoothing::AddK && n > 1) {
            correct += k;
            total += k;
        }
        if (total == 0.0)
            break;
        if (options.effectiveOrder)
            effectiveOrder = n;
        if (correct == 0.0) {
            if (options.smoothing == BleuSmoothing::Exp) {
                mtevalDivisor *= 2;
                result.precisions[n - 1] = 100.0 / (mtevalDivisor * total);
            } else if (options.smoothing == BleuSmoothing::Floor) {
                result.precisions[n - 1] = 100.0 * k / total;
            }
        } else {
            result.precisions[n - 1] = 100.0 * correct / total;
        }
    }

    double logSum = 0.0;
    for (int n = 0; n < effectiveOrder; ++n)
        logSum += sacreLog(result.precisions[n]);
    result.score = result.bp * std::exp(logSum / effectiveOrder);
    return result;
}

BleuScore corpusBleu(const std::vector<std::string> &hypotheses, const std::vector<std::string> &references,
                     const BleuOptions &options)
{
    options.validate();
    requireSameLength(hypotheses, references);
    BleuStats stats;
    for (std::size_t i = 0; i < hypotheses.size(); ++i)
        stats += bleuSegmentStats(hypotheses[i], references[i], options);
    return bleuFromStats(stats, options);
}

BleuScore sentenceBleu(std::string_view hypothesis, std::string_view reference, const BleuOptions &options)
{
    options.validate();
    return bleuFromStats(bleuSegmentStats(hypothesis, reference, options), options);
}

void ChrfOptions::validate() const
{
    if (charOrder < 0 || charOrder > 100)
        throw std::invalid_argument("the character n-gram order must be from 0 to 100, not " + std::to_string(charOrder));
    if (wordOrder < 0 || wordOrder > 100)
        throw std::invalid_argument("the word n-gram order must be from 0 to 100, not " + std::to_string(wordOrder));
    if (charOrder + wordOrder == 0)
        throw std::invalid_argument("chrF needs character or word n-grams: both orders are 0");
    if (beta < 0 || beta > 1000)
        throw std::invalid_argument("chrF's beta must be from 0 to 1000, not " + std::to_string(beta));
}

ChrfStats &ChrfStats::operator+=(const ChrfStats &other)
{
    if (values.empty())
        values.assign(other.values.size(), 0);
    if (values.size() != other.values.size())
        throw std::invalid_argument("chrF statistics of different orders cannot be added");
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] += other.values[i];
    return *this;
}

std::string ChrfScore::format(int width, bool withSignature) const
{
    std::string prefix = name;
    if (withSignature && !signature.empty())
        prefix += "|" + signature;
    return prefix + " = " + fixed(score, width);
}

std::string chrfSignature(const ChrfOptions &options, int references)
{
    return "nrefs:" + std::to_string(references) + "|case:" + (options.lowercase ? "lc" : "mixed")
           + "|eff:" + (options.epsSmoothing ? "no" : "yes") + "|nc:" + std::to_string(options.charOrder)
           + "|nw:" + std::to_string(options.wordOrder) + "|space:" + (options.whitespace ? "yes" : "no")
           + "|version:" + kSacreBleuVersion;
}

ChrfStats chrfSegmentStats(std::string_view hypothesis, std::string_view reference, const ChrfOptions &options)
{
    const std::string hyp = options.lowercase ? pythonLower(hypothesis) : std::string(hypothesis);
    const std::string ref = options.lowercase ? pythonLower(reference) : std::string(reference);

    const auto characters = [&](const std::string &text) {
        std::u32string cps = toCodePoints(text);
        if (!options.whitespace)
            cps.erase(std::remove_if(cps.begin(), cps.end(), isPythonSpace), cps.end());
        return cps;
    };
    const std::u32string hypChars = characters(hyp), refChars = characters(ref);

    ChrfStats stats;
    stats.values.reserve(3 * static_cast<std::size_t>(options.charOrder + options.wordOrder));
    for (int n = 1; n <= options.charOrder; ++n)
        appendMatchStats(charNgrams(hypChars, n), charNgrams(refChars, n), stats.values);

    if (options.wordOrder > 0) {
        const std::vector<std::string> hypWords = chrfWords(hyp), refWords = chrfWords(ref);
        const std::vector<std::string_view> hypViews(hypWords.begin(), hypWords.end());
        const std::vector<std::string_view> refViews(refWords.begin(), refWords.end());
        for (int n = 1; n <= options.wordOrder; ++n)
            appendMatchStats(wordNgrams(hypViews, n, n), wordNgrams(refViews, n, n), stats.values);
    }
    return stats;
}

ChrfScore chrfFromStats(const ChrfStats &stats, const ChrfOptions &options)
{
    options.validate();
    ChrfScore result;
    result.stats = stats;
    if (result.stats.values.empty())  // no segments: all counts zero
        result.stats.values.assign(3 * static_cast<std::size_t>(options.charOrder + options.wordOrder), 0);
    if (result.stats.values.size() != 3 * static_cast<std::size_t>(options.charOrder + options.wordOrder))
        throw std::invalid_argument("chrF statistics do not match the options' orders");
    result.charOrder = options.charOrder;
    result.wordOrder = options.wordOrder;
    result.name = "chrF" + std::to_string(options.beta) + std::string(static_cast<std::size_t>(options.wordOrder), '+');
    result.signature = chrfSignature(options);
    result.score = chrfFScore(result.stats.values, options);
    return result;
}

ChrfScore corpusChrf(const std::vector<std::string> &hypotheses, const std::vector<std::string> &references,
                     const ChrfOptions &options)
{
    options.validate();
    requireSameLength(hypotheses, references);
    ChrfStats stats;
    for (std::size_t i = 0; i < hypotheses.size(); ++i)
        stats += chrfSegmentStats(hypotheses[i], references[i], options);
    return chrfFromStats(stats, options);
}

ChrfScore sentenceChrf(std::string_view hypothesis, std::string_view reference, const ChrfOptions &options)
{
    options.validate();
    return chrfFromStats(chrfSegmentStats(hypothesis, reference, options), options);
}

std::vector<std::string> readSegments(const std::string &path)
{
    const std::string data = readFile(path);
    std::vector<std::string> lines;
    forEachLine(data, false, [&](std::int64_t lineNo, std::string_view line, std::size_t) {
        std::size_t bad = 0;
        if (!isValidUtf8(line, &bad))
            throw lineError(path, lineNo, "invalid UTF-8 at byte " + std::to_string(bad + 1) + " of the line");
        lines.emplace_back(pythonRstrip(line));
    });
    return lines;
}

} // namespace taskmoe::core
