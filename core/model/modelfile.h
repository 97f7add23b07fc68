#pragma once
/// Self-describing model files: the model options (routing included), the task table, the
/// SentencePiece model (embedded, or referenced by its SHA-256) and every tensor, in one file
/// that a loader can check completely before trusting it. The container (header, manifest,
/// checksum; the layout is drawn there) is core/format/modelfile_format.h; this file adds the
/// tensors.
#include "core/format/modelfile_format.h"

#include <cstdint>
#include <memory>
#include <string>

namespace taskmoe::core {

class Transformer;
class TransformerImpl;

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
