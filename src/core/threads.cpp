#include "neurodl/core/threads.hpp"

#include <cblas.h>
#include <omp.h>

#include <string>
#include <thread>

#include "neurodl/core/error.hpp"

namespace neurodl {

void set_num_threads(int n) {
  check(n >= 0, ErrorKind::config,
        {.component = "threads", .what = "thread count must not be negative", .expected = ">= 0",
         .got = std::to_string(n)});
  if (n == 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // OpenMP loops and OpenBLAS (pthread build) keep separate pools; both get the same count, and
  // neurodl never calls BLAS inside an OpenMP parallel region, so they never oversubscribe.
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace neurodl
