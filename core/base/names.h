#pragma once
/// One table per enum for its names in files, JSON and on the command line, and the two
/// lookups every such table needs. Used wherever a value travels as text (run status, job
/// events, routing measures), so that each conversion is written once.
#include <cstddef>
#include <optional>
#include <string_view>

namespace taskmoe::core {

template <typename Enum>
struct EnumName
{
    Enum value;
    const char *name;
};

/// The name of `value` in `table`, or nullptr when the table does not list it.
template <typename Enum, std::size_t N>
const char *nameOf(const EnumName<Enum> (&table)[N], Enum value)
{
    for (const auto &entry : table)
        if (entry.value == value)
            return entry.name;
    return nullptr;
}

/// The value named `name` in `table`, or nothing.
template <typename Enum, std::size_t N>
std::optional<Enum> valueNamed(const EnumName<Enum> (&table)[N], std::string_view name)
{
    for (const auto &entry : table)
        if (name == entry.name)
            return entry.value;
    return std::nullopt;
}

} // namespace taskmoe::core
