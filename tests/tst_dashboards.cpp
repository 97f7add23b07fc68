// The dashboards on a fixture store of known results: the scoreboard behind the BLEU
// dashboard (latest score per direction, only the directions a sub-network serves, the
// aggregates, the change against a baseline, the gain kept), and the dashboard itself showing
// exactly those values — table, bars and their hover text, CSV, dev BLEU over training.
#include "tests/storefixture.h"
#include "ui/common/storecontroller.h"
#include "ui/dashboards/bleudashboard.h"
#include "ui/dashboards/throughputdashboard.h"
#include "usecases/scoreboard.h"
#include "usecases/throughputboard.h"

#include <qcustomplot.h>

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QJsonArray>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace taskmoe;

class TestDashboards : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_path;
    qint64 m_denseRun = 0, m_moeRun = 0, m_studentRun = 0;
    qint64 m_dense = 0, m_moe = 0, m_student = 0, m_subDe = 0, m_subJa = 0;

    QString key(qint64 model) const { return QStringLiteral("model:%1").arg(model); }
    QString subnetworksKey() const
    {
        db::Store store(m_path);
        return QStringLiteral("subnetworks:%1:%2").arg(m_moeRun).arg(store.checkpoints(m_moeRun).front().id);
    }

    static void scores(test::ResultsFixture &f, qint64 model, qint64 run, const std::vector<std::pair<const char *, double>> &s)
    {
        for (const auto &[pair, bleu] : s)
            f.addScore(model, run, QString::fromLatin1(pair), bleu, 4, 50,
                       QStringLiteral("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.4.0"));
    }

    qint64 addSubnetwork(db::Store &store, const char *task, const QStringList &serves)
    {
        db::ModelRecord sub;
        sub.runId = m_moeRun;
        sub.checkpointId = store.checkpoints(m_moeRun).front().id;
        sub.kind = QStringLiteral("subnetwork");
        sub.task = QString::fromLatin1(task);
        sub.path = m_dir.filePath(QStringLiteral("sub-%1.tmf").arg(sub.task));
        sub.sha256 = sub.task;
        sub.manifestJson = test::json({{QStringLiteral("serves"), QJsonArray::fromStringList(serves)}});
        sub.paramsTotal = 2000000;
        sub.paramsActive = 1800000;
        return store.registerModelFile(sub);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(QStringLiteral("results.sqlite"));
        db::Store store(m_path);
        test::ResultsFixture f(store, m_dir.path());
        const qint64 dataset = f.addDataset({QStringLiteral("en"), QStringLiteral("de"), QStringLiteral("ja")},
                                            {test::pairOf(QStringLiteral("en"), QStringLiteral("de"), 1000),
                                             test::pairOf(QStringLiteral("en"), QStringLiteral("ja"), 100, QStringLiteral("low"))},
                                            QStringLiteral("dd44"));
        m_denseRun = f.addRun(dataset, "dense", &m_dense);
        m_moeRun = f.addRun(dataset, "task-moe-target", &m_moe);
        m_studentRun = f.addRun(dataset, "dense-student", &m_student, 500, QStringLiteral("student"), m_moeRun);
        m_subDe = addSubnetwork(store, "de", {QStringLiteral("en-de"), QStringLiteral("de-en")});
        m_subJa = addSubnetwork(store, "ja", {QStringLiteral("en-ja"), QStringLiteral("ja-en")});
        f.addCheckpoint(m_denseRun, 250);   // an earlier checkpoint, registered later (as training's routing records do)

        scores(f, m_dense, m_denseRun, {{"en-de", 19}});   // replaced by the later evaluation below
        scores(f, m_dense, m_denseRun, {{"en-de", 20}, {"de-en", 22}, {"en-ja", 10}, {"ja-en", 12}});
        scores(f, m_moe, m_moeRun, {{"en-de", 26}, {"de-en", 27}, {"en-ja", 14}, {"ja-en", 15}});
        scores(f, m_subDe, m_moeRun, {{"en-de", 26}, {"de-en", 27}, {"en-ja", 99}});   // en-ja: not a pair it serves
        scores(f, m_subJa, m_moeRun, {{"en-ja", 14}, {"ja-en", 15}});
        scores(f, m_student, m_studentRun, {{"en-de", 22}, {"de-en", 23}, {"en-ja", 11}, {"ja-en", 13}});
        f.addScore(m_dense, m_denseRun, QStringLiteral("en-de"), 21, 1);   // greedy: another setting

        std::vector<db::MetricPoint> points;
        for (const auto &[step, bleu] : std::vector<std::pair<qint64, double>>{{100, 5}, {200, 9}}) {
            points.push_back({m_denseRun, step, QStringLiteral("dev_bleu"), bleu, 0});
            points.push_back({m_denseRun, step, QStringLiteral("dev_bleu.en-de"), bleu + 1, 0});
            points.push_back({m_moeRun, step, QStringLiteral("dev_bleu"), bleu + 2, 0});
            points.push_back({m_studentRun, step, QStringLiteral("dev_bleu"), bleu - 1, 0});
        }
        store.addMetrics(points);

        // Decoding benchmarks: the best of repeated measurements counts.
        f.addDecodeBenchmark(m_dense, 1, 1, 100, 100 << 20, 1, 3);
        f.addDecodeBenchmark(m_dense, 1, 8, 700, 120 << 20, 2, 6);
        f.addDecodeBenchmark(m_dense, 1, 64, 600, 150 << 20, 8, 40);
        f.addDecodeBenchmark(m_dense, 4, 1, 30, 110 << 20);
        f.addDecodeBenchmark(m_dense, 4, 8, 200, 130 << 20);
        f.addDecodeBenchmark(m_moe, 1, 1, 80, 300 << 20);
        f.addDecodeBenchmark(m_moe, 1, 8, 500, 300 << 20);
        f.addDecodeBenchmark(m_moe, 1, 8, 650, 310 << 20);   // measured again, faster
        f.addDecodeBenchmark(m_moe, 1, 64, 900, 320 << 20, 10, 30);
    }

    void scoreboardTakesTheLatestScoreOfEveryServedDirection()
    {
        db::Store store(m_path);
        const auto settings = usecases::evaluationSettings(store);
        QCOMPARE(settings.size(), std::size_t(2));
        QCOMPARE(settings.front(), std::make_pair(QStringLiteral("test"), 4));

        const auto entries = usecases::scoreEntries(store, QStringLiteral("test"), 4);
        QStringList keys, kinds;
        for (const auto &e : entries) {
            keys << e.key;
            kinds << e.kind;
        }
        QCOMPARE(keys, (QStringList{key(m_dense), key(m_moe), subnetworksKey(), key(m_student)}));
        QCOMPARE(kinds, (QStringList{QStringLiteral("full"), QStringLiteral("full"), QStringLiteral("subnetworks"),
                                     QStringLiteral("student")}));
        QVERIFY(entries[0].dense);
        QVERIFY(!entries[1].dense);
        QCOMPARE(entries[2].models.size(), std::size_t(2));
        QCOMPARE(entries[2].referenceKey, key(m_moe));
        QCOMPARE(entries[3].referenceKey, key(m_moe));   // a student keeps its teacher's gain
        QCOMPARE(entries[2].label, QStringLiteral("run %1 task-moe-target, step 500 — sub-networks").arg(m_moeRun));
        QCOMPARE(usecases::scoreEntries(store, QStringLiteral("test"), 1).size(), std::size_t(1));

        usecases::ScoreboardRequest request;
        request.entries = keys;
        request.baseline = key(m_dense);
        const usecases::Scoreboard board = usecases::scoreboard(store, request);
        QCOMPARE(board.baseline, 0);
        QStringList directions;
        for (const auto &d : board.directions)
            directions << d.name;
        QCOMPARE(directions, (QStringList{QStringLiteral("de-en"), QStringLiteral("en-de"), QStringLiteral("en-ja"),
                                          QStringLiteral("ja-en")}));
        QCOMPARE(board.directions[0].train, qint64(1000));
        QCOMPARE(board.directions[3].resourceClass, QStringLiteral("low"));

        const auto &dense = board.entries[0];
        QCOMPARE(dense.cells.at(QStringLiteral("en-de")).score, 20.0);   // the later evaluation
        QCOMPARE(dense.cells.at(QStringLiteral("en-de")).sentences, qint64(50));
        QVERIFY(dense.cells.at(QStringLiteral("en-de")).signature.startsWith(QStringLiteral("nrefs:1")));
        QCOMPARE(dense.aggregates.at(QStringLiteral("average")), 16.0);

        const auto &moe = board.entries[1];
        QCOMPARE(moe.aggregates.at(QStringLiteral("average")), 20.5);
        QCOMPARE(moe.aggregates.at(QStringLiteral("xx-en")), 21.0);
        QCOMPARE(moe.aggregates.at(QStringLiteral("en-xx")), 20.0);
        QCOMPARE(moe.aggregates.at(QStringLiteral("high")), 26.5);
        QCOMPARE(moe.aggregates.at(QStringLiteral("low")), 14.5);
        QCOMPARE(moe.delta.at(QStringLiteral("ja-en")), 3.0);
        QCOMPARE(*moe.deltaAverage, 4.5);
        QVERIFY(!moe.gainKept);   // a full model keeps its own gain by definition

        const auto &subnetworks = board.entries[2];
        QCOMPARE(subnetworks.cells.size(), std::size_t(4));
        QCOMPARE(subnetworks.cells.at(QStringLiteral("en-ja")).score, 14.0);   // from the ja sub-network, not de's 99
        QCOMPARE(subnetworks.cells.at(QStringLiteral("en-ja")).modelId, m_subJa);
        QCOMPARE(*subnetworks.gainKept, 1.0);

        const auto &student = board.entries[3];
        QCOMPARE(student.aggregates.at(QStringLiteral("average")), 17.25);
        QCOMPARE(*student.gainKept, 5.0 / 18.0);   // (69 − 64) / (82 − 64)

        // chrF from the same rows; without a baseline no change and no gain.
        request.metric = QStringLiteral("chrF");
        request.baseline.clear();
        const usecases::Scoreboard chrf = usecases::scoreboard(store, request);
        QCOMPARE(chrf.baseline, -1);
        QCOMPARE(chrf.entries[1].aggregates.at(QStringLiteral("average")), 40.5);
        QVERIFY(chrf.entries[1].delta.empty());
        QVERIFY(!chrf.entries[3].gainKept);
    }

    void bleuDashboardShowsTheStoredScores()
    {
        ui::StoreController controller;
        ui::BleuDashboard dashboard(&controller);
        QAbstractItemModelTester tester(dashboard.tableModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy shown(&dashboard, &ui::BleuDashboard::boardShown);
        QSignalSpy curves(&dashboard, &ui::BleuDashboard::curvesShown);
        QVERIFY(controller.open(m_path));
        QTRY_VERIFY(dashboard.entryList()->count() == 4 && shown.count() > 0);
        // Checked at first: the newest checkpoint of every run and the sub-networks; the dense run is the baseline.
        QTRY_COMPARE(dashboard.board().entries.size(), std::size_t(4));
        QCOMPARE(dashboard.baselineBox()->currentData().toString(), key(m_dense));

        dashboard.showEntries({key(m_dense), key(m_moe), subnetworksKey(), key(m_student)}, key(m_dense));
        QTRY_COMPARE(dashboard.board().baseline, 0);
        const auto *table = dashboard.tableModel();
        QCOMPARE(table->rowCount(), 4);
        QCOMPARE(table->index(1, ui::ScoreTableModel::Average).data().toString(), QStringLiteral("20.50"));
        QCOMPARE(table->index(1, ui::ScoreTableModel::Low).data().toString(), QStringLiteral("14.50"));
        QCOMPARE(table->index(1, ui::ScoreTableModel::Delta).data().toString(), QStringLiteral("+4.50"));
        QCOMPARE(table->index(2, ui::ScoreTableModel::Gain).data().toString(), QStringLiteral("100 %"));
        QCOMPARE(table->index(3, ui::ScoreTableModel::Gain).data().toString(), QStringLiteral("28 %"));
        QVERIFY(table->index(0, ui::ScoreTableModel::Model).data().toString().endsWith(QStringLiteral("(baseline)")));
        // The best of each column in bold: the MoE model's average (the sub-networks tie, the first wins).
        QCOMPARE(table->bestRow(ui::ScoreTableModel::Average), 1);
        QVERIFY(table->index(1, ui::ScoreTableModel::Average).data(Qt::FontRole).value<QFont>().bold());
        QVERIFY(!table->index(0, ui::ScoreTableModel::Average).data(Qt::FontRole).value<QFont>().bold());

        // Bars: one series per model, directions by training size; hovering the MoE model's
        // en-ja bar tells its exact score, change, sentences and signature.
        dashboard.resize(1300, 800);
        dashboard.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dashboard));
        dashboard.barPlot()->replot();
        QCOMPARE(dashboard.barPlot()->plottableCount(), 4);
        QCOMPARE(dashboard.shownDirections(), (QStringList{QStringLiteral("de-en"), QStringLiteral("en-de"),
                                                           QStringLiteral("en-ja"), QStringLiteral("ja-en")}));
        auto *bars = qobject_cast<QCPBars *>(dashboard.barPlot()->plottable(1));
        QVERIFY(bars);
        QCOMPARE(bars->data()->size(), 4);
        const auto bar = bars->data()->at(2);
        QCOMPARE(bar->value, 14.0);
        const QPointF pixel(dashboard.barPlot()->xAxis->coordToPixel(bar->key),
                            dashboard.barPlot()->yAxis->coordToPixel(bar->value / 2));
        const QString tip = dashboard.barToolTip(pixel);
        QVERIFY2(tip.contains(QStringLiteral("en-ja: BLEU 14.00 (+4.00 against the baseline)")), qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("50 sentences")), qPrintable(tip));
        QVERIFY2(tip.contains(QStringLiteral("tok:13a")), qPrintable(tip));

        // Sorted by name, and as changes against the baseline (the baseline's own bars go).
        dashboard.sortBox()->setCurrentIndex(dashboard.sortBox()->findData(QStringLiteral("name")));
        QCOMPARE(dashboard.shownDirections().first(), QStringLiteral("de-en"));
        QCOMPARE(dashboard.shownDirections().last(), QStringLiteral("ja-en"));
        dashboard.deltaBox()->setChecked(true);
        QCOMPARE(dashboard.barPlot()->plottableCount(), 3);
        auto *changes = qobject_cast<QCPBars *>(dashboard.barPlot()->plottable(0));
        QCOMPARE(changes->data()->at(3)->value, 3.0);   // ja-en: 15 − 12

        // CSV: one line per model and direction with its change and signature.
        const QStringList csv = QString::fromUtf8(dashboard.scoresCsv()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(csv.size(), 1 + 16);
        QVERIFY2(csv.filter(QStringLiteral(",en-ja,100,BLEU,test,4,14.0000,4.0000,50,")).size() == 2, qPrintable(csv.join('\n')));

        // dev BLEU over training of the shown runs; one direction on request.
        QTRY_VERIFY(curves.count() > 0);
        QTRY_COMPARE(dashboard.trainingCurves().size(), std::size_t(3));
        QCOMPARE(dashboard.trainingCurves()[0].points, (std::vector<std::pair<double, double>>{{100, 5}, {200, 9}}));
        QCOMPARE(dashboard.trainingCurves()[1].points.back().second, 11.0);
        auto *direction = dashboard.findChild<QComboBox *>(QStringLiteral("bleuCurveDirection"));
        QVERIFY(direction);
        curves.clear();
        direction->setCurrentIndex(direction->findData(QStringLiteral("en-de")));
        QTRY_VERIFY(curves.count() > 0);
        QCOMPARE(dashboard.trainingCurves()[0].points.back().second, 10.0);
        QVERIFY(dashboard.trainingCurves()[1].points.empty());
        QVERIFY(!dashboard.grab().isNull());

        // Grouped by a key that differs (the decoder's routing: the dense run and its student share
        // one): a mean curve with a band per group; smoothed like the runs panel.
        curves.clear();
        direction->setCurrentIndex(0);
        QTRY_VERIFY(curves.count() > 0);
        QCOMPARE(dashboard.trainingLegends().size(), 3);
        QComboBox *group = dashboard.trainingGroupBox();
        QVERIFY(group->findData(QStringLiteral("model.decoder_routing")) > 0);
        QCOMPARE(group->findData(QStringLiteral("model.d_model")), -1);   // the same for every run
        group->setCurrentIndex(group->findData(QStringLiteral("model.decoder_routing")));
        QCOMPARE(dashboard.trainingLegends(),
                 (QStringList{QStringLiteral("decoder_routing=dense (2 runs)"), QStringLiteral("decoder_routing=task:target (1 run)")}));
        // dense 5 → 9 and its student 4 → 8 at steps 100 and 200: their mean, between them.
        const QCPGraph *mean = nullptr;
        for (int i = 0; i < dashboard.trainingPlot()->graphCount(); ++i)
            if (dashboard.trainingPlot()->graph(i)->name().startsWith(QStringLiteral("decoder_routing=dense")))
                mean = dashboard.trainingPlot()->graph(i);
        QVERIFY(mean);
        QCOMPARE(mean->data()->size(), 2);
        QCOMPARE(mean->data()->at(0)->value, 4.5);
        QCOMPARE(mean->data()->at(1)->value, 8.5);
        QCOMPARE(dashboard.trainingPlot()->graphCount(), 2 + 1 + 1);   // band (2 graphs) + mean, and the lone run's mean
        group->setCurrentIndex(0);
        QCOMPARE(dashboard.trainingLegends().size(), 3);
        const double before = dashboard.trainingPlot()->graph(0)->data()->at(1)->value;
        dashboard.trainingSmoothingBox()->setValue(0.5);
        const double after = dashboard.trainingPlot()->graph(0)->data()->at(1)->value;
        QCOMPARE(before, 9.0);
        QCOMPARE(after, (0.5 * 0.5 * 5 + 0.5 * 9) / (0.5 * 0.5 + 0.5));   // bias-corrected EMA of 5, 9
    }

    void speedSeriesKeepTheBestMeasurementPerBatchSize()
    {
        db::Store store(m_path);
        const auto series = usecases::speedSeries(store);
        QCOMPARE(series.size(), std::size_t(3));   // dense greedy, dense beam 4, MoE greedy
        const auto &moe = series[2];
        QCOMPARE(moe.modelId, m_moe);
        QCOMPARE(moe.beam, 1);
        QCOMPARE(moe.points.size(), std::size_t(3));
        QCOMPARE(*moe.at(8), 650.0);
        QCOMPARE(moe.peakPoint()->batchSize, 64);
        QCOMPARE(moe.peakRssBytes, qint64(320) << 20);
        QCOMPARE(*moe.encoderShare(), 0.25);
        QCOMPARE(moe.label, QStringLiteral("run %1 task-moe-target, step 500").arg(m_moeRun));
        QCOMPARE(series[0].peakPoint()->batchSize, 8);
        QCOMPARE(series[1].beam, 4);
    }

    void modelFilesOfNoRunAreSeriesOfTheirOwn()
    {
        // `taskmoe bench --decode --models some/file.tmf` stores rows without a model id, named by the file.
        const QString path = m_dir.filePath(QStringLiteral("files.sqlite"));
        {
            db::Store store(path);
            const auto add = [&](const QString &file, int batch, double rate) {
                db::BenchmarkRecord b;
                b.kind = QStringLiteral("decode");
                b.batchSize = batch;
                b.tokensPerSecond = rate;
                b.configJson = test::json({{QStringLiteral("model"), file}, {QStringLiteral("beam"), 1},
                                           {QStringLiteral("params_total"), 438389760}, {QStringLiteral("params_active"), 60831744}});
                store.addBenchmark(b);
            };
            add(QStringLiteral("/tmp/tb/token.tmf"), 1, 40);
            add(QStringLiteral("/tmp/tb/token.tmf"), 8, 120);
            add(QStringLiteral("/tmp/tb/task.tmf"), 8, 300);
        }
        const auto series = usecases::speedSeries(db::Store(path));
        QCOMPARE(series.size(), std::size_t(2));
        QCOMPARE(series[0].modelId, qint64(-2));   // by id: the second file named comes first
        QCOMPARE(series[0].label, QStringLiteral("file task.tmf"));
        QCOMPARE(series[1].modelId, qint64(-1));
        QCOMPARE(series[1].spec, QStringLiteral("/tmp/tb/token.tmf"));
        QCOMPARE(series[1].kind, QStringLiteral("model"));
        QCOMPARE(series[1].paramsTotal, qint64(438389760));
        QCOMPARE(series[1].peakPoint()->batchSize, 8);

        ui::StoreController controller;
        ui::ThroughputDashboard dashboard(&controller, nullptr);
        QSignalSpy shown(&dashboard, &ui::ThroughputDashboard::curvesShown);
        QVERIFY(controller.open(path));
        QTRY_COMPARE(dashboard.modelList()->count(), 2);
        QTRY_COMPARE(dashboard.shownSeries().size(), std::size_t(2));
        QCOMPARE(dashboard.baselineBox()->count(), 3);   // none and the two files
    }

    void throughputDashboardShowsTheStoredCurves()
    {
        ui::StoreController controller;
        ui::ThroughputDashboard dashboard(&controller, nullptr);
        QAbstractItemModelTester tester(dashboard.tableModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy shown(&dashboard, &ui::ThroughputDashboard::curvesShown);
        QVERIFY(controller.open(m_path));
        // The newest checkpoint of each of the 3 runs and 2 sub-networks; not the dense run's step 250.
        QTRY_COMPARE(dashboard.modelList()->count(), 5);
        // Measured models are checked at first; the first is the baseline.
        QTRY_COMPARE(dashboard.checkedModels(), (QList<qint64>{m_dense, m_moe}));
        QCOMPARE(dashboard.baselineBox()->currentData().toLongLong(), m_dense);
        QVERIFY(dashboard.modelList()->item(2)->text().endsWith(QStringLiteral("(not measured)")));
        // Greedy curves by default; both decodings on request.
        QCOMPARE(dashboard.shownSeries().size(), std::size_t(2));
        dashboard.beamBox()->setCurrentIndex(dashboard.beamBox()->findData(0));
        QCOMPARE(dashboard.shownSeries().size(), std::size_t(3));

        const auto *table = dashboard.tableModel();
        QCOMPARE(table->index(2, ui::SpeedTableModel::Peak).data().toString(), QStringLiteral("900"));
        QCOMPARE(table->index(2, ui::SpeedTableModel::PeakBatch).data().toInt(), 64);
        QCOMPARE(table->index(2, ui::SpeedTableModel::Ratio).data().toString(), QStringLiteral("1.29×"));   // 900 / 700
        QCOMPARE(table->index(1, ui::SpeedTableModel::Ratio).data().toString(), QStringLiteral("1.00×"));   // beam 4 vs itself
        QCOMPARE(table->index(2, ui::SpeedTableModel::Memory).data().toString(), QStringLiteral("320 MB"));
        QCOMPARE(table->index(2, ui::SpeedTableModel::EncoderShare).data().toString(), QStringLiteral("25 %"));
        QCOMPARE(table->index(0, ui::SpeedTableModel::Latency).data().toString(), QStringLiteral("10.0 ms"));
        QCOMPARE(table->bestRow(ui::SpeedTableModel::Peak), 2);
        QCOMPARE(table->bestRow(ui::SpeedTableModel::Memory), 1);   // the dense model with beam 4: 130 MB

        // The curves: each with its peak starred; the ratio at the batch sizes both measured.
        QCustomPlot *plot = dashboard.speedPlot();
        QCOMPARE(plot->graphCount(), 6);
        QCOMPARE(plot->xAxis->scaleType(), QCPAxis::stLogarithmic);
        QCOMPARE(plot->graph(5)->data()->at(0)->key, 64.0);
        QCOMPARE(plot->graph(5)->data()->at(0)->value, 900.0);
        QCustomPlot *ratio = dashboard.ratioPlot();
        QCOMPARE(ratio->graphCount(), 1);   // the MoE model's greedy curve against the dense one
        QCOMPARE(ratio->graph(0)->data()->size(), 3);
        QCOMPARE(ratio->graph(0)->data()->at(1)->value, 650.0 / 700.0);
        // Linked zoom: the ratio plot follows the throughput plot's batch sizes.
        plot->xAxis->setRange(2, 32);
        QCOMPARE(ratio->xAxis->range().lower, 2.0);
        QCOMPARE(ratio->xAxis->range().upper, 32.0);

        // Greedy only, and the MoE model as the baseline.
        dashboard.beamBox()->setCurrentIndex(dashboard.beamBox()->findData(1));
        QCOMPARE(dashboard.shownSeries().size(), std::size_t(2));
        dashboard.showModels({m_dense, m_moe}, m_moe);
        QCOMPARE(table->index(0, ui::SpeedTableModel::Ratio).data().toString(), QStringLiteral("0.78×"));   // 700 / 900

        const QStringList csv = QString::fromUtf8(dashboard.speedCsv()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(csv.size(), 1 + 6);
        QVERIFY2(csv.filter(QStringLiteral(",1,,8,650.00,")).size() == 1, qPrintable(csv.join('\n')));

        // Nothing to measure without a job runner: said, not crashed.
        dashboard.measureButton()->click();
        QVERIFY(dashboard.statusLabel()->text().contains(QStringLiteral("cannot be started")));
        dashboard.resize(1300, 800);
        dashboard.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dashboard));
        QVERIFY(!dashboard.grab().isNull());
    }

    void emptyStoreSaysWhatToDo()
    {
        ui::StoreController controller;
        ui::BleuDashboard dashboard(&controller);
        QVERIFY(controller.open(m_dir.filePath(QStringLiteral("empty.sqlite"))));
        QTRY_VERIFY(dashboard.statusLabel()->text().contains(QStringLiteral("No evaluations yet")));
        QCOMPARE(dashboard.tableModel()->rowCount(), 0);
        ui::ThroughputDashboard speed(&controller, nullptr);
        QTRY_VERIFY(speed.statusLabel()->text().contains(QStringLiteral("No models yet")));
    }
};

QTEST_MAIN(TestDashboards)
#include "tst_dashboards.moc"
