// Statistics against values worked out by hand (see the comments for each figure).
#include <gtest/gtest.h>

#include <cmath>

#include "multirank/core/error.hpp"
#include "multirank/study/statistics.hpp"

namespace ms = multirank::study;

TEST(Statistics, OddSample) {
  // {3,1,2,5,4}: median 3, mean 3, squares of deviations 4+1+0+1+4 = 10, s = sqrt(10/4).
  const auto s = ms::summarize({3, 1, 2, 5, 4});
  EXPECT_EQ(s.n, 5u);
  EXPECT_DOUBLE_EQ(s.median, 3.0);
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 5.0);
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(2.5));
  // n = 5 cannot reach 95%: [min, max] covers 1 - 2/2^5 = 0.9375.
  EXPECT_FALSE(s.ci.reaches_level);
  EXPECT_DOUBLE_EQ(s.ci.low, 1.0);
  EXPECT_DOUBLE_EQ(s.ci.high, 5.0);
  EXPECT_DOUBLE_EQ(s.ci.coverage, 0.9375);
}

TEST(Statistics, EvenSampleAndSingleSample) {
  EXPECT_DOUBLE_EQ(ms::summarize({4, 1, 3, 2}).median, 2.5);
  const auto one = ms::summarize({7});
  EXPECT_DOUBLE_EQ(one.median, 7.0);
  EXPECT_DOUBLE_EQ(one.stddev, 0.0);
  EXPECT_DOUBLE_EQ(one.ci.low, 7.0);
  EXPECT_DOUBLE_EQ(one.ci.high, 7.0);
  EXPECT_FALSE(one.ci.reaches_level);
  EXPECT_THROW((void)ms::summarize({}), multirank::UsageError);
}

