# The commands people type. `make demo` and `make test` both start with the same idempotent set-up.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
JOBS ?= 2
BUILD := build/cpp
# SANITIZE=1 (the default) makes test-cpp-cpuonly, and with it `make test`, build the C++ suite with
# AddressSanitizer + UndefinedBehaviorSanitizer (-DEMBER_SANITIZE=ON) and run it with the options and
# suppressions in tests/sanitize/; SANITIZE=0 builds and runs that CPU-only suite plain (Release). The two
# share build/cpp-cpuonly, so switching rebuilds it.
SANITIZE ?= 1
CPUONLY_BUILD := build/cpp-cpuonly
# The sanitizers' run-time options, read from tests/sanitize/*.options (one per line, '#' comments).
san_options = $(shell sed -e '/^[[:space:]]*\#/d' -e '/^[[:space:]]*$$/d' tests/sanitize/$(1).options | paste -sd:)
SAN_ENV := ASAN_OPTIONS=$(call san_options,asan) \
           UBSAN_OPTIONS=$(call san_options,ubsan) \
           LSAN_OPTIONS=$(call san_options,lsan):suppressions=$(abspath tests/sanitize/lsan.supp)
# Debian packages ember builds against (header-only C++ libraries, test and benchmark frameworks;
# nlohmann-json3-dev only for the C++ tests and benchmarks, which write their JSON fixtures with it; clang and
# its runtime libraries for the libFuzzer harnesses; zlib for gzip-compressed IDX files and Debian's
# Fashion-MNIST files themselves; OpenMPI for ember.distributed, which builds only where MPI is found;
# doxygen for the C++ pages of `make docs`).
APT_PACKAGES := g++ make libeigen3-dev libxtensor-dev libdlpack-dev rapidjson-dev libgtest-dev libbenchmark-dev \
                nlohmann-json3-dev clang libclang-rt-14-dev zlib1g-dev dataset-fashion-mnist openmpi-bin libopenmpi-dev \
                libboost-dev wrk doxygen
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SOURCES := pyproject.toml CMakeLists.txt $(wildcard cmake/*) $(shell find include python -type f \
             \( -name '*.hpp' -o -name '*.cpp' -o -name '*.py' -o -name '*.pyi' -o -name CMakeLists.txt \) 2>/dev/null)

.PHONY: setup demo test test-cpp test-cpp-cpuonly test-python bench docs stubs clean
.DEFAULT_GOAL := demo

setup: $(VENV)/.installed

$(VENV)/.installed: $(SOURCES)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "apt-get install:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi
	@python3 -m venv --help >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "scikit-build-core>=0.10" "pybind11>=3.1,<3.2" cmake ninja "onednn-devel-cpu-gomp==2023.2.0"
	@# With nvcc present, the CUDA backend builds (EMBER_WITH_CUDA=AUTO): cuBLAS comes from the wheel
	@# matching nvcc's major version.
	@nvcc=$$(command -v nvcc || { [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc; }); \
	if [ -n "$$nvcc" ]; then major=$$($$nvcc --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p'); \
	  if [ "$$major" -ge 13 ]; then pkg="nvidia-cublas>=$$major,<$$((major + 1))"; else pkg="nvidia-cublas-cu$$major"; fi; \
	  echo "nvcc $$major found: pip install $$pkg"; $(PY) -m pip install -q "$$pkg"; fi
	CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) $(PY) -m pip install -q --no-build-isolation -e ".[test]"
	@touch $@

# The main job: train the demo CNN on Fashion-MNIST in Python (progress, accuracy, checkpoint reload, loss
# plot, export to build/demo/fashion.ember), train the same CNN on the same IDX files from C++
# (examples/train_fashion, fewer epochs), then run the exported model from C++ on the IDX test set
# (examples/deploy --mnist) and check that it classifies exactly as many test images correctly as Python.
# The C++ projects build against the installed package. `examples/demo.py --dataset digits` is the fast path.
FASHION_MNIST ?= default
CPP_EPOCHS ?= 2
demo: setup
	$(PY) examples/demo.py --dataset fashion --out build/demo $(if $(filter default,$(FASHION_MNIST)),,--root $(FASHION_MNIST))
	@for ex in train_fashion deploy; do \
	  $(VENV)/bin/cmake -S examples/$$ex -B build/$$ex -G Ninja -DCMAKE_BUILD_TYPE=Release \
	    -Dember_DIR="$$($(PY) -c 'import ember; print(ember.get_cmake_dir())')" >/dev/null && \
	  $(VENV)/bin/cmake --build build/$$ex -j $(JOBS) >/dev/null || exit 1; done
	set -o pipefail; build/train_fashion/train_fashion build/demo/fashion_cpp.safetensors --epochs $(CPP_EPOCHS) \
	  $(if $(filter default,$(FASHION_MNIST)),,--root $(FASHION_MNIST)) | tee build/demo/train_cpp.txt
	set -o pipefail; build/deploy/deploy build/demo/fashion.ember --mnist $(FASHION_MNIST) | tee build/demo/deploy.txt
	set -o pipefail; build/deploy/deploy build/demo/fashion.int8.ember --mnist $(FASHION_MNIST) | tee build/demo/deploy_int8.txt
	@echo "Python test accuracy:      $$(cat build/demo/python_accuracy.txt) ($$(cat build/demo/python_correct.txt) of 10000 correct)"
	@echo "C++ twin test accuracy:    $$(sed -n 's/^C++ test accuracy: \([0-9.]*%\).*/\1/p' build/demo/train_cpp.txt) ($(CPP_EPOCHS) epochs)"
	@echo "C++ deployed accuracy:     $$(sed -n 's/^C++ deploy accuracy: \([0-9.]*%\).*/\1/p' build/demo/deploy.txt) ($$(sed -n 's/^correct: \([0-9]*\) of.*/\1/p' build/demo/deploy.txt) of 10000 correct)"
	@test "$$(sed -n 's/^correct: \([0-9]*\) of.*/\1/p' build/demo/deploy.txt)" = "$$(cat build/demo/python_correct.txt)" || \
	  { echo "the deployed model's count of correct predictions differs from Python's"; exit 1; }
	@echo "C++ int8 deployed accuracy: $$(sed -n 's/^C++ deploy accuracy: \([0-9.]*%\).*/\1/p' build/demo/deploy_int8.txt) ($$(sed -n 's/^correct: \([0-9]*\) of.*/\1/p' build/demo/deploy_int8.txt) of 10000 correct; Python int8: $$(cat build/demo/python_int8_correct.txt))"
	@test "$$(sed -n 's/^correct: \([0-9]*\) of.*/\1/p' build/demo/deploy_int8.txt)" = "$$(cat build/demo/python_int8_correct.txt)" || \
	  { echo "the deployed int8 model's count of correct predictions differs from Python's"; exit 1; }

# The whole suite: GoogleTest through ctest, the same suite CPU-only under the sanitizers, a short run of
# each libFuzzer harness, then pytest (which also builds the C++ consumer against the installed package,
# executes the notebooks and runs the property fuzzers with a few fixed examples); the docs site is built
# too, so that a docstring or page that breaks it fails the suite.
test: setup docs test-cpp test-cpp-cpuonly test-fuzz test-python

test-cpp: setup
	$(VENV)/bin/cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_BUILD_TESTS=ON \
	  -DPython_EXECUTABLE=$(abspath $(PY)) >/dev/null
	$(VENV)/bin/cmake --build $(BUILD) -j $(JOBS)
	$(VENV)/bin/ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The C++ suite built CPU-only (-DEMBER_WITH_CUDA=OFF, what every machine without nvcc builds), in its own
# build folder, so that machines with nvcc test that configuration too; with SANITIZE=1 (the default) under
# ASan + UBSan, at -O1 -g1 and with assertions on (no NDEBUG: Eigen checks its indices and sizes).
# The environment also reaches the build, whose test discovery runs the sanitized executables.
test-cpp-cpuonly: setup
	$(VENV)/bin/cmake -S . -B $(CPUONLY_BUILD) -G Ninja -DEMBER_WITH_CUDA=OFF -DEMBER_BUILD_TESTS=ON \
	  $(if $(filter 0,$(SANITIZE)),-DEMBER_SANITIZE=OFF -DCMAKE_BUILD_TYPE=Release,-DEMBER_SANITIZE=ON \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1") \
	  -DPython_EXECUTABLE=$(abspath $(PY)) >/dev/null
	$(SAN_ENV) $(VENV)/bin/cmake --build $(CPUONLY_BUILD) -j $(JOBS)
	$(SAN_ENV) $(VENV)/bin/ctest --test-dir $(CPUONLY_BUILD) --output-on-failure -j $(JOBS)

test-python: setup
	EMBER_REQUIRE_INSTALL=1 $(PY) -m pytest tests/python -q

# Side-by-side benchmarks: every Python suite through one runner (one table of ember beside PyTorch, NumPy,
# JAX and onnxruntime; build/bench/results.json and ratios.png; a full run also rewrites README.md's table),
# then the C++ Google Benchmark suite. QUICK=1: the short version.
bench: setup
	@# the `bench` extra's packages (JAX, onnxruntime, ...) without reinstalling ember itself
	$(PY) -c 'import subprocess, sys, tomllib; extra = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["bench"]; subprocess.run([sys.executable, "-m", "pip", "install", "-q", *extra], check=True)'
	$(PY) bench/python/bench_all.py $(if $(QUICK),--quick,--update-readme) --out build/bench
	@# ember_bench is CPU code: no CUDA library to build for it
	$(VENV)/bin/cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_BUILD_BENCH=ON \
	  -DEMBER_WITH_CUDA=OFF -DPython_EXECUTABLE=$(abspath $(PY)) >/dev/null
	$(VENV)/bin/cmake --build build/bench -j $(JOBS) --target ember_bench
	build/bench/bench/cpp/ember_bench $(if $(QUICK),--benchmark_min_time=0.05)

# The API reference site in build/docs/html (docs/conf.py): Sphinx reads the installed package's docstrings,
# the pages under docs/ (README sections and the notebooks, not executed, through MyST) and Doxygen's XML of
# the public headers (docs/Doxyfile, through Breathe). Any Sphinx warning fails it; -E rereads every page
# so that a warning is never hidden by an up-to-date page.
docs: setup
	@# the `docs` extra's packages (Sphinx, MyST-NB, Breathe, Furo) without reinstalling ember itself
	$(PY) -c 'import subprocess, sys, tomllib; extra = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["docs"]; subprocess.run([sys.executable, "-m", "pip", "install", "-q", *extra], check=True)'
	$(PY) -m sphinx -b html -E -W --keep-going -q docs build/docs/html
	@echo "docs: file://$(abspath build/docs/html)/index.html"

# libFuzzer harnesses of every parser of outside input (tests/fuzz/, built with clang++ and ASan + UBSan by
# tools/fuzz.sh in build/fuzz): FUZZ_S seconds each, FUZZ_S=600 for a longer hunt. A crash leaves its
# reproducer in tests/fuzz/crashes/<name>/ (commit it: the C++ suite replays that folder) and fails.
# Then the property fuzzers (ops against PyTorch, mutated checkpoint and deploy files) with FUZZ_EXAMPLES
# random examples per property; `make test` runs them with a few fixed ones.
# test-fuzz: the short run for CI, each harness 20 s from a fixed seed (the same inputs every run).
.PHONY: fuzz test-fuzz
FUZZ_S ?= 60
FUZZ_EXAMPLES ?= 2000
fuzz: setup
	PY=$(abspath $(PY)) JOBS=$(JOBS) FUZZ_S=$(FUZZ_S) tools/fuzz.sh
	EMBER_FUZZ_PROFILE=fuzz EMBER_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider \
	  tests/python/test_fuzz_ops.py tests/python/test_fuzz_files.py

test-fuzz: setup
	PY=$(abspath $(PY)) JOBS=$(JOBS) FUZZ_S=20 FUZZ_SEED=1 tools/fuzz.sh

clean:
	rm -rf build $(VENV) python/ember/_core*.so

# Regenerates the shipped type stub python/ember/_core.pyi from the built module.
stubs: setup
	PY=$(PY) tools/gen_stubs.sh

# Release artifacts: dist/ember-<version>.tar.gz and a CPU-only binary wheel, repaired by auditwheel to a
# manylinux tag (tools/build_wheel.sh says which libraries it carries and which it links from outside).
# Built without isolation, from the pinned build requirements in $(VENV), in build/wheel-<tag>; `make setup`
# first only where $(VENV) was never set up (its editable install is not needed here).
# wheel-test installs that wheel into a fresh venv without a compiler on PATH, trains a few steps, then
# builds the C++ consumer against it; SDIST=1 also builds a wheel from the sdist with build isolation (a
# second full compile) and tests that one.
.PHONY: wheel wheel-test
wheel: $(if $(wildcard $(VENV)/.installed),,setup)
	rm -f dist/ember-*
	PY=$(abspath $(PY)) JOBS=$(JOBS) tools/build_wheel.sh

wheel-test: wheel
	JOBS=$(JOBS) tools/wheel_test.sh
	$(if $(filter 1,$(SDIST)),JOBS=$(JOBS) tools/wheel_test.sh --sdist)
