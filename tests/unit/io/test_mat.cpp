// Tests of the MATLAB reader (src/io/mat.cpp). The fixtures in tests/fixtures/mat are written by
// tests/reference/make_mat_fixtures.py (scipy.io.savemat for v5, h5py in MATLAB's v7.3
// convention); the expected values below are the ones that script builds and prints.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/spike_trains.hpp"
#include "neurodl/io/mat.hpp"
#include "test_support.hpp"

namespace {

using neurodl::ActivityKind;
using neurodl::ConfigError;
using neurodl::IoError;
using neurodl::Recording;
using neurodl::io::read_mat;
using neurodl::io::ReadOptions;
using neurodl::io::sniff_mat;
namespace fs = std::filesystem;

fs::path mat_fixture(const std::string& name) { return neurodl::test::fixture("mat/" + name); }

std::vector<Recording> read_validated(const fs::path& p, const ReadOptions& o = {}) {
  auto recs = read_mat(p, o);
  for (auto& r : recs) r.validate(p.string());
  return recs;
}

void expect_column(const neurodl::MatrixF& m, int col, const std::vector<double>& want,
                   double tol = 1e-6) {
  ASSERT_EQ(m.rows(), static_cast<Eigen::Index>(want.size()));
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(m(static_cast<Eigen::Index>(i), col), want[i], tol) << "row " << i;
}

void expect_values(const std::vector<double>& got, const std::vector<double>& want,
                   double tol = 1e-12) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "index " << i;
}

// Expects IoError whose one-line message names the file (and `also`, when given).
template <class F>
void expect_io_error(F&& f, const fs::path& file, const std::string& also = {}) {
  try {
    f();
    FAIL() << "no IoError for " << file;
  } catch (const IoError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(file.string()), std::string::npos) << m;
    EXPECT_NE(m.find("io.mat"), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    if (!also.empty()) {
      EXPECT_NE(m.find(also), std::string::npos) << m;
    }
  }
}

// Every v5 layout is written twice: uncompressed (_v5) and zlib-compressed (_v5z).
class MatV5 : public ::testing::TestWithParam<std::string> {
 protected:
  fs::path file(const std::string& stem) const { return mat_fixture(stem + GetParam() + ".mat"); }
};
INSTANTIATE_TEST_SUITE_P(Compression, MatV5, ::testing::Values("_v5", "_v5z"));

TEST(MatSniff, RecognisesV5AndV73HeadersOnly) {
  EXPECT_TRUE(sniff_mat(mat_fixture("plain_v5.mat")));
  EXPECT_TRUE(sniff_mat(mat_fixture("plain_v5z.mat")));
  EXPECT_TRUE(sniff_mat(mat_fixture("plain_v73.mat")));
  EXPECT_FALSE(sniff_mat(mat_fixture("not_a_mat.mat")));
  EXPECT_FALSE(sniff_mat(mat_fixture("tetrode/trajectory.videoPositionTracking")));
  EXPECT_FALSE(sniff_mat(mat_fixture("does_not_exist.mat")));
}

// a. CAttached: entry 1 regular at 10 Hz with 2 NaN times at the end, entry 2 empty (skipped),
// entry 3 irregular with a repeated last time stamp.
TEST_P(MatV5, GroundTruthEntriesWithNaNAndIrregularTimes) {
  const auto recs = read_validated(file("cattached"));
  ASSERT_EQ(recs.size(), 2u);
  const Recording& a = recs[0];
  EXPECT_EQ(a.name, "cattached" + GetParam() + "#1");
  EXPECT_EQ(a.kind, ActivityKind::dff);
  expect_column(a.activity, 0, {0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5});  // NaN-time frames gone
  EXPECT_NEAR(a.sample_rate_hz, 10.0, 1e-9);
  EXPECT_TRUE(a.timestamps_s.empty());  // regular: the rate describes the times
  EXPECT_DOUBLE_EQ(a.start_time_s, 0.0);
  ASSERT_EQ(a.units.size(), 1u);
  expect_values(a.units[0].spike_times_s, {0.04, 0.26, 0.27, 0.71, 0.9});  // NaN dropped, sorted
  ASSERT_TRUE(a.truth.count("spike_counts"));
  // Frame i collects [t_i − 0.05, t_i + 0.05); 0.9 s lies after the last frame.
  expect_column(a.truth.at("spike_counts"), 0, {1, 0, 0, 2, 0, 0, 0, 1});
  EXPECT_EQ(a.metadata.at("dataset"), "mat");
  EXPECT_EQ(a.metadata.at("mat_version"), "5");
  EXPECT_NE(a.metadata.at("skipped_entries").find("CAttached{2}"), std::string::npos);

  const Recording& b = recs[1];
  EXPECT_EQ(b.name, "cattached" + GetParam() + "#3");
  expect_column(b.activity, 0, {1, 2, 3, 4, 5, 6});  // the repeated last frame is dropped
  EXPECT_NEAR(b.sample_rate_hz, 10.0, 1e-9);         // 1 / median interval
  expect_values(b.timestamps_s, {0.0, 0.1, 0.25, 0.3, 0.4, 0.5});
  expect_values(b.units[0].spike_times_s, {0.12, 0.26});
  // Edges at midpoints between frames: -0.05, 0.05, 0.175, 0.275, 0.35, 0.45, 0.55.
  expect_column(b.truth.at("spike_counts"), 0, {0, 1, 1, 0, 0, 0});
}

