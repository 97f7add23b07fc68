#include "ui/routing/routingstatsworker.h"

#include "db/store.h"
#include "ui/common/storecontroller.h"
#include "ui/runs/runmodel.h"   // runConfig

#include <QCoreApplication>
#include <QMetaObject>
#include <QThread>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <stdexcept>

namespace taskmoe::ui {

QString measureName(RoutingMeasure measure)
{
    switch (measure) {
    case RoutingMeasure::Top1: return QCoreApplication::translate("RoutingBrowser", "top-1");
    case RoutingMeasure::TopK: return QCoreApplication::translate("RoutingBrowser", "top-k");
    case RoutingMeasure::GateMass: return QCoreApplication::translate("RoutingBrowser", "gate mass");
    case RoutingMeasure::Processed: return QCoreApplication::translate("RoutingBrowser", "processed");
    }
    return {};
}

QString measureDescription(RoutingMeasure measure)
{
    switch (measure) {
    case RoutingMeasure::Top1: return QCoreApplication::translate("RoutingBrowser", "top-1 choices");
    case RoutingMeasure::TopK: return QCoreApplication::translate("RoutingBrowser", "top-k choices");
    case RoutingMeasure::GateMass: return QCoreApplication::translate("RoutingBrowser", "gate mass");
    case RoutingMeasure::Processed: return QCoreApplication::translate("RoutingBrowser", "processed token copies");
    }
    return {};
}

qint64 taskResourceSize(const db::DatasetRecord &dataset, const QString &task)
{
    const QStringList langs = task.split(QLatin1Char('-'));
    if (langs.size() == 2) {
        qint64 reverse = -1;
        for (const auto &p : dataset.pairs) {
            if (p.srcLang == langs[0] && p.tgtLang == langs[1])
                return p.train;   // a record of this very direction wins
            if (p.srcLang == langs[1] && p.tgtLang == langs[0])
                reverse = p.train;
        }
        return reverse;
    }
    if (langs.size() == 1 && !task.isEmpty()) {
        qint64 sum = -1;
        for (const auto &p : dataset.pairs)
            if (p.srcLang == task || p.tgtLang == task)
                sum = std::max<qint64>(sum, 0) + p.train;
        return sum;
    }
    return -1;
}

namespace {

/// Values divided by their sum; all zeros when the sum is 0.
std::vector<double> rowShares(const std::vector<double> &values)
{
    const double sum = std::accumulate(values.begin(), values.end(), 0.0);
    std::vector<double> out(values.size(), 0.0);
    if (sum > 0)
        for (std::size_t i = 0; i < values.size(); ++i)
            out[i] = values[i] / sum;
    return out;
}

} // namespace

RoutingView computeRoutingView(const std::vector<db::RoutingStatRecord> &records, const db::RoutingStatSet &set,
                               const RoutingRequest &request, const QHash<QString, qint64> &resourceSizes,
                               const QString &resourceNote)
{
    RoutingView view;
    view.request = request;
    view.set = set;

    // Layers present, the expert count (one for the whole model) and the tasks.
    const db::RoutingTable table = db::routingTable(records);
    const int experts = table.experts;
    view.experts = experts;
    if (table.layers.empty())
        return view;

    // Resolve the requested layer: the side's first layer when it has not this one.
    const db::RoutingTable::Layer *wanted = request.side ? table.find(*request.side, request.layer) : nullptr;
    if (!wanted) {
        const auto sameSide = std::find_if(table.layers.begin(), table.layers.end(),
                                           [&](const db::RoutingTable::Layer &l) { return l.side == request.side; });
        wanted = sameSide != table.layers.end() ? &*sameSide : &table.layers.front();
    }
    view.request.side = wanted->side;
    view.request.layer = wanted->layer;
    const std::vector<QString> &allTasks = table.tasks;

    // Per-layer load balance and drops, over all tasks.
    for (const auto &l : table.layers) {
        LayerSummary s;
        s.id = qint64(view.summaries.size());
        s.side = l.side;
        s.layer = l.layer;
        s.experts = experts;
        const std::vector<double> load = table.processedLoad(l);
        qint64 chosen = 0;
        for (const RoutingCounts &c : l.cells) {
            s.tokens += c.top1;
            chosen += c.topk;
            s.dropped += c.topk - c.processed;
        }
        const auto [lo, hi] = std::minmax_element(load.begin(), load.end());
        s.minProcessed = qint64(*lo);
        s.maxProcessed = qint64(*hi);
        const double mean = std::accumulate(load.begin(), load.end(), 0.0) / double(experts);
        double variance = 0;
        for (double v : load)
            variance += (v - mean) * (v - mean);
        s.stdProcessed = std::sqrt(variance / double(experts));
        s.droppedShare = chosen > 0 ? double(s.dropped) / double(chosen) : 0.0;
        s.entropy = core::entropy(rowShares(load));
        view.summaries.push_back(s);
    }

    // Every task's profile over all layers, in the request's measure.
    for (std::size_t t = 0; t < allTasks.size(); ++t) {
        std::vector<TaskLayerShares> profile;
        for (const auto &l : table.layers) {
            TaskLayerShares row;
            row.side = l.side;
            row.layer = l.layer;
            for (int e = 0; e < experts; ++e)
                row.tokens += l.cell(t, e, experts).top1;
            row.shares = rowShares(table.values(l, t, request.measure));
            profile.push_back(std::move(row));
        }
        view.profiles.emplace(allTasks[t], std::move(profile));
    }

    // The chosen layer: tasks present in it, by name, then reordered.
    const auto &cells = wanted->cells;
    core::RoutingMatrix matrix;
    matrix.experts = std::size_t(experts);
    std::vector<int> rowsByName;   // indices into allTasks
    for (std::size_t t = 0; t < allTasks.size(); ++t) {
        if (!wanted->taskPresent[t])
            continue;
        rowsByName.push_back(int(t));
        matrix.tasks.push_back(allTasks[t].toStdString());
        for (int e = 0; e < experts; ++e)
            matrix.values.push_back(cells[t * std::size_t(experts) + std::size_t(e)].value(request.measure));
    }
    const std::vector<std::vector<double>> distributions = core::taskDistributions(matrix);
    const std::size_t n = rowsByName.size();

    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t(0));
    view.order = request.order;
    core::Clustering clustering;
    if (request.order == RowOrder::Clustering) {
        clustering = core::clusterTasks(distributions);
        order = clustering.order;
    } else if (request.order == RowOrder::ResourceSize) {
        QStringList unknown;
        for (int t : rowsByName)
            if (resourceSizes.value(allTasks[std::size_t(t)], -1) < 0)
                unknown << allTasks[std::size_t(t)];
        if (resourceSizes.isEmpty() || !unknown.isEmpty()) {
            view.order = RowOrder::Name;
            view.orderNote = resourceSizes.isEmpty() && !resourceNote.isEmpty()
                                 ? resourceNote
                                 : QCoreApplication::translate("RoutingBrowser",
                                                               "The run's dataset has no training size for %1: rows are "
                                                               "ordered by name.")
                                       .arg(unknown.join(QStringLiteral(", ")));
        } else {
            // Largest first; equal sizes by name (the order they already have).
            std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                return resourceSizes.value(allTasks[std::size_t(rowsByName[a])])
                       > resourceSizes.value(allTasks[std::size_t(rowsByName[b])]);
            });
        }
    }

    std::vector<std::size_t> displayRowOf(n);
    for (std::size_t row = 0; row < n; ++row) {
        const std::size_t i = order[row];
        displayRowOf[i] = row;
        const int t = rowsByName[i];
        const QString &task = allTasks[std::size_t(t)];
        view.tasks << task;
        qint64 tokens = 0;
        for (int e = 0; e < experts; ++e) {
            const RoutingCounts &c = cells[std::size_t(t) * std::size_t(experts) + std::size_t(e)];
            view.counts.push_back(c);
            tokens += c.top1;
        }
        view.taskTokens.push_back(tokens);
        view.shares.push_back(distributions[i]);
        view.resourceSizes.push_back(resourceSizes.value(task, -1));
    }
    view.similarity = core::similarityMatrix(view.shares, request.similarity);
    for (core::Merge m : clustering.merges) {
        if (m.left < n)
            m.left = displayRowOf[m.left];
        if (m.right < n)
            m.right = displayRowOf[m.right];
        view.merges.push_back(m);
    }
    return view;
}

