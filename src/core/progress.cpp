#include "neurodl/core/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace neurodl {
namespace {
std::atomic<bool> g_quiet{false};

std::string seconds_text(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, (int(s) % 3600) / 60);
  return buf;
}
}  // namespace

void Progress::set_quiet(bool quiet) { g_quiet = quiet; }
bool Progress::quiet() { return g_quiet; }

Progress::Progress(std::string label, std::int64_t total, double delay_s)
    : label_(std::move(label)), total_(total > 0 ? total : 1), delay_s_(delay_s),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(std::int64_t n) {
  done_ += n;
  if (g_quiet) return;
  const auto now = std::chrono::steady_clock::now();
  if (std::chrono::duration<double>(now - start_).count() < delay_s_) return;
  // A non-terminal gets a new line every 10 s instead of a redrawn bar.
  const double every = isatty(STDERR_FILENO) ? 0.2 : 10.0;
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  if (shown_ && std::chrono::duration<double>(now - last_draw_).count() < every) return;
  last_draw_ = now;
  draw(false);
}

void Progress::set_detail(std::string detail) {
  std::lock_guard lock(detail_mutex_);
  detail_ = std::move(detail);
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  if (shown_ && !g_quiet) draw(true);
}

void Progress::draw(bool final) {
  const bool tty = isatty(STDERR_FILENO);
  const std::int64_t done = std::min(done_.load(), total_);
  const double frac = static_cast<double>(done) / static_cast<double>(total_);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::string tail = final || frac >= 1.0 ? "done in " + seconds_text(elapsed)
                     : frac > 0           ? "ETA " + seconds_text(elapsed * (1 - frac) / frac)
                                          : "";
  std::string detail;
  {
    std::lock_guard lock(detail_mutex_);
    if (!detail_.empty()) detail = " | " + detail_;
  }
  std::fprintf(stderr, "%s%s [%s] %3.0f%% %s elapsed, %s%s%s", tty ? "\r" : "", label_.c_str(),
               bar.c_str(), 100 * frac, seconds_text(elapsed).c_str(), tail.c_str(), detail.c_str(),
               tty && !final ? "\x1b[K" : "\n");
  std::fflush(stderr);
  shown_ = true;
}

}  // namespace neurodl
