#pragma once
/// The tokenizers and Python string operations that SacreBLEU 2.x applies before it counts
/// n-grams, re-implemented so that `taskmoe bleu` gives sacrebleu's numbers to the last digit.
///
/// Every function takes and returns UTF-8 and works on Unicode code points, as Python's `str`
/// does. Input is expected to be valid UTF-8 (check with isValidUtf8 first); a malformed byte
/// is read as U+FFFD rather than crashing. No Qt and no LibTorch here; Unicode categories and
/// case mapping come from ICU.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace taskmoe::core {

/// SacreBLEU's BLEU tokenizers (`--tokenize`).
enum class BleuTokenizer {
    V13a,  ///< "13a": mteval-v13a.pl normalisation and punctuation rules (the default)
    Intl,  ///< "intl": mteval-v14 international rules on Unicode punctuation and symbols
    None,  ///< "none": the line as it is
    Char,  ///< "char": every character a token
    Zh,    ///< "zh": CJK characters split apart, the rest by the 13a punctuation rules
};

/// The name sacrebleu uses on its command line and in signatures ("13a", "intl", …).
std::string tokenizerName(BleuTokenizer tokenizer);
/// The tokenizer of a name, or nothing for an unknown name.
std::optional<BleuTokenizer> tokenizerFromName(std::string_view name);

/// Tokenizes one line exactly as sacrebleu's tokenizer object does when called; the result's
/// tokens are separated by single spaces (except for `none`, which returns the line).
std::string sacreTokenize(std::string_view line, BleuTokenizer tokenizer);

/// True for the code points Python's `str.isspace()` accepts (what `split()` and `strip()` use):
/// U+0009–000D, U+001C–001F, space, U+0085, U+00A0, U+1680, U+2000–200A, U+2028, U+2029, U+202F,
/// U+205F and U+3000.
bool isPythonSpace(char32_t c);

/// Python's `str.lower()`: full Unicode lower-casing without a locale (İ → i̇, final sigma → ς).
std::string pythonLower(std::string_view text);
/// Python's `str.rstrip()`: trailing whitespace (isPythonSpace) removed.
std::string_view pythonRstrip(std::string_view text);
/// Python's `str.split()` without arguments: the runs of non-whitespace.
std::vector<std::string_view> pythonSplit(std::string_view text);

/// UTF-8 → code points (a malformed byte becomes U+FFFD) and back.
std::u32string toCodePoints(std::string_view text);
std::string toUtf8(std::u32string_view text);

} // namespace taskmoe::core