TEST_P(MatV5, GroundTruthRateOptionIsCheckedAgainstFrameTimes) {
  ReadOptions o;
  o.sample_rate_hz = 10.0;
  EXPECT_EQ(read_mat(file("cattached"), o).size(), 2u);
  o.sample_rate_hz = 30.0;
  EXPECT_THROW(read_mat(file("cattached"), o), ConfigError);
}

TEST_P(MatV5, GroundTruthWithoutUsableEntryIsAnError) {
  expect_io_error([&] { read_mat(file("cattached_unusable"), {}); }, file("cattached_unusable"),
                  "CAttached");
}

// b. dF_traces 4 neurons × 10 frames, value 10·neuron + frame; "7.5Hz" in the name.
TEST_P(MatV5, PopulationTracesAreNeuronsByFrames) {
  const auto recs = read_validated(file("population-7.5Hz"));
  ASSERT_EQ(recs.size(), 1u);
  const Recording& r = recs[0];
  EXPECT_EQ(r.n_samples(), 10);
  EXPECT_EQ(r.n_units(), 4);
  EXPECT_FLOAT_EQ(r.activity(3, 2), 23.0f);
  EXPECT_FLOAT_EQ(r.activity(9, 0), 9.0f);
  EXPECT_EQ(r.kind, ActivityKind::dff);
  EXPECT_DOUBLE_EQ(r.sample_rate_hz, 7.5);
  ReadOptions o;
  o.sample_rate_hz = 5.0;  // the user's rate wins over the file name
  EXPECT_DOUBLE_EQ(read_mat(file("population-7.5Hz"), o)[0].sample_rate_hz, 5.0);
}

// d. spikes{tetrode}{unit}.time with empty cells, binned at 10 Hz; the tracking file beside it.
TEST_P(MatV5, TetrodeSpikeCellsWithPosition) {
  ReadOptions o;
  o.sample_rate_hz = 10.0;
  const auto recs = read_validated(mat_fixture("tetrode/spikes" + GetParam() + ".mat"), o);
  ASSERT_EQ(recs.size(), 1u);
  const Recording& r = recs[0];
  ASSERT_EQ(r.units.size(), 3u);
  EXPECT_EQ(r.units[0].id, "t1u1");
  EXPECT_EQ(r.units[1].id, "t1u3");
  EXPECT_EQ(r.units[2].id, "t2u2");
  EXPECT_TRUE(r.units[0].area.empty());
  expect_values(r.units[0].spike_times_s, {0.01, 0.3, 0.5});
  expect_values(r.units[2].spike_times_s, {0.02, 0.155});
  EXPECT_EQ(r.kind, ActivityKind::spike_counts);
  EXPECT_DOUBLE_EQ(r.sample_rate_hz, 10.0);
  EXPECT_DOUBLE_EQ(r.start_time_s, 0.01);
  expect_column(r.activity, 0, {1, 0, 1, 0, 1});
  expect_column(r.activity, 1, {0, 0, 1, 0, 0});
  expect_column(r.activity, 2, {1, 1, 0, 0, 0});
  EXPECT_EQ(r.metadata.at("empty_cells_skipped"), "2");
  ASSERT_EQ(r.behavior.size(), 1u);
  const auto& pos = r.behavior[0];
  EXPECT_EQ(pos.name, "position");
  expect_values(pos.timestamps_s, {0.0, 0.1, 0.2, 0.3});  // the repeated record is dropped
  expect_column(pos.values, 0, {100, 101, 103, 104});
  expect_column(pos.values, 1, {200, 201, 203, 204});
  EXPECT_EQ(r.metadata.at("position_records_dropped"), "1");

  const auto default_rate = read_mat(mat_fixture("tetrode/spikes" + GetParam() + ".mat"), {});
  EXPECT_DOUBLE_EQ(default_rate[0].sample_rate_hz, neurodl::kDefaultSpikeBinRateHz);
}

