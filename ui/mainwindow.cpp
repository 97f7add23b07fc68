// The main window: menus, the three tabs (datasets, runs, routing) and the wiring between the
// screens, the store controller, the run follower and the job controller. Each screen's own
// logic lives in its folder (ui/datasets, ui/runs, ui/routing); what remains here is wiring,
// which reads best in one place, hence a file somewhat over 800 lines.
#include "ui/mainwindow.h"

#include "db/records.h"
#include "db/store.h"
#include "ui/datasets/datasetmodels.h"
#include "ui/runs/evaluatedialog.h"
#include "ui/jobs/jobcontroller.h"
#include "ui/runs/newrundialog.h"
#include "ui/routing/routingbrowser.h"
#include "ui/subnetworks/subnetworkstab.h"
#include "ui/dashboards/bleudashboard.h"
#include "ui/dashboards/throughputdashboard.h"
#include "ui/playground/playground.h"
#include "ui/jobs/jobsview.h"
#include "ui/runs/runfollower.h"
#include "ui/runs/runmonitor.h"
#include "ui/datasets/pairsizechart.h"
#include "ui/runs/runmodel.h"
#include "ui/common/storecontroller.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QCloseEvent>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPixmap>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSortFilterProxyModel>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace taskmoe::ui {

namespace {

/// How long the quickstart experiment took on the 2-core development machine (README).
QString quickstartDuration() { return QObject::tr("about 40 minutes"); }

QSortFilterProxyModel *makeProxy(QAbstractItemModel *source, QObject *parent)
{
    auto *proxy = new QSortFilterProxyModel(parent);
    proxy->setSourceModel(source);
    proxy->setSortRole(SortRole);
    proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    return proxy;
}

QTableView *makeTableView(QAbstractItemModel *model, const QString &objectName, QWidget *parent)
{
    auto *view = new QTableView(parent);
    view->setObjectName(objectName);
    view->setModel(model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setAlternatingRowColors(true);
    view->setSortingEnabled(true);
    view->setWordWrap(false);
    view->setTextElideMode(Qt::ElideRight);
    view->verticalHeader()->setVisible(false);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    view->horizontalHeader()->setHighlightSections(false);
    view->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    view->horizontalHeader()->setMinimumSectionSize(40);
    return view;
}

/// Sizes every column to its contents, but no wider than `maxWidth`; the `stretch`
/// column takes the remaining width.
void fitColumns(QTableView *view, int stretch, int maxWidth)
{
    QHeaderView *header = view->horizontalHeader();
    for (int c = 0; c < header->count(); ++c) {
        if (c == stretch)
            continue;
        header->setSectionResizeMode(c, QHeaderView::Interactive);
        view->resizeColumnToContents(c);
        header->resizeSection(c, std::min(header->sectionSize(c) + 6, maxWidth));
    }
    if (stretch >= 0)
        header->setSectionResizeMode(stretch, QHeaderView::Stretch);
}

/// "Germanic (Latin): en, de, nl · Slavic (Cyrillic): ru, uk": related languages together.
QString languageSummary(const QVector<db::LanguageRecord> &languages)
{
    QStringList groups;
    QStringList order;
    QHash<QString, QStringList> codesByGroup;
    for (const auto &l : languages) {
        QString group = l.family.isEmpty() ? QObject::tr("Other") : l.family;
        if (!l.script.isEmpty())
            group += QStringLiteral(" (%1)").arg(l.script);
        if (!codesByGroup.contains(group))
            order << group;
        codesByGroup[group] << l.code;
    }
    for (const QString &group : order) {
        groups << QStringLiteral("<b>%1</b>: %2")
                      .arg(group.toHtmlEscaped(),
                           codesByGroup[group].join(QStringLiteral(", ")).toHtmlEscaped());
    }
    return groups.join(QStringLiteral(" &middot; "));
}

QString languageToolTip(const QVector<db::LanguageRecord> &languages)
{
    QStringList lines;
    for (const auto &l : languages) {
        QString line = l.code;
        if (!l.name.isEmpty())
            line += QStringLiteral(" — ") + l.name;
        QStringList traits;
        if (!l.family.isEmpty())
            traits << l.family;
        if (!l.script.isEmpty())
            traits << l.script;
        if (!traits.isEmpty())
            line += QStringLiteral(" (%1)").arg(traits.join(QStringLiteral(", ")));
        lines << line;
    }
    return lines.join(QLatin1Char('\n'));
}

/// "1 dataset", "2 datasets".
QString countOf(qint64 n, const QString &singular, const QString &plural)
{
    return formatCount(n) + QLatin1Char(' ') + (n == 1 ? singular : plural);
}

QLineEdit *makeReadOnlyField(QWidget *parent)
{
    auto *field = new QLineEdit(parent);
    field->setReadOnly(true);
    field->setFrame(false);
    field->setStyleSheet(QStringLiteral("QLineEdit { background: transparent; }"));
    return field;
}

} // namespace

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("TaskMoE Workbench"));

    m_controller = new StoreController(this);
    m_datasetModel = new DatasetTableModel(this);
    m_pairModel = new PairTableModel(this);
    m_runModel = new RunTableModel(this);
    m_datasetProxy = makeProxy(m_datasetModel, this);
    m_pairProxy = makeProxy(m_pairModel, this);
    m_runProxy = makeProxy(m_runModel, this);
    m_jobs = new JobController(this);
    m_follower = new RunFollowerThread(this);

    createActions();

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("tabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(createDatasetsTab(), tr("Datasets"));
    m_tabs->addTab(createRunsTab(), tr("Runs"));
    m_tabs->addTab(createRoutingTab(), tr("Routing"));
    m_subnetworks = new SubnetworksTab(m_controller, m_jobs);
    m_tabs->addTab(m_subnetworks, tr("Sub-networks"));
    m_bleu = new BleuDashboard(m_controller);
    m_tabs->addTab(m_bleu, tr("BLEU"));
    m_throughput = new ThroughputDashboard(m_controller, m_jobs);
    m_tabs->addTab(m_throughput, tr("Throughput"));
    m_playground = new Playground(m_controller, m_jobs->program());
    m_tabs->addTab(m_playground, tr("Playground"));
    m_jobsView = new JobsView(m_jobs);
    m_tabs->addTab(m_jobsView, tr("Jobs"));
    m_quickstart = new Quickstart(m_jobs, this);
    connect(m_quickstart, &Quickstart::finished, this, [this](const QStringList &failed) {
        m_quickstartAction->setEnabled(true);
        reloadStore();
        statusBar()->showMessage(failed.isEmpty() ? tr("The quickstart experiment is done: every tab shows its results.")
                                                  : tr("The quickstart experiment ended; %n job(s) did not finish (Jobs tab).",
                                                       nullptr, int(failed.size())),
                                 30000);
        emit quickstartFinished(failed);
    });
    // Each finished job adds results: read the store again so that every tab shows them.
    connect(m_jobs, &JobController::jobEnded, this, [this] {
        if (m_controller->isOpen())
            reloadStore();
    });
    // Evaluations add statistics while the workbench is open: list them again when shown.
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
        if (m_tabs->widget(index) == m_routing)
            m_routing->refresh();
    });
    setCentralWidget(m_tabs);

    m_countsLabel = new QLabel(this);
    m_countsLabel->setObjectName(QStringLiteral("countsLabel"));
    m_pathLabel = new QLabel(this);
    m_pathLabel->setObjectName(QStringLiteral("pathLabel"));
    m_pathLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    statusBar()->addWidget(m_countsLabel, 1);
    m_evalProgress = new QProgressBar;
    m_evalProgress->setObjectName(QStringLiteral("evalProgress"));
    m_evalProgress->setMaximumWidth(280);
    m_evalProgress->hide();
    statusBar()->addPermanentWidget(m_evalProgress);
    statusBar()->addPermanentWidget(m_pathLabel);

    connect(m_controller, &StoreController::loaded, this, &MainWindow::onLoaded);
    connect(m_controller, &StoreController::failed, this, &MainWindow::onFailed);
    connect(m_datasetView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current, const QModelIndex &) {
                onCurrentDatasetChanged(current);
            });
    connect(m_follower, &RunFollowerThread::listed, this, &MainWindow::onRunsListed);
    connect(m_follower, &RunFollowerThread::changed, m_monitor, &RunMonitor::applyDelta);
    connect(m_runView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::onRunSelectionChanged);
    connect(m_runView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &MainWindow::onRunSelectionChanged);
    connect(m_monitor, &RunMonitor::cancelRequested, this, [this](qint64 runId) {
        m_monitor->cancelButton()->setEnabled(false);
        m_jobs->cancel(runId);
        statusBar()->showMessage(tr("Asking run %1 to write a checkpoint and stop…").arg(runId), 5000);
    });
    connect(m_monitor, &RunMonitor::resumeRequested, this, &MainWindow::resumeRun);
    connect(m_jobs, &JobController::cancelDone, this, [this](qint64 runId, bool ok, const QString &message) {
        if (ok)
            statusBar()->showMessage(tr("Run %1 is writing a checkpoint and stopping.").arg(runId), 5000);
        else
            showError(tr("Could not cancel run %1").arg(runId), message);
        m_follower->pollNow();
    });
    connect(m_jobs, &JobController::jobStarted, this, [this](int job, qint64 runId) {
        // A training job shows its run; extractions and benchmarks stay where they were started.
        const auto found = m_jobs->jobs().find(job);
        if (found == m_jobs->jobs().end() || found->second.kind != protocol::JobKind::Train)
            return;
        if (m_quickstart->jobs().contains(job))
            return;   // the quickstart's runs are followed in the Jobs tab; the tab the user looks at stays
        m_pendingRunSelection = {runId};
        m_follower->pollNow();
    });
    connect(m_jobs, &JobController::jobEnded, this, &MainWindow::onJobEnded);
    connect(m_jobs, &JobController::evalProgress, this,
            [this](int, qint64 runId, int done, int pairs, const QString &pair, double bleu, double chrf) {
                m_evalProgress->setRange(0, std::max(1, pairs));
                m_evalProgress->setValue(done);
                m_evalProgress->setFormat(tr("Evaluating run %1: %v / %m pairs").arg(runId));
                m_evalProgress->show();
                statusBar()->showMessage(tr("Run %1, %2: BLEU %3, chrF %4").arg(runId).arg(pair)
                                             .arg(bleu, 0, 'f', 2).arg(chrf, 0, 'f', 2), 10000);
            });

    resize(1280, 800);
    showDataset(nullptr);
    updateStatus();
}

