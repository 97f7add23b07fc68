#pragma once
/// One sentence translated and traced through the router: the translation and, for every
/// source and target token, the experts it was sent to in each MoE layer with their gate
/// weights and whether capacity dropped the copy. `taskmoe route` prints it; the workbench's
/// translate playground draws it (through `taskmoe route --serve`, which keeps the model loaded
/// and answers one request per line).
#include "usecases/models.h"

#include <QJsonObject>
#include <QString>

#include <string>

namespace taskmoe::usecases {

struct RouteRequest
{
    std::string text;                 ///< UTF-8
    QString from, to;                 ///< language codes; `from` only for pair-routed models
    core::DecodeOptions decoding;
};

/// The trace as a JSON object: source and translation (text and pieces), the task, the decoding
/// settings and "layers": per MoE layer its side, index, routing and per token its position,
/// piece, experts, gates and dropped flags. Throws UseCaseError or core::InputError for a bad
/// request (unknown language, invalid UTF-8); `cropped` counts a source cut to the positions.
QJsonObject routeSentence(const TranslationModel &model, const RouteRequest &request, int *cropped = nullptr);

/// What a model offers a playground: its languages, pairs and routing, as JSON.
QJsonObject modelDescription(const TranslationModel &model);

} // namespace taskmoe::usecases
