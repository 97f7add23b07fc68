// taskmoe: the command-line program. Parses the subcommand and hands over; every error
// becomes one sentence on stderr and an exit status (1 bad input / failed job, 2 usage).
#include "app/cli.h"

#include "core/base/errors.h"
#include "core/model/backend.h"
#include "db/store.h"

#include <QApplication>
#include <QCoreApplication>
#include <QTextStream>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>

#include <malloc.h>
#include <unistd.h>

using namespace taskmoe;

namespace {

const char *kUsage =
    "Usage: taskmoe <command> [options]\n"
    "\n"
    "TaskMoE Workbench: train and study task-level Mixture-of-Experts translation models.\n"
    "\n"
    "Commands:\n"
    "  corpus synth     generate the synthetic multilingual corpus into the store\n"
    "  corpus import    import Moses/TSV parallel text or gettext catalogs into the store\n"
    "  corpus list      list the datasets in the store\n"
    "  corpus stats     per-pair sizes of a dataset\n"
    "  corpus vocab     train a shared SentencePiece vocabulary for a dataset\n"
    "  corpus encode    encode or decode text with a stored vocabulary\n"
    "  train            train a model from --preset NAME or --config FILE (--set key=value)\n"
    "  distill          train a dense student from a finished teacher run (word- and sequence-level)\n"
    "  runs             list runs; metrics --run N exports a run's metrics; cancel --run N stops one\n"
    "  model init       write a randomly initialised model file for a configuration\n"
    "  model info       check a model file; print its options, tasks and parameter counts\n"
    "  translate        translate stdin with --model FILE or --run N --to LANG (greedy or beam search)\n"
    "  eval             per-pair BLEU/chrF and aggregates of a run's checkpoint or a stored model; routing statistics\n"
    "  route            per-token expert choices of one sentence in every MoE layer (JSON)\n"
    "  routing          a stored task x expert routing matrix (--run N --side S --layer L)\n"
    "  extract          per-task sub-networks of a run: task-routed layers folded (exact), token-routed pruned\n"
    "  report           the comparison of runs as Markdown with PNG figures (--runs A,B,… --out DIR)\n"
    "  models           the store's models: evaluated checkpoints, sub-networks, students\n"
    "  compare          a run's full model beside its sub-networks and students: BLEU, change, size, speed\n"
    "  bleu             BLEU or chrF/chrF++ of a hypothesis file, as sacrebleu computes them\n"
    "  bench --store    measure store write speed (metric rows per second)\n"
    "  bench --moe-layer  time the MoE layer against a dense FFN of the same active FLOPs\n"
    "  bench --store-scale  the runs list, a run's curve and a 1M-point plot on a store of 10,000 runs\n"
    "\n"
    "Options:\n"
    "  --version        print the program, LibTorch and BLAS versions and threads\n"
    "  --help           this text; `taskmoe <command> --help` for a command's options\n";

int printVersion()
{
    core::setThreads(0);
    const core::BackendInfo info = core::backendInfo(true);
    QTextStream out(stdout);
    out << "taskmoe " << TASKMOE_VERSION << '\n'
        << "LibTorch " << QString::fromStdString(info.torchVersion) << '\n'
        << "BLAS " << QString::fromStdString(info.blasName) << " (" << QString::fromStdString(info.blasLibrary)
        << ", " << QString::number(info.gemmGflops, 'f', 1) << " GFLOP/s measured)\n"
        << "threads " << info.threads << " of " << core::coreCount() << " cores\n"
        << "CUDA " << (info.cudaDevices > 0 ? QStringLiteral("%1 device(s)").arg(info.cudaDevices)
                                            : QStringLiteral("not available (CPU-only LibTorch build)")) << '\n'
        << "store schema " << db::Store::schemaVersion() << '\n';
    out.flush();
    app::warnIfSlowBlas(info);
    return app::ExitOk;
}

int dispatch(const QStringList &args)
{
    const QString command = args.value(1);
    if (command.isEmpty() || command == QLatin1String("--help") || command == QLatin1String("-h")
        || command == QLatin1String("help")) {
        std::fputs(kUsage, command.isEmpty() ? stderr : stdout);
        return command.isEmpty() ? app::ExitUsage : app::ExitOk;
    }
    if (command == QLatin1String("--version"))
        return printVersion();
    if (command == QLatin1String("bleu"))  // plain text work: no LibTorch set-up needed
        return app::runBleu(args);
    core::setThreads(0);
    if (command == QLatin1String("corpus"))
        return app::runCorpus(args);
    if (command == QLatin1String("bench"))
        return app::runBench(args);
    if (command == QLatin1String("model"))
        return app::runModel(args);
    if (command == QLatin1String("report"))
        return app::runReport(args);
    if (command == QLatin1String("train") || command == QLatin1String("runs") || command == QLatin1String("metrics")
        || command == QLatin1String("cancel") || command == QLatin1String("distill"))
        return app::runTrain(args);
    if (command == QLatin1String("extract") || command == QLatin1String("models") || command == QLatin1String("compare"))
        return app::runExtract(args);
    if (command == QLatin1String("translate") || command == QLatin1String("eval") || command == QLatin1String("route")
        || command == QLatin1String("routing"))
        return app::runDecode(args);
    throw app::UsageError(QStringLiteral("unknown command '%1'").arg(command));
}

/// Commands whose run time is matrix products.
bool isComputeCommand(const char *command)
{
    static const char *const compute[] = {"bench", "train", "eval", "translate", "route", "distill", "extract"};
    for (const char *c : compute)
        if (std::strcmp(command, c) == 0)
            return true;
    return false;
}

/// OpenBLAS's idle worker threads spin for 2^28 cycles (about 0.1 s) after each product,
/// taking the core from the MoE layer's expert threads; OpenBLAS reads the spin limit from
/// OPENBLAS_THREAD_TIMEOUT only while it loads, before main. Compute commands therefore set
/// it and start again (about 1 s once per job). Measured with `taskmoe bench --moe-layer`:
/// E = 32 ratio 1.23–1.33 with the default spin, 1.14–1.17 with 2^8 cycles.
void restartWithComputeEnvironment(int argc, char **argv)
{
    if (argc < 2 || !isComputeCommand(argv[1]) || std::getenv("TASKMOE_COMPUTE_ENV"))
        return;
    ::setenv("TASKMOE_COMPUTE_ENV", "1", 1);
    ::setenv("OPENBLAS_THREAD_TIMEOUT", "8", 0);
    ::execv("/proc/self/exe", argv);  // returns only on failure: then go on as we are
}

/// LibTorch allocates its large tensors (activations, logits) afresh every step; glibc
/// serves those with mmap and returns them at free, so every step page-faults and zeroes
/// them again (perf: a quarter of a training step in the kernel). A compute job keeps freed
/// memory in its heap instead: a training step of a 3+3-layer d_model 256 model went from
/// 2.2–2.3 s to 1.7–1.9 s. Peak memory is unchanged; the job returns it when it ends.
void keepFreedMemory(int argc, char **argv)
{
    if (argc < 2 || !isComputeCommand(argv[1]))
        return;
    ::mallopt(M_MMAP_MAX, 0);
    ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
    ::mallopt(M_TOP_PAD, 64 << 20);
}

} // namespace