MainWindow::~MainWindow() = default;

QMessageBox *MainWindow::errorDialog() const
{
    return m_errorDialog.data();
}

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    m_openAction = file->addAction(tr("&Open store…"), this, &MainWindow::chooseStore);
    m_openAction->setShortcut(QKeySequence::Open);
    m_openAction->setStatusTip(tr("Open a TaskMoE store (SQLite file)"));
    m_reloadAction = file->addAction(tr("&Reload"), this, &MainWindow::reloadStore);
    m_reloadAction->setShortcut(QKeySequence::Refresh);
    m_reloadAction->setStatusTip(tr("Read the store again"));
    m_reloadAction->setEnabled(false);
    file->addSeparator();
    m_newRunAction = file->addAction(tr("&New run…"), this, &MainWindow::newRun);
    m_newRunAction->setShortcut(QKeySequence::New);
    m_newRunAction->setStatusTip(tr("Configure a training run and start it as a separate taskmoe process"));
    m_newRunAction->setEnabled(false);
    m_evaluateAction = file->addAction(tr("&Evaluate run…"), this, &MainWindow::evaluateRun);
    m_evaluateAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_evaluateAction->setStatusTip(tr("Translate every language pair's test set with a checkpoint of the selected run: "
                                      "BLEU, chrF and routing statistics into the store"));
    m_evaluateAction->setEnabled(false);
    m_quickstartAction = file->addAction(tr("Run the &quickstart experiment…"), this, [this] {
        const auto answer = QMessageBox::question(
            this, tr("Quickstart experiment"),
            tr("Queue the quickstart experiment in this store? Three models (dense, token-routed, task-routed) train for "
               "%1 minutes each, then they are evaluated, the task-routed model's sub-networks extracted, the token-routed "
               "one pruned, a student distilled and their decoding speed measured — %2 on 2 cores. Every "
               "tab fills with the results; the Jobs tab shows the queue.")
                .arg(Quickstart::Options().minutes)
                .arg(quickstartDuration()));
        if (answer == QMessageBox::Yes)
            startQuickstart();
    });
    m_quickstartAction->setStatusTip(tr("Train, evaluate, extract, prune, distill and benchmark on the quick corpus, as queued jobs"));
    m_quickstartAction->setEnabled(false);
    file->addSeparator();
    m_quitAction = file->addAction(tr("&Quit"), this, &QWidget::close);
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_quitAction->setMenuRole(QAction::QuitRole);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    const QStringList tabNames{tr("&Datasets"), tr("&Runs"), tr("R&outing"), tr("&Sub-networks"), tr("&BLEU"), tr("&Throughput"), tr("&Playground"), tr("&Jobs")};
    for (int i = 0; i < tabNames.size(); ++i) {
        QAction *show = view->addAction(tabNames[i], this, [this, i] { m_tabs->setCurrentIndex(i); });
        show->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        show->setStatusTip(tr("Show the %1 tab").arg(QString(tabNames[i]).remove(QLatin1Char('&'))));
    }

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *keys = help->addAction(tr("&Keyboard shortcuts"), this, [this] {
        QString rows;
        for (const QString &line : shortcutsText().split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
            const QStringList cells = line.split(QLatin1Char('\t'));
            rows += QStringLiteral("<tr><td><b>%1</b></td><td>&nbsp;&nbsp;%2</td></tr>")
                        .arg(cells.value(0).toHtmlEscaped(), cells.value(1).toHtmlEscaped());
        }
        QMessageBox box(QMessageBox::Information, tr("Keyboard shortcuts"), QStringLiteral("<table>%1</table>").arg(rows),
                        QMessageBox::Close, this);
        box.setObjectName(QStringLiteral("shortcutsDialog"));
        box.exec();
    });
    keys->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About TaskMoE Workbench"), this, [this] {
        QMessageBox::about(this, tr("About TaskMoE Workbench"),
                           tr("<p><b>TaskMoE Workbench</b> %1</p>"
                              "<p>Train multilingual mixture-of-experts translation models, "
                              "see where tokens are routed, extract per-task sub-networks "
                              "and compare them.</p>")
                               .arg(QApplication::applicationVersion()));
    });
}

