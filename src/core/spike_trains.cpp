#include "neurodl/core/spike_trains.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "neurodl/core/error.hpp"

namespace neurodl {

MatrixF bin_spike_times(const std::vector<Unit>& units, double start_time_s,
                        double sample_rate_hz, std::int64_t n_bins) {
  check(sample_rate_hz > 0 && std::isfinite(sample_rate_hz), ErrorKind::config,
        {.component = "spike_trains", .what = "bin rate must be positive and finite",
         .expected = "> 0", .got = std::to_string(sample_rate_hz), .unit = "Hz"});
  check(n_bins >= 0, ErrorKind::config,
        {.component = "spike_trains", .what = "number of bins must not be negative",
         .got = std::to_string(n_bins)});
  MatrixF counts = MatrixF::Zero(n_bins, static_cast<Eigen::Index>(units.size()));
  for (size_t u = 0; u < units.size(); ++u) {
    for (double t : units[u].spike_times_s) {
      const double b = std::floor((t - start_time_s) * sample_rate_hz);
      if (b >= 0 && b < static_cast<double>(n_bins))
        counts(static_cast<Eigen::Index>(b), static_cast<Eigen::Index>(u)) += 1.0f;
    }
  }
  return counts;
}

void bin_units_into_activity(Recording& rec, double sample_rate_hz) {
  double first = INFINITY, last = -INFINITY;
  for (const auto& u : rec.units)
    for (double t : u.spike_times_s)
      if (std::isfinite(t)) {
        first = std::min(first, t);
        last = std::max(last, t);
      }
  if (!std::isfinite(first)) first = last = 0.0;
  const auto n_bins = static_cast<std::int64_t>(std::floor((last - first) * sample_rate_hz)) + 1;
  rec.activity = bin_spike_times(rec.units, first, sample_rate_hz, n_bins);
  rec.kind = ActivityKind::spike_counts;
  rec.sample_rate_hz = sample_rate_hz;
  rec.start_time_s = first;
  rec.timestamps_s.clear();
}

}  // namespace neurodl