// e. Stringer et al. 2019: Fsp 5 × 12 (value 100·neuron + frame), med (10n, 20n, 30 + n),
// beh.runSpeed = frame/2, beh.face.motionSVD = frame + component/10, beh.pupil.area = 100 + frame.
void check_stringer(const std::vector<Recording>& recs, bool has_pupil) {
  ASSERT_EQ(recs.size(), 1u);
  const Recording& r = recs[0];
  EXPECT_EQ(r.n_samples(), 12);
  EXPECT_EQ(r.n_units(), 5);
  EXPECT_FLOAT_EQ(r.activity(5, 2), 205.0f);
  EXPECT_EQ(r.kind, ActivityKind::deconvolved);
  EXPECT_DOUBLE_EQ(r.units[3].position_um[0], 30.0);
  EXPECT_DOUBLE_EQ(r.units[3].position_um[1], 60.0);
  EXPECT_DOUBLE_EQ(r.units[3].position_um[2], 33.0);
  const auto& run = r.behavior_channel("running_speed");
  EXPECT_FLOAT_EQ(run.values(4, 0), 2.0f);
  const auto& svd = r.behavior_channel("face_motion_svd");
  ASSERT_EQ(svd.values.cols(), 3);
  EXPECT_FLOAT_EQ(svd.values(4, 1), 4.1f);
  EXPECT_EQ(r.behavior.size(), has_pupil ? 3u : 2u);
  if (has_pupil) {
    EXPECT_FLOAT_EQ(r.behavior_channel("pupil_area").values(4, 0), 104.0f);
  }
}

TEST_P(MatV5, StringerSpontaneousLayout) {
  const auto recs = read_validated(file("stringer"));
  check_stringer(recs, true);
  const Recording& r = recs[0];
  // No rate given: time is counted in frames, for activity and behaviour alike.
  EXPECT_TRUE(std::isnan(r.sample_rate_hz));
  EXPECT_EQ(r.metadata.at("time_unit"), "frames");
  EXPECT_DOUBLE_EQ(r.timestamps_s[7], 7.0);
  EXPECT_DOUBLE_EQ(r.behavior[0].timestamps_s[7], 7.0);
  EXPECT_FLOAT_EQ(r.behavior_on_activity_time({"running_speed"})(6, 0), 3.0f);

  ReadOptions o;
  o.sample_rate_hz = 3.0;
  const auto timed = read_validated(file("stringer"), o);
  EXPECT_DOUBLE_EQ(timed[0].sample_rate_hz, 3.0);
  EXPECT_TRUE(timed[0].timestamps_s.empty());
  EXPECT_DOUBLE_EQ(timed[0].behavior[0].timestamps_s[3], 1.0);
  EXPECT_EQ(timed[0].metadata.count("time_unit"), 0u);
}

TEST(MatV73, StringerStructsWrittenByH5py) {
  const auto recs = read_validated(mat_fixture("stringer_v73.mat"));
  check_stringer(recs, false);
  EXPECT_EQ(recs[0].metadata.at("mat_version"), "7.3");
}

// f. Triplett et al. 2018: activity_matrix 4 cells × 9 frames (1.5·cell + frame).
TEST_P(MatV5, TriplettTectumLayout) {
  const auto recs = read_validated(file("triplett"));
  ASSERT_EQ(recs.size(), 1u);
  const Recording& r = recs[0];
  EXPECT_EQ(r.n_samples(), 9);
  EXPECT_EQ(r.n_units(), 4);
  EXPECT_FLOAT_EQ(r.activity(8, 3), 12.5f);
  EXPECT_EQ(r.units[2].id, "3");
  EXPECT_DOUBLE_EQ(r.units[2].position_um[0], 5.0);
  EXPECT_DOUBLE_EQ(r.units[2].position_um[1], 6.0);
  EXPECT_TRUE(std::isnan(r.units[2].position_um[2]));
  EXPECT_EQ(r.metadata.at("assemblies"), "1 3; 2 3 4");
  EXPECT_TRUE(std::isnan(r.sample_rate_hz));
}

