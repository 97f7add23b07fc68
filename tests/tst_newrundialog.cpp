// Tests of the "New run" dialog: its fields come from the presets, every edit is checked with
// core::parseTrainConfig, problems are marked on the fields that cause them, and the start
// button and the JSON view follow.
#include "ui/runs/newrundialog.h"

#include <QComboBox>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QCheckBox>
#include <QSpinBox>
#include <QtTest>

using taskmoe::ui::NewRunDialog;

namespace {

std::vector<taskmoe::db::DatasetRecord> someDatasets()
{
    taskmoe::db::DatasetRecord europarl;
    europarl.id = 3;
    europarl.name = QStringLiteral("europarl");
    europarl.kind = QStringLiteral("moses");
    taskmoe::db::DatasetRecord po;
    po.id = 7;
    po.name = QStringLiteral("po files");
    po.kind = QStringLiteral("gettext");
    return {europarl, po};
}

QLineEdit *lineEdit(const NewRunDialog &dialog, const QString &key)
{
    return qobject_cast<QLineEdit *>(dialog.field(key));
}

/// Replaces the text of a line edit as a user would: select all, then type.
void type(QLineEdit *edit, const QString &text)
{
    QVERIFY(edit);
    edit->setFocus();
    edit->selectAll();
    if (text.isEmpty())
        QTest::keyClick(edit, Qt::Key_Backspace);
    else
        QTest::keyClicks(edit, text);
    QCOMPARE(edit->text(), text);
}

QJsonObject jsonOf(const NewRunDialog &dialog)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(dialog.jsonView()->toPlainText().toUtf8(), &error);
    if (error.error != QJsonParseError::NoError)
        qWarning() << "JSON view does not parse:" << error.errorString();
    return doc.object();
}

} // namespace

class TestNewRunDialog : public QObject
{
    Q_OBJECT

private slots:
    void defaultsFromTinyPresetAreValid();
    void everyFieldHasAnEditorAndATooltipNamingItsKey();
    void choosingAnotherPresetReloadsTheFields();
    void setPresetResetsEditedFields();
    void topKAboveExpertsIsRejectedUntilFixed();
    void headsThatDoNotDivideDModelAreRejected();
    void badValueIsRejectedNamingItsField_data();
    void badValueIsRejectedNamingItsField();
    void independentProblemsAreMarkedTogether();
    void raisingExpertsAndTopKTogetherEndsValid_data();
    void raisingExpertsAndTopKTogetherEndsValid();
    void layersAndMoeEverySetBothSides();
    void choicesReachTheConfiguration();
    void datasetPickerSetsDataDataset();
    void expertParallelNeedsExpertsThatSplitOverTheProcesses();
    void runNameIsTrimmedAndOptional();
    void validityChangedFollowsTransitions();
    void jsonViewIsMarkedStaleWhileInvalid();
    void acceptIsRefusedWhileInvalid();
    void twoProblemsAreBothMarkedOnScreen();
};

void TestNewRunDialog::defaultsFromTinyPresetAreValid()
{
    NewRunDialog dialog(someDatasets());
    QCOMPARE(dialog.presetBox()->currentText(), QStringLiteral("tiny"));
    QVERIFY2(dialog.isValid(), qPrintable(dialog.errorText()));
    QVERIFY(dialog.errorText().isEmpty());
    QVERIFY(dialog.invalidFields().isEmpty());
    QVERIFY(dialog.startButton()->isEnabled());

    const taskmoe::core::TrainConfig tiny = taskmoe::core::loadPreset("tiny");
    QVERIFY(dialog.config() == tiny);
    QCOMPARE(dialog.configJson(), QString::fromStdString(taskmoe::core::trainConfigToJson(tiny, 2)));

    const QJsonObject json = jsonOf(dialog);
    QVERIFY(!json.isEmpty());
    QCOMPARE(json.value("model").toObject().value("experts").toInt(), lineEdit(dialog, "model.experts")->text().toInt());
    QCOMPARE(lineEdit(dialog, "model.experts")->text(), QStringLiteral("4"));
    QCOMPARE(lineEdit(dialog, "train.lr")->text(), QStringLiteral("0.003"));
    QCOMPARE(lineEdit(dialog, "model.layers")->text(), QStringLiteral("2"));
    QCOMPARE(json.value("data").toObject().value("dataset").toInt(), 0);
}

