// Running, pupil and face-motion traces shared by the `spont` and `images` presets
// (docs/simulator.md, "Behaviour"). One random stream (Purpose::behavior) drives every channel,
// so a preset's other draws do not depend on whether or how behaviour is sampled.

#include <algorithm>
#include <cmath>

#include "detail.hpp"
#include "neurodl/core/random.hpp"

namespace neurodl::sim::detail {

// The OU and low-pass updates are exact discretisations for the step dt (the run/rest switch is
// first order in dt), so the statistics hardly depend on the sampling rate.
//   run/rest: two-state Markov chain, mean bout 4 s running, 6 s resting, starting at rest;
//   speed:    target 20 + 6·OU(τ = 2 s) cm/s while running (0 at rest), low-passed (τ = 0.4 s),
//             plus 0.2 cm/s sensor noise, clipped at 0;
//   pupil:    400 px² · exp(0.25·OU(τ = 10 s) + 0.6·arousal − 0.3), arousal = run state
//             low-passed with τ = 2 s (so pupil follows running slowly);
//   face SVD: component m = OU(τ_m ∈ [0.2, 1.5] s)/sqrt(m + 1) + c_m · speed/20, c_m ≠ 0 for m < 3.
std::vector<BehaviorChannel> simulate_behavior(const std::vector<double>& times_s, double dt,
                                               int face_components, std::uint64_t seed) {
  Rng rng(seed, stream(Purpose::behavior));
  const auto n = static_cast<std::int64_t>(times_s.size());
  const int n_face = face_components;
  MatrixF speed(n, 1), pupil(n, 1), face(n, n_face);
  std::vector<double> tau_face(static_cast<size_t>(n_face)), coupling(tau_face), face_ou(tau_face);
  for (size_t m = 0; m < tau_face.size(); ++m) {
    tau_face[m] = rng.uniform(0.2, 1.5);
    coupling[m] = m == 0 ? 1.5 : m < 3 ? rng.normal(0.0, 0.7) : 0.0;
    face_ou[m] = rng.normal();
  }
  // AR(1) coefficient of a unit-variance OU process: x' = ρx + sqrt(1 − ρ²)ε keeps Var x = 1.
  auto rho_of = [dt](double tau) { return std::exp(-dt / tau); };
  bool running = false;
  double speed_ou = rng.normal(), pupil_ou = rng.normal(), v = 0.0, arousal = 0.0;
  const double rho_speed = rho_of(2.0), rho_pupil = rho_of(10.0);
  const double a_speed = 1.0 - std::exp(-dt / 0.4), a_arousal = 1.0 - std::exp(-dt / 2.0);
  for (std::int64_t j = 0; j < n; ++j) {
    if (rng.uniform() < 1.0 - std::exp(-dt / (running ? 4.0 : 6.0))) running = !running;
    speed_ou = rho_speed * speed_ou + std::sqrt(1 - rho_speed * rho_speed) * rng.normal();
    const double target = running ? std::max(0.0, 20.0 + 6.0 * speed_ou) : 0.0;
    v += (target - v) * a_speed;
    speed(j, 0) = static_cast<float>(std::max(0.0, v + 0.2 * rng.normal()));
    arousal += ((running ? 1.0 : 0.0) - arousal) * a_arousal;
    pupil_ou = rho_pupil * pupil_ou + std::sqrt(1 - rho_pupil * rho_pupil) * rng.normal();
    pupil(j, 0) = static_cast<float>(400.0 * std::exp(0.25 * pupil_ou + 0.6 * arousal - 0.3));
    for (size_t m = 0; m < face_ou.size(); ++m) {
      const double rho = rho_of(tau_face[m]);
      face_ou[m] = rho * face_ou[m] + std::sqrt(1 - rho * rho) * rng.normal();
      face(j, static_cast<Eigen::Index>(m)) = static_cast<float>(
          face_ou[m] / std::sqrt(static_cast<double>(m) + 1.0) + coupling[m] * v / 20.0);
    }
  }
  std::vector<BehaviorChannel> out{{"running_speed", "cm/s", times_s, speed},
                                   {"pupil_area", "px^2", times_s, pupil}};
  if (n_face > 0) out.push_back({"face_motion_svd", "a.u.", times_s, face});
  return out;
}

}  // namespace neurodl::sim::detail
