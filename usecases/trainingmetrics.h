#pragma once
/// What a training run stores at each progress report: the metric rows of the training loss
/// and its parts, the MoE layers' load statistics, every rank's timing in runs on several
/// processes, and the dev evaluation — the keys the runs panel and `taskmoe metrics` read.
#include "core/train/trainer.h"
#include "db/records.h"

#include <vector>

namespace taskmoe::usecases {

/// The rows of report `p` of run `runId`, stamped `wall` (seconds since the Unix epoch).
/// Keys: loss, ce, balance, lr, grad_norm, tokens_per_s, elapsed_s; LAYER.entropy / max_load /
/// mean_load / dropped; rank.R.step_ms / comm_ms / comm_share, comm_share (the mean over ranks),
/// comm_mb_per_step (summed), exchange_share, exchange_mb_per_step, moved_share; dev_loss,
/// dev_eval_s, dev_bleu, dev_bleu.PAIR.
std::vector<db::MetricPoint> progressMetrics(qint64 runId, const core::TrainProgress &p, double wall);

} // namespace taskmoe::usecases