void TestNewRunDialog::everyFieldHasAnEditorAndATooltipNamingItsKey()
{
    NewRunDialog dialog({});
    const QStringList keys = {"model.encoder_routing", "model.decoder_routing", "model.experts", "model.top_k",
                              "model.capacity_factor", "model.layers", "model.d_model", "model.heads",
                              "model.d_ff", "model.moe_every", "train.steps", "train.batch_tokens",
                              "train.optimizer", "train.lr", "data.temperature"};
    for (const QString &key : keys) {
        QWidget *editor = dialog.field(key);
        QVERIFY2(editor, qPrintable(key));
        QVERIFY2(editor->toolTip().contains(key), qPrintable(key + ": " + editor->toolTip()));
    }
    QCOMPARE(dialog.field("model.nonsense"), nullptr);
    QCOMPARE(qobject_cast<QComboBox *>(dialog.field("model.decoder_routing"))->count(), 5);
}

void TestNewRunDialog::choosingAnotherPresetReloadsTheFields()
{
    NewRunDialog dialog({});
    const int index = dialog.presetBox()->findText("token-moe");
    QVERIFY(index >= 0);
    dialog.presetBox()->setCurrentIndex(index);
    QCOMPARE(lineEdit(dialog, "model.d_model")->text(), QStringLiteral("128"));
    QCOMPARE(lineEdit(dialog, "model.experts")->text(), QStringLiteral("8"));
    QCOMPARE(lineEdit(dialog, "train.lr")->text(), QStringLiteral("0.002"));
    QCOMPARE(lineEdit(dialog, "train.max_minutes")->text(), QStringLiteral("15"));
    QCOMPARE(lineEdit(dialog, "model.capacity_factor")->text(), QStringLiteral("1.25"));
    QCOMPARE(qobject_cast<QComboBox *>(dialog.field("model.decoder_routing"))->currentText(), QStringLiteral("token"));
    QVERIFY2(dialog.isValid(), qPrintable(dialog.errorText()));
    QCOMPARE(dialog.config().preset, std::string("token-moe"));
    QVERIFY(dialog.config() == taskmoe::core::loadPreset("token-moe"));
    QCOMPARE(jsonOf(dialog).value("model").toObject().value("d_model").toInt(), 128);
    // An emptied budget leaves the key out: no time budget.
    lineEdit(dialog, "train.max_minutes")->setText(QString());
    QVERIFY2(dialog.isValid(), qPrintable(dialog.errorText()));
    QCOMPARE(dialog.config().train.maxMinutes, 0.0);
    QVERIFY(!jsonOf(dialog).value("train").toObject().contains("max_minutes"));
    lineEdit(dialog, "train.max_minutes")->setText(QStringLiteral("0"));
    QVERIFY(!dialog.isValid());
    QVERIFY(dialog.invalidFields().contains(QStringLiteral("train.max_minutes")));
}

void TestNewRunDialog::setPresetResetsEditedFields()
{
    NewRunDialog dialog({});
    dialog.show();
    type(lineEdit(dialog, "train.steps"), "abc");
    QVERIFY(!dialog.isValid());
    dialog.setPreset("tiny"); // already selected: reloads anyway
    QCOMPARE(lineEdit(dialog, "train.steps")->text(), QStringLiteral("30"));
    QVERIFY(dialog.isValid());
    dialog.setPreset("no-such-preset");
    QCOMPARE(dialog.presetBox()->currentText(), QStringLiteral("tiny"));
}

void TestNewRunDialog::topKAboveExpertsIsRejectedUntilFixed()
{
    NewRunDialog dialog({});
    dialog.show();
    type(lineEdit(dialog, "model.top_k"), "9");
    QVERIFY(!dialog.isValid());
    QVERIFY(!dialog.startButton()->isEnabled());
    QVERIFY2(dialog.invalidFields().contains("model.top_k"), qPrintable(dialog.invalidFields().join(',')));
    QVERIFY(dialog.errorText().contains("model.top_k"));
    QVERIFY2(dialog.errorText().contains("model.experts = 4"), qPrintable(dialog.errorText()));
    QVERIFY(dialog.field("model.top_k")->property("invalid").toBool());
    QVERIFY(dialog.field("model.top_k")->toolTip().contains(dialog.errorText()));
    QVERIFY(!dialog.field("model.d_model")->property("invalid").toBool());
    // The last valid configuration stays available.
    QCOMPARE(dialog.config().model.topK, 2);

    type(lineEdit(dialog, "model.top_k"), "3");
    QVERIFY2(dialog.isValid(), qPrintable(dialog.errorText()));
    QVERIFY(dialog.startButton()->isEnabled());
    QVERIFY(dialog.invalidFields().isEmpty());
    QVERIFY(!dialog.field("model.top_k")->property("invalid").toBool());
    QVERIFY(!dialog.field("model.top_k")->toolTip().contains("must"));
    QCOMPARE(dialog.config().model.topK, 3);
    QCOMPARE(jsonOf(dialog).value("model").toObject().value("top_k").toInt(), 3);
}

