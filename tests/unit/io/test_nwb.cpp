// NWB 2.x reader. Fixtures in tests/fixtures/nwb/*.nwb and the expected values below were made
// by tests/reference/make_nwb_fixtures.py (values computed there with numpy: stored value →
// float32, times float32 conversion plus offset in double, → float32). The real-file numbers
// (per-sweep sums, first samples) were computed with h5py + numpy from the shared files.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/spike_trains.hpp"
#include "neurodl/io/neurodl_h5.hpp"
#include "neurodl/io/nwb.hpp"
#include "neurodl/io/registry.hpp"
#include "test_support.hpp"

namespace neurodl::io {
namespace {

namespace fs = std::filesystem;
using neurodl::test::fixture;
using neurodl::test::ScratchDir;
using neurodl::test::shared_data;

void expect_matrix(const MatrixF& m, Eigen::Index rows, Eigen::Index cols,
                   const std::vector<float>& row_major) {
  ASSERT_EQ(m.rows(), rows);
  ASSERT_EQ(m.cols(), cols);
  for (Eigen::Index i = 0; i < m.size(); ++i)
    EXPECT_EQ(m.data()[i], row_major[static_cast<size_t>(i)]) << "element " << i;
}

double sum(const MatrixF& m) { return m.cast<double>().sum(); }

TEST(Nwb, SnifferAcceptsNwbOnly) {
  for (const char* f : {"ophys.nwb", "units.nwb", "icephys.nwb", "ecephys.nwb"}) {
    EXPECT_TRUE(sniff_nwb(fixture(std::string("nwb/") + f))) << f;
    EXPECT_FALSE(sniff_neurodl_h5(fixture(std::string("nwb/") + f))) << f;
    EXPECT_STREQ(detect_format(fixture(std::string("nwb/") + f)).name, "nwb") << f;
  }
  EXPECT_FALSE(sniff_nwb(fixture("nwb/neurodl_h5_by_h5py.h5")));
  EXPECT_FALSE(sniff_nwb(fixture("nwb/missing.nwb")));
  EXPECT_FALSE(sniff_nwb(fixture("nwb")));
}

TEST(Nwb, OphysSeriesWithConversionRoisAndTimestamps) {
  const auto recs = read_nwb(fixture("nwb/ophys.nwb"), {});
  ASSERT_EQ(recs.size(), 2u);  // walk order: DfOverF sorts before Fluorescence
  const Recording& dff = recs[0];
  EXPECT_EQ(dff.name, "DfOverF_RoiResponseSeries");
  EXPECT_EQ(dff.kind, ActivityKind::dff);
  expect_matrix(dff.activity, 4, 3,
                {0.100000001f, 0.200000003f, 0.300000012f, 0, -0.5f, 1.5f, 2.25f, 0.125f, 0,
                 0.00100000005f, 7, -1});
  EXPECT_EQ(dff.timestamps_s, (std::vector<double>{0.0, 0.1, 0.2, 0.35}));
  EXPECT_TRUE(std::isnan(dff.sample_rate_hz));  // irregular timestamps
  EXPECT_EQ(dff.start_time_s, 0.0);
  ASSERT_EQ(dff.units.size(), 3u);
  EXPECT_EQ(dff.units[2].id, "2");  // no rois region: numbered

  const Recording& fl = recs[1];
  EXPECT_EQ(fl.name, "Fluorescence_RoiResponseSeries");
  EXPECT_EQ(fl.kind, ActivityKind::fluorescence);
  EXPECT_EQ(fl.sample_rate_hz, 30.0);
  EXPECT_EQ(fl.start_time_s, 2.0);
  EXPECT_TRUE(fl.timestamps_s.empty());
  // int16 data × conversion 0.5 + offset 1.0
  expect_matrix(fl.activity, 5, 3, {1.5f, 2, 2.5f, 3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7, 0, 1, 51});
  ASSERT_EQ(fl.units.size(), 3u);  // rois → rows 1..3 of PlaneSegmentation ids 10,20,30,40
  EXPECT_EQ(fl.units[0].id, "20");
  EXPECT_EQ(fl.units[2].id, "40");
  EXPECT_EQ(fl.metadata.at("unit"), "lumens");
  EXPECT_EQ(fl.metadata.at("nwb_path"), "/processing/ophys/Fluorescence/RoiResponseSeries");

  for (const Recording& r : recs) {
    // File metadata: vlen scalars, a fixed-length institution, a list of experimenters.
    EXPECT_EQ(r.metadata.at("nwb_version"), "2.5.0");
    EXPECT_EQ(r.metadata.at("identifier"), "fixture-ophys.nwb");
    EXPECT_EQ(r.metadata.at("session_description"), "tiny ophys fixture");
    EXPECT_EQ(r.metadata.at("session_start_time"), "2020-01-01T10:00:00+00:00");
    EXPECT_EQ(r.metadata.at("institution"), "Test Institute");
    EXPECT_EQ(r.metadata.at("lab"), "Imaging Lab");
    EXPECT_EQ(r.metadata.at("experimenter"), "Ada Lovelace; Alan Turing");
    // lick repeats a timestamp, so it cannot be a channel: skipped and reported.
    EXPECT_NE(r.metadata.at("nwb_skipped").find("BehavioralEvents/lick"), std::string::npos);

    ASSERT_EQ(r.behavior.size(), 2u);
    const BehaviorChannel& speed = r.behavior[0];
    EXPECT_EQ(speed.name, "running_speed");
    EXPECT_EQ(speed.unit, "cm/s");
    expect_matrix(speed.values, 6, 1, {0, 1.5f, 3, 2.75f, 0.099999994f, 0.049999997f});
    ASSERT_EQ(speed.timestamps_s.size(), 6u);
    EXPECT_DOUBLE_EQ(speed.timestamps_s[3], 0.3);
    const BehaviorChannel& pos = r.behavior[1];
    EXPECT_EQ(pos.name, "position");
    EXPECT_EQ(pos.unit, "meters");
    expect_matrix(pos.values, 3, 2, {0, 1, 0.5f, 1.5f, 1, 2});
    EXPECT_EQ(pos.timestamps_s, (std::vector<double>{0.05, 0.15, 0.3}));

    // trials: stimulus_id 2, 5, 2, 2 → repeats 0, 0, 1, 2
    const std::vector<StimulusEvent> trials = {
        {0.0, 0.5, 2, 0}, {1.0, 1.5, 5, 0}, {2.0, 2.5, 2, 1}, {3.0, 3.5, 2, 2}};
    EXPECT_EQ(r.stimuli.events, trials);
  }
}

TEST(Nwb, UnitsTableOnlyIsBinned) {
  const auto recs = read_nwb(fixture("nwb/units.nwb"), {});
  ASSERT_EQ(recs.size(), 1u);
  const Recording& r = recs[0];
  EXPECT_EQ(r.name, "units");
  EXPECT_EQ(r.kind, ActivityKind::spike_counts);
  EXPECT_EQ(r.sample_rate_hz, kDefaultSpikeBinRateHz);
  EXPECT_EQ(r.start_time_s, 0.05);
  EXPECT_EQ(r.activity.rows(), 96);  // floor((1.00 - 0.05) · 100) + 1, from the script
  ASSERT_EQ(r.activity.cols(), 3);
  EXPECT_EQ(r.activity.col(0).sum(), 3.0f);
  EXPECT_EQ(r.activity.col(1).sum(), 0.0f);
  EXPECT_EQ(r.activity.col(2).sum(), 3.0f);
  ASSERT_EQ(r.units.size(), 3u);
  EXPECT_EQ(r.units[0].id, "7");
  EXPECT_EQ(r.units[1].id, "8");
  EXPECT_EQ(r.units[0].spike_times_s, (std::vector<double>{0.10, 0.25, 0.31}));
  EXPECT_TRUE(r.units[1].spike_times_s.empty());
  EXPECT_EQ(r.units[2].spike_times_s, (std::vector<double>{0.05, 0.5, 1.00}));
  // area from the referenced ElectrodeGroups' location attribute
  EXPECT_EQ(r.units[0].area, "CA1");
  EXPECT_EQ(r.units[1].area, "DG");
  EXPECT_EQ(r.units[2].area, "CA1");
  // epochs with a text condition: numbered by first appearance (run=0, rest=1), sorted by onset
  const std::vector<StimulusEvent> epochs = {{0.0, 0.3, 1, 0}, {0.3, 0.6, 1, 1}, {0.6, 0.9, 0, 0}};
  EXPECT_EQ(r.stimuli.events, epochs);
  EXPECT_EQ(r.metadata.at("stimulus_codes"), "0=run; 1=rest");

  ReadOptions o;
  o.sample_rate_hz = 10.0;
  const auto coarse = read_nwb(fixture("nwb/units.nwb"), o);
  EXPECT_EQ(coarse[0].sample_rate_hz, 10.0);
  EXPECT_EQ(coarse[0].activity.rows(), 10);
}

TEST(Nwb, CurrentClampSweepsWithStimulusAndElectrode) {
  const auto recs = read_nwb(fixture("nwb/icephys.nwb"), {});
  ASSERT_EQ(recs.size(), 2u);
  const std::vector<std::vector<float>> expected = {
      {-0.064000003f, -0.063500002f, -0.0590000041f, 0.0110000009f, 0.0210000016f,
       -0.0690000057f, -0.0650000051f, -0.064000003f},
      {-0.063000001f, -0.0625f, -0.0580000021f, 0.0120000001f, 0.0220000017f, -0.0680000037f,
       -0.064000003f, -0.063000001f}};
  for (size_t s = 0; s < 2; ++s) {
    const Recording& r = recs[s];
    EXPECT_EQ(r.name, "CurrentClampSeries_0" + std::to_string(s + 1));
    EXPECT_EQ(r.kind, ActivityKind::voltage);
    EXPECT_EQ(r.sample_rate_hz, 20000.0);
    EXPECT_EQ(r.start_time_s, 0.5);
    expect_matrix(r.activity, 8, 1, expected[s]);
    EXPECT_EQ(r.metadata.at("sweep_number"), std::to_string(s + 1));
    EXPECT_EQ(r.metadata.at("stimulus_description"), "step_protocol");
    EXPECT_EQ(r.metadata.at("electrode"), "elec0");
    EXPECT_EQ(r.metadata.at("unit"), "volts");
    ASSERT_EQ(r.units.size(), 1u);
    EXPECT_EQ(r.units[0].area, "CA1 pyramidal layer");
  }
  // The stimulus of sweep 1 becomes a channel of sweep 1 only.
  ASSERT_EQ(recs[0].behavior.size(), 1u);
  EXPECT_EQ(recs[0].behavior[0].name, "CurrentClampStimulusSeries_01");
  EXPECT_EQ(recs[0].behavior[0].unit, "amperes");
  EXPECT_EQ(recs[0].behavior[0].values(2, 0), 1e-10f);
  EXPECT_DOUBLE_EQ(recs[0].behavior[0].timestamps_s[1], 0.5 + 1.0 / 20000.0);
  EXPECT_TRUE(recs[1].behavior.empty());
}

TEST(Nwb, EcephysRawLfpAndGenericSeries) {
  const auto recs = read_nwb(fixture("nwb/ecephys.nwb"), {});
  ASSERT_EQ(recs.size(), 3u);
  const Recording& raw = recs[0];
  EXPECT_EQ(raw.name, "acquisition_ElectricalSeries");
  EXPECT_EQ(raw.kind, ActivityKind::voltage);
  EXPECT_EQ(raw.sample_rate_hz, 1000.0);
  // int16 × float32(1e-6) × channel_conversion (1, 2)
  expect_matrix(raw.activity, 6, 2,
                {9.99999975e-05f, -0.000199999995f, 0.000199999995f, -0.00039999999f, 0, 0,
                 0.0327670015f, -0.0655359998f, 9.99999997e-07f, 3.99999999e-06f,
                 3.00000011e-06f, 7.99999998e-06f});
  ASSERT_EQ(raw.units.size(), 2u);  // electrodes region rows 0, 2 → ids 100, 102
  EXPECT_EQ(raw.units[0].id, "100");
  EXPECT_EQ(raw.units[1].id, "102");
  EXPECT_EQ(raw.units[1].area, "DG");

  const Recording& sync = recs[1];
  EXPECT_EQ(sync.name, "probe_sync");
  EXPECT_EQ(sync.kind, ActivityKind::voltage);  // generic 2-D TimeSeries in volts
  EXPECT_EQ(sync.timestamps_s, (std::vector<double>{10.0, 10.5, 11.0}));
  EXPECT_DOUBLE_EQ(sync.sample_rate_hz, 2.0);  // regular timestamps
  EXPECT_EQ(sync.start_time_s, 10.0);

  const Recording& lfp = recs[2];
  EXPECT_EQ(lfp.name, "LFP_ElectricalSeries");
  EXPECT_EQ(lfp.kind, ActivityKind::lfp);
  EXPECT_EQ(lfp.sample_rate_hz, 250.0);
  EXPECT_EQ(lfp.activity(3, 1), 8e-4f);

  // --fs must agree with stored rates when there is no Units table to bin.
  EXPECT_THROW(read_nwb(fixture("nwb/ecephys.nwb"), {.sample_rate_hz = 999.0}), ConfigError);
}

TEST(Nwb, RegistryReadsAndValidatesEveryFixture) {
  for (const char* f : {"ophys.nwb", "units.nwb", "icephys.nwb", "ecephys.nwb"})
    EXPECT_FALSE(read_recordings(fixture(std::string("nwb/") + f)).empty()) << f;
}

TEST(Nwb, RoundTripThroughOwnLayout) {
  // Whatever the NWB reader produces, the own layout stores exactly.
  ScratchDir dir;
  const auto recs = read_nwb(fixture("nwb/ophys.nwb"), {});
  write_neurodl_h5(dir / "copy.h5", recs);
  const auto back = read_neurodl_h5(dir / "copy.h5", {});
  ASSERT_EQ(back.size(), recs.size());
  for (size_t i = 0; i < recs.size(); ++i) EXPECT_TRUE(back[i] == recs[i]);
}

TEST(Nwb, NonNwbAndBrokenFilesAreIoErrors) {
  EXPECT_THROW(read_nwb(fixture("nwb/neurodl_h5_by_h5py.h5"), {}), IoError);
  EXPECT_THROW(read_nwb(fixture("nwb/absent.nwb"), {}), IoError);
  ScratchDir dir;
  const fs::path cut = dir / "cut.nwb";
  fs::copy_file(fixture("nwb/ophys.nwb"), cut);
  fs::resize_file(cut, fs::file_size(cut) / 2);
  try {
    read_nwb(cut, {});
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(cut.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("io.nwb"), std::string::npos) << e.what();
  }
}

TEST(Nwb, RealFergusonCurrentClamp) {
  NEURODL_REQUIRE_SHARED_DATA("nwb/FergusonEtAl2015/FergusonEtAl2015_PYR2.nwb");
  const fs::path p = shared_data() / "nwb/FergusonEtAl2015/FergusonEtAl2015_PYR2.nwb";
  const auto recs = read_recordings(p);
  ASSERT_EQ(recs.size(), 13u);
  // Sum of each sweep's float32 samples in float64, from h5py + numpy.
  const double sums[13] = {-1168.4025708436966, -1122.9287244081497, -1073.0406627771445,
                           -1035.9283884659526, -992.7467029647814,  -960.4309812688225,
                           -936.1677346215874,  -916.1303890610725,  -889.7007347291074,
                           -849.9659947057517,  -827.53163975809,    -803.3653433703876,
                           -780.9983022966626};
  for (size_t s = 0; s < 13; ++s) {
    const Recording& r = recs[s];
    char name[32];
    std::snprintf(name, sizeof name, "CurrentClampSeries_%02zu", s + 1);
    EXPECT_EQ(r.name, name);
    EXPECT_EQ(r.kind, ActivityKind::voltage);
    EXPECT_EQ(r.n_samples(), 20000);
    EXPECT_EQ(r.n_units(), 1);
    EXPECT_EQ(r.sample_rate_hz, 10000.0);
    EXPECT_EQ(r.start_time_s, 0.0);
    EXPECT_NEAR(sum(r.activity), sums[s], 1e-9 * std::abs(sums[s]));
    EXPECT_EQ(r.metadata.at("sweep_number"), std::to_string(s + 1));
    EXPECT_EQ(r.metadata.at("electrode"), "icephys_electrode");
    EXPECT_EQ(r.metadata.at("stimulus_description"),
              "C:\\Axon\\Params\\Carey protocols\\cc25pA1s protocol");
  }
  EXPECT_EQ(recs[0].activity(0, 0), -0.0603027381002903f);
  EXPECT_EQ(recs[0].metadata.at("institution"), "University of Toronto");
  EXPECT_EQ(recs[0].metadata.at("lab"), "Skinner Lab");
  EXPECT_EQ(recs[0].metadata.at("experimenter"), "Katie A. Ferguson");
  EXPECT_EQ(recs[0].metadata.at("nwb_version"), "2.2.5");
}

TEST(Nwb, RealLantyerVoltageClamp) {
  NEURODL_REQUIRE_SHARED_DATA("nwb/Lantyer/LantyerEtAl2018_170328_AB_277_ST50_C.nwb");
  const fs::path p = shared_data() / "nwb/Lantyer/LantyerEtAl2018_170328_AB_277_ST50_C.nwb";
  const auto recs = read_recordings(p);
  ASSERT_EQ(recs.size(), 2u);
  const double sums[2] = {2.01999025016776e-05, 2.0821015954572918e-05};  // float64 data, h5py
  for (size_t s = 0; s < 2; ++s) {
    const Recording& r = recs[s];
    EXPECT_EQ(r.name, "VoltageClampSeries_0" + std::to_string(s + 1));
    EXPECT_EQ(r.kind, ActivityKind::current);
    EXPECT_EQ(r.n_samples(), 29750);
    EXPECT_EQ(r.sample_rate_hz, 49999.99999999999);  // the file's rate attribute, as stored
    EXPECT_NEAR(sum(r.activity), sums[s], 1e-5 * sums[s]);  // samples rounded to float32
    // Each sweep carries its own VoltageClampStimulusSeries as a channel.
    ASSERT_EQ(r.behavior.size(), 1u);
    EXPECT_EQ(r.behavior[0].name, "VoltageClampStimulusSeries_0" + std::to_string(s + 1));
    EXPECT_EQ(r.behavior[0].values.rows(), 29750);
    EXPECT_EQ(r.behavior[0].unit, "volts");
  }
}

}  // namespace
}  // namespace neurodl::io
