// The core training loop on a tiny synthetic corpus: learning a copy task, exact resumption
// (an interrupted and resumed run equals an uninterrupted one step by step), refusal of a
// checkpoint whose model file was altered or truncated, stopping from the progress callback,
// and checkpoint files in place when the checkpoint callback runs.
#include "tests/fixtures.h"
#include "tests/testsupport.h"
#include "core/base/errors.h"
#include "core/model/backend.h"
#include "core/train/trainer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

using namespace taskmoe::core;
using taskmoe::test::errorOf;

namespace {

/// Three tasks of ~50 examples: src = <tag> + pieces, tgt = the pieces (a copy task) or
/// random pieces (`copy` false).
TrainData makeData(bool copy, std::uint32_t seed = 7, int perTask = 50)
{
    TrainData data;
    data.tasks.languages = {"de", "en", "fr"};
    data.tasks.pairs = {{1, 0}, {1, 2}, {0, 1}};
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> piece(7, 63), length(3, 12);
    const int targets[3] = {0, 2, 1};
    for (int p = 0; p < 3; ++p) {
        TrainTask task;
        task.name = data.tasks.pairName(p);
        task.targetLang = targets[p];
        task.pair = p;
        TrainTask dev = task;
        for (int i = 0; i < perTask + 5 * p + 10; ++i) {
            TrainExample e;
            e.src.push_back(4 + targets[p]);
            const int n = length(rng);
            for (int j = 0; j < n; ++j)
                e.tgt.push_back(piece(rng));
            if (copy) {
                e.src.insert(e.src.end(), e.tgt.begin(), e.tgt.end());
            } else {
                const int m = length(rng);
                for (int j = 0; j < m; ++j)
                    e.src.push_back(piece(rng));
            }
            (i < perTask + 5 * p ? task : dev).examples.push_back(std::move(e));
        }
        data.train.push_back(std::move(task));
        data.dev.push_back(std::move(dev));
    }
    return data;
}

TrainConfig makeConfig(std::int64_t steps)
{
    TrainConfig c;
    ModelOptions &m = c.model;
    m = taskmoe::test::tinyModelOptions();
    m.vocabSize = 64;
    m.dModel = 16;
    m.dFf = 32;
    m.dropout = 0.1;
    m.encoderMoeEvery = 2;
    m.decoderMoeEvery = 2;
    m.numPairs = 3;
    c.data.maxLength = 32;
    c.data.temperature = 5;
    c.train.steps = steps;
    c.train.batchTokens = 128;
    c.train.optimizer = "adafactor";
    c.train.lr = 1e-2;
    c.train.warmup = 4;
    c.train.logEvery = 1;
    c.train.evalEvery = 4;
    c.train.checkpointEvery = 1000;
    c.train.seed = 11;
    return c;
}

struct Recorded
{
    std::map<std::int64_t, TrainProgress> reports;  ///< by step, those with training values
    std::map<std::int64_t, double> dev;
    std::map<std::int64_t, TrainProgress> devReports;  ///< by step, those with a dev evaluation
    std::vector<CheckpointInfo> checkpoints;
};

TrainHooks recorder(Recorded &r)
{
    TrainHooks hooks;
    hooks.progress = [&r](const TrainProgress &p) {
        if (p.hasReport)
            r.reports[p.step] = p;
        if (p.hasDev) {
            r.dev[p.step] = p.devLoss;
            r.devReports[p.step] = p;
        }
        return true;
    };
    hooks.checkpoint = [&r](const CheckpointInfo &c) { r.checkpoints.push_back(c); };
    return hooks;
}

bool closeRel(double a, double b, double rel = 1e-6)
{
    return std::abs(a - b) <= rel * std::max({std::abs(a), std::abs(b), 1e-12});
}


} // namespace

