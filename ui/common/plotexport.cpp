#include "ui/common/plotexport.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileDialog>
#include <QMessageBox>
#include <QSaveFile>
#include <qcustomplot.h>

#include <cstdio>

namespace taskmoe::ui {
namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("taskmoe::ui::Export", text);
}
} // namespace

QString exportSuffix(ExportFormat format)
{
    switch (format) {
    case ExportFormat::Png: return QStringLiteral("png");
    case ExportFormat::Pdf: return QStringLiteral("pdf");
    case ExportFormat::Csv: return QStringLiteral("csv");
    }
    return {};
}

QString exportFilter(ExportFormat format)
{
    switch (format) {
    case ExportFormat::Png: return tr("PNG images (*.png)");
    case ExportFormat::Pdf: return tr("PDF documents (*.pdf)");
    case ExportFormat::Csv: return tr("CSV files (*.csv)");
    }
    return {};
}

bool savePlot(QCustomPlot *plot, const QString &path, ExportFormat format, QSize offscreenSize, QString *error)
{
    const QString temporary = path + QStringLiteral(".part");
    const bool shown = plot->isVisible() && plot->width() >= 300;
    const int width = shown ? 0 : offscreenSize.width();   // 0: as shown
    const int height = shown ? 0 : offscreenSize.height();
    const bool ok = format == ExportFormat::Pdf ? plot->savePdf(temporary, width, height)
                                                : plot->savePng(temporary, width, height, 2.0);
    if (!ok || std::rename(QFile::encodeName(temporary).constData(), QFile::encodeName(path).constData()) != 0) {
        QFile::remove(temporary);
        if (error)
            *error = tr("Cannot write %1.").arg(path);
        return false;
    }
    return true;
}

bool saveFile(const QString &path, const QByteArray &data, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size() || !file.commit()) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

QString csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

void exportWithDialog(QWidget *parent, const QString &baseName, ExportFormat format,
                      const std::function<bool(const QString &, QString *)> &save)
{
    const QString path = QFileDialog::getSaveFileName(parent, tr("Export"), baseName + QLatin1Char('.') + exportSuffix(format),
                                                      exportFilter(format));
    if (path.isEmpty())
        return;
    QString error;
    if (!save(path, &error))
        QMessageBox::warning(parent, tr("Export failed"), error);
}

} // namespace taskmoe::ui
