#include "usecases/throughput.h"

#include "core/model/backend.h"
#include "core/model/transformer.h"
#include "db/store.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <cstdio>
#include <cstring>
#include <new>
#include <random>
#include <set>

namespace taskmoe::usecases {

namespace {

QString qs(const std::string &s) { return QString::fromStdString(s); }

/// Resident memory now (VmRSS), in bytes.
qint64 currentRssBytes()
{
    std::FILE *f = std::fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    qint64 kib = 0;
    while (std::fgets(line, sizeof line, f))
        if (std::strncmp(line, "VmRSS:", 6) == 0) {
            kib = std::strtoll(line + 6, nullptr, 10);
            break;
        }
    std::fclose(f);
    return kib * 1024;
}

QString gib(double bytes) { return QString::number(bytes / double(1LL << 30), 'f', 1) + QStringLiteral(" GiB"); }

/// The pairs (as "en-de") a loaded model translates.
QStringList pairsOf(const TranslationModel &m, const QString &manifestJson)
{
    const QStringList served = servedPairs(manifestJson);
    if (!served.isEmpty())
        return served;
    QStringList all;
    for (std::size_t p = 0; p < m.tasks().pairs.size(); ++p)
        all << qs(m.tasks().pairName(int(p)));
    return all;
}

QString manifestOf(const db::Store *store, qint64 modelId)
{
    if (!store || modelId == 0)
        return {};
    for (const auto &row : store->models())
        if (row.id == modelId)
            return row.manifestJson;
    return {};
}

QString kindOf(const db::Store *store, const TranslationModel &m)
{
    if (store && m.modelId > 0)
        for (const auto &row : store->models())
            if (row.id == m.modelId)
                return row.kind;
    return m.checkpoint.id > 0 ? QStringLiteral("full") : QStringLiteral("file");
}

} // namespace

const ThroughputPoint *ThroughputModel::peak(int beam) const
{
    const ThroughputPoint *best = nullptr;
    for (const auto &p : points)
        if (p.beam == beam && (!best || p.tokensPerSecond > best->tokensPerSecond))
            best = &p;
    return best;
}

ThroughputResult measureThroughput(db::Store *store, const ThroughputRequest &request, const Notes &notes,
                                   const ThroughputHooks &hooks)
{
    if (request.models.isEmpty())
        throw UseCaseError(QStringLiteral("--models: name at least one model"));
    if (request.batchSizes.empty() || request.beams.empty())
        throw UseCaseError(QStringLiteral("give at least one batch size and one beam size"));
    for (const int b : request.batchSizes)
        if (b < 1 || b > 65536)
            throw UseCaseError(QStringLiteral("--batch-sizes: %1 is not a batch size (1 … 65536)").arg(b));
    for (const int b : request.beams)
        if (b < 1 || b > 64)
            throw UseCaseError(QStringLiteral("--beams: %1 is not a beam size (1 … 64)").arg(b));
    if (request.sourceLength < 0 || request.targetLength < 0)
        throw UseCaseError(QStringLiteral("--source-length and --target-length must be positive"));
    std::vector<int> batchSizes = request.batchSizes;
    std::sort(batchSizes.begin(), batchSizes.end());
    batchSizes.erase(std::unique(batchSizes.begin(), batchSizes.end()), batchSizes.end());
    const bool random = request.sourceLength > 0;
    const int targetLength = request.targetLength > 0 ? request.targetLength : request.sourceLength;

    std::vector<ModelRef> refs;
    for (const auto &text : request.models)
        refs.push_back(parseModelRef(text.trimmed()));

    // Pass 1: what each model translates, one at a time, to choose sources they all take.
    std::set<QString> common;
    std::int64_t vocab = -1;
    qint64 datasetId = 0;
    for (std::size_t i = 0; i < refs.size(); ++i) {
        const TranslationModel m = loadModelRef(store, refs[i], !random);
        const QStringList pairs = pairsOf(m, manifestOf(store, m.modelId));
        if (i == 0)
            common.insert(pairs.begin(), pairs.end());
        else
            for (auto it = common.begin(); it != common.end();)
                it = pairs.contains(*it) ? std::next(it) : common.erase(it);
        if (random) {
            if (vocab >= 0 && vocab != m.loaded.model->options().vocabSize)
                throw UseCaseError(QStringLiteral("random sources need one vocabulary: %1 has %2 pieces, the models before "
                                                  "it %3").arg(refs[i].text).arg(m.loaded.model->options().vocabSize).arg(vocab));
            vocab = m.loaded.model->options().vocabSize;
            if (targetLength >= m.loaded.model->options().maxLength || request.sourceLength >= m.loaded.model->options().maxLength)
                throw UseCaseError(QStringLiteral("%1 takes sequences of at most %2 positions").arg(refs[i].text)
                                       .arg(m.loaded.model->options().maxLength - 1));
        }
        if (datasetId == 0 && m.run.datasetId > 0)
            datasetId = m.run.datasetId;
    }

    // The source sentences: texts of one direction, or random piece ids.
    ThroughputResult result;
    result.threads = core::computeThreads();
    const int needed = std::max(batchSizes.back(), request.minSentences);
    QString pair = request.pair;
    std::vector<std::string> texts;
    std::vector<std::vector<std::int32_t>> randomSources;
    if (random) {
        std::mt19937 rng(20211012);
        std::uniform_int_distribution<std::int32_t> piece(4, std::int32_t(vocab - 1));
        for (int s = 0; s < needed; ++s) {
            std::vector<std::int32_t> src(std::size_t(request.sourceLength) + 1);
            for (auto &id : src)
                id = piece(rng);
            randomSources.push_back(std::move(src));
        }
        result.source = QStringLiteral("random sources, %1 → %2 pieces").arg(request.sourceLength).arg(targetLength);
    } else {
        if (common.empty())
            throw UseCaseError(QStringLiteral("the models have no language pair in common to decode"));
        if (pair.isEmpty())
            pair = *common.begin();
        else if (!common.count(pair))
            throw UseCaseError(QStringLiteral("--pair %1: not every model translates it (they all do: %2)")
                                   .arg(pair, QStringList(common.begin(), common.end()).join(QStringLiteral(", "))));
        if (!store || datasetId == 0)
            throw UseCaseError(QStringLiteral("test sentences come from a run's dataset: name a run or a stored model, or "
                                              "decode random sources with --source-length"));
        const auto sentences = directionSentences(*store, store->dataset(datasetId), pair.section(QLatin1Char('-'), 0, 0).toStdString(),
                                                  pair.section(QLatin1Char('-'), 1, 1).toStdString(), QStringLiteral("test"));
        if (sentences.sources.empty())
            throw UseCaseError(QStringLiteral("dataset %1 has no %2 test sentences").arg(datasetId).arg(pair));
        for (int s = 0; s < needed; ++s)
            texts.push_back(sentences.sources[std::size_t(s) % sentences.sources.size()]);
        result.source = QStringLiteral("%1 test sentences").arg(pair);
    }

    if (hooks.started)
        hooks.started(int(refs.size() * request.beams.size() * batchSizes.size()));
    const qint64 startRss = currentRssBytes();
    const qint64 budget = request.memoryBudgetBytes > 0 ? request.memoryBudgetBytes
                                                        : startRss + core::availableMemoryBytes();

    // Pass 2: each model alone in memory, every beam and batch size.
    for (std::size_t i = 0; i < refs.size(); ++i) {
        core::resetPeakRss();
        TranslationModel m = loadModelRef(store, refs[i], !random);
        core::TransformerImpl &model = *m.loaded.model;
        model.eval();
        ThroughputModel out;
        out.label = refs[i].text;
        out.kind = kindOf(store, m);
        out.modelId = m.modelId;
        out.parameters = model.parameterCounts();
        out.fileBytes = QFileInfo(m.path).size();
        if (notes)
            notes(QStringLiteral("decoding %1 (%2 parameters)").arg(out.label).arg(out.parameters.total));

        std::vector<core::DecodeRequest> requests;
        if (random) {
            for (const auto &src : randomSources)
                requests.push_back({src, 0, 0});
        } else {
            const auto [targetLang, pairId] = m.direction(pair.section(QLatin1Char('-'), 0, 0), pair.section(QLatin1Char('-'), 1, 1));
            for (const auto &t : texts)
                requests.push_back(m.request(t, targetLang, pairId));
        }
        core::DecodeOptions base;
        base.capacityFactor = 0;
        if (random) {
            base.ignoreEos = true;
            base.maxLengthRatio = 1e-9;   // the limit is exactly targetLength pieces
            base.maxLengthExtra = targetLength;
        }
        {
            core::DecodeOptions warmUp = base;
            warmUp.beam = 1;
            core::translate(model, {requests.begin(), requests.begin() + std::min<std::ptrdiff_t>(4, std::ptrdiff_t(requests.size()))},
                            warmUp);
        }
        const qint64 loadedRss = currentRssBytes();

        for (const int beam : request.beams) {
            std::optional<ThroughputPoint> previous;
            for (const int batch : batchSizes) {
                if (previous) {
                    // Memory above the loaded model grows with the rows decoded together.
                    const double extra = double(std::max<qint64>(0, previous->peakRssBytes - loadedRss));
                    const double projected = double(loadedRss) + extra * double(batch) / double(previous->batchSize);
                    if (projected > double(budget)) {
                        out.stopped = QStringLiteral("beam %1 stopped before batch %2: it would need about %3, %4 are "
                                                     "available").arg(beam).arg(batch).arg(gib(projected), gib(double(budget)));
                        if (notes)
                            notes(out.stopped);
                        break;
                    }
                }
                const int sentences = std::max(batch, request.minSentences);
                const std::vector<core::DecodeRequest> chunk(requests.begin(), requests.begin() + sentences);
                core::DecodeOptions o = base;
                o.beam = beam;
                o.batchSize = batch;
                core::DecodeTimings timings;
                core::resetPeakRss();
                std::vector<core::DecodeResult> decoded;
                const auto started = std::chrono::steady_clock::now();
                try {
                    decoded = core::translate(model, chunk, o, {}, &timings);
                } catch (const std::bad_alloc &) {
                    out.stopped = QStringLiteral("beam %1 stopped at batch %2: out of memory").arg(beam).arg(batch);
                    break;
                }
                ThroughputPoint p;
                p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
                p.beam = beam;
                p.batchSize = batch;
                p.sentences = sentences;
                for (const auto &d : decoded)
                    p.targetTokens += qint64(d.tokens.size());
                const double batches = std::ceil(double(sentences) / double(batch));
                p.tokensPerSecond = p.seconds > 0 ? double(p.targetTokens) / p.seconds : 0;
                p.latencyMs = 1000 * p.seconds / batches;
                p.encoderMs = 1000 * timings.encoderSeconds / batches;
                p.decoderMs = 1000 * timings.decoderSeconds / batches;
                p.peakRssBytes = core::peakRssBytes();
                out.points.push_back(p);
                previous = p;
                if (hooks.measured)
                    hooks.measured(out, p);
            }
        }

        if (store && request.store) {
            if (out.modelId == 0 && m.checkpoint.id > 0) {
                db::ModelRecord details;
                setParameterCounts(details, out.parameters);
                out.modelId = store->checkpointModel(m.checkpoint, details);
            }
            QVector<db::BenchmarkRecord> rows;
            const QDateTime now = QDateTime::currentDateTimeUtc();
            for (const auto &p : out.points) {
                db::BenchmarkRecord b;
                b.modelId = out.modelId;
                b.kind = QStringLiteral("decode");
                b.batchSize = p.batchSize;
                b.tokensPerSecond = p.tokensPerSecond;
                b.latencyMs = p.latencyMs;
                b.peakRssBytes = p.peakRssBytes;
                b.encoderMs = p.encoderMs;
                b.decoderMs = p.decoderMs;
                const QJsonObject config{{QStringLiteral("model"), out.label},
                                         {QStringLiteral("beam"), p.beam},
                                         {QStringLiteral("sentences"), p.sentences},
                                         {QStringLiteral("target_tokens"), p.targetTokens},
                                         {QStringLiteral("source"), result.source},
                                         {QStringLiteral("threads"), result.threads},
                                         {QStringLiteral("params_total"), qint64(out.parameters.total)},
                                         {QStringLiteral("params_active"), qint64(out.parameters.activePerToken)}};
                b.configJson = QString::fromUtf8(QJsonDocument(config).toJson(QJsonDocument::Compact));
                b.createdAt = now;
                rows.push_back(b);
            }
            store->addBenchmarks(rows);
        }
        result.models.push_back(std::move(out));
    }
    return result;
}

} // namespace taskmoe::usecases
