#pragma once
// What the fuzz targets share: the input as a file (the readers take paths, as in the
// programs) and the rule that a reader may refuse input only with the errors it documents.
#include "core/base/errors.h"

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <unistd.h>

namespace taskmoe::fuzz {

/// A file of this process's own, rewritten for every input.
inline std::string writeInput(const char *suffix, const std::uint8_t *data, std::size_t size)
{
    const std::string path = "/tmp/taskmoe-fuzz-" + std::to_string(::getpid()) + suffix;
    std::FILE *f = std::fopen(path.c_str(), "wb");
    if (!f)
        std::abort();
    if (size > 0 && std::fwrite(data, 1, size, f) != size)
        std::abort();
    std::fclose(f);
    return path;
}

/// Runs `read`; a refusal is fine when it is one of the documented errors (InputError for bad
/// input, std::invalid_argument for values out of range). Anything else escapes and is a crash.
template <typename Read>
void expectOnlyDocumentedErrors(Read read)
{
    try {
        read();
    } catch (const core::InputError &) {
    } catch (const std::invalid_argument &) {
    }
}

} // namespace taskmoe::fuzz
