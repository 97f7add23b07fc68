#pragma once
/// Writes a usecases::Report as the paper-style comparison: `report.md` (BLEU table, ΔBLEU per
/// direction, throughput peaks, parameter counts, sub-networks and students with the gain they
/// keep) and the figures it shows, drawn with QCustomPlot off screen: `delta-bleu.png` (ΔBLEU
/// against the dense baseline per direction, directions by training size) and
/// `throughput.png` (target tokens/s against batch size, log scale). Every file is written to
/// a temporary name and renamed. Needs a QApplication (the offscreen platform will do).
#include "usecases/report.h"

#include <QString>
#include <QStringList>

namespace taskmoe::ui {

/// Writes the report into `folder` (created when missing). Returns the files written; throws
/// std::runtime_error naming the file that could not be written.
QStringList writeReport(const usecases::Report &report, const QString &folder);

/// The Markdown text alone (for tests and previews); figure links point to `figures`.
QString reportMarkdown(const usecases::Report &report, const QStringList &figures);

} // namespace taskmoe::ui
