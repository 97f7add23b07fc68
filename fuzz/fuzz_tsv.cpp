// TSV parallel text: source<TAB>target per line.
#include "core/data/readers.h"
#include "fuzzsupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    taskmoe::fuzz::expectOnlyDocumentedErrors([&] { taskmoe::core::parseTsv(text, "fuzz.tsv", "de", "en"); });
    return 0;
}
