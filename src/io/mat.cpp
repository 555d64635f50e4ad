#include "neurodl/io/mat.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "mat_matio.hpp"
#include "mat_v5_check.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/core/spike_trains.hpp"
#include "neurodl/core/stats.hpp"
#include "neurodl/io/position_tracking.hpp"

namespace neurodl::io {
namespace {

using namespace mat_detail;

constexpr const char* kComponent = "io.mat";
// Relative tolerance on frame intervals (and on a user rate against stored times).
constexpr double kRegularityTolerance = 0.01;
// zlib never expands data by more than about 1032:1 (deflate's best case), nor HDF5's deflate.
constexpr std::size_t kMaxExpansion = 1032;
// CASCADE stores events_AP in units of 1e-4 s (Rupprecht et al. 2021, ground-truth database).
constexpr double kEventsApUnitS = 1e-4;

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& field,
                       const std::string& what, const std::string& expected = {},
                       const std::string& got = {}, const std::string& unit = {}) {
  raise(ErrorKind::io, {.component = kComponent,
                        .what = what,
                        .expected = expected,
                        .got = got,
                        .unit = unit,
                        .file = file.string(),
                        .field = field});
}

/// One variable of the file as listed by Mat_VarReadNextInfo (no data read).
struct VarInfo {
  std::string name;
  matio_classes class_type = MAT_C_EMPTY;
  std::string description;  // "6×3 double"
};

/// The open file, its variable listing and the user's options: what every layout reader needs.
class MatSource {
 public:
  MatSource(const std::filesystem::path& path, const ReadOptions& options)
      : path_(path), options_(options) {
    install_quiet_matio_log();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) fail(path, "", "no such file");
    // matio believes the counts in a v5 file; damaged ones must be refused before it lists.
    check_v5_structure(path);
    clear_matio_messages();
    file_.reset(Mat_Open(path.string().c_str(), MAT_ACC_RDONLY));
    if (!file_) fail(path, "", "not a readable MATLAB file", "a v5 or v7.3 MAT-file", matio_said());
    version_ = Mat_GetVersion(file_.get()) == MAT_FT_MAT73 ? "7.3" : "5";
    if (Mat_GetVersion(file_.get()) == MAT_FT_MAT4)
      fail(path, "", "MATLAB v4 files are not supported", "v5 or v7.3", "v4");
    while (true) {
      MatVar info{Mat_VarReadNextInfo(file_.get())};
      if (!info) break;
      vars_.push_back({info->name ? info->name : "", info->class_type, describe(info.get())});
    }
    // matio stops listing silently at a damaged element; its logger tells the two cases apart.
    // A damaged v7.3 file may open and list nothing, with only HDF5's message to show for it.
    std::string msg = take_last_matio_message();
    if (msg.empty() && vars_.empty()) msg = take_last_matio_detail();
    if (!msg.empty()) fail(path, "", "corrupt or truncated MAT-file", {}, "matio: " + msg);
  }

  const std::filesystem::path& path() const { return path_; }
  const ReadOptions& options() const { return options_; }
  const std::string& version() const { return version_; }
  const std::vector<VarInfo>& vars() const { return vars_; }

  const VarInfo* find(const std::string& name) const {
    for (const auto& v : vars_)
      if (v.name == name) return &v;
    return nullptr;
  }

  /// The whole variable, data included; throws IoError when matio cannot read it.
  MatVar read(const std::string& name) const {
    clear_matio_messages();
    MatVar v{Mat_VarRead(file_.get(), name.c_str())};
    const std::string msg = take_last_matio_message();
    if (!v || !msg.empty())
      fail(path_, name, "cannot read variable (corrupt or truncated file)", {},
           msg.empty() ? "no data" : "matio: " + msg);
    // matio sizes arrays by their stored dimensions and reads what bytes there are, so damaged
    // dimensions give a huge, mostly unread array. No array can hold more than the file's bytes
    // times zlib's largest expansion (about 1032:1).
    std::error_code ec;
    const auto file_bytes = static_cast<std::size_t>(std::filesystem::file_size(path_, ec));
    const std::size_t claim = largest_data_claim(v.get());
    if (claim / kMaxExpansion > file_bytes)
      fail(path_, name, "corrupt dimensions: an array larger than the file can hold",
           std::to_string(file_bytes * kMaxExpansion), std::to_string(claim), "bytes");
    return v;
  }

