// The expert-parallel MoE layer on two ranks (c10d/Gloo over 127.0.0.1; the test starts itself
// again as rank 1) gives each rank the outputs one layer computing every expert gives for that
// rank's tokens, and the gradients of one layer that saw both ranks' tokens (a held expert's on
// its rank, the rest summed over the ranks) — for token routing (copies travel) and task routing (nothing travels). Also the
// gradient sum that overlaps the backward pass: the same sums as summing after it, buckets
// started while the pass runs, and ranks whose graphs reach different parameters agreeing.
#include "core/distributed/communicator.h"
#include "core/distributed/gradientsync.h"
#include "core/model/moe.h"

#include <QCoreApplication>
#include <QProcess>
#include <QtTest>

#include <cstdlib>
#include <string>

using namespace taskmoe::core;

namespace {

/// Rank `rank` of a group of two on 127.0.0.1:`port`.
RendezvousOptions twoRanks(int rank, int port)
{
    RendezvousOptions options;
    options.masterPort = port;
    options.rank = rank;
    options.world = 2;
    options.timeout = std::chrono::seconds(60);
    return options;
}

/// Runs rank `rank` of the check; returns "" when every value matched, else what did not.
std::string runRank(int rank, int port, Routing routing, bool splitTaskExperts = false)
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
    loss = torch::Tensor();   // the graph goes (the layer's experts are about to change shape)
    for (auto &e : expected)
        e = e.detach();
    std::vector<torch::Tensor> reference;
    for (const auto &p : layer->parameters()) {
        reference.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
        p.mutable_grad() = torch::Tensor();
    }

    Communicator comm(twoRanks(rank, port));
    layer->setExpertParallel(&comm, splitTaskExperts);
    const torch::Tensor out = layer->forward(x[rank], mask[rank], tasks[rank], call).output;
    (out * weight[rank]).sum().backward();
    // Split experts (token routing; task routing when asked): this rank holds experts first …
    // first+1 only, and their gradients are complete here; every other gradient is summed over
    // the ranks.
    const std::int64_t first = layer->firstLocalExpert(), held = layer->wi.size(0);
    const bool split = !isTaskRouting(routing) || splitTaskExperts;
    if (layer->expertsSharded() != split || held != (split ? 2 : 4) || first != (split ? 2 * rank : 0))
        return "rank " + std::to_string(rank) + ": holds " + std::to_string(held) + " experts from " + std::to_string(first);
    std::vector<torch::Tensor> grads;
    std::size_t index = 0;
    for (const auto &p : layer->parameters()) {
        torch::Tensor g = p.grad().defined() ? p.grad() : torch::zeros_like(p);
        const bool split = layer->expertsSharded() && (p.is_same(layer->wi) || p.is_same(layer->wo));
        if (split)
            reference[index] = reference[index].narrow(0, first, held);
        else {
            std::vector<torch::Tensor> one{g};
            comm.allreduceSum(one, "summing a test's gradients");
        }
        grads.push_back(g);
        ++index;
    }
    const auto [moved, dispatched] = layer->takeMovedCopies();
    std::string problems;
    if (!torch::allclose(out, expected[rank], 1e-5, 1e-6))
        problems += "rank " + std::to_string(rank) + ": outputs differ; ";
    for (std::size_t i = 0; i < grads.size(); ++i)
        if (!torch::allclose(grads[i], reference[i], 1e-4, 1e-6))
            problems += "rank " + std::to_string(rank) + ": gradient " + std::to_string(i) + " differs; ";
    if (split ? moved == 0 : moved != 0)
        problems += "rank " + std::to_string(rank) + ": " + std::to_string(moved) + " of " + std::to_string(dispatched)
                    + " copies moved; ";
    return problems;
}

