// A concurrency profile as the reports and the apps' --json give it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "multirank/study/report.hpp"
#include "multirank/trace/concurrency_profile.hpp"

using multirank::TaskRecord;

namespace {
TaskRecord task(std::int64_t id, int rank, double start, double end) {
  TaskRecord t;
  t.task_id = id;
  t.rank = rank;
  t.start = start;
  t.end = end;
  return t;
}
}  // namespace

TEST(ProfileJson, KeysAreTheProfilesFields) {
  const auto q = multirank::trace::concurrency_profile({task(0, 0, 0, 1), task(1, 1, 0.5, 1)});
  const auto j = nlohmann::json::parse(multirank::study::profile_json(q));
  EXPECT_EQ(j["tasks"], 2);
  EXPECT_EQ(j["peak_parallelism"], 2);
  EXPECT_EQ(j["overlapped"], true);
  EXPECT_DOUBLE_EQ(j["mean_parallelism"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(j["makespan"].get<double>(), 1.0);
  ASSERT_EQ(j["ranks"].size(), 2u);
  EXPECT_EQ(j["ranks"][1]["rank"], 1);
  EXPECT_DOUBLE_EQ(j["ranks"][1]["busy_seconds"].get<double>(), 0.5);
}
