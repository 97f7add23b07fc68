#pragma once
/// A trained model ready to translate: the checkpoint of a run (newest, best or a given step)
/// or a model file, loaded and checked, with its SentencePiece model, and how requests are
/// built for it. Evaluation, translation, routing traces and benchmarks all start here.
#include "core/decoding/decoding.h"
#include "core/model/parametercounts.h"
#include "usecases/modelrecords.h"
#include "core/model/modelfile.h"
#include "core/data/sentencepiece.h"
#include "db/records.h"

#include <QJsonObject>
#include <QStringList>
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

/// "best", a step, or empty (the newest) as a CheckpointChoice; throws UseCaseError naming
/// --checkpoint for anything else.
CheckpointChoice parseCheckpointChoice(const QString &text);

/// The checkpoint `choice` names. Throws UseCaseError when the run has none, no dev BLEU yet
/// (best), or no checkpoint at that step (the message lists the steps it has). `bestDevBleu`
/// receives the dev BLEU of a best checkpoint.
db::CheckpointRecord chooseCheckpoint(const db::Store &store, qint64 runId, const CheckpointChoice &choice,
                                      double *bestDevBleu = nullptr);

struct TranslationModel
{
    core::LoadedModel loaded;
    std::optional<core::SentencePieceModel> spm;   ///< empty only when loaded without one (benchmarks)
    db::CheckpointRecord checkpoint;   ///< id 0 for a model file
    db::RunRecord run;                 ///< id 0 for a model file
    qint64 modelId = 0;                ///< the store's model, when it is one
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
/// Loads a model the store registered (a sub-network or student file), checking that the file
/// is the one recorded (SHA-256); `run` and `checkpoint` are its source's. `record` receives
/// the store's row.
TranslationModel loadStoredModel(const db::Store &store, qint64 modelId, db::ModelRecord *record = nullptr);
/// `row`'s parameter columns from counts computed on the loaded model.
void setParameterCounts(db::ModelRecord &row, const core::ParameterCounts &counts);

/// A model as a list or command line names it: "run:7" or "7" (the run's newest checkpoint),
/// "run:7@best", "run:7@1500", "model:12" (a model of the store), anything else a model file.
struct ModelRef
{
    enum class Kind { Run, Stored, File };
    Kind kind = Kind::File;
    qint64 id = 0;                     ///< run or model id
    CheckpointChoice checkpoint;       ///< for a run
    QString path;                      ///< for a file
    QString text;                      ///< as written
};
/// Throws UseCaseError naming the text when a run or model reference is malformed.
ModelRef parseModelRef(const QString &text);
/// Loads `ref`. `store` may be null for a file (then no model id is found for it). Without
/// `requireSentencePiece`, a file without an embedded SentencePiece model loads too (random
/// models for speed measurements).
TranslationModel loadModelRef(const db::Store *store, const ModelRef &ref, bool requireSentencePiece = true);


/// The sentences of one direction of a dataset's split, read from whichever direction the
/// dataset stores the pair in.
struct DirectionSentences
{
    std::vector<std::string> sources, references;
    QString resourceClass;             ///< the pair's class in the dataset: high or low
};
/// At most `limit` sentences (0: all) of `src`→`tgt` in `split`. Throws UseCaseError when the
/// dataset has no such pair.
DirectionSentences directionSentences(const db::Store &store, const db::DatasetRecord &dataset, const std::string &src,
                                      const std::string &tgt, const QString &split, qint64 limit = 0);

/// Decoding settings as stored with scores and printed with traces: beam, length_penalty,
/// max_length_ratio, max_length_extra, capacity_factor, batch_size.
QJsonObject decodeOptionsJson(const core::DecodeOptions &options);

} // namespace taskmoe::usecases