// g. Plain matrices of several classes; text, struct, sparse, complex and scalars are skipped.
TEST_P(MatV5, PlainMatricesOfSeveralClasses) {
  const auto recs = read_validated(file("plain"));
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[0].name, "a_double");
  EXPECT_EQ(recs[0].n_samples(), 6);
  EXPECT_FLOAT_EQ(recs[0].activity(4, 2), 14.0f);
  EXPECT_EQ(recs[1].name, "b_single");  // stored 3×7: the longer side is time
  EXPECT_EQ(recs[1].n_samples(), 7);
  EXPECT_FLOAT_EQ(recs[1].activity(1, 0), 1.0f);
  EXPECT_FLOAT_EQ(recs[1].activity(1, 1), 8.0f);
  EXPECT_FLOAT_EQ(recs[1].activity(1, 2), 15.0f);
  EXPECT_EQ(recs[2].name, "c_int16");
  EXPECT_FLOAT_EQ(recs[2].activity(1, 1), -6.0f);
  EXPECT_EQ(recs[3].name, "d_logical");
  expect_column(recs[3].activity, 1, {0, 1, 1, 0});
  EXPECT_EQ(recs[4].name, "e_row");
  EXPECT_EQ(recs[4].n_units(), 1);
  expect_column(recs[4].activity, 0, {1, 2, 3, 4, 5, 6});
  const std::string skipped = recs[0].metadata.at("skipped_variables");
  for (const char* v : {"f_text", "g_struct", "h_sparse", "i_complex", "j_scalar"})
    EXPECT_NE(skipped.find(v), std::string::npos) << v;
  EXPECT_TRUE(std::isnan(recs[0].sample_rate_hz));
}

TEST_P(MatV5, PlainMatricesUnitsByTime) {
  ReadOptions o;
  o.units_by_time = true;
  const auto recs = read_validated(file("plain"), o);
  EXPECT_EQ(recs[0].n_samples(), 3);  // 6×3 read as 6 units × 3 samples
  EXPECT_EQ(recs[0].n_units(), 6);
  EXPECT_FLOAT_EQ(recs[0].activity(2, 4), 14.0f);
}

TEST(MatV73, PlainDoubleAndSingleWrittenByH5py) {
  const auto recs = read_validated(mat_fixture("plain_v73.mat"));
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].name, "a_double");
  EXPECT_EQ(recs[0].n_samples(), 6);
  EXPECT_FLOAT_EQ(recs[0].activity(4, 2), 14.0f);
  EXPECT_EQ(recs[1].name, "b_single");
  EXPECT_EQ(recs[1].n_samples(), 7);
  EXPECT_FLOAT_EQ(recs[1].activity(1, 1), 8.0f);
  EXPECT_EQ(recs[0].metadata.at("mat_version"), "7.3");
}

// ---- bad inputs ------------------------------------------------------------------------------

TEST(MatErrors, MissingFile) {
  const auto p = mat_fixture("does_not_exist.mat");
  expect_io_error([&] { read_mat(p, {}); }, p, "no such file");
}

TEST(MatErrors, NotAMatFileWithMatExtension) {
  const auto p = mat_fixture("not_a_mat.mat");
  expect_io_error([&] { read_mat(p, {}); }, p);
}

TEST(MatErrors, NothingUsableListsTheVariables) {
  for (const char* name : {"nothing_usable_v5.mat", "nothing_usable_v5z.mat"}) {
    const auto p = mat_fixture(name);
    expect_io_error([&] { read_mat(p, {}); }, p, "label (1×9 char)");
    expect_io_error([&] { read_mat(p, {}); }, p, "params (1×1 struct)");
  }
}

