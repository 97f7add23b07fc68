#pragma once
/// Rows sent between ranks as one differentiable step: the gradient of the received rows goes
/// back to the ranks they came from by the reverse exchange. The expert-parallel MoE layer
/// sends token copies to the ranks holding their experts with it, and the results back.
#include "core/model/torch.h"

#include <cstdint>
#include <vector>

namespace taskmoe::core {

class Communicator;

/// `rows` holds sendSplits[r] rows for rank r, in rank order; returns sum(recvSplits) rows,
/// recvSplits[r] from rank r in rank order.
torch::Tensor exchangeRows(Communicator &comm, const torch::Tensor &rows, const std::vector<std::int64_t> &sendSplits,
                           const std::vector<std::int64_t> &recvSplits);

} // namespace taskmoe::core
