// Times PCA (randomized), cvPCA and SVCA on a planted float32 recording of any size, generated in
// memory (no file I/O): activity = Z·L + noise with 64 latents of decaying variance. Peak memory
// is measured from outside: /usr/bin/time -v bench_dims METHOD UNITS FRAMES.
//
//   bench_dims pca   10000 100000   randomized PCA, 128 components (4 GB of data)
//   bench_dims cvpca 10000 100000   two repeats of 50,000 stimuli × 10,000 units, 1024 components
//   bench_dims svca  10000 100000   interleaved unit halves, 128 components, half the time tests
//
// Prints one JSON line: method, units, frames, seconds, and a few result values.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "neurodl/core/random.hpp"
#include "neurodl/core/threads.hpp"
#include "neurodl/linear/cvpca.hpp"
#include "neurodl/linear/pca.hpp"
#include "neurodl/linear/svca.hpp"

using namespace neurodl;

namespace {

// rows × n: latents·loadings plus unit-variance noise drawn per row (one stream per row, so the
// result does not depend on the thread count); two repeats pass the same latents.
MatrixF planted(Eigen::Index rows, Eigen::Index n, const MatrixF& latents, const MatrixF& loadings,
                std::uint64_t seed) {
  MatrixF x = latents * loadings;
#pragma omp parallel for schedule(static)
  for (Eigen::Index i = 0; i < rows; ++i) {
    Rng rng(seed, static_cast<std::uint64_t>(i));
    for (Eigen::Index j = 0; j < n; ++j) x(i, j) += static_cast<float>(rng.normal());
  }
  return x;
}

MatrixF gaussian(Eigen::Index rows, Eigen::Index cols, double sd, std::uint64_t seed, bool decay) {
  MatrixF m(rows, cols);
  Rng rng(seed);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j)
      m(i, j) = static_cast<float>(rng.normal() * sd / (decay ? std::sqrt(j + 1.0) : 1.0));
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: bench_dims pca|cvpca|svca UNITS FRAMES\n");
    return 2;
  }
  const std::string method = argv[1];
  const Eigen::Index n = std::atoll(argv[2]), t = std::atoll(argv[3]);
  set_num_threads(0);
  constexpr Eigen::Index kLatents = 64;
  const MatrixF loadings = gaussian(kLatents, n, 3.0 / std::sqrt(double(n)) * 10, 1, false);
  nlohmann::json out{{"method", method}, {"units", n}, {"frames", t}};
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  if (method == "cvpca") {
    const MatrixF z = gaussian(t / 2, kLatents, 3.0, 2, true);
    const MatrixF r1 = planted(t / 2, n, z, loadings, 3), r2 = planted(t / 2, n, z, loadings, 4);
    out["generate_seconds"] = seconds();
    linear::CvpcaOptions o;
    o.n_components = std::min<Eigen::Index>(1024, std::min(t / 2 - 1, n));
    const auto r = linear::cvpca(r1, r2, o);
    out["alpha"] = r.power_law.alpha;
    out["spectrum_head"] = std::vector<double>(r.spectrum.data(), r.spectrum.data() + 3);
  } else {
    const MatrixF x = planted(t, n, gaussian(t, kLatents, 3.0, 2, true), loadings, 3);
    out["generate_seconds"] = seconds();
    if (method == "pca") {
      linear::PcaOptions o;
      o.n_components = 128;
      o.solver = "randomized";
      const auto r = linear::pca(x, o);
      out["ratio_head"] = std::vector<double>(r.explained_variance_ratio.data(), r.explained_variance_ratio.data() + 3);
    } else if (method == "svca") {
      std::vector<std::int64_t> a, b;
      for (Eigen::Index i = 0; i < n; ++i) (i % 2 ? b : a).push_back(i);
      linear::SvcaOptions o;
      o.n_components = 128;
      const auto r = linear::svca(x, a, b, o);
      out["n_reliable"] = r.n_reliable;
    } else {
      std::fprintf(stderr, "unknown method %s\n", method.c_str());
      return 2;
    }
  }
  out["seconds"] = seconds() - out["generate_seconds"].get<double>();
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
