// The `calcium` preset and the calcium forward model. Spikes come from an inhomogeneous Poisson
// process with a slow, bursty (log-normal OU-modulated) rate; each spike adds a double-exponential
// transient (GCaMP6-like rise 20–100 ms, decay 0.3–1 s; Chen et al. 2013, Nature 499:295), frames
// average the trace over their exposure, the indicator saturates, the baseline drifts slowly and
// Gaussian noise is added at a per-unit level given in CASCADE's standardised units
// (Rupprecht et al. 2021, Nat Neurosci 24:1324). The same neurons and spikes are imaged at every
// frame rate.

#include "neurodl/sim/calcium.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "detail.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/core/random.hpp"
#include "neurodl/core/spike_trains.hpp"

namespace neurodl::sim {

double calcium_kernel(const CalciumKernel& k, double t_s) {
  if (t_s < 0) return 0.0;
  const double td = k.tau_decay_s, tr = k.tau_rise_s;
  const double t_peak = td * tr / (td - tr) * std::log(td / tr);
  const double peak = std::exp(-t_peak / td) - std::exp(-t_peak / tr);
  return k.amplitude * (std::exp(-t_s / td) - std::exp(-t_s / tr)) / peak;
}

std::vector<double> calcium_trace(const std::vector<double>& spike_times_s, const CalciumKernel& k,
                                  double fs_hz, std::int64_t n_frames, double start_time_s) {
  check(k.tau_rise_s > 0 && k.tau_decay_s > k.tau_rise_s && std::isfinite(k.tau_decay_s),
        ErrorKind::config,
        {.component = "sim.calcium",
         .what = "kernel needs 0 < tau_rise < tau_decay",
         .got = detail::number_text(k.tau_rise_s) + ", " + detail::number_text(k.tau_decay_s),
         .unit = "s"});
  check(fs_hz > 0 && std::isfinite(fs_hz) && n_frames >= 0, ErrorKind::config,
        {.component = "sim.calcium",
         .what = "frame rate must be positive and finite",
         .got = detail::number_text(fs_hz),
         .unit = "Hz"});
  const double dt = 1.0 / fs_hz;
  const double td = k.tau_decay_s, tr = k.tau_rise_s;
  const double t_peak = td * tr / (td - tr) * std::log(td / tr);
  const double scale = k.amplitude / (std::exp(-t_peak / td) - std::exp(-t_peak / tr));
  std::vector<double> out(static_cast<size_t>(n_frames), 0.0);
  // Each exponential e^{−(t−s)/τ} is handled by its value E_j at the start a_j of frame j summed
  // over earlier spikes. Its average over the frame [a, a + Δ) is E_j·τ(1 − e^{−Δ/τ})/Δ; a spike
  // at s inside the frame adds τ(1 − e^{−(a+Δ−s)/τ})/Δ. Then E_{j+1} = E_j e^{−Δ/τ} + Σ_in
  // e^{−(a+Δ−s)/τ}. Spikes go to frame floor((s − start)·fs), as bin_spike_times() counts them.
  for (const double sign : {1.0, -1.0}) {
    const double tau = sign > 0 ? td : tr;
    const double decay = std::exp(-dt / tau), avg = tau * (1.0 - decay) / dt;
    double e = 0.0;
    size_t next = 0;
    for (; next < spike_times_s.size() && spike_times_s[next] < start_time_s; ++next)
      e += std::exp(-(start_time_s - spike_times_s[next]) / tau);
    for (std::int64_t j = 0; j < n_frames; ++j) {
      const double end = start_time_s + static_cast<double>(j + 1) * dt;
      double value = e * avg, added = 0.0;
      for (; next < spike_times_s.size() &&
             std::floor((spike_times_s[next] - start_time_s) * fs_hz) <= static_cast<double>(j);
           ++next) {
        const double rest = std::max(0.0, end - spike_times_s[next]);
        value += tau * (1.0 - std::exp(-rest / tau)) / dt;
        added += std::exp(-rest / tau);
      }
      e = e * decay + added;
      out[static_cast<size_t>(j)] += sign * scale * value;
    }
  }
  return out;
}

namespace detail {
namespace {

constexpr std::int64_t kDefaultUnits = 50;
constexpr double kDefaultDurationS = 300.0;
constexpr double kDefaultRatesHz[] = {7.5, 15.0, 30.0, 60.0};
constexpr double kGridS = 0.01;     // the rate process is piecewise constant on 10 ms bins
constexpr double kRateLogSd = 1.0;  // σ of the log-rate modulation (bursty)
constexpr double kFovUm = 500.0;
constexpr double kMinFsHz = 1.0;  // below it the 10 ms rate grid outgrows the frames

struct UnitModel {
  double mean_rate_hz, tau_rate_s;
  CalciumKernel kernel;
  double saturation, noise_level;
  double drift_amp[2], drift_period_s[2], drift_phase[2];
};

UnitModel draw_unit(Rng& rng) {
  UnitModel m{};
  m.mean_rate_hz = std::clamp(rng.lognormal(0.0, 0.8), 0.2, 5.0);
  m.tau_rate_s = rng.uniform(0.5, 3.0);
  m.kernel.tau_rise_s = rng.uniform(0.02, 0.1);
  m.kernel.tau_decay_s = rng.uniform(0.3, 1.0);
  m.kernel.amplitude = rng.lognormal(std::log(0.15), 0.3);
  m.saturation = rng.uniform(1.5, 3.0);
  m.noise_level = rng.uniform(1.0, 8.0);
  for (int q = 0; q < 2; ++q) {
    m.drift_amp[q] = rng.uniform(0.0, 0.02);
    m.drift_period_s[q] = rng.uniform(60.0, 600.0);
    m.drift_phase[q] = rng.uniform(0.0, 2 * std::numbers::pi);
  }
  return m;
}

}  // namespace

std::vector<Recording> simulate_calcium(const SimOptions& options) {
  SimOptions o = options;
  if (o.units == -1) o.units = kDefaultUnits;
  std::vector<double> rates_hz;
  if (std::isnan(o.fs_hz))
    rates_hz.assign(std::begin(kDefaultRatesHz), std::end(kDefaultRatesHz));
  else
    rates_hz = {o.fs_hz};
  check(rates_hz.front() >= kMinFsHz, ErrorKind::config,
        {.component = "sim.calcium",
         .what = "calcium imaging needs a frame rate of at least 1 Hz",
         .expected = ">= 1",
         .got = number_text(rates_hz.front()),
         .unit = "Hz",
         .field = "fs_hz"});
  const auto R = static_cast<std::int64_t>(rates_hz.size());
  const std::int64_t N = o.units;
  std::vector<std::int64_t> frames(static_cast<size_t>(R));
  double duration = 0;
  for (std::int64_t r = 0; r < R; ++r) {
    const auto rr = static_cast<size_t>(r);
    frames[rr] = o.frames != -1
                     ? o.frames
                     : std::max<std::int64_t>(1, std::llround(kDefaultDurationS * rates_hz[rr]));
    duration = std::max(duration, static_cast<double>(frames[rr]) / rates_hz[rr]);
  }

  std::vector<Recording> recs(static_cast<size_t>(R));
  std::vector<MatrixF> counts(static_cast<size_t>(R)), calcium(static_cast<size_t>(R)),
      rates(static_cast<size_t>(R));
  for (std::int64_t r = 0; r < R; ++r) {
    const auto rr = static_cast<size_t>(r);
    auto& rec = recs[rr];
    rec.name = "calcium_" + number_text(rates_hz[rr]) + "Hz";
    rec.kind = ActivityKind::dff;
    rec.sample_rate_hz = rates_hz[rr];
    rec.activity.resize(frames[rr], N);
    rec.units.resize(static_cast<size_t>(N));
    counts[rr].resize(frames[rr], N);
    calcium[rr].resize(frames[rr], N);
    rates[rr].resize(frames[rr], N);
  }
  MatrixF tau_decay(1, N), tau_rise(1, N), amplitude(1, N), noise_level(1, N), saturation(1, N),
      mean_rate(1, N);

  const auto n_grid = static_cast<std::int64_t>(std::ceil(duration / kGridS)) + 1;
  for_unit_blocks(N, "simulate calcium", [&](std::int64_t begin, std::int64_t end) {
    const std::int64_t width = end - begin;
    std::vector<BlockColumns> dff_c, count_c, calcium_c, rate_c;
    for (std::int64_t r = 0; r < R; ++r) {
      dff_c.emplace_back(frames[static_cast<size_t>(r)], width);
      count_c.emplace_back(frames[static_cast<size_t>(r)], width);
      calcium_c.emplace_back(frames[static_cast<size_t>(r)], width);
      rate_c.emplace_back(frames[static_cast<size_t>(r)], width);
    }
    std::vector<double> lambda(static_cast<size_t>(n_grid));
    for (std::int64_t u = 0; u < width; ++u) {
      const std::int64_t i = begin + u;
      Rng prm(o.seed, stream(Purpose::unit_params, static_cast<std::uint64_t>(i)));
      const UnitModel m = draw_unit(prm);
      const double pos_x = prm.uniform(-0.5, 0.5) * kFovUm, pos_y = prm.uniform(-0.5, 0.5) * kFovUm;

      // Rate λ(t) = m·exp(σ x(t) − σ²/2), x a unit-variance OU process (E λ = m), constant on 10 ms
      // bins; spikes: Poisson count per bin with times uniform inside it (exact for that λ).
      Rng spk(o.seed, stream(Purpose::unit_counts, static_cast<std::uint64_t>(i)));
      const double rho = std::exp(-kGridS / m.tau_rate_s);
      double x = spk.normal();
      std::vector<double> spikes;
      for (std::int64_t k = 0; k < n_grid; ++k) {
        const double l = m.mean_rate_hz * std::exp(kRateLogSd * x - 0.5 * kRateLogSd * kRateLogSd);
        lambda[static_cast<size_t>(k)] = l;
        const auto n = spk.poisson(l * kGridS);
        const size_t first = spikes.size();
        for (std::int64_t s = 0; s < n; ++s)
          spikes.push_back((static_cast<double>(k) + spk.uniform()) * kGridS);
        std::sort(spikes.begin() + static_cast<std::ptrdiff_t>(first), spikes.end());
        x = rho * x + std::sqrt(1 - rho * rho) * spk.normal();
      }

      for (std::int64_t r = 0; r < R; ++r) {
        const auto rr = static_cast<size_t>(r);
        const double fs = rates_hz[rr], dt = 1.0 / fs;
        const std::int64_t T = frames[rr];
        const double span = static_cast<double>(T) * dt;
        auto& unit = recs[rr].units[static_cast<size_t>(i)];
        unit.id = std::to_string(i);
        unit.area = "V1";
        unit.position_um = {pos_x, pos_y, 200.0};
        unit.spike_times_s.assign(spikes.begin(),
                                  std::lower_bound(spikes.begin(), spikes.end(), span));
        const MatrixF binned = bin_spike_times({unit}, 0.0, fs, T);
        const auto lin = calcium_trace(unit.spike_times_s, m.kernel, fs, T);
        Rng noise(o.seed, stream(Purpose::unit_noise, (static_cast<std::uint64_t>(r) << 32) |
                                                          static_cast<std::uint64_t>(i)));
        const double sigma = m.noise_level / 100.0 * std::sqrt(fs);
        std::int64_t k = 0;  // grid bin under the frame start
        for (std::int64_t j = 0; j < T; ++j) {
          // Frame-averaged rate: ∫ λ over [j dt, (j+1) dt) divided by dt, bin by bin.
          const double a = static_cast<double>(j) * dt, b = a + dt;
          double integral = 0;
          while (static_cast<double>(k + 1) * kGridS <= a) ++k;
          for (std::int64_t q = k; q < n_grid && static_cast<double>(q) * kGridS < b; ++q) {
            const double lo = std::max(a, static_cast<double>(q) * kGridS);
            const double hi = std::min(b, static_cast<double>(q + 1) * kGridS);
            integral += lambda[static_cast<size_t>(q)] * (hi - lo);
          }
          const double f = saturate(lin[static_cast<size_t>(j)], m.saturation);
          const double tc = a + 0.5 * dt;
          double drift = 0;
          for (int q = 0; q < 2; ++q)
            drift += m.drift_amp[q] *
                     std::sin(2 * std::numbers::pi * tc / m.drift_period_s[q] + m.drift_phase[q]);
          rate_c[rr].at(j, u) = static_cast<float>(integral / dt);
          count_c[rr].at(j, u) = binned(j, 0);
          calcium_c[rr].at(j, u) = static_cast<float>(f);
          dff_c[rr].at(j, u) = static_cast<float>(f + drift + sigma * noise.normal());
        }
      }
      tau_decay(0, i) = static_cast<float>(m.kernel.tau_decay_s);
      tau_rise(0, i) = static_cast<float>(m.kernel.tau_rise_s);
      amplitude(0, i) = static_cast<float>(m.kernel.amplitude);
      noise_level(0, i) = static_cast<float>(m.noise_level);
      saturation(0, i) = static_cast<float>(m.saturation);
      mean_rate(0, i) = static_cast<float>(m.mean_rate_hz);
    }
    for (std::int64_t r = 0; r < R; ++r) {
      const auto rr = static_cast<size_t>(r);
      dff_c[rr].copy_to(recs[rr].activity, begin);
      count_c[rr].copy_to(counts[rr], begin);
      calcium_c[rr].copy_to(calcium[rr], begin);
      rate_c[rr].copy_to(rates[rr], begin);
    }
  });

  std::string rate_list;
  for (double f : rates_hz) rate_list += (rate_list.empty() ? "" : ",") + number_text(f);
  for (std::int64_t r = 0; r < R; ++r) {
    const auto rr = static_cast<size_t>(r);
    auto& rec = recs[rr];
    rec.truth["spike_counts"] = std::move(counts[rr]);
    rec.truth["calcium"] = std::move(calcium[rr]);
    rec.truth["rates"] = std::move(rates[rr]);
    rec.truth["tau_decay_s"] = tau_decay;
    rec.truth["tau_rise_s"] = tau_rise;
    rec.truth["amplitude"] = amplitude;
    rec.truth["noise_level"] = noise_level;
    rec.truth["saturation"] = saturation;
    rec.truth["mean_rate_hz"] = mean_rate;
    SimOptions resolved = o;
    resolved.fs_hz = rates_hz[rr];
    resolved.frames = frames[rr];
    add_common_metadata(rec, resolved, "ΔF/F with known spikes (see docs/simulator.md)");
    rec.metadata["frame_rates_hz"] = rate_list;
    rec.metadata["noise_sd_per_frame"] = "noise_level / 100 * sqrt(fs_hz)";
  }
  return recs;
}

}  // namespace detail
}  // namespace neurodl::sim
