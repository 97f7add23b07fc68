#include "ui/runs/runcomparison.h"

#include <qcustomplot.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <limits>
#include <set>

namespace taskmoe::ui {

namespace {

void flatten(const QJsonObject &object, const QString &prefix, std::map<QString, QString> &out)
{
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString key = prefix.isEmpty() ? it.key() : prefix + QLatin1Char('.') + it.key();
        const QJsonValue v = it.value();
        if (v.isObject())
            flatten(v.toObject(), key, out);
        else if (v.isArray())
            out[key] = QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
        else if (v.isBool())
            out[key] = v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
        else if (v.isDouble())
            out[key] = QString::number(v.toDouble(), 'g', 12);
        else if (v.isNull())
            out[key] = QStringLiteral("null");
        else
            out[key] = v.toString();
    }
}

/// The value of `c` at `step` (linear between its points); empty outside its steps.
std::optional<double> valueAt(const Curve &c, double step)
{
    if (c.steps.isEmpty() || step < c.steps.front() || step > c.steps.back())
        return std::nullopt;
    const auto it = std::lower_bound(c.steps.begin(), c.steps.end(), step);
    const int i = int(it - c.steps.begin());
    if (c.steps[i] == step || i == 0)
        return c.values[i];
    const double t = (step - c.steps[i - 1]) / (c.steps[i] - c.steps[i - 1]);
    return c.values[i - 1] + t * (c.values[i] - c.values[i - 1]);
}

} // namespace

std::map<QString, QString> flattenConfig(const QString &configJson)
{
    std::map<QString, QString> out;
    flatten(QJsonDocument::fromJson(configJson.toUtf8()).object(), QString(), out);
    return out;
}

QStringList differingKeys(const std::vector<std::map<QString, QString>> &configs)
{
    std::set<QString> keys;
    for (const auto &c : configs)
        for (const auto &[key, value] : c)
            keys.insert(key);
    QStringList out;
    for (const QString &key : keys) {
        std::set<QString> values;
        for (const auto &c : configs) {
            const auto it = c.find(key);
            values.insert(it == c.end() ? QStringLiteral("\x01missing") : it->second);
        }
        if (values.size() > 1)
            out << key;
    }
    return out;
}

Band bandOf(const std::vector<Curve> &curves)
{
    std::set<double> steps;
    for (const auto &c : curves)
        steps.insert(c.steps.begin(), c.steps.end());
    Band band;
    for (const double step : steps) {
        double sum = 0, low = std::numeric_limits<double>::infinity(), high = -low;
        int n = 0;
        for (const auto &c : curves)
            if (const auto v = valueAt(c, step)) {
                sum += *v;
                low = std::min(low, *v);
                high = std::max(high, *v);
                ++n;
            }
        if (n == 0)
            continue;
        band.steps << step;
        band.mean << sum / n;
        band.low << low;
        band.high << high;
        band.curves << n;
    }
    return band;
}

bool higherIsBetter(const QString &key)
{
    return key.startsWith(QLatin1String("dev_bleu")) || key == QLatin1String("tokens_per_s") || key.endsWith(QLatin1String(".entropy"));
}

std::optional<MetricSummary> summarise(const Curve &curve, bool higherBetter)
{
    if (curve.values.isEmpty())
        return std::nullopt;
    MetricSummary s;
    s.points = int(curve.values.size());
    s.last = curve.values.back();
    s.lastStep = curve.steps.back();
    s.min = *std::min_element(curve.values.begin(), curve.values.end());
    s.max = *std::max_element(curve.values.begin(), curve.values.end());
    s.best = higherBetter ? s.max : s.min;
    for (int i = 0; i < curve.values.size(); ++i)
        if (curve.values[i] == s.best) {
            s.bestStep = curve.steps[i];
            break;
        }
    return s;
}

QString groupLegend(const QString &key, const QString &value, int runs)
{
    return QStringLiteral("%1=%2 (%3)")
        .arg(key.section(QLatin1Char('.'), -1), value,
             runs == 1 ? QStringLiteral("1 run") : QStringLiteral("%1 runs").arg(runs));
}

QCPGraph *drawBand(QCPAxis *x, QCPAxis *y, const Band &band, const QColor &colour, bool area)
{
    QCustomPlot *plot = x->parentPlot();
    if (area) {
        QCPGraph *high = plot->addGraph(x, y);
        high->setData(band.steps, band.high, true);
        high->setPen(Qt::NoPen);
        high->setName(QString());
        high->removeFromLegend();
        QCPGraph *low = plot->addGraph(x, y);
        low->setData(band.steps, band.low, true);
        low->setPen(Qt::NoPen);
        QColor fill = colour;
        fill.setAlpha(55);
        low->setBrush(fill);
        low->setChannelFillGraph(high);
        low->setName(QString());
        low->removeFromLegend();
    }
    QCPGraph *mean = plot->addGraph(x, y);
    mean->setData(band.steps, band.mean, true);
    mean->setPen(QPen(colour, 1.8));
    mean->removeFromLegend();
    return mean;
}

QVector<double> smoothedValues(const QVector<double> &values, double weight)
{
    if (weight <= 0)
        return values;
    QVector<double> out;
    out.reserve(values.size());
    double average = 0, weightSum = 0;
    for (double v : values) {
        average = weight * average + (1 - weight) * v;
        weightSum = weight * weightSum + (1 - weight);
        out.append(average / weightSum);   // bias-corrected: the first value is not pulled to 0
    }
    return out;
}

} // namespace taskmoe::ui
