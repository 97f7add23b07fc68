// taskmoe-workbench: the GUI. Option parsing and wiring only; the window lives in ui/.
#include "db/store.h"
#include "ui/dashboards/bleudashboard.h"
#include "ui/mainwindow.h"
#include "ui/routing/routingbrowser.h"
#include "ui/runs/runmonitor.h"
#include "ui/playground/playground.h"
#include <QLineEdit>
#include "ui/common/storecontroller.h"
#include "ui/subnetworks/subnetworkstab.h"

#include <QApplication>
#include <QComboBox>
#include <QCommandLineParser>
#include <QFile>
#include <QFileInfo>
#include <QSettings>
#include <QTimer>

#include <cstdio>
#include <memory>

namespace {

void loadStyleSheet(QApplication &app)
{
    QFile file(QStringLiteral(":/taskmoe/style.qss"));
    if (file.open(QIODevice::ReadOnly | QIODevice::Text))
        app.setStyleSheet(QString::fromUtf8(file.readAll()));
}

void printError(const QString &message)
{
    std::fprintf(stderr, "taskmoe-workbench: %s\n", qUtf8Printable(message));
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("taskmoe-workbench"));
    QApplication::setApplicationVersion(QStringLiteral(TASKMOE_VERSION));
    Q_INIT_RESOURCE(resources);   // the resources live in the static taskmoe_ui library

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("TaskMoE Workbench: datasets, runs and routing of task-level "
                       "mixture-of-experts translation models."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QString defaultStore = taskmoe::db::Store::defaultPath();
    const QCommandLineOption dbOption(
        QStringLiteral("db"),
        QStringLiteral("The store (SQLite file) to open; created when missing. Default: the store open when the "
                       "workbench was last closed, else %1 ($TASKMOE_DB when set).")
            .arg(defaultStore),
        QStringLiteral("path"), defaultStore);
    const QCommandLineOption screenshotOption(
        QStringLiteral("screenshot"),
        QStringLiteral("Save an image of the window to <file> once it has loaded, then exit."),
        QStringLiteral("file"));
    const QCommandLineOption runsOption(
        QStringLiteral("runs"),
        QStringLiteral("Show the Runs tab with these runs selected (comma-separated ids; the first is the current one)."),
        QStringLiteral("ids"));
    const QCommandLineOption groupOption(
        QStringLiteral("group-by"),
        QStringLiteral("Group the selected runs' curves (with --runs) and the BLEU tab's dev BLEU curves by this "
                       "configuration key (e.g. model.decoder_routing)."),
        QStringLiteral("key"));
    const QCommandLineOption playgroundOption(
        QStringLiteral("playground"),
        QStringLiteral("Show the Playground tab translating <text> into <lang> with run <run>'s best checkpoint."),
        QStringLiteral("run:lang:text"));
    const QCommandLineOption quickstartOption(
        QStringLiteral("quickstart"),
        QStringLiteral("Queue the quickstart experiment when the store has no runs yet (dense, token-routed and task-routed "
                       "models trained <minutes> each, evaluated, extracted, pruned, a student, a benchmark)."),
        QStringLiteral("minutes"));
    const QCommandLineOption exitOption(
        QStringLiteral("exit-when-done"),
        QStringLiteral("With --quickstart: quit when its last job has ended (after --screenshot), with status 1 if one failed."));
    const QCommandLineOption delayOption(
        QStringLiteral("screenshot-delay"),
        QStringLiteral("With --screenshot: wait this many seconds first (to show a live run's progress)."),
        QStringLiteral("seconds"), QStringLiteral("0"));
    const QCommandLineOption tabOption(
        QStringLiteral("tab"),
        QStringLiteral("Open on this tab: %1.").arg(taskmoe::ui::MainWindow::tabKeys().join(QStringLiteral(", "))),
        QStringLiteral("name"));
    const QCommandLineOption routingOption(
        QStringLiteral("routing"),
        QStringLiteral("Show the Routing tab with the routing statistics of run <run> (the newest recorded, those "
                       "of step <step>, or of the checkpoint with the best dev BLEU for 'best')."),
        QStringLiteral("run[:step|:best]"));
    const QCommandLineOption sideOption(
        QStringLiteral("routing-side"), QStringLiteral("With --routing: encoder or decoder (default: the first present)."),
        QStringLiteral("side"));
    const QCommandLineOption orderOption(
        QStringLiteral("routing-order"), QStringLiteral("With --routing: order rows by name, size or cluster."),
        QStringLiteral("order"));
    const QCommandLineOption subnetworksOption(
        QStringLiteral("subnetworks"),
        QStringLiteral("Show the Sub-networks tab for run <run> (with run <dense> as the dense baseline)."),
        QStringLiteral("run[:dense]"));
    parser.addOption(subnetworksOption);
    parser.addOption(dbOption);
    parser.addOption(tabOption);
    parser.addOption(routingOption);
    parser.addOption(sideOption);
    parser.addOption(orderOption);
    parser.addOption(screenshotOption);
    parser.addOption(runsOption);
    parser.addOption(groupOption);
    parser.addOption(playgroundOption);
    parser.addOption(quickstartOption);
    parser.addOption(exitOption);
    parser.addOption(delayOption);
    // parse() rather than process(): process() exits with status 1 on an unknown option,
    // and a usage error is status 2 in every TaskMoE program.
    if (!parser.parse(QApplication::arguments())) {
        QString error = parser.errorText();
        if (error.endsWith(QLatin1Char('.')))
            error.chop(1);
        printError(error + QStringLiteral(" (see --help)"));
        return 2;
    }
    if (parser.isSet(QStringLiteral("help")))
        parser.showHelp(0);
    if (parser.isSet(QStringLiteral("version")))
        parser.showVersion();
    if (!parser.positionalArguments().isEmpty()) {
        printError(QStringLiteral("unexpected argument: %1 (see --help)")
                       .arg(parser.positionalArguments().constFirst()));
        return 2;
    }

    QList<qint64> runIds;
    for (const QString &text : parser.value(runsOption).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const qint64 id = text.trimmed().toLongLong(&ok);
        if (!ok || id <= 0) {
            printError(QStringLiteral("--runs: '%1' is not a run id (see --help)").arg(text));
            return 2;
        }
        runIds << id;
    }
    const QString tab = parser.value(tabOption).trimmed().toLower();
    if (parser.isSet(tabOption) && !taskmoe::ui::MainWindow::tabKeys().contains(tab)) {
        printError(QStringLiteral("--tab: '%1' is not one of %2 (see --help)")
                       .arg(parser.value(tabOption), taskmoe::ui::MainWindow::tabKeys().join(QStringLiteral(", "))));
        return 2;
    }
    qint64 routingRun = 0, routingStep = -1;
    if (parser.isSet(routingOption)) {
        const QStringList parts = parser.value(routingOption).split(QLatin1Char(':'));
        bool runOk = false, stepOk = true;
        routingRun = parts.value(0).trimmed().toLongLong(&runOk);
        if (parts.size() == 2 && parts[1].trimmed() == QLatin1String("best"))
            routingStep = taskmoe::ui::MainWindow::kBestCheckpoint;
        else if (parts.size() == 2 && ((routingStep = parts[1].trimmed().toLongLong(&stepOk)) < 0))
            stepOk = false;
        if (!runOk || routingRun <= 0 || !stepOk || parts.size() > 2) {
            printError(QStringLiteral("--routing: '%1' is not RUN, RUN:STEP or RUN:best (see --help)").arg(parser.value(routingOption)));
            return 2;
        }
    }
    const QString side = parser.value(sideOption).trimmed().toLower();
    if (parser.isSet(sideOption) && !taskmoe::db::sideFromName(side)) {
        printError(QStringLiteral("--routing-side: '%1' is not encoder or decoder (see --help)").arg(parser.value(sideOption)));
        return 2;
    }
    const QString order = parser.value(orderOption).trimmed().toLower();
    if (parser.isSet(orderOption) && order != QLatin1String("name") && order != QLatin1String("size")
        && order != QLatin1String("cluster")) {
        printError(QStringLiteral("--routing-order: '%1' is not name, size or cluster (see --help)").arg(parser.value(orderOption)));
        return 2;
    }
    qint64 subnetworkRun = 0, denseRun = 0;
    if (parser.isSet(subnetworksOption)) {
        const QStringList parts = parser.value(subnetworksOption).split(QLatin1Char(':'));
        bool runOk = false, denseOk = true;
        subnetworkRun = parts.value(0).trimmed().toLongLong(&runOk);
        if (parts.size() == 2)
            denseRun = parts[1].trimmed().toLongLong(&denseOk);
        if (!runOk || subnetworkRun <= 0 || !denseOk || denseRun < 0 || parts.size() > 2) {
            printError(QStringLiteral("--subnetworks: '%1' is not RUN or RUN:DENSE (see --help)")
                           .arg(parser.value(subnetworksOption)));
            return 2;
        }
    }
    bool delayOk = false;
    const double delay = parser.value(delayOption).toDouble(&delayOk);
    if (!delayOk || delay < 0 || delay > 3600) {
        printError(QStringLiteral("--screenshot-delay: '%1' is not a number of seconds from 0 to 3600 (see --help)")
                       .arg(parser.value(delayOption)));
        return 2;
    }

    loadStyleSheet(app);
    taskmoe::ui::MainWindow window;
    // Screenshots show the window as built, whatever the user's settings say.
    std::unique_ptr<QSettings> settings = parser.isSet(screenshotOption) ? nullptr : taskmoe::ui::MainWindow::openSettings();
    QString store = parser.value(dbOption);
    if (settings && !parser.isSet(dbOption) && qEnvironmentVariableIsEmpty("TASKMOE_DB")) {
        const QString last = taskmoe::ui::MainWindow::lastStore(*settings);
        if (!last.isEmpty() && QFileInfo::exists(last))
            store = last;   // the store open when the workbench was last closed
    }
    window.useSettings(std::move(settings));
    window.show();
    const bool opened = window.openStore(store);
    if (opened && !runIds.isEmpty())
        window.selectRunsWhenListed(runIds);   // the runs list fills from the follower thread
    if (parser.isSet(groupOption)) {
        window.runMonitor()->setGroupKey(parser.value(groupOption).trimmed());   // offered once the runs' data is there
        window.bleuDashboard()->setTrainingGroup(parser.value(groupOption).trimmed());
    }
    if (!tab.isEmpty())
        window.showTab(tab);
    if (!side.isEmpty())
        window.routingBrowser()->setSide(*taskmoe::db::sideFromName(side));   // kept when the statistics shown have that side
    if (!order.isEmpty())
        window.routingBrowser()->setRowOrder(order == QLatin1String("name")   ? taskmoe::ui::RowOrder::Name
                                             : order == QLatin1String("size") ? taskmoe::ui::RowOrder::ResourceSize
                                                                              : taskmoe::ui::RowOrder::Clustering);
    if (opened && routingRun > 0)
        window.showRunRouting(routingRun, routingStep);   // shown once the browser's listing has it
    if (opened && subnetworkRun > 0) {
        auto *tab = window.subnetworksTab();
        if (denseRun > 0)
            tab->denseBox()->setCurrentIndex(std::max(0, tab->denseBox()->findData(denseRun)));
        if (!tab->selectRun(subnetworkRun)) {
            printError(QStringLiteral("--subnetworks: run %1 is not a finished MoE run of this store").arg(subnetworkRun));
            return 1;
        }
        window.showTab(QStringLiteral("subnetworks"));
    }

    if (opened && parser.isSet(playgroundOption)) {
        const QStringList parts = parser.value(playgroundOption).split(QLatin1Char(':'));
        bool ok = false;
        const qint64 run = parts.value(0).toLongLong(&ok);
        if (!ok || parts.size() < 3) {
            printError(QStringLiteral("--playground: give run:lang:text (e.g. 3:de:the cat)"));
            return 2;
        }
        auto *playground = window.playground();
        const QString to = parts.value(1), text = parts.mid(2).join(QLatin1Char(':'));
        window.showTab(QStringLiteral("playground"));
        // Once the models are listed (a worker reads them), load the run's, then translate.
        QObject::connect(playground, &taskmoe::ui::Playground::modelReady, playground, [playground, to, text] {
            playground->textEdit()->setText(text);
            playground->translate(text, to);
        });
        QTimer::singleShot(300, playground, [playground, run] {
            if (!playground->selectModel({QStringLiteral("--run"), QString::number(run), QStringLiteral("--checkpoint"),
                                          QStringLiteral("best")})
                && !playground->selectModel({QStringLiteral("--run"), QString::number(run)}))
                printError(QStringLiteral("--playground: run %1 has no checkpoint in this store").arg(run));
        });
    }
    const bool exitWhenDone = parser.isSet(exitOption) && parser.isSet(quickstartOption);
    if (opened && parser.isSet(quickstartOption)) {
        bool ok = false;
        taskmoe::ui::Quickstart::Options options;
        options.minutes = parser.value(quickstartOption).toDouble(&ok);
        if (!ok || options.minutes <= 0) {
            printError(QStringLiteral("--quickstart: '%1' is not a number of minutes").arg(parser.value(quickstartOption)));
            return 2;
        }
        window.startQuickstartWhenLoaded(options);
        if (exitWhenDone) {
            const QString shot = parser.value(screenshotOption);
            QObject::connect(&window, &taskmoe::ui::MainWindow::quickstartFinished, &window,
                             [&window, shot](const QStringList &failed) {
                                 for (const QString &f : failed)
                                     printError(QStringLiteral("quickstart: %1").arg(f));
                                 // The store is read again after the last job: let the tabs draw it first.
                                 QTimer::singleShot(4000, &window, [&window, shot, failed] {
                                     QString error;
                                     if (!shot.isEmpty() && !window.saveScreenshot(shot, &error))
                                         printError(error);
                                     QCoreApplication::exit(failed.isEmpty() ? 0 : 1);
                                 });
                             });
        }
    }
    if (parser.isSet(screenshotOption) && !exitWhenDone) {
        if (!opened) {
            printError(window.controller()->lastError());
            return 1;
        }
        const QString path = parser.value(screenshotOption);
        // After the first layout pass, the chart's queued replot and the follower's first reads.
        QTimer::singleShot(1500 + int(delay * 1000), &window, [&window, path] {
            QString error;
            if (!window.saveScreenshot(path, &error)) {
                printError(error);
                QCoreApplication::exit(1);
                return;
            }
            QCoreApplication::exit(0);
        });
    }
    return app.exec();
}
