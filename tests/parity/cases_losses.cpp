// Parity cases of the losses.
#include "parity.hpp"

namespace {
using namespace parity;
}  // namespace
