// Tests of the deep spike model (nets/spike_net.hpp): resampling, training on the simulator's
// calcium preset against a trivial baseline, the whole-trace path against the windowed one, the
// model file and its metadata, automatic model selection, the shipped weights through the
// spike-inference registry, and the one-line errors for bad model files.

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/core/filesystem.hpp"  // test_support.hpp uses remove_tree without including it
#include "neurodl/core/random.hpp"
#include "neurodl/eval/spikefinder.hpp"
#include "neurodl/io/model_file.hpp"
#include "neurodl/io/registry.hpp"
#include "neurodl/nets/spike_net.hpp"
#include "neurodl/spikes/align.hpp"
#include "neurodl/spikes/dff.hpp"
#include "neurodl/spikes/oasis.hpp"
#include "neurodl/spikes/registry.hpp"
#include "test_support.hpp"

using namespace neurodl;
using nets::SpikeNet;

namespace {

/// The simulator's `calcium` preset (double-exponential kernels with τ_d ~ U(0.3, 1) s, frame
/// averaging, saturation, drift, bursty rates), run through the CLI because nets does not link
/// the simulator. Returns one recording: activity T × units ΔF/F, truth spike_counts T × units.
Recording simulate_calcium(const test::ScratchDir& dir, int units, int seed, double fs, int frames) {
  const auto file = dir / ("cal" + std::to_string(seed) + ".h5");
  const std::string cmd = std::string(NEURODL_EXE) + " simulate --preset calcium --units " +
                          std::to_string(units) + " --fs " + std::to_string(fs) + " --frames " +
                          std::to_string(frames) + " --seed " + std::to_string(seed) +
                          " --quiet -o " + file.string() + " 2>&1";
  if (std::system(cmd.c_str()) != 0) return {};
  return io::read_recordings(file).at(0);
}

std::vector<nets::GroundTruthTrace> to_traces(const Recording& rec, int groups) {
  std::vector<nets::GroundTruthTrace> out;
  const MatrixF& truth = rec.truth.at("spike_counts");
  for (Eigen::Index j = 0; j < rec.activity.cols(); ++j) {
    nets::GroundTruthTrace t{"SIM" + std::to_string(j % groups), "sim", rec.sample_rate_hz, {}, {}};
    for (Eigen::Index i = 0; i < rec.activity.rows(); ++i) {
      t.dff.push_back(rec.activity(i, j));
      t.spikes.push_back(truth(i, j));
    }
    out.push_back(std::move(t));
  }
  return out;
}

/// A small, fast training configuration (seconds on one core).
nets::SpikeNetOptions quick_options(double fs, double noise) {
  nets::SpikeNetOptions o;
  o.sample_rate_hz = fs;
  o.noise_level = noise;
  o.windows = 8000;
  o.epochs = 3;
  o.noise_copies = 1;
  o.members = 1;
  return o;
}

/// The smallest configuration that still trains (one epoch over 1,500 windows), for tests of
/// bookkeeping rather than accuracy.
nets::SpikeNetOptions tiny_options() {
  auto o = quick_options(15.0, 5.0);
  o.windows = 1500;
  o.epochs = 1;
  return o;
}

/// A model trained once on simulated calcium and shared by the tests below.
struct Trained {
  Recording test;
  SpikeNet net;
  double noise = 0;
  bool ok = false;
};
const Trained& trained() {
  static const Trained t = [] {
    Trained r;
    static test::ScratchDir dir;
    const Recording train = simulate_calcium(dir, 16, 11, 30.0, 6000);
    r.test = simulate_calcium(dir, 8, 12, 30.0, 6000);
    if (train.activity.size() == 0 || r.test.activity.size() == 0) return r;
    // The model's noise level: above every training trace's own (noise is only added).
    const Eigen::VectorXd nu = spikes::cascade_noise_level(train.activity, 30.0);
    r.noise = 1.2 * nu.maxCoeff();
    r.net = SpikeNet::train(to_traces(train, 4), quick_options(30.0, r.noise), "unit test");
    r.ok = true;
    return r;
  }();
  return t;
}

double mean_r(const MatrixF& truth, const MatrixF& pred, double fs) {
  return eval::spikefinder_score(truth, pred, fs).mean_correlation;
}

}  // namespace

TEST(SpikeNetResample, KeepsConstantsCountsAndRamps) {
  std::vector<double> c(100, 2.5);
  for (double fo : {7.5, 30.0, 100.0, 158.0})
    for (double v : nets::resample_trace(c, 30.0, fo)) EXPECT_NEAR(v, 2.5, 1e-12) << fo;
  EXPECT_EQ(nets::resampled_length(100, 30.0, 15.0), 50);
  EXPECT_EQ(nets::resampled_length(100, 30.0, 7.5), 25);
  EXPECT_EQ(nets::resampled_length(101, 30.0, 15.0), 51);
  // A ramp at frame centres is reproduced exactly by interpolation inside the trace.
  std::vector<double> ramp(50);
  for (int i = 0; i < 50; ++i) ramp[i] = (i + 0.5) / 10.0;  // time of frame i's centre at 10 Hz
  const auto up = nets::resample_trace(ramp, 10.0, 40.0);
  for (std::size_t k = 2; k + 2 < up.size(); ++k) EXPECT_NEAR(up[k], (k + 0.5) / 40.0, 1e-12);
  // Downsampling by 2 averages pairs.
  const auto down = nets::resample_trace(ramp, 10.0, 5.0);
  for (std::size_t k = 0; k < down.size(); ++k) EXPECT_NEAR(down[k], 0.5 * (ramp[2 * k] + ramp[2 * k + 1]), 1e-12);
  // Downsampling by 3: box averages triples; point takes the middle frame (the centre of the
  // coarse frame is the centre of its middle fine frame). Squares tell them apart.
  std::vector<double> sq(60);
  for (int i = 0; i < 60; ++i) sq[i] = static_cast<double>(i) * i;
  const auto box3 = nets::resample_trace(sq, 30.0, 10.0), point3 = nets::resample_trace(sq, 30.0, 10.0, false);
  ASSERT_EQ(point3.size(), 20u);
  for (std::size_t k = 0; k < 20; ++k) {
    EXPECT_NEAR(box3[k], (sq[3 * k] + sq[3 * k + 1] + sq[3 * k + 2]) / 3.0, 1e-9) << k;
    EXPECT_NEAR(point3[k], sq[3 * k + 1], 1e-9) << k;
  }
  // Upsampling is the same interpolation either way.
  EXPECT_EQ(nets::resample_trace(ramp, 10.0, 40.0, false), up);
  // Counts are conserved over the common span, both ways.
  std::vector<double> n(300);
  for (int i = 0; i < 300; ++i) n[i] = (i * 7) % 5 == 0 ? 1.0 : 0.0;
  const double total = std::accumulate(n.begin(), n.end(), 0.0);
  for (double fo : {7.5, 25.0, 60.0, 158.0}) {
    const auto r = nets::rebin_counts(n, 30.0, fo, nets::resampled_length(300, 30.0, fo));
    EXPECT_NEAR(std::accumulate(r.begin(), r.end(), 0.0), total, 1e-9) << fo;
  }
  const auto same = nets::rebin_counts(n, 30.0, 30.0, 300);
  EXPECT_EQ(same, n);
}

