#include "ui/mainwindow.h"

#include "db/records.h"
#include "ui/datasetmodels.h"
#include "ui/pairsizechart.h"
#include "ui/runmodel.h"
#include "ui/storecontroller.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPixmap>
#include <QSaveFile>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>

namespace taskmoe::ui {

namespace {

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

    createActions();

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("tabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->addTab(createDatasetsTab(), tr("Datasets"));
    m_tabs->addTab(createRunsTab(), tr("Runs"));
    setCentralWidget(m_tabs);

    m_countsLabel = new QLabel(this);
    m_countsLabel->setObjectName(QStringLiteral("countsLabel"));
    m_pathLabel = new QLabel(this);
    m_pathLabel->setObjectName(QStringLiteral("pathLabel"));
    m_pathLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    statusBar()->addWidget(m_countsLabel, 1);
    statusBar()->addPermanentWidget(m_pathLabel);

    connect(m_controller, &StoreController::loaded, this, &MainWindow::onLoaded);
    connect(m_controller, &StoreController::failed, this, &MainWindow::onFailed);
    connect(m_datasetView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current, const QModelIndex &) {
                onCurrentDatasetChanged(current);
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
    m_quitAction = file->addAction(tr("&Quit"), this, &QWidget::close);
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_quitAction->setMenuRole(QAction::QuitRole);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About TaskMoE Workbench"), this, [this] {
        QMessageBox::about(this, tr("About TaskMoE Workbench"),
                           tr("<p><b>TaskMoE Workbench</b> %1</p>"
                              "<p>Train multilingual mixture-of-experts translation models, "
                              "see where tokens are routed, extract per-task sub-networks "
                              "and compare them.</p>")
                               .arg(QApplication::applicationVersion()));
    });
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

    m_runStack->addWidget(m_noRunsLabel);
    m_runStack->addWidget(m_runView);

    auto *page = new QWidget;
    auto *layout = new QVBoxLayout(page);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_runStack);
    return page;
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
    updateStatus();
    showError(tr("Could not open the store"), message);
    emit storeFailed(message);
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
                 "<p>Start one with <code>taskmoe train</code> (coming soon); "
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

} // namespace taskmoe::ui
