// `taskmoe model …`: inspect self-describing model files.
#include "app/cli.h"

#include "core/config/trainconfig.h"
#include "core/model/modelfile.h"
#include "core/model/transformer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

namespace taskmoe::app {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

/// Loads and checks a model file completely, then prints its options, tasks and parameter
/// counts (computed from the tensors, not estimated).
int modelInfo(const QStringList &args)
{
    CommandLine cli(QStringLiteral("model info"),
                    QStringLiteral("check a model file and print its options, tasks and parameter counts"));
    cli.addFormatOption();
    cli.addOption({QStringLiteral("model"), QStringLiteral("The model file."), QStringLiteral("file")});
    if (!cli.parse(args))
        return ExitOk;
    if (!cli.isSet(QStringLiteral("model")))
        throw UsageError(QStringLiteral("model info: --model FILE is required"));
    const core::LoadedModel loaded = core::loadModel(cli.value(QStringLiteral("model")).toStdString());
    const core::ModelOptions &o = loaded.model->options();
    const core::ParameterCounts counts = loaded.model->parameterCounts();
    QStringList languages;
    for (const auto &l : loaded.info.tasks.languages)
        languages << qs(l);
    QStringList pairs;
    for (std::size_t i = 0; i < loaded.info.tasks.pairs.size(); ++i)
        pairs << qs(loaded.info.tasks.pairName(static_cast<int>(i)));

    ResultTable table({QStringLiteral("field"), QStringLiteral("value")});
    const auto row = [&](const QString &field, const QVariant &value) { table.addRow({field, value}); };
    row(QStringLiteral("file"), cli.value(QStringLiteral("model")));
    row(QStringLiteral("sha256"), qs(loaded.sha256));
    row(QStringLiteral("encoder_routing"), qs(core::routingName(o.encoderRouting)));
    row(QStringLiteral("decoder_routing"), qs(core::routingName(o.decoderRouting)));
    row(QStringLiteral("layers"), QStringLiteral("%1 + %2").arg(o.encoderLayers).arg(o.decoderLayers));
    row(QStringLiteral("d_model"), qint64(o.dModel));
    row(QStringLiteral("heads"), qint64(o.heads));
    row(QStringLiteral("d_ff"), qint64(o.dFf));
    row(QStringLiteral("experts"), qint64(o.experts));
    row(QStringLiteral("top_k"), qint64(o.topK));
    row(QStringLiteral("moe_every"), QStringLiteral("%1 / %2").arg(o.encoderMoeEvery).arg(o.decoderMoeEvery));
    row(QStringLiteral("vocab_size"), qint64(o.vocabSize));
    row(QStringLiteral("languages"), languages.join(QLatin1Char(' ')));
    row(QStringLiteral("pairs"), pairs.join(QLatin1Char(' ')));
    row(QStringLiteral("sentencepiece"),
        loaded.info.sentencePieceSha256.empty() ? QStringLiteral("none")
        : loaded.info.sentencePiece.empty()     ? QStringLiteral("referenced, sha256 %1").arg(qs(loaded.info.sentencePieceSha256))
                                                : QStringLiteral("embedded, sha256 %1").arg(qs(loaded.info.sentencePieceSha256)));
    row(QStringLiteral("params_total"), qint64(counts.total));
    row(QStringLiteral("params_embedding"), qint64(counts.embedding));
    row(QStringLiteral("params_encoder"), qint64(counts.encoder));
    row(QStringLiteral("params_decoder"), qint64(counts.decoder));
    row(QStringLiteral("params_expert"), qint64(counts.expert));
    row(QStringLiteral("params_active_per_token"), qint64(counts.activePerToken));
    row(QStringLiteral("params_decoder_active"), qint64(counts.decoderActive));
    if (cli.format() == Format::Json) {
        QJsonObject o2;
        for (const auto &r : table.toJson())
            o2.insert(r.toObject().value(QStringLiteral("field")).toString(), r.toObject().value(QStringLiteral("value")));
        QTextStream(stdout) << QJsonDocument(o2).toJson(QJsonDocument::Indented);
        return ExitOk;
    }
    table.print(cli.format());
    return ExitOk;
}

/// Writes a freshly initialised model: for looking at a configuration's parameter counts
/// before training, and as a fixture.
int modelInit(const QStringList &args)
{
    CommandLine cli(QStringLiteral("model init"),
                    QStringLiteral("write a randomly initialised model file for a configuration"));
    cli.addOption({QStringLiteral("output"), QStringLiteral("The model file to write."), QStringLiteral("file")});
    cli.addOption({QStringLiteral("preset"),
                   QStringLiteral("Start from this training preset's model options (--options then overrides fields)."),
                   QStringLiteral("name")});
    cli.addOption({QStringLiteral("options"),
                   QStringLiteral("Model options as a JSON object, e.g. '{\"experts\": 32, \"decoder_routing\": \"task:target\"}'."),
                   QStringLiteral("json"), QStringLiteral("{}")});
    cli.addOption({QStringLiteral("languages"),
                   QStringLiteral("Languages of the task table; every ordered pair of them is a task (default en,de)."),
                   QStringLiteral("list"), QStringLiteral("en,de")});
    cli.addOption({QStringLiteral("seed"), QStringLiteral("Initialisation seed (default 1)."), QStringLiteral("n"),
                   QStringLiteral("1")});
    if (!cli.parse(args))
        return ExitOk;
    if (!cli.isSet(QStringLiteral("output")))
        throw UsageError(QStringLiteral("model init: --output FILE is required"));
    core::TaskTable tasks;
    for (const QString &l : cli.value(QStringLiteral("languages")).split(QLatin1Char(','), Qt::SkipEmptyParts))
        tasks.languages.push_back(l.trimmed().toStdString());
    for (int s = 0; s < int(tasks.languages.size()); ++s)
        for (int t = 0; t < int(tasks.languages.size()); ++t)
            if (s != t)
                tasks.pairs.emplace_back(s, t);
    tasks.validate();
    core::ModelOptions defaults =
        cli.isSet(QStringLiteral("preset")) ? core::loadPreset(cli.value(QStringLiteral("preset")).toStdString()).model
                                            : core::ModelOptions();
    defaults.numLanguages = std::max<std::int64_t>(1, std::int64_t(tasks.languages.size()));
    defaults.numPairs = std::max<std::int64_t>(1, std::int64_t(tasks.pairs.size()));
    const core::ModelOptions options = core::modelOptionsFromJson(cli.value(QStringLiteral("options")).toStdString(), defaults);
    options.validate();
    torch::manual_seed(static_cast<std::uint64_t>(cli.intValue(QStringLiteral("seed"), 0, std::numeric_limits<qint64>::max())));
    core::Transformer model(options);
    core::ModelFileInfo info;
    info.tasks = tasks;
    const std::string sha = core::saveModel(cli.value(QStringLiteral("output")).toStdString(), model, info);
    const core::ParameterCounts counts = model->parameterCounts();
    ResultTable table({QStringLiteral("model"), QStringLiteral("params_total"), QStringLiteral("params_expert"),
                       QStringLiteral("params_active_per_token"), QStringLiteral("sha256")});
    table.addRow({cli.value(QStringLiteral("output")), qint64(counts.total), qint64(counts.expert),
                  qint64(counts.activePerToken), qs(sha)});
    table.print(Format::Table);
    return ExitOk;
}

} // namespace

int runModel(const QStringList &args)
{
    return runSubcommand(args, QStringLiteral("model"),
                         {{QStringLiteral("init"), modelInit}, {QStringLiteral("info"), modelInfo}});
}

} // namespace taskmoe::app
