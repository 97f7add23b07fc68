// `taskmoe bleu --ref REF --hyp HYP`: BLEU or chrF/chrF++ of a hypothesis file against a
// reference file, with sacrebleu 2.x's numbers, options and signatures.
//
// Output (`--format table`, the default) is sacrebleu's `--format text` line,
//   BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 80.4 94.2/85.3/76.2/68.4 (BP = …)
//   chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0 = 91.6
// one line per segment with --sentence (as `sacrebleu -sl`, which scores BLEU with effective
// order). `--format json` gives the full-precision score and statistics (one object per line
// with --sentence); `--format csv` a row per score.
#include "app/cli.h"

#include "core/eval/bleu.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace taskmoe::app {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

void printLine(const std::string &text)
{
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
}

QJsonObject bleuJson(const core::BleuScore &s)
{
    QJsonArray counts, totals, precisions;
    for (int n = 0; n < core::kBleuMaxOrder; ++n) {
        counts.append(static_cast<qint64>(s.counts[n]));
        totals.append(static_cast<qint64>(s.totals[n]));
        precisions.append(s.precisions[n]);
    }
    return QJsonObject{{QStringLiteral("name"), QStringLiteral("BLEU")},
                       {QStringLiteral("score"), s.score},
                       {QStringLiteral("signature"), qs(s.signature)},
                       {QStringLiteral("counts"), counts},
                       {QStringLiteral("totals"), totals},
                       {QStringLiteral("precisions"), precisions},
                       {QStringLiteral("bp"), s.bp},
                       {QStringLiteral("ratio"), s.ratio},
                       {QStringLiteral("sys_len"), static_cast<qint64>(s.sysLen)},
                       {QStringLiteral("ref_len"), static_cast<qint64>(s.refLen)}};
}

QJsonObject chrfJson(const core::ChrfScore &s, int beta)
{
    const auto orders = [&](int first, int count) {
        QJsonArray rows;
        for (int i = 0; i < count; ++i) {
            const std::size_t k = 3 * static_cast<std::size_t>(first + i);
            rows.append(QJsonObject{{QStringLiteral("n"), i + 1},
                                    {QStringLiteral("hyp"), static_cast<qint64>(s.stats.values[k])},
                                    {QStringLiteral("ref"), static_cast<qint64>(s.stats.values[k + 1])},
                                    {QStringLiteral("match"), static_cast<qint64>(s.stats.values[k + 2])}});
        }
        return rows;
    };
    return QJsonObject{{QStringLiteral("name"), qs(s.name)},
                       {QStringLiteral("score"), s.score},
                       {QStringLiteral("signature"), qs(s.signature)},
                       {QStringLiteral("beta"), beta},
                       {QStringLiteral("char_order"), s.charOrder},
                       {QStringLiteral("word_order"), s.wordOrder},
                       {QStringLiteral("chars"), orders(0, s.charOrder)},
                       {QStringLiteral("words"), orders(s.charOrder, s.wordOrder)}};
}

/// One score in the chosen output form. `line` is the 1-based segment with --sentence.
struct Printer {
    Format format;
    int width;
    bool scoreOnly;
    ResultTable csv{{QStringLiteral("line"), QStringLiteral("name"), QStringLiteral("score"), QStringLiteral("signature")}};

    void print(const QJsonObject &json, const std::string &textLine, double score, std::optional<qint64> line)
    {
        switch (format) {
        case Format::Table: {
            if (scoreOnly) {
                char buffer[64];
                std::snprintf(buffer, sizeof buffer, "%.*f", width, score);
                printLine(buffer);
            } else {
                printLine(textLine);
            }
            return;
        }
        case Format::Json: {
            QJsonObject o = json;
            if (line)
                o.insert(QStringLiteral("line"), *line);
            const QByteArray bytes =
                QJsonDocument(o).toJson(line ? QJsonDocument::Compact : QJsonDocument::Indented);
            std::fwrite(bytes.constData(), 1, static_cast<std::size_t>(bytes.size()), stdout);
            if (line)
                std::fputc('\n', stdout);
            return;
        }
        case Format::Csv:
            csv.addRow({line ? QVariant(*line) : QVariant(), json.value(QStringLiteral("name")).toString(), score,
                        json.value(QStringLiteral("signature")).toString()});
            return;
        }
    }
    void finish()
    {
        if (format == Format::Csv)
            csv.print(Format::Csv);
        std::fflush(stdout);
    }
};

