#pragma once
/// Views derived from routing statistics, computed here so that the command line and the
/// workbench agree: per-task expert distributions, task-by-task similarity (Jensen–Shannon
/// and cosine), expert-load entropy, and a task order from average-linkage hierarchical
/// clustering of the distributions. No LibTorch and no Qt.
#include <cstddef>
#include <string>
#include <vector>

namespace taskmoe::core {

/// One MoE layer's task × expert counts (top-1, top-k, gate mass or processed tokens).
struct RoutingMatrix
{
    std::vector<std::string> tasks;   ///< row names, e.g. "en-de"
    std::size_t experts = 0;          ///< columns
    std::vector<double> values;       ///< tasks.size() × experts, row-major, ≥ 0

    double at(std::size_t task, std::size_t expert) const { return values[task * experts + expert]; }
    /// Throws std::invalid_argument when the sizes disagree or a value is negative or not finite.
    void validate() const;
};

/// Each task's row divided by its sum: the share of the task's tokens per expert. A task with
/// no tokens gets a row of zeros (not a uniform guess).
std::vector<std::vector<double>> taskDistributions(const RoutingMatrix &m);

/// Shannon entropy in nats of a distribution (zeros contribute nothing); 0 for an all-zero row.
double entropy(const std::vector<double> &p);

/// Entropy in nats of the distribution that non-negative counts (e.g. an expert's load) make
/// when normalised; 0 when they sum to zero.
double countEntropy(const std::vector<double> &counts);

/// Jensen–Shannon divergence in bits, in [0, 1]: 0 for equal distributions, 1 for disjoint ones.
double jensenShannon(const std::vector<double> &p, const std::vector<double> &q);

/// Cosine of the angle between two vectors, in [0, 1] for distributions; 0 when one is all zeros.
double cosineSimilarity(const std::vector<double> &p, const std::vector<double> &q);

enum class Similarity { JensenShannon, Cosine };

/// The symmetric task × task similarity matrix: 1 − JS divergence, or the cosine.
std::vector<std::vector<double>> similarityMatrix(const std::vector<std::vector<double>> &distributions,
                                                  Similarity measure);

/// One merge of the agglomerative clustering: clusters `left` and `right` (ids: 0..n−1 are the
/// tasks, n + i the cluster made by merge i) joined at `height` (average JS divergence).
struct Merge
{
    std::size_t left = 0, right = 0;
    double height = 0;
};

struct Clustering
{
    std::vector<Merge> merges;        ///< n − 1 merges, heights non-decreasing
    std::vector<std::size_t> order;   ///< the tasks in dendrogram leaf order (similar tasks adjacent)
};

/// Average-linkage clustering on Jensen–Shannon divergence. Ties merge the pair with the
/// smallest ids first, so the result is deterministic.
Clustering clusterTasks(const std::vector<std::vector<double>> &distributions);

} // namespace taskmoe::core