/// Trained for a few seconds on the simulator's calcium preset and scored with the Spikefinder
/// metric on 8 new units: the network must beat the rectified first difference of ΔF/F (the
/// trivial deconvolution) by 0.05 in mean r. With ~2,000 bins per unit the s.e. of one unit's
/// r is ≈ 0.02, so 0.05 on the mean of 8 units is far above chance differences.
TEST(SpikeNet, RecoversSimulatedSpikesBetterThanTrivialBaseline) {
  const auto& t = trained();
  if (!t.ok) GTEST_SKIP() << "simulator not available";
  const MatrixF& x = t.test.activity;
  const MatrixF pred = t.net.predict(x, 30.0);
  ASSERT_EQ(pred.rows(), x.rows());
  ASSERT_EQ(pred.cols(), x.cols());
  EXPECT_TRUE(pred.allFinite());
  EXPECT_GE(pred.minCoeff(), 0.0f);
  MatrixF diff = MatrixF::Zero(x.rows(), x.cols());
  for (Eigen::Index t2 = 1; t2 < x.rows(); ++t2)
    diff.row(t2) = (x.row(t2) - x.row(t2 - 1)).cwiseMax(0.0f);
  const MatrixF& truth = t.test.truth.at("spike_counts");
  const double r_deep = mean_r(truth, pred, 30.0), r_diff = mean_r(truth, diff, 30.0);
  std::printf("simulated calcium: deep r = %.3f, rectified difference r = %.3f\n", r_deep, r_diff);
  EXPECT_GT(r_deep, r_diff + 0.05);
  // Calibrated: expected spikes per frame, so the total count is within a factor 2 of the truth.
  const double ratio = pred.cast<double>().sum() / truth.cast<double>().sum();
  EXPECT_GT(ratio, 0.5);
  EXPECT_LT(ratio, 2.0);
}

TEST(SpikeNet, WholeTracePathEqualsWindowedForward) {
  const auto& t = trained();
  if (!t.ok) GTEST_SKIP() << "simulator not available";
  std::vector<double> y(400);
  for (int i = 0; i < 400; ++i) y[i] = t.test.activity(i, 0);
  const auto p = t.net.predict_trace(y, 30.0);  // model rate: no resampling
  MatrixF w(400, 64);
  for (int i = 0; i < 400; ++i)
    for (int k = 0; k < 64; ++k) w(i, k) = static_cast<float>(y[std::clamp(i - 32 + k, 0, 399)]);
  const auto q = t.net.predict_windows(w);
  for (int i = 0; i < 400; ++i) EXPECT_NEAR(p[i], q[i], 1e-5 + 1e-4 * std::abs(q[i])) << i;
}

TEST(SpikeNet, FileRoundTripKeepsWeightsAndMetadata) {
  const auto& t = trained();
  if (!t.ok) GTEST_SKIP() << "simulator not available";
  test::ScratchDir dir;
  t.net.save(dir / "m.h5");
  const SpikeNet back = SpikeNet::load(dir / "m.h5");
  EXPECT_EQ(back.info().format_version, nets::kSpikeNetFormatVersion);
  EXPECT_EQ(back.info().sample_rate_hz, 30.0);
  EXPECT_EQ(back.info().noise_level, t.noise);
  EXPECT_EQ(back.info().training_datasets, (std::vector<std::string>{"SIM0", "SIM1", "SIM2", "SIM3"}));
  EXPECT_EQ(back.info().training_command, "unit test");
  EXPECT_EQ(back.info().architecture, t.net.info().architecture);
  EXPECT_EQ(back.info().seed, 0u);
  EXPECT_FALSE(back.info().neurodl_version.empty());
  EXPECT_EQ(back.cost().params(), t.net.cost().params());
  EXPECT_GT(back.cost().params(), 5000);
  EXPECT_LT(back.cost().params(), 50000);
  const auto st = io::read_model(dir / "m.h5");
  EXPECT_EQ(st.model, "spike-net");
  EXPECT_TRUE(st.params.contains("training"));
  std::vector<double> y(300);
  for (int i = 0; i < 300; ++i) y[i] = t.test.activity(i, 1);
  const auto a = t.net.predict_trace(y, 22.0), b = back.predict_trace(y, 22.0);
  ASSERT_EQ(a.size(), 300u);
  for (int i = 0; i < 300; ++i) EXPECT_NEAR(a[i], b[i], 1e-6);
}

/// 4 groups × 5 simulated neurons, 1,500 frames at 15 Hz, for the tests that train tiny models;
/// skipped where the simulator is not available.
class SpikeNetTiny : public ::testing::Test {
 protected:
  void SetUp() override {
    rec = simulate_calcium(dir, 4, 5, 15.0, 1500);
    if (rec.activity.size() == 0) GTEST_SKIP() << "simulator not available";
  }
  test::ScratchDir dir;
  Recording rec;
};

TEST_F(SpikeNetTiny, TrainingIsDeterministicWithASeed) {
  auto o = tiny_options();
  const auto a = SpikeNet::train(to_traces(rec, 2), o).state();
  const auto b = SpikeNet::train(to_traces(rec, 2), o).state();
  EXPECT_TRUE(a.arrays == b.arrays);
  o.seed = 1;
  const auto c = SpikeNet::train(to_traces(rec, 2), o).state();
  EXPECT_FALSE(a.arrays == c.arrays);
}

