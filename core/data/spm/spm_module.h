#pragma once
/// The C interface of the SentencePiece module (libtaskmoe_spm.so). Loaded at run time with
/// dlopen(RTLD_LOCAL | RTLD_DEEPBIND); see core/sentencepiece.cpp. Strings cross the
/// boundary as (pointer, length) and come back through a sink callback, so no C++ object or
/// allocation crosses it. Functions that can fail return 0 on success and report the error
/// message through `err`.
#include <stddef.h>

extern "C" {

typedef void (*tmspm_sink)(void *context, const char *data, size_t size);

/// ABI version of this interface; the loader refuses a module with another.
int tmspm_abi_version(void);

/// Trains a model from '\n'-separated sentences with SentencePiece's flag string `args`;
/// the serialised model goes to `model`.
int tmspm_train(const char *args, const char *sentences, size_t size, tmspm_sink model, tmspm_sink err, void *context);

/// Loads a serialised model; returns a handle or null (message through `err`).
void *tmspm_load(const char *data, size_t size, tmspm_sink err, void *context);
void tmspm_free(void *handle);

/// Encodes `text` into ids written to `out` (at most `capacity`); returns the number of ids
/// (call again with a larger buffer when it exceeds `capacity`), or -1 on error.
int tmspm_encode(void *handle, const char *text, size_t size, int *out, int capacity);
/// Encodes into pieces, each sent to `piece`.
int tmspm_encode_pieces(void *handle, const char *text, size_t size, tmspm_sink piece, void *context);
int tmspm_decode(void *handle, const int *ids, int count, tmspm_sink text, void *context);
int tmspm_piece_to_id(void *handle, const char *piece, size_t size);
int tmspm_id_to_piece(void *handle, int id, tmspm_sink piece, void *context);
int tmspm_size(void *handle);
}
