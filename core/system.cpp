#include "core/system.h"

#include "core/torch.h"

#include <torch/version.h>

#include <dlfcn.h>
#include <sched.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <thread>

namespace taskmoe::core {

namespace {

std::string blasLibraryPath()
{
    // LibTorch calls whatever libblas.so.3 the system selects (Debian alternatives);
    // the library that provides sgemm_ is the one in use.
    void *symbol = ::dlsym(RTLD_DEFAULT, "sgemm_");
    Dl_info info{};
    if (!symbol || ::dladdr(symbol, &info) == 0 || !info.dli_fname)
        return {};
    char resolved[PATH_MAX];
    return ::realpath(info.dli_fname, resolved) ? std::string(resolved) : std::string(info.dli_fname);
}

std::string describeBlas(const std::string &path)
{
    if (path.empty())
        return "unknown (no sgemm_ symbol found)";
    if (path.find("openblas-pthread") != std::string::npos)
        return "OpenBLAS (pthread)";
    if (path.find("openblas-openmp") != std::string::npos)
        return "OpenBLAS (OpenMP)";
    if (path.find("openblas") != std::string::npos)
        return "OpenBLAS";
    if (path.find("blis") != std::string::npos)
        return "BLIS";
    if (path.find("mkl") != std::string::npos)
        return "Intel MKL";
    if (path.find("atlas") != std::string::npos)
        return "ATLAS";
    if (path.find("/blas/") != std::string::npos)
        return "reference BLAS";
    return "unknown";
}

} // namespace

int coreCount()
{
    cpu_set_t set;
    if (::sched_getaffinity(0, sizeof set, &set) == 0)
        return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

int setThreads(int threads)
{
    const int n = threads > 0 ? threads : coreCount();
    at::set_num_threads(n);
    return at::get_num_threads();
}

BackendInfo backendInfo(bool measure)
{
    BackendInfo info;
    info.torchVersion = TORCH_VERSION;
    info.blasLibrary = blasLibraryPath();
    info.blasName = describeBlas(info.blasLibrary);
    info.threads = at::get_num_threads();
    if (measure) {
        torch::NoGradGuard noGrad;
        const int64_t n = 512;
        const auto a = torch::rand({n, n});
        const auto b = torch::rand({n, n});
        auto c = torch::mm(a, b);  // warm-up: thread pool, page faults
        double best = 1e9;
        for (int rep = 0; rep < 3; ++rep) {
            const auto start = std::chrono::steady_clock::now();
            c = torch::mm(a, b);
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            best = std::min(best, s);
        }
        info.gemmGflops = 2.0 * double(n) * double(n) * double(n) / best / 1e9;
        // OpenBLAS gives 50–150 GFLOP/s on this class of machine, the reference BLAS 4–5.
        info.slowBlas = info.gemmGflops < 15.0;
    }
    return info;
}

} // namespace taskmoe::core
