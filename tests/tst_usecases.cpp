// The use cases both programs call, without starting a process: preparing a run's data (a
// stored dataset, its vocabulary trained on first use, every direction encoded), refusing a
// configuration that does not fit in memory, and evaluating a trained checkpoint (scores per
// pair, the paper's aggregates and routing statistics in the store; progress per pair; bad
// requests refused with a sentence naming what is wrong and nothing stored), and extracting
// sub-networks from it (task-routed layers folded exactly on the whole test split, token-routed
// ones pruned by the stored routing statistics; sub-networks evaluated like checkpoints).
#include "core/config/trainconfig.h"
#include "core/data/synth/synth.h"
#include "core/model/backend.h"
#include "core/train/trainer.h"
#include "db/store.h"
#include "usecases/common.h"
#include "usecases/comparison.h"
#include "usecases/datasets.h"
#include "usecases/distill.h"
#include "usecases/evaluate.h"
#include "usecases/extract.h"
#include "usecases/throughput.h"
#include "usecases/training.h"
#include "usecases/trainingdata.h"
#include "usecases/trainingmetrics.h"
#include "usecases/commsummary.h"

#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>

using namespace taskmoe;

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

/// A small synthetic corpus (en-es, en-de) stored as a dataset.
qint64 storeSmallCorpus(db::Store &store)
{
    core::SynthOptions o = core::SynthOptions::quick();
    o.languages = {"es", "de"};
    o.largestPair = 400;
    o.imbalance = 2;
    o.multiwaySentences = 20;
    core::SplitOptions split;
    split.devSize = 20;
    split.testSize = 20;
    split.multiwaySize = o.multiwaySentences;
    return usecases::storeCorpus(store, core::generateSynthetic(o), split, 100, QStringLiteral("small"),
                                 usecases::synthParams(o, QStringLiteral("custom"))).id;
}

/// The tiny preset on that dataset: a vocabulary of 300 pieces, 20 steps.
core::TrainConfig tinyConfig(qint64 dataset)
{
    core::TrainConfig config = core::loadPreset("tiny");
    config.data.dataset = dataset;
    config.model.vocabSize = 300;
    config.train.steps = 20;
    config.train.checkpointEvery = 10;
    config.train.evalEvery = 10;
    return config;
}

} // namespace

class TestUseCases : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_db;
    qint64 m_dataset = 0;
    qint64 m_run = 0;
    qint64 m_model = 0;