  /// "a (6×3 double), b (1×2 cell)" for messages.
  std::string listing() const {
    std::string s;
    for (const auto& v : vars_) s += (s.empty() ? "" : ", ") + v.name + " (" + v.description + ")";
    return s.empty() ? "no variables" : s;
  }

 private:
  std::string matio_said() const {
    const std::string m = take_last_matio_message();
    return m.empty() ? "unrecognised content" : "matio: " + m;
  }

  std::filesystem::path path_;
  ReadOptions options_;
  MatFile file_;
  std::string version_;
  std::vector<VarInfo> vars_;
};

// ---- small helpers shared by the layouts -------------------------------------------------------

/// The rate written in a file name as "<number>Hz" (e.g. "...-7.5Hz_..."), or NaN.
double rate_from_file_name(const std::filesystem::path& path) {
  static const std::regex kHz(R"(([0-9]+(?:\.[0-9]+)?)\s*Hz)", std::regex::icase);
  const std::string name = path.filename().string();
  std::smatch m;
  if (std::regex_search(name, m, kHz)) {
    const double r = std::stod(m[1].str());
    if (r > 0) return r;
  }
  return kNaN;
}

/// The user's rate, else the file name's, else NaN.
double rate_for_frames(const MatSource& src) {
  const double user = src.options().sample_rate_hz;
  return std::isfinite(user) ? user : rate_from_file_name(src.path());
}

/// A numeric variable or field, or IoError naming it.
NumericArray require_numeric(const MatSource& src, const matvar_t* v, const std::string& field) {
  if (!v) fail(src.path(), field, "missing");
  auto a = to_numeric(v);
  if (!a && is_real_numeric_2d(v))
    fail(src.path(), field, "corrupt data: fewer bytes than its dimensions need", {}, describe(v));
  if (!a) fail(src.path(), field, "wrong type", "a real numeric matrix", describe(v));
  return *a;
}

/// T × N float32 from a MATLAB matrix; `units_in_rows` when the matrix is units × time.
MatrixF time_by_units(const NumericArray& a, bool units_in_rows) {
  const std::size_t T = units_in_rows ? a.cols : a.rows;
  const std::size_t N = units_in_rows ? a.rows : a.cols;
  MatrixF m(static_cast<Eigen::Index>(T), static_cast<Eigen::Index>(N));
  for (std::size_t t = 0; t < T; ++t)
    for (std::size_t u = 0; u < N; ++u)
      m(static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(u)) =
          static_cast<float>(units_in_rows ? a.at(u, t) : a.at(t, u));
  return m;
}

/// Sample times of `rec` (explicit or from the rate); frame indices when neither is known.
std::vector<double> frame_times(const Recording& rec) {
  if (!rec.timestamps_s.empty() || std::isfinite(rec.sample_rate_hz)) return rec.times_s();
  std::vector<double> t(static_cast<std::size_t>(rec.n_samples()));
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<double>(i);
  return t;
}

// ---- a. CASCADE ground truth: CAttached{k}.fluo_time / fluo_mean / events_AP --------------------

/// Spikes per frame, frame i collecting [e_i, e_{i+1}) where the edges are the midpoints between
/// neighbouring frame times and the outer edges lie half an interval beyond the first and last
/// frame: on a regular grid that is [t_i − dt/2, t_i + dt/2). Spikes outside are not counted.
MatrixF spikes_per_frame(const std::vector<double>& t, const std::vector<double>& spikes) {
  const std::size_t T = t.size();
  std::vector<double> edges(T + 1);
  edges[0] = t[0] - 0.5 * (t[1] - t[0]);
  for (std::size_t i = 1; i < T; ++i) edges[i] = 0.5 * (t[i - 1] + t[i]);
  edges[T] = t[T - 1] + 0.5 * (t[T - 1] - t[T - 2]);
  MatrixF counts = MatrixF::Zero(static_cast<Eigen::Index>(T), 1);
  for (double s : spikes) {
    const auto it = std::upper_bound(edges.begin(), edges.end(), s);
    if (it == edges.begin() || it == edges.end()) continue;
    counts(static_cast<Eigen::Index>(it - edges.begin() - 1), 0) += 1.0f;
  }
  return counts;
}

