// Table models of the workbench: structure (QAbstractItemModelTester), displayed values,
// sort values, header data — empty and filled.
#include "ui/datasets/datasetmodels.h"
#include "ui/runs/runmodel.h"

#include <QAbstractItemModelTester>
#include <QIcon>
#include <QItemSelectionModel>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>

using namespace taskmoe;
using namespace taskmoe::ui;

namespace {

db::DatasetPairRecord pair(qint64 id, const QString &src, const QString &tgt, qint64 train,
                           const QString &resourceClass)
{
    db::DatasetPairRecord p;
    p.id = id;
    p.datasetId = 1;
    p.srcLang = src;
    p.tgtLang = tgt;
    p.train = train;
    p.dev = 10;
    p.test = 20;
    p.multiway = 5;
    p.resourceClass = resourceClass;
    return p;
}

std::vector<db::DatasetRecord> sampleDatasets()
{
    db::DatasetRecord a;
    a.id = 1;
    a.name = QStringLiteral("synth-small");
    a.kind = QStringLiteral("synthetic");
    a.source = QStringLiteral("generator seed 7");
    a.fingerprint = QStringLiteral("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    a.resourceThreshold = 1000;
    a.createdAt = QDateTime(QDate(2024, 5, 17), QTime(14, 30), Qt::LocalTime);
    a.languages = {{QStringLiteral("en"), QStringLiteral("English"), QStringLiteral("Germanic"),
                    QStringLiteral("Latin")},
                   {QStringLiteral("de"), QStringLiteral("German"), QStringLiteral("Germanic"),
                    QStringLiteral("Latin")}};
    a.pairs = {pair(11, QStringLiteral("en"), QStringLiteral("de"), 12345, QStringLiteral("high")),
               pair(12, QStringLiteral("de"), QStringLiteral("en"), 900, QStringLiteral("low"))};

    // 9 sentences: sorts before `a` (13,000-odd) only when compared as a number, not as text.
    db::DatasetRecord b;
    b.id = 2;
    b.name = QStringLiteral("Gettext <catalogs> & co");
    b.kind = QStringLiteral("gettext");
    b.fingerprint = QStringLiteral("fedcba9876543210");
    b.pairs = {pair(21, QStringLiteral("en"), QStringLiteral("fr"), 9, QStringLiteral("low"))};
    b.pairs[0].dev = b.pairs[0].test = b.pairs[0].multiway = 0;
    return {a, b};
}

std::vector<db::RunRecord> sampleRuns()
{
    db::RunRecord r1;
    r1.id = 1;
    r1.name = QStringLiteral("token-moe baseline");
    r1.kind = QStringLiteral("train");
    r1.preset = QStringLiteral("tiny");
    r1.status = db::RunStatus::Finished;
    r1.host = QStringLiteral("node1");
    r1.pid = 4242;
    r1.startedAt = QDateTime(QDate(2024, 6, 1), QTime(9, 0), Qt::LocalTime);
    r1.endedAt = QDateTime(QDate(2024, 6, 1), QTime(11, 15), Qt::LocalTime);

    db::RunRecord r2;
    r2.id = 2;
    r2.name = QStringLiteral("token/target");
    r2.kind = QStringLiteral("train");
    r2.preset = QStringLiteral("tiny");
    r2.status = db::RunStatus::Failed;
    r2.error = QStringLiteral("out of memory");
    r2.parentRunId = 1;
    r2.startedAt = QDateTime(QDate(2024, 6, 2), QTime(8, 5), Qt::LocalTime);
    return {r1, r2};
}

QString display(const QAbstractItemModel &model, int row, int column)
{
    return model.index(row, column).data(Qt::DisplayRole).toString();
}

QVariant roleData(const QAbstractItemModel &model, int row, int column, int role)
{
    return model.index(row, column).data(role);
}

} // namespace

class TestModels : public QObject
{
    Q_OBJECT

private slots:
    void formatCompactCount_data();
    void formatCompactCount();

    void datasetModelEmpty();
    void datasetModelFilled();
    void datasetModelHeaders();
    void datasetModelSortsNumbers();

    void pairModelEmpty();
    void pairModelFilled();
    void pairModelHeaders();

    void runModelEmpty();
    void runModelFilled();
    void runModelHeaders();
    void runModelShowsTheBestCheckpointAndTheTimeBudget();
    void runModelRefreshesInPlaceKeepingTheSelection();

