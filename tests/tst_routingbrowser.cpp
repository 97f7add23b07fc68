// The gating heatmap browser on a fixture store: the colour map's cells, the row orders, the
// hover text, the row-click profile, the per-layer summary, the similarity matrix, exports,
// the main window's Routing tab, and an empty store.
#include "core/eval/routingviews.h"
#include "db/store.h"
#include "ui/mainwindow.h"
#include "ui/routing/routingbrowser.h"
#include "ui/routing/routingstatsmodel.h"
#include "ui/routing/routingstatsworker.h"

#include <qcustomplot.h>

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QHelpEvent>
#include <QImage>
#include <QLabel>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolTip>

#include <cmath>

using namespace taskmoe;
using ui::RoutingBrowser;
using ui::RoutingMeasure;
using ui::RowOrder;

namespace {

// Tasks in name order; es/ca and ru/uk route alike in decoder layer 1.
const QStringList kTasks{QStringLiteral("en-ca"), QStringLiteral("en-es"), QStringLiteral("en-ru"), QStringLiteral("en-uk")};
constexpr int kExperts = 4;

struct Cell
{
    qint64 top1, topk;
    double gate;
    qint64 processed;
};

// Decoder layer 1, by hand: top-1, top-k (k = 2), gate mass, processed — per expert.
const Cell kDecoder1[4][kExperts] = {
    // en-ca: 50 tokens; expert 1 dropped 5 copies
    {{25, 40, 30.5, 40}, {20, 35, 12.25, 30}, {3, 15, 4.0, 15}, {2, 10, 3.25, 10}},
    // en-es: 100 tokens; expert 0 dropped 10
    {{60, 90, 62.5, 80}, {30, 70, 25.5, 70}, {5, 20, 6.0, 20}, {5, 20, 6.0, 20}},
    // en-ru: 100 tokens; expert 2 dropped 10
    {{4, 20, 8.0, 20}, {6, 30, 10.0, 30}, {70, 90, 61.5, 80}, {20, 60, 20.5, 60}},
    // en-uk: 40 tokens; expert 3 dropped 2
    {{0, 5, 1.0, 5}, {5, 15, 5.5, 15}, {15, 30, 15.25, 30}, {20, 30, 18.25, 28}},
};

/// The other layers (encoder 0 and 2, decoder 3): a fixed pattern, nothing dropped.
Cell patternCell(int layer, int task, int expert)
{
    const qint64 top1 = 10 + (task * 3 + expert * 5 + layer) % 7;
    return {top1, 2 * top1, 0.75 * double(top1), 2 * top1};
}

Cell fixtureCell(const QString &side, int layer, int task, int expert)
{
    if (side == QLatin1String("decoder") && layer == 1)
        return kDecoder1[task][expert];
    return patternCell(layer, task, expert);
}

const std::pair<const char *, int> kLayers[] = {{"encoder", 0}, {"encoder", 2}, {"decoder", 1}, {"decoder", 3}};

std::vector<db::RoutingStatRecord> fixtureStats(qint64 modelId, qint64 step)
{
    std::vector<db::RoutingStatRecord> out;
    for (const auto &[side, layer] : kLayers)
        for (int t = 0; t < kTasks.size(); ++t)
            for (int e = 0; e < kExperts; ++e) {
                const Cell c = fixtureCell(QString::fromLatin1(side), layer, t, e);
                out.push_back({modelId, step, *db::sideFromName(QString::fromLatin1(side)), layer, kTasks[t], e, c.top1, c.topk, c.gate,
                               c.processed});
            }
    return out;
}

double measureOf(const Cell &c, RoutingMeasure m)
{
    switch (m) {
    case RoutingMeasure::Top1: return double(c.top1);
    case RoutingMeasure::TopK: return double(c.topk);
    case RoutingMeasure::GateMass: return c.gate;
    case RoutingMeasure::Processed: return double(c.processed);
    }
    return 0;
}

/// A task's row (name order index) in one layer and measure, divided by its sum.
std::vector<double> handShares(const QString &side, int layer, int task, RoutingMeasure m = RoutingMeasure::Top1)
{
    double sum = 0;
    for (int e = 0; e < kExperts; ++e)
        sum += measureOf(fixtureCell(side, layer, task, e), m);
    std::vector<double> out;
    for (int e = 0; e < kExperts; ++e)
        out.push_back(measureOf(fixtureCell(side, layer, task, e), m) / sum);
    return out;
}

int taskIndex(const QString &task)
{
    return int(kTasks.indexOf(task));
}

/// A recording shaped like the synthetic corpus: 14 languages in 5 families, both directions
/// with English (28 tasks), 8 experts, MoE layers 1, 3 and 5 per side. From layer 3 on, each
/// side sends most of a task's tokens to its language family's expert (the decoder: the target
/// language's family; the encoder: the source language's) and some to one of two shared ones.
std::vector<db::RoutingStatRecord> largerStats(qint64 modelId, qint64 step)
{
    const std::pair<const char *, int> languages[] = {{"es", 0}, {"ca", 0}, {"pt", 0}, {"it", 0}, {"de", 1},
                                                      {"nl", 1}, {"sv", 1}, {"ru", 2}, {"uk", 2}, {"bg", 2},
                                                      {"tr", 3}, {"ja", 3}, {"ko", 3}, {"el", 4}};
    constexpr int experts = 8;
    std::vector<db::RoutingStatRecord> out;
    int t = 0;
    for (const auto &[code, family] : languages)
        for (bool fromEnglish : {true, false}) {
            const QString lang = QString::fromLatin1(code);
            const QString task = fromEnglish ? QStringLiteral("en-") + lang : lang + QStringLiteral("-en");
            for (const char *side : {"encoder", "decoder"})
                for (int layer : {1, 3, 5}) {
                    const bool decoder = qstrcmp(side, "decoder") == 0;
                    const int key = decoder == fromEnglish ? family : 5;   // English is family 5
                    double weights[experts], sum = 0;
                    for (int e = 0; e < experts; ++e) {
                        weights[e] = 1 + ((t * 7 + e * 3 + layer) % 5) * 0.1;
                        if (layer > 1 && e == key)
                            weights[e] += 6;
                        if (layer > 1 && e == 6 + key % 2)
                            weights[e] += 3;
                        sum += weights[e];
                    }
                    const qint64 tokens = 800 + (t * 37) % 400;
                    for (int e = 0; e < experts; ++e) {
                        const qint64 top1 = qint64(double(tokens) * weights[e] / sum);
                        const qint64 topk = 2 * top1 + 10;
                        const qint64 processed = weights[e] > 3 ? topk - topk / 10 : topk;
                        out.push_back({modelId, step, *db::sideFromName(QString::fromLatin1(side)), layer, task, e, top1, topk,
                                       0.7 * double(top1), processed});
                    }
                }
            ++t;
        }
    return out;
}

/// Waits until the browser shows the view of its latest request.
bool waitForView(RoutingBrowser &browser)
{
    if (browser.hasView() && !browser.isComputing())
        return true;
    QSignalSpy shown(&browser, &RoutingBrowser::viewShown);
    return shown.wait(10000) && !browser.isComputing();
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void saveShot(QWidget &widget, const QString &name)
{
    const QString dir = qEnvironmentVariable("TASKMOE_SCREENSHOT_DIR");
    if (dir.isEmpty())
        return;
    QDir().mkpath(dir);
    if (auto *browser = qobject_cast<RoutingBrowser *>(&widget))
        browser->redrawNow();
    widget.grab().save(dir + QLatin1Char('/') + name);
}

} // namespace

class TestRoutingBrowser : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void listsStatSetsAndOnlyTheLayersPresent();
    void colourMapCellsAreEachTasksShareOfItsTokens_data();
    void colourMapCellsAreEachTasksShareOfItsTokens();
    void rowsFollowTheChosenOrder();
    void resourceOrderFallsBackToNamesWithoutARun();
    void hoveringACellShowsItsExactCounts();
    void clickingARowShowsTheTaskInEveryLayer();
    void summaryShowsLoadBalanceAndDropsPerLayer();
    void similarityMatrixIsOneMinusJensenShannonOrCosine();
    void exportsTheCurrentMatricesAsCsvPngAndPdf();
    void emptyStoreSaysToRunTaskmoeEval();
    void mainWindowRoutingTabSelectsAStatSet();
    void largerRecordingLabelsEveryTaskAtTheDefaultWindowSize();
    void checkpointSliderWalksARunsRecordings();
    void compareModeShowsAnotherCheckpointOrTheDifference();

private:
    /// A browser on the fixture store showing the run's stat set, decoder layer 1, top-1.
    std::unique_ptr<RoutingBrowser> openFixture(bool show = false);

