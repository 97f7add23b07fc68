#include "core/distributed/exchange.h"

#include "core/distributed/communicator.h"

#include <numeric>

namespace taskmoe::core {

namespace {

torch::Tensor exchange(Communicator &comm, const torch::Tensor &rows, const std::vector<std::int64_t> &sendSplits,
                       const std::vector<std::int64_t> &recvSplits, const char *what)
{
    const std::int64_t total = std::accumulate(recvSplits.begin(), recvSplits.end(), std::int64_t(0));
    std::vector<std::int64_t> shape(rows.sizes().begin(), rows.sizes().end());
    shape[0] = total;
    torch::Tensor input = rows.contiguous();
    torch::Tensor output = torch::empty(shape, rows.options());
    comm.allToAll(output, input, recvSplits, sendSplits, what);
    return output;
}

struct ExchangeRows : torch::autograd::Function<ExchangeRows>
{
    static torch::Tensor forward(torch::autograd::AutogradContext *ctx, torch::Tensor rows, Communicator *comm,
                                 std::vector<std::int64_t> sendSplits, std::vector<std::int64_t> recvSplits)
    {
        ctx->saved_data["comm"] = reinterpret_cast<std::int64_t>(comm);
        ctx->saved_data["send"] = sendSplits;
        ctx->saved_data["recv"] = recvSplits;
        return exchange(*comm, rows, sendSplits, recvSplits, "sending token copies to their experts");
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list grads)
    {
        auto *comm = reinterpret_cast<Communicator *>(ctx->saved_data["comm"].toInt());
        const auto send = ctx->saved_data["send"].toIntVector(), recv = ctx->saved_data["recv"].toIntVector();
        // The reverse way: what this rank received, it sends back; what it sent, it receives.
        torch::Tensor back = exchange(*comm, grads[0], recv, send, "returning the gradients of token copies");
        return {back, torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

} // namespace

torch::Tensor exchangeRows(Communicator &comm, const torch::Tensor &rows, const std::vector<std::int64_t> &sendSplits,
                           const std::vector<std::int64_t> &recvSplits)
{
    return ExchangeRows::apply(rows, &comm, sendSplits, recvSplits);
}

} // namespace taskmoe::core