void TestNewRunDialog::headsThatDoNotDivideDModelAreRejected()
{
    NewRunDialog dialog({});
    dialog.show();
    type(lineEdit(dialog, "model.heads"), "3"); // d_model 32
    QVERIFY(!dialog.isValid());
    QVERIFY(!dialog.startButton()->isEnabled());
    QVERIFY2(dialog.invalidFields().contains("model.heads"), qPrintable(dialog.invalidFields().join(',')));
    QVERIFY2(dialog.errorText().contains("model.heads must divide model.d_model"), qPrintable(dialog.errorText()));

    type(lineEdit(dialog, "model.d_model"), "48");
    QVERIFY2(dialog.isValid(), qPrintable(dialog.errorText()));
    QCOMPARE(dialog.config().model.heads, 3);
    QCOMPARE(dialog.config().model.dModel, 48);
}

void TestNewRunDialog::badValueIsRejectedNamingItsField_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    const auto row = [](const char *name, const char *key, const char *text, const char *message) {
        QTest::newRow(name) << QString::fromUtf8(key) << QString::fromUtf8(text) << QString::fromUtf8(message);
    };
    row("lr 0", "train.lr", "0", "train.lr must be greater than 0");
    row("lr negative", "train.lr", "-1e-3", "train.lr must be greater than 0");
    row("lr text", "train.lr", "fast", "train.lr: 'fast' is not a number");
    row("lr infinite", "train.lr", "inf", "train.lr: 'inf' is not a number");
    row("steps text", "train.steps", "abc", "train.steps: 'abc' is not an integer");
    row("steps fraction", "train.steps", "2.5", "train.steps: '2.5' is not an integer");
    row("steps huge", "train.steps", "99999999999999999999", "train.steps: '99999999999999999999' is too large");
    row("steps sign only", "train.steps", "-", "train.steps: '-' is not an integer");
    row("steps 0", "train.steps", "0", "train.steps must be at least 1");
    row("steps empty", "train.steps", "", "train.steps: enter a whole number");
    row("batch tokens 0", "train.batch_tokens", "0", "train.batch_tokens must be at least 1");
    row("temperature 0", "data.temperature", "0", "data.temperature must be greater than 0");
    row("capacity negative", "model.capacity_factor", "-1", "model.capacity_factor must be a positive");
    row("experts 0", "model.experts", "0", "model.experts must be at least 1");
    row("layers 0", "model.layers", "0", "model.encoder_layers must be at least 1");
    row("moe_every negative", "model.moe_every", "-2", "model.encoder_moe_every must be 0");
    row("d_ff 0", "model.d_ff", "0", "model.d_ff must be a positive number");
}

void TestNewRunDialog::badValueIsRejectedNamingItsField()
{
    QFETCH(QString, key);
    QFETCH(QString, text);
    QFETCH(QString, message);
    NewRunDialog dialog({});
    dialog.show();
    type(lineEdit(dialog, key), text);
    QVERIFY(!dialog.isValid());
    QVERIFY(!dialog.startButton()->isEnabled());
    QVERIFY2(dialog.errorText().startsWith(message), qPrintable(dialog.errorText()));
    QCOMPARE(dialog.invalidFields(), QStringList{key});
    QVERIFY(dialog.field(key)->toolTip().startsWith(message));
    // The message uses the command line's wording without its source prefix.
    QVERIFY(!dialog.errorText().startsWith("New run"));
}

void TestNewRunDialog::independentProblemsAreMarkedTogether()
{
    NewRunDialog dialog({});
    dialog.show();
    type(lineEdit(dialog, "train.lr"), "0");
    type(lineEdit(dialog, "model.heads"), "5");
    type(lineEdit(dialog, "train.steps"), "many");
    const QStringList invalid = dialog.invalidFields();
    QVERIFY2(invalid.contains("train.lr") && invalid.contains("model.heads") && invalid.contains("train.steps"),
             qPrintable(invalid.join(',')));
    QVERIFY(!invalid.contains("model.experts"));
    // The first message is the first unreadable field's.
    QCOMPARE(dialog.errorText(), QStringLiteral("train.steps: 'many' is not an integer"));

    type(lineEdit(dialog, "train.steps"), "40");
    type(lineEdit(dialog, "model.heads"), "4");
    QCOMPARE(dialog.invalidFields(), QStringList{"train.lr"});
    type(lineEdit(dialog, "train.lr"), "1e-3");
    QVERIFY2(dialog.isValid(), qPrintable(dialog.errorText()));
    QCOMPARE(dialog.config().train.steps, 40);
    QCOMPARE(dialog.config().train.lr, 1e-3);
}

