#include "core/model/modelfile.h"

#include "core/base/errors.h"
#include "core/config/model_json.h"
#include "core/base/sha256.h"
#include "core/model/transformer.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

namespace taskmoe::core {

namespace {

using Json = nlohmann::ordered_json;

constexpr std::uint64_t kHeaderBytes = kModelHeaderBytes;
constexpr std::uint64_t kChecksumBytes = kModelChecksumBytes;
constexpr std::uint64_t kAlign = kModelAlign;

bool hostIsLittleEndian()
{
    const std::uint16_t probe = 1;
    std::uint8_t first = 0;
    std::memcpy(&first, &probe, 1);
    return first == 1;
}

/// Reverses each `elementSize`-byte element of `data` in place (big-endian hosts only).
void swapElements(char *data, std::size_t bytes, std::size_t elementSize)
{
    if (elementSize <= 1)
        return;
    for (std::size_t i = 0; i + elementSize <= bytes; i += elementSize)
        std::reverse(data + i, data + i + elementSize);
}

std::string dtypeName(torch::ScalarType t)
{
    switch (t) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kBool: return "bool";
    default: return "";
    }
}

// ---- files ----------------------------------------------------------------------------------

struct FileCloser
{
    void operator()(std::FILE *f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// Writes through a SHA-256 of everything written.
class HashingWriter
{
public:
    HashingWriter(std::FILE *f, const std::string &path) : m_file(f), m_path(path) {}

    void write(const void *data, std::size_t n)
    {
        if (n == 0)
            return;
        if (std::fwrite(data, 1, n, m_file) != n)
            throw fileError(m_path, std::string("cannot write: ") + std::strerror(errno));
        m_hash.update(data, n);
        m_written += n;
    }
    void padTo(std::uint64_t offset)
    {
        static const char zeros[kAlign] = {};
        while (m_written < offset)
            write(zeros, std::size_t(std::min<std::uint64_t>(offset - m_written, kAlign)));
    }
    std::uint64_t written() const { return m_written; }
    Sha256 &hash() { return m_hash; }

private:
    std::FILE *m_file;
    const std::string &m_path;
    Sha256 m_hash;
    std::uint64_t m_written = 0;
};

/// Every parameter and buffer by registered name, in registration order.
std::vector<std::pair<std::string, torch::Tensor>> modelTensors(TransformerImpl &model)
{
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto &item : model.named_parameters(true))
        tensors.emplace_back(item.key(), item.value());
    for (const auto &item : model.named_buffers(true))
        tensors.emplace_back(item.key(), item.value());
    return tensors;
}

/// What readHeaderAndManifest learnt before the tensors.
struct ParsedFile
{
    std::string path;
    FilePtr file;
    std::uint64_t dataStart = 0;
    std::uint64_t dataBytes = 0;
    ModelFileInfo info;
    std::vector<ModelTensorEntry> tensors;
    std::string sha256;
};

void readAt(const ParsedFile &pf, std::uint64_t offset, void *dst, std::uint64_t n)
{
    if (::fseeko(pf.file.get(), off_t(offset), SEEK_SET) != 0
        || std::fread(dst, 1, std::size_t(n), pf.file.get()) != std::size_t(n))
        throw offsetError(pf.path, std::int64_t(offset), "read error (the file changed while it was read?)");
}

/// Header, size, checksum, manifest, options, tasks and SentencePiece; leaves the file open
/// for the tensors.
ParsedFile readHeaderAndManifest(const std::string &path)
{
    ParsedFile pf;
    pf.path = path;

    struct stat st{};
    if (::stat(path.c_str(), &st) != 0)
        throw fileError(path, std::string("cannot open: ") + std::strerror(errno));
    if (S_ISDIR(st.st_mode))
        throw fileError(path, "is a directory, not a model file");
    pf.file.reset(std::fopen(path.c_str(), "rb"));
    if (!pf.file)
        throw fileError(path, std::string("cannot open: ") + std::strerror(errno));
    if (::fstat(fileno(pf.file.get()), &st) != 0)
        throw fileError(path, std::string("cannot read: ") + std::strerror(errno));
    const std::uint64_t size = std::uint64_t(st.st_size);

    char header[kHeaderBytes] = {};
    readAt(pf, 0, header, std::min<std::uint64_t>(size, kHeaderBytes));
    const ModelFileLayout layout = parseModelFileHeader(std::string_view(header, std::size_t(std::min<std::uint64_t>(size, kHeaderBytes))),
                                                        size, path);
    const std::uint64_t fileBytes = layout.fileBytes;

    // Checksum before anything else is trusted; the same pass gives the file's SHA-256.
    {
        Sha256 content;
        std::vector<char> buffer(std::size_t(1) << 20);
        if (::fseeko(pf.file.get(), 0, SEEK_SET) != 0)
            throw fileError(path, "cannot read");
        std::uint64_t left = fileBytes - kChecksumBytes;
        while (left > 0) {
            const std::size_t n = std::size_t(std::min<std::uint64_t>(left, buffer.size()));
            if (std::fread(buffer.data(), 1, n, pf.file.get()) != n)
                throw offsetError(path, std::int64_t(fileBytes - kChecksumBytes - left), "read error");
            content.update(buffer.data(), n);
            left -= n;
        }
        std::array<char, kChecksumBytes> recorded{};
        if (std::fread(recorded.data(), 1, recorded.size(), pf.file.get()) != recorded.size())
            throw offsetError(path, std::int64_t(fileBytes - kChecksumBytes), "read error");
        Sha256 whole = content;  // continues over the trailer: the SHA-256 of the whole file
        whole.update(recorded.data(), recorded.size());
        const auto digest = content.digest();
        if (std::memcmp(digest.data(), recorded.data(), recorded.size()) != 0)
            throw fileError(path, "checksum mismatch: the file is corrupt (its content does not match the SHA-256 "
                                  "recorded at its end)");
        pf.sha256 = whole.hexDigest();
    }

    // Manifest, then the embedded SentencePiece model, then the checks that need both.
    std::string manifestText(std::size_t(layout.manifestBytes), '\0');
    readAt(pf, kHeaderBytes, manifestText.data(), layout.manifestBytes);
    ModelManifest manifest = parseModelFileManifest(manifestText, layout, path);
    pf.dataStart = layout.dataStart;
    pf.dataBytes = manifest.dataBytes;
    pf.info = std::move(manifest.info);
    pf.tensors = std::move(manifest.tensors);
    if (manifest.spmEmbedded) {
        pf.info.sentencePiece.assign(std::size_t(manifest.spmBytes), '\0');
        readAt(pf, pf.dataStart + manifest.spmOffset, pf.info.sentencePiece.data(), manifest.spmBytes);
    }
    checkModelFileInfo(pf.info, path);
    return pf;
}

} // namespace

// ---- public API -----------------------------------------------------------------------------

std::string saveModel(const std::string &path, Transformer &holder, const ModelFileInfo &info)
{
    TransformerImpl &model = *holder;
    info.tasks.validate();
    const ModelOptions &o = model.options();
    if (std::int64_t(info.tasks.languages.size()) > o.numLanguages || std::int64_t(info.tasks.pairs.size()) > o.numPairs)
        throw std::invalid_argument("the task table has " + std::to_string(info.tasks.languages.size())
                                    + " languages and " + std::to_string(info.tasks.pairs.size())
                                    + " pairs, more than the model's num_languages = " + std::to_string(o.numLanguages)
                                    + " and num_pairs = " + std::to_string(o.numPairs));

    Json metadata = Json::object();
    if (!info.json.empty()) {
        metadata = parseJsonText(info.json, "model file metadata");
        if (!metadata.is_object())
            throw std::invalid_argument("model file metadata must be a JSON object");
    }
    std::string spmSha = info.sentencePieceSha256;
    if (!info.sentencePiece.empty()) {
        const std::string actual = Sha256::hex(info.sentencePiece);
        if (!spmSha.empty() && spmSha != actual)
            throw std::invalid_argument("the SentencePiece SHA-256 given (" + spmSha
                                        + ") is not that of the SentencePiece bytes (" + actual + ")");
        spmSha = actual;
    } else if (!spmSha.empty() && !isHexDigest(spmSha)) {
        throw std::invalid_argument("the SentencePiece SHA-256 must be 64 lower-case hex digits");
    }

    // The data section: SentencePiece bytes, then the tensors, each 64-byte aligned.
    std::uint64_t offset = 0;
    Json spm = Json::object();
    spm["sha256"] = spmSha;
    spm["embedded"] = !info.sentencePiece.empty();
    if (!info.sentencePiece.empty()) {
        spm["offset"] = offset;
        spm["bytes"] = info.sentencePiece.size();
        offset = alignModelOffset(offset + info.sentencePiece.size());
    }
    std::vector<std::pair<ModelTensorEntry, torch::Tensor>> tensors;
    Json directory = Json::array();
    for (auto &[name, value] : modelTensors(model)) {
        ModelTensorEntry e;
        e.name = name;
        e.dtype = dtypeName(value.scalar_type());
        if (e.dtype.empty())
            throw std::invalid_argument("tensor " + name + " has a dtype model files do not store");
        auto t = value.detach().to(torch::kCPU).contiguous();
        if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>())
            throw std::invalid_argument("tensor " + name + " holds NaN or infinite values; not saving a diverged model");
        e.shape = t.sizes().vec();
        e.offset = offset;
        e.bytes = std::uint64_t(t.numel()) * t.element_size();
        offset = alignModelOffset(offset + e.bytes);
        directory.push_back(
            Json{{"name", e.name}, {"dtype", e.dtype}, {"shape", e.shape}, {"offset", e.offset}, {"bytes", e.bytes}});
        tensors.emplace_back(std::move(e), std::move(t));
    }
    const std::uint64_t dataBytes = offset;

