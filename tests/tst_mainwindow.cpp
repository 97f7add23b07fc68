// The workbench window on real stores made through the db API: datasets, pairs, chart,
// runs, reload, and the error path for files that are not stores.
#include "db/store.h"
#include "ui/datasets/datasetmodels.h"
#include "ui/mainwindow.h"
#include "ui/datasets/pairsizechart.h"
#include "ui/runs/runfollower.h"
#include "ui/runs/runmodel.h"
#include "ui/runs/runmonitor.h"
#include "ui/common/storecontroller.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QDir>
#include <algorithm>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSplitter>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace taskmoe;

namespace {

struct PairSpec
{
    QString src, tgt;
    int train;
};

db::NewPair makePair(const PairSpec &spec, int threshold)
{
    db::NewPair p;
    p.info.srcLang = spec.src;
    p.info.tgtLang = spec.tgt;
    p.info.train = spec.train;
    p.info.dev = 2;
    p.info.test = 2;
    p.info.multiway = 0;
    p.info.resourceClass = spec.train >= threshold ? QStringLiteral("high") : QStringLiteral("low");
    const auto add = [&](const QString &split, int n) {
        for (int i = 0; i < n; ++i) {
            p.segments.push_back({split, -1,
                                  QStringLiteral("%1 sentence %2 %3").arg(spec.src, split).arg(i),
                                  QStringLiteral("%1 sentence %2 %3").arg(spec.tgt, split).arg(i)});
        }
    };
    add(QStringLiteral("train"), spec.train);
    add(QStringLiteral("dev"), 2);
    add(QStringLiteral("test"), 2);
    return p;
}

db::DatasetRecord makeDataset(const QString &name, const QString &fingerprint,
                              const QStringList &codes)
{
    db::DatasetRecord d;
    d.name = name;
    d.kind = QStringLiteral("synthetic");
    d.source = QStringLiteral("tst_mainwindow");
    d.fingerprint = fingerprint;
    d.resourceThreshold = 20;
    d.createdAt = QDateTime::currentDateTimeUtc();
    for (const QString &code : codes) {
        const bool slavic = code == QLatin1String("ru") || code == QLatin1String("uk");
        d.languages.push_back({code, code.toUpper(),
                               slavic ? QStringLiteral("Slavic") : QStringLiteral("Romance"),
                               slavic ? QStringLiteral("Cyrillic") : QStringLiteral("Latin")});
    }
    return d;
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void opensStoreAndSelectsFirstDataset();
    void selectingDatasetFillsPairsAndChart();
    void manyPairsChart();
    void runsTab();
    void reloadKeepsSelection();
    void badStore_data();
    void badStore();
    void missingPathCreatesEmptyStore();
    void liveRunWithATimeBudgetShowsTimeProgressAndDevBleu();
    void screenshot();
    void settingsBringBackGeometrySplittersTabAndStore();
    void everyShortcutIsListedInHelp();
    void anEmptyStoreOffersTheQuickstartOnce();

private:
    QTemporaryDir m_dir;
    QString m_storePath;
    qint64 m_smallId = 0;   // 3 pairs
    qint64 m_largeId = 0;   // 14 pairs
};

void TestMainWindow::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_storePath = m_dir.filePath(QStringLiteral("workbench.sqlite"));

