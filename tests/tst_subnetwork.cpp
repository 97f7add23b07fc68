// Sub-networks: folding a task's experts into one dense FFN is exact (logits within 1e-4,
// identical greedy translations) for the model of every task-routed preset and every task;
// pruning keeps the experts asked for with the router restricted to them; a sub-network is an
// ordinary model file; wrong specifications are refused naming the problem.
#include "core/config/model_json.h"
#include "core/config/trainconfig.h"
#include "core/decoding/decoding.h"
#include "core/extract/subnetwork.h"
#include "core/model/backend.h"
#include "core/model/modelfile.h"
#include "fixtures.h"

#include <QTemporaryDir>
#include <QtTest>

#include <numeric>
#include <random>

using namespace taskmoe;
using namespace taskmoe::core;

namespace {

const std::string kPresetDir = std::string(TEST_DATA_DIR) + "/../../resources/presets";

/// A task table of `languages` languages, English-centric pairs (en = 0) both ways.
TaskTable englishCentric(std::int64_t languages)
{
    TaskTable t;
    t.languages.push_back("en");
    for (std::int64_t l = 1; l < languages; ++l)
        t.languages.push_back("l" + std::to_string(l));
    for (int l = 1; l < int(languages); ++l) {
        t.pairs.emplace_back(0, l);
        t.pairs.emplace_back(l, 0);
    }
    return t;
}

/// Random sources (with their <2xx> slot) for every pair of `t`, `perPair` each.
std::vector<DecodeRequest> randomRequests(const ModelOptions &o, const TaskTable &t, int perPair, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> token(4, int(o.vocabSize) - 1), length(3, 12);
    std::vector<DecodeRequest> out;
    for (std::size_t p = 0; p < t.pairs.size(); ++p)
        for (int i = 0; i < perPair; ++i) {
            DecodeRequest r;
            const int n = length(rng);
            for (int j = 0; j < n; ++j)
                r.src.push_back(token(rng));
            r.targetLang = t.pairs[p].second;
            r.pair = int(p);
            out.push_back(r);
        }
    return out;
}

/// The spec that extracts the task of `pair` from a model with options `o`.
SubnetworkSpec specFor(const ModelOptions &o, const TaskTable &t, int pair)
{
    const auto taskOf = [&](Routing r) -> std::int64_t {
        if (r == Routing::TaskTarget)
            return t.pairs[std::size_t(pair)].second;
        if (r == Routing::TaskPair)
            return pair;
        return -1;
    };
    SubnetworkSpec spec;
    spec.encoderTask = taskOf(o.encoderRouting);
    spec.decoderTask = taskOf(o.decoderRouting);
    return spec;
}

std::vector<std::int64_t> firstExperts(std::int64_t n)
{
    std::vector<std::int64_t> e(static_cast<std::size_t>(n), 0);
    std::iota(e.begin(), e.end(), 0);
    return e;
}

} // namespace