    Json manifest = Json::object();
    manifest["format"] = "taskmoe-model";
    manifest["format_version"] = kModelFormatVersion;
    manifest["created_by"] = std::string("TaskMoE Workbench ") + TASKMOE_VERSION;
    manifest["options"] = optionsToJsonValue(model.options());
    manifest["tasks"] = tasksToJsonValue(info.tasks);
    manifest["sentencepiece"] = spm;
    manifest["tensors"] = directory;
    manifest["data_bytes"] = dataBytes;
    manifest["metadata"] = metadata;
    const std::string manifestText = manifest.dump();

    const std::uint64_t dataStart = alignModelOffset(kHeaderBytes + manifestText.size());
    const std::uint64_t fileBytes = dataStart + dataBytes + kChecksumBytes;
    char header[kHeaderBytes] = {};
    std::memcpy(header, kModelMagic, sizeof kModelMagic);
    putLittleEndian(header + 8, kModelFormatVersion, 4);
    putLittleEndian(header + 12, kHeaderBytes, 4);
    putLittleEndian(header + 16, manifestText.size(), 8);
    putLittleEndian(header + 24, fileBytes, 8);

    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    FilePtr file(std::fopen(tmp.c_str(), "wb"));
    if (!file)
        throw fileError(path, std::string("cannot write: ") + std::strerror(errno));
    std::string sha;
    try {
        HashingWriter w(file.get(), path);
        w.write(header, sizeof header);
        w.write(manifestText.data(), manifestText.size());
        w.padTo(dataStart);
        if (!info.sentencePiece.empty())
            w.write(info.sentencePiece.data(), info.sentencePiece.size());
        const bool little = hostIsLittleEndian();
        std::vector<char> swapped;
        for (const auto &[e, t] : tensors) {
            w.padTo(dataStart + e.offset);
            const char *data = static_cast<const char *>(t.data_ptr());
            if (little) {
                w.write(data, std::size_t(e.bytes));
            } else {
                swapped.assign(data, data + e.bytes);
                swapElements(swapped.data(), swapped.size(), std::size_t(t.element_size()));
                w.write(swapped.data(), swapped.size());
            }
        }
        w.padTo(dataStart + dataBytes);
        Sha256 whole = w.hash();  // continues over the trailer: the SHA-256 of the whole file
        const auto digest = w.hash().digest();
        if (std::fwrite(digest.data(), 1, digest.size(), file.get()) != digest.size())
            throw fileError(path, std::string("cannot write: ") + std::strerror(errno));
        whole.update(digest.data(), digest.size());
        sha = whole.hexDigest();
        if (std::fflush(file.get()) != 0 || ::fsync(fileno(file.get())) != 0)
            throw fileError(path, std::string("cannot write: ") + std::strerror(errno));
        std::FILE *raw = file.release();
        if (std::fclose(raw) != 0)
            throw fileError(path, std::string("cannot write: ") + std::strerror(errno));
        if (std::rename(tmp.c_str(), path.c_str()) != 0)
            throw fileError(path, std::string("cannot replace: ") + std::strerror(errno));
    } catch (...) {
        file.reset();
        std::remove(tmp.c_str());
        throw;
    }
    return sha;
}