    db::Store store(m_storePath);
    {
        const std::vector<db::NewPair> pairs{
            makePair({QStringLiteral("en"), QStringLiteral("es"), 30}, 20),
            makePair({QStringLiteral("en"), QStringLiteral("ca"), 8}, 20),
            makePair({QStringLiteral("es"), QStringLiteral("en"), 25}, 20)};
        m_smallId = store.addDataset(makeDataset(QStringLiteral("small romance"),
                                                 QStringLiteral("aa11"),
                                                 {QStringLiteral("en"), QStringLiteral("es"),
                                                  QStringLiteral("ca")}),
                                     pairs);
    }
    {
        // 7 languages out of English and back: 14 pairs, sizes over two decades.
        const QStringList others{QStringLiteral("es"), QStringLiteral("ca"), QStringLiteral("pt"),
                                 QStringLiteral("it"), QStringLiteral("ru"), QStringLiteral("uk"),
                                 QStringLiteral("fr")};
        const int sizes[] = {120, 4, 60, 35, 90, 3, 150};
        std::vector<db::NewPair> pairs;
        for (int i = 0; i < others.size(); ++i) {
            pairs.push_back(makePair({QStringLiteral("en"), others[i], sizes[i]}, 20));
            pairs.push_back(makePair({others[i], QStringLiteral("en"), sizes[i] / 2 + 1}, 20));
        }
        m_largeId = store.addDataset(
            makeDataset(QStringLiteral("fourteen pairs"), QStringLiteral("bb22"),
                        QStringList{QStringLiteral("en")} + others),
            pairs);
    }
    QVERIFY(m_smallId > 0);
    QVERIFY(m_largeId > 0);
    QVERIFY(m_smallId < m_largeId);
}

void TestMainWindow::opensStoreAndSelectsFirstDataset()
{
    ui::MainWindow window;
    QSignalSpy loaded(&window, &ui::MainWindow::storeLoaded);
    QVERIFY(window.openStore(m_storePath));
    QCOMPARE(loaded.count(), 1);

    QAbstractItemModel *datasets = window.datasetView()->model();
    QCOMPARE(datasets->rowCount(), 2);
    QCOMPARE(datasets->index(0, ui::DatasetTableModel::NameColumn).data().toString(),
             QStringLiteral("small romance"));
    QCOMPARE(datasets->index(1, ui::DatasetTableModel::NameColumn).data().toString(),
             QStringLiteral("fourteen pairs"));
    QCOMPARE(datasets->index(1, ui::DatasetTableModel::PairsColumn).data().toString(),
             QStringLiteral("14"));

    // The first dataset is selected by default, and its pairs are shown.
    QCOMPARE(window.currentDatasetId(), m_smallId);
    QCOMPARE(window.datasetView()->selectionModel()->selectedRows().size(), 1);
    QCOMPARE(window.pairView()->model()->rowCount(), 3);
    QCOMPARE(window.pairSizeChart()->barCount(), 3);

    auto *counts = window.statusBar()->findChild<QLabel *>(QStringLiteral("countsLabel"));
    QVERIFY(counts);
    QCOMPARE(counts->text(), QStringLiteral("2 datasets · 17 language pairs · 0 runs"));
    auto *pathLabel = window.statusBar()->findChild<QLabel *>(QStringLiteral("pathLabel"));
    QVERIFY(pathLabel);
    QVERIFY2(pathLabel->text().contains(QStringLiteral("workbench.sqlite")),
             qPrintable(pathLabel->text()));
}

