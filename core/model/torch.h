#pragma once
/// The one way to include LibTorch in this project. Qt's `slots` macro (defined when a
/// translation unit includes Qt before torch) breaks ATen/core/ivalue_inl.h, which has a
/// method named slots(); hide the macro while torch's headers are read.
#pragma push_macro("slots")
#undef slots
#include <torch/torch.h>
#pragma pop_macro("slots")
