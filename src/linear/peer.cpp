#include "neurodl/linear/peer.hpp"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "dims_linalg.hpp"
#include "neurodl/core/error.hpp"

namespace neurodl::linear {
namespace {

const std::string kPeer = "linear.peer";
const std::string kAreas = "linear.areas";
using detail::Index;
using detail::ColMatrixD;

// Unit groups that share one excluded set (see the header, step 2).
struct Tiles {
  std::vector<std::vector<std::int64_t>> units;     // units of each tile
  std::vector<std::vector<std::int64_t>> excluded;  // sorted excluded set of each tile
};

Tiles make_tiles(const std::vector<std::array<double, 3>>& pos, Index n, double radius) {
  Tiles t;
  if (radius == 0) {  // every unit alone, excluding only itself
    for (Index i = 0; i < n; ++i) {
      t.units.push_back({i});
      t.excluded.push_back({i});
    }
    return t;
  }
  // Tiles of side `radius`: a unit's neighbours (3-D distance ≤ radius, so x, y distance ≤ radius)
  // lie in its own tile or the 8 around it.
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::int64_t>> tile_of;
  auto key = [&](Index i) {
    return std::pair{static_cast<std::int64_t>(std::floor(pos[static_cast<size_t>(i)][0] / radius)),
                     static_cast<std::int64_t>(std::floor(pos[static_cast<size_t>(i)][1] / radius))};
  };
  for (Index i = 0; i < n; ++i) tile_of[key(i)].push_back(i);
  auto z = [](double v) { return std::isfinite(v) ? v : 0.0; };
  for (const auto& [k, members] : tile_of) {
    std::set<std::int64_t> ex(members.begin(), members.end());
    for (std::int64_t dx = -1; dx <= 1; ++dx)
      for (std::int64_t dy = -1; dy <= 1; ++dy) {
        const auto it = tile_of.find({k.first + dx, k.second + dy});
        if (it == tile_of.end()) continue;
        for (auto j : it->second) {
          const auto& pj = pos[static_cast<size_t>(j)];
          for (auto i : members) {
            const auto& pi = pos[static_cast<size_t>(i)];
            const double d2 = (pi[0] - pj[0]) * (pi[0] - pj[0]) + (pi[1] - pj[1]) * (pi[1] - pj[1]) +
                              (z(pi[2]) - z(pj[2])) * (z(pi[2]) - z(pj[2]));
            if (d2 <= radius * radius) {
              ex.insert(j);
              break;
            }
          }
        }
      }
    t.units.push_back(members);
    t.excluded.emplace_back(ex.begin(), ex.end());
  }
  return t;
}

VectorD select(const VectorD& v, const std::vector<std::int64_t>& idx) {
  VectorD out(static_cast<Index>(idx.size()));
  for (size_t i = 0; i < idx.size(); ++i) out(static_cast<Index>(i)) = v(idx[i]);
  return out;
}

}  // namespace

std::vector<OptionSpec> option_specs(PeerOptions& o) {
  std::vector<OptionSpec> specs = {
      {.name = "radius_um", .help = "units within this distance of a unit are not its predictors",
       .unit = "µm", .target = &o.radius_um, .min = 0, .max = 1e9},
      {.name = "n_components", .help = "population principal components used as predictors",
       .target = &o.n_components, .min = 1, .max = 1e9},
      {.name = "ridge", .help = "ridge penalty relative to the mean predictor variance",
       .target = &o.ridge, .min = 0, .max = 1e9},
      {.name = "solver", .help = "PCA solver on training time: auto, exact or randomized",
       .target = &o.solver, .choices = {"auto", "exact", "randomized"}},
      {.name = "seed", .help = "seed of the randomized PCA", .target = &o.seed, .min = 0},
      {.name = "rank",
       .help = "reduced rank of the prediction of all units (0: full rank, each unit its own fit)",
       .target = &o.rank, .min = 0, .max = 1e9},
  };
  for (auto& s : eval::option_specs(o.split)) specs.push_back(s);
  return specs;
}

PeerResult peer_prediction(const MatrixF& x, const std::vector<std::array<double, 3>>& pos,
                           const PeerOptions& o) {
  const Index t = x.rows(), n = x.cols();
  check(std::isfinite(o.radius_um) && o.radius_um >= 0, ErrorKind::config,
        {.component = kPeer, .what = "radius must be finite and non-negative", .expected = ">= 0",
         .got = std::to_string(o.radius_um), .unit = "µm"});
  check(std::isfinite(o.ridge) && o.ridge >= 0, ErrorKind::config,
        {.component = kPeer, .what = "ridge penalty must be non-negative", .expected = ">= 0",
         .got = std::to_string(o.ridge)});
  check(o.n_components >= 1, ErrorKind::config,
        {.component = kPeer, .what = "n_components must be positive", .expected = ">= 1",
         .got = std::to_string(o.n_components)});
  check(o.solver == "auto" || o.solver == "exact" || o.solver == "randomized", ErrorKind::config,
        {.component = kPeer, .what = "unknown solver", .expected = "auto, exact, randomized",
         .got = o.solver});
  check(n >= 2, ErrorKind::shape,
        {.component = kPeer, .what = "need at least 2 units", .expected = ">= 2",
         .got = std::to_string(n)});
  check(static_cast<Index>(pos.size()) == n || (pos.empty() && o.radius_um == 0), ErrorKind::shape,
        {.component = kPeer, .what = "one position per unit needed", .expected = std::to_string(n),
         .got = std::to_string(pos.size()), .field = "positions_um"});
  if (o.radius_um > 0)
    for (size_t i = 0; i < pos.size(); ++i)
      check(std::isfinite(pos[i][0]) && std::isfinite(pos[i][1]), ErrorKind::config,
            {.component = kPeer, .what = "unit " + std::to_string(i) + " has no x, y position",
             .expected = "positions for the neighbour exclusion (or --radius-um 0)", .got = "NaN",
             .field = "units"});
  detail::check_finite(x, kPeer, "activity");
  const auto folds = eval::time_block_folds(t, o.split);
  Index min_train = t;
  for (const auto& f : folds) min_train = std::min<Index>(min_train, static_cast<Index>(f.train.size()));
  const Index k = std::min<Index>(o.n_components, std::min<Index>(min_train - 1, n));
  check(k >= 1, ErrorKind::config,
        {.component = kPeer, .what = "too few training samples", .expected = ">= 2 per fold",
         .got = std::to_string(min_train)});

  check(o.rank >= 0, ErrorKind::config,
        {.component = kPeer, .what = "rank must be non-negative", .expected = ">= 0 (0: full)",
         .got = std::to_string(o.rank)});
  const Index rank = std::min<Index>(o.rank, std::min(k, n));

  const Tiles tiles = make_tiles(pos, n, o.radius_um);
  VectorD sse = VectorD::Zero(n);
  MatrixF fit_train, fit_test;  // reduced rank: fitted values of every unit (T_train|test × N)
  for (const auto& fold : folds) {
    // Step 1: population axes on training time.
    const detail::CenteredView train(x, fold.train);
    const VectorD& mean = train.mean();
    const Index small = std::min(train.rows(), n);
    const bool exact = o.solver == "exact" ||
                       (o.solver == "auto" && (small <= 4000 || 2 * (k + 10) > small));
    const detail::Svd svd = exact ? detail::exact_svd(train, k)
                                  : detail::randomized_svd(train, k, 10, 4, o.seed);
    const detail::ColMatrixF& w = svd.v;  // N × k
    const detail::CenteredView test(x, fold.test, {}, mean);
    const detail::ColMatrixF f_train = train.times(w), f_test = test.times(w);
    MatrixF y_test_all;
    if (rank > 0) {
      fit_train.resize(train.rows(), n);
      fit_test.resize(test.rows(), n);
      test.gather_rows(0, test.rows(), y_test_all);
    }
    for (size_t g = 0; g < tiles.units.size(); ++g) {
      const auto& ex = tiles.excluded[g];
      const auto& members = tiles.units[g];
      detail::ColMatrixF w_ex(static_cast<Index>(ex.size()), k);
      for (size_t i = 0; i < ex.size(); ++i) w_ex.row(static_cast<Index>(i)) = w.row(ex[i]);
      // Step 3: remove the excluded units' contributions from the projections.
      const VectorD mean_ex = select(mean, ex), mean_y = select(mean, members);
      const detail::ColMatrixF a_train =
          f_train - detail::CenteredView(x, fold.train, ex, mean_ex).times(w_ex);
      const detail::ColMatrixF a_test =
          f_test - detail::CenteredView(x, fold.test, ex, mean_ex).times(w_ex);
      MatrixF y_train, y_test;
      const detail::CenteredView yv_train(x, fold.train, members, mean_y);
      const detail::CenteredView yv_test(x, fold.test, members, mean_y);
      yv_train.gather_rows(0, yv_train.rows(), y_train);
      yv_test.gather_rows(0, yv_test.rows(), y_test);
      // Step 4: ridge β = (AᵀA + λI)⁻¹AᵀY in float64 (k × k system).
      const ColMatrixD a = a_train.cast<double>();
      ColMatrixD gram = a.transpose() * a;
      const double lambda = o.ridge * gram.trace() / static_cast<double>(k);
      gram.diagonal().array() += std::max(lambda, 1e-12 * (gram.trace() + 1e-300));
      const ColMatrixD beta = gram.ldlt().solve(a.transpose() * y_train.cast<double>());
      const ColMatrixD pred_test = a_test.cast<double>() * beta;
      if (rank > 0) {  // step 5 needs every unit's fitted values first
        const ColMatrixD pred_train = a * beta;
        for (size_t i = 0; i < members.size(); ++i) {
          fit_train.col(members[i]) = pred_train.col(static_cast<Index>(i)).cast<float>();
          fit_test.col(members[i]) = pred_test.col(static_cast<Index>(i)).cast<float>();
        }
        continue;
      }
      const ColMatrixD residual = y_test.cast<double>() - pred_test;
      for (size_t i = 0; i < members.size(); ++i)
        sse(members[i]) += residual.col(static_cast<Index>(i)).squaredNorm();
    }
    if (rank > 0) {
      // Step 5: project the test predictions on the top r directions of the training fit.
      const detail::DenseOperator fitted(fit_train);
      const detail::Svd dirs = exact ? detail::exact_svd(fitted, rank)
                                     : detail::randomized_svd(fitted, rank, 10, 4, o.seed);
      const detail::ColMatrixF& v = dirs.v;  // N × r
      const MatrixF projected = (fit_test * v) * v.transpose();
      for (Index j = 0; j < n; ++j)
        sse(j) += (y_test_all.col(j) - projected.col(j)).cast<double>().squaredNorm();
    }
  }
  PeerResult r;
  const VectorD ss = detail::CenteredView(x).column_sum_squares();
  r.r2.resize(n);
  double sum = 0;
  std::int64_t count = 0;
  for (Index i = 0; i < n; ++i) {
    r.r2(i) = ss(i) > 0 ? 1.0 - sse(i) / ss(i) : kNaN;
    if (std::isfinite(r.r2(i))) {
      sum += r.r2(i);
      ++count;
    }
  }
  r.r2_mean = count > 0 ? sum / static_cast<double>(count) : kNaN;
  r.n_excluded.assign(static_cast<size_t>(n), 0);
  for (size_t g = 0; g < tiles.units.size(); ++g)
    for (auto i : tiles.units[g]) r.n_excluded[static_cast<size_t>(i)] = static_cast<std::int64_t>(tiles.excluded[g].size());
  r.n_components = k;
  r.n_tiles = static_cast<std::int64_t>(tiles.units.size());
  r.rank = rank;
  return r;
}

PeerResult peer_prediction(const Recording& rec, const PeerOptions& o) {
  std::vector<std::array<double, 3>> pos;
  for (const auto& u : rec.units) pos.push_back(u.position_um);
  return peer_prediction(rec.activity, pos, o);
}

nlohmann::json to_json(const PeerResult& r) {
  const auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json r2 = nlohmann::json::array();
  for (Index i = 0; i < r.r2.size(); ++i) r2.push_back(num(r.r2(i)));
  return {{"n_units", r.r2.size()}, {"n_components", r.n_components}, {"n_tiles", r.n_tiles},
          {"rank", r.rank}, {"r2_mean", num(r.r2_mean)}, {"r2", r2}};
}

// ---------------------------------------------------------------------------------------------
// Area to area

std::vector<OptionSpec> option_specs(AreaOptions& o) {
  std::vector<OptionSpec> specs = {
      {.name = "from_area", .help = "areas: the area whose units are the predictors",
       .target = &o.from_area, .flag = "--from"},
      {.name = "to_area", .help = "areas: the area whose units are predicted", .target = &o.to_area,
       .flag = "--to"},
  };
  // The fitted rank is not used by the rank curve: leave it out so that --rank is refused.
  for (auto& s : option_specs(o.rrr))
    if (s.name != "rank") specs.push_back(s);
  return specs;
}

RankCurve area_prediction(const Recording& rec, const AreaOptions& o) {
  std::set<std::string> areas;
  for (const auto& u : rec.units) areas.insert(u.area);
  std::string names;
  for (const auto& a : areas) names += (names.empty() ? "" : ", ") + (a.empty() ? std::string("(none)") : a);
  for (const auto* area : {&o.from_area, &o.to_area}) {
    check(!area->empty(), ErrorKind::config,
          {.component = kAreas, .what = "--from and --to areas are required",
           .expected = "one of " + names, .got = "nothing"});
    check(areas.count(*area) > 0, ErrorKind::config,
          {.component = kAreas, .what = "unknown area", .expected = "one of " + names, .got = *area,
           .field = "units"});
  }
  check(o.from_area != o.to_area, ErrorKind::config,
        {.component = kAreas, .what = "--from and --to must be different areas",
         .expected = "two areas", .got = o.from_area + " twice"});
  std::vector<Index> from, to;
  for (size_t i = 0; i < rec.units.size(); ++i) {
    if (rec.units[i].area == o.from_area) from.push_back(static_cast<Index>(i));
    if (rec.units[i].area == o.to_area) to.push_back(static_cast<Index>(i));
  }
  const MatrixF x = rec.activity(Eigen::all, from), y = rec.activity(Eigen::all, to);
  return rrr_rank_curve(x, y, o.rrr);
}

nlohmann::json to_json(const RankCurve& c) {
  return {{"ranks", c.ranks},
          {"r2_mean", c.r2_mean},
          {"r2_sem", c.r2_sem},
          {"ridge_r2_mean", c.ridge_r2_mean},
          {"alpha", c.alpha},
          {"best_rank", c.best_rank},
          {"predictive_dimensionality", c.predictive_dimensionality}};
}

}  // namespace neurodl::linear
