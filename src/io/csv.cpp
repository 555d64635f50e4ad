// CSV/TSV tables of numbers. Numbers are parsed with std::from_chars into double (correctly
// rounded, locale-independent), then rounded to float32 like numpy's float64 → float32 cast.

#include "neurodl/io/csv.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <system_error>

#include "neurodl/core/atomic_file.hpp"
#include "neurodl/core/error.hpp"

namespace neurodl::io {
namespace {

namespace fs = std::filesystem;

/// A parsed table: header names and numeric columns (all of equal length).
struct Table {
  std::vector<std::string> names;
  std::vector<std::vector<double>> columns;
  std::vector<std::size_t> line_of_row;  ///< 1-based file line of each data row, for messages
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string trim(std::string_view s) {
  std::size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r')) --b;
  return std::string(s.substr(a, b - a));
}

/// Splits one line into cells. A cell in double quotes may hold the delimiter; "" inside quotes
/// is one quote. Surrounding spaces are dropped.
std::vector<std::string> split_cells(std::string_view line, char delim) {
  std::vector<std::string> cells;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"' && trim(cur).empty()) {
      cur.clear();
      quoted = true;
    } else if (c == delim) {
      cells.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  cells.push_back(trim(cur));
  return cells;
}

/// Parses a numeric cell; empty is NaN. Returns false when the cell is not a number.
bool parse_number(const std::string& cell, double& out) {
  if (cell.empty()) {
    out = std::nan("");
    return true;
  }
  const char* b = cell.data();
  const char* e = b + cell.size();
  if (*b == '+') ++b;  // from_chars does not take a leading '+'
  const auto [ptr, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && ptr == e;
}

Table parse_table(const fs::path& path, char delim, const std::string& component) {
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in), ErrorKind::io,
        {.component = component, .what = "cannot open file", .file = path.string()});
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);  // UTF-8 byte-order mark

  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.emplace_back(text.data() + start, end - start);
    start = end + 1;
  }
  while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();  // trailing blank lines
  check(!lines.empty(), ErrorKind::io,
        {.component = component, .what = "empty file", .expected = "a header row and data rows",
         .file = path.string()});
  check(lines.size() > 1, ErrorKind::io,
        {.component = component, .what = "no data rows after the header",
         .expected = "data from line 2", .file = path.string(), .field = "line 2"});

  Table t;
  t.names = split_cells(lines[0], delim);
  const std::size_t n = t.names.size();
  t.columns.assign(n, {});
  for (auto& c : t.columns) c.reserve(lines.size() - 1);
  for (std::size_t l = 1; l < lines.size(); ++l) {
    const std::string where = "line " + std::to_string(l + 1);
    const std::vector<std::string> cells = split_cells(lines[l], delim);
    if (cells.size() != n)
      raise(ErrorKind::io, {.component = component, .what = "ragged row",
                            .expected = std::to_string(n) + " cells as in the header",
                            .got = std::to_string(cells.size()), .file = path.string(),
                            .field = where});
    for (std::size_t j = 0; j < n; ++j) {
      double v;
      if (!parse_number(cells[j], v))
        raise(ErrorKind::io, {.component = component, .what = "non-numeric cell",
                              .expected = "a number or an empty cell",
                              .got = "'" + cells[j].substr(0, 40) + "'", .file = path.string(),
                              .field = where + ", column " + std::to_string(j + 1)});
      t.columns[j].push_back(v);
    }
    t.line_of_row.push_back(l + 1);
  }
  return t;
}

/// Reads the first line of a file (at most 64 kB).
std::string first_line(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in) return line;
  char buf[65536];
  in.read(buf, sizeof buf);
  line.assign(buf, static_cast<std::size_t>(in.gcount()));
  return line.substr(0, line.find('\n'));
}

/// Rows up to and including the last non-NaN value: the Spikefinder files pad shorter columns.
std::size_t trimmed_length(const std::vector<double>& c) {
  std::size_t n = c.size();
  while (n > 0 && std::isnan(c[n - 1])) --n;
  return n;
}

