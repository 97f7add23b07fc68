#include "core/model/moe.h"

#include "core/distributed/communicator.h"
#include "core/distributed/exchange.h"

#include <ATen/Parallel.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <thread>

namespace taskmoe::core {

namespace {

/// While experts run side by side on the intra-op threads, each of their (small) products
/// should use one BLAS thread: a multi-threaded OpenBLAS inside parallel threads wastes the
/// cores (measured here: 1.7–2.1x the dense time instead of 0.8x). OpenBLAS is found at run
/// time; with another BLAS this does nothing.
class SingleThreadedBlas
{
public:
    SingleThreadedBlas()
    {
        static const auto set = reinterpret_cast<void (*)(int)>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
        static const auto get = reinterpret_cast<int (*)()>(::dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
        if (set && get) {
            m_set = set;
            m_previous = get();
            if (m_previous != 1)
                set(1);
        }
    }
    ~SingleThreadedBlas()
    {
        if (m_set && m_previous != 1)
            m_set(m_previous);
    }
    SingleThreadedBlas(const SingleThreadedBlas &) = delete;
    SingleThreadedBlas &operator=(const SingleThreadedBlas &) = delete;

private:
    void (*m_set)(int) = nullptr;
    int m_previous = 1;
};

/// Splits experts into one bin per thread with about equal rows (largest first into the
/// lightest bin), so that one busy expert does not leave a thread idle.
std::vector<std::vector<std::int64_t>> balancedBins(const std::int64_t *offsets, std::int64_t experts, int threads)
{
    std::vector<std::int64_t> order(static_cast<std::size_t>(experts));
    std::iota(order.begin(), order.end(), 0);
    const auto rows = [&](std::int64_t e) { return offsets[e + 1] - offsets[e]; };
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return rows(a) > rows(b); });
    std::vector<std::vector<std::int64_t>> bins(static_cast<std::size_t>(std::max(1, threads)));
    std::vector<std::int64_t> load(bins.size(), 0);
    for (const std::int64_t e : order) {
        if (rows(e) == 0)
            continue;
        const auto lightest = static_cast<std::size_t>(std::min_element(load.begin(), load.end()) - load.begin());
        bins[lightest].push_back(e);
        load[lightest] += rows(e);
    }
    return bins;
}

/// Runs fn(expert, first row, rows) for every expert with rows, the bins on their own
/// threads. Plain threads rather than at::parallel_for: LibTorch's OpenMP loop gave no
/// speed-up for concurrent BLAS products here (measured: 795 ms for two bins of products vs
/// 825 ms serial, and 409–546 ms on two std::threads).
template <typename Fn>
void forEachExpertInParallel(const torch::Tensor &offsets, std::int64_t experts, Fn fn)
{
    const std::int64_t *off = offsets.data_ptr<std::int64_t>();
    const auto bins = balancedBins(off, experts, expertThreads());
    const auto runBin = [&](std::size_t b) {
        // Grad mode is per thread: the products here are the autograd function's own work.
        c10::AutoGradMode noGrad(false);
        for (const std::int64_t e : bins[b])
            fn(e, off[e], off[e + 1] - off[e]);
    };
    SingleThreadedBlas single;
    std::vector<std::thread> workers;
    std::exception_ptr failure;
    std::mutex failureMutex;
    for (std::size_t b = 1; b < bins.size(); ++b)
        if (!bins[b].empty())
            workers.emplace_back([&, b] {
                try {
                    runBin(b);
                } catch (...) {
                    std::lock_guard<std::mutex> lock(failureMutex);
                    failure = std::current_exception();
                }
            });
    try {
        runBin(0);
    } catch (...) {
        std::lock_guard<std::mutex> lock(failureMutex);
        failure = std::current_exception();
    }
    for (auto &w : workers)
        w.join();
    if (failure)
        std::rethrow_exception(failure);
}

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

/// The experts on expert-grouped rows, one product per expert; each row's result scaled by
/// its gate weight (`g` [N, 1]) when gates are given, on rows still in cache. For a backward
/// pass, `hidden` receives ReLU(x · wi_e) and `unscaled` FFN_e(x) (the gates' gradient needs it).
torch::Tensor runExperts(const torch::Tensor &x, const torch::Tensor &wi, const torch::Tensor &wo,
                         const torch::Tensor &offsets, const torch::Tensor &g, torch::Tensor *hidden,
                         torch::Tensor *unscaled)
{
    const std::int64_t n = x.size(0), f = wi.size(2), d = wo.size(2);
    const bool gated = g.defined(), keep = hidden != nullptr;
    if (keep) {
        *hidden = torch::empty({n, f}, x.options());
        if (gated)
            *unscaled = torch::empty({n, d}, x.options());
    }
    auto out = torch::empty({n, d}, x.options());
    forEachExpertInParallel(offsets, wi.size(0), [&](std::int64_t e, std::int64_t start, std::int64_t rows) {
        auto h = keep ? hidden->narrow(0, start, rows) : torch::empty({rows, f}, x.options());  // [rows, f]
        at::mm_out(h, x.narrow(0, start, rows), wi[e]);
        h.relu_();
        if (!gated) {
            auto y = out.narrow(0, start, rows);
            at::mm_out(y, h, wo[e]);
            return;
        }
        auto scaled = out.narrow(0, start, rows);
        if (keep) {
            auto y = unscaled->narrow(0, start, rows);                    // [rows, d]
            at::mm_out(y, h, wo[e]);
            at::mul_out(scaled, y, g.narrow(0, start, rows));
        } else {
            at::mm_out(scaled, h, wo[e]);
            scaled.mul_(g.narrow(0, start, rows));
        }
    });
    return out;
}

/// Forward and backward of runExperts; the gates' scaling and its gradient run inside the
/// experts' threads instead of as passes of their own.
class GroupedExpertFfnFunction : public torch::autograd::Function<GroupedExpertFfnFunction>
{
public:
    static torch::Tensor forward(AutogradContext *ctx, const torch::Tensor &xs, const torch::Tensor &wi,
                                 const torch::Tensor &wo, const torch::Tensor &offsets, const torch::Tensor &gates)
    {
        const auto x = xs.contiguous();
        // No gates come as an empty tensor (autograd's apply takes no undefined inputs).
        const auto g = gates.numel() > 0 ? gates.contiguous().unsqueeze(1) : torch::Tensor();  // [N, 1]
        torch::Tensor hidden, unscaled;
        auto out = runExperts(x, wi, wo, offsets, g, &hidden, &unscaled);
        ctx->save_for_backward({x, wi, wo, hidden, offsets, g, unscaled});
        return out;
    }