void TestMainWindow::selectingDatasetFillsPairsAndChart()
{
    ui::MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.openStore(m_storePath));

    // Click the second dataset, as a user would.
    QTableView *view = window.datasetView();
    const QModelIndex second = view->model()->index(1, ui::DatasetTableModel::NameColumn);
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(second).center());
    QCOMPARE(window.currentDatasetId(), m_largeId);

    QAbstractItemModel *pairs = window.pairView()->model();
    QCOMPARE(pairs->rowCount(), 14);
    // Sorted by training size, largest first.
    QCOMPARE(pairs->index(0, ui::PairTableModel::PairColumn).data().toString(),
             QStringLiteral("en-fr"));
    QCOMPARE(pairs->index(0, ui::PairTableModel::TrainColumn).data().toString(),
             QStringLiteral("150"));

    ui::PairSizeChart *chart = window.pairSizeChart();
    QCOMPARE(chart->barCount(), 14);
    QCOMPARE(chart->pairLabels().size(), 14);
    QCOMPARE(chart->pairLabels().first(), QStringLiteral("en-fr"));
    QVERIFY(chart->title().contains(QStringLiteral("fourteen pairs")));

    QCPAxis *y = chart->plot()->yAxis;
    QCOMPARE(y->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(dynamic_cast<QCPAxisTickerLog *>(y->ticker().data()) != nullptr);
    // Every bar inside the visible range.
    QVERIFY(y->range().lower <= 3);
    QVERIFY(y->range().upper >= 150);

    // The details panel follows.
    auto *name = window.findChild<QLabel *>(QStringLiteral("detailName"));
    QVERIFY(name);
    QCOMPARE(name->text(), QStringLiteral("fourteen pairs"));
    auto *languages = window.findChild<QLabel *>(QStringLiteral("detailLanguages"));
    QVERIFY(languages);
    QVERIFY2(languages->text().contains(QStringLiteral("ru, uk")), qPrintable(languages->text()));

    // And back.
    QVERIFY(window.selectDataset(m_smallId));
    QCOMPARE(pairs->rowCount(), 3);
    QCOMPARE(chart->barCount(), 3);
}

void TestMainWindow::manyPairsChart()
{
    ui::MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.openStore(m_storePath));
    QVERIFY(window.selectDataset(m_largeId));

    ui::PairSizeChart *chart = window.pairSizeChart();
    QCustomPlot *plot = chart->plot();
    plot->replot();
    // Two classes present: both in the legend.
    QCOMPARE(plot->legend->itemCount(), 2);
    // At the default window size the 14 pair names fit on the axis, without overlapping:
    // each label's width (rotated when needed) within its slot.
    const double slot = plot->xAxis->coordToPixel(1) - plot->xAxis->coordToPixel(0);
    const QFontMetrics metrics(plot->xAxis->tickLabelFont());
    int widest = 0;
    for (const QString &label : chart->pairLabels())
        widest = std::max(widest, metrics.horizontalAdvance(label));
    const double rotation = plot->xAxis->tickLabelRotation();
    const double footprint =
        rotation == 0 ? widest : metrics.height() / std::sin(qDegreesToRadians(std::abs(rotation)));
    QVERIFY2(footprint < slot, qPrintable(QStringLiteral("label %1 px, slot %2 px")
                                              .arg(footprint)
                                              .arg(slot)));

    // Regression: bars were drawn from a base value at the bottom of the axis, which made
    // each bar that much taller than its value. The top edge of every bar is at its value.
    const QImage image = plot->toPixmap().toImage();
    int checked = 0;
    for (int i = 0; i < plot->plottableCount(); ++i) {
        auto *bars = qobject_cast<QCPBars *>(plot->plottable(i));
        QVERIFY(bars);
        const QRgb fill = bars->brush().color().rgb();
        for (auto it = bars->data()->constBegin(); it != bars->data()->constEnd(); ++it) {
            const int x = qRound(plot->xAxis->coordToPixel(it->key + 0.3));
            const int top = qRound(plot->yAxis->coordToPixel(it->value));
            QCOMPARE(image.pixel(x, top + 3), fill);
            QVERIFY2(image.pixel(x, top - 3) != fill,
                     qPrintable(QStringLiteral("bar %1 reaches above %2").arg(it->key).arg(it->value)));
            ++checked;
        }
    }
    QCOMPARE(checked, 14);

    // A narrow chart rotates the labels rather than overlapping them.
    window.resize(700, 600);
    QTRY_COMPARE(plot->xAxis->tickLabelRotation() != 0, true);
}

