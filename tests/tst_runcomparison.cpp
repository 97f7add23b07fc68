// Comparing runs in the runs panel: configurations flattened to dotted keys, the keys that
// differ, a group's mean curve with its min–max band, per-run metric summaries; and the panel
// itself grouping four runs (two routings × two seeds) by the routing key, listing them in a
// sortable summary with only the differing keys as columns, and switching to log axes.
#include "ui/runs/runcomparison.h"
#include "ui/runs/runfollower.h"
#include "ui/runs/runmonitor.h"
#include "ui/runs/runsummarymodel.h"

#include <qcustomplot.h>

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QPlainTextEdit>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QtTest>

using namespace taskmoe;

namespace {

QString config(const char *routing, int seed)
{
    return QStringLiteral(R"({"model": {"decoder_routing": "%1", "experts": 8}, "train": {"seed": %2, "steps": 300}})")
        .arg(QString::fromLatin1(routing))
        .arg(seed);
}

/// A finished run whose loss falls from `start` by 1 every 100 steps, and whose dev BLEU is `bleu` at step 300.
ui::RunDelta runDelta(qint64 id, const char *routing, int seed, double start, double bleu)
{
    ui::RunDelta d;
    d.run.id = id;
    d.run.name = QStringLiteral("run%1").arg(id);
    d.run.kind = QStringLiteral("train");
    d.run.status = db::RunStatus::Finished;
    d.run.configJson = config(routing, seed);
    d.reset = true;
    for (qint64 step = 100; step <= 300; step += 100) {
        d.points.push_back({id, step, QStringLiteral("loss"), start - double(step) / 100.0, double(step)});
        d.points.push_back({id, step, QStringLiteral("tokens_per_s"), 1000.0 * double(id), double(step)});
    }
    d.points.push_back({id, 300, QStringLiteral("dev_bleu"), bleu, 300});
    return d;
}

} // namespace

class TestRunComparison : public QObject
{
    Q_OBJECT

private slots:
    void configurationsFlattenToDottedKeys()
    {
        const auto flat = ui::flattenConfig(QStringLiteral(R"({"model": {"experts": 8, "moe": {"every": 2}}, "tags": ["a", "b"], "on": true})"));
        QCOMPARE(flat.at(QStringLiteral("model.experts")), QStringLiteral("8"));
        QCOMPARE(flat.at(QStringLiteral("model.moe.every")), QStringLiteral("2"));
        QCOMPARE(flat.at(QStringLiteral("tags")), QStringLiteral(R"(["a","b"])"));
        QCOMPARE(flat.at(QStringLiteral("on")), QStringLiteral("true"));
        QVERIFY(ui::flattenConfig(QStringLiteral("not json")).empty());
    }

    void onlyKeysThatDifferAreListed()
    {
        const std::vector<std::map<QString, QString>> configs{ui::flattenConfig(config("task:target", 1)),
                                                              ui::flattenConfig(config("token", 1)),
                                                              {{QStringLiteral("model.experts"), QStringLiteral("8")}}};
        // A key missing from one configuration differs too.
        QCOMPARE(ui::differingKeys(configs), (QStringList{QStringLiteral("model.decoder_routing"), QStringLiteral("train.seed"),
                                                          QStringLiteral("train.steps")}));
        QVERIFY(ui::differingKeys({configs[0], configs[0]}).isEmpty());
    }

    void aBandCoversEachCurveOnlyWithinItsSteps()
    {
        const ui::Curve a{{0, 100, 200}, {1, 3, 5}};
        const ui::Curve b{{0, 200}, {3, 1}};   // interpolated at 100: 2
        const ui::Curve c{{0, 100}, {5, 5}};   // stopped at 100
        const ui::Band band = ui::bandOf({a, b, c});
        QCOMPARE(band.steps, (QVector<double>{0, 100, 200}));
        QCOMPARE(band.mean, (QVector<double>{3, 10.0 / 3.0, 3}));
        QCOMPARE(band.low, (QVector<double>{1, 2, 1}));
        QCOMPARE(band.high, (QVector<double>{5, 5, 5}));
        QCOMPARE(band.curves, (QVector<int>{3, 3, 2}));
        QVERIFY(ui::bandOf({}).steps.isEmpty());
    }

