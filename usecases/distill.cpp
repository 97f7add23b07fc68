#include "usecases/distill.h"

#include "core/base/errors.h"
#include "core/model/modelfile.h"
#include "db/store.h"

#include <QFileInfo>

namespace taskmoe::usecases {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

} // namespace

StudentPlan planStudent(const db::Store &store, const DistillRequest &request)
{
    StudentPlan plan;
    for (const auto &run : store.runs())
        if (run.id == request.teacherRunId)
            plan.teacher = run;
    if (plan.teacher.id == 0)
        throw UseCaseError(QStringLiteral("--teacher %1: the store has no such run").arg(request.teacherRunId));
    if (plan.teacher.kind != QLatin1String("train"))
        throw UseCaseError(QStringLiteral("--teacher %1: a %2 run cannot teach; a teacher is a finished training run")
                               .arg(plan.teacher.id).arg(plan.teacher.kind));
    if (plan.teacher.status != db::RunStatus::Finished)
        throw UseCaseError(QStringLiteral("--teacher %1 is not finished (it is %2): distil from a finished run")
                               .arg(plan.teacher.id).arg(db::runStatusName(plan.teacher.status)));
    if (!(request.alpha >= 0 && request.alpha <= 1))
        throw UseCaseError(QStringLiteral("--alpha must be between 0 and 1 (got %1)").arg(request.alpha));
    if (request.sequenceSentences < 0)
        throw UseCaseError(QStringLiteral("--sequence-level must be 0 or a number of sentences per direction"));

    CheckpointChoice choice;
    if (request.checkpoint)
        choice = *request.checkpoint;
    else if (store.bestCheckpoint(plan.teacher.id))
        choice.kind = CheckpointChoice::Kind::Best;
    plan.teacherCheckpoint = chooseCheckpoint(store, plan.teacher.id, choice);
    const QString path = QFileInfo(plan.teacherCheckpoint.path).absoluteFilePath();
    if (!QFileInfo::exists(path))
        throw UseCaseError(QStringLiteral("%1: the teacher's checkpoint at step %2 is missing")
                               .arg(path).arg(plan.teacherCheckpoint.step));
    core::ModelFileInfo info;
    std::string sha;
    try {
        info = core::readModelFileInfo(path.toStdString(), &sha);
    } catch (const core::InputError &e) {
        throw UseCaseError(QStringLiteral("the teacher's checkpoint: %1").arg(QString::fromUtf8(e.what())));
    }
    if (qs(sha) != plan.teacherCheckpoint.sha256)
        throw UseCaseError(QStringLiteral("%1: the file's SHA-256 differs from the one recorded for run %2's checkpoint at "
                                          "step %3 (was it replaced?)").arg(path).arg(plan.teacher.id)
                               .arg(plan.teacherCheckpoint.step));

    core::TrainConfig teacherConfig;
    try {
        teacherConfig = core::parseTrainConfig(plan.teacher.configJson.toStdString(),
                                               "run " + std::to_string(plan.teacher.id));
    } catch (const core::InputError &e) {
        throw UseCaseError(QString::fromUtf8(e.what()));
    }

    core::TrainConfig student = request.student;
    student.data = teacherConfig.data;                 // the teacher's sentences and vocabulary
    student.model.vocabSize = info.options.vocabSize;
    if (student.model.maxLength < student.data.maxLength)
        throw UseCaseError(QStringLiteral("the student's model.max_length %1 is shorter than the teacher's data.max_length "
                                          "%2").arg(student.model.maxLength).arg(student.data.maxLength));
    student.train.distillAlpha = request.alpha;
    student.train.teacher = path.toStdString();
    student.train.sequenceDistill = request.sequenceSentences;
    try {   // every check of a configuration, the distillation keys' included
        student = core::parseTrainConfig(core::trainConfigToJson(student), "the student's configuration");
    } catch (const core::InputError &e) {
        throw UseCaseError(QString::fromUtf8(e.what()));
    }
    // The same estimate for both, so that the comparison is of shapes, not of counting rules.
    core::TrainConfig teacherShape = student;
    teacherShape.model = info.options;
    plan.teacherParameters = core::estimateTrainingMemory(teacherShape).parameters;
    plan.studentParameters = core::estimateTrainingMemory(student).parameters;
    if (plan.studentParameters > plan.teacherParameters)
        throw UseCaseError(QStringLiteral("the student (%1 parameters) is bigger than its teacher (%2): a student is a "
                                          "smaller model").arg(plan.studentParameters).arg(plan.teacherParameters));
    plan.config = student;
    return plan;
}

} // namespace taskmoe::usecases
