#include "usecases/route.h"

#include "core/base/errors.h"
#include "core/base/text.h"
#include "core/model/transformer.h"
#include "db/records.h"

#include <QJsonArray>

namespace taskmoe::usecases {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

} // namespace

QJsonObject routeSentence(const TranslationModel &m, const RouteRequest &r, int *cropped)
{
    const auto [tgt, pair] = m.direction(r.from, r.to);
    std::size_t bad = 0;
    if (!core::isValidUtf8(r.text, &bad))
        throw core::InputError("the sentence is not valid UTF-8 (byte " + std::to_string(bad + 1) + ")");
    const auto request = m.request(r.text, tgt, pair, cropped);
    const auto result = core::translate(*m.loaded.model, {request}, r.decoding).front();
    const auto trace = core::traceRouting(*m.loaded.model, {request}, {result.tokens}, r.decoding).front();

    const auto pieces = [&](const std::vector<std::int32_t> &ids) {
        QJsonArray a;
        for (const auto id : ids)
            a.append(qs(m.spm->idToPiece(id)));
        return a;
    };
    std::vector<std::int32_t> decoderInput{core::kBosId};
    decoderInput.insert(decoderInput.end(), result.tokens.begin(), result.tokens.end());
    const auto &options = m.loaded.model->options();
    QJsonArray layers;
    for (const auto &layer : trace) {
        const auto &inputs = layer.decoder ? decoderInput : request.src;
        QJsonArray tokens;
        for (std::size_t i = 0; i < layer.tokens.size(); ++i) {
            const auto &t = layer.tokens[i];
            QJsonArray experts, gates, dropped;
            for (std::size_t k = 0; k < t.experts.size(); ++k) {
                experts.append(t.experts[k]);
                gates.append(t.gates[k]);
                dropped.append(bool(t.dropped[k]));
            }
            tokens.append(QJsonObject{{QStringLiteral("position"), qint64(i)},
                                      {QStringLiteral("piece"), qs(m.spm->idToPiece(inputs[i]))},
                                      {QStringLiteral("experts"), experts},
                                      {QStringLiteral("gates"), gates},
                                      {QStringLiteral("dropped"), dropped}});
        }
        layers.append(QJsonObject{
            {QStringLiteral("side"), db::sideName(layer.decoder ? db::Side::Decoder : db::Side::Encoder)},
            {QStringLiteral("layer"), layer.layer},
            {QStringLiteral("routing"), qs(core::routingName(layer.decoder ? options.decoderRouting : options.encoderRouting))},
            {QStringLiteral("tokens"), tokens}});
    }
    return QJsonObject{
        {QStringLiteral("model"), m.path},
        {QStringLiteral("source"), QJsonObject{{QStringLiteral("text"), qs(r.text)}, {QStringLiteral("pieces"), pieces(request.src)}}},
        {QStringLiteral("translation"),
         QJsonObject{{QStringLiteral("text"), qs(m.detokenize(result.tokens))},
                     {QStringLiteral("pieces"), pieces(result.tokens)},
                     {QStringLiteral("log_prob"), result.logProb},
                     {QStringLiteral("finished"), result.finished}}},
        {QStringLiteral("target_language"), r.to},
        {QStringLiteral("task"), qs(m.tasks().pairName(pair))},
        {QStringLiteral("decoding"), decodeOptionsJson(r.decoding)},
        {QStringLiteral("layers"), layers}};
}

QJsonObject modelDescription(const TranslationModel &m)
{
    const auto &options = m.loaded.model->options();
    QJsonArray languages, pairs;
    for (const auto &l : m.tasks().languages)
        languages.append(qs(l));
    for (std::size_t p = 0; p < m.tasks().pairs.size(); ++p)
        pairs.append(qs(m.tasks().pairName(int(p))));
    return QJsonObject{{QStringLiteral("model"), m.path},
                       {QStringLiteral("run"), m.run.id},
                       {QStringLiteral("step"), m.checkpoint.step},
                       {QStringLiteral("languages"), languages},
                       {QStringLiteral("pairs"), pairs},
                       {QStringLiteral("experts"), qint64(options.experts)},
                       {QStringLiteral("encoder_routing"), qs(core::routingName(options.encoderRouting))},
                       {QStringLiteral("decoder_routing"), qs(core::routingName(options.decoderRouting))}};
}

} // namespace taskmoe::usecases
