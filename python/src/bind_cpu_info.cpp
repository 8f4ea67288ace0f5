// ember._core._cpu: what oneDNN dispatches to on this CPU (ember.backends.cpu builds on it).
#include "common.hpp"
#include "ember/backend/onednn/cpu_info.hpp"

namespace ember::python {

void bind_cpu_info(py::module_& m) {
  py::module_ c = m.def_submodule("_cpu", "The CPU's instruction sets as oneDNN sees them (see ember.backends.cpu).");
  c.def("info", [] {
    const CpuInfo i = cpu_info();
    const CpuFlags& f = i.cpu;
    py::dict cpu;
    cpu["arch"] = f.arch;
    cpu["avx2"] = f.avx2;
    cpu["avx512f"] = f.avx512f;
    cpu["avx512_vnni"] = f.avx512_vnni;
    cpu["avx512_bf16"] = f.avx512_bf16;
    cpu["avx512_fp16"] = f.avx512_fp16;
    cpu["avx_vnni"] = f.avx_vnni;
    cpu["avx_vnni_int8"] = f.avx_vnni_int8;
    cpu["avx_ne_convert"] = f.avx_ne_convert;
    cpu["amx_tile"] = f.amx_tile;
    cpu["amx_bf16"] = f.amx_bf16;
    cpu["amx_int8"] = f.amx_int8;
    cpu["amx_fp16"] = f.amx_fp16;
    py::dict d;
    d["isa"] = i.isa;
    d["max_isa"] = i.max_isa;
    d["bf16_native"] = i.bf16_native;
    d["amx_bf16"] = i.amx_bf16;
    d["int8_native"] = i.int8_native;
    d["amx_int8"] = i.amx_int8;
    d["fp16_native"] = i.fp16_native;
    d["onednn_version"] = i.onednn_version;
    d["num_threads"] = i.num_threads;
    d["cpu"] = cpu;
    return d;
  }, "ember::cpu_info() as a dict (the raw CPUID flags under 'cpu').");
  c.def("matmul_seconds", [](const std::string& dtype, std::int64_t n, int reps) {
    py::gil_scoped_release release;
    return cpu_matmul_seconds(dtype, n, reps);
  }, py::arg("dtype"), py::arg("n") = 256, py::arg("reps") = 10,
        "Best seconds per run of a plain oneDNN n x n matmul in dtype ('float32', 'bfloat16', 'int8'); "
        "negative when oneDNN has no kernel for it on this ISA.");
}

}  // namespace ember::python
