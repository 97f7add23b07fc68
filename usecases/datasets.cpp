#include "usecases/datasets.h"

#include "core/data/gettext/gettext.h"
#include "core/data/sampler.h"
#include "core/base/sha256.h"
#include "core/data/synth/synth.h"
#include "db/store.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <random>
#include <set>

namespace taskmoe::usecases {

namespace {
QString qs(const std::string &s) { return QString::fromStdString(s); }
} // namespace

StoredCorpus storeCorpus(db::Store &store, const core::Corpus &corpus, const core::SplitOptions &split,
                         qint64 resourceThreshold, const QString &name, QJsonObject params)
{
    const core::SplitCorpus parts = core::splitCorpus(corpus, split);
    const QString fingerprint = qs(core::fingerprint(parts));
    if (const qint64 existing = store.findDatasetByFingerprint(fingerprint))
        return {existing, true};

    db::DatasetRecord record;
    record.name = name;
    record.kind = qs(corpus.kind);
    record.source = qs(corpus.source);
    record.fingerprint = fingerprint;
    record.resourceThreshold = resourceThreshold;
    params.insert(QStringLiteral("split"), QJsonObject{{QStringLiteral("seed"), qint64(split.seed)},
                                                       {QStringLiteral("dev_size"), qint64(split.devSize)},
                                                       {QStringLiteral("test_size"), qint64(split.testSize)},
                                                       {QStringLiteral("multiway"), qint64(split.multiwaySize)},
                                                       {QStringLiteral("max_eval_fraction"), split.maxEvalFraction}});
    params.insert(QStringLiteral("pivot"), qs(parts.pivotLang));
    record.paramsJson = QString::fromUtf8(QJsonDocument(params).toJson(QJsonDocument::Compact));
    for (const auto &l : corpus.languages)
        record.languages.push_back({qs(l.code), qs(l.name), qs(l.family), qs(l.script)});

    std::vector<db::NewPair> pairs;
    for (const auto &ps : parts.pairs) {
        db::NewPair np;
        np.info.srcLang = qs(ps.srcLang);
        np.info.tgtLang = qs(ps.tgtLang);
        np.info.train = static_cast<qint64>(ps.train.size());
        np.info.dev = static_cast<qint64>(ps.dev.size());
        np.info.test = static_cast<qint64>(ps.test.size());
        np.info.multiway = static_cast<qint64>(ps.multiway.size());
        np.info.resourceClass = qs(core::resourceClass(ps.train.size(), static_cast<std::size_t>(resourceThreshold)));
        np.segments.reserve(ps.total());
        for (const auto &[splitName, rows] : {std::pair{"train", &ps.train}, std::pair{"dev", &ps.dev},
                                              std::pair{"test", &ps.test}, std::pair{"multiway", &ps.multiway}})
            for (const auto &r : *rows)
                np.segments.push_back({QLatin1String(splitName), r.alignId, qs(r.src), qs(r.tgt)});
        pairs.push_back(std::move(np));
    }
    return {store.addDataset(record, pairs), false};
}

std::optional<core::SynthOptions> synthProfile(const QString &profile)
{
    if (profile == QLatin1String("quick"))
        return core::SynthOptions::quick();
    if (profile == QLatin1String("full"))
        return core::SynthOptions();
    return std::nullopt;
}

QJsonObject synthParams(const core::SynthOptions &o, const QString &profile)
{
    QJsonArray languages;
    for (const auto &code : o.languages.empty() ? core::syntheticLanguageCodes() : o.languages)
        languages.append(QString::fromStdString(code));
    return {{QStringLiteral("generator"),
             QJsonObject{{QStringLiteral("profile"), profile},
                         {QStringLiteral("seed"), qint64(o.seed)},
                         {QStringLiteral("languages"), languages},
                         {QStringLiteral("lexicon"), o.lexicon},
                         {QStringLiteral("min_words"), qint64(o.minTokens)},
                         {QStringLiteral("max_words"), qint64(o.maxTokens)},
                         {QStringLiteral("largest"), qint64(o.largestPair)},
                         {QStringLiteral("imbalance"), o.imbalance},
                         {QStringLiteral("multiway"), qint64(o.multiwaySentences)}}}};
}

qint64 ensureSyntheticDataset(db::Store &store, const std::string &profile, const Notes &notes)
{
    const auto all = store.datasets();
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        if (it->kind != QLatin1String("synthetic"))
            continue;
        if (profile.empty())
            return it->id;
        const QJsonObject generator =
            QJsonDocument::fromJson(it->paramsJson.toUtf8()).object().value(QStringLiteral("generator")).toObject();
        if (generator.value(QStringLiteral("profile")).toString() == QString::fromStdString(profile))
            return it->id;
        // Stores from before profiles: the full corpus as `corpus synth` made it by default then.
        const core::SynthOptions full;
        if (profile == "full" && !generator.contains(QStringLiteral("profile"))
            && generator.value(QStringLiteral("seed")).toInteger(-1) == qint64(full.seed)
            && generator.value(QStringLiteral("largest")).toInteger(-1) == qint64(full.largestPair)
            && generator.value(QStringLiteral("imbalance")).toDouble() == full.imbalance
            && generator.value(QStringLiteral("multiway")).toInteger(-1) == qint64(full.multiwaySentences))
            return it->id;
    }
    const QString name = QString::fromStdString(profile.empty() ? std::string("quick") : profile);
    const auto profileOptions = synthProfile(name);
    if (!profileOptions)
        throw UseCaseError(QStringLiteral("data.corpus: unknown synthetic corpus profile '%1' (known: quick, full)").arg(name));
    if (notes)
        notes(QStringLiteral("%1 holds no %2 synthetic dataset: generating it").arg(store.path(), name));
    const core::SynthOptions &options = *profileOptions;
    core::SplitOptions split;
    split.multiwaySize = options.multiwaySentences;
    return storeCorpus(store, core::generateSynthetic(options), split, 5000, QStringLiteral("synthetic-") + name,
                       synthParams(options, name)).id;
}

