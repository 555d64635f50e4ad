// Calibrated OASIS (spikes/calibrate.hpp): the output filter's arithmetic, recovery of a planted
// delay between spikes and fluorescence, the cross-validation's bookkeeping, the calibration
// file and every bad-input path; the registry method against the library call.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/progress.hpp"
#include "neurodl/eval/spikefinder.hpp"
#include "neurodl/spikes/calibrate.hpp"
#include "neurodl/spikes/registry.hpp"
#include "test_support.hpp"

namespace neurodl::spikes {
namespace {

/// `cells` ground-truth traces at fs: Poisson spikes at `rate_hz`, each adding `amp` ΔF/F that
/// decays with tau_s, the fluorescence `delay_frames` after the spike that the truth counts,
/// plus white noise of s.d. sd. Each cell has one trace.
std::vector<CalibrationTrace> planted(int cells, double fs, std::int64_t T, int delay_frames, double tau_s = 1.0,
                                      double amp = 0.2, double sd = 0.03, double rate_hz = 1.0,
                                      unsigned seed = 7) {
  std::mt19937_64 rng(seed);
  std::poisson_distribution<int> spikes(rate_hz / fs);
  std::normal_distribution<double> noise(0.0, sd);
  const double g = std::exp(-1.0 / (tau_s * fs));
  std::vector<CalibrationTrace> out;
  for (int c = 0; c < cells; ++c) {
    CalibrationTrace t;
    t.sample_rate_hz = fs;
    t.cell = "cell" + std::to_string(c);
    t.label = t.cell + "/0";
    t.spike_counts.resize(static_cast<std::size_t>(T));
    for (auto& n : t.spike_counts) n = spikes(rng);
    double ca = 0;
    for (std::int64_t i = 0; i < T; ++i) {
      const std::int64_t src = i - delay_frames;
      ca = g * ca + (src >= 0 ? amp * t.spike_counts[static_cast<std::size_t>(src)] : 0.0);
      t.dff.push_back(ca + noise(rng));
    }
    out.push_back(std::move(t));
  }
  return out;
}

TEST(OutputFilter, IdentityKeepsSpikesWhereFramesMatchTheGrid) {
  OutputFilter f{.step_s = 0.01, .taps = {0, 0, 0, 1, 0, 0, 0}, .offset_hz = 0};
  std::vector<double> s(200, 0.0);
  s[10] = 1, s[50] = 2.5, s[199] = 0.5;
  std::vector<double> out = s;
  f.apply(out, 100.0);
  for (std::size_t i = 0; i < s.size(); ++i) EXPECT_NEAR(out[i], s[i], 1e-12) << i;
  // At 30 Hz frames straddle the 10 ms grid: spikes spread between neighbours, counts kept.
  std::vector<double> s30(90, 0.0);
  s30[20] = 1, s30[60] = 3;
  std::vector<double> o30 = s30;
  f.apply(o30, 30.0);
  EXPECT_NEAR(std::accumulate(o30.begin(), o30.end(), 0.0), 4.0, 1e-9);
  EXPECT_GT(o30[20], 0.6);
  EXPECT_GT(o30[60], 1.8);
}

TEST(OutputFilter, TapsShiftAndOffsetAddsARate) {
  // Tap j = +5 (50 ms later), weight 2; offset 10 spikes/s = 0.1 per 10 ms frame.
  OutputFilter f{.step_s = 0.01, .taps = std::vector<double>(11, 0.0), .offset_hz = 10};
  f.taps[5 + 5] = 2.0;
  std::vector<double> s(100, 0.0);
  s[20] = 1;
  f.apply(s, 100.0);
  EXPECT_NEAR(s[25], 2.1, 1e-12);
  EXPECT_NEAR(s[20], 0.1, 1e-12);
  EXPECT_NEAR(s[70], 0.1, 1e-12);
  // A negative result is clipped at 0 (expected spikes).
  OutputFilter neg{.step_s = 0.01, .taps = {-1}, .offset_hz = 0};
  std::vector<double> x{0.0, 1.0, 0.0};
  neg.apply(x, 100.0);
  EXPECT_EQ(x[1], 0.0);
  OutputFilter even{.step_s = 0.01, .taps = {1, 1}, .offset_hz = 0};
  EXPECT_THROW(even.apply(x, 100.0), ConfigError);
  EXPECT_THROW(f.apply(x, 0.0), ConfigError);
}

TEST(CalibrateOasis, LearnsAPlantedDelayAndBeatsUncalibratedOasis) {
  Progress::set_quiet(true);
  // The fluorescence follows each counted spike by 3 frames (100 ms at 30 Hz): a convention
  // like that of a dataset whose spike times are aligned differently from its frames.
  const auto traces = planted(6, 30.0, 3000, 3);
  CalibrationOptions o;
  o.tau_decay_grid_s = {0.0, 1.0};
  const auto res = calibrate_oasis(traces, OasisOptions{}, o);
  ASSERT_EQ(res.candidates.size(), 4u);
  EXPECT_EQ(res.n_cells, 6);
  // The filter moves OASIS's output about 100 ms earlier: its centre of mass.
  double num = 0, den = 0;
  const auto& h = res.calibration.filter.taps;
  const auto J = static_cast<std::int64_t>(h.size() / 2);
  for (std::int64_t j = -J; j <= J; ++j) {
    num += h[static_cast<std::size_t>(j + J)] * static_cast<double>(j) * res.calibration.filter.step_s;
    den += h[static_cast<std::size_t>(j + J)];
  }
  EXPECT_NEAR(num / den, -0.1, 0.03);
  // Held-out cells are predicted far better than by OASIS with its defaults (which time the
  // spikes 2.5 frames late here), and nested ≈ leave-one-cell-out on homogeneous cells.
  EXPECT_GT(res.mean_cv, res.mean_default + 0.15) << res.mean_cv << " vs " << res.mean_default;
  EXPECT_GT(res.mean_cv, 0.9);
  EXPECT_NEAR(res.mean_nested, res.mean_cv, 0.05);
  EXPECT_GE(res.mean_in_sample, res.mean_cv - 0.02);
  for (double r : res.cv_correlation) EXPECT_TRUE(std::isfinite(r));
  // The output is calibrated: summed over every trace, the count matches the truth.
  MatrixF dff(3000, 6);
  double truth = 0;
  for (int c = 0; c < 6; ++c)
    for (int i = 0; i < 3000; ++i) {
      dff(i, c) = static_cast<float>(traces[c].dff[i]);
      truth += traces[c].spike_counts[i];
    }
  SpikeCalibration cal = res.calibration;
  cal.oasis.sample_rate_hz = 30.0;
  const auto out = deconvolve_calibrated(dff, cal);
  EXPECT_NEAR(out.spikes.cast<double>().sum() / truth, 1.0, 0.15);
  EXPECT_TRUE((out.spikes.array() >= 0).all());
}

TEST(CalibrateOasis, ACalibrationMadeAtOneFrameRateAppliesAtAnother) {
  Progress::set_quiet(true);
  // The same cells' physiology (a 100 ms delay, τ 1 s) imaged at 30 Hz for the calibration and
  // at 60 Hz for the recording it is applied to: the filter is in seconds.
  const auto train = planted(6, 30.0, 3000, 3);
  const auto test = planted(4, 60.0, 6000, 6, 1.0, 0.2, 0.03, 1.0, 99);
  CalibrationOptions o;
  o.tau_decay_grid_s = {0.0, 1.0};
  SpikeCalibration cal = calibrate_oasis(train, OasisOptions{}, o).calibration;
  cal.oasis.sample_rate_hz = 60.0;
  MatrixF dff(6000, 4), truth(6000, 4);
  for (int c = 0; c < 4; ++c)
    for (int i = 0; i < 6000; ++i) {
      dff(i, c) = static_cast<float>(test[c].dff[i]);
      truth(i, c) = static_cast<float>(test[c].spike_counts[i]);
    }
  const double calibrated = eval::spikefinder_score(truth, deconvolve_calibrated(dff, cal).spikes, 60.0).mean_correlation;
  OasisOptions plain;
  plain.sample_rate_hz = 60.0;
  plain.ar_order = cal.oasis.ar_order;
  const double uncalibrated = eval::spikefinder_score(truth, deconvolve(dff, plain).spikes, 60.0).mean_correlation;
  EXPECT_GT(calibrated, uncalibrated + 0.1) << calibrated << " vs " << uncalibrated;
  EXPECT_GT(calibrated, 0.85);
}

TEST(CalibrateOasis, TracesOfOneCellAreHeldOutTogetherAndNestedNeedsThreeCells) {
  Progress::set_quiet(true);
  auto traces = planted(2, 30.0, 1500, 1, 1.0, 0.2, 0.03, 1.0, 11);
  auto more = planted(2, 30.0, 1500, 1, 1.0, 0.2, 0.03, 1.0, 12);
  more[0].cell = traces[0].cell, more[1].cell = traces[1].cell;  // two recordings per cell
  traces.insert(traces.end(), more.begin(), more.end());
  const auto res = calibrate_oasis(traces, OasisOptions{}, {.ar_orders = {1}, .tau_decay_grid_s = {1.0}});
  EXPECT_EQ(res.n_cells, 2);
  EXPECT_TRUE(std::isnan(res.mean_nested));  // 2 cells: nothing left to choose on
  EXPECT_TRUE(std::isfinite(res.mean_cv));
  ASSERT_EQ(res.cv_correlation.size(), 4u);
  // One cell alone cannot be cross-validated.
  std::vector<CalibrationTrace> one(traces.begin(), traces.begin() + 1);
  EXPECT_THROW(calibrate_oasis(one, OasisOptions{}), ConfigError);
}

TEST(CalibrateOasis, BadInputsAndOptionsNameTheTrace) {
  Progress::set_quiet(true);
  const auto good = planted(3, 30.0, 600, 1);
  auto expect_msg = [](auto fn, const std::string& part) {
    try {
      fn();
      ADD_FAILURE() << "no error, expected " << part;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  auto t = good;
  t[1].dff[10] = std::nan("");
  expect_msg([&] { calibrate_oasis(t, OasisOptions{}); }, "cell1/0");
  EXPECT_THROW(calibrate_oasis(t, OasisOptions{}), ConfigError);
  t = good;
  t[2].spike_counts.pop_back();
  EXPECT_THROW(calibrate_oasis(t, OasisOptions{}), ShapeError);
  t = good;
  t[0].spike_counts[3] = -1;
  expect_msg([&] { calibrate_oasis(t, OasisOptions{}); }, "spike counts");
  t = good;
  t[0].sample_rate_hz = 0;
  EXPECT_THROW(calibrate_oasis(t, OasisOptions{}), ConfigError);
  EXPECT_THROW(calibrate_oasis(good, OasisOptions{}, {.ar_orders = {3}}), ConfigError);
  EXPECT_THROW(calibrate_oasis(good, OasisOptions{}, {.ar_orders = {}}), ConfigError);
  EXPECT_THROW(calibrate_oasis(good, OasisOptions{}, {.tau_decay_grid_s = {-1}}), ConfigError);
  EXPECT_THROW(calibrate_oasis(good, OasisOptions{}, {.filter_step_s = 0}), ConfigError);
  EXPECT_THROW(calibrate_oasis(good, OasisOptions{}, {.ridge = -1}), ConfigError);
}

TEST(CalibrationFile, RoundTripsAndRejectsBadFiles) {
  test::ScratchDir dir;
  SpikeCalibration cal;
  cal.oasis.ar_order = 2;
  cal.oasis.tau_decay_s = 0.5;
  cal.oasis.tau_rise_s = 0.025;
  cal.oasis.smoothing_s = 0;
  cal.oasis.lead_frames = 0;
  cal.filter = {.step_s = 0.02, .taps = {0.1, 0.7, 0.2}, .offset_hz = 0.05};
  const auto path = dir / "cal.json";
  std::ofstream(path) << calibration_json(cal).dump(2);
  const auto back = load_calibration(path);
  EXPECT_EQ(back.oasis.ar_order, 2);
  EXPECT_DOUBLE_EQ(back.oasis.tau_decay_s, 0.5);
  EXPECT_DOUBLE_EQ(back.oasis.tau_rise_s, 0.025);
  EXPECT_DOUBLE_EQ(back.oasis.smoothing_s, 0.0);
  EXPECT_TRUE(std::isnan(back.oasis.sample_rate_hz));
  EXPECT_EQ(back.filter.taps, cal.filter.taps);
  EXPECT_DOUBLE_EQ(back.filter.step_s, 0.02);
  EXPECT_DOUBLE_EQ(back.filter.offset_hz, 0.05);

  EXPECT_THROW(load_calibration(dir / "missing.json"), IoError);
  std::ofstream(dir / "text.json") << "not json {";
  EXPECT_THROW(load_calibration(dir / "text.json"), IoError);
  auto j = calibration_json(cal);
  auto write = [&](const nlohmann::json& v) {
    std::ofstream(dir / "bad.json") << v.dump();
    return dir / "bad.json";
  };
  auto bad = j;
  bad["format"] = "something-else";
  EXPECT_THROW(load_calibration(write(bad)), ConfigError);
  bad = j;
  bad["version"] = 99;
  EXPECT_THROW(load_calibration(write(bad)), ConfigError);
  bad = j;
  bad["filter"]["taps"] = {1.0, 2.0};
  try {
    load_calibration(write(bad));
    ADD_FAILURE() << "even taps accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("filter.taps"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
  }
  bad = j;
  bad["oasis"]["penalty"] = "l7";
  EXPECT_THROW(load_calibration(write(bad)), ConfigError);
  bad = j;
  bad["ar_order"] = 3;
  EXPECT_THROW(load_calibration(write(bad)), ConfigError);
}

TEST(CalibratedMethod, RegistryMatchesTheLibraryAndNeedsAFile) {
  Progress::set_quiet(true);
  const auto traces = planted(3, 30.0, 900, 2);
  const auto res = calibrate_oasis(traces, OasisOptions{}, {.ar_orders = {1}, .tau_decay_grid_s = {0.0, 1.0}});
  test::ScratchDir dir;
  std::ofstream(dir / "cal.json") << calibration_json(res.calibration).dump();
  MatrixF dff(900, 3);
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 900; ++i) dff(i, c) = static_cast<float>(traces[c].dff[i]);
  const auto method = make_spike_inference("oasis-calibrated");
  EXPECT_TRUE(spike_methods().at("oasis-calibrated").takes_model);
  InferenceOptions io;
  io.oasis.sample_rate_hz = 30.0;
  EXPECT_THROW(method->infer(dff, io), ConfigError);  // no file
  io.model = (dir / "cal.json").string();
  const auto a = method->infer(dff, io);
  SpikeCalibration cal = res.calibration;
  cal.oasis.sample_rate_hz = 30.0;
  const auto b = deconvolve_calibrated(dff, cal);
  EXPECT_EQ((a.spikes - b.spikes).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_EQ(method->details()["ar_order"], 1);
}

}  // namespace
}  // namespace neurodl::spikes