void TestNewRunDialog::raisingExpertsAndTopKTogetherEndsValid_data()
{
    QTest::addColumn<bool>("expertsFirst");
    QTest::newRow("experts first") << true;
    QTest::newRow("top_k first") << false;
}

// Regression: validating each field as a `--set` override in turn rejects a valid end state
// whose intermediate state is invalid (top_k 8 while experts is still 4).
void TestNewRunDialog::raisingExpertsAndTopKTogetherEndsValid()
{
    QFETCH(bool, expertsFirst);
    NewRunDialog dialog({});
    dialog.show();
    if (expertsFirst) {
        type(lineEdit(dialog, "model.experts"), "16");
        type(lineEdit(dialog, "model.top_k"), "8");
    } else {
        type(lineEdit(dialog, "model.top_k"), "8");
        QVERIFY(!dialog.isValid());
        type(lineEdit(dialog, "model.experts"), "16");
    }
    QVERIFY2(dialog.isValid(), qPrintable(dialog.errorText()));
    QVERIFY(dialog.invalidFields().isEmpty());
    QCOMPARE(dialog.config().model.experts, 16);
    QCOMPARE(dialog.config().model.topK, 8);
    QCOMPARE(jsonOf(dialog).value("model").toObject().value("experts").toInt(), 16);
}

void TestNewRunDialog::layersAndMoeEverySetBothSides()
{
    NewRunDialog dialog({});
    dialog.show();
    type(lineEdit(dialog, "model.layers"), "5");
    type(lineEdit(dialog, "model.moe_every"), "3");
    QVERIFY2(dialog.isValid(), qPrintable(dialog.errorText()));
    QCOMPARE(dialog.config().model.encoderLayers, 5);
    QCOMPARE(dialog.config().model.decoderLayers, 5);
    QCOMPARE(dialog.config().model.encoderMoeEvery, 3);
    QCOMPARE(dialog.config().model.decoderMoeEvery, 3);
    const QJsonObject model = jsonOf(dialog).value("model").toObject();
    QCOMPARE(model.value("decoder_layers").toInt(), 5);
    QVERIFY(!model.contains("layers")); // the canonical form has no aliases
}

void TestNewRunDialog::choicesReachTheConfiguration()
{
    NewRunDialog dialog({});
    auto *routing = qobject_cast<QComboBox *>(dialog.field("model.encoder_routing"));
    auto *optimizer = qobject_cast<QComboBox *>(dialog.field("train.optimizer"));
    QVERIFY(routing && optimizer);
    routing->setCurrentText("task:pair");
    optimizer->setCurrentText("adafactor");
    QVERIFY2(dialog.isValid(), qPrintable(dialog.errorText()));
    QVERIFY(dialog.config().model.encoderRouting == taskmoe::core::Routing::TaskPair);
    QCOMPARE(dialog.config().train.optimizer, std::string("adafactor"));
    QCOMPARE(jsonOf(dialog).value("model").toObject().value("encoder_routing").toString(), QStringLiteral("task:pair"));
}

void TestNewRunDialog::datasetPickerSetsDataDataset()
{
    NewRunDialog dialog(someDatasets());
    QComboBox *box = dialog.datasetBox();
    QCOMPARE(box->count(), 3);
    QCOMPARE(box->itemText(0), QStringLiteral("The preset's corpus (created if missing)"));
    QCOMPARE(box->itemText(2), QStringLiteral("#7 po files (gettext)"));
    QCOMPARE(dialog.config().data.dataset, 0);

    box->setCurrentIndex(2);
    QVERIFY(dialog.isValid());
    QCOMPARE(dialog.config().data.dataset, 7);
    QCOMPARE(jsonOf(dialog).value("data").toObject().value("dataset").toInt(), 7);
    box->setCurrentIndex(1);
    QCOMPARE(dialog.config().data.dataset, 3);

    // The dataset survives a change of preset.
    dialog.setPreset("dense");
    QCOMPARE(dialog.config().data.dataset, 3);
    QCOMPARE(dialog.config().preset, std::string("dense"));
}