// ----------------------------------------------------------------------------------------

RoutingStatsWorker::RoutingStatsWorker(std::shared_ptr<std::atomic<quint64>> latestSerial, QObject *parent)
    : QObject(parent), m_latestSerial(std::move(latestSerial))
{
}

RoutingStatsWorker::~RoutingStatsWorker() = default;

void RoutingStatsWorker::open(const QString &path)
{
    m_store.reset();
    m_sets.clear();
    m_loaded = false;
    if (path.isEmpty())
        return;
    QString error;
    m_store = openWorkerConnection(path, &error);
    if (!m_store) {
        emit failed(error);
        return;
    }
    list();
}

void RoutingStatsWorker::list()
{
    if (!m_store)
        return;
    try {
        m_sets = m_store->routingStatSets();
        m_loaded = false;   // a recording may have been replaced: read it afresh when asked
        emit listed({m_sets});
    } catch (const db::StoreError &e) {
        emit failed(e.message());
    } catch (const std::exception &e) {
        emit failed(QString::fromStdString(e.what()));
    }
}

void RoutingStatsWorker::load(qint64 modelId, qint64 step)
{
    if (m_loaded && m_set.modelId == modelId && m_set.step == step)
        return;
    m_loaded = false;
    const auto find = [&] {
        return std::find_if(m_sets.cbegin(), m_sets.cend(),
                             [&](const db::RoutingStatSet &s) { return s.modelId == modelId && s.step == step; });
    };
    auto found = find();
    if (found == m_sets.cend()) {
        m_sets = m_store->routingStatSets();
        found = find();
    }
    if (found != m_sets.cend()) {
        m_set = *found;
    } else {
        m_set = db::RoutingStatSet();
        m_set.modelId = modelId;
        m_set.step = step;
    }
    m_records = m_store->routingStats(modelId, step);
    m_resolvedSizes = false;
    m_sizes.clear();
    m_sizeNote.clear();
    m_datasetName.clear();
    m_loaded = true;
}