    void summariesKnowWhichWayIsBetter()
    {
        const ui::Curve loss{{10, 20, 30}, {4, 2, 3}};
        const auto s = ui::summarise(loss, ui::higherIsBetter(QStringLiteral("loss")));
        QVERIFY(s);
        QCOMPARE(s->last, 3.0);
        QCOMPARE(s->best, 2.0);
        QCOMPARE(s->bestStep, 20.0);
        QCOMPARE(s->max, 4.0);
        QVERIFY(ui::higherIsBetter(QStringLiteral("dev_bleu.en-de")));
        QCOMPARE(ui::summarise(loss, true)->best, 4.0);
        QVERIFY(!ui::summarise({}, true));
    }

    void thePanelGroupsRunsByAKeyWithMeanAndBand()
    {
        ui::RunMonitor monitor;
        QAbstractItemModelTester tester(monitor.summaryModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        monitor.showRuns({1, 2, 3, 4});
        monitor.applyDelta(runDelta(1, "task:target", 1, 6, 20));
        monitor.applyDelta(runDelta(2, "task:target", 2, 8, 24));
        monitor.applyDelta(runDelta(3, "token", 1, 7, 18));
        monitor.applyDelta(runDelta(4, "token", 2, 9, 16));

        // Group-by offers exactly the keys that differ.
        QStringList offered;
        for (int i = 1; i < monitor.groupByBox()->count(); ++i)
            offered << monitor.groupByBox()->itemData(i).toString();
        QCOMPARE(offered, (QStringList{QStringLiteral("model.decoder_routing"), QStringLiteral("train.seed")}));

        monitor.groupByBox()->setCurrentIndex(monitor.groupByBox()->findData(QStringLiteral("model.decoder_routing")));
        monitor.redrawNow();
        QCOMPARE(monitor.shownGroups(), (QStringList{QStringLiteral("decoder_routing=task:target (2 runs)"),
                                                     QStringLiteral("decoder_routing=token (2 runs)")}));
        const ui::Band *task = monitor.shownBand(monitor.shownGroups()[0], QStringLiteral("loss"));
        QVERIFY(task);
        QCOMPARE(task->mean, (QVector<double>{6, 5, 4}));   // runs 1 and 2: (5 + 7) / 2, …
        QCOMPARE(task->low, (QVector<double>{5, 4, 3}));
        QCOMPARE(task->high, (QVector<double>{7, 6, 5}));
        const ui::Band *bleu = monitor.shownBand(monitor.shownGroups()[1], QStringLiteral("dev_bleu"));
        QVERIFY(bleu);
        QCOMPARE(bleu->mean, (QVector<double>{17}));
        // The band is drawn: a graph filled towards another, in the loss panel.
        int filled = 0;
        for (int i = 0; i < monitor.plot()->graphCount(); ++i)
            filled += monitor.plot()->graph(i)->channelFillGraph() != nullptr;
        QCOMPARE(filled, 2 * 3);   // two groups × the metrics the runs have: loss, dev BLEU, tokens/s

        // The summary: per run the metric's last/best/min/max and the differing keys only.
        auto *summary = monitor.summaryModel();
        QCOMPARE(summary->rowCount(), 4);
        QCOMPARE(summary->configKeys(), (QStringList{QStringLiteral("model.decoder_routing"), QStringLiteral("train.seed")}));
        QCOMPARE(summary->headerData(ui::RunSummaryModel::FixedColumns, Qt::Horizontal, Qt::DisplayRole).toString(),
                 QStringLiteral("model.decoder_routing"));
        monitor.summaryMetricBox()->setCurrentText(QStringLiteral("dev_bleu"));
        QCOMPARE(summary->metric(), QStringLiteral("dev_bleu"));
        QCOMPARE(summary->index(1, ui::RunSummaryModel::Best).data().toString(), QStringLiteral("24"));
        // Sorted by the best dev BLEU, highest first: runs 2, 1, 3, 4.
        monitor.summaryView()->sortByColumn(ui::RunSummaryModel::Best, Qt::DescendingOrder);
        auto *proxy = monitor.summaryView()->model();
        QList<int> order;
        for (int r = 0; r < proxy->rowCount(); ++r)
            order << proxy->index(r, ui::RunSummaryModel::Run).data().toInt();
        QCOMPARE(order, (QList<int>{2, 1, 3, 4}));

        // Log axes for the loss; back to one curve per run.
        monitor.setLogScale(true);
        monitor.redrawNow();
        QCOMPARE(monitor.panel(ui::RunMonitor::LossPanel)->axis(QCPAxis::atLeft)->scaleType(), QCPAxis::stLogarithmic);
        QCOMPARE(monitor.panel(ui::RunMonitor::BleuPanel)->axis(QCPAxis::atLeft)->scaleType(), QCPAxis::stLinear);
        QVERIFY(monitor.panel(ui::RunMonitor::LossPanel)->axis(QCPAxis::atLeft)->range().lower > 0);
        monitor.setGroupKey(QString());
        monitor.redrawNow();
        QVERIFY(monitor.shownGroups().isEmpty());
    }

    void aRunOnSeveralProcessesShowsEachRanksLog()
    {
        ui::RunMonitor monitor;
        monitor.show();
        monitor.showRuns({5});
        ui::RunDelta d = runDelta(5, "token", 1, 6, 20);
        d.newLogs[QStringLiteral("rank-1.log")] = QStringLiteral("rank 1 of 2\n");
        d.newLogs[QStringLiteral("train.log")] = QStringLiteral("rank 0 step 1\n");
        d.newLogs[QStringLiteral("rank-10.log")] = QStringLiteral("rank 10 of 11\n");
        monitor.applyDelta(d);
        QComboBox *box = monitor.logFileBox();
        QVERIFY(box->isVisible());
        QCOMPARE(box->count(), 3);
        QCOMPARE(box->itemData(0).toString(), QStringLiteral("train.log"));   // rank 0 first, then by rank
        QCOMPARE(box->itemData(1).toString(), QStringLiteral("rank-1.log"));
        QCOMPARE(box->itemData(2).toString(), QStringLiteral("rank-10.log"));
        QCOMPARE(monitor.logView()->toPlainText(), QStringLiteral("rank 0 step 1"));

        box->setCurrentIndex(1);
        QCOMPARE(monitor.logView()->toPlainText(), QStringLiteral("rank 1 of 2"));
        ui::RunDelta more;
        more.run = d.run;
        more.newLogs[QStringLiteral("rank-1.log")] = QStringLiteral("rank 1 step 2\n");
        more.newLogs[QStringLiteral("train.log")] = QStringLiteral("rank 0 step 2\n");
        monitor.applyDelta(more);
        QCOMPARE(monitor.logView()->toPlainText(), QStringLiteral("rank 1 of 2\nrank 1 step 2"));
        box->setCurrentIndex(0);
        QCOMPARE(monitor.logView()->toPlainText(), QStringLiteral("rank 0 step 1\nrank 0 step 2"));

        // A run on one process has train.log alone: no choice to offer.
        monitor.showRuns({6});
        ui::RunDelta single = runDelta(6, "token", 1, 6, 20);
        single.newLogs[QStringLiteral("train.log")] = QStringLiteral("one process\n");
        monitor.applyDelta(single);
        QVERIFY(!box->isVisible());
        QCOMPARE(monitor.logView()->toPlainText(), QStringLiteral("one process"));
    }
};

QTEST_MAIN(TestRunComparison)
#include "tst_runcomparison.moc"
