#include "usecases/models.h"

#include "usecases/common.h"
#include "core/model/transformer.h"
#include "db/store.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
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
void finishLoading(TranslationModel &m, bool requireSentencePiece = true)
{
    if (m.loaded.info.sentencePiece.empty() && !requireSentencePiece)
        return;
    if (m.loaded.info.sentencePiece.empty())
        throw UseCaseError(QStringLiteral("%1: the model file does not embed its SentencePiece model, which translation "
                                          "needs").arg(m.path));
    m.spm.emplace(core::SentencePieceModel::fromBytes(m.loaded.info.sentencePiece));
}

} // namespace

CheckpointChoice parseCheckpointChoice(const QString &text)
{
    CheckpointChoice choice;
    if (text.isEmpty())
        return choice;
    if (text == QLatin1String("best")) {
        choice.kind = CheckpointChoice::Kind::Best;
        return choice;
    }
    bool ok = false;
    choice.step = text.toLongLong(&ok);
    if (!ok || choice.step < 0)
        throw UseCaseError(QStringLiteral("--checkpoint must be a step, or best (got '%1')").arg(text));
    choice.kind = CheckpointChoice::Kind::Step;
    return choice;
}

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

TranslationModel loadStoredModel(const db::Store &store, qint64 modelId, db::ModelRecord *record)
{
    db::ModelRecord row;
    for (const auto &candidate : store.models())
        if (candidate.id == modelId)
            row = candidate;
    if (row.id == 0)
        throw UseCaseError(QStringLiteral("the store has no model %1 (`taskmoe models` lists them)").arg(modelId));
    if (!QFileInfo::exists(row.path))
        throw UseCaseError(QStringLiteral("%1: the file of model %2 is missing").arg(row.path).arg(modelId));
    TranslationModel m = loadModelFile(row.path);
    if (qs(m.loaded.sha256) != row.sha256)
        throw UseCaseError(QStringLiteral("%1: the file's SHA-256 differs from the one recorded for model %2 (was it "
                                          "replaced?)").arg(row.path).arg(modelId));
    if (row.runId > 0) {
        m.run = store.run(row.runId);
        for (const auto &c : store.checkpoints(row.runId))
            if (c.id == row.checkpointId)
                m.checkpoint = c;
    }
    m.modelId = row.id;
    if (record)
        *record = row;
    return m;
}

void setParameterCounts(db::ModelRecord &row, const core::ParameterCounts &counts)
{
    row.paramsTotal = counts.total;
    row.paramsEmbedding = counts.embedding;
    row.paramsEncoder = counts.encoder;
    row.paramsDecoder = counts.decoder;
    row.paramsExpert = counts.expert;
    row.paramsActive = counts.activePerToken;
}

ModelRef parseModelRef(const QString &text)
{
    ModelRef ref;
    ref.text = text;
    QString rest = text;
    const bool run = rest.startsWith(QLatin1String("run:"));
    const bool stored = rest.startsWith(QLatin1String("model:"));
    if (run || stored)
        rest = rest.mid(run ? 4 : 6);
    bool numeric = false;
    const QString idText = rest.section(QLatin1Char('@'), 0, 0);
    const qint64 id = idText.toLongLong(&numeric);
    if (!run && !stored && !numeric) {
        ref.path = text;
        return ref;
    }
    if (!numeric || id <= 0)
        throw UseCaseError(QStringLiteral("'%1': expected run:N[@best|@STEP], model:N or a model file").arg(text));
    ref.id = id;
    ref.kind = stored ? ModelRef::Kind::Stored : ModelRef::Kind::Run;
    if (rest.contains(QLatin1Char('@'))) {
        if (stored)
            throw UseCaseError(QStringLiteral("'%1': a stored model is one checkpoint's; @ goes with run:N").arg(text));
        ref.checkpoint = parseCheckpointChoice(rest.section(QLatin1Char('@'), 1));
    }
    return ref;
}

TranslationModel loadModelRef(const db::Store *store, const ModelRef &ref, bool requireSentencePiece)
{
    if (ref.kind != ModelRef::Kind::File && !store)
        throw UseCaseError(QStringLiteral("'%1' names a run or model of a store: give the store with --db").arg(ref.text));
    switch (ref.kind) {
    case ModelRef::Kind::Run: {
        TranslationModel m = loadRunModel(*store, ref.id, ref.checkpoint);
        for (const auto &row : store->models())
            if (row.checkpointId == m.checkpoint.id && row.kind == QLatin1String("full"))
                m.modelId = row.id;
        return m;
    }
    case ModelRef::Kind::Stored:
        return loadStoredModel(*store, ref.id);
    case ModelRef::Kind::File:
        break;
    }
    TranslationModel m;
    m.path = ref.path;
    m.loaded = core::loadModel(ref.path.toStdString());
    finishLoading(m, requireSentencePiece);
    if (store) {
        const QString absolute = QFileInfo(ref.path).absoluteFilePath();
        for (const auto &row : store->models())
            if (QFileInfo(row.path).absoluteFilePath() == absolute && row.sha256 == qs(m.loaded.sha256)) {
                m.modelId = row.id;
                if (row.runId > 0)
                    m.run = store->run(row.runId);
            }
    }
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

DirectionSentences directionSentences(const db::Store &store, const db::DatasetRecord &dataset, const std::string &src,
                                      const std::string &tgt, const QString &split, qint64 limit)
{
    const db::DatasetPairRecord *record = nullptr;
    bool reversed = false;
    for (const auto &dp : dataset.pairs) {
        if (dp.srcLang == qs(src) && dp.tgtLang == qs(tgt))
            record = &dp;
        else if (dp.srcLang == qs(tgt) && dp.tgtLang == qs(src))
            record = &dp, reversed = true;
    }
    if (!record)
        throw UseCaseError(QStringLiteral("dataset %1 has no %2-%3 pair").arg(dataset.id).arg(qs(src), qs(tgt)));
    DirectionSentences out;
    out.resourceClass = record->resourceClass;
    for (const auto &row : store.segments(record->id, split)) {
        if (limit > 0 && qint64(out.sources.size()) >= limit)
            break;
        out.sources.push_back((reversed ? row.tgt : row.src).toStdString());
        out.references.push_back((reversed ? row.src : row.tgt).toStdString());
    }
    return out;
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
