#include "usecases/trainingdata.h"

#include "usecases/datasets.h"
#include "core/data/sentencepiece.h"
#include "db/store.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <set>
#include <string>
#include <vector>

namespace taskmoe::usecases {

namespace {

QString gigabytes(std::int64_t bytes)
{
    return QString::number(double(bytes) / double(1 << 30), 'f', 1) + QStringLiteral(" GiB");
}

} // namespace

void checkTrainingMemory(const core::TrainConfig &config, std::int64_t available, std::int64_t total)
{
    const core::MemoryEstimate need = core::estimateTrainingMemory(config);
    // A margin for what the estimate leaves out (allocator slack, the data, other programs).
    if (available <= 0 || double(need.total()) <= 0.9 * double(available))
        return;
    throw UseCaseError(
        QStringLiteral("this configuration needs about %1 to train (%2 parameters: %3 for weights, gradients and "
                       "optimiser state; %4 of activations for train.batch_tokens = %5), more than 90% of the %6 this "
                       "machine has available (%7 in all); make model.experts, model.d_ff, model.d_model, "
                       "model.vocab_size or train.batch_tokens smaller")
            .arg(gigabytes(need.total()))
            .arg(double(need.parameters), 0, 'g', 3)
            .arg(gigabytes(need.parameterBytes), gigabytes(need.activationBytes))
            .arg(config.train.batchTokens)
            .arg(gigabytes(available), gigabytes(total)));
}

PreparedData prepareTrainingData(db::Store &store, core::TrainConfig &config, int threads, const Notes &notes)
{
    PreparedData prepared;
    prepared.datasetId = config.data.dataset > 0 ? config.data.dataset : ensureNamedDataset(store, config.data.corpus, notes);
    const db::DatasetRecord dataset = store.dataset(prepared.datasetId);  // throws naming the id when absent

    db::VocabularyRecord vocabulary;
    if (config.data.vocabulary > 0) {
        vocabulary = store.vocabulary(config.data.vocabulary);
        if (vocabulary.datasetId != dataset.id)
            throw UseCaseError(QStringLiteral("data.vocabulary %1 belongs to dataset %2, not to data.dataset %3")
                                   .arg(vocabulary.id).arg(vocabulary.datasetId).arg(dataset.id));
    } else {
        // The newest vocabulary trained for this size, else a new one.
        for (const auto &v : store.vocabularies(dataset.id)) {
            const auto requested = QJsonDocument::fromJson(v.paramsJson.toUtf8()).object().value(QStringLiteral("requested_size")).toInteger();
            if (requested == config.model.vocabSize)
                vocabulary = store.vocabulary(v.id);
        }
        if (vocabulary.id == 0) {
            VocabRequest request;
            request.options.vocabSize = static_cast<int>(config.model.vocabSize);
            request.options.threads = threads;
            request.temperature = config.data.temperature;
            vocabulary = trainVocabulary(store, dataset, request, notes);
        }
    }
    prepared.vocabularyId = vocabulary.id;
    const auto spm = core::SentencePieceModel::fromBytes(vocabulary.model.toStdString());
    config.model.vocabSize = spm.size();
    prepared.data.sentencePiece = spm.bytes();

    // Tasks: every language is a possible target; pairs in the directions asked for.
    std::set<std::string> codes;
    for (const auto &l : dataset.languages)
        codes.insert(l.code.toStdString());
    auto &tasks = prepared.data.tasks;
    tasks.languages.assign(codes.begin(), codes.end());
    struct Direction { const db::DatasetPairRecord *pair; bool reversed; };
    std::vector<Direction> directions;
    for (const auto &p : dataset.pairs) {
        const bool fromPivot = p.srcLang == QLatin1String("en");
        const bool forward = config.data.directions == "both" || (config.data.directions == "en-xx") == fromPivot;
        const bool backward = config.data.directions == "both" || (config.data.directions == "xx-en") == fromPivot;
        if (forward)
            directions.push_back({&p, false});
        if (backward)
            directions.push_back({&p, true});
    }
    const auto encodeTask = [&](const Direction &d, const QString &split) {
        const std::string src = (d.reversed ? d.pair->tgtLang : d.pair->srcLang).toStdString();
        const std::string tgt = (d.reversed ? d.pair->srcLang : d.pair->tgtLang).toStdString();
        core::TrainTask task;
        task.name = src + "-" + tgt;
        task.targetLang = tasks.languageId(tgt);
        int pairId = tasks.pairId(tasks.languageId(src), task.targetLang);
        if (pairId < 0) {
            tasks.pairs.emplace_back(tasks.languageId(src), task.targetLang);
            pairId = static_cast<int>(tasks.pairs.size()) - 1;
        }
        task.pair = pairId;
        const int tag = spm.pieceToId(core::targetToken(tgt));
        const bool keepReferences = split == QLatin1String("dev");  // dev BLEU scores against the real text
        for (const auto &row : store.segments(d.pair->id, split)) {
            core::TrainExample e;
            e.src.push_back(tag);
            for (const int id : spm.encode((d.reversed ? row.tgt : row.src).toStdString()))
                e.src.push_back(id);
            for (const int id : spm.encode((d.reversed ? row.src : row.tgt).toStdString()))
                e.tgt.push_back(id);
            if (std::int64_t(e.src.size()) + 1 > config.data.maxLength || std::int64_t(e.tgt.size()) + 1 > config.data.maxLength)
                continue;
            task.examples.push_back(std::move(e));
            if (keepReferences)
                task.references.push_back((d.reversed ? row.src : row.tgt).toStdString());
        }
        return task;
    };
    for (const auto &d : directions) {
        auto train = encodeTask(d, QStringLiteral("train"));
        if (train.examples.empty())
            continue;
        prepared.data.train.push_back(std::move(train));
        auto dev = encodeTask(d, QStringLiteral("dev"));
        if (!dev.examples.empty())
            prepared.data.dev.push_back(std::move(dev));
    }
    if (prepared.data.train.empty())
        throw UseCaseError(QStringLiteral("dataset %1 has no training sentence of at most data.max_length = %2 pieces")
                               .arg(dataset.id).arg(config.data.maxLength));
    config.model.numLanguages = std::int64_t(tasks.languages.size());
    config.model.numPairs = std::int64_t(tasks.pairs.size());
    config.model.validate();
    return prepared;
}

} // namespace taskmoe::usecases
