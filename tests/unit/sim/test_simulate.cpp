// sim: the preset registry, the option table, option checks with their messages, and
// determinism (same options → bit-identical recordings, whatever the thread count).

#include <cmath>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/threads.hpp"
#include "neurodl/sim/simulate.hpp"

using namespace neurodl;

namespace {

sim::SimOptions small(const std::string& preset, std::uint64_t seed = 3) {
  sim::SimOptions o;
  o.preset = preset;
  o.seed = seed;
  o.units = 20;
  o.frames = 450;
  if (preset == "images") o.behavior_gain = 0.5;  // the behavioural gain's draws are covered too
  return o;
}

// Runs simulate() and returns the ConfigError's message ("" when nothing was thrown).
std::string config_error(const sim::SimOptions& o) {
  try {
    sim::simulate(o);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(SimRegistry, ListsThePresetsAndDescribesEveryOptionOnce) {
  std::set<std::string> names;
  for (const auto& p : sim::presets()) {
    names.insert(p.name);
    EXPECT_GT(std::string(p.description).size(), 10u);
  }
  EXPECT_EQ(names, (std::set<std::string>{"calcium", "images", "spont"}));
  sim::SimOptions o;
  const auto specs = sim::option_specs(o);
  std::set<std::string> keys;
  for (const auto& s : specs) {
    EXPECT_TRUE(keys.insert(s.name).second) << "duplicate option " << s.name;
    EXPECT_FALSE(s.help.empty()) << s.name;
  }
  EXPECT_EQ(specs.size(), 12u);
  for (const auto& s : specs) {
    if (s.name == "fs_hz") {
      EXPECT_EQ(flag_of(s), "--fs");
      EXPECT_EQ(s.unit, "Hz");
    }
    if (s.name == "preset") {
      EXPECT_EQ(s.choices.size(), 3u);
    }
  }
}

TEST(SimRegistry, UnknownPresetListsTheValidNames) {
  auto o = small("nope");
  const auto msg = config_error(o);
  EXPECT_NE(msg.find("unknown preset"), std::string::npos) << msg;
  EXPECT_NE(msg.find("calcium, images, spont"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'nope'"), std::string::npos) << msg;
}

TEST(SimRegistry, OutOfRangeOptionsNameTheOption) {
  struct Case {
    std::string preset;
    void (*set)(sim::SimOptions&);
    std::string needle;
  };
  const Case cases[] = {
      {"spont", [](sim::SimOptions& o) { o.units = 0; }, "units: option out of range"},
      {"images", [](sim::SimOptions& o) { o.units = -5; }, "units: option out of range"},
      {"calcium", [](sim::SimOptions& o) { o.frames = 0; }, "frames: option out of range"},
      {"spont", [](sim::SimOptions& o) { o.fs_hz = 0; }, "fs_hz: option out of range"},
      {"spont", [](sim::SimOptions& o) { o.fs_hz = -30; }, "fs_hz: option out of range"},
      {"calcium", [](sim::SimOptions& o) { o.fs_hz = INFINITY; }, "fs_hz: option out of range"},
      {"spont", [](sim::SimOptions& o) { o.areas = 0; }, "areas: option out of range"},
      {"spont", [](sim::SimOptions& o) { o.comm_rank = 9; }, "comm_rank: option out of range"},
      {"spont", [](sim::SimOptions& o) { o.dispersion = -1; }, "dispersion: option out of range"},
      {"images", [](sim::SimOptions& o) { o.n_images = 0; }, "n_images: option out of range"},
      {"images", [](sim::SimOptions& o) { o.repeats = 0; }, "repeats: option out of range"},
      {"images", [](sim::SimOptions& o) { o.image_px = 4; }, "image_px: option out of range"},
      {"images", [](sim::SimOptions& o) { o.behavior_gain = 2.5; },
       "behavior_gain: option out of range"},
      {"spont", [](sim::SimOptions& o) { o.units = 2; }, "units: need at least one unit per area"},
      {"images", [](sim::SimOptions& o) { o.frames = 10; },
       "frames: frames must hold at least one trial"},
      {"calcium", [](sim::SimOptions& o) { o.fs_hz = 0.5; },
       "fs_hz: calcium imaging needs a frame rate"},
  };
  for (const auto& c : cases) {
    auto o = small(c.preset);
    c.set(o);
    const auto msg = config_error(o);
    EXPECT_NE(msg.find(c.needle), std::string::npos) << c.preset << ": '" << msg << "'";
    EXPECT_EQ(msg.rfind("sim", 0), 0u) << msg;
  }
  // The range is part of the message.
  auto o = small("spont");
  o.units = 0;
  EXPECT_NE(config_error(o).find("expected 1..1000000, got 0"), std::string::npos);
}

class SimDeterminism : public ::testing::TestWithParam<std::string> {};

TEST_P(SimDeterminism, SameSeedIdenticalOtherSeedDifferent) {
  const auto a = sim::simulate(small(GetParam(), 5));
  const auto b = sim::simulate(small(GetParam(), 5));
  const auto c = sim::simulate(small(GetParam(), 6));
  ASSERT_FALSE(a.empty());
  EXPECT_TRUE(a == b);
  ASSERT_EQ(a.size(), c.size());
  for (size_t r = 0; r < a.size(); ++r) {
    EXPECT_FALSE(a[r].activity == c[r].activity);
    EXPECT_FALSE(a[r].truth.at("rates") == c[r].truth.at("rates"));
  }
}

TEST_P(SimDeterminism, ThreadCountDoesNotChangeTheOutput) {
  // 40 units span three 16-unit blocks, so two threads really split the work.
  auto o = small(GetParam(), 9);
  o.units = 40;
  const int before = num_threads();
  set_num_threads(1);
  const auto one = sim::simulate(o);
  set_num_threads(2);
  const auto two = sim::simulate(o);
  set_num_threads(before);
  EXPECT_TRUE(one == two);
}

TEST_P(SimDeterminism, MetadataRecordsTheGeneratorAndOptions) {
  auto recs = sim::simulate(small(GetParam(), 12));
  for (auto& r : recs) {
    EXPECT_EQ(r.metadata.at("generator_version"), sim::kGeneratorVersion);
    EXPECT_EQ(r.metadata.at("preset"), GetParam());
    EXPECT_EQ(r.metadata.at("seed"), "12");
    EXPECT_EQ(r.metadata.at("units"), "20");
    EXPECT_FALSE(r.metadata.at("fs_hz").empty());
    EXPECT_NO_THROW(r.validate());
    for (const auto& [name, m] : r.truth) EXPECT_EQ(count_nonfinite(m), 0) << name;
    EXPECT_EQ(count_nonfinite(r.activity), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Presets, SimDeterminism, ::testing::Values("spont", "images", "calcium"));