TEST(MatErrors, TruncatedFilesNeverCrash) {
  neurodl::test::ScratchDir dir;
  for (const char* name : {"cattached_v5.mat", "cattached_v5z.mat", "plain_v5.mat", "plain_v5z.mat",
                           "stringer_v5.mat", "plain_v73.mat", "stringer_v73.mat"}) {
    const auto src = mat_fixture(name);
    std::ifstream in(src, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    const auto cut = dir / name;
    std::ofstream(cut, std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
    SCOPED_TRACE(name);
    expect_io_error([&] { read_mat(cut, {}); }, cut);
  }
}

// Damaged dimensions (bytes 791–798 of triplett_v5.mat hold the dimensions of
// detected_assemblies{1}) must not make the reader allocate and copy gigabytes.
TEST(MatErrors, DamagedDimensionsAreAnError) {
  neurodl::test::ScratchDir dir;
  std::ifstream in(mat_fixture("triplett_v5.mat"), std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), {}};
  ASSERT_EQ(bytes.size(), 808u);
  const unsigned char damage[] = {0x13, 0x41, 0x97, 0xc7, 0x76, 0xa8, 0xe0, 0x58};
  bytes.replace(791, sizeof damage, reinterpret_cast<const char*>(damage), sizeof damage);
  const auto p = dir / "damaged.mat";
  std::ofstream(p, std::ios::binary) << bytes;
  expect_io_error([&] { read_mat(p, {}); }, p, "detected_assemblies");
}

// ---- real data (../shared/data) --------------------------------------------------------------

TEST(MatRealData, AllGroundTruthFilesLoad) {
  NEURODL_REQUIRE_SHARED_DATA("groundtruth");
  int n_files = 0;
  for (const auto& e :
       fs::recursive_directory_iterator(neurodl::test::shared_data() / "groundtruth")) {
    if (e.path().extension() != ".mat") continue;
    ++n_files;
    SCOPED_TRACE(e.path().string());
    const auto recs = read_validated(e.path());
    ASSERT_GE(recs.size(), 1u);
    size_t n_spikes = 0;
    for (const auto& r : recs) {
      EXPECT_GT(r.n_samples(), 0);
      EXPECT_EQ(r.n_units(), 1);
      EXPECT_GT(r.sample_rate_hz, 1.0);
      EXPECT_EQ(r.truth.at("spike_counts").rows(), r.n_samples());
      EXPECT_EQ(r.metadata.at("dataset"), e.path().parent_path().filename().string());
      n_spikes += r.units[0].spike_times_s.size();
    }
    EXPECT_GT(n_spikes, 0u);
  }
  EXPECT_EQ(n_files, 112);
}

TEST(MatRealData, PopulationFiles) {
  NEURODL_REQUIRE_SHARED_DATA("population");
  const auto dir = neurodl::test::shared_data() / "population";
  const auto allen = read_validated(
      dir / "Allen-Brain-Observatory-Visual-Coding-30Hz_Experiment_552195520_excerpt.mat");
  ASSERT_EQ(allen.size(), 1u);
  EXPECT_EQ(allen[0].n_samples(), 6001);
  EXPECT_EQ(allen[0].n_units(), 74);
  EXPECT_DOUBLE_EQ(allen[0].sample_rate_hz, 30.0);
  const auto pdp =
      read_validated(dir / "Multiplane-OGB1-zf-pDp-Rupprecht-7.5Hz_Calcium_traces_01.mat");
  ASSERT_EQ(pdp.size(), 1u);
  EXPECT_EQ(pdp[0].n_samples(), 260);
  EXPECT_EQ(pdp[0].n_units(), 1005);
  EXPECT_DOUBLE_EQ(pdp[0].sample_rate_hz, 7.5);
}

TEST(MatRealData, HippocampusSpikesWithTrajectories) {
  NEURODL_REQUIRE_SHARED_DATA("hippocampus");
  struct Expect {
    const char* folder;
    size_t units;
    size_t spikes;
    Eigen::Index positions;
  };
  for (const Expect& x :
       {Expect{"linear-track", 31, 28829, 118964}, Expect{"w-maze", 25, 518352, 261995}}) {
    SCOPED_TRACE(x.folder);
    const auto recs =
        read_validated(neurodl::test::shared_data() / "hippocampus" / x.folder / "spikes.mat");
    ASSERT_EQ(recs.size(), 1u);
    const Recording& r = recs[0];
    EXPECT_EQ(r.units.size(), x.units);
    size_t n = 0;
    for (const auto& u : r.units) n += u.spike_times_s.size();
    EXPECT_EQ(n, x.spikes);
    EXPECT_DOUBLE_EQ(r.activity.sum(), static_cast<double>(x.spikes));
    ASSERT_EQ(r.behavior.size(), 1u);
    EXPECT_EQ(r.behavior[0].values.rows(), x.positions);
  }
}

TEST(MatRealData, TriplettTectum) {
  NEURODL_REQUIRE_SHARED_DATA("nwb/TriplettEtAl2018");
  const auto dir = neurodl::test::shared_data() / "nwb/TriplettEtAl2018";
  struct Expect {
    const char* file;
    Eigen::Index cells, frames;
    size_t assemblies;
  };
  for (const Expect& x :
       {Expect{"zf_20151104-f1.mat", 114, 4245, 5}, Expect{"zf_20170215-f3.mat", 75, 5660, 4}}) {
    SCOPED_TRACE(x.file);
    const auto recs = read_validated(dir / x.file);
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].n_units(), x.cells);
    EXPECT_EQ(recs[0].n_samples(), x.frames);
    const std::string& a = recs[0].metadata.at("assemblies");
    EXPECT_EQ(static_cast<size_t>(std::count(a.begin(), a.end(), ';')) + 1, x.assemblies);
  }
}

}  // namespace
