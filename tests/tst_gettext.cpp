// Tests of the gettext catalog reader: binary .mo files (made by a small writer below, so
// the suite does not need msgfmt), text .po files, cleaning and the locale-tree import. One
// suite for the one reader, with its malformed-input cases spelled out, hence its length.
#include "core/base/errors.h"
#include "core/data/gettext/gettext.h"
#include "core/base/text.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace taskmoe::core;

namespace {

// --- a tiny .mo writer -------------------------------------------------------------------------

struct MoMessage
{
    QByteArray key;     ///< "ctx\x04msgid", "singular\0plural" or "" for the header
    QByteArray value;   ///< plural forms separated by NUL
};

struct MoFile
{
    QByteArray bytes;
    quint32 originals = 0, translations = 0;   ///< table offsets
    QList<quint32> keyOffsets, valueOffsets;     ///< string offsets
};

void putU32(QByteArray &bytes, qsizetype pos, quint32 value, bool bigEndian)
{
    for (int i = 0; i < 4; ++i) {
        const int shift = bigEndian ? 24 - 8 * i : 8 * i;
        bytes[pos + i] = static_cast<char>((value >> shift) & 0xff);
    }
}

MoFile buildMo(const QList<MoMessage> &messages, bool bigEndian = false, quint32 revision = 0)
{
    MoFile mo;
    const auto n = static_cast<quint32>(messages.size());
    mo.originals = 28;
    mo.translations = 28 + 8 * n;
    const quint32 hashOffset = mo.translations + 8 * n;
    mo.bytes = QByteArray(static_cast<qsizetype>(hashOffset), '\0');
    putU32(mo.bytes, 0, 0x950412deu, bigEndian);
    putU32(mo.bytes, 4, revision, bigEndian);
    putU32(mo.bytes, 8, n, bigEndian);
    putU32(mo.bytes, 12, mo.originals, bigEndian);
    putU32(mo.bytes, 16, mo.translations, bigEndian);
    putU32(mo.bytes, 20, 0, bigEndian);   // no hash table
    putU32(mo.bytes, 24, hashOffset, bigEndian);
    auto addString = [&](quint32 table, quint32 index, const QByteArray &text) {
        const auto offset = static_cast<quint32>(mo.bytes.size());
        mo.bytes += text;
        mo.bytes += '\0';
        putU32(mo.bytes, table + 8 * index, static_cast<quint32>(text.size()), bigEndian);
        putU32(mo.bytes, table + 8 * index + 4, offset, bigEndian);
        return offset;
    };
    for (quint32 i = 0; i < n; ++i)
        mo.keyOffsets << addString(mo.originals, i, messages[int(i)].key);
    for (quint32 i = 0; i < n; ++i)
        mo.valueOffsets << addString(mo.translations, i, messages[int(i)].value);
    return mo;
}

const QByteArray kHeader = "Project-Id-Version: demo 1.0\nContent-Type: text/plain; charset=UTF-8\n"
                           "Plural-Forms: nplurals=2; plural=(n != 1);\n";

QList<MoMessage> sampleMessages()
{
    return {
        {"", kHeader},
        {"Open", "\xC3\x96" "ffnen"},
        {QByteArray("menu\x04Save"), "Speichern"},
        {QByteArray("%d file\0%d files", 16), QByteArray("%d Datei\0%d Dateien", 19)},
        {"Untranslated", ""},
    };
}

void writeBytes(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    QVERIFY2(file.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
    QCOMPARE(file.write(bytes), bytes.size());
}

std::string str(const QByteArray &bytes) { return std::string(bytes.constData(), std::size_t(bytes.size())); }

CatalogEntry entry(const std::string &msgid, const std::vector<std::string> &msgstr,
                   bool fuzzy = false, const std::string &context = {},
                   const std::string &plural = {})
{
    CatalogEntry e;
    e.context = context;
    e.msgid = msgid;
    e.msgidPlural = plural;
    e.msgstr = msgstr;
    e.fuzzy = fuzzy;
    return e;
}

/// Runs `f`, expecting an InputError; returns its message ("" and a failure otherwise).
template <typename F>
QString inputErrorOf(F &&f)
{
    try {
        f();
    } catch (const InputError &e) {
        return QString::fromStdString(e.what());
    } catch (const std::exception &e) {
        return QStringLiteral("unexpected exception type: ") + QString::fromStdString(e.what());
    }
    return QString();
}

} // namespace

class TestGettext : public QObject
{
    Q_OBJECT

private slots:
    void init();

    // .mo files
    void moRoundTripInEitherByteOrder_data();
    void moRoundTripInEitherByteOrder();
    void moAcceptsMinorRevisions();
    void moRefusesBadInputNamingFileAndOffset_data();
    void moRefusesBadInputNamingFileAndOffset();
    void moConvertsDeclaredCharsetToUtf8();
    void moNeverCrashesOnMutatedBytes();

    // .po files
    void poReadsEntriesFlagsPluralsAndSkipsObsolete();
    void poDecodesEscapes_data();
    void poDecodesEscapes();
    void poRefusesBadInputNamingTheLine_data();
    void poRefusesBadInputNamingTheLine();
    void poConvertsDeclaredCharsetToUtf8();
    void poNeverCrashesOnMutatedText();

    // cleaning
    void stripsAccelerators_data();
    void stripsAccelerators();
    void cleansEntries_data();
    void cleansEntries();
    void cleaningCountsEveryOutcome();
    void cleaningHonoursMinChars();
    void cleaningOptionsAreValidated();

