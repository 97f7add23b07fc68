// Temperature sampling over language pairs and token-count batching.
#include "core/base/errors.h"
#include "core/data/sampler.h"

#include <QtTest>

#include <cmath>
#include <numeric>

using namespace taskmoe::core;

namespace {

std::vector<std::vector<std::uint32_t>> makeLengths(const std::vector<std::size_t> &sizes, std::uint32_t seed)
{
    std::vector<std::vector<std::uint32_t>> lengths;
    std::uint32_t x = seed;
    for (const std::size_t n : sizes) {
        std::vector<std::uint32_t> l(n);
        for (auto &v : l) {
            x = x * 1664525u + 1013904223u;
            v = 5 + (x >> 16) % 40;  // 5..44 tokens
        }
        lengths.push_back(std::move(l));
    }
    return lengths;
}

} // namespace

class TestSampler : public QObject
{
    Q_OBJECT

private slots:
    void probabilitiesFollowPToTheOneOverT_data()
    {
        QTest::addColumn<double>("temperature");
        QTest::newRow("T=1 proportional") << 1.0;
        QTest::newRow("T=5 paper") << 5.0;
        QTest::newRow("T=100 nearly uniform") << 100.0;
    }
    void probabilitiesFollowPToTheOneOverT()
    {
        QFETCH(double, temperature);
        const std::vector<std::size_t> sizes{10000, 1000, 100};
        const auto q = temperatureProbabilities(sizes, temperature);
        const double total = 11100;
        double norm = 0;
        for (const auto n : sizes)
            norm += std::pow(double(n) / total, 1.0 / temperature);
        for (std::size_t i = 0; i < sizes.size(); ++i)
            QVERIFY(std::fabs(q[i] - std::pow(double(sizes[i]) / total, 1.0 / temperature) / norm) < 1e-12);
        QVERIFY(std::fabs(std::accumulate(q.begin(), q.end(), 0.0) - 1.0) < 1e-12);
    }

    void hand_computedValueAtT5()
    {
        // p = (0.8, 0.2): p^(1/5) = (0.95635, 0.72478) → q = (0.56887, 0.43113)
        const auto q = temperatureProbabilities({800, 200}, 5.0);
        QVERIFY(std::fabs(q[0] - 0.568867) < 1e-5);
        QVERIFY(std::fabs(q[1] - 0.431133) < 1e-5);
    }

    void drawnTasksMatchTheDistributionOverManyDraws()
    {
        SamplerOptions o;
        o.temperature = 5.0;
        o.seed = 7;
        const std::vector<std::size_t> sizes{20000, 5000, 1000, 200};
        TemperatureSampler sampler(makeLengths(sizes, 1), o);
        const int draws = 200000;
        std::vector<int> counts(sizes.size());
        for (int i = 0; i < draws; ++i)
            ++counts[sampler.sampleTask()];
        for (std::size_t t = 0; t < sizes.size(); ++t) {
            const double expected = sampler.probabilities()[t];
            const double observed = double(counts[t]) / draws;
            const double sigma = std::sqrt(expected * (1 - expected) / draws);
            QVERIFY2(std::fabs(observed - expected) < 5 * sigma,
                     qPrintable(QStringLiteral("task %1: observed %2, expected %3").arg(t).arg(observed).arg(expected)));
        }
    }

    void batchesRespectTheTokenBudgetAndBucketLengths()
    {
        SamplerOptions o;
        o.batchTokens = 512;
        o.poolBatches = 16;
        TemperatureSampler sampler(makeLengths({3000, 800, 50}, 2), o);
        const auto lengths = makeLengths({3000, 800, 50}, 2);
        double spread = 0;
        for (int b = 0; b < 200; ++b) {
            const Batch batch = sampler.next();
            QVERIFY(!batch.examples.empty());
            std::uint32_t lo = 1000, hi = 0;
            for (const auto &e : batch.examples) {
                const auto len = lengths[e.task][e.index];
                lo = std::min(lo, len);
                hi = std::max(hi, len);
            }
            QCOMPARE(batch.maxLength, std::size_t(hi));
            QVERIFY(batch.maxLength * batch.examples.size() <= o.batchTokens);
            spread += hi - lo;
        }
        // Length bucketing: examples of a batch have similar lengths (random batches of
        // lengths 5..44 would spread ~35 tokens).
        QVERIFY2(spread / 200 < 6, qPrintable(QString::number(spread / 200)));
    }

    void everyExampleOfATaskComesOncePerPass()
    {
        // Within a task, examples are drawn pass by pass without replacement, so after
        // many passes every example has been seen almost equally often (drawing with
        // replacement would spread the counts by about ±31 around 1000).
        SamplerOptions o;
        o.batchTokens = 256;
        o.poolBatches = 4;
        TemperatureSampler sampler(makeLengths({40}, 3), o);
        std::vector<int> seen(40);
        int total = 0;
        while (total < 40000)
            for (const auto &e : sampler.next().examples) {
                ++seen[e.index];
                ++total;
            }
        const double mean = double(total) / 40;
        for (int i = 0; i < 40; ++i)
            QVERIFY2(std::fabs(seen[i] - mean) <= 25, qPrintable(QStringLiteral("example %1: %2 of mean %3").arg(i).arg(seen[i]).arg(mean)));
    }

