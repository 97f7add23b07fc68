#include "core/data/sentencepiece.h"

#include "core/base/errors.h"
#include "core/data/spm/spm_module.h"
#include "core/base/text.h"

#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace taskmoe::core {

namespace {

/// The module's entry points, resolved once per process.
struct Module
{
    std::string path;
    std::string error;
    decltype(&tmspm_train) train = nullptr;
    decltype(&tmspm_load) load = nullptr;
    decltype(&tmspm_free) free = nullptr;
    decltype(&tmspm_encode) encode = nullptr;
    decltype(&tmspm_encode_pieces) encodePieces = nullptr;
    decltype(&tmspm_decode) decode = nullptr;
    decltype(&tmspm_piece_to_id) pieceToId = nullptr;
    decltype(&tmspm_id_to_piece) idToPiece = nullptr;
    decltype(&tmspm_size) size = nullptr;
};

std::string executableDir()
{
    char buf[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return {};
    std::string path(buf, static_cast<std::size_t>(n));
    return path.substr(0, path.rfind('/'));
}

std::vector<std::string> candidatePaths()
{
    std::vector<std::string> paths;
    if (const char *env = std::getenv("TASKMOE_SPM_MODULE"); env && *env)
        paths.emplace_back(env);
    const std::string dir = executableDir();
    if (!dir.empty()) {
        paths.push_back(dir + "/" TASKMOE_SPM_MODULE_NAME);
        paths.push_back(dir + "/../lib/taskmoe/" TASKMOE_SPM_MODULE_NAME);
    }
    paths.emplace_back(TASKMOE_SPM_MODULE_BUILD_PATH);
    return paths;
}

const Module &module()
{
    static Module m;
    static std::once_flag once;
    std::call_once(once, [] {
        void *handle = nullptr;
        std::string tried;
        for (const auto &path : candidatePaths()) {
            if (::access(path.c_str(), R_OK) != 0) {
                tried += (tried.empty() ? "" : ", ") + path;
                continue;
            }
            // RTLD_DEEPBIND: the module's own protobuf-lite must win over LibTorch's.
            handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
            if (!handle) {
                m.error = "cannot load the SentencePiece module " + path + ": " + ::dlerror();
                return;
            }
            m.path = path;
            break;
        }
        if (!handle) {
            m.error = "the SentencePiece module " TASKMOE_SPM_MODULE_NAME " was not found (looked at " + tried
                      + "; set TASKMOE_SPM_MODULE to its path)";
            return;
        }
        bool ok = true;
        const auto resolve = [&](auto &fn, const char *name) {
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(handle, name));
            ok = ok && fn != nullptr;
        };
        decltype(&tmspm_abi_version) abi = nullptr;
        resolve(abi, "tmspm_abi_version");
        resolve(m.train, "tmspm_train");
        resolve(m.load, "tmspm_load");
        resolve(m.free, "tmspm_free");
        resolve(m.encode, "tmspm_encode");
        resolve(m.encodePieces, "tmspm_encode_pieces");
        resolve(m.decode, "tmspm_decode");
        resolve(m.pieceToId, "tmspm_piece_to_id");
        resolve(m.idToPiece, "tmspm_id_to_piece");
        resolve(m.size, "tmspm_size");
        if (!ok || abi() != 1)
            m.error = "the SentencePiece module " + m.path + " is from another version of TaskMoE";
    });
    if (!m.error.empty())
        throw std::runtime_error(m.error);
    return m;
}

void appendTo(void *context, const char *data, std::size_t size)
{
    static_cast<std::string *>(context)->append(data, size);
}

void pushPiece(void *context, const char *data, std::size_t size)
{
    static_cast<std::vector<std::string> *>(context)->emplace_back(data, size);
}

} // namespace

std::string targetToken(const std::string &lang)
{
    return "<2" + lang + ">";
}

void VocabTrainOptions::validate() const
{
    const int reserved = 4 + static_cast<int>(targetLanguages.size());
    if (vocabSize < reserved + 16 || vocabSize > 1000000)
        throw std::invalid_argument("vocab size must be between " + std::to_string(reserved + 16)
                                    + " and 1000000 (4 special pieces and " + std::to_string(targetLanguages.size())
                                    + " <2xx> symbols are included), got " + std::to_string(vocabSize));
    if (modelType != "unigram" && modelType != "bpe")
        throw std::invalid_argument("model type must be unigram or bpe, got '" + modelType + "'");
    if (!(characterCoverage > 0.9 && characterCoverage <= 1.0))
        throw std::invalid_argument("character coverage must be in (0.9, 1], got " + std::to_string(characterCoverage));
    if (threads < 1)
        throw std::invalid_argument("threads must be at least 1");
    for (const auto &lang : targetLanguages)
        if (lang.empty() || lang.find_first_of(", \t\n<>") != std::string::npos)
            throw std::invalid_argument("target language '" + lang + "' cannot be made into a <2xx> symbol");
}

SentencePieceModel::~SentencePieceModel()
{
    if (m_handle)
        module().free(m_handle);
}