ModelFileInfo readModelFileInfo(const std::string &path, std::string *sha256)
{
    ParsedFile pf = readHeaderAndManifest(path);
    if (sha256)
        *sha256 = pf.sha256;
    return std::move(pf.info);
}

LoadedModel loadModel(const std::string &path)
{
    ParsedFile pf = readHeaderAndManifest(path);

    LoadedModel loaded;
    try {
        loaded.model = std::make_shared<TransformerImpl>(pf.info.options);
    } catch (const std::exception &e) {
        throw fileError(path, std::string("cannot build the model its options describe: ") + e.what());
    }
    auto wanted = modelTensors(*loaded.model);

    std::map<std::string, const ModelTensorEntry *> stored;
    for (const auto &e : pf.tensors)
        stored.emplace(e.name, &e);
    std::set<std::string> expected;
    std::string firstShapeError;
    std::size_t shapeErrors = 0;
    for (const auto &[name, t] : wanted) {
        expected.insert(name);
        const auto it = stored.find(name);
        if (it == stored.end())
            throw fileError(path, "tensor " + name + " is missing");
        const ModelTensorEntry &e = *it->second;
        if (e.dtype != dtypeName(t.scalar_type()))
            throw fileError(path, "tensor " + name + " is stored as " + e.dtype + ", the model needs "
                                      + dtypeName(t.scalar_type()));
        if (e.shape != t.sizes().vec() && shapeErrors++ == 0)
            firstShapeError = "tensor " + name + " has shape " + shapeString(e.shape) + ", the options give "
                              + shapeString(t.sizes().vec());
    }
    if (shapeErrors > 0)
        throw fileError(path, firstShapeError
                                  + (shapeErrors > 1 ? " (and " + std::to_string(shapeErrors - 1) + " more tensors disagree)"
                                                     : std::string()));
    for (const auto &e : pf.tensors)
        if (!expected.count(e.name))
            throw fileError(path, "tensor " + e.name + " is not part of a model with these options");

    torch::NoGradGuard noGrad;
    const bool little = hostIsLittleEndian();
    for (auto &[name, t] : wanted) {
        const ModelTensorEntry &e = *stored.at(name);
        TORCH_CHECK(t.is_contiguous() && t.device().is_cpu(), "model tensor ", name, " is not a contiguous CPU tensor");
        char *dst = static_cast<char *>(t.data_ptr());
        readAt(pf, pf.dataStart + e.offset, dst, e.bytes);
        if (!little)
            swapElements(dst, std::size_t(e.bytes), std::size_t(t.element_size()));
        if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>())
            throw fileError(path, "tensor " + name + " holds NaN or infinite values");
    }
    loaded.info = std::move(pf.info);
    loaded.sha256 = std::move(pf.sha256);
    return loaded;
}

} // namespace taskmoe::core
