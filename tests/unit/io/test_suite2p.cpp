// suite2p folder reader. Fixtures: tests/reference/make_suite2p_fixtures.py (np.save in suite2p's
// layout, with pickled ops.npy/stat.npy that must stay unopened); values recomputed here.

#include <string>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/io/registry.hpp"
#include "neurodl/io/suite2p.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace io = neurodl::io;
using neurodl::test::fixture;

namespace {

io::ReadOptions at_30hz() {
  io::ReadOptions o;
  o.sample_rate_hz = 30.0;
  return o;
}

/// Checks one plane against the script's formulas: F = 100 + 10 r + t + 1000 p.
void expect_plane(const neurodl::Recording& rec, int n_rois, int plane) {
  ASSERT_EQ(rec.n_samples(), 8);
  ASSERT_EQ(rec.n_units(), n_rois);
  EXPECT_EQ(rec.kind, neurodl::ActivityKind::fluorescence);
  EXPECT_EQ(rec.sample_rate_hz, 30.0);
  ASSERT_EQ(rec.truth.at("neuropil").rows(), 8);
  ASSERT_EQ(rec.truth.at("spks").cols(), n_rois);
  for (int t = 0; t < 8; ++t)
    for (int r = 0; r < n_rois; ++r) {
      const float f = 100.0f + 10 * r + t + 1000 * plane;
      EXPECT_EQ(rec.activity(t, r), f);
      EXPECT_EQ(rec.truth.at("neuropil")(t, r), f / 2);
      EXPECT_EQ(rec.truth.at("spks")(t, r), 0.25f * r * t);
    }
  const float prob[] = {0.9f, 0.2f, 0.75f}, flag[] = {1, 0, 1};
  ASSERT_EQ(rec.truth.at("iscell").rows(), 1);
  for (int r = 0; r < n_rois; ++r) {
    EXPECT_EQ(rec.units[r].id, "roi" + std::to_string(r));
    EXPECT_EQ(rec.truth.at("iscell")(0, r), prob[r]);
    EXPECT_EQ(rec.truth.at("iscell_flag")(0, r), flag[r]);
  }
}

}  // namespace

TEST(Suite2p, PlaneFolder) {
  const fs::path dir = fixture("suite2p/plane_folder");
  EXPECT_TRUE(io::sniff_suite2p(dir));
  EXPECT_EQ(io::detect_format(dir).name, std::string("suite2p"));
  const auto recs = io::read_recordings(dir, at_30hz());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].name, "plane_folder");
  expect_plane(recs[0], 3, 0);
}

TEST(Suite2p, SessionWithPlanesSkipsCombined) {
  for (const fs::path& dir : {fixture("suite2p/session"), fixture("suite2p/session/suite2p")}) {
    SCOPED_TRACE(dir.string());
    EXPECT_TRUE(io::sniff_suite2p(dir));
    const auto recs = io::read_recordings(dir, at_30hz());
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].name, dir.filename().string() + ":plane0");
    EXPECT_EQ(recs[1].name, dir.filename().string() + ":plane1");
    expect_plane(recs[0], 3, 0);
    expect_plane(recs[1], 2, 1);
  }
}

TEST(Suite2p, RateIsRequired) {
  const fs::path dir = fixture("suite2p/plane_folder");
  try {
    io::read_suite2p(dir, {});
    FAIL() << "no error without --fs";
  } catch (const neurodl::ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("--fs"), std::string::npos) << msg;
    EXPECT_NE(msg.find(dir.string()), std::string::npos) << msg;
  }
}

TEST(Suite2p, MismatchedShapesNameBothFiles) {
  for (auto [folder, bad] : {std::pair{"mismatch", "Fneu.npy"}, std::pair{"bad_iscell", "iscell.npy"}}) {
    const fs::path dir = fixture(std::string("suite2p/") + folder);
    try {
      io::read_suite2p(dir, at_30hz());
      ADD_FAILURE() << "no error for " << folder;
    } catch (const neurodl::ShapeError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find((dir / bad).string()), std::string::npos) << msg;
      EXPECT_NE(msg.find((dir / "F.npy").string()), std::string::npos) << msg;
    }
  }
}

TEST(Suite2p, NotASuite2pFolder) {
  const fs::path dir = fixture("npy");
  EXPECT_FALSE(io::sniff_suite2p(dir));
  EXPECT_FALSE(io::sniff_suite2p(fixture("suite2p/plane_folder/F.npy")));
  EXPECT_THROW(io::read_suite2p(dir, at_30hz()), neurodl::IoError);
}
