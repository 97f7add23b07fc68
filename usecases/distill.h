#pragma once
/// Distilled students: a dense student trained on its teacher's data and vocabulary, with the
/// teacher's per-token distribution mixed into the reference (word-level distillation,
/// train.distill_alpha) and optionally the teacher's beam translations of a sample of the
/// training sources as targets (sequence-level, train.sequence_distill). The student is an
/// ordinary run of kind `student` whose parent is the teacher run, resumable like any run; this
/// use case checks the request and writes the student's configuration.
#include "usecases/common.h"
#include "usecases/models.h"

#include "core/config/trainconfig.h"

namespace taskmoe::db {
class Store;
}

namespace taskmoe::usecases {

struct DistillRequest
{
    qint64 teacherRunId = 0;
    /// The teacher's checkpoint; by default the best (highest dev BLEU), else the newest.
    std::optional<CheckpointChoice> checkpoint;
    core::TrainConfig student;         ///< the student preset with the user's overrides
    double alpha = 0.5;                ///< weight of the teacher's distribution
    qint64 sequenceSentences = 0;      ///< per direction; 0: word level only
};

struct StudentPlan
{
    core::TrainConfig config;          ///< what the student run trains
    db::RunRecord teacher;
    db::CheckpointRecord teacherCheckpoint;
    qint64 teacherParameters = 0, studentParameters = 0;
};

/// The student's configuration: its model from the request, the teacher's data section
/// (dataset, vocabulary, directions, lengths), its vocabulary size, and the distillation keys.
/// Throws UseCaseError for an unknown teacher, a teacher that is not a finished training run,
/// a student with more parameters than its teacher, an alpha outside [0, 1], or a checkpoint
/// that is missing or fails its checksum.
StudentPlan planStudent(const db::Store &store, const DistillRequest &request);

} // namespace taskmoe::usecases
