#include "neurodl/spikes/calibrate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "neurodl/core/error.hpp"
#include "neurodl/core/progress.hpp"
#include "neurodl/eval/metrics.hpp"
#include "neurodl/eval/spikefinder.hpp"
#include "neurodl/spikes/resample.hpp"

namespace neurodl::spikes {
namespace {

constexpr const char* kComponent = "spikes.calibrate";
constexpr const char* kFormat = "neurodl-spike-calibration";
constexpr int kVersion = 1;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

[[noreturn]] void config_error(const std::string& what, const std::string& expected, const std::string& got,
                               const std::string& field = {}) {
  raise(ErrorKind::config, {.component = kComponent, .what = what, .expected = expected, .got = got, .field = field});
}

/// The Spikefinder r of one trace, as score-spikes computes it (eval::spikefinder_score); NaN
/// when the trace has fewer than 2 complete 40 ms bins.
double trace_score(const std::vector<double>& pred, const std::vector<double>& truth, double fs) {
  const auto n = static_cast<Eigen::Index>(std::min(pred.size(), truth.size()));
  if (std::floor(static_cast<double>(n) * eval::kSpikefinderBinRateHz / fs + 1e-9) < 2) return kNaN;
  MatrixF p(n, 1), t(n, 1);
  for (Eigen::Index i = 0; i < n; ++i) {
    p(i, 0) = static_cast<float>(pred[static_cast<std::size_t>(i)]);
    t(i, 0) = static_cast<float>(truth[static_cast<std::size_t>(i)]);
  }
  return eval::spikefinder_score(t, p, fs).correlation[0];
}

/// The mean of the values that are not NaN (eval::nan_mean).
double finite_mean(const std::vector<double>& v) {
  return eval::nan_mean(Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size())));
}

/// Number of taps on each side of lag 0.
std::int64_t half_taps(const CalibrationOptions& o) {
  return static_cast<std::int64_t>(std::llround(o.filter_half_width_s / o.filter_step_s));
}

/// Fine-grid length that covers n frames at fs.
std::int64_t fine_length(std::int64_t n, double fs, double step_s) { return resampled_length(n, fs, 1.0 / step_s); }

/// OASIS options of one candidate.
OasisOptions candidate_options(const OasisOptions& base, const CandidateScore& c, const CalibrationOptions& o) {
  OasisOptions r = base;
  r.ar_order = c.ar_order;
  r.tau_decay_s = c.tau_decay_s > 0 ? c.tau_decay_s : kNaN;
  r.tau_rise_s = c.ar_order == 2 && c.tau_decay_s > 0 ? o.rise_per_decay * c.tau_decay_s : kNaN;
  r.smoothing_s = 0;  // the filter smooths and shifts
  r.lead_frames = 0;
  return r;
}

/// What the cross-validation needs of one trace under one candidate: with X the bins × (p+1)
/// design (p lag features, then the offset feature) and y the binned truth, G = XᵀX, c = Xᵀy,
/// s = Xᵀ1, and the sums of y and y² over the nb bins.
struct TraceStats {
  Eigen::MatrixXd G;
  Eigen::VectorXd c, s;
  double sy = 0, syy = 0, nb = 0;
};

/// Pearson r of X·w against y from a trace's statistics.
double stats_score(const TraceStats& t, const Eigen::VectorXd& w) {
  if (t.nb < 2) return kNaN;
  const double mp = w.dot(t.s) / t.nb, my = t.sy / t.nb;
  const double vp = w.dot(t.G * w) / t.nb - mp * mp, vy = t.syy / t.nb - my * my;
  const double cov = w.dot(t.c) / t.nb - mp * my;
  return vp > 1e-300 && vy > 1e-300 ? cov / std::sqrt(vp * vy) : kNaN;
}

