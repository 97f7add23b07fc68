#pragma once
/// What every use case shares: the error it throws and how it tells what it is doing.
#include <QString>

#include <functional>
#include <stdexcept>

namespace taskmoe::usecases {

/// Thrown when a request cannot be carried out: one sentence naming the run, checkpoint, file
/// or option and what is wrong. Programs show it as it is (the command line exits with status
/// 1; the workbench puts it in a dialog).
class UseCaseError : public std::runtime_error
{
public:
    explicit UseCaseError(const QString &message) : std::runtime_error(message.toStdString()) {}
};

/// Receives a sentence about a long step a use case is taking ("importing the catalogs of …",
/// "training a 4000-piece vocabulary …"); the command line prints it to standard error.
using Notes = std::function<void(const QString &note)>;

} // namespace taskmoe::usecases
