#pragma once
/// SHA-256 (FIPS 180-4), incremental. Used for dataset fingerprints and file checksums.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace taskmoe::core {

class Sha256
{
public:
    Sha256();
    void update(const void *data, std::size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    /// Finishes the hash; the object must not be updated afterwards.
    std::array<std::uint8_t, 32> digest();
    /// Finishes the hash and returns it as 64 lower-case hex digits.
    std::string hexDigest();

    static std::string hex(std::string_view data);

private:
    void block(const std::uint8_t *p);
    std::array<std::uint32_t, 8> m_state;
    std::array<std::uint8_t, 64> m_buffer{};
    std::size_t m_buffered = 0;
    std::uint64_t m_length = 0;
};

/// SHA-256 of a file's bytes, read in chunks.
std::string sha256File(const std::string &path);

} // namespace taskmoe::core