TEST(Statistics, MedianIntervalFromBinomialOrderStatistics) {
  // n = 6: [x(1), x(6)] covers 1 - 2/64 = 0.96875 >= 0.95; [x(2), x(5)] covers 1 - 14/64 < 0.95.
  auto ci = ms::median_interval({6, 5, 4, 3, 2, 1});
  EXPECT_TRUE(ci.reaches_level);
  EXPECT_EQ(ci.lower, 1u);
  EXPECT_EQ(ci.upper, 6u);
  EXPECT_DOUBLE_EQ(ci.coverage, 0.96875);

  // n = 10 (1..10): j = 2 covers 1 - 2(1 + 10)/1024 = 0.978515625; j = 3 only 1 - 2*56/1024.
  const auto s = ms::summarize({10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  EXPECT_DOUBLE_EQ(s.median, 5.5);
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(82.5 / 9.0));
  EXPECT_EQ(s.ci.lower, 2u);
  EXPECT_EQ(s.ci.upper, 9u);
  EXPECT_DOUBLE_EQ(s.ci.low, 2.0);
  EXPECT_DOUBLE_EQ(s.ci.high, 9.0);
  EXPECT_NEAR(s.ci.coverage, 1.0 - 22.0 / 1024.0, 1e-12);

  // n = 20: P(B <= 5) = (1+20+190+1140+4845+15504)/2^20 = 21700/1048576, so j = 6 covers
  // 1 - 43400/1048576 = 0.9586; j = 7 adds C(20,6) = 38760 and drops to 0.8847.
  std::vector<double> twenty;
  for (int i = 20; i >= 1; --i) twenty.push_back(i * 0.5);
  ci = ms::median_interval(twenty);
  EXPECT_EQ(ci.lower, 6u);
  EXPECT_EQ(ci.upper, 15u);
  EXPECT_DOUBLE_EQ(ci.low, 3.0);
  EXPECT_DOUBLE_EQ(ci.high, 7.5);
  EXPECT_NEAR(ci.coverage, 1.0 - 43400.0 / 1048576.0, 1e-12);

  // n = 10, j = 3 covers 1 - 112/1024 = 0.890625: enough for 89%, not for 90%.
  EXPECT_EQ(ms::median_interval({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.89).lower, 3u);
  EXPECT_EQ(ms::median_interval({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.90).lower, 2u);
  EXPECT_THROW((void)ms::median_interval({1, 2}, 1.5), multirank::UsageError);
}

TEST(Statistics, KarpFlattAndAmdahl) {
  // S = 3 on p = 4: (1/3 - 1/4) / (1 - 1/4) = (1/12) / (3/4) = 1/9.
  EXPECT_NEAR(ms::karp_flatt(3.0, 4), 1.0 / 9.0, 1e-15);
  EXPECT_THROW((void)ms::karp_flatt(1.0, 1), multirank::UsageError);
  // f = 0.1, p = 4: 1 / (0.1 + 0.9/4) = 1 / 0.325.
  EXPECT_NEAR(ms::amdahl_speedup(0.1, 4), 1.0 / 0.325, 1e-12);
  // Exact Amdahl points give back their f; Karp–Flatt of an Amdahl point is f too.
  std::vector<std::pair<int, double>> pts;
  for (int p : {1, 2, 4, 8}) pts.emplace_back(p, ms::amdahl_speedup(0.1, p));
  EXPECT_NEAR(*ms::fit_amdahl(pts), 0.1, 1e-12);
  EXPECT_NEAR(ms::karp_flatt(ms::amdahl_speedup(0.1, 8), 8), 0.1, 1e-12);
  EXPECT_FALSE(ms::fit_amdahl({{1, 1.0}}).has_value());
}

TEST(Statistics, StrongScalingByHand) {
  // T(1) = 10, T(2) = 6, T(4) = 4: S = 1, 5/3, 5/2; E = 1, 5/6, 5/8;
  // Karp–Flatt: p=2 (0.6 - 0.5)/0.5 = 0.2; p=4 (0.4 - 0.25)/0.75 = 0.2.
  // Amdahl fit: a = (1/2, 3/4), b = (0.1, 0.15): f = (0.05 + 0.1125)/(0.25 + 0.5625) = 0.2.
  const auto a = ms::analyze_scaling({{1, {10, 10.5, 9.5}}, {2, {6, 6, 6}}, {4, {4, 4.2, 3.8}}},
                                     ms::ScalingMode::strong);
  ASSERT_EQ(a.points.size(), 3u);
  EXPECT_EQ(a.baseline_p, 1);
  EXPECT_EQ(a.fit_law, "amdahl");
  EXPECT_DOUBLE_EQ(a.points[0].speedup, 1.0);
  EXPECT_FALSE(a.points[0].karp_flatt.has_value());
  EXPECT_NEAR(a.points[1].speedup, 5.0 / 3.0, 1e-12);
  EXPECT_NEAR(a.points[1].efficiency, 5.0 / 6.0, 1e-12);
  EXPECT_NEAR(*a.points[1].karp_flatt, 0.2, 1e-12);
  EXPECT_NEAR(a.points[2].speedup, 2.5, 1e-12);
  EXPECT_NEAR(a.points[2].efficiency, 0.625, 1e-12);
  EXPECT_NEAR(*a.points[2].karp_flatt, 0.2, 1e-12);
  EXPECT_NEAR(*a.serial_fraction, 0.2, 1e-12);
  EXPECT_DOUBLE_EQ(a.points[2].time.min, 3.8);
}

TEST(Statistics, WeakScalingByHand) {
  // T(1) = 10, T(2) = 12.5, T(4) = 20: scaled efficiency 0.8, 0.5; scaled speedup 1.6, 2.0.
  // Gustafson fit: ((2 - 1.6)*1 + (4 - 2)*3) / (1 + 9) = 0.64.
  const auto a = ms::analyze_scaling({{1, {10}}, {2, {12.5}}, {4, {20}}}, ms::ScalingMode::weak);
  EXPECT_EQ(a.fit_law, "gustafson");
  EXPECT_NEAR(a.points[1].efficiency, 0.8, 1e-12);
  EXPECT_NEAR(a.points[2].efficiency, 0.5, 1e-12);
  EXPECT_NEAR(a.points[2].speedup, 2.0, 1e-12);
  EXPECT_NEAR(*a.serial_fraction, 0.64, 1e-12);
}

TEST(Statistics, BaselineWithoutPOne) {
  // Smallest p = 2 at 8 s, p = 4 at 5 s: S(4) = 8 * 2 / 5 = 3.2, E = 0.8.
  const auto a = ms::analyze_scaling({{2, {8}}, {4, {5}}}, ms::ScalingMode::strong);
  EXPECT_EQ(a.baseline_p, 2);
  EXPECT_NEAR(a.points[0].speedup, 2.0, 1e-12);
  EXPECT_NEAR(a.points[1].speedup, 3.2, 1e-12);
  EXPECT_NEAR(a.points[1].efficiency, 0.8, 1e-12);
  EXPECT_THROW((void)ms::analyze_scaling({}, ms::ScalingMode::strong), multirank::UsageError);
  EXPECT_THROW((void)ms::analyze_scaling({{0, {1}}}, ms::ScalingMode::strong), multirank::UsageError);
  EXPECT_EQ(ms::parse_scaling_mode("weak"), ms::ScalingMode::weak);
  EXPECT_THROW((void)ms::parse_scaling_mode("medium"), multirank::UsageError);
}