    QTemporaryDir m_dir;
    QString m_path;
    qint64 m_runId = 0;
    qint64 m_model = 0;        // the run's checkpoint model: resource sizes known
    qint64 m_looseModel = 0;   // no run: resource sizes unknown
};

void TestRoutingBrowser::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_path = m_dir.filePath(QStringLiteral("routing.sqlite"));
    db::Store store(m_path);

    db::DatasetRecord dataset;
    dataset.name = QStringLiteral("four pairs");
    dataset.kind = QStringLiteral("synthetic");
    dataset.fingerprint = QStringLiteral("routing-fixture");
    dataset.resourceThreshold = 100;
    for (const char *code : {"en", "es", "ca", "ru", "uk"})
        dataset.languages.push_back({QString::fromLatin1(code), {}, {}, {}});
    const auto pair = [](const char *src, const char *tgt, qint64 train) {
        db::NewPair p;
        p.info.srcLang = QString::fromLatin1(src);
        p.info.tgtLang = QString::fromLatin1(tgt);
        p.info.train = train;
        p.info.resourceClass = train >= 100 ? QStringLiteral("high") : QStringLiteral("low");
        return p;
    };
    // en-uk is stored the other way round: one record serves both directions.
    const qint64 datasetId = store.addDataset(
        dataset, {pair("en", "es", 500), pair("en", "ca", 50), pair("en", "ru", 300), pair("uk", "en", 20)});

    db::RunRecord run;
    run.name = QStringLiteral("task-moe-target");
    run.kind = QStringLiteral("train");
    run.status = db::RunStatus::Finished;
    run.configJson = QStringLiteral("{\"data\": {\"dataset\": %1}}").arg(datasetId);
    m_runId = store.addRun(run);
    const qint64 checkpoint = store.addCheckpoint({0, m_runId, 400, QStringLiteral("/tmp/c.tmf"), QStringLiteral("ab"), 1, {}});
    db::ModelRecord model;
    model.runId = m_runId;
    model.checkpointId = checkpoint;
    model.kind = QStringLiteral("full");
    model.path = QStringLiteral("/tmp/c.tmf");
    model.sha256 = QStringLiteral("ab");
    m_model = store.addModel(model);
    db::ModelRecord loose;
    loose.kind = QStringLiteral("full");
    loose.path = QStringLiteral("/tmp/loose.tmf");
    loose.sha256 = QStringLiteral("cd");
    m_looseModel = store.addModel(loose);
    store.addRoutingStats(fixtureStats(m_model, 400));
    store.addRoutingStats(fixtureStats(m_looseModel, 0));
}