void TestMainWindow::runsTab()
{
    const QString path = m_dir.filePath(QStringLiteral("runs.sqlite"));
    {
        db::Store store(path);
        Q_UNUSED(store);
    }
    ui::MainWindow window;
    QVERIFY(window.openStore(path));
    auto *stack = window.findChild<QStackedWidget *>(QStringLiteral("runStack"));
    QVERIFY(stack);
    auto *empty = window.findChild<QLabel *>(QStringLiteral("noRunsLabel"));
    QVERIFY(empty);
    QCOMPARE(stack->currentWidget(), empty);
    QVERIFY(empty->text().contains(QStringLiteral("No runs yet")));
    QCOMPARE(window.datasetView()->model()->rowCount(), 0);
    QCOMPARE(window.pairSizeChart()->barCount(), 0);

    {
        db::Store store(path);
        db::RunRecord run;
        run.name = QStringLiteral("token-moe baseline");
        run.kind = QStringLiteral("train");
        run.preset = QStringLiteral("tiny");
        run.status = db::RunStatus::Running;
        run.startedAt = QDateTime::currentDateTimeUtc();
        QVERIFY(store.addRun(run) > 0);
    }
    window.reloadStore();
    QCOMPARE(stack->currentWidget(), window.runView());
    QCOMPARE(window.runView()->model()->rowCount(), 1);
    QCOMPARE(window.runView()->model()->index(0, ui::RunTableModel::NameColumn).data().toString(),
             QStringLiteral("token-moe baseline"));
    QCOMPARE(window.runView()->model()->index(0, ui::RunTableModel::StatusColumn).data().toString(),
             QStringLiteral("running"));

    // Nothing selected: the live panel says what to do and offers no action; New run is on.
    ui::RunMonitor *monitor = window.runMonitor();
    QVERIFY(monitor->runIds().isEmpty());
    QVERIFY(!monitor->cancelButton()->isEnabled());
    QVERIFY(!monitor->resumeButton()->isEnabled());
    QVERIFY(!monitor->progressBar()->isTextVisible());
    QVERIFY(window.newRunAction()->isEnabled());
    QVERIFY(window.findChild<QPushButton *>(QStringLiteral("newRunButton"))->isEnabled());
    window.tabs()->setCurrentIndex(1);
    window.resize(1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(monitor->findChildren<QLabel *>().first()->text().contains(QStringLiteral("Select one or more runs")));
    if (!qEnvironmentVariableIsEmpty("TASKMOE_SCREENSHOT_DIR"))
        window.saveScreenshot(qEnvironmentVariable("TASKMOE_SCREENSHOT_DIR") + QStringLiteral("/runs-empty.png"));
}

void TestMainWindow::reloadKeepsSelection()
{
    ui::MainWindow window;
    QVERIFY(window.openStore(m_storePath));
    QVERIFY(window.selectDataset(m_largeId));
    QSignalSpy loaded(&window, &ui::MainWindow::storeLoaded);
    window.reloadStore();
    QCOMPARE(loaded.count(), 1);
    QCOMPARE(window.currentDatasetId(), m_largeId);
    QCOMPARE(window.pairView()->model()->rowCount(), 14);
}

void TestMainWindow::badStore_data()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("directory") << QStringLiteral("directory");
    QTest::newRow("not sqlite") << QStringLiteral("text");
    QTest::newRow("newer schema") << QStringLiteral("newer");
}