    void headersAndCellsShareTheColumnAlignment();
};

void TestModels::formatCompactCount_data()
{
    QTest::addColumn<qint64>("value");
    QTest::addColumn<QString>("expected");
    QTest::newRow("zero") << qint64(0) << QStringLiteral("0");
    QTest::newRow("hundreds") << qint64(950) << QStringLiteral("950");
    QTest::newRow("thousand") << qint64(1000) << QStringLiteral("1k");
    QTest::newRow("decimal") << qint64(12345) << QStringLiteral("12.3k");
    QTest::newRow("hundred-k") << qint64(123456) << QStringLiteral("123k");
    QTest::newRow("rounds up to M") << qint64(999999) << QStringLiteral("1M");
    QTest::newRow("million") << qint64(2500000) << QStringLiteral("2.5M");
}

void TestModels::formatCompactCount()
{
    QFETCH(qint64, value);
    QFETCH(QString, expected);
    QCOMPARE(ui::formatCompactCount(value), expected);
}

// Datasets ---------------------------------------------------------------------------------

void TestModels::datasetModelEmpty()
{
    DatasetTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.columnCount(), int(DatasetTableModel::ColumnCount));
    QVERIFY(model.dataset(0) == nullptr);
    QCOMPARE(model.rowOfId(1), -1);

    // Clearing an empty model is a (harmless) reset too.
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    model.clear();
    QCOMPARE(resets.count(), 1);
    QCOMPARE(model.rowCount(), 0);
}

void TestModels::datasetModelFilled()
{
    DatasetTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy aboutToReset(&model, &QAbstractItemModel::modelAboutToBeReset);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);

    const auto datasets = sampleDatasets();
    model.setDatasets(datasets);
    QCOMPARE(aboutToReset.count(), 1);
    QCOMPARE(reset.count(), 1);
    QCOMPARE(model.rowCount(), 2);
    // A table: no children under any cell.
    QCOMPARE(model.rowCount(model.index(0, 0)), 0);
    QCOMPARE(model.columnCount(model.index(0, 0)), 0);

    using C = DatasetTableModel;
    QCOMPARE(display(model, 0, C::IdColumn), QStringLiteral("1"));
    QCOMPARE(display(model, 0, C::NameColumn), QStringLiteral("synth-small"));
    QCOMPARE(display(model, 0, C::KindColumn), QStringLiteral("synthetic"));
    QCOMPARE(display(model, 0, C::LanguagesColumn), QStringLiteral("en, de"));
    QCOMPARE(display(model, 0, C::PairsColumn), QStringLiteral("2"));
    QCOMPARE(display(model, 0, C::SentencesColumn), formatCount(datasets[0].totalSentences()));
    QCOMPARE(display(model, 0, C::FingerprintColumn), QStringLiteral("0123456789ab"));
    QCOMPARE(display(model, 0, C::CreatedColumn), QStringLiteral("2024-05-17 14:30"));
    // Names are shown verbatim, markup and all.
    QCOMPARE(display(model, 1, C::NameColumn), QStringLiteral("Gettext <catalogs> & co"));
    QCOMPARE(display(model, 1, C::LanguagesColumn), QString());
    QCOMPARE(display(model, 1, C::CreatedColumn), QString());

    QCOMPARE(roleData(model, 0, C::IdColumn, IdRole).toLongLong(), 1);
    QCOMPARE(roleData(model, 1, C::NameColumn, IdRole).toLongLong(), 2);
    QCOMPARE(roleData(model, 0, C::SentencesColumn, SortRole).toLongLong(),
             datasets[0].totalSentences());
    QCOMPARE(roleData(model, 0, C::CreatedColumn, SortRole).toDateTime(), datasets[0].createdAt);

    QVERIFY(roleData(model, 0, C::FingerprintColumn, Qt::ToolTipRole)
                .toString()
                .contains(datasets[0].fingerprint));
    QCOMPARE(roleData(model, 0, C::LanguagesColumn, Qt::ToolTipRole).toString(),
             QStringLiteral("en — English (Germanic, Latin)\nde — German (Germanic, Latin)"));
    QCOMPARE(roleData(model, 0, C::SentencesColumn, Qt::TextAlignmentRole).toInt(),
             int(Qt::AlignRight | Qt::AlignVCenter));
    QCOMPARE(roleData(model, 0, C::NameColumn, Qt::TextAlignmentRole).toInt(),
             int(Qt::AlignLeft | Qt::AlignVCenter));

    QVERIFY(model.dataset(1) != nullptr);
    QCOMPARE(model.dataset(1)->id, 2);
    QVERIFY(model.dataset(2) == nullptr);
    QVERIFY(model.dataset(-1) == nullptr);
    QCOMPARE(model.rowOfId(2), 1);

    // Replacing and clearing keep the tester content.
    model.setDatasets({datasets[1]});
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(display(model, 0, C::NameColumn), datasets[1].name);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(reset.count(), 3);
}

