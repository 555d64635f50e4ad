#include "neurodl/core/recording.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "neurodl/core/error.hpp"

namespace neurodl {
namespace {

struct KindName {
  ActivityKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {
    {ActivityKind::unknown, "unknown"},   {ActivityKind::fluorescence, "fluorescence"},
    {ActivityKind::dff, "dff"},           {ActivityKind::spike_counts, "spike_counts"},
    {ActivityKind::rates, "rates"},       {ActivityKind::deconvolved, "deconvolved"},
    {ActivityKind::voltage, "voltage"},   {ActivityKind::current, "current"},
    {ActivityKind::lfp, "lfp"},           {ActivityKind::eeg, "eeg"},
    {ActivityKind::ecog, "ecog"},         {ActivityKind::bold, "bold"},
};

// Exact comparison that treats NaN as equal to NaN (round trips must preserve NaN entries).
bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

template <class M>
bool same_matrix(const M& a, const M& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index i = 0; i < a.size(); ++i)
    if (!same(a.data()[i], b.data()[i])) return false;
  return true;
}

bool same_vector(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!same(a[i], b[i])) return false;
  return true;
}

bool increasing(const std::vector<double>& t) {
  for (size_t i = 1; i < t.size(); ++i)
    if (!(t[i] > t[i - 1])) return false;
  return true;
}

}  // namespace

std::string to_string(ActivityKind kind) {
  for (const auto& k : kKindNames)
    if (k.kind == kind) return k.name;
  throw InternalError("to_string: ActivityKind without a name");
}

ActivityKind activity_kind_from_string(const std::string& name) {
  std::string valid;
  for (const auto& k : kKindNames) {
    if (name == k.name) return k.kind;
    valid += (valid.empty() ? "" : ", ") + std::string(k.name);
  }
  raise(ErrorKind::config, {.component = "recording", .what = "unknown activity kind",
                            .expected = "one of " + valid, .got = "'" + name + "'"});
}

bool Unit::operator==(const Unit& o) const {
  return id == o.id && area == o.area && same(position_um[0], o.position_um[0]) &&
         same(position_um[1], o.position_um[1]) && same(position_um[2], o.position_um[2]) &&
         same_vector(spike_times_s, o.spike_times_s);
}

bool BehaviorChannel::operator==(const BehaviorChannel& o) const {
  return name == o.name && unit == o.unit && same_vector(timestamps_s, o.timestamps_s) &&
         same_matrix(values, o.values);
}

bool StimulusTable::operator==(const StimulusTable& o) const {
  if (events.size() != o.events.size()) return false;
  for (size_t i = 0; i < events.size(); ++i) {
    const auto &a = events[i], &b = o.events[i];
    if (!same(a.onset_s, b.onset_s) || !same(a.offset_s, b.offset_s) ||
        a.stimulus_id != b.stimulus_id || a.repeat != b.repeat)
      return false;
  }
  return image_height == o.image_height && image_width == o.image_width &&
         same_matrix(images, o.images);
}

bool Recording::operator==(const Recording& o) const {
  if (truth.size() != o.truth.size()) return false;
  for (const auto& [k, v] : truth) {
    auto it = o.truth.find(k);
    if (it == o.truth.end() || !same_matrix(v, it->second)) return false;
  }
  return name == o.name && same_matrix(activity, o.activity) && kind == o.kind &&
         same(sample_rate_hz, o.sample_rate_hz) && same(start_time_s, o.start_time_s) &&
         same_vector(timestamps_s, o.timestamps_s) && units == o.units &&
         behavior == o.behavior && stimuli == o.stimuli && metadata == o.metadata;
}

double Recording::duration_s() const {
  const auto T = n_samples();
  if (T == 0) return 0.0;
  if (!timestamps_s.empty()) {
    const double span = timestamps_s.back() - timestamps_s.front();
    return T > 1 ? span * static_cast<double>(T) / static_cast<double>(T - 1) : 0.0;
  }
  return std::isnan(sample_rate_hz) ? kNaN : static_cast<double>(T) / sample_rate_hz;
}

std::vector<double> Recording::times_s() const {
  if (!timestamps_s.empty()) return timestamps_s;
  check(!std::isnan(sample_rate_hz), ErrorKind::config,
        {.component = "recording", .what = "sample times unknown: no sampling rate or timestamps",
         .field = name});
  std::vector<double> t(static_cast<size_t>(n_samples()));
  for (size_t i = 0; i < t.size(); ++i) t[i] = start_time_s + static_cast<double>(i) / sample_rate_hz;
  return t;
}

const BehaviorChannel& Recording::behavior_channel(const std::string& channel) const {
  std::string valid;
  for (const auto& b : behavior) {
    if (b.name == channel) return b;
    valid += (valid.empty() ? "" : ", ") + b.name;
  }
  raise(ErrorKind::config,
        {.component = "recording", .what = "unknown behaviour channel",
         .expected = valid.empty() ? "none (the recording has no behaviour)" : "one of " + valid,
         .got = "'" + channel + "'", .field = name});
}

