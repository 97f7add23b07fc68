#pragma once
// A store of stored results for the suites of the screens that show them (comparison,
// dashboards): datasets, finished runs of real presets with checkpoints and their models,
// evaluations and benchmarks, written through the real db::Store. Model files are not
// created: nothing here loads a model.
#include "core/config/trainconfig.h"
#include "db/store.h"

#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>

namespace taskmoe::test {

inline const std::string &presetDir()
{
    static const std::string dir = std::string(TEST_DATA_DIR) + "/../../resources/presets";
    return dir;
}

inline QString json(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

inline QString beamJson(int beam) { return json({{QStringLiteral("beam"), beam}}); }

/// A pair of `train` sentences (one test sentence stored).
inline db::NewPair pairOf(const QString &src, const QString &tgt, qint64 train = 100,
                          const QString &resourceClass = QStringLiteral("high"))
{
    db::NewPair p;
    p.info.srcLang = src;
    p.info.tgtLang = tgt;
    p.info.train = train;
    p.info.dev = 1;
    p.info.test = 1;
    p.info.resourceClass = resourceClass;
    p.segments.push_back({QStringLiteral("test"), -1, QStringLiteral("a"), QStringLiteral("b")});
    return p;
}

class ResultsFixture
{
public:
    ResultsFixture(db::Store &store, const QString &dir) : m_store(store), m_dir(dir) {}

    /// A dataset of these languages and pairs.
    qint64 addDataset(const QStringList &languages, const std::vector<db::NewPair> &pairs, const QString &fingerprint)
    {
        db::DatasetRecord d;
        d.name = fingerprint;
        d.kind = QStringLiteral("synthetic");
        d.fingerprint = fingerprint;
        d.resourceThreshold = 20;
        d.createdAt = QDateTime::currentDateTimeUtc();
        for (const QString &code : languages)
            d.languages.push_back({code, code, QString(), QString()});
        return m_store.addDataset(d, pairs);
    }

    /// A finished run of `preset` with a checkpoint at `step` and its full model; returns the run.
    qint64 addRun(qint64 dataset, const char *preset, qint64 *fullModel, qint64 step = 500,
                  const QString &kind = QStringLiteral("train"), qint64 parent = 0)
    {
        core::TrainConfig config = core::loadPreset(preset, presetDir());
        config.data.dataset = dataset;
        db::RunRecord run;
        run.kind = kind;
        run.name = QString::fromLatin1(preset);
        run.preset = run.name;
        run.datasetId = dataset;
        run.parentRunId = parent;
        run.configJson = QString::fromStdString(core::trainConfigToJson(config, -1));
        run.status = db::RunStatus::Finished;
        const qint64 id = m_store.addRun(run);
        *fullModel = addCheckpoint(id, step);
        return id;
    }

    /// A checkpoint of `run` at `step` (its file missing) and its full model; returns the model.
    qint64 addCheckpoint(qint64 run, qint64 step)
    {
        db::CheckpointRecord c;
        c.runId = run;
        c.step = step;
        c.id = m_store.addCheckpoint({0, run, step, QDir(m_dir).filePath(QStringLiteral("missing-%1-%2.tmf").arg(run).arg(step)),
                                      QStringLiteral("00"), 10, {}});
        db::ModelRecord details;
        details.paramsTotal = 3000000;
        details.paramsActive = 1800000;
        return m_store.checkpointModel(c, details);
    }

    /// BLEU `bleu` and chrF `bleu` + 20 of `model` on `pair` (test split).
    void addScore(qint64 model, qint64 run, const QString &pair, double bleu, int beam = 4, qint64 sentences = 0,
                  const QString &signature = {})
    {
        db::EvaluationRecord e;
        e.modelId = model;
        e.runId = run;
        e.step = 500;
        e.split = QStringLiteral("test");
        e.pair = pair;
        e.metric = QStringLiteral("BLEU");
        e.score = bleu;
        e.sentences = sentences;
        e.signature = signature;
        e.configJson = beamJson(beam);
        m_store.addEvaluation(e);
        e.metric = QStringLiteral("chrF");
        e.score = bleu + 20;
        e.signature.clear();
        m_store.addEvaluation(e);
    }

    /// A decoding benchmark of `model` at one batch size.
    void addDecodeBenchmark(qint64 model, int beam, int batch, double tokensPerSecond, qint64 peakRss = 0,
                            double encoderMs = 0, double decoderMs = 0)
    {
        db::BenchmarkRecord b;
        b.kind = QStringLiteral("decode");
        b.modelId = model;
        b.batchSize = batch;
        b.configJson = beamJson(beam);
        b.tokensPerSecond = tokensPerSecond;
        b.latencyMs = batch * 1000.0 / std::max(1.0, tokensPerSecond);
        b.peakRssBytes = peakRss;
        b.encoderMs = encoderMs;
        b.decoderMs = decoderMs;
        m_store.addBenchmark(b);
    }

private:
    db::Store &m_store;
    QString m_dir;
};

} // namespace taskmoe::test
