#pragma once
/// The translate playground: type a sentence, pick a model, a target language (and a source for
/// pair-routed models), beam size and expert capacity, and see the translation and where every
/// source and target token went — a token × MoE-layer grid per side, each cell coloured by the
/// token's first-choice expert and naming all its experts; hover for the gate weights and dropped
/// copies. The model runs in a `taskmoe route --serve` process that keeps it loaded between
/// sentences (LibTorch stays out of the GUI process), so the experts shown are exactly those
/// `taskmoe route` prints for the same sentence.
#include <QJsonObject>
#include <QProcess>
#include <QQueue>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QScrollArea;
class QSpinBox;

namespace taskmoe::ui {

class StoreController;
class StoreReader;

/// A `taskmoe route --serve` process with one model loaded; answers come in request order.
class RouteServer : public QObject
{
    Q_OBJECT
public:
    /// `program`: the taskmoe executable.
    explicit RouteServer(const QString &program, QObject *parent = nullptr);
    ~RouteServer() override;

    /// (Re)starts the server on `store` with the model named by `modelArgs` ("--run", "3",
    /// "--checkpoint", "best" or "--model", path). ready() or failed() follows.
    void start(const QString &store, const QStringList &modelArgs);
    void stop();
    bool isReady() const { return m_ready; }
    QJsonObject description() const { return m_description; }
    /// Sends a request ({"text", "to", "from", "beam", "capacity_factor"}); returns its serial.
    quint64 send(const QJsonObject &request);

signals:
    void ready(const QJsonObject &description);
    void answered(quint64 serial, const QJsonObject &answer);
    /// The process could not start or ended; `message` ends with what it wrote to stderr.
    void failed(const QString &message);

private:
    void readLines();
    void ended(int exitCode, QProcess::ExitStatus status);

    QString m_program;
    QProcess *m_process = nullptr;
    QByteArray m_buffer, m_errors;
    bool m_ready = false;
    QJsonObject m_description;
    QQueue<quint64> m_pending;
    quint64 m_serial = 0;
};

/// Token × layer grids of one trace: the encoder's MoE layers over the source pieces, the
/// decoder's over the target pieces (the decoder's input: <s> and the translation).
class RouteGridView : public QWidget
{
    Q_OBJECT
public:
    explicit RouteGridView(QWidget *parent = nullptr);
    /// The object `taskmoe route` prints (empty: nothing drawn).
    void setTrace(const QJsonObject &trace, int experts);
    /// The experts a token chose in one MoE layer ("encoder"/"decoder", layer index, position).
    QVector<int> experts(const QString &side, int layer, int position) const;
    /// The hover text at `pos`; empty outside the cells.
    QString toolTipAt(const QPoint &pos) const;
    /// The centre of a cell, for tests.
    QPoint cellCentre(const QString &side, int layer, int position) const;
    /// The colour of an expert (the same in every grid).
    static QColor expertColour(int expert, int experts);
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    bool event(QEvent *event) override;

private:
    struct Cell
    {
        QRect rect;
        QString side;
        int layer = 0, position = 0;
        QString piece;
        QVector<int> experts;
        QVector<double> gates;
        QVector<bool> dropped;
    };
    void layout();

    QJsonObject m_trace;
    int m_experts = 0;
    std::vector<Cell> m_cells;
    std::vector<std::pair<QRect, QString>> m_labels;   ///< row and column labels
    QSize m_size;
};

class Playground : public QWidget
{
    Q_OBJECT
public:
    Playground(StoreController *store, const QString &program, QWidget *parent = nullptr);
    ~Playground() override;

    /// Picks the model of this combo entry (its data: the model arguments) and loads it.
    bool selectModel(const QStringList &modelArgs);
    /// Translates `text` to `to` (from `from`) with the current beam and capacity.
    void translate(const QString &text, const QString &to, const QString &from = {});

    QComboBox *modelBox() const { return m_model; }
    QComboBox *targetBox() const { return m_to; }
    QComboBox *sourceBox() const { return m_from; }
    QSpinBox *beamBox() const { return m_beam; }
    QDoubleSpinBox *capacityBox() const { return m_capacity; }
    QLineEdit *textEdit() const { return m_text; }
    QPushButton *translateButton() const { return m_go; }
    QLabel *translationLabel() const { return m_translation; }
    QLabel *statusLabel() const { return m_status; }
    RouteGridView *grid() const { return m_grid; }
    RouteServer *server() const { return m_server; }
    /// The last trace shown.
    QJsonObject trace() const { return m_trace; }

signals:
    /// A model is loaded and its languages are offered.
    void modelReady();
    /// A translation and its routing are shown (or an error in the status line).
    void traceShown();

private:
    void fillModels();
    void loadModel();
    void onReady(const QJsonObject &description);
    void onAnswer(quint64 serial, const QJsonObject &answer);

    StoreController *m_store;
    StoreReader *m_reader = nullptr;
    RouteServer *m_server = nullptr;
    QComboBox *m_model = nullptr;
    QComboBox *m_from = nullptr;
    QComboBox *m_to = nullptr;
    QSpinBox *m_beam = nullptr;
    QDoubleSpinBox *m_capacity = nullptr;
    QLineEdit *m_text = nullptr;
    QPushButton *m_go = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_translation = nullptr;
    QLabel *m_task = nullptr;
    RouteGridView *m_grid = nullptr;
    QScrollArea *m_scroll = nullptr;
    QJsonObject m_trace;
    quint64 m_waiting = 0;
    bool m_filling = false;
};

} // namespace taskmoe::ui
