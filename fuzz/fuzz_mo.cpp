// gettext .mo catalogs: reading, then cleaning the entries into sentence pairs.
#include "core/data/gettext/gettext.h"
#include "fuzzsupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string bytes(reinterpret_cast<const char *>(data), size);
    taskmoe::fuzz::expectOnlyDocumentedErrors([&] {
        const auto entries = taskmoe::core::parseMoData(bytes, "fuzz.mo");
        std::vector<taskmoe::core::SentencePair> pairs;
        taskmoe::core::CleaningStats stats;
        taskmoe::core::cleanCatalog(entries, taskmoe::core::CatalogCleaning(), pairs, stats);
    });
    return 0;
}
