// TSV parallel text: source<TAB>target per line.
#include "core/data/readers.h"
#include "fuzzsupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string path = taskmoe::fuzz::writeInput(".tsv", data, size);
    taskmoe::fuzz::expectOnlyDocumentedErrors([&] { taskmoe::core::readTsv(path, "de", "en"); });
    return 0;
}
