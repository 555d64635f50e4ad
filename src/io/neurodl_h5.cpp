// neurodl's own HDF5 layout, version 1. docs/format.md is the specification; keep both in step.
#include "neurodl/io/neurodl_h5.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "hdf5_util.hpp"
#include "neurodl/core/atomic_file.hpp"
#include "neurodl/core/error.hpp"

namespace neurodl::io {
namespace {

constexpr const char* kComponent = "io.h5";
constexpr const char* kFormatName = "neurodl-recording";
constexpr std::int64_t kFormatVersion = 1;

// Members of a list group are named by their position, zero-padded so that they also sort in
// order in viewers ("0000", "0001", ..., "10000").
std::string index_name(size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04zu", i);
  return buf;
}

// ---- writing ----------------------------------------------------------------------------------

void write_units(const h5::File& f, const std::string& g, const std::vector<Unit>& units) {
  f.create_group(g);
  std::vector<std::string> ids, areas;
  std::vector<double> positions, spikes;
  std::vector<std::int64_t> ends;
  positions.reserve(3 * units.size());
  for (const auto& u : units) {
    ids.push_back(u.id);
    areas.push_back(u.area);
    positions.insert(positions.end(), u.position_um.begin(), u.position_um.end());
    spikes.insert(spikes.end(), u.spike_times_s.begin(), u.spike_times_s.end());
    ends.push_back(static_cast<std::int64_t>(spikes.size()));
  }
  f.write_strings(g + "/id", ids);
  f.write_strings(g + "/area", areas);
  f.write_matrix(g + "/position_um", positions.data(), static_cast<std::int64_t>(units.size()), 3);
  f.write_vector(g + "/spike_times_s", spikes.data(), spikes.size());
  f.write_vector(g + "/spike_times_index", ends.data(), ends.size());
}

void write_behavior(const h5::File& f, const std::string& g,
                    const std::vector<BehaviorChannel>& channels) {
  f.create_group(g);
  for (size_t i = 0; i < channels.size(); ++i) {
    const auto& c = channels[i];
    const std::string cg = g + "/" + index_name(i);
    f.create_group(cg);
    f.write_attr(cg, "name", c.name);
    f.write_attr(cg, "unit", c.unit);
    f.write_vector(cg + "/timestamps_s", c.timestamps_s.data(), c.timestamps_s.size());
    f.write_matrix(cg + "/values", c.values.data(), c.values.rows(), c.values.cols());
  }
}

void write_stimuli(const h5::File& f, const std::string& g, const StimulusTable& s) {
  f.create_group(g);
  std::vector<double> onset, offset;
  std::vector<std::int64_t> id, repeat;
  for (const auto& e : s.events) {
    onset.push_back(e.onset_s);
    offset.push_back(e.offset_s);
    id.push_back(e.stimulus_id);
    repeat.push_back(e.repeat);
  }
  f.write_vector(g + "/onset_s", onset.data(), onset.size());
  f.write_vector(g + "/offset_s", offset.data(), offset.size());
  f.write_vector(g + "/stimulus_id", id.data(), id.size());
  f.write_vector(g + "/repeat", repeat.data(), repeat.size());
  f.write_matrix(g + "/images", s.images.data(), s.images.rows(), s.images.cols(), true);
  f.write_attr(g, "image_height", s.image_height);
  f.write_attr(g, "image_width", s.image_width);
}

void write_recording(const h5::File& f, const std::string& g, const Recording& r) {
  f.create_group(g);
  f.write_attr(g, "name", r.name);
  f.write_attr(g, "kind", to_string(r.kind));
  f.write_attr(g, "sample_rate_hz", r.sample_rate_hz);
  f.write_attr(g, "start_time_s", r.start_time_s);
  f.write_matrix(g + "/activity", r.activity.data(), r.activity.rows(), r.activity.cols(), true);
  f.write_vector(g + "/timestamps_s", r.timestamps_s.data(), r.timestamps_s.size());
  write_units(f, g + "/units", r.units);
  write_behavior(f, g + "/behavior", r.behavior);
  write_stimuli(f, g + "/stimuli", r.stimuli);
  f.create_group(g + "/truth");
  size_t i = 0;
  for (const auto& [name, m] : r.truth) {
    const std::string p = g + "/truth/" + index_name(i++);
    f.write_matrix(p, m.data(), m.rows(), m.cols(), true);
    f.write_attr(p, "name", name);
  }
  f.create_group(g + "/metadata");
  std::vector<std::string> keys, values;
  for (const auto& [k, v] : r.metadata) {
    keys.push_back(k);
    values.push_back(v);
  }
  f.write_strings(g + "/metadata/keys", keys);
  f.write_strings(g + "/metadata/values", values);
}

// ---- reading ----------------------------------------------------------------------------------

const char* class_name(H5T_class_t c) {
  switch (c) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "float";
    case H5T_STRING: return "string";
    default: return "other";
  }
}

// Checks that `path` is a dataset of class `cls` and rank `rank`; returns its dimensions.
std::vector<hsize_t> require(const h5::File& f, const std::string& path, H5T_class_t cls,
                             size_t rank) {
  if (!f.is_dataset(path)) f.fail(ErrorKind::io, path, "missing dataset");
  const H5T_class_t got = f.type_class(path);
  if (got != cls) f.fail(ErrorKind::io, path, "wrong data type", class_name(cls), class_name(got));
  auto d = f.dims(path);
  if (d.size() != rank)
    f.fail(ErrorKind::shape, path, "wrong rank", std::to_string(rank) + "-D",
           h5::dims_string(d));
  return d;
}

void require_length(const h5::File& f, const std::string& path, hsize_t got, hsize_t expected) {
  if (got != expected)
    f.fail(ErrorKind::shape, path, "length disagrees with the other columns",
           std::to_string(expected), std::to_string(got));
}

MatrixF read_float_matrix(const h5::File& f, const std::string& path) {
  require(f, path, H5T_FLOAT, 2);
  return f.read_matrix(path);
}

std::vector<double> read_float_vector(const h5::File& f, const std::string& path) {
  require(f, path, H5T_FLOAT, 1);
  return f.read_doubles(path);
}

std::vector<std::int64_t> read_int_vector(const h5::File& f, const std::string& path) {
  require(f, path, H5T_INTEGER, 1);
  return f.read_int64s(path);
}

std::vector<std::string> read_string_vector(const h5::File& f, const std::string& path) {
  require(f, path, H5T_STRING, 1);
  return f.read_strings(path);
}

template <class T>
T required_attr(const h5::File& f, const std::string& object, const std::string& name,
                std::optional<T> value) {
  if (!value) f.fail(ErrorKind::io, object, "missing attribute '" + name + "'");
  return *value;
}

std::string attr_text(const h5::File& f, const std::string& g, const std::string& name) {
  return required_attr(f, g, name, f.attr_string(g, name));
}
double attr_number(const h5::File& f, const std::string& g, const std::string& name) {
  return required_attr(f, g, name, f.attr_double(g, name));
}
std::int64_t attr_integer(const h5::File& f, const std::string& g, const std::string& name) {
  return required_attr(f, g, name, f.attr_int64(g, name));
}

// Members "0000", "0001", ... of a list group, checked to be exactly that sequence.
std::vector<std::string> list_members(const h5::File& f, const std::string& g) {
  if (!f.is_group(g)) f.fail(ErrorKind::io, g, "missing group");
  const size_t n = f.children(g).size();
  std::vector<std::string> paths;
  for (size_t i = 0; i < n; ++i) {
    const std::string p = g + "/" + index_name(i);
    if (!f.exists(p))
      f.fail(ErrorKind::io, g, "members must be numbered 0000.." + index_name(n - 1),
             "member " + index_name(i), "missing");
    paths.push_back(p);
  }
  return paths;
}

std::vector<Unit> read_units(const h5::File& f, const std::string& g) {
  const auto ids = read_string_vector(f, g + "/id");
  const auto areas = read_string_vector(f, g + "/area");
  const auto pos_dims = require(f, g + "/position_um", H5T_FLOAT, 2);
  const auto spikes = read_float_vector(f, g + "/spike_times_s");
  const auto ends = read_int_vector(f, g + "/spike_times_index");
  const size_t n = ids.size();
  require_length(f, g + "/area", areas.size(), n);
  if (pos_dims[0] != n || pos_dims[1] != 3)
    f.fail(ErrorKind::shape, g + "/position_um", "expected one x, y, z row per unit",
           std::to_string(n) + "×3", h5::dims_string(pos_dims));
  require_length(f, g + "/spike_times_index", ends.size(), n);
  const auto pos = f.read_doubles(g + "/position_um");
  std::vector<Unit> units(n);
  std::int64_t begin = 0;
  for (size_t i = 0; i < n; ++i) {
    // End offsets, as in NWB's VectorIndex: unit i owns spike_times_s[ends[i-1], ends[i]).
    if (ends[i] < begin || ends[i] > static_cast<std::int64_t>(spikes.size()))
      f.fail(ErrorKind::shape, g + "/spike_times_index",
             "end offsets must be non-decreasing and within spike_times_s",
             "≤ " + std::to_string(spikes.size()), std::to_string(ends[i]));
    units[i].id = ids[i];
    units[i].area = areas[i];
    for (size_t k = 0; k < 3; ++k) units[i].position_um[k] = pos[3 * i + k];
    units[i].spike_times_s.assign(spikes.begin() + begin, spikes.begin() + ends[i]);
    begin = ends[i];
  }
  if (begin != static_cast<std::int64_t>(spikes.size()))
    f.fail(ErrorKind::shape, g + "/spike_times_index", "last end offset must cover every spike",
           std::to_string(spikes.size()), std::to_string(begin));
  return units;
}

std::vector<BehaviorChannel> read_behavior(const h5::File& f, const std::string& g) {
  std::vector<BehaviorChannel> channels;
  for (const auto& cg : list_members(f, g)) {
    BehaviorChannel c;
    c.name = attr_text(f, cg, "name");
    c.unit = attr_text(f, cg, "unit");
    c.timestamps_s = read_float_vector(f, cg + "/timestamps_s");
    c.values = read_float_matrix(f, cg + "/values");
    require_length(f, cg + "/values", static_cast<hsize_t>(c.values.rows()),
                   c.timestamps_s.size());
    channels.push_back(std::move(c));
  }
  return channels;
}

StimulusTable read_stimuli(const h5::File& f, const std::string& g) {
  StimulusTable s;
  const auto onset = read_float_vector(f, g + "/onset_s");
  const auto offset = read_float_vector(f, g + "/offset_s");
  const auto id = read_int_vector(f, g + "/stimulus_id");
  const auto repeat = read_int_vector(f, g + "/repeat");
  require_length(f, g + "/offset_s", offset.size(), onset.size());
  require_length(f, g + "/stimulus_id", id.size(), onset.size());
  require_length(f, g + "/repeat", repeat.size(), onset.size());
  s.events.resize(onset.size());
  for (size_t i = 0; i < onset.size(); ++i) s.events[i] = {onset[i], offset[i], id[i], repeat[i]};
  s.images = read_float_matrix(f, g + "/images");
  s.image_height = attr_integer(f, g, "image_height");
  s.image_width = attr_integer(f, g, "image_width");
  return s;
}

Recording read_recording(const h5::File& f, const std::string& g, const ReadOptions& options) {
  Recording r;
  r.name = attr_text(f, g, "name");
  const std::string kind = attr_text(f, g, "kind");
  try {
    r.kind = activity_kind_from_string(kind);
  } catch (const ConfigError&) {
    f.fail(ErrorKind::io, g, "unknown activity kind", "a name from docs/format.md",
           "'" + kind + "'");
  }
  r.sample_rate_hz = attr_number(f, g, "sample_rate_hz");
  r.start_time_s = attr_number(f, g, "start_time_s");
  r.activity = read_float_matrix(f, g + "/activity");
  r.timestamps_s = read_float_vector(f, g + "/timestamps_s");
  r.units = read_units(f, g + "/units");
  r.behavior = read_behavior(f, g + "/behavior");
  r.stimuli = read_stimuli(f, g + "/stimuli");
  for (const auto& p : list_members(f, g + "/truth"))
    r.truth[attr_text(f, p, "name")] = read_float_matrix(f, p);
  const auto keys = read_string_vector(f, g + "/metadata/keys");
  const auto values = read_string_vector(f, g + "/metadata/values");
  require_length(f, g + "/metadata/values", values.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) r.metadata[keys[i]] = values[i];

  // The user's --fs fills in an unknown rate and must agree with a stored one.
  const double fs = options.sample_rate_hz;
  if (!std::isnan(fs)) {
    if (std::isnan(r.sample_rate_hz))
      r.sample_rate_hz = fs;
    else if (std::abs(fs - r.sample_rate_hz) > 1e-9 * r.sample_rate_hz)
      raise(ErrorKind::config,
            {.component = kComponent, .what = "--fs disagrees with the rate stored in the file",
             .expected = std::to_string(r.sample_rate_hz), .got = std::to_string(fs),
             .unit = "Hz", .file = f.name(), .field = g});
  }
  return r;
}

}  // namespace

