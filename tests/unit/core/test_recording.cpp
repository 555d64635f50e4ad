// The Recording data model: size invariants, time axes, behaviour resampling, equality.

#include <cmath>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/recording.hpp"

using namespace neurodl;

namespace {
Recording small_recording() {
  Recording r;
  r.name = "r";
  r.activity = MatrixF::Zero(10, 3);
  r.sample_rate_hz = 10.0;
  r.start_time_s = 1.0;
  return r;
}
}  // namespace

TEST(Recording, ValidateFillsUnitIdsAndChecksSizes) {
  Recording r = small_recording();
  r.validate("f.h5");
  ASSERT_EQ(r.units.size(), 3u);
  EXPECT_EQ(r.units[2].id, "2");
  r.units.pop_back();
  try {
    r.validate("f.h5");
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "recording: f.h5: units: one unit per activity column (expected 3, got 2)");
  }
}

TEST(Recording, ValidateRejectsBadTimesAndRates) {
  Recording r = small_recording();
  r.timestamps_s = {0, 1, 2};
  EXPECT_THROW(r.validate(), ShapeError);
  r.timestamps_s = {0, 1, 2, 3, 4, 5, 6, 7, 8, 8};
  EXPECT_THROW(r.validate(), ConfigError);
  r.timestamps_s.clear();
  r.sample_rate_hz = -5;
  EXPECT_THROW(r.validate(), ConfigError);
  r.sample_rate_hz = kNaN;  // unknown is allowed
  EXPECT_NO_THROW(r.validate());
}

TEST(Recording, ValidateChecksBehaviourAndStimuli) {
  Recording r = small_recording();
  r.behavior.push_back({"speed", "cm/s", {0.0, 1.0}, MatrixF::Zero(3, 1)});
  EXPECT_THROW(r.validate(), ShapeError);
  r.behavior[0].values = MatrixF::Zero(2, 1);
  EXPECT_NO_THROW(r.validate());
  r.stimuli.images = MatrixF::Zero(2, 4);
  r.stimuli.image_height = 2;
  r.stimuli.image_width = 2;
  r.stimuli.events.push_back({0.0, 0.5, 2, 0});  // id 2 outside a stack of 2 images
  EXPECT_THROW(r.validate(), ShapeError);
  r.stimuli.events[0].stimulus_id = 1;
  EXPECT_NO_THROW(r.validate());
  r.stimuli.events[0].offset_s = -1;
  EXPECT_THROW(r.validate(), ConfigError);
}

TEST(Recording, TimesAndDuration) {
  Recording r = small_recording();
  const auto t = r.times_s();
  ASSERT_EQ(t.size(), 10u);
  EXPECT_DOUBLE_EQ(t[0], 1.0);
  EXPECT_DOUBLE_EQ(t[9], 1.9);
  EXPECT_DOUBLE_EQ(r.duration_s(), 1.0);
  r.sample_rate_hz = kNaN;
  EXPECT_THROW(r.times_s(), ConfigError);
  EXPECT_TRUE(std::isnan(r.duration_s()));
}

TEST(Recording, BehaviourResampledLinearlyOntoActivityTime) {
  // A planted linear ramp v(t) = 3 t + 1 sampled at 4 Hz is recovered exactly at 10 Hz inside its
  // span, and held at its end values outside.
  Recording r = small_recording();  // t = 1.0 .. 1.9
  BehaviorChannel b{"ramp", "", {}, MatrixF(6, 2)};
  for (int i = 0; i < 6; ++i) {
    const double ts = 0.9 + 0.25 * i;  // 0.9 .. 2.15
    b.timestamps_s.push_back(ts);
    b.values(i, 0) = static_cast<float>(3 * ts + 1);
    b.values(i, 1) = static_cast<float>(-ts);
  }
  r.behavior.push_back(b);
  r.behavior.push_back({"late", "", {1.5, 2.0}, MatrixF::Constant(2, 1, 7.0f)});
  const MatrixF m = r.behavior_on_activity_time();
  ASSERT_EQ(m.rows(), 10);
  ASSERT_EQ(m.cols(), 3);
  for (int i = 0; i < 10; ++i) {
    const double t = 1.0 + 0.1 * i;
    EXPECT_NEAR(m(i, 0), 3 * t + 1, 1e-5);
    EXPECT_NEAR(m(i, 1), -t, 1e-5);
    EXPECT_FLOAT_EQ(m(i, 2), 7.0f);  // before its first sample: held at the first value
  }
  const MatrixF only = r.behavior_on_activity_time({"late"}, Resample::nearest);
  EXPECT_EQ(only.cols(), 1);
  try {
    r.behavior_on_activity_time({"pupil"});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("one of ramp, late"), std::string::npos) << e.what();
  }
}

TEST(Recording, EqualityTreatsNaNAsEqualAndSeesEveryField) {
  Recording a = small_recording();
  a.activity(0, 0) = NAN;
  a.validate();
  Recording b = a;
  EXPECT_TRUE(a == b);
  b.units[1].position_um[2] = 5.0;
  EXPECT_FALSE(a == b);
  b = a;
  b.truth["spikes"] = MatrixF::Zero(1, 1);
  EXPECT_FALSE(a == b);
  b = a;
  b.metadata["x"] = "y";
  EXPECT_FALSE(a == b);
  b = a;
  b.activity(0, 0) = 0.0f;
  EXPECT_FALSE(a == b);
}

TEST(Recording, ActivityKindNames) {
  for (auto k : {ActivityKind::dff, ActivityKind::spike_counts, ActivityKind::bold, ActivityKind::lfp})
    EXPECT_EQ(activity_kind_from_string(to_string(k)), k);
  EXPECT_THROW(activity_kind_from_string("dF/F"), ConfigError);
}
