// Times neurodl's ridge fit (per-target penalties by time-block CV) on data written by
// bench/ridge_vs_sklearn.py, writes its test-set predictions for the side-by-side comparison
// and reports the rate achieved in the matrix products against a bare GEMM of the same shape.
//
//   bench_ridge DIR [--threads N] [--precision float32|float64] [--folds K] [--chunk C]
//
// DIR holds x_train.npy (n × p), y_train.npy (n × q), x_test.npy and alphas.txt (one per line),
// float32. Writes DIR/pred_neurodl.npy, DIR/alphas_neurodl.npy and DIR/neurodl.json.

#include <cblas.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "neurodl/core/error.hpp"
#include "neurodl/core/threads.hpp"
#include "neurodl/io/npy.hpp"
#include "neurodl/linear/ridge.hpp"

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Best of three sgemm/dgemm calls C (m × n) = A (m × k) · B (k × n) [GFLOP/s].
double gemm_rate(int m, int n, int k, bool dbl) {
  double best = 0;
  if (dbl) {
    std::vector<double> a(size_t(m) * k, 1.0), b(size_t(k) * n, 0.5), c(size_t(m) * n);
    for (int rep = 0; rep < 3; ++rep) {
      const double t0 = now_s();
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0, a.data(), k, b.data(), n,
                  0.0, c.data(), n);
      best = std::max(best, 2.0 * m * n * k / (now_s() - t0) / 1e9);
    }
  } else {
    std::vector<float> a(size_t(m) * k, 1.0f), b(size_t(k) * n, 0.5f), c(size_t(m) * n);
    for (int rep = 0; rep < 3; ++rep) {
      const double t0 = now_s();
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a.data(), k, b.data(),
                  n, 0.0f, c.data(), n);
      best = std::max(best, 2.0 * m * n * k / (now_s() - t0) / 1e9);
    }
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace neurodl;
  if (argc < 2) {
    std::cerr << "usage: bench_ridge DIR [--threads N] [--precision float32|float64] [--folds K]"
                 " [--chunk C]\n";
    return 2;
  }
  const std::string dir = argv[1];
  int threads = 2;
  linear::RidgeOptions o;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--threads")
      threads = std::stoi(value);
    else if (flag == "--precision")
      o.precision = value;
    else if (flag == "--folds")
      o.split.folds = std::stoll(value);
    else if (flag == "--chunk")
      o.target_chunk = std::stoll(value);
    else {
      std::cerr << "bench_ridge: unknown flag " << flag << "\n";
      return 2;
    }
  }
  try {
    set_num_threads(threads);
    o.alphas.clear();
    std::ifstream af(dir + "/alphas.txt");
    for (double a; af >> a;) o.alphas.push_back(a);
    const MatrixF x = io::read_npy(dir + "/x_train.npy").values;
    const MatrixF y = io::read_npy(dir + "/y_train.npy").values;
    const MatrixF xt = io::read_npy(dir + "/x_test.npy").values;
    const double n = double(x.rows()), p = double(x.cols()), q = double(y.cols());
    const double na = double(o.alphas.size()), k = double(o.split.folds);
    const bool dbl = o.precision == "float64";

    linear::Ridge model(o);
    const double t0 = now_s();
    model.fit(x, y);
    const double fit_s = now_s() - t0;
    const MatrixF pred = model.predict(xt);
    io::write_npy(dir + "/pred_neurodl.npy", pred);
    io::write_npy(dir + "/alphas_neurodl.npy", MatrixF(model.alphas().transpose().cast<float>()));

    const auto s = model.summary();
    const bool dual = s["solver"] == "dual";
    // Flops of the products phase (ridge_detail.cpp), by how the test errors were formed
    // (summary cv_scoring). Primal: X'Y per test block (2npq), B per fold (K·2p²q), then per fold
    // - sweep: C = A'Y (2·n_te·p·q) and K·B (2p²q), whatever the number of penalties;
    // - quadratic: C = A'Y and one triangular product per penalty (P·p²·q);
    // - residuals: one test product per penalty (P·2·n_te·p·q).
    // Dual: B = U'Y per fold (K·2·n_tr²·q) and, per fold, the sweep's C and K·B
    // (2·n_te·n_tr·q + 2·n_tr²·q) or the test products (P·2·n_te·n_tr·q).
    const double ntr = n * (k - 1) / k, nte = n / k;
    const std::string scoring = s.value("cv_scoring", "residuals");
    const double kk = dual ? ntr : p;  // size of the eigenbasis
    double per_fold_tests = na * 2 * nte * kk * q;
    if (scoring == "sweep") per_fold_tests = 2 * nte * kk * q + 2 * kk * kk * q;
    if (scoring == "quadratic") per_fold_tests = 2 * nte * kk * q + na * kk * kk * q;
    const double flops = (dual ? 0.0 : 2 * n * p * q) + k * (2 * kk * kk * q + per_fold_tests);
    const double products_s = s["timing_seconds"]["products"].get<double>();
    // Reference: the dominant product's shape, (n/K × p) · (p × chunk).
    const int chunk = int(std::min<double>(q, o.target_chunk > 0 ? o.target_chunk : 2048));
    const double peak = gemm_rate(int(n / k), chunk, int(dual ? ntr : p), dbl);
    nlohmann::json out = {{"tool", "neurodl"},
                          {"threads", threads},
                          {"precision", o.precision},
                          {"n", n},
                          {"p", p},
                          {"q", q},
                          {"n_alphas", na},
                          {"folds", k},
                          {"fit_seconds", fit_s},
                          {"timing_seconds", s["timing_seconds"]},
                          {"solver", s["solver"]},
                          {"cv_scoring", scoring},
                          {"products_gflop", flops / 1e9},
                          {"products_gflops_per_s", flops / products_s / 1e9},
                          {"reference_gemm_gflops_per_s", peak},
                          {"cv_r2_mean", s["cv_r2_mean"]}};
    std::ofstream(dir + "/neurodl.json") << out.dump(2) << "\n";
    std::printf(
        "neurodl ridge: fit %.2f s (decompose %.2f, products %.2f, refit %.2f; CV scoring: %s); "
        "products %.0f GFLOP at %.1f GFLOP/s = %.0f%% of a bare GEMM (%.1f GFLOP/s)\n",
        fit_s, s["timing_seconds"]["decompose"].get<double>(), products_s,
        s["timing_seconds"]["refit"].get<double>(), scoring.c_str(), flops / 1e9, flops / products_s / 1e9,
        100 * flops / products_s / 1e9 / peak, peak);
  } catch (const Error& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  return 0;
}
