#pragma once
/// The model file's container without its tensors: the 32-byte header, the JSON manifest
/// (options, task table, tensor directory, SentencePiece reference, metadata) and the checks
/// on them. Torch-free, so that the part of a model file a hostile or damaged file reaches
/// first is fuzzed (fuzz/) and can be inspected without LibTorch; core/model/modelfile.h reads
/// and writes whole files with it.
///
/// Layout (all integers little-endian):
///
///     offset 0   8 bytes   magic "\x89TMF\r\n\x1a\n" (catches text-mode transfers, like PNG's)
///            8   u32       format version (kModelFormatVersion)
///           12   u32       header size (32)
///           16   u64       manifest size M
///           24   u64       file size N (everything, the trailing checksum included)
///           32   M bytes   manifest: UTF-8 JSON (options, tasks, SentencePiece, tensor directory,
///                          data_bytes, metadata)
///       D = 32 + M rounded up to 64:
///            D   data: the SentencePiece bytes (when embedded) and the tensors, each blob at a
///                64-byte aligned offset relative to D, tensors as raw little-endian values
///       N − 32   32 bytes  SHA-256 of bytes 0 .. N − 33
#include "core/config/model_json.h"
#include "core/config/model_options.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace taskmoe::core {

/// Version of the container written by saveModel; loadModel reads this version and older.
constexpr std::uint32_t kModelFormatVersion = 1;
constexpr char kModelMagic[8] = {'\x89', 'T', 'M', 'F', '\r', '\n', '\x1a', '\n'};
constexpr std::uint64_t kModelHeaderBytes = 32;
constexpr std::uint64_t kModelChecksumBytes = 32;
constexpr std::uint64_t kModelAlign = 64;

/// Everything a model file says about its model apart from the tensors.
struct ModelFileInfo
{
    ModelOptions options;             ///< on save, ignored: the model's own options are written
    TaskTable tasks;                  ///< languages and pairs with their ids
    std::string sentencePiece;        ///< serialised SentencePiece model; empty when not embedded
    std::string sentencePieceSha256;  ///< 64 hex digits; on save computed from sentencePiece when embedded
    std::string json;                 ///< free-form metadata, a JSON object (run id, step, created …) or empty
};

/// Where the parts of a file are, from its header.
struct ModelFileLayout
{
    std::uint32_t version = 0;
    std::uint64_t fileBytes = 0;      ///< N
    std::uint64_t manifestBytes = 0;  ///< M
    std::uint64_t dataStart = 0;      ///< D
};

struct ModelTensorEntry
{
    std::string name;
    std::string dtype;                ///< float32, float64, int32, int64, bool
    std::vector<std::int64_t> shape;
    std::uint64_t offset = 0;         ///< relative to the data section
    std::uint64_t bytes = 0;
};

/// What the manifest says; the embedded SentencePiece bytes are still in the data section.
struct ModelManifest
{
    ModelFileInfo info;               ///< sentencePiece empty: see spmOffset/spmBytes
    std::uint64_t dataBytes = 0;
    std::vector<ModelTensorEntry> tensors;
    bool spmEmbedded = false;
    std::uint64_t spmOffset = 0;      ///< relative to the data section
    std::uint64_t spmBytes = 0;
};

/// Checks the header of a file of `size` bytes; `header` holds its first min(size, 32) bytes.
/// Throws InputError naming `path` (and the offset where it helps): wrong magic, a truncated
/// or over-long file, an unknown version, a manifest that cannot fit.
ModelFileLayout parseModelFileHeader(std::string_view header, std::uint64_t size, const std::string &path);

/// Parses the manifest of a file with `layout` and checks it against the data section:
/// format, data_bytes, options, task table, every tensor inside the data section with a size
/// its dtype and shape give, the SentencePiece reference. Throws InputError naming `path`.
ModelManifest parseModelFileManifest(const std::string &text, const ModelFileLayout &layout, const std::string &path);

/// The checks once the SentencePiece bytes are in `info`: options valid, the task table within
/// num_languages/num_pairs, the embedded SentencePiece model's SHA-256 as recorded.
void checkModelFileInfo(const ModelFileInfo &info, const std::string &path);

/// Bytes per element of a stored dtype; 0 for an unknown one.
std::uint64_t modelElementSize(const std::string &dtype);
/// "[2, 3]".
std::string shapeString(const std::vector<std::int64_t> &shape);
/// 64 lower-case hex digits.
bool isHexDigest(const std::string &s);
/// `n` rounded up to the 64-byte alignment of the data section.
std::uint64_t alignModelOffset(std::uint64_t n);
/// Little-endian integers of `bytes` bytes.
void putLittleEndian(char *p, std::uint64_t v, int bytes);
std::uint64_t getLittleEndian(const char *p, int bytes);

} // namespace taskmoe::core
