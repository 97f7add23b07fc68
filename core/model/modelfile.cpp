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

constexpr char kMagic[8] = {'\x89', 'T', 'M', 'F', '\r', '\n', '\x1a', '\n'};
constexpr std::uint64_t kHeaderBytes = 32;
constexpr std::uint64_t kChecksumBytes = 32;
constexpr std::uint64_t kAlign = 64;

std::uint64_t alignUp(std::uint64_t n)
{
    return (n + kAlign - 1) / kAlign * kAlign;
}

bool hostIsLittleEndian()
{
    const std::uint16_t probe = 1;
    std::uint8_t first = 0;
    std::memcpy(&first, &probe, 1);
    return first == 1;
}

void putLe(char *p, std::uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; ++i)
        p[i] = char((v >> (8 * i)) & 0xff);
}

std::uint64_t getLe(const char *p, int bytes)
{
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v |= std::uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
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

std::string shapeString(const std::vector<std::int64_t> &shape)
{
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

bool isHexDigest(const std::string &s)
{
    return s.size() == 64
           && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
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

struct TensorEntry
{
    std::string name;
    std::string dtype;
    std::vector<std::int64_t> shape;
    std::uint64_t offset = 0;  ///< relative to the data section
    std::uint64_t bytes = 0;
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
    std::vector<TensorEntry> tensors;
    std::string sha256;
};

void readAt(const ParsedFile &pf, std::uint64_t offset, void *dst, std::uint64_t n)
{
    if (::fseeko(pf.file.get(), off_t(offset), SEEK_SET) != 0
        || std::fread(dst, 1, std::size_t(n), pf.file.get()) != std::size_t(n))
        throw offsetError(pf.path, std::int64_t(offset), "read error (the file changed while it was read?)");
}

std::uint64_t jsonU64(const Json &obj, const char *key, const std::string &where)
{
    const auto it = obj.find(key);
    if (it == obj.end())
        throw std::invalid_argument(where + "." + key + " is missing");
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0))
        throw std::invalid_argument(where + "." + key + " must be a non-negative integer (got " + it->dump() + ")");
    return it->get<std::uint64_t>();
}

std::string jsonString(const Json &obj, const char *key, const std::string &where)
{
    const auto it = obj.find(key);
    if (it == obj.end())
        throw std::invalid_argument(where + "." + key + " is missing");
    if (!it->is_string())
        throw std::invalid_argument(where + "." + key + " must be a string (got " + it->dump() + ")");
    return it->get<std::string>();
}

std::uint64_t elementSize(const std::string &dtype)
{
    if (dtype == "float32" || dtype == "int32")
        return 4;
    if (dtype == "float64" || dtype == "int64")
        return 8;
    if (dtype == "bool")
        return 1;
    return 0;
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

    // Header: magic first (a prefix of the magic in a short file is a truncated model file).
    if (size == 0)
        throw fileError(path, "is empty, not a TaskMoE model file");
    char header[kHeaderBytes] = {};
    const std::uint64_t headerRead = std::min(size, kHeaderBytes);
    readAt(pf, 0, header, headerRead);
    if (std::memcmp(header, kMagic, std::size_t(std::min<std::uint64_t>(headerRead, sizeof kMagic))) != 0)
        throw fileError(path, "not a TaskMoE model file (wrong magic bytes)");
    if (size < 12)
        throw fileError(path, "truncated: " + std::to_string(size) + " bytes, shorter than the "
                                  + std::to_string(kHeaderBytes) + "-byte header");
    const auto version = std::uint32_t(getLe(header + 8, 4));
    if (version == 0)
        throw fileError(path, "malformed header: format version 0");
    if (version > kModelFormatVersion)
        throw fileError(path, "format version " + std::to_string(version)
                                  + " is newer than this program reads (up to " + std::to_string(kModelFormatVersion)
                                  + "); update TaskMoE Workbench");
    if (size < kHeaderBytes)
        throw fileError(path, "truncated: " + std::to_string(size) + " bytes, shorter than the "
                                  + std::to_string(kHeaderBytes) + "-byte header");
    const std::uint64_t headerSize = getLe(header + 12, 4);
    const std::uint64_t manifestBytes = getLe(header + 16, 8);
    const std::uint64_t fileBytes = getLe(header + 24, 8);
    if (headerSize != kHeaderBytes)
        throw offsetError(path, 12, "malformed header: header size " + std::to_string(headerSize) + ", expected "
                                        + std::to_string(kHeaderBytes));
    if (size < fileBytes)
        throw fileError(path, "truncated: the manifest says " + std::to_string(fileBytes) + " bytes, the file has "
                                  + std::to_string(size));
    if (size > fileBytes)
        throw fileError(path, "has " + std::to_string(size - fileBytes) + " bytes after the end its manifest gives ("
                                  + std::to_string(fileBytes) + " bytes)");
    // 64-bit arithmetic that cannot overflow: every term is checked against fileBytes first.
    if (fileBytes < kHeaderBytes + kChecksumBytes || manifestBytes > fileBytes - kHeaderBytes - kChecksumBytes)
        throw offsetError(path, 16, "malformed header: a manifest of " + std::to_string(manifestBytes)
                                        + " bytes does not fit in a file of " + std::to_string(fileBytes) + " bytes");

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

    // Manifest.
    std::string manifestText(std::size_t(manifestBytes), '\0');
    readAt(pf, kHeaderBytes, manifestText.data(), manifestBytes);
    Json manifest;
    try {
        manifest = Json::parse(manifestText);
    } catch (const Json::parse_error &e) {
        throw offsetError(path, std::int64_t(kHeaderBytes + (e.byte > 0 ? e.byte - 1 : 0)),
                          std::string("malformed manifest JSON: ") + e.what());
    }
    pf.dataStart = alignUp(kHeaderBytes + manifestBytes);

    const auto manifestError = [&](const std::string &what) { return fileError(path, "manifest: " + what); };
    try {
        if (!manifest.is_object())
            throw std::invalid_argument("not a JSON object");
        if (manifest.value("format", std::string()) != "taskmoe-model")
            throw std::invalid_argument("format is not \"taskmoe-model\"");

        // data_bytes: the data section fills the file between the manifest and the checksum.
        pf.dataBytes = jsonU64(manifest, "data_bytes", "manifest");
        if (pf.dataStart > fileBytes - kChecksumBytes || pf.dataBytes != fileBytes - kChecksumBytes - pf.dataStart)
            throw std::invalid_argument("data_bytes = " + std::to_string(pf.dataBytes)
                                        + " does not match the file size " + std::to_string(fileBytes));

        if (!manifest.contains("options"))
            throw std::invalid_argument("options is missing");
        if (!manifest.contains("tasks"))
            throw std::invalid_argument("tasks is missing");
        optionsFromJsonValue(manifest["options"], pf.info.options, /*requireAll=*/true);
        try {
            pf.info.tasks = tasksFromJsonValue(manifest["tasks"]);
        } catch (const std::invalid_argument &e) {
            throw std::invalid_argument(std::string("invalid task table: ") + e.what());
        }

        // The tensor directory (checked against the model in loadModel).
        const auto tensors = manifest.find("tensors");
        if (tensors == manifest.end() || !tensors->is_array())
            throw std::invalid_argument("tensors must be an array");
        std::set<std::string> names;
        for (std::size_t i = 0; i < tensors->size(); ++i) {
            const Json &t = (*tensors)[i];
            const std::string where = "tensors[" + std::to_string(i) + "]";
            if (!t.is_object())
                throw std::invalid_argument(where + " must be an object");
            TensorEntry e;
            e.name = jsonString(t, "name", where);
            if (!names.insert(e.name).second)
                throw std::invalid_argument("tensor " + e.name + " appears twice");
            e.dtype = jsonString(t, "dtype", where);
            const std::uint64_t elem = elementSize(e.dtype);
            if (elem == 0)
                throw std::invalid_argument("tensor " + e.name + " has an unknown dtype \"" + e.dtype + "\"");
            const auto shape = t.find("shape");
            if (shape == t.end() || !shape->is_array())
                throw std::invalid_argument("tensor " + e.name + ": shape must be an array");
            std::uint64_t numel = 1;
            for (const Json &d : *shape) {
                if (!d.is_number_integer() || d.get<std::int64_t>() < 0)
                    throw std::invalid_argument("tensor " + e.name + ": shape " + shape->dump()
                                                + " must hold non-negative integers");
                const auto dim = d.get<std::uint64_t>();
                if (dim != 0 && numel > pf.dataBytes / dim)  // more elements than the data section could hold
                    throw std::invalid_argument("tensor " + e.name + ": shape " + shape->dump()
                                                + " does not fit in the data section");
                numel *= dim;
                e.shape.push_back(std::int64_t(dim));
            }
            e.offset = jsonU64(t, "offset", where);
            e.bytes = jsonU64(t, "bytes", where);
            if (numel > pf.dataBytes / elem)
                throw std::invalid_argument("tensor " + e.name + ": shape " + shapeString(e.shape) + " of " + e.dtype
                                            + " does not fit in the data section");
            if (e.bytes != numel * elem)
                throw std::invalid_argument("tensor " + e.name + " has " + std::to_string(e.bytes) + " bytes, its shape "
                                            + shapeString(e.shape) + " of " + e.dtype + " needs "
                                            + std::to_string(numel * elem));
            if (e.offset > pf.dataBytes || e.bytes > pf.dataBytes - e.offset)
                throw std::invalid_argument("tensor " + e.name + " at offset " + std::to_string(e.offset) + " with "
                                            + std::to_string(e.bytes) + " bytes lies outside the data section of "
                                            + std::to_string(pf.dataBytes) + " bytes");
            pf.tensors.push_back(std::move(e));
        }

        // SentencePiece: embedded bytes, or a reference by SHA-256.
        const auto spm = manifest.find("sentencepiece");
        if (spm != manifest.end()) {
            if (!spm->is_object())
                throw std::invalid_argument("sentencepiece must be an object");
            pf.info.sentencePieceSha256 = spm->value("sha256", std::string());
            if (!pf.info.sentencePieceSha256.empty() && !isHexDigest(pf.info.sentencePieceSha256))
                throw std::invalid_argument("sentencepiece.sha256 is not 64 lower-case hex digits");
            if (spm->value("embedded", false)) {
                const auto offset = jsonU64(*spm, "offset", "sentencepiece");
                const auto bytes = jsonU64(*spm, "bytes", "sentencepiece");
                if (offset > pf.dataBytes || bytes > pf.dataBytes - offset)
                    throw std::invalid_argument("the embedded SentencePiece model lies outside the data section");
                pf.info.sentencePiece.assign(std::size_t(bytes), '\0');
                readAt(pf, pf.dataStart + offset, pf.info.sentencePiece.data(), bytes);
            }
        }

        const auto metadata = manifest.find("metadata");
        if (metadata != manifest.end() && !(metadata->is_object() && metadata->empty()))
            pf.info.json = metadata->dump();
    } catch (const std::invalid_argument &e) {
        throw manifestError(e.what());
    }

    try {
        pf.info.options.validate();
    } catch (const std::invalid_argument &e) {
        throw fileError(path, std::string("invalid model options: ") + e.what());
    }
    const auto &o = pf.info.options;
    if (std::int64_t(pf.info.tasks.languages.size()) > o.numLanguages
        || std::int64_t(pf.info.tasks.pairs.size()) > o.numPairs)
        throw fileError(path, "the task table has " + std::to_string(pf.info.tasks.languages.size())
                                  + " languages and " + std::to_string(pf.info.tasks.pairs.size())
                                  + " pairs, more than the model's num_languages = " + std::to_string(o.numLanguages)
                                  + " and num_pairs = " + std::to_string(o.numPairs));
    if (!pf.info.sentencePiece.empty()) {
        const std::string actual = Sha256::hex(pf.info.sentencePiece);
        if (actual != pf.info.sentencePieceSha256)
            throw fileError(path, "the embedded SentencePiece model has SHA-256 " + actual + ", the manifest records "
                                      + (pf.info.sentencePieceSha256.empty() ? std::string("none")
                                                                             : pf.info.sentencePieceSha256));
    }
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
        offset = alignUp(offset + info.sentencePiece.size());
    }
    std::vector<std::pair<TensorEntry, torch::Tensor>> tensors;
    Json directory = Json::array();
    for (auto &[name, value] : modelTensors(model)) {
        TensorEntry e;
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
        offset = alignUp(offset + e.bytes);
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

    const std::uint64_t dataStart = alignUp(kHeaderBytes + manifestText.size());
    const std::uint64_t fileBytes = dataStart + dataBytes + kChecksumBytes;
    char header[kHeaderBytes] = {};
    std::memcpy(header, kMagic, sizeof kMagic);
    putLe(header + 8, kModelFormatVersion, 4);
    putLe(header + 12, kHeaderBytes, 4);
    putLe(header + 16, manifestText.size(), 8);
    putLe(header + 24, fileBytes, 8);

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

    std::map<std::string, const TensorEntry *> stored;
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
        const TensorEntry &e = *it->second;
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
        const TensorEntry &e = *stored.at(name);
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