    static tensor_list backward(AutogradContext *ctx, tensor_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const auto &x = saved[0], &wi = saved[1], &wo = saved[2], &hidden = saved[3], &offsets = saved[4];
        const auto &g = saved[5], &unscaled = saved[6];
        const bool gated = g.defined();
        const auto grad = grads[0].contiguous();                          // [N, d]
        auto gradX = torch::empty_like(x);
        auto gradGates = gated ? torch::empty({x.size(0)}, x.options()) : torch::Tensor();
        // Every expert with rows writes its whole gradient below; only the others need zeros
        // (not a pass over all E experts' weights, which costs as much as a product at E = 128).
        auto gradWi = torch::empty_like(wi);
        auto gradWo = torch::empty_like(wo);
        const std::int64_t *off = offsets.data_ptr<std::int64_t>();
        for (std::int64_t e = 0; e < wi.size(0); ++e)
            if (off[e + 1] == off[e]) {
                gradWi[e].zero_();
                gradWo[e].zero_();
            }
        forEachExpertInParallel(offsets, wi.size(0), [&](std::int64_t e, std::int64_t start, std::int64_t rows) {
            auto gy = grad.narrow(0, start, rows);                        // [rows, d]: d loss / d FFN_e(x)
            if (gated) {
                auto gg = gradGates.narrow(0, start, rows);
                at::sum_out(gg, gy * unscaled.narrow(0, start, rows), {1});
                gy = gy * g.narrow(0, start, rows);
            }
            const auto h = hidden.narrow(0, start, rows);                 // [rows, f]
            // Through the ReLU in one pass (a mask tensor and a masked fill cost two).
            const auto gh = at::threshold_backward(torch::mm(gy, wo[e].t()), h, 0);  // [rows, f]
            auto gwo = gradWo[e];
            at::mm_out(gwo, h.t(), gy);                                   // [f, d]
            auto gwi = gradWi[e];
            at::mm_out(gwi, x.narrow(0, start, rows).t(), gh);            // [d, f]
            auto gx = gradX.narrow(0, start, rows);
            at::mm_out(gx, gh, wi[e].t());                                // [rows, d]
        });
        return {gradX, gradWi, gradWo, torch::Tensor(), gradGates};
    }
};

} // namespace

