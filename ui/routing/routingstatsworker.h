#pragma once
/// Reads routing statistics from the store and turns one MoE layer of them into what the
/// gating heatmap browser draws — off the GUI thread.
///
/// RoutingStatsWorker lives on its own thread with its own store connection (Qt's rule for
/// QSqlDatabase); RoutingStatsThread owns that thread and forwards calls to it. Results come
/// back by queued signals as plain values (RoutingStatListing, RoutingView). A request
/// superseded by a newer one before the worker reaches it is skipped, so dragging through the
/// layers does not queue up stale work.
///
/// The numbers themselves (task distributions, similarity, entropy, clustering) are
/// core/routingviews.h's, so the workbench and `taskmoe routing` agree.
#include "core/eval/routingviews.h"
#include "db/records.h"
#include "db/routingtable.h"
#include "ui/common/workerthread.h"

#include <QHash>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <vector>


namespace taskmoe::db {
class Store;
}

namespace taskmoe::ui {

/// Which column of routing_stats a view shows (db/routingtable.h).
using RoutingMeasure = db::RoutingMeasure;
using RoutingCounts = db::RoutingCounts;

/// How the tasks (rows) are ordered.
enum class RowOrder {
    Name,           ///< alphabetically
    ResourceSize,   ///< largest training set first (the task's language pair in the run's dataset)
    Clustering      ///< dendrogram leaf order of average-linkage clustering (similar tasks adjacent)
};

/// "top-1", "top-k", "gate mass", "processed": for labels and tool tips.
QString measureName(RoutingMeasure measure);
/// What a share of the measure is a share of: "top-1 choices", "processed token copies", …
QString measureDescription(RoutingMeasure measure);

/// What to show: a stat set, one of its MoE layers, and how.
struct RoutingRequest
{
    qint64 modelId = 0;
    qint64 step = 0;
    std::optional<db::Side> side;   ///< nothing, or a side without statistics: the first side present
    int layer = -1;    ///< MoE layer index; absent: the first layer of the side
    RoutingMeasure measure = RoutingMeasure::Top1;
    RowOrder order = RowOrder::Name;
    core::Similarity similarity = core::Similarity::JensenShannon;
    quint64 serial = 0;   ///< assigned by RoutingStatsThread; a view answers the request it carries
};

/// Load balance and dropped tokens of one MoE layer, over all tasks.
struct LayerSummary
{
    qint64 id = 0;              ///< row number (for the table model)
    db::Side side = db::Side::Encoder;
    int layer = 0;
    qint64 tokens = 0;          ///< Σ top-1 over tasks and experts: tokens that reached the layer
    qint64 minProcessed = 0;    ///< fewest token copies one expert processed
    qint64 maxProcessed = 0;    ///< most token copies one expert processed
    double stdProcessed = 0;    ///< population standard deviation of processed copies per expert
    qint64 dropped = 0;         ///< Σ (top-k − processed): copies over an expert's capacity
    double droppedShare = 0;    ///< dropped / Σ top-k; 0 when nothing was chosen
    double entropy = 0;         ///< expert-load entropy (nats) of processed copies; ln E when balanced
    int experts = 0;
};

/// One task's shares in one MoE layer (a row of the task profile).
struct TaskLayerShares
{
    db::Side side = db::Side::Encoder;
    int layer = 0;
    qint64 tokens = 0;            ///< the task's tokens in this layer (Σ top-1)
    std::vector<double> shares;   ///< per expert, of the view's measure; zeros when the task is absent
};

/// Everything the browser draws for one request, rows already in display order.
struct RoutingView
{
    RoutingRequest request;              ///< as answered: side and layer resolved
    db::RoutingStatSet set;              ///< what the stat set is (run, checkpoint, layers)
    QStringList tasks;                   ///< rows, in display order
    int experts = 0;                     ///< columns
    std::vector<RoutingCounts> counts;   ///< tasks × experts, row-major, display order
    std::vector<qint64> taskTokens;      ///< per row: Σ top-1 (the task's tokens in this layer)
    std::vector<std::vector<double>> shares;       ///< per row: the measure divided by its row sum
    std::vector<std::vector<double>> similarity;   ///< task × task, display order
    /// With RowOrder::Clustering: the merges, leaves numbered by display row (ids ≥ rows are
    /// merge results as in core::Merge); empty otherwise.
    std::vector<core::Merge> merges;
    std::vector<qint64> resourceSizes;   ///< per row: training sentences of the task; −1 unknown
    QString datasetName;                 ///< the run's dataset, when known
    RowOrder order = RowOrder::Name;     ///< the order applied (resource size may fall back to name)
    QString orderNote;                   ///< why the requested order was not applied; empty when it was
    std::vector<LayerSummary> summaries; ///< every MoE layer of the set: encoder first, by index
    /// Every task's shares in every MoE layer (in the order of `summaries`), by task name.
    std::map<QString, std::vector<TaskLayerShares>> profiles;