QString MainWindow::shortcutsText() const
{
    QStringList lines;
    for (const QAction *menu : menuBar()->actions()) {
        if (!menu->menu())
            continue;
        for (const QAction *action : menu->menu()->actions())
            if (!action->shortcut().isEmpty())
                lines << QStringLiteral("%1\t%2 → %3")
                             .arg(action->shortcut().toString(QKeySequence::NativeText),
                                  QString(menu->text()).remove(QLatin1Char('&')),
                                  QString(action->text()).remove(QLatin1Char('&')).remove(QStringLiteral("…")));
    }
    return lines.join(QLatin1Char('\n'));
}

std::unique_ptr<QSettings> MainWindow::openSettings()
{
    const QString file = qEnvironmentVariable("TASKMOE_SETTINGS");
    if (!file.isEmpty())
        return std::make_unique<QSettings>(file, QSettings::IniFormat);
    return std::make_unique<QSettings>(QStringLiteral("taskmoe"), QStringLiteral("taskmoe-workbench"));
}

QString MainWindow::lastStore(const QSettings &settings)
{
    return settings.value(QStringLiteral("store/last")).toString();
}

void MainWindow::useSettings(std::unique_ptr<QSettings> settings)
{
    m_settings = std::move(settings);
    if (m_settings)
        restoreSettings(*m_settings);
}

void MainWindow::saveSettings(QSettings &settings) const
{
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/tab"), m_tabs->currentIndex());
    for (const QSplitter *splitter : findChildren<QSplitter *>())
        if (!splitter->objectName().isEmpty())
            settings.setValue(QStringLiteral("splitters/%1").arg(splitter->objectName()), splitter->saveState());
    if (!m_controller->path().isEmpty())
        settings.setValue(QStringLiteral("store/last"), m_controller->path());
    settings.sync();
}

