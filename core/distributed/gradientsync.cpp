#include "core/distributed/gradientsync.h"

#include "core/distributed/communicator.h"

#include <torch/csrc/autograd/function_hook.h>

#include <stdexcept>
#include <unordered_set>

namespace taskmoe::core {

/// Runs after a parameter's gradient accumulator, when its gradient for this pass is complete.
struct GradientSync::Hook : torch::autograd::FunctionPostHook
{
    Hook(GradientSync *sync, std::size_t index) : sync(sync), index(index) {}
    torch::autograd::variable_list operator()(const torch::autograd::variable_list &outputs,
                                              const torch::autograd::variable_list &) override
    {
        if (sync->m_armed)
            sync->markReady(index);
        return outputs;
    }
    GradientSync *sync;
    std::size_t index;
};

GradientSync::GradientSync(Communicator &comm, std::vector<torch::Tensor> parameters, std::int64_t bucketBytes, bool overlap)
    : m_comm(comm), m_params(std::move(parameters)), m_overlap(overlap)
{
    m_bucketOf.resize(m_params.size());
    m_offsetOf.resize(m_params.size());
    m_ready.assign(m_params.size(), false);
    // Reverse order: the backward pass finishes the last layers first.
    for (std::size_t k = m_params.size(); k-- > 0;) {
        const auto &p = m_params[k];
        if (!p.requires_grad() || !p.is_leaf() || p.scalar_type() != torch::kFloat32)
            throw std::invalid_argument("gradient sync: parameters must be float leaf tensors that require a gradient");
        const std::int64_t bytes = p.numel() * std::int64_t(p.element_size());
        if (m_buckets.empty() || (m_buckets.back().numel > 0 && (m_buckets.back().numel * 4 + bytes) > bucketBytes))
            m_buckets.emplace_back();
        Bucket &b = m_buckets.back();
        m_bucketOf[k] = m_buckets.size() - 1;
        m_offsetOf[k] = b.numel;
        b.params.push_back(k);
        b.numel += p.numel();
    }
    for (auto &b : m_buckets)
        b.flat = torch::empty({b.numel}, torch::kFloat32);
    for (std::size_t k = 0; k < m_params.size(); ++k) {
        auto accumulator = torch::autograd::impl::grad_accumulator(m_params[k]);
        m_hookKeys.push_back(accumulator->add_post_hook(std::make_unique<Hook>(this, k)));
        m_accumulators.push_back(std::move(accumulator));
    }
}

GradientSync::~GradientSync()
{
    for (std::size_t k = 0; k < m_accumulators.size(); ++k)
        m_accumulators[k]->del_post_hook(m_hookKeys[k]);
}

void GradientSync::prepare(const torch::Tensor &loss)
{
    m_ready.assign(m_params.size(), false);
    for (auto &b : m_buckets)
        b.waiting = b.params.size();
    m_next = 0;
    m_startedEarly = 0;
    if (!m_overlap)
        return;   // finish() starts every bucket
    m_armed = true;
    // The accumulators this pass will run: everything reachable from the loss.
    std::unordered_set<const torch::autograd::Node *> reached;
    std::vector<torch::autograd::Node *> todo;
    if (loss.grad_fn())
        todo.push_back(loss.grad_fn().get());
    while (!todo.empty()) {
        auto *node = todo.back();
        todo.pop_back();
        if (!reached.insert(node).second)
            continue;
        for (const auto &edge : node->next_edges())
            if (edge.function)
                todo.push_back(edge.function.get());
    }
    for (std::size_t k = 0; k < m_params.size(); ++k)
        if (!reached.count(m_accumulators[k].get()))
            markReady(k);
}

void GradientSync::markReady(std::size_t param)
{
    if (m_ready[param])
        return;
    m_ready[param] = true;
    --m_buckets[m_bucketOf[param]].waiting;
    startReadyBuckets();
}

void GradientSync::startReadyBuckets()
{
    torch::NoGradGuard noGrad;
    while (m_next < m_buckets.size() && m_buckets[m_next].waiting == 0) {
        Bucket &b = m_buckets[m_next++];
        for (std::size_t k : b.params) {
            auto slice = b.flat.narrow(0, m_offsetOf[k], m_params[k].numel());
            const auto &g = m_params[k].grad();
            if (g.defined())
                slice.copy_(g.reshape({-1}));
            else
                slice.zero_();
        }
        m_comm.startSum(b.flat);
        if (m_armed)
            ++m_startedEarly;
    }
}

void GradientSync::finish()
{
    m_armed = false;
    for (std::size_t k = 0; k < m_params.size(); ++k)
        if (!m_ready[k]) {
            m_ready[k] = true;
            --m_buckets[m_bucketOf[k]].waiting;
        }
    startReadyBuckets();
    m_comm.waitStartedSums("summing the gradients");
    torch::NoGradGuard noGrad;
    for (std::size_t k = 0; k < m_params.size(); ++k) {
        const Bucket &b = m_buckets[m_bucketOf[k]];
        m_params[k].mutable_grad() = b.flat.narrow(0, m_offsetOf[k], m_params[k].numel()).view_as(m_params[k]).clone();
    }
}

} // namespace taskmoe::core
