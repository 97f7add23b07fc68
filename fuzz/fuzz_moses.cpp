// Moses line-aligned files: the input up to its first NUL byte is the source file, the rest
// the target file.
#include "core/data/readers.h"
#include "fuzzsupport.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::uint8_t *split = std::find(data, data + size, std::uint8_t(0));
    const std::size_t srcSize = std::size_t(split - data);
    const std::string src = taskmoe::fuzz::writeInput(".de", data, srcSize);
    const std::size_t rest = srcSize < size ? size - srcSize - 1 : 0;
    const std::string tgt = taskmoe::fuzz::writeInput(".en", rest ? split + 1 : data, rest);
    taskmoe::fuzz::expectOnlyDocumentedErrors([&] { taskmoe::core::readParallelFiles(src, tgt, "de", "en"); });
    return 0;
}