SentencePieceModel::SentencePieceModel(SentencePieceModel &&o) noexcept
    : m_handle(o.m_handle), m_bytes(std::move(o.m_bytes))
{
    o.m_handle = nullptr;
}

SentencePieceModel &SentencePieceModel::operator=(SentencePieceModel &&o) noexcept
{
    if (this != &o) {
        if (m_handle)
            module().free(m_handle);
        m_handle = o.m_handle;
        m_bytes = std::move(o.m_bytes);
        o.m_handle = nullptr;
    }
    return *this;
}

SentencePieceModel SentencePieceModel::fromBytes(const std::string &bytes)
{
    std::string error;
    SentencePieceModel model;
    model.m_handle = module().load(bytes.data(), bytes.size(), appendTo, &error);
    if (!model.m_handle)
        throw InputError("not a valid SentencePiece model: " + error);
    model.m_bytes = bytes;
    return model;
}

SentencePieceModel SentencePieceModel::fromFile(const std::string &path)
{
    try {
        return fromBytes(readFile(path));
    } catch (const InputError &e) {
        throw fileError(path, e.what());
    }
}

SentencePieceModel SentencePieceModel::train(const std::vector<std::string> &sentences, const VocabTrainOptions &options)
{
    options.validate();
    std::string buffer;
    std::size_t nonEmpty = 0;
    for (const auto &s : sentences) {
        if (s.empty() || s.find('\n') != std::string::npos)
            continue;
        buffer += s;
        buffer.push_back('\n');
        ++nonEmpty;
    }
    if (nonEmpty == 0)
        throw InputError("cannot train a vocabulary on no text");
    std::ostringstream args;
    args << "--model_type=" << options.modelType << " --vocab_size=" << options.vocabSize
         << " --character_coverage=" << options.characterCoverage << " --pad_id=" << kPadId
         << " --unk_id=" << kUnkId << " --bos_id=" << kBosId << " --eos_id=" << kEosId
         << " --num_threads=" << options.threads
         << " --hard_vocab_limit=false --input_sentence_size=0 --shuffle_input_sentence=false"
         << " --max_sentence_length=8192 --minloglevel=1";
    if (!options.targetLanguages.empty()) {
        args << " --user_defined_symbols=";
        for (std::size_t i = 0; i < options.targetLanguages.size(); ++i)
            args << (i ? "," : "") << targetToken(options.targetLanguages[i]);
    }
    std::string bytes, error;
    struct Context { std::string *bytes; std::string *error; } ctx{&bytes, &error};
    const int rc = module().train(
        args.str().c_str(), buffer.data(), buffer.size(),
        [](void *c, const char *d, std::size_t n) { static_cast<Context *>(c)->bytes->append(d, n); },
        [](void *c, const char *d, std::size_t n) { static_cast<Context *>(c)->error->append(d, n); }, &ctx);
    if (rc != 0)
        throw InputError("SentencePiece training failed: " + error);
    return fromBytes(bytes);
}

std::vector<int> SentencePieceModel::encode(const std::string &text) const
{
    std::vector<int> ids(text.size() + 8);
    int n = module().encode(m_handle, text.data(), text.size(), ids.data(), static_cast<int>(ids.size()));
    if (n > static_cast<int>(ids.size())) {
        ids.resize(static_cast<std::size_t>(n));
        n = module().encode(m_handle, text.data(), text.size(), ids.data(), n);
    }
    if (n < 0)
        throw InputError("SentencePiece could not encode the text");
    ids.resize(static_cast<std::size_t>(n));
    return ids;
}

std::vector<std::string> SentencePieceModel::encodePieces(const std::string &text) const
{
    std::vector<std::string> pieces;
    if (module().encodePieces(m_handle, text.data(), text.size(), pushPiece, &pieces) < 0)
        throw InputError("SentencePiece could not encode the text");
    return pieces;
}

std::string SentencePieceModel::decode(const std::vector<int> &ids) const
{
    std::string text;
    const int n = size();
    for (const int id : ids)
        if (id < 0 || id >= n)
            throw InputError("id " + std::to_string(id) + " is outside the vocabulary of " + std::to_string(n) + " pieces");
    if (module().decode(m_handle, ids.data(), static_cast<int>(ids.size()), appendTo, &text) < 0)
        throw InputError("SentencePiece could not decode the ids");
    return text;
}

int SentencePieceModel::pieceToId(const std::string &piece) const
{
    return module().pieceToId(m_handle, piece.data(), piece.size());
}

std::string SentencePieceModel::idToPiece(int id) const
{
    std::string piece;
    if (module().idToPiece(m_handle, id, appendTo, &piece) < 0)
        throw InputError("id " + std::to_string(id) + " is outside the vocabulary");
    return piece;
}

int SentencePieceModel::size() const
{
    return module().size(m_handle);
}

std::string sentencePieceModulePath()
{
    try {
        return module().path;
    } catch (const std::exception &e) {
        return e.what();
    }
}

} // namespace taskmoe::core