const std::vector<std::string> &defaultGettextLanguages()
{
    static const std::vector<std::string> languages = {"de", "fr", "es", "ca", "ru", "uk", "ja"};
    return languages;
}

qint64 ensureNamedDataset(db::Store &store, const std::string &corpus, const Notes &notes)
{
    if (corpus != "gettext")
        return ensureSyntheticDataset(store, corpus, notes);
    const auto all = store.datasets();
    for (auto it = all.rbegin(); it != all.rend(); ++it)
        if (it->kind == QLatin1String("gettext"))
            return it->id;
    core::GettextImportOptions o;
    o.localeRoot = "/usr/share/locale";
    o.languages = defaultGettextLanguages();
    std::string langs;
    for (const auto &l : o.languages)
        langs += (langs.empty() ? "" : ",") + l;
    if (notes)
        notes(QStringLiteral("%1 holds no gettext dataset: importing the catalogs of %2 under %3")
                  .arg(store.path(), qs(langs), qs(o.localeRoot)));
    const core::Corpus imported = core::importGettext(o);
    if (notes)
        for (const auto &line : imported.report)
            notes(qs(line));
    core::SplitOptions split;
    const QJsonObject params{{QStringLiteral("gettext"),
                              QJsonObject{{QStringLiteral("root"), QString::fromStdString(o.localeRoot)},
                                          {QStringLiteral("langs"), QString::fromStdString(langs)},
                                          {QStringLiteral("max_chars"), qint64(o.cleaning.maxChars)}}}};
    return storeCorpus(store, imported, split, 5000, QStringLiteral("gettext"), params).id;
}

db::VocabularyRecord trainVocabulary(db::Store &store, const db::DatasetRecord &dataset, VocabRequest request,
                                     const Notes &notes)
{
    std::set<std::string> languages;
    for (const auto &l : dataset.languages)
        languages.insert(l.code.toStdString());
    request.options.targetLanguages.assign(languages.begin(), languages.end());
    request.options.validate();

    // Text sampled with the training temperature: pair L contributes q_L × budget sentence
    // pairs (both sides), drawn without replacement while it lasts, then again.
    std::vector<std::size_t> sizes;
    for (const auto &p : dataset.pairs)
        sizes.push_back(static_cast<std::size_t>(p.train));
    const std::vector<double> q = core::temperatureProbabilities(sizes, request.temperature);
    std::vector<std::string> text;
    std::mt19937_64 rng(request.options.seed);
    for (int i = 0; i < dataset.pairs.size(); ++i) {
        const auto rows = store.segments(dataset.pairs[i].id, QStringLiteral("train"));
        if (rows.empty())
            continue;
        const auto quota = static_cast<std::size_t>(std::llround(q[static_cast<std::size_t>(i)] * double(request.sentencePairs)));
        std::vector<std::size_t> order(rows.size());
        for (std::size_t k = 0; k < order.size(); ++k)
            order[k] = k;
        for (std::size_t taken = 0; taken < quota;) {
            std::shuffle(order.begin(), order.end(), rng);
            for (std::size_t k = 0; k < order.size() && taken < quota; ++k, ++taken) {
                text.push_back(rows[order[k]].src.toStdString());
                text.push_back(rows[order[k]].tgt.toStdString());
            }
        }
    }
    if (notes)
        notes(QStringLiteral("training a %1-piece %2 vocabulary on %3 sentences of dataset %4 (T = %5)")
                  .arg(request.options.vocabSize).arg(qs(request.options.modelType)).arg(text.size()).arg(dataset.id)
                  .arg(request.temperature));
    const core::SentencePieceModel model = core::SentencePieceModel::train(text, request.options);

    db::VocabularyRecord v;
    v.datasetId = dataset.id;
    v.vocabSize = model.size();
    v.temperature = request.temperature;
    v.sha256 = qs(core::Sha256::hex(model.bytes()));
    v.model = QByteArray::fromStdString(model.bytes());
    v.paramsJson = QString::fromUtf8(QJsonDocument(QJsonObject{
        {QStringLiteral("requested_size"), request.options.vocabSize},
        {QStringLiteral("model_type"), qs(request.options.modelType)},
        {QStringLiteral("sentences"), qint64(text.size())}, {QStringLiteral("seed"), qint64(request.options.seed)},
        {QStringLiteral("character_coverage"), request.options.characterCoverage}}).toJson(QJsonDocument::Compact));
    v.id = store.addVocabulary(v);
    return v;
}

} // namespace taskmoe::usecases
