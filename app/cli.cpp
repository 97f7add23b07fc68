#include "app/cli.h"

#include "core/model/backend.h"
#include "db/store.h"
#include "protocol/jobevents.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QTextStream>

#include <cmath>
#include <cstdio>

namespace taskmoe::app {

namespace {

QString csvField(const QString &s)
{
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n')))
        return s;
    QString quoted = s;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString displayText(const QVariant &v)
{
    if (v.typeId() == QMetaType::Double) {
        const double d = v.toDouble();
        if (std::isfinite(d) && std::fabs(d) >= 1e-3 && std::fabs(d) < 1e9)
            return QString::number(d, 'f', std::fabs(d) >= 100 ? 1 : 3);
        return QString::number(d, 'g', 6);
    }
    return v.toString();
}

bool isNumber(const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::Int: case QMetaType::LongLong: case QMetaType::UInt: case QMetaType::ULongLong:
    case QMetaType::Double:
        return true;
    default:
        return false;
    }
}

} // namespace

void ResultTable::addRow(const QVariantList &values)
{
    m_rows.push_back(values);
}

QJsonArray ResultTable::toJson() const
{
    QJsonArray rows;
    for (const auto &row : m_rows) {
        QJsonObject o;
        for (int c = 0; c < m_columns.size() && c < row.size(); ++c)
            o.insert(m_columns[c], QJsonValue::fromVariant(row[c]));
        rows.append(o);
    }
    return rows;
}

void ResultTable::print(Format format, const QString &title) const
{
    QTextStream out(stdout);
    switch (format) {
    case Format::Json:
        out << QJsonDocument(toJson()).toJson(QJsonDocument::Indented);
        return;
    case Format::Csv: {
        QStringList header;
        for (const auto &c : m_columns)
            header << csvField(c);
        out << header.join(QLatin1Char(',')) << '\n';
        for (const auto &row : m_rows) {
            QStringList fields;
            for (const auto &v : row)
                fields << csvField(v.typeId() == QMetaType::Double ? QString::number(v.toDouble(), 'g', 17) : v.toString());
            out << fields.join(QLatin1Char(',')) << '\n';
        }
        return;
    }
    case Format::Table: {
        if (!title.isEmpty())
            out << title << '\n';
        QVector<int> width(m_columns.size());
        QVector<bool> numeric(m_columns.size(), true);
        for (int c = 0; c < m_columns.size(); ++c)
            width[c] = m_columns[c].size();
        for (const auto &row : m_rows)
            for (int c = 0; c < m_columns.size() && c < row.size(); ++c) {
                width[c] = std::max<int>(width[c], displayText(row[c]).size());
                numeric[c] = numeric[c] && (isNumber(row[c]) || row[c].isNull());
            }
        const auto line = [&](const QStringList &cells, bool header) {
            QStringList padded;
            for (int c = 0; c < cells.size(); ++c)
                padded << ((numeric[c] && !header) || (numeric[c] && header && !m_rows.empty())
                               ? cells[c].rightJustified(width[c])
                               : cells[c].leftJustified(width[c]));
            QString text = padded.join(QLatin1String("  "));
            while (text.endsWith(QLatin1Char(' ')))
                text.chop(1);
            out << text << '\n';
        };
        line(m_columns, true);
        QStringList rule;
        for (int c = 0; c < m_columns.size(); ++c)
            rule << QString(width[c], QLatin1Char('-'));
        out << rule.join(QLatin1String("  ")) << '\n';
        for (const auto &row : m_rows) {
            QStringList cells;
            for (int c = 0; c < m_columns.size(); ++c)
                cells << (c < row.size() ? displayText(row[c]) : QString());
            line(cells, false);
        }
        return;
    }
    }
}

CommandLine::CommandLine(const QString &command, const QString &summary) : m_command(command)
{
    m_parser.setApplicationDescription(QStringLiteral("taskmoe %1: %2").arg(command, summary));
    m_parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    m_parser.addHelpOption();
}

void CommandLine::addDbOption()
{
    m_hasDb = true;
    m_parser.addOption({QStringLiteral("db"),
                        QStringLiteral("The store file (default: %1).").arg(db::Store::defaultPath()),
                        QStringLiteral("path")});
}

void CommandLine::addFormatOption()
{
    m_hasFormat = true;
    m_parser.addOption({QStringLiteral("format"), QStringLiteral("Output format: table (default), csv or json."),
                        QStringLiteral("format"), QStringLiteral("table")});
}

void CommandLine::addThreadsOption()
{
    m_hasThreads = true;
    m_parser.addOption({QStringLiteral("threads"),
                        QStringLiteral("Compute threads (default: all %1 cores).").arg(core::coreCount()),
                        QStringLiteral("n")});
}

bool CommandLine::parse(const QStringList &args, int maxPositional)
{
    if (!m_parser.parse(args))
        throw UsageError(QStringLiteral("%1: %2").arg(m_command, m_parser.errorText()));
    if (m_parser.isSet(QStringLiteral("help"))) {
        QTextStream(stdout) << m_parser.helpText().replace(QLatin1String("Usage: taskmoe"),
                                                           QStringLiteral("Usage: taskmoe %1").arg(m_command));
        return false;
    }
    if (m_parser.positionalArguments().size() > maxPositional)
        throw UsageError(QStringLiteral("%1: unexpected argument '%2'")
                             .arg(m_command, m_parser.positionalArguments().value(maxPositional)));
    if (m_hasFormat)
        format();  // validate early
    if (m_hasThreads) {
        core::setThreads(threads());
        warnIfSlowBlas();  // computing commands: say so before a slow run, not after
    }
    return true;
}

QString CommandLine::dbPath() const
{
    return m_hasDb && m_parser.isSet(QStringLiteral("db")) ? m_parser.value(QStringLiteral("db")) : db::Store::defaultPath();
}

std::unique_ptr<db::Store> CommandLine::openStore(StoreAccess access) const
{
    const QString path = dbPath();
    if (access == StoreAccess::MustExist && !QFileInfo::exists(path))
        throw CommandError(QStringLiteral("%1: there is no store here yet (create one with `taskmoe corpus synth`)").arg(path));
    return std::make_unique<db::Store>(path);
}

Format CommandLine::format() const
{
    const QString f = m_parser.value(QStringLiteral("format"));
    if (f == QLatin1String("table"))
        return Format::Table;
    if (f == QLatin1String("csv"))
        return Format::Csv;
    if (f == QLatin1String("json"))
        return Format::Json;
    throw UsageError(QStringLiteral("%1: --format must be table, csv or json, not '%2'").arg(m_command, f));
}

int CommandLine::threads() const
{
    if (!m_parser.isSet(QStringLiteral("threads")))
        return core::coreCount();
    return static_cast<int>(intValue(QStringLiteral("threads"), 1, 1024));
}

qint64 CommandLine::intValue(const QString &name, qint64 min, qint64 max) const
{
    bool ok = false;
    const QString text = m_parser.value(name);
    const qint64 v = text.toLongLong(&ok);
    if (!ok || v < min || v > max)
        throw UsageError(QStringLiteral("%1: --%2 must be a whole number from %3 to %4, not '%5'")
                             .arg(m_command, name).arg(min).arg(max).arg(text));
    return v;
}

double CommandLine::doubleValue(const QString &name, double min, double max) const
{
    bool ok = false;
    const QString text = m_parser.value(name);
    const double v = text.toDouble(&ok);
    if (!ok || !std::isfinite(v) || v < min || v > max)
        throw UsageError(QStringLiteral("%1: --%2 must be a number from %3 to %4, not '%5'")
                             .arg(m_command, name).arg(min).arg(max).arg(text));
    return v;
}

int runSubcommand(const QStringList &args, const QString &group, const std::vector<Subcommand> &handlers)
{
    const QString name = args.value(2);
    QStringList rest = args;
    rest.remove(1, std::min<qsizetype>(2, rest.size() - 1));
    for (const auto &[handlerName, handler] : handlers)
        if (name == handlerName)
            return handler(rest);
    if (name.isEmpty() || name == QLatin1String("--help") || name == QLatin1String("-h")) {
        QStringList names;
        for (const auto &h : handlers)
            names << h.first;
        // Asked for: stdout, success. Missing: a usage error, on stderr.
        QTextStream out(name.isEmpty() ? stderr : stdout);
        out << "Usage: taskmoe " << group << ' ' << names.join(QLatin1Char('|')) << " [options]\n"
            << "Run `taskmoe " << group << " <command> --help` for a command's options.\n";
        return name.isEmpty() ? ExitUsage : ExitOk;
    }
    throw UsageError(QStringLiteral("unknown command '%1 %2'").arg(group, name));
}

void warnIfSlowBlas()
{
    warnIfSlowBlas(core::backendInfo(true));
}

void warnIfSlowBlas(const core::BackendInfo &info)
{
    if (info.slowBlas)
        std::fprintf(stderr,
                     "taskmoe: warning: matrix products run at %.1f GFLOP/s with %s (%s); an optimised BLAS gives "
                     "50-150 here: install libopenblas0-pthread\n",
                     info.gemmGflops, info.blasName.c_str(), info.blasLibrary.c_str());
}

void emitJobEvent(const protocol::JobEvent &event)
{
    // fwrite, not fputs: the line's length is known and it holds no NUL.
    const QByteArray line = protocol::toJsonLine(event);
    std::fwrite(line.constData(), 1, static_cast<std::size_t>(line.size()), stdout);
    std::fflush(stdout);
}

void printNote(const QString &note)
{
    std::fprintf(stderr, "taskmoe: %s\n", note.toLocal8Bit().constData());
}

} // namespace taskmoe::app
