// The store's datasets, their sentences and vocabularies.
#include "db/statement.h"

#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <tuple>

namespace taskmoe::db {

// ----------------------------------------------------------------------------------------
// Datasets

qint64 Store::addDataset(const DatasetRecord &dataset, const std::vector<NewPair> &pairs)
{
    Transaction tx(m_connection);
    Query insert(m_connection, QStringLiteral(
        "INSERT INTO datasets (name, kind, source, fingerprint, params_json, resource_threshold, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    insert.bind(dataset.name).bind(dataset.kind).bind(dataset.source).bind(dataset.fingerprint)
        .bind(dataset.paramsJson.isEmpty() ? QStringLiteral("{}") : dataset.paramsJson)
        .bind(dataset.resourceThreshold)
        .bind(dataset.createdAt.isValid() ? timeText(dataset.createdAt) : now())
        .exec("add the dataset");
    const qint64 id = insert.id();

    Query lang(m_connection, QStringLiteral(
        "INSERT INTO dataset_languages (dataset_id, code, name, family, script) VALUES (?, ?, ?, ?, ?)"));
    for (const auto &l : dataset.languages) {
        lang.bind(id).bind(l.code).bind(l.name).bind(l.family).bind(l.script).exec("add a dataset language");
    }
    Query pairInsert(m_connection, QStringLiteral(
        "INSERT INTO dataset_pairs (dataset_id, src_lang, tgt_lang, train_count, dev_count, test_count, "
        "multiway_count, resource_class) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    Query segment(m_connection, QStringLiteral(
        "INSERT INTO segments (pair_id, split, align_id, src, tgt) VALUES (?, ?, ?, ?, ?)"));
    const QVariant noAlign(QMetaType(QMetaType::LongLong));
    for (const auto &p : pairs) {
        pairInsert.bind(id).bind(p.info.srcLang).bind(p.info.tgtLang).bind(p.info.train).bind(p.info.dev)
            .bind(p.info.test).bind(p.info.multiway).bind(p.info.resourceClass).exec("add a language pair");
        const qint64 pairId = pairInsert.id();
        for (const auto &s : p.segments) {
            segment.bind(pairId).bind(s.split).bind(s.alignId >= 0 ? QVariant(s.alignId) : noAlign)
                .bind(s.src).bind(s.tgt).exec("add a sentence");
        }
    }
    tx.commit();
    return id;
}

qint64 Store::findDatasetByFingerprint(const QString &fingerprint) const
{
    Query q(m_connection, QStringLiteral("SELECT id FROM datasets WHERE fingerprint = ?"));
    q.bind(fingerprint).exec("look up a dataset");
    return q.next() ? q.value(0).toLongLong() : 0;
}

QVector<DatasetRecord> Store::datasets() const
{
    QVector<DatasetRecord> out;
    QHash<qint64, int> index;
    {
        Query q(m_connection, QStringLiteral(
            "SELECT id, name, kind, source, fingerprint, params_json, resource_threshold, created_at "
            "FROM datasets ORDER BY id"));
        q.exec("list datasets");
        while (q.next()) {
            DatasetRecord d;
            d.id = q.value(0).toLongLong();
            d.name = q.value(1).toString();
            d.kind = q.value(2).toString();
            d.source = q.value(3).toString();
            d.fingerprint = q.value(4).toString();
            d.paramsJson = q.value(5).toString();
            d.resourceThreshold = q.value(6).toLongLong();
            d.createdAt = timeValue(q.value(7));
            index.insert(d.id, out.size());
            out.push_back(d);
        }
    }
    {
        Query q(m_connection, QStringLiteral(
            "SELECT dataset_id, code, name, family, script FROM dataset_languages ORDER BY dataset_id, code"));
        q.exec("list dataset languages");
        while (q.next()) {
            const auto it = index.constFind(q.value(0).toLongLong());
            if (it != index.constEnd())
                out[*it].languages.push_back({q.value(1).toString(), q.value(2).toString(), q.value(3).toString(),
                                              q.value(4).toString()});
        }
    }
    {
        Query q(m_connection, QStringLiteral(
            "SELECT id, dataset_id, src_lang, tgt_lang, train_count, dev_count, test_count, multiway_count, "
            "resource_class FROM dataset_pairs ORDER BY dataset_id, id"));
        q.exec("list language pairs");
        while (q.next()) {
            DatasetPairRecord p;
            p.id = q.value(0).toLongLong();
            p.datasetId = q.value(1).toLongLong();
            p.srcLang = q.value(2).toString();
            p.tgtLang = q.value(3).toString();
            p.train = q.value(4).toLongLong();
            p.dev = q.value(5).toLongLong();
            p.test = q.value(6).toLongLong();
            p.multiway = q.value(7).toLongLong();
            p.resourceClass = q.value(8).toString();
            const auto it = index.constFind(p.datasetId);
            if (it != index.constEnd())
                out[*it].pairs.push_back(p);
        }
    }
    return out;
}

DatasetRecord Store::dataset(qint64 id) const
{
    for (const auto &d : datasets())
        if (d.id == id)
            return d;
    throw StoreError(QStringLiteral("%1: there is no dataset %2 (see `taskmoe corpus list`)").arg(m_path).arg(id));
}

std::vector<SegmentRow> Store::segments(qint64 pairId, const QString &split) const
{
    std::vector<SegmentRow> rows;
    Query q(m_connection, QStringLiteral(
        "SELECT split, align_id, src, tgt FROM segments WHERE pair_id = ? AND split = ? ORDER BY id"));
    q.bind(pairId).bind(split).exec("read sentences");
    while (q.next()) {
        const QVariant align = q.value(1);
        rows.push_back({q.value(0).toString(), align.isNull() ? -1 : align.toLongLong(), q.value(2).toString(),
                        q.value(3).toString()});
    }
    return rows;
}

void Store::forEachSegment(qint64 datasetId, const QString &split,
                           const std::function<void(const DatasetPairRecord &, const SegmentRow &)> &fn) const
{
    const DatasetRecord d = dataset(datasetId);
    for (const auto &pair : d.pairs)
        for (const auto &row : segments(pair.id, split))
            fn(pair, row);
}

void Store::deleteDataset(qint64 id)
{
    Transaction tx(m_connection);
    Query q(m_connection, QStringLiteral("DELETE FROM datasets WHERE id = ?"));
    q.bind(id).exec("delete the dataset");
    tx.commit();
}

// ----------------------------------------------------------------------------------------
// Vocabularies

qint64 Store::addVocabulary(const VocabularyRecord &v)
{
    Transaction tx(m_connection);
    Query q(m_connection, QStringLiteral(
        "INSERT INTO vocabularies (dataset_id, vocab_size, temperature, sha256, params_json, model, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"));
    q.bind(v.datasetId).bind(v.vocabSize).bind(v.temperature).bind(v.sha256)
        .bind(v.paramsJson.isEmpty() ? QStringLiteral("{}") : v.paramsJson).bind(v.model)
        .bind(v.createdAt.isValid() ? timeText(v.createdAt) : now()).exec("add the vocabulary");
    const qint64 id = q.id();
    tx.commit();
    return id;
}

namespace {
VocabularyRecord vocabularyFrom(Query &q, bool withModel)
{
    VocabularyRecord v;
    v.id = q.value(0).toLongLong();
    v.datasetId = q.value(1).toLongLong();
    v.vocabSize = q.value(2).toInt();
    v.temperature = q.value(3).toDouble();
    v.sha256 = q.value(4).toString();
    v.paramsJson = q.value(5).toString();
    v.createdAt = timeValue(q.value(6));
    if (withModel)
        v.model = q.value(7).toByteArray();
    return v;
}
} // namespace

QVector<VocabularyRecord> Store::vocabularies(qint64 datasetId) const
{
    QVector<VocabularyRecord> out;
    Query q(m_connection, QStringLiteral(
        "SELECT id, dataset_id, vocab_size, temperature, sha256, params_json, created_at FROM vocabularies "
        "WHERE dataset_id = ? OR ? = 0 ORDER BY id"));
    q.bind(datasetId).bind(datasetId).exec("list vocabularies");
    while (q.next())
        out.push_back(vocabularyFrom(q, false));
    return out;
}

VocabularyRecord Store::vocabulary(qint64 id) const
{
    Query q(m_connection, QStringLiteral(
        "SELECT id, dataset_id, vocab_size, temperature, sha256, params_json, created_at, model FROM vocabularies "
        "WHERE id = ?"));
    q.bind(id).exec("read the vocabulary");
    if (!q.next())
        throw StoreError(QStringLiteral("%1: there is no vocabulary %2").arg(m_path).arg(id));
    return vocabularyFrom(q, true);
}


} // namespace taskmoe::db
