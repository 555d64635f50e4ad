// The time-block splitter: every sample tested once, contiguous blocks, gaps honoured.

#include <algorithm>
#include <cstdlib>

#include <gtest/gtest.h>

#include "neurodl/core/error.hpp"
#include "neurodl/eval/splits.hpp"

using namespace neurodl;
using namespace neurodl::eval;

TEST(TimeBlockFolds, EachSampleTestedOnceInContiguousBlocks) {
  const auto folds = time_block_folds(103, {.folds = 5});
  ASSERT_EQ(folds.size(), 5u);
  std::vector<int> tested(103, 0);
  for (const auto& f : folds) {
    // One contiguous block per fold by default, of size ⌊103/5⌋ or ⌈103/5⌉.
    EXPECT_EQ(f.test.back() - f.test.front() + 1, static_cast<std::int64_t>(f.test.size()));
    EXPECT_TRUE(f.test.size() == 20u || f.test.size() == 21u);
    EXPECT_EQ(f.train.size() + f.test.size(), 103u);
    for (auto i : f.test) ++tested[static_cast<size_t>(i)];
    EXPECT_TRUE(std::is_sorted(f.train.begin(), f.train.end()));
  }
  EXPECT_TRUE(std::all_of(tested.begin(), tested.end(), [](int c) { return c == 1; }));
}

TEST(TimeBlockFolds, BlocksAreDealtToFoldsInTurn) {
  const auto folds = time_block_folds(40, {.folds = 2, .blocks = 4});
  // Blocks of 10: fold 0 tests [0,10) and [20,30), fold 1 tests [10,20) and [30,40).
  EXPECT_EQ(folds[0].test.front(), 0);
  EXPECT_EQ(folds[0].test[10], 20);
  EXPECT_EQ(folds[1].test.front(), 10);
  EXPECT_EQ(folds[1].test.size(), 20u);
}

TEST(TimeBlockFolds, GapRemovesNeighboursOfTestBlocksFromTraining) {
  const auto folds = time_block_folds(100, {.folds = 4, .gap = 3});
  for (const auto& f : folds)
    for (auto i : f.train)
      for (auto j : f.test) EXPECT_GT(std::abs(i - j), 3);
  // Fold 1 tests [25,50): training loses 22..24 and 50..52.
  EXPECT_EQ(folds[1].train.size(), 100u - 25u - 6u);
  EXPECT_EQ(folds[0].train.size(), 100u - 25u - 3u);  // the first block has one side only
}

TEST(TimeBlockFolds, RejectsImpossibleSplits) {
  EXPECT_THROW(time_block_folds(100, {.folds = 1}), ConfigError);
  EXPECT_THROW(time_block_folds(3, {.folds = 5}), ConfigError);
  EXPECT_THROW(time_block_folds(100, {.folds = 5, .blocks = 3}), ConfigError);
  EXPECT_THROW(time_block_folds(10, {.folds = 2, .gap = 10}), ConfigError);
}