/// The overlapped gradient sum on rank `rank`: a chain of layers in several buckets, a branch
/// only rank 0 uses (rank 1's graph never reaches it) and a parameter no rank uses. Returns ""
/// when the sums equal summing every gradient after the backward pass.
std::string runGradientSync(int rank, int port)
{
    torch::manual_seed(3);
    std::vector<torch::nn::Linear> chain;
    for (int i = 0; i < 6; ++i)
        chain.emplace_back(torch::nn::LinearOptions(64, 64));
    torch::nn::Linear branch(torch::nn::LinearOptions(64, 64));
    torch::Tensor unused = torch::randn({5}).requires_grad_();
    std::vector<torch::Tensor> params;
    for (auto &l : chain)
        for (auto &p : l->parameters())
            params.push_back(p);
    for (auto &p : branch->parameters())
        params.push_back(p);
    params.push_back(unused);

    torch::manual_seed(100 + rank);
    const torch::Tensor x = torch::randn({8, 64});
    auto lossOf = [&] {
        torch::Tensor h = x;
        for (auto &l : chain)
            h = torch::tanh(l->forward(h));
        if (rank == 0)
            h = h + branch->forward(h);
        return h.square().sum();
    };

    Communicator comm(twoRanks(rank, port));

    // Reference: backward, then every gradient summed (zeros where there is none).
    lossOf().backward();
    std::vector<torch::Tensor> expected;
    for (auto &p : params) {
        std::vector<torch::Tensor> one{p.grad().defined() ? p.grad().clone() : torch::zeros_like(p)};
        comm.allreduceSum(one, "summing a test's gradients");
        expected.push_back(one[0]);
        p.mutable_grad() = torch::Tensor();
    }

    GradientSync sync(comm, params, 64 * 65 * 4 * 2);   // two layers a bucket
    std::string problems;
    for (int step = 0; step < 2; ++step) {   // the second step reuses the buckets
        const torch::Tensor loss = lossOf();
        sync.prepare(loss);
        loss.backward();
        sync.finish();
        for (std::size_t i = 0; i < params.size(); ++i) {
            if (!torch::allclose(params[i].grad(), expected[i], 1e-5, 1e-6))
                problems += "rank " + std::to_string(rank) + " step " + std::to_string(step) + ": sum " + std::to_string(i)
                            + " differs; ";
            params[i].mutable_grad() = torch::Tensor();
        }
        if (sync.buckets() < 4 || sync.startedDuringBackward() < 2)
            problems += "rank " + std::to_string(rank) + ": " + std::to_string(sync.startedDuringBackward()) + " of "
                        + std::to_string(sync.buckets()) + " buckets started during the backward pass; ";
    }
    return problems;
}

/// Starts this test program again as rank 1 of `what`, runs rank 0 here; both must find nothing wrong.
template <typename RunRank>
void onTwoRanks(const QString &what, RunRank runRank)
{
    const int port = freeLocalPort();
    QProcess other;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("TASKMOE_EP_RANK"), QStringLiteral("1"));
    env.insert(QStringLiteral("TASKMOE_EP_PORT"), QString::number(port));
    env.insert(QStringLiteral("TASKMOE_EP_CASE"), what);
    other.setProcessEnvironment(env);
    other.setProcessChannelMode(QProcess::ForwardedChannels);
    other.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(other.waitForStarted());
    const std::string problems = runRank(0, port);
    QVERIFY(other.waitForFinished(60000));
    QVERIFY2(problems.empty(), problems.c_str());
    QCOMPARE(other.exitCode(), 0);   // rank 1 found everything equal too
}

std::string runCase(const std::string &what, int rank, int port)
{
    if (what == "sync")
        return runGradientSync(rank, port);
    if (what == "task split")
        return runRank(rank, port, Routing::TaskTarget, true);
    return runRank(rank, port, what == "task" ? Routing::TaskTarget : Routing::Token);
}

} // namespace

class TestExpertParallel : public QObject
{
    Q_OBJECT

private slots:
    void tokenRoutedCopiesTravelAndComeBackExactly()
    {
        onTwoRanks(QStringLiteral("token"), [](int rank, int port) { return runCase("token", rank, port); });
    }
    void taskRoutedLayersComputeLocallyWithTheSameResult()
    {
        onTwoRanks(QStringLiteral("task"), [](int rank, int port) { return runCase("task", rank, port); });
    }
    void taskRoutedLayersWithSplitExpertsSendCopiesToTheirExpertsRank()
    {
        onTwoRanks(QStringLiteral("task split"), [](int rank, int port) { return runCase("task split", rank, port); });
    }
    void gradientSumsOverlapTheBackwardPassAndEqualSummingAfterIt()
    {
        onTwoRanks(QStringLiteral("sync"), [](int rank, int port) { return runCase("sync", rank, port); });
    }
};

int main(int argc, char **argv)
{
    if (const char *rank = std::getenv("TASKMOE_EP_RANK")) {
        const std::string problems = runCase(std::getenv("TASKMOE_EP_CASE"), std::atoi(rank), std::atoi(std::getenv("TASKMOE_EP_PORT")));
        if (!problems.empty())
            std::fprintf(stderr, "%s\n", problems.c_str());
        return problems.empty() ? 0 : 1;
    }
    QCoreApplication app(argc, argv);
    TestExpertParallel test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_expertparallel.moc"