void TestModels::datasetModelHeaders()
{
    DatasetTableModel model;
    const QStringList expected{QStringLiteral("ID"),          QStringLiteral("Name"),
                               QStringLiteral("Kind"),        QStringLiteral("Languages"),
                               QStringLiteral("Pairs"),       QStringLiteral("Sentences"),
                               QStringLiteral("Fingerprint"), QStringLiteral("Created")};
    QCOMPARE(expected.size(), model.columnCount());
    for (int c = 0; c < model.columnCount(); ++c)
        QCOMPARE(model.headerData(c, Qt::Horizontal).toString(), expected.at(c));
    QVERIFY(!model.headerData(model.columnCount(), Qt::Horizontal).isValid());
    QVERIFY(!model.headerData(DatasetTableModel::PairsColumn, Qt::Horizontal, Qt::ToolTipRole)
                 .toString()
                 .isEmpty());
}

void TestModels::datasetModelSortsNumbers()
{
    DatasetTableModel model;
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(SortRole);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setDatasets(sampleDatasets());

    proxy.sort(DatasetTableModel::SentencesColumn, Qt::AscendingOrder);
    // 9 sentences before 13,000-odd: as text "1…" would sort before "9".
    QCOMPARE(proxy.index(0, DatasetTableModel::IdColumn).data().toString(), QStringLiteral("2"));
    QCOMPARE(proxy.index(1, DatasetTableModel::IdColumn).data().toString(), QStringLiteral("1"));
    proxy.sort(DatasetTableModel::PairsColumn, Qt::DescendingOrder);
    QCOMPARE(proxy.index(0, DatasetTableModel::IdColumn).data().toString(), QStringLiteral("1"));
}

// Pairs ------------------------------------------------------------------------------------

void TestModels::pairModelEmpty()
{
    PairTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.columnCount(), int(PairTableModel::ColumnCount));
    QVERIFY(model.pair(0) == nullptr);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestModels::pairModelFilled()
{
    PairTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const auto pairs = sampleDatasets()[0].pairs;
    model.setPairs({pairs.begin(), pairs.end()}, 1000);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.rowCount(model.index(0, 0)), 0);

    using C = PairTableModel;
    QCOMPARE(display(model, 0, C::PairColumn), QStringLiteral("en-de"));
    QCOMPARE(display(model, 0, C::TrainColumn), formatCount(12345));
    QCOMPARE(display(model, 0, C::DevColumn), QStringLiteral("10"));
    QCOMPARE(display(model, 0, C::TestColumn), QStringLiteral("20"));
    QCOMPARE(display(model, 0, C::MultiwayColumn), QStringLiteral("5"));
    QCOMPARE(display(model, 0, C::ResourceClassColumn), QStringLiteral("high"));
    QCOMPARE(display(model, 1, C::PairColumn), QStringLiteral("de-en"));
    QCOMPARE(display(model, 1, C::ResourceClassColumn), QStringLiteral("low"));

    QCOMPARE(roleData(model, 0, C::TrainColumn, SortRole).toLongLong(), 12345);
    QCOMPARE(roleData(model, 1, C::PairColumn, IdRole).toLongLong(), 12);
    QCOMPARE(roleData(model, 0, C::TrainColumn, Qt::TextAlignmentRole).toInt(),
             int(Qt::AlignRight | Qt::AlignVCenter));
    QCOMPARE(roleData(model, 0, C::ResourceClassColumn, Qt::DecorationRole).value<QColor>(),
             resourceClassColor(QStringLiteral("high")));
    QVERIFY(resourceClassColor(QStringLiteral("high")) != resourceClassColor(QStringLiteral("low")));
    const QString tip = roleData(model, 1, C::ResourceClassColumn, Qt::ToolTipRole).toString();
    QVERIFY2(tip.startsWith(QStringLiteral("Low-resource")) && tip.contains(formatCount(1000)),
             qPrintable(tip));
    QCOMPARE(roleData(model, 0, C::PairColumn, Qt::ToolTipRole).toString(),
             QStringLiteral("en → de"));

    QCOMPARE(model.pair(1)->id, 12);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestModels::pairModelHeaders()
{
    PairTableModel model;
    const QStringList expected{QStringLiteral("Pair"), QStringLiteral("Train"),
                               QStringLiteral("Dev"),  QStringLiteral("Test"),
                               QStringLiteral("Multi-way"), QStringLiteral("Resource")};
    QCOMPARE(expected.size(), model.columnCount());
    for (int c = 0; c < model.columnCount(); ++c)
        QCOMPARE(model.headerData(c, Qt::Horizontal).toString(), expected.at(c));
    QCOMPARE(model.headerData(PairTableModel::TrainColumn, Qt::Horizontal, Qt::TextAlignmentRole)
                 .toInt(),
             int(Qt::AlignRight | Qt::AlignVCenter));
}