private slots:
    void initTestCase()
    {
        core::setThreads(2);
        QVERIFY(m_dir.isValid());
        m_db = m_dir.filePath(QStringLiteral("store.sqlite"));
        db::Store store(m_db);
        m_dataset = storeSmallCorpus(store);
        QVERIFY(m_dataset > 0);
    }

    void preparingDataTrainsTheVocabularyOnceAndEncodesEveryDirection()
    {
        db::Store store(m_db);
        core::TrainConfig config = tinyConfig(m_dataset);
        QStringList notes;
        const auto first = usecases::prepareTrainingData(store, config, 2, [&](const QString &n) { notes << n; });
        QCOMPARE(first.datasetId, m_dataset);
        QVERIFY(first.vocabularyId > 0);
        QVERIFY2(notes.size() == 1 && notes[0].contains(QStringLiteral("300-piece")), qPrintable(notes.join('\n')));
        // en-es, es-en, en-de, de-en; the model learns the dataset's languages and pairs.
        QCOMPARE(first.data.train.size(), std::size_t(4));
        QCOMPARE(first.data.dev.size(), std::size_t(4));
        QCOMPARE(config.model.numLanguages, std::int64_t(3));
        QCOMPARE(config.model.numPairs, std::int64_t(4));
        QVERIFY(!first.data.dev[0].references.empty());

        notes.clear();
        core::TrainConfig again = tinyConfig(m_dataset);
        const auto second = usecases::prepareTrainingData(store, again, 2, [&](const QString &n) { notes << n; });
        QCOMPARE(second.vocabularyId, first.vocabularyId);   // the same size: the stored vocabulary
        QVERIFY(notes.isEmpty());

        core::TrainConfig tooShort = tinyConfig(m_dataset);
        tooShort.data.maxLength = 2;
        const std::string error = [&] {
            try {
                usecases::prepareTrainingData(store, tooShort, 2);
            } catch (const usecases::UseCaseError &e) {
                return std::string(e.what());
            }
            return std::string();
        }();
        QVERIFY2(error.find("data.max_length = 2") != std::string::npos, error.c_str());
    }

    void aConfigurationThatDoesNotFitIsRefusedWithItsEstimate()
    {
        core::TrainConfig config = core::loadPreset("tiny");
        config.model.experts = 100000;
        const qint64 gib = qint64(1) << 30;
        try {
            usecases::checkTrainingMemory(config, 4 * gib, 8 * gib);
            QFAIL("not refused");
        } catch (const usecases::UseCaseError &e) {
            const QString message = QString::fromUtf8(e.what());
            QVERIFY2(message.contains(QStringLiteral("needs about")) && message.contains(QStringLiteral("4.0 GiB"))
                         && message.contains(QStringLiteral("model.experts")),
                     qPrintable(message));
        }
        usecases::checkTrainingMemory(config, 0, 0);   // unknown memory: nothing to refuse on
        usecases::checkTrainingMemory(core::loadPreset("tiny"), 4 * gib, 8 * gib);
    }

    void evaluatingStoresScoresAggregatesAndRouting()
    {
        db::Store store(m_db);
        core::TrainConfig config = tinyConfig(m_dataset);
        const auto prepared = usecases::prepareTrainingData(store, config, 2);
        db::RunRecord run;
        run.kind = QStringLiteral("train");
        run.datasetId = prepared.datasetId;
        run.configJson = qs(core::trainConfigToJson(config));
        run.status = db::RunStatus::Running;
        m_run = store.addRun(run);
        core::TrainHooks hooks;
        hooks.checkpoint = [&](const core::CheckpointInfo &c) {
            store.addCheckpoint({0, m_run, c.step, qs(c.modelPath), qs(c.modelSha256), c.modelBytes, {}});
        };
        core::train(config, prepared.data, db::Store::runFolder(m_db, m_run).toStdString(), "", hooks);
        store.updateRunStatus(m_run, db::RunStatus::Finished);

        usecases::EvaluateRequest request;
        request.runId = m_run;
        request.limit = 5;
        request.decoding.beam = 1;
        int startedPairs = 0;
        std::vector<int> done;
        usecases::EvaluateHooks evalHooks;
        evalHooks.started = [&](const usecases::EvaluationResult &r, int pairs) {
            QCOMPARE(r.checkpoint.step, qint64(20));   // the newest checkpoint
            startedPairs = pairs;
        };
        evalHooks.pairDone = [&](const usecases::PairScore &s, int n, int total) {
            QCOMPARE(s.sentences, qint64(5));
            QCOMPARE(total, 4);
            done.push_back(n);
        };
        const auto result = usecases::evaluate(store, request, evalHooks);
        QCOMPARE(startedPairs, 4);
        QCOMPARE(done, (std::vector<int>{1, 2, 3, 4}));
        QCOMPARE(result.pairs.size(), std::size_t(4));
        QStringList aggregates;
        for (const auto &a : result.aggregates)
            aggregates << a.name;
        // Both pairs are high-resource at a threshold of 100 training sentences.
        QCOMPARE(aggregates, (QStringList{"average", "xx-en", "en-xx", "high"}));
        double sum = 0;
        for (const auto &p : result.pairs)
            sum += p.bleu.score;
        QCOMPARE(result.aggregates.front().bleu, sum / 4);

        // In the store: 2 metrics × (4 pairs + 4 aggregates), and the decoder's routing per pair.
        QVERIFY(result.modelId > 0);
        m_model = result.modelId;
        const auto rows = store.evaluations(result.modelId);
        QCOMPARE(rows.size(), 16);
        const auto stats = store.routingStats(result.modelId, 20);
        QVERIFY(!stats.empty());
        std::set<QString> tasks;
        for (const auto &s : stats)
            tasks.insert(s.task);
        QCOMPARE(tasks.size(), std::size_t(4));
    }

    void badRequestsAreRefusedAndStoreNothing()
    {
        QVERIFY(m_run > 0 && m_model > 0);
        db::Store store(m_db);
        const auto before = store.evaluations(m_model).size();
        const auto refused = [&](usecases::EvaluateRequest request) {
            request.runId = request.runId ? request.runId : m_run;
            request.limit = 2;
            try {
                usecases::evaluate(store, request);
            } catch (const usecases::UseCaseError &e) {
                return QString::fromUtf8(e.what());
            }
            return QString();
        };
        usecases::EvaluateRequest unknownPair;
        unknownPair.pairs = {QStringLiteral("en-fr")};
        QVERIFY(refused(unknownPair).contains(QStringLiteral("'en-fr'")));
        usecases::EvaluateRequest best;
        best.checkpoint.kind = usecases::CheckpointChoice::Kind::Best;
        QVERIFY(refused(best).contains(QStringLiteral("no checkpoint with a dev BLEU")));
        usecases::EvaluateRequest noStep;
        noStep.checkpoint.kind = usecases::CheckpointChoice::Kind::Step;
        noStep.checkpoint.step = 15;
        QVERIFY(refused(noStep).contains(QStringLiteral("it has: 10, 20")));
        usecases::EvaluateRequest badSplit;
        badSplit.split = QStringLiteral("train");
        QVERIFY(refused(badSplit).contains(QStringLiteral("--split")));
        QCOMPARE(store.evaluations(m_model).size(), before);
    }

    void extractingFoldsTheDecoderExactlyOnTheWholeTestSplit()
    {
        QVERIFY(m_run > 0);
        db::Store store(m_db);
        usecases::ExtractRequest request;
        request.runId = m_run;
        request.allTasks = true;
        request.verifySentences = 1000;   // more than the split has: all of it
        std::vector<int> done;
        usecases::ExtractHooks hooks;
        hooks.extracted = [&](const usecases::ExtractedModel &, int n, int) { done.push_back(n); };
        const auto result = usecases::extract(store, request, {}, hooks);
        QCOMPARE(done, (std::vector<int>{1, 2, 3}));

        // The decoder routes by target language: one sub-network per target language.
        std::map<QString, usecases::ExtractedModel> byTask;
        for (const auto &m : result.models)
            byTask[m.task] = m;
        QCOMPARE(byTask.size(), std::size_t(3));
        QCOMPARE(byTask.at(QStringLiteral("en")).serves.size(), 2);   // es-en and de-en
        QCOMPARE(byTask.at(QStringLiteral("de")).serves, QStringList{QStringLiteral("en-de")});
        const auto rows = store.models();
        for (const auto &[task, m] : byTask) {
            QVERIFY(m.exact);
            QCOMPARE(m.verifiedSentences, 20 * int(m.serves.size()));
            QCOMPARE(m.identicalOutputs, m.verifiedSentences);
            QVERIFY2(m.maxLogitDifference < 1e-4, qPrintable(QString::number(m.maxLogitDifference)));
            QVERIFY(QFileInfo::exists(m.path));
            QVERIFY(m.parameters.total < result.fullParameters.total);
            const auto row = std::find_if(rows.begin(), rows.end(), [&](const db::ModelRecord &r) { return r.id == m.modelId; });
            QVERIFY(row != rows.end());
            QCOMPARE(row->kind, QStringLiteral("subnetwork"));
            QCOMPARE(row->task, task);
            QCOMPARE(row->runId, m_run);
            QCOMPARE(usecases::servedPairs(row->manifestJson), m.serves);
        }

        // Evaluated like a checkpoint, a sub-network scores what its full model scores.
        usecases::EvaluateRequest sub;
        sub.modelId = byTask.at(QStringLiteral("en")).modelId;
        sub.decoding.beam = 1;
        sub.recordRouting = false;
        const auto subScores = usecases::evaluate(store, sub);
        QCOMPARE(subScores.modelId, sub.modelId);
        QCOMPARE(subScores.pairs.size(), std::size_t(2));
        usecases::EvaluateRequest full;
        full.runId = m_run;
        full.pairs = {QStringLiteral("es-en"), QStringLiteral("de-en")};
        full.decoding.beam = 1;
        full.recordRouting = false;
        const auto fullScores = usecases::evaluate(store, full);
        for (std::size_t i = 0; i < fullScores.pairs.size(); ++i) {
            QCOMPARE(subScores.pairs[i].pair, fullScores.pairs[i].pair);
            QCOMPARE(subScores.pairs[i].bleu.score, fullScores.pairs[i].bleu.score);
        }
        QCOMPARE(store.evaluations(sub.modelId).size(), 2 * (2 + 3));   // 2 pairs + average, xx-en, high

        // Extracting again gives the same file: the same model, its evaluations kept.
        request.allTasks = false;
        request.tasks = {QStringLiteral("de")};
        const auto again = usecases::extract(store, request);
        QCOMPARE(again.models.front().modelId, byTask.at(QStringLiteral("de")).modelId);
    }

    void pruningKeepsTheExpertsTheTaskUsedMost()
    {
        db::Store store(m_db);
        usecases::ExtractRequest request;
        request.runId = m_run;
        request.tasks = {QStringLiteral("en-es")};
        request.keep = 2;
        request.by = usecases::PruneMeasure::Importance;
        const auto result = usecases::extract(store, request);
        QCOMPARE(result.models.size(), std::size_t(1));
        const auto &m = result.models.front();
        QCOMPARE(m.task, QStringLiteral("es"));                  // the decoder routes by target language
        QVERIFY(!m.exact);
        QCOMPARE(m.verifiedSentences, 0);
        QVERIFY(m.path.endsWith(QStringLiteral("-es-keep2-importance.tmf")));
        QCOMPARE(m.layers.size(), std::size_t(2));
        QCOMPARE(m.layers[0].kind, core::SubnetworkLayer::Kind::Pruned);   // the token-routed encoder layer
        QCOMPARE(m.layers[0].experts.size(), std::size_t(2));
        QCOMPARE(m.layers[1].kind, core::SubnetworkLayer::Kind::Folded);
        QCOMPARE(m.parameters.expert * 2, result.fullParameters.encoderExpert);   // 2 of 4 encoder experts

        // The experts kept are the two with the highest importance in the stored statistics.
        qint64 fullModel = 0;
        for (const auto &row : store.models())
            if (row.runId == m_run && row.kind == QLatin1String("full") && row.checkpointId == result.checkpoint.id)
                fullModel = row.id;
        std::vector<std::pair<double, int>> importance;
        for (const auto &s : store.routingStats(fullModel, result.checkpoint.step))
            if (s.side == db::Side::Encoder && s.task == QLatin1String("en-es"))
                importance.push_back({s.top1 > 0 ? double(s.top1) * std::exp(s.top1GateMass / double(s.top1)) : 0.0, s.expert});
        std::stable_sort(importance.begin(), importance.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
        QCOMPARE(importance.size(), std::size_t(4));
        QCOMPARE(m.layers[0].experts, (std::vector<std::int64_t>{importance[0].second, importance[1].second}));

        usecases::EvaluateRequest eval;
        eval.modelId = m.modelId;
        eval.decoding.beam = 1;
        eval.limit = 5;
        QCOMPARE(usecases::evaluate(store, eval).pairs.size(), std::size_t(1));
    }

    void decodingThroughputComparesModelsOnTheSameSentences()
    {
        db::Store store(m_db);
        qint64 sub = 0;
        for (const auto &row : store.models())
            if (row.kind == QLatin1String("subnetwork") && row.task == QLatin1String("de"))
                sub = row.id;
        QVERIFY(sub > 0);
        const auto before = store.benchmarks().size();
        usecases::ThroughputRequest request;
        request.models = {QStringLiteral("run:%1").arg(m_run), QStringLiteral("model:%1").arg(sub)};
        request.batchSizes = {4, 1};
        request.beams = {1, 2};
        request.minSentences = 4;
        int measured = 0;
        usecases::ThroughputHooks hooks;
        hooks.measured = [&](const usecases::ThroughputModel &, const usecases::ThroughputPoint &) { ++measured; };
        const auto result = usecases::measureThroughput(&store, request, {}, hooks);
        QCOMPARE(result.source, QStringLiteral("en-de test sentences"));   // the only pair the sub-network serves
        QCOMPARE(result.models.size(), std::size_t(2));
        QCOMPARE(measured, 8);
        for (const auto &m : result.models) {
            QCOMPARE(m.points.size(), std::size_t(4));
            QCOMPARE(m.points.front().batchSize, 1);   // batch sizes in growing order
            for (const auto &p : m.points) {
                QCOMPARE(p.sentences, 4);
                QVERIFY(p.targetTokens > 0 && p.tokensPerSecond > 0 && p.peakRssBytes > 0);
                QVERIFY(p.encoderMs > 0 && p.decoderMs > 0);
            }
            QVERIFY(m.peak(1) && m.peak(2));
            QVERIFY(m.stopped.isEmpty());
        }
        QCOMPARE(result.models[1].modelId, sub);
        QCOMPARE(result.models[1].kind, QStringLiteral("subnetwork"));
        // The run's checkpoint is a model of the store too, so every row names its model.
        const auto rows = store.benchmarks();
        QCOMPARE(rows.size(), before + 8);
        for (auto it = rows.end() - 8; it != rows.end(); ++it) {
            QCOMPARE(it->kind, QStringLiteral("decode"));
            QVERIFY(it->modelId > 0);
        }

        // Batch sizes stop where the memory they would take is not available, saying so.
        request.memoryBudgetBytes = 1;
        request.models = {QStringLiteral("model:%1").arg(sub)};
        request.beams = {1};
        request.store = false;
        const auto limited = usecases::measureThroughput(&store, request);
        QCOMPARE(limited.models.front().points.size(), std::size_t(1));
        QVERIFY2(limited.models.front().stopped.contains(QStringLiteral("before batch 4")),
                 qPrintable(limited.models.front().stopped));
        QCOMPARE(store.benchmarks().size(), before + 8);

        // Random sources for models without data need one vocabulary and fit the positions.
        request.sourceLength = 500;
        try {
            usecases::measureThroughput(&store, request);
            QFAIL("accepted sources longer than the model's positions");
        } catch (const usecases::UseCaseError &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("positions")), e.what());
        }
    }

    void distillingTrainsAStudentOnItsTeachersDataAndVocabulary()
    {
        db::Store store(m_db);
        usecases::DistillRequest request;
        request.teacherRunId = m_run;
        request.student = tinyConfig(m_dataset);
        request.student.model.encoderRouting = core::Routing::Dense;
        request.student.model.decoderRouting = core::Routing::Dense;
        request.student.model.vocabSize = 8;   // replaced by the teacher's
        request.student.data.directions = "en-xx";   // replaced by the teacher's data section
        request.student.train.steps = 6;
        request.student.train.logEvery = 2;
        request.alpha = 0.7;
        request.sequenceSentences = 3;
        const auto plan = usecases::planStudent(store, request);
        QCOMPARE(plan.teacherCheckpoint.step, qint64(20));   // no dev BLEU: the newest
        QCOMPARE(plan.config.train.teacher, QFileInfo(plan.teacherCheckpoint.path).absoluteFilePath().toStdString());
        QCOMPARE(plan.config.train.distillAlpha, 0.7);
        QCOMPARE(plan.config.train.sequenceDistill, qint64(3));
        QCOMPARE(plan.config.data.directions, std::string("both"));
        QVERIFY(plan.config.model.vocabSize > 8);
        QVERIFY(plan.studentParameters < plan.teacherParameters);

        core::TrainConfig config = plan.config;
        const auto prepared = usecases::prepareTrainingData(store, config, 2);
        db::RunRecord run;
        run.kind = QStringLiteral("student");
        run.parentRunId = m_run;
        run.datasetId = prepared.datasetId;
        run.configJson = qs(core::trainConfigToJson(config));
        run.status = db::RunStatus::Running;
        const qint64 student = store.addRun(run);
        core::TrainHooks hooks;
        std::vector<std::pair<double, double>> losses;   // (loss, ce) per report
        hooks.progress = [&](const core::TrainProgress &p) {
            if (p.hasReport)
                losses.push_back({p.loss, p.ce});
            return true;
        };
        hooks.checkpoint = [&](const core::CheckpointInfo &c) {
            store.addCheckpoint({0, student, c.step, qs(c.modelPath), qs(c.modelSha256), c.modelBytes, {}});
        };
        const auto result = core::train(config, prepared.data, db::Store::runFolder(m_db, student).toStdString(), "", hooks);
        store.updateRunStatus(student, db::RunStatus::Finished);
        QCOMPARE(result.lastStep, qint64(6));
        QVERIFY(!losses.empty());
        for (const auto &[loss, ce] : losses) {
            QVERIFY(std::isfinite(loss));
            QVERIFY2(loss != ce, "the teacher's distribution is part of what the student minimises");
        }

        // Beside its teacher and the sub-networks: with the student as the (dense) baseline, it
        // keeps none of the gain, the full model all of it, an exact sub-network all of it too.
        usecases::EvaluateRequest eval;
        eval.runId = student;
        eval.decoding.beam = 1;
        eval.recordRouting = false;
        usecases::evaluate(store, eval);
        usecases::ComparisonRequest compare;
        compare.runId = m_run;
        compare.denseRunId = student;
        compare.beam = 1;
        const auto c = usecases::compareModels(store, compare);
        std::map<QString, int> kinds;
        for (const auto &r : c.rows)
            ++kinds[r.kind];
        QVERIFY(kinds[QStringLiteral("full")] >= 3 && kinds[QStringLiteral("subnetwork")] >= 3);
        QCOMPARE(kinds[QStringLiteral("pruned")], 1);
        QCOMPARE(kinds[QStringLiteral("student")], kinds[QStringLiteral("full")]);
        for (const auto &r : c.rows) {
            if (r.task != QLatin1String("en"))
                continue;
            QVERIFY2(r.bleu && r.deltaBleu, qPrintable(r.kind));
            if (r.kind == QLatin1String("subnetwork") || r.kind == QLatin1String("full"))
                QCOMPARE(*r.deltaBleu, 0.0);
            if (r.gainKept && r.kind == QLatin1String("student"))
                QCOMPARE(*r.gainKept, 0.0);
            if (r.gainKept && r.kind != QLatin1String("student"))
                QCOMPARE(*r.gainKept, 1.0);
        }
        QVERIFY(c.missing.join(QLatin1Char(' ')).contains(QStringLiteral("taskmoe eval --model")));   // the "de" sub-network
    }

    void badDistillationsAreRefused()
    {
        db::Store store(m_db);
        const auto refused = [&](usecases::DistillRequest request) {
            request.teacherRunId = request.teacherRunId ? request.teacherRunId : m_run;
            if (request.student.model.encoderRouting != core::Routing::Dense)
                request.student = tinyConfig(m_dataset);
            try {
                usecases::planStudent(store, request);
            } catch (const usecases::UseCaseError &e) {
                return QString::fromUtf8(e.what());
            }
            return QString();
        };
        usecases::DistillRequest unknown;
        unknown.teacherRunId = 999;
        QVERIFY(refused(unknown).contains(QStringLiteral("--teacher 999")));
        db::RunRecord running;
        running.kind = QStringLiteral("train");
        running.status = db::RunStatus::Running;
        usecases::DistillRequest unfinished;
        unfinished.teacherRunId = store.addRun(running);
        QVERIFY(refused(unfinished).contains(QStringLiteral("is not finished")));
        usecases::DistillRequest bigger;
        bigger.student = tinyConfig(m_dataset);
        bigger.student.model.encoderRouting = core::Routing::Dense;
        bigger.student.model.decoderRouting = core::Routing::Dense;
        bigger.student.model.dFf = 4096;
        QVERIFY(refused(bigger).contains(QStringLiteral("bigger than its teacher")));
        usecases::DistillRequest alpha;
        alpha.alpha = 1.5;
        QVERIFY(refused(alpha).contains(QStringLiteral("--alpha")));
    }

    void badExtractionsAreRefusedAndRegisterNothing()
    {
        db::Store store(m_db);
        const auto before = store.models().size();
        const auto refused = [&](usecases::ExtractRequest request) {
            request.runId = request.runId ? request.runId : m_run;
            try {
                usecases::extract(store, request);
            } catch (const usecases::UseCaseError &e) {
                return QString::fromUtf8(e.what());
            }
            return QString();
        };
        usecases::ExtractRequest none;
        QVERIFY(refused(none).contains(QStringLiteral("--task")));
        usecases::ExtractRequest unknown;
        unknown.tasks = {QStringLiteral("en-fr")};
        QVERIFY(refused(unknown).contains(QStringLiteral("--task en-fr")));
        usecases::ExtractRequest language;
        language.tasks = {QStringLiteral("fr")};
        QVERIFY(refused(language).contains(QStringLiteral("--task fr")));
        usecases::ExtractRequest tooMany;
        tooMany.tasks = {QStringLiteral("de")};
        tooMany.keep = 5;
        QVERIFY(refused(tooMany).contains(QStringLiteral("--keep 5")));
        usecases::ExtractRequest tooFew;
        tooFew.tasks = {QStringLiteral("de")};
        tooFew.keep = 1;
        QVERIFY(refused(tooFew).contains(QStringLiteral("top_k = 2")));
        usecases::ExtractRequest noStep;
        noStep.tasks = {QStringLiteral("de")};
        noStep.checkpoint.kind = usecases::CheckpointChoice::Kind::Step;
        noStep.checkpoint.step = 15;
        QVERIFY(refused(noStep).contains(QStringLiteral("it has: 10, 20")));
        usecases::ExtractRequest noStats;   // the checkpoint at step 10 was never evaluated
        noStats.tasks = {QStringLiteral("de")};
        noStats.keep = 2;
        noStats.checkpoint.kind = usecases::CheckpointChoice::Kind::Step;
        noStats.checkpoint.step = 10;
        QVERIFY(refused(noStats).contains(QStringLiteral("taskmoe eval --run")));
        QCOMPARE(store.models().size(), before);
    }

    void trainingARunRecordsItAndAStoppedRunResumesToTheEnd()
    {
        db::Store store(m_db);
        std::vector<protocol::JobEvent> events;
        int reports = 0;
        bool stop = false;
        usecases::TrainingHooks hooks;
        hooks.event = [&](const protocol::JobEvent &e) { events.push_back(e); };
        hooks.stopRequested = [&] { return stop; };

        // Stopped after its first report: cancelled, with a checkpoint where it stopped.
        db::RunRecord run;
        run.kind = QStringLiteral("train");
        run.name = QStringLiteral("through the use case");
        hooks.progress = [&](const core::TrainProgress &p) {
            reports += p.hasReport ? 1 : 0;
            stop = reports == 1;
        };
        QCOMPARE(usecases::trainRecordedRun(store, tinyConfig(m_dataset), run, {}, 2, nullptr, hooks), db::RunStatus::Cancelled);
        QVERIFY(events.size() >= 3);
        QCOMPARE(events.front().type, protocol::JobEventType::Started);
        QCOMPARE(events.back().type, protocol::JobEventType::Cancelled);
        const qint64 id = events.front().run;
        const db::RunRecord stored = store.run(id);
        QCOMPARE(stored.status, db::RunStatus::Cancelled);
        QCOMPARE(stored.name, QStringLiteral("through the use case"));
        QVERIFY(stored.configJson.contains(QStringLiteral("\"vocabulary\"")));   // what it trained on, by id
        const auto checkpoints = store.checkpoints(id);
        QCOMPARE(checkpoints.size(), std::size_t(1));
        QCOMPARE(checkpoints[0].step, qint64(6));   // asked at every step: the one after the report

        // Resumed from that checkpoint: the same run goes on to its last step.
        events.clear();
        stop = false;
        reports = 10;
        const std::string state = (checkpoints[0].path.chopped(4) + QStringLiteral(".state")).toStdString();
        QCOMPARE(usecases::trainRecordedRun(store, core::parseTrainConfig(stored.configJson.toStdString(), "run"), stored, state, 2,
                                            nullptr, hooks),
                 db::RunStatus::Finished);
        QVERIFY(*events.front().resumed);
        QCOMPARE(events.back().type, protocol::JobEventType::Finished);
        QCOMPARE(*events.back().step, qint64(20));
        QCOMPARE(store.run(id).status, db::RunStatus::Finished);
        QCOMPARE(store.metrics(id, QStringLiteral("loss")).size(), std::size_t(4));   // every 5 steps
        QCOMPARE(store.checkpoints(id).back().step, qint64(20));
        QFile log(db::Store::runFolder(m_db, id) + QStringLiteral("/train.log"));
        QVERIFY(log.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(log.readAll());
        QVERIFY2(text.contains(QStringLiteral("cancelled at step 6")) && text.contains(QStringLiteral("finished at step 20")),
                 qPrintable(text));

        // A training that fails marks the run failed with the cause, and says it.
        events.clear();
        const std::string missing = db::Store::runFolder(m_db, id).toStdString() + "/no-such.state";
        QString error;
        try {
            usecases::trainRecordedRun(store, core::parseTrainConfig(stored.configJson.toStdString(), "run"), store.run(id), missing,
                                       2, nullptr, hooks);
        } catch (const usecases::UseCaseError &e) {
            error = QString::fromUtf8(e.what());
        }
        QVERIFY2(error.contains(QStringLiteral("no-such.state")), qPrintable(error));
        QCOMPARE(store.run(id).status, db::RunStatus::Failed);
        QCOMPARE(store.run(id).error, error);
        QCOMPARE(events.back().type, protocol::JobEventType::Failed);
    }

    void aReportOfTwoRanksStoresEachRanksTimingAndTheirMeans()
    {
        core::TrainProgress p;
        p.step = 20;
        p.hasReport = true;
        p.loss = 3.5;
        p.layers.push_back({"enc.1", 1.9, 40, 32, 0.05});
        p.ranks.push_back({0.200, 0.050, 4e6, 0.020, 1e6, 3e6});   // step, comm, bytes, exchange, exchange bytes, held
        p.ranks.push_back({0.200, 0.030, 2e6, 0.010, 1e6, 2e6});
        p.movedShare = 0.5;
        std::map<QString, double> v;
        for (const auto &m : usecases::progressMetrics(7, p, 1000.0)) {
            QCOMPARE(m.runId, qint64(7));
            QCOMPARE(m.step, qint64(20));
            v[m.key] = m.value;
        }
        QCOMPARE(v.at("loss"), 3.5);
        QCOMPARE(v.at("enc.1.entropy"), 1.9);
        QCOMPARE(v.at("rank.0.step_ms"), 200.0);
        QCOMPARE(v.at("rank.1.comm_ms"), 30.0);
        QCOMPARE(v.at("rank.0.comm_share"), 0.25);
        QCOMPARE(v.at("comm_share"), 0.2);                     // the mean of 0.25 and 0.15
        QCOMPARE(v.at("comm_mb_per_step"), 6.0);               // both ranks' bytes
        QCOMPARE(v.at("exchange_share"), 0.075);
        QCOMPARE(v.at("exchange_mb_per_step"), 2.0);
        QCOMPARE(v.at("moved_share"), 0.5);
        QCOMPARE(v.at("rank.0.state_mb"), 3.0);
        QCOMPARE(v.at("rank.1.state_mb"), 2.0);
        QVERIFY(!v.count("dev_loss"));
        // One process: no rank keys at all.
        p.ranks.clear();
        p.movedShare = -1;
        for (const auto &m : usecases::progressMetrics(7, p, 1000.0))
            QVERIFY2(!m.key.startsWith("rank.") && !m.key.contains("share"), qPrintable(m.key));
    }

    void aRunsCommunicationIsAveragedAfterItsFirstReport()
    {
        db::Store store(m_dir.filePath(QStringLiteral("comm.sqlite")));
        db::RunRecord run;
        run.kind = QStringLiteral("train");
        run.status = db::RunStatus::Finished;
        const qint64 id = store.addRun(run);
        std::vector<db::MetricPoint> points;
        const double share[] = {0.9, 0.1, 0.3};   // the first report holds the start-up
        for (int i = 0; i < 3; ++i) {
            points.push_back({id, 10 * (i + 1), QStringLiteral("exchange_share"), share[i], 0});
            points.push_back({id, 10 * (i + 1), QStringLiteral("rank.0.step_ms"), 100.0 * (i + 1), 0});
        }
        store.addMetrics(points);
        const auto c = usecases::commSummary(store, id);
        QCOMPARE(c.reports, 2);
        QCOMPARE(c.exchangeShare, 0.2);
        QCOMPARE(c.stepMs, 250.0);
        QCOMPARE(c.movedShare, 0.0);   // not logged: no expert parallelism
        QCOMPARE(usecases::commSummary(store, id + 1).reports, 0);
    }
};

QTEST_GUILESS_MAIN(TestUseCases)
#include "tst_usecases.moc"
