// Statistics against values worked out by hand (see the comments for each figure).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

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

// ---- the regression gate's statistics: Mann–Whitney, Hodges–Lehmann ---------------------------

namespace {

/// P(U <= u) by brute force: every placement of the m x's among the m + n ranks, U = the number
/// of (x, y) pairs with x above y.
std::vector<double> brute_force_cdf(std::size_t m, std::size_t n) {
  std::vector<double> count(m * n + 1, 0.0);
  double total = 0.0;
  for (unsigned mask = 0; mask < (1u << (m + n)); ++mask) {
    if (static_cast<std::size_t>(__builtin_popcount(mask)) != m) continue;
    std::size_t u = 0;
    std::size_t ys_below = 0;
    for (std::size_t bit = 0; bit < m + n; ++bit) {
      if (mask & (1u << bit))
        u += ys_below;
      else
        ++ys_below;
    }
    count[u] += 1;
    total += 1;
  }
  double running = 0.0;
  for (double& c : count) {
    running += c;
    c = running / total;
  }
  return count;
}

}  // namespace

TEST(GateStatistics, MannWhitneyMatchesEnumerationOfEveryOrdering) {
  for (std::size_t m = 1; m <= 8; ++m)
    for (std::size_t n = 1; n <= 8; ++n) {
      const auto exact = ms::mann_whitney_cdf(m, n);
      const auto brute = brute_force_cdf(m, n);
      ASSERT_EQ(exact.size(), brute.size());
      for (std::size_t u = 0; u < exact.size(); ++u) EXPECT_NEAR(exact[u], brute[u], 1e-12) << m << "x" << n << " u=" << u;
    }
  // By hand, m = n = 4 (70 orderings): 1, 1, 2, 3, 5 of them give U = 0..4.
  const auto c = ms::mann_whitney_cdf(4, 4);
  EXPECT_NEAR(c[0], 1.0 / 70, 1e-15);
  EXPECT_NEAR(c[1], 2.0 / 70, 1e-15);
  EXPECT_NEAR(c[4], 12.0 / 70, 1e-15);
  // R's ?wilcox.test example: W = 35 for samples of 10 and 5 gives the one-sided p-value 0.1272,
  // P(U >= 35) = P(U <= 15).
  EXPECT_NEAR(ms::mann_whitney_cdf(10, 5)[15], 0.1272061272, 1e-9);
  EXPECT_THROW((void)ms::mann_whitney_cdf(0, 3), multirank::UsageError);
}

TEST(GateStatistics, MannWhitneyStaysAccurateForLargeSamples) {
  // 40 and 60 samples (exact, no overflow although C(100, 40) ~ 1.4e28), symmetric about mn/2.
  const auto c = ms::mann_whitney_cdf(40, 60);
  EXPECT_NEAR(c[0], 1.0 / 1.3746234145802811e28, 1e-40);
  EXPECT_NEAR(c[1200 - 1], 1.0 - c[1200], 1e-9);  // P(U <= 1199) = P(U >= 1201) by symmetry
  for (std::size_t u = 1; u < c.size(); ++u) ASSERT_GE(c[u], c[u - 1]);
  // Against integer arithmetic (Python's exact sum of the same generating function), 100 a side:
  // the centre P(U <= 5000) = 0.50048628586729 (to 1e-12 here).
  const auto edge = ms::mann_whitney_cdf(100, 100);
  EXPECT_NEAR(edge[5000], 0.5004862858672919, 1e-12);
  // Beyond the exact range, the normal approximation with continuity correction.
  const auto beyond = ms::mann_whitney_cdf(101, 100);
  EXPECT_NEAR(beyond[5050], 0.5, 2e-3);
  const double sd = std::sqrt(101.0 * 100 * 202 / 12);
  EXPECT_NEAR(beyond[static_cast<std::size_t>(5050 - 1.96 * sd - 0.5)], 0.025, 1e-3);
  // And the two agree near the edge, where a 95% interval's k lies.
  const double sd_edge = std::sqrt(100.0 * 100 * 201 / 12);
  EXPECT_NEAR(edge[static_cast<std::size_t>(5000 - 1.96 * sd_edge)], 0.025, 1e-3);
}

TEST(GateStatistics, HodgesLehmannByHand) {
  // x = 10..13, y = 1..4: the 16 differences x - y run from 6 to 12, median 9. With 4 and 4
  // samples the exact 95% interval is [min, max] = [6, 12], coverage 1 - 2/70.
  const auto h = ms::hodges_lehmann({10, 11, 12, 13}, {1, 2, 3, 4});
  EXPECT_DOUBLE_EQ(h.estimate, 9.0);
  EXPECT_DOUBLE_EQ(h.low, 6.0);
  EXPECT_DOUBLE_EQ(h.high, 12.0);
  EXPECT_EQ(h.k, 1u);
  EXPECT_NEAR(h.coverage, 1.0 - 2.0 / 70, 1e-15);
  // 5 and 4 samples: P(U <= 1) = 2/126 <= 0.025 < P(U <= 2) = 4/126, so k = 2: [d(2), d(19)].
  const std::vector<double> x{0, 10, 20, 30, 40};
  const std::vector<double> y{1, 2, 3, 4};
  std::vector<double> d;
  for (double a : x)
    for (double b : y) d.push_back(a - b);
  std::sort(d.begin(), d.end());
  const auto g = ms::hodges_lehmann(x, y);
  EXPECT_EQ(g.k, 2u);
  EXPECT_DOUBLE_EQ(g.low, d[1]);
  EXPECT_DOUBLE_EQ(g.high, d[18]);
  EXPECT_DOUBLE_EQ(g.estimate, 0.5 * (d[9] + d[10]));
  EXPECT_NEAR(g.coverage, 1.0 - 4.0 / 126, 1e-15);
  // 4 and 3: no interval reaches 95% (the best, [min, max], covers 1 - 2/35).
  const auto few = ms::hodges_lehmann({1, 2, 3, 4}, {1, 2, 3});
  EXPECT_LT(few.coverage, 0.95);
  EXPECT_THROW((void)ms::hodges_lehmann({}, {1.0}), multirank::UsageError);
}

TEST(GateStatistics, TimeRatioOnLogTimes) {
  // Every new time twice a reference one: the ratio is 2 and the interval [2 / 1.3, 2 * 1.3]
  // (the extreme ratios of the 16 pairs).
  const std::vector<double> ref{1.0, 1.1, 1.2, 1.3};
  const std::vector<double> twice{2.0, 2.2, 2.4, 2.6};
  const auto r = ms::time_ratio(twice, ref);
  EXPECT_NEAR(r.ratio, 2.0, 1e-12);
  EXPECT_NEAR(r.low, 2.0 / 1.3, 1e-12);
  EXPECT_NEAR(r.high, 2.6, 1e-12);
  const auto same = ms::time_ratio(ref, ref);
  EXPECT_NEAR(same.ratio, 1.0, 1e-12);
  EXPECT_LT(same.low, 1.0);
  EXPECT_GT(same.high, 1.0);
  EXPECT_THROW((void)ms::time_ratio({1.0, 0.0}, ref), multirank::UsageError);
}
