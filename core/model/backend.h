#pragma once
/// What the numerical backend is running on: LibTorch version, BLAS library, threads.
#include <cstdint>
#include <string>

namespace taskmoe::core {

struct BackendInfo
{
    std::string torchVersion;   ///< e.g. "1.13.0"
    std::string blasLibrary;    ///< resolved path of the library providing sgemm_
    std::string blasName;       ///< "OpenBLAS (pthread)", "reference BLAS", …
    int threads = 1;            ///< compute threads in use (see setThreads)
    double gemmGflops = 0;      ///< measured fp32 matrix product speed (0 when not measured)
    bool slowBlas = false;      ///< not an optimised BLAS, and measured far below what one gives here
    int cudaDevices = 0;        ///< CUDA devices LibTorch can use (0: none, or a CPU-only build)
};

/// CUDA devices this LibTorch build can use; 0 for CPU-only builds such as Debian's.
int cudaDeviceCount();

/// Sets the compute threads (≤ 0: the number of cores) and returns how many are used: the
/// BLAS library's threads and the MoE layer's expert threads. LibTorch's intra-op OpenMP
/// loops stay single-threaded (their spinning idle threads slow the BLAS down on few cores).
/// Also puts the big-tensor cache in front of LibTorch's CPU allocator (core/memory).
int setThreads(int threads);

/// The compute threads set by setThreads (the number of cores before any call).
int computeThreads();

/// Number of cores available to this process.
int coreCount();

/// Memory the system can give a new process without swapping (MemAvailable of /proc/meminfo),
/// and all of it (MemTotal), in bytes; 0 when unknown.
std::int64_t availableMemoryBytes();
std::int64_t totalMemoryBytes();

/// This process's peak resident memory (VmHWM of /proc/self/status) in bytes; 0 when unknown.
std::int64_t peakRssBytes();
/// Starts a new peak: the next peakRssBytes() is the peak from now on (Linux's clear_refs
/// "5"), after the big-tensor cache's free blocks went back to the system; returns false when the kernel does not allow it (the peak then stays the process's).
bool resetPeakRss();

/// Describes the backend; with `measure`, times a 512³ fp32 product (a few milliseconds with
/// OpenBLAS, ~50 ms with the reference BLAS) and flags a slow BLAS.
BackendInfo backendInfo(bool measure);

} // namespace taskmoe::core
