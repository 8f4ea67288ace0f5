// ember::cpu_info(): the oneDNN ISA and the capabilities derived from it, and the timed matmul probe.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "ember/backend/onednn/cpu_info.hpp"

using namespace ember;

TEST(CpuInfo, IsaIsAOneDnnNameAndCapabilitiesAreConsistent) {
  const CpuInfo i = cpu_info();
  const std::set<std::string> names{"default", "sse41", "avx", "avx2", "avx2_vnni", "avx2_vnni_2", "avx512_core",
                                    "avx512_core_vnni", "avx512_core_bf16", "avx512_core_fp16", "avx512_core_amx",
                                    "avx512_core_amx_fp16"};
  EXPECT_TRUE(names.count(i.isa)) << i.isa;
  EXPECT_EQ(i.isa, detail::onednn::isa_name(dnnl::get_effective_cpu_isa()));
  if (i.amx_bf16) EXPECT_TRUE(i.bf16_native);
  if (i.amx_int8) EXPECT_TRUE(i.int8_native);
  if (i.bf16_native) EXPECT_TRUE(i.int8_native);  // every oneDNN ISA with bf16 also has VNNI
  EXPECT_EQ(i.bf16_native, i.isa == "avx512_core_bf16" || i.isa == "avx512_core_fp16" || i.isa == "avx2_vnni_2" ||
                               i.isa.rfind("avx512_core_amx", 0) == 0);
  EXPECT_EQ(i.int8_native, i.bf16_native || i.isa == "avx512_core_vnni" || i.isa == "avx2_vnni");
  EXPECT_EQ(i.onednn_version, std::to_string(DNNL_VERSION_MAJOR) + "." + std::to_string(DNNL_VERSION_MINOR) + "." +
                                  std::to_string(DNNL_VERSION_PATCH));
  EXPECT_GE(i.num_threads, 1);
  EXPECT_FALSE(i.cpu.arch.empty());
}

#if defined(__x86_64__)
// oneDNN never dispatches to more than the CPU has (a capped ISA may be less).
TEST(CpuInfo, NativeCapabilitiesNeedTheCpuFlags) {
  const CpuInfo i = cpu_info();
  if (i.amx_bf16) EXPECT_TRUE(i.cpu.amx_bf16 && i.cpu.amx_tile);
  if (i.amx_int8) EXPECT_TRUE(i.cpu.amx_int8);
  if (i.isa.rfind("avx512", 0) == 0) EXPECT_TRUE(i.cpu.avx512f);
  if (i.isa == "avx512_core_bf16") EXPECT_TRUE(i.cpu.avx512_bf16);
  if (i.int8_native) EXPECT_TRUE(i.cpu.avx512_vnni || i.cpu.avx_vnni);
  if (i.isa != "default" && i.isa != "sse41" && i.isa != "avx") EXPECT_TRUE(i.cpu.avx2);
}
#endif

TEST(CpuInfo, MatmulProbeTimesEachDtype) {
  EXPECT_GT(cpu_matmul_seconds("float32", 64, 2), 0.0);
  const CpuInfo i = cpu_info();
  // With native bf16 oneDNN has a bf16 kernel; without, it may have none (then the probe says -1).
  const double bf16 = cpu_matmul_seconds("bfloat16", 64, 2);
  if (i.bf16_native) EXPECT_GT(bf16, 0.0);
  else EXPECT_TRUE(bf16 > 0.0 || bf16 == -1.0);
  EXPECT_GT(cpu_matmul_seconds("int8", 64, 2), 0.0);  // oneDNN's int8 matmul exists on every x86 ISA
}

TEST(CpuInfo, MatmulProbeRejectsBadArguments) {
  try {
    cpu_matmul_seconds("float64", 64, 2);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("[cpu_matmul_seconds]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("float64"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cpu_matmul_seconds("float32", 0, 2), std::invalid_argument);
  EXPECT_THROW(cpu_matmul_seconds("float32", 64, 0), std::invalid_argument);
}