namespace {
std::atomic<int> g_expertThreads{0};
} // namespace

void setExpertThreads(int threads)
{
    g_expertThreads = std::max(0, threads);
}

int expertThreads()
{
    const int n = g_expertThreads.load();
    return n > 0 ? n : std::max(1, at::get_num_threads());
}

torch::Tensor groupedExpertFfn(const torch::Tensor &xs, const torch::Tensor &wi, const torch::Tensor &wo,
                               const torch::Tensor &offsets, const torch::Tensor &gates)
{
    TORCH_CHECK(xs.dim() == 2 && wi.dim() == 3 && wo.dim() == 3, "groupedExpertFfn: xs [N,d], wi [E,d,f], wo [E,f,d]");
    TORCH_CHECK(wi.size(0) == wo.size(0) && wi.size(1) == xs.size(1) && wo.size(1) == wi.size(2)
                    && wo.size(2) == xs.size(1),
                "groupedExpertFfn: shapes disagree");
    TORCH_CHECK(offsets.scalar_type() == torch::kInt64 && offsets.device().is_cpu() && offsets.numel() == wi.size(0) + 1,
                "groupedExpertFfn: offsets must be E + 1 int64 values on the CPU");
    TORCH_CHECK(offsets[-1].item<std::int64_t>() == xs.size(0), "groupedExpertFfn: offsets must end at N");
    TORCH_CHECK(!gates.defined() || (gates.dim() == 1 && gates.size(0) == xs.size(0)),
                "groupedExpertFfn: gates must be one weight per row");
    const bool needsGradient = torch::GradMode::is_enabled()
                               && (xs.requires_grad() || wi.requires_grad() || wo.requires_grad()
                                   || (gates.defined() && gates.requires_grad()));
    if (!needsGradient)  // decoding: nothing kept for a backward pass
        return runExperts(xs.contiguous(), wi, wo, offsets.contiguous(),
                          gates.defined() ? gates.contiguous().unsqueeze(1) : torch::Tensor(), nullptr, nullptr);
    return GroupedExpertFfnFunction::apply(xs, wi, wo, offsets.contiguous(),
                                           gates.defined() ? gates : torch::empty({0}, xs.options()));
}

void MoeLayerOptions::validate() const
{
    const auto require = [](bool ok, const std::string &message) {
        if (!ok)
            throw std::invalid_argument(message);
    };
    require(d_model_ >= 1, "d_model must be a positive number (got " + std::to_string(d_model_) + ")");
    require(d_ff_ >= 1, "d_ff must be a positive number (got " + std::to_string(d_ff_) + ")");
    require(num_experts_ >= 1, "num_experts must be at least 1 (got " + std::to_string(num_experts_) + ")");
    require(top_k_ >= 1 && top_k_ <= num_experts_, "top_k must be between 1 and num_experts = "
                                                       + std::to_string(num_experts_) + " (got " + std::to_string(top_k_) + ")");
    require(routing_ != Routing::Dense, "routing of an MoE layer must be token, sentence, task:target or task:pair");
    require(num_tasks_ >= 1, "num_tasks must be at least 1 (got " + std::to_string(num_tasks_) + ")");
    require(capacity_factor_train_ > 0 && capacity_factor_eval_ > 0, "capacity factors must be positive");
    require(router_jitter_ >= 0 && router_jitter_ < 1, "router_jitter must be in [0, 1)");
}

