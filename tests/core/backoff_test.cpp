#include <gtest/gtest.h>

#include <chrono>

#include "cpu_seconds.hpp"
#include "multirank/core/wait.hpp"

using multirank::testing::cpu_seconds;

TEST(Backoff, LongWaitsUseLittleCpu) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  multirank::wait_until([&] { return std::chrono::steady_clock::now() - start > std::chrono::seconds(2); });
  const double cpu = cpu_seconds() - cpu0;
  EXPECT_LT(cpu, 0.2) << "waiting 2 s used " << cpu << " s of CPU";
}

TEST(Backoff, TimedWaitReportsTimeout) {
  int polls = 0;
  EXPECT_FALSE(multirank::wait_until_for([&] { ++polls; return false; }, std::chrono::milliseconds(50)));
  EXPECT_GT(polls, 1);
  EXPECT_TRUE(multirank::wait_until_for([&] { return true; }, std::chrono::milliseconds(50)));
}
