#include "usecases/models.h"

#include "usecases/common.h"
#include "core/model/transformer.h"
#include "db/store.h"

#include <QFileInfo>
#include <QStringList>

#include <limits>

namespace taskmoe::usecases {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

QString knownLanguages(const core::TaskTable &t)
{
    QStringList codes;
    for (const auto &l : t.languages)
        codes << qs(l);
    return codes.join(QStringLiteral(", "));
}

/// Checks and completes a loaded model: its embedded SentencePiece model.
void finishLoading(TranslationModel &m)
{
    if (m.loaded.info.sentencePiece.empty())
        throw UseCaseError(QStringLiteral("%1: the model file does not embed its SentencePiece model, which translation "
                                          "needs").arg(m.path));
    m.spm.emplace(core::SentencePieceModel::fromBytes(m.loaded.info.sentencePiece));
}

} // namespace

db::CheckpointRecord chooseCheckpoint(const db::Store &store, qint64 runId, const CheckpointChoice &choice,
                                      double *bestDevBleu)
{
    const auto all = store.checkpoints(runId);
    if (all.isEmpty())
        throw UseCaseError(QStringLiteral("run %1 has no checkpoints yet (a run writes one every train.checkpoint_every "
                                          "steps and when it stops)").arg(runId));
    switch (choice.kind) {
    case CheckpointChoice::Kind::Newest:
        return all.back();
    case CheckpointChoice::Kind::Best: {
        const auto best = store.bestCheckpoint(runId);
        if (!best)
            throw UseCaseError(QStringLiteral("--checkpoint best: run %1 has no checkpoint with a dev BLEU yet (the "
                                              "dev_bleu metric is written at every dev evaluation when "
                                              "train.dev_bleu_sentences > 0)").arg(runId));
        if (bestDevBleu)
            *bestDevBleu = best->second;
        return best->first;
    }
    case CheckpointChoice::Kind::Step:
        break;
    }
    QStringList steps;
    for (const auto &c : all) {
        if (c.step == choice.step)
            return c;
        steps << QString::number(c.step);
    }
    throw UseCaseError(QStringLiteral("run %1 has no checkpoint at step %2 (it has: %3)")
                           .arg(runId).arg(choice.step).arg(steps.join(QStringLiteral(", "))));
}

TranslationModel loadRunModel(const db::Store &store, qint64 runId, const CheckpointChoice &choice, double *bestDevBleu)
{
    TranslationModel m;
    m.run = store.run(runId);
    m.checkpoint = chooseCheckpoint(store, m.run.id, choice, bestDevBleu);
    m.path = m.checkpoint.path;
    if (!QFileInfo::exists(m.path))
        throw UseCaseError(QStringLiteral("%1: the checkpoint of run %2 at step %3 is missing")
                               .arg(m.path).arg(m.run.id).arg(m.checkpoint.step));
    m.loaded = core::loadModel(m.path.toStdString());   // checks size, SHA-256, manifest, tensors
    if (qs(m.loaded.sha256) != m.checkpoint.sha256)
        throw UseCaseError(QStringLiteral("%1: the file's SHA-256 differs from the one recorded for run %2's checkpoint "
                                          "at step %3 (was it replaced?)").arg(m.path).arg(m.run.id).arg(m.checkpoint.step));
    finishLoading(m);
    return m;
}

TranslationModel loadModelFile(const QString &path)
{
    TranslationModel m;
    m.path = path;
    m.loaded = core::loadModel(path.toStdString());
    finishLoading(m);
    return m;
}

core::DecodeRequest TranslationModel::request(const std::string &text, int targetLang, int pair, int *cropped) const
{
    core::DecodeRequest r;
    r.src.push_back(spm->pieceToId(core::targetToken(tasks().languages[std::size_t(targetLang)])));
    for (const int id : spm->encode(text))
        r.src.push_back(id);
    const auto max = std::size_t(loaded.model->options().maxLength);
    if (r.src.size() > max) {
        r.src.resize(max);
        if (cropped)
            ++*cropped;
    }
    r.targetLang = targetLang;
    r.pair = pair;
    return r;
}

std::string TranslationModel::detokenize(const std::vector<std::int32_t> &tokens) const
{
    return spm->decode(std::vector<int>(tokens.begin(), tokens.end()));
}

std::pair<int, int> TranslationModel::direction(const QString &from, const QString &to) const
{
    const int tgt = tasks().languageId(to.toStdString());
    if (tgt < 0)
        throw UseCaseError(QStringLiteral("--to %1: the model does not know this target language (it knows: %2)")
                               .arg(to, knownLanguages(tasks())));
    const auto &o = loaded.model->options();
    const bool needsPair = o.encoderRouting == core::Routing::TaskPair || o.decoderRouting == core::Routing::TaskPair;
    if (from.isEmpty()) {
        if (needsPair)
            throw UseCaseError(QStringLiteral("this model routes by language pair: give the source language with --from"));
        for (std::size_t p = 0; p < tasks().pairs.size(); ++p)
            if (tasks().pairs[p].second == tgt)
                return {tgt, int(p)};
        return {tgt, 0};
    }
    const int src = tasks().languageId(from.toStdString());
    if (src < 0)
        throw UseCaseError(QStringLiteral("--from %1: the model does not know this language (it knows: %2)")
                               .arg(from, knownLanguages(tasks())));
    const int pair = tasks().pairId(src, tgt);
    if (pair < 0) {
        if (needsPair)
            throw UseCaseError(QStringLiteral("the model was not trained on %1-%2 and routes by language pair").arg(from, to));
        return {tgt, 0};
    }
    return {tgt, pair};
}

QJsonObject decodeOptionsJson(const core::DecodeOptions &o)
{
    return {{QStringLiteral("beam"), o.beam},
            {QStringLiteral("length_penalty"), o.lengthPenalty},
            {QStringLiteral("max_length_ratio"), o.maxLengthRatio},
            {QStringLiteral("max_length_extra"), o.maxLengthExtra},
            {QStringLiteral("capacity_factor"), o.capacityFactor},
            {QStringLiteral("batch_size"), o.batchSize}};
}

} // namespace taskmoe::usecases