MoeLayerImpl::MoeLayerImpl(const MoeLayerOptions &options) : m_options(options)
{
    m_options.validate();
    const auto e = m_options.num_experts(), d = m_options.d_model(), f = m_options.d_ff();
    router = register_module("router", torch::nn::Linear(torch::nn::LinearOptions(d, e).bias(false)));
    if (isTaskRouting(m_options.routing())) {
        taskEmbedding = register_module("task_embedding", torch::nn::Embedding(m_options.num_tasks(), d));
    }
    // Each expert is initialised like a dense FFN of the same shape.
    wi = register_parameter("wi", torch::empty({e, d, f}).uniform_(-1.0 / std::sqrt(double(d)), 1.0 / std::sqrt(double(d))));
    wo = register_parameter("wo", torch::empty({e, f, d}).uniform_(-1.0 / std::sqrt(double(f)), 1.0 / std::sqrt(double(f))));
}

void MoeLayerImpl::setObserver(RoutingObserver observer, bool decoder, std::int64_t layer)
{
    m_observer = std::move(observer);
    setPlace(decoder, layer);
}

void MoeLayerImpl::setPlace(bool decoder, std::int64_t layer)
{
    m_observerDecoder = decoder;
    m_observerLayer = layer;
}

void MoeLayerImpl::setExpertParallel(Communicator *comm, bool shardTaskExperts)
{
    if (comm && comm->world() > 1 && m_options.num_experts() % comm->world() != 0)
        throw std::invalid_argument("expert parallelism: " + std::to_string(m_options.num_experts()) + " experts do not split over "
                                    + std::to_string(comm->world()) + " ranks");
    if (m_sharded && comm != m_comm)
        throw std::invalid_argument("expert parallelism: this layer's experts are split over a group already");
    m_comm = comm && comm->world() > 1 ? comm : nullptr;
    if (m_comm && !m_sharded && (!isTaskRouting(m_options.routing()) || shardTaskExperts)) {
        // This rank keeps its block of experts only.
        torch::NoGradGuard noGrad;
        const std::int64_t local = m_options.num_experts() / m_comm->world();
        m_firstLocal = m_comm->rank() * local;
        wi.set_data(wi.narrow(0, m_firstLocal, local).clone());
        wo.set_data(wo.narrow(0, m_firstLocal, local).clone());
        m_sharded = true;
    }
}

torch::Tensor MoeLayerImpl::chosenTaskExperts()
{
    TORCH_CHECK(isTaskRouting(m_options.routing()), "chosenTaskExperts: the layer does not route by task");
    torch::NoGradGuard noGrad;
    return std::get<1>(torch::softmax(router(taskEmbedding->weight), -1).topk(m_options.top_k(), -1)).contiguous();
}

std::pair<std::int64_t, std::int64_t> MoeLayerImpl::takeMovedCopies()
{
    const auto out = std::make_pair(m_moved, m_dispatched);
    m_moved = m_dispatched = 0;
    return out;
}

torch::Tensor MoeLayerImpl::expertParallelFfn(const torch::Tensor &xs, const std::vector<std::int64_t> &load)
{
    Communicator &comm = *m_comm;
    const std::int64_t E = m_options.num_experts(), W = comm.world(), me = comm.rank(), El = E / W;
    // How many copies go to each rank, and — exchanged first — how many of each of this rank's
    // experts' copies come from each rank.
    std::vector<std::int64_t> sendRows(std::size_t(W), 0);
    for (std::int64_t e = 0; e < E; ++e)
        sendRows[std::size_t(e / El)] += load[std::size_t(e)];
    auto sendCounts = torch::tensor(load, torch::kInt64);
    auto recvCounts = torch::empty({W * El}, torch::kInt64);
    comm.allToAll(recvCounts, sendCounts, std::vector<std::int64_t>(std::size_t(W), El), std::vector<std::int64_t>(std::size_t(W), El),
                  "telling the ranks how many token copies come");
    const std::int64_t *rc = recvCounts.data_ptr<std::int64_t>();   // [source rank][local expert]
    std::vector<std::int64_t> recvRows(std::size_t(W), 0);
    for (std::int64_t s = 0; s < W; ++s)
        for (std::int64_t j = 0; j < El; ++j)
            recvRows[std::size_t(s)] += rc[s * El + j];
    m_dispatched += xs.size(0);
    m_moved += xs.size(0) - sendRows[std::size_t(me)];

    const auto received = exchangeRows(comm, xs, sendRows, recvRows);     // by source rank, then local expert
    // Group the received rows by local expert (source rank order within an expert).
    std::vector<std::int64_t> start(std::size_t(W * El), 0);
    for (std::int64_t s = 0, at = 0; s < W; ++s)
        for (std::int64_t j = 0; j < El; ++j) {
            start[std::size_t(s * El + j)] = at;
            at += rc[s * El + j];
        }
    const std::int64_t R = received.size(0);
    auto order = torch::empty({R}, torch::kInt64);
    auto offsets = torch::empty({El + 1}, torch::kInt64);
    {
        std::int64_t *o = order.data_ptr<std::int64_t>(), *off = offsets.data_ptr<std::int64_t>();
        std::int64_t n = 0;
        off[0] = 0;
        for (std::int64_t j = 0; j < El; ++j) {
            for (std::int64_t s = 0; s < W; ++s)
                for (std::int64_t i = 0; i < rc[s * El + j]; ++i)
                    o[n++] = start[std::size_t(s * El + j)] + i;
            off[j + 1] = n;
        }
    }
    // This rank's experts (sharded weights; or rows of whole ones).
    const auto localWi = wi.size(0) == El ? wi : wi.narrow(0, me * El, El);
    const auto localWo = wo.size(0) == El ? wo : wo.narrow(0, me * El, El);
    const auto local = groupedExpertFfn(received.index_select(0, order), localWi, localWo, offsets);
    // Back into the received order, and back to the ranks the copies came from.
    const auto back = torch::empty_like(order).index_copy_(0, order, torch::arange(R, torch::kInt64));
    return exchangeRows(comm, local.index_select(0, back), recvRows, sendRows);
}

