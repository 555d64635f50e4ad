#include "summary.hpp"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "commands.hpp"

namespace neurodl::cli {
namespace {

std::string rate_text(const nlohmann::json& r) {
  return r.is_null() ? std::string("unknown rate") : fmt::format("{:g} Hz", r.get<double>());
}

}  // namespace

nlohmann::json summarize(const Recording& rec) {
  nlohmann::json j;
  j["name"] = rec.name;
  j["kind"] = to_string(rec.kind);
  j["n_samples"] = rec.n_samples();
  j["n_units"] = rec.n_units();
  j["shape"] = {rec.n_samples(), rec.n_units()};
  j["sample_rate_hz"] = number_or_null(rec.sample_rate_hz);
  j["start_time_s"] = rec.start_time_s;
  j["duration_s"] = number_or_null(rec.duration_s());
  j["has_timestamps"] = !rec.timestamps_s.empty();
  j["n_nonfinite"] = count_nonfinite(rec.activity);
  std::map<std::string, std::int64_t> areas;
  std::int64_t n_spikes = 0, n_positions = 0;
  for (const auto& u : rec.units) {
    ++areas[u.area.empty() ? "(none)" : u.area];
    n_spikes += static_cast<std::int64_t>(u.spike_times_s.size());
    if (std::isfinite(u.position_um[0])) ++n_positions;
  }
  j["areas"] = areas;
  j["n_spikes"] = n_spikes;
  j["n_units_with_position"] = n_positions;
  j["behavior"] = nlohmann::json::array();
  for (const auto& b : rec.behavior) {
    nlohmann::json c{{"name", b.name},
                     {"unit", b.unit},
                     {"n_samples", b.values.rows()},
                     {"n_dims", b.values.cols()}};
    c["start_s"] = b.timestamps_s.empty() ? nlohmann::json(nullptr) : nlohmann::json(b.timestamps_s.front());
    c["end_s"] = b.timestamps_s.empty() ? nlohmann::json(nullptr) : nlohmann::json(b.timestamps_s.back());
    j["behavior"].push_back(c);
  }
  std::map<std::int64_t, std::int64_t> per_id;
  for (const auto& e : rec.stimuli.events) ++per_id[e.stimulus_id];
  std::int64_t max_repeats = 0;
  for (const auto& [id, n] : per_id) max_repeats = std::max(max_repeats, n);
  j["stimuli"] = {{"n_events", rec.stimuli.events.size()},
                  {"n_distinct", per_id.size()},
                  {"max_repeats", max_repeats},
                  {"n_images", rec.stimuli.images.rows()},
                  {"image_shape", {rec.stimuli.image_height, rec.stimuli.image_width}}};
  j["truth"] = nlohmann::json::object();
  for (const auto& [name, m] : rec.truth) j["truth"][name] = {m.rows(), m.cols()};
  j["metadata"] = rec.metadata;
  return j;
}

std::string describe(const nlohmann::json& s) {
  std::string out = fmt::format("{} — {} × {} {} at {}", s["name"].get<std::string>(),
                                s["n_samples"].get<std::int64_t>(),
                                s["n_units"].get<std::int64_t>(), s["kind"].get<std::string>(),
                                rate_text(s["sample_rate_hz"]));
  if (!s["duration_s"].is_null()) out += fmt::format(", {:.6g} s", s["duration_s"].get<double>());
  if (s["has_timestamps"].get<bool>()) out += " (explicit timestamps)";
  out += "\n";
  if (s["n_nonfinite"].get<std::int64_t>() > 0)
    out += fmt::format("  activity: {} NaN/Inf entries\n", s["n_nonfinite"].get<std::int64_t>());
  std::string areas;
  for (const auto& [a, n] : s["areas"].items())
    areas += fmt::format("{}{} {}", areas.empty() ? "" : ", ", n.get<std::int64_t>(), a);
  if (!areas.empty()) out += "  units: " + areas;
  if (s["n_units_with_position"].get<std::int64_t>() > 0)
    out += fmt::format("; {} with positions", s["n_units_with_position"].get<std::int64_t>());
  if (s["n_spikes"].get<std::int64_t>() > 0)
    out += fmt::format("; {} spike times", s["n_spikes"].get<std::int64_t>());
  if (!areas.empty()) out += "\n";
  for (const auto& b : s["behavior"])
    out += fmt::format("  behaviour {}: {} samples × {}{}\n", b["name"].get<std::string>(),
                       b["n_samples"].get<std::int64_t>(), b["n_dims"].get<std::int64_t>(),
                       b["unit"].get<std::string>().empty() ? "" : " [" + b["unit"].get<std::string>() + "]");
  const auto& st = s["stimuli"];
  if (st["n_events"].get<std::int64_t>() > 0 || st["n_images"].get<std::int64_t>() > 0) {
    out += fmt::format("  stimuli: {} presentations of {} stimuli (up to {} repeats)",
                       st["n_events"].get<std::int64_t>(), st["n_distinct"].get<std::int64_t>(),
                       st["max_repeats"].get<std::int64_t>());
    if (st["n_images"].get<std::int64_t>() > 0)
      out += fmt::format("; {} images of {}×{} px", st["n_images"].get<std::int64_t>(),
                         st["image_shape"][0].get<std::int64_t>(),
                         st["image_shape"][1].get<std::int64_t>());
    out += "\n";
  }
  if (!s["truth"].empty()) {
    std::string t;
    for (const auto& [name, shape] : s["truth"].items())
      t += fmt::format("{}{} {}×{}", t.empty() ? "" : ", ", name, shape[0].get<std::int64_t>(),
                       shape[1].get<std::int64_t>());
    out += "  truth: " + t + "\n";
  }
  if (!s["metadata"].empty()) {
    std::string m;
    int shown = 0;
    for (const auto& [k, v] : s["metadata"].items()) {
      if (shown++ == 6) {
        m += fmt::format(", … ({} keys)", s["metadata"].size());
        break;
      }
      std::string text = v.get<std::string>();
      if (text.size() > 40) text = text.substr(0, 37) + "...";
      m += fmt::format("{}{}={}", m.empty() ? "" : ", ", k, text);
    }
    out += "  metadata: " + m + "\n";
  }
  return out;
}

}  // namespace neurodl::cli
