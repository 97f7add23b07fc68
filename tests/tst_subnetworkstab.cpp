// The Sub-networks tab on a real store: it offers the finished MoE runs (dense runs as
// baselines), lists the run's tasks as its routing cuts them, and compares the full model with
// its sub-networks and pruned models from the stored evaluations and benchmarks — BLEU change,
// gain kept over the dense baseline, best value per column in bold — and shows which experts a
// row keeps in each MoE layer. The report of the same runs: tables and figures on disk.
#include "core/config/trainconfig.h"
#include "tests/storefixture.h"
#include "db/store.h"
#include "ui/common/storecontroller.h"
#include "ui/jobs/jobcontroller.h"
#include "ui/report/reportwriter.h"
#include "ui/subnetworks/subnetworkstab.h"
#include "usecases/comparison.h"
#include "usecases/report.h"

#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

using namespace taskmoe;

using test::beamJson;
using test::json;
using test::pairOf;

class TestSubnetworksTab : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_path;
    qint64 m_moeRun = 0, m_denseRun = 0, m_sub = 0, m_pruned = 0, m_full = 0;

    qint64 addRun(db::Store &store, qint64 dataset, const char *preset, qint64 *fullModel)
    {
        return test::ResultsFixture(store, m_dir.path()).addRun(dataset, preset, fullModel);
    }
    qint64 addCheckpoint(db::Store &store, qint64 run, qint64 step)
    {
        return test::ResultsFixture(store, m_dir.path()).addCheckpoint(run, step);
    }
    void addScore(db::Store &store, qint64 model, qint64 run, const char *pair, double bleu)
    {
        test::ResultsFixture(store, m_dir.path()).addScore(model, run, QString::fromLatin1(pair), bleu);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(QStringLiteral("store.sqlite"));
        db::Store store(m_path);
        db::DatasetRecord d;
        d.name = QStringLiteral("two pairs");
        d.kind = QStringLiteral("synthetic");
        d.fingerprint = QStringLiteral("cc33");
        d.resourceThreshold = 20;
        d.createdAt = QDateTime::currentDateTimeUtc();
        for (const char *code : {"en", "de", "es"})
            d.languages.push_back({QString::fromLatin1(code), QString::fromLatin1(code), QString(), QString()});
        const qint64 dataset = store.addDataset(d, {pairOf(QStringLiteral("en"), QStringLiteral("de")),
                                                    pairOf(QStringLiteral("en"), QStringLiteral("es"))});
        qint64 denseModel = 0;
        m_denseRun = addRun(store, dataset, "dense", &denseModel);
        m_moeRun = addRun(store, dataset, "task-moe-target", &m_full);
        const qint64 checkpoint = store.checkpoints(m_moeRun).front().id;

        const QJsonArray layers{
            QJsonObject{{QStringLiteral("side"), QStringLiteral("encoder")}, {QStringLiteral("layer"), 1},
                        {QStringLiteral("kind"), QStringLiteral("kept")}, {QStringLiteral("experts"), QJsonArray{0, 1, 2, 3, 4, 5, 6, 7}}},
            QJsonObject{{QStringLiteral("side"), QStringLiteral("decoder")}, {QStringLiteral("layer"), 1},
                        {QStringLiteral("kind"), QStringLiteral("folded")}, {QStringLiteral("experts"), QJsonArray{5, 3}},
                        {QStringLiteral("gates"), QJsonArray{0.7, 0.3}}}};
        db::ModelRecord sub;
        sub.runId = m_moeRun;
        sub.checkpointId = checkpoint;
        sub.kind = QStringLiteral("subnetwork");
        sub.task = QStringLiteral("de");
        sub.path = m_dir.filePath(QStringLiteral("sub-de.tmf"));
        sub.sha256 = QStringLiteral("11");
        sub.manifestJson = json({{QStringLiteral("serves"), QJsonArray{QStringLiteral("en-de")}}, {QStringLiteral("layers"), layers}});
        sub.paramsTotal = 2500000;
        sub.paramsActive = 1800000;
        m_sub = store.registerModelFile(sub);
        db::ModelRecord pruned = sub;
        pruned.path = m_dir.filePath(QStringLiteral("sub-de-keep2.tmf"));
        pruned.sha256 = QStringLiteral("22");
        pruned.manifestJson = json({{QStringLiteral("serves"), QJsonArray{QStringLiteral("en-de")}},
                                    {QStringLiteral("layers"), layers},
                                    {QStringLiteral("pruning"), QJsonObject{{QStringLiteral("keep"), 2}, {QStringLiteral("by"), QStringLiteral("importance")}}}});
        pruned.paramsTotal = 2000000;
        m_pruned = store.registerModelFile(pruned);

        addScore(store, m_full, m_moeRun, "en-de", 30);
        addScore(store, m_full, m_moeRun, "en-es", 33);
        addScore(store, m_sub, m_moeRun, "en-de", 30);
        addScore(store, m_pruned, m_moeRun, "en-de", 27);
        addScore(store, denseModel, m_denseRun, "en-de", 25);
        db::BenchmarkRecord b;
        b.kind = QStringLiteral("decode");
        b.batchSize = 8;
        b.configJson = json({{QStringLiteral("beam"), 1}});
        b.modelId = m_full;
        b.tokensPerSecond = 1000;
        store.addBenchmark(b);
        b.modelId = m_sub;
        b.tokensPerSecond = 1500;
        store.addBenchmark(b);
    }

    void comparesTheFullModelWithItsSubnetworks()
    {
        ui::StoreController controller;
        ui::JobController jobs;
        ui::SubnetworksTab tab(&controller, &jobs);
        QSignalSpy shown(&tab, &ui::SubnetworksTab::comparisonShown);
        QVERIFY(controller.open(m_path));
        jobs.setStorePath(m_path);

        // MoE runs to extract from, dense runs as baselines.
        QCOMPARE(tab.runBox()->count(), 1);
        QCOMPARE(tab.currentRun(), m_moeRun);
        QVERIFY(tab.denseBox()->findData(m_denseRun) > 0);
        // task:target routing: one task per target language, both directions of each pair.
        QStringList tasks;
        for (int i = 0; i < tab.taskList()->count(); ++i)
            tasks << tab.taskList()->item(i)->text();
        QCOMPARE(tasks, (QStringList{QStringLiteral("de"), QStringLiteral("en"), QStringLiteral("es")}));

        tab.denseBox()->setCurrentIndex(tab.denseBox()->findData(m_denseRun));
        QTRY_VERIFY(shown.count() > 0 && tab.comparison().dense.id == m_denseRun);
        const auto *model = tab.model();
        QCOMPARE(model->rowCount(), 3);   // full, sub-network, pruned on task "de"
        QCOMPARE(model->row(0).kind, QStringLiteral("full"));
        QCOMPARE(model->row(1).kind, QStringLiteral("subnetwork"));
        QCOMPARE(model->row(2).kind, QStringLiteral("pruned"));
        QCOMPARE(*model->row(1).deltaBleu, 0.0);
        QCOMPARE(*model->row(2).deltaBleu, -3.0);
        QCOMPARE(*model->row(1).gainKept, 1.0);
        QCOMPARE(*model->row(2).gainKept, 0.4);   // (27 − 25) / (30 − 25)
        const QModelIndex gain = model->index(2, ui::ComparisonTableModel::Gain);
        QCOMPARE(gain.data().toString(), QStringLiteral("40 %"));
        QCOMPARE(model->index(2, ui::ComparisonTableModel::Delta).data().toString(), QStringLiteral("-3.00"));
        // Under the controls, each variant over all the pairs it covers.
        const auto *status = tab.findChild<QLabel *>(QStringLiteral("subnetworkStatus"));
        QVERIFY(status);
        QVERIFY2(status->text().contains(QStringLiteral("• sub-networks: BLEU 30.00 (+0.00 to the full model, 100 % of its gain kept)")),
                 qPrintable(status->text()));
        QVERIFY2(status->text().contains(QStringLiteral("• pruned to 2 experts by importance: BLEU 27.00 (-3.00 to the full "
                                                        "model, 40 % of its gain kept)")),
                 qPrintable(status->text()));
        // Best per column in bold: the smallest model, the fastest one.
        QCOMPARE(model->bestRow(ui::ComparisonTableModel::Params), 2);
        QCOMPARE(model->bestRow(ui::ComparisonTableModel::Greedy), 1);
        QVERIFY(model->index(1, ui::ComparisonTableModel::Greedy).data(Qt::FontRole).value<QFont>().bold());
        QVERIFY(!model->index(0, ui::ComparisonTableModel::Greedy).data(Qt::FontRole).value<QFont>().bold());
        QCOMPARE(model->index(0, ui::ComparisonTableModel::Beam).data().toString(), QStringLiteral("—"));

        // Clicking a row shows its experts: the sub-network's two MoE layers, then the full
        // model's (every expert kept).
        tab.table()->selectRow(1);
        QCOMPARE(tab.expertsView()->layerCount(), 2);
        QVERIFY(tab.expertsView()->title().contains(QStringLiteral("Model %1").arg(m_sub)));
        tab.table()->selectRow(0);
        QCOMPARE(tab.expertsView()->layerCount(), 2);
        QVERIFY(tab.expertsView()->title().contains(QStringLiteral("Model %1").arg(m_full)));
        tab.resize(1200, 700);
        tab.show();
        QVERIFY(QTest::qWaitForWindowExposed(&tab));
        const QImage image = tab.grab().toImage();
        QVERIFY(!image.isNull());
    }

    void theReportWritesTablesAndFigures()
    {
        db::Store store(m_path);
        usecases::ReportRequest request;
        request.runs = {m_denseRun, m_moeRun};
        const usecases::Report report = usecases::assembleReport(store, request);
        QCOMPARE(report.denseRunId, m_denseRun);   // the first dense run listed
        QCOMPARE(report.runs.size(), std::size_t(2));
        QCOMPARE(report.runs[1].pairs.at(QStringLiteral("en-de")), 30.0);
        QCOMPARE(report.directions.size(), std::size_t(2));   // en-de and en-es were evaluated
        QCOMPARE(report.throughput.size(), std::size_t(2));   // the full model and the sub-network, greedy
        QCOMPARE(report.comparisons.size(), std::size_t(1));

        QTemporaryDir out;
        const QStringList files = ui::writeReport(report, out.path());
        QCOMPARE(files.size(), 3);
        for (const QString &f : files)
            QVERIFY2(QFileInfo(f).size() > 0, qPrintable(f));
        QVERIFY(QImage(out.filePath(QStringLiteral("delta-bleu.png"))).width() >= 640);
        QFile md(out.filePath(QStringLiteral("report.md")));
        QVERIFY(md.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(md.readAll());
        QVERIFY(text.contains(QStringLiteral("![ΔBLEU per direction](delta-bleu.png)")));
        QVERIFY(text.contains(QStringLiteral("| en-de | 100 | 25.00 | +5.00 |")));
        QVERIFY(text.contains(QStringLiteral("40 %")));   // the pruned model's gain kept
        QVERIFY2(text.contains(QStringLiteral("| greedy | 1500 | 8 | 1.50 |")), qPrintable(text));   // sub-network vs full
        // Each variant over the pairs it covers.
        QVERIFY2(text.contains(QStringLiteral("| pruned to 2 experts by importance | 1 | 1 | 2.00 | 1.80 | 27.00 | 30.00 | -3.00 | 40 % |")),
                 qPrintable(text));
    }

    // A second task where the full model gains only 0.5 BLEU over the baseline: its rows get no
    // share (the denominator is noise), and the variants over both tasks are means over pairs.
    void gainSharesNeedAGainAndVariantsAverageOverPairs()
    {
        db::Store store(m_path);
        db::ModelRecord sub = store.models().last();
        for (const auto &m : store.models())
            if (m.id == m_sub)
                sub = m;
        sub.id = 0;
        sub.task = QStringLiteral("es");
        sub.path = m_dir.filePath(QStringLiteral("sub-es.tmf"));
        sub.sha256 = QStringLiteral("33");
        sub.manifestJson = json({{QStringLiteral("serves"), QJsonArray{QStringLiteral("en-es")}}});
        const qint64 es = store.registerModelFile(sub);
        addScore(store, es, m_moeRun, "en-es", 33);
        qint64 dense = 0;
        for (const auto &m : store.models())
            if (m.runId == m_denseRun)
                dense = m.id;
        addScore(store, dense, m_denseRun, "en-es", 32.5);

        usecases::ComparisonRequest request;
        request.runId = m_moeRun;
        request.denseRunId = m_denseRun;
        const usecases::Comparison c = usecases::compareModels(store, request);
        const auto esRow = std::find_if(c.rows.begin(), c.rows.end(), [&](const auto &r) { return r.modelId == es; });
        QVERIFY(esRow != c.rows.end());
        QCOMPARE(*esRow->deltaBleu, 0.0);
        QVERIFY(!esRow->gainKept);   // 33 − 32.5 < kMinimumGainBleu

        QCOMPARE(c.summary.size(), std::size_t(3));
        const auto &subnetworks = c.summary[1];
        QCOMPARE(subnetworks.variant, QStringLiteral("sub-networks"));
        QCOMPARE(subnetworks.models, 2);
        QCOMPARE(subnetworks.pairs, 2);
        QCOMPARE(*subnetworks.bleu, 31.5);        // (30 + 33) / 2
        QCOMPARE(*subnetworks.denseBleu, 28.75);  // (25 + 32.5) / 2
        QCOMPARE(*subnetworks.gainKept, 1.0);     // over both pairs the full model gains 2.75
        const auto &pruned = c.summary[2];
        QCOMPARE(pruned.pairs, 1);                // only de was pruned
        QCOMPARE(*pruned.gainKept, 0.4);
        QCOMPARE(c.summary[0].variant, QStringLiteral("full"));
        QCOMPARE(c.summary[0].pairs, 2);
    }

    // Sub-networks cut from two checkpoints of the run are two variants, each against its own
    // full model.
    void subnetworksOfTwoCheckpointsAreSeparateVariants()
    {
        db::Store store(m_path);
        const qint64 full600 = addCheckpoint(store, m_moeRun, 600);
        addScore(store, full600, m_moeRun, "en-de", 31);
        qint64 checkpoint = 0;
        for (const auto &c : store.checkpoints(m_moeRun))
            if (c.step == 600)
                checkpoint = c.id;
        db::ModelRecord sub;
        for (const auto &m : store.models())
            if (m.id == m_sub)
                sub = m;
        sub.id = 0;
        sub.checkpointId = checkpoint;
        sub.path = m_dir.filePath(QStringLiteral("sub-de-600.tmf"));
        sub.sha256 = QStringLiteral("44");
        const qint64 sub600 = store.registerModelFile(sub);
        addScore(store, sub600, m_moeRun, "en-de", 31);

        usecases::ComparisonRequest request;
        request.runId = m_moeRun;
        const usecases::Comparison c2 = usecases::compareModels(store, request);
        QStringList variants;
        for (const auto &v : c2.summary)
            variants << v.variant;
        QVERIFY2(variants.contains(QStringLiteral("sub-networks (step 500)")), qPrintable(variants.join(QLatin1Char('|'))));
        QVERIFY2(variants.contains(QStringLiteral("sub-networks (step 600)")), qPrintable(variants.join(QLatin1Char('|'))));
        for (const auto &v : c2.summary)
            if (v.variant == QLatin1String("sub-networks (step 600)")) {
                QCOMPARE(v.pairs, 1);
                QCOMPARE(*v.bleu, 31.0);
                QCOMPARE(*v.deltaBleu, 0.0);
            }
    }
};

QTEST_MAIN(TestSubnetworksTab)
#include "tst_subnetworkstab.moc"