bool sniff_neurodl_h5(const std::filesystem::path& path) {
  try {
    if (!h5::has_hdf5_signature(path)) return false;
    const h5::File f = h5::File::open_read(path, kComponent);
    return f.attr_string("/", "neurodl_format") == std::optional<std::string>(kFormatName);
  } catch (const std::exception&) {
    return false;
  }
}

std::vector<Recording> read_neurodl_h5(const std::filesystem::path& path,
                                       const ReadOptions& options) {
  const h5::File f = h5::File::open_read(path, kComponent);
  const auto format = f.attr_string("/", "neurodl_format");
  if (format != std::optional<std::string>(kFormatName))
    f.fail(ErrorKind::io, "/", "not a neurodl recording file (root attribute neurodl_format)",
           std::string("'") + kFormatName + "'", format ? "'" + *format + "'" : "none");
  const std::int64_t version = attr_integer(f, "/", "format_version");
  if (version < 1 || version > kFormatVersion)
    f.fail(ErrorKind::io, "/", "unsupported format_version (written by a newer neurodl?)",
           "1.." + std::to_string(kFormatVersion), std::to_string(version));
  std::vector<Recording> recs;
  for (const auto& g : list_members(f, "/recordings")) recs.push_back(read_recording(f, g, options));
  return recs;
}

void write_neurodl_h5(const std::filesystem::path& path, const std::vector<Recording>& recordings) {
  AtomicFile out(path);
  {
    h5::File f = h5::File::create(out.temp_path(), kComponent, path.string());
    f.write_attr("/", "neurodl_format", std::string(kFormatName));
    f.write_attr("/", "format_version", kFormatVersion);
    f.create_group("/recordings");
    for (size_t i = 0; i < recordings.size(); ++i)
      write_recording(f, "/recordings/" + index_name(i), recordings[i]);
    f.close();
  }
  out.commit();
}

}  // namespace neurodl::io
