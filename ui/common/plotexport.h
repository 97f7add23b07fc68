#pragma once
/// Exports shared by every screen: plots to PNG or PDF and tables to CSV, each written to a
/// temporary name and renamed into place (a failed export never leaves half a file behind),
/// and the "Save as… / Export failed" dialog around them.
#include <QByteArray>
#include <QSize>
#include <QString>

#include <functional>

class QCustomPlot;
class QWidget;

namespace taskmoe::ui {

enum class ExportFormat { Png, Pdf, Csv };

/// The file suffix ("png", "pdf", "csv") and the file dialog's filter of a format.
QString exportSuffix(ExportFormat format);
QString exportFilter(ExportFormat format);

/// Saves `plot` as PNG (at twice the pixel density) or PDF. As shown on screen when the plot is
/// laid out there; at `offscreenSize` when it is not (a hidden tab, tests). False with a
/// sentence in `error` when the file cannot be written.
bool savePlot(QCustomPlot *plot, const QString &path, ExportFormat format, QSize offscreenSize, QString *error);

/// Writes `data` to `path` atomically.
bool saveFile(const QString &path, const QByteArray &data, QString *error);

/// One CSV field: quoted when it holds a comma, a quote or a line break.
QString csvField(const QString &text);

/// Asks where to save (suggesting `baseName` + the format's suffix) and runs `save`; a failure
/// is shown in a warning dialog. Nothing happens when the user cancels.
void exportWithDialog(QWidget *parent, const QString &baseName, ExportFormat format,
                      const std::function<bool(const QString &path, QString *error)> &save);

} // namespace taskmoe::ui
