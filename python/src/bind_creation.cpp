// Creation functions: tensor, zeros, ones, full, empty, arange, linspace, eye, *_like, rand, randn,
// randint, randperm, manual_seed, seed, initial_seed, get_rng_state / set_rng_state and Generator.
#include <cstring>
#include <random>

#include "common.hpp"

namespace ember::python {

namespace {

DType dtype_or(py::handle h, DType fallback) { return h.is_none() ? fallback : dtype_from_py(h); }

Generator& generator_or_default(py::handle h) {
  return h.is_none() ? default_generator() : h.cast<Generator&>();
}

// Default dtype of a Python number: bool, int64, float32 (as PyTorch).
DType dtype_of_scalar(py::handle v) {
  if (PyBool_Check(v.ptr())) return DType::Bool;
  if (PyLong_Check(v.ptr())) return DType::Int64;
  return DType::Float32;
}

const char* kShapeDoc = "size: ints, one tuple of ints, or size=; dtype: an ember dtype; device: 'cpu' or an ember.device; "
                        "pin_memory is accepted (CPU tensors need no pinning)";


/// x rounded toward zero to bfloat16 (its top 16 bits): uniform samples in [0, 1) stay below 1.
Tensor<bfloat16> truncate_bf16(const Tensor<float>& x) {
  x.check_cpu("rand");
  Tensor<bfloat16> out = Tensor<bfloat16>::empty(x.shape(), x.device());
  const float* s = x.data();
  bfloat16* o = out.data();
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, s + i, 4);
    o[i] = Eigen::bfloat16_impl::raw_uint16_to_bfloat16(static_cast<std::uint16_t>(bits >> 16));
  }
  return out;
}

/// dispatch_dtype for a creation function: bfloat16 is made in float32 and rounded once, as PyTorch fills
/// and samples it.
template <class F>
AnyTensor dispatch_creation(DType d, F&& f) {
  if (d == DType::BFloat16) return AnyTensor(dispatch_dtype(DType::Float32, f)).to(DType::BFloat16);
  return dispatch_dtype(d, std::forward<F>(f));
}

/// The shape of a creation call: sizes given positionally, or as size= (PyTorch takes either, not both).
Shape creation_shape(const py::args& args, py::handle size, const char* op) {
  if (size.is_none()) return shape_from_args(args, op);
  EMBER_CHECK_TYPE(args.empty(), op, "got the size both positionally ", std::string(py::str(args)),
                   " and as size=", std::string(py::str(size)));
  return shape_from_py(size, op);
}

}  // namespace

/// A generator's state as PyTorch gives it: a 1-D uint8 tensor of its bytes.
AnyTensor state_tensor(const std::vector<std::uint8_t>& bytes) {
  return AnyTensor(tensor<std::uint8_t>(bytes));
}

/// Seeds g from the operating system's entropy (64 bits); returns the seed (torch.seed).
std::uint64_t reseed(Generator& g) {
  std::random_device rd;
  const std::uint64_t s = (std::uint64_t{rd()} << 32) | rd();
  g.manual_seed(s);
  return s;
}

/// The bytes of a state tensor (a 1-D uint8 CPU tensor, as get_rng_state returns) for Generator::set_state.
std::vector<std::uint8_t> state_bytes(const AnyTensor& t, const char* op) {
  EMBER_CHECK_TYPE(t.dtype() == DType::UInt8, op, "expected a uint8 tensor (as get_rng_state returns), got dtype ",
                   dtype_name(t.dtype()));
  const auto& u = t.get<std::uint8_t>(op);
  EMBER_CHECK(u.dim() == 1 && u.device().is_cpu(), op, "expected a 1-D CPU tensor (as get_rng_state returns), got shape ",
              u.shape(), " on ", u.device().str());
  return u.to_vector();
}

