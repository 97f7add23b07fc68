#include "protocol/jobevents.h"

#include "core/base/names.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <limits>

namespace taskmoe::protocol {

namespace {

constexpr core::EnumName<JobKind> kJobKinds[] = {
    {JobKind::Train, "train"}, {JobKind::Eval, "eval"}, {JobKind::Extract, "extract"},
    {JobKind::Distill, "distill"}, {JobKind::Bench, "bench"},
};

constexpr core::EnumName<JobEventType> kEventTypes[] = {
    {JobEventType::Started, "started"},     {JobEventType::Progress, "progress"},
    {JobEventType::Checkpoint, "checkpoint"}, {JobEventType::Finished, "finished"},
    {JobEventType::Cancelled, "cancelled"}, {JobEventType::Failed, "failed"},
};

// The scalar fields, by JSON key. "event", "run", "layers" and "dev_bleu_pairs" are handled
// on their own.
template <typename T>
struct Field
{
    const char *key;
    std::optional<T> JobEvent::*member;
};

const Field<qint64> kIntegers[] = {
    {"pid", &JobEvent::pid},     {"dataset", &JobEvent::dataset}, {"vocabulary", &JobEvent::vocabulary},
    {"steps", &JobEvent::steps}, {"step", &JobEvent::step},       {"pairs", &JobEvent::pairs},
    {"done", &JobEvent::done},   {"model", &JobEvent::model},
};
const Field<double> kNumbers[] = {
    {"loss", &JobEvent::loss},           {"ce", &JobEvent::ce},
    {"balance", &JobEvent::balance},     {"lr", &JobEvent::lr},
    {"grad_norm", &JobEvent::gradNorm},  {"tokens_per_s", &JobEvent::tokensPerSecond},
    {"eta_s", &JobEvent::etaSeconds},    {"elapsed_s", &JobEvent::elapsedSeconds},
    {"dev_loss", &JobEvent::devLoss},    {"dev_bleu", &JobEvent::devBleu},
    {"bleu", &JobEvent::bleu},           {"chrf", &JobEvent::chrf},
    {"seconds", &JobEvent::seconds},
};
const Field<QString> kStrings[] = {
    {"preset", &JobEvent::preset},       {"encoder_routing", &JobEvent::encoderRouting},
    {"decoder_routing", &JobEvent::decoderRouting}, {"checkpoints", &JobEvent::checkpoints},
    {"pair", &JobEvent::pair},           {"path", &JobEvent::path},
    {"checkpoint", &JobEvent::checkpoint}, {"error", &JobEvent::error},
};
const Field<bool> kBooleans[] = {{"resumed", &JobEvent::resumed}, {"budget_used", &JobEvent::budgetUsed}};

/// JSON has no NaN or infinity: a diverged loss travels as null.
QJsonValue numberValue(double v)
{
    return std::isfinite(v) ? QJsonValue(v) : QJsonValue(QJsonValue::Null);
}

bool integral(const QJsonValue &v)
{
    return v.isDouble() && std::floor(v.toDouble()) == v.toDouble();
}

template <typename T, std::size_t N>
const Field<T> *find(const Field<T> (&table)[N], const QString &key)
{
    for (const auto &f : table)
        if (key == QLatin1String(f.key))
            return &f;
    return nullptr;
}

template <typename T>
bool sameOptional(const std::optional<T> &a, const std::optional<T> &b)
{
    return a == b;
}

} // namespace

QString jobKindName(JobKind kind)
{
    return QLatin1String(core::nameOf(kJobKinds, kind));
}

std::optional<JobKind> jobKindFromName(const QString &name)
{
    return core::valueNamed(kJobKinds, name.toStdString());
}

QString jobEventTypeName(JobEventType type)
{
    return QLatin1String(core::nameOf(kEventTypes, type));
}

std::optional<JobEventType> jobEventTypeFromName(const QString &name)
{
    return core::valueNamed(kEventTypes, name.toStdString());
}

bool JobEvent::operator==(const JobEvent &o) const
{
    if (type != o.type || run != o.run || layers != o.layers || devBleuPairs != o.devBleuPairs)
        return false;
    for (const auto &f : kIntegers)
        if (!sameOptional(this->*f.member, o.*f.member))
            return false;
    for (const auto &f : kNumbers)
        if (!sameOptional(this->*f.member, o.*f.member))
            return false;
    for (const auto &f : kStrings)
        if (!sameOptional(this->*f.member, o.*f.member))
            return false;
    for (const auto &f : kBooleans)
        if (!sameOptional(this->*f.member, o.*f.member))
            return false;
    return true;
}

QJsonObject toJson(const JobEvent &event)
{
    QJsonObject o{{QStringLiteral("event"), jobEventTypeName(event.type)}, {QStringLiteral("run"), event.run}};
    for (const auto &f : kIntegers)
        if (const auto &v = event.*f.member)
            o.insert(QLatin1String(f.key), *v);
    for (const auto &f : kNumbers)
        if (const auto &v = event.*f.member)
            o.insert(QLatin1String(f.key), numberValue(*v));
    for (const auto &f : kStrings)
        if (const auto &v = event.*f.member)
            o.insert(QLatin1String(f.key), *v);
    for (const auto &f : kBooleans)
        if (const auto &v = event.*f.member)
            o.insert(QLatin1String(f.key), *v);
    if (event.layers) {
        QJsonArray layers;
        for (const auto &l : *event.layers)
            layers.append(QJsonObject{{QStringLiteral("layer"), l.layer},
                                      {QStringLiteral("entropy"), numberValue(l.entropy)},
                                      {QStringLiteral("dropped"), numberValue(l.dropped)}});
        o.insert(QStringLiteral("layers"), layers);
    }
    if (event.devBleuPairs) {
        QJsonObject pairs;
        for (const auto &[pair, bleu] : *event.devBleuPairs)
            pairs.insert(pair, numberValue(bleu));
        o.insert(QStringLiteral("dev_bleu_pairs"), pairs);
    }
    return o;
}

QByteArray toJsonLine(const JobEvent &event)
{
    return QJsonDocument(toJson(event)).toJson(QJsonDocument::Compact) + '\n';
}

std::optional<JobEvent> jobEventFromJson(const QJsonObject &object, QString *error)
{
    const auto fail = [error](const QString &message) -> std::optional<JobEvent> {
        if (error)
            *error = message;
        return std::nullopt;
    };
    const auto number = [](const QJsonValue &v) {
        return v.isNull() ? std::numeric_limits<double>::quiet_NaN() : v.toDouble();
    };
    JobEvent e;
    const auto type = jobEventTypeFromName(object.value(QStringLiteral("event")).toString());
    if (!type)
        return fail(QStringLiteral("\"event\" must be started, progress, checkpoint, finished, cancelled or failed (got %1)")
                        .arg(QString::fromUtf8(QJsonDocument(QJsonObject{{QStringLiteral("event"), object.value(QStringLiteral("event"))}})
                                                   .toJson(QJsonDocument::Compact))));
    e.type = *type;
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString key = it.key();
        const QJsonValue v = it.value();
        const auto wrongType = [&](const char *expected) {
            return fail(QStringLiteral("\"%1\" must be %2").arg(key, QLatin1String(expected)));
        };
        if (key == QLatin1String("event"))
            continue;
        if (key == QLatin1String("run")) {
            if (!integral(v))
                return wrongType("an integer");
            e.run = v.toInteger();
        } else if (const auto *f = find(kIntegers, key)) {
            if (!integral(v))
                return wrongType("an integer");
            e.*f->member = v.toInteger();
        } else if (const auto *f = find(kNumbers, key)) {
            if (!v.isDouble() && !v.isNull())
                return wrongType("a number");
            e.*f->member = number(v);
        } else if (const auto *f = find(kStrings, key)) {
            if (!v.isString())
                return wrongType("a string");
            e.*f->member = v.toString();
        } else if (const auto *f = find(kBooleans, key)) {
            if (!v.isBool())
                return wrongType("true or false");
            e.*f->member = v.toBool();
        } else if (key == QLatin1String("layers")) {
            if (!v.isArray())
                return wrongType("an array");
            QVector<LayerReport> layers;
            for (const QJsonValue &item : v.toArray()) {
                const QJsonObject l = item.toObject();
                if (!item.isObject() || !l.value(QStringLiteral("layer")).isString() || l.size() != 3)
                    return wrongType("an array of {layer, entropy, dropped}");
                layers.push_back({l.value(QStringLiteral("layer")).toString(), number(l.value(QStringLiteral("entropy"))),
                                  number(l.value(QStringLiteral("dropped")))});
            }
            e.layers = layers;
        } else if (key == QLatin1String("dev_bleu_pairs")) {
            if (!v.isObject())
                return wrongType("an object of pair: BLEU");
            QVector<std::pair<QString, double>> pairs;
            const QJsonObject o = v.toObject();
            for (auto p = o.begin(); p != o.end(); ++p) {
                if (!p.value().isDouble() && !p.value().isNull())
                    return wrongType("an object of pair: BLEU");
                pairs.push_back({p.key(), number(p.value())});
            }
            e.devBleuPairs = pairs;
        } else {
            return fail(QStringLiteral("unknown key \"%1\" in a %2 line").arg(key, jobEventTypeName(e.type)));
        }
    }
    return e;
}

} // namespace taskmoe::protocol