    bool isEmpty() const { return tasks.isEmpty(); }
    const RoutingCounts &cell(int row, int expert) const { return counts[std::size_t(row) * std::size_t(experts) + std::size_t(expert)]; }
};

/// The stat sets of a store, newest listing.
struct RoutingStatListing
{
    QVector<db::RoutingStatSet> sets;
};

/// A task's training sentences in `dataset`: its language pair in either direction (the store
/// keeps en-de and de-en as one record); for a one-language task (task:target routing) the sum
/// over the pairs that include the language. −1 when the dataset has no such pair.
qint64 taskResourceSize(const db::DatasetRecord &dataset, const QString &task);

/// Builds the view of `request` from the stored rows of its stat set (`records` may hold every
/// side and layer). `resourceSizes` maps tasks to training sentences (see taskResourceSize);
/// `resourceNote` says why it is empty, when it is. Pure: no store, no Qt widgets.
/// Throws std::invalid_argument on rows that are not counts.
RoutingView computeRoutingView(const std::vector<db::RoutingStatRecord> &records, const db::RoutingStatSet &set,
                               const RoutingRequest &request, const QHash<QString, qint64> &resourceSizes,
                               const QString &resourceNote = {});

/// The worker; use it through RoutingStatsThread.
class RoutingStatsWorker : public QObject
{
    Q_OBJECT
public:
    /// `latestSerial` is the serial of the newest request sent; older ones are skipped.
    explicit RoutingStatsWorker(std::shared_ptr<std::atomic<quint64>> latestSerial, QObject *parent = nullptr);
    ~RoutingStatsWorker() override;

public slots:
    /// Opens `path` on this thread (empty: closes) and lists its stat sets.
    void open(const QString &path);
    /// Lists the stat sets again (new recordings appear, replaced ones are read afresh).
    void list();
    /// Computes the view of `request`; emits computed() or failed().
    void compute(const taskmoe::ui::RoutingRequest &request);

signals:
    void listed(const taskmoe::ui::RoutingStatListing &listing);
    void computed(const taskmoe::ui::RoutingView &view);
    void failed(const QString &message);

private:
    void load(qint64 modelId, qint64 step);
    void resolveResourceSizes();

    std::shared_ptr<std::atomic<quint64>> m_latestSerial;
    std::unique_ptr<db::Store> m_store;
    QVector<db::RoutingStatSet> m_sets;
    // The stat set read last: a new layer, measure or order of it needs no store access.
    bool m_loaded = false;
    db::RoutingStatSet m_set;
    std::vector<db::RoutingStatRecord> m_records;
    bool m_resolvedSizes = false;
    QHash<QString, qint64> m_sizes;
    QString m_sizeNote;
    QString m_datasetName;
};

/// Runs a RoutingStatsWorker on its own thread and stops it cleanly on destruction.
class RoutingStatsThread : public QObject
{
    Q_OBJECT
public:
    explicit RoutingStatsThread(QObject *parent = nullptr);
    ~RoutingStatsThread() override;

    void open(const QString &path);
    void list();
    /// Sends `request` with a new serial, which it returns; earlier requests not yet started
    /// are dropped.
    quint64 compute(RoutingRequest request);

signals:
    void listed(const taskmoe::ui::RoutingStatListing &listing);
    void computed(const taskmoe::ui::RoutingView &view);
    void failed(const QString &message);

private:
    std::shared_ptr<std::atomic<quint64>> m_latestSerial;   // before m_worker: the worker shares it
    WorkerThread<RoutingStatsWorker> m_worker;
};

} // namespace taskmoe::ui

Q_DECLARE_METATYPE(taskmoe::ui::RoutingRequest)
Q_DECLARE_METATYPE(taskmoe::ui::RoutingView)
Q_DECLARE_METATYPE(taskmoe::ui::RoutingStatListing)