// Runs -------------------------------------------------------------------------------------

void TestModels::runModelEmpty()
{
    RunTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.columnCount(), int(RunTableModel::ColumnCount));
    QVERIFY(model.run(0) == nullptr);
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestModels::runModelFilled()
{
    RunTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRuns(sampleRuns());
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.rowCount(model.index(1, 1)), 0);

    using C = RunTableModel;
    QCOMPARE(display(model, 0, C::IdColumn), QStringLiteral("1"));
    QCOMPARE(display(model, 0, C::NameColumn), QStringLiteral("token-moe baseline"));
    QCOMPARE(display(model, 0, C::KindColumn), QStringLiteral("train"));
    QCOMPARE(display(model, 0, C::PresetColumn), QStringLiteral("tiny"));
    QCOMPARE(display(model, 0, C::StatusColumn), QStringLiteral("finished"));
    QCOMPARE(display(model, 0, C::StartedColumn), QStringLiteral("2024-06-01 09:00"));
    QCOMPARE(display(model, 0, C::EndedColumn), QStringLiteral("2024-06-01 11:15"));
    QCOMPARE(display(model, 1, C::EndedColumn), QString());   // failed before it ended cleanly

    QCOMPARE(roleData(model, 1, C::IdColumn, IdRole).toLongLong(), 2);
    QCOMPARE(roleData(model, 0, C::StartedColumn, SortRole).toDateTime(),
             sampleRuns()[0].startedAt);
    QVERIFY(roleData(model, 1, C::StatusColumn, Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("out of memory")));
    QVERIFY(roleData(model, 1, C::StatusColumn, Qt::ForegroundRole).value<QColor>().isValid());
    QVERIFY(roleData(model, 1, C::NameColumn, Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("Continues run 1")));
    QVERIFY(roleData(model, 0, C::NameColumn, Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("node1")));

    model.setRuns({});
    QCOMPARE(model.rowCount(), 0);
}

