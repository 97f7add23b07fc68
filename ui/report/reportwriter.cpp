#include "ui/report/reportwriter.h"

#include "ui/common/plotexport.h"
#include "ui/common/plots.h"

#include <qcustomplot.h>

#include <QDateTime>
#include <QDir>
#include <QTextStream>

#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>

namespace taskmoe::ui {

namespace {

QString cell(const std::optional<double> &v, int decimals = 2)
{
    return v ? QString::number(*v, 'f', decimals) : QStringLiteral("—");
}

std::optional<double> find(const std::map<QString, double> &m, const QString &key)
{
    const auto it = m.find(key);
    return it == m.end() ? std::nullopt : std::optional<double>(it->second);
}

QString millions(qint64 n) { return QString::number(double(n) / 1e6, 'f', 2); }

const usecases::ReportRun *denseRun(const usecases::Report &r)
{
    for (const auto &run : r.runs)
        if (run.run.id == r.denseRunId)
            return &run;
    return nullptr;
}

QString runLabel(const usecases::ReportRun &r)
{
    return QStringLiteral("run %1 %2 (%3)").arg(r.run.id).arg(r.run.name, r.routing);
}

/// ΔBLEU against the dense baseline per direction, one bar group per direction.
bool drawDeltaBleu(const usecases::Report &report, const QString &path)
{
    const usecases::ReportRun *dense = denseRun(report);
    if (!dense || report.directions.empty())
        return false;
    QCustomPlot plot;
    plot.setBackground(Qt::white);
    std::vector<const usecases::ReportRun *> others;
    for (const auto &r : report.runs)
        if (&r != dense && !r.pairs.empty())
            others.push_back(&r);
    if (others.empty())
        return false;
    const double groupWidth = 0.8, width = groupWidth / double(others.size());
    QVector<double> ticks;
    QVector<QString> labels;
    for (std::size_t d = 0; d < report.directions.size(); ++d) {
        ticks << double(d);
        labels << QStringLiteral("%1\n%2").arg(report.directions[d].first).arg(report.directions[d].second);
    }
    for (std::size_t i = 0; i < others.size(); ++i) {
        auto *bars = new QCPBars(plot.xAxis, plot.yAxis);
        bars->setName(runLabel(*others[i]));
        bars->setWidth(width * 0.95);
        bars->setPen(Qt::NoPen);
        bars->setBrush(seriesColour(int(i)));
        QVector<double> keys, values;
        for (std::size_t d = 0; d < report.directions.size(); ++d) {
            const auto mine = find(others[i]->pairs, report.directions[d].first);
            const auto base = find(dense->pairs, report.directions[d].first);
            if (!mine || !base)
                continue;
            keys << double(d) - groupWidth / 2 + width * (double(i) + 0.5);
            values << *mine - *base;
        }
        bars->setData(keys, values);
    }
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    ticker->setTicks(ticks, labels);
    plot.xAxis->setTicker(ticker);
    plot.xAxis->setRange(-0.6, double(report.directions.size()) - 0.4);
    plot.xAxis->setLabel(QObject::tr("direction (training sentences), largest first"));
    plot.yAxis->setLabel(QObject::tr("ΔBLEU against %1").arg(runLabel(*dense)));
    plot.rescaleAxes(true);
    plot.xAxis->setRange(-0.6, double(report.directions.size()) - 0.4);
    const QCPRange y = plot.yAxis->range();
    plot.yAxis->setRange(std::min(y.lower, 0.0) - 0.5, std::max(y.upper, 0.0) + 0.5);
    auto *zero = new QCPItemStraightLine(&plot);
    zero->point1->setCoords(0, 0);
    zero->point2->setCoords(1, 0);
    zero->setPen(QPen(Qt::gray));
    const int legendHeight = legendBelow(plot, 2);
    QString error;
    if (!savePlot(&plot, path, ExportFormat::Png,
                  QSize(std::max(640, 70 * int(report.directions.size())), 400 + legendHeight), &error))
        throw std::runtime_error(error.toStdString());
    return true;
}

/// Target tokens per second against batch size, one line per model and beam.
bool drawThroughput(const usecases::Report &report, const QString &path)
{
    if (report.throughput.empty())
        return false;
    QCustomPlot plot;
    plot.setBackground(Qt::white);
    std::map<qint64, int> colourOf;   // one colour per model; greedy solid, beam search dashed
    for (const auto &c : report.throughput) {
        auto *graph = plot.addGraph();
        graph->setName(c.label);
        // One legend entry per model, whatever its beams: the line style says the beam.
        if (colourOf.count(c.modelId))
            graph->removeFromLegend();
        else
            colourOf[c.modelId] = int(colourOf.size());
        QPen pen(seriesColour(colourOf[c.modelId]));
        pen.setWidthF(1.8);
        if (c.beam != 1)
            pen.setStyle(Qt::DashLine);
        graph->setPen(pen);
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
        QVector<double> x, y;
        for (const auto &[batch, rate] : c.points) {
            x << double(batch);
            y << rate;
        }
        graph->setData(x, y);
    }
    plot.xAxis->setScaleType(QCPAxis::stLogarithmic);
    plot.xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    plot.xAxis->setLabel(QObject::tr("batch size (sentences)"));
    plot.yAxis->setLabel(QObject::tr("target tokens / s (solid: greedy, dashed: beam search)"));
    plot.rescaleAxes();
    plot.xAxis->scaleRange(1.15, plot.xAxis->range().center());
    plot.yAxis->setRangeLower(0);
    plot.yAxis->setRangeUpper(plot.yAxis->range().upper * 1.1);
    const int legendHeight = legendBelow(plot, 2);
    QString error;
    if (!savePlot(&plot, path, ExportFormat::Png, QSize(760, 420 + legendHeight), &error))
        throw std::runtime_error(error.toStdString());
    return true;
}

} // namespace

QString reportMarkdown(const usecases::Report &report, const QStringList &figures)
{
    QString md;
    QTextStream out(&md);
    out << "# Comparison of runs " << [&] {
        QStringList ids;
        for (const auto &r : report.runs)
            ids << QString::number(r.run.id);
        return ids.join(QStringLiteral(", "));
    }() << "\n\n";
    out << "Scores: " << report.split << " split, beam " << report.beam
        << ", SacreBLEU (13a), the paper's aggregates (means over directions). Written "
        << QDateTime::currentDateTimeUtc().toString(Qt::ISODate) << ".\n\n";

    out << "## BLEU\n\n| run | routing | step | average | xx→en | en→xx | high | low |\n|---|---|---:|---:|---:|---:|---:|---:|\n";
    for (const auto &r : report.runs)
        out << "| " << r.run.id << " " << r.run.name << " | " << r.routing << " | " << r.step << " | "
            << cell(find(r.aggregates, QStringLiteral("average"))) << " | " << cell(find(r.aggregates, QStringLiteral("xx-en")))
            << " | " << cell(find(r.aggregates, QStringLiteral("en-xx"))) << " | "
            << cell(find(r.aggregates, QStringLiteral("high"))) << " | " << cell(find(r.aggregates, QStringLiteral("low")))
            << " |\n";

    if (const usecases::ReportRun *dense = denseRun(report); dense && !report.directions.empty()) {
        out << "\n## ΔBLEU per direction against the dense baseline (run " << dense->run.id << ")\n\n";
        if (figures.contains(QStringLiteral("delta-bleu.png")))
            out << "![ΔBLEU per direction](delta-bleu.png)\n\n";
        out << "| direction | training sentences | " << runLabel(*dense);
        for (const auto &r : report.runs)
            if (&r != dense)
                out << " | Δ " << r.run.id << " " << r.run.name;
        out << " |\n|---|---:|---:";
        for (const auto &r : report.runs)
            if (&r != dense)
                out << "|---:";
        out << "|\n";
        for (const auto &[direction, size] : report.directions) {
            const auto base = find(dense->pairs, direction);
            out << "| " << direction << " | " << size << " | " << cell(base);
            for (const auto &r : report.runs)
                if (&r != dense) {
                    const auto mine = find(r.pairs, direction);
                    out << " | " << (mine && base ? QString::asprintf("%+.2f", *mine - *base) : QStringLiteral("—"));
                }
            out << " |\n";
        }
    }

    out << "\n## Parameters\n\n| run | total (M) | embedding | encoder | decoder | experts | active per token (M) |\n"
           "|---|---:|---:|---:|---:|---:|---:|\n";
    for (const auto &r : report.runs)
        out << "| " << r.run.id << " " << r.run.name << " | " << millions(r.paramsTotal) << " | " << millions(r.paramsEmbedding)
            << " | " << millions(r.paramsEncoder) << " | " << millions(r.paramsDecoder) << " | " << millions(r.paramsExpert)
            << " | " << millions(r.paramsActive) << " |\n";

    if (!report.throughput.empty()) {
        out << "\n## Decoding throughput\n\n";
        if (figures.contains(QStringLiteral("throughput.png")))
            out << "![Target tokens per second against batch size](throughput.png)\n\n";
        out << "| model | decoding | peak tokens/s | at batch | ratio to the first |\n|---|---|---:|---:|---:|\n";
        std::map<int, double> first;   // per beam: the first curve's peak
        for (const auto &c : report.throughput) {
            std::pair<int, double> peak{0, 0};
            for (const auto &p : c.points)
                if (p.second > peak.second)
                    peak = p;
            if (!first.count(c.beam))
                first[c.beam] = peak.second;
            out << "| " << c.label << " | " << (c.beam == 1 ? QStringLiteral("greedy") : QStringLiteral("beam %1").arg(c.beam))
                << " | " << QString::number(peak.second, 'f', 0) << " | " << peak.first << " | "
                << (first[c.beam] > 0 ? QString::number(peak.second / first[c.beam], 'f', 2) : QStringLiteral("—")) << " |\n";
        }
    }

    for (const auto &c : report.comparisons) {
        out << "\n## Sub-networks and students of run " << c.run.id << " (" << c.run.name << ")\n\n"
            << "Gain kept = (model − dense) / (full − dense) on the task's pairs"
            << (c.dense.id > 0 ? QStringLiteral(", dense baseline run %1").arg(c.dense.id) : QStringLiteral(" (no dense baseline)"))
            << " (given where the full model gains at least " << QString::number(usecases::kMinimumGainBleu, 'f', 0)
            << " BLEU). The paper: distillation keeps 32–43 %, extraction 100 %.\n\n";
        if (!c.summary.empty()) {
            out << "Over all the pairs each covers (means over pairs):\n\n"
                << "| variant | models | pairs | params (M) | active (M) | BLEU | full model | ΔBLEU | gain kept |\n"
                   "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
            for (const auto &r : c.summary)
                out << "| " << r.variant << " | " << r.models << " | " << r.pairs << " | " << millions(r.paramsTotal) << " | "
                    << millions(r.paramsActive) << " | " << cell(r.bleu) << " | " << cell(r.fullBleu) << " | "
                    << (r.deltaBleu ? QString::asprintf("%+.2f", *r.deltaBleu) : QStringLiteral("—")) << " | "
                    << (r.gainKept ? QStringLiteral("%1 %").arg(*r.gainKept * 100, 0, 'f', 0) : QStringLiteral("—")) << " |\n";
            out << "\nPer task:\n\n";
        }
        out << "| task | kind | model | params (M) | active (M) | file MB | experts kept | BLEU | ΔBLEU | gain kept | greedy tok/s |\n"
               "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|\n";
        for (const auto &r : c.rows)
            out << "| " << r.task << " | " << r.kind << " | " << r.modelId << " | " << millions(r.paramsTotal) << " | "
                << millions(r.paramsActive) << " | "
                << (r.fileBytes > 0 ? QString::number(double(r.fileBytes) / (1 << 20), 'f', 1) : QStringLiteral("—")) << " | "
                << (r.experts.isEmpty() ? QStringLiteral("all") : r.experts) << " | " << cell(r.bleu) << " | "
                << (r.deltaBleu ? QString::asprintf("%+.2f", *r.deltaBleu) : QStringLiteral("—")) << " | "
                << (r.gainKept ? QStringLiteral("%1 %").arg(*r.gainKept * 100, 0, 'f', 0) : QStringLiteral("—")) << " | "
                << cell(r.peakGreedy, 0) << " |\n";
    }

    if (!report.missing.isEmpty()) {
        out << "\n## Not measured yet\n\n";
        for (const auto &m : report.missing)
            out << "- `" << m << "`\n";
    }
    out.flush();
    return md;
}

QStringList writeReport(const usecases::Report &report, const QString &folder)
{
    if (!QDir().mkpath(folder))
        throw std::runtime_error(QObject::tr("%1: cannot create the folder").arg(folder).toStdString());
    const QDir dir(folder);
    QStringList figures;
    if (drawDeltaBleu(report, dir.filePath(QStringLiteral("delta-bleu.png"))))
        figures << QStringLiteral("delta-bleu.png");
    if (drawThroughput(report, dir.filePath(QStringLiteral("throughput.png"))))
        figures << QStringLiteral("throughput.png");
    QString error;
    if (!saveFile(dir.filePath(QStringLiteral("report.md")), reportMarkdown(report, figures).toUtf8(), &error))
        throw std::runtime_error(error.toStdString());
    QStringList written;
    written << dir.filePath(QStringLiteral("report.md"));
    for (const auto &f : figures)
        written << dir.filePath(f);
    return written;
}

} // namespace taskmoe::ui
