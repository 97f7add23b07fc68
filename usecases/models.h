#pragma once
/// A trained model ready to translate: the checkpoint of a run (newest, best or a given step)
/// or a model file, loaded and checked, with its SentencePiece model, and how requests are
/// built for it. Evaluation, translation, routing traces and benchmarks all start here.
#include "core/decoding/decoding.h"
#include "core/model/modelfile.h"
#include "core/data/sentencepiece.h"
#include "db/records.h"

#include <QJsonObject>
#include <QString>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace taskmoe::db {
class Store;
}

namespace taskmoe::usecases {

/// Which checkpoint of a run: the newest, the best (highest dev BLEU), or the one at a step.
struct CheckpointChoice
{
    enum class Kind { Newest, Best, Step };
    Kind kind = Kind::Newest;
    qint64 step = 0;
};

/// The checkpoint `choice` names. Throws UseCaseError when the run has none, no dev BLEU yet
/// (best), or no checkpoint at that step (the message lists the steps it has). `bestDevBleu`
/// receives the dev BLEU of a best checkpoint.
db::CheckpointRecord chooseCheckpoint(const db::Store &store, qint64 runId, const CheckpointChoice &choice,
                                      double *bestDevBleu = nullptr);

struct TranslationModel
{
    core::LoadedModel loaded;
    std::optional<core::SentencePieceModel> spm;
    db::CheckpointRecord checkpoint;   ///< id 0 for a model file
    db::RunRecord run;                 ///< id 0 for a model file
    QString path;

    const core::TaskTable &tasks() const { return loaded.info.tasks; }
    /// <2xx> + pieces of `text`. A sentence longer than the model's positions is cut to fit
    /// (as Marian's --max-length-crop does) and counted in `cropped`, so that a test set
    /// keeps every line.
    core::DecodeRequest request(const std::string &text, int targetLang, int pair, int *cropped = nullptr) const;
    std::string detokenize(const std::vector<std::int32_t> &tokens) const;
    /// Task ids (target language, pair) of a direction; `from` may be empty when the model
    /// does not route by pair. Throws UseCaseError naming --from/--to and the known languages.
    std::pair<int, int> direction(const QString &from, const QString &to) const;
};

/// Loads run `runId`'s chosen checkpoint, checking that the file is there and is the one the
/// store recorded (SHA-256).
TranslationModel loadRunModel(const db::Store &store, qint64 runId, const CheckpointChoice &choice,
                              double *bestDevBleu = nullptr);
/// Loads a model file.
TranslationModel loadModelFile(const QString &path);

/// Decoding settings as stored with scores and printed with traces: beam, length_penalty,
/// max_length_ratio, max_length_extra, capacity_factor, batch_size.
QJsonObject decodeOptionsJson(const core::DecodeOptions &options);

} // namespace taskmoe::usecases