std::unique_ptr<RoutingBrowser> TestRoutingBrowser::openFixture(bool show)
{
    auto browser = std::make_unique<RoutingBrowser>();
    if (show) {
        browser->resize(1280, 760);
        browser->show();
        if (!QTest::qWaitForWindowExposed(browser.get()))
            return nullptr;
    }
    QSignalSpy listed(browser.get(), &RoutingBrowser::statSetsListed);
    browser->openStore(m_path);
    if (!browser->selectStatSet(m_model, 400) && !listed.wait(10000))
        return nullptr;
    browser->setSide(db::Side::Decoder);
    browser->setLayer(1);
    if (!waitForView(*browser))
        return nullptr;
    return browser;
}

void TestRoutingBrowser::listsStatSetsAndOnlyTheLayersPresent()
{
    auto browser = openFixture();
    QVERIFY(browser);
    QCOMPARE(browser->statSets().size(), 2);
    QCOMPARE(browser->currentModelId(), m_model);
    QCOMPARE(browser->currentStep(), 400);
    QVERIFY(browser->statSetCombo()->currentText().contains(QStringLiteral("Run %1").arg(m_runId)));
    QVERIFY(browser->statSetCombo()->currentText().contains(QStringLiteral("task-moe-target")));
    QVERIFY(browser->statSetCombo()->currentText().contains(QStringLiteral("step 400")));

    const auto layers = [&] {
        QStringList l;
        for (int i = 0; i < browser->layerCombo()->count(); ++i)
            l << browser->layerCombo()->itemText(i);
        return l;
    };
    QCOMPARE(layers(), (QStringList{QStringLiteral("1"), QStringLiteral("3")}));
    QVERIFY(browser->view().request.side == db::Side::Decoder);
    QCOMPARE(browser->view().request.layer, 1);
    browser->setSide(db::Side::Encoder);
    QCOMPARE(layers(), (QStringList{QStringLiteral("0"), QStringLiteral("2")}));
    QVERIFY(waitForView(*browser));
    QVERIFY(browser->view().request.side == db::Side::Encoder);
    QCOMPARE(browser->view().request.layer, 0);
}

void TestRoutingBrowser::colourMapCellsAreEachTasksShareOfItsTokens_data()
{
    QTest::addColumn<int>("measure");
    QTest::newRow("top-1") << int(RoutingMeasure::Top1);
    QTest::newRow("top-k") << int(RoutingMeasure::TopK);
    QTest::newRow("gate mass") << int(RoutingMeasure::GateMass);
    QTest::newRow("processed") << int(RoutingMeasure::Processed);
}

void TestRoutingBrowser::colourMapCellsAreEachTasksShareOfItsTokens()
{
    QFETCH(int, measure);
    auto browser = openFixture();
    QVERIFY(browser);
    browser->setMeasure(RoutingMeasure(measure));
    QVERIFY(waitForView(*browser));
    QCOMPARE(browser->rowTasks(), kTasks);   // name order

    QCPColorMapData *data = browser->routingMap()->data();
    QCOMPARE(data->keySize(), kExperts);
    QCOMPARE(data->valueSize(), int(kTasks.size()));
    for (int row = 0; row < kTasks.size(); ++row) {
        const std::vector<double> expected = handShares(QStringLiteral("decoder"), 1, row, RoutingMeasure(measure));
        for (int e = 0; e < kExperts; ++e)
            QCOMPARE(data->cell(e, row), expected[std::size_t(e)]);
    }
    if (RoutingMeasure(measure) == RoutingMeasure::Top1) {
        // Literal spot checks: en-es sends 60 of its 100 tokens to expert 0; en-uk 20 of 40 to expert 3.
        QCOMPARE(data->cell(0, 1), 0.6);
        QCOMPARE(data->cell(3, 3), 0.5);
        QCOMPARE(data->cell(0, 3), 0.0);
        // The colour scale runs from 0 to the largest share.
        QCOMPARE(browser->routingMap()->dataRange().lower, 0.0);
        QCOMPARE(browser->routingMap()->dataRange().upper, 0.7);
    }
    // Rows and columns are labelled with task names and expert numbers.
    auto rowTicker = qSharedPointerDynamicCast<QCPAxisTickerText>(browser->routingRect()->axis(QCPAxis::atLeft)->ticker());
    auto columnTicker =
        qSharedPointerDynamicCast<QCPAxisTickerText>(browser->routingRect()->axis(QCPAxis::atBottom)->ticker());
    QVERIFY(rowTicker && columnTicker);
    QCOMPARE(rowTicker->ticks().value(0), QStringLiteral("en-ca"));
    QCOMPARE(rowTicker->ticks().value(3), QStringLiteral("en-uk"));
    QCOMPARE(columnTicker->ticks().value(2), QStringLiteral("2"));
}