void bind_creation(py::module_& m, TensorClass& cls) {
  (void)cls;
  py::class_<Generator>(m, "Generator", "A seedable source of random numbers for rand, randn, randint.")
      .def(py::init([](py::handle device) {
        device_from_py(device);
        return std::make_unique<Generator>();
      }), py::arg("device") = "cpu")
      .def("manual_seed", [](Generator& g, py::handle seed) -> Generator& {
        g.manual_seed(seed_from_py(seed, "manual_seed"));
        return g;
      }, py::arg("seed"), py::return_value_policy::reference, "Restarts the stream from seed; returns self.")
      .def("initial_seed", &Generator::initial_seed, "The seed the stream started from.")
      .def("get_state", [](Generator& g) { return state_tensor(g.get_state()); },
           "The stream's position as a uint8 tensor, for set_state.")
      .def("set_state", [](Generator& g, const AnyTensor& state) -> Generator& {
        g.set_state(state_bytes(state, "set_state"), "set_state");
        return g;
      }, py::arg("new_state"), py::return_value_policy::reference,
           "Continues the stream from a state get_state returned (anything else is a ValueError); returns self.")
      .def("seed", &reseed, "Seeds the stream from a non-deterministic source; returns the seed.");
  m.attr("default_generator") = py::cast(&default_generator(), py::return_value_policy::reference);
  m.def("manual_seed", [](py::handle seed) { manual_seed(seed_from_py(seed, "manual_seed")); }, py::arg("seed"),
        "Seeds the default generator.");
  // The module-level forms act on the default generator.
  m.def("get_rng_state", [] { return state_tensor(default_generator().get_state()); },
        "The default generator's state as a uint8 tensor, for set_rng_state (resuming a run where it stopped).");
  m.def("set_rng_state", [](const AnyTensor& state) {
    default_generator().set_state(state_bytes(state, "set_rng_state"), "set_rng_state");
  }, py::arg("new_state"), "Restores the default generator's state from get_rng_state (anything else is a ValueError).");
  m.def("initial_seed", [] { return default_generator().initial_seed(); },
        "The seed the default generator started from.");
  m.def("seed", [] { return reseed(default_generator()); },
        "Seeds the default generator from a non-deterministic source; returns the seed.");

  auto filled = [](const char* name, auto fill_value, const char* doc) {
    return [name, fill_value](py::args args, py::handle size, py::handle dtype, py::handle device, bool requires_grad,
                              bool /*pin_memory*/) {
      const Shape shape = creation_shape(args, size, name);
      return with_grad(dispatch_creation(dtype_or(dtype, DType::Float32), [&](auto tag) -> AnyTensor {
        using T = decltype(tag);
        return full<T>(shape, static_cast<T>(fill_value), device_from_py(device));
      }), requires_grad, name);
    };
  };
  m.def("zeros", filled("zeros", 0, ""), py::kw_only(), py::arg("size") = py::none(), py::arg("dtype") = py::none(),
        py::arg("device") = py::none(), py::arg("requires_grad") = false, py::arg("pin_memory") = false,
        (std::string("A tensor of zeros. ") + kShapeDoc).c_str());
  m.def("ones", filled("ones", 1, ""), py::kw_only(), py::arg("size") = py::none(), py::arg("dtype") = py::none(),
        py::arg("device") = py::none(), py::arg("requires_grad") = false, py::arg("pin_memory") = false,
        (std::string("A tensor of ones. ") + kShapeDoc).c_str());
  m.def("empty", [](py::args args, py::handle size, py::handle dtype, py::handle device, bool requires_grad,
                    bool /*pin_memory*/) {
    const Shape shape = creation_shape(args, size, "empty");
    return with_grad(dispatch_creation(dtype_or(dtype, DType::Float32), [&](auto tag) -> AnyTensor {
      return empty<decltype(tag)>(shape, device_from_py(device));
    }), requires_grad, "empty");
  }, py::kw_only(), py::arg("size") = py::none(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
        py::arg("requires_grad") = false, py::arg("pin_memory") = false,
        (std::string("An uninitialised tensor. ") + kShapeDoc).c_str());
  m.def("full", [](py::handle size, py::handle value, py::handle dtype, py::handle device, bool requires_grad) {
    const Shape shape = shape_from_py(size, "full");
    const Operand v = operand_from_py(value, "full");
    EMBER_CHECK_TYPE(v.tensor == nullptr, "full", "fill_value must be a Python number");
    const DType d = dtype_or(dtype, dtype_of_scalar(value));
    return with_grad(dispatch_creation(d, [&](auto tag) -> AnyTensor {
      using T = decltype(tag);
      return full<T>(shape, scalar_to_tensor(v, ember::dtype_of<T>, "full").template get<T>().item(), device_from_py(device));
    }), requires_grad, "full");
  }, py::arg("size"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
        py::arg("device") = py::none(), py::arg("requires_grad") = false,
        "A tensor filled with fill_value (dtype from the value when not given).");

  auto like = [&](const char* name, const char* doc, auto make) {
    m.def(name, [make](const AnyTensor& t, py::handle dtype, py::handle device, bool requires_grad) {
      const DType d = dtype_or(dtype, t.dtype());
      const Device dev = device.is_none() ? t.device() : device_from_py(device);
      return with_grad(dispatch_creation(d, [&](auto tag) -> AnyTensor { return make(tag, t.shape(), dev); }),
                       requires_grad, "*_like");
    }, py::arg("input"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
          py::arg("requires_grad") = false, doc);
  };
  like("zeros_like", "Zeros with input's shape, dtype and device.",
       [](auto tag, const Shape& s, Device d) { return AnyTensor(zeros<decltype(tag)>(s, d)); });
  like("ones_like", "Ones with input's shape, dtype and device.",
       [](auto tag, const Shape& s, Device d) { return AnyTensor(ones<decltype(tag)>(s, d)); });
  like("empty_like", "An uninitialised tensor with input's shape, dtype and device.",
       [](auto tag, const Shape& s, Device d) { return AnyTensor(empty<decltype(tag)>(s, d)); });
  m.def("full_like", [](const AnyTensor& t, py::handle value, py::handle dtype, py::handle device, bool requires_grad) {
    const DType d = dtype_or(dtype, t.dtype());
    const Operand v = operand_from_py(value, "full_like");
    return with_grad(dispatch_creation(d, [&](auto tag) -> AnyTensor {
      using T = decltype(tag);
      return full<T>(t.shape(), scalar_to_tensor(v, ember::dtype_of<T>, "full_like").template get<T>().item(),
                     device.is_none() ? t.device() : device_from_py(device));
    }), requires_grad, "full_like");
  }, py::arg("input"), py::arg("fill_value"), py::kw_only(), py::arg("dtype") = py::none(),
        py::arg("device") = py::none(), py::arg("requires_grad") = false,
        "fill_value with input's shape, dtype and device.");

  m.def("arange", [](py::handle a, py::handle b, py::handle step, py::handle dtype, py::handle device, bool requires_grad) {
    // arange(end), arange(start, end), arange(start, end, step)
    const bool two = !b.is_none();
    const double start = two ? a.cast<double>() : 0.0;
    const double end = two ? b.cast<double>() : a.cast<double>();
    const double st = step.is_none() ? 1.0 : step.cast<double>();
    bool all_int = true;
    for (py::handle h : {a, b, step})
      if (!h.is_none() && !PyLong_Check(h.ptr())) all_int = false;
    const DType d = dtype_or(dtype, all_int ? DType::Int64 : DType::Float32);
    return with_grad(dispatch_creation(d, [&](auto tag) -> AnyTensor {
      return arange<decltype(tag)>(start, end, st, device_from_py(device));
    }), requires_grad, "arange");
  }, py::arg("start"), py::arg("end") = py::none(), py::arg("step") = py::none(), py::kw_only(),
        py::arg("dtype") = py::none(), py::arg("device") = py::none(), py::arg("requires_grad") = false,
        "Values from start (default 0) below end, spaced by step; int64 when all arguments are ints.");
  m.def("linspace", [](double start, double end, std::int64_t steps, py::handle dtype, py::handle device, bool requires_grad) {
    return with_grad(dispatch_creation(dtype_or(dtype, DType::Float32), [&](auto tag) -> AnyTensor {
      return linspace<decltype(tag)>(start, end, steps, device_from_py(device));
    }), requires_grad, "linspace");
  }, py::arg("start"), py::arg("end"), py::arg("steps"), py::kw_only(), py::arg("dtype") = py::none(),
        py::arg("device") = py::none(), py::arg("requires_grad") = false,
        "steps evenly spaced values from start to end, inclusive.");
  m.def("eye", [](std::int64_t n, std::optional<std::int64_t> mcols, py::handle dtype, py::handle device, bool requires_grad) {
    return with_grad(dispatch_creation(dtype_or(dtype, DType::Float32), [&](auto tag) -> AnyTensor {
      return eye<decltype(tag)>(n, mcols, device_from_py(device));
    }), requires_grad, "eye");
  }, py::arg("n"), py::arg("m") = py::none(), py::kw_only(), py::arg("dtype") = py::none(),
        py::arg("device") = py::none(), py::arg("requires_grad") = false, "An n x m identity matrix.");

  auto random_float = [&](const char* name, const char* doc, bool normal) {
    m.def(name, [name, normal](py::args args, py::handle size, py::handle generator, py::handle dtype, py::handle device,
                               bool requires_grad, bool /*pin_memory*/) {
      const Shape shape = creation_shape(args, size, name);
      const DType d = dtype_or(dtype, DType::Float32);
      EMBER_CHECK_TYPE(is_floating(d), name, "expects a floating point dtype, got ", dtype_name(d));
      Generator& g = generator_or_default(generator);
      const Device dev = device_from_py(device);
      MaybeReleaseGil release(numel_of(shape));
      if (d == DType::BFloat16)  // sampled in float32 and rounded (rand's truncated: 1 stays out)
        return with_grad(normal ? AnyTensor(randn<float>(shape, g, dev)).to(d) : AnyTensor(truncate_bf16(rand<float>(shape, g, dev))),
                         requires_grad, name);
      if (d == DType::Float64)
        return with_grad(normal ? AnyTensor(randn<double>(shape, g, dev)) : AnyTensor(rand<double>(shape, g, dev)),
                         requires_grad, name);
      return with_grad(normal ? AnyTensor(randn<float>(shape, g, dev)) : AnyTensor(rand<float>(shape, g, dev)),
                       requires_grad, name);
    }, py::kw_only(), py::arg("size") = py::none(), py::arg("generator") = py::none(), py::arg("dtype") = py::none(),
          py::arg("device") = py::none(), py::arg("requires_grad") = false, py::arg("pin_memory") = false, doc);
  };
  random_float("rand", "Uniform samples in [0, 1).", false);
  random_float("randn", "Standard normal samples.", true);
  m.def("randint", [](std::int64_t a, py::handle b, py::handle size, py::handle generator, py::handle dtype,
                      py::handle device, bool requires_grad) {
    // randint(high, size), randint(low, high, size) or randint(high, size=size)
    std::int64_t low = 0, high = a;
    py::handle sz = b;
    if (!size.is_none() && !b.is_none()) {
      low = a;
      high = b.cast<std::int64_t>();
      sz = size;
    } else if (!size.is_none()) {
      sz = size;
    }
    EMBER_CHECK_TYPE(!sz.is_none(), "randint", "missing the size argument");
    const Shape shape = shape_from_py(sz, "randint");
    Generator& g = generator_or_default(generator);
    return with_grad(dispatch_creation(dtype_or(dtype, DType::Int64), [&](auto tag) -> AnyTensor {
      return randint<decltype(tag)>(low, high, shape, g, device_from_py(device));
    }), requires_grad, "randint");
  }, py::arg("low"), py::arg("high") = py::none(), py::arg("size") = py::none(), py::kw_only(), py::arg("generator") = py::none(),
        py::arg("dtype") = py::none(), py::arg("device") = py::none(), py::arg("requires_grad") = false,
        "Uniform integers in [low, high): randint(high, size) or randint(low, high, size).");
  m.def("randperm", [](std::int64_t n, py::handle generator, py::handle dtype, py::handle device, bool requires_grad) {
    Generator& g = generator_or_default(generator);
    return with_grad(dispatch_creation(dtype_or(dtype, DType::Int64), [&](auto tag) -> AnyTensor {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, bool>) {
        detail::fail<TypeError>("randperm", "a permutation cannot have dtype bool");
      } else {
        return randperm<T>(n, g, device_from_py(device));
      }
    }), requires_grad, "randperm");
  }, py::arg("n"), py::kw_only(), py::arg("generator") = py::none(), py::arg("dtype") = py::none(),
        py::arg("device") = py::none(), py::arg("requires_grad") = false,
        "A random permutation of 0 .. n-1 (int64 unless dtype is given).");
}

}  // namespace ember::python
