#pragma once
/// What the numerical backend is running on: LibTorch version, BLAS library, threads.
#include <string>

namespace taskmoe::core {

struct BackendInfo
{
    std::string torchVersion;   ///< e.g. "1.13.0"
    std::string blasLibrary;    ///< resolved path of the library providing sgemm_
    std::string blasName;       ///< "OpenBLAS (pthread)", "reference BLAS", …
    int threads = 1;            ///< intra-op threads in use
    double gemmGflops = 0;      ///< measured fp32 matrix product speed (0 when not measured)
    bool slowBlas = false;      ///< measured far below what an optimised BLAS gives here
};

/// Sets LibTorch's intra-op thread count (≤ 0: the number of cores) and returns what is used.
int setThreads(int threads);

/// Number of cores available to this process.
int coreCount();

/// Describes the backend; with `measure`, times a 512³ fp32 product (a few milliseconds with
/// OpenBLAS, ~50 ms with the reference BLAS) and flags a slow BLAS.
BackendInfo backendInfo(bool measure);

} // namespace taskmoe::core