    // import
    void importsSmallLocaleTree();
    void importRefusesBadTrees_data();
    void importRefusesBadTrees();
    void importsRealGermanCatalogs();
    void importsRealLocaleQuickly();

private:
    QTemporaryDir m_tmp;
    int m_counter = 0;
    QString tempFile(const QString &name) { return m_tmp.filePath(QString::number(++m_counter) + "-" + name); }
};

void TestGettext::init() { QVERIFY(m_tmp.isValid()); }

// --- .mo -----------------------------------------------------------------------------------------

void TestGettext::moRoundTripInEitherByteOrder_data()
{
    QTest::addColumn<bool>("bigEndian");
    QTest::newRow("little-endian") << false;
    QTest::newRow("big-endian") << true;
}

void TestGettext::moRoundTripInEitherByteOrder()
{
    QFETCH(bool, bigEndian);
    const QString path = tempFile("demo.mo");
    writeBytes(path, buildMo(sampleMessages(), bigEndian).bytes);

    const std::vector<CatalogEntry> entries = readMoFile(path.toStdString());
    QCOMPARE(entries.size(), std::size_t(5));
    QCOMPARE(entries[0].msgid, std::string());
    QCOMPARE(entries[0].msgstr, std::vector<std::string>{str(kHeader)});
    QCOMPARE(entries[1].msgid, std::string("Open"));
    QCOMPARE(entries[1].msgstr, std::vector<std::string>{"\xC3\x96" "ffnen"});
    QCOMPARE(entries[1].context, std::string());
    QCOMPARE(entries[2].context, std::string("menu"));
    QCOMPARE(entries[2].msgid, std::string("Save"));
    QCOMPARE(entries[2].msgstr, std::vector<std::string>{"Speichern"});
    QCOMPARE(entries[3].msgid, std::string("%d file"));
    QCOMPARE(entries[3].msgidPlural, std::string("%d files"));
    QCOMPARE(entries[3].msgstr, (std::vector<std::string>{"%d Datei", "%d Dateien"}));
    QCOMPARE(entries[4].msgid, std::string("Untranslated"));
    QCOMPARE(entries[4].msgstr, std::vector<std::string>{""});
    for (const CatalogEntry &e : entries)
        QVERIFY(!e.fuzzy);
}

void TestGettext::moAcceptsMinorRevisions()
{
    const QString path = tempFile("rev.mo");
    writeBytes(path, buildMo(sampleMessages(), false, 0x00010001).bytes);
    QCOMPARE(readMoFile(path.toStdString()).size(), std::size_t(5));
    const QString empty = tempFile("empty.mo");
    writeBytes(empty, buildMo({}, true).bytes);
    QVERIFY(readMoFile(empty.toStdString()).empty());
}

void TestGettext::moRefusesBadInputNamingFileAndOffset_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QStringList>("expected");   // substrings of the message besides the file

    const MoFile good = buildMo(sampleMessages());
    const qsizetype size = good.bytes.size();
    const QString sizeText = QString::number(size);
    auto patched = [&](qsizetype pos, quint32 value) {
        QByteArray b = good.bytes;
        putU32(b, pos, value, false);
        return b;
    };

    QTest::newRow("empty file") << QByteArray() << QStringList{"offset 0", "not a gettext .mo file"};
    QTest::newRow("wrong magic") << patched(0, 0x12345678)
                                 << QStringList{"offset 0", "not a gettext .mo file", "magic number 0x12345678"};
    QTest::newRow("a .po file") << QByteArray("msgid \"a\"\nmsgstr \"b\"\n")
                                << QStringList{"offset 0", "not a gettext .mo file (magic number 0x"};
    QTest::newRow("truncated header") << good.bytes.left(10) << QStringList{"offset 10", "truncated .mo header"};
    QTest::newRow("unknown major revision") << patched(4, 0x00020000)
                                            << QStringList{"offset 4", "revision 2.0"};
    QTest::newRow("original table past the end") << patched(12, 0xfffffff0u)
                                                  << QStringList{"offset 12", "original string table", "past the end of the file (size " + sizeText};
    QTest::newRow("translation table past the end") << patched(16, quint32(size) - 8)
                                                     << QStringList{"offset 16", "translation string table", "truncated"};
    QTest::newRow("huge entry count") << patched(8, 0xffffffffu)
                                      << QStringList{"offset 12", "4294967295 entries", "truncated"};
    QTest::newRow("truncated tables") << good.bytes.left(28 + 8 * 3 + 5)
                                      << QStringList{"offset 12", "truncated"};
    QTest::newRow("string offset past the end")
        << patched(good.originals + 8 * 1 + 4, quint32(size) + 10)
        << QStringList{"offset " + QString::number(good.originals + 8),
                       "original string table entry 1 points past the end of the file (size " + sizeText};
    QTest::newRow("string length past the end")
        << patched(good.translations + 8 * 2, 0xffffffffu)
        << QStringList{"offset " + QString::number(good.translations + 16),
                       "translation string table entry 2 points past the end of the file (size " + sizeText};
    {
        QByteArray b = patched(good.translations + 8 * 4, 0xffffffffu);
        putU32(b, good.translations + 8 * 4 + 4, 0xffffffffu, false);
        QTest::newRow("offset and length overflow 32 bits")
            << b << QStringList{"offset " + QString::number(good.translations + 32),
                                "translation string table entry 4 points past the end of the file"};
    }
    QTest::newRow("string ends exactly at the end, no NUL")
        << good.bytes.left(size - 1)
        << QStringList{"translation string table entry 4 points past the end of the file"};
    {
        QByteArray b = good.bytes;
        const quint32 nulAt = good.keyOffsets[1] + 4;   // after "Open"
        b[nulAt] = 'X';
        QTest::newRow("string not NUL-terminated")
            << b << QStringList{"offset " + QString::number(nulAt), "entry 1 is not NUL-terminated"};
    }
    {
        QList<MoMessage> messages = sampleMessages();
        messages[1].value = "Ab\xC3\x28";
        const MoFile bad = buildMo(messages);
        QTest::newRow("invalid UTF-8 in a translation")
            << bad.bytes << QStringList{"offset " + QString::number(bad.valueOffsets[1] + 2),
                                        "invalid UTF-8 in translation string table entry 1"};
        messages = sampleMessages();
        messages[3].key = QByteArray("%d file\0%d files\xff", 17);
        const MoFile badKey = buildMo(messages);
        QTest::newRow("invalid UTF-8 in a msgid")
            << badKey.bytes << QStringList{"offset " + QString::number(badKey.keyOffsets[3] + 16),
                                           "invalid UTF-8 in original string table entry 3"};
        messages = sampleMessages();
        messages[0].value = "Content-Type: text/plain; charset=NO-SUCH-CHARSET\n";
        const MoFile badCharset = buildMo(messages);
        QTest::newRow("unsupported charset")
            << badCharset.bytes << QStringList{"offset " + QString::number(badCharset.valueOffsets[0]),
                                               "unsupported charset 'NO-SUCH-CHARSET'"};
    }
}

