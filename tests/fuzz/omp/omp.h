#pragma once
// The part of OpenMP's API that ember's headers call, for the clang-built fuzz harnesses only.
// oneDNN (the onednn-cpu-gomp wheel) and ember run on GNU OpenMP. clang's -fopenmp wants LLVM's
// libomp, which is not installed, and clang cannot parse GCC's own omp.h (GCC-only attributes). The
// harnesses build without -fopenmp (ember's `#pragma omp` loops run serially, which parsing does not
// mind) and link libgomp for these functions, the same runtime oneDNN loads.
extern "C" {
int omp_get_max_threads(void);
int omp_get_num_threads(void);
int omp_get_thread_num(void);
void omp_set_num_threads(int);
}