void TestMainWindow::badStore()
{
    QFETCH(QString, kind);
    QString path;
    if (kind == QLatin1String("directory")) {
        path = m_dir.filePath(QStringLiteral("a-directory.sqlite"));
        QVERIFY(QDir().mkpath(path));
        QFile inside(path + QStringLiteral("/inside.txt"));
        QVERIFY(inside.open(QIODevice::WriteOnly));
        inside.write("a file in a folder that is named like a store\n");
    } else if (kind == QLatin1String("text")) {
        path = m_dir.filePath(QStringLiteral("notes.sqlite"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("These are my notes, not a database.\n");
        file.write(QByteArray(5000, 'x'));
    } else {
        path = m_dir.filePath(QStringLiteral("future.sqlite"));
        { db::Store store(path); }
        const QString connection = QStringLiteral("tst_mainwindow_future");
        {
            QSqlDatabase database = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
            database.setDatabaseName(path);
            QVERIFY(database.open());
            QSqlQuery query(database);
            QVERIFY(query.exec(QStringLiteral("PRAGMA user_version = %1")
                                   .arg(db::Store::schemaVersion() + 1)));
            database.close();
        }
        QSqlDatabase::removeDatabase(connection);
    }
    const QByteArray before = kind == QLatin1String("directory") ? QByteArray() : readAll(path);
    const QStringList listingBefore = QDir(path).entryList(QDir::AllEntries | QDir::NoDotAndDotDot);

    ui::MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.openStore(m_storePath));   // a good store first: the failure empties it
    QCOMPARE(window.datasetView()->model()->rowCount(), 2);

    QSignalSpy failed(&window, &ui::MainWindow::storeFailed);
    QVERIFY(!window.openStore(path));
    QCOMPARE(failed.count(), 1);
    const QString message = failed.at(0).at(0).toString();
    QVERIFY(!message.isEmpty());
    QCOMPARE(window.controller()->lastError(), message);
    QVERIFY(!window.controller()->isOpen());

    // The user sees a critical message box with the reason.
    QMessageBox *box = window.errorDialog();
    QVERIFY(box);
    QVERIFY(box->isVisible());
    QCOMPARE(box->icon(), QMessageBox::Critical);
    QCOMPARE(box->informativeText(), message);
    box->close();
    QTRY_VERIFY(!window.errorDialog());

    // The window is empty but usable.
    QCOMPARE(window.datasetView()->model()->rowCount(), 0);
    QCOMPARE(window.pairView()->model()->rowCount(), 0);
    QCOMPARE(window.runView()->model()->rowCount(), 0);
    QCOMPARE(window.pairSizeChart()->barCount(), 0);
    auto *counts = window.statusBar()->findChild<QLabel *>(QStringLiteral("countsLabel"));
    QCOMPARE(counts->text(), QStringLiteral("No store open"));

    // Left as it was, byte for byte.
    if (kind == QLatin1String("directory")) {
        QVERIFY(QFileInfo(path).isDir());
    } else {
        QCOMPARE(readAll(path), before);
        QVERIFY(!QFile::exists(path + QStringLiteral("-wal")));
    }
    QCOMPARE(QDir(path).entryList(QDir::AllEntries | QDir::NoDotAndDotDot), listingBefore);

    QVERIFY(window.openStore(m_storePath));
    QCOMPARE(window.datasetView()->model()->rowCount(), 2);
    QVERIFY(!window.errorDialog());
}

void TestMainWindow::missingPathCreatesEmptyStore()
{
    const QString path = m_dir.filePath(QStringLiteral("fresh/new.sqlite"));
    QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
    ui::MainWindow window;
    QVERIFY(window.openStore(path));
    QCOMPARE(window.datasetView()->model()->rowCount(), 0);
    QCOMPARE(window.currentDatasetId(), 0);
    QCOMPARE(window.pairSizeChart()->title(), QStringLiteral("No dataset selected"));
    QVERIFY(QFileInfo(path).isFile());
}

// A run with train.max_minutes: the bar follows the training time, the ETA is what is left of
// the budget (not of train.steps = 100,000), and the dev BLEU panel has the mean and each direction.
void TestMainWindow::liveRunWithATimeBudgetShowsTimeProgressAndDevBleu()
{
    ui::RunMonitor monitor;
    db::RunRecord run;
    run.id = 7;
    run.name = QStringLiteral("quick");
    run.kind = QStringLiteral("train");
    run.status = db::RunStatus::Running;
    run.configJson = QStringLiteral(R"({"train": {"steps": 100000, "max_minutes": 10}})");
    ui::RunDelta delta;
    delta.run = run;
    delta.reset = true;
    for (qint64 step = 10; step <= 300; step += 10) {
        const double wall = 1000.0 + double(step);
        delta.points.push_back({7, step, QStringLiteral("loss"), 3.0 - double(step) / 200.0, wall});
        delta.points.push_back({7, step, QStringLiteral("elapsed_s"), double(step), wall});
    }
    for (qint64 step : {0, 150, 300}) {
        delta.points.push_back({7, step, QStringLiteral("dev_bleu"), double(step) / 10.0, 1000.0 + double(step)});
        delta.points.push_back({7, step, QStringLiteral("dev_bleu.en-de"), double(step) / 12.0, 1000.0 + double(step)});
    }
    std::sort(delta.points.begin(), delta.points.end(),
              [](const db::MetricPoint &a, const db::MetricPoint &b) { return a.step < b.step || (a.step == b.step && a.key < b.key); });
    monitor.showRuns({7});
    monitor.applyDelta(delta);
    monitor.redrawNow();
    QCOMPARE(monitor.progressBar()->maximum(), 1000);
    QCOMPARE(monitor.progressBar()->value(), 500);   // 300 s of 600
    QVERIFY2(monitor.progressBar()->text().contains(QStringLiteral("step 300")), qPrintable(monitor.progressBar()->text()));
    const auto labels = monitor.findChildren<QLabel *>();
    bool etaShown = false;
    for (const QLabel *l : labels)
        etaShown |= l->text().contains(QStringLiteral("ETA 5 min 0 s"));
    QVERIFY2(etaShown, "the ETA is what is left of the budget");
    int bleuCurves = 0;
    for (int i = 0; i < monitor.plot()->graphCount(); ++i)
        bleuCurves += monitor.plot()->graph(i)->keyAxis()->axisRect() == monitor.panel(ui::RunMonitor::BleuPanel);
    QCOMPARE(bleuCurves, 2);   // the mean and en-de
}

void TestMainWindow::screenshot()
{
    ui::MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.openStore(m_storePath));
    const QString path = m_dir.filePath(QStringLiteral("shot.png"));
    QString error;
    QVERIFY2(window.saveScreenshot(path, &error), qPrintable(error));
    const QImage image(path);
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), window.size() * window.devicePixelRatio());
    // No temporary file left behind.
    QCOMPARE(QDir(m_dir.path()).entryList({QStringLiteral("shot*")}), QStringList{QStringLiteral("shot.png")});
}