MatrixF Recording::behavior_on_activity_time(const std::vector<std::string>& names,
                                             Resample method) const {
  std::vector<const BehaviorChannel*> chans;
  if (names.empty())
    for (const auto& b : behavior) chans.push_back(&b);
  else
    for (const auto& n : names) chans.push_back(&behavior_channel(n));
  Eigen::Index d = 0;
  for (const auto* c : chans) d += c->values.cols();
  const std::vector<double> t = times_s();
  MatrixF out(static_cast<Eigen::Index>(t.size()), d);
  Eigen::Index col = 0;
  for (const auto* c : chans) {
    const auto& tb = c->timestamps_s;
    check(!tb.empty(), ErrorKind::shape,
          {.component = "recording", .what = "behaviour channel has no samples", .field = c->name});
    // Both time axes are increasing, so one forward sweep finds each bracketing interval: O(T + T_b).
    size_t j = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      while (j + 1 < tb.size() && tb[j + 1] <= t[i]) ++j;
      const auto r = static_cast<Eigen::Index>(i);
      if (t[i] <= tb.front()) {
        out.row(r).segment(col, c->values.cols()) = c->values.row(0);
      } else if (j + 1 >= tb.size()) {
        out.row(r).segment(col, c->values.cols()) = c->values.row(c->values.rows() - 1);
      } else {
        const double w = (t[i] - tb[j]) / (tb[j + 1] - tb[j]);
        const auto a = static_cast<Eigen::Index>(j);
        if (method == Resample::nearest)
          out.row(r).segment(col, c->values.cols()) = c->values.row(w < 0.5 ? a : a + 1);
        else
          out.row(r).segment(col, c->values.cols()) =
              (1.0f - static_cast<float>(w)) * c->values.row(a) +
              static_cast<float>(w) * c->values.row(a + 1);
      }
    }
    col += c->values.cols();
  }
  return out;
}

void Recording::validate(const std::string& source) {
  const auto T = n_samples();
  const auto N = n_units();
  const Problem base{.component = "recording", .file = source};
  auto fail = [&](ErrorKind k, const std::string& field, const std::string& what,
                  const std::string& expected, const std::string& got) {
    Problem p = base;
    p.field = field;
    p.what = what;
    p.expected = expected;
    p.got = got;
    raise(k, p);
  };
  if (units.empty() && N > 0) {
    units.resize(static_cast<size_t>(N));
    for (Eigen::Index i = 0; i < N; ++i) units[static_cast<size_t>(i)].id = std::to_string(i);
  }
  if (static_cast<std::int64_t>(units.size()) != N)
    fail(ErrorKind::shape, "units", "one unit per activity column", std::to_string(N),
         std::to_string(units.size()));
  if (!std::isnan(sample_rate_hz) && !(sample_rate_hz > 0 && std::isfinite(sample_rate_hz)))
    fail(ErrorKind::config, "sample_rate_hz", "sampling rate must be positive and finite",
         "> 0 Hz", std::to_string(sample_rate_hz));
  if (!timestamps_s.empty()) {
    if (static_cast<std::int64_t>(timestamps_s.size()) != T)
      fail(ErrorKind::shape, "timestamps", "one timestamp per activity row", std::to_string(T),
           std::to_string(timestamps_s.size()));
    if (!increasing(timestamps_s))
      fail(ErrorKind::config, "timestamps", "timestamps must be finite and strictly increasing",
           "", "");
  }
  for (const auto& b : behavior) {
    if (static_cast<Eigen::Index>(b.timestamps_s.size()) != b.values.rows())
      fail(ErrorKind::shape, "behavior/" + b.name, "one timestamp per behaviour sample",
           std::to_string(b.values.rows()), std::to_string(b.timestamps_s.size()));
    if (!increasing(b.timestamps_s))
      fail(ErrorKind::config, "behavior/" + b.name,
           "timestamps must be finite and strictly increasing", "", "");
  }
  const auto n_images = stimuli.images.rows();
  if (n_images > 0 && stimuli.images.cols() != stimuli.image_height * stimuli.image_width)
    fail(ErrorKind::shape, "stimuli/images", "pixels per image must be height × width",
         std::to_string(stimuli.image_height * stimuli.image_width),
         std::to_string(stimuli.images.cols()));
  for (const auto& e : stimuli.events) {
    if (n_images > 0 && (e.stimulus_id < 0 || e.stimulus_id >= n_images))
      fail(ErrorKind::shape, "stimuli/stimulus_id", "stimulus id outside the image stack",
           "0.." + std::to_string(n_images - 1), std::to_string(e.stimulus_id));
    if (!(e.offset_s >= e.onset_s))
      fail(ErrorKind::config, "stimuli", "offset before onset", "offset >= onset",
           std::to_string(e.onset_s) + " → " + std::to_string(e.offset_s));
  }
}

}  // namespace neurodl
