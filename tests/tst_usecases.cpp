// The use cases both programs call, without starting a process: preparing a run's data (a
// stored dataset, its vocabulary trained on first use, every direction encoded), refusing a
// configuration that does not fit in memory, and evaluating a trained checkpoint (scores per
// pair, the paper's aggregates and routing statistics in the store; progress per pair; bad
// requests refused with a sentence naming what is wrong and nothing stored).
#include "core/config/trainconfig.h"
#include "core/data/synth/synth.h"
#include "core/model/backend.h"
#include "core/train/trainer.h"
#include "db/store.h"
#include "usecases/common.h"
#include "usecases/datasets.h"
#include "usecases/evaluate.h"
#include "usecases/trainingdata.h"

#include <QTemporaryDir>
#include <QtTest>

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
};

QTEST_GUILESS_MAIN(TestUseCases)
#include "tst_usecases.moc"
