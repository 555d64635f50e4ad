// The `images` preset and procedural images. V1-like units see procedurally generated images:
// simple cells are linear–nonlinear Gabor filters (Jones & Palmer 1987, J Neurophysiol 58:1233),
// complex cells the energy of a quadrature pair (Adelson & Bergen 1985, JOSA A 2:284); a
// temporal kernel shapes the response, a gain shared by all units fluctuates from trial to trial
// (Goris, Movshon & Simoncelli 2014, Nat Neurosci 17:858), running multiplies each unit's rate by
// its own gain (Niell & Stryker 2010, Neuron 65:472) and spikes are Poisson given the rate.
// Because the model is known, the expected response to every image and the noise ceiling are
// computed exactly, given the recorded behaviour (docs/simulator.md).

#include "neurodl/sim/images.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <string>

#include "detail.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"

namespace neurodl::sim {
namespace {

constexpr double kTwoPi = 2 * std::numbers::pi;

// Random-phase texture with amplitude 1/|f| (f in cycles per image, DC removed): the real part of
// Σ_f A(f) e^{iφ_f} e^{2πi (f_y y/h + f_x x/w)}, summed separably (rows, then columns):
// O(h·w·(h + w)).
std::vector<double> pink_noise(Rng& rng, std::int64_t h, std::int64_t w) {
  auto signed_freq = [](std::int64_t k, std::int64_t n) { return k <= n / 2 ? k : k - n; };
  std::vector<std::complex<double>> c(static_cast<size_t>(h * w));
  for (std::int64_t ky = 0; ky < h; ++ky)
    for (std::int64_t kx = 0; kx < w; ++kx) {
      const double fy = static_cast<double>(signed_freq(ky, h));
      const double fx = static_cast<double>(signed_freq(kx, w));
      const double f = std::hypot(fx, fy);
      const double phase = kTwoPi * rng.uniform();
      c[static_cast<size_t>(ky * w + kx)] = f > 0 ? std::polar(1.0 / f, phase) : 0.0;
    }
  // B(ky, x) = Σ_kx c(ky, kx) e^{2πi kx x / w}
  std::vector<std::complex<double>> b(static_cast<size_t>(h * w));
  for (std::int64_t ky = 0; ky < h; ++ky)
    for (std::int64_t x = 0; x < w; ++x) {
      std::complex<double> acc = 0;
      for (std::int64_t kx = 0; kx < w; ++kx)
        acc += c[static_cast<size_t>(ky * w + kx)] *
               std::polar(1.0, kTwoPi * static_cast<double>((kx * x) % w) / static_cast<double>(w));
      b[static_cast<size_t>(ky * w + x)] = acc;
    }
  std::vector<double> img(static_cast<size_t>(h * w));
  for (std::int64_t y = 0; y < h; ++y)
    for (std::int64_t x = 0; x < w; ++x) {
      std::complex<double> acc = 0;
      for (std::int64_t ky = 0; ky < h; ++ky)
        acc += b[static_cast<size_t>(ky * w + x)] *
               std::polar(1.0, kTwoPi * static_cast<double>((ky * y) % h) / static_cast<double>(h));
      img[static_cast<size_t>(y * w + x)] = acc.real();
    }
  return img;
}

void normalise_contrast(std::vector<double>& v) {
  double mean = 0, ss = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double& x : v) {
    x -= mean;
    ss += x * x;
  }
  const double sd = std::sqrt(ss / static_cast<double>(v.size()));
  if (sd > 0)
    for (double& x : v) x /= sd;
}

}  // namespace

std::string to_string(ImageKind kind) {
  switch (kind) {
    case ImageKind::pink_noise:
      return "pink_noise";
    case ImageKind::gabor:
      return "gabor";
    case ImageKind::grating:
      return "grating";
  }
  throw InternalError("to_string: ImageKind without a name");
}