/// One CAttached entry as a recording, or the reason it was skipped.
std::optional<Recording> ground_truth_entry(const MatSource& src, matvar_t* entry,
                                            std::size_t struct_index, const std::string& where,
                                            std::string& skip_reason) {
  matvar_t* ft = struct_field(entry, "fluo_time", struct_index);
  matvar_t* fm = struct_field(entry, "fluo_mean", struct_index);
  if (!ft || !fm) {
    skip_reason =
        entry && entry->class_type == MAT_C_STRUCT ? "no fluo_time/fluo_mean" : "not a struct";
    return std::nullopt;
  }
  const NumericArray time = require_numeric(src, ft, where + ".fluo_time");
  const NumericArray dff = require_numeric(src, fm, where + ".fluo_mean");
  if (time.size() == 0 || dff.size() == 0) {
    skip_reason = "empty fluo_time/fluo_mean";
    return std::nullopt;
  }
  if (!time.is_vector() || !dff.is_vector() || time.size() != dff.size())
    fail(src.path(), where, "fluo_time and fluo_mean must be vectors of equal length",
         std::to_string(time.size()) + " samples", std::to_string(dff.size()));

  // Frames without a time (NaN, found at the end of some DS19 entries) cannot be placed, and a
  // repeated time (the last frame of some DS27 entries is stored twice) would break the strictly
  // increasing times a Recording needs: both are dropped, keeping activity aligned with time.
  std::vector<double> t;
  std::vector<float> f;
  for (std::size_t i = 0; i < time.size(); ++i) {
    const double ti = time.values[i];
    if (!std::isfinite(ti) || (!t.empty() && ti <= t.back())) continue;
    t.push_back(ti);
    f.push_back(static_cast<float>(dff.values[i]));
  }
  if (t.size() < 2) {
    skip_reason = "fewer than 2 frames with a time";
    return std::nullopt;
  }

  Recording rec;
  rec.kind = ActivityKind::dff;
  rec.activity = Eigen::Map<const MatrixF>(f.data(), static_cast<Eigen::Index>(f.size()), 1);
  std::vector<double> dt(t.size() - 1);
  for (std::size_t i = 0; i + 1 < t.size(); ++i) dt[i] = t[i + 1] - t[i];
  const double step = median(dt);
  rec.sample_rate_hz = 1.0 / step;
  rec.start_time_s = t.front();
  // The nominal rate is always set (spike inference needs one). The explicit times are kept only
  // when the frames are irregular: an interval off the median by more than 1 %, or the grid
  // t0 + i·dt drifting more than half a frame from the stored times (seen in DS20).
  bool regular = true;
  for (std::size_t i = 0; i < t.size() && regular; ++i) {
    if (i + 1 < t.size() && std::abs(dt[i] - step) > kRegularityTolerance * step) regular = false;
    if (std::abs(t[i] - (t.front() + static_cast<double>(i) * step)) > 0.5 * step) regular = false;
  }
  if (!regular) rec.timestamps_s = t;

  const double user_rate = src.options().sample_rate_hz;
  if (std::isfinite(user_rate) &&
      std::abs(user_rate - rec.sample_rate_hz) > kRegularityTolerance * rec.sample_rate_hz)
    raise(ErrorKind::config, {.component = kComponent,
                              .what = "given rate disagrees with the stored frame times",
                              .expected = std::to_string(rec.sample_rate_hz),
                              .got = std::to_string(user_rate),
                              .unit = "Hz",
                              .file = src.path().string(),
                              .field = where + ".fluo_time"});

  Unit unit;
  unit.id = "0";
  matvar_t* ap = struct_field(entry, "events_AP", struct_index);
  if (ap) {
    const NumericArray events = require_numeric(src, ap, where + ".events_AP");
    for (double e : events.values)
      if (std::isfinite(e)) unit.spike_times_s.push_back(e * kEventsApUnitS);
    std::sort(unit.spike_times_s.begin(), unit.spike_times_s.end());
    rec.truth["spike_counts"] = spikes_per_frame(frame_times(rec), unit.spike_times_s);
  } else {
    rec.metadata["note"] = "no events_AP field: no spike times";
  }
  rec.units.push_back(std::move(unit));
  return rec;
}

