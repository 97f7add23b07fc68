#pragma once
/// SentencePiece through a run-time-loaded module (see core/spm): training a shared
/// vocabulary and encoding/decoding with it. The module is found beside the running program,
/// at the build path, or at $TASKMOE_SPM_MODULE.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace taskmoe::core {

struct VocabTrainOptions
{
    int vocabSize = 8000;                 ///< pieces including special and <2xx> symbols
    std::string modelType = "unigram";    ///< unigram or bpe
    double characterCoverage = 0.9995;
    std::vector<std::string> targetLanguages; ///< one <2xx> user-defined symbol per entry
    int threads = 2;
    std::uint64_t seed = 1;
    void validate() const;                ///< throws std::invalid_argument naming the field
};

/// Special ids fixed for every vocabulary this project trains.
constexpr int kPadId = 0, kUnkId = 1, kBosId = 2, kEosId = 3;

/// "<2de>" for "de".
std::string targetToken(const std::string &lang);

class SentencePieceModel
{
public:
    ~SentencePieceModel();
    SentencePieceModel(SentencePieceModel &&) noexcept;
    SentencePieceModel &operator=(SentencePieceModel &&) noexcept;

    /// Loads a serialised model (the bytes of a .model file). Throws InputError if invalid.
    static SentencePieceModel fromBytes(const std::string &bytes);
    static SentencePieceModel fromFile(const std::string &path);

    /// Trains on `sentences` (one per entry) and returns the model; `bytes()` gives the
    /// serialised form to store.
    static SentencePieceModel train(const std::vector<std::string> &sentences, const VocabTrainOptions &options);

    std::vector<int> encode(const std::string &text) const;
    std::vector<std::string> encodePieces(const std::string &text) const;
    std::string decode(const std::vector<int> &ids) const;
    int pieceToId(const std::string &piece) const;  ///< kUnkId when absent
    std::string idToPiece(int id) const;
    int size() const;
    const std::string &bytes() const { return m_bytes; }

private:
    SentencePieceModel() = default;
    void *m_handle = nullptr;
    std::string m_bytes;
};

/// Path of the module that was (or would be) loaded, for diagnostics.
std::string sentencePieceModulePath();

} // namespace taskmoe::core
