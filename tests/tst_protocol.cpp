// The job event lines between `taskmoe` and the workbench: every event type round-trips
// through JSON with every field it carries, a line with an unknown key or a value of the
// wrong type is refused naming the key, and a diverged loss (NaN) travels as null.
#include "protocol/jobevents.h"

#include <QJsonDocument>
#include <QtTest>

#include <cmath>

using namespace taskmoe::protocol;

namespace {

JobEvent roundTrip(const JobEvent &e)
{
    const QByteArray line = toJsonLine(e);
    if (!line.endsWith('\n') || line.count('\n') != 1)
        qFatal("not one line: %s", line.constData());
    QString error;
    const auto back = jobEventFromJson(QJsonDocument::fromJson(line).object(), &error);
    if (!back)
        qFatal("%s: %s", line.constData(), qPrintable(error));
    return *back;
}

} // namespace

class TestProtocol : public QObject
{
    Q_OBJECT
private slots:
    void everyEventRoundTrips()
    {
        JobEvent started;
        started.type = JobEventType::Started;
        started.run = 7;
        started.resumed = false;
        started.pid = 4242;
        started.steps = 100000;
        started.preset = QStringLiteral("task-moe-target");
        started.dataset = 1;
        started.vocabulary = 2;
        started.encoderRouting = QStringLiteral("token");
        started.decoderRouting = QStringLiteral("task:target");
        started.checkpoints = QStringLiteral("/tmp/store.runs/run-7");
        QCOMPARE(roundTrip(started), started);

        JobEvent progress;
        progress.type = JobEventType::Progress;
        progress.run = 7;
        progress.step = 250;
        progress.steps = 100000;
        progress.loss = 3.25;
        progress.ce = 3.125;
        progress.balance = 1.0078125;
        progress.lr = 0.002;
        progress.gradNorm = 0.5;
        progress.tokensPerSecond = 10600;
        progress.etaSeconds = 612;
        progress.elapsedSeconds = 288.5;
        progress.layers = QVector<LayerReport>{{QStringLiteral("encoder.1"), 1.9, 0.01}, {QStringLiteral("decoder.1"), 0.5, 0}};
        progress.devLoss = 2.75;
        progress.devBleu = 31.5;
        // Pairs come back in key order.
        progress.devBleuPairs = QVector<std::pair<QString, double>>{{QStringLiteral("en-de"), 30.0}, {QStringLiteral("en-ja"), 33.0}};
        QCOMPARE(roundTrip(progress), progress);

        JobEvent evalProgress;
        evalProgress.type = JobEventType::Progress;
        evalProgress.run = 7;
        evalProgress.pair = QStringLiteral("de-en");
        evalProgress.done = 3;
        evalProgress.pairs = 12;
        evalProgress.bleu = 61.25;
        evalProgress.chrf = 70.5;
        evalProgress.seconds = 1.75;
        QCOMPARE(roundTrip(evalProgress), evalProgress);

        JobEvent checkpoint;
        checkpoint.type = JobEventType::Checkpoint;
        checkpoint.run = 7;
        checkpoint.step = 500;
        checkpoint.path = QStringLiteral("/tmp/run-7/step-000500.tmf");
        QCOMPARE(roundTrip(checkpoint), checkpoint);

        for (JobEventType type : {JobEventType::Finished, JobEventType::Cancelled}) {
            JobEvent done;
            done.type = type;
            done.run = 7;
            done.step = 1369;
            done.checkpoint = QStringLiteral("/tmp/run-7/step-001369.tmf");
            done.devLoss = 1.5;
            done.budgetUsed = true;
            QCOMPARE(roundTrip(done), done);
            QVERIFY(isFinal(type));
        }

        JobEvent evalDone;
        evalDone.type = JobEventType::Finished;
        evalDone.run = 7;
        evalDone.model = 3;
        evalDone.seconds = 21.5;
        QCOMPARE(roundTrip(evalDone), evalDone);

        JobEvent failed;
        failed.type = JobEventType::Failed;
        failed.run = 0;
        failed.error = QStringLiteral("there is no dataset 999");
        QCOMPARE(roundTrip(failed), failed);
        QVERIFY(!isFinal(JobEventType::Progress));
    }

    void namesRoundTrip()
    {
        for (JobEventType t : {JobEventType::Started, JobEventType::Progress, JobEventType::Checkpoint,
                               JobEventType::Finished, JobEventType::Cancelled, JobEventType::Failed})
            QCOMPARE(jobEventTypeFromName(jobEventTypeName(t)), std::optional<JobEventType>(t));
        for (JobKind k : {JobKind::Train, JobKind::Eval, JobKind::Extract, JobKind::Distill, JobKind::Bench})
            QCOMPARE(jobKindFromName(jobKindName(k)), std::optional<JobKind>(k));
        QVERIFY(!jobKindFromName(QStringLiteral("sleep")));
    }

    void badLinesAreRefusedNamingTheKey_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QString>("named");
        QTest::newRow("unknown key") << QByteArray(R"({"event":"progress","run":1,"stpe":3})") << QStringLiteral("\"stpe\"");
        QTest::newRow("unknown event") << QByteArray(R"({"event":"paused","run":1})") << QStringLiteral("\"event\"");
        QTest::newRow("no event") << QByteArray(R"({"run":1})") << QStringLiteral("\"event\"");
        QTest::newRow("string for a number") << QByteArray(R"({"event":"progress","run":1,"loss":"3.2"})") << QStringLiteral("\"loss\"");
        QTest::newRow("fraction for an integer") << QByteArray(R"({"event":"progress","run":1,"step":2.5})") << QStringLiteral("\"step\"");
        QTest::newRow("number for a string") << QByteArray(R"({"event":"failed","run":1,"error":42})") << QStringLiteral("\"error\"");
        QTest::newRow("bad layers") << QByteArray(R"({"event":"progress","run":1,"layers":[{"layer":3}]})") << QStringLiteral("\"layers\"");
    }
    void badLinesAreRefusedNamingTheKey()
    {
        QFETCH(QByteArray, line);
        QFETCH(QString, named);
        QString error;
        QVERIFY(!jobEventFromJson(QJsonDocument::fromJson(line).object(), &error));
        QVERIFY2(error.contains(named), qPrintable(error));
    }

    void aDivergedLossTravelsAsNull()
    {
        JobEvent e;
        e.type = JobEventType::Progress;
        e.run = 2;
        e.step = 10;
        e.loss = std::nan("");
        const QByteArray line = toJsonLine(e);
        QVERIFY2(line.contains("\"loss\":null"), line.constData());
        const auto back = jobEventFromJson(QJsonDocument::fromJson(line).object());
        QVERIFY(back && back->loss && std::isnan(*back->loss));
    }
};

QTEST_GUILESS_MAIN(TestProtocol)
#include "tst_protocol.moc"