std::vector<Recording> read_ground_truth(const MatSource& src) {
  MatVar var = src.read("CAttached");
  // The release stores a 1×n cell of 1×1 structs; a struct array holds the same entries.
  std::vector<std::pair<matvar_t*, std::size_t>> entries;
  const std::size_t n = element_count(var.get());
  for (std::size_t k = 0; k < n; ++k) {
    if (var->class_type == MAT_C_CELL)
      entries.emplace_back(cell_element(var.get(), k), 0);
    else if (var->class_type == MAT_C_STRUCT)
      entries.emplace_back(var.get(), k);
    else
      fail(src.path(), "CAttached", "wrong type", "a cell of structs", describe(var.get()));
  }
  const std::string stem = src.path().stem().string();
  std::vector<Recording> recs;
  std::string skipped;
  for (std::size_t k = 0; k < entries.size(); ++k) {
    const std::string where = "CAttached{" + std::to_string(k + 1) + "}";
    std::string reason;
    auto rec = ground_truth_entry(src, entries[k].first, entries[k].second, where, reason);
    if (!rec) {
      skipped += (skipped.empty() ? "" : "; ") + where + ": " + reason;
      continue;
    }
    rec->name = stem + "#" + std::to_string(k + 1);
    rec->metadata["variable"] = where;
    rec->metadata["dataset"] = src.path().parent_path().filename().string();
    recs.push_back(std::move(*rec));
  }
  if (recs.empty())
    fail(src.path(), "CAttached", "no usable entry", "fluo_time, fluo_mean and events_AP",
         skipped.empty() ? "an empty cell" : skipped);
  if (!skipped.empty())
    for (auto& r : recs) r.metadata["skipped_entries"] = skipped;
  return recs;
}

// ---- b/c. CASCADE population excerpts: dF_traces, neurons × frames -----------------------------

std::vector<Recording> read_population(const MatSource& src) {
  MatVar var = src.read("dF_traces");
  const NumericArray a = require_numeric(src, var.get(), "dF_traces");
  if (a.size() == 0) fail(src.path(), "dF_traces", "empty matrix");
  Recording rec;
  rec.name = src.path().stem().string();
  // CASCADE's loader (load_neurons_x_time) defines dF_traces as neurons × time; the shape cannot
  // tell, since the zebrafish pDp excerpt has more neurons (1005) than frames (260).
  rec.activity = time_by_units(a, /*units_in_rows=*/true);
  rec.kind = ActivityKind::dff;
  rec.sample_rate_hz = rate_for_frames(src);
  rec.metadata["variable"] = "dF_traces";
  return {std::move(rec)};
}

// ---- d. Tetrode spike cells: spikes{...}{tetrode}{unit}.time ----------------------------------

/// A unit found in the nested cells, with the 0-based cell indices that lead to it.
struct CellUnit {
  std::vector<std::size_t> path;
  Unit unit;
};

std::string cell_path_text(const std::vector<std::size_t>& path) {
  std::string s;
  for (auto i : path) {
    s += '{';
    s += std::to_string(i + 1);
    s += '}';
  }
  return s;
}

void collect_units(const MatSource& src, matvar_t* v, std::vector<std::size_t>& path,
                   std::vector<CellUnit>& out, std::size_t& n_empty) {
  if (!v) return;
  if (v->class_type == MAT_C_CELL) {
    const std::size_t n = element_count(v);
    for (std::size_t i = 0; i < n; ++i) {
      path.push_back(i);
      collect_units(src, cell_element(v, i), path, out, n_empty);
      path.pop_back();
    }
    return;
  }
  if (v->class_type != MAT_C_STRUCT) {
    ++n_empty;  // the release fills tetrodes and units without spikes with []
    return;
  }
  for (std::size_t s = 0; s < element_count(v); ++s) {
    const std::string where = "spikes" + cell_path_text(path);
    matvar_t* time = struct_field(v, "time", s);
    if (!time) fail(src.path(), where, "struct without a 'time' field");
    const NumericArray t = require_numeric(src, time, where + ".time");
    CellUnit cu{path, {}};
    for (double x : t.values)
      if (std::isfinite(x)) cu.unit.spike_times_s.push_back(x);
    if (cu.unit.spike_times_s.empty()) {
      ++n_empty;
      continue;
    }
    std::sort(cu.unit.spike_times_s.begin(), cu.unit.spike_times_s.end());
    if (auto area = to_text(struct_field(v, "area", s))) cu.unit.area = *area;
    const auto& p = cu.path;
    cu.unit.id = p.size() >= 2 ? "t" + std::to_string(p[p.size() - 2] + 1) + "u" +
                                     std::to_string(p.back() + 1)
                               : "u" + std::to_string(p.empty() ? s + 1 : p.back() + 1);
    out.push_back(std::move(cu));
  }
}