/// An ensemble predicts the mean of its members; member 0 is the one-network model of the same
/// seed; the ensemble survives the file; a version-1 file (one network, arrays param.*) still
/// loads; the target smoothing follows the frame rate (max(0.05 s, 1.5 frames)).
TEST_F(SpikeNetTiny, EnsembleIsTheMeanOfItsMembers) {
  auto o = tiny_options();
  o.target_smoothing_s = 0.05;
  o.target_smoothing_frames = 1.5;  // 0.1 s at 15 Hz, above the floor
  const SpikeNet single = SpikeNet::train(to_traces(rec, 2), o);
  EXPECT_NEAR(single.training()["target_smoothing_s"].get<double>(), 1.5 / 15.0, 1e-12);
  o.members = 3;
  const SpikeNet ens = SpikeNet::train(to_traces(rec, 2), o);
  ASSERT_EQ(ens.members(), 3);
  EXPECT_EQ(ens.training()["members"].size(), 3u);
  EXPECT_THROW(ens.member(3), ConfigError);
  // Member 0 was trained exactly as the single model (same seed, windows and noise).
  const auto a = single.state(), b = ens.member(0).state();
  EXPECT_TRUE(a.arrays == b.arrays);
  std::vector<double> y(500);
  for (int i = 0; i < 500; ++i) y[i] = rec.activity(i, 1);
  for (double fs : {15.0, 40.0}) {
    const auto p = ens.predict_trace(y, fs);
    std::vector<std::vector<double>> m;
    for (std::int64_t k = 0; k < 3; ++k) m.push_back(ens.member(k).predict_trace(y, fs));
    EXPECT_FALSE(m[0] == m[1]);  // members differ
    for (std::size_t i = 0; i < p.size(); ++i)
      EXPECT_NEAR(p[i], (m[0][i] + m[1][i] + m[2][i]) / 3.0, 1e-9 + 1e-6 * std::abs(p[i])) << fs << " " << i;
  }
  MatrixF w(50, 64);
  for (int i = 0; i < 50; ++i)
    for (int k = 0; k < 64; ++k) w(i, k) = static_cast<float>(y[std::clamp(100 + i - 32 + k, 0, 499)]);
  const auto pw = ens.predict_windows(w);
  for (int i = 0; i < 50; ++i) {
    double mean = 0;
    for (std::int64_t k = 0; k < 3; ++k) mean += ens.member(k).predict_windows(w)[i] / 3.0;
    EXPECT_NEAR(pw[i], mean, 1e-6 + 1e-5 * mean) << i;
  }
  ens.save(dir / "ens.h5");
  const SpikeNet back = SpikeNet::load(dir / "ens.h5");
  EXPECT_EQ(back.members(), 3);
  EXPECT_EQ(back.info().members, 3);
  EXPECT_EQ(back.predict_trace(y, 15.0), ens.predict_trace(y, 15.0));
  EXPECT_EQ(back.cost().params(), 3 * single.cost().params());
  // The version-1 layout of the single model.
  auto st = single.state();
  ModelState v1 = st;
  v1.arrays.clear();
  for (const auto& [key, value] : st.arrays) v1.arrays[key.substr(std::string("member0.").size())] = value;
  v1.params["format_version"] = 1;
  v1.params.erase("members");
  io::write_model(dir / "v1.h5", v1);
  EXPECT_EQ(SpikeNet::load(dir / "v1.h5").predict_trace(y, 15.0), single.predict_trace(y, 15.0));
  // The version-2 layout (no params.inputs, no in_channels): a "dff" model, identical predictions.
  ModelState v2 = ens.state();
  v2.params["format_version"] = 2;
  v2.params.erase("inputs");
  v2.params.erase("blend");
  v2.params.erase("align");
  v2.params["options"].erase("blend");
  v2.params["options"].erase("align");
  v2.params["options"].erase("align_max_delay_s");
  v2.params["options"].erase("align_max_advance_s");
  v2.params["architecture_shape"].erase("in_channels");
  v2.params["options"].erase("inputs");
  io::write_model(dir / "v2.h5", v2);
  const SpikeNet back2 = SpikeNet::load(dir / "v2.h5");
  EXPECT_EQ(back2.info().format_version, 2);
  EXPECT_EQ(back2.info().inputs, "dff");
  EXPECT_EQ(back2.predict_trace(y, 15.0), ens.predict_trace(y, 15.0));
  EXPECT_EQ(back2.predict_trace(y, 40.0), ens.predict_trace(y, 40.0));
}

/// The OASIS input channel: OASIS's deconvolution of the trace divided by its 99th percentile,
/// hence free of the trace's units; zeros where OASIS cannot run; unknown names are refused.
TEST(SpikeNetInputs, OasisChannelIsTheScaledDeconvolution) {
  test::ScratchDir dir;
  const Recording rec = simulate_calcium(dir, 2, 3, 30.0, 1200);
  if (rec.activity.size() == 0) GTEST_SKIP() << "simulator not available";
  std::vector<double> y(1200);
  for (int i = 0; i < 1200; ++i) y[i] = rec.activity(i, 0);
  const MatrixF plain = nets::spike_net_inputs(y, 30.0, "dff");
  ASSERT_EQ(plain.cols(), 1);
  for (int i = 0; i < 1200; ++i) EXPECT_EQ(plain(i, 0), static_cast<float>(y[i]));
  for (int order : {1, 2}) {
    const MatrixF x = nets::spike_net_inputs(y, 30.0, "dff+oasis-ar" + std::to_string(order));
    ASSERT_EQ(x.cols(), 2);
    spikes::OasisOptions o;  // the settings models read OASIS with: 0.08 s smoothing, no lead
    o.sample_rate_hz = 30.0;
    o.ar_order = order;
    o.smoothing_s = 0.08;
    o.lead_frames = 0;
    std::vector<double> s(y.size());
    spikes::deconvolve_trace(y, o, s);
    std::vector<double> sorted = s;
    std::sort(sorted.begin(), sorted.end());
    const double p99 = sorted[static_cast<std::size_t>(std::floor(0.99 * 1199))];
    ASSERT_GT(p99, 0);
    for (int i = 0; i < 1200; ++i) {
      EXPECT_EQ(x(i, 0), static_cast<float>(y[i]));
      EXPECT_NEAR(x(i, 1), s[i] / p99, 1e-6 * (1 + s[i] / p99)) << order << " " << i;
    }
    // ΔF/F in percent instead of a fraction: the same channel (OASIS scales with the data).
    std::vector<double> y100(y);
    for (double& v : y100) v *= 100;
    const MatrixF x100 = nets::spike_net_inputs(y100, 30.0, "dff+oasis-ar" + std::to_string(order));
    double diff = 0, norm = 0;
    for (int i = 0; i < 1200; ++i) {
      diff += std::abs(x100(i, 1) - x(i, 1));
      norm += std::abs(x(i, 1));
    }
    EXPECT_LT(diff, 1e-3 * norm) << order;
  }
  const MatrixF shortx = nets::spike_net_inputs(std::vector<double>(10, 0.1), 30.0, "dff+oasis-ar2");
  EXPECT_EQ(shortx.col(1), Eigen::VectorXf::Zero(10));
  test::expect_error_naming<ConfigError>([&] { nets::spike_net_inputs(y, 30.0, "oasis"); }, "",
                                         "one of dff, dff+oasis-ar1, dff+oasis-ar2");
}

