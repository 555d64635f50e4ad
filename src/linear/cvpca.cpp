#include "neurodl/linear/cvpca.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "dims_linalg.hpp"
#include "neurodl/core/error.hpp"

namespace neurodl::linear {
namespace {
const std::string kComponent = "linear.cvpca";
}

std::vector<OptionSpec> option_specs(CvpcaOptions& o) {
  return {
      {.name = "n_components", .help = "eigenvectors of repeat 1 to keep (0: all)",
       .target = &o.n_components, .min = 0, .max = 1e9},
      {.name = "fit_rank_min", .help = "first rank (1-based) of the power-law fit",
       .target = &o.fit_rank_min, .min = 1, .max = 1e9},
      {.name = "fit_rank_max", .help = "last rank (1-based) of the power-law fit",
       .target = &o.fit_rank_max, .min = 1, .max = 1e9},
      {.name = "repeat_a", .help = "repeat index that gives the eigenvectors", .target = &o.repeat_a,
       .min = 0, .max = 1e9},
      {.name = "repeat_b", .help = "repeat index projected for the cross-validated variance",
       .target = &o.repeat_b, .min = 0, .max = 1e9},
      {.name = "solver", .help = "PCA solver for repeat 1: auto, exact or randomized",
       .target = &o.solver, .choices = {"auto", "exact", "randomized"}},
      {.name = "seed", .help = "seed of the randomized solver", .target = &o.seed, .min = 0},
  };
}

// Weighted least squares of y_n = log λ_n on x_n = log n with weights w_n = 1/n, so that every
// decade of ranks weighs about the same (ranks are denser at the top of a log axis).
// Normal equations of y = b − αx: solved in closed form for the two parameters.
PowerLawFit fit_power_law(const VectorD& spectrum, std::int64_t rank_min, std::int64_t rank_max) {
  check(rank_min >= 1 && rank_max >= rank_min, ErrorKind::config,
        {.component = kComponent, .what = "power-law fit range is empty",
         .expected = "1 <= fit_rank_min <= fit_rank_max",
         .got = std::to_string(rank_min) + ".." + std::to_string(rank_max)});
  PowerLawFit fit;
  fit.rank_min = rank_min;
  fit.rank_max = std::min<std::int64_t>(rank_max, spectrum.size());
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::int64_t n = rank_min; n <= fit.rank_max; ++n) {
    const double v = spectrum(n - 1);
    if (!(v > 0)) continue;
    const double w = 1.0 / static_cast<double>(n), x = std::log(static_cast<double>(n)), y = std::log(v);
    sw += w;
    sx += w * x;
    sy += w * y;
    sxx += w * x * x;
    sxy += w * x * y;
    ++fit.n_ranks;
  }
  const double det = sw * sxx - sx * sx;
  if (fit.n_ranks >= 2 && det > 0) {
    const double slope = (sw * sxy - sx * sy) / det;
    fit.alpha = -slope;
    fit.log_scale = (sy - slope * sx) / sw;
  }
  return fit;
}

CvpcaResult cvpca(const MatrixF& r1, const MatrixF& r2, const CvpcaOptions& o) {
  check(r1.rows() == r2.rows() && r1.cols() == r2.cols(), ErrorKind::shape,
        {.component = kComponent, .what = "the two repeats differ in shape",
         .expected = shape_string(r1.rows(), r1.cols()) + " (S×N)",
         .got = shape_string(r2.rows(), r2.cols())});
  check(r1.rows() >= 2 && r1.cols() >= 1, ErrorKind::shape,
        {.component = kComponent, .what = "need at least 2 stimuli and 1 unit",
         .expected = ">= 2×1 (S×N)", .got = shape_string(r1.rows(), r1.cols())});
  detail::check_finite(r1, kComponent, "repeat 1");
  detail::check_finite(r2, kComponent, "repeat 2");
  // Validate the fit range before the expensive part.
  fit_power_law(VectorD(), o.fit_rank_min, o.fit_rank_max);
  const std::int64_t s = r1.rows(), n = r1.cols();
  check(o.n_components <= std::min(s - 1, n), ErrorKind::config,
        {.component = kComponent, .what = "n_components out of range",
         .expected = "0.." + std::to_string(std::min(s - 1, n)) + " (min(S - 1, N))",
         .got = std::to_string(o.n_components)});

  // Eigenvectors u_n of repeat 1 (its PCA); the scores are R₁u_n (R₁ centred).
  PcaOptions po;
  po.n_components = o.n_components == 0 ? std::min(s - 1, n) : o.n_components;
  po.solver = o.solver;
  po.seed = o.seed;
  po.scores = true;
  const PcaResult p = pca(r1, po);
  // R₂u_n with repeat 2 centred by its own means (O(S·N·k)).
  const detail::ColMatrixF v = p.components.transpose();
  const detail::ColMatrixF proj2 = detail::CenteredView(r2).times(v);

  CvpcaResult out;
  out.n_stimuli = s;
  out.n_units = n;
  out.train_spectrum = p.explained_variance;
  out.spectrum = (p.scores.cast<double>().array() * proj2.cast<double>().array()).colwise().sum().transpose() /
                 static_cast<double>(s - 1);
  out.power_law = fit_power_law(out.spectrum, o.fit_rank_min, o.fit_rank_max);
  return out;
}

