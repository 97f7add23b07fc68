// Model files (.tmf): the header and the manifest, as a loader reads them before any tensor.
// The checksum is not checked here (random bytes would never get past it): the input is the
// whole file, and its header and manifest are parsed as if the checksum had matched.
#include "core/format/modelfile_format.h"
#include "fuzzsupport.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace taskmoe::core;
    const std::string_view bytes(reinterpret_cast<const char *>(data), size);
    taskmoe::fuzz::expectOnlyDocumentedErrors([&] {
        const ModelFileLayout layout =
            parseModelFileHeader(bytes.substr(0, std::min<std::size_t>(size, kModelHeaderBytes)), size, "fuzz.tmf");
        const std::string manifestText(bytes.substr(kModelHeaderBytes, std::size_t(layout.manifestBytes)));
        ModelManifest manifest = parseModelFileManifest(manifestText, layout, "fuzz.tmf");
        if (manifest.spmEmbedded) {
            if (layout.dataStart + manifest.spmOffset + manifest.spmBytes > size)
                std::abort();   // the manifest's checks must keep the bytes inside the file
            manifest.info.sentencePiece = std::string(bytes.substr(std::size_t(layout.dataStart + manifest.spmOffset),
                                                                   std::size_t(manifest.spmBytes)));
        }
        checkModelFileInfo(manifest.info, "fuzz.tmf");
    });
    return 0;
}
