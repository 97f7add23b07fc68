#pragma once
/// Language codes as they appear in corpora and locale trees: ISO 639-1 ("de"), ISO 639-2/3
/// ("ast"), optionally with a region ("pt_BR", "pt-BR") and a gettext modifier ("sr@latin").
#include <string>

namespace taskmoe::core {

/// Throws InputError when `code` is malformed or its language part is not a known ISO 639
/// code. `context` names where the code came from ("--langs", "file.tsv", …).
void validateLanguageCode(const std::string &code, const std::string &context);

/// True when the language part of `code` is a known ISO 639 code and the form is valid.
bool isValidLanguageCode(const std::string &code);

/// English name of a language ("de" → "German"), or the code itself when unknown.
std::string languageName(const std::string &code);

} // namespace taskmoe::core