std::pair<MatrixF, MatrixF> repeat_responses(const Recording& rec, std::int64_t repeat_a,
                                             std::int64_t repeat_b) {
  check(repeat_a != repeat_b, ErrorKind::config,
        {.component = kComponent, .what = "repeat_a and repeat_b must differ",
         .expected = "two different repeat indices",
         .got = std::to_string(repeat_a) + " and " + std::to_string(repeat_b)});
  const std::vector<double> times = rec.times_s();
  const Eigen::Index t = rec.n_samples(), n = rec.n_units();
  // Mean activity over [onset, offset) of one event. Event and sample times computed in different
  // ways (0.4·p + 0.2 against 6 / 10) differ by rounding; 1 ns of slack keeps such samples where
  // they belong.
  constexpr double kSlack_s = 1e-9;
  auto response = [&](const StimulusEvent& e) {
    const auto first = std::lower_bound(times.begin(), times.end(), e.onset_s - kSlack_s) - times.begin();
    auto last = std::lower_bound(times.begin(), times.end(), e.offset_s - kSlack_s) - times.begin();
    check(first < t && std::isfinite(e.onset_s), ErrorKind::config,
          {.component = kComponent, .what = "stimulus event outside the recording",
           .expected = "onset before the last sample", .got = std::to_string(e.onset_s), .unit = "s"});
    if (last <= first) last = first + 1;
    return VectorF(rec.activity.middleRows(first, last - first).colwise().mean().transpose());
  };
  std::map<std::int64_t, const StimulusEvent*> in_a, in_b;
  for (const auto& e : rec.stimuli.events) {
    if (e.repeat == repeat_a) in_a.emplace(e.stimulus_id, &e);
    if (e.repeat == repeat_b) in_b.emplace(e.stimulus_id, &e);
  }
  std::vector<std::int64_t> ids;
  for (const auto& [id, e] : in_a)
    if (in_b.count(id)) ids.push_back(id);
  check(ids.size() >= 2, ErrorKind::config,
        {.component = kComponent, .what = "too few stimuli shown in both repeats",
         .expected = ">= 2 stimuli in repeats " + std::to_string(repeat_a) + " and " +
                     std::to_string(repeat_b),
         .got = std::to_string(ids.size()), .field = "stimuli"});
  MatrixF a(static_cast<Eigen::Index>(ids.size()), n), b(static_cast<Eigen::Index>(ids.size()), n);
  for (size_t i = 0; i < ids.size(); ++i) {
    a.row(static_cast<Eigen::Index>(i)) = response(*in_a[ids[i]]).transpose();
    b.row(static_cast<Eigen::Index>(i)) = response(*in_b[ids[i]]).transpose();
  }
  return {std::move(a), std::move(b)};
}

CvpcaResult cvpca(const Recording& rec, const CvpcaOptions& o) {
  const auto [a, b] = repeat_responses(rec, o.repeat_a, o.repeat_b);
  return cvpca(a, b, o);
}

nlohmann::json to_json(const CvpcaResult& r) {
  const auto list = [](const VectorD& v) { return std::vector<double>(v.data(), v.data() + v.size()); };
  const auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"n_stimuli", r.n_stimuli},
          {"n_units", r.n_units},
          {"alpha", num(r.power_law.alpha)},
          {"fit_rank_min", r.power_law.rank_min},
          {"fit_rank_max", r.power_law.rank_max},
          {"fit_n_ranks", r.power_law.n_ranks},
          {"spectrum", list(r.spectrum)},
          {"train_spectrum", list(r.train_spectrum)}};
}

}  // namespace neurodl::linear
