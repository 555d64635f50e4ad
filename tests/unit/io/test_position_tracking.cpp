// Tests of read_video_position_tracking. Fixtures are written by
// tests/reference/make_mat_fixtures.py: records (time ticks at 30 kHz, x = 100 + k, y = 200 + k).

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/io/position_tracking.hpp"
#include "test_support.hpp"

namespace {

using neurodl::IoError;
using neurodl::io::PositionTrackingInfo;
using neurodl::io::read_video_position_tracking;
namespace fs = std::filesystem;

template <class F>
void expect_io_error(F&& f, const fs::path& file, const std::string& also) {
  try {
    f();
    FAIL() << "no IoError for " << file;
  } catch (const IoError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(file.string()), std::string::npos) << m;
    EXPECT_NE(m.find(also), std::string::npos) << m;
  }
}

TEST(PositionTracking, ReadsRecordsAndDropsRepeatedTimes) {
  PositionTrackingInfo info;
  const auto ch = read_video_position_tracking(
      neurodl::test::fixture("mat/tetrode/trajectory.videoPositionTracking"), &info);
  EXPECT_EQ(ch.name, "position");
  EXPECT_EQ(ch.unit, "px");
  EXPECT_EQ(info.n_records, 5);
  EXPECT_EQ(info.n_dropped, 1);  // the third record repeats the second's time stamp
  EXPECT_DOUBLE_EQ(info.clock_rate_hz, 30000.0);
  ASSERT_EQ(ch.timestamps_s.size(), 4u);
  EXPECT_DOUBLE_EQ(ch.timestamps_s[0], 0.0);
  EXPECT_DOUBLE_EQ(ch.timestamps_s[1], 0.1);
  EXPECT_DOUBLE_EQ(ch.timestamps_s[2], 0.2);
  EXPECT_DOUBLE_EQ(ch.timestamps_s[3], 0.3);
  ASSERT_EQ(ch.values.rows(), 4);
  ASSERT_EQ(ch.values.cols(), 4);
  EXPECT_FLOAT_EQ(ch.values(2, 0), 103.0f);  // record 4 (k = 3) follows the dropped one
  EXPECT_FLOAT_EQ(ch.values(2, 1), 203.0f);
  EXPECT_FLOAT_EQ(ch.values(2, 2), 0.0f);
  EXPECT_FLOAT_EQ(ch.values(3, 3), 0.0f);
}

TEST(PositionTracking, PartialLastRecordIsAnError) {
  const auto p = neurodl::test::fixture("mat/tracking/truncated.videoPositionTracking");
  expect_io_error([&] { read_video_position_tracking(p); }, p, "truncated record");
}

TEST(PositionTracking, MissingHeaderEndIsAnError) {
  const auto p = neurodl::test::fixture("mat/tracking/no_header.videoPositionTracking");
  expect_io_error([&] { read_video_position_tracking(p); }, p, "<End settings>");
}

TEST(PositionTracking, MissingFileAndEmptyBody) {
  const auto missing = neurodl::test::fixture("mat/tracking/does_not_exist.videoPositionTracking");
  expect_io_error([&] { read_video_position_tracking(missing); }, missing, "cannot open");
  neurodl::test::ScratchDir dir;
  const auto empty = dir / "empty.videoPositionTracking";
  std::ofstream(empty) << "<Start settings>\n<End settings>\n";
  expect_io_error([&] { read_video_position_tracking(empty); }, empty, "no position records");
}

TEST(PositionTracking, RealTrajectories) {
  NEURODL_REQUIRE_SHARED_DATA("hippocampus");
  struct Expect {
    const char* folder;
    std::int64_t records, dropped;
    double first_s;
  };
  for (const Expect& x : {Expect{"linear-track", 118965, 1, 131910951 / 30000.0},
                          Expect{"w-maze", 261995, 0, 160720 / 30000.0}}) {
    SCOPED_TRACE(x.folder);
    PositionTrackingInfo info;
    const auto ch = read_video_position_tracking(neurodl::test::shared_data() / "hippocampus" /
                                                     x.folder / "trajectory.videoPositionTracking",
                                                 &info);
    EXPECT_EQ(info.n_records, x.records);
    EXPECT_EQ(info.n_dropped, x.dropped);
    EXPECT_EQ(ch.values.rows(), x.records - x.dropped);
    EXPECT_DOUBLE_EQ(ch.timestamps_s.front(), x.first_s);
    for (size_t i = 1; i < ch.timestamps_s.size(); ++i)
      ASSERT_GT(ch.timestamps_s[i], ch.timestamps_s[i - 1]);
  }
}

}  // namespace
