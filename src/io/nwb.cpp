// NWB 2.x reader. Objects are recognised by their `neurodata_type` attribute (found by walking
// every group of the file), never by the paths one lab or one converter happens to use.
// docs/readers/nwb.md lists what maps to what; keep it in step with this file.
//
// Reference: NWB core schema 2.x (nwb-schema, https://nwb-schema.readthedocs.io) and
// hdmf-common's DynamicTable / VectorData / VectorIndex / DynamicTableRegion.
#include "neurodl/io/nwb.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "hdf5_util.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/core/spike_trains.hpp"

namespace neurodl::io {
namespace {

constexpr const char* kComponent = "io.nwb";

// What a TimeSeries-like group becomes.
enum class Role {
  activity,        // one Recording (T × channels)
  sweep_stimulus,  // a behaviour channel of the recording with the same sweep_number
  behavior,        // a behaviour channel of every recording
  skip,            // images, text, intervals: nothing numeric to put on a time axis
};

struct SeriesType {
  Role role;
  ActivityKind kind;  // for activity; unknown: decided by the container or the data's unit
};

// neurodata_type → role. Types not listed here (TimeSeries, SpatialSeries, extensions) are
// judged by where they sit: see generic_role().
const std::map<std::string, SeriesType>& series_types() {
  static const std::map<std::string, SeriesType> kTypes = {
      {"RoiResponseSeries", {Role::activity, ActivityKind::unknown}},
      {"ElectricalSeries", {Role::activity, ActivityKind::voltage}},
      {"SpikeEventSeries", {Role::activity, ActivityKind::voltage}},
      {"PatchClampSeries", {Role::activity, ActivityKind::unknown}},
      {"CurrentClampSeries", {Role::activity, ActivityKind::voltage}},
      {"IZeroClampSeries", {Role::activity, ActivityKind::voltage}},
      {"VoltageClampSeries", {Role::activity, ActivityKind::current}},
      {"CurrentClampStimulusSeries", {Role::sweep_stimulus, ActivityKind::unknown}},
      {"VoltageClampStimulusSeries", {Role::sweep_stimulus, ActivityKind::unknown}},
      {"SpatialSeries", {Role::behavior, ActivityKind::unknown}},  // position, even if 2-D
      {"ImageSeries", {Role::skip, ActivityKind::unknown}},
      {"TwoPhotonSeries", {Role::skip, ActivityKind::unknown}},
      {"OnePhotonSeries", {Role::skip, ActivityKind::unknown}},
      {"OpticalSeries", {Role::skip, ActivityKind::unknown}},
      {"ImageMaskSeries", {Role::skip, ActivityKind::unknown}},
      {"IndexSeries", {Role::skip, ActivityKind::unknown}},
      {"IntervalSeries", {Role::skip, ActivityKind::unknown}},
      {"AnnotationSeries", {Role::skip, ActivityKind::unknown}},
      {"DecompositionSeries", {Role::skip, ActivityKind::unknown}},
  };
  return kTypes;
}

// The container an activity series sits in says what it measures (RoiResponseSeries in DfOverF
// is ΔF/F, in Fluorescence raw F; ElectricalSeries in LFP is a field potential).
const std::map<std::string, ActivityKind>& container_kinds() {
  static const std::map<std::string, ActivityKind> kKinds = {
      {"Fluorescence", ActivityKind::fluorescence},
      {"DfOverF", ActivityKind::dff},
      {"LFP", ActivityKind::lfp},
      {"FilteredEphys", ActivityKind::voltage},
  };
  return kKinds;
}

// Otherwise the data's unit attribute decides.
const std::map<std::string, ActivityKind>& unit_kinds() {
  static const std::map<std::string, ActivityKind> kKinds = {
      {"volts", ActivityKind::voltage},  {"volt", ActivityKind::voltage},
      {"V", ActivityKind::voltage},      {"mV", ActivityKind::voltage},
      {"amperes", ActivityKind::current}, {"ampere", ActivityKind::current},
      {"A", ActivityKind::current},      {"pA", ActivityKind::current},
  };
  return kKinds;
}

// Columns of a TimeIntervals table taken as the stimulus id, in order of preference.
constexpr const char* kStimulusIdColumns[] = {"stimulus_id", "stim_id", "condition"};

std::string basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }
std::string parent(const std::string& path) {
  const size_t p = path.rfind('/');
  return p == 0 || p == std::string::npos ? std::string("/") : path.substr(0, p);
}
bool under(const std::string& path, const std::string& top) {
  return path.rfind(top + "/", 0) == 0;
}

// One TimeSeries, read: T × d values with the unit conversion applied, and its time axis.
struct Series {
  std::string path;
  std::string unit;
  MatrixF data;
  double rate_hz = kNaN;          // from starting_time's rate, or from regular timestamps
  bool rate_stored = false;       // true when the file stored the rate itself
  double start_s = 0.0;
  std::vector<double> timestamps; // empty when the rate defines the time axis

