// `taskmoe corpus …`: build datasets from the synthetic generator or real corpora, register
// them in the store, show their sizes, and train a shared SentencePiece vocabulary.
#include "app/cli.h"
#include "usecases/datasets.h"

#include "core/data/corpus.h"
#include "core/base/errors.h"
#include "core/data/gettext/gettext.h"
#include "core/data/readers.h"
#include "core/data/sampler.h"
#include "core/data/sentencepiece.h"
#include "core/base/sha256.h"
#include "core/data/synth/synth.h"
#include "core/base/text.h"
#include "db/store.h"

#include <QFileInfo>
#include <QRegularExpression>
#include <QJsonDocument>
#include <QTextStream>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <random>
#include <set>
#include <string>

namespace taskmoe::app {

namespace {

using usecases::StoredCorpus;
using usecases::VocabRequest;
using usecases::storeCorpus;
using usecases::synthParams;


QString qs(const std::string &s) { return QString::fromStdString(s); }

void note(const QString &text)
{
    std::fprintf(stderr, "%s\n", text.toLocal8Bit().constData());
}

// Options every dataset-creating command shares.
void addDatasetOptions(CommandLine &cli)
{
    cli.addDbOption();
    cli.addFormatOption();
    cli.addOption({QStringLiteral("name"), QStringLiteral("A name for the dataset (stored verbatim)."), QStringLiteral("name")});
    cli.addOption({QStringLiteral("seed"), QStringLiteral("Seed of the generator and the splits (default 1)."),
                   QStringLiteral("n"), QStringLiteral("1")});
    cli.addOption({QStringLiteral("dev-size"), QStringLiteral("Dev sentences per pair, at most (default 500)."),
                   QStringLiteral("n"), QStringLiteral("500")});
    cli.addOption({QStringLiteral("test-size"), QStringLiteral("Test sentences per pair, at most (default 500)."),
                   QStringLiteral("n"), QStringLiteral("500")});
    cli.addOption({QStringLiteral("multiway"),
                   QStringLiteral("Sentences of the multi-way aligned evaluation set, at most (default 400; for corpus "
                                  "synth the profile's: 200 quick, 400 full)."),
                   QStringLiteral("n"), QStringLiteral("400")});
    cli.addOption({QStringLiteral("high-threshold"),
                   QStringLiteral("Training sentences from which a pair counts as high-resource (default 5000)."),
                   QStringLiteral("n"), QStringLiteral("5000")});
}

core::SplitOptions splitOptions(const CommandLine &cli)
{
    core::SplitOptions o;
    o.seed = static_cast<std::uint64_t>(cli.intValue(QStringLiteral("seed"), 0, std::numeric_limits<qint64>::max()));
    o.devSize = static_cast<std::size_t>(cli.intValue(QStringLiteral("dev-size"), 0, 1000000));
    o.testSize = static_cast<std::size_t>(cli.intValue(QStringLiteral("test-size"), 0, 1000000));
    o.multiwaySize = static_cast<std::size_t>(cli.intValue(QStringLiteral("multiway"), 0, 1000000));
    return o;
}

void printDatasets(const QVector<db::DatasetRecord> &datasets, Format format)
{
    ResultTable table({QStringLiteral("dataset"), QStringLiteral("name"), QStringLiteral("kind"), QStringLiteral("pair"),
                       QStringLiteral("train"), QStringLiteral("dev"), QStringLiteral("test"),
                       QStringLiteral("multiway"), QStringLiteral("resource")});
    for (const auto &d : datasets)
        for (const auto &p : d.pairs)
            table.addRow({d.id, d.name, d.kind, p.name(), p.train, p.dev, p.test, p.multiway, p.resourceClass});
    table.print(format);
}

/// Splits, fingerprints and stores a corpus, then prints its pairs; returns the exit status.
int registerCorpus(const CommandLine &cli, const core::Corpus &corpus, const QJsonObject &params,
                   std::size_t multiwayDefault = 400)
{
    for (const auto &line : corpus.report)
        note(QStringLiteral("taskmoe: %1").arg(qs(line)));
    const qint64 threshold = cli.intValue(QStringLiteral("high-threshold"), 0, std::numeric_limits<int>::max());
    auto store = cli.openStore();
    const QString name = cli.isSet(QStringLiteral("name")) ? cli.value(QStringLiteral("name")) : qs(corpus.kind);
    core::SplitOptions split = splitOptions(cli);
    if (!cli.isSet(QStringLiteral("multiway")))
        split.multiwaySize = multiwayDefault;
    const StoredCorpus stored = storeCorpus(*store, corpus, split, threshold, name, params);
    const db::DatasetRecord dataset = store->dataset(stored.id);
    if (stored.existed)
        note(QStringLiteral("taskmoe: dataset %1 in %2 already holds exactly this corpus (fingerprint %3); "
                            "nothing was added").arg(stored.id).arg(store->path(), dataset.fingerprint.left(12)));
    else
        note(QStringLiteral("taskmoe: stored dataset %1 \"%2\" (%3 pairs, fingerprint %4) in %5")
                 .arg(stored.id).arg(dataset.name).arg(dataset.pairs.size()).arg(dataset.fingerprint.left(12), store->path()));
    printDatasets({dataset}, cli.format());
    return ExitOk;
}

int corpusSynth(const QStringList &args)
{
    CommandLine cli(QStringLiteral("corpus synth"),
                    QStringLiteral("generate the synthetic multilingual corpus (the embedded default) into the store"));
    addDatasetOptions(cli);
    const core::SynthOptions quick = core::SynthOptions::quick(), full;
    cli.addOption({QStringLiteral("profile"),
                   QStringLiteral("quick (6 languages, a third of the lexicon, 3-14 words; the default) or full "
                                  "(14 languages, the whole lexicon, 5-30 words). The options below change one "
                                  "parameter of it."),
                   QStringLiteral("name"), QStringLiteral("quick")});
    cli.addOption({QStringLiteral("languages"),
                   QStringLiteral("Derived languages, comma-separated (of %1).")
                       .arg(qs([] {
                           std::string all;
                           for (const auto &c : core::syntheticLanguageCodes())
                               all += (all.empty() ? "" : ",") + c;
                           return all;
                       }())),
                   QStringLiteral("list")});
    cli.addOption({QStringLiteral("lexicon"),
                   QStringLiteral("Share of the open-class lemmas used, in (0, 1] (quick %1, full %2).")
                       .arg(quick.lexicon).arg(full.lexicon),
                   QStringLiteral("share")});
    cli.addOption({QStringLiteral("min-words"),
                   QStringLiteral("Shortest English sentence in words (quick %1, full %2).").arg(quick.minTokens).arg(full.minTokens),
                   QStringLiteral("n")});
    cli.addOption({QStringLiteral("max-words"),
                   QStringLiteral("Longest English sentence in words (quick %1, full %2).").arg(quick.maxTokens).arg(full.maxTokens),
                   QStringLiteral("n")});
    cli.addOption({QStringLiteral("largest"),
                   QStringLiteral("Sentences of the largest pair (quick %1, full %2).").arg(quick.largestPair).arg(full.largestPair),
                   QStringLiteral("n")});
    cli.addOption({QStringLiteral("imbalance"),
                   QStringLiteral("Largest pair size divided by the smallest (quick %1, full %2).")
                       .arg(quick.imbalance).arg(full.imbalance),
                   QStringLiteral("x")});
    if (!cli.parse(args))
        return ExitOk;
    const QString profile = cli.value(QStringLiteral("profile"));
    const auto profileOptions = usecases::synthProfile(profile);
    if (!profileOptions)
        throw UsageError(QStringLiteral("--profile: unknown synthetic corpus profile '%1' (known: quick, full)").arg(profile));
    core::SynthOptions o = *profileOptions;
    o.seed = static_cast<std::uint64_t>(cli.intValue(QStringLiteral("seed"), 0, std::numeric_limits<qint64>::max()));
    // Anything that makes the dataset differ from the profile's default makes it "custom".
    bool changed = cli.isSet(QStringLiteral("seed")) || cli.isSet(QStringLiteral("dev-size"))
                   || cli.isSet(QStringLiteral("test-size")) || cli.isSet(QStringLiteral("high-threshold"));
    if (cli.isSet(QStringLiteral("languages"))) {
        o.languages.clear();
        for (const QString &code : cli.value(QStringLiteral("languages")).split(QLatin1Char(','), Qt::SkipEmptyParts))
            o.languages.push_back(code.trimmed().toStdString());
        if (o.languages.empty())
            throw UsageError(QStringLiteral("corpus synth: --languages needs at least one language code"));
        changed = true;
    }
    // The ranges SynthOptions::validate() accepts, so that a value outside them is a usage
    // error naming the option (exit 2), like every other option value.
    // Difficulty parameters are read as any number and checked by SynthOptions::validate(): a
    // value out of range is bad input (exit 1) named by the generator's own message.
    if (cli.isSet(QStringLiteral("lexicon"))) {
        o.lexicon = cli.doubleValue(QStringLiteral("lexicon"), -1e300, 1e300);
        changed = true;
    }
    if (cli.isSet(QStringLiteral("min-words"))) {
        o.minTokens = static_cast<std::size_t>(cli.intValue(QStringLiteral("min-words"), 0, 1000000));
        changed = true;
    }
    if (cli.isSet(QStringLiteral("max-words"))) {
        o.maxTokens = static_cast<std::size_t>(cli.intValue(QStringLiteral("max-words"), 0, 1000000));
        changed = true;
    }
    if (cli.isSet(QStringLiteral("largest"))) {
        o.largestPair = static_cast<std::size_t>(cli.intValue(QStringLiteral("largest"), 10, 10000000));
        changed = true;
    }
    if (cli.isSet(QStringLiteral("imbalance"))) {
        o.imbalance = cli.doubleValue(QStringLiteral("imbalance"), 1, static_cast<double>(o.largestPair));
        changed = true;
    }
    if (cli.isSet(QStringLiteral("multiway"))) {
        o.multiwaySentences = static_cast<std::size_t>(cli.intValue(QStringLiteral("multiway"), 0, 100000));
        changed = true;
    }
    if (o.imbalance > static_cast<double>(o.largestPair))
        throw UsageError(QStringLiteral("corpus synth: --imbalance (%1) must not exceed --largest (%2)")
                             .arg(o.imbalance).arg(o.largestPair));
    try {
        o.validate();
    } catch (const std::invalid_argument &e) {
        // The generator names its fields; the user typed options.
        QString message = qs(e.what());
        for (const auto &[field, option] : std::initializer_list<std::pair<const char *, const char *>>{
                 {"minTokens", "--min-words"}, {"maxTokens", "--max-words"}, {"largestPair", "--largest"},
                 {"multiwaySentences", "--multiway"}, {"imbalance", "--imbalance"}, {"lexicon", "--lexicon"},
                 {"languages", "--languages"}})
            message.replace(QRegularExpression(QStringLiteral("(?<![-\\w])%1\\b").arg(QLatin1String(field))),
                            QLatin1String(option));
        throw CommandError(QStringLiteral("corpus synth: %1").arg(message));
    }
    const core::Corpus corpus = core::generateSynthetic(o);
    // Only an unchanged profile is recorded as one: training presets look corpora up by it.
    return registerCorpus(cli, corpus, synthParams(o, changed ? QStringLiteral("custom") : profile), o.multiwaySentences);
}

int corpusImport(const QStringList &args)
{
    CommandLine cli(QStringLiteral("corpus import"),
                    QStringLiteral("import parallel text (Moses files, TSV) or gettext catalogs into the store"));
    addDatasetOptions(cli);
    cli.addOption({QStringLiteral("gettext"), QStringLiteral("A locale tree of gettext catalogs, e.g. /usr/share/locale."),
                   QStringLiteral("root")});
    cli.addOption({QStringLiteral("langs"), QStringLiteral("With --gettext: the languages to read, e.g. de,fr,es."),
                   QStringLiteral("list")});
    cli.addOption({QStringLiteral("max-chars"),
                   QStringLiteral("With --gettext: skip entries longer than this many characters (default 200)."),
                   QStringLiteral("n"), QStringLiteral("200")});
    cli.addOption({QStringLiteral("moses"),
                   QStringLiteral("A Moses prefix: reads PREFIX.<src>-<tgt>.<src> and .<tgt> for every pair found."),
                   QStringLiteral("prefix")});
    cli.addOption({QStringLiteral("src"), QStringLiteral("Source-side file of a pair (with --tgt and --pair; repeatable)."),
                   QStringLiteral("file")});
    cli.addOption({QStringLiteral("tgt"), QStringLiteral("Target-side file of a pair (repeatable)."), QStringLiteral("file")});
    cli.addOption({QStringLiteral("tsv"), QStringLiteral("A file of source<TAB>target lines (with --pair; repeatable)."),
                   QStringLiteral("file")});
    cli.addOption({QStringLiteral("pair"), QStringLiteral("Language pair of the matching --src/--tgt or --tsv, e.g. de-en."),
                   QStringLiteral("src-tgt")});
    if (!cli.parse(args))
        return ExitOk;

    const int modes = int(cli.isSet(QStringLiteral("gettext"))) + int(cli.isSet(QStringLiteral("moses")))
                      + int(cli.isSet(QStringLiteral("src")) || cli.isSet(QStringLiteral("tgt")))
                      + int(cli.isSet(QStringLiteral("tsv")));
    if (modes != 1)
        throw UsageError(QStringLiteral("corpus import: give exactly one of --gettext, --moses, --src/--tgt or --tsv"));
    const auto str = [](const QString &s) { return s.toStdString(); };
    core::Corpus corpus;
    QJsonObject params;
    if (cli.isSet(QStringLiteral("gettext"))) {
        core::GettextImportOptions o;
        o.localeRoot = str(cli.value(QStringLiteral("gettext")));
        if (!cli.isSet(QStringLiteral("langs")))
            throw UsageError(QStringLiteral("corpus import: --gettext needs --langs, e.g. --langs de,fr,es"));
        for (const QString &l : cli.value(QStringLiteral("langs")).split(QLatin1Char(','), Qt::SkipEmptyParts))
            o.languages.push_back(str(l.trimmed()));
        o.cleaning.maxChars = static_cast<std::size_t>(cli.intValue(QStringLiteral("max-chars"), 1, 100000));
        o.cleaning.validate();
        corpus = core::importGettext(o);
        params.insert(QStringLiteral("gettext"), QJsonObject{{QStringLiteral("root"), qs(o.localeRoot)},
                                                             {QStringLiteral("langs"), cli.value(QStringLiteral("langs"))},
                                                             {QStringLiteral("max_chars"), qint64(o.cleaning.maxChars)}});
    } else if (cli.isSet(QStringLiteral("moses"))) {
        const std::string prefix = str(cli.value(QStringLiteral("moses")));
        corpus = core::makeCorpus("moses", prefix, core::readMosesPrefix(prefix));
        params.insert(QStringLiteral("moses"), qs(prefix));
    } else {
        const bool tsv = cli.isSet(QStringLiteral("tsv"));
        const QStringList pairs = cli.parser().values(QStringLiteral("pair"));
        const QStringList first = cli.parser().values(tsv ? QStringLiteral("tsv") : QStringLiteral("src"));
        const QStringList second = tsv ? first : cli.parser().values(QStringLiteral("tgt"));
        if (first.size() != second.size() || pairs.size() != first.size())
            throw UsageError(tsv ? QStringLiteral("corpus import: give one --pair for every --tsv file")
                                 : QStringLiteral("corpus import: give --src, --tgt and --pair together, once per pair"));
        std::vector<core::ParallelData> data;
        std::string source;
        for (int i = 0; i < pairs.size(); ++i) {
            const auto [src, tgt] = core::parsePairName(str(pairs[i]), "--pair");
            data.push_back(tsv ? core::readTsv(str(first[i]), src, tgt)
                               : core::readParallelFiles(str(first[i]), str(second[i]), src, tgt));
            source += (source.empty() ? "" : " ") + str(first[i]) + (tsv ? "" : " " + str(second[i]));
        }
        corpus = core::makeCorpus(tsv ? "tsv" : "moses", source, std::move(data));
        params.insert(QStringLiteral("files"), qs(source));
    }
    for (auto &pair : corpus.pairs)
        if (const std::size_t removed = core::dedupe(pair))
            corpus.report.push_back(pair.name() + ": " + std::to_string(removed) + " duplicate sentence pairs dropped");
    return registerCorpus(cli, corpus, params);
}

int corpusList(const QStringList &args)
{
    CommandLine cli(QStringLiteral("corpus list"), QStringLiteral("list the datasets in the store"));
    cli.addDbOption();
    cli.addFormatOption();
    if (!cli.parse(args))
        return ExitOk;
    auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    ResultTable table({QStringLiteral("id"), QStringLiteral("name"), QStringLiteral("kind"), QStringLiteral("languages"),
                       QStringLiteral("pairs"), QStringLiteral("sentences"), QStringLiteral("fingerprint"),
                       QStringLiteral("created")});
    for (const auto &d : store->datasets())
        table.addRow({d.id, d.name, d.kind, qint64(d.languages.size()), qint64(d.pairs.size()), d.totalSentences(),
                      d.fingerprint.left(12), d.createdAt.toString(Qt::ISODate)});
    table.print(cli.format());
    return ExitOk;
}

/// --dataset ID, or the only dataset of the store.
db::DatasetRecord chooseDataset(const CommandLine &cli, const db::Store &store)
{
    if (cli.isSet(QStringLiteral("dataset")))
        return store.dataset(cli.intValue(QStringLiteral("dataset"), 1, std::numeric_limits<qint64>::max()));
    const auto all = store.datasets();
    if (all.isEmpty())
        throw CommandError(QStringLiteral("%1 holds no dataset yet: create one with `taskmoe corpus synth`").arg(store.path()));
    if (all.size() > 1)
        throw UsageError(QStringLiteral("%1 holds %2 datasets: choose one with --dataset ID (see `taskmoe corpus list`)")
                             .arg(store.path()).arg(all.size()));
    return all.front();
}

int corpusStats(const QStringList &args)
{
    CommandLine cli(QStringLiteral("corpus stats"), QStringLiteral("per-pair sizes and resource classes of the datasets"));
    cli.addDbOption();
    cli.addFormatOption();
    cli.addOption({QStringLiteral("dataset"), QStringLiteral("Only this dataset (default: all)."), QStringLiteral("id")});
    if (!cli.parse(args))
        return ExitOk;
    auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    QVector<db::DatasetRecord> datasets;
    if (cli.isSet(QStringLiteral("dataset")))
        datasets.push_back(store->dataset(cli.intValue(QStringLiteral("dataset"), 1, std::numeric_limits<qint64>::max())));
    else
        datasets = store->datasets();
    if (datasets.isEmpty())
        note(QStringLiteral("taskmoe: %1 holds no dataset yet: create one with `taskmoe corpus synth`").arg(store->path()));
    printDatasets(datasets, cli.format());
    return ExitOk;
}

int corpusVocab(const QStringList &args)
{
    CommandLine cli(QStringLiteral("corpus vocab"),
                    QStringLiteral("train one shared SentencePiece vocabulary for all languages of a dataset, with a "
                                   "<2xx> symbol per target language"));
    cli.addDbOption();
    cli.addFormatOption();
    cli.addThreadsOption();
    cli.addOption({QStringLiteral("dataset"), QStringLiteral("The dataset (default: the only one in the store)."),
                   QStringLiteral("id")});
    cli.addOption({QStringLiteral("size"), QStringLiteral("Vocabulary size (default 8000)."), QStringLiteral("n"),
                   QStringLiteral("8000")});
    cli.addOption({QStringLiteral("temperature"),
                   QStringLiteral("Sampling temperature over pairs, as in training (default 5)."), QStringLiteral("t"),
                   QStringLiteral("5")});
    cli.addOption({QStringLiteral("sentences"),
                   QStringLiteral("Sentence pairs sampled for training the vocabulary (default 100000)."),
                   QStringLiteral("n"), QStringLiteral("100000")});
    cli.addOption({QStringLiteral("model-type"), QStringLiteral("unigram (default) or bpe."), QStringLiteral("type"),
                   QStringLiteral("unigram")});
    cli.addOption({QStringLiteral("seed"), QStringLiteral("Sampling seed (default 1)."), QStringLiteral("n"),
                   QStringLiteral("1")});
    cli.addOption({QStringLiteral("output"), QStringLiteral("Also write the model to this .model file."),
                   QStringLiteral("file")});
    if (!cli.parse(args))
        return ExitOk;
    auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    const db::DatasetRecord dataset = chooseDataset(cli, *store);

    VocabRequest request;
    request.options.vocabSize = static_cast<int>(cli.intValue(QStringLiteral("size"), 1, 1000000));
    request.options.modelType = cli.value(QStringLiteral("model-type")).toStdString();
    request.options.threads = cli.threads();
    request.options.seed = static_cast<std::uint64_t>(cli.intValue(QStringLiteral("seed"), 0, std::numeric_limits<qint64>::max()));
    request.temperature = cli.doubleValue(QStringLiteral("temperature"), 0.01, 1000);
    request.sentencePairs = static_cast<std::size_t>(cli.intValue(QStringLiteral("sentences"), 1, 100000000));
    const db::VocabularyRecord v = usecases::trainVocabulary(*store, dataset, request, printNote);
    const auto model = core::SentencePieceModel::fromBytes(v.model.toStdString());
    if (cli.isSet(QStringLiteral("output")))
        core::writeFileAtomically(cli.value(QStringLiteral("output")).toStdString(), model.bytes());

    ResultTable table({QStringLiteral("vocabulary"), QStringLiteral("dataset"), QStringLiteral("pieces"),
                       QStringLiteral("target_symbols"), QStringLiteral("sentences"), QStringLiteral("sha256")});
    QStringList symbols;
    for (const auto &l : dataset.languages) {
        const std::string token = core::targetToken(l.code.toStdString());
        symbols << QStringLiteral("%1=%2").arg(qs(token)).arg(model.pieceToId(token));
    }
    const qint64 sentences = QJsonDocument::fromJson(v.paramsJson.toUtf8()).object().value(QStringLiteral("sentences")).toInteger();
    table.addRow({v.id, dataset.id, model.size(), symbols.join(QLatin1Char(' ')), sentences, v.sha256});
    table.print(cli.format());
    return ExitOk;
}

int corpusEncode(const QStringList &args)
{
    CommandLine cli(QStringLiteral("corpus encode"),
                    QStringLiteral("encode lines of stdin with a stored vocabulary (or decode ids with --decode)"));
    cli.addDbOption();
    cli.addOption({QStringLiteral("vocab"), QStringLiteral("The vocabulary id (see `taskmoe corpus vocab`)."),
                   QStringLiteral("id")});
    cli.addOption({QStringLiteral("to"), QStringLiteral("Prepend the <2xx> symbol of this target language."),
                   QStringLiteral("lang")});
    cli.addOption({QStringLiteral("pieces"), QStringLiteral("Print pieces instead of ids.")});
    cli.addOption({QStringLiteral("decode"), QStringLiteral("Read space-separated ids and print text.")});
    if (!cli.parse(args))
        return ExitOk;
    if (!cli.isSet(QStringLiteral("vocab")))
        throw UsageError(QStringLiteral("corpus encode: --vocab is required"));
    auto store = cli.openStore(CommandLine::StoreAccess::MustExist);
    const auto record = store->vocabulary(cli.intValue(QStringLiteral("vocab"), 1, std::numeric_limits<qint64>::max()));
    const auto model = core::SentencePieceModel::fromBytes(record.model.toStdString());
    int prefix = -1;
    if (cli.isSet(QStringLiteral("to"))) {
        const std::string token = core::targetToken(cli.value(QStringLiteral("to")).toStdString());
        prefix = model.pieceToId(token);
        if (prefix == core::kUnkId)
            throw CommandError(QStringLiteral("vocabulary %1 has no %2 symbol: that language is not a target of its dataset")
                                   .arg(record.id).arg(qs(token)));
    }
    std::string line;
    std::int64_t lineNo = 0;
    while (std::getline(std::cin, line)) {
        ++lineNo;
        if (!core::isValidUtf8(line))
            throw core::lineError("<stdin>", lineNo, "invalid UTF-8");
        std::string out;
        if (cli.isSet(QStringLiteral("decode"))) {
            std::vector<int> ids;
            const std::string normalized = core::normalizeWhitespace(line);
            for (const auto word : core::splitWords(normalized)) {
                // The whole word must be the number: std::stoi took "12abc" as 12.
                int id = 0;
                const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), id);
                if (error != std::errc() || end != word.data() + word.size())
                    throw core::lineError("<stdin>", lineNo, "'" + std::string(word) + "' is not a piece id");
                ids.push_back(id);
            }
            try {
                out = model.decode(ids);
            } catch (const core::InputError &e) {
                throw core::lineError("<stdin>", lineNo, e.what());   // e.g. an id past the vocabulary
            }
        } else if (cli.isSet(QStringLiteral("pieces"))) {
            if (prefix >= 0)
                out = model.idToPiece(prefix);
            for (const auto &p : model.encodePieces(line))
                out += (out.empty() ? "" : " ") + p;
        } else {
            if (prefix >= 0)
                out = std::to_string(prefix);
            for (const int id : model.encode(line))
                out += (out.empty() ? "" : " ") + std::to_string(id);
        }
        std::cout << out << '\n';
    }
    return ExitOk;
}

} // namespace

int runCorpus(const QStringList &args)
{
    return runSubcommand(args, QStringLiteral("corpus"),
                         {{QStringLiteral("synth"), corpusSynth},
                          {QStringLiteral("import"), corpusImport},
                          {QStringLiteral("list"), corpusList},
                          {QStringLiteral("stats"), corpusStats},
                          {QStringLiteral("vocab"), corpusVocab},
                          {QStringLiteral("encode"), corpusEncode}});
}

} // namespace taskmoe::app
