# The CUDA backend: the shared library ember_cuda (src/cuda/*.cu), built when EMBER_WITH_CUDA finds a
# CUDA compiler and cuBLAS (a system toolkit's, or the PyPI wheel nvidia-cublas: its headers and
# libcublas.so.N under site-packages/nvidia/cu13 or nvidia/cublas).
#   EMBER_WITH_CUDA = AUTO (default): build it when both are found, else say why and stay CPU-only.
#                     ON: a missing compiler or cuBLAS is a configure error.  OFF: CPU-only.
set(EMBER_WITH_CUDA AUTO CACHE STRING "Build the CUDA backend: AUTO, ON or OFF")
set_property(CACHE EMBER_WITH_CUDA PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${EMBER_WITH_CUDA}" _ember_cuda_mode)
set(EMBER_CUDA_ENABLED OFF)

function(ember_cuda_unavailable reason)
  if(_ember_cuda_mode STREQUAL "ON")
    message(FATAL_ERROR "EMBER_WITH_CUDA=ON but ${reason}")
  endif()
  message(STATUS "ember: CUDA backend not built (${reason}); building CPU-only")
endfunction()

if(NOT _ember_cuda_mode MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "EMBER_WITH_CUDA must be AUTO, ON or OFF, got '${EMBER_WITH_CUDA}'")
endif()

if(NOT _ember_cuda_mode STREQUAL "OFF")
  include(CheckLanguage)
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    ember_cuda_unavailable("no CUDA compiler (nvcc) was found")
  else()
    ember_python_prefix_hints(_ember_hints)
    set(_cublas_hints "")
    foreach(prefix IN LISTS _ember_hints)
      file(GLOB _site LIST_DIRECTORIES true "${prefix}/lib/python3*/site-packages")
      foreach(s IN LISTS _site)
        list(APPEND _cublas_hints "${s}/nvidia/cu13" "${s}/nvidia/cu12" "${s}/nvidia/cublas")
      endforeach()
    endforeach()
    get_filename_component(_cuda_bin "${CMAKE_CUDA_COMPILER}" REALPATH)
    get_filename_component(_cuda_root "${_cuda_bin}" DIRECTORY)
    get_filename_component(_cuda_root "${_cuda_root}" DIRECTORY)
    list(APPEND _cublas_hints "${_cuda_root}" "${_cuda_root}/targets/x86_64-linux")
    find_path(EMBER_CUBLAS_INCLUDE_DIR cublas_v2.h HINTS ${_cublas_hints} PATH_SUFFIXES include)
    find_library(EMBER_CUBLAS_LIBRARY NAMES cublas libcublas.so.13 libcublas.so.12
                 HINTS ${_cublas_hints} PATH_SUFFIXES lib lib64)
    if(NOT EMBER_CUBLAS_INCLUDE_DIR OR NOT EMBER_CUBLAS_LIBRARY)
      ember_cuda_unavailable("cuBLAS was not found (pip install nvidia-cublas, or a CUDA toolkit with cuBLAS)")
    else()
      set(EMBER_CUDA_ENABLED ON)
    endif()
  endif()
endif()

if(EMBER_CUDA_ENABLED)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES "80-real;90")  # 90 keeps PTX, which newer GPUs compile at load time
  endif()
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  message(STATUS "ember: CUDA backend on (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, architectures "
                 "${CMAKE_CUDA_ARCHITECTURES}, cuBLAS ${EMBER_CUBLAS_LIBRARY})")
  file(GLOB EMBER_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/cuda/*.cu)
  add_library(ember_cuda SHARED ${EMBER_CUDA_SOURCES})
  add_library(ember::ember_cuda ALIAS ember_cuda)
  target_compile_features(ember_cuda PUBLIC cxx_std_20)
  set_target_properties(ember_cuda PROPERTIES CUDA_STANDARD 20 CUDA_SEPARABLE_COMPILATION OFF
                        POSITION_INDEPENDENT_CODE ON)
  target_compile_options(ember_cuda PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr>)
  target_compile_definitions(ember_cuda PUBLIC EMBER_WITH_CUDA=1)
  target_include_directories(ember_cuda
    PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    PRIVATE ${EMBER_CUBLAS_INCLUDE_DIR})
  # The CUDA runtime links statically: a wheel then needs only libcublas (from nvidia-cublas) at run time.
  # cuBLAS is not linked: src/cuda/linalg.cu opens it on first use (from the RUNPATH below).
  target_link_libraries(ember_cuda PRIVATE CUDA::cudart_static ${CMAKE_DL_LIBS})
  # Export ember's own symbols only. nvcc's objects carry their own instances of C++ standard library
  # templates (std::ostream inserters, hash tables) and the static CUDA runtime: exported, they took
  # the place of libstdc++'s in every library loaded after this one (_core crashed inside
  # std::ostream once PyTorch was imported, on a GPU machine with g++ 13).
  set(_ember_cuda_map "${CMAKE_CURRENT_BINARY_DIR}/ember_cuda.map")
  file(WRITE "${_ember_cuda_map}"
    "{\n  global: _ZN5ember*; _ZNK5ember*; _ZTIN5ember*; _ZTSN5ember*; _ZTVN5ember*; _ZGVN5ember*; _ZZN5ember*;\n"
    "  local: *;\n};\n")
  target_link_options(ember_cuda PRIVATE "LINKER:--version-script=${_ember_cuda_map}")
  set_property(TARGET ember_cuda APPEND PROPERTY LINK_DEPENDS "${_ember_cuda_map}")
  # Find libcublas where it was found at build time (the wheel's nvidia/cu13/lib), and, installed in
  # a wheel (site-packages/ember/lib), in the nvidia-cublas wheel beside it.
  get_filename_component(_cublas_dir "${EMBER_CUBLAS_LIBRARY}" DIRECTORY)
  set_target_properties(ember_cuda PROPERTIES
    BUILD_RPATH "${_cublas_dir}"
    INSTALL_RPATH "$ORIGIN/../../nvidia/cu13/lib;$ORIGIN/../../nvidia/cublas/lib;${_cublas_dir}")
endif()