/// A two-channel model: the whole-trace path (which builds the channels from the trace) equals
/// the windowed forward pass of training on windows of spike_net_inputs, the file records the
/// inputs and restores identical predictions.
TEST_F(SpikeNetTiny, OasisInputModelPredictsFromTheSameChannelsAndSurvivesTheFile) {
  auto o = tiny_options();
  o.inputs = "dff+oasis-ar2";
  const SpikeNet net = SpikeNet::train(to_traces(rec, 2), o);
  EXPECT_EQ(net.info().inputs, "dff+oasis-ar2");
  EXPECT_NE(net.info().architecture.find("-i2"), std::string::npos);
  EXPECT_EQ(net.training()["x_scale"].size(), 2u);
  std::vector<double> y(400);
  for (int i = 0; i < 400; ++i) y[i] = rec.activity(i, 1);
  const auto p = net.predict_trace(y, 15.0);  // model rate: no resampling
  const MatrixF in = nets::spike_net_inputs(y, 15.0, "dff+oasis-ar2");
  MatrixF w(400, 128);
  for (int i = 0; i < 400; ++i)
    for (int c = 0; c < 2; ++c)
      for (int k = 0; k < 64; ++k) w(i, 64 * c + k) = in(std::clamp(i - 32 + k, 0, 399), c);
  const auto q = net.predict_windows(w);
  for (int i = 0; i < 400; ++i) EXPECT_NEAR(p[i], q[i], 1e-5 + 1e-4 * std::abs(q[i])) << i;
  EXPECT_THROW(net.predict_windows(MatrixF::Zero(3, 64)), ShapeError);
  net.save(dir / "hybrid.h5");
  const auto st = io::read_model(dir / "hybrid.h5");
  EXPECT_EQ(st.params["inputs"], "dff+oasis-ar2");
  EXPECT_EQ(st.params["architecture_shape"]["in_channels"], 2);
  const SpikeNet back = SpikeNet::load(dir / "hybrid.h5");
  EXPECT_EQ(back.info().inputs, "dff+oasis-ar2");
  EXPECT_EQ(back.info().format_version, nets::kSpikeNetFormatVersion);
  EXPECT_EQ(back.predict_trace(y, 15.0), p);
  EXPECT_EQ(back.predict_trace(y, 40.0), net.predict_trace(y, 40.0));
  EXPECT_EQ(back.cost().params(), net.cost().params());
}

