#pragma once
// One switch for the number of worker threads, so OpenMP loops (and, in later layers, BLAS and
// LibTorch) never oversubscribe the cores.

namespace neurodl {

/// Sets the worker threads for neurodl's parallel loops; 0 means one per available core.
/// Throws ConfigError for a negative count.
void set_num_threads(int n);
/// The number of worker threads parallel loops will use.
int num_threads();

}  // namespace neurodl
