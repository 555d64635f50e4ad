// Spikefinder and time × ROI CSV readers. Fixtures: tests/reference/make_csv_fixtures.py (Python's
// csv module writing repr() floats, NaN as empty cells); values recomputed here. Real files:
// ../shared/data/spikefinder and ../shared/data/fmri.

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/io/csv.hpp"
#include "neurodl/io/registry.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace io = neurodl::io;
using neurodl::ActivityKind;
using neurodl::test::fixture;

namespace {

fs::path csv(const std::string& name) { return fixture("csv/" + name); }

template <class E>
void expect_error(const fs::path& file, const std::string& needle,
                  io::ReaderFn reader = io::read_csv) {
  neurodl::test::expect_error_naming<E>([&] { reader(file, {}); }, file, needle);
}

}  // namespace

TEST(Csv, SpikefinderFixtureWithCompanionSpikes) {
  EXPECT_TRUE(io::sniff_spikefinder_csv(csv("tiny.calcium.csv")));
  EXPECT_FALSE(io::sniff_spikefinder_csv(csv("rois.csv")));
  EXPECT_EQ(io::detect_format(csv("tiny.calcium.csv")).name, std::string("spikefinder-csv"));
  const auto recs = io::read_recordings(csv("tiny.calcium.csv"));
  ASSERT_EQ(recs.size(), 3u);
  const int lengths[] = {6, 4, 6};
  for (int j = 0; j < 3; ++j) {
    SCOPED_TRACE(j);
    const auto& r = recs[static_cast<std::size_t>(j)];
    EXPECT_EQ(r.name, "tiny.calcium:" + std::to_string(j));
    EXPECT_EQ(r.units.at(0).id, std::to_string(j));
    EXPECT_EQ(r.kind, ActivityKind::dff);
    EXPECT_EQ(r.sample_rate_hz, 100.0);
    ASSERT_EQ(r.n_samples(), lengths[j]);
    ASSERT_EQ(r.n_units(), 1);
    const auto& s = r.truth.at("spike_counts");
    ASSERT_EQ(s.rows(), lengths[j]);
    for (int i = 0; i < lengths[j]; ++i) {
      if (j == 2 && i == 2) {
        EXPECT_TRUE(std::isnan(r.activity(i, 0)));  // NaN inside a column is kept
      } else {
        EXPECT_EQ(r.activity(i, 0), static_cast<float>(0.1 * i - 0.05 * j));
      }
      EXPECT_EQ(s(i, 0), static_cast<float>((i + j) % 3));
    }
  }
}

TEST(Csv, SpikefinderSpikesAloneAndRateOverride) {
  io::ReadOptions opt;
  opt.sample_rate_hz = 25.0;
  const auto recs = io::read_spikefinder_csv(csv("lonely.spikes.csv"), opt);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[1].kind, ActivityKind::spike_counts);
  EXPECT_EQ(recs[1].n_samples(), 4);
  EXPECT_EQ(recs[1].sample_rate_hz, 25.0);
  EXPECT_TRUE(recs[1].truth.empty());
  EXPECT_TRUE(io::read_spikefinder_csv(csv("orphan.calcium.csv"), {})[0].truth.empty());
}

TEST(Csv, SpikefinderBadInputs) {
  expect_error<neurodl::ShapeError>(csv("missing_neuron.calcium.csv"), "missing_neuron.spikes.csv",
                                    io::read_spikefinder_csv);
  expect_error<neurodl::IoError>(csv("ragged.calcium.csv"), "line 4: ragged row",
                                 io::read_spikefinder_csv);
  expect_error<neurodl::IoError>(csv("bad_cell.calcium.csv"), "line 3, column 2: non-numeric cell",
                                 io::read_spikefinder_csv);
}

