// Self-describing model files: a saved model reloads to identical outputs and metadata, and a
// damaged or inconsistent file is refused with a message naming the file and the problem.
#include "tests/fixtures.h"
#include "core/base/errors.h"
#include "core/model/modelfile.h"
#include "core/data/sentencepiece.h"
#include "core/base/sha256.h"
#include "core/base/text.h"
#include "core/model/transformer.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>

using namespace taskmoe::core;
using Json = nlohmann::ordered_json;

namespace {

ModelOptions tinyOptions()
{
    ModelOptions o = taskmoe::test::tinyModelOptions();
    o.numPairs = 3;
    o.capacityFactorTrain = 1.5;
    o.balanceLossCoef = 0.02;
    return o;
}

ModelFileInfo tinyInfo()
{
    ModelFileInfo info;
    info.tasks.languages = {"de", "en", "fr"};
    info.tasks.pairs = {{1, 0}, {1, 2}, {0, 1}};
    info.sentencePiece = std::string("not really a SentencePiece model\0\x01\xff with binary bytes", 56);
    info.json = R"({"run":7,"step":1200,"created":"2024-05-01T12:00:00Z"})";
    return info;
}

Seq2SeqBatch tinyBatch()
{
    Seq2SeqBatch b;
    b.src = torch::tensor({4, 10, 11, 12, kEosId, 5, 20, kEosId, 0, 0}, torch::kInt64).view({2, 5});
    b.tgtIn = torch::tensor({kBosId, 30, 31, 32, kBosId, 40, 0, 0}, torch::kInt64).view({2, 4});
    b.tgtOut = torch::tensor({30, 31, 32, kEosId, 40, kEosId, 0, 0}, torch::kInt64).view({2, 4});
    b.targetLang = torch::tensor({0, 2}, torch::kInt64);
    b.pair = torch::tensor({0, 1}, torch::kInt64);
    return b;
}

std::string readBytes(const std::string &path)
{
    return readFile(path);
}

void writeBytes(const std::string &path, const std::string &bytes)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), std::streamsize(bytes.size()));
}

std::uint64_t getLe(const std::string &s, std::size_t at, int bytes)
{
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v |= std::uint64_t(static_cast<unsigned char>(s[at + std::size_t(i)])) << (8 * i);
    return v;
}

void putLe(std::string &s, std::size_t at, std::uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; ++i)
        s[at + std::size_t(i)] = char((v >> (8 * i)) & 0xff);
}

std::uint64_t align64(std::uint64_t n)
{
    return (n + 63) / 64 * 64;
}

/// The parts of a model file (see core/modelfile.h for the layout).
struct FileParts
{
    std::string header;    ///< 32 bytes
    Json manifest;
    std::string data;      ///< the data section
};

FileParts split(const std::string &bytes)
{
    FileParts p;
    p.header = bytes.substr(0, 32);
    const auto manifestBytes = getLe(bytes, 16, 8);
    p.manifest = Json::parse(bytes.substr(32, std::size_t(manifestBytes)));
    const auto dataStart = align64(32 + manifestBytes);
    p.data = bytes.substr(std::size_t(dataStart), bytes.size() - std::size_t(dataStart) - 32);
    return p;
}

/// Reassembles a file with a valid checksum, so that the loader reaches its later checks.
std::string assemble(const FileParts &p, const std::string &manifestText)
{
    std::string out = p.header;
    out += manifestText;
    out.resize(std::size_t(align64(out.size())), '\0');
    out += p.data;
    putLe(out, 16, manifestText.size(), 8);
    putLe(out, 24, out.size() + 32, 8);
    Sha256 h;
    h.update(out);
    const auto digest = h.digest();
    out.append(reinterpret_cast<const char *>(digest.data()), digest.size());
    return out;
}

std::string assemble(const FileParts &p)
{
    return assemble(p, p.manifest.dump());
}

