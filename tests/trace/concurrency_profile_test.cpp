// The concurrency profile against timelines worked out by hand.
#include <gtest/gtest.h>

#include "multirank/trace/concurrency_profile.hpp"

namespace mt = multirank::trace;
using multirank::TaskRecord;

namespace {
TaskRecord task(std::int64_t id, int rank, double start, double end, double queued = 0.0) {
  TaskRecord t;
  t.task_id = id;
  t.rank = rank;
  t.start = start;
  t.end = end;
  t.queued = queued;
  return t;
}
}  // namespace

TEST(ConcurrencyProfile, SequentialLaunchHasPeakOne) {
  // Back to back on one rank: [0,1) [1,2) [2,3) touch but never overlap (half-open intervals).
  const std::vector<TaskRecord> tasks{task(0, 0, 0, 1), task(1, 0, 1, 2), task(2, 0, 2, 3)};
  const auto p = mt::concurrency_profile(tasks);
  EXPECT_EQ(p.tasks, 3u);
  EXPECT_EQ(p.peak_parallelism, 1);
  EXPECT_FALSE(p.overlapped);
  EXPECT_DOUBLE_EQ(p.makespan, 3.0);
  EXPECT_DOUBLE_EQ(p.busy_seconds, 3.0);
  EXPECT_DOUBLE_EQ(p.mean_parallelism, 1.0);
  ASSERT_EQ(p.ranks.size(), 1u);
  EXPECT_DOUBLE_EQ(p.ranks[0].busy_fraction, 1.0);
  EXPECT_DOUBLE_EQ(p.ranks[0].idle_fraction, 0.0);
}

TEST(ConcurrencyProfile, ParallelTasksByHand) {
  // rank 0 [0,2), rank 1 [1,3), rank 2 [1,2): three execute during [1,2).
  const std::vector<TaskRecord> tasks{task(0, 0, 0, 2, 0), task(1, 1, 1, 3, 0), task(2, 2, 1, 2, 0.5)};
  const auto p = mt::concurrency_profile(tasks, 4);
  EXPECT_EQ(p.peak_parallelism, 3);
  EXPECT_TRUE(p.overlapped);
  EXPECT_DOUBLE_EQ(p.first_start, 0.0);
  EXPECT_DOUBLE_EQ(p.last_end, 3.0);
  EXPECT_DOUBLE_EQ(p.makespan, 3.0);
  EXPECT_DOUBLE_EQ(p.busy_seconds, 5.0);
  EXPECT_DOUBLE_EQ(p.wait_seconds, 0.0 + 1.0 + 0.5);
  EXPECT_DOUBLE_EQ(p.mean_parallelism, 5.0 / 3.0);
  ASSERT_EQ(p.ranks.size(), 4u);  // rank 3 ran nothing and still shows up
  EXPECT_DOUBLE_EQ(p.ranks[0].busy_fraction, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(p.ranks[1].busy_fraction, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(p.ranks[2].busy_fraction, 1.0 / 3.0);
  EXPECT_EQ(p.ranks[3].tasks, 0u);
  EXPECT_DOUBLE_EQ(p.ranks[3].idle_fraction, 1.0);

  EXPECT_EQ(mt::executing_at(tasks, 1.5), 3);
  EXPECT_EQ(mt::executing_at(tasks, 2.0), 1);  // ends are exclusive: only rank 1 still runs
  EXPECT_EQ(mt::executing_at(tasks, 0.0), 1);
  EXPECT_EQ(mt::executing_at(tasks, 3.0), 0);
}

TEST(ConcurrencyProfile, OverlapOnOneRankCountsOnceForBusy) {
  const std::vector<TaskRecord> tasks{task(0, 0, 0, 2), task(1, 0, 1, 3), task(2, 1, 5, 6)};
  const auto p = mt::concurrency_profile(tasks);
  EXPECT_EQ(p.peak_parallelism, 2);
  EXPECT_DOUBLE_EQ(p.makespan, 6.0);
  EXPECT_DOUBLE_EQ(p.ranks[0].busy_seconds, 3.0);  // union [0,3), not 2 + 2
  EXPECT_DOUBLE_EQ(p.ranks[1].busy_seconds, 1.0);
  EXPECT_DOUBLE_EQ(p.busy_seconds, 5.0);  // the sum of exec(τ) does count both
}

TEST(ConcurrencyProfile, EmptyAndText) {
  const auto p = mt::concurrency_profile({}, 2);
  EXPECT_EQ(p.tasks, 0u);
  EXPECT_EQ(p.peak_parallelism, 0);
  EXPECT_EQ(p.ranks.size(), 2u);
  const auto q = mt::concurrency_profile({task(0, 0, 0, 1), task(1, 1, 0.5, 1)});
  const std::string text = mt::format_profile(q);
  EXPECT_NE(text.find("peak 2"), std::string::npos) << text;
  EXPECT_NE(text.find("rank 1"), std::string::npos) << text;
}
