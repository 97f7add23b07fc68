#pragma once
// Fixtures the unit suites share.
#include "core/config/model_options.h"

namespace taskmoe::test {

/// The tiny Transformer most unit tests build: 50 pieces, 32 wide, 2 heads, FFN 64, two
/// encoder and two decoder layers, 4 experts with top-2 gating, token routing in the encoder
/// and task (target) routing in the decoder by default, 3 languages and 4 pairs. Suites change
/// what their case needs on the copy.
inline core::ModelOptions tinyModelOptions(core::Routing encoder = core::Routing::Token,
                                           core::Routing decoder = core::Routing::TaskTarget)
{
    core::ModelOptions o;
    o.vocabSize = 50;
    o.dModel = 32;
    o.heads = 2;
    o.dFf = 64;
    o.encoderLayers = 2;
    o.decoderLayers = 2;
    o.maxLength = 32;
    o.experts = 4;
    o.topK = 2;
    o.encoderRouting = encoder;
    o.decoderRouting = decoder;
    o.numLanguages = 3;
    o.numPairs = 4;
    return o;
}

} // namespace taskmoe::test