void RoutingStatsWorker::resolveResourceSizes()
{
    if (m_resolvedSizes)
        return;
    m_resolvedSizes = true;
    const auto unknown = [this](const QString &why) {
        m_sizes.clear();
        m_sizeNote = why + QCoreApplication::translate("RoutingBrowser", " Rows are ordered by name.");
    };
    if (m_set.runId <= 0) {
        unknown(QCoreApplication::translate("RoutingBrowser", "Resource sizes are unknown: this model belongs to no run."));
        return;
    }
    qint64 datasetId = 0;
    try {
        const db::RunRecord run = m_store->run(m_set.runId);
        // The run's configuration names its dataset (data.dataset); 0 there means "the
        // store's synthetic dataset", which the trainer records as the run's dataset.
        if (const auto config = runConfig(run))
            datasetId = config->data.dataset;
        if (datasetId <= 0)
            datasetId = run.datasetId;
        if (datasetId <= 0) {
            unknown(QCoreApplication::translate("RoutingBrowser", "Resource sizes are unknown: run %1 names no dataset.")
                        .arg(m_set.runId));
            return;
        }
        const db::DatasetRecord dataset = m_store->dataset(datasetId);
        m_datasetName = dataset.name;
        for (const auto &r : m_records)
            if (!m_sizes.contains(r.task))
                m_sizes.insert(r.task, taskResourceSize(dataset, r.task));
    } catch (const db::StoreError &) {
        unknown(QCoreApplication::translate("RoutingBrowser", "Resource sizes are unknown: dataset %1 of run %2 is not in "
                                                              "the store.")
                    .arg(datasetId)
                    .arg(m_set.runId));
    }
}

void RoutingStatsWorker::compute(const RoutingRequest &request)
{
    if (request.serial < m_latestSerial->load())
        return;   // a newer request is queued behind this one
    if (!m_store)
        return;   // closed since the request was sent: nothing to show it in
    try {
        load(request.modelId, request.step);
        resolveResourceSizes();   // also for the tool tips; read once per stat set
        RoutingView view = computeRoutingView(m_records, m_set, request, m_sizes, m_sizeNote);
        view.datasetName = m_datasetName;
        emit computed(view);
    } catch (const db::StoreError &e) {
        m_loaded = false;
        emit failed(e.message());
    } catch (const std::exception &e) {
        m_loaded = false;
        emit failed(QString::fromStdString(e.what()));
    }
}

// ----------------------------------------------------------------------------------------

RoutingStatsThread::RoutingStatsThread(QObject *parent)
    : QObject(parent), m_latestSerial(std::make_shared<std::atomic<quint64>>(0)),
      m_worker(this, new RoutingStatsWorker(m_latestSerial), QStringLiteral("routing statistics"))
{
    qRegisterMetaType<RoutingRequest>();
    qRegisterMetaType<RoutingView>();
    qRegisterMetaType<RoutingStatListing>();
    connect(m_worker.worker(), &RoutingStatsWorker::listed, this, &RoutingStatsThread::listed);
    connect(m_worker.worker(), &RoutingStatsWorker::computed, this, &RoutingStatsThread::computed);
    connect(m_worker.worker(), &RoutingStatsWorker::failed, this, &RoutingStatsThread::failed);
}

RoutingStatsThread::~RoutingStatsThread()
{
    // Skip whatever is queued, close the store on its own thread, then end the thread (which
    // deletes the worker).
    m_latestSerial->store(std::numeric_limits<quint64>::max());
    m_worker.stop([](RoutingStatsWorker *w) { w->open(QString()); });
}

void RoutingStatsThread::open(const QString &path)
{
    m_worker.post([path](RoutingStatsWorker *w) { w->open(path); });
}

void RoutingStatsThread::list()
{
    m_worker.post([](RoutingStatsWorker *w) { w->list(); });
}

quint64 RoutingStatsThread::compute(RoutingRequest request)
{
    request.serial = m_latestSerial->fetch_add(1) + 1;
    m_worker.post([request](RoutingStatsWorker *w) { w->compute(request); });
    return request.serial;
}

} // namespace taskmoe::ui