void TestRoutingBrowser::rowsFollowTheChosenOrder()
{
    auto browser = openFixture();
    QVERIFY(browser);
    QCOMPARE(browser->rowTasks(), kTasks);
    QVERIFY(!browser->dendrogramShown());

    // Largest training set first: es 500, ru 300, ca 50, uk 20 (stored as uk-en).
    browser->setRowOrder(RowOrder::ResourceSize);
    QVERIFY(waitForView(*browser));
    QCOMPARE(browser->rowTasks(), (QStringList{QStringLiteral("en-es"), QStringLiteral("en-ru"), QStringLiteral("en-ca"),
                                               QStringLiteral("en-uk")}));
    QCOMPARE(browser->view().order, RowOrder::ResourceSize);
    QCOMPARE(browser->view().resourceSizes, (std::vector<qint64>{500, 300, 50, 20}));
    QVERIFY(browser->noteLabel()->text().contains(QStringLiteral("four pairs")));
    // The cells move with their rows.
    QCOMPARE(browser->routingMap()->data()->cell(0, 0), 0.6);

    // Clustering: core's leaf order, with the dendrogram; related tasks end up adjacent.
    browser->setRowOrder(RowOrder::Clustering);
    QVERIFY(waitForView(*browser));
    std::vector<std::vector<double>> distributions;
    for (int t = 0; t < kTasks.size(); ++t)
        distributions.push_back(handShares(QStringLiteral("decoder"), 1, t));
    QStringList expected;
    for (std::size_t i : core::clusterTasks(distributions).order)
        expected << kTasks[int(i)];
    QCOMPARE(browser->rowTasks(), expected);
    const auto adjacent = [&](const QString &a, const QString &b) {
        return std::abs(browser->rowTasks().indexOf(a) - browser->rowTasks().indexOf(b)) == 1;
    };
    QVERIFY(adjacent(QStringLiteral("en-es"), QStringLiteral("en-ca")));
    QVERIFY(adjacent(QStringLiteral("en-ru"), QStringLiteral("en-uk")));
    QVERIFY(browser->dendrogramShown());
    QCOMPARE(browser->view().merges.size(), std::size_t(3));
    // The merges are in display rows: the first joins two adjacent rows.
    const core::Merge first = browser->view().merges.front();
    QVERIFY(first.left < 4 && first.right < 4);
    QCOMPARE(std::abs(int(first.left) - int(first.right)), 1);
    for (int row = 0; row < 4; ++row)
        QCOMPARE(browser->routingMap()->data()->cell(2, row),
                 handShares(QStringLiteral("decoder"), 1, taskIndex(browser->rowTasks()[row]))[2]);

    browser->setRowOrder(RowOrder::Name);
    QVERIFY(waitForView(*browser));
    QCOMPARE(browser->rowTasks(), kTasks);
    QVERIFY(!browser->dendrogramShown());
}

void TestRoutingBrowser::resourceOrderFallsBackToNamesWithoutARun()
{
    auto browser = openFixture();
    QVERIFY(browser);
    QVERIFY(browser->selectStatSet(m_looseModel, 0));
    browser->setRowOrder(RowOrder::ResourceSize);
    QVERIFY(waitForView(*browser));
    QCOMPARE(browser->currentModelId(), m_looseModel);
    QCOMPARE(browser->rowTasks(), kTasks);
    QCOMPARE(browser->view().order, RowOrder::Name);
    QVERIFY(browser->noteLabel()->isVisibleTo(browser.get()));
    QVERIFY2(browser->noteLabel()->text().contains(QStringLiteral("ordered by name")),
             qPrintable(browser->noteLabel()->text()));
    QVERIFY(browser->noteLabel()->text().contains(QStringLiteral("no run")));

    // taskResourceSize on its own: either direction, and one-language tasks sum their pairs.
    db::DatasetRecord d;
    d.pairs = {{0, 0, QStringLiteral("en"), QStringLiteral("de"), 70, 0, 0, 0, QStringLiteral("high")},
               {0, 0, QStringLiteral("fr"), QStringLiteral("de"), 30, 0, 0, 0, QStringLiteral("low")}};
    QCOMPARE(ui::taskResourceSize(d, QStringLiteral("de-en")), 70);
    QCOMPARE(ui::taskResourceSize(d, QStringLiteral("en-de")), 70);
    QCOMPARE(ui::taskResourceSize(d, QStringLiteral("de")), 100);
    QCOMPARE(ui::taskResourceSize(d, QStringLiteral("en-ja")), -1);
}

void TestRoutingBrowser::hoveringACellShowsItsExactCounts()
{
    auto browser = openFixture(true);
    QVERIFY(browser);
    browser->redrawNow();
    // en-es (row 1 by name), expert 0.
    const QString text = browser->cellToolTip(1, 0);
    for (const char *part : {"en-es → expert 0 (decoder MoE layer 1)", "top-1: 60", "top-k: 90", "gate mass: 62.500",
                             "processed: 80 (dropped: 10)", "task tokens: 100", "share of top-1 choices: 0.6000 (60.0 %)",
                             "training sentences: 500"})
        QVERIFY2(text.contains(QString::fromUtf8(part)), qPrintable(part + QStringLiteral(" not in:\n") + text));

    // The same text under the pointer, through a real tool tip event on the plot.
    const QPoint centre = browser->heatmapCellCentre(1, 0);
    QCOMPARE(browser->heatmapToolTipAt(centre), text);
    QHelpEvent help(QEvent::ToolTip, centre, browser->routingPlot()->mapToGlobal(centre));
    QApplication::sendEvent(browser->routingPlot(), &help);
    QTRY_VERIFY(QToolTip::isVisible());
    QCOMPARE(QToolTip::text(), text);
    QToolTip::hideText();
    // en-uk, expert 3: 2 copies dropped; outside the map: nothing.
    QVERIFY(browser->heatmapToolTipAt(browser->heatmapCellCentre(3, 3)).contains(QStringLiteral("processed: 28 (dropped: 2)")));
    QVERIFY(browser->heatmapToolTipAt(QPoint(2, 2)).isEmpty());
}