std::vector<Recording> read_tetrode_spikes(const MatSource& src) {
  MatVar var = src.read("spikes");
  std::vector<CellUnit> found;
  std::vector<std::size_t> path;
  std::size_t n_empty = 0;
  collect_units(src, var.get(), path, found, n_empty);
  if (found.empty()) fail(src.path(), "spikes", "no unit with spike times in the cells");

  // The last two cell levels are tetrode and unit; any levels above them (day and epoch in the
  // Frank lab layout) separate recordings, which cover different periods.
  std::map<std::vector<std::size_t>, std::vector<Unit>> groups;
  for (auto& cu : found) {
    std::vector<std::size_t> group(cu.path.begin(),
                                   cu.path.end() - std::min<std::ptrdiff_t>(2, cu.path.size()));
    groups[group].push_back(std::move(cu.unit));
  }
  const double rate = std::isfinite(src.options().sample_rate_hz) ? src.options().sample_rate_hz
                                                                  : kDefaultSpikeBinRateHz;
  std::optional<BehaviorChannel> position;
  PositionTrackingInfo tracking;
  const auto tracking_file = src.path().parent_path() / "trajectory.videoPositionTracking";
  std::error_code ec;
  if (std::filesystem::is_regular_file(tracking_file, ec))
    position = read_video_position_tracking(tracking_file, &tracking);

  std::vector<Recording> recs;
  for (auto& [group, units] : groups) {
    Recording rec;
    rec.name = src.path().stem().string();
    if (groups.size() > 1) rec.name += "#" + cell_path_text(group);
    rec.units = std::move(units);
    bin_units_into_activity(rec, rate);
    rec.metadata["variable"] = "spikes" + cell_path_text(group);
    rec.metadata["empty_cells_skipped"] = std::to_string(n_empty);
    if (position) {
      rec.behavior.push_back(*position);
      rec.metadata["position_file"] = tracking_file.filename().string();
      rec.metadata["position_records_dropped"] = std::to_string(tracking.n_dropped);
    }
    recs.push_back(std::move(rec));
  }
  return recs;
}

// ---- e. Stringer et al. 2019 spontaneous behaviour release: Fsp, beh, med --------------------

/// A behaviour field sampled on the T activity frames as T × d (transposed when stored d × T).
std::optional<MatrixF> frames_by_dims(const MatSource& src, matvar_t* v, const std::string& field,
                                      std::size_t T) {
  if (!v) return std::nullopt;
  const NumericArray a = require_numeric(src, v, field);
  if (a.size() == 0) return std::nullopt;
  if (a.rows == T) return time_by_units(a, false);
  if (a.cols == T) return time_by_units(a, true);
  fail(src.path(), field, "length differs from the activity frames", std::to_string(T) + " rows",
       std::to_string(a.rows) + "×" + std::to_string(a.cols));
}