void MainWindow::restoreSettings(const QSettings &settings)
{
    // What cannot be restored (a geometry from another screen, an unknown splitter) stays as built.
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    for (QSplitter *splitter : findChildren<QSplitter *>()) {
        const QString key = QStringLiteral("splitters/%1").arg(splitter->objectName());
        if (!splitter->objectName().isEmpty() && settings.contains(key))
            splitter->restoreState(settings.value(key).toByteArray());
    }
    const int tab = settings.value(QStringLiteral("window/tab"), -1).toInt();
    if (tab >= 0 && tab < m_tabs->count())
        m_tabs->setCurrentIndex(tab);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_settings)
        saveSettings(*m_settings);
    QMainWindow::closeEvent(event);
}

QWidget *MainWindow::createDatasetsTab()
{
    m_verticalSplitter = new QSplitter(Qt::Vertical);
    m_verticalSplitter->setObjectName(QStringLiteral("datasetsSplitter"));
    m_verticalSplitter->setChildrenCollapsible(false);

    m_datasetView = makeTableView(m_datasetProxy, QStringLiteral("datasetView"), m_verticalSplitter);
    m_datasetView->sortByColumn(DatasetTableModel::IdColumn, Qt::AscendingOrder);
    m_datasetView->setMinimumHeight(120);
    m_verticalSplitter->addWidget(m_datasetView);

    m_horizontalSplitter = new QSplitter(Qt::Horizontal, m_verticalSplitter);
    m_horizontalSplitter->setObjectName(QStringLiteral("datasetDetailSplitter"));
    m_horizontalSplitter->setChildrenCollapsible(false);

    auto *left = new QWidget(m_horizontalSplitter);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 6, 0, 0);
    leftLayout->addWidget(createDetailsPanel());

    auto *pairsBox = new QGroupBox(tr("Language pairs"), left);
    auto *pairsLayout = new QVBoxLayout(pairsBox);
    pairsLayout->setContentsMargins(6, 6, 6, 6);
    m_pairView = makeTableView(m_pairProxy, QStringLiteral("pairView"), pairsBox);
    m_pairView->sortByColumn(PairTableModel::TrainColumn, Qt::DescendingOrder);
    pairsLayout->addWidget(m_pairView);
    leftLayout->addWidget(pairsBox, 1);
    left->setMinimumWidth(360);

    m_chart = new PairSizeChart(m_horizontalSplitter);
    m_chart->setObjectName(QStringLiteral("pairSizeChart"));

    m_horizontalSplitter->addWidget(left);
    m_horizontalSplitter->addWidget(m_chart);
    m_horizontalSplitter->setStretchFactor(0, 0);
    m_horizontalSplitter->setStretchFactor(1, 1);
    m_horizontalSplitter->setSizes({540, 740});

    m_verticalSplitter->addWidget(m_horizontalSplitter);
    m_verticalSplitter->setStretchFactor(0, 0);
    m_verticalSplitter->setStretchFactor(1, 1);
    m_verticalSplitter->setSizes({150, 600});

    auto *page = new QWidget;
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_verticalSplitter);
    return page;
}

QWidget *MainWindow::createDetailsPanel()
{
    auto *box = new QGroupBox(tr("Dataset"));
    box->setObjectName(QStringLiteral("detailsPanel"));
    auto *form = new QFormLayout(box);
    form->setContentsMargins(8, 6, 8, 6);
    form->setVerticalSpacing(3);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setLabelAlignment(Qt::AlignLeft | Qt::AlignTop);
    form->setRowWrapPolicy(QFormLayout::DontWrapRows);

    m_detailName = new QLabel(box);
    m_detailName->setObjectName(QStringLiteral("detailName"));
    m_detailName->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detailName->setTextFormat(Qt::RichText);   // names are escaped before display
    QFont bold = m_detailName->font();
    bold.setBold(true);
    m_detailName->setFont(bold);
    m_detailKind = new QLabel(box);
    m_detailSource = makeReadOnlyField(box);
    m_detailSource->setObjectName(QStringLiteral("detailSource"));
    m_detailFingerprint = makeReadOnlyField(box);
    m_detailFingerprint->setObjectName(QStringLiteral("detailFingerprint"));
    QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    fixed.setPointSizeF(fixed.pointSizeF() * 0.9);   // all 64 hex digits in the panel's width
    m_detailFingerprint->setFont(fixed);
    m_detailCreated = new QLabel(box);
    m_detailLanguages = new QLabel(box);
    m_detailLanguages->setObjectName(QStringLiteral("detailLanguages"));
    m_detailLanguages->setWordWrap(true);
    m_detailLanguages->setTextFormat(Qt::RichText);
    m_detailLanguages->setAlignment(Qt::AlignLeft | Qt::AlignTop);

    form->addRow(tr("Name:"), m_detailName);
    form->addRow(tr("Kind:"), m_detailKind);
    form->addRow(tr("Source:"), m_detailSource);
    form->addRow(tr("Fingerprint:"), m_detailFingerprint);
    form->addRow(tr("Created:"), m_detailCreated);
    form->addRow(tr("Languages:"), m_detailLanguages);
    return box;
}

