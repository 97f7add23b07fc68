#pragma once
/// Bar chart of the training sentences per language pair of one dataset.
///
/// Sizes in multilingual corpora span orders of magnitude, so the y axis is logarithmic
/// (QCPAxisTickerLog). Bars are sorted from the largest pair to the smallest and coloured by
/// resource class (high / low), with a legend; the pair names label the x axis, rotated
/// when they would not fit side by side.
#include "db/records.h"

#include <QStringList>
#include <QWidget>

#include <vector>

class QCustomPlot;
class QCPBars;
class QCPTextElement;

namespace taskmoe::ui {

class PairSizeChart : public QWidget
{
    Q_OBJECT
public:
    explicit PairSizeChart(QWidget *parent = nullptr);
    ~PairSizeChart() override;

    /// Shows the pairs of `dataset`. Pairs without training sentences get a label but no bar
    /// (a log axis has no zero).
    void setDataset(const db::DatasetRecord &dataset);
    /// Shows the empty state ("No dataset selected").
    void clear();

    /// The plot, for tests and for exporting.
    QCustomPlot *plot() const { return m_plot; }
    /// Number of bars drawn, over both resource classes.
    int barCount() const;
    /// The x tick labels (pair names), left to right.
    QStringList pairLabels() const { return m_labels; }
    /// The chart's title text.
    QString title() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    struct Bar
    {
        QString pair;
        QString resourceClass;
        qint64 train = 0;
    };

    void rebuild();
    void updateLabelRotation();
    void showToolTip(QMouseEvent *event);

    QCustomPlot *m_plot = nullptr;      // child widget
    QCPBars *m_high = nullptr;          // owned by m_plot
    QCPBars *m_low = nullptr;           // owned by m_plot
    QCPTextElement *m_title = nullptr;  // owned by m_plot's layout
    std::vector<Bar> m_bars;            // left to right
    QStringList m_labels;
    QString m_datasetName;
    bool m_hasDataset = false;
};

} // namespace taskmoe::ui