  std::vector<double> times() const {
    if (!timestamps.empty()) return timestamps;
    std::vector<double> t(static_cast<size_t>(data.rows()));
    for (size_t i = 0; i < t.size(); ++i) t[i] = start_s + static_cast<double>(i) / rate_hz;
    return t;
  }
};

// Imaging timestamps jitter slightly; call them regular when every interval is within 1 % of the
// mean, and report the mean rate so that rate-based methods can run on them.
double rate_of_regular(const std::vector<double>& t) {
  if (t.size() < 2) return kNaN;
  const double mean = (t.back() - t.front()) / static_cast<double>(t.size() - 1);
  if (!(mean > 0) || !std::isfinite(mean)) return kNaN;
  for (size_t i = 1; i < t.size(); ++i)
    if (std::abs((t[i] - t[i - 1]) - mean) > 0.01 * mean) return kNaN;
  return 1.0 / mean;
}

// True when the data is numeric with rank 1 or 2, i.e. fits a T × d matrix.
bool numeric_matrix(const h5::File& f, const std::string& data) {
  if (!f.is_dataset(data)) return false;
  const H5T_class_t c = f.type_class(data);
  const size_t rank = f.dims(data).size();
  return (c == H5T_FLOAT || c == H5T_INTEGER) && (rank == 1 || rank == 2);
}

bool looks_like_time_series(const h5::File& f, const std::string& g) {
  return f.exists(g + "/data") &&
         (f.exists(g + "/starting_time") || f.exists(g + "/timestamps"));
}

Series read_series(const h5::File& f, const std::string& g) {
  Series s;
  s.path = g;
  const std::string data = g + "/data";
  s.unit = f.attr_string(data, "unit").value_or("");
  s.data = f.read_matrix(data);
  // Stored values times conversion, plus offset (NWB ≥ 2.4), give values in `unit`; an
  // ElectricalSeries may add a per-channel factor (channel_conversion).
  const double conversion = f.attr_double(data, "conversion").value_or(1.0);
  const double offset = f.attr_double(data, "offset").value_or(0.0);
  std::vector<double> per_channel;
  if (f.is_dataset(g + "/channel_conversion")) {
    per_channel = f.read_doubles(g + "/channel_conversion");
    if (static_cast<Eigen::Index>(per_channel.size()) != s.data.cols())
      f.fail(ErrorKind::shape, g + "/channel_conversion", "one factor per channel",
             std::to_string(s.data.cols()), std::to_string(per_channel.size()));
  }
  if (conversion != 1.0 || offset != 0.0 || !per_channel.empty()) {
    for (Eigen::Index i = 0; i < s.data.rows(); ++i)
      for (Eigen::Index j = 0; j < s.data.cols(); ++j) {
        const double c = per_channel.empty() ? conversion
                                             : conversion * per_channel[static_cast<size_t>(j)];
        s.data(i, j) = static_cast<float>(static_cast<double>(s.data(i, j)) * c + offset);
      }
  }
  const std::string st = g + "/starting_time";
  if (f.is_dataset(st)) {
    s.start_s = f.read_scalar(st);
    const auto rate = f.attr_double(st, "rate");
    if (!rate || !(*rate > 0) || !std::isfinite(*rate))
      f.fail(ErrorKind::io, st, "starting_time needs a positive 'rate' attribute", "> 0 Hz",
             rate ? std::to_string(*rate) : "none");
    s.rate_hz = *rate;
    s.rate_stored = true;
  } else if (f.is_dataset(g + "/timestamps")) {
    s.timestamps = f.read_doubles(g + "/timestamps");
    if (static_cast<Eigen::Index>(s.timestamps.size()) != s.data.rows())
      f.fail(ErrorKind::shape, g + "/timestamps", "one timestamp per row of data",
             std::to_string(s.data.rows()), std::to_string(s.timestamps.size()));
    if (!s.timestamps.empty()) s.start_s = s.timestamps.front();
    s.rate_hz = rate_of_regular(s.timestamps);
  } else {
    f.fail(ErrorKind::io, g, "time series has neither starting_time nor timestamps");
  }
  return s;
}

// Ids (and locations) of the table rows a DynamicTableRegion column selects: the ROIs of a
// RoiResponseSeries (`rois` → PlaneSegmentation) or the channels of an ElectricalSeries
// (`electrodes` → electrodes table). Falls back to "0".."n-1" when anything is missing.
std::vector<Unit> numbered_units(size_t n) {
  std::vector<Unit> units(n);
  for (size_t i = 0; i < n; ++i) units[i].id = std::to_string(i);
  return units;
}

std::vector<Unit> region_units(const h5::File& f, const std::string& region, size_t n) {
  std::vector<Unit> units = numbered_units(n);
  try {
    if (!f.is_dataset(region)) return units;
    const auto rows = f.read_int64s(region);
    const auto table = f.attr_reference_path(region, "table");
    if (rows.size() != n || !table || !f.is_dataset(*table + "/id")) return units;
    const auto ids = f.read_int64s(*table + "/id");
    std::vector<std::string> locations;
    if (f.is_dataset(*table + "/location") && f.type_class(*table + "/location") == H5T_STRING)
      locations = f.read_strings(*table + "/location");
    for (size_t i = 0; i < n; ++i) {
      if (rows[i] < 0 || static_cast<size_t>(rows[i]) >= ids.size()) return numbered_units(n);
      const auto row = static_cast<size_t>(rows[i]);
      units[i].id = std::to_string(ids[row]);
      if (row < locations.size()) units[i].area = locations[row];
    }
  } catch (const Error&) {
    return numbered_units(n);
  }
  return units;
}

// The Units table (ecephys): ragged spike_times via spike_times_index (end offsets), ids from
// `id`, area from a `location` column or from the referenced electrode groups' location.
std::vector<Unit> read_units_table(const h5::File& f, const std::string& g) {
  const auto ids = f.read_int64s(g + "/id");
  const size_t n = ids.size();
  std::vector<Unit> units(n);
  for (size_t i = 0; i < n; ++i) units[i].id = std::to_string(ids[i]);
  if (f.is_dataset(g + "/spike_times")) {
    const auto times = f.read_doubles(g + "/spike_times");
    std::vector<std::int64_t> ends;
    if (f.is_dataset(g + "/spike_times_index")) {
      ends = f.read_int64s(g + "/spike_times_index");
    } else if (n == 1) {
      ends = {static_cast<std::int64_t>(times.size())};  // one unit needs no index
    }
    if (ends.size() != n)
      f.fail(ErrorKind::shape, g + "/spike_times_index", "one end offset per unit",
             std::to_string(n), std::to_string(ends.size()));
    std::int64_t begin = 0;
    for (size_t i = 0; i < n; ++i) {
      if (ends[i] < begin || ends[i] > static_cast<std::int64_t>(times.size()))
        f.fail(ErrorKind::shape, g + "/spike_times_index",
               "end offsets must be non-decreasing and within spike_times",
               "≤ " + std::to_string(times.size()), std::to_string(ends[i]));
      units[i].spike_times_s.assign(times.begin() + begin, times.begin() + ends[i]);
      std::sort(units[i].spike_times_s.begin(), units[i].spike_times_s.end());
      begin = ends[i];
    }
  }
  if (f.is_dataset(g + "/location") && f.type_class(g + "/location") == H5T_STRING) {
    const auto loc = f.read_strings(g + "/location");
    for (size_t i = 0; i < n && i < loc.size(); ++i) units[i].area = loc[i];
  } else if (f.is_dataset(g + "/electrode_group") &&
             f.type_class(g + "/electrode_group") == H5T_REFERENCE) {
    const auto groups = f.read_reference_paths(g + "/electrode_group");
    for (size_t i = 0; i < n && i < groups.size(); ++i)
      units[i].area = f.attr_string(groups[i], "location").value_or("");
  }
  return units;
}

// Events of a TimeIntervals table (trials, epochs, intervals/*). String ids are numbered in
// order of first appearance; `codes` collects "code=label" for the metadata.
void read_intervals(const h5::File& f, const std::string& g, std::vector<StimulusEvent>& events,
                    std::vector<std::string>& codes) {
  const auto start = f.read_doubles(g + "/start_time");
  const auto stop = f.read_doubles(g + "/stop_time");
  if (stop.size() != start.size())
    f.fail(ErrorKind::shape, g + "/stop_time", "one stop_time per start_time",
           std::to_string(start.size()), std::to_string(stop.size()));
  std::vector<std::int64_t> ids(start.size(), -1);
  for (const char* column : kStimulusIdColumns) {
    const std::string c = g + "/" + column;
    // A ragged column (with an _index) holds several values per row: not an id.
    if (!f.is_dataset(c) || f.exists(c + "_index")) continue;
    if (f.dims(c) != std::vector<hsize_t>{start.size()})
      f.fail(ErrorKind::shape, c, "one value per interval", std::to_string(start.size()),
             h5::dims_string(f.dims(c)));
    const H5T_class_t cls = f.type_class(c);
    if (cls == H5T_STRING) {
      std::map<std::string, std::int64_t> code_of;
      const auto labels = f.read_strings(c);
      for (size_t i = 0; i < labels.size(); ++i) {
        auto [it, added] = code_of.emplace(labels[i], static_cast<std::int64_t>(code_of.size()));
        if (added) codes.push_back(std::to_string(it->second) + "=" + labels[i]);
        ids[i] = it->second;
      }
    } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
      const auto v = f.read_doubles(c);
      for (size_t i = 0; i < v.size(); ++i)
        ids[i] = std::isfinite(v[i]) ? std::llround(v[i]) : -1;
    } else {
      continue;
    }
    break;
  }
  for (size_t i = 0; i < start.size(); ++i) events.push_back({start[i], stop[i], ids[i], 0});
}