std::vector<std::string> readSide(const CommandLine &cli, const QString &option)
{
    const QString path = cli.value(option);
    if (path.isEmpty())
        throw UsageError(QStringLiteral("bleu: --%1 FILE is required").arg(option));
    return core::readSegments(path.toStdString());
}

} // namespace

int runBleu(const QStringList &args)
{
    QStringList rest = args;
    rest.removeAt(1);
    CommandLine cli(QStringLiteral("bleu"),
                    QStringLiteral("BLEU or chrF/chrF++ of a hypothesis file against a reference file, as sacrebleu %1 "
                                   "computes them (same options, scores and signatures)")
                        .arg(QLatin1String(core::kSacreBleuVersion)));
    cli.addFormatOption();
    const QString text = QStringLiteral("value");
    cli.addOption({QStringLiteral("ref"), QStringLiteral("Reference file, one segment per line."), QStringLiteral("file")});
    cli.addOption({QStringLiteral("hyp"), QStringLiteral("Hypothesis file, line-aligned with the reference."),
                   QStringLiteral("file")});
    cli.addOption({QStringLiteral("chrf"), QStringLiteral("Compute chrF (chrF++ with --chrf-word-order 2) instead of BLEU.")});
    cli.addOption({QStringLiteral("sentence"),
                   QStringLiteral("One score per line (BLEU then uses the effective order, as sacrebleu -sl).")});
    cli.addOption({QStringLiteral("tokenize"), QStringLiteral("BLEU tokenizer: 13a (default), intl, none, char or zh."),
                   QStringLiteral("name"), QStringLiteral("13a")});
    cli.addOption({QStringLiteral("lowercase"), QStringLiteral("Case-insensitive scores (BLEU and chrF).")});
    cli.addOption({QStringLiteral("smooth-method"), QStringLiteral("BLEU smoothing: exp (default), floor, add-k or none."),
                   QStringLiteral("method"), QStringLiteral("exp")});
    cli.addOption({QStringLiteral("smooth-value"),
                   QStringLiteral("Value for floor (default 0.1) and add-k (default 1)."), text});
    cli.addOption({QStringLiteral("chrf-char-order"), QStringLiteral("chrF character n-gram order (default 6)."),
                   QStringLiteral("n"), QStringLiteral("6")});
    cli.addOption({QStringLiteral("chrf-word-order"), QStringLiteral("chrF word n-gram order (default 0; 2 is chrF++)."),
                   QStringLiteral("n"), QStringLiteral("0")});
    cli.addOption({QStringLiteral("chrf-beta"), QStringLiteral("chrF recall weight (default 2)."), QStringLiteral("n"),
                   QStringLiteral("2")});
    cli.addOption({QStringLiteral("chrf-whitespace"), QStringLiteral("Keep whitespace in chrF character n-grams.")});
    cli.addOption({QStringLiteral("chrf-eps-smoothing"),
                   QStringLiteral("chrF++.py-style epsilon smoothing instead of the effective order.")});
    cli.addOption({{QStringLiteral("w"), QStringLiteral("width")},
                   QStringLiteral("Decimals of the printed score (default 1, as sacrebleu)."), QStringLiteral("n"),
                   QStringLiteral("1")});
    cli.addOption({QStringLiteral("score-only"), QStringLiteral("Print only the score (text format).")});
    if (!cli.parse(rest))
        return ExitOk;

    const bool chrf = cli.isSet(QStringLiteral("chrf"));
    const QStringList bleuOnly = {QStringLiteral("tokenize"), QStringLiteral("smooth-method"), QStringLiteral("smooth-value")};
    const QStringList chrfOnly = {QStringLiteral("chrf-char-order"), QStringLiteral("chrf-word-order"),
                                  QStringLiteral("chrf-beta"), QStringLiteral("chrf-whitespace"),
                                  QStringLiteral("chrf-eps-smoothing")};
    for (const QString &name : chrf ? bleuOnly : chrfOnly)
        if (cli.isSet(name))
            throw UsageError(chrf ? QStringLiteral("bleu: --%1 applies to BLEU, not to --chrf").arg(name)
                                  : QStringLiteral("bleu: --%1 applies to chrF only (add --chrf)").arg(name));

    Printer printer{cli.format(), static_cast<int>(cli.intValue(QStringLiteral("width"), 0, 17)),
                    cli.isSet(QStringLiteral("score-only"))};
    const bool sentence = cli.isSet(QStringLiteral("sentence"));

    core::BleuOptions bleu;
    core::ChrfOptions chrfOptions;
    if (chrf) {
        chrfOptions.charOrder = static_cast<int>(cli.intValue(QStringLiteral("chrf-char-order"), 0, 100));
        chrfOptions.wordOrder = static_cast<int>(cli.intValue(QStringLiteral("chrf-word-order"), 0, 100));
        chrfOptions.beta = static_cast<int>(cli.intValue(QStringLiteral("chrf-beta"), 0, 1000));
        chrfOptions.lowercase = cli.isSet(QStringLiteral("lowercase"));
        chrfOptions.whitespace = cli.isSet(QStringLiteral("chrf-whitespace"));
        chrfOptions.epsSmoothing = cli.isSet(QStringLiteral("chrf-eps-smoothing"));
        if (chrfOptions.charOrder + chrfOptions.wordOrder == 0)
            throw UsageError(QStringLiteral("bleu: --chrf-char-order and --chrf-word-order cannot both be 0"));
    } else {
        const QString tokenizer = cli.value(QStringLiteral("tokenize"));
        const auto tok = core::tokenizerFromName(tokenizer.toStdString());
        if (!tok)
            throw UsageError(QStringLiteral("bleu: --tokenize must be 13a, intl, none, char or zh, not '%1'").arg(tokenizer));
        bleu.tokenizer = *tok;
        const QString method = cli.value(QStringLiteral("smooth-method"));
        const auto smoothing = core::smoothingFromName(method.toStdString());
        if (!smoothing)
            throw UsageError(
                QStringLiteral("bleu: --smooth-method must be exp, floor, add-k or none, not '%1'").arg(method));
        bleu.smoothing = *smoothing;
        if (cli.isSet(QStringLiteral("smooth-value")))
            bleu.smoothValue = cli.doubleValue(QStringLiteral("smooth-value"), 0, 1e9);
        bleu.lowercase = cli.isSet(QStringLiteral("lowercase"));
        bleu.effectiveOrder = sentence;  // sacrebleu -sl does the same
    }

    const QString refPath = cli.value(QStringLiteral("ref")), hypPath = cli.value(QStringLiteral("hyp"));
    const std::vector<std::string> refs = readSide(cli, QStringLiteral("ref"));
    const std::vector<std::string> hyps = readSide(cli, QStringLiteral("hyp"));
    if (refs.size() != hyps.size())
        throw CommandError(QStringLiteral("the reference %1 has %2 lines but the hypothesis %3 has %4; they must be "
                                          "line-aligned")
                               .arg(refPath)
                               .arg(refs.size())
                               .arg(hypPath)
                               .arg(hyps.size()));
    if (hyps.empty())
        throw CommandError(QStringLiteral("%1 and %2 are empty: there is nothing to score").arg(refPath, hypPath));

    const auto emitBleu = [&](const core::BleuScore &s, std::optional<qint64> line) {
        printer.print(bleuJson(s), s.format(printer.width, true), s.score, line);
    };
    const auto emitChrf = [&](const core::ChrfScore &s, std::optional<qint64> line) {
        printer.print(chrfJson(s, chrfOptions.beta), s.format(printer.width, true), s.score, line);
    };
    if (sentence) {
        for (std::size_t i = 0; i < hyps.size(); ++i) {
            const auto line = static_cast<qint64>(i + 1);
            if (chrf)
                emitChrf(core::sentenceChrf(hyps[i], refs[i], chrfOptions), line);
            else
                emitBleu(core::sentenceBleu(hyps[i], refs[i], bleu), line);
        }
    } else if (chrf) {
        emitChrf(core::corpusChrf(hyps, refs, chrfOptions), std::nullopt);
    } else {
        emitBleu(core::corpusBleu(hyps, refs, bleu), std::nullopt);
    }
    printer.finish();
    return ExitOk;
}

} // namespace taskmoe::app