QWidget *MainWindow::createRunsTab()
{
    m_runStack = new QStackedWidget;
    m_runStack->setObjectName(QStringLiteral("runStack"));

    m_noRunsLabel = new QLabel(m_runStack);   // text set by updateStatus()
    m_noRunsLabel->setObjectName(QStringLiteral("noRunsLabel"));
    m_noRunsLabel->setAlignment(Qt::AlignCenter);
    m_noRunsLabel->setWordWrap(true);
    m_noRunsLabel->setEnabled(false);   // the palette's muted text colour

    m_runView = makeTableView(m_runProxy, QStringLiteral("runView"), m_runStack);
    m_runView->sortByColumn(RunTableModel::IdColumn, Qt::DescendingOrder);

    m_runView->setSelectionMode(QAbstractItemView::ExtendedSelection);   // several runs: overlaid curves
    m_runView->setToolTip(tr("Select several runs (Ctrl or Shift) to overlay their curves."));
    m_runView->setMinimumHeight(110);

    m_runStack->addWidget(m_noRunsLabel);
    m_runStack->addWidget(m_runView);

    m_monitor = new RunMonitor;
    m_monitor->setObjectName(QStringLiteral("runMonitor"));

    auto *newRunButton = new QPushButton(tr("New run…"));
    newRunButton->setObjectName(QStringLiteral("newRunButton"));
    newRunButton->setToolTip(m_newRunAction->statusTip());
    connect(newRunButton, &QPushButton::clicked, m_newRunAction, &QAction::trigger);
    connect(m_newRunAction, &QAction::changed, newRunButton,
            [this, newRunButton] { newRunButton->setEnabled(m_newRunAction->isEnabled()); });
    newRunButton->setEnabled(false);

    auto *evaluateButton = new QPushButton(tr("Evaluate…"));
    evaluateButton->setObjectName(QStringLiteral("evaluateButton"));
    evaluateButton->setToolTip(m_evaluateAction->statusTip());
    connect(evaluateButton, &QPushButton::clicked, m_evaluateAction, &QAction::trigger);
    connect(m_evaluateAction, &QAction::changed, evaluateButton,
            [this, evaluateButton] { evaluateButton->setEnabled(m_evaluateAction->isEnabled()); });
    evaluateButton->setEnabled(false);

    auto *top = new QWidget;
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(newRunButton);
    buttons->addWidget(evaluateButton);
    buttons->addStretch(1);
    topLayout->addLayout(buttons);
    topLayout->addWidget(m_runStack);

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->setObjectName(QStringLiteral("runsSplitter"));
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(top);
    splitter->addWidget(m_monitor);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 4);
    splitter->setSizes({200, 800});

    auto *page = new QWidget;
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(splitter);
    return page;
}

QWidget *MainWindow::createRoutingTab()
{
    m_routing = new RoutingBrowser;
    m_routing->setObjectName(QStringLiteral("routingBrowser"));
    connect(m_routing, &RoutingBrowser::failed, this, [this](const QString &message) {
        statusBar()->showMessage(tr("Routing statistics: %1").arg(message), 10000);
    });
    return m_routing;
}

QStringList MainWindow::tabKeys()
{
    return {QStringLiteral("datasets"), QStringLiteral("runs"), QStringLiteral("routing"), QStringLiteral("subnetworks"),
            QStringLiteral("bleu"), QStringLiteral("throughput"), QStringLiteral("playground"),
            QStringLiteral("jobs")};
}

bool MainWindow::showTab(const QString &name)
{
    const int index = int(tabKeys().indexOf(name.trimmed().toLower()));
    if (index < 0)
        return false;
    m_tabs->setCurrentIndex(index);
    return true;
}

bool MainWindow::showRoutingStatSet(qint64 modelId, qint64 step)
{
    m_tabs->setCurrentWidget(m_routing);
    return m_routing->selectStatSet(modelId, step);
}

bool MainWindow::showRunRouting(qint64 runId, qint64 step)
{
    if (step == kBestCheckpoint) {
        step = -1;   // the newest recorded, when the run has no best checkpoint
        try {
            const db::Store store(m_jobs->storePath());
            if (const auto best = store.bestCheckpoint(runId))
                step = best->first.step;
            else
                statusBar()->showMessage(tr("Run %1 has no checkpoint with a dev BLEU: showing its newest routing "
                                            "statistics").arg(runId), 10000);
        } catch (const db::StoreError &e) {
            showError(tr("Cannot read run %1").arg(runId), e.message());
        }
    }
    m_tabs->setCurrentWidget(m_routing);
    return m_routing->selectRunStatSet(runId, step);
}

bool MainWindow::openStore(const QString &path)
{
    m_wantedDatasetId = 0;
    return m_controller->open(path);
}

bool MainWindow::saveScreenshot(const QString &path, QString *error)
{
    const auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    QByteArray format = QFileInfo(path).suffix().toLower().toLatin1();
    if (format.isEmpty())
        format = "png";
    m_monitor->redrawNow();   // plots replot on the event loop; draw what they show now
    m_routing->redrawNow();
    const QPixmap image = grab();
    if (image.isNull())
        return fail(tr("The window could not be drawn."));
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(tr("Cannot write %1: %2").arg(path, file.errorString()));
    if (!image.save(&file, format.constData()))
        return fail(tr("Cannot encode %1 as %2.").arg(path, QString::fromLatin1(format)));
    if (!file.commit())
        return fail(tr("Cannot write %1: %2").arg(path, file.errorString()));
    return true;
}

void MainWindow::chooseStore()
{
    QString dir = QDir::homePath();
    if (m_controller->isOpen())
        dir = QFileInfo(m_controller->path()).absolutePath();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open store"), dir,
        tr("TaskMoE stores (*.sqlite *.sqlite3 *.db);;All files (*)"));
    if (!path.isEmpty())
        openStore(path);
}

void MainWindow::reloadStore()
{
    m_wantedDatasetId = currentDatasetId();
    m_controller->reload();
}

