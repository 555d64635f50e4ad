#include "neurodl/io/select.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "neurodl/core/error.hpp"

namespace neurodl::io {
namespace {

constexpr const char* kComponent = "io.select";

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep))
    if (!part.empty()) out.push_back(part);
  return out;
}

[[noreturn]] void fail(ErrorKind k, const std::string& spec, const std::string& what,
                       const std::string& expected = {}, const std::string& got = {}) {
  raise(k, {.component = kComponent, .what = what, .expected = expected, .got = got, .file = spec});
}

// Behaviour channel names after `prefix` in `part` (none: every channel); an unknown name fails
// naming the selection and listing the recording's channels.
std::vector<std::string> channel_names(const Recording& rec, const std::string& part,
                                       const std::string& prefix, const std::string& spec) {
  if (rec.behavior.empty()) fail(ErrorKind::config, spec, "recording has no behaviour channels");
  if (part.size() <= prefix.size()) return {};
  const auto names = split(part.substr(prefix.size() + 1), ',');
  for (const auto& n : names) {
    std::string valid;
    bool found = false;
    for (const auto& b : rec.behavior) {
      found = found || b.name == n;
      valid += (valid.empty() ? "" : ", ") + b.name;
    }
    if (!found)
      fail(ErrorKind::config, spec, "unknown behaviour channel", "one of " + valid, "'" + n + "'");
  }
  return names;
}

}  // namespace