class TestSubnetwork : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        setThreads(2);
    }

    void foldingIsExactForEveryTaskRoutedPreset_data()
    {
        QTest::addColumn<QString>("preset");
        int found = 0;
        for (const auto &name : listPresets(kPresetDir)) {
            const ModelOptions o = loadPreset(name, kPresetDir).model;
            if (isTaskRouting(o.encoderRouting) || isTaskRouting(o.decoderRouting)) {
                QTest::newRow(name.c_str()) << QString::fromStdString(name);
                ++found;
            }
        }
        QVERIFY(found >= 3);   // task-moe-target, task-moe-pair, task-moe-both (+ their full sizes)
    }

    void foldingIsExactForEveryTaskRoutedPreset()
    {
        QFETCH(QString, preset);
        ModelOptions o = loadPreset(preset.toStdString(), kPresetDir).model;
        const TaskTable tasks = englishCentric(3);
        o.numLanguages = std::int64_t(tasks.languages.size());
        o.numPairs = std::int64_t(tasks.pairs.size());
        torch::manual_seed(11);
        Transformer full(o);
        full->eval();
        // Transformer-Base shapes: fewer sentences, the same check.
        const bool big = o.dModel > 256;
        const auto requests = randomRequests(o, tasks, big ? 1 : 3, 5);
        DecodeOptions greedy;
        greedy.beam = 1;
        greedy.maxLengthExtra = big ? 2 : 6;
        const auto expected = translate(*full, requests, greedy);

        for (int pair = 0; pair < int(tasks.pairs.size()); pair += big ? 3 : 1) {
            Subnetwork sub = extractSubnetwork(*full, specFor(o, tasks, pair));
            // Folded sides are dense with k · d_ff at the MoE positions; nothing task-routed is left.
            QVERIFY(!isTaskRouting(sub.model->options().encoderRouting));
            QVERIFY(!isTaskRouting(sub.model->options().decoderRouting));
            for (const auto &ref : sub.model->moeLayers())
                QVERIFY(!isTaskRouting(ref.moe->options().routing()));
            for (const auto &layer : sub.layers)
                if (layer.kind == SubnetworkLayer::Kind::Folded) {
                    QCOMPARE(std::int64_t(layer.experts.size()), o.topK);
                    double sum = 0;
                    for (const double g : layer.gates)
                        sum += g;
                    QVERIFY(std::abs(sum - 1) < 1e-6);
                }
            QVERIFY(sub.model->parameterCounts().total < full->parameterCounts().total);

            std::vector<DecodeRequest> mine;
            std::vector<std::vector<std::int32_t>> targets;
            for (std::size_t i = 0; i < requests.size(); ++i)
                if (requests[i].pair == pair) {
                    mine.push_back(requests[i]);
                    targets.push_back(expected[i].tokens);
                }
            const double diff = maxLogitDifference(*full, *sub.model, mine, targets);
            QVERIFY2(diff < 1e-4, qPrintable(QStringLiteral("pair %1: logits differ by %2").arg(pair).arg(diff)));
            const auto got = translate(*sub.model, mine, greedy);
            for (std::size_t i = 0; i < mine.size(); ++i)
                QVERIFY2(got[i].tokens == targets[i], qPrintable(QStringLiteral("pair %1 sentence %2").arg(pair).arg(i)));
        }
    }

    void aSubnetworkIsAnOrdinaryModelFile()
    {
        ModelOptions o = test::tinyModelOptions();
        const TaskTable tasks = englishCentric(3);
        torch::manual_seed(3);
        Transformer full(o);
        Subnetwork sub = extractSubnetwork(*full, specFor(o, tasks, 0));
        QCOMPARE(sub.model->options().decoderRouting, Routing::Dense);
        QCOMPARE(sub.model->options().decoderFoldedFf, o.topK * o.dFf);
        QCOMPARE(sub.model->options().encoderFoldedFf, std::int64_t(0));

        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("sub.tmf")).toStdString();
        ModelFileInfo info;
        info.tasks = tasks;
        info.json = R"({"kind": "subnetwork"})";
        saveModel(path, sub.model, info);
        LoadedModel loaded = loadModel(path);
        QCOMPARE(loaded.model->options().decoderFoldedFf, o.topK * o.dFf);
        QCOMPARE(loaded.model->parameterCounts().total, sub.model->parameterCounts().total);
        const auto requests = randomRequests(o, tasks, 2, 9);
        std::vector<DecodeRequest> mine;
        for (const auto &r : requests)
            if (r.pair == 0)
                mine.push_back(r);
        std::vector<std::vector<std::int32_t>> targets(mine.size(), std::vector<std::int32_t>{5, 6, 7});
        QCOMPARE(maxLogitDifference(*sub.model, *loaded.model, mine, targets), 0.0);

        // Options without folding print as before (older files and configurations stay byte-equal).
        QVERIFY(modelOptionsToJson(o).find("folded") == std::string::npos);
        QVERIFY(modelOptionsToJson(sub.model->options()).find("\"decoder_folded_ff\"") != std::string::npos);
    }

    void foldedSizesAreValidatedNamingTheField()
    {
        ModelOptions o = test::tinyModelOptions();
        o.decoderFoldedFf = 128;   // the decoder is still task-routed
        try {
            o.validate();
            QFAIL("accepted a folded size on a routed side");
        } catch (const std::invalid_argument &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("model.decoder_folded_ff")), e.what());
        }
        o.decoderRouting = Routing::Dense;
        o.validate();
        o.decoderMoeEvery = 0;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, o.validate());
        o.decoderMoeEvery = 2;
        o.decoderFoldedFf = -1;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, o.validate());
    }

    void pruningKeepsTheChosenExpertsWithTheirRouterRows()
    {
        ModelOptions o = test::tinyModelOptions(Routing::Token, Routing::Token);
        torch::manual_seed(5);
        Transformer full(o);
        full->eval();
        SubnetworkSpec spec;
        for (const auto &ref : full->moeLayers())
            spec.keep[{ref.decoder, ref.layer}] = {3, 1, 2};
        Subnetwork sub = extractSubnetwork(*full, spec);
        QCOMPARE(sub.model->options().experts, std::int64_t(3));
        const auto fullLayers = full->moeLayers();
        const auto subLayers = sub.model->moeLayers();
        QCOMPARE(subLayers.size(), fullLayers.size());
        const auto kept = torch::tensor(std::vector<std::int64_t>{3, 1, 2});
        for (std::size_t i = 0; i < subLayers.size(); ++i) {
            QVERIFY(torch::equal(subLayers[i].moe->wi, fullLayers[i].moe->wi.index_select(0, kept)));
            QVERIFY(torch::equal(subLayers[i].moe->wo, fullLayers[i].moe->wo.index_select(0, kept)));
            QVERIFY(torch::equal(subLayers[i].moe->router->weight, fullLayers[i].moe->router->weight.index_select(0, kept)));
            QCOMPARE(sub.layers[i].kind, SubnetworkLayer::Kind::Pruned);
            QCOMPARE(sub.layers[i].experts, (std::vector<std::int64_t>{3, 1, 2}));
        }

        // Keeping every expert in order is the full model.
        SubnetworkSpec all;
        for (const auto &ref : fullLayers)
            all.keep[{ref.decoder, ref.layer}] = firstExperts(o.experts);
        Subnetwork same = extractSubnetwork(*full, all);
        const TaskTable tasks = englishCentric(3);
        const auto requests = randomRequests(o, tasks, 2, 13);
        std::vector<std::vector<std::int32_t>> targets(requests.size(), std::vector<std::int32_t>{9, 8, 7, 6});
        QCOMPARE(maxLogitDifference(*full, *same.model, requests, targets), 0.0);
        // With fewer experts the routing renormalises over those kept: the function changes.
        QVERIFY(maxLogitDifference(*full, *sub.model, requests, targets) > 0);
    }

    void badSpecificationsAreRefusedNamingTheProblem()
    {
        const auto refused = [](TransformerImpl &model, const SubnetworkSpec &spec, const QString &expected) {
            try {
                extractSubnetwork(model, spec);
            } catch (const std::invalid_argument &e) {
                QVERIFY2(QString::fromUtf8(e.what()).contains(expected), e.what());
                return;
            }
            QFAIL(qPrintable(QStringLiteral("accepted; expected an error containing '%1'").arg(expected)));
        };
        ModelOptions o = test::tinyModelOptions();   // token encoder, task:target decoder
        torch::manual_seed(1);
        Transformer model(o);
        SubnetworkSpec noTask;
        refused(*model, noTask, QStringLiteral("decoder routes by target language"));
        SubnetworkSpec outside;
        outside.decoderTask = o.numLanguages;
        refused(*model, outside, QStringLiteral("task ids"));
        SubnetworkSpec wrongSide;
        wrongSide.decoderTask = 0;
        wrongSide.encoderTask = 0;
        refused(*model, wrongSide, QStringLiteral("encoder is not task-routed"));
        SubnetworkSpec tooFew;
        tooFew.decoderTask = 0;
        tooFew.keep[{false, 1}] = {2};
        refused(*model, tooFew, QStringLiteral("between top_k = 2"));
        SubnetworkSpec twice;
        twice.decoderTask = 0;
        twice.keep[{false, 1}] = {2, 2};
        refused(*model, twice, QStringLiteral("listed twice"));
        SubnetworkSpec missing;
        missing.decoderTask = 0;
        missing.keep[{false, 1}] = {0, 4};
        refused(*model, missing, QStringLiteral("does not exist"));
        SubnetworkSpec notPrunable;
        notPrunable.decoderTask = 0;
        notPrunable.keep[{false, 1}] = {0, 1};
        notPrunable.keep[{true, 1}] = {0, 1};
        refused(*model, notPrunable, QStringLiteral("decoder layer 1 is not a token- or sentence-routed MoE layer"));
    }
};

QTEST_GUILESS_MAIN(TestSubnetwork)
#include "tst_subnetwork.moc"