void TestRoutingBrowser::clickingARowShowsTheTaskInEveryLayer()
{
    auto browser = openFixture(true);
    QVERIFY(browser);
    browser->redrawNow();
    QCOMPARE(browser->selectedTask(), QStringLiteral("en-ca"));   // the first row until one is clicked

    QTest::mouseClick(browser->routingPlot(), Qt::LeftButton, {}, browser->heatmapCellCentre(2, 1));
    QCOMPARE(browser->selectedTask(), QStringLiteral("en-ru"));
    browser->redrawNow();

    // Rows: encoder 0, encoder 2, decoder 1, decoder 3; columns: experts.
    QCPColorMapData *data = browser->profileMap()->data();
    QCOMPARE(data->keySize(), kExperts);
    QCOMPARE(data->valueSize(), 4);
    for (int l = 0; l < 4; ++l) {
        const std::vector<double> expected = handShares(QString::fromLatin1(kLayers[l].first), kLayers[l].second, 2);
        for (int e = 0; e < kExperts; ++e)
            QCOMPARE(data->cell(e, l), expected[std::size_t(e)]);
    }
    QCOMPARE(data->cell(2, 2), 0.7);   // decoder layer 1: 70 of en-ru's 100 tokens on expert 2
    const auto &profile = browser->view().profiles.at(QStringLiteral("en-ru"));
    QCOMPARE(profile[2].tokens, 100);
    QCOMPARE(profile[0].side, db::Side::Encoder);
    QCOMPARE(profile[3].layer, 3);
    saveShot(*browser, QStringLiteral("routing-browser.png"));

    // The profile keeps its task when the measure changes.
    browser->setMeasure(RoutingMeasure::Processed);
    QVERIFY(waitForView(*browser));
    QCOMPARE(browser->selectedTask(), QStringLiteral("en-ru"));
    QCOMPARE(browser->profileMap()->data()->cell(2, 2), 80.0 / 190.0);
}

void TestRoutingBrowser::summaryShowsLoadBalanceAndDropsPerLayer()
{
    auto browser = openFixture();
    QVERIFY(browser);
    ui::LayerSummaryModel *model = browser->summaryModel();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model->rowCount(), 4);
    const int row = model->rowOf(db::Side::Decoder, 1);
    QCOMPARE(row, 2);
    const ui::LayerSummary &s = model->rows()[std::size_t(row)];
    // Processed per expert: 145, 145, 145, 118 (of 290 tokens, 580 top-k copies, 27 dropped).
    QCOMPARE(s.tokens, 290);
    QCOMPARE(s.minProcessed, 118);
    QCOMPARE(s.maxProcessed, 145);
    QVERIFY(qFuzzyCompare(s.stdProcessed, std::sqrt(136.6875)));
    QCOMPARE(s.dropped, 27);
    QVERIFY(qFuzzyCompare(s.droppedShare, 27.0 / 580.0));
    QVERIFY(qFuzzyCompare(s.entropy, core::entropy({145.0 / 553, 145.0 / 553, 145.0 / 553, 118.0 / 553})));
    QCOMPARE(model->index(row, ui::LayerSummaryModel::DroppedColumn).data().toString(), QStringLiteral("27"));
    QCOMPARE(model->index(row, ui::LayerSummaryModel::DroppedShareColumn).data().toString(), QStringLiteral("4.66"));
    QCOMPARE(model->index(row, ui::LayerSummaryModel::StdColumn).data().toString(), QStringLiteral("11.7"));

    // A layer without drops; every expert equally loaded gives ln E.
    const ui::LayerSummary &encoder = model->rows()[0];
    QCOMPARE(encoder.side, db::Side::Encoder);
    QCOMPARE(encoder.dropped, 0);
    QCOMPARE(encoder.droppedShare, 0.0);

    // The shown layer is selected; selecting another row shows that layer.
    QCOMPARE(browser->summaryView()->selectionModel()->currentIndex().row(), row);
    browser->summaryView()->selectionModel()->setCurrentIndex(model->index(3, 0), QItemSelectionModel::ClearAndSelect
                                                                                       | QItemSelectionModel::Rows);
    QVERIFY(waitForView(*browser));
    QVERIFY(browser->view().request.side == db::Side::Decoder);
    QCOMPARE(browser->view().request.layer, 3);
}

