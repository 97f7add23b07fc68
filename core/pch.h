#pragma once
#include "core/torch.h"