Selection select_matrix(const std::string& spec, const ReadOptions& options) {
  // FILE:PART?QUERY. A path may itself hold ':', so split at the last ':' whose prefix exists.
  std::string file = spec, part;
  for (auto pos = spec.rfind(':'); pos != std::string::npos && pos > 0;
       pos = spec.rfind(':', pos - 1)) {
    std::error_code ec;
    if (std::filesystem::exists(spec.substr(0, pos), ec)) {
      file = spec.substr(0, pos);
      part = spec.substr(pos + 1);
      break;
    }
  }
  std::string query;
  if (const auto q = part.find('?'); q != std::string::npos) {
    query = part.substr(q + 1);
    part = part.substr(0, q);
  }
  std::int64_t index = 0;
  std::vector<std::string> areas;
  for (const auto& kv : split(query, '&')) {
    const auto eq = kv.find('=');
    const std::string key = kv.substr(0, eq),
                      value = eq == std::string::npos ? "" : kv.substr(eq + 1);
    if (key == "area") {
      areas = split(value, ',');
    } else if (key == "recording") {
      try {
        index = std::stoll(value);
      } catch (const std::exception&) {
        fail(ErrorKind::config, spec, "recording index is not a number", "an integer", value);
      }
    } else {
      fail(ErrorKind::config, spec, "unknown selection key", "area or recording", "'" + key + "'");
    }
  }

  auto recs = read_recordings(file, options);
  if (recs.empty()) fail(ErrorKind::io, spec, "file holds no recording");
  if (index < 0 || index >= static_cast<std::int64_t>(recs.size()))
    fail(ErrorKind::config, spec, "recording index out of range",
         "0.." + std::to_string(recs.size() - 1), std::to_string(index));
  Recording& rec = recs[static_cast<size_t>(index)];
  Selection sel;
  sel.source = spec;
  sel.sample_rate_hz = rec.sample_rate_hz;
  if (!areas.empty() && part != "activity")
    fail(ErrorKind::config, spec, "?area= applies to activity only", "activity", part);

  if (part.empty() || part == "activity") {
    if (areas.empty()) {
      sel.data = std::move(rec.activity);
    } else {
      std::vector<Eigen::Index> cols;
      std::string known;
      for (size_t u = 0; u < rec.units.size(); ++u)
        for (const auto& a : areas)
          if (rec.units[u].area == a) cols.push_back(static_cast<Eigen::Index>(u));
      for (const auto& a : areas) {
        bool found = false;
        for (const auto& u : rec.units) found = found || u.area == a;
        if (!found) {
          for (const auto& u : rec.units)
            if (!u.area.empty() && known.find("'" + u.area + "'") == std::string::npos)
              known += (known.empty() ? "'" : ", '") + u.area + "'";
          fail(ErrorKind::config, spec, "no units in area",
               known.empty() ? "no areas in file" : known, "'" + a + "'");
        }
      }
      sel.data = rec.activity(Eigen::all, cols);
    }
  } else if (part == "behavior" || part.rfind("behavior/", 0) == 0) {
    sel.data = rec.behavior_on_activity_time(channel_names(rec, part, "behavior", spec));
  } else if (part.rfind("truth/", 0) == 0) {
    const std::string name = part.substr(6);
    const auto it = rec.truth.find(name);
    if (it == rec.truth.end()) {
      std::string known;
      for (const auto& [k, v] : rec.truth) known += (known.empty() ? "" : ", ") + k;
      fail(ErrorKind::config, spec, "no such truth array",
           known.empty() ? "none in file" : "one of " + known, "'" + name + "'");
    }
    if (it->second.rows() != rec.n_samples())
      fail(ErrorKind::shape, spec, "truth array is not sampled on activity time",
           std::to_string(rec.n_samples()) + " rows", std::to_string(it->second.rows()));
    sel.data = it->second;
  } else if (part == "stimuli/images" || part == "stimuli/responses" || part == "stimuli/ids" ||
             part == "stimuli/behavior" || part.rfind("stimuli/behavior/", 0) == 0) {
    // Trial-level matrices: one row per stimulus presentation, in table order.
    const auto& events = rec.stimuli.events;
    if (events.empty()) fail(ErrorKind::config, spec, "recording has no stimulus presentations");
    const bool behavior = part.rfind("stimuli/behavior", 0) == 0;
    const auto names =
        behavior ? channel_names(rec, part, "stimuli/behavior", spec) : std::vector<std::string>{};
    const auto n = static_cast<Eigen::Index>(events.size());
    sel.sample_rate_hz = kNaN;  // rows are presentations, not time samples
    if (part == "stimuli/ids") {
      sel.data.resize(n, 1);
      for (Eigen::Index i = 0; i < n; ++i)
        sel.data(i, 0) = static_cast<float>(events[static_cast<size_t>(i)].stimulus_id);
    } else if (part == "stimuli/images") {
      if (rec.stimuli.images.rows() == 0)
        fail(ErrorKind::config, spec, "recording has no stimulus images");
      sel.data.resize(n, rec.stimuli.images.cols());
      for (Eigen::Index i = 0; i < n; ++i)
        sel.data.row(i) = rec.stimuli.images.row(events[static_cast<size_t>(i)].stimulus_id);
    } else {
      // Activity summed (behaviour, resampled onto activity time, averaged) over each
      // presentation's activity samples [onset, offset): the same samples for both.
      const MatrixF source = behavior ? rec.behavior_on_activity_time(names) : MatrixF();
      const MatrixF& values = behavior ? source : rec.activity;
      const std::vector<double> t = rec.times_s();
      sel.data = MatrixF::Zero(n, values.cols());
      for (Eigen::Index i = 0; i < n; ++i) {
        const auto& e = events[static_cast<size_t>(i)];
        const auto first =
            static_cast<size_t>(std::lower_bound(t.begin(), t.end(), e.onset_s) - t.begin());
        size_t k = first;
        for (; k < t.size() && t[k] < e.offset_s; ++k)
          sel.data.row(i) += values.row(static_cast<Eigen::Index>(k));
        if (!behavior) continue;
        if (k == first)
          fail(ErrorKind::shape, spec, "presentation covers no activity sample",
               "at least one sample in [onset, offset)",
               "presentation " + std::to_string(i) + " at [" + std::to_string(e.onset_s) + ", " +
                   std::to_string(e.offset_s) + ") s");
        sel.data.row(i) /= static_cast<float>(k - first);
      }
    }
  } else {
    fail(ErrorKind::config, spec, "unknown part of a recording",
         "activity, behavior[/NAME], truth/NAME, stimuli/images|responses|ids|behavior[/NAME]",
         "'" + part + "'");
  }
  return sel;
}

void check_paired(const Selection& a, const Selection& b) {
  check(a.data.rows() == b.data.rows(), ErrorKind::shape,
        {.component = kComponent,
         .what = "inputs differ in time samples",
         .expected = std::to_string(a.data.rows()) + " rows (" + a.source + ")",
         .got = std::to_string(b.data.rows()) + " rows (" + b.source + ")"});
  const bool both = !std::isnan(a.sample_rate_hz) && !std::isnan(b.sample_rate_hz);
  check(!both || std::abs(a.sample_rate_hz - b.sample_rate_hz) <= 1e-9 * a.sample_rate_hz,
        ErrorKind::config,
        {.component = kComponent,
         .what = "inputs have different sampling rates",
         .expected = std::to_string(a.sample_rate_hz) + " (" + a.source + ")",
         .got = std::to_string(b.sample_rate_hz) + " (" + b.source + ")",
         .unit = "Hz"});
}

}  // namespace neurodl::io