void TestRoutingBrowser::similarityMatrixIsOneMinusJensenShannonOrCosine()
{
    auto browser = openFixture();
    QVERIFY(browser);
    QCPColorMapData *data = browser->similarityMap()->data();
    QCOMPARE(data->keySize(), 4);
    QCOMPARE(data->valueSize(), 4);
    for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b) {
            const double js = core::jensenShannon(handShares(QStringLiteral("decoder"), 1, a),
                                                  handShares(QStringLiteral("decoder"), 1, b));
            QVERIFY(qFuzzyCompare(1.0 + data->cell(b, a), 1.0 + (1.0 - js)));
        }
    QCOMPARE(data->cell(0, 0), 1.0);
    // Related tasks are more similar than unrelated ones.
    QVERIFY(data->cell(1, 0) > data->cell(2, 0));   // ca~es vs ca~ru

    browser->setSimilarity(core::Similarity::Cosine);
    QVERIFY(waitForView(*browser));
    data = browser->similarityMap()->data();
    for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 4; ++b)
            QVERIFY(qFuzzyCompare(1.0 + data->cell(b, a),
                                  1.0 + core::cosineSimilarity(handShares(QStringLiteral("decoder"), 1, a),
                                                               handShares(QStringLiteral("decoder"), 1, b))));

    // Same order as the routing map.
    browser->setRowOrder(RowOrder::ResourceSize);
    QVERIFY(waitForView(*browser));
    const QStringList rows = browser->rowTasks();
    const double esRu = core::cosineSimilarity(handShares(QStringLiteral("decoder"), 1, taskIndex(rows[0])),
                                               handShares(QStringLiteral("decoder"), 1, taskIndex(rows[1])));
    QVERIFY(qFuzzyCompare(browser->similarityMap()->data()->cell(1, 0), esRu));
}

void TestRoutingBrowser::exportsTheCurrentMatricesAsCsvPngAndPdf()
{
    auto browser = openFixture();
    QVERIFY(browser);
    const QString dir = m_dir.filePath(QStringLiteral("exports"));
    QVERIFY(QDir().mkpath(dir));

    const QString csv = dir + QStringLiteral("/routing.csv");
    QString error;
    QVERIFY2(browser->exportCsv(csv, RoutingBrowser::RoutingMatrix, &error), qPrintable(error));
    // The columns of `taskmoe routing --format csv`.
    QByteArray expected("task,tokens,e0,e1,e2,e3,entropy\n");
    const int tokens[] = {50, 100, 100, 40};
    for (int t = 0; t < kTasks.size(); ++t) {
        expected += kTasks[t].toUtf8() + ',' + QByteArray::number(tokens[t]);
        const std::vector<double> shares = handShares(QStringLiteral("decoder"), 1, t);
        for (double share : shares)
            expected += ',' + QByteArray::number(share, 'g', 17);
        expected += ',' + QByteArray::number(core::entropy(shares), 'g', 17) + '\n';
    }
    QCOMPARE(readAll(csv), expected);
    QVERIFY(readAll(csv).contains("en-es,100,0.59999999999999998,0.29999999999999999,0.050000000000000003,"));

    const QString similarity = dir + QStringLiteral("/similarity.csv");
    QVERIFY2(browser->exportCsv(similarity, RoutingBrowser::SimilarityMatrix, &error), qPrintable(error));
    const QList<QByteArray> lines = readAll(similarity).split('\n');
    QCOMPARE(lines.value(0), QByteArray("task,en-ca,en-es,en-ru,en-uk"));
    QVERIFY(lines.value(1).startsWith("en-ca,1,"));
    QCOMPARE(lines.value(3).split(',').value(3), QByteArray("1"));   // en-ru with itself

    for (const char *name : {"routing.png", "similarity.png"}) {
        const QString png = dir + QLatin1Char('/') + QLatin1String(name);
        const auto matrix = QByteArray(name).startsWith("routing") ? RoutingBrowser::RoutingMatrix
                                                                   : RoutingBrowser::SimilarityMatrix;
        QVERIFY2(browser->exportPng(png, matrix, &error), qPrintable(error));
        QVERIFY(!QImage(png).isNull());
    }
    const QString pdf = dir + QStringLiteral("/routing.pdf");
    QVERIFY2(browser->exportPdf(pdf, RoutingBrowser::RoutingMatrix, &error), qPrintable(error));
    QVERIFY(readAll(pdf).startsWith("%PDF"));
    // Written under a temporary name and renamed: nothing else is left behind.
    QCOMPARE(QDir(dir).entryList(QDir::Files, QDir::Name),
             (QStringList{QStringLiteral("routing.csv"), QStringLiteral("routing.pdf"), QStringLiteral("routing.png"),
                          QStringLiteral("similarity.csv"), QStringLiteral("similarity.png")}));
    // A folder that does not exist: an error, not a crash.
    QVERIFY(!browser->exportPng(dir + QStringLiteral("/missing/x.png"), RoutingBrowser::RoutingMatrix, &error));
    QVERIFY(error.contains(QStringLiteral("missing/x.png")));
}