int main(int argc, char **argv)
{
    restartWithComputeEnvironment(argc, argv);
    keepFreedMemory(argc, argv);
    // The report draws its figures with QCustomPlot, and the store-scale benchmark times the
    // workbench's own window: a widgets application, off screen unless the user chose a
    // platform. Every other command is a plain console program.
    const bool widgets = argc >= 2
                        && (std::strcmp(argv[1], "report") == 0
                            || (std::strcmp(argv[1], "bench") == 0
                                && std::any_of(argv + 2, argv + argc, [](const char *a) { return std::strcmp(a, "--store-scale") == 0; })));
    if (widgets && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    std::unique_ptr<QCoreApplication> application = widgets ? std::make_unique<QApplication>(argc, argv)
                                                           : std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("taskmoe"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TASKMOE_VERSION));
    const auto fail = [](const char *what) {
        std::fprintf(stderr, "taskmoe: error: %s\n", what);
        return app::ExitFailure;
    };
    try {
        return dispatch(QCoreApplication::arguments());
    } catch (const app::UsageError &e) {
        std::fprintf(stderr, "taskmoe: %s (see taskmoe --help)\n", e.what());
        return app::ExitUsage;
    } catch (const core::InputError &e) {
        return fail(e.what());
    } catch (const db::StoreError &e) {
        return fail(e.what());
    } catch (const app::CommandError &e) {
        return fail(e.what());
    } catch (const std::invalid_argument &e) {
        return fail(e.what());
    } catch (const std::exception &e) {
        return fail(e.what());
    }
}
