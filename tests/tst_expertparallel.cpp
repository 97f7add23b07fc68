// The expert-parallel MoE layer on two ranks (c10d/Gloo over 127.0.0.1; the test starts itself
// again as rank 1) gives each rank the outputs one layer computing every expert gives for that
// rank's tokens, and, summed over the ranks, the gradients of one layer that saw both ranks'
// tokens — for token routing (copies travel) and task routing (nothing travels).
#include "core/distributed/communicator.h"
#include "core/model/moe.h"

#include <QCoreApplication>
#include <QProcess>
#include <QtTest>

#include <cstdlib>
#include <string>

using namespace taskmoe::core;

namespace {

/// Runs rank `rank` of the check; returns "" when every value matched, else what did not.
std::string runRank(int rank, int port, Routing routing)
{
    torch::manual_seed(7);
    MoeLayer layer(MoeLayerOptions(16, 32, 4).top_k(2).routing(routing).num_tasks(3));
    layer->train();
    torch::manual_seed(11);
    const torch::Tensor x[2] = {torch::randn({3, 5, 16}), torch::randn({2, 7, 16})};
    torch::Tensor mask[2] = {torch::ones({3, 5}, torch::kBool), torch::ones({2, 7}, torch::kBool)};
    mask[0][2][4] = false;   // a padding position
    const torch::Tensor tasks[2] = {torch::tensor({0, 1, 2}, torch::kInt64), torch::tensor({1, 2}, torch::kInt64)};
    const torch::Tensor weight[2] = {torch::randn({3, 5, 16}), torch::randn({2, 7, 16})};
    MoeCall call;
    call.capacityFactor = 0;   // no capacity: each rank's copies are what one layer would keep

    // One layer, every expert, both ranks' tokens.
    torch::Tensor expected[2];
    torch::Tensor loss = torch::zeros({});
    for (int r = 0; r < 2; ++r) {
        expected[r] = layer->forward(x[r], mask[r], tasks[r], call).output;
        loss = loss + (expected[r] * weight[r]).sum();
    }
    loss.backward();
    std::vector<torch::Tensor> reference;
    for (const auto &p : layer->parameters()) {
        reference.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
        if (p.grad().defined())
            p.mutable_grad().zero_();
    }

    RendezvousOptions options;
    options.masterPort = port;
    options.rank = rank;
    options.world = 2;
    options.timeout = std::chrono::seconds(60);
    Communicator comm(options);
    layer->setExpertParallel(&comm);
    const torch::Tensor out = layer->forward(x[rank], mask[rank], tasks[rank], call).output;
    (out * weight[rank]).sum().backward();
    std::vector<torch::Tensor> grads;
    for (const auto &p : layer->parameters())
        grads.push_back(p.grad().defined() ? p.grad() : torch::zeros_like(p));
    for (auto &g : grads) {
        std::vector<torch::Tensor> one{g};
        comm.allreduceSum(one, "summing a test's gradients");
    }
    const auto [moved, dispatched] = layer->takeMovedCopies();
    std::string problems;
    if (!torch::allclose(out, expected[rank], 1e-5, 1e-6))
        problems += "rank " + std::to_string(rank) + ": outputs differ; ";
    for (std::size_t i = 0; i < grads.size(); ++i)
        if (!torch::allclose(grads[i], reference[i], 1e-4, 1e-6))
            problems += "rank " + std::to_string(rank) + ": gradient " + std::to_string(i) + " differs; ";
    if (isTaskRouting(routing) ? moved != 0 : moved == 0)
        problems += "rank " + std::to_string(rank) + ": " + std::to_string(moved) + " of " + std::to_string(dispatched)
                    + " copies moved; ";
    return problems;
}

} // namespace

class TestExpertParallel : public QObject
{
    Q_OBJECT

    void check(Routing routing)
    {
        const int port = freeLocalPort();
        QProcess other;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("TASKMOE_EP_RANK"), QStringLiteral("1"));
        env.insert(QStringLiteral("TASKMOE_EP_PORT"), QString::number(port));
        env.insert(QStringLiteral("TASKMOE_EP_ROUTING"), QString::number(int(routing)));
        other.setProcessEnvironment(env);
        other.setProcessChannelMode(QProcess::ForwardedChannels);
        other.start(QCoreApplication::applicationFilePath(), {});
        QVERIFY(other.waitForStarted());
        const std::string problems = runRank(0, port, routing);
        QVERIFY(other.waitForFinished(60000));
        QVERIFY2(problems.empty(), problems.c_str());
        QCOMPARE(other.exitCode(), 0);   // rank 1 found its outputs and gradients equal too
    }

private slots:
    void tokenRoutedCopiesTravelAndComeBackExactly() { check(Routing::Token); }
    void taskRoutedLayersComputeLocallyWithTheSameResult() { check(Routing::TaskTarget); }
};

int main(int argc, char **argv)
{
    if (const char *rank = std::getenv("TASKMOE_EP_RANK")) {
        const std::string problems = runRank(std::atoi(rank), std::atoi(std::getenv("TASKMOE_EP_PORT")),
                                             Routing(std::atoi(std::getenv("TASKMOE_EP_ROUTING"))));
        if (!problems.empty())
            std::fprintf(stderr, "%s\n", problems.c_str());
        return problems.empty() ? 0 : 1;
    }
    QCoreApplication app(argc, argv);
    TestExpertParallel test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_expertparallel.moc"