void TestRoutingBrowser::emptyStoreSaysToRunTaskmoeEval()
{
    const QString path = m_dir.filePath(QStringLiteral("empty.sqlite"));
    {
        db::Store store(path);
        Q_UNUSED(store);
    }
    RoutingBrowser browser;
    browser.resize(1100, 700);
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    QSignalSpy listed(&browser, &RoutingBrowser::statSetsListed);
    browser.openStore(path);
    QVERIFY(listed.wait(10000));
    QCOMPARE(listed.takeFirst().at(0).toInt(), 0);
    QVERIFY2(browser.message().contains(QStringLiteral("No routing statistics yet — run taskmoe eval")),
             qPrintable(browser.message()));
    auto *label = browser.findChild<QLabel *>(QStringLiteral("noRoutingLabel"));
    QVERIFY(label && label->isVisible());
    QVERIFY(!browser.hasView());
    QVERIFY(!browser.statSetCombo()->isEnabled());
    // Nothing to draw, nothing to export, nothing breaks.
    browser.setMeasure(RoutingMeasure::GateMass);
    browser.setRowOrder(RowOrder::Clustering);
    browser.selectTask(QStringLiteral("en-de"));
    QVERIFY(browser.cellToolTip(0, 0).isEmpty());
    QString error;
    QVERIFY(!browser.exportCsv(m_dir.filePath(QStringLiteral("none.csv")), RoutingBrowser::RoutingMatrix, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(!QFile::exists(m_dir.filePath(QStringLiteral("none.csv"))));
    saveShot(browser, QStringLiteral("routing-empty.png"));

    // Statistics arriving later show up on refresh.
    {
        db::Store store(path);
        db::ModelRecord m;
        m.kind = QStringLiteral("full");
        m.path = QStringLiteral("/tmp/late.tmf");
        m.sha256 = QStringLiteral("ef");
        store.addRoutingStats(fixtureStats(store.addModel(m), 7));
    }
    browser.refresh();
    QVERIFY(listed.wait(10000));
    QCOMPARE(listed.takeFirst().at(0).toInt(), 1);
    QVERIFY(waitForView(browser));
    QCOMPARE(browser.rowTasks().size(), 4);

    // No store at all.
    browser.openStore(QString());
    QVERIFY(browser.message().contains(QStringLiteral("No store open")));
}

void TestRoutingBrowser::mainWindowRoutingTabSelectsAStatSet()
{
    ui::MainWindow window;
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.openStore(m_path));
    RoutingBrowser *browser = window.routingBrowser();
    QVERIFY(browser);
    QCOMPARE(window.tabs()->tabText(2), QStringLiteral("Routing"));

    window.showRunRouting(m_runId);
    QCOMPARE(window.tabs()->currentWidget(), browser);
    QTRY_COMPARE_WITH_TIMEOUT(browser->currentModelId(), m_model, 10000);
    browser->setSide(db::Side::Decoder);
    browser->setLayer(1);
    browser->setRowOrder(RowOrder::Clustering);
    QVERIFY(waitForView(*browser));
    QCOMPARE(browser->view().set.runId, m_runId);
    QVERIFY(window.showTab(QStringLiteral("datasets")));
    QVERIFY(!window.showTab(QStringLiteral("nonsense")));
    QVERIFY(window.showRoutingStatSet(m_looseModel, 0));
    QVERIFY(waitForView(*browser));
    QCOMPARE(browser->view().set.modelId, m_looseModel);
    QVERIFY(window.showRoutingStatSet(m_model, 400));
    QVERIFY(waitForView(*browser));

    const QString shot = m_dir.filePath(QStringLiteral("window.png"));
    QString error;
    QVERIFY2(window.saveScreenshot(shot, &error), qPrintable(error));
    QVERIFY(!QImage(shot).isNull());
    saveShot(window, QStringLiteral("routing-window.png"));
}

void TestRoutingBrowser::largerRecordingLabelsEveryTaskAtTheDefaultWindowSize()
{
    const QString path = m_dir.filePath(QStringLiteral("larger.sqlite"));
    qint64 model = 0;
    {
        db::Store store(path);
        db::ModelRecord m;
        m.kind = QStringLiteral("full");
        m.path = QStringLiteral("/tmp/larger.tmf");
        m.sha256 = QStringLiteral("12");
        model = store.addModel(m);
        store.addRoutingStats(largerStats(model, 400));
    }
    ui::MainWindow window;
    window.resize(1280, 800);   // the window's default size
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.openStore(path));
    window.showRoutingStatSet(model, 400);
    RoutingBrowser *browser = window.routingBrowser();
    QTRY_COMPARE_WITH_TIMEOUT(browser->currentModelId(), model, 10000);
    browser->setSide(db::Side::Decoder);
    browser->setLayer(3);
    browser->setRowOrder(RowOrder::Clustering);
    QVERIFY(waitForView(*browser));
    browser->redrawNow();
    saveShot(window, QStringLiteral("routing-larger.png"));

    QCOMPARE(browser->rowTasks().size(), 28);
    QCOMPARE(browser->view().experts, 8);
    // Every row carries its task's name, every column its expert's number.
    auto rows = qSharedPointerDynamicCast<QCPAxisTickerText>(browser->routingRect()->axis(QCPAxis::atLeft)->ticker());
    auto columns = qSharedPointerDynamicCast<QCPAxisTickerText>(browser->routingRect()->axis(QCPAxis::atBottom)->ticker());
    QCOMPARE(rows->ticks().size(), 28);
    QCOMPARE(columns->ticks().size(), 8);
    // Clustering puts the tasks into Romance-like targets together, and all xx-en together.
    const QStringList order = browser->rowTasks();
    QList<int> romance, intoEnglish;
    for (int i = 0; i < order.size(); ++i) {
        if (order[i].endsWith(QLatin1String("-en")))
            intoEnglish << i;
        else if (QStringList{QStringLiteral("en-es"), QStringLiteral("en-ca"), QStringLiteral("en-pt"), QStringLiteral("en-it")}
                     .contains(order[i]))
            romance << i;
    }
    QCOMPARE(romance.size(), 4);
    QCOMPARE(romance.last() - romance.first(), 3);
    QCOMPARE(intoEnglish.last() - intoEnglish.first(), 13);
    if (const QString dir = qEnvironmentVariable("TASKMOE_SCREENSHOT_DIR"); !dir.isEmpty()) {
        QVERIFY(browser->exportPng(dir + QStringLiteral("/routing-larger-export.png"), RoutingBrowser::RoutingMatrix));
        QVERIFY(browser->exportPng(dir + QStringLiteral("/similarity-larger-export.png"), RoutingBrowser::SimilarityMatrix));
    }
}