void TestGettext::moRefusesBadInputNamingFileAndOffset()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QStringList, expected);
    const QString path = tempFile("bad.mo");
    writeBytes(path, bytes);
    const QString message = inputErrorOf([&] { readMoFile(path.toStdString()); });
    QVERIFY2(message.startsWith(path + ": "), qPrintable(message));
    for (const QString &part : expected)
        QVERIFY2(message.contains(part), qPrintable(message + "  — lacks: " + part));
}

void TestGettext::moConvertsDeclaredCharsetToUtf8()
{
    const QList<MoMessage> messages = {
        {"", "Content-Type: text/plain; charset=ISO-8859-1\n"},
        {"Open", "\xD6" "ffnen"},   // Latin-1 Ö
    };
    const QString path = tempFile("latin1.mo");
    writeBytes(path, buildMo(messages).bytes);
    const auto entries = readMoFile(path.toStdString());
    QCOMPARE(entries.size(), std::size_t(2));
    QCOMPARE(entries[1].msgstr, std::vector<std::string>{"\xC3\x96" "ffnen"});
}

void TestGettext::moNeverCrashesOnMutatedBytes()
{
    // Hostile bytes: every mutation either reads or is refused with an InputError.
    const MoFile good = buildMo(sampleMessages());
    std::mt19937 rng(12345);
    const QString path = tempFile("fuzz.mo");
    int refused = 0, read = 0;
    for (int i = 0; i < 1500; ++i) {
        QByteArray b = good.bytes;
        const int kind = int(rng() % 4);
        if (kind == 0) {
            b.truncate(qsizetype(rng() % quint32(b.size())));
        } else if (kind == 1) {   // a random 32-bit value into the header or the tables
            const quint32 pos = rng() % (good.translations + 8 * 5 - 4);
            const quint32 values[] = {0u, 1u, 0xffffffffu, 0x7fffffffu, 0x80000000u,
                                      quint32(b.size()), quint32(b.size() - 1), quint32(rng())};
            putU32(b, pos, values[rng() % 8], rng() % 2);
        } else {
            for (int k = 0; k < 1 + int(rng() % 6); ++k)
                b[qsizetype(rng() % quint32(b.size()))] = char(rng());
        }
        writeBytes(path, b);
        try {
            const auto entries = readMoFile(path.toStdString());
            for (const CatalogEntry &e : entries)
                for (const std::string &s : e.msgstr)
                    QVERIFY(isValidUtf8(s));
            ++read;
        } catch (const InputError &e) {
            QVERIFY2(QString::fromStdString(e.what()).startsWith(path), e.what());
            ++refused;
        }
    }
    QVERIFY(refused > 0);
    QVERIFY(read > 0);
}

// --- .po -----------------------------------------------------------------------------------------

void TestGettext::poReadsEntriesFlagsPluralsAndSkipsObsolete()
{
    const std::string path = TEST_DATA_DIR "/gettext/sample.po";
    const std::vector<CatalogEntry> entries = readPoFile(path);
    QCOMPARE(entries.size(), std::size_t(9));

    QCOMPARE(entries[0].msgid, std::string());
    QVERIFY(entries[0].msgstr.at(0).find("charset=UTF-8\n") != std::string::npos);
    QCOMPARE(entries[1].msgid, std::string("_Open"));
    QCOMPARE(entries[1].msgstr, std::vector<std::string>{"\xC3\x96_ffnen"});
    // continuation lines join, "\n" decodes
    QCOMPARE(entries[2].msgid, std::string("Line one\nline two"));
    QCOMPARE(entries[2].msgstr, std::vector<std::string>{"Zeile eins\nZeile zwei"});
    QVERIFY(!entries[2].fuzzy);   // "#, c-format" alone is not fuzzy
    QCOMPARE(entries[3].context, std::string("menu"));
    QCOMPARE(entries[3].msgid, std::string("Save"));
    QCOMPARE(entries[4].msgid, std::string("Quit"));
    QVERIFY(entries[4].fuzzy);
    QCOMPARE(entries[5].msgid, std::string("%d file"));
    QCOMPARE(entries[5].msgidPlural, std::string("%d files"));
    QCOMPARE(entries[5].msgstr, (std::vector<std::string>{"%d Datei", "%d Dateien"}));
    QCOMPARE(entries[6].msgid, std::string("Tab\there \"quoted\" back\\slash"));
    QCOMPARE(entries[6].msgstr, std::vector<std::string>{"Tab\thier \"zitiert\" R\xC3\xBC" "ck\\strich"});
    QCOMPARE(entries[7].msgid, std::string("Untranslated"));
    QCOMPARE(entries[7].msgstr, std::vector<std::string>{""});
    // the obsolete "#~" entry is skipped and its fuzzy flag does not leak to the next one
    QCOMPARE(entries[8].msgid, std::string("After obsolete"));
    QVERIFY(!entries[8].fuzzy);
    for (const CatalogEntry &e : entries)
        QVERIFY(e.msgid != "Old");
}

