// The translate playground end to end: a tiny model trained by the real program, loaded once
// into a `taskmoe route --serve` process, translating sentences typed in the workbench — the
// experts in its grid are exactly those `taskmoe route` prints for the same sentence, the
// model stays loaded between sentences, and a bad request is an inline error, not a crash.
#include "db/store.h"
#include "ui/common/storecontroller.h"
#include "ui/playground/playground.h"
#include "programsupport.h"

#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QtTest>

using namespace taskmoe;

class TestPlayground : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_db;
    QStringList m_sentences;   ///< en-de test sources

    static QString program() { return qEnvironmentVariable("TASKMOE_BIN_DIR") + QStringLiteral("/taskmoe"); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_db = m_dir.filePath(QStringLiteral("store.sqlite"));
        auto r = test::runTaskmoe({"corpus", "synth", "--db", m_db, "--largest", "600", "--multiway", "20"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = test::runTaskmoe({"train", "--db", m_db, "--preset", "tiny", "--set", "model.vocab_size=700", "--set",
                              "train.steps=20"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        db::Store store(m_db);
        const auto datasets = store.datasets();
        for (const auto &pair : datasets.front().pairs)
            if (pair.name() == QLatin1String("en-de"))
                for (const auto &row : store.segments(pair.id, QStringLiteral("test")))
                    if (m_sentences.size() < 2)
                        m_sentences << row.src;
        QCOMPARE(m_sentences.size(), 2);
    }

    void showsTheExpertsTaskmoeRoutePrints()
    {
        ui::StoreController controller;
        ui::Playground playground(&controller, program());
        QSignalSpy ready(&playground, &ui::Playground::modelReady);
        QSignalSpy shown(&playground, &ui::Playground::traceShown);
        QVERIFY(controller.open(m_db));
        QTRY_VERIFY(playground.modelBox()->count() == 1);
        QVERIFY(playground.selectModel({QStringLiteral("--run"), QStringLiteral("1"), QStringLiteral("--checkpoint"),
                                        QStringLiteral("best")})
                || playground.selectModel({QStringLiteral("--run"), QStringLiteral("1")}));
        QVERIFY(ready.wait(60000));
        QVERIFY(playground.targetBox()->findData(QStringLiteral("de")) >= 0);
        QVERIFY(playground.translateButton()->isEnabled());

        playground.beamBox()->setValue(2);
        playground.translate(m_sentences[0], QStringLiteral("de"));
        QVERIFY(shown.wait(60000));
        const QJsonObject trace = playground.trace();
        QVERIFY2(!trace.isEmpty(), qPrintable(playground.statusLabel()->text()));
        QCOMPARE(playground.translationLabel()->text(), trace.value("translation").toObject().value("text").toString());

        // The same sentence through `taskmoe route`: the same translation, the same experts.
        const auto r = test::runTaskmoe({"route", "--db", m_db, "--run", "1", "--checkpoint", "best", "--to", "de", "--beam",
                                         "2", "--text", m_sentences[0]});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject printed = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(printed.value("translation").toObject().value("text").toString(),
                 trace.value("translation").toObject().value("text").toString());
        const QJsonArray layers = printed.value("layers").toArray();
        QCOMPARE(layers.size(), 2);   // the tiny preset: one encoder and one decoder MoE layer
        int cells = 0;
        for (const auto &l : layers) {
            const QJsonObject layer = l.toObject();
            const QJsonArray tokens = layer.value("tokens").toArray();
            for (int t = 0; t < tokens.size(); ++t) {
                QVector<int> experts;
                for (const auto &e : tokens[t].toObject().value("experts").toArray())
                    experts << e.toInt();
                QCOMPARE(playground.grid()->experts(layer.value("side").toString(), layer.value("layer").toInt(), t), experts);
                ++cells;
            }
        }
        QVERIFY(cells > 4);
        // Hover: the gate weights of a cell.
        playground.resize(1200, 700);
        playground.show();
        QVERIFY(QTest::qWaitForWindowExposed(&playground));
        const QPoint cell = playground.grid()->cellCentre(QStringLiteral("encoder"), 1, 1);
        QVERIFY(cell.x() >= 0);
        QVERIFY2(playground.grid()->toolTipAt(cell).contains(QStringLiteral("1st choice: expert")),
                 qPrintable(playground.grid()->toolTipAt(cell)));

        // The model stays loaded: a second sentence needs no new process.
        const qint64 pid = playground.server()->findChild<QProcess *>()->processId();
        shown.clear();
        playground.textEdit()->setText(m_sentences[1]);
        playground.translateButton()->click();
        QVERIFY(shown.wait(60000));
        QCOMPARE(playground.trace().value("source").toObject().value("text").toString(), m_sentences[1]);
        QCOMPARE(playground.server()->findChild<QProcess *>()->processId(), pid);

        // A language the model does not know: said inline, and the next sentence still works.
        shown.clear();
        playground.translate(m_sentences[0], QStringLiteral("xx"));
        QVERIFY(shown.wait(60000));
        QVERIFY2(playground.statusLabel()->text().contains(QStringLiteral("does not know")),
                 qPrintable(playground.statusLabel()->text()));
        shown.clear();
        playground.translate(m_sentences[0], QStringLiteral("de"));
        QVERIFY(shown.wait(60000));
        QVERIFY(!playground.statusLabel()->text().contains(QStringLiteral("does not know")));
    }

    void aModelThatCannotLoadIsReported()
    {
        ui::StoreController controller;
        ui::Playground playground(&controller, program());
        QSignalSpy shown(&playground, &ui::Playground::traceShown);
        QVERIFY(controller.open(m_db));
        QTRY_VERIFY(playground.modelBox()->count() == 1);
        playground.modelBox()->addItem(QStringLiteral("missing file"),
                                       QStringList{QStringLiteral("--model"), m_dir.filePath(QStringLiteral("missing.tmf"))});
        playground.modelBox()->setCurrentIndex(1);
        QVERIFY(shown.wait(60000));
        QVERIFY2(playground.statusLabel()->text().contains(QStringLiteral("missing.tmf")),
                 qPrintable(playground.statusLabel()->text()));
        QVERIFY(!playground.translateButton()->isEnabled());
    }
};

QTEST_MAIN(TestPlayground)
#include "tst_playground.moc"
