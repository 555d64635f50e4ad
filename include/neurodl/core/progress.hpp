#pragma once
// A progress bar with ETA on standard error for anything that may take more than a few seconds.
// It stays silent for the first `delay_s` seconds, so quick runs print nothing, and is silenced
// process-wide by set_quiet(true) (the CLI's --quiet). advance() may be called from many threads.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace neurodl {

class Progress {
 public:
  /// `label` names the work ("simulate", "read"); `total` counts its steps (> 0).
  Progress(std::string label, std::int64_t total, double delay_s = 1.0);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  /// Marks `n` more steps done; redraws at most about five times a second.
  void advance(std::int64_t n = 1);
  /// Replaces the text shown after the bar (e.g. "epoch 3/200 train 0.412 val 0.437"); may be
  /// called from any thread; shown at the next redraw. Empty (default): nothing.
  void set_detail(std::string detail);
  /// Draws the final state (when the bar was shown) and ends the line.
  void finish();
  /// Silences every bar in the process (true) or lets them draw again (false).
  static void set_quiet(bool quiet);
  static bool quiet();

 private:
  void draw(bool final);
  std::string label_;
  std::int64_t total_;
  double delay_s_;
  std::atomic<std::int64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mutex_;
  std::mutex detail_mutex_;  // guards detail_ only, so set_detail never waits on a redraw
  std::string detail_;
  bool shown_ = false;
  bool finished_ = false;
};

}  // namespace neurodl
