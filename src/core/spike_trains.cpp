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
  // A damaged spike time (say 1e12 s) must not turn into a multi-terabyte matrix: refuse spans
  // whose count matrix would exceed kMaxBinnedEntries.
  const double bins = std::floor((last - first) * sample_rate_hz) + 1;
  const double entries = bins * static_cast<double>(std::max<size_t>(rec.units.size(), 1));
  check(entries <= kMaxBinnedEntries, ErrorKind::config,
        {.component = "spike_trains",
         .what = "spike times span too long to bin at this rate (a damaged time, or pass a lower --fs)",
         .expected = "<= " + std::to_string(static_cast<long long>(kMaxBinnedEntries)) + " bins × units",
         .got = std::to_string(static_cast<long long>(bins)) + " bins × " +
                std::to_string(rec.units.size()) + " units (" + std::to_string(first) + " to " +
                std::to_string(last) + " s)"});
  const auto n_bins = static_cast<std::int64_t>(bins);
  rec.activity = bin_spike_times(rec.units, first, sample_rate_hz, n_bins);
  rec.kind = ActivityKind::spike_counts;
  rec.sample_rate_hz = sample_rate_hz;
  rec.start_time_s = first;
  rec.timestamps_s.clear();
}

}  // namespace neurodl