/// The lag design of one trace: column j (0…2J) is the output of the filter with only tap
/// j − J set to 1, column 2J+1 that of the offset b = 1 spike/s, both summed into 40 ms bins
/// exactly as OutputFilter::apply and the Spikefinder metric do.
Eigen::MatrixXd lag_design(const std::vector<double>& spikes, double fs, const CalibrationOptions& o) {
  const auto n = static_cast<std::int64_t>(spikes.size());
  const double fg = 1.0 / o.filter_step_s;
  const std::int64_t ng = fine_length(n, fs, o.filter_step_s), J = half_taps(o);
  const std::vector<double> u = rebin_counts(spikes, fs, fg, ng);
  Eigen::MatrixXd X;  // sized by the first column's bins
  std::vector<double> shifted(static_cast<std::size_t>(ng));
  for (std::int64_t j = -J; j <= J + 1; ++j) {
    if (j <= J) {
      // u moved j fine steps later (zero where it has no value).
      for (std::int64_t m = 0; m < ng; ++m) {
        const std::int64_t src = m - j;
        shifted[static_cast<std::size_t>(m)] = src >= 0 && src < ng ? u[static_cast<std::size_t>(src)] : 0.0;
      }
    } else {
      std::fill(shifted.begin(), shifted.end(), o.filter_step_s);  // 1 spike/s for one step
    }
    const std::vector<double> frames = rebin_counts(shifted, fg, fs, n);
    const std::vector<double> bins = eval::bin_by_overlap(frames.data(), n, fs);
    if (X.size() == 0) X.resize(static_cast<Eigen::Index>(bins.size()), 2 * J + 2);
    X.col(j + J) = Eigen::Map<const Eigen::VectorXd>(bins.data(), static_cast<Eigen::Index>(bins.size()));
  }
  return X;
}

/// Ridge solution on summed statistics (G, c); the offset (last coordinate) is not penalised.
Eigen::VectorXd solve_ridge(Eigen::MatrixXd G, const Eigen::VectorXd& c, double ridge) {
  const Eigen::Index p = G.rows() - 1;
  const double scale = G.topLeftCorner(p, p).trace() / static_cast<double>(p);
  const double add = ridge * scale + 1e-12 * std::max(scale, 1e-300);
  for (Eigen::Index i = 0; i < p; ++i) G(i, i) += add;
  G(p, p) += 1e-12 * std::max(G(p, p), 1e-300);
  return G.ldlt().solve(c);
}

void check_options(const CalibrationOptions& o) {
  if (o.ar_orders.empty()) config_error("no AR order to try", "1 and/or 2", "none", "ar_orders");
  for (auto k : o.ar_orders)
    if (k != 1 && k != 2) config_error("AR order out of range", "1 or 2", std::to_string(k), "ar_orders");
  if (o.tau_decay_grid_s.empty()) config_error("no decay time constant to try", "values ≥ 0 (0: estimated)", "none",
                                               "tau_decay_grid_s");
  for (double t : o.tau_decay_grid_s)
    if (!(t >= 0) || !std::isfinite(t))
      config_error("decay time constant out of range", "≥ 0 s (0: estimated)", num(t),
                   "tau_decay_grid_s");
  if (!(o.rise_per_decay > 0 && o.rise_per_decay < 1))
    config_error("rise per decay out of range", "in (0, 1)", num(o.rise_per_decay), "rise_per_decay");
  if (!(o.filter_step_s > 0) || !std::isfinite(o.filter_step_s))
    config_error("filter step must be positive", "> 0 s", num(o.filter_step_s), "filter_step_s");
  if (!(o.filter_half_width_s >= 0) || !std::isfinite(o.filter_half_width_s) || half_taps(o) > 1000)
    config_error("filter half-width out of range", "0 … 1000 steps", num(o.filter_half_width_s),
                 "filter_half_width_s");
  if (!(o.ridge >= 0) || !std::isfinite(o.ridge))
    config_error("ridge must be ≥ 0", "≥ 0", num(o.ridge), "ridge");
}

void check_trace(const CalibrationTrace& t) {
  const std::string who = t.label.empty() ? t.cell : t.label;
  check(t.dff.size() == t.spike_counts.size(), ErrorKind::shape,
        {.component = kComponent, .what = "ΔF/F and spike counts differ in length",
         .expected = std::to_string(t.dff.size()), .got = std::to_string(t.spike_counts.size()), .field = who});
  check(t.dff.size() >= 16, ErrorKind::shape,
        {.component = kComponent, .what = "trace too short", .expected = ">= 16 frames",
         .got = std::to_string(t.dff.size()), .field = who});
  check(t.sample_rate_hz > 0 && std::isfinite(t.sample_rate_hz), ErrorKind::config,
        {.component = kComponent, .what = "sample rate must be positive and finite", .expected = "> 0",
         .got = num(t.sample_rate_hz), .unit = "Hz", .field = who});
  for (std::size_t i = 0; i < t.dff.size(); ++i) {
    check(std::isfinite(t.dff[i]), ErrorKind::config,
          {.component = kComponent, .what = "ΔF/F holds NaN or Inf", .expected = "finite values",
           .got = "frame " + std::to_string(i), .field = who});
    check(std::isfinite(t.spike_counts[i]) && t.spike_counts[i] >= 0, ErrorKind::config,
          {.component = kComponent, .what = "spike counts must be finite and ≥ 0", .expected = "counts ≥ 0",
           .got = num(t.spike_counts[i]) + " at frame " + std::to_string(i), .field = who});
  }
}