std::vector<Recording> read_stringer(const MatSource& src) {
  MatVar fsp = src.read("Fsp");
  const NumericArray a = require_numeric(src, fsp.get(), "Fsp");
  if (a.size() == 0) fail(src.path(), "Fsp", "empty matrix");
  Recording rec;
  rec.name = src.path().stem().string();
  rec.activity = time_by_units(a, /*units_in_rows=*/true);  // the release stores neurons × time
  rec.kind = ActivityKind::deconvolved;
  rec.metadata["variable"] = "Fsp";
  const auto T = static_cast<std::size_t>(rec.n_samples());
  const auto N = static_cast<std::size_t>(rec.n_units());

  // Without a rate the behaviour can still be aligned frame by frame: activity and behaviour
  // both get the frame index as their time, and the metadata says so.
  rec.sample_rate_hz = rate_for_frames(src);
  std::vector<double> t(T);
  for (std::size_t i = 0; i < T; ++i)
    t[i] = std::isfinite(rec.sample_rate_hz) ? static_cast<double>(i) / rec.sample_rate_hz
                                             : static_cast<double>(i);
  if (!std::isfinite(rec.sample_rate_hz)) {
    rec.timestamps_s = t;
    rec.metadata["time_unit"] = "frames";
  }

  rec.units.resize(N);
  for (std::size_t u = 0; u < N; ++u) rec.units[u].id = std::to_string(u);
  if (src.find("med")) {
    MatVar med = src.read("med");
    const NumericArray m = require_numeric(src, med.get(), "med");
    if (m.rows != N || m.cols < 2)
      fail(src.path(), "med", "one position row per neuron", std::to_string(N) + "×3",
           std::to_string(m.rows) + "×" + std::to_string(m.cols));
    for (std::size_t u = 0; u < N; ++u)
      for (std::size_t k = 0; k < std::min<std::size_t>(3, m.cols); ++k)
        rec.units[u].position_um[k] = m.at(u, k);
  }

  if (src.find("beh")) {
    MatVar beh = src.read("beh");
    struct Channel {
      const char* name;
      std::vector<const char*> path;  // struct fields from beh down
    };
    const Channel kChannels[] = {{"running_speed", {"runSpeed"}},
                                 {"face_motion_svd", {"face", "motionSVD"}},
                                 {"pupil_area", {"pupil", "area"}}};
    for (const auto& c : kChannels) {
      matvar_t* v = beh.get();
      std::string field = "beh";
      for (const char* f : c.path) {
        v = struct_field(v, f);
        field += std::string(".") + f;
      }
      if (auto values = frames_by_dims(src, v, field, T)) {
        rec.behavior.push_back({c.name, "", t, std::move(*values)});
      }
    }
  }
  return {std::move(rec)};
}

// ---- f. Triplett et al. 2018 zebrafish tectum: activity_matrix, cell_coordinates ---------------

std::vector<Recording> read_triplett(const MatSource& src) {
  MatVar act = src.read("activity_matrix");
  const NumericArray a = require_numeric(src, act.get(), "activity_matrix");
  if (a.size() == 0) fail(src.path(), "activity_matrix", "empty matrix");
  std::optional<NumericArray> coords;
  if (src.find("cell_coordinates")) {
    MatVar c = src.read("cell_coordinates");
    coords = require_numeric(src, c.get(), "cell_coordinates");
  }
  // The release stores cells × time; cell_coordinates (cells × 2) confirms which side is cells.
  const bool cells_in_rows = !coords || coords->rows == a.rows || coords->rows != a.cols;
  Recording rec;
  rec.name = src.path().stem().string();
  rec.activity = time_by_units(a, cells_in_rows);
  rec.sample_rate_hz = src.options().sample_rate_hz;
  rec.metadata["variable"] = "activity_matrix";
  const auto N = static_cast<std::size_t>(rec.n_units());
  rec.units.resize(N);
  for (std::size_t u = 0; u < N; ++u) rec.units[u].id = std::to_string(u + 1);
  if (coords && coords->size() > 0) {
    if (coords->rows != N || coords->cols < 2)
      fail(src.path(), "cell_coordinates", "one row per cell", std::to_string(N) + "×2",
           std::to_string(coords->rows) + "×" + std::to_string(coords->cols));
    for (std::size_t u = 0; u < N; ++u)
      for (std::size_t k = 0; k < std::min<std::size_t>(3, coords->cols); ++k)
        rec.units[u].position_um[k] = coords->at(u, k);
    rec.metadata["position_note"] = "cell_coordinates copied as stored; the release states no unit";
  }
  if (src.find("detected_assemblies")) {
    // Assemblies as 1-based cell numbers (the units' ids), "1 6 7; 2 3 9" one group per ';'.
    MatVar asm_var = src.read("detected_assemblies");
    std::string text;
    const std::size_t n = asm_var->class_type == MAT_C_CELL ? element_count(asm_var.get()) : 0;
    for (std::size_t k = 0; k < n; ++k) {
      const std::string field = "detected_assemblies{" + std::to_string(k + 1) + "}";
      const NumericArray members = require_numeric(src, cell_element(asm_var.get(), k), field);
      std::string group;
      for (double m : members.values) {
        if (!(m >= 1 && m <= static_cast<double>(N)))
          fail(src.path(), field, "cell number out of range", "1.." + std::to_string(N),
               std::to_string(m));
        if (!group.empty()) group += ' ';
        group += std::to_string(static_cast<long long>(m));
      }
      text += (k ? "; " : "") + group;
    }
    rec.metadata["assemblies"] = text;
  }
  return {std::move(rec)};
}