std::vector<double> gabor(const GaborParams& g, std::int64_t height, std::int64_t width) {
  std::vector<double> v(static_cast<size_t>(height * width));
  const double c = std::cos(g.orientation_rad), s = std::sin(g.orientation_rad);
  const double inv_two_var = 1.0 / (2.0 * g.sigma_px * g.sigma_px);  // 0 for an infinite σ
  for (std::int64_t y = 0; y < height; ++y)
    for (std::int64_t x = 0; x < width; ++x) {
      const double dx = static_cast<double>(x) - g.x_px, dy = static_cast<double>(y) - g.y_px;
      const double xr = dx * c + dy * s, yr = -dx * s + dy * c;
      v[static_cast<size_t>(y * width + x)] =
          std::cos(kTwoPi * g.sf_cyc_per_px * xr + g.phase_rad) *
          std::exp(-(xr * xr + yr * yr) * inv_two_var);
    }
  return v;
}

MatrixF procedural_images(std::int64_t n, std::int64_t height, std::int64_t width,
                          std::uint64_t seed, std::uint64_t stream) {
  check(n >= 1 && height >= 4 && width >= 4, ErrorKind::config,
        {.component = "sim.images",
         .what = "need at least one image of at least 4 × 4 pixels",
         .got = std::to_string(n) + " × " + shape_string(height, width)});
  Rng rng(seed, stream);
  const double side = static_cast<double>(std::min(height, width));
  MatrixF out(n, height * width);
  for (std::int64_t i = 0; i < n; ++i) {
    std::vector<double> img;
    switch (static_cast<ImageKind>(i % 3)) {
      case ImageKind::pink_noise:
        img = pink_noise(rng, height, width);
        break;
      case ImageKind::gabor: {
        // One patch: 2–8 cycles per image, envelope σ of 8–20 % of the side, anywhere central.
        GaborParams g{.x_px = rng.uniform(0.25, 0.75) * static_cast<double>(width - 1),
                      .y_px = rng.uniform(0.25, 0.75) * static_cast<double>(height - 1),
                      .orientation_rad = rng.uniform(0, std::numbers::pi),
                      .sf_cyc_per_px = rng.uniform(2.0, 8.0) / side,
                      .phase_rad = rng.uniform(0, kTwoPi),
                      .sigma_px = rng.uniform(0.08, 0.2) * side};
        img = gabor(g, height, width);
        break;
      }
      case ImageKind::grating: {
        GaborParams g{.orientation_rad = rng.uniform(0, std::numbers::pi),
                      .sf_cyc_per_px = rng.uniform(1.5, 8.0) / side,
                      .phase_rad = rng.uniform(0, kTwoPi),
                      .sigma_px = std::numeric_limits<double>::infinity()};
        img = gabor(g, height, width);
        break;
      }
    }
    normalise_contrast(img);
    for (std::int64_t p = 0; p < height * width; ++p)
      out(i, p) = static_cast<float>(img[static_cast<size_t>(p)]);
  }
  return out;
}

