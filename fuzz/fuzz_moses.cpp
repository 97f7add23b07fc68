// Moses line-aligned files: the input up to its first NUL byte is the source file, the rest
// the target file.
#include "core/data/readers.h"
#include "fuzzsupport.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view all(reinterpret_cast<const char *>(data), size);
    const std::size_t split = std::min(all.find('\0'), all.size());
    const std::string_view src = all.substr(0, split);
    const std::string_view tgt = split < all.size() ? all.substr(split + 1) : std::string_view();
    taskmoe::fuzz::expectOnlyDocumentedErrors(
        [&] { taskmoe::core::parseParallelText(src, tgt, "fuzz.de", "fuzz.en", "de", "en"); });
    return 0;
}