// Scalar or list string datasets of the file (session_description, general/experimenter...).
std::optional<std::string> text_dataset(const h5::File& f, const std::string& path) {
  if (!f.is_dataset(path) || f.type_class(path) != H5T_STRING) return std::nullopt;
  std::string joined;
  for (const auto& s : f.read_strings(path)) joined += (joined.empty() ? "" : "; ") + s;
  return joined;
}

std::map<std::string, std::string> file_metadata(const h5::File& f) {
  std::map<std::string, std::string> m;
  if (auto v = f.attr_string("/", "nwb_version")) m["nwb_version"] = *v;
  static const std::pair<const char*, const char*> kFields[] = {
      {"session_description", "/session_description"},
      {"identifier", "/identifier"},
      {"session_start_time", "/session_start_time"},
      {"institution", "/general/institution"},
      {"lab", "/general/lab"},
      {"experimenter", "/general/experimenter"},
  };
  for (const auto& [key, path] : kFields)
    if (auto v = text_dataset(f, path)) m[key] = *v;
  return m;
}

// Display names: the series' own name, or "<container>_<name>" when two share a name (two
// RoiResponseSeries called "RoiResponseSeries" in Fluorescence and DfOverF is the usual case).
std::vector<std::string> unique_names(const std::vector<std::string>& paths) {
  std::map<std::string, int> count;
  for (const auto& p : paths) ++count[basename(p)];
  std::vector<std::string> names;
  for (const auto& p : paths)
    names.push_back(count[basename(p)] > 1 ? basename(parent(p)) + "_" + basename(p)
                                           : basename(p));
  return names;
}

