#pragma once
/// Character classes shared by the catalog readers and the cleaning of their entries.
namespace taskmoe::core {

inline bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

} // namespace taskmoe::core
