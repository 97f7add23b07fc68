#pragma once
/// A cache in front of LibTorch's CPU allocator for big tensors.
///
/// glibc serves big allocations with fresh mappings and gives them back to the kernel when
/// they are freed (always above 32 MiB; above a moving threshold, and by trimming the top of
/// its heap, for smaller ones), so a tensor made and freed every step costs a page fault per
/// 4 KiB every step. A 128-expert layer of d_model 256 and d_ff 1024 makes two 134 MB expert
/// gradients and a dozen 8–32 MB activations per training step, and decoding at large batches
/// makes logits of 100 MB per step. Measured on that layer (4,096 tokens, forward + backward,
/// 2 cores): 774 ms without the cache, 300 ms caching blocks from 16 MiB, 225 ms from 1 MiB.
/// Freed blocks of 1 MiB and more are kept and given to the next request of the same size (or
/// at most an eighth smaller); fresh ones of 4 MiB and more are asked for transparent huge pages.
///
/// Bounded: free blocks beyond 1 GiB (a sixteenth of the machine's memory when that is less)
/// are returned, the biggest first, and when a fresh block cannot be had the cache is emptied
/// and the request retried.
#include <cstdint>

namespace taskmoe::core {

/// Puts the cache in front of LibTorch's CPU allocator (once; later calls do nothing).
void installBigTensorCache();

/// Bytes held in free cached blocks, and how many requests were served from the cache.
struct BigTensorCacheStats
{
    std::int64_t freeBytes = 0;
    std::int64_t liveBytes = 0;
    std::int64_t hits = 0;
    std::int64_t misses = 0;
};
BigTensorCacheStats bigTensorCacheStats();

/// Returns every free cached block to the system (e.g. before measuring peak memory).
void releaseBigTensorCache();

} // namespace taskmoe::core
