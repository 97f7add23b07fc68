#include "ui/dashboards/dashboardframe.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace taskmoe::ui {

QLabel *makeStatusLine()
{
    auto *status = new QLabel;
    status->setWordWrap(true);
    status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return status;
}

QTableView *makeResultTable(QAbstractItemModel *model, const QString &objectName)
{
    auto *table = new QTableView;
    table->setObjectName(objectName);
    table->setModel(model);
    table->verticalHeader()->hide();
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->horizontalHeader()->setStretchLastSection(true);
    return table;
}

void layOutDashboard(QWidget *owner, const QString &name, QFormLayout *form, QListWidget *list,
                     const QList<QWidget *> &extras, QLabel *status, const QList<std::pair<QWidget *, int>> &panes,
                     const std::function<void(ExportFormat)> &exportTo)
{
    auto *exports = new QHBoxLayout;
    const std::pair<const char *, ExportFormat> formats[] = {
        {"PNG…", ExportFormat::Png}, {"PDF…", ExportFormat::Pdf}, {"CSV…", ExportFormat::Csv}};
    for (const auto &[text, format] : formats) {
        auto *button = new QPushButton(QObject::tr(text));
        button->setToolTip(format == ExportFormat::Csv ? QObject::tr("Save every value shown as CSV")
                                                       : QObject::tr("Save the chart as a picture"));
        QObject::connect(button, &QPushButton::clicked, owner, [exportTo, format = format] { exportTo(format); });
        exports->addWidget(button);
    }
    auto *controls = new QWidget;
    auto *left = new QVBoxLayout(controls);
    left->setContentsMargins(0, 0, 0, 0);
    left->addLayout(form);
    left->addWidget(new QLabel(QObject::tr("Models")));
    left->addWidget(list, 1);
    for (QWidget *w : extras)
        left->addWidget(w);
    left->addLayout(exports);
    controls->setMinimumWidth(330);
    controls->setMaximumWidth(460);

    auto *stack = new QSplitter(Qt::Vertical);
    stack->setObjectName(name + QStringLiteral("Splitter"));
    for (int i = 0; i < panes.size(); ++i) {
        stack->addWidget(panes[i].first);
        stack->setStretchFactor(i, panes[i].second);
    }
    auto *right = new QWidget;
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(status);
    rightLayout->addWidget(stack, 1);

    auto *split = new QSplitter;
    split->setObjectName(name + QStringLiteral("DashboardSplitter"));
    split->addWidget(controls);
    split->addWidget(right);
    split->setStretchFactor(1, 1);
    auto *layout = new QHBoxLayout(owner);
    layout->addWidget(split);
}

} // namespace taskmoe::ui