QTEST_MAIN(TestMainWindow)
// Closing the window writes its geometry, splitter positions, tab and store to the settings
// ($TASKMOE_SETTINGS here); a new window given the same settings comes back the same.
void TestMainWindow::settingsBringBackGeometrySplittersTabAndStore()
{
    const QString file = m_dir.filePath(QStringLiteral("settings.ini"));
    qputenv("TASKMOE_SETTINGS", file.toLocal8Bit());
    QList<int> sizes;
    {
        ui::MainWindow window;
        window.useSettings(ui::MainWindow::openSettings());   // nothing stored yet: as built
        QVERIFY(window.openStore(m_storePath));
        window.resize(1111, 777);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *splitter = window.findChild<QSplitter *>(QStringLiteral("datasetDetailSplitter"));
        QVERIFY(splitter);
        splitter->setSizes({400, 700});
        QCoreApplication::processEvents();
        sizes = splitter->sizes();
        window.tabs()->setCurrentIndex(3);
        window.close();
    }
    QVERIFY(QFileInfo::exists(file));
    const auto settings = ui::MainWindow::openSettings();
    QCOMPARE(ui::MainWindow::lastStore(*settings), m_storePath);

    ui::MainWindow again;
    again.useSettings(ui::MainWindow::openSettings());
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QCOMPARE(again.size(), QSize(1111, 777));
    QCOMPARE(again.tabs()->currentIndex(), 3);
    again.tabs()->setCurrentIndex(0);   // a splitter on a hidden tab is not laid out
    QCoreApplication::processEvents();
    QCOMPARE(again.findChild<QSplitter *>(QStringLiteral("datasetDetailSplitter"))->sizes(), sizes);
    qunsetenv("TASKMOE_SETTINGS");
}

