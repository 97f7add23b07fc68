#pragma once
/// What the dashboards share: controls on the left (a form, the list of models to show, extra
/// buttons, the export buttons) and, on the right, a status line over the plots and the table,
/// stacked in a splitter the user can move.
#include "ui/common/plotexport.h"

#include <QList>
#include <QString>

#include <functional>
#include <utility>

class QAbstractItemModel;
class QFormLayout;
class QLabel;
class QListWidget;
class QTableView;
class QWidget;

namespace taskmoe::ui {

/// A word-wrapped, selectable status line.
QLabel *makeStatusLine();

/// A table of results: whole rows selected, no row numbers, the last column stretched.
QTableView *makeResultTable(QAbstractItemModel *model, const QString &objectName);

/// Lays out `owner`. `panes` go top to bottom with their stretch factors; the PNG, PDF and CSV
/// buttons call `exportTo` with their format. The splitters are named after `name`.
void layOutDashboard(QWidget *owner, const QString &name, QFormLayout *form, QListWidget *list,
                     const QList<QWidget *> &extras, QLabel *status, const QList<std::pair<QWidget *, int>> &panes,
                     const std::function<void(ExportFormat)> &exportTo);

} // namespace taskmoe::ui
