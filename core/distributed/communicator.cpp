#include "core/distributed/communicator.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <numeric>

namespace taskmoe::core {

struct Communicator::Impl
{
    c10::intrusive_ptr<c10d::TCPStore> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
    /// Gradient sums started during the backward pass, on their own group (and Gloo context)
    /// so that their order never mixes with the MoE layers' exchanges in the same pass.
    c10::intrusive_ptr<c10d::ProcessGroupGloo> gradientGroup;
    std::vector<c10::intrusive_ptr<c10d::Work>> started;
};

namespace {

bool isLoopback(const std::string &address)
{
    return address == "127.0.0.1" || address == "localhost" || address == "::1";
}

std::int64_t bytesOf(const std::vector<at::Tensor> &tensors)
{
    std::int64_t n = 0;
    for (const auto &t : tensors)
        n += t.numel() * std::int64_t(t.element_size());
    return n;
}

} // namespace

Communicator::Communicator(const RendezvousOptions &options) : m_options(options), m_impl(std::make_unique<Impl>())
{
    if (options.world < 1 || options.rank < 0 || options.rank >= options.world)
        throw CommunicationError("rank " + std::to_string(options.rank) + " is outside a group of " +
                                 std::to_string(options.world));
    try {
        c10d::TCPStoreOptions so;
        so.port = std::uint16_t(options.masterPort);
        so.isServer = options.rank == 0;
        so.numWorkers = std::size_t(options.world);
        so.waitWorkers = true;
        so.timeout = options.timeout;
        m_impl->store = c10::make_intrusive<c10d::TCPStore>(options.masterAddr, so);
        auto go = c10d::ProcessGroupGloo::Options::create(options.timeout);
        // On one machine the loopback device; across machines the interface the host name resolves to.
        go->devices.push_back(isLoopback(options.masterAddr) ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                                             : c10d::ProcessGroupGloo::createDefaultDevice());
        go->threads = 2;
        m_impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(m_impl->store, options.rank, options.world, go);
        m_impl->gradientGroup = c10::make_intrusive<c10d::ProcessGroupGloo>(
            c10::make_intrusive<c10d::PrefixStore>("gradients", m_impl->store), options.rank, options.world, go);
    } catch (const std::exception &e) {
        throw CommunicationError("cannot join the group of " + std::to_string(options.world) + " ranks at " +
                                 options.masterAddr + ":" + std::to_string(options.masterPort) + " as rank " +
                                 std::to_string(options.rank) + ": " + e.what());
    }
}

Communicator::~Communicator() = default;

namespace {

template <typename Start>
void timed(Communicator::Usage &usage, std::int64_t bytes, const char *what, int rank, Start start)
{
    const auto t0 = std::chrono::steady_clock::now();
    try {
        auto work = start();
        work->wait();
    } catch (const std::exception &e) {
        throw CommunicationError(std::string(what) + " (rank " + std::to_string(rank) + "): " + e.what());
    }
    usage.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    usage.bytes += bytes;
}

} // namespace

void Communicator::allreduceSum(std::vector<at::Tensor> &tensors, const char *what)
{
    if (world() == 1 || tensors.empty())
        return;
    // A ring allreduce sends about twice the data (reduce-scatter, then all-gather).
    timed(m_usage, 2 * bytesOf(tensors) * (world() - 1) / world(), what, rank(),
          [&] { return m_impl->group->allreduce(tensors); });
}

void Communicator::broadcast(at::Tensor &tensor, int root, const char *what)
{
    if (world() == 1)
        return;
    std::vector<at::Tensor> tensors{tensor};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    timed(m_usage, rank() == root ? bytesOf(tensors) : 0, what, rank(), [&] { return m_impl->group->broadcast(tensors, o); });
}

void Communicator::allToAll(at::Tensor &output, at::Tensor &input, const std::vector<std::int64_t> &outputSplits,
                            const std::vector<std::int64_t> &inputSplits, const char *what)
{
    if (world() == 1) {
        output.copy_(input);
        return;
    }
    const std::int64_t rowBytes = input.dim() > 0 && input.size(0) > 0 ? input.numel() / input.size(0) * std::int64_t(input.element_size()) : 0;
    std::int64_t sent = 0;
    for (int r = 0; r < world(); ++r)
        if (r != rank())
            sent += inputSplits[std::size_t(r)] * rowBytes;
    std::vector<std::int64_t> out = outputSplits, in = inputSplits;
    const double before = m_usage.seconds;
    timed(m_usage, sent, what, rank(), [&] { return m_impl->group->alltoall_base(output, input, out, in); });
    m_usage.exchangeSeconds += m_usage.seconds - before;
    m_usage.exchangeBytes += sent;
}

at::Tensor Communicator::gatherRows(const at::Tensor &rows, int root, const char *what)
{
    if (world() == 1)
        return rows.clone();
    std::vector<at::Tensor> inputs{rows.contiguous()};
    std::vector<std::vector<at::Tensor>> outputs;
    if (rank() == root) {
        outputs.emplace_back();
        for (int r = 0; r < world(); ++r)
            outputs[0].push_back(at::empty_like(inputs[0]));
    }
    c10d::GatherOptions o;
    o.rootRank = root;
    timed(m_usage, rank() == root ? 0 : bytesOf(inputs), what, rank(), [&] { return m_impl->group->gather(outputs, inputs, o); });
    return rank() == root ? at::cat(outputs[0], 0) : at::Tensor();
}

void Communicator::barrier(const char *what)
{
    if (world() == 1)
        return;
    timed(m_usage, 0, what, rank(), [&] { return m_impl->group->barrier(); });
}

void Communicator::startSum(at::Tensor &flat)
{
    if (world() == 1)
        return;
    std::vector<at::Tensor> tensors{flat};
    try {
        m_impl->started.push_back(m_impl->gradientGroup->allreduce(tensors));
    } catch (const std::exception &e) {
        throw CommunicationError(std::string("starting a gradient sum (rank ") + std::to_string(rank()) + "): " + e.what());
    }
    m_usage.bytes += 2 * bytesOf(tensors) * (world() - 1) / world();
}

void Communicator::waitStartedSums(const char *what)
{
    const auto t0 = std::chrono::steady_clock::now();
    auto started = std::move(m_impl->started);
    m_impl->started.clear();
    try {
        for (auto &work : started)
            work->wait();
    } catch (const std::exception &e) {
        throw CommunicationError(std::string(what) + " (rank " + std::to_string(rank()) + "): " + e.what());
    }
    m_usage.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Communicator::set(const std::string &key, const std::string &value)
{
    m_impl->store->set(key, std::vector<std::uint8_t>(value.begin(), value.end()));
}

std::string Communicator::get(const std::string &key)
{
    try {
        const auto bytes = m_impl->store->get(key);
        return std::string(bytes.begin(), bytes.end());
    } catch (const std::exception &e) {
        throw CommunicationError("rank " + std::to_string(rank()) + " waited for '" + key + "' from rank 0: " + e.what());
    }
}

Communicator::Usage Communicator::takeUsage()
{
    const Usage u = m_usage;
    m_usage = {};
    return u;
}

int freeLocalPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        throw CommunicationError("cannot open a socket to find a free port");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    ::close(fd);
    if (port <= 0)
        throw CommunicationError("cannot find a free TCP port on 127.0.0.1");
    return port;
}

} // namespace taskmoe::core
