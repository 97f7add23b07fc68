#include "core/format/modelfile_format.h"

#include "core/base/errors.h"
#include "core/base/sha256.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <set>
#include <stdexcept>

namespace taskmoe::core {

namespace {

using Json = nlohmann::ordered_json;

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

/// The string at `key`, "" when absent; std::invalid_argument when it is not a string.
std::string optionalString(const Json &obj, const char *key, const std::string &where)
{
    const auto it = obj.find(key);
    return it == obj.end() ? std::string() : jsonString(obj, key, where);
}

} // namespace

std::uint64_t modelElementSize(const std::string &dtype)
{
    if (dtype == "float32" || dtype == "int32")
        return 4;
    if (dtype == "float64" || dtype == "int64")
        return 8;
    if (dtype == "bool")
        return 1;
    return 0;
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

std::uint64_t alignModelOffset(std::uint64_t n)
{
    return (n + kModelAlign - 1) / kModelAlign * kModelAlign;
}

void putLittleEndian(char *p, std::uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; ++i)
        p[i] = char((v >> (8 * i)) & 0xff);
}

std::uint64_t getLittleEndian(const char *p, int bytes)
{
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v |= std::uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}

ModelFileLayout parseModelFileHeader(std::string_view header, std::uint64_t size, const std::string &path)
{
    ModelFileLayout layout;
    // Header: magic first (a prefix of the magic in a short file is a truncated model file).
    if (size == 0)
        throw fileError(path, "is empty, not a TaskMoE model file");
    const std::uint64_t headerRead = std::min<std::uint64_t>(size, kModelHeaderBytes);
    if (header.size() < headerRead)
        throw fileError(path, "read error: fewer header bytes than the file has");
    if (std::memcmp(header.data(), kModelMagic, std::size_t(std::min<std::uint64_t>(headerRead, sizeof kModelMagic))) != 0)
        throw fileError(path, "not a TaskMoE model file (wrong magic bytes)");
    if (size < 12)
        throw fileError(path, "truncated: " + std::to_string(size) + " bytes, shorter than the "
                                  + std::to_string(kModelHeaderBytes) + "-byte header");
    const auto version = std::uint32_t(getLittleEndian(header.data() + 8, 4));
    if (version == 0)
        throw fileError(path, "malformed header: format version 0");
    if (version > kModelFormatVersion)
        throw fileError(path, "format version " + std::to_string(version)
                                  + " is newer than this program reads (up to " + std::to_string(kModelFormatVersion)
                                  + "); update TaskMoE Workbench");
    if (size < kModelHeaderBytes)
        throw fileError(path, "truncated: " + std::to_string(size) + " bytes, shorter than the "
                                  + std::to_string(kModelHeaderBytes) + "-byte header");
    const std::uint64_t headerSize = getLittleEndian(header.data() + 12, 4);
    const std::uint64_t manifestBytes = getLittleEndian(header.data() + 16, 8);
    const std::uint64_t fileBytes = getLittleEndian(header.data() + 24, 8);
    if (headerSize != kModelHeaderBytes)
        throw offsetError(path, 12, "malformed header: header size " + std::to_string(headerSize) + ", expected "
                                        + std::to_string(kModelHeaderBytes));
    if (size < fileBytes)
        throw fileError(path, "truncated: the manifest says " + std::to_string(fileBytes) + " bytes, the file has "
                                  + std::to_string(size));
    if (size > fileBytes)
        throw fileError(path, "has " + std::to_string(size - fileBytes) + " bytes after the end its manifest gives ("
                                  + std::to_string(fileBytes) + " bytes)");
    // 64-bit arithmetic that cannot overflow: every term is checked against fileBytes first.
    if (fileBytes < kModelHeaderBytes + kModelChecksumBytes || manifestBytes > fileBytes - kModelHeaderBytes - kModelChecksumBytes)
        throw offsetError(path, 16, "malformed header: a manifest of " + std::to_string(manifestBytes)
                                        + " bytes does not fit in a file of " + std::to_string(fileBytes) + " bytes");

    layout.version = version;
    layout.fileBytes = fileBytes;
    layout.manifestBytes = manifestBytes;
    layout.dataStart = alignModelOffset(kModelHeaderBytes + manifestBytes);
    return layout;
}

ModelManifest parseModelFileManifest(const std::string &manifestText, const ModelFileLayout &layout, const std::string &path)
{
    ModelManifest m;
    Json manifest;
    try {
        manifest = Json::parse(manifestText);
    } catch (const Json::parse_error &e) {
        throw offsetError(path, std::int64_t(kModelHeaderBytes + (e.byte > 0 ? e.byte - 1 : 0)),
                          std::string("malformed manifest JSON: ") + e.what());
    } catch (const Json::out_of_range &e) {   // a number beyond double's range
        throw fileError(path, std::string("malformed manifest JSON: ") + e.what());
    }

    const auto manifestError = [&](const std::string &what) { return fileError(path, "manifest: " + what); };
    try {
        if (!manifest.is_object())
            throw std::invalid_argument("not a JSON object");
        if (optionalString(manifest, "format", "manifest") != "taskmoe-model")
            throw std::invalid_argument("format is not \"taskmoe-model\"");

        // data_bytes: the data section fills the file between the manifest and the checksum.
        m.dataBytes = jsonU64(manifest, "data_bytes", "manifest");
        if (layout.dataStart > layout.fileBytes - kModelChecksumBytes
            || m.dataBytes != layout.fileBytes - kModelChecksumBytes - layout.dataStart)
            throw std::invalid_argument("data_bytes = " + std::to_string(m.dataBytes)
                                        + " does not match the file size " + std::to_string(layout.fileBytes));

        if (!manifest.contains("options"))
            throw std::invalid_argument("options is missing");
        if (!manifest.contains("tasks"))
            throw std::invalid_argument("tasks is missing");
        optionsFromJsonValue(manifest["options"], m.info.options, /*requireAll=*/true);
        try {
            m.info.tasks = tasksFromJsonValue(manifest["tasks"]);
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
            ModelTensorEntry e;
            e.name = jsonString(t, "name", where);
            if (!names.insert(e.name).second)
                throw std::invalid_argument("tensor " + e.name + " appears twice");
            e.dtype = jsonString(t, "dtype", where);
            const std::uint64_t elem = modelElementSize(e.dtype);
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
                if (dim != 0 && numel > m.dataBytes / dim)  // more elements than the data section could hold
                    throw std::invalid_argument("tensor " + e.name + ": shape " + shape->dump()
                                                + " does not fit in the data section");
                numel *= dim;
                e.shape.push_back(std::int64_t(dim));
            }
            e.offset = jsonU64(t, "offset", where);
            e.bytes = jsonU64(t, "bytes", where);
            if (numel > m.dataBytes / elem)
                throw std::invalid_argument("tensor " + e.name + ": shape " + shapeString(e.shape) + " of " + e.dtype
                                            + " does not fit in the data section");
            if (e.bytes != numel * elem)
                throw std::invalid_argument("tensor " + e.name + " has " + std::to_string(e.bytes) + " bytes, its shape "
                                            + shapeString(e.shape) + " of " + e.dtype + " needs "
                                            + std::to_string(numel * elem));
            if (e.offset > m.dataBytes || e.bytes > m.dataBytes - e.offset)
                throw std::invalid_argument("tensor " + e.name + " at offset " + std::to_string(e.offset) + " with "
                                            + std::to_string(e.bytes) + " bytes lies outside the data section of "
                                            + std::to_string(m.dataBytes) + " bytes");
            m.tensors.push_back(std::move(e));
        }

        // SentencePiece: embedded bytes, or a reference by SHA-256.
        const auto spm = manifest.find("sentencepiece");
        if (spm != manifest.end()) {
            if (!spm->is_object())
                throw std::invalid_argument("sentencepiece must be an object");
            m.info.sentencePieceSha256 = optionalString(*spm, "sha256", "sentencepiece");
            if (!m.info.sentencePieceSha256.empty() && !isHexDigest(m.info.sentencePieceSha256))
                throw std::invalid_argument("sentencepiece.sha256 is not 64 lower-case hex digits");
            const auto embedded = spm->find("embedded");
            if (embedded != spm->end() && !embedded->is_boolean())
                throw std::invalid_argument("sentencepiece.embedded must be true or false (got " + embedded->dump() + ")");
            if (embedded != spm->end() && embedded->get<bool>()) {
                const auto offset = jsonU64(*spm, "offset", "sentencepiece");
                const auto bytes = jsonU64(*spm, "bytes", "sentencepiece");
                if (offset > m.dataBytes || bytes > m.dataBytes - offset)
                    throw std::invalid_argument("the embedded SentencePiece model lies outside the data section");
                m.spmEmbedded = true;
                m.spmOffset = offset;
                m.spmBytes = bytes;
            }
        }

        const auto metadata = manifest.find("metadata");
        if (metadata != manifest.end() && !(metadata->is_object() && metadata->empty()))
            m.info.json = metadata->dump();
    } catch (const std::invalid_argument &e) {
        throw manifestError(e.what());
    }

    return m;
}

void checkModelFileInfo(const ModelFileInfo &info, const std::string &path)
{
    try {
        info.options.validate();
    } catch (const std::invalid_argument &e) {
        throw fileError(path, std::string("invalid model options: ") + e.what());
    }
    const auto &o = info.options;
    if (std::int64_t(info.tasks.languages.size()) > o.numLanguages
        || std::int64_t(info.tasks.pairs.size()) > o.numPairs)
        throw fileError(path, "the task table has " + std::to_string(info.tasks.languages.size())
                                  + " languages and " + std::to_string(info.tasks.pairs.size())
                                  + " pairs, more than the model's num_languages = " + std::to_string(o.numLanguages)
                                  + " and num_pairs = " + std::to_string(o.numPairs));
    if (!info.sentencePiece.empty()) {
        const std::string actual = Sha256::hex(info.sentencePiece);
        if (actual != info.sentencePieceSha256)
            throw fileError(path, "the embedded SentencePiece model has SHA-256 " + actual + ", the manifest records "
                                      + (info.sentencePieceSha256.empty() ? std::string("none")
                                                                             : info.sentencePieceSha256));
    }
}

} // namespace taskmoe::core