class TestTrainer : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { setThreads(1); }

    void lossDecreasesOnCopyTask()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        TrainConfig config = makeConfig(40);
        config.train.optimizer = "adam";
        config.train.lr = 1e-2;
        config.train.evalEvery = 20;
        const TrainData data = makeData(true);
        Recorded r;
        const TrainResult result = train(config, data, dir.path().toStdString(), "", recorder(r));
        QCOMPARE(result.lastStep, std::int64_t(40));
        QVERIFY(!result.stopped);
        QCOMPARE(r.reports.size(), std::size_t(40));
        double first = 0, last = 0;
        for (std::int64_t s = 1; s <= 5; ++s) {
            first += r.reports[s].loss / 5;
            last += r.reports[40 - 5 + s].loss / 5;
        }
        qInfo("loss: first 5 steps %.4f, last 5 steps %.4f; dev %.4f -> %.4f", first, last, r.dev[20], r.dev[40]);
        QVERIFY2(last < first - 0.3, qPrintable(QString("%1 -> %2").arg(first).arg(last)));
        // Dev cross-entropy of the initial model (step 0), then every eval_every steps.
        QCOMPARE(r.dev.size(), std::size_t(3));
        QVERIFY(r.dev.count(0));
        QVERIFY(std::isfinite(r.dev[40]));
        QVERIFY2(r.dev[40] < r.dev[0] - 0.3, qPrintable(QString("%1 -> %2").arg(r.dev[0]).arg(r.dev[40])));
        QVERIFY(r.dev[40] < r.dev[20] + 0.5);
        QCOMPARE(result.lastDevLoss, r.dev[40]);

        // Progress carries the per-layer MoE statistics: one encoder and one decoder MoE layer.
        const TrainProgress &p = r.reports[40];
        QCOMPARE(p.totalSteps, std::int64_t(40));
        QVERIFY(p.lr > 0);
        QVERIFY(p.gradNorm > 0);
        QVERIFY(p.tokensPerSecond > 0);
        QCOMPARE(p.layers.size(), std::size_t(2));
        QCOMPARE(QString::fromStdString(p.layers[0].name), QString("enc.1"));
        QCOMPARE(QString::fromStdString(p.layers[1].name), QString("dec.1"));
        for (const auto &l : p.layers) {
            QVERIFY(l.entropy >= 0 && l.entropy <= std::log(4.0) + 1e-9);
            QVERIFY(l.maxLoad >= l.meanLoad && l.meanLoad > 0);
            QVERIFY(l.droppedFraction >= 0 && l.droppedFraction <= 1);
        }
        // A final checkpoint at the end.
        QVERIFY(std::filesystem::exists(result.lastCheckpointModel));
        QVERIFY(std::filesystem::exists(result.lastCheckpointState));
        QCOMPARE(readCheckpointStep(result.lastCheckpointState), std::int64_t(40));
    }

    void devBleuRisesAsTheModelLearnsAndIsGivenPerDirection()
    {
        QTemporaryDir dir;
        TrainConfig config = makeConfig(200);
        config.model.dModel = 32;
        config.model.dFf = 64;
        config.model.dropout = 0;
        config.model.labelSmoothing = 0;
        config.train.batchTokens = 512;
        config.train.optimizer = "adam";
        config.train.lr = 3e-3;
        config.train.warmup = 20;
        config.train.evalEvery = 100;
        config.train.logEvery = 50;
        config.train.devBleuSentences = 6;
        Recorded r;
        train(config, makeData(true, 7, 400), dir.path().toStdString(), "", recorder(r));
        QCOMPARE(r.devReports.size(), std::size_t(3));
        const TrainProgress &start = r.devReports[0], &end = r.devReports[200];
        QCOMPARE(end.devBleuTasks.size(), std::size_t(3));
        double mean = 0;
        for (const auto &[name, bleu] : end.devBleuTasks) {
            QVERIFY(bleu >= 0 && bleu <= 100);
            mean += bleu / 3;
        }
        QVERIFY(std::abs(mean - end.devBleu) < 1e-9);
        QCOMPARE(QString::fromStdString(end.devBleuTasks[0].first), QString("en-de"));
        qInfo("dev BLEU of a copy task: %.2f at step 0, %.2f at step 200 (%.2f s per dev evaluation)", start.devBleu,
              end.devBleu, end.devSeconds);
        QVERIFY2(end.devBleu > start.devBleu + 5, qPrintable(QString("%1 -> %2").arg(start.devBleu).arg(end.devBleu)));
        QVERIFY(end.devSeconds > 0);

        // Off: no BLEU, the dev loss still there.
        config.train.devBleuSentences = 0;
        config.train.steps = 2;
        Recorded off;
        QTemporaryDir dir2;
        train(config, makeData(true), dir2.path().toStdString(), "", recorder(off));
        QVERIFY(off.devReports.count(2));
        QVERIFY(std::isnan(off.devReports[2].devBleu));
        QVERIFY(std::isfinite(off.devReports[2].devLoss));
    }

    void timeBudgetEndsTheRunWithAFinalDevEvaluationAndCheckpoint()
    {
        QTemporaryDir dir;
        TrainConfig config = makeConfig(1000000);
        config.train.maxMinutes = 1.5 / 60;   // 1.5 s
        config.train.schedule = "linear";
        config.train.logEvery = 1000000000;   // the final step is reported anyway
        config.train.evalEvery = 1000000000;
        config.train.checkpointEvery = 1000000000;
        Recorded r;
        const TrainResult result = train(config, makeData(false), dir.path().toStdString(), "", recorder(r));
        QVERIFY(result.budgetUsed);
        QVERIFY(!result.stopped);
        QVERIFY(result.lastStep > 1 && result.lastStep < 1000000);
        QVERIFY2(r.reports.count(result.lastStep), "the final step has a training report");
        QVERIFY2(r.devReports.count(result.lastStep), "the final step has a dev evaluation");
        QCOMPARE(r.checkpoints.size(), std::size_t(1));
        QCOMPARE(r.checkpoints[0].step, result.lastStep);
        const TrainProgress &last = r.reports[result.lastStep];
        QVERIFY(last.elapsedSeconds >= 1.5);
        // The linear schedule decayed over the budget: the last learning rate is near 0.
        QVERIFY2(last.lr < 0.05 * config.train.lr, qPrintable(QString::number(last.lr)));
        QVERIFY(last.etaSeconds <= 0.5);

        // Resuming a run whose budget is used up ends at once: the budget counts every process.
        Recorded again;
        const TrainResult resumed =
            train(config, makeData(false), dir.path().toStdString(), result.lastCheckpointState, recorder(again));
        QVERIFY(resumed.budgetUsed);
        QCOMPARE(resumed.lastStep, result.lastStep + 1);
    }

    void resumeIsExact_data()
    {
        QTest::addColumn<int>("logEvery");
        QTest::addColumn<int>("stopAt");
        QTest::newRow("log every step, stop at 5") << 1 << 5;
        QTest::newRow("log every 3, stop at 5") << 3 << 5;
        QTest::newRow("log every 1, stop at 8 (after a dev evaluation)") << 1 << 8;
    }

    void resumeIsExact()
    {
        QFETCH(int, logEvery);
        QFETCH(int, stopAt);
        const TrainData data = makeData(false);
        TrainConfig config = makeConfig(12);
        config.train.logEvery = logEvery;

        QTemporaryDir dirA, dirB;
        Recorded full;
        train(config, data, dirA.path().toStdString(), "", recorder(full));

        Recorded first;
        TrainHooks hooks = recorder(first);
        std::int64_t polled = 0;
        hooks.stopRequested = [&] { return ++polled >= stopAt; };
        const TrainResult stopped = train(config, data, dirB.path().toStdString(), "", hooks);
        QVERIFY(stopped.stopped);
        QCOMPARE(stopped.lastStep, std::int64_t(stopAt));
        QCOMPARE(first.checkpoints.size(), std::size_t(1));
        QCOMPARE(first.checkpoints[0].step, std::int64_t(stopAt));

        Recorded second;
        const TrainResult resumed =
            train(config, data, dirB.path().toStdString(), stopped.lastCheckpointState, recorder(second));
        QVERIFY(!resumed.stopped);
        QCOMPARE(resumed.lastStep, std::int64_t(12));

        std::map<std::int64_t, TrainProgress> joined = first.reports;
        for (const auto &[s, p] : second.reports)
            joined[s] = p;
        QCOMPARE(joined.size(), full.reports.size());
        for (const auto &[s, p] : full.reports) {
            QVERIFY2(joined.count(s), qPrintable(QString("no report at step %1").arg(s)));
            const TrainProgress &q = joined[s];
            QVERIFY2(closeRel(p.loss, q.loss), qPrintable(QString("step %1: loss %2 vs %3").arg(s).arg(p.loss, 0, 'g', 17).arg(q.loss, 0, 'g', 17)));
            QVERIFY(closeRel(p.ce, q.ce));
            QVERIFY(closeRel(p.balance, q.balance));
            QVERIFY(closeRel(p.gradNorm, q.gradNorm));
            QVERIFY(closeRel(p.lr, q.lr));
            QCOMPARE(p.layers.size(), q.layers.size());
            for (std::size_t i = 0; i < p.layers.size(); ++i) {
                QVERIFY(closeRel(p.layers[i].entropy, q.layers[i].entropy));
                QVERIFY(closeRel(p.layers[i].maxLoad, q.layers[i].maxLoad));
                QVERIFY(closeRel(p.layers[i].droppedFraction + 1, q.layers[i].droppedFraction + 1));
            }
        }
        std::map<std::int64_t, double> dev = first.dev;
        for (const auto &[s, d] : second.dev)
            dev[s] = d;
        for (const auto &[s, d] : full.dev)
            QVERIFY2(dev.count(s) && closeRel(d, dev[s]), qPrintable(QString("dev loss at step %1").arg(s)));
    }

    void resumeRefusesAlteredModel()
    {
        const TrainData data = makeData(false);
        const TrainConfig config = makeConfig(3);
        QTemporaryDir dir;
        Recorded r;
        const TrainResult result = train(config, data, dir.path().toStdString(), "", recorder(r));
        const std::string model = result.lastCheckpointModel;
        const std::string state = result.lastCheckpointState;
        QVERIFY(model.find("step-000003.tmf") != std::string::npos);

        // Flip one byte in the middle: same size, different SHA-256.
        const auto size = std::filesystem::file_size(model);
        {
            std::fstream f(model, std::ios::in | std::ios::out | std::ios::binary);
            f.seekg(std::streamoff(size / 2));
            char c = 0;
            f.read(&c, 1);
            c = char(c ^ 0x5a);
            f.seekp(std::streamoff(size / 2));
            f.write(&c, 1);
        }
        std::string message = errorOf<InputError>([&] { train(config, data, dir.path().toStdString(), state, {}); });
        QVERIFY2(message.find(model) != std::string::npos, message.c_str());
        QVERIFY2(message.find("SHA-256") != std::string::npos, message.c_str());

        // latestGoodCheckpoint passes over it: no good one is left.
        std::vector<std::string> skipped;
        QCOMPARE(QString::fromStdString(latestGoodCheckpoint(dir.path().toStdString(), &skipped)), QString());
        QCOMPARE(skipped.size(), std::size_t(1));
        QVERIFY(skipped[0].find(model) != std::string::npos);

        // Truncated.
        std::filesystem::resize_file(model, size - 100);
        message = errorOf<InputError>([&] { train(config, data, dir.path().toStdString(), state, {}); });
        QVERIFY2(message.find(model) != std::string::npos, message.c_str());
        QVERIFY2(message.find("truncated") != std::string::npos, message.c_str());

        // A corrupt state file is refused naming it.
        {
            std::ofstream f(state, std::ios::binary | std::ios::app);
            f << "x";
        }
        message = errorOf<InputError>([&] { train(config, data, dir.path().toStdString(), state, {}); });
        QVERIFY2(message.find(state) != std::string::npos, message.c_str());
    }

    void progressFalseStops()
    {
        const TrainData data = makeData(false);
        const TrainConfig config = makeConfig(12);
        QTemporaryDir dir;
        std::int64_t calls = 0;
        std::vector<CheckpointInfo> checkpoints;
        TrainHooks hooks;
        hooks.progress = [&](const TrainProgress &p) {
            ++calls;
            return p.step < 3;
        };
        hooks.checkpoint = [&](const CheckpointInfo &c) { checkpoints.push_back(c); };
        const TrainResult result = train(config, data, dir.path().toStdString(), "", hooks);
        QVERIFY(result.stopped);
        QCOMPARE(result.lastStep, std::int64_t(3));
        QCOMPARE(calls, std::int64_t(4));   // the initial dev evaluation (step 0), then steps 1–3
        QCOMPARE(checkpoints.size(), std::size_t(1));
        QCOMPARE(checkpoints[0].step, std::int64_t(3));
        QCOMPARE(readCheckpointStep(result.lastCheckpointState), std::int64_t(3));
    }

    void checkpointCallbackSeesFiles()
    {
        const TrainData data = makeData(false);
        TrainConfig config = makeConfig(10);
        config.train.checkpointEvery = 4;
        QTemporaryDir dir;
        std::vector<std::int64_t> steps;
        TrainHooks hooks;
        hooks.checkpoint = [&](const CheckpointInfo &c) {
            steps.push_back(c.step);
            QVERIFY(std::filesystem::exists(c.modelPath));
            QVERIFY(std::filesystem::exists(c.statePath));
            QCOMPARE(std::int64_t(std::filesystem::file_size(c.modelPath)), c.modelBytes);
            QCOMPARE(c.modelSha256.size(), std::size_t(64));
            QCOMPARE(std::filesystem::path(c.modelPath).filename().string(), checkpointBaseName(c.step) + ".tmf");
            QCOMPARE(std::filesystem::path(c.statePath).filename().string(), checkpointBaseName(c.step) + ".state");
        };
        const TrainResult result = train(config, data, dir.path().toStdString(), "", hooks);
        QCOMPARE(steps, (std::vector<std::int64_t>{4, 8, 10}));
        QCOMPARE(result.lastStep, std::int64_t(10));
        QCOMPARE(QString::fromStdString(checkpointBaseName(42)), QString("step-000042"));
        // No temporary files left behind.
        for (const auto &entry : std::filesystem::directory_iterator(dir.path().toStdString()))
            QVERIFY2(entry.path().string().find(".tmp") == std::string::npos, entry.path().c_str());
        // The newest good checkpoint; a truncated newest one falls back to the previous.
        QCOMPARE(latestGoodCheckpoint(dir.path().toStdString()), result.lastCheckpointState);
        QCOMPARE(verifyCheckpoint(result.lastCheckpointState), std::int64_t(10));
        const std::string step8 = (std::filesystem::path(dir.path().toStdString()) / "step-000008.state").string();
        {
            const std::string tmp = dir.filePath("copy.tmf").toStdString();
            std::filesystem::copy_file(dir.filePath("step-000010.tmf").toStdString(), tmp);
            std::filesystem::resize_file(dir.filePath("step-000010.tmf").toStdString(),
                                         std::filesystem::file_size(tmp) / 2);
            std::vector<std::string> skipped;
            QCOMPARE(latestGoodCheckpoint(dir.path().toStdString(), &skipped), step8);
            QCOMPARE(skipped.size(), std::size_t(1));
            std::filesystem::rename(tmp, dir.filePath("step-000010.tmf").toStdString());
        }
        // Resuming from the finished run does nothing more.
        const TrainResult again = train(config, data, dir.path().toStdString(), result.lastCheckpointState, {});
        QCOMPARE(again.lastStep, std::int64_t(10));
        QVERIFY(!again.stopped);
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
