#include "neurodl/eval/splits.hpp"

#include <string>

#include "neurodl/core/error.hpp"

namespace neurodl::eval {

std::vector<OptionSpec> option_specs(SplitOptions& o) {
  return {
      {.name = "folds", .help = "cross-validation folds (contiguous time blocks)",
       .target = &o.folds, .min = 2, .max = 1e9},
      {.name = "blocks", .help = "time blocks, assigned to folds in turn (0: one per fold)",
       .target = &o.blocks, .min = 0, .max = 1e12},
      {.name = "gap", .help = "samples left out of training on each side of a test block",
       .unit = "samples", .target = &o.gap, .min = 0, .max = 1e12},
  };
}

std::vector<Fold> time_block_folds(std::int64_t n, const SplitOptions& o) {
  const Problem base{.component = "eval.splits"};
  auto fail = [&](const std::string& what, const std::string& expected, const std::string& got) {
    Problem p = base;
    p.what = what;
    p.expected = expected;
    p.got = got;
    raise(ErrorKind::config, p);
  };
  const std::int64_t k = o.folds;
  const std::int64_t blocks = o.blocks == 0 ? k : o.blocks;
  if (k < 2) fail("need at least 2 folds", ">= 2", std::to_string(k));
  if (blocks < k) fail("fewer blocks than folds", ">= " + std::to_string(k), std::to_string(blocks));
  if (o.gap < 0) fail("gap must not be negative", ">= 0", std::to_string(o.gap));
  if (n < blocks)
    fail("too few samples for the blocks", ">= " + std::to_string(blocks) + " samples",
         std::to_string(n));
  // Block b covers [b·n/B, (b+1)·n/B): sizes differ by at most one sample.
  std::vector<std::int64_t> fold_of(static_cast<size_t>(n)), start(static_cast<size_t>(blocks + 1));
  for (std::int64_t b = 0; b <= blocks; ++b) start[static_cast<size_t>(b)] = b * n / blocks;
  for (std::int64_t b = 0; b < blocks; ++b)
    for (std::int64_t i = start[static_cast<size_t>(b)]; i < start[static_cast<size_t>(b + 1)]; ++i)
      fold_of[static_cast<size_t>(i)] = b % k;
  std::vector<Fold> folds(static_cast<size_t>(k));
  for (std::int64_t f = 0; f < k; ++f) {
    auto& fold = folds[static_cast<size_t>(f)];
    // A training sample must be more than `gap` samples away from every test sample of the fold.
    std::int64_t last_test = -(o.gap + 1);
    std::vector<char> near(static_cast<size_t>(n), 0);
    for (std::int64_t i = 0; i < n; ++i)
      if (fold_of[static_cast<size_t>(i)] == f) last_test = i;
      else if (i - last_test <= o.gap) near[static_cast<size_t>(i)] = 1;
    std::int64_t next_test = n + o.gap + 1;
    for (std::int64_t i = n - 1; i >= 0; --i)
      if (fold_of[static_cast<size_t>(i)] == f) next_test = i;
      else if (next_test - i <= o.gap) near[static_cast<size_t>(i)] = 1;
    for (std::int64_t i = 0; i < n; ++i) {
      if (fold_of[static_cast<size_t>(i)] == f) fold.test.push_back(i);
      else if (!near[static_cast<size_t>(i)]) fold.train.push_back(i);
    }
    if (fold.train.empty())
      fail("the gap leaves fold " + std::to_string(f) + " without training samples",
           "a smaller --gap", std::to_string(o.gap));
  }
  return folds;
}

}  // namespace neurodl::eval