void TestGettext::poDecodesEscapes_data()
{
    QTest::addColumn<QByteArray>("escaped");
    QTest::addColumn<QByteArray>("decoded");
    QTest::newRow("newline") << QByteArray("a\\nb") << QByteArray("a\nb");
    QTest::newRow("tab") << QByteArray("a\\tb") << QByteArray("a\tb");
    QTest::newRow("carriage return") << QByteArray("a\\rb") << QByteArray("a\rb");
    QTest::newRow("quote") << QByteArray("say \\\"hi\\\"") << QByteArray("say \"hi\"");
    QTest::newRow("backslash") << QByteArray("a\\\\b") << QByteArray("a\\b");
    QTest::newRow("bell backspace formfeed vtab") << QByteArray("\\a\\b\\f\\v") << QByteArray("\a\b\f\v");
    QTest::newRow("octal") << QByteArray("\\101\\60") << QByteArray("A0");
    QTest::newRow("octal UTF-8 bytes") << QByteArray("caf\\303\\251") << QByteArray("caf\xC3\xA9");
    QTest::newRow("hex") << QByteArray("\\x41\\x4a!") << QByteArray("AJ!");
    QTest::newRow("hex UTF-8 bytes") << QByteArray("caf\\xc3\\xa9") << QByteArray("caf\xC3\xA9");
    QTest::newRow("raw UTF-8") << QByteArray("\xE6\x97\xA5\xE6\x9C\xAC") << QByteArray("\xE6\x97\xA5\xE6\x9C\xAC");
}

void TestGettext::poDecodesEscapes()
{
    QFETCH(QByteArray, escaped);
    QFETCH(QByteArray, decoded);
    const QString path = tempFile("escape.po");
    writeBytes(path, "msgid \"x\"\nmsgstr \"" + escaped + "\"\n");
    const auto entries = readPoFile(path.toStdString());
    QCOMPARE(entries.size(), std::size_t(1));
    QCOMPARE(entries[0].msgstr, std::vector<std::string>{str(decoded)});
}

void TestGettext::poRefusesBadInputNamingTheLine_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("what");
    const QByteArray ok = "msgid \"a\"\nmsgstr \"b\"\n\n";   // lines 1-3
    QTest::newRow("unterminated string") << ok + "msgid \"abc\nmsgstr \"\"\n" << 4 << "unterminated string";
    QTest::newRow("unterminated continuation") << ok + "msgid \"abc\"\n\"more\nmsgstr \"\"\n" << 5
                                               << "unterminated string";
    QTest::newRow("unknown escape") << ok + "msgid \"x\"\nmsgstr \"a\\qb\"\n" << 5 << "unknown escape sequence \\q";
    QTest::newRow("msgstr before msgid") << QByteArray("# comment\nmsgstr \"x\"\n") << 2
                                         << "msgstr without a msgid";
    QTest::newRow("msgid twice") << ok + "msgid \"x\"\nmsgid \"y\"\nmsgstr \"\"\n" << 5 << "msgid out of order";
    QTest::newRow("msgctxt after msgid") << ok + "msgid \"x\"\nmsgctxt \"c\"\nmsgstr \"\"\n" << 5
                                         << "msgctxt out of order";
    QTest::newRow("msgid_plural without msgid") << ok + "msgid_plural \"x\"\n" << 4
                                                << "msgid_plural without a msgid";
    QTest::newRow("msgstr[n] without msgid_plural") << ok + "msgid \"x\"\nmsgstr[0] \"y\"\n" << 5
                                                    << "without msgid_plural";
    QTest::newRow("plural forms out of order")
        << ok + "msgid \"x\"\nmsgid_plural \"xs\"\nmsgstr[1] \"y\"\n" << 6 << "out of order (expected msgstr[0])";
    QTest::newRow("plain msgstr after msgid_plural")
        << ok + "msgid \"x\"\nmsgid_plural \"xs\"\nmsgstr \"y\"\n" << 6 << "expected msgstr[0]";
    QTest::newRow("garbage line") << ok + "this is not a catalog\n" << 4 << "unknown keyword 'this'";
    QTest::newRow("garbage symbols") << ok + "123 = 4\n" << 4 << "unexpected text";
    QTest::newRow("text after string") << ok + "msgid \"x\" y\nmsgstr \"\"\n" << 4 << "after the closing quote";
    QTest::newRow("keyword without string") << ok + "msgid x\n" << 4 << "expected a quoted string";
    QTest::newRow("string without keyword") << QByteArray("\"orphan\"\n") << 1 << "string without a keyword";
    QTest::newRow("continuation after a blank line") << ok + "\"orphan\"\n" << 4 << "string without a keyword";
    QTest::newRow("msgid without msgstr at the end") << ok + "\nmsgid \"x\"\n" << 5 << "msgid without a msgstr";
    QTest::newRow("invalid UTF-8") << ok + "msgid \"x\"\nmsgstr \"\xff\"\n" << 5 << "invalid UTF-8";
    QTest::newRow("invalid UTF-8 from an escape") << ok + "msgid \"x\"\nmsgstr \"\\xff\"\n" << 5
                                                  << "invalid UTF-8 in msgstr";
    QTest::newRow("unsupported charset")
        << QByteArray("msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=NO-SUCH\\n\"\n\n"
                      "msgid \"a\"\nmsgstr \"\xff\"\n")
        << 2 << "unsupported charset 'NO-SUCH'";
    QTest::newRow("octal escape out of range") << ok + "msgid \"\\777\"\n" << 4 << "out of range";
}