/// The OASIS blend: the weight is chosen on the validation tails from the grid 0, 0.1, …, 1; the
/// prediction is w·net/sd + (1 − w)·OASIS/sd rescaled to the network's total; the file keeps it.
TEST_F(SpikeNetTiny, BlendWithOasisUsesTheStoredWeight) {
  auto o = tiny_options();
  o.blend = "oasis-ar2";
  const SpikeNet net = SpikeNet::train(to_traces(rec, 2), o);
  EXPECT_EQ(net.info().blend, "oasis-ar2");
  const double w = net.info().blend_weight;
  EXPECT_GE(w, 0.0);
  EXPECT_LE(w, 1.0);
  EXPECT_NEAR(w * 10, std::round(w * 10), 1e-9);
  ASSERT_EQ(net.training()["blend_validation_r"].size(), 11u);
  EXPECT_EQ(net.training()["blend_validation_tails"], net.training()["traces_used"]);  // one tail each
  // The same network without the blend, and the blend by hand at the model rate.
  auto st = net.state();
  EXPECT_EQ(st.params["blend"]["method"], "oasis-ar2");
  st.params["blend"]["weight"] = 0.3;
  io::write_model(dir / "w03.h5", st);
  st.params["blend"]["weight"] = 1.0;
  io::write_model(dir / "w1.h5", st);
  const SpikeNet w03 = SpikeNet::load(dir / "w03.h5"), alone = SpikeNet::load(dir / "w1.h5");
  std::vector<double> y(600);
  for (int i = 0; i < 600; ++i) y[i] = rec.activity(i, 2);
  const auto p = w03.predict_trace(y, 15.0), q = alone.predict_trace(y, 15.0);
  auto sd = [](const std::vector<double>& v) {
    const double m = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    double q2 = 0;
    for (double x : v) q2 += (x - m) * (x - m) / static_cast<double>(v.size());
    return std::sqrt(q2);
  };
  // The blend by hand: the network alone (`net_alone`, q at the model rate by default) and OASIS
  // as models read it (0.08 s smoothing, or per_decay × τ_d, moved `lead` frames earlier) of y
  // at rate fs.
  auto by_hand = [&](const std::vector<double>& pred, double lead, double per_decay = 0.0, double fs = 15.0,
                     const std::vector<double>* net_alone = nullptr) {
    const std::vector<double>& a = net_alone != nullptr ? *net_alone : q;
    spikes::OasisOptions oo;
    oo.sample_rate_hz = fs;
    oo.ar_order = 2;
    oo.smoothing_s = per_decay > 0 ? kNaN : 0.08;
    oo.smoothing_per_decay = per_decay;
    oo.lead_frames = lead;
    std::vector<double> s(y.size());
    spikes::deconvolve_trace(y, oo, s);
    ASSERT_EQ(pred.size(), y.size());
    std::vector<double> b(y.size());
    for (std::size_t i = 0; i < y.size(); ++i) b[i] = 0.3 * a[i] / sd(a) + 0.7 * s[i] / sd(s);
    const double k = std::accumulate(a.begin(), a.end(), 0.0) / std::accumulate(b.begin(), b.end(), 0.0);
    for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(pred[i], k * b[i], 1e-9 + 1e-6 * pred[i]) << lead << " " << i;
  };
  EXPECT_EQ(st.params["blend"]["oasis_lead_frames"], 0.0);
  by_hand(p, 0.0);
  // A stored lead moves the OASIS term (format 5); a version-4 file (no lead stored) reads as 0.
  st.params["blend"]["weight"] = 0.3;
  st.params["blend"]["oasis_lead_frames"] = 0.75;
  io::write_model(dir / "lead.h5", st);
  const SpikeNet lead = SpikeNet::load(dir / "lead.h5");
  EXPECT_EQ(lead.info().blend_lead_frames, 0.75);
  by_hand(lead.predict_trace(y, 15.0), 0.75);
  EXPECT_EQ(lead.info().blend_smoothing_per_decay, 0.0);  // absent: the fixed 0.08 s
  // A smoothing per decay time in the blend, as deconvolve's default.
  st.params["blend"]["oasis_smoothing_per_decay"] = 0.07;
  io::write_model(dir / "per_decay.h5", st);
  const SpikeNet per_decay = SpikeNet::load(dir / "per_decay.h5");
  EXPECT_EQ(per_decay.info().blend_smoothing_per_decay, 0.07);
  by_hand(per_decay.predict_trace(y, 15.0), 0.75, 0.07);
  st.params["blend"]["oasis_smoothing_per_decay"] = -1.0;
  io::write_model(dir / "bad_per_decay.h5", st);
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "bad_per_decay.h5"); }, dir / "bad_per_decay.h5",
                                     "params.blend.oasis_smoothing_per_decay");
  st.params["blend"].erase("oasis_smoothing_per_decay");
  ModelState v4 = st;
  v4.params["format_version"] = 4;
  v4.params["blend"].erase("oasis_lead_frames");
  io::write_model(dir / "v4.h5", v4);
  EXPECT_EQ(SpikeNet::load(dir / "v4.h5").predict_trace(y, 15.0), p);
  st.params["blend"]["oasis_lead_frames"] = 500.0;
  io::write_model(dir / "bad_lead.h5", st);
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "bad_lead.h5"); }, dir / "bad_lead.h5",
                                     "params.blend.oasis_lead_frames");
  st.params["blend"]["oasis_lead_frames"] = 0.0;
  // Where the blend is made (format 6). "input": the network's prediction brought back to the
  // input's rate, then blended with OASIS of the trace as recorded, at that rate (deconvolve's
  // output with the stored lead and smoothing, in input frames); the same as "model" for input
  // at the model rate. A format-5 file (no rate stored) reads as "model".
  EXPECT_EQ(net.info().blend_rate, "input");  // the default
  st.params["blend"]["rate"] = "model";
  st.params["blend"]["oasis_lead_frames"] = 0.5;
  st.params["blend"]["oasis_smoothing_per_decay"] = 0.07;
  const SpikeNet at_model = SpikeNet::from_state(st, "at model");
  st.params["blend"]["rate"] = "input";
  io::write_model(dir / "at_input.h5", st);
  const SpikeNet at_input = SpikeNet::load(dir / "at_input.h5");
  EXPECT_EQ(at_input.info().blend_rate, "input");
  EXPECT_EQ(at_input.predict_trace(y, 15.0), at_model.predict_trace(y, 15.0));
  {
    const auto got = at_input.predict_trace(y, 12.0);
    const auto q12 = alone.predict_trace(y, 12.0);  // the network alone, at the input rate
    by_hand(got, 0.5, 0.07, 12.0, &q12);
    EXPECT_NE(got, at_model.predict_trace(y, 12.0));
  }
  st.params["blend"]["rate"] = "native";
  io::write_model(dir / "bad_rate.h5", st);
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "bad_rate.h5"); }, dir / "bad_rate.h5",
                                     "params.blend.rate");
  st.params["blend"].erase("rate");
  io::write_model(dir / "no_rate.h5", st);
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "no_rate.h5"); }, dir / "no_rate.h5",
                                     "params.blend.rate");
  ModelState v5 = st;
  v5.params["format_version"] = 5;
  io::write_model(dir / "v5.h5", v5);
  EXPECT_EQ(SpikeNet::load(dir / "v5.h5").info().blend_rate, "model");
  EXPECT_EQ(SpikeNet::load(dir / "v5.h5").predict_trace(y, 12.0), at_model.predict_trace(y, 12.0));
  st.params["blend"]["rate"] = "model";
  st.params["blend"]["oasis_lead_frames"] = 0.0;
  st.params["blend"].erase("oasis_smoothing_per_decay");
  net.save(dir / "blend.h5");
  const SpikeNet back = SpikeNet::load(dir / "blend.h5");
  EXPECT_EQ(back.info().blend_weight, w);
  EXPECT_EQ(back.predict_trace(y, 15.0), net.predict_trace(y, 15.0));
  st.params["blend"]["weight"] = 1.5;
  io::write_model(dir / "bad.h5", st);
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "bad.h5"); }, dir / "bad.h5", "params.blend.weight");
  // Unknown blend names: in the options (before any training) and in a file.
  o.blend = "oasis";
  test::expect_error_naming<ConfigError>([&] { SpikeNet::train(to_traces(rec, 2), o); }, "",
                                         "one of none, oasis-ar1, oasis-ar2");
  o.blend = "oasis-ar2";
  o.downsample = "mean";  // an unknown downsampling, likewise refused before training
  test::expect_error_naming<ConfigError>([&] { SpikeNet::train(to_traces(rec, 2), o); }, "",
                                         "box or point");
  o.downsample = "box";
  o.synthetic_response = "sigmoid";  // refused up front, even with no synthetic copies
  test::expect_error_naming<ConfigError>([&] { SpikeNet::train(to_traces(rec, 2), o); }, "",
                                         "synthetic_response");
  o.synthetic_response = "linear";
  o.blend_rate = "native";  // a file with it would not load: refused before training
  test::expect_error_naming<ConfigError>([&] { SpikeNet::train(to_traces(rec, 2), o); }, "", "blend_rate");
  o.blend_rate = "input";
  o.blend_weight = 1.5;  // a fixed weight outside [0, 1]
  test::expect_error_naming<ConfigError>([&] { SpikeNet::train(to_traces(rec, 2), o); }, "",
                                         "blend weight out of range");
  // A fixed weight is stored as given; the validation scores per weight are still on record.
  o.blend_weight = 0.3;
  const SpikeNet fixed = SpikeNet::train(to_traces(rec, 2), o);
  EXPECT_EQ(fixed.info().blend_weight, 0.3);
  EXPECT_EQ(fixed.training()["blend_validation_r"].size(), 11u);
  st.params["blend"]["weight"] = 0.5;
  st.params["blend"]["method"] = "oasis";
  io::write_model(dir / "bad_method.h5", st);
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "bad_method.h5"); }, dir / "bad_method.h5",
                                     "params.blend.method");
}

