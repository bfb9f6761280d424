// The scheduling rules: guided self-scheduling shaped by measured task times, and prefetch depth.
#include <gtest/gtest.h>

#include <vector>

#include "multirank/pool/internal/chunk_policy.hpp"

using multirank::detail::auto_chunk_items;
using multirank::detail::wants_another_chunk;

TEST(PoolChunking, UnmeasuredTasksGoOneAtATime) {
  EXPECT_EQ(auto_chunk_items(100000, 2, -1.0), 1u);
  EXPECT_EQ(auto_chunk_items(0, 2, -1.0), 0u);
}

TEST(PoolChunking, TinyTasksGetBigChunksThatShrinkTowardsTheEnd) {
  const double tiny = 5e-9;
  std::size_t remaining = 1000000;
  std::vector<std::size_t> sizes;
  while (remaining > 0) {
    const auto n = auto_chunk_items(remaining, 2, tiny);
    ASSERT_GT(n, 0u);
    sizes.push_back(n);
    remaining -= n;
  }
  EXPECT_EQ(sizes.front(), 250000u);  // remaining / (2 * workers)
  for (std::size_t i = 1; i < sizes.size(); ++i) EXPECT_LE(sizes[i], sizes[i - 1]);
  EXPECT_LT(sizes.size(), 60u);
  // never below ~50 µs of work (10000 inputs of 5 ns) except for the very last one
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) EXPECT_GE(sizes[i], 10000u);
}

TEST(PoolChunking, LongTasksGoOneAtATime) {
  EXPECT_EQ(auto_chunk_items(8, 2, 0.1), 1u);
  EXPECT_EQ(auto_chunk_items(1000, 4, 0.05), 1u);
  // 1 ms tasks: at most ~20 ms per chunk
  EXPECT_EQ(auto_chunk_items(100000, 2, 1e-3), 20u);
}

TEST(PoolChunking, PrefetchDepthFollowsChunkDuration) {
  EXPECT_TRUE(wants_another_chunk(0, 0.0, 0, 0));
  EXPECT_FALSE(wants_another_chunk(1, 0.0, 1, 0));      // untimed: nothing queued behind it
  EXPECT_FALSE(wants_another_chunk(3, 1e-6, 1, 0));
  EXPECT_TRUE(wants_another_chunk(10, 1e-3, 0, 0));     // short chunks: keep ~2 ms queued
  EXPECT_FALSE(wants_another_chunk(10, 3e-3, 0, 0));
  EXPECT_FALSE(wants_another_chunk(64, 1e-4, 0, 0));
  EXPECT_FALSE(wants_another_chunk(1, 0.02, 0, 0));     // a steady 25 ms chunk, 20 ms left: wait
  EXPECT_TRUE(wants_another_chunk(1, 0.001, 0, 0));     // ... 1 ms left: send its successor now
  EXPECT_FALSE(wants_another_chunk(1, 0.001, 0, 1));    // an unsteady long chunk: never
  EXPECT_FALSE(wants_another_chunk(1, -0.01, 0, 0));    // overdue: the estimate was wrong, wait
}