void TestGettext::poRefusesBadInputNamingTheLine()
{
    QFETCH(QByteArray, text);
    QFETCH(int, line);
    QFETCH(QString, what);
    const QString path = tempFile("bad.po");
    writeBytes(path, text);
    const QString message = inputErrorOf([&] { readPoFile(path.toStdString()); });
    const QString prefix = path + ": line " + QString::number(line) + ": ";
    QVERIFY2(message.startsWith(prefix), qPrintable(message + "  — expected prefix " + prefix));
    QVERIFY2(message.contains(what), qPrintable(message + "  — lacks: " + what));
}

void TestGettext::poConvertsDeclaredCharsetToUtf8()
{
    const QString path = tempFile("latin1.po");
    writeBytes(path, "msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=ISO-8859-1\\n\"\n\n"
                     "msgid \"Open\"\nmsgstr \"\xD6" "ffnen\"\n");
    const auto entries = readPoFile(path.toStdString());
    QCOMPARE(entries.size(), std::size_t(2));
    QCOMPARE(entries[1].msgstr, std::vector<std::string>{"\xC3\x96" "ffnen"});
}

void TestGettext::poNeverCrashesOnMutatedText()
{
    QFile sample(TEST_DATA_DIR "/gettext/sample.po");
    QVERIFY(sample.open(QIODevice::ReadOnly));
    const QByteArray good = sample.readAll();
    const QByteArray alphabet = "\"\\\n #~,[]0123msgidstrctxplural_\xff\xc3";
    std::mt19937 rng(777);
    const QString path = tempFile("fuzz.po");
    for (int i = 0; i < 1000; ++i) {
        QByteArray b = good;
        for (int k = 0; k < 1 + int(rng() % 4); ++k)
            b[qsizetype(rng() % quint32(b.size()))] = alphabet[qsizetype(rng() % quint32(alphabet.size()))];
        if (rng() % 4 == 0)
            b.truncate(qsizetype(rng() % quint32(b.size())));
        writeBytes(path, b);
        try {
            readPoFile(path.toStdString());
        } catch (const InputError &e) {
            QVERIFY2(QString::fromStdString(e.what()).startsWith(path + ": line "), e.what());
        }
    }
}

// --- cleaning ------------------------------------------------------------------------------------

void TestGettext::stripsAccelerators_data()
{
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("output");
    QTest::newRow("underscore") << "_File" << "File";
    QTest::newRow("ampersand") << "&Save" << "Save";
    QTest::newRow("second word") << "Save _As…" << "Save As…";
    QTest::newRow("inside a word") << "O_pen" << "Open";
    QTest::newRow("non-ASCII letter") << "_Übersicht" << "Übersicht";
    QTest::newRow("doubled ampersand") << "Fish && Chips" << "Fish & Chips";
    QTest::newRow("doubled underscore") << "snake__case" << "snake_case";
    QTest::newRow("doubled and accelerator") << "&Copy && Paste" << "Copy & Paste";
    QTest::newRow("CJK underscore") << "ファイル(_F)" << "ファイル";
    QTest::newRow("CJK ampersand with ellipsis") << "開く(&O)..." << "開く...";
    QTest::newRow("CJK with ellipsis character") << "保存(_S)…" << "保存…";
    QTest::newRow("CJK with blank before") << "Fichier (_F)" << "Fichier";
    QTest::newRow("lone ampersand") << "Tom & Jerry" << "Tom & Jerry";
    QTest::newRow("entity") << "Tom &amp; Jerry" << "Tom &amp; Jerry";
    QTest::newRow("identifier in capitals") << "Set LC_ALL first" << "Set LC_ALL first";
    QTest::newRow("several underscores") << "use some_long_name" << "use some_long_name";
    QTest::newRow("trailing underscore") << "name_" << "name_";
    QTest::newRow("underscore before punctuation") << "%s_%d" << "%s_%d";
    QTest::newRow("parenthesised letter in text") << "(G)ood or (B)ad" << "(G)ood or (B)ad";
    QTest::newRow("empty") << "" << "";
}

void TestGettext::stripsAccelerators()
{
    QFETCH(QString, input);
    QFETCH(QString, output);
    QCOMPARE(QString::fromStdString(stripAccelerators(input.toStdString())), output);
}

