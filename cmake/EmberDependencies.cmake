# Finds ember's dependencies and picks install locations.
#   oneDNN  - the PyPI wheel onednn-devel-cpu-gomp (headers + CMake config under <prefix>/lib/cmake/dnnl)
#   Eigen3, xtensor - Debian's libeigen3-dev and libxtensor-dev
#   RapidJSON - Debian's rapidjson-dev (the safetensors header of checkpoints, the deploy graph)
#   OpenMP  - the GNU OpenMP that this oneDNN build threads with
#   ZLIB    - Debian's zlib1g-dev (gzip-compressed IDX datasets, ember/data/idx.hpp)

# The oneDNN wheel installs into the Python environment's prefix, which CMake does not search when
# the environment is not activated (or is pip's isolated build environment): ask Python where it is.
function(ember_python_prefix_hints out)
  find_package(Python COMPONENTS Interpreter QUIET)
  set(hints "")
  if(Python_EXECUTABLE)
    execute_process(
      COMMAND ${Python_EXECUTABLE} -c
        "import sys, pathlib; print(';'.join(sorted({str(pathlib.Path(p).parents[2]) for p in sys.path if p.endswith('site-packages')} | {sys.prefix})))"
      OUTPUT_VARIABLE hints OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  endif()
  set(${out} ${hints} PARENT_SCOPE)
endfunction()

find_package(dnnl 3.2 CONFIG QUIET)
if(NOT dnnl_FOUND)
  ember_python_prefix_hints(_ember_hints)
  find_package(dnnl 3.2 CONFIG REQUIRED HINTS ${_ember_hints} PATH_SUFFIXES lib/cmake/dnnl)
endif()
find_package(Eigen3 3.3 REQUIRED NO_MODULE)
find_package(xtensor REQUIRED)
find_package(RapidJSON 1.1 CONFIG REQUIRED)
# RapidJSON 1.1's config sets RAPIDJSON_INCLUDE_DIRS but makes no target (emberConfig.cmake does the same).
if(NOT TARGET RapidJSON::RapidJSON)
  add_library(RapidJSON::RapidJSON INTERFACE IMPORTED)
  set_target_properties(RapidJSON::RapidJSON PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${RAPIDJSON_INCLUDE_DIRS}")
endif()
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(ZLIB REQUIRED)
if(NOT EXISTS /usr/include/dlpack/dlpack.h)
  find_path(DLPACK_INCLUDE_DIR dlpack/dlpack.h REQUIRED)
endif()

if(SKBUILD)
  # Inside the wheel: site-packages/ember/include and site-packages/ember/share/cmake/ember,
  # which ember.get_include() and ember.get_cmake_dir() return.
  set(EMBER_INSTALL_INCLUDEDIR ember/include)
  set(EMBER_INSTALL_CMAKEDIR ember/share/cmake/ember)
  set(EMBER_INSTALL_LIBDIR ember/lib)
else()
  include(GNUInstallDirs)
  set(EMBER_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR})
  set(EMBER_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/ember)
  set(EMBER_INSTALL_LIBDIR ${CMAKE_INSTALL_LIBDIR})
endif()