/// Deconvolves every trace with `o` (its rate set per trace), in parallel; `each(i, spikes)` runs
/// on the worker thread that made trace i's output.
template <class Each>
void deconvolve_all(const std::vector<CalibrationTrace>& traces, const OasisOptions& o, Each each) {
  std::exception_ptr error;
  const auto n = static_cast<std::int64_t>(traces.size());
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t i = 0; i < n; ++i) {
    try {
      const auto& t = traces[static_cast<std::size_t>(i)];
      OasisOptions oi = o;
      oi.sample_rate_hz = t.sample_rate_hz;
      std::vector<double> s(t.dff.size());
      deconvolve_trace(t.dff, oi, s);
      each(i, s);
    } catch (...) {
#pragma omp critical(neurodl_calibrate_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace

std::vector<OptionSpec> option_specs(CalibrationOptions& o) {
  return {
      {.name = "ar_orders", .help = "AR orders of OASIS to try (1: decay only, 2: rise and decay)",
       .target = &o.ar_orders, .min = 1, .max = 2},
      {.name = "tau_decay_grid_s", .help = "decay time constants to try (0: estimated per trace)", .unit = "s",
       .target = &o.tau_decay_grid_s, .min = 0, .max = 1e3},
      {.name = "rise_per_decay", .help = "AR(2) with a fixed decay: rise time constant as a fraction of it",
       .target = &o.rise_per_decay, .min = 1e-6, .max = 0.999},
      {.name = "filter_half_width_s", .help = "the output filter spans ± this around each spike", .unit = "s",
       .target = &o.filter_half_width_s, .min = 0, .max = 100},
      {.name = "filter_step_s", .help = "time step of the output filter's taps", .unit = "s",
       .target = &o.filter_step_s, .min = 1e-4, .max = 10},
      {.name = "ridge", .help = "ridge on the filter taps, relative to the mean diagonal of their Gram matrix",
       .target = &o.ridge, .min = 0, .max = 1e6},
  };
}

void OutputFilter::apply(std::span<double> spikes, double sample_rate_hz) const {
  check(sample_rate_hz > 0 && std::isfinite(sample_rate_hz), ErrorKind::config,
        {.component = kComponent, .what = "sample rate must be positive and finite", .expected = "> 0",
         .got = num(sample_rate_hz), .unit = "Hz"});
  check(taps.size() % 2 == 1 && step_s > 0 && std::isfinite(step_s), ErrorKind::config,
        {.component = kComponent, .what = "bad output filter", .expected = "an odd number of taps, step > 0",
         .got = std::to_string(taps.size()) + " taps, step " + num(step_s) + " s"});
  const auto n = static_cast<std::int64_t>(spikes.size());
  if (n == 0) return;
  const double fg = 1.0 / step_s;
  const std::int64_t ng = fine_length(n, sample_rate_hz, step_s);
  const auto J = static_cast<std::int64_t>(taps.size() / 2);
  const std::vector<double> u = rebin_counts(spikes, sample_rate_hz, fg, ng);
  std::vector<double> v(static_cast<std::size_t>(ng), offset_hz * step_s);
  // v_m = Σ_j h_j u_{m−j}: each input step spread over the taps (O(J·T_Δ)).
  for (std::int64_t m = 0; m < ng; ++m) {
    const double x = u[static_cast<std::size_t>(m)];
    if (x == 0) continue;
    const std::int64_t lo = std::max<std::int64_t>(-J, -m), hi = std::min<std::int64_t>(J, ng - 1 - m);
    for (std::int64_t j = lo; j <= hi; ++j)
      v[static_cast<std::size_t>(m + j)] += taps[static_cast<std::size_t>(j + J)] * x;
  }
  const std::vector<double> out = rebin_counts(v, fg, sample_rate_hz, n);
  for (std::int64_t t = 0; t < n; ++t) spikes[static_cast<std::size_t>(t)] = std::max(0.0, out[static_cast<std::size_t>(t)]);
}

CalibrationResult calibrate_oasis(const std::vector<CalibrationTrace>& traces, const OasisOptions& base,
                                  const CalibrationOptions& options) {
  check_options(options);
  for (const auto& t : traces) check_trace(t);
  // Cells by name, in order of first appearance.
  std::map<std::string, int> cell_index;
  std::vector<int> cell_of;
  for (const auto& t : traces) {
    const auto [it, added] = cell_index.try_emplace(t.cell, static_cast<int>(cell_index.size()));
    cell_of.push_back(it->second);
  }
  const int n_cells = static_cast<int>(cell_index.size());
  check(n_cells >= 2, ErrorKind::config,
        {.component = kComponent, .what = "calibration needs ground truth of at least 2 cells (one is held out)",
         .expected = ">= 2 cells", .got = std::to_string(n_cells)});

  CalibrationResult res;
  res.n_cells = n_cells;
  for (auto k : options.ar_orders)
    for (double tau : options.tau_decay_grid_s) res.candidates.push_back({.ar_order = k, .tau_decay_s = tau});
  const auto n_traces = static_cast<std::int64_t>(traces.size());
  const std::size_t n_cand = res.candidates.size();
  const Eigen::Index p1 = 2 * half_taps(options) + 2;

  // Per candidate and trace: the statistics of its lag design.
  std::vector<std::vector<TraceStats>> stats(n_cand, std::vector<TraceStats>(traces.size()));
  Progress progress("calibrate", static_cast<std::int64_t>(n_cand + 2) * n_traces);
  for (std::size_t ci = 0; ci < n_cand; ++ci) {
    deconvolve_all(traces, candidate_options(base, res.candidates[ci], options),
                   [&](std::int64_t i, const std::vector<double>& s) {
                     const auto& t = traces[static_cast<std::size_t>(i)];
                     const Eigen::MatrixXd X = lag_design(s, t.sample_rate_hz, options);
                     const auto yb = eval::bin_by_overlap(t.spike_counts.data(),
                                                          static_cast<std::int64_t>(t.spike_counts.size()),
                                                          t.sample_rate_hz);
                     const Eigen::Map<const Eigen::VectorXd> y(yb.data(), static_cast<Eigen::Index>(yb.size()));
                     TraceStats& st = stats[ci][static_cast<std::size_t>(i)];
                     st.G = Eigen::MatrixXd::Zero(p1, p1);
                     st.G.selfadjointView<Eigen::Lower>().rankUpdate(X.transpose());
                     st.G = st.G.selfadjointView<Eigen::Lower>();
                     st.c = X.transpose() * y;
                     st.s = X.colwise().sum().transpose();
                     st.sy = y.sum(), st.syy = y.squaredNorm(), st.nb = static_cast<double>(y.size());
                     progress.advance();
                   });
  }

  // Sums per cell, per candidate.
  std::vector<std::vector<Eigen::MatrixXd>> cell_G(n_cand, std::vector<Eigen::MatrixXd>(n_cells, Eigen::MatrixXd::Zero(p1, p1)));
  std::vector<std::vector<Eigen::VectorXd>> cell_c(n_cand, std::vector<Eigen::VectorXd>(n_cells, Eigen::VectorXd::Zero(p1)));
  std::vector<Eigen::MatrixXd> all_G(n_cand, Eigen::MatrixXd::Zero(p1, p1));
  std::vector<Eigen::VectorXd> all_c(n_cand, Eigen::VectorXd::Zero(p1));
  for (std::size_t ci = 0; ci < n_cand; ++ci)
    for (std::size_t i = 0; i < traces.size(); ++i) {
      cell_G[ci][cell_of[i]] += stats[ci][i].G, cell_c[ci][cell_of[i]] += stats[ci][i].c;
      all_G[ci] += stats[ci][i].G, all_c[ci] += stats[ci][i].c;
    }
  std::vector<std::vector<int>> traces_of(n_cells);
  for (std::size_t i = 0; i < traces.size(); ++i) traces_of[cell_of[i]].push_back(static_cast<int>(i));

  // Leave one cell out: loo[ci][i] is trace i's r with the filter fitted without its cell.
  std::vector<std::vector<double>> loo(n_cand, std::vector<double>(traces.size(), kNaN));
  for (std::size_t ci = 0; ci < n_cand; ++ci) {
    for (int c = 0; c < n_cells; ++c) {
      const Eigen::VectorXd w = solve_ridge(all_G[ci] - cell_G[ci][c], all_c[ci] - cell_c[ci][c], options.ridge);
      for (int i : traces_of[c]) loo[ci][i] = stats_score(stats[ci][i], w);
    }
    res.candidates[ci].cv_correlation = finite_mean(loo[ci]);
  }
  // The best candidate (the first of equals); NaN scores lose.
  std::size_t best = 0;
  for (std::size_t ci = 1; ci < n_cand; ++ci)
    if (res.candidates[ci].cv_correlation > res.candidates[best].cv_correlation || std::isnan(res.candidates[best].cv_correlation))
      best = ci;
  res.chosen = best;
  res.cv_correlation = loo[best];
  res.mean_cv = res.candidates[best].cv_correlation;

  // Nested: without cell c, each candidate is scored by leave-one-cell-out over the others; the
  // winner's filter fitted without c predicts c. Needs 3 cells (2 to cross-validate on).
  res.nested_correlation.assign(traces.size(), kNaN);
  if (n_cells >= 3) {
    for (int c = 0; c < n_cells; ++c) {
      std::size_t win = 0;
      double win_score = kNaN;
      for (std::size_t ci = 0; ci < n_cand; ++ci) {
        std::vector<double> inner;
        for (int d = 0; d < n_cells; ++d) {
          if (d == c) continue;
          const Eigen::VectorXd w = solve_ridge(all_G[ci] - cell_G[ci][c] - cell_G[ci][d],
                                                all_c[ci] - cell_c[ci][c] - cell_c[ci][d], options.ridge);
          for (int i : traces_of[d]) inner.push_back(stats_score(stats[ci][i], w));
        }
        const double m = finite_mean(inner);
        if (std::isnan(win_score) || m > win_score) win = ci, win_score = m;
      }
      for (int i : traces_of[c]) res.nested_correlation[i] = loo[win][i];
    }
    res.mean_nested = finite_mean(res.nested_correlation);
  }

  // The final filter on every cell; the chosen candidate's output applied to its own traces, and
  // uncalibrated OASIS of the same order for comparison.
  const Eigen::VectorXd w = solve_ridge(all_G[best], all_c[best], options.ridge);
  SpikeCalibration& cal = res.calibration;
  cal.oasis = candidate_options(base, res.candidates[best], options);
  cal.oasis.sample_rate_hz = kNaN;
  cal.filter.step_s = options.filter_step_s;
  cal.filter.taps.assign(w.data(), w.data() + (p1 - 1));
  cal.filter.offset_hz = w(p1 - 1);
  std::vector<double> in_sample(traces.size(), kNaN);
  res.default_correlation.assign(traces.size(), kNaN);
  deconvolve_all(traces, cal.oasis, [&](std::int64_t i, std::vector<double>& s) {
    const auto& t = traces[static_cast<std::size_t>(i)];
    // Where OASIS finds no spike the output is the filter's constant offset (up to the last
    // partial frame): scored NaN, as the cross-validation scores a constant prediction.
    const bool none = std::all_of(s.begin(), s.end(), [](double v) { return v == 0.0; });
    cal.filter.apply(s, t.sample_rate_hz);
    if (!none) in_sample[static_cast<std::size_t>(i)] = trace_score(s, t.spike_counts, t.sample_rate_hz);
    progress.advance();
  });
  OasisOptions plain = base;
  plain.ar_order = res.candidates[best].ar_order;
  deconvolve_all(traces, plain, [&](std::int64_t i, const std::vector<double>& s) {
    const auto& t = traces[static_cast<std::size_t>(i)];
    res.default_correlation[static_cast<std::size_t>(i)] = trace_score(s, t.spike_counts, t.sample_rate_hz);
    progress.advance();
  });
  progress.finish();
  res.mean_in_sample = finite_mean(in_sample);
  res.mean_default = finite_mean(res.default_correlation);
  return res;
}

DeconvolveResult deconvolve_calibrated(const MatrixF& dff, const SpikeCalibration& calibration) {
  DeconvolveResult res = deconvolve(dff, calibration.oasis);
  const Eigen::Index N = res.spikes.cols();
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 1)
  for (Eigen::Index j = 0; j < N; ++j) {
    try {
      const auto n = res.units[static_cast<std::size_t>(j)].n_frames;
      std::vector<double> s(static_cast<std::size_t>(n));
      for (std::int64_t t = 0; t < n; ++t) s[static_cast<std::size_t>(t)] = res.spikes(t, j);
      calibration.filter.apply(s, calibration.oasis.sample_rate_hz);
      double total = 0;
      for (std::int64_t t = 0; t < n; ++t) {
        res.spikes(t, j) = static_cast<float>(s[static_cast<std::size_t>(t)]);
        total += s[static_cast<std::size_t>(t)];
      }
      // The unit's mean rate is that of the calibrated output.
      if (n > 0) res.units[static_cast<std::size_t>(j)].spike_rate_hz = total / static_cast<double>(n) * calibration.oasis.sample_rate_hz;
    } catch (...) {
#pragma omp critical(neurodl_calibrate_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
  return res;
}

nlohmann::json calibration_json(const SpikeCalibration& calibration) {
  OasisOptions o = calibration.oasis;
  nlohmann::json oasis = option_values(option_specs(o));
  oasis.erase("sample_rate_hz");  // a property of each input, not of the calibration
  return {{"format", kFormat},
          {"version", kVersion},
          {"method", "oasis-calibrated"},
          {"ar_order", calibration.oasis.ar_order},
          {"oasis", oasis},
          {"filter",
           {{"step_s", calibration.filter.step_s},
            {"taps", calibration.filter.taps},
            {"offset_hz", calibration.filter.offset_hz}}}};
}

SpikeCalibration load_calibration(const std::filesystem::path& path) {
  const std::string file = path.string();
  auto bad = [&](const std::string& field, const std::string& what, const std::string& expected,
                 const std::string& got) {
    raise(ErrorKind::config,
          {.component = kComponent, .what = what, .expected = expected, .got = got, .file = file, .field = field});
  };
  std::ifstream in(path);
  check(static_cast<bool>(in), ErrorKind::io,
        {.component = kComponent, .what = "cannot open calibration file", .file = file});
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception&) {
    raise(ErrorKind::io, {.component = kComponent, .what = "calibration file is not valid JSON", .file = file});
  }
  if (!j.is_object() || j.value("format", std::string()) != kFormat)
    bad("format", "not a spike calibration (write one with `neurodl calibrate-spikes`)", kFormat,
        j.is_object() && j.contains("format") ? j["format"].dump() : "none");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int>() != kVersion)
    bad("version", "unsupported calibration version", std::to_string(kVersion),
        j.contains("version") ? j["version"].dump() : "none");
  SpikeCalibration cal;
  if (!j.contains("ar_order") || !j["ar_order"].is_number_integer() ||
      (j["ar_order"].get<std::int64_t>() != 1 && j["ar_order"].get<std::int64_t>() != 2))
    bad("ar_order", "bad AR order", "1 or 2", j.contains("ar_order") ? j["ar_order"].dump() : "none");
  cal.oasis.ar_order = j["ar_order"].get<std::int64_t>();
  if (!j.contains("oasis") || !j["oasis"].is_object()) bad("oasis", "missing OASIS options", "an object", "none");
  try {
    apply_options(option_specs(cal.oasis), j["oasis"], kComponent);
  } catch (const Error& e) {
    bad("oasis", std::string("bad OASIS options: ") + e.what(), "valid options", "see message");
  }
  cal.oasis.sample_rate_hz = kNaN;
  const auto& f = j.contains("filter") ? j["filter"] : nlohmann::json();
  if (!f.is_object()) bad("filter", "missing output filter", "an object", "none");
  if (!f.contains("step_s") || !f["step_s"].is_number() || !(f["step_s"].get<double>() > 0))
    bad("filter.step_s", "bad filter step", "> 0 s", f.contains("step_s") ? f["step_s"].dump() : "none");
  cal.filter.step_s = f["step_s"].get<double>();
  if (!f.contains("taps") || !f["taps"].is_array() || f["taps"].size() % 2 != 1)
    bad("filter.taps", "bad filter taps", "an odd-length array of numbers",
        f.contains("taps") ? std::to_string(f["taps"].size()) + " values" : "none");
  for (const auto& v : f["taps"]) {
    if (!v.is_number() || !std::isfinite(v.get<double>())) bad("filter.taps", "filter tap is not a number", "finite numbers", v.dump());
    cal.filter.taps.push_back(v.get<double>());
  }
  if (!f.contains("offset_hz") || !f["offset_hz"].is_number() || !std::isfinite(f["offset_hz"].get<double>()))
    bad("filter.offset_hz", "bad filter offset", "a finite rate", f.contains("offset_hz") ? f["offset_hz"].dump() : "none");
  cal.filter.offset_hz = f["offset_hz"].get<double>();
  return cal;
}

}  // namespace neurodl::spikes