void TestGettext::cleansEntries_data()
{
    QTest::addColumn<QString>("context");
    QTest::addColumn<QString>("msgid");
    QTest::addColumn<QString>("plural");
    QTest::addColumn<QStringList>("msgstr");
    QTest::addColumn<bool>("fuzzy");
    QTest::addColumn<QString>("outcome");   // "kept" or the CleaningStats field that counts it
    QTest::addColumn<QString>("src");
    QTest::addColumn<QString>("tgt");

    const QString none;
    auto kept = [](const char *name, QString msgid, QStringList msgstr, QString src, QString tgt,
                   QString plural = {}, QString context = {}) {
        QTest::newRow(name) << context << msgid << plural << msgstr << false << "kept" << src << tgt;
    };
    auto dropped = [&](const char *name, QString msgid, QStringList msgstr, const char *outcome,
                       bool fuzzy = false) {
        QTest::newRow(name) << none << msgid << none << msgstr << fuzzy << outcome << none << none;
    };

    kept("plain", "Open", {"Öffnen"}, "Open", "Öffnen");
    kept("accelerators", "_Open", {"Ö_ffnen"}, "Open", "Öffnen");
    kept("ampersand accelerators", "&Save", {"&Speichern"}, "Save", "Speichern");
    kept("CJK accelerator", "_File", {"ファイル(_F)"}, "File", "ファイル");
    kept("context prefix", "File|Open", {"Öffnen"}, "Open", "Öffnen");
    kept("context prefix in both", "Action|New", {"Action|Neu"}, "New", "Neu");
    kept("context with accelerator", "Menu|_Edit", {"_Bearbeiten"}, "Edit", "Bearbeiten");
    kept("bar in ordinary text", "Use a|b here", {"Verwende a|b hier"}, "Use a|b here", "Verwende a|b hier");
    kept("alternatives", "yes|no", {"ja|nein"}, "yes|no", "ja|nein");
    kept("option syntax", "cd [-L|-P] [dir]", {"cd [-L|-P] [Verzeichnis]"}, "cd [-L|-P] [dir]",
         "cd [-L|-P] [Verzeichnis]");
    kept("plural takes the singular", "%d file", {"%d Datei", "%d Dateien"}, "%d file", "%d Datei", "%d files");
    kept("msgctxt is not part of the text", "Save", {"Speichern"}, "Save", "Speichern", {}, "menu");
    kept("whitespace", "  Line one\n\tline   two ", {"Zeile eins\nZeile\tzwei\n"}, "Line one line two",
         "Zeile eins Zeile zwei");
    kept("control characters become spaces", "\aTimed out\vretry", {"\aZeit um\vnochmal"},
         "Timed out retry", "Zeit um nochmal");
    kept("angle brackets around words", "<unknown>", {"<unbekannt>"}, "<unknown>", "<unbekannt>");
    kept("format with words", "Page %d of %d", {"Seite %d von %d"}, "Page %d of %d", "Seite %d von %d");
    kept("exactly the maximum", QString(200, 'a'), {QString(200, QChar(0xE4))}, QString(200, 'a'),
         QString(200, QChar(0xE4)));

    dropped("header", "", {"Content-Type: text/plain; charset=UTF-8\n"}, "header");
    dropped("untranslated", "Open", {""}, "untranslated");
    dropped("no msgstr", "Open", {}, "untranslated");
    dropped("untranslated plural", "%d file", {"", ""}, "untranslated");
    dropped("fuzzy", "Quit", {"Beenden"}, "fuzzy", true);
    dropped("source too long", QString(201, 'a'), {"kurz"}, "tooLong");
    dropped("target too long", "short", {QString(201, QChar(0x65E5))}, "tooLong");
    dropped("blank after cleaning", " \n\t", {"\n"}, "empty");
    dropped("only a format", "%s", {"%s"}, "notText");
    dropped("formats and punctuation", "%s: %s", {"%s : %s"}, "notText");
    dropped("positional formats", "%1$s (%2$d%%)", {"%1$s (%2$d%%)"}, "notText");
    dropped("Qt placeholders", "%1 / %2", {"%1 / %2"}, "notText");
    dropped("brace placeholders", "{0} - {name}", {"{0} – {name}"}, "notText");
    dropped("markup around a format", "<b>%s</b>", {"<b>%s</b>"}, "notText");
    dropped("numbers", "1024", {"1 024"}, "notText");
    dropped("punctuation", "...", {"…"}, "notText");
}

void TestGettext::cleansEntries()
{
    QFETCH(QString, context);
    QFETCH(QString, msgid);
    QFETCH(QString, plural);
    QFETCH(QStringList, msgstr);
    QFETCH(bool, fuzzy);
    QFETCH(QString, outcome);
    QFETCH(QString, src);
    QFETCH(QString, tgt);

    std::vector<std::string> forms;
    for (const QString &s : msgstr)
        forms.push_back(s.toStdString());
    const std::vector<CatalogEntry> entries = {
        entry(msgid.toStdString(), forms, fuzzy, context.toStdString(), plural.toStdString())};
    std::vector<SentencePair> out;
    CleaningStats stats;
    cleanCatalog(entries, CatalogCleaning(), out, stats);
    QCOMPARE(stats.entries, std::size_t(1));
    const std::pair<const char *, std::size_t> counts[] = {
        {"kept", stats.kept},       {"header", stats.header}, {"untranslated", stats.untranslated},
        {"fuzzy", stats.fuzzy},     {"tooLong", stats.tooLong}, {"empty", stats.empty},
        {"notText", stats.notText}, {"duplicates", stats.duplicates}};
    for (const auto &[name, count] : counts)
        QVERIFY2(count == (outcome == name ? 1u : 0u), name);
    if (outcome == "kept") {
        QCOMPARE(out.size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(out[0].src), src);
        QCOMPARE(QString::fromStdString(out[0].tgt), tgt);
    } else {
        QVERIFY(out.empty());
    }
}

void TestGettext::cleaningCountsEveryOutcome()
{
    const std::vector<CatalogEntry> entries = {
        entry("", {"Content-Type: text/plain; charset=UTF-8\n"}),
        entry("_Open", {"Ö_ffnen"}),
        entry("Open", {"Öffnen"}),   // a duplicate after cleaning: cleanCatalog does not dedupe
        entry("Quit", {"Beenden"}, true),
        entry("Help", {""}),
        entry("%s", {"%s"}),
        entry(std::string(300, 'x'), {"y"}),
    };
    std::vector<SentencePair> out = {{"existing", "vorhanden"}};
    CleaningStats stats;
    cleanCatalog(entries, CatalogCleaning(), out, stats);
    QCOMPARE(out.size(), std::size_t(3));   // appended
    QCOMPARE(out[0].src, std::string("existing"));
    QCOMPARE(out[1], (SentencePair{"Open", "\xC3\x96" "ffnen"}));
    QCOMPARE(out[2], (SentencePair{"Open", "\xC3\x96" "ffnen"}));
    QCOMPARE(stats.entries, std::size_t(7));
    QCOMPARE(stats.kept, std::size_t(2));
    QCOMPARE(stats.header, std::size_t(1));
    QCOMPARE(stats.fuzzy, std::size_t(1));
    QCOMPARE(stats.untranslated, std::size_t(1));
    QCOMPARE(stats.notText, std::size_t(1));
    QCOMPARE(stats.tooLong, std::size_t(1));
    QCOMPARE(stats.duplicates, std::size_t(0));
}

