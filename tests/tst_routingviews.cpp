// Routing views against values worked out by hand: distributions, entropy, Jensen–Shannon,
// cosine, the similarity matrix, and the task order from hierarchical clustering.
#include "core/eval/routingviews.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <stdexcept>

using namespace taskmoe::core;

class TestRoutingViews : public QObject
{
    Q_OBJECT

private slots:
    void distributionsAreRowSharesAndEmptyTasksStayZero()
    {
        RoutingMatrix m{{"en-de", "en-fr", "en-ja"}, 3, {6, 2, 0, 1, 1, 2, 0, 0, 0}};
        const auto d = taskDistributions(m);
        QCOMPARE(d[0], (std::vector<double>{0.75, 0.25, 0.0}));
        QCOMPARE(d[1], (std::vector<double>{0.25, 0.25, 0.5}));
        QCOMPARE(d[2], (std::vector<double>{0.0, 0.0, 0.0}));
    }

    void invalidMatricesAreRefusedNamingTheCell()
    {
        RoutingMatrix wrongSize{{"en-de"}, 3, {1, 2}};
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, taskDistributions(wrongSize));
        RoutingMatrix negative{{"en-de", "en-fr"}, 2, {1, 2, 3, -1}};
        try {
            taskDistributions(negative);
            QFAIL("a negative count was accepted");
        } catch (const std::invalid_argument &e) {
            QVERIFY2(QByteArray(e.what()).contains("'en-fr', expert 1"), e.what());
        }
    }

    void entropyIsInNats()
    {
        QCOMPARE(entropy({1.0, 0.0}), 0.0);
        QVERIFY(std::abs(entropy({0.5, 0.5}) - std::log(2.0)) < 1e-15);
        QVERIFY(std::abs(entropy({0.25, 0.25, 0.25, 0.25}) - std::log(4.0)) < 1e-15);
        QCOMPARE(entropy({0.0, 0.0}), 0.0);
    }

    void jensenShannonMatchesHandValues()
    {
        QCOMPARE(jensenShannon({0.3, 0.7}, {0.3, 0.7}), 0.0);
        QCOMPARE(jensenShannon({1, 0}, {0, 1}), 1.0);   // disjoint: one bit
        // p = (1, 0), q = (½, ½): m = (¾, ¼); KL(p‖m) = log2(4/3), KL(q‖m) = ½ log2(2/3) + ½ log2 2.
        const double expected = 0.5 * std::log2(4.0 / 3.0) + 0.5 * (0.5 * std::log2(2.0 / 3.0) + 0.5);
        QVERIFY(std::abs(jensenShannon({1, 0}, {0.5, 0.5}) - expected) < 1e-15);
        QCOMPARE(jensenShannon({1, 0}, {0.5, 0.5}), jensenShannon({0.5, 0.5}, {1, 0}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, jensenShannon({1}, {0.5, 0.5}));
    }

    void cosineMatchesHandValues()
    {
        QVERIFY(std::abs(cosineSimilarity({1, 0}, {0.5, 0.5}) - 1 / std::sqrt(2.0)) < 1e-15);
        QCOMPARE(cosineSimilarity({1, 0}, {0, 1}), 0.0);
        QCOMPARE(cosineSimilarity({0, 0}, {0, 1}), 0.0);
        QVERIFY(std::abs(cosineSimilarity({0.2, 0.8}, {0.1, 0.4}) - 1.0) < 1e-15);
    }

    void similarityMatrixIsSymmetricWithOnesOnTheDiagonal()
    {
        const std::vector<std::vector<double>> d{{1, 0, 0}, {0.5, 0.5, 0}, {0, 0, 1}};
        for (Similarity s : {Similarity::JensenShannon, Similarity::Cosine}) {
            const auto m = similarityMatrix(d, s);
            for (std::size_t i = 0; i < 3; ++i) {
                QVERIFY(std::abs(m[i][i] - 1.0) < 1e-12);
                for (std::size_t j = 0; j < 3; ++j)
                    QCOMPARE(m[i][j], m[j][i]);
            }
            QCOMPARE(m[0][2], 0.0);   // disjoint experts: nothing in common
        }
        QVERIFY(std::abs(similarityMatrix(d, Similarity::JensenShannon)[0][1] - (1 - jensenShannon(d[0], d[1]))) < 1e-15);
    }

    // Two families of tasks, listed interleaved: the order puts each family together, and the
    // merges follow average linkage by hand.
    void clusteringPutsTasksThatShareExpertsNextToEachOther()
    {
        const std::vector<std::vector<double>> d{
            {0.9, 0.1, 0.0, 0.0},   // 0: family A
            {0.0, 0.0, 0.8, 0.2},   // 1: family B
            {0.8, 0.2, 0.0, 0.0},   // 2: family A
            {0.0, 0.0, 0.7, 0.3},   // 3: family B
        };
        const Clustering c = clusterTasks(d);
        QCOMPARE(c.merges.size(), std::size_t(3));
        QCOMPARE(c.order.size(), std::size_t(4));
        const auto position = [&](std::size_t task) {
            return std::size_t(std::find(c.order.begin(), c.order.end(), task) - c.order.begin());
        };
        QCOMPARE(std::abs(long(position(0)) - long(position(2))), 1L);
        QCOMPARE(std::abs(long(position(1)) - long(position(3))), 1L);
        // First merges: the closer pair of each family, at their JS divergence.
        const double a = jensenShannon(d[0], d[2]);
        const double b = jensenShannon(d[1], d[3]);
        QCOMPARE(c.merges[0].height, std::min(a, b));
        QCOMPARE(c.merges[1].height, std::max(a, b));
        // The last merge joins the families at their average divergence: disjoint, so 1.
        QCOMPARE(c.merges[2].height, 1.0);
        for (std::size_t i = 1; i < c.merges.size(); ++i)
            QVERIFY(c.merges[i].height >= c.merges[i - 1].height);
    }

    void clusteringOfOneOrNoTasks()
    {
        QVERIFY(clusterTasks({}).order.empty());
        const Clustering one = clusterTasks({{1.0, 0.0}});
        QCOMPARE(one.order, (std::vector<std::size_t>{0}));
        QVERIFY(one.merges.empty());
    }
};

QTEST_MAIN(TestRoutingViews)
#include "tst_routingviews.moc"