MatrixF column_matrix(const std::vector<double>& c, std::size_t n) {
  MatrixF m(static_cast<Eigen::Index>(n), 1);
  for (std::size_t i = 0; i < n; ++i) m(static_cast<Eigen::Index>(i), 0) = static_cast<float>(c[i]);
  return m;
}

}  // namespace

bool sniff_spikefinder_csv(const fs::path& path) {
  const std::string name = lower(path.filename().string());
  if (!ends_with(name, ".calcium.csv") && !ends_with(name, ".spikes.csv")) return false;
  const std::vector<std::string> header = split_cells(first_line(path), ',');
  return std::all_of(header.begin(), header.end(), [](const std::string& h) {
    return !h.empty() && std::all_of(h.begin(), h.end(), [](unsigned char c) { return std::isdigit(c); });
  });
}

std::vector<Recording> read_spikefinder_csv(const fs::path& path, const ReadOptions& options) {
  const std::string component = "io.spikefinder-csv";
  const std::string name = path.filename().string();
  const bool is_spikes = ends_with(lower(name), ".spikes.csv");
  const Table t = parse_table(path, ',', component);

  // X.calcium.csv → X.spikes.csv beside it holds the ground-truth spike counts.
  Table spikes;
  fs::path spikes_path;
  if (!is_spikes && ends_with(lower(name), ".calcium.csv")) {
    spikes_path = path.parent_path() / (name.substr(0, name.size() - 12) + ".spikes.csv");
    std::error_code ec;
    if (fs::is_regular_file(spikes_path, ec)) spikes = parse_table(spikes_path, ',', component);
    else spikes_path.clear();
  }

  std::vector<Recording> recs;
  const std::string stem = path.stem().string();
  for (std::size_t j = 0; j < t.names.size(); ++j) {
    const std::size_t n = trimmed_length(t.columns[j]);
    Recording rec;
    rec.name = stem + ":" + t.names[j];
    rec.kind = is_spikes ? ActivityKind::spike_counts : ActivityKind::dff;
    rec.sample_rate_hz = std::isnan(options.sample_rate_hz) ? kSpikefinderRateHz : options.sample_rate_hz;
    rec.activity = column_matrix(t.columns[j], n);
    rec.units.resize(1);
    rec.units[0].id = t.names[j];
    if (!spikes_path.empty()) {
      const auto it = std::find(spikes.names.begin(), spikes.names.end(), t.names[j]);
      if (it == spikes.names.end())
        raise(ErrorKind::shape, {.component = component,
                                 .what = "neuron " + t.names[j] + " of " + path.string() + " is missing",
                                 .file = spikes_path.string(), .field = "header"});
      const auto& sc = spikes.columns[static_cast<std::size_t>(it - spikes.names.begin())];
      if (sc.size() < n)
        raise(ErrorKind::shape, {.component = component,
                                 .what = "fewer rows than the calcium trace of " + path.string(),
                                 .expected = std::to_string(n), .got = std::to_string(sc.size()),
                                 .file = spikes_path.string(), .field = "neuron " + t.names[j]});
      rec.truth["spike_counts"] = column_matrix(sc, n);
      rec.metadata["spikes_file"] = spikes_path.filename().string();
    }
    recs.push_back(std::move(rec));
  }
  return recs;
}

bool sniff_csv(const fs::path& path) {
  const std::string ext = lower(path.extension().string());
  std::error_code ec;
  return (ext == ".csv" || ext == ".tsv") && fs::is_regular_file(path, ec);
}

