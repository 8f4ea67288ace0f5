// Parity cases of ember.nn.functional: the C++ op of the same name, called with the same arguments.
#include "parity.hpp"

namespace {
using namespace parity;

PARITY_CASE("F.linear", r) { r.out(ember::linear(r.x("input"), r.x("weight"), r.ox("bias"))); }
PARITY_CASE("F.softmax", r) { r.out(ember::softmax(r.x("input"), r.i("dim", -1))); }
PARITY_CASE("F.log_softmax", r) { r.out(ember::log_softmax(r.x("input"), r.i("dim", -1))); }

}  // namespace
