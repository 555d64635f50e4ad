// Throughput of OASIS AR(1) deconvolution (neurodl::spikes), run by bench/run_deconvolve_bench.sh.
//
//   bench_deconvolve UNITS FRAMES [THREADS] [WHICH]      (WHICH: trace,fixed,auto; default all)
//
// Simulates UNITS × FRAMES float32 AR(1) traces (γ = 0.95, 0.5 spikes/s at 30 Hz, noise 0.1;
// time × units, row-major) and times, each the best of 3 runs:
//   trace   one 10,000-frame trace, spikes::oasis() with γ and λ = 0 given (OASIS's oasisAR1 and
//           Suite2p's oasis_trace do this much), best of 10;
//   fixed   spikes::deconvolve() on the whole matrix with τ, λ = 0, baseline, σ and the spike
//           amplitude given, no smoothing and no lead (Suite2p's setting: known τ, no sparsity), best of 3;
//   auto    spikes::deconvolve() estimating σ (PSD), γ (autocovariance), λ (noise constraint),
//           the baseline and the amplitude per unit, default smoothing (the CLI's default).
// Memory: the input and the output matrix plus O(frames) per thread.

#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "neurodl/core/progress.hpp"
#include "neurodl/core/threads.hpp"
#include "neurodl/spikes/oasis.hpp"

using namespace neurodl;

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Best wall-clock time of `runs` runs, and the process CPU time of that run (on a shared, busy
/// machine the CPU time per sample is the stable number; wall time includes waiting for cores).
struct Timing {
  double wall = 1e300, cpu = 0;
};
template <class F>
Timing best_of(int runs, F&& f) {
  Timing best;
  for (int k = 0; k < runs; ++k) {
    const double c0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (wall < best.wall) best = {wall, cpu_seconds() - c0};
  }
  return best;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_deconvolve UNITS FRAMES [THREADS] [trace,fixed,auto]\n");
    return 2;
  }
  const long N = std::atol(argv[1]), T = std::atol(argv[2]);
  set_num_threads(argc > 3 ? std::atoi(argv[3]) : 0);
  const std::string which = argc > 4 ? argv[4] : "trace,fixed,auto";
  auto wanted = [&](const char* name) { return which.find(name) != std::string::npos; };
  Progress::set_quiet(true);
  const double fs = 30, g = 0.95;
  MatrixF x(T, N);
#pragma omp parallel for
  for (long j = 0; j < N; ++j) {
    std::mt19937_64 rng(j);
    std::normal_distribution<float> noise(0, 0.1f);
    std::uniform_real_distribution<double> u(0, 1);
    double c = 0;
    for (long t = 0; t < T; ++t) {
      c = g * c + (u(rng) < 0.5 / fs ? 1.0 : 0.0);
      x(t, j) = static_cast<float>(c) + noise(rng);
    }
  }
  // One trace of 10,000 frames.
  std::vector<double> y(10000), c(10000), s(10000);
  for (long t = 0; t < 10000; ++t) y[t] = x(t % T, 0);
  const Timing none;
  const Timing t_trace =
      wanted("trace") ? best_of(10, [&] { spikes::oasis(y, g, 0.0, 0.0, 0.0, c, s); }) : none;
  spikes::OasisOptions fixed;
  fixed.sample_rate_hz = fs;
  fixed.tau_decay_s = -1.0 / (fs * std::log(g));
  fixed.lambda = 0;
  fixed.baseline = 0;
  fixed.noise_sd = 0.1;
  fixed.spike_amplitude = 1;
  fixed.smoothing_s = 0;
  fixed.lead_frames = 0;  // the sparse solution itself
  spikes::OasisOptions automatic;
  automatic.sample_rate_hz = fs;
  MatrixF sink;
  // The previous output is released first, so that the peak memory is the input plus one output.
  auto run = [&](const spikes::OasisOptions& o) {
    sink = MatrixF();
    sink = spikes::deconvolve(x, o).spikes;
  };
  const Timing t_fixed = wanted("fixed") ? best_of(3, [&] { run(fixed); }) : none;
  const Timing t_auto = wanted("auto") ? best_of(3, [&] { run(automatic); }) : none;
  const double n = static_cast<double>(N) * static_cast<double>(T);
  std::printf("threads %d, %ld units × %ld frames float32\n", num_threads(), N, T);
  if (wanted("trace"))
    std::printf("trace  10,000 frames: %.3f ms wall (%.1f M samples/s, 1 thread), %.2f ns/sample CPU\n",
                1e3 * t_trace.wall, 1e4 / t_trace.wall / 1e6, 1e9 * t_trace.cpu / 1e4);
  for (auto [name, t] : {std::pair{"fixed", t_fixed}, std::pair{"auto ", t_auto}})
    if (wanted(name[4] == ' ' ? "auto" : name)) std::printf("%s  %.3f s wall (%.1f M samples/s), %.2f ns/sample CPU (%.1f M samples/s per core)\n",
                name, t.wall, n / t.wall / 1e6, 1e9 * t.cpu / n, n / t.cpu / 1e6);
  return 0;
}