void TestNewRunDialog::runNameIsTrimmedAndOptional()
{
    NewRunDialog dialog({});
    QVERIFY(dialog.runName().isEmpty());
    auto *runNameEdit = dialog.findChild<QLineEdit *>("runName");
    QVERIFY(runNameEdit);
    runNameEdit->setText("  tiny sweep 1 ");
    QCOMPARE(dialog.runName(), QStringLiteral("tiny sweep 1"));
    QVERIFY(dialog.isValid());
}

void TestNewRunDialog::validityChangedFollowsTransitions()
{
    NewRunDialog dialog({});
    dialog.show();
    QSignalSpy spy(&dialog, &NewRunDialog::validityChanged);
    type(lineEdit(dialog, "model.top_k"), "99"); // "9" then "99": one transition
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toBool(), false);
    type(lineEdit(dialog, "model.top_k"), "1");
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(1).at(0).toBool(), true);
}

void TestNewRunDialog::jsonViewIsMarkedStaleWhileInvalid()
{
    NewRunDialog dialog({});
    dialog.show();
    const QString valid = dialog.jsonView()->toPlainText();
    QVERIFY(!dialog.jsonView()->property("stale").toBool());
    QVERIFY(dialog.jsonView()->isReadOnly());
    type(lineEdit(dialog, "train.lr"), "0");
    QVERIFY(dialog.jsonView()->property("stale").toBool());
    QCOMPARE(dialog.jsonView()->toPlainText(), valid); // the last valid document, marked
    QCOMPARE(dialog.configJson(), valid);
    type(lineEdit(dialog, "train.lr"), "0.01");
    QVERIFY(!dialog.jsonView()->property("stale").toBool());
    QVERIFY(dialog.jsonView()->toPlainText() != valid);
    QCOMPARE(jsonOf(dialog).value("train").toObject().value("lr").toDouble(), 0.01);
}

void TestNewRunDialog::acceptIsRefusedWhileInvalid()
{
    NewRunDialog dialog({});
    dialog.show();
    type(lineEdit(dialog, "model.heads"), "7");
    dialog.accept();
    QVERIFY(dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
    type(lineEdit(dialog, "model.heads"), "4");
    QTest::mouseClick(dialog.startButton(), Qt::LeftButton);
    QVERIFY(!dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
}

void TestNewRunDialog::twoProblemsAreBothMarkedOnScreen()
{
    // Also the README's pictures of the dialog when TASKMOE_SCREENSHOT_DIR is set.
    const QString shots = qEnvironmentVariable("TASKMOE_SCREENSHOT_DIR");
    NewRunDialog dialog(someDatasets());
    dialog.setPreset("token-moe");
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    if (!shots.isEmpty())
        dialog.grab().save(shots + "/new-run.png");

    type(lineEdit(dialog, "model.top_k"), "12");
    type(lineEdit(dialog, "train.lr"), "0");
    QVERIFY(!dialog.isValid());
    QVERIFY(dialog.invalidFields().contains("model.top_k"));
    QVERIFY(dialog.invalidFields().contains("train.lr"));
    QVERIFY(!dialog.startButton()->isEnabled());
    if (!shots.isEmpty())
        dialog.grab().save(shots + "/new-run-invalid.png");
}

void TestNewRunDialog::expertParallelNeedsExpertsThatSplitOverTheProcesses()
{
    NewRunDialog dialog({});
    dialog.show();
    QCOMPARE(dialog.processes(), 1);
    QVERIFY(!jsonOf(dialog).value("train").toObject().contains("expert_parallel"));
    dialog.processesBox()->setValue(3);
    QVERIFY(dialog.isValid());   // data parallel: any number of processes
    dialog.expertParallelBox()->setChecked(true);
    QVERIFY(!dialog.isValid());
    QVERIFY(!dialog.startButton()->isEnabled());
    QVERIFY2(dialog.errorText().contains("4 experts do not split evenly over 3 processes"), qPrintable(dialog.errorText()));
    dialog.processesBox()->setValue(2);
    QVERIFY2(dialog.isValid(), qPrintable(dialog.errorText()));
    QCOMPARE(dialog.processes(), 2);
    QCOMPARE(dialog.config().train.expertParallel, 1);
    QCOMPARE(jsonOf(dialog).value("train").toObject().value("expert_parallel").toInt(), 1);
}

QTEST_MAIN(TestNewRunDialog)
#include "tst_newrundialog.moc"