bool MainWindow::selectDataset(qint64 id)
{
    const int sourceRow = m_datasetModel->rowOfId(id);
    if (sourceRow < 0)
        return false;
    const QModelIndex index = m_datasetProxy->mapFromSource(m_datasetModel->index(sourceRow, 0));
    if (!index.isValid())
        return false;
    m_datasetView->selectionModel()->setCurrentIndex(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_datasetView->scrollTo(index);
    return true;
}

qint64 MainWindow::currentDatasetId() const
{
    const QModelIndex current = m_datasetView->selectionModel()->currentIndex();
    if (!current.isValid())
        return 0;
    return current.siblingAtColumn(0).data(IdRole).toLongLong();
}

void MainWindow::onLoaded()
{
    const auto &datasets = m_controller->datasets();
    const auto &runs = m_controller->runs();
    m_datasetModel->setDatasets(datasets);
    m_runModel->setRuns(runs);

    fitColumns(m_datasetView, DatasetTableModel::LanguagesColumn, 280);
    fitColumns(m_runView, RunTableModel::NameColumn, 240);
    m_runStack->setCurrentWidget(runs.empty() ? static_cast<QWidget *>(m_noRunsLabel)
                                              : static_cast<QWidget *>(m_runView));

    // Restore the selection after a reload, else select the first dataset shown.
    if (!(m_wantedDatasetId > 0 && selectDataset(m_wantedDatasetId))) {
        if (m_datasetProxy->rowCount() > 0) {
            const QModelIndex first = m_datasetProxy->index(0, 0);
            m_datasetView->selectionModel()->setCurrentIndex(
                first, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        } else {
            showDataset(nullptr);
        }
    }
    // A reset does not always report a changed current row: show what is selected now.
    onCurrentDatasetChanged(m_datasetView->selectionModel()->currentIndex());
    m_wantedDatasetId = 0;

    m_reloadAction->setEnabled(m_controller->isOpen());
    m_newRunAction->setEnabled(m_controller->isOpen());
    m_jobs->setStorePath(m_controller->path());
    m_quickstartAction->setEnabled(m_controller->isOpen() && !m_quickstart->isRunning());
    if (m_pendingQuickstart && m_controller->isOpen()) {
        m_pendingQuickstart = false;
        if (m_controller->runs().empty())
            startQuickstart(m_pendingQuickstartOptions);
        else
            statusBar()->showMessage(tr("This store has runs already: the quickstart experiment was not queued (File menu "
                                        "runs it anyway)."), 15000);
    } else if (m_settings && m_controller->isOpen() && m_controller->runs().empty() && !m_quickstart->isRunning()) {
        offerQuickstart();
    }
    m_follower->open(m_controller->path());
    m_monitor->setStorePath(m_controller->path());
    m_routing->openStore(m_controller->path());
    updateStatus();
    emit storeLoaded();
}

void MainWindow::onFailed(const QString &message)
{
    m_datasetModel->clear();
    m_runModel->clear();
    m_runStack->setCurrentWidget(m_noRunsLabel);
    showDataset(nullptr);
    m_reloadAction->setEnabled(false);
    m_newRunAction->setEnabled(false);
    m_follower->open(QString());
    m_monitor->showRuns({});
    m_routing->openStore(QString());
    updateStatus();
    showError(tr("Could not open the store"), message);
    emit storeFailed(message);
}

void MainWindow::onRunsListed(const RunListing &listing)
{
    m_runModel->updateRuns(listing.runs, listing.lastSteps, listing.best);
    m_runStack->setCurrentWidget(listing.runs.empty() ? static_cast<QWidget *>(m_noRunsLabel)
                                                      : static_cast<QWidget *>(m_runView));
    if (!m_pendingRunSelection.isEmpty() && selectRuns(m_pendingRunSelection))
        m_pendingRunSelection.clear();
    updateEvaluateAction();
}

void MainWindow::updateEvaluateAction()
{
    const auto ids = m_monitor->runIds();
    bool ok = m_controller->isOpen() && ids.size() == 1;
    if (ok) {
        const int row = m_runModel->rowOfId(ids.front());
        const db::RunRecord *run = row < 0 ? nullptr : m_runModel->run(row);
        ok = run && !db::isActive(run->status);
    }
    m_evaluateAction->setEnabled(ok);
}

void MainWindow::evaluateRun()
{
    const auto ids = m_monitor->runIds();
    if (!m_controller->isOpen() || ids.size() != 1)
        return;
    const qint64 runId = ids.front();
    QVector<qint64> steps;
    QString name;
    qint64 bestStep = -1;
    double bestBleu = 0;
    try {
        const db::Store store(m_jobs->storePath());   // three small queries
        name = store.run(runId).name;
        for (const auto &c : store.checkpoints(runId))
            steps << c.step;
        if (const auto best = store.bestCheckpoint(runId)) {
            bestStep = best->first.step;
            bestBleu = best->second;
        }
    } catch (const db::StoreError &e) {
        showError(tr("Cannot evaluate run %1").arg(runId), e.message());
        return;
    }
    if (steps.isEmpty()) {
        showError(tr("Cannot evaluate run %1").arg(runId),
                  tr("Run %1 has no checkpoints yet: a run writes one every train.checkpoint_every steps and when it stops.").arg(runId));
        return;
    }
    EvaluateDialog dialog(runId, name, steps, this, bestStep, bestBleu);
    if (dialog.exec() != QDialog::Accepted)
        return;
    QString error;
    if (m_jobs->startEvaluation(dialog.request(), &error) == 0) {
        showError(tr("Could not start the evaluation"), error);
        return;
    }
    m_evalProgress->setRange(0, 0);   // busy until the first pair is done
    m_evalProgress->setFormat(tr("Evaluating run %1…").arg(runId));
    m_evalProgress->show();
    statusBar()->showMessage(tr("Evaluating run %1…").arg(runId), 5000);
}

void MainWindow::onJobEnded(int job, qint64 runId, JobController::JobState state, const QString &message)
{
    using State = JobController::JobState;
    m_follower->pollNow();
    const auto found = m_jobs->jobs().find(job);
    const auto kind = found != m_jobs->jobs().end() ? found->second.kind : protocol::JobKind::Train;
    if (m_quickstart->jobs().contains(job) && found != m_jobs->jobs().end()) {
        // The quickstart's jobs neither switch tabs nor open dialogs: the Jobs tab follows them
        // and the end of the experiment says what did not finish.
        statusBar()->showMessage(tr("%1: %2").arg(found->second.title, JobController::stateName(state)), 10000);
        return;
    }
    if (kind == protocol::JobKind::Extract || kind == protocol::JobKind::Bench) {
        // The Sub-networks tab follows these jobs and reads their results itself.
        const bool extract = kind == protocol::JobKind::Extract;
        if (state != State::Finished)
            showError(extract ? tr("The extraction did not finish") : tr("The benchmark did not finish"), message);
        else
            statusBar()->showMessage(extract ? tr("Sub-networks of run %1 extracted and registered.").arg(runId)
                                             : tr("Decoding throughput measured and stored."), 10000);
        return;
    }
    const bool eval = kind == protocol::JobKind::Eval;
    if (eval && found->second.modelId > 0) {
        bool others = false;
        for (const auto &[id, j] : m_jobs->jobs())
            others = others || (j.kind == protocol::JobKind::Eval && JobController::isActive(j.state));
        m_evalProgress->setVisible(others);
        if (state != State::Finished)
            showError(tr("The evaluation did not finish"), message);
        else
            statusBar()->showMessage(tr("Model %1 evaluated: its scores are in the store.").arg(found->second.modelId), 10000);
        return;
    }
    if (eval) {
        bool others = false;
        for (const auto &[id, j] : m_jobs->jobs())
            others = others || (j.kind == protocol::JobKind::Eval && JobController::isActive(j.state));
        m_evalProgress->setVisible(others);
        if (state != State::Finished) {
            showError(tr("The evaluation did not finish"), message);
            return;
        }
        statusBar()->showMessage(tr("Run %1 evaluated: scores and routing statistics are in the store.").arg(runId), 10000);
        m_routing->refresh();
        showRunRouting(runId);
        return;
    }
    const QString status = JobController::stateName(state);
    if (runId == 0)
        showError(tr("The training job did not start"), message);
    else if (state == State::Failed || state == State::Interrupted)
        statusBar()->showMessage(tr("Run %1 %2: %3").arg(runId).arg(status, message), 10000);
    else
        statusBar()->showMessage(tr("Run %1 %2.").arg(runId).arg(status), 10000);
}

void MainWindow::onRunSelectionChanged()
{
    // The current row first (it drives the progress bar, buttons and log), then the others
    // in the order shown.
    QVector<qint64> ids;
    const QModelIndex current = m_runView->selectionModel()->currentIndex();
    if (current.isValid() && m_runView->selectionModel()->isRowSelected(current.row(), current.parent()))
        ids << current.siblingAtColumn(0).data(IdRole).toLongLong();
    QModelIndexList rows = m_runView->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    for (const QModelIndex &row : rows) {
        const qint64 id = row.data(IdRole).toLongLong();
        if (!ids.contains(id))
            ids << id;
    }
    if (ids == m_monitor->runIds())
        return;
    m_monitor->showRuns(ids);
    m_follower->watch(ids);
    updateEvaluateAction();
}

bool MainWindow::selectRuns(const QList<qint64> &runIds)
{
    QItemSelection selection;
    QModelIndex first;
    for (qint64 id : runIds) {
        const int row = m_runModel->rowOfId(id);
        if (row < 0)
            return false;
        const QModelIndex index = m_runProxy->mapFromSource(m_runModel->index(row, 0));
        selection.select(index, index.siblingAtColumn(m_runProxy->columnCount() - 1));
        if (!first.isValid())
            first = index;
    }
    m_tabs->setCurrentIndex(1);
    m_runView->selectionModel()->setCurrentIndex(first, QItemSelectionModel::NoUpdate);
    m_runView->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    m_runView->scrollTo(first);
    onRunSelectionChanged();
    return true;
}

void MainWindow::selectRunsWhenListed(const QList<qint64> &runIds)
{
    m_pendingRunSelection = selectRuns(runIds) ? QList<qint64>() : runIds;
}

void MainWindow::newRun()
{
    if (!m_controller->isOpen())
        return;
    NewRunDialog dialog(m_controller->datasets(), this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    QString error;
    if (m_jobs->startTraining(dialog.configJson(), dialog.runName(), &error, dialog.processes()) == 0)
        showError(tr("Could not start the training job"), error);
    else
        statusBar()->showMessage(tr("Starting the training job…"), 5000);
}

void MainWindow::resumeRun(qint64 runId)
{
    m_monitor->resumeButton()->setEnabled(false);
    QString error;
    if (m_jobs->resume(runId, &error) == 0)
        showError(tr("Could not resume run %1").arg(runId), error);
    else
        statusBar()->showMessage(tr("Resuming run %1 from its last good checkpoint…").arg(runId), 5000);
}

void MainWindow::onCurrentDatasetChanged(const QModelIndex &current)
{
    if (!current.isValid()) {
        showDataset(nullptr);
        return;
    }
    const QModelIndex source = m_datasetProxy->mapToSource(current);
    showDataset(m_datasetModel->dataset(source.row()));
}

void MainWindow::showDataset(const db::DatasetRecord *dataset)
{
    if (!dataset) {
        m_pairModel->clear();
        m_chart->clear();
        const QString none = QStringLiteral("—");
        m_detailName->setText(m_controller->isOpen() && m_datasetModel->rowCount() == 0
                                  ? tr("No datasets yet — import one with "
                                       "<code>taskmoe corpus</code>")
                                  : none);
        m_detailKind->setText(none);
        m_detailSource->setText(QString());
        m_detailFingerprint->setText(QString());
        m_detailCreated->setText(none);
        m_detailLanguages->setText(none);
        m_detailLanguages->setToolTip(QString());
        return;
    }
    m_pairModel->setPairs(
        std::vector<db::DatasetPairRecord>(dataset->pairs.begin(), dataset->pairs.end()),
        dataset->resourceThreshold);
    fitColumns(m_pairView, PairTableModel::ResourceClassColumn, 160);
    m_chart->setDataset(*dataset);

    m_detailName->setText(dataset->name.toHtmlEscaped());
    m_detailKind->setText(dataset->kind);
    m_detailSource->setText(dataset->source);
    m_detailSource->setCursorPosition(0);
    m_detailSource->setToolTip(dataset->source);
    m_detailFingerprint->setText(dataset->fingerprint);
    m_detailFingerprint->setCursorPosition(0);
    m_detailFingerprint->setToolTip(tr("SHA-256 of the dataset's content"));
    m_detailCreated->setText(formatTimestamp(dataset->createdAt));
    m_detailLanguages->setText(
        countOf(dataset->languages.size(), tr("language"), tr("languages")) + QStringLiteral(": ")
        + languageSummary(dataset->languages));
    m_detailLanguages->setToolTip(languageToolTip(dataset->languages));
}

void MainWindow::updateStatus()
{
    m_noRunsLabel->setText(
        m_controller->isOpen()
            ? tr("<p style='font-size:large'>No runs yet</p>"
                 "<p>Start one with New run… or <code>taskmoe train</code>; "
                 "runs appear here with their status and timing.</p>")
            : tr("<p style='font-size:large'>No store open</p>"
                 "<p>Open one with File → Open store….</p>"));
    if (!m_controller->isOpen()) {
        m_countsLabel->setText(tr("No store open"));
        m_pathLabel->setText(QString());
        m_pathLabel->setToolTip(QString());
        setWindowTitle(tr("TaskMoE Workbench"));
        return;
    }
    qint64 pairs = 0;
    for (const auto &d : m_controller->datasets())
        pairs += d.pairs.size();
    const auto datasetCount = static_cast<qint64>(m_controller->datasets().size());
    const auto runCount = static_cast<qint64>(m_controller->runs().size());
    m_countsLabel->setText(countOf(datasetCount, tr("dataset"), tr("datasets"))
                           + QStringLiteral(" · ")
                           + countOf(pairs, tr("language pair"), tr("language pairs"))
                           + QStringLiteral(" · ") + countOf(runCount, tr("run"), tr("runs")));
    const QString path = QDir::toNativeSeparators(m_controller->path());
    m_pathLabel->setText(tr("Store: %1").arg(path));
    m_pathLabel->setToolTip(path);
    setWindowTitle(tr("%1 — TaskMoE Workbench").arg(QFileInfo(path).fileName()));
}

void MainWindow::showError(const QString &title, const QString &message)
{
    // One dialog at a time: a second failure replaces the first.
    if (m_errorDialog)
        m_errorDialog->close();
    auto *box = new QMessageBox(QMessageBox::Critical, title, title, QMessageBox::Ok, this);
    box->setObjectName(QStringLiteral("storeErrorDialog"));
    box->setInformativeText(message);
    box->setAttribute(Qt::WA_DeleteOnClose);
    // Window-modal and non-blocking: no nested event loop, the window stays consistent
    // behind it, and tests can find and close it.
    box->open();
    m_errorDialog = box;
}

bool MainWindow::startQuickstart(const Quickstart::Options &options, QString *error)
{
    QString why;
    if (!m_quickstart->start(options, &why)) {
        if (error)
            *error = why;
        statusBar()->showMessage(tr("Cannot start the quickstart experiment: %1").arg(why), 15000);
        return false;
    }
    m_quickstartAction->setEnabled(false);
    m_tabs->setCurrentWidget(m_jobsView);
    statusBar()->showMessage(tr("The quickstart experiment is queued: %n jobs so far (more follow as they finish).", nullptr,
                                int(m_quickstart->jobs().size())),
                             15000);
    return true;
}

void MainWindow::startQuickstartWhenLoaded(const Quickstart::Options &options)
{
    m_pendingQuickstart = true;
    m_pendingQuickstartOptions = options;
    if (m_controller->isOpen() && !m_controller->path().isEmpty())
        onLoaded();
}

void MainWindow::offerQuickstart()
{
    // Once per store: a researcher who said no is not asked again.
    const QString key = QStringLiteral("quickstart/offered/%1").arg(QString::fromLatin1(m_controller->path().toUtf8().toBase64()));
    if (m_settings->value(key).toBool())
        return;
    m_settings->setValue(key, true);
    auto *box = new QMessageBox(QMessageBox::Question, tr("An empty store"),
                                tr("This store has no runs yet. Run the quickstart experiment? It trains a dense, a "
                                   "token-routed and a task-routed model for %1 minutes each, evaluates them, extracts "
                                   "sub-networks, prunes, distills a student and measures decoding speed — %2 "
                                   "on 2 cores, as jobs you can watch in the Jobs tab. Every tab fills with "
                                   "real results.")
                                    .arg(Quickstart::Options().minutes)
                                    .arg(quickstartDuration()),
                                QMessageBox::Yes | QMessageBox::No, this);
    box->setObjectName(QStringLiteral("quickstartOffer"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::WindowModal);
    connect(box, &QMessageBox::finished, this, [this](int result) {
        if (result == QMessageBox::Yes)
            startQuickstart();
    });
    box->open();
}

} // namespace taskmoe::ui
