#pragma once
#include "core/model/torch.h"