void TestGettext::cleaningHonoursMinChars()
{
    CatalogCleaning options;
    options.minChars = 3;
    options.maxChars = 10;
    std::vector<SentencePair> out;
    CleaningStats stats;
    cleanCatalog({entry("OK", {"OK"}), entry("Cancel", {"Abbrechen"}), entry("Yes", {"Ja"}),
                  entry("Preferences", {"Einstellungen"})},
                 options, out, stats);
    QCOMPARE(out.size(), std::size_t(1));
    QCOMPARE(out[0].tgt, std::string("Abbrechen"));
    QCOMPARE(stats.empty, std::size_t(2));
    QCOMPARE(stats.tooLong, std::size_t(1));
}

void TestGettext::cleaningOptionsAreValidated()
{
    CatalogCleaning options;
    options.minChars = 0;
    try {
        options.validate();
        QFAIL("minChars 0 accepted");
    } catch (const std::invalid_argument &e) {
        QVERIFY2(QString(e.what()).contains("minChars"), e.what());
    }
    options.minChars = 5;
    options.maxChars = 4;
    try {
        options.validate();
        QFAIL("maxChars < minChars accepted");
    } catch (const std::invalid_argument &e) {
        QVERIFY2(QString(e.what()).contains("maxChars"), e.what());
    }
    options.maxChars = 5;
    options.validate();
    std::vector<SentencePair> out;
    CleaningStats stats;
    options.maxChars = 1;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, cleanCatalog({}, options, out, stats));
}

// --- import --------------------------------------------------------------------------------------

void TestGettext::importsSmallLocaleTree()
{
    const QString root = m_tmp.filePath("locale-small");
    const QString dir = root + "/de/LC_MESSAGES";
    QList<MoMessage> messages = {
        {"", kHeader},
        {"_Open", "\xC3\x96_ffnen"},
        {"File|Save", "Speichern"},
        {QByteArray("%d file\0%d files", 16), QByteArray("%d Datei\0%d Dateien", 19)},
        {"Untranslated", ""},
        {"%s", "%s"},
    };
    writeBytes(dir + "/a.mo", buildMo(messages).bytes);
    writeBytes(dir + "/b.po", "msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n\n"
                              "msgid \"Open\"\nmsgstr \"\xC3\x96" "ffnen\"\n\n"
                              "#, fuzzy\nmsgid \"Quit\"\nmsgstr \"Beenden\"\n\n"
                              "msgid \"Close\"\nmsgstr \"Schlie\xC3\x9F" "en\"\n");
    writeBytes(dir + "/README.txt", "not a catalog\n");
    writeBytes(root + "/fr/LC_MESSAGES/c.po", "msgid \"Close\"\nmsgstr \"Fermer\"\n");

    GettextImportOptions options;
    options.localeRoot = root.toStdString();
    options.languages = {"de", "fr"};
    const Corpus corpus = importGettext(options);

    QCOMPARE(corpus.kind, std::string("gettext"));
    QVERIFY2(QString::fromStdString(corpus.source).contains(root), corpus.source.c_str());
    QVERIFY2(QString::fromStdString(corpus.source).contains("de,fr"), corpus.source.c_str());
    QCOMPARE(corpus.pairs.size(), std::size_t(2));
    const ParallelData &de = corpus.pairs[0];
    QCOMPARE(de.srcLang, std::string("en"));
    QCOMPARE(de.tgtLang, std::string("de"));
    const std::vector<SentencePair> expected = {
        {"Open", "\xC3\x96" "ffnen"}, {"Save", "Speichern"}, {"%d file", "%d Datei"},
        {"Close", "Schlie\xC3\x9F" "en"}};
    QCOMPARE(de.sentences, expected);   // a.mo before b.po, the duplicate "Open" dropped
    QCOMPARE(corpus.pairs[1].name(), std::string("en-fr"));
    QCOMPARE(corpus.pairs[1].sentences, (std::vector<SentencePair>{{"Close", "Fermer"}}));

    const std::string line = "de: 10 entries in 2 catalogs, kept 4 (untranslated 1, fuzzy 1, "
                             "too long 0, not text 1, duplicates 1, headers 2, empty 0)";
    QVERIFY2(std::find(corpus.report.begin(), corpus.report.end(), line) != corpus.report.end(),
             qPrintable(QString::fromStdString(corpus.report.empty() ? "(no report)" : corpus.report[0])));
    QVERIFY(std::any_of(corpus.report.begin(), corpus.report.end(),
                        [](const std::string &r) { return r.rfind("fr: 1 entries in 1 catalogs, kept 1", 0) == 0; }));
    std::vector<std::string> codes;
    for (const LanguageInfo &info : corpus.languages)
        codes.push_back(info.code);
    QVERIFY(std::find(codes.begin(), codes.end(), "en") != codes.end());
    QVERIFY(std::find(codes.begin(), codes.end(), "de") != codes.end());
    QVERIFY(std::find(codes.begin(), codes.end(), "fr") != codes.end());

    // the same tree imports to the same corpus
    const Corpus again = importGettext(options);
    QCOMPARE(again.pairs[0].sentences, de.sentences);
}

