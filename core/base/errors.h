#pragma once
/// Errors raised by the core library for bad input. Every message is one sentence that
/// names the file and the line, offset or field that is wrong, so the command line can print
/// it as it is and the GUI can show it in a dialog.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace taskmoe::core {

/// Bad input from a user: a file, a field of a configuration, a command-line value.
class InputError : public std::runtime_error
{
public:
    explicit InputError(const std::string &message) : std::runtime_error(message) {}
};

/// "FILE: line N: what" — the message of an error at a line of a text file (1-based).
InputError lineError(const std::string &file, std::int64_t line, const std::string &what);
/// "FILE: offset N: what" — the message of an error at a byte offset of a binary file.
InputError offsetError(const std::string &file, std::int64_t offset, const std::string &what);
/// "FILE: what" — an error about a whole file.
InputError fileError(const std::string &file, const std::string &what);

} // namespace taskmoe::core