    void sameSeedSameStream()
    {
        SamplerOptions o;
        o.seed = 11;
        TemperatureSampler a(makeLengths({500, 60}, 4), o), b(makeLengths({500, 60}, 4), o);
        for (int i = 0; i < 50; ++i)
            QVERIFY(a.next().examples == b.next().examples);
        o.seed = 12;
        TemperatureSampler c(makeLengths({500, 60}, 4), o);
        TemperatureSampler d(makeLengths({500, 60}, 4), SamplerOptions{});
        QVERIFY(!(c.next().examples == d.next().examples));
    }

    void restoredStateContinuesTheExactSameStream()
    {
        SamplerOptions o;
        o.seed = 5;
        o.batchTokens = 300;
        o.poolBatches = 4;
        const auto lengths = makeLengths({700, 90, 13}, 5);
        TemperatureSampler uninterrupted(lengths, o);
        TemperatureSampler first(lengths, o);
        for (int i = 0; i < 37; ++i) {  // mid-pool and past several reshuffles of the small task
            QVERIFY(uninterrupted.next().examples == first.next().examples);
        }
        const std::string state = first.saveState();
        TemperatureSampler resumed(lengths, o);
        resumed.restoreState(state);
        for (int i = 0; i < 200; ++i) {
            const Batch x = uninterrupted.next(), y = resumed.next();
            QVERIFY(x.examples == y.examples);
            QCOMPARE(x.maxLength, y.maxLength);
        }
        QCOMPARE(resumed.saveState(), uninterrupted.saveState());
    }

    void restoreRefusesAStateOfAnotherCorpus()
    {
        SamplerOptions o;
        TemperatureSampler a(makeLengths({100, 20}, 6), o);
        const std::string state = a.saveState();
        TemperatureSampler other(makeLengths({100, 21}, 6), o);
        QVERIFY_THROWS_EXCEPTION(InputError, other.restoreState(state));
        QVERIFY_THROWS_EXCEPTION(InputError, other.restoreState("garbage"));
        std::string truncated = state.substr(0, state.size() / 2);
        TemperatureSampler same(makeLengths({100, 20}, 6), o);
        const std::string before = same.saveState();
        QVERIFY_THROWS_EXCEPTION(InputError, same.restoreState(truncated));
        QCOMPARE(same.saveState(), before);  // a failed restore changes nothing
    }

    // Regression: restoreState sized its vectors by the counts in the text before checking
    // anything, so a corrupt count threw std::length_error / std::bad_alloc (no InputError,
    // no sentence naming the problem) instead of refusing the state.
    void restoreRefusesHugeCountsWithoutAllocating()
    {
        SamplerOptions o;
        o.batchTokens = 64;
        o.poolBatches = 2;
        const auto lengths = makeLengths({30, 10}, 4);
        TemperatureSampler a(lengths, o);
        a.next();  // leaves pending batches in the state
        const std::string state = a.saveState();
        // The pending batch count is the line after the per-task "epoch position" lines.
        std::vector<std::string> lines;
        std::size_t start = 0;
        for (std::size_t nl; (nl = state.find('\n', start)) != std::string::npos; start = nl + 1)
            lines.push_back(state.substr(start, nl - start));
        const std::size_t countLine = 3 + lengths.size();
        QVERIFY(lines.size() > countLine + 1);
        QVERIFY(std::stoul(lines[countLine]) > 0);
        const auto join = [](const std::vector<std::string> &parts) {
            std::string text;
            for (const std::string &p : parts)
                text += p + '\n';
            return text;
        };

        std::vector<std::string> hugeBatchCount = lines;
        hugeBatchCount[countLine] = "1152921504606846975";
        std::vector<std::string> hugeExampleCount = lines;
        hugeExampleCount[countLine + 1] = "40 1152921504606846975 0 0";
        for (const auto &bad : {hugeBatchCount, hugeExampleCount}) {
            TemperatureSampler b(lengths, o);
            const std::string before = b.saveState();
            try {
                b.restoreState(join(bad));
                QFAIL("a corrupt state was restored");
            } catch (const InputError &e) {
                QVERIFY2(std::string(e.what()).find("pending batch") != std::string::npos, e.what());
            }
            QCOMPARE(b.saveState(), before);
        }
    }

    void optionsAreValidated()
    {
        SamplerOptions o;
        o.temperature = 0;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, TemperatureSampler(makeLengths({10}, 1), o));
        o = SamplerOptions{};
        o.batchTokens = 0;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, TemperatureSampler(makeLengths({10}, 1), o));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, TemperatureSampler({{}}, SamplerOptions{}));
    }
};

QTEST_GUILESS_MAIN(TestSampler)
#include "tst_sampler.moc"
