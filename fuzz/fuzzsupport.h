#pragma once
// What the fuzz targets share: the rule that a reader may refuse input only with the errors
// it documents.
#include "core/base/errors.h"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace taskmoe::fuzz {

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
