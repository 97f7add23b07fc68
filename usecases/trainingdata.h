#pragma once
/// Getting a training run's data ready: the dataset data.corpus or data.dataset names (made or
/// imported on first use), its vocabulary (trained on first use), every direction's sentences
/// encoded into tasks, and the check that the configuration fits in this machine's memory.
#include "core/config/trainconfig.h"
#include "core/train/trainer.h"
#include "usecases/common.h"

#include <QtGlobal>

namespace taskmoe::db {
class Store;
}

namespace taskmoe::usecases {

/// Everything the training loop needs from the store.
struct PreparedData
{
    core::TrainData data;
    qint64 datasetId = 0;
    qint64 vocabularyId = 0;
};

/// Prepares the data of `config` and completes it: model.vocab_size becomes the trained
/// vocabulary's size, model.num_languages and num_pairs the dataset's. Throws UseCaseError when
/// the vocabulary belongs to another dataset or no sentence fits data.max_length.
PreparedData prepareTrainingData(db::Store &store, core::TrainConfig &config, int threads, const Notes &notes = {});

/// Refuses (UseCaseError with the estimate and what the machine has) a configuration whose
/// estimated training memory exceeds 90% of the memory available: a run the kernel kills
/// later leaves an interrupted run behind and can take the machine's other work with it.
/// `available` and `total` are in bytes (0: unknown, nothing is refused).
void checkTrainingMemory(const core::TrainConfig &config, std::int64_t available, std::int64_t total);

} // namespace taskmoe::usecases
