#pragma once
#include "ember/core/tensor.hpp"

namespace ember {}  // namespace ember
