// Training configurations: the JSON `taskmoe train --config` and the workbench's New-run
// dialog parse, then printed and parsed again (what the store keeps must read back).
#include "core/config/trainconfig.h"
#include "fuzzsupport.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char *>(data), size);
    taskmoe::fuzz::expectOnlyDocumentedErrors([&] {
        const taskmoe::core::TrainConfig config = taskmoe::core::parseTrainConfig(text, "fuzz.json");
        const taskmoe::core::TrainConfig again =
            taskmoe::core::parseTrainConfig(taskmoe::core::trainConfigToJson(config), "printed");
        if (!(again == config))
            std::abort();   // a configuration that does not survive the store
    });
    return 0;
}