struct Classified {
  std::vector<std::string> activity, sweep_stimuli, behavior, units_tables, intervals;
};

Classified classify(const h5::File& f, const std::vector<std::string>& paths,
                    const std::map<std::string, std::string>& types) {
  Classified c;
  for (const auto& path : paths) {
    const auto t = types.find(path);
    if (t == types.end()) continue;
    const std::string& type = t->second;
    if (type == "Units") {
      c.units_tables.push_back(path);
      continue;
    }
    if (type == "TimeIntervals") {
      c.intervals.push_back(path);
      continue;
    }
    const auto known = series_types().find(type);
    Role role;
    if (known != series_types().end()) {
      role = known->second.role;
    } else if (looks_like_time_series(f, path)) {
      // TimeSeries and extension types: 2-D data acquired is activity (e.g. a
      // generic multichannel recording), 1-D acquired data and processed series are behaviour.
      const bool acquired = under(path, "/acquisition");
      if (!acquired && !under(path, "/processing")) continue;
      role = acquired && f.is_dataset(path + "/data") && f.dims(path + "/data").size() == 2
                 ? Role::activity
                 : Role::behavior;
    } else {
      continue;
    }
    if (role == Role::activity) c.activity.push_back(path);
    if (role == Role::sweep_stimulus) c.sweep_stimuli.push_back(path);
    if (role == Role::behavior) c.behavior.push_back(path);
  }
  return c;
}

