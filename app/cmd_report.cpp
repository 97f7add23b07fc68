// `taskmoe report --runs A,B,… [--dense RUN] [--out DIR]`: the paper-style comparison of
// stored results as Markdown with figures (drawn off screen).
#include "app/cli.h"

#include "db/store.h"
#include "ui/report/reportwriter.h"
#include "usecases/report.h"

#include <QTextStream>

#include <limits>

namespace taskmoe::app {

int runReport(const QStringList &args)
{
    QStringList rest = args;
    rest.removeAt(1);
    CommandLine cli(QStringLiteral("report"),
                    QStringLiteral("write the comparison of runs (BLEU table, ΔBLEU per direction, throughput, parameters, "
                                   "sub-networks and students) as Markdown with PNG figures"));
    cli.addDbOption();
    cli.addOption({QStringLiteral("runs"), QStringLiteral("The runs, comma-separated, in the order to show them."),
                   QStringLiteral("list")});
    cli.addOption({QStringLiteral("dense"), QStringLiteral("The dense baseline run (default: the first dense run listed)."),
                   QStringLiteral("run")});
    cli.addOption({QStringLiteral("beam"), QStringLiteral("Scores of evaluations with this beam (default 4)."),
                   QStringLiteral("n"), QStringLiteral("4")});
    cli.addOption({QStringLiteral("split"), QStringLiteral("test (default), dev or multiway."), QStringLiteral("split"),
                   QStringLiteral("test")});
    cli.addOption({QStringLiteral("out"), QStringLiteral("The folder to write (default: report)."), QStringLiteral("dir"),
                   QStringLiteral("report")});
    if (!cli.parse(rest))
        return ExitOk;
    usecases::ReportRequest request;
    for (const QString &part : cli.value(QStringLiteral("runs")).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const qint64 id = part.trimmed().toLongLong(&ok);
        if (!ok || id <= 0)
            throw UsageError(QStringLiteral("report: --runs must be run ids, not '%1'").arg(part));
        request.runs.push_back(id);
    }
    if (request.runs.empty())
        throw UsageError(QStringLiteral("report: --runs A,B,… is required"));
    if (cli.isSet(QStringLiteral("dense")))
        request.denseRunId = cli.intValue(QStringLiteral("dense"), 1, std::numeric_limits<qint64>::max());
    request.beam = int(cli.intValue(QStringLiteral("beam"), 1, 64));
    request.split = cli.value(QStringLiteral("split"));
    const auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    const usecases::Report report = usecases::assembleReport(*store, request);
    const QStringList files = ui::writeReport(report, cli.value(QStringLiteral("out")));
    QTextStream out(stdout);
    for (const auto &f : files)
        out << f << '\n';
    for (const auto &m : report.missing)
        printNote(QStringLiteral("not measured yet: %1").arg(m));
    return ExitOk;
}

} // namespace taskmoe::app
