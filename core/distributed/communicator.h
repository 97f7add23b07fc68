#pragma once
/// Training across processes on PyTorch's own distributed engine: a c10d `TCPStore` for the
/// rendezvous (rank 0 serves it at the master address and port, the others connect) and a
/// `ProcessGroupGloo` for the collectives (NCCL where a LibTorch with CUDA is used; Debian's is
/// CPU-only). The header keeps c10d (and LibTorch) out of the files that include it.
///
/// Every collective is timed: the trainer reports the time each rank spent communicating and
/// the bytes it sent, per step. A peer that dies makes the pending collective fail (Gloo sees the
/// connection close) and the call throws CommunicationError naming what it was doing.
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace at {
class Tensor;
}

namespace taskmoe::core {

struct CommunicationError : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

struct RendezvousOptions
{
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    int rank = 0;
    int world = 1;
    /// How long a collective or the rendezvous waits for the other ranks before failing.
    std::chrono::milliseconds timeout{std::chrono::minutes(10)};
};

class Communicator
{
public:
    /// Joins the group: blocks until all `world` ranks have connected (or the timeout passes:
    /// CommunicationError naming the address and port).
    explicit Communicator(const RendezvousOptions &options);
    ~Communicator();
    Communicator(const Communicator &) = delete;
    Communicator &operator=(const Communicator &) = delete;

    int rank() const { return m_options.rank; }
    int world() const { return m_options.world; }

    /// Sums `tensors` element-wise over all ranks, in place (contiguous CPU tensors).
    void allreduceSum(std::vector<at::Tensor> &tensors, const char *what);
    /// `tensor` of rank `root` everywhere, in place.
    void broadcast(at::Tensor &tensor, int root, const char *what);
    /// Exchanges rows: `input` holds this rank's rows for every rank in rank order
    /// (`inputSplits[r]` rows for rank r), `output` receives `outputSplits[r]` rows from rank r.
    void allToAll(at::Tensor &output, at::Tensor &input, const std::vector<std::int64_t> &outputSplits,
                  const std::vector<std::int64_t> &inputSplits, const char *what);
    /// Rank `root` gets every rank's `rows` (the same shape on every rank) one after the other
    /// along the first dimension, in rank order; the other ranks get an undefined tensor.
    at::Tensor gatherRows(const at::Tensor &rows, int root, const char *what);
    /// Waits until every rank has arrived.
    void barrier(const char *what);

    /// Starts summing `flat` (contiguous CPU) over all ranks on a second group kept for
    /// gradients, and returns at once: the sums run on Gloo's threads while this one goes on
    /// (e.g. with the backward pass). The gradient group's own order of calls must be the same
    /// on every rank; it never interleaves with the calls above. `flat` must stay untouched
    /// until waitStartedSums() returns.
    void startSum(at::Tensor &flat);
    /// Waits for every started sum; the time waited counts as communication (the part that ran
    /// beside the computation does not). Throws CommunicationError naming `what`.
    void waitStartedSums(const char *what);

    /// A value for every rank through the rendezvous store (`get` blocks until it is set).
    void set(const std::string &key, const std::string &value);
    std::string get(const std::string &key);

    /// Time spent in collectives and bytes this rank sent since the last call; resets them.
    /// The all-to-all exchanges (the expert-parallel MoE layers' traffic) also count apart.
    struct Usage
    {
        double seconds = 0;
        std::int64_t bytes = 0;
        double exchangeSeconds = 0;       ///< of `seconds`, in allToAll()
        std::int64_t exchangeBytes = 0;   ///< of `bytes`, sent by allToAll()
    };
    Usage takeUsage();

private:
    struct Impl;
    RendezvousOptions m_options;
    std::unique_ptr<Impl> m_impl;
    Usage m_usage;
};

/// A TCP port on this machine that nothing listens on now (for a local group's rendezvous).
int freeLocalPort();

} // namespace taskmoe::core