ActivityKind kind_of(const std::map<std::string, std::string>& types, const std::string& path,
                     const std::string& unit) {
  // The container decides first (these containers hold only one kind of series), then the
  // series type, then the data's unit.
  const auto p = types.find(parent(path));
  if (p != types.end()) {
    const auto k = container_kinds().find(p->second);
    if (k != container_kinds().end()) return k->second;
  }
  const auto t = types.find(path);
  if (t != types.end()) {
    const auto k = series_types().find(t->second);
    if (k != series_types().end() && k->second.kind != ActivityKind::unknown) return k->second.kind;
  }
  const auto u = unit_kinds().find(unit);
  return u == unit_kinds().end() ? ActivityKind::unknown : u->second;
}

// A series' sweep_number attribute as text; nullopt when absent or not an integer.
std::optional<std::string> sweep_number(const h5::File& f, const std::string& g) {
  try {
    if (auto v = f.attr_int64(g, "sweep_number")) return std::to_string(*v);
  } catch (const Error&) {
  }
  return std::nullopt;
}

// Patch-clamp details worth keeping: sweep number, stimulus description, electrode (and the
// electrode's location as the unit's area).
void add_patch_clamp_details(const h5::File& f, const std::string& g, Recording& r) {
  if (auto v = sweep_number(f, g)) r.metadata["sweep_number"] = *v;
  if (auto v = f.attr_string(g, "stimulus_description")) r.metadata["stimulus_description"] = *v;
  if (f.exists(g + "/electrode")) {
    const auto target = f.soft_link_target(g + "/electrode");
    r.metadata["electrode"] = basename(target.value_or(g + "/electrode"));
    if (f.is_dataset(g + "/electrode/location") && r.units.size() == 1)
      r.units[0].area = text_dataset(f, g + "/electrode/location").value_or("");
  }
}

}  // namespace

bool sniff_nwb(const std::filesystem::path& path) {
  try {
    if (!h5::has_hdf5_signature(path)) return false;
    const h5::File f = h5::File::open_read(path, kComponent);
    return f.has_attr("/", "nwb_version");
  } catch (const std::exception&) {
    return false;
  }
}