namespace detail {
namespace {

constexpr std::int64_t kDefaultUnits = 200;
constexpr std::int64_t kDefaultImages = 120;
constexpr std::int64_t kDefaultRepeats = 10;
constexpr std::int64_t kDefaultPx = 32;
constexpr double kDefaultFsHz = 30.0;
constexpr double kOnS = 0.5, kOffS = 0.5;  // stimulus on, then grey screen
constexpr double kGainLogSd = 0.3;         // σ_g of the shared log-normal trial gain
constexpr double kComplexFraction = 0.4;
constexpr double kFovUm = 500.0;

// ∫_0^s H(u) du for H the CDF of a Gamma(2, τ) (alpha-function) kernel:
// G(s) = s − 2τ + e^{−s/τ}(s + 2τ) for s > 0, else 0.
double alpha_cdf_integral(double s, double tau) {
  return s <= 0 ? 0.0 : s - 2 * tau + std::exp(-s / tau) * (s + 2 * tau);
}

}  // namespace

std::vector<Recording> simulate_images(const SimOptions& options) {
  SimOptions o = options;
  if (o.units == -1) o.units = kDefaultUnits;
  if (o.n_images == -1) o.n_images = kDefaultImages;
  if (o.repeats == -1) o.repeats = kDefaultRepeats;
  if (o.image_px == -1) o.image_px = kDefaultPx;
  if (std::isnan(o.fs_hz)) o.fs_hz = kDefaultFsHz;
  if (std::isnan(o.behavior_gain)) o.behavior_gain = 0.0;
  const double fs = o.fs_hz, dt = 1.0 / fs;
  const std::int64_t on = std::max<std::int64_t>(1, std::llround(kOnS * fs));
  const std::int64_t W = on + std::max<std::int64_t>(1, std::llround(kOffS * fs));
  if (o.frames == -1) o.frames = o.n_images * o.repeats * W;
  check(o.frames >= W, ErrorKind::config,
        {.component = "sim.images",
         .what = "frames must hold at least one trial",
         .expected = ">= " + std::to_string(W),
         .got = std::to_string(o.frames),
         .field = "frames"});
  const std::int64_t T = o.frames, N = o.units, S = o.n_images, px = o.image_px, P = T / W;
  const std::int64_t n_pixels = px * px;

  Recording rec;
  rec.name = "images";
  rec.kind = ActivityKind::spike_counts;
  rec.sample_rate_hz = fs;
  rec.activity.resize(T, N);
  rec.stimuli.images = procedural_images(S, px, px, o.seed, stream(Purpose::images));
  rec.stimuli.image_height = rec.stimuli.image_width = px;

  // Behaviour on the frame clock (timestamps = activity times, so resampling is the identity),
  // from its own stream: the other draws are those of a recording without behaviour. Running
  // enters the rates as its z-score over the recording.
  rec.behavior = simulate_behavior(rec.times_s(), dt, 0, o.seed);
  std::vector<double> run_z(static_cast<size_t>(T));
  double run_mean = 0, run_sd = 0;
  for (std::int64_t t = 0; t < T; ++t) run_mean += rec.behavior[0].values(t, 0);
  run_mean /= static_cast<double>(T);
  for (std::int64_t t = 0; t < T; ++t) {
    run_z[static_cast<size_t>(t)] = rec.behavior[0].values(t, 0) - run_mean;
    run_sd += run_z[static_cast<size_t>(t)] * run_z[static_cast<size_t>(t)];
  }
  run_sd = std::sqrt(run_sd / static_cast<double>(T));
  if (run_sd > 0)  // a recording that never runs has z = 0
    for (double& z : run_z) z /= run_sd;

  // Presentations: consecutive blocks, each a random permutation of all images (block b holds
  // repeat b); each trial has its own shared gain g = exp(σ_g ε − σ_g²/2), E[g] = 1.
  Rng pres(o.seed, stream(Purpose::presentations));
  std::vector<std::int64_t> image_of(static_cast<size_t>(P));
  MatrixF trial_gain(P, 1);
  std::vector<std::int64_t> perm;
  for (std::int64_t p = 0; p < P; ++p) {
    if (p % S == 0) perm = pres.permutation(S);
    image_of[static_cast<size_t>(p)] = perm[static_cast<size_t>(p % S)];
    trial_gain(p, 0) =
        static_cast<float>(std::exp(kGainLogSd * pres.normal() - 0.5 * kGainLogSd * kGainLogSd));
    rec.stimuli.events.push_back({.onset_s = static_cast<double>(p * W) * dt,
                                  .offset_s = static_cast<double>(p * W + on) * dt,
                                  .stimulus_id = image_of[static_cast<size_t>(p)],
                                  .repeat = p / S});
  }
  const double gain_var = std::expm1(kGainLogSd * kGainLogSd);  // Var g = e^{σ²} − 1

  MatrixF rates(T, N), mean_response(S, N), noise_ceiling(1, N), rfs(N, n_pixels);
  MatrixF rf_params(N, 6), complex_cell(1, N), baseline(1, N), stim_gain(1, N);
  MatrixF stim_drive(S, N), kernel(W, N), behavior_gain(1, N);
  rec.units.resize(static_cast<size_t>(N));
  const MatrixD images = rec.stimuli.images.cast<double>();

  for_unit_blocks(N, "simulate images", [&](std::int64_t begin, std::int64_t end) {
    const std::int64_t width = end - begin;
    BlockColumns rate_cols(T, width), count_cols(T, width);
    for (std::int64_t u = 0; u < width; ++u) {
      const std::int64_t i = begin + u;
      Rng rng(o.seed, stream(Purpose::unit_params, static_cast<std::uint64_t>(i)));
      // Position in a 500 µm field of view; the RF centre follows it (retinotopy) with scatter.
      const double pos_x = rng.uniform(-0.5, 0.5), pos_y = rng.uniform(-0.5, 0.5);
      auto& unit = rec.units[static_cast<size_t>(i)];
      unit.id = std::to_string(i);
      unit.area = "V1";
      unit.position_um = {pos_x * kFovUm, pos_y * kFovUm,
                          150.0 + 50.0 * static_cast<double>(rng.below(4))};
      const double pxd = static_cast<double>(px), scatter = 1.5 * pxd / 32.0;
      const double sf_cpi = rng.lognormal(std::log(3.5), 0.35);  // cycles per image
      GaborParams g{.x_px = std::clamp(pxd * (0.5 + 0.5 * pos_x) - 0.5 + rng.normal(0, scatter),
                                       0.0, pxd - 1),
                    .y_px = std::clamp(pxd * (0.5 + 0.5 * pos_y) - 0.5 + rng.normal(0, scatter),
                                       0.0, pxd - 1),
                    .orientation_rad = rng.uniform(0, std::numbers::pi),
                    .sf_cyc_per_px = sf_cpi / pxd,
                    .phase_rad = rng.uniform(0, kTwoPi),
                    .sigma_px = std::min(0.45 * pxd / sf_cpi, pxd / 3.0)};
      const bool is_complex = rng.bernoulli(kComplexFraction);
      const double beta = rng.normal(0.5, 0.5);                 // spontaneous drive
      const double alpha = rng.lognormal(std::log(3.0), 0.35);  // stimulus gain
      const double latency = rng.uniform(0.03, 0.06), tau = rng.uniform(0.03, 0.06);
      // Running gain γ ~ N(G, (|G|/2)²), drawn after the parameters above so that they do not
      // depend on G; G = 0 gives γ = 0 exactly.
      const double gamma = o.behavior_gain + 0.5 * std::abs(o.behavior_gain) * rng.normal();

      // Unit-norm even (and odd, quadrature) filters.
      auto unit_norm = [](std::vector<double> v) {
        double n2 = 0;
        for (double x : v) n2 += x * x;
        for (double& x : v) x /= std::sqrt(n2);
        return v;
      };
      const auto even = unit_norm(gabor(g, px, px));
      GaborParams go = g;
      go.phase_rad += std::numbers::pi / 2;
      const auto odd = unit_norm(gabor(go, px, px));
      const Eigen::Map<const Eigen::VectorXd> ev(even.data(), n_pixels), od(odd.data(), n_pixels);
      // Stimulus drive: simple z = g·x; complex z = sqrt((g_e·x)² + (g_o·x)²); then standardised
      // over the image set so that α sets the dynamic range whatever the image statistics.
      Eigen::VectorXd z = images * ev;
      if (is_complex) z = (z.array().square() + (images * od).array().square()).sqrt();
      z.array() -= z.mean();
      const double sd = std::sqrt(z.squaredNorm() / static_cast<double>(S));
      if (sd > 0) z /= sd;

      // Frame-averaged temporal kernel κ_j: the stimulus box [0, on·dt) filtered by an alpha
      // function with latency L and time constant τ, averaged over frame j of the trial.
      std::vector<double> kappa(static_cast<size_t>(W));
      const double d_on = static_cast<double>(on) * dt;
      for (std::int64_t j = 0; j < W; ++j) {
        const double t0 = static_cast<double>(j) * dt - latency, t1 = t0 + dt;
        kappa[static_cast<size_t>(j)] =
            (alpha_cdf_integral(t1, tau) - alpha_cdf_integral(t0, tau) -
             alpha_cdf_integral(t1 - d_on, tau) + alpha_cdf_integral(t0 - d_on, tau)) /
            dt;
        kernel(j, i) = static_cast<float>(kappa[static_cast<size_t>(j)]);
      }

      // Running gain h_pj = exp(γ z) in frame j of trial p, through its first two moments over
      // the P trials: h̄_j = mean_p h_pj and M_jk = mean_p h_pj h_pk. O(P·W²); with γ = 0, h ≡ 1.
      std::vector<double> h_mean(static_cast<size_t>(W), 1.0), h_second;
      if (gamma != 0) {
        std::fill(h_mean.begin(), h_mean.end(), 0.0);
        h_second.assign(static_cast<size_t>(W * W), 0.0);
        std::vector<double> h(static_cast<size_t>(W));
        for (std::int64_t p = 0; p < P; ++p) {
          for (std::int64_t j = 0; j < W; ++j)
            h[static_cast<size_t>(j)] = std::exp(gamma * run_z[static_cast<size_t>(p * W + j)]);
          for (std::int64_t j = 0; j < W; ++j) {
            h_mean[static_cast<size_t>(j)] += h[static_cast<size_t>(j)];
            for (std::int64_t k = 0; k < W; ++k)
              h_second[static_cast<size_t>(j * W + k)] +=
                  h[static_cast<size_t>(j)] * h[static_cast<size_t>(k)];
          }
        }
        for (double& v : h_mean) v /= static_cast<double>(P);
        for (double& v : h_second) v /= static_cast<double>(P);
      }

      // Expected count of image s in a trial window, averaged over the trial gain g and over the
      // trial (hence the behaviour) it falls in: with f_sj = softplus(β + α z_s κ_j) and
      // X_s = Σ_j f_sj h_pj dt, m_s = E X_s = Σ_j f_sj h̄_j dt and E X_s² = dt² fᵀMf. Then
      // Var(R | s) = m_s + Var(g)·E X_s² + (E X_s² − m_s²), and the noise ceiling is
      // Var_s m / (Var_s m + E_s m + Var(g)·E_s E X² + E_s(E X² − m²)) (docs/simulator.md);
      // with γ = 0 (E X² = m²) it is the ceiling of generator version 1, bit for bit.
      double m1 = 0, m2 = 0, x2 = 0;
      std::vector<double> f(static_cast<size_t>(W));
      for (std::int64_t s = 0; s < S; ++s) {
        double mu = 0;
        for (std::int64_t j = 0; j < W; ++j) {
          f[static_cast<size_t>(j)] = softplus(beta + alpha * z[s] * kappa[static_cast<size_t>(j)]);
          mu += f[static_cast<size_t>(j)] * h_mean[static_cast<size_t>(j)] * dt;
        }
        double ex2 = mu * mu;
        if (gamma != 0) {
          ex2 = 0;
          for (std::int64_t j = 0; j < W; ++j)
            for (std::int64_t k = 0; k < W; ++k)
              ex2 += f[static_cast<size_t>(j)] * h_second[static_cast<size_t>(j * W + k)] *
                     f[static_cast<size_t>(k)];
          ex2 *= dt * dt;
        }
        mean_response(s, i) = static_cast<float>(mu);
        stim_drive(s, i) = static_cast<float>(z[s]);
        m1 += mu;
        m2 += mu * mu;
        x2 += ex2;
      }
      m1 /= static_cast<double>(S);
      m2 /= static_cast<double>(S);
      x2 /= static_cast<double>(S);
      const double var_stim = std::max(0.0, m2 - m1 * m1);
      noise_ceiling(0, i) =
          static_cast<float>(var_stim / (var_stim + m1 + gain_var * x2 + (x2 - m2)));

      // Time series: rate = g_p·softplus(β + α z_{s_p} κ_j)·exp(γ z_t) in trial p; grey frames
      // after the last whole trial have g = 1 and no stimulus. Counts ~ Poisson(rate·dt).
      Rng counts(o.seed, stream(Purpose::unit_counts, static_cast<std::uint64_t>(i)));
      for (std::int64_t t = 0; t < T; ++t) {
        const std::int64_t p = t / W, j = t % W;
        double rate = softplus(beta);
        if (p < P)
          rate = trial_gain(p, 0) * softplus(beta + alpha * z[image_of[static_cast<size_t>(p)]] *
                                                        kappa[static_cast<size_t>(j)]);
        if (gamma != 0) rate *= std::exp(gamma * run_z[static_cast<size_t>(t)]);
        rate_cols.at(t, u) = static_cast<float>(rate);
        count_cols.at(t, u) = static_cast<float>(counts.poisson(rate * dt));
      }
      for (std::int64_t q = 0; q < n_pixels; ++q)
        rfs(i, q) = static_cast<float>(even[static_cast<size_t>(q)]);
      rf_params.row(i) << static_cast<float>(g.x_px), static_cast<float>(g.y_px),
          static_cast<float>(g.orientation_rad), static_cast<float>(g.sf_cyc_per_px),
          static_cast<float>(g.phase_rad), static_cast<float>(g.sigma_px);
      complex_cell(0, i) = is_complex ? 1.0f : 0.0f;
      baseline(0, i) = static_cast<float>(beta);
      stim_gain(0, i) = static_cast<float>(alpha);
      behavior_gain(0, i) = static_cast<float>(gamma);
    }
    rate_cols.copy_to(rates, begin);
    count_cols.copy_to(rec.activity, begin);
  });

  rec.truth["rates"] = std::move(rates);
  rec.truth["mean_response"] = std::move(mean_response);
  rec.truth["noise_ceiling"] = std::move(noise_ceiling);
  rec.truth["receptive_fields"] = std::move(rfs);
  rec.truth["rf_params"] = std::move(rf_params);
  rec.truth["complex_cell"] = std::move(complex_cell);
  rec.truth["trial_gain"] = std::move(trial_gain);
  rec.truth["baseline_drive"] = std::move(baseline);
  rec.truth["stimulus_gain"] = std::move(stim_gain);
  rec.truth["stimulus_drive"] = std::move(stim_drive);
  rec.truth["temporal_kernel"] = std::move(kernel);
  rec.truth["behavior_gain"] = std::move(behavior_gain);
  add_common_metadata(rec, o, "V1-like units viewing procedural images (see docs/simulator.md)");
  rec.metadata["trial_frames"] = std::to_string(W);
  rec.metadata["on_frames"] = std::to_string(on);
  rec.metadata["gain_log_sd"] = number_text(kGainLogSd);
  rec.metadata["image_kinds"] = "image i has kind i mod 3: 0 pink_noise, 1 gabor, 2 grating";
  rec.metadata["rf_params_columns"] = "x_px,y_px,orientation_rad,sf_cyc_per_px,phase_rad,sigma_px";
  rec.metadata["behavior_rate_hz"] = number_text(fs);
  rec.metadata["running_mean_cm_s"] = number_text(run_mean);
  rec.metadata["running_sd_cm_s"] = number_text(run_sd);
  std::vector<Recording> out;
  out.push_back(std::move(rec));
  return out;
}

}  // namespace detail
}  // namespace neurodl::sim