TEST(Csv, RoiTableCsvAndTsv) {
  for (std::string name : {"rois.csv", "rois.tsv"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(io::sniff_csv(csv(name)));
    EXPECT_EQ(io::detect_format(csv(name)).name, std::string("csv"));
    const auto recs = io::read_recordings(csv(name));
    ASSERT_EQ(recs.size(), 1u);
    const auto& r = recs[0];
    EXPECT_EQ(r.name, "rois");
    EXPECT_EQ(r.kind, ActivityKind::unknown);
    EXPECT_TRUE(std::isnan(r.sample_rate_hz));
    ASSERT_EQ(r.n_samples(), 5);
    ASSERT_EQ(r.n_units(), 3);
    EXPECT_EQ(r.units[0].id, "A");
    EXPECT_EQ(r.units[2].id, "C");
    for (int i = 0; i < 5; ++i)
      for (int j = 0; j < 3; ++j) EXPECT_EQ(r.activity(i, j), 10.0f * i + j + 0.5f);
  }
}

TEST(Csv, EventColumnBecomesStimuli) {
  // Codes 0 2 2 0 3 0 2 0: runs [1,3) code 2, [4,5) code 3, [6,7) code 2 (second repeat).
  const auto in_samples = io::read_csv(csv("events.csv"), {});
  ASSERT_EQ(in_samples[0].n_units(), 1);
  EXPECT_EQ(in_samples[0].units[0].id, "bold");
  EXPECT_EQ(in_samples[0].metadata.at("stimulus_time_unit"), "samples");
  io::ReadOptions opt;
  opt.sample_rate_hz = 0.5;  // TR 2 s
  const auto recs = io::read_recordings(csv("events.csv"), opt);
  const auto& r = recs[0];
  ASSERT_EQ(r.n_samples(), 8);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(r.activity(i, 0), 0.25f * i);
  EXPECT_EQ(r.metadata.count("stimulus_time_unit"), 0u);
  using E = neurodl::StimulusEvent;
  const std::vector<E> want = {{.onset_s = 2, .offset_s = 6, .stimulus_id = 2, .repeat = 0},
                               {.onset_s = 8, .offset_s = 10, .stimulus_id = 3, .repeat = 0},
                               {.onset_s = 12, .offset_s = 14, .stimulus_id = 2, .repeat = 1}};
  EXPECT_EQ(r.stimuli.events, want);
  const std::vector<E> want_samples = {{.onset_s = 1, .offset_s = 3, .stimulus_id = 2, .repeat = 0},
                                       {.onset_s = 4, .offset_s = 5, .stimulus_id = 3, .repeat = 0},
                                       {.onset_s = 6, .offset_s = 7, .stimulus_id = 2, .repeat = 1}};
  EXPECT_EQ(in_samples[0].stimuli.events, want_samples);
}

TEST(Csv, RoiTableBadInputs) {
  expect_error<neurodl::IoError>(csv("empty.csv"), "empty file");
  expect_error<neurodl::IoError>(csv("header_only.csv"), "no data rows");
  expect_error<neurodl::IoError>(csv("ragged.csv"), "line 3: ragged row");
  expect_error<neurodl::IoError>(csv("bad_cell.csv"), "line 3, column 2: non-numeric cell");
  expect_error<neurodl::IoError>(csv("bad_code.csv"), "line 3, column 2 (events)");
  expect_error<neurodl::IoError>(csv("duplicate.csv"), "duplicate column name");
  expect_error<neurodl::IoError>(csv("no_such.csv"), "cannot open");
}

TEST(Csv, RealSpikefinderFiles) {
  NEURODL_REQUIRE_SHARED_DATA("spikefinder/6.train.calcium.csv");
  const fs::path dir = neurodl::test::shared_data() / "spikefinder";
  const auto five = io::read_recordings(dir / "5.train.calcium.csv");
  ASSERT_EQ(five.size(), 9u);
  for (const auto& r : five) {
    EXPECT_EQ(r.n_samples(), 16919);
    EXPECT_EQ(r.truth.at("spike_counts").rows(), 16919);
  }
  // The first data row of the file, as written.
  EXPECT_EQ(five[0].activity(0, 0), static_cast<float>(-0.0468043214674));
  EXPECT_EQ(five[8].activity(0, 0), static_cast<float>(1.10016107043));
  EXPECT_EQ(five[8].activity(1, 0), static_cast<float>(1.28496560247));
  EXPECT_EQ(five[4].name, "5.train.calcium:4");
  const auto six = io::read_recordings(dir / "6.train.calcium.csv");
  ASSERT_EQ(six.size(), 9u);
  const int lengths[] = {23998, 23998, 5998, 23998, 9598, 23998, 19198, 19198, 23998};
  double total_spikes = 0;
  for (std::size_t j = 0; j < 9; ++j) {
    EXPECT_EQ(six[j].n_samples(), lengths[j]) << j;
    EXPECT_EQ(six[j].truth.at("spike_counts").rows(), lengths[j]) << j;
    EXPECT_EQ(neurodl::count_nonfinite(six[j].activity), 0) << j;
    total_spikes += six[j].truth.at("spike_counts").sum();
  }
  EXPECT_GT(total_spikes, 0);
  const auto spikes = io::read_recordings(dir / "6.train.spikes.csv");
  EXPECT_EQ(spikes[2].kind, ActivityKind::spike_counts);
  EXPECT_EQ(spikes[2].n_samples(), 5998);
}

TEST(Csv, RealFmriTables) {
  NEURODL_REQUIRE_SHARED_DATA("fmri/event_related_fmri.csv");
  const fs::path dir = neurodl::test::shared_data() / "fmri";
  const auto rest = io::read_recordings(dir / "fmri_timeseries.csv");
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].n_samples(), 250);
  ASSERT_EQ(rest[0].n_units(), 31);
  EXPECT_EQ(rest[0].units[0].id, "WM");
  EXPECT_EQ(rest[0].units[30].id, "RPrec");
  EXPECT_EQ(rest[0].activity(0, 0), 10125.9f);
  EXPECT_EQ(rest[0].activity(249, 30), 2.96689f);
  io::ReadOptions opt;
  opt.sample_rate_hz = 0.5;  // TR 2 s
  const auto ev = io::read_recordings(dir / "event_related_fmri.csv", opt);
  ASSERT_EQ(ev[0].n_samples(), 3360);
  ASSERT_EQ(ev[0].n_units(), 1);
  EXPECT_EQ(ev[0].activity(0, 0), static_cast<float>(-0.20341448605092113));
  ASSERT_EQ(ev[0].stimuli.events.size(), 576u);  // 96 runs of each code 1..6
  EXPECT_EQ(ev[0].stimuli.events[0].onset_s, 2.0);
  EXPECT_EQ(ev[0].stimuli.events[0].offset_s, 4.0);
  EXPECT_EQ(ev[0].stimuli.events[0].stimulus_id, 4);
}
