#pragma once
/// Shared conventions of the `taskmoe` command line: subcommand dispatch, common options
/// (--db, --format, --threads), errors and exit codes, and result printing as a table, CSV
/// or JSON.
#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

namespace taskmoe::db {
class Store;
}
namespace taskmoe::protocol {
struct JobEvent;
}
namespace taskmoe::core {
struct BackendInfo;
struct TrainConfig;
}

namespace taskmoe::app {

/// Exit statuses: 1 for bad input or a failed job, 2 for a usage error.
enum ExitCode { ExitOk = 0, ExitFailure = 1, ExitUsage = 2 };

/// A command line that cannot be understood: printed with a pointer to --help, exit 2.
class UsageError : public std::runtime_error
{
public:
    explicit UsageError(const QString &message) : std::runtime_error(message.toStdString()) {}
};

/// Bad input or a failed job detected by the command layer itself: exit 1.
class CommandError : public std::runtime_error
{
public:
    explicit CommandError(const QString &message) : std::runtime_error(message.toStdString()) {}
};

enum class Format { Table, Csv, Json };

/// Rows of named columns, printed in the format the user chose.
class ResultTable
{
public:
    explicit ResultTable(QStringList columns) : m_columns(std::move(columns)) {}
    void addRow(const QVariantList &values);
    /// Prints to stdout. Numbers stay numbers in JSON; doubles keep full precision there.
    void print(Format format, const QString &title = {}) const;
    QJsonArray toJson() const;

private:
    QStringList m_columns;
    std::vector<QVariantList> m_rows;
};

/// One subcommand's parser with the project's conventions built in.
class CommandLine
{
public:
    /// `command` is the full name ("corpus synth"), `summary` one line for --help.
    CommandLine(const QString &command, const QString &summary);
    QCommandLineParser &parser() { return m_parser; }
    void addOption(const QCommandLineOption &option) { m_parser.addOption(option); }
    void addDbOption();
    void addFormatOption();
    void addThreadsOption();

    /// Parses `args` (args[0] is the program). Returns false when --help was printed.
    /// Throws UsageError for unknown options, missing values or stray arguments.
    bool parse(const QStringList &args, int maxPositional = 0);

    QString value(const QString &name) const { return m_parser.value(name); }
    QStringList values(const QString &name) const { return m_parser.values(name); }
    bool isSet(const QString &name) const { return m_parser.isSet(name); }
    QStringList positional() const { return m_parser.positionalArguments(); }

    /// The store path: --db, else the per-user default.
    QString dbPath() const;
    enum class StoreAccess { CreateIfMissing, MustExist };
    /// Opens the store (db::StoreError propagates with its message). Commands that only
    /// read refuse a missing file rather than create an empty store from a mistyped --db.
    std::unique_ptr<db::Store> openStore(StoreAccess access = StoreAccess::CreateIfMissing) const;
    Format format() const;
    /// --threads N (default: all cores); applied to LibTorch.
    int threads() const;

    /// Integer/double option values with range checks; UsageError names the option.
    qint64 intValue(const QString &name, qint64 min, qint64 max) const;
    double doubleValue(const QString &name, double min, double max) const;

private:
    QString m_command;
    QCommandLineParser m_parser;
    bool m_hasDb = false, m_hasFormat = false, m_hasThreads = false;
};

/// Prints a warning on stderr when matrix products run far below what an optimised BLAS
/// gives here (the reference BLAS); measures when no measurement is given.
void warnIfSlowBlas();
void warnIfSlowBlas(const core::BackendInfo &info);

/// `taskmoe GROUP NAME [options]`: runs the handler called NAME with argv[0] and the options
/// (the group and name removed). No name prints the group's usage (exit 2), --help too
/// (exit 0); an unknown name is a usage error.
using Subcommand = std::pair<QString, std::function<int(const QStringList &)>>;
int runSubcommand(const QStringList &args, const QString &group, const std::vector<Subcommand> &handlers);

// Subcommands: each takes the full argument list (argv[0], subcommand words, options).
int runCorpus(const QStringList &args);
int runBench(const QStringList &args);
/// BLEU and chrF as sacrebleu computes them (app/cmd_bleu.cpp).
int runBleu(const QStringList &args);
int runModel(const QStringList &args);
/// report (app/cmd_report.cpp): needs a QApplication (main makes one, off screen).
int runReport(const QStringList &args);
/// train, distill, runs, metrics and cancel.
int runTrain(const QStringList &args);
/// translate, eval, route and routing (app/cmd_decode.cpp).
int runDecode(const QStringList &args);
/// extract, models and compare (app/cmd_extract.cpp).
int runExtract(const QStringList &args);
/// `bench --decode --run N`: decoding speed with and without the KV cache, greedy and beam.
int benchDecode(const CommandLine &cli);
/// `bench --store-scale` (app/cmd_bench_scale.cpp): needs a QApplication (main makes one, off screen).
int benchStoreScale(const CommandLine &cli);
/// `bench --comm --nproc N` (app/cmd_bench_comm.cpp): token- against task-routed expert parallelism.
int benchComm(const CommandLine &cli);
/// --config FILE, --preset NAME, --set key=value (repeatable) and --minutes M (app/cmd_train.cpp).
void addTrainConfigOptions(CommandLine &cli);
/// The training configuration those options give (InputError / UsageError naming the problem).
core::TrainConfig trainConfigurationFrom(const CommandLine &cli, const QString &command);

/// A use case's note about a long step, on standard error ("taskmoe: …").
void printNote(const QString &note);
/// One job event line on standard output, flushed (`--events`, protocol/jobevents.h).
void emitJobEvent(const protocol::JobEvent &event);

} // namespace taskmoe::app