std::vector<Recording> read_nwb(const std::filesystem::path& path, const ReadOptions& options) {
  const h5::File f = h5::File::open_read(path, kComponent);
  const auto version = f.attr_string("/", "nwb_version");
  if (!version)
    f.fail(ErrorKind::io, "/", "not an NWB 2.x file (no nwb_version attribute on the root)");
  if (version->rfind("2.", 0) != 0)
    f.fail(ErrorKind::io, "/", "unsupported NWB version", "2.x", *version);

  // neurodata_type of every group and dataset, found by walking the whole file once.
  const auto paths = f.walk();
  std::map<std::string, std::string> types;
  for (const auto& p : paths) {
    try {
      if (auto t = f.attr_string(p, "neurodata_type")) types[p] = *t;
    } catch (const Error&) {
      // a neurodata_type that is not one string: not an object this reader knows
    }
  }
  const Classified c = classify(f, paths, types);

  const auto file_meta = file_metadata(f);
  std::vector<std::string> skipped;

  // Behaviour channels (shared by every recording) and sweep stimuli (by sweep number).
  auto to_channels = [&](const std::vector<std::string>& paths) {
    std::vector<std::pair<std::string, BehaviorChannel>> out;
    const auto names = unique_names(paths);
    for (size_t i = 0; i < paths.size(); ++i) {
      if (!numeric_matrix(f, paths[i] + "/data")) {
        skipped.push_back(paths[i]);
        continue;
      }
      Series s = read_series(f, paths[i]);
      BehaviorChannel ch{.name = names[i], .unit = s.unit, .timestamps_s = s.times(),
                         .values = std::move(s.data)};
      // Event-like series may repeat a timestamp; a channel needs a strictly increasing axis.
      if (std::adjacent_find(ch.timestamps_s.begin(), ch.timestamps_s.end(),
                             [](double a, double b) { return !(b > a); }) !=
          ch.timestamps_s.end()) {
        skipped.push_back(paths[i]);
        continue;
      }
      out.emplace_back(paths[i], std::move(ch));
    }
    return out;
  };
  const auto behavior = to_channels(c.behavior);
  const auto stimuli = to_channels(c.sweep_stimuli);

  // Stimulus intervals, sorted by onset; repeat = how often that id was shown before.
  std::vector<StimulusEvent> events;
  std::vector<std::string> codes;
  for (const auto& g : c.intervals) read_intervals(f, g, events, codes);
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.onset_s < b.onset_s; });
  std::map<std::int64_t, std::int64_t> shown;
  for (auto& e : events) e.repeat = shown[e.stimulus_id]++;

  std::vector<Recording> recs;
  const auto names = unique_names(c.activity);
  for (size_t i = 0; i < c.activity.size(); ++i) {
    const std::string& g = c.activity[i];
    if (!numeric_matrix(f, g + "/data")) {
      skipped.push_back(g);  // e.g. a 3-D SpikeEventSeries (events × channels × samples)
      continue;
    }
    Series s = read_series(f, g);
    if (!std::isnan(options.sample_rate_hz) && c.units_tables.empty() && s.rate_stored &&
        std::abs(options.sample_rate_hz - s.rate_hz) > 1e-6 * s.rate_hz)
      raise(ErrorKind::config,
            {.component = kComponent, .what = "--fs disagrees with the rate stored in the file",
             .expected = std::to_string(s.rate_hz), .got = std::to_string(options.sample_rate_hz),
             .unit = "Hz", .file = f.name(), .field = g + "/starting_time"});
    Recording r;
    r.name = names[i];
    r.kind = kind_of(types, g, s.unit);
    r.sample_rate_hz = s.rate_hz;
    r.start_time_s = s.start_s;
    r.timestamps_s = std::move(s.timestamps);
    r.activity = std::move(s.data);
    const auto n = static_cast<size_t>(r.activity.cols());
    r.units = region_units(f, f.exists(g + "/rois") ? g + "/rois" : g + "/electrodes", n);
    r.metadata["nwb_path"] = g;
    r.metadata["nwb_neurodata_type"] = types.count(g) ? types.at(g) : "";
    if (!s.unit.empty()) r.metadata["unit"] = s.unit;
    if (auto d = f.attr_string(g, "description")) r.metadata["description"] = *d;
    add_patch_clamp_details(f, g, r);
    recs.push_back(std::move(r));
  }

  // Each Units table is its own recording: spike counts binned at --fs (default 100 Hz).
  const double bin_rate =
      std::isnan(options.sample_rate_hz) ? kDefaultSpikeBinRateHz : options.sample_rate_hz;
  for (const auto& g : c.units_tables) {
    Recording r;
    r.name = basename(g);
    r.units = read_units_table(f, g);
    bin_units_into_activity(r, bin_rate);
    r.metadata["nwb_path"] = g;
    r.metadata["nwb_neurodata_type"] = "Units";
    r.metadata["spike_bin_rate_hz"] = std::to_string(bin_rate);
    recs.push_back(std::move(r));
  }

  if (recs.empty())
    f.fail(ErrorKind::io, "/", "no activity found",
           "a RoiResponseSeries, ElectricalSeries, PatchClampSeries or Units table",
           "none of these");

  for (auto& r : recs) {
    for (const auto& [key, value] : file_meta) r.metadata[key] = value;
    for (const auto& [p, ch] : behavior) r.behavior.push_back(ch);
    const auto sweep = r.metadata.find("sweep_number");
    for (const auto& [p, ch] : stimuli)
      if (sweep != r.metadata.end() && sweep_number(f, p) == sweep->second)
        r.behavior.push_back(ch);
    r.stimuli.events = events;
    if (!codes.empty()) {
      std::string joined;
      for (const auto& code : codes) joined += (joined.empty() ? "" : "; ") + code;
      r.metadata["stimulus_codes"] = joined;
    }
    if (!skipped.empty()) {
      std::string joined;
      for (const auto& s : skipped) joined += (joined.empty() ? "" : "; ") + s;
      r.metadata["nwb_skipped"] = joined;
    }
  }
  return recs;
}

}  // namespace neurodl::io
