#include "core/eval/routingviews.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

namespace taskmoe::core {

void RoutingMatrix::validate() const
{
    if (values.size() != tasks.size() * experts)
        throw std::invalid_argument("routing matrix: " + std::to_string(values.size()) + " values for "
                                    + std::to_string(tasks.size()) + " tasks × " + std::to_string(experts) + " experts");
    for (std::size_t i = 0; i < values.size(); ++i)
        if (!std::isfinite(values[i]) || values[i] < 0)
            throw std::invalid_argument("routing matrix: task '" + tasks[i / experts] + "', expert "
                                        + std::to_string(i % experts) + ": " + std::to_string(values[i])
                                        + " is not a count");
}

std::vector<std::vector<double>> taskDistributions(const RoutingMatrix &m)
{
    m.validate();
    std::vector<std::vector<double>> rows(m.tasks.size(), std::vector<double>(m.experts, 0.0));
    for (std::size_t t = 0; t < m.tasks.size(); ++t) {
        double sum = 0;
        for (std::size_t e = 0; e < m.experts; ++e)
            sum += m.at(t, e);
        if (sum > 0)
            for (std::size_t e = 0; e < m.experts; ++e)
                rows[t][e] = m.at(t, e) / sum;
    }
    return rows;
}

double entropy(const std::vector<double> &p)
{
    double h = 0;
    for (double v : p)
        if (v > 0)
            h -= v * std::log(v);
    return h;
}

double countEntropy(const std::vector<double> &counts)
{
    double total = 0;
    for (double v : counts)
        total += v;
    if (total <= 0)
        return 0;
    double h = 0;
    for (double v : counts)
        if (v > 0) {
            const double p = v / total;
            h -= p * std::log(p);
        }
    return h;
}

namespace {

void requireSameSize(const std::vector<double> &p, const std::vector<double> &q)
{
    if (p.size() != q.size())
        throw std::invalid_argument("distributions over " + std::to_string(p.size()) + " and "
                                    + std::to_string(q.size()) + " experts cannot be compared");
}

} // namespace

double jensenShannon(const std::vector<double> &p, const std::vector<double> &q)
{
    requireSameSize(p, q);
    double js = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        const double m = 0.5 * (p[i] + q[i]);
        if (p[i] > 0)
            js += 0.5 * p[i] * std::log2(p[i] / m);
        if (q[i] > 0)
            js += 0.5 * q[i] * std::log2(q[i] / m);
    }
    return std::min(1.0, std::max(0.0, js));   // rounding may step a hair outside [0, 1]
}

double cosineSimilarity(const std::vector<double> &p, const std::vector<double> &q)
{
    requireSameSize(p, q);
    double dot = 0, pp = 0, qq = 0;
    for (std::size_t i = 0; i < p.size(); ++i) {
        dot += p[i] * q[i];
        pp += p[i] * p[i];
        qq += q[i] * q[i];
    }
    return pp > 0 && qq > 0 ? dot / std::sqrt(pp * qq) : 0.0;
}

std::vector<std::vector<double>> similarityMatrix(const std::vector<std::vector<double>> &d, Similarity measure)
{
    std::vector<std::vector<double>> s(d.size(), std::vector<double>(d.size(), 0.0));
    for (std::size_t i = 0; i < d.size(); ++i)
        for (std::size_t j = i; j < d.size(); ++j)
            s[i][j] = s[j][i] = measure == Similarity::Cosine ? cosineSimilarity(d[i], d[j]) : 1.0 - jensenShannon(d[i], d[j]);
    return s;
}

Clustering clusterTasks(const std::vector<std::vector<double>> &d)
{
    const std::size_t n = d.size();
    Clustering result;
    if (n == 0)
        return result;
    std::vector<std::vector<double>> divergence(n, std::vector<double>(n, 0.0));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = i + 1; j < n; ++j)
            divergence[i][j] = divergence[j][i] = jensenShannon(d[i], d[j]);

    // Active clusters: id → member tasks. Cluster ids grow as in Merge's documentation.
    std::vector<std::vector<std::size_t>> members(n);
    for (std::size_t i = 0; i < n; ++i)
        members[i] = {i};
    std::vector<std::size_t> active(n);
    for (std::size_t i = 0; i < n; ++i)
        active[i] = i;
    const auto linkage = [&](std::size_t a, std::size_t b) {
        double sum = 0;
        for (std::size_t x : members[a])
            for (std::size_t y : members[b])
                sum += divergence[x][y];
        return sum / double(members[a].size() * members[b].size());
    };
    while (active.size() > 1) {
        std::size_t bestI = 0, bestJ = 1;
        double best = std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < active.size(); ++i)
            for (std::size_t j = i + 1; j < active.size(); ++j) {
                const double h = linkage(active[i], active[j]);
                if (h < best - 1e-15) {   // strictly smaller: ties keep the earliest pair
                    best = h;
                    bestI = i;
                    bestJ = j;
                }
            }
        const std::size_t left = active[bestI], right = active[bestJ];
        // Average linkage can only grow from merge to merge; keep heights monotone against rounding.
        const double height = result.merges.empty() ? best : std::max(best, result.merges.back().height);
        result.merges.push_back({left, right, height});
        std::vector<std::size_t> joined = members[left];
        joined.insert(joined.end(), members[right].begin(), members[right].end());
        members.push_back(std::move(joined));
        active.erase(active.begin() + std::ptrdiff_t(bestJ));
        active[bestI] = members.size() - 1;
    }
    const std::function<void(std::size_t)> leaves = [&](std::size_t id) {
        if (id < n) {
            result.order.push_back(id);
            return;
        }
        const Merge &m = result.merges[id - n];
        leaves(m.left);
        leaves(m.right);
    };
    leaves(members.size() - 1);
    return result;
}

} // namespace taskmoe::core
