#pragma once
/// Model options and task tables as JSON: the text a model file's manifest and a training
/// configuration's "model" section share. No LibTorch here, so the workbench can validate a
/// configuration with the same code as the command line without loading the tensor library.
#include "core/config/model_options.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace taskmoe::core {

/// ModelOptions as a JSON object with the field names validate() uses (d_model, top_k,
/// encoder_routing …; routing by name). Pretty-printed with `indent` ≥ 0, compact with −1.
std::string modelOptionsToJson(const ModelOptions &options, int indent = 2);
/// Reads a JSON object of options onto `defaults`: fields absent keep the default; an unknown
/// field, a wrong type or an unknown routing name throws std::invalid_argument naming the
/// field ("model.d_ff"). Does not call validate() (the caller may still override fields).
ModelOptions modelOptionsFromJson(const std::string &json, const ModelOptions &defaults = ModelOptions());

/// Every option's JSON name, in the order they are written.
std::vector<std::string> modelOptionNames();

/// TaskTable as {"languages": ["de", "en"], "pairs": [[1, 0], …]} (pairs as language ids).
std::string taskTableToJson(const TaskTable &tasks, int indent = 2);
/// The inverse; throws std::invalid_argument naming the field, then TaskTable::validate()'s errors.
TaskTable taskTableFromJson(const std::string &json);

/// The JSON-value forms of the functions above (for callers that build larger documents).
/// With `requireAll`, every option must be present (model files); otherwise absent fields keep
/// what `o` holds.
nlohmann::ordered_json optionsToJsonValue(const ModelOptions &o);
void optionsFromJsonValue(const nlohmann::ordered_json &j, ModelOptions &o, bool requireAll);
nlohmann::ordered_json tasksToJsonValue(const TaskTable &t);
TaskTable tasksFromJsonValue(const nlohmann::ordered_json &j);
/// Parses `text`; a syntax error throws std::invalid_argument naming `what` and the byte offset.
nlohmann::ordered_json parseJsonText(const std::string &text, const std::string &what);

} // namespace taskmoe::core
