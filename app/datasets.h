#pragma once
/// Store-level dataset work shared by `corpus` and `train`: registering a corpus (split and
/// fingerprinted) and training a shared vocabulary from a stored dataset.
#include "core/corpus.h"
#include "core/sentencepiece.h"
#include "db/records.h"

#include <QJsonObject>
#include <QString>

namespace taskmoe::db {
class Store;
}

namespace taskmoe::app {

struct StoredCorpus
{
    qint64 id = 0;
    bool existed = false;   ///< the store already held exactly this content (nothing added)
};

/// Splits, fingerprints and stores a corpus in one transaction (or finds the identical one).
StoredCorpus storeCorpus(db::Store &store, const core::Corpus &corpus, const core::SplitOptions &split,
                         qint64 resourceThreshold, const QString &name, QJsonObject params);

/// The store's synthetic dataset (the newest), generated with default options if there is none.
qint64 ensureSyntheticDataset(db::Store &store);

struct VocabRequest
{
    core::VocabTrainOptions options;   ///< targetLanguages are filled from the dataset
    double temperature = 5.0;          ///< sampling over pairs, as in training
    std::size_t sentencePairs = 100000;
};

/// Trains a shared SentencePiece vocabulary on temperature-sampled training text of the
/// dataset, with a <2xx> symbol for every language, and stores it. Returns the stored record
/// (with the model bytes).
db::VocabularyRecord trainVocabulary(db::Store &store, const db::DatasetRecord &dataset, VocabRequest request);

} // namespace taskmoe::app
