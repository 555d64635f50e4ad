// neurodl's own HDF5 layout (docs/format.md): exact round trips, atomic writes, and one-line
// errors for truncated, corrupt and malformed files. The neurodl_h5_*.h5 fixtures were written
// with h5py by tests/reference/make_nwb_fixtures.py, independently of the C++ writer.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/io/neurodl_h5.hpp"
#include "neurodl/io/registry.hpp"
#include "test_support.hpp"

namespace neurodl::io {
namespace {

namespace fs = std::filesystem;
using neurodl::test::fixture;
using neurodl::test::ScratchDir;

constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
constexpr float kInff = std::numeric_limits<float>::infinity();

// A recording with every field filled, including the awkward values: NaN and ±Inf activity,
// NaN positions, an empty spike list, empty strings, a 0×4 and a 0×0 truth array.
Recording full_recording() {
  Recording r;
  r.name = "session-α/plane 0";
  r.activity.resize(7, 3);
  for (Eigen::Index i = 0; i < r.activity.size(); ++i)
    r.activity.data()[i] = 0.25f * static_cast<float>(i) - 1.0f;
  r.activity(2, 1) = kNaNf;
  r.activity(3, 2) = kInff;
  r.activity(4, 0) = -kInff;
  r.kind = ActivityKind::dff;
  r.sample_rate_hz = 30.0;
  r.start_time_s = 1.5;
  r.units.resize(3);
  r.units[0] = {.id = "roi_0", .area = "V1", .position_um = {1.0, 2.0, -3.5},
                .spike_times_s = {0.1, 0.2, 0.35}};
  r.units[1] = {.id = "roi_1", .area = "", .position_um = {kNaN, 4.0, kNaN},
                .spike_times_s = {}};
  r.units[2] = {.id = "", .area = "LM", .spike_times_s = {1e-9, 1e9}};
  BehaviorChannel speed{.name = "running_speed", .unit = "cm/s",
                        .timestamps_s = {0.0, 0.1, 0.2}, .values = MatrixF(3, 1)};
  speed.values << 1.0f, kNaNf, 3.0f;
  BehaviorChannel face{.name = "face_motion_svd", .unit = "",
                       .timestamps_s = {0.0, 0.5}, .values = MatrixF(2, 4)};
  face.values.setConstant(0.5f);
  r.behavior = {speed, face};
  r.stimuli.events = {{0.0, 0.5, 1, 0}, {1.0, 1.5, 0, 0}, {2.0, 2.5, 1, 1}};
  r.stimuli.image_height = 2;
  r.stimuli.image_width = 3;
  r.stimuli.images.resize(2, 6);
  for (Eigen::Index i = 0; i < r.stimuli.images.size(); ++i)
    r.stimuli.images.data()[i] = static_cast<float>(i) / 11.0f - 0.5f;
  r.truth["spikes"] = MatrixF::Ones(7, 3);
  r.truth["latents"] = MatrixF(0, 4);
  r.truth["nothing"] = MatrixF();
  r.metadata = {{"animal", "m42"}, {"empty", ""}, {"note", "line one; ΔF/F"}};
  return r;
}

// A recording made of defaults: 0×0 activity, NaN rate, nothing else.
Recording empty_recording() { return Recording{}; }

// Irregular samples: explicit timestamps, no rate, T×0 activity.
Recording timestamped_recording() {
  Recording r;
  r.name = "";
  r.activity = MatrixF(4, 0);
  r.timestamps_s = {0.0, 0.1, 0.25, 0.26};
  r.start_time_s = 0.0;
  return r;
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<fs::path> listing(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  return out;
}

// Expects an IoError/ShapeError whose message names the file and contains `part`.
template <class Fn>
void expect_file_error(Fn fn, const fs::path& file, const std::string& part) {
  try {
    fn();
    ADD_FAILURE() << "no error for " << file;
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(NeurodlH5, RoundTripOfEveryFieldIsExact) {
  ScratchDir dir;
  const std::vector<Recording> recs = {full_recording(), empty_recording(),
                                       timestamped_recording()};
  write_neurodl_h5(dir / "r.h5", recs);
  const auto back = read_neurodl_h5(dir / "r.h5", {});
  ASSERT_EQ(back.size(), 3u);
  for (size_t i = 0; i < recs.size(); ++i) EXPECT_TRUE(back[i] == recs[i]) << "recording " << i;
  // operator== treats NaN as NaN; check the awkward entries directly as well.
  EXPECT_TRUE(std::isnan(back[0].activity(2, 1)));
  EXPECT_EQ(back[0].activity(3, 2), kInff);
  EXPECT_TRUE(std::isnan(back[0].units[1].position_um[0]));
  EXPECT_TRUE(back[0].units[1].spike_times_s.empty());
  EXPECT_EQ(back[0].truth.at("latents").rows(), 0);
  EXPECT_EQ(back[0].truth.at("latents").cols(), 4);
  EXPECT_TRUE(std::isnan(back[1].sample_rate_hz));
  EXPECT_EQ(back[2].activity.rows(), 4);
  EXPECT_EQ(back[2].activity.cols(), 0);
  EXPECT_EQ(listing(dir.path()).size(), 1u) << "no temporary file may remain";
}

TEST(NeurodlH5, EmptyListAndOverwrite) {
  ScratchDir dir;
  write_neurodl_h5(dir / "r.h5", {full_recording()});
  write_neurodl_h5(dir / "r.h5", {});  // replaces the file
  EXPECT_TRUE(read_neurodl_h5(dir / "r.h5", {}).empty());
  EXPECT_TRUE(sniff_neurodl_h5(dir / "r.h5"));
}

TEST(NeurodlH5, ActivitySpanningSeveralChunksIsExact) {
  // 300 × 9000 spans two chunk columns (8192 + 808) and ten chunk rows of 32.
  ScratchDir dir;
  Recording r;
  r.name = "big";
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  r.activity.resize(300, 9000);
  for (Eigen::Index i = 0; i < r.activity.size(); ++i) r.activity.data()[i] = normal(rng);
  r.sample_rate_hz = 1000.0;
  write_neurodl_h5(dir / "big.h5", {r});
  const auto back = read_neurodl_h5(dir / "big.h5", {});
  ASSERT_EQ(back.size(), 1u);
  EXPECT_TRUE(back[0] == r);
}

TEST(NeurodlH5, RegistryDetectsAndValidates) {
  ScratchDir dir;
  write_neurodl_h5(dir / "r.h5", {full_recording(), empty_recording()});
  EXPECT_STREQ(detect_format(dir / "r.h5").name, "neurodl-h5");
  const auto recs = read_recordings(dir / "r.h5");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_TRUE(recs[0] == full_recording());
}

TEST(NeurodlH5, SnifferRejectsOtherFiles) {
  ScratchDir dir;
  write_bytes(dir / "text.h5", "not hdf5 at all");
  EXPECT_FALSE(sniff_neurodl_h5(dir / "text.h5"));
  EXPECT_FALSE(sniff_neurodl_h5(dir / "missing.h5"));
  EXPECT_FALSE(sniff_neurodl_h5(dir.path()));
  // An NWB file is HDF5 without neurodl_format.
  EXPECT_FALSE(sniff_neurodl_h5(fixture("nwb/ophys.nwb")));
  EXPECT_TRUE(sniff_neurodl_h5(fixture("nwb/neurodl_h5_by_h5py.h5")));
}

TEST(NeurodlH5, RateOptionFillsUnknownAndMustAgree) {
  ScratchDir dir;
  write_neurodl_h5(dir / "r.h5", {full_recording(), empty_recording()});
  EXPECT_THROW(read_neurodl_h5(dir / "r.h5", {.sample_rate_hz = 31.0}), ConfigError);
  ReadOptions o;
  o.sample_rate_hz = 30.0;
  const auto recs = read_neurodl_h5(dir / "r.h5", o);
  EXPECT_EQ(recs[1].sample_rate_hz, 30.0);
}

TEST(NeurodlH5, WriteToMissingFolderLeavesNothing) {
  ScratchDir dir;
  EXPECT_THROW(write_neurodl_h5(dir / "no_such_folder" / "r.h5", {full_recording()}), IoError);
  EXPECT_TRUE(listing(dir.path()).empty());
}

TEST(NeurodlH5, FailedWriteLeavesNothingAndKeepsTheOldFile) {
  // A 250-character name is legal, but the temporary name beside it (".<name>.tmp-<pid>-<n>")
  // exceeds the 255-byte limit, so HDF5's file creation fails inside the writer.
  ScratchDir dir;
  const fs::path target = dir / std::string(250, 'x');
  write_bytes(target, "previous content");
  try {
    write_neurodl_h5(target, {full_recording()});
    FAIL() << "expected an IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("io.h5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(target.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(listing(dir.path()).size(), 1u);
  EXPECT_EQ(read_bytes(target), "previous content");
}

TEST(NeurodlH5, TruncatedFileIsAnIoErrorNamingTheFile) {
  ScratchDir dir;
  Recording r = full_recording();
  r.activity = MatrixF::Constant(2000, 50, 1.0f);  // make the raw data the bulk of the file
  r.truth.clear();
  r.units.assign(50, Unit{});
  write_neurodl_h5(dir / "good.h5", {r});
  const std::string bytes = read_bytes(dir / "good.h5");
  for (size_t keep : {bytes.size() / 2, bytes.size() - 1, size_t{2048}, size_t{100}, size_t{0}}) {
    const fs::path cut = dir / ("cut" + std::to_string(keep) + ".h5");
    write_bytes(cut, bytes.substr(0, keep));
    expect_file_error([&] { read_neurodl_h5(cut, {}); }, cut, "");
    EXPECT_FALSE(sniff_neurodl_h5(cut));
    EXPECT_THROW(read_recordings(cut, {}, "neurodl-h5"), IoError);
    EXPECT_THROW(read_recordings(cut), IoError);  // auto: no format matches
  }
}

TEST(NeurodlH5, CorruptBytesGiveErrorsNotCrashes) {
  ScratchDir dir;
  write_neurodl_h5(dir / "good.h5", {full_recording(), timestamped_recording()});
  const std::string bytes = read_bytes(dir / "good.h5");
  // The superblock: the file is not recognised at all.
  std::string broken = bytes;
  for (size_t i = 8; i < 48; ++i) broken[i] = static_cast<char>(0xA5);
  write_bytes(dir / "super.h5", broken);
  expect_file_error([&] { read_neurodl_h5(dir / "super.h5", {}); }, dir / "super.h5", "HDF5");
  // Garbage at many places: either the damage sits in raw data (read succeeds) or the reader
  // reports a neurodl::Error. Anything else (a crash, another exception) fails the test.
  std::mt19937 rng(2024);
  int errors = 0;
  for (int trial = 0; trial < 60; ++trial) {
    std::string b = bytes;
    const size_t at = std::uniform_int_distribution<size_t>(48, b.size() - 32)(rng);
    for (size_t i = at; i < at + 32; ++i) b[i] = static_cast<char>(rng());
    const fs::path p = dir / ("corrupt" + std::to_string(trial) + ".h5");
    write_bytes(p, b);
    try {
      (void)read_neurodl_h5(p, {});
    } catch (const Error& e) {
      ++errors;
      EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(errors, 0);  // the file is mostly metadata: some damage must be detected
}

TEST(NeurodlH5, FileWrittenByH5pyFromTheSpecIsRead) {
  // neurodl_h5_by_h5py.h5: docs/format.md followed by tests/reference/make_nwb_fixtures.py.
  const auto recs = read_neurodl_h5(fixture("nwb/neurodl_h5_by_h5py.h5"), {});
  ASSERT_EQ(recs.size(), 1u);
  const Recording& r = recs[0];
  EXPECT_EQ(r.name, "by_h5py");
  EXPECT_EQ(r.kind, ActivityKind::spike_counts);
  EXPECT_EQ(r.sample_rate_hz, 50.0);
  EXPECT_EQ(r.start_time_s, -1.0);
  ASSERT_EQ(r.activity.rows(), 3);
  ASSERT_EQ(r.activity.cols(), 2);
  EXPECT_EQ(r.activity(2, 1), 5.0f);
  ASSERT_EQ(r.units.size(), 2u);
  EXPECT_EQ(r.units[0].id, "a");
  EXPECT_EQ(r.units[0].area, "V1");
  EXPECT_TRUE(r.units[0].spike_times_s.empty());
  EXPECT_EQ(r.units[1].spike_times_s, (std::vector<double>{0.01, 0.02, 0.03}));
  EXPECT_TRUE(std::isnan(r.units[1].position_um[2]));
  EXPECT_EQ(r.units[0].position_um[2], 3.0);
  ASSERT_EQ(r.behavior.size(), 1u);
  EXPECT_EQ(r.behavior[0].name, "speed");
  EXPECT_EQ(r.behavior[0].values(1, 0), 2.5f);
  EXPECT_EQ(r.stimuli.image_height, 2);
  EXPECT_EQ(r.stimuli.events.size(), 1u);
  EXPECT_EQ(r.truth.at("empty").cols(), 2);
  EXPECT_EQ(r.metadata.at("source"), "h5py");
}

TEST(NeurodlH5, MalformedFilesNameTheFileAndTheObject) {
  struct Case {
    const char* file;
    const char* part;  // expected in the message: the HDF5 path and what is wrong
  };
  const Case cases[] = {
      {"neurodl_h5_future_version.h5", "format_version"},
      {"neurodl_h5_missing_activity.h5", "/recordings/0000/activity: missing dataset"},
      {"neurodl_h5_text_activity.h5", "/recordings/0000/activity: wrong data type"},
      {"neurodl_h5_bad_positions.h5", "/recordings/0000/units/position_um"},
      {"neurodl_h5_bad_spike_index.h5", "/recordings/0000/units/spike_times_index"},
  };
  for (const auto& c : cases) {
    const fs::path p = fixture(std::string("nwb/") + c.file);
    expect_file_error([&] { read_neurodl_h5(p, {}); }, p, c.part);
  }
  EXPECT_THROW(read_neurodl_h5(fixture("nwb/neurodl_h5_bad_positions.h5"), {}), ShapeError);
  // An NWB file is HDF5 but not this layout.
  expect_file_error([&] { read_neurodl_h5(fixture("nwb/ophys.nwb"), {}); },
                    fixture("nwb/ophys.nwb"), "neurodl_format");
}

}  // namespace
}  // namespace neurodl::io