/// The alignment to OASIS: the network's prediction is delayed by spikes::estimate_delay of its
/// smoothed copy against OASIS's estimate (bounded by align_max_delay_s and align_max_advance_s),
/// before the blend; version-3
/// files (no params.align) load as "none".
TEST_F(SpikeNetTiny, AlignToOasisDelaysThePrediction) {
  auto o = tiny_options();
  o.align = "oasis-ar2";
  o.align_max_delay_s = 0.3;
  o.align_max_advance_s = 0.2;
  const SpikeNet net = SpikeNet::train(to_traces(rec, 2), o);
  EXPECT_EQ(net.info().align, "oasis-ar2");
  EXPECT_EQ(net.info().align_max_delay_s, 0.3);
  EXPECT_EQ(net.info().align_max_advance_s, 0.2);
  auto st = net.state();
  EXPECT_EQ(st.params["align"]["method"], "oasis-ar2");
  st.params["align"]["method"] = "none";
  io::write_model(dir / "plain.h5", st);
  const SpikeNet plain = SpikeNet::load(dir / "plain.h5");
  spikes::OasisOptions oo;  // the settings models read OASIS with: 0.08 s smoothing, no lead
  oo.sample_rate_hz = 15.0;
  oo.ar_order = 2;
  oo.smoothing_s = 0.08;
  oo.lead_frames = 0;
  for (int unit : {2, 3}) {
    std::vector<double> y(900);
    for (int i = 0; i < 900; ++i) y[i] = rec.activity(i, unit);
    double delay = -99, none = -99;
    const auto p = net.predict_trace(y, 15.0, &delay);
    const auto q = plain.predict_trace(y, 15.0, &none);
    EXPECT_EQ(none, 0.0);
    std::vector<double> s(y.size()), smooth = q;
    spikes::deconvolve_trace(y, oo, s);
    spikes::smooth_spikes(smooth, 15.0, 0.08);
    const double d = spikes::estimate_delay(smooth, s, 0.3 * 15.0, 0.2 * 15.0);
    EXPECT_NEAR(delay, d / 15.0, 1e-12);
    EXPECT_LE(delay, 0.3 + 1e-12);
    EXPECT_GE(delay, -0.2 - 1e-12);
    const auto expected = spikes::delay_trace(q, d);
    for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(p[i], expected[i], 1e-12 + 1e-9 * p[i]) << i;
  }
  // Round trip, the version-3 layout, and a bad method in a file.
  net.save(dir / "align.h5");
  std::vector<double> y(600);
  for (int i = 0; i < 600; ++i) y[i] = rec.activity(i, 1);
  EXPECT_EQ(SpikeNet::load(dir / "align.h5").predict_trace(y, 15.0), net.predict_trace(y, 15.0));
  ModelState v3 = net.state();
  v3.params["format_version"] = 3;
  v3.params.erase("align");
  io::write_model(dir / "v3.h5", v3);
  const SpikeNet back3 = SpikeNet::load(dir / "v3.h5");
  EXPECT_EQ(back3.info().align, "none");
  EXPECT_EQ(back3.predict_trace(y, 15.0), plain.predict_trace(y, 15.0));
  st.params["align"]["method"] = "lag";
  io::write_model(dir / "bad.h5", st);
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "bad.h5"); }, dir / "bad.h5", "params.align.method");
  o.align = "lag";
  test::expect_error_naming<ConfigError>([&] { SpikeNet::train(to_traces(rec, 2), o); }, "", "align");
}

/// Synthetic training traces: the drawn indicator lies in the documented ranges; the noise-free
/// response of a spike is the frame average of the double exponential from some onset within its
/// frame (checked against numerical integration), scales with the count and peaks near the
/// amplitude; the added noise has the requested CASCADE noise level.
TEST(SpikeNetSynthetic, KernelAmplitudeAndNoiseAreAsDrawn) {
  const double F = 30.0;
  std::vector<double> counts(3000, 0.0);
  counts[100] = 1;
  counts[1500] = 2;
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    Rng a(seed, 5), b(seed, 5);
    nets::SyntheticIndicator k;
    const auto y = nets::synthetic_dff(counts, F, 1e-9, a, &k);  // (practically) noise-free
    EXPECT_GE(k.rise_s, 0.005);
    EXPECT_LE(k.rise_s, 0.2);
    EXPECT_GE(k.decay_s, 0.2);
    EXPECT_LE(k.decay_s, 2.0);
    EXPECT_GE(k.amplitude, 0.02);
    EXPECT_LE(k.amplitude, 0.2);
    // Independent reference: h(x) = e^(−x/τd) − e^(−x/τr) (x in frames after a spike at offset φ
    // into its frame) averaged over each frame by the midpoint rule, scaled so that φ = 0 peaks at
    // the amplitude.
    const double td = k.decay_s * F, tr = std::max(k.rise_s * F, 0.05);
    auto frame_mean = [&](double phi, int j) {
      const int steps = 100;
      double sum = 0;
      for (int i = 0; i < steps; ++i) {
        const double x = j + (i + 0.5) / steps - phi;
        if (x > 0) sum += std::exp(-x / td) - std::exp(-x / tr);
      }
      return sum / steps;
    };
    double peak = 0;
    for (int j = 0; j < 400; ++j) peak = std::max(peak, frame_mean(0.0, j));
    const double scale = k.amplitude / peak;
    // The onset that explains the first spike's response best, on a grid of 1/100 frame.
    auto misfit = [&](int at, double count, double phi, const std::vector<double>& base) {
      double worst = 0;
      for (int j = 0; j < 150; ++j)
        worst = std::max(worst, std::abs(y[at + j] - base[j] - count * scale * frame_mean(phi, j)));
      return worst;
    };
    const std::vector<double> none(300, 0.0);
    double best = 1e9, phi1 = 0;
    for (int i = 0; i < 100; ++i)
      if (const double m = misfit(100, 1, i / 100.0, none); m < best) best = m, phi1 = i / 100.0;
    EXPECT_LT(best, 0.02 * k.amplitude) << seed;
    for (int j = 0; j < 100; ++j) EXPECT_NEAR(y[j], 0.0, 1e-6);
    double top = 0;
    for (int j = 0; j < 1000; ++j) top = std::max(top, y[100 + j]);
    EXPECT_GT(top, 0.5 * k.amplitude);
    EXPECT_LT(top, 1.05 * k.amplitude);
    // Two spikes in one frame: twice a one-spike response, on top of the first spike's tail.
    std::vector<double> tail(300);
    for (int j = 0; j < 300; ++j) tail[j] = scale * frame_mean(phi1, 1400 + j);
    double best2 = 1e9;
    for (int i = 0; i < 100; ++i) best2 = std::min(best2, misfit(1500, 2, i / 100.0, tail));
    EXPECT_LT(best2, 0.04 * k.amplitude) << seed;
    // Noise at the requested level on spike-free frames (same draws of the indicator).
    const std::vector<double> silent(20000, 0.0);
    const auto z = nets::synthetic_dff(silent, F, 2.0, b);
    EXPECT_NEAR(spikes::cascade_noise_level(z, F), 2.0, 0.1) << seed;
  }
  Rng r(1, 1);
  EXPECT_THROW(nets::synthetic_dff(counts, 0.0, 1.0, r), ConfigError);
  EXPECT_THROW(nets::synthetic_dff(counts, F, -1.0, r), ConfigError);
  test::expect_error_naming<ConfigError>([&] { nets::synthetic_dff(counts, F, 1.0, r, nullptr, "sigmoid"); }, "",
                                         "synthetic_response");
  // Another amplitude range is honoured (log-uniform within it); an empty or inverted one is refused.
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Rng g(seed, 5);
    nets::SyntheticIndicator k;
    nets::synthetic_dff(counts, F, 1.0, g, &k, "linear", 0.3, 1.0);
    EXPECT_GE(k.amplitude, 0.3);
    EXPECT_LE(k.amplitude, 1.0);
  }
  test::expect_error_naming<ConfigError>([&] { nets::synthetic_dff(counts, F, 1.0, r, nullptr, "linear", 0.5, 0.1); },
                                         "", "synthetic_amplitude_min");
  test::expect_error_naming<ConfigError>([&] { nets::synthetic_dff(counts, F, 1.0, r, nullptr, "linear", 0.0, 0.1); },
                                         "", "synthetic_amplitude_min");
}

