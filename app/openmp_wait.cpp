// LibTorch's parallel loops run on OpenMP (libgomp), whose idle threads spin after every
// parallel region by default. On two cores that spinning steals the core from the next
// OpenBLAS product: measured here, the MoE layer ran 2–3x slower and a dense FFN 1.7x slower
// than with passive waiting. libgomp reads OMP_WAIT_POLICY in its own initialiser, before
// main; an executable's .preinit_array runs before any shared library's initialiser, so the
// setting is made there. A value the user set is kept.
#include <cstdlib>

namespace {

void passiveOpenMpWait(int, char **, char **)
{
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
}

} // namespace

__attribute__((section(".preinit_array"), used)) static void (*const taskmoePreinit)(int, char **, char **) = passiveOpenMpWait;