MoeOutput MoeLayerImpl::forward(const torch::Tensor &x, const torch::Tensor &mask, const torch::Tensor &tasks,
                                const MoeCall &call)
{
    const std::int64_t E = m_options.num_experts(), k = m_options.top_k(), d = m_options.d_model();
    TORCH_CHECK(x.dim() == 3 && x.size(2) == d, "MoE layer: input must be [B, S, ", d, "], got ", x.sizes());
    TORCH_CHECK(mask.sizes() == x.sizes().slice(0, 2) && mask.scalar_type() == torch::kBool,
                "MoE layer: mask must be a [B, S] bool tensor");
    const std::int64_t B = x.size(0), S = x.size(1);

    // Non-padding tokens only: padding neither uses capacity nor counts in the balance loss.
    const auto positions = mask.reshape(-1).nonzero().squeeze(1);          // [T]
    const std::int64_t T = positions.size(0);
    const auto xt = x.reshape({B * S, d}).index_select(0, positions);      // [T, d]
    const auto sentenceOf = torch::div(positions, S, "trunc");             // [T]

    // 1. Router logits, from the input the granularity prescribes.
    const auto jitter = [&](torch::Tensor r) {
        const double eps = m_options.router_jitter();
        if (is_training() && eps > 0)
            r = r * torch::empty_like(r).uniform_(1.0 - eps, 1.0 + eps);
        return r;
    };
    torch::Tensor logits;                                                   // [T, E]
    switch (m_options.routing()) {
    case Routing::Token:
        logits = router(jitter(xt));
        break;
    case Routing::Sentence: {
        const auto m = mask.unsqueeze(-1).to(x.scalar_type());             // [B, S, 1]
        const auto xm = x * m;
        if (!m_options.causal_sentence()) {
            const auto mean = xm.sum(1) / m.sum(1).clamp_min(1.0);         // [B, d]
            logits = router(jitter(mean)).index_select(0, sentenceOf);
            break;
        }
        // Prefix means: position s averages the real positions 0..s (plus earlier calls').
        auto sums = xm.cumsum(1);                                          // [B, S, d]
        auto counts = m.cumsum(1);                                         // [B, S, 1]
        TORCH_CHECK((call.prefixSum == nullptr) == (call.prefixCount == nullptr),
                    "MoE layer: prefixSum and prefixCount go together");
        if (call.prefixSum) {
            if (!call.prefixSum->defined()) {
                *call.prefixSum = torch::zeros({B, d}, x.options());
                *call.prefixCount = torch::zeros({B, 1}, x.options());
            }
            TORCH_CHECK(call.prefixSum->size(0) == B && call.prefixCount->size(0) == B,
                        "MoE layer: the prefix state's batch does not match the input's");
            sums = sums + call.prefixSum->unsqueeze(1);
            counts = counts + call.prefixCount->unsqueeze(1);
            *call.prefixSum = sums.select(1, S - 1);
            *call.prefixCount = counts.select(1, S - 1);
        }
        const auto means = (sums / counts.clamp_min(1.0)).reshape({B * S, d}).index_select(0, positions);  // [T, d]
        logits = router(jitter(means));
        break;
    }
    case Routing::TaskTarget:
    case Routing::TaskPair: {
        if (!tasks.defined() || tasks.dim() != 1 || tasks.size(0) != B)
            throw std::invalid_argument("task routing needs one task id per sentence (" + std::to_string(B) + ")");
        if (B > 0) {
            const auto lo = tasks.min().item<std::int64_t>(), hi = tasks.max().item<std::int64_t>();
            if (lo < 0 || hi >= m_options.num_tasks())
                throw std::invalid_argument("task id " + std::to_string(lo < 0 ? lo : hi) + " is outside the task table (0.."
                                            + std::to_string(m_options.num_tasks() - 1) + ")");
        }
        // One row of logits per task, then per token: every token of a task sees bit-identical
        // logits, whichever sentence it is in.
        const auto taskOfToken = tasks.index_select(0, sentenceOf);
        logits = router(jitter(taskEmbedding->weight)).index_select(0, taskOfToken);
        break;
    }
    case Routing::Dense:
        TORCH_CHECK(false, "MoE layer with dense routing");
    }

    MoeOutput result;
    result.tokens = T;
    if (T == 0) {
        result.output = torch::zeros_like(x);
        result.balanceLoss = torch::zeros({}, x.options());
        result.zLoss = torch::zeros({}, x.options());
        result.expertLoad = torch::zeros({E}, torch::kInt64);
        return result;
    }

    // 2. Top-k of the softmax, weights renormalised over the chosen experts.
    const auto probs = torch::softmax(logits, -1);                          // [T, E]
    const auto [topValues, topExperts] = probs.topk(k, -1);                 // [T, k] each
    const auto gates = topValues / topValues.sum(-1, true);                 // [T, k]

    // 3. Capacity, in priority order (choice rank, then token order), and the grouping of
    //    the kept copies by expert (counting sort). Index work on small CPU integer arrays.
    const double factor = call.capacityFactor >= 0 ? call.capacityFactor
                          : is_training()          ? m_options.capacity_factor_train()
                                                   : m_options.capacity_factor_eval();
    // Without a limit an expert can take every token (a token's k choices are distinct).
    const auto capacity = factor == 0 ? T : static_cast<std::int64_t>(std::ceil(factor * double(k) * double(T) / double(E)));
    const auto chosen = topExperts.to(torch::kCPU).contiguous();
    const std::int64_t *choice = chosen.data_ptr<std::int64_t>();           // [T, k] row-major
    std::vector<std::int64_t> load(static_cast<std::size_t>(E), 0);
    auto keptTensor = torch::zeros({T, k}, torch::kBool);
    bool *kept = keptTensor.data_ptr<bool>();
    for (std::int64_t r = 0; r < k; ++r)
        for (std::int64_t t = 0; t < T; ++t) {
            auto &n = load[static_cast<std::size_t>(choice[t * k + r])];
            if (n < capacity) {
                kept[t * k + r] = true;
                ++n;
            }
        }
    auto offsets = torch::empty({E + 1}, torch::kInt64);
    std::int64_t *off = offsets.data_ptr<std::int64_t>();
    off[0] = 0;
    for (std::int64_t e = 0; e < E; ++e)
        off[e + 1] = off[e] + load[static_cast<std::size_t>(e)];
    const std::int64_t N = off[E];
    auto tokenOfSlot = torch::empty({N}, torch::kInt64);                    // which token fills each row
    auto copyOfSlot = torch::empty({N}, torch::kInt64);                     // which (token, rank) copy: t·k + r
    {
        std::int64_t *tok = tokenOfSlot.data_ptr<std::int64_t>(), *copy = copyOfSlot.data_ptr<std::int64_t>();
        std::vector<std::int64_t> fill(off, off + E);
        for (std::int64_t r = 0; r < k; ++r)
            for (std::int64_t t = 0; t < T; ++t)
                if (kept[t * k + r]) {
                    const std::int64_t slot = fill[static_cast<std::size_t>(choice[t * k + r])]++;
                    tok[slot] = t;
                    copy[slot] = t * k + r;
                }
    }
    tokenOfSlot = tokenOfSlot.to(x.device());
    copyOfSlot = copyOfSlot.to(x.device());

    // 4–5. Dispatch, experts, weighted combine.
    torch::Tensor y;                                                        // [T, d]
    const bool parallel = m_comm && is_training() && !m_reference;
    if (!parallel && wi.size(0) != E)
        throw std::logic_error("MoE layer: this rank holds " + std::to_string(wi.size(0)) + " of " + std::to_string(E)
                               + " experts; it runs only while training expert-parallel (put the whole experts back to evaluate)");
    if (parallel && !m_sharded) {
        // Task routing with every expert here: a task's tokens all go to the task's experts, and
        // the trainer keeps each task's sentences on one rank: that rank runs the task's
        // experts, nothing travels.
        m_dispatched += N;
    }
    if (parallel && m_sharded) {
        const auto xs = xt.index_select(0, tokenOfSlot);                    // [N, d] grouped by expert
        const auto g = gates.reshape(-1).index_select(0, copyOfSlot).to(xs.scalar_type());  // [N]
        const auto ys = expertParallelFfn(xs, load);                         // [N, d], unweighted
        y = torch::zeros({T, d}, x.options()).index_add(0, tokenOfSlot, ys * g.unsqueeze(1));
    } else if (!m_reference) {
        const auto xs = xt.index_select(0, tokenOfSlot);                    // [N, d] grouped by expert
        const auto g = gates.reshape(-1).index_select(0, copyOfSlot).to(xs.scalar_type());  // [N]
        const auto ys = groupedExpertFfn(xs, wi, wo, offsets, g);           // [N, d], weighted by the gates
        y = torch::zeros({T, d}, x.options()).index_add(0, tokenOfSlot, ys);
    } else {
        // Reference: every expert on every token, masked as GShard's one-hot dispatch would.
        const auto keptOnDevice = keptTensor.to(x.device());
        const auto rankMajor = topExperts.t().reshape(-1);                  // [k·T]: rank, then token
        y = torch::zeros({T, d}, x.options());
        for (std::int64_t e = 0; e < E; ++e) {
            const auto mine = rankMajor.eq(e);
            const auto accepted = (mine & mine.to(torch::kInt64).cumsum(0).le(capacity)).reshape({k, T}).t();  // [T, k]
            TORCH_CHECK(torch::equal(accepted, topExperts.eq(e) & keptOnDevice), "reference capacity disagrees");
            const auto weight = (gates * accepted.to(gates.scalar_type())).sum(-1, true);  // [T, 1]
            y = y + torch::relu(xt.matmul(wi[e])).matmul(wo[e]) * weight;
        }
    }
    result.output = torch::zeros({B * S, d}, x.options()).index_add(0, positions, y).reshape({B, S, d});

    // Auxiliary losses: f_e = share of tokens whose first choice is e, P_e = mean probability.
    const auto firstChoice = torch::bincount(topExperts.select(1, 0), {}, E).to(probs.scalar_type()) / double(T);
    result.balanceLoss = double(E) * (firstChoice * probs.mean(0)).sum();
    result.zLoss = torch::logsumexp(logits, -1).pow(2).mean();
    result.expertLoad = torch::from_blob(load.data(), {E}, torch::kInt64).clone();
    result.dropped = k * T - N;

    if (m_observer || (call.observer && *call.observer)) {
        RoutingDecision decision;
        decision.decoder = m_observerDecoder;
        decision.layer = m_observerLayer;
        decision.positions = positions;
        decision.sentences = sentenceOf;
        decision.experts = topExperts;
        decision.gates = gates.detach();
        decision.dropped = keptTensor.logical_not();
        decision.tasks = tasks.defined() ? tasks : torch::Tensor();
        decision.capacity = capacity;
        if (m_observer)
            m_observer(decision);
        if (call.observer && *call.observer)
            (*call.observer)(decision);
    }
    return result;
}

} // namespace taskmoe::core