/// The Hill response: from the same generator state, amplitude·(H(c0 + c) − H(c0))/(H(c0 + 1) −
/// H(c0)) of the linear indicator's noise-free trace (c = linear/amplitude, H(x) = x^n/(x^n +
/// K^n)), computed here by hand; n, K and c0 inside their ranges; supralinear for two spikes and
/// saturating in a burst for some draws.
TEST(SpikeNet, SyntheticHillResponseOfTheLinearTrace) {
  const double F = 30.0;
  std::vector<double> counts(3000, 0.0);
  counts[100] = 1;
  counts[1000] = 2;
  counts[2000] = 200;  // a burst in one frame
  int supralinear = 0, saturated = 0;
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    Rng a(seed, 3), b(seed, 3);
    nets::SyntheticIndicator kl, kh;
    const auto lin = nets::synthetic_dff(counts, F, 1e-9, a, &kl);
    const auto hill = nets::synthetic_dff(counts, F, 1e-9, b, &kh, "hill");
    EXPECT_EQ(kh.rise_s, kl.rise_s);
    EXPECT_EQ(kh.amplitude, kl.amplitude);
    EXPECT_TRUE(std::isnan(kl.hill_n));
    ASSERT_GE(kh.hill_n, 1.0);
    ASSERT_LE(kh.hill_n, 2.5);
    ASSERT_GE(kh.hill_k, 5.0);
    ASSERT_LE(kh.hill_k, 30.0);
    ASSERT_GE(kh.hill_rest, 0.15 * kh.hill_k);
    ASSERT_LE(kh.hill_rest, 0.5 * kh.hill_k);
    const double A = kh.amplitude, n = kh.hill_n, K = kh.hill_k, c0 = kh.hill_rest;
    auto H = [&](double x) { return x > 0 ? std::pow(x, n) / (std::pow(x, n) + std::pow(K, n)) : 0.0; };
    double peak1 = 0, peak2 = 0, peak200 = 0, lin1 = 0, lin2 = 0, lin200 = 0;
    for (std::size_t t = 0; t < counts.size(); ++t) {
      // Both carry the same noise (s.d. ~1e-10 here), so the difference is the response alone.
      const double want = A * (H(c0 + lin[t] / A) - H(c0)) / (H(c0 + 1) - H(c0));
      EXPECT_NEAR(hill[t], want, 1e-9 * (1 + std::abs(want))) << seed << " " << t;
      double& p = t < 1000 ? peak1 : t < 2000 ? peak2 : peak200;
      double& l = t < 1000 ? lin1 : t < 2000 ? lin2 : lin200;
      p = std::max(p, hill[t]);
      l = std::max(l, lin[t]);
    }
    EXPECT_LE(peak1, 1.05 * A);  // one spike: about the amplitude, as the linear indicator
    if (peak2 / peak1 > 1.05 * lin2 / lin1) ++supralinear;
    if (peak200 / peak1 < 0.5 * lin200 / lin1) ++saturated;
  }
  EXPECT_GT(supralinear, 0);
  EXPECT_GT(saturated, 0);
}

/// Synthetic copies join the training windows but never the validation set; they change the model.
TEST_F(SpikeNetTiny, CopiesTrainButNeverValidate) {
  auto o = tiny_options();
  const SpikeNet plain = SpikeNet::train(to_traces(rec, 2), o);
  o.synthetic_copies = 2;
  const SpikeNet syn = SpikeNet::train(to_traces(rec, 2), o);
  const auto& tp = plain.training();
  const auto& ts = syn.training();
  EXPECT_EQ(ts["frames"].get<std::int64_t>() * o.noise_copies,
            tp["frames"].get<std::int64_t>() * (o.noise_copies + o.synthetic_copies));
  EXPECT_EQ(ts["val_windows"], tp["val_windows"]);
  EXPECT_EQ(syn.state().params["options"]["synthetic_copies"], 2);
  std::vector<double> y(600);
  for (int i = 0; i < 600; ++i) y[i] = rec.activity(i, 1);
  EXPECT_NE(syn.predict_trace(y, 15.0), plain.predict_trace(y, 15.0));
  // Deterministic: the same options give the same weights.
  EXPECT_EQ(SpikeNet::train(to_traces(rec, 2), o).predict_trace(y, 15.0), syn.predict_trace(y, 15.0));
}

TEST(SpikeNet, SelectionPicksNearestRateThenNoise) {
  std::vector<nets::SpikeModelInfo> bank;
  for (double f : {7.5, 15.0, 30.0, 60.0})
    for (double n : {1.0, 2.0, 4.0}) {
      nets::SpikeModelInfo i;
      i.sample_rate_hz = f;
      i.noise_level = n;
      bank.push_back(i);
    }
  double asked = 0;
  auto pick = [&](double fs, double noise) {
    const auto k = nets::select_spike_model(bank, fs, [&](double F) {
      asked = F;
      return noise;
    });
    return std::make_pair(bank[k].sample_rate_hz, bank[k].noise_level);
  };
  EXPECT_EQ(pick(25.0, 3.1), std::make_pair(30.0, 4.0));  // |ln 4/3.1| < |ln 2/3.1|
  EXPECT_EQ(asked, 30.0);                                 // noise measured at the chosen rate
  EXPECT_EQ(pick(10.0, 1.3), std::make_pair(7.5, 1.0));   // ln(10/7.5) < ln(15/10)
  EXPECT_EQ(pick(158.0, 0.4), std::make_pair(60.0, 1.0));
  EXPECT_EQ(pick(3.0, 50.0), std::make_pair(7.5, 4.0));
  EXPECT_EQ(pick(2.0 * std::sqrt(15.0 * 30.0) / 2.0, std::sqrt(2.0 * 4.0)),
            std::make_pair(30.0, 4.0));                   // ties go up
  EXPECT_THROW(nets::select_spike_model({}, 30.0, [](double) { return 1.0; }), ConfigError);
}

