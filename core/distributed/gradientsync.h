#pragma once
/// Data parallelism's gradient sum, overlapped with the backward pass (the way PyTorch's
/// DistributedDataParallel does it): the parameters are put in buckets of about 25 MB in the
/// reverse of their order (roughly the order the backward pass finishes them); a hook on each
/// parameter's gradient accumulator marks it ready, and a bucket whose parameters are all ready
/// starts summing on the communicator's gradient group while the backward pass goes on.
/// Buckets start strictly in their order, so every rank issues the same sequence of sums
/// whatever order its own backward pass finishes them in. Parameters the step's graph does not
/// reach (found from the loss before the backward pass) are ready at once, and count as zeros
/// when they have no gradient.
///
/// Use, every step: prepare(loss); loss.backward(); finish(); — then every parameter's
/// gradient is the sum over the ranks.
#include "core/model/torch.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace taskmoe::core {

class Communicator;

class GradientSync
{
public:
    static constexpr std::int64_t kBucketBytes = 25 << 20;

    /// `overlap` false: every bucket starts after the backward pass (to measure the difference).
    GradientSync(Communicator &comm, std::vector<torch::Tensor> parameters, std::int64_t bucketBytes = kBucketBytes,
                 bool overlap = true);
    ~GradientSync();
    GradientSync(const GradientSync &) = delete;
    GradientSync &operator=(const GradientSync &) = delete;

    /// Before the backward pass of `loss`: arms the hooks and marks the parameters the graph
    /// does not reach as ready.
    void prepare(const torch::Tensor &loss);
    /// After the backward pass: starts the buckets not started yet, waits for all, and writes
    /// the sums into the gradients.
    void finish();

    std::size_t buckets() const { return m_buckets.size(); }
    /// Of the last step's buckets, how many started before the backward pass ended.
    std::size_t startedDuringBackward() const { return m_startedEarly; }

private:
    struct Bucket
    {
        std::vector<std::size_t> params;
        std::int64_t numel = 0;
        torch::Tensor flat;
        std::size_t waiting = 0;
    };
    struct Hook;
    void markReady(std::size_t param);
    void startReadyBuckets();

    Communicator &m_comm;
    std::vector<torch::Tensor> m_params;
    std::vector<std::shared_ptr<torch::autograd::Node>> m_accumulators;   // kept alive: the hooks stay on them
    std::vector<std::uintptr_t> m_hookKeys;
    std::vector<std::size_t> m_bucketOf;
    std::vector<std::int64_t> m_offsetOf;
    std::vector<Bucket> m_buckets;
    std::vector<bool> m_ready;
    std::size_t m_next = 0;   // the next bucket to start
    bool m_armed = false;
    bool m_overlap = true;
    std::size_t m_startedEarly = 0;
};

} // namespace taskmoe::core
