// The `FILE:stimuli/behavior` selection: behaviour averaged over each presentation's activity
// samples [onset, offset), one row per presentation in stimulus-table order (the rows of
// stimuli/images and stimuli/responses), and its one-line errors.

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/io/neurodl_h5.hpp"
#include "neurodl/io/select.hpp"
#include "test_support.hpp"

using namespace neurodl;

namespace {

constexpr double kFs = 10.0;  // activity at 10 Hz: t_k = k / 10, k = 0 … 11

// Behaviour as known functions of time, linear so that linear resampling reproduces them exactly:
// speed(t) = 3 + 2t (1 column), pupil(t) = (10 − t, 5t) (2 columns).
double speed(double t) { return 3 + 2 * t; }
double pupil(double t, int c) { return c == 0 ? 10 - t : 5 * t; }

// 12 samples of activity (all ones, so stimuli/responses counts the samples of each window);
// behaviour sampled at 4 Hz off the activity clock, spanning it; four presentations out of time
// order, with windows of 3, 4, 3 and 1 samples.
Recording planted() {
  Recording r;
  r.name = "planted";
  r.sample_rate_hz = kFs;
  r.activity = MatrixF::Ones(12, 2);
  std::vector<double> tb;
  for (int k = 0; k < 7; ++k) tb.push_back(-0.125 + 0.25 * k);
  MatrixF s(7, 1), p(7, 2);
  for (int k = 0; k < 7; ++k) {
    s(k, 0) = static_cast<float>(speed(tb[static_cast<size_t>(k)]));
    for (int c = 0; c < 2; ++c) p(k, c) = static_cast<float>(pupil(tb[static_cast<size_t>(k)], c));
  }
  r.behavior = {{"speed", "cm/s", tb, s}, {"pupil", "px^2", tb, p}};
  r.stimuli.images = MatrixF(2, 4);
  r.stimuli.images << 1, 2, 3, 4, 5, 6, 7, 8;
  r.stimuli.image_height = r.stimuli.image_width = 2;
  r.stimuli.events = {{0.3, 0.6, 1, 0}, {0.0, 0.25, 0, 0}, {0.55, 1.0, 1, 1}, {0.8, 0.85, 0, 1}};
  return r;
}

// Mean of f over the activity samples t_k = k/fs with onset ≤ t_k < offset (computed here from the
// definition, not with the library's resampling), and how many there are.
template <class F>
std::pair<double, int> window_mean(const StimulusEvent& e, F&& f) {
  double sum = 0;
  int n = 0;
  for (int k = 0; k < 12; ++k) {
    const double t = k / kFs;
    if (t >= e.onset_s && t < e.offset_s) {
      sum += f(t);
      ++n;
    }
  }
  return {sum / n, n};
}

std::string error_of(const std::string& spec) {
  try {
    io::select_matrix(spec, {});
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(SelectStimulusBehavior, OneRowPerPresentationAveragedOverItsWindow) {
  test::ScratchDir dir;
  const Recording r = planted();
  const std::string f = (dir / "rec.h5").string();
  io::write_neurodl_h5(f, {r});
  const auto beh = io::select_matrix(f + ":stimuli/behavior", {});
  const auto resp = io::select_matrix(f + ":stimuli/responses", {});
  const auto images = io::select_matrix(f + ":stimuli/images", {});
  ASSERT_EQ(beh.data.rows(), 4);
  ASSERT_EQ(beh.data.cols(), 3);                // speed, then pupil's two columns
  EXPECT_TRUE(std::isnan(beh.sample_rate_hz));  // rows are presentations, not time samples
  EXPECT_NO_THROW(io::check_paired(images, beh));
  EXPECT_NO_THROW(io::check_paired(beh, resp));
  const int expected_samples[] = {3, 3, 4, 1};
  for (Eigen::Index i = 0; i < 4; ++i) {
    const auto& e = r.stimuli.events[static_cast<size_t>(i)];
    const auto [v, n] = window_mean(e, speed);
    EXPECT_EQ(n, expected_samples[i]) << "presentation " << i;
    // The same samples as stimuli/responses (activity of ones: the sum is the sample count).
    EXPECT_FLOAT_EQ(resp.data(i, 0), static_cast<float>(n)) << "presentation " << i;
    EXPECT_NEAR(beh.data(i, 0), v, 1e-5 * std::abs(v)) << "presentation " << i;
    for (int c = 0; c < 2; ++c) {
      const double pc = window_mean(e, [c](double t) { return pupil(t, c); }).first;
      EXPECT_NEAR(beh.data(i, 1 + c), pc, 1e-5 * (1 + std::abs(pc))) << "presentation " << i;
    }
    // Row order is the stimulus table's, as for stimuli/images.
    EXPECT_FLOAT_EQ(images.data(i, 0), e.stimulus_id == 0 ? 1.0f : 5.0f);
  }
  // Picking channels, in the order given.
  const auto picked = io::select_matrix(f + ":stimuli/behavior/pupil,speed", {});
  ASSERT_EQ(picked.data.cols(), 3);
  EXPECT_TRUE(picked.data.col(2) == beh.data.col(0));
  EXPECT_TRUE(picked.data.leftCols(2) == beh.data.rightCols(2));
}

TEST(SelectStimulusBehavior, OneLineErrorsNameTheFileAndWhatIsMissing) {
  test::ScratchDir dir;
  Recording no_behavior = planted();
  no_behavior.behavior.clear();
  Recording no_events = planted();
  no_events.stimuli.events.clear();
  Recording empty_window = planted();
  empty_window.stimuli.events.push_back({1.15, 1.18, 0, 2});  // between t = 1.1 and t = 1.2
  const std::string a = (dir / "no_behavior.h5").string(), b = (dir / "no_events.h5").string(),
                    c = (dir / "empty_window.h5").string(), d = (dir / "ok.h5").string();
  io::write_neurodl_h5(a, {no_behavior});
  io::write_neurodl_h5(b, {no_events});
  io::write_neurodl_h5(c, {empty_window});
  io::write_neurodl_h5(d, {planted()});
  auto expect = [](const std::string& spec, const std::string& needle) {
    const std::string msg = error_of(spec);
    EXPECT_NE(msg.find(needle), std::string::npos) << spec << ": " << msg;
    EXPECT_NE(msg.find(spec), std::string::npos) << "message does not name the selection: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  };
  expect(a + ":stimuli/behavior", "recording has no behaviour channels");
  expect(b + ":stimuli/behavior", "recording has no stimulus presentations");
  expect(c + ":stimuli/behavior", "presentation 4 at [1.15");
  expect(d + ":stimuli/behavior/whisking", "one of speed, pupil");
  EXPECT_THROW(io::select_matrix(a + ":stimuli/behavior", {}), ConfigError);
  EXPECT_THROW(io::select_matrix(c + ":stimuli/behavior", {}), ShapeError);
}
