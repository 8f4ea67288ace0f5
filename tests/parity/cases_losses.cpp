// Parity cases of the losses: the module gets its class weights / pos_weight from the case's state_dict.
#include "parity.hpp"

namespace {
using namespace parity;

/// A loss on (input, target), with an int64 target unless the case gives a float one.
template <class M>
void loss(Run& r, M m) {
  auto& l = r.module(std::move(m));
  const Tensor<T> input = r.x("input");
  if (r.any("target").dtype() == DType::Float64) {
    r.out(l.forward(input, r.x("target")));
  } else if constexpr (requires { l.forward(input, Tensor<std::int64_t>()); }) {
    r.out(l.forward(input, r.get<std::int64_t>("target")));
  } else {
    throw std::invalid_argument(l.type_name() + " takes a float64 target here");
  }
}

PARITY_CASE("MSELoss", r) { loss(r, nn::MSELoss<T>(r.reduction())); }
PARITY_CASE("L1Loss", r) { loss(r, nn::L1Loss<T>(r.reduction())); }
PARITY_CASE("SmoothL1Loss", r) { loss(r, nn::SmoothL1Loss<T>(r.reduction(), r.f("beta", 1.0))); }
PARITY_CASE("HuberLoss", r) { loss(r, nn::HuberLoss<T>(r.reduction(), r.f("delta", 1.0))); }
PARITY_CASE("NLLLoss", r) {
  loss(r, nn::NLLLoss<T>({.weight = r.state("weight"), .ignore_index = r.i("ignore_index", -100),
                          .reduction = r.reduction()}));
}
PARITY_CASE("CrossEntropyLoss", r) {
  loss(r, nn::CrossEntropyLoss<T>({.weight = r.state("weight"), .ignore_index = r.i("ignore_index", -100),
                                   .reduction = r.reduction(), .label_smoothing = r.f("label_smoothing", 0.0)}));
}
PARITY_CASE("BCELoss", r) { loss(r, nn::BCELoss<T>({.weight = r.state("weight"), .reduction = r.reduction()})); }
PARITY_CASE("BCEWithLogitsLoss", r) {
  loss(r, nn::BCEWithLogitsLoss<T>(
              {.weight = r.state("weight"), .reduction = r.reduction(), .pos_weight = r.state("pos_weight")}));
}

}  // namespace
