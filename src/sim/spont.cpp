// The `spont` preset: spontaneous activity of chained brain areas. Behaviour (running, pupil,
// face motion) drives behaviour latents through a nonlinear map; internal latents follow stable
// linear dynamics; each downstream area also receives its upstream area's latents through a
// low-rank communication matrix (Semedo et al. 2019, Neuron 102:249). Units fire with rates
// softplus(baseline + loadings · latents) (Stringer et al. 2019, Science 364:eaav7893, for the
// behaviour-driven structure of spontaneous activity). docs/simulator.md has the equations.

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include <Eigen/QR>

#include "detail.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"

namespace neurodl::sim::detail {
namespace {

constexpr std::int64_t kDefaultUnits = 600;
constexpr std::int64_t kDefaultFrames = 9000;
constexpr double kDefaultFsHz = 30.0;
constexpr std::int64_t kDefaultAreas = 3;
constexpr std::int64_t kDefaultCommRank = 2;

constexpr int kBehaviorLatents = 3;  // per area: tanh, threshold and product features
constexpr int kInternalLatents = 5;  // per area: one damped rotation (2) + three AR(1)
constexpr int kLatentsPerArea = kBehaviorLatents + kInternalLatents;
constexpr int kFaceComponents = 8;
constexpr int kFeatures = 2 + kFaceComponents;  // speed, log pupil, face motion
constexpr double kMaxBehaviorRateHz = 60.0;     // camera / wheel rate: min(60 Hz, 2·fs)
constexpr double kAreaSpacingUm = 1000.0;
constexpr double kAreaWidthUm = 500.0;

const char* const kAreaNames[] = {"V1",  "HVA", "M2",  "S1", "RSP", "PPC", "ACC",
                                  "MOp", "AUD", "VIS", "LM", "AL",  "PM"};

std::string area_name(std::int64_t a) {
  constexpr auto n = static_cast<std::int64_t>(std::size(kAreaNames));
  return a < n ? kAreaNames[a] : "area" + std::to_string(a);
}

// AR(1) coefficient of a unit-variance Ornstein–Uhlenbeck process with time constant tau sampled
// every dt: x' = ρx + sqrt(1 − ρ²)ε keeps Var x = 1 (exact discretisation).
double ar_coefficient(double dt, double tau) { return std::exp(-dt / tau); }

Eigen::VectorXd unit_vector(Rng& rng, int d) {
  Eigen::VectorXd v(d);
  for (int k = 0; k < d; ++k) v[k] = rng.normal();
  return v / v.norm();
}

// Standardises each column to zero mean and unit variance over time (columns with no variance
// are only centred).
void standardise_columns(MatrixD& m) {
  for (Eigen::Index c = 0; c < m.cols(); ++c) {
    const double mean = m.col(c).mean();
    m.col(c).array() -= mean;
    const double sd = std::sqrt(m.col(c).squaredNorm() / static_cast<double>(m.rows()));
    if (sd > 0) m.col(c) /= sd;
  }
}

}  // namespace

std::vector<Recording> simulate_spont(const SimOptions& options) {
  SimOptions o = options;
  if (o.units == -1) o.units = kDefaultUnits;
  if (o.frames == -1) o.frames = kDefaultFrames;
  if (std::isnan(o.fs_hz)) o.fs_hz = kDefaultFsHz;
  if (o.areas == -1) o.areas = kDefaultAreas;
  if (o.comm_rank == -1) o.comm_rank = kDefaultCommRank;
  if (std::isnan(o.dispersion)) o.dispersion = 0.0;
  check(o.units >= o.areas, ErrorKind::config,
        {.component = "sim.spont",
         .what = "need at least one unit per area",
         .expected = ">= areas = " + std::to_string(o.areas),
         .got = std::to_string(o.units),
         .field = "units"});
  const std::int64_t T = o.frames, N = o.units, A = o.areas, R = o.comm_rank;
  const std::int64_t K = kLatentsPerArea * A;
  const double fs = o.fs_hz, dt = 1.0 / fs;

  Recording rec;
  rec.name = "spont";
  rec.kind = ActivityKind::spike_counts;
  rec.sample_rate_hz = fs;
  rec.activity.resize(T, N);
  const double behavior_rate_hz = std::min(kMaxBehaviorRateHz, 2.0 * fs);
  {
    // Behaviour timestamps half a sample off the frame clock, spanning every frame time.
    const double dt_b = 1.0 / behavior_rate_hz;
    const double duration_s = static_cast<double>(T) * dt;
    std::vector<double> t_b(static_cast<size_t>(std::ceil(duration_s * behavior_rate_hz)) + 1);
    for (size_t j = 0; j < t_b.size(); ++j) t_b[j] = 0.5 * dt_b + static_cast<double>(j) * dt_b;
    rec.behavior = simulate_behavior(t_b, dt_b, kFaceComponents, o.seed);
  }

  // Behaviour features at frame times, resampled exactly as users will resample them.
  const MatrixF resampled = rec.behavior_on_activity_time({}, Resample::linear);
  MatrixD x(T, kFeatures);
  for (std::int64_t t = 0; t < T; ++t) {
    x(t, 0) = resampled(t, 0) / 10.0;                   // speed in units of 10 cm/s
    x(t, 1) = std::log(resampled(t, 1) / 400.0) / 0.3;  // log pupil, about unit variance
    for (int m = 0; m < kFaceComponents; ++m) x(t, 2 + m) = resampled(t, 2 + m);
  }

  // Per-area structure: behaviour-latent maps, internal dynamics, communication matrices.
  Rng structure(o.seed, stream(Purpose::structure));
  MatrixD latents(T, K);
  std::vector<double> rho(static_cast<size_t>(K)), omega(static_cast<size_t>(A));
  for (std::int64_t a = 0; a < A; ++a) {
    // Behaviour latents: a nonlinear part plus a linear part of random projections of x:
    //   β0 = tanh(1.5·p0·x) + 0.5·q0·x, β1 = max(0, speed/10 − θ) + 0.3·q1·x,
    //   β2 = (p2·x)(r2·x) + 0.5·q2·x; then each is standardised over the recording.
    const Eigen::VectorXd p0 = 1.5 * unit_vector(structure, kFeatures);
    const Eigen::VectorXd p2 = unit_vector(structure, kFeatures);
    const Eigen::VectorXd r2 = unit_vector(structure, kFeatures);
    const Eigen::VectorXd q0 = unit_vector(structure, kFeatures);
    const Eigen::VectorXd q1 = unit_vector(structure, kFeatures);
    const Eigen::VectorXd q2 = unit_vector(structure, kFeatures);
    const double theta = structure.uniform(0.5, 1.5);
    MatrixD beta(T, kBehaviorLatents);
    for (std::int64_t t = 0; t < T; ++t) {
      const Eigen::VectorXd xt = x.row(t).transpose();
      beta(t, 0) = std::tanh(p0.dot(xt)) + 0.5 * q0.dot(xt);
      beta(t, 1) = std::max(0.0, xt[0] - theta) + 0.3 * q1.dot(xt);
      beta(t, 2) = p2.dot(xt) * r2.dot(xt) + 0.5 * q2.dot(xt);
    }
    standardise_columns(beta);
    latents.middleCols(a * kLatentsPerArea, kBehaviorLatents) = beta;
    // Internal dynamics: a damped rotation at 0.05–0.3 Hz with τ ∈ [2, 8] s, and three AR(1)
    // latents with τ log-uniform in [0.5, 20] s; unit stationary variance.
    const std::int64_t first = a * kLatentsPerArea + kBehaviorLatents;
    omega[static_cast<size_t>(a)] = 2 * std::numbers::pi * structure.uniform(0.05, 0.3);
    const double rot_rho = ar_coefficient(dt, structure.uniform(2.0, 8.0));
    rho[static_cast<size_t>(first)] = rho[static_cast<size_t>(first + 1)] = rot_rho;
    for (int k = 2; k < kInternalLatents; ++k)
      rho[static_cast<size_t>(first + k)] =
          ar_coefficient(dt, std::exp(structure.uniform(std::log(0.5), std::log(20.0))));
  }
  {
    Rng noise(o.seed, stream(Purpose::latents));
    std::vector<double> state(static_cast<size_t>(K));
    for (auto& s : state) s = noise.normal();  // stationary start
    for (std::int64_t t = 0; t < T; ++t) {
      for (std::int64_t a = 0; a < A; ++a) {
        const auto f = static_cast<size_t>(a * kLatentsPerArea + kBehaviorLatents);
        if (t > 0) {
          // [x, y] ← ρ·Rot(ω dt)·[x, y] + sqrt(1 − ρ²)·ε keeps each coordinate at unit variance.
          const double c = std::cos(omega[static_cast<size_t>(a)] * dt);
          const double s = std::sin(omega[static_cast<size_t>(a)] * dt);
          const double r = rho[f], g = std::sqrt(1 - r * r);
          const double x0 = state[f], x1 = state[f + 1];
          state[f] = r * (c * x0 - s * x1) + g * noise.normal();
          state[f + 1] = r * (s * x0 + c * x1) + g * noise.normal();
          for (size_t k = f + 2; k < f + kInternalLatents; ++k)
            state[k] = rho[k] * state[k] + std::sqrt(1 - rho[k] * rho[k]) * noise.normal();
        }
        for (size_t k = f; k < f + kInternalLatents; ++k)
          latents(t, static_cast<Eigen::Index>(k)) = state[k];
      }
    }
  }
  const MatrixF latents_f = latents.cast<float>();

  // Communication C_a = U diag(s) Vᵀ (8 × 8, rank R) for a ≥ 1: U, V orthonormal columns,
  // s_k = 1.2·0.7^k. Area a's neurons see u_a = l_a + C_a l_(a−1).
  std::vector<Eigen::MatrixXd> comm(static_cast<size_t>(A));
  for (std::int64_t a = 1; a < A; ++a) {
    auto orthonormal = [&]() {
      Eigen::MatrixXd g(kLatentsPerArea, std::max<std::int64_t>(R, 1));
      for (Eigen::Index i = 0; i < g.size(); ++i) g.data()[i] = structure.normal();
      Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
      return Eigen::MatrixXd(qr.householderQ() *
                             Eigen::MatrixXd::Identity(kLatentsPerArea, g.cols()));
    };
    const Eigen::MatrixXd U = orthonormal(), V = orthonormal();
    Eigen::MatrixXd c = Eigen::MatrixXd::Zero(kLatentsPerArea, kLatentsPerArea);
    for (std::int64_t k = 0; k < R; ++k)
      c += 1.2 * std::pow(0.7, k) * U.col(k) * V.col(k).transpose();
    comm[static_cast<size_t>(a)] = c;
  }

  // Units: contiguous blocks per area; lognormal baseline rate r0, modulation depth m, behaviour
  // share f; loadings r0·m·[√f·ŵ_b; √(1−f)·ŵ_i] on the own area, Cᵀ of that on the upstream one.
  auto first_unit = [&](std::int64_t a) { return a * N / A; };
  rec.units.resize(static_cast<size_t>(N));
  MatrixF loadings = MatrixF::Zero(K, N);
  MatrixF baseline(1, N);
  std::vector<std::int64_t> area_of(static_cast<size_t>(N));
  for (std::int64_t a = 0; a < A; ++a) {
    for (std::int64_t i = first_unit(a); i < first_unit(a + 1); ++i) {
      Rng rng(o.seed, stream(Purpose::unit_params, static_cast<std::uint64_t>(i)));
      const double r0 = std::clamp(rng.lognormal(std::log(2.5), 0.9), 0.05, 60.0);
      const double depth = rng.uniform(0.5, 1.5), share = rng.uniform(0.1, 0.9);
      Eigen::VectorXd w(kLatentsPerArea);
      w.head(kBehaviorLatents) = std::sqrt(share) * unit_vector(rng, kBehaviorLatents);
      w.tail(kInternalLatents) = std::sqrt(1 - share) * unit_vector(rng, kInternalLatents);
      w *= r0 * depth;
      loadings.block(a * kLatentsPerArea, i, kLatentsPerArea, 1) = w.cast<float>();
      if (a > 0)
        loadings.block((a - 1) * kLatentsPerArea, i, kLatentsPerArea, 1) =
            (comm[static_cast<size_t>(a)].transpose() * w).cast<float>();
      baseline(0, i) = static_cast<float>(softplus_inverse(r0));
      area_of[static_cast<size_t>(i)] = a;
      auto& u = rec.units[static_cast<size_t>(i)];
      u.id = std::to_string(i);
      u.area = area_name(a);
      u.position_um = {
          static_cast<double>(a) * kAreaSpacingUm + rng.uniform(-0.5, 0.5) * kAreaWidthUm,
          rng.uniform(-0.5, 0.5) * kAreaWidthUm, 150.0 + 50.0 * static_cast<double>(rng.below(4))};
    }
  }

  // Rates and counts: rate = softplus(b + Σ_k L_ki latent_k) in spikes/s, constant within a
  // frame; count ~ Poisson(rate·dt) or gamma–Poisson with shape `dispersion`.
  MatrixF rates(T, N);
  for_unit_blocks(N, "simulate spont", [&](std::int64_t begin, std::int64_t end) {
    const std::int64_t width = end - begin;
    BlockColumns rate_cols(T, width), count_cols(T, width);
    for (std::int64_t u = 0; u < width; ++u) {
      const std::int64_t i = begin + u;
      const std::int64_t a = area_of[static_cast<size_t>(i)];
      const std::int64_t lo = std::max<std::int64_t>(a - 1, 0) * kLatentsPerArea;
      const std::int64_t hi = (a + 1) * kLatentsPerArea;
      Rng rng(o.seed, stream(Purpose::unit_counts, static_cast<std::uint64_t>(i)));
      const double b = baseline(0, i);
      double w[2 * kLatentsPerArea];
      const std::int64_t n_w = hi - lo;
      for (std::int64_t k = 0; k < n_w; ++k) w[k] = loadings(lo + k, i);
      for (std::int64_t t = 0; t < T; ++t) {
        const float* l = &latents_f(t, lo);
        double drive = b;
        for (std::int64_t k = 0; k < n_w; ++k) drive += static_cast<double>(l[k]) * w[k];
        const double rate = softplus(drive);
        const double mean = rate * dt;
        const auto count =
            o.dispersion > 0 ? rng.negative_binomial(mean, o.dispersion) : rng.poisson(mean);
        rate_cols.at(t, u) = static_cast<float>(rate);
        count_cols.at(t, u) = static_cast<float>(count);
      }
    }
    rate_cols.copy_to(rates, begin);
    count_cols.copy_to(rec.activity, begin);
  });

  // Share of each unit's drive variance carried by behaviour latents: w_bᵀΣw_b / wᵀΣw with Σ the
  // latents' sample covariance and w_b the loadings restricted to behaviour latents.
  MatrixD centred = latents.rowwise() - latents.colwise().mean();
  const Eigen::MatrixXd cov = (centred.transpose() * centred) / std::max<double>(1.0, T - 1.0);
  MatrixF behavior_fraction(1, N);
  for (std::int64_t i = 0; i < N; ++i) {
    const Eigen::VectorXd w = loadings.col(i).cast<double>();
    Eigen::VectorXd wb = Eigen::VectorXd::Zero(K);
    for (std::int64_t a = 0; a < A; ++a)
      wb.segment(a * kLatentsPerArea, kBehaviorLatents) =
          w.segment(a * kLatentsPerArea, kBehaviorLatents);
    const double total = w.dot(cov * w);
    behavior_fraction(0, i) = static_cast<float>(total > 0 ? wb.dot(cov * wb) / total : 0.0);
  }

  MatrixF behavior_latents(T, kBehaviorLatents * A);
  for (std::int64_t a = 0; a < A; ++a)
    behavior_latents.middleCols(a * kBehaviorLatents, kBehaviorLatents) =
        latents_f.middleCols(a * kLatentsPerArea, kBehaviorLatents);
  rec.truth["rates"] = std::move(rates);
  rec.truth["latents"] = latents_f;
  rec.truth["behavior_latents"] = std::move(behavior_latents);
  rec.truth["loadings"] = std::move(loadings);
  rec.truth["baseline_drive"] = std::move(baseline);
  rec.truth["behavior_fraction"] = std::move(behavior_fraction);
  if (A > 1) {
    MatrixF c((A - 1) * kLatentsPerArea, kLatentsPerArea);
    for (std::int64_t a = 1; a < A; ++a)
      c.middleRows((a - 1) * kLatentsPerArea, kLatentsPerArea) =
          comm[static_cast<size_t>(a)].cast<float>();
    rec.truth["communication_subspace"] = std::move(c);
  }

  add_common_metadata(rec, o, "spontaneous activity of chained areas (see docs/simulator.md)");
  std::string names;
  for (std::int64_t a = 0; a < A; ++a) {
    const std::string n = area_name(a), key = "area." + n + ".";
    names += (a ? "," : "") + n;
    auto span = [](std::int64_t b, std::int64_t e) {
      return std::to_string(b) + ":" + std::to_string(e);
    };
    rec.metadata[key + "units"] = span(first_unit(a), first_unit(a + 1));
    rec.metadata[key + "latent_columns"] = span(a * kLatentsPerArea, (a + 1) * kLatentsPerArea);
    rec.metadata[key + "behavior_latent_columns"] =
        span(a * kLatentsPerArea, a * kLatentsPerArea + kBehaviorLatents);
    rec.metadata[key + "center_um"] = number_text(static_cast<double>(a) * kAreaSpacingUm) + ",0";
    rec.metadata[key + "upstream"] = a > 0 ? area_name(a - 1) : "none";
    if (a > 0)
      rec.metadata[key + "communication_rows"] =
          span((a - 1) * kLatentsPerArea, a * kLatentsPerArea);
  }
  rec.metadata["area_names"] = names;
  rec.metadata["behavior_rate_hz"] = number_text(behavior_rate_hz);
  std::vector<Recording> out;
  out.push_back(std::move(rec));
  return out;
}

}  // namespace neurodl::sim::detail