// ---- g. Generic fallback: every real numeric matrix -------------------------------------------

std::vector<Recording> read_plain_matrices(const MatSource& src) {
  std::vector<Recording> recs;
  std::string skipped;
  for (const auto& info : src.vars()) {
    const bool numeric_class = info.class_type != MAT_C_CELL && info.class_type != MAT_C_STRUCT &&
                               info.class_type != MAT_C_CHAR && info.class_type != MAT_C_SPARSE &&
                               info.class_type != MAT_C_OBJECT &&
                               info.class_type != MAT_C_FUNCTION && info.class_type != MAT_C_OPAQUE;
    std::optional<NumericArray> a;
    if (numeric_class) {
      MatVar v = src.read(info.name);
      a = to_numeric(v.get());
    }
    // Scalars are almost always parameters (a frame rate, a count), not a recording.
    if (!a || a->size() < 2) {
      skipped += (skipped.empty() ? "" : ", ") + info.name;
      continue;
    }
    const bool units_in_rows = src.options().units_by_time || a->rows < a->cols;
    Recording rec;
    rec.name = info.name;
    rec.activity = time_by_units(*a, units_in_rows);
    rec.sample_rate_hz = rate_for_frames(src);
    rec.metadata["variable"] = info.name;
    recs.push_back(std::move(rec));
  }
  if (recs.empty())
    fail(src.path(), "", "no usable variable",
         "a layout of docs/readers/mat.md or a real numeric matrix", src.listing());
  if (!skipped.empty())
    for (auto& r : recs) r.metadata["skipped_variables"] = skipped;
  return recs;
}

// ---- the layout table --------------------------------------------------------------------------

struct Layout {
  const char* name;
  std::function<bool(const MatSource&)> matches;
  std::vector<Recording> (*read)(const MatSource&);
};

bool has(const MatSource& src, const char* name, std::optional<matio_classes> cls = {}) {
  const VarInfo* v = src.find(name);
  return v && (!cls || v->class_type == *cls);
}

const std::vector<Layout>& layouts() {
  // Tried in this order; the first match reads the file.
  static const std::vector<Layout> kLayouts = {
      {"cascade-groundtruth", [](const MatSource& s) { return has(s, "CAttached"); },
       read_ground_truth},
      {"cascade-population", [](const MatSource& s) { return has(s, "dF_traces"); },
       read_population},
      {"tetrode-spike-cells", [](const MatSource& s) { return has(s, "spikes", MAT_C_CELL); },
       read_tetrode_spikes},
      {"stringer2019-spontaneous", [](const MatSource& s) { return has(s, "Fsp"); }, read_stringer},
      {"triplett2018-tectum", [](const MatSource& s) { return has(s, "activity_matrix"); },
       read_triplett},
      {"plain-matrix", [](const MatSource&) { return true; }, read_plain_matrices},
  };
  return kLayouts;
}

}  // namespace

bool sniff_mat(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  char head[19] = {};
  if (!in.read(head, sizeof head)) return false;
  const std::string_view h(head, sizeof head);
  return h == "MATLAB 5.0 MAT-file" || h == "MATLAB 7.3 MAT-file";
}

std::vector<Recording> read_mat(const std::filesystem::path& path, const ReadOptions& options) {
  const MatSource src(path, options);
  for (const auto& layout : layouts()) {
    if (!layout.matches(src)) continue;
    std::vector<Recording> recs = layout.read(src);
    for (auto& r : recs) {
      r.metadata["format"] = "mat";
      r.metadata["mat_version"] = src.version();
      r.metadata["layout"] = layout.name;
    }
    return recs;
  }
  throw InternalError("read_mat: the plain-matrix layout matches every file");
}

}  // namespace neurodl::io
