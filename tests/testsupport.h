#pragma once
// Small helpers the test suites share.
#include <string>

namespace taskmoe::test {

/// The message of the exception of type E that `f` throws, or "" when it throws none (an
/// exception of another type propagates and fails the test).
template <typename E, typename F>
std::string errorOf(F &&f)
{
    try {
        f();
    } catch (const E &e) {
        return e.what();
    }
    return {};
}

} // namespace taskmoe::test
