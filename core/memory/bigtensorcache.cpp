#include "core/memory/bigtensorcache.h"

#include "core/model/backend.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <c10/util/Exception.h>

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

namespace taskmoe::core {

namespace {

constexpr std::size_t kBigBytes = std::size_t(1) << 20;   ///< smaller requests go to LibTorch's allocator
constexpr std::size_t kHugePage = std::size_t(2) << 20;   ///< x86-64 transparent huge page

/// Block sizes: multiples of a huge page from 4 MiB on, of 64 KiB below.
std::size_t blockSize(std::size_t n)
{
    const std::size_t to = n >= 2 * kHugePage ? kHugePage : std::size_t(64) << 10;
    return (n + to - 1) / to * to;
}

void releaseBlock(void *data);

class BigTensorCache final : public c10::Allocator
{
public:
    explicit BigTensorCache(c10::Allocator *fallback) : m_fallback(fallback)
    {
        const std::int64_t total = totalMemoryBytes();
        m_limit = std::min<std::size_t>(std::size_t(1) << 30,
                                        total > 0 ? static_cast<std::size_t>(total / 16) : std::size_t(256) << 20);
    }

    c10::DataPtr allocate(std::size_t n) const override
    {
        if (n < kBigBytes)
            return m_fallback->allocate(n);
        const std::size_t size = blockSize(n);
        void *p = take(size);
        if (!p)
            p = fresh(size);
        return {p, p, &releaseBlock, c10::Device(c10::DeviceType::CPU)};
    }

    /// raw_allocate's blocks may be big (ours) or small (the fallback's, from c10's alloc_cpu).
    c10::DeleterFnPtr raw_deleter() const override { return &releaseBlock; }

    /// Back into the cache (or to the system when the cache is full); false when not ours.
    bool give(void *p)
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        const auto live = m_live.find(p);
        if (live == m_live.end())
            return false;
        const std::size_t size = live->second;
        m_live.erase(live);
        m_liveBytes -= size;
        m_free.emplace(size, p);
        m_freeBytes += size;
        while (m_freeBytes > m_limit && !m_free.empty()) {  // the biggest go first
            auto biggest = std::prev(m_free.end());
            m_freeBytes -= biggest->first;
            std::free(biggest->second);
            m_free.erase(biggest);
        }
        return true;
    }

    void release()
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        releaseLocked();
    }

    BigTensorCacheStats stats() const
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        return {static_cast<std::int64_t>(m_freeBytes), static_cast<std::int64_t>(m_liveBytes), m_hits, m_misses};
    }

private:
    /// A free block of exactly this size, or of at most an eighth more.
    void *take(std::size_t size) const
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        const auto it = m_free.lower_bound(size);
        if (it == m_free.end() || it->first > size + size / 8) {
            ++m_misses;
            return nullptr;
        }
        ++m_hits;
        void *p = it->second;
        m_live.emplace(p, it->first);
        m_liveBytes += it->first;
        m_freeBytes -= it->first;
        m_free.erase(it);
        return p;
    }

    void *fresh(std::size_t size) const
    {
        const bool huge = size % kHugePage == 0;
        const std::size_t alignment = huge ? kHugePage : 64;
        void *p = nullptr;
        if (::posix_memalign(&p, alignment, size) != 0) {
            // Out of memory: what the cache holds may be enough.
            std::lock_guard<std::mutex> lock(m_mutex);
            releaseLocked();
            // The message LibTorch's own allocator gives, so callers see the same error.
            TORCH_CHECK(::posix_memalign(&p, alignment, size) == 0, "DefaultCPUAllocator: not enough memory: you tried to "
                        "allocate ", size, " bytes (the big-tensor cache was emptied first).");
        }
        if (huge)
            ::madvise(p, size, MADV_HUGEPAGE);  // fewer, larger page faults; a hint the kernel may ignore
        std::lock_guard<std::mutex> lock(m_mutex);
        m_live.emplace(p, size);
        m_liveBytes += size;
        return p;
    }

    void releaseLocked() const
    {
        for (const auto &[size, p] : m_free)
            std::free(p);
        m_free.clear();
        m_freeBytes = 0;
    }

    c10::Allocator *m_fallback;
    std::size_t m_limit = 0;
    mutable std::mutex m_mutex;
    mutable std::multimap<std::size_t, void *> m_free;       // size → block
    mutable std::unordered_map<void *, std::size_t> m_live;  // block → size
    mutable std::size_t m_freeBytes = 0, m_liveBytes = 0;
    mutable std::int64_t m_hits = 0, m_misses = 0;
};

BigTensorCache *g_cache = nullptr;
std::once_flag g_installed;

void releaseBlock(void *data)
{
    if (data && !(g_cache && g_cache->give(data)))
        c10::free_cpu(data);  // a small block raw-allocated through the fallback
}

} // namespace

void installBigTensorCache()
{
    std::call_once(g_installed, [] {
        // Never destroyed: tensors freed during static destruction still come back to it.
        g_cache = new BigTensorCache(c10::GetCPUAllocator());
        c10::SetCPUAllocator(g_cache, /*priority=*/1);
    });
}

BigTensorCacheStats bigTensorCacheStats()
{
    return g_cache ? g_cache->stats() : BigTensorCacheStats{};
}

void releaseBigTensorCache()
{
    if (g_cache)
        g_cache->release();
}

} // namespace taskmoe::core
