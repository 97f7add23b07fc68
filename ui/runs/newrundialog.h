#pragma once
/// The workbench's "New run" dialog: a preset, a dataset and the options a researcher
/// changes most often, checked on every edit with the code `taskmoe train` uses
/// (core/trainconfig.h), so that a configuration the dialog accepts is one the command line
/// accepts too. The workbench writes configJson() to a file and runs
/// `taskmoe train --config FILE`.
#include "core/config/trainconfig.h"
#include "db/records.h"

#include <QDialog>
#include <QString>
#include <QStringList>

#include <vector>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;
class QCheckBox;
class QPushButton;

namespace taskmoe::ui {

class NewRunDialog : public QDialog
{
    Q_OBJECT
public:
    /// `datasets` fill the dataset picker after its first entry, the synthetic dataset
    /// (data.dataset = 0). Starts from the preset "tiny" when it exists, else the first one.
    explicit NewRunDialog(const std::vector<db::DatasetRecord> &datasets, QWidget *parent = nullptr);
    ~NewRunDialog() override;

    /// Selects the preset `name` and reloads every field from it (also when it is already
    /// selected). Does nothing when there is no such preset.
    void setPreset(const QString &name);

    /// Whether the configuration in the form is valid; the start button is enabled exactly then.
    bool isValid() const { return m_errors.isEmpty(); }
    /// The first problem, as the user should read it ("model.top_k must be between 1 and
    /// model.experts = 4 (got 9)"); empty when valid.
    QString errorText() const { return m_errors.isEmpty() ? QString() : m_errors.first(); }
    /// The canonical JSON (trainConfigToJson, indent 2) of the last valid configuration.
    QString configJson() const;
    /// The last valid configuration (the current one when isValid()).
    core::TrainConfig config() const { return m_config; }
    /// The optional run name, trimmed; empty when none was given.
    QString runName() const;
    /// Processes to train on (taskmoe train --nproc; 1: this one). With expert parallelism
    /// (train.expert_parallel, the check box) the experts must split evenly over them.
    int processes() const;
    QSpinBox *processesBox() const { return m_processes; }
    QCheckBox *expertParallelBox() const { return m_expertParallel; }

    /// The editor of a form field by its configuration key ("model.top_k", "train.lr",
    /// "model.layers", …); nullptr for a key the form does not have.
    QWidget *field(const QString &key) const;
    /// Keys of the fields currently marked invalid, in form order.
    QStringList invalidFields() const;

    QComboBox *presetBox() const { return m_presetBox; }
    QComboBox *datasetBox() const { return m_datasetBox; }
    QPushButton *startButton() const { return m_startButton; }
    QPlainTextEdit *jsonView() const { return m_jsonView; }

public slots:
    /// Closes the dialog with QDialog::Accepted, but only while the configuration is valid.
    void accept() override;

signals:
    /// The configuration became valid or invalid.
    void validityChanged(bool valid);

private:
    /// How a field's text becomes a JSON value.
    enum class Kind
    {
        Integer,
        Real,
        OptionalReal,           ///< a number, or empty for a key left out (train.max_minutes: no budget)
        Choice,
    };

    /// One editor of the form and the configuration key(s) it writes.
    struct Field
    {
        QString key;            ///< as the user and the messages name it: "model.layers"
        QStringList targets;    ///< canonical keys it writes: "model.encoder_layers", …
        Kind kind = Kind::Integer;
        QString help;           ///< the tooltip when the field is valid
        QWidget *editor = nullptr;
        QString loadedText;     ///< the text the preset gave it
        QString error;          ///< "" when valid
    };

    void buildUi(const std::vector<db::DatasetRecord> &datasets);
    /// Creates the editor of a field (a combo box of `choices` for Kind::Choice).
    QWidget *addField(const QString &key, const QStringList &targets, Kind kind, const QString &help,
                      const QStringList &choices = {});

    /// Loads the preset `name` ("" for the built-in defaults) and fills every field from it.
    void loadPreset(const QString &name);
    QString fieldText(const Field &f) const;
    void setFieldText(Field &f, const QString &text);

    /// Builds the configuration from the preset, the dataset and the form, and updates
    /// every marker, the message, the start button and the JSON view.
    void revalidate();
    void showState();

    std::vector<Field> m_fields;
    core::TrainConfig m_base;           ///< the selected preset as loaded
    QString m_baseError;                ///< why the preset could not be loaded, or ""
    core::TrainConfig m_config;         ///< the last valid configuration
    QStringList m_errors;               ///< every problem found, first one first
    bool m_loading = false;             ///< set while a preset fills the form
    bool m_lastValid = false;

    QComboBox *m_presetBox = nullptr;
    QLabel *m_descriptionLabel = nullptr;
    QComboBox *m_datasetBox = nullptr;
    QLineEdit *m_runNameEdit = nullptr;
    QSpinBox *m_processes = nullptr;
    QCheckBox *m_expertParallel = nullptr;
    QLabel *m_jsonTitle = nullptr;
    QPlainTextEdit *m_jsonView = nullptr;
    QLabel *m_messageLabel = nullptr;
    QPushButton *m_startButton = nullptr;
};

} // namespace taskmoe::ui
