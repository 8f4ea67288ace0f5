/* A bare MPI_Allreduce (in place, float32, SUM) of 1, 16 and 64 MB: the reference that ember.distributed's
   all_reduce is measured against (bench/python/bench_distributed.py calls the same function through
   ctypes). Prints one line per size: MB, median ms, GB/s.
   mpicc -O2 allreduce_bare.c -o /tmp/allreduce_bare && mpirun -n 2 /tmp/allreduce_bare */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int sizes_mb[] = {1, 16, 64};
  const int iters = argc > 1 ? atoi(argv[1]) : 20;
  for (int s = 0; s < 3; ++s) {
    const int n = sizes_mb[s] * (1 << 20) / 4;
    float* x = malloc((size_t)n * 4);
    for (int i = 0; i < n; ++i) x[i] = 1.0f;
    double* t = malloc(sizeof(double) * iters);
    for (int i = 0; i < 3; ++i) MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    for (int i = 0; i < iters; ++i) {
      MPI_Barrier(MPI_COMM_WORLD);
      double t0 = MPI_Wtime();
      MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      t[i] = MPI_Wtime() - t0;
    }
    qsort(t, iters, sizeof(double), cmp);
    if (rank == 0) printf("bare  %3d MB  %8.3f ms  %6.2f GB/s\n", sizes_mb[s], t[iters / 2] * 1e3, sizes_mb[s] / 1024.0 / t[iters / 2]);
    free(x);
    free(t);
  }
  MPI_Finalize();
  return 0;
}
