#pragma once
/// Store-level dataset work shared by `corpus` and `train`: registering a corpus (split and
/// fingerprinted) and training a shared vocabulary from a stored dataset.
#include "core/data/corpus.h"
#include "core/data/sentencepiece.h"
#include "core/data/synth/synth.h"
#include "db/records.h"
#include "usecases/common.h"

#include <QJsonObject>
#include <QString>

#include <optional>
#include <string>
#include <vector>

namespace taskmoe::db {
class Store;
}

namespace taskmoe::usecases {

struct StoredCorpus
{
    qint64 id = 0;
    bool existed = false;   ///< the store already held exactly this content (nothing added)
};

/// Splits, fingerprints and stores a corpus in one transaction (or finds the identical one).
StoredCorpus storeCorpus(db::Store &store, const core::Corpus &corpus, const core::SplitOptions &split,
                         qint64 resourceThreshold, const QString &name, QJsonObject params);

/// The synthetic generator's options of a profile, "quick" or "full"; nothing for another name.
std::optional<core::SynthOptions> synthProfile(const QString &profile);

/// The parameters stored with a synthetic dataset: {"generator": {"profile", "seed", …}}.
/// `profile` is "quick", "full", or "custom" when an option changed the profile.
QJsonObject synthParams(const core::SynthOptions &options, const QString &profile);

/// The store's newest synthetic dataset generated with `profile` ("quick" or "full"), or with
/// an empty profile the newest synthetic dataset of any kind; generated (quick when no profile
/// is asked for) when there is none.
qint64 ensureSyntheticDataset(db::Store &store, const std::string &profile, const Notes &notes = {});

/// The languages the gettext corpus of data.corpus = "gettext" is imported with, from
/// /usr/share/locale, when the store has no gettext dataset yet.
const std::vector<std::string> &defaultGettextLanguages();

/// The dataset data.corpus names: "quick", "full" or "" as ensureSyntheticDataset(); "gettext"
/// the newest gettext import, imported from the system's catalogs when there is none.
qint64 ensureNamedDataset(db::Store &store, const std::string &corpus, const Notes &notes = {});

struct VocabRequest
{
    core::VocabTrainOptions options;   ///< targetLanguages are filled from the dataset
    double temperature = 5.0;          ///< sampling over pairs, as in training
    std::size_t sentencePairs = 100000;
};

/// Trains a shared SentencePiece vocabulary on temperature-sampled training text of the
/// dataset, with a <2xx> symbol for every language, and stores it. Returns the stored record
/// (with the model bytes).
db::VocabularyRecord trainVocabulary(db::Store &store, const db::DatasetRecord &dataset, VocabRequest request,
                                     const Notes &notes = {});

} // namespace taskmoe::usecases