void TestGettext::importRefusesBadTrees_data()
{
    QTest::addColumn<QString>("root");
    QTest::addColumn<QStringList>("languages");
    QTest::addColumn<QStringList>("expected");   // "@ROOT@" stands for the tree's path

    QTest::newRow("missing language directory") << "tree" << QStringList{"de", "es"}
                                                << QStringList{"@ROOT@/es/LC_MESSAGES", "no such directory"};
    QTest::newRow("language without catalogs") << "tree" << QStringList{"it"}
                                               << QStringList{"@ROOT@/it/LC_MESSAGES", "no .mo or .po catalogs"};
    QTest::newRow("corrupt catalog") << "tree" << QStringList{"de", "nl"}
                                     << QStringList{"@ROOT@/nl/LC_MESSAGES/broken.mo", "offset 0",
                                                    "not a gettext .mo file"};
    // Regression: a language whose catalogs held nothing usable became a pair with no
    // sentences, registered in the store, that only failed at training time.
    QTest::newRow("language without usable entries") << "tree" << QStringList{"de", "pl"}
                                                     << QStringList{"@ROOT@/pl/LC_MESSAGES",
                                                                    "no usable sentence pairs", "'pl'",
                                                                    "fuzzy 1"};
    QTest::newRow("missing root") << "no-such-tree" << QStringList{"de"}
                                  << QStringList{"@ROOT@", "locale directory not found"};
    QTest::newRow("no languages") << "tree" << QStringList{} << QStringList{"--langs"};
    QTest::newRow("malformed language code") << "tree" << QStringList{"de", "not a code!"}
                                             << QStringList{"--langs"};
    QTest::newRow("language given twice") << "tree" << QStringList{"de", "de"}
                                          << QStringList{"--langs", "twice"};
}

void TestGettext::importRefusesBadTrees()
{
    QFETCH(QString, root);
    QFETCH(QStringList, languages);
    QFETCH(QStringList, expected);
    const QString tree = m_tmp.filePath("bad-trees");
    if (!QFileInfo::exists(tree + "/de")) {
        writeBytes(tree + "/de/LC_MESSAGES/a.po", "msgid \"Close\"\nmsgstr \"Schlie\xC3\x9F" "en\"\n");
        QVERIFY(QDir().mkpath(tree + "/it/LC_MESSAGES"));
        writeBytes(tree + "/it/LC_MESSAGES/notes.txt", "x");
        writeBytes(tree + "/nl/LC_MESSAGES/broken.mo", "definitely not a catalog");
        writeBytes(tree + "/pl/LC_MESSAGES/a.po", "msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n\n"
                                                  "#, fuzzy\nmsgid \"Close\"\nmsgstr \"Zamknij\"\n\n"
                                                  "msgid \"Open\"\nmsgstr \"\"\n");
    }
    const QString rootPath = m_tmp.filePath(root == "tree" ? "bad-trees" : root);

    GettextImportOptions options;
    options.localeRoot = rootPath.toStdString();
    for (const QString &l : languages)
        options.languages.push_back(l.toStdString());
    const QString message = inputErrorOf([&] { importGettext(options); });
    QVERIFY2(!message.isEmpty(), "no error");
    for (QString part : expected) {
        part.replace("@ROOT@", rootPath);
        QVERIFY2(message.contains(part), qPrintable(message + "  — lacks: " + part));
    }
}

void TestGettext::importsRealGermanCatalogs()
{
    const QString root = "/usr/share/locale";
    if (!QFileInfo(root + "/de/LC_MESSAGES").isDir())
        QSKIP("no German catalogs on this machine");
    GettextImportOptions options;
    options.languages = {"de"};
    QElapsedTimer timer;
    timer.start();
    const Corpus corpus = importGettext(options);
    const qint64 ms = timer.elapsed();
    QCOMPARE(corpus.pairs.size(), std::size_t(1));
    const auto &sentences = corpus.pairs[0].sentences;
    for (const std::string &line : corpus.report)
        qInfo("%s", line.c_str());
    qInfo("de: %zu pairs in %lld ms", sentences.size(), static_cast<long long>(ms));
    QVERIFY2(sentences.size() >= 2000, qPrintable(QString::number(sentences.size())));
    for (const SentencePair &p : sentences) {
        for (const std::string *s : {&p.src, &p.tgt}) {
            QVERIFY2(!s->empty() && isValidUtf8(*s), s->c_str());
            QVERIFY2(utf8Length(*s) <= 200, s->c_str());
            QVERIFY2(s->find_first_of("\n\t\r") == std::string::npos, s->c_str());
            QVERIFY2(s->front() != ' ' && s->back() != ' ', s->c_str());
        }
    }
}

void TestGettext::importsRealLocaleQuickly()
{
    const QString root = "/usr/share/locale";
    GettextImportOptions options;
    for (const char *lang : {"de", "fr", "es", "ca", "ru", "uk", "ja"}) {
        if (QFileInfo(root + "/" + lang + "/LC_MESSAGES").isDir()
            && !QDir(root + "/" + lang + "/LC_MESSAGES").entryList({"*.mo", "*.po"}, QDir::Files).isEmpty())
            options.languages.push_back(lang);
    }
    if (options.languages.empty())
        QSKIP("none of de, fr, es, ca, ru, uk, ja has catalogs on this machine");
    QElapsedTimer timer;
    timer.start();
    const Corpus corpus = importGettext(options);
    const qint64 ms = timer.elapsed();
    for (const std::string &line : corpus.report)
        qInfo("%s", line.c_str());
    qInfo("%zu languages imported in %lld ms", options.languages.size(), static_cast<long long>(ms));
    QCOMPARE(corpus.pairs.size(), options.languages.size());
    for (const ParallelData &pair : corpus.pairs)
        QVERIFY2(!pair.sentences.empty(), pair.name().c_str());
    // "a few seconds at most"; generous for a shared, loaded build machine
    QVERIFY2(ms < 30000, qPrintable(QString::number(ms)));
}

QTEST_GUILESS_MAIN(TestGettext)
#include "tst_gettext.moc"