std::vector<Recording> read_csv(const fs::path& path, const ReadOptions& options) {
  const std::string component = "io.csv";
  const char delim = lower(path.extension().string()) == ".tsv" ? '\t' : ',';
  const Table t = parse_table(path, delim, component);
  static const std::set<std::string> kCodeColumns = {"events", "event", "condition"};

  Recording rec;
  rec.name = path.stem().string();
  rec.kind = ActivityKind::unknown;
  rec.sample_rate_hz = options.sample_rate_hz;
  const bool in_seconds = !std::isnan(options.sample_rate_hz);
  std::vector<std::size_t> activity_cols;
  std::set<std::string> seen;
  std::map<std::int64_t, std::int64_t> repeats;  // stimulus code → runs seen so far
  for (std::size_t j = 0; j < t.names.size(); ++j) {
    const std::string id = t.names[j].empty() ? std::to_string(j) : t.names[j];
    check(seen.insert(id).second, ErrorKind::io,
          {.component = component, .what = "duplicate column name '" + id + "'",
           .file = path.string(), .field = "line 1, column " + std::to_string(j + 1)});
    if (!kCodeColumns.count(lower(id))) {
      activity_cols.push_back(j);
      rec.units.push_back(Unit{.id = id});
      continue;
    }
    // Stimulus codes: each maximal run of one non-zero code is one presentation [start, end).
    const auto& c = t.columns[j];
    for (std::size_t i = 0; i < c.size();) {
      const double v = c[i];
      if (std::isnan(v) || v == 0) {
        ++i;
        continue;
      }
      if (v != std::round(v) || std::abs(v) > 9e15)
        raise(ErrorKind::io, {.component = component, .what = "stimulus code is not an integer",
                              .got = std::to_string(v), .file = path.string(),
                              .field = "line " + std::to_string(t.line_of_row[i]) + ", column " +
                                       std::to_string(j + 1) + " (" + id + ")"});
      std::size_t end = i + 1;
      while (end < c.size() && c[end] == v) ++end;
      const double scale = in_seconds ? 1.0 / options.sample_rate_hz : 1.0;
      const auto code = static_cast<std::int64_t>(v);
      rec.stimuli.events.push_back({.onset_s = static_cast<double>(i) * scale,
                                    .offset_s = static_cast<double>(end) * scale,
                                    .stimulus_id = code,
                                    .repeat = repeats[code]++});
      i = end;
    }
    rec.metadata["stimulus_column"] = id;
    if (!in_seconds) rec.metadata["stimulus_time_unit"] = "samples";
  }
  check(!activity_cols.empty(), ErrorKind::io,
        {.component = component, .what = "no activity columns (only stimulus codes)",
         .file = path.string(), .field = "line 1"});
  std::stable_sort(rec.stimuli.events.begin(), rec.stimuli.events.end(),
                   [](const StimulusEvent& a, const StimulusEvent& b) { return a.onset_s < b.onset_s; });

  const auto T = static_cast<Eigen::Index>(t.line_of_row.size());
  rec.activity.resize(T, static_cast<Eigen::Index>(activity_cols.size()));
  for (std::size_t k = 0; k < activity_cols.size(); ++k)
    for (Eigen::Index i = 0; i < T; ++i)
      rec.activity(i, static_cast<Eigen::Index>(k)) =
          static_cast<float>(t.columns[activity_cols[k]][static_cast<std::size_t>(i)]);
  return {std::move(rec)};
}

void write_spikefinder_csv(const fs::path& path, const MatrixF& m) {
  AtomicFile out(path);
  {
    std::ofstream f(out.temp_path());
    if (!f)
      raise(ErrorKind::io, {.component = "io.spikefinder-csv", .what = "cannot create file", .file = path.string()});
    for (Eigen::Index j = 0; j < m.cols(); ++j) f << (j ? "," : "") << j;
    f << '\n';
    char buf[32];
    for (Eigen::Index t = 0; t < m.rows(); ++t) {
      for (Eigen::Index j = 0; j < m.cols(); ++j) {
        if (j) f << ',';
        const float v = m(t, j);
        if (std::isnan(v)) continue;
        std::snprintf(buf, sizeof buf, "%.6g", static_cast<double>(v));
        f << buf;
      }
      f << '\n';
    }
    f.flush();
    if (!f)
      raise(ErrorKind::io, {.component = "io.spikefinder-csv", .what = "write failed", .file = path.string()});
  }
  out.commit();
}

}  // namespace neurodl::io
