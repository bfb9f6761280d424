// The sweep at 1..4 ranks: each p runs on exactly the first p ranks, with the right number of
// warm-ups and repetitions, and the record ends up with every sample and the last tasks.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "multirank/core/communicator.hpp"
#include "multirank/core/error.hpp"
#include "multirank/study/sweep.hpp"

namespace ms = multirank::study;
using multirank::Communicator;

TEST(Sweep, RunsEachRankCountOnTheFirstPRanks) {
  const Communicator world = Communicator::world();
  std::vector<int> ranks{1};
  if (world.size() >= 2) ranks.push_back(2);
  if (world.size() >= 4) ranks.push_back(4);
  if (world.size() == 3) ranks.push_back(3);
  ms::RunRecord record = ms::begin_run(world, "synthetic");
  std::map<int, int> calls;  // p -> calls on this rank
  ms::run_sweep(world, {.ranks = ranks, .reps = 3, .warmups = 2, .progress = false}, record,
                [&](const Communicator& sub, int p) {
                  EXPECT_EQ(sub.size(), p);
                  EXPECT_LT(world.rank(), p);
                  ++calls[p];
                  ms::RepetitionResult r;
                  r.seconds = 1.0 / p + 0.001 * sub.rank();  // known times: min and max over ranks
                  if (sub.rank() == 0) {
                    multirank::TaskRecord t;
                    t.task_id = p * 10 + calls[p];
                    t.rank = 0;
                    t.host = std::string(1, 'h');  // (assigning "h" trips GCC 12's false -Wrestrict, PR 105329)
                    r.tasks.push_back(t);
                  }
                  return r;
                });
  for (int p : ranks) EXPECT_EQ(calls[p], world.rank() < p ? 5 : 0) << "p = " << p;
  EXPECT_EQ(record.reps, 3);
  EXPECT_EQ(record.warmups, 2);
  EXPECT_EQ(record.ranks, std::vector<std::int32_t>(ranks.begin(), ranks.end()));
  const int largest = *std::max_element(ranks.begin(), ranks.end());
  EXPECT_EQ(record.tasks_p, largest);
  EXPECT_EQ(record.tasks_rep, 2);
  if (world.rank() == 0) {
    ASSERT_EQ(record.samples.size(), ranks.size() * 3);
    for (std::size_t i = 0; i < record.samples.size(); ++i) {
      const auto& s = record.samples[i];
      EXPECT_EQ(s.p, ranks[i / 3]);
      EXPECT_EQ(s.rep, static_cast<int>(i % 3));
      EXPECT_DOUBLE_EQ(s.rank_min_seconds, 1.0 / s.p);
      EXPECT_DOUBLE_EQ(s.rank_max_seconds, 1.0 / s.p + 0.001 * (s.p - 1));
      EXPECT_DOUBLE_EQ(s.wall_seconds, s.rank_max_seconds);
    }
    ASSERT_EQ(record.tasks.size(), 1u);
    EXPECT_EQ(record.tasks[0].task_id, largest * 10 + 5);  // the last call at the largest p
  } else {
    EXPECT_TRUE(record.samples.empty());
    EXPECT_TRUE(record.tasks.empty());
  }
}

TEST(Sweep, RefusesBadOptions) {
  const Communicator world = Communicator::world();
  EXPECT_THROW(ms::check_sweep({.ranks = {world.size() + 1}}, world.size()), multirank::UsageError);
  EXPECT_THROW(ms::check_sweep({.ranks = {1, 1}}, world.size()), multirank::UsageError);
  EXPECT_THROW(ms::check_sweep({.ranks = {1}, .reps = 0}, world.size()), multirank::UsageError);
  EXPECT_NO_THROW(ms::check_sweep({.ranks = {world.size()}}, world.size()));
  EXPECT_EQ(ms::parse_rank_list("1,2,4"), (std::vector<int>{1, 2, 4}));
  EXPECT_THROW((void)ms::parse_rank_list("1,,2"), multirank::UsageError);
  EXPECT_THROW((void)ms::parse_rank_list("1,x"), multirank::UsageError);
  EXPECT_THROW((void)ms::parse_rank_list("0"), multirank::UsageError);
  EXPECT_THROW((void)ms::parse_rank_list("2,2"), multirank::UsageError);
  EXPECT_THROW((void)ms::parse_rank_list(""), multirank::UsageError);
}