/// The committed weights (models/spikes) load from the build, carry their metadata, and run
/// through `make_spike_inference("deep")` with the input's shape and NaN padding kept.
TEST(SpikeNet, ShippedModelsRunThroughTheRegistry) {
  std::vector<std::filesystem::path> files;
  try {
    files = nets::find_spike_models();
  } catch (const IoError& e) {
    FAIL() << "shipped spike models not found: " << e.what();
  }
  double total_bytes = 0;
  for (const auto& f : files) {
    const auto m = SpikeNet::load(f);
    EXPECT_GE(m.info().format_version, 2) << f;  // version 2 files are read as "dff" models
    EXPECT_LE(m.info().format_version, nets::kSpikeNetFormatVersion) << f;
    EXPECT_GT(m.info().sample_rate_hz, 0) << f;
    EXPECT_GT(m.info().noise_level, 0) << f;
    EXPECT_FALSE(m.info().training_datasets.empty()) << f;
    EXPECT_NE(m.info().training_command.find("train-spikes"), std::string::npos) << f;
    total_bytes += static_cast<double>(std::filesystem::file_size(f));
  }
  EXPECT_LT(total_bytes, 5e6);
  nets::register_deep_spike_inference();
  const auto method = spikes::make_spike_inference("deep");
  MatrixF x(900, 3);
  for (Eigen::Index t = 0; t < 900; ++t)
    for (Eigen::Index j = 0; j < 3; ++j)
      x(t, j) = static_cast<float>(0.3 * std::exp(-static_cast<double>((t + 100 * j) % 90) / 20.0) +
                                   0.02 * std::sin(0.7 * t * (j + 1)));
  for (Eigen::Index t = 800; t < 900; ++t) x(t, 2) = NAN;  // padding of a shorter trace
  spikes::InferenceOptions o;
  o.oasis.sample_rate_hz = 20.0;
  const auto res = method->infer(x, o);
  ASSERT_EQ(res.spikes.rows(), 900);
  ASSERT_EQ(res.spikes.cols(), 3);
  ASSERT_EQ(res.units.size(), 3u);
  for (Eigen::Index t = 0; t < 900; ++t)
    for (Eigen::Index j = 0; j < 3; ++j) {
      if (j == 2 && t >= 800) {
        EXPECT_TRUE(std::isnan(res.spikes(t, j)));
      } else {
        EXPECT_TRUE(std::isfinite(res.spikes(t, j)));
        EXPECT_GE(res.spikes(t, j), 0.0f);
      }
    }
  EXPECT_EQ(res.units[2].n_frames, 800);
  const auto d = method->details();
  EXPECT_EQ(d["selection"], "automatic");
  EXPECT_LE(d["format_version"], nets::kSpikeNetFormatVersion);
}

/// A recording at 12 Hz resampled up to 100 Hz (as Spikefinder distributed its data): the deep
/// method finds the 12 Hz it was recorded at and takes the shipped model nearest to that rate
/// (15 Hz), not the one nearest to 100 Hz (30 Hz), which it takes with --native-fs 0; the
/// OASIS term of the blend follows the same choice.
TEST(SpikeNet, ResampledInputChoosesTheModelOfItsRecordedRate) {
  nets::register_deep_spike_inference();
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 0.05);
  std::poisson_distribution<int> count(0.5 / 12.0);
  std::vector<double> y(1800);
  double c = 0;
  for (auto& v : y) {
    c = 0.92 * c + 0.2 * count(rng);
    v = c + noise(rng);
  }
  const auto up = test::fourier_resample(y, 15000);
  MatrixF x(15000, 1);
  for (Eigen::Index t = 0; t < 15000; ++t) x(t, 0) = static_cast<float>(up[static_cast<std::size_t>(t)]);
  const auto method = spikes::make_spike_inference("deep");
  spikes::InferenceOptions o;
  o.oasis.sample_rate_hz = 100.0;
  const auto res = method->infer(x, o);
  auto d = method->details();
  EXPECT_NEAR(d["native_fs_hz"].get<double>(), 12.0, 0.5);
  EXPECT_NEAR(res.units[0].native_fs_hz, 12.0, 0.5);
  EXPECT_EQ(d["model_sample_rate_hz"].get<double>(), 15.0);
  o.oasis.native_fs_hz = 0;
  const auto off = method->infer(x, o);
  d = method->details();
  EXPECT_EQ(d["native_fs_hz"].get<double>(), 100.0);
  EXPECT_EQ(d["model_sample_rate_hz"].get<double>(), 30.0);
  o.oasis.native_fs_hz = 12.0;
  method->infer(x, o);
  EXPECT_EQ(method->details()["model_sample_rate_hz"].get<double>(), 15.0);
}

TEST(SpikeNet, BadModelFilesGiveOneLineErrorsNamingFileAndField) {
  const auto& t = trained();
  if (!t.ok) GTEST_SKIP() << "simulator not available";
  test::ScratchDir dir;
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "missing.h5"); }, dir / "missing.h5", "");
  {
    std::ofstream f(dir / "corrupt.h5", std::ios::binary);
    f << "this is not an HDF5 file at all";
  }
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "corrupt.h5"); }, dir / "corrupt.h5", "");
  auto st = t.net.state();
  st.params["format_version"] = 7;
  io::write_model(dir / "v7.h5", st);
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "v7.h5"); }, dir / "v7.h5",
                                     "params.format_version: unsupported spike model format version (expected 1 to 6, got 7)");
  st = t.net.state();
  st.params["align"].erase("max_delay_s");
  io::write_model(dir / "noalign.h5", st);
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "noalign.h5"); }, dir / "noalign.h5",
                                     "params.align.max_delay_s");
  st = t.net.state();
  st.params["inputs"] = "dff+oasis-ar2";  // a one-channel network cannot take two channels
  io::write_model(dir / "inputs.h5", st);
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "inputs.h5"); }, dir / "inputs.h5",
                                     "params.architecture_shape.in_channels: input channels differ");
  st = t.net.state();
  st.params.erase("sample_rate_hz");
  io::write_model(dir / "norate.h5", st);
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "norate.h5"); }, dir / "norate.h5",
                                     "params.sample_rate_hz");
  st = t.net.state();
  st.arrays.erase("member0.param.fc.weight");
  io::write_model(dir / "noweights.h5", st);
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "noweights.h5"); }, dir / "noweights.h5",
                                     "member0.param.fc.weight");
  st = t.net.state();
  st.model = "ridge";
  io::write_model(dir / "ridge.h5", st);
  test::expect_error_naming<IoError>([&] { SpikeNet::load(dir / "ridge.h5"); }, dir / "ridge.h5", "not a spike model");
  for (const char* f : {"missing.h5", "corrupt.h5", "v4.h5", "norate.h5", "inputs.h5"}) {
    try {
      SpikeNet::load(dir / f);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
  // NaN inside a trace (not trailing padding) names the unit and frame.
  MatrixF x = MatrixF::Constant(200, 2, 0.1f);
  x(50, 1) = NAN;
  try {
    t.net.predict(x, 30.0);
    ADD_FAILURE() << "no error for NaN inside a trace";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unit 1, frame 50"), std::string::npos) << e.what();
  }
}

TEST(SpikeNet, TrainingNeedsTracesAtOrBelowTheTargetNoise) {
  const auto& t = trained();
  if (!t.ok) GTEST_SKIP() << "simulator not available";
  auto o = quick_options(30.0, 1e-3);
  try {
    SpikeNet::train(to_traces(t.test, 2), o);
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--noise"), std::string::npos) << e.what();
  }
}
