// The only translation unit that sees SentencePiece. See spm_module.h.
#include "core/data/spm/spm_module.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <exception>
#include <string>
#include <string_view>

#define TMSPM_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

/// Sentences of a '\n'-separated buffer, without copying the buffer.
class BufferIterator : public sentencepiece::SentenceIterator
{
public:
    explicit BufferIterator(std::string_view data) : m_data(data) { Next(); }
    bool done() const override { return m_done; }
    void Next() override
    {
        if (m_pos >= m_data.size()) {
            m_done = true;
            return;
        }
        std::size_t end = m_data.find('\n', m_pos);
        if (end == std::string_view::npos)
            end = m_data.size();
        m_value.assign(m_data.data() + m_pos, end - m_pos);
        m_pos = end + 1;
    }
    const std::string &value() const override { return m_value; }
    sentencepiece::util::Status status() const override { return {}; }

private:
    std::string_view m_data;
    std::size_t m_pos = 0;
    std::string m_value;
    bool m_done = false;
};

void report(tmspm_sink err, void *context, const std::string &message)
{
    if (err)
        err(context, message.data(), message.size());
}

auto *processor(void *handle) { return static_cast<sentencepiece::SentencePieceProcessor *>(handle); }

} // namespace

TMSPM_EXPORT int tmspm_abi_version(void) { return 1; }

TMSPM_EXPORT int tmspm_train(const char *args, const char *sentences, size_t size, tmspm_sink model, tmspm_sink err,
                             void *context)
{
    try {
        BufferIterator it(std::string_view(sentences, size));
        std::string serialized;
        const auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &serialized);
        if (!status.ok()) {
            report(err, context, status.ToString());
            return 1;
        }
        model(context, serialized.data(), serialized.size());
        return 0;
    } catch (const std::exception &e) {
        report(err, context, e.what());
        return 1;
    }
}

TMSPM_EXPORT void *tmspm_load(const char *data, size_t size, tmspm_sink err, void *context)
{
    try {
        auto *p = new sentencepiece::SentencePieceProcessor;
        const auto status = p->LoadFromSerializedProto(std::string_view(data, size));
        if (!status.ok()) {
            report(err, context, status.ToString());
            delete p;
            return nullptr;
        }
        return p;
    } catch (const std::exception &e) {
        report(err, context, e.what());
        return nullptr;
    }
}

TMSPM_EXPORT void tmspm_free(void *handle) { delete processor(handle); }

TMSPM_EXPORT int tmspm_encode(void *handle, const char *text, size_t size, int *out, int capacity)
{
    try {
        std::vector<int> ids;
        if (!processor(handle)->Encode(std::string_view(text, size), &ids).ok())
            return -1;
        for (int i = 0; i < static_cast<int>(ids.size()) && i < capacity; ++i)
            out[i] = ids[i];
        return static_cast<int>(ids.size());
    } catch (...) {
        return -1;
    }
}

TMSPM_EXPORT int tmspm_encode_pieces(void *handle, const char *text, size_t size, tmspm_sink piece, void *context)
{
    try {
        std::vector<std::string> pieces;
        if (!processor(handle)->Encode(std::string_view(text, size), &pieces).ok())
            return -1;
        for (const auto &p : pieces)
            piece(context, p.data(), p.size());
        return static_cast<int>(pieces.size());
    } catch (...) {
        return -1;
    }
}

TMSPM_EXPORT int tmspm_decode(void *handle, const int *ids, int count, tmspm_sink text, void *context)
{
    try {
        std::string out;
        if (!processor(handle)->Decode(std::vector<int>(ids, ids + count), &out).ok())
            return -1;
        text(context, out.data(), out.size());
        return 0;
    } catch (...) {
        return -1;
    }
}

TMSPM_EXPORT int tmspm_piece_to_id(void *handle, const char *piece, size_t size)
{
    return processor(handle)->PieceToId(std::string_view(piece, size));
}

TMSPM_EXPORT int tmspm_id_to_piece(void *handle, int id, tmspm_sink piece, void *context)
{
    if (id < 0 || id >= processor(handle)->GetPieceSize())
        return -1;
    const std::string &p = processor(handle)->IdToPiece(id);
    piece(context, p.data(), p.size());
    return 0;
}

TMSPM_EXPORT int tmspm_size(void *handle) { return processor(handle)->GetPieceSize(); }