void TestModels::runModelRefreshesInPlaceKeepingTheSelection()
{
    RunTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto runs = sampleRuns();
    runs[0].status = db::RunStatus::Running;
    runs[0].configJson = QStringLiteral(R"({"train": {"steps": 400}})");
    model.updateRuns(runs, {});
    QItemSelectionModel selection(&model);
    selection.select(model.index(1, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    using C = RunTableModel;
    QCOMPARE(display(model, 0, C::ProgressColumn), QStringLiteral("0 / 400"));
    QVERIFY(!roleData(model, 0, C::StatusColumn, Qt::DecorationRole).value<QIcon>().isNull());

    // The same runs with new values: cells change, rows and selection stay.
    runs[0].status = db::RunStatus::Finished;
    model.updateRuns(runs, {{1, 400}});
    QCOMPARE(resets.count(), 0);
    QCOMPARE(display(model, 0, C::StatusColumn), QStringLiteral("finished"));
    QCOMPARE(display(model, 0, C::ProgressColumn), QStringLiteral("400 / 400"));
    QVERIFY(selection.isRowSelected(1, QModelIndex()));

    // A new run appended: inserted, not reset.
    db::RunRecord r3 = runs[1];
    r3.id = 3;
    runs.push_back(r3);
    model.updateRuns(runs, {});
    QCOMPARE(resets.count(), 0);
    QCOMPARE(inserts.count(), 1);
    QCOMPARE(model.rowCount(), 3);
    QVERIFY(selection.isRowSelected(1, QModelIndex()));

    // A run gone: the rows are replaced.
    runs.erase(runs.begin());
    model.updateRuns(runs, {});
    QCOMPARE(resets.count(), 1);
    QCOMPARE(model.rowCount(), 2);
}

void TestModels::runModelHeaders()
{
    RunTableModel model;
    const QStringList expected{QStringLiteral("ID"),     QStringLiteral("Name"),
                               QStringLiteral("Kind"),   QStringLiteral("Preset"),
                               QStringLiteral("Status"), QStringLiteral("Progress"), QStringLiteral("Best dev BLEU"),
                               QStringLiteral("Started"), QStringLiteral("Ended")};
    QCOMPARE(expected.size(), model.columnCount());
    for (int c = 0; c < model.columnCount(); ++c)
        QCOMPARE(model.headerData(c, Qt::Horizontal).toString(), expected.at(c));
    // Rows keep Qt's default numbering.
    QCOMPARE(model.headerData(0, Qt::Vertical).toInt(), 1);
}

void TestModels::runModelShowsTheBestCheckpointAndTheTimeBudget()
{
    RunTableModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto runs = sampleRuns();
    runs[0].configJson = QStringLiteral(R"({"train": {"steps": 100000, "max_minutes": 15}})");
    runs[1].configJson = QStringLiteral(R"({"train": {"steps": 400}})");
    model.updateRuns(runs, {{1, 1750}, {2, 120}}, {{1, {1500, 61.234}}});
    using C = RunTableModel;
    QCOMPARE(display(model, 0, C::ProgressColumn), QStringLiteral("1750 (15 min)"));
    QCOMPARE(display(model, 1, C::ProgressColumn), QStringLiteral("120 / 400"));
    QCOMPARE(display(model, 0, C::BestColumn), QStringLiteral("61.2 @ 1500"));
    QCOMPARE(display(model, 1, C::BestColumn), QString());
    // Sorting by the best BLEU puts runs without one first (ascending).
    QVERIFY(model.data(model.index(0, C::BestColumn), SortRole).toDouble()
            > model.data(model.index(1, C::BestColumn), SortRole).toDouble());
}

// The shared base (VectorTableModel) answers alignment for cells and headers from one
// column description, and no header tool tip where a column has none.
void TestModels::headersAndCellsShareTheColumnAlignment()
{
    DatasetTableModel datasets;
    datasets.setDatasets(sampleDatasets());
    PairTableModel pairs;
    const auto pairRecords = sampleDatasets()[0].pairs;
    pairs.setPairs({pairRecords.begin(), pairRecords.end()}, 1000);
    RunTableModel runs;
    runs.setRuns(sampleRuns());
    for (const QAbstractItemModel *model :
         {static_cast<QAbstractItemModel *>(&datasets), static_cast<QAbstractItemModel *>(&pairs),
          static_cast<QAbstractItemModel *>(&runs)}) {
        QVERIFY(model->rowCount() > 0);
        for (int c = 0; c < model->columnCount(); ++c) {
            const QVariant header = model->headerData(c, Qt::Horizontal, Qt::TextAlignmentRole);
            QCOMPARE(header.typeId(), int(QMetaType::Int));   // Qt 6.4 delegates call toInt()
            QCOMPARE(roleData(*model, 0, c, Qt::TextAlignmentRole).toInt(), header.toInt());
        }
    }
    QVERIFY(!datasets.headerData(DatasetTableModel::IdColumn, Qt::Horizontal, Qt::ToolTipRole).isValid());
    QVERIFY(!runs.headerData(RunTableModel::NameColumn, Qt::Horizontal, Qt::ToolTipRole).isValid());
    QCOMPARE(runs.headerData(RunTableModel::IdColumn, Qt::Horizontal, Qt::TextAlignmentRole).toInt(),
             int(Qt::AlignRight | Qt::AlignVCenter));
}

QTEST_MAIN(TestModels)
#include "tst_models.moc"