void TestRoutingBrowser::checkpointSliderWalksARunsRecordings()
{
    // A run recorded at three checkpoints: en-es concentrates on expert 0 as training goes on (as training's dev-sample recordings show specialisation).
    const QString path = m_dir.filePath(QStringLiteral("timeline.sqlite"));
    {
        db::Store store(path);
        db::RunRecord run;
        run.name = QStringLiteral("timeline");
        run.kind = QStringLiteral("train");
        run.status = db::RunStatus::Finished;
        const qint64 runId = store.addRun(run);
        for (const qint64 step : {100, 200, 300}) {
            const qint64 checkpoint = store.addCheckpoint({0, runId, step, QStringLiteral("/tmp/t%1.tmf").arg(step),
                                                           QStringLiteral("ab"), 1, {}});
            const qint64 model = store.checkpointModel({checkpoint, runId, step, QStringLiteral("/tmp/t%1.tmf").arg(step),
                                                        QStringLiteral("ab"), 1, {}},
                                                       {});
            std::vector<db::RoutingStatRecord> stats;
            for (int e = 0; e < kExperts; ++e) {
                const qint64 top1 = e == 0 ? 10 + step / 10 : 10;   // expert 0's share grows: 0.4, 0.5, 0.57
                stats.push_back({model, step, db::Side::Decoder, 1, QStringLiteral("en-es"), e, top1, 2 * top1, double(top1), 2 * top1});
            }
            store.addRoutingStats(stats);
        }
    }
    RoutingBrowser browser;
    QSignalSpy listed(&browser, &RoutingBrowser::statSetsListed);
    browser.openStore(path);
    QVERIFY(listed.wait(10000));
    QVERIFY(waitForView(browser));
    QCOMPARE(browser.checkpointSteps(), (QVector<qint64>{100, 200, 300}));
    QVERIFY(!browser.checkpointSlider()->isHidden());
    QCOMPARE(browser.checkpointSlider()->value(), 2);   // the newest recording is shown first
    QCOMPARE(browser.view().shares[0][0], 40.0 / 70.0);
    browser.checkpointSlider()->setValue(0);
    QCOMPARE(browser.currentStep(), 100);
    QVERIFY(waitForView(browser));
    QCOMPARE(browser.view().request.step, 100);
    QCOMPARE(browser.view().shares[0][0], 20.0 / 50.0);
    QCOMPARE(browser.view().request.layer, 1);   // the same layer follows the slider

    // A recording of no run has no timeline.
    browser.openStore(m_path);
    QVERIFY(listed.wait(10000));
    QVERIFY(browser.selectStatSet(m_looseModel, 0));
    QVERIFY(browser.checkpointSlider()->isHidden() || browser.checkpointSteps().size() < 2);
    QVERIFY(browser.checkpointSteps().isEmpty());
}

void TestRoutingBrowser::compareModeShowsAnotherCheckpointOrTheDifference()
{
    // The store of the slider's test: en-es at steps 100 (expert 0: 20 of 50) and 300 (40 of 70).
    const QString path = m_dir.filePath(QStringLiteral("timeline.sqlite"));
    QVERIFY(QFile::exists(path));
    RoutingBrowser browser;
    browser.resize(1280, 760);
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    QSignalSpy listed(&browser, &RoutingBrowser::statSetsListed);
    QSignalSpy compared(&browser, &RoutingBrowser::comparisonShown);
    browser.openStore(path);
    QVERIFY(listed.wait(10000));
    QVERIFY(waitForView(browser));
    QCOMPARE(browser.currentStep(), 300);
    QVERIFY(!browser.isComparing());
    QVERIFY(!browser.similarityPlot()->isHidden());

    const auto sets = browser.statSets();
    const auto early = std::find_if(sets.begin(), sets.end(), [](const db::RoutingStatSet &s) { return s.step == 100; });
    QVERIFY(early != sets.end());
    QVERIFY(browser.compareWith(early->modelId, 100));
    QTRY_VERIFY(browser.isComparing());
    QVERIFY(!browser.comparePlot()->isHidden());
    QVERIFY(browser.similarityPlot()->isHidden());   // the comparison takes its place
    QCOMPARE(browser.compareView().request.layer, 1);
    QCOMPARE(browser.compareValue(0, 0), 20.0 / 50.0);
    // The same colour scale on both maps: the larger of the two tops.
    QCOMPARE(browser.routingMap()->dataRange().upper, 40.0 / 70.0);
    QCOMPARE(browser.compareMap()->dataRange().upper, 40.0 / 70.0);

    browser.setCompareMode(RoutingBrowser::CompareMode::Difference);
    QCOMPARE(browser.compareValue(0, 0), 40.0 / 70.0 - 20.0 / 50.0);
    QCOMPARE(browser.compareValue(0, 1), 10.0 / 70.0 - 10.0 / 50.0);
    QVERIFY(browser.compareMap()->dataRange().lower < 0);
    QCOMPARE(browser.compareMap()->dataRange().lower, -browser.compareMap()->dataRange().upper);

    // Stop comparing: the similarity matrix is back.
    QVERIFY(browser.compareWith(0, 0));
    QVERIFY(!browser.isComparing());
    QVERIFY(!browser.similarityPlot()->isHidden());
    QVERIFY(!browser.grab().isNull());
}

QTEST_MAIN(TestRoutingBrowser)
#include "tst_routingbrowser.moc"