void TestMainWindow::everyShortcutIsListedInHelp()
{
    ui::MainWindow window;
    const QString text = window.shortcutsText();
    int shortcuts = 0;
    for (const QAction *action : window.findChildren<QAction *>())
        if (!action->shortcut().isEmpty() && !action->text().isEmpty()) {
            ++shortcuts;
            QVERIFY2(text.contains(action->shortcut().toString(QKeySequence::NativeText)),
                     qPrintable(action->text()));
        }
    QVERIFY2(shortcuts >= 5, qPrintable(text));   // evaluate and the four tabs at least (standard keys vary by platform)
    for (const char *keys : {"Ctrl+E", "Ctrl+1", "Ctrl+2", "Ctrl+3", "Ctrl+4", "Ctrl+5", "Ctrl+8"})
        QVERIFY2(text.contains(QString::fromLatin1(keys)), keys);
    QVERIFY(text.contains(QStringLiteral("View → Sub-networks")));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTest::keyClick(&window, Qt::Key_4, Qt::ControlModifier);
    QCOMPARE(window.tabs()->currentIndex(), 3);
    QTest::keyClick(&window, Qt::Key_2, Qt::ControlModifier);
    QCOMPARE(window.tabs()->currentIndex(), 1);
    // Help → Keyboard shortcuts opens a table of them.
    QTimer::singleShot(0, &window, [&window] {
        auto *box = window.findChild<QMessageBox *>(QStringLiteral("shortcutsDialog"));
        if (!box) {   // close whatever opened instead, or the test would wait for ever
            if (QWidget *modal = QApplication::activeModalWidget())
                modal->close();
            QFAIL("Help → Keyboard shortcuts opened no shortcuts dialog");
        }
        QVERIFY(box->text().contains(QStringLiteral("<td>&nbsp;&nbsp;View → Sub-networks</td>")));
        if (!qEnvironmentVariableIsEmpty("TASKMOE_SHORTCUTS_PNG"))
            box->grab().save(qEnvironmentVariable("TASKMOE_SHORTCUTS_PNG"));
        box->close();
    });
    for (QAction *action : window.findChildren<QAction *>())
        if (action->text() == QStringLiteral("&Keyboard shortcuts"))
            action->trigger();
}

// A store without runs, opened with settings (an interactive session): the quickstart is
// offered once — a researcher who said no is not asked again for that store.
void TestMainWindow::anEmptyStoreOffersTheQuickstartOnce()
{
    const QString settings = m_dir.filePath(QStringLiteral("offer.ini"));
    qputenv("TASKMOE_SETTINGS", settings.toLocal8Bit());
    const QString empty = m_dir.filePath(QStringLiteral("no-runs.sqlite"));
    const auto offers = [&] {
        ui::MainWindow window;
        window.useSettings(ui::MainWindow::openSettings());
        window.show();
        if (!QTest::qWaitForWindowExposed(&window) || !window.openStore(empty))
            return -1;
        QCoreApplication::processEvents();
        auto *box = window.findChild<QMessageBox *>(QStringLiteral("quickstartOffer"));
        if (box) {
            const bool mentions = box->text().contains(QStringLiteral("quickstart"));
            box->button(QMessageBox::No)->click();   // declined: nothing is queued
            if (!mentions || !window.jobController()->jobs().empty())
                return -2;
        }
        return box ? 1 : 0;
    };
    QCOMPARE(offers(), 1);
    QCOMPARE(offers(), 0);
    qunsetenv("TASKMOE_SETTINGS");
    // Without settings (screenshots, tests) nothing is offered.
    ui::MainWindow window;
    QVERIFY(window.openStore(empty));
    QCoreApplication::processEvents();
    QVERIFY(!window.findChild<QMessageBox *>(QStringLiteral("quickstartOffer")));
}

#include "tst_mainwindow.moc"
