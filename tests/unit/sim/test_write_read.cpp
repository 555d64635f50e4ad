// simulate → write → read round-trips exactly, is identical for the same seed, and the command
// line (`neurodl simulate`) writes the same recordings as the C++ API.

#include <cstdlib>

#include <gtest/gtest.h>

#include "neurodl/io/neurodl_h5.hpp"
#include "neurodl/io/registry.hpp"
#include "neurodl/sim/simulate.hpp"
#include "test_support.hpp"

using namespace neurodl;

namespace {
sim::SimOptions small(const std::string& preset, std::uint64_t seed) {
  sim::SimOptions o;
  o.preset = preset;
  o.seed = seed;
  o.units = 24;
  o.frames = 600;
  return o;
}
}  // namespace

class WriteRead : public ::testing::TestWithParam<std::string> {};

TEST_P(WriteRead, RoundTripIsExactAndDeterministic) {
  test::ScratchDir dir;
  const auto recs = sim::simulate(small(GetParam(), 7));
  ASSERT_FALSE(recs.empty());
  io::write_neurodl_h5(dir / "a.h5", recs);
  const auto back = io::read_recordings(dir / "a.h5");
  ASSERT_EQ(back.size(), recs.size());
  for (size_t i = 0; i < recs.size(); ++i) EXPECT_TRUE(back[i] == recs[i]) << "recording " << i;
  EXPECT_EQ(io::detect_format(dir / "a.h5").name, std::string("neurodl-h5"));

  const auto again = sim::simulate(small(GetParam(), 7));
  EXPECT_TRUE(again == recs);
  const auto other = sim::simulate(small(GetParam(), 8));
  EXPECT_FALSE(other[0].activity == recs[0].activity);
}

TEST_P(WriteRead, CommandLineWritesWhatTheApiSimulates) {
  test::ScratchDir dir;
  const auto out = dir / "cli.h5";
  const std::string cmd = std::string(NEURODL_EXE) + " simulate --quiet --preset " + GetParam() +
                          " --seed 11 --units 24 --frames 600 -o " + out.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  EXPECT_TRUE(io::read_recordings(out) == sim::simulate(small(GetParam(), 11)));
}

INSTANTIATE_TEST_SUITE_P(Presets, WriteRead, ::testing::Values("spont", "images", "calcium"));