/// The message of the InputError that loadModel throws, or "" when it loads.
QString loadError(const std::string &path)
{
    try {
        loadModel(path);
    } catch (const InputError &e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

Json &tensorEntry(Json &manifest, const std::string &name)
{
    for (auto &t : manifest["tensors"])
        if (t["name"] == name)
            return t;
    throw std::runtime_error("no tensor " + name);
}

} // namespace

class TestModelFile : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::string m_saved;       ///< a valid model file written by initTestCase
    std::string m_savedSha;

    std::string path(const char *name) const { return m_dir.filePath(name).toStdString(); }

private slots:
    void initTestCase()
    {
        torch::set_num_threads(2);
        QVERIFY(m_dir.isValid());
        torch::manual_seed(11);
        Transformer model(tinyOptions());
        m_saved = path("tiny.tmf");
        m_savedSha = saveModel(m_saved, model, tinyInfo());
    }

    void savedModelReloadsToIdenticalOutputs()
    {
        torch::manual_seed(12);
        Transformer model(tinyOptions());
        // Train one step so that nothing is at its initial value.
        torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-2));
        model(tinyBatch()).loss.backward();
        optimizer.step();

        const auto info = tinyInfo();
        const std::string file = path("reload.tmf");
        const std::string sha = saveModel(file, model, info);
        QCOMPARE(sha, sha256File(file));

        const LoadedModel loaded = loadModel(file);
        QCOMPARE(loaded.sha256, sha);
        QCOMPARE(modelOptionsToJson(loaded.model->options()), modelOptionsToJson(model->options()));
        QCOMPARE(modelOptionsToJson(loaded.info.options), modelOptionsToJson(model->options()));
        QCOMPARE(loaded.info.tasks.languages, info.tasks.languages);
        QVERIFY(loaded.info.tasks.pairs == info.tasks.pairs);
        QVERIFY(loaded.info.sentencePiece == info.sentencePiece);
        QCOMPARE(loaded.info.sentencePieceSha256, Sha256::hex(info.sentencePiece));
        QVERIFY(Json::parse(loaded.info.json) == Json::parse(info.json));

        // Every parameter and buffer is bit-identical, and so are the outputs.
        const auto a = model->named_parameters();
        const auto b = loaded.model->named_parameters();
        QCOMPARE(a.size(), b.size());
        for (const auto &p : a)
            QVERIFY2(torch::equal(p.value(), b[p.key()]), p.key().c_str());
        QVERIFY(torch::equal(model->positions, loaded.model->positions));
        model->eval();
        loaded.model->eval();
        torch::NoGradGuard noGrad;
        Transformer reloaded = loaded.model;
        QVERIFY(torch::equal(model(tinyBatch()).logits, reloaded(tinyBatch()).logits));
    }

    void everyRoutingReloads_data()
    {
        QTest::addColumn<QString>("encoder");
        QTest::addColumn<QString>("decoder");
        QTest::newRow("dense/dense") << "dense" << "dense";
        QTest::newRow("sentence/task:pair") << "sentence" << "task:pair";
        QTest::newRow("task:target/token") << "task:target" << "token";
    }
    void everyRoutingReloads()
    {
        QFETCH(QString, encoder);
        QFETCH(QString, decoder);
        auto o = tinyOptions();
        o.encoderRouting = parseRouting(encoder.toStdString(), "encoder");
        o.decoderRouting = parseRouting(decoder.toStdString(), "decoder");
        o.encoderMoeEvery = 1;
        Transformer model(o);
        model->eval();
        const std::string file = path("routing.tmf");
        saveModel(file, model, tinyInfo());
        Transformer reloaded = loadModel(file).model;
        reloaded->eval();
        QCOMPARE(routingName(reloaded->options().encoderRouting), encoder.toStdString());
        QCOMPARE(reloaded->options().encoderMoeEvery, std::int64_t(1));
        torch::NoGradGuard noGrad;
        QVERIFY(torch::equal(model(tinyBatch()).logits, reloaded(tinyBatch()).logits));
    }

    void aModelWithoutEmbeddedSentencePieceKeepsItsReference()
    {
        Transformer model(tinyOptions());
        auto info = tinyInfo();
        info.sentencePieceSha256 = Sha256::hex(info.sentencePiece);
        info.sentencePiece.clear();
        info.json.clear();
        const std::string file = path("reference.tmf");
        saveModel(file, model, info);
        std::string sha;
        const ModelFileInfo read = readModelFileInfo(file, &sha);
        QVERIFY(read.sentencePiece.empty());
        QCOMPARE(read.sentencePieceSha256, info.sentencePieceSha256);
        QVERIFY(read.json.empty());
        QCOMPARE(sha, sha256File(file));
    }

    void optionsAndTasksRoundTripThroughJson()
    {
        auto o = tinyOptions();
        o.decoderRouting = Routing::TaskPair;
        o.dropout = 0.15;
        const auto json = modelOptionsToJson(o);
        QCOMPARE(modelOptionsToJson(modelOptionsFromJson(json)), json);
        // Fields absent keep the defaults given.
        const auto partial = modelOptionsFromJson(R"({"d_model": 64, "encoder_routing": "sentence"})", o);
        QCOMPARE(partial.dModel, std::int64_t(64));
        QCOMPARE(partial.encoderRouting, Routing::Sentence);
        QCOMPARE(partial.dFf, o.dFf);

        const auto tasks = tinyInfo().tasks;
        const auto back = taskTableFromJson(taskTableToJson(tasks));
        QCOMPARE(back.languages, tasks.languages);
        QVERIFY(back.pairs == tasks.pairs);
    }

    void badOptionsJsonNamesTheField_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("mention");
        QTest::newRow("unknown field") << R"({"d_modle": 64})" << "model.d_modle";
        QTest::newRow("wrong type") << R"({"d_ff": "big"})" << "model.d_ff";
        QTest::newRow("fraction for an integer") << R"({"experts": 2.5})" << "model.experts";
        QTest::newRow("unknown routing") << R"({"decoder_routing": "task:source"})" << "model.decoder_routing";
        QTest::newRow("not an object") << "[1, 2]" << "JSON object";
        QTest::newRow("malformed") << R"({"d_ff": )" << "malformed JSON at byte";
    }
    void badOptionsJsonNamesTheField()
    {
        QFETCH(QString, json);
        QFETCH(QString, mention);
        try {
            modelOptionsFromJson(json.toStdString());
            QFAIL("no exception");
        } catch (const std::invalid_argument &e) {
            QVERIFY2(QString(e.what()).contains(mention), e.what());
        }
    }

    void truncatedFileIsRefused_data()
    {
        QTest::addColumn<int>("cut");  // bytes kept; negative: counted from the end
        QTest::newRow("empty") << 0;
        QTest::newRow("inside the magic") << 5;
        QTest::newRow("inside the header") << 20;
        QTest::newRow("inside the manifest") << 100;
        QTest::newRow("half") << -2;
        QTest::newRow("last byte missing") << -1;
    }
    void truncatedFileIsRefused()
    {
        QFETCH(int, cut);
        const std::string bytes = readBytes(m_saved);
        const std::size_t keep = cut >= 0 ? std::size_t(cut) : cut == -2 ? bytes.size() / 2 : bytes.size() - 1;
        const std::string file = path("truncated.tmf");
        writeBytes(file, bytes.substr(0, keep));
        const QString message = loadError(file);
        QVERIFY2(message.startsWith(QString::fromStdString(file) + ": "), qPrintable(message));
        if (keep == 0)
            QVERIFY2(message.contains("empty"), qPrintable(message));
        else
            QVERIFY2(message.contains("truncated"), qPrintable(message));
        if (keep >= 32)
            QVERIFY2(message.contains(QString("the manifest says %1 bytes, the file has %2").arg(bytes.size()).arg(keep)),
                     qPrintable(message));
    }

    void flippedByteFailsTheChecksum_data()
    {
        QTest::addColumn<double>("where");
        QTest::newRow("in the manifest") << 0.01;
        QTest::newRow("in the middle") << 0.5;
        QTest::newRow("in the checksum") << 0.9999;
    }
    void flippedByteFailsTheChecksum()
    {
        QFETCH(double, where);
        std::string bytes = readBytes(m_saved);
        const std::size_t at = std::max<std::size_t>(40, std::size_t(double(bytes.size()) * where));
        bytes[at] = char(bytes[at] ^ 0x10);
        const std::string file = path("flipped.tmf");
        writeBytes(file, bytes);
        const QString message = loadError(file);
        QVERIFY2(message.startsWith(QString::fromStdString(file) + ": "), qPrintable(message));
        QVERIFY2(message.contains("checksum mismatch: the file is corrupt"), qPrintable(message));
    }

    void otherFilesAreNotModelFiles()
    {
        const std::string file = path("notes.txt");
        writeBytes(file, "These are my notes about a model, not a model.\n");
        QString message = loadError(file);
        QVERIFY2(message.contains("not a TaskMoE model file"), qPrintable(message));
        QVERIFY(message.startsWith(QString::fromStdString(file)));

        QVERIFY2(loadError(path("absent.tmf")).contains("cannot open"), qPrintable(loadError(path("absent.tmf"))));
        QVERIFY2(loadError(m_dir.path().toStdString()).contains("directory"), "a directory");
    }

    void newerFormatVersionIsRefused()
    {
        std::string bytes = readBytes(m_saved);
        putLe(bytes, 8, kModelFormatVersion + 1, 4);
        const std::string file = path("future.tmf");
        writeBytes(file, bytes);
        const QString message = loadError(file);
        QVERIFY2(message.contains(QString("format version %1 is newer").arg(kModelFormatVersion + 1)),
                 qPrintable(message));
    }

    void trailingBytesAreRefused()
    {
        const std::string file = path("trailing.tmf");
        writeBytes(file, readBytes(m_saved) + "extra");
        const QString message = loadError(file);
        QVERIFY2(message.contains("5 bytes after the end"), qPrintable(message));
    }

    void inconsistentManifestIsRefused_data()
    {
        QTest::addColumn<int>("edit");
        QTest::addColumn<QStringList>("mentions");
        QTest::newRow("d_ff changed") << 0
                                      << QStringList{"tensor encoder.layers.0.ffn.wi.weight has shape [64, 32], "
                                                     "the options give [128, 32] (and 9 more tensors disagree)"};
        QTest::newRow("tensor missing") << 1 << QStringList{"tensor encoder.final_norm.weight is missing"};
        QTest::newRow("extra tensor") << 2 << QStringList{"tensor encoder.layers.2.ffn.wi.weight is not part of"};
        QTest::newRow("SentencePiece checksum") << 3 << QStringList{"embedded SentencePiece model has SHA-256"};
        QTest::newRow("invalid options") << 4 << QStringList{"invalid model options", "model.top_k"};
        QTest::newRow("unknown routing") << 5 << QStringList{"manifest: ", "model.decoder_routing", "task:source"};
        QTest::newRow("malformed JSON") << 6 << QStringList{"offset ", "malformed manifest JSON"};
        QTest::newRow("tensor outside the data") << 7 << QStringList{"lies outside the data section"};
        QTest::newRow("tensor size disagrees") << 8 << QStringList{"tensor decoder.final_norm.bias has 64 bytes, its shape [32] of float32 needs 128"};
        QTest::newRow("dtype changed") << 9 << QStringList{"is stored as float64, the model needs float32"};
        QTest::newRow("task id outside the table") << 10 << QStringList{"invalid task table", "pair 1"};
        QTest::newRow("data size disagrees") << 11 << QStringList{"data_bytes"};
    }
    void inconsistentManifestIsRefused()
    {
        QFETCH(int, edit);
        QFETCH(QStringList, mentions);
        FileParts parts = split(readBytes(m_saved));
        Json &m = parts.manifest;
        std::string manifestText;
        switch (edit) {
        case 0: m["options"]["d_ff"] = 128; break;
        case 1: {
            auto &tensors = m["tensors"];
            for (auto it = tensors.begin(); it != tensors.end(); ++it)
                if ((*it)["name"] == "encoder.final_norm.weight") {
                    tensors.erase(it);
                    break;
                }
            break;
        }
        case 2: {
            Json extra = tensorEntry(m, "encoder.layers.0.ffn.wi.weight");
            extra["name"] = "encoder.layers.2.ffn.wi.weight";
            m["tensors"].push_back(extra);
            break;
        }
        case 3: m["sentencepiece"]["sha256"] = std::string(64, 'a'); break;
        case 4: m["options"]["top_k"] = 9; break;
        case 5: m["options"]["decoder_routing"] = "task:source"; break;
        case 6: manifestText = m.dump().substr(0, 200); break;
        case 7: tensorEntry(m, "decoder.final_norm.bias")["offset"] = parts.data.size() - 64; break;
        case 8: tensorEntry(m, "decoder.final_norm.bias")["bytes"] = 64; break;
        case 9: {
            auto &t = tensorEntry(m, "decoder.final_norm.bias");
            t["dtype"] = "float64";
            t["bytes"] = 8 * 32;
            break;
        }
        case 10: m["tasks"]["pairs"][1] = Json::array({1, 7}); break;
        case 11: m["data_bytes"] = parts.data.size() + 64; break;
        }
        if (manifestText.empty())
            manifestText = m.dump();
        const std::string file = path("edited.tmf");
        writeBytes(file, assemble(parts, manifestText));
        const QString message = loadError(file);
        QVERIFY2(message.startsWith(QString::fromStdString(file) + ": "), qPrintable(message));
        for (const auto &mention : mentions)
            QVERIFY2(message.contains(mention), qPrintable(message));
    }

    void unchangedReassemblyLoads()
    {
        // The helper above really makes valid files: without an edit the file loads.
        const std::string file = path("reassembled.tmf");
        writeBytes(file, assemble(split(readBytes(m_saved))));
        QCOMPARE(loadError(file), QString());
    }

    void nonFiniteTensorsAreRefused()
    {
        // On save: a diverged model is not written.
        Transformer model(tinyOptions());
        {
            torch::NoGradGuard noGrad;
            model->decoder->finalNorm->weight[3] = std::nan("");
        }
        const std::string file = path("nan.tmf");
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, saveModel(file, model, tinyInfo()));
        QVERIFY(!QFile::exists(QString::fromStdString(file)));

        // On load: a NaN written into the data (with a valid checksum) is refused.
        FileParts parts = split(readBytes(m_saved));
        const auto offset = tensorEntry(parts.manifest, "decoder.final_norm.weight")["offset"].get<std::size_t>();
        const float nan = std::numeric_limits<float>::quiet_NaN();
        parts.data.replace(offset, 4, reinterpret_cast<const char *>(&nan), 4);
        writeBytes(file, assemble(parts));
        const QString message = loadError(file);
        QVERIFY2(message.contains("tensor decoder.final_norm.weight holds NaN or infinite values"), qPrintable(message));
    }

    void savingReplacesAnExistingFileAtomically()
    {
        QTemporaryDir dir;
        const std::string file = dir.filePath("model.tmf").toStdString();
        torch::manual_seed(21);
        Transformer first(tinyOptions());
        saveModel(file, first, tinyInfo());
        auto options = tinyOptions();
        options.dFf = 48;
        Transformer second(options);
        auto info = tinyInfo();
        info.json = R"({"run":8})";
        const std::string sha = saveModel(file, second, info);

        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::System), QStringList{"model.tmf"});
        const auto loaded = loadModel(file);
        QCOMPARE(loaded.sha256, sha);
        QCOMPARE(loaded.info.options.dFf, std::int64_t(48));
        QCOMPARE(loaded.info.json, std::string(R"({"run":8})"));

        // A folder that does not exist: refused naming the path, nothing left behind.
        const std::string bad = dir.filePath("missing/model.tmf").toStdString();
        try {
            saveModel(bad, second, info);
            QFAIL("no exception");
        } catch (const InputError &e) {
            QVERIFY2(QString(e.what()).startsWith(QString::fromStdString(bad) + ": cannot write"), e.what());
        }
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::System), QStringList{"model.tmf"});
    }

    void badInfoIsRefusedOnSave()
    {
        Transformer model(tinyOptions());
        auto info = tinyInfo();
        info.sentencePieceSha256 = std::string(64, '0');  // not that of the bytes
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, saveModel(path("bad.tmf"), model, info));
        info = tinyInfo();
        info.json = "[1]";
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, saveModel(path("bad.tmf"), model, info));
        info = tinyInfo();
        info.tasks.pairs.push_back({0, 0});
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, saveModel(path("bad.tmf"), model, info));
        info = tinyInfo();
        info.tasks.languages.push_back("uk");  // 4 languages, num_languages = 3
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, saveModel(path("bad.tmf"), model, info));
        QVERIFY(!QFile::exists(QString::fromStdString(path("bad.tmf"))));
    }
};

QTEST_GUILESS_MAIN(TestModelFile)
#include "tst_modelfile.moc"
