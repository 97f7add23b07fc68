#include "core/base/errors.h"

namespace taskmoe::core {

InputError lineError(const std::string &file, std::int64_t line, const std::string &what)
{
    return InputError(file + ": line " + std::to_string(line) + ": " + what);
}

InputError offsetError(const std::string &file, std::int64_t offset, const std::string &what)
{
    return InputError(file + ": offset " + std::to_string(offset) + ": " + what);
}

InputError fileError(const std::string &file, const std::string &what)
{
    return InputError(file + ": " + what);
}

} // namespace taskmoe::core
