// Error messages, atomic writes, spike-time binning and medians.

#include <cmath>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>

#include "neurodl/core/atomic_file.hpp"
#include "neurodl/core/error.hpp"
#include "neurodl/core/filesystem.hpp"
#include "neurodl/core/options.hpp"
#include "neurodl/core/spike_trains.hpp"
#include "neurodl/core/stats.hpp"
#include "test_support.hpp"

using namespace neurodl;

TEST(Error, MessageNamesComponentFileFieldExpectedGotAndUnit) {
  EXPECT_EQ(format_problem({.component = "io.npy", .what = "truncated data", .expected = "800",
                            .got = "400", .unit = "bytes", .file = "a.npy", .field = "data"}),
            "io.npy: a.npy: data: truncated data (expected 800, got 400) [bytes]");
  EXPECT_EQ(format_problem({.component = "x", .what = "two\nlines"}), "x: two lines");
  EXPECT_THROW(raise(ErrorKind::shape, {.what = "s"}), ShapeError);
  EXPECT_THROW(raise(ErrorKind::io, {.what = "s"}), IoError);
  EXPECT_THROW(raise(ErrorKind::config, {.what = "s"}), ConfigError);
  EXPECT_NO_THROW(check(true, ErrorKind::io, {}));
}

/// option_values writes an unset (NaN) number as null and apply_options reads null back as
/// unset, so a recipe on record round-trips; null for a string or an integer stays an error.
TEST(Options, UnsetNumbersRoundTripAsNull) {
  double x = 0.25, unset = std::numeric_limits<double>::quiet_NaN();
  std::int64_t n = 3;
  std::string name = "a";
  const std::vector<OptionSpec> specs{{.name = "x", .target = &x, .min = 0, .max = 1},
                                      {.name = "unset", .target = &unset, .min = 0, .max = 1},
                                      {.name = "n", .target = &n, .min = 0, .max = 10},
                                      {.name = "name", .target = &name}};
  const nlohmann::json j = option_values(specs);
  EXPECT_TRUE(j["unset"].is_null());
  EXPECT_EQ(j["x"], 0.25);
  x = 0.5;
  unset = 0.75;
  apply_options(specs, j, "test");
  EXPECT_EQ(x, 0.25);
  EXPECT_TRUE(std::isnan(unset));
  EXPECT_THROW(apply_options(specs, nlohmann::json{{"n", nullptr}}, "test"), ConfigError);
  EXPECT_THROW(apply_options(specs, nlohmann::json{{"name", nullptr}}, "test"), ConfigError);
  EXPECT_THROW(apply_options(specs, nlohmann::json{{"x", 2.0}}, "test"), ConfigError);
}

TEST(AtomicFile, CommitMovesIntoPlaceAndFailureLeavesNothing) {
  test::ScratchDir dir;
  const auto target = dir / "out.txt";
  {
    AtomicFile f(target);
    std::ofstream(f.temp_path()) << "done";
    EXPECT_FALSE(std::filesystem::exists(target));
    f.commit();
  }
  EXPECT_TRUE(std::filesystem::exists(target));
  try {
    AtomicFile f(target);
    std::ofstream(f.temp_path()) << "half";
    throw std::runtime_error("writer failed");
  } catch (const std::runtime_error&) {
  }
  std::ifstream in(target);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "done");  // the old file is untouched
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
  EXPECT_THROW(AtomicFile(dir / "missing" / "x.txt"), IoError);
  EXPECT_THROW(AtomicFile(dir.path()), IoError);
}

TEST(SpikeTrains, BinsCountEverySpikeInItsBin) {
  std::vector<Unit> units(2);
  units[0].spike_times_s = {0.0, 0.05, 0.099, 0.1, 0.35, 2.0};  // 2.0 is past the last bin
  units[1].spike_times_s = {0.25};
  const MatrixF c = bin_spike_times(units, 0.0, 10.0, 4);
  ASSERT_EQ(c.rows(), 4);
  EXPECT_FLOAT_EQ(c(0, 0), 3);
  EXPECT_FLOAT_EQ(c(1, 0), 1);
  EXPECT_FLOAT_EQ(c(3, 0), 1);
  EXPECT_FLOAT_EQ(c(2, 1), 1);
  EXPECT_FLOAT_EQ(c.sum(), 6);
  EXPECT_THROW(bin_spike_times(units, 0.0, 0.0, 4), ConfigError);

  Recording r;
  r.units = units;
  bin_units_into_activity(r, 10.0);
  EXPECT_EQ(r.kind, ActivityKind::spike_counts);
  EXPECT_DOUBLE_EQ(r.start_time_s, 0.0);
  EXPECT_EQ(r.n_samples(), 21);  // 0 .. 2.0 s inclusive
  EXPECT_FLOAT_EQ(r.activity.sum(), 7);
}

TEST(SpikeTrains, RefusesSpansTooLongToBin) {
  Recording r;
  r.units.resize(2);
  r.units[0].spike_times_s = {0.0, 1e9};  // a damaged time: 1e11 bins at 100 Hz
  EXPECT_THROW(bin_units_into_activity(r, 100.0), ConfigError);
}

TEST(RemoveTree, RemovesNestedFoldersAndLinksButNeverFollowsThem) {
  namespace fs = std::filesystem;
  test::ScratchDir outside, scratch;
  const fs::path keep = outside / "keep.txt";
  std::ofstream(keep) << "not mine";
  const fs::path root = scratch / "tree";
  fs::create_directories(root / "a" / "b");
  std::ofstream(root / "a" / "b" / "f.bin") << "x";
  std::ofstream(root / "top.txt") << "y";
  fs::create_symlink(outside.path(), root / "a" / "link_to_outside");
  EXPECT_TRUE(remove_tree(root.string()));
  EXPECT_FALSE(fs::exists(root));
  EXPECT_TRUE(fs::exists(keep));                 // the link was removed, not followed
  EXPECT_TRUE(remove_tree(root.string()));       // missing: nothing to do, not an error
  std::ofstream(scratch / "plain.txt") << "z";   // a plain file is removed too
  EXPECT_TRUE(remove_tree((scratch / "plain.txt").string()));
  EXPECT_FALSE(fs::exists(scratch / "plain.txt"));
}

TEST(Median, OddEvenAndEmptyByHand) {
  EXPECT_DOUBLE_EQ(median({5, 1, 3}), 3.0);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);  // mean of the two middle values
  EXPECT_DOUBLE_EQ(upper_median({4, 1, 3, 2}), 3.0);
  EXPECT_DOUBLE_EQ(upper_median({7}), 7.0);
  EXPECT_TRUE(std::isnan(median({})));
  EXPECT_TRUE(std::isnan(upper_median({})));
}
