#pragma once
/// Comparing runs the way experiment trackers do, on the curves the runs panel holds: each
/// run's configuration flattened to dotted keys ("model.decoder_routing"), the keys whose
/// values differ between the shown runs, groups of runs by the value of one key, a group's
/// mean curve with its min–max band, and per run and metric the last, best, lowest and highest
/// values. Plain functions on plain data (Qt Core only), tested on their own.
#include <QString>
#include <QStringList>
#include <QVector>

#include <map>
#include <optional>
#include <vector>

class QCPAxis;
class QCPGraph;
class QColor;

namespace taskmoe::ui {

/// A run's configuration JSON as "section.key" → value text; arrays as their JSON text.
std::map<QString, QString> flattenConfig(const QString &configJson);

/// The keys whose values are not the same in every configuration (missing counts as a value), sorted.
QStringList differingKeys(const std::vector<std::map<QString, QString>> &configs);

/// A curve: steps ascending, one value each.
struct Curve
{
    QVector<double> steps, values;
};

/// The mean and the lowest and highest value of several curves at the union of their steps;
/// each curve counts between its first and last step (linearly interpolated between its
/// points), so a run that stopped early does not drag the mean after its end.
struct Band
{
    QVector<double> steps, mean, low, high;
    QVector<int> curves;   ///< how many curves count at each step
};
Band bandOf(const std::vector<Curve> &curves);

/// A group's legend: "decoder_routing=task:target (2 runs)" — the key's last part, its value, the runs.
QString groupLegend(const QString &key, const QString &value, int runs);

/// A band drawn on `x`/`y`: the area between the lowest and highest curve when `area`, and the
/// mean as a line in `colour` (not in a legend). Returns the mean's graph.
QCPGraph *drawBand(QCPAxis *x, QCPAxis *y, const Band &band, const QColor &colour, bool area);

/// TensorBoard's smoothing: an exponential moving average with weight `weight` in [0, 1),
/// bias-corrected so the first value is not pulled towards 0. `weight` ≤ 0 returns `values`.
QVector<double> smoothedValues(const QVector<double> &values, double weight);

/// Whether a higher value of a metric is better (dev BLEU, throughput) or a lower one (losses).
bool higherIsBetter(const QString &key);

struct MetricSummary
{
    int points = 0;
    double last = 0, best = 0, min = 0, max = 0;
    double lastStep = 0, bestStep = 0;
};
std::optional<MetricSummary> summarise(const Curve &curve, bool higherBetter);

} // namespace taskmoe::ui
