#pragma once
/// Self-describing model files: the model options (routing included), the task table, the
/// SentencePiece model (embedded, or referenced by its SHA-256) and every tensor, in one file
/// that a loader can check completely before trusting it.
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
///
/// The tensor directory names every parameter and buffer of the Transformer by its
/// registered name with dtype, shape, offset (relative to D) and size in bytes.
#include "core/config/model_json.h"
#include "core/config/model_options.h"

#include <cstdint>
#include <memory>
#include <string>

namespace taskmoe::core {

class Transformer;
class TransformerImpl;

/// Version of the container written by saveModel; loadModel reads this version and older.
constexpr std::uint32_t kModelFormatVersion = 1;

/// Everything a model file says about its model apart from the tensors.
struct ModelFileInfo
{
    ModelOptions options;             ///< on save, ignored: the model's own options are written
    TaskTable tasks;                  ///< languages and pairs with their ids
    std::string sentencePiece;        ///< serialised SentencePiece model; empty when not embedded
    std::string sentencePieceSha256;  ///< 64 hex digits; on save computed from sentencePiece when embedded
    std::string json;                 ///< free-form metadata, a JSON object (run id, step, created …) or empty
};

struct LoadedModel
{
    /// The model built from the stored options with the stored tensors, in training mode as
    /// every new module is (call ->eval() for inference). Converts to a Transformer holder:
    /// `Transformer model = loaded.model;`
    std::shared_ptr<TransformerImpl> model;
    ModelFileInfo info;
    std::string sha256;               ///< SHA-256 of the whole file (as sha256File gives it)
};

/// Writes `model` and `info` to `path` through a temporary file in the same folder and a
/// rename, so a reader sees the old file or the new one, never a mix. Returns the SHA-256 of
/// the file written. Throws InputError naming the path when it cannot be written, and
/// std::invalid_argument for an invalid task table, metadata that is not a JSON object, a
/// SentencePiece SHA-256 that disagrees with the embedded bytes, or non-finite tensor values.
std::string saveModel(const std::string &path, Transformer &model, const ModelFileInfo &info);

/// Loads and checks a model file: magic, format version, size, checksum, manifest, options
/// (validate()), task table, the tensor directory against the parameters the options give
/// (names, dtypes, shapes, bounds), finite values, and the embedded SentencePiece model's
/// SHA-256. Every refusal is an InputError naming the path and the problem.
LoadedModel loadModel(const std::string &path);

/// Reads and checks only what loadModel checks before the tensors (header, checksum,
/// manifest, options, tasks, SentencePiece) — for listing and inspecting model files without
/// building the model. Reads the whole file once to verify the checksum.
ModelFileInfo readModelFileInfo(const std::string &path, std::string *sha256 = nullptr);

} // namespace taskmoe::core
