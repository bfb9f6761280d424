#pragma once
/// \file Statistics of a scaling study: robust summaries of repeated timings, speedup,
/// efficiency, the Karp–Flatt serial fraction and an Amdahl (or Gustafson) fit.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace multirank::study {

/// Strong scaling keeps the problem size; weak scaling grows it with p.
enum class ScalingMode { strong, weak };

/// "strong" or "weak".
[[nodiscard]] std::string to_string(ScalingMode mode);
/// Parses "strong" or "weak"; throws UsageError otherwise.
[[nodiscard]] ScalingMode parse_scaling_mode(const std::string& text);

/// A nonparametric confidence interval of the median: [x(j), x(n+1-j)] of the sorted samples,
/// with j the largest index whose binomial(n, 1/2) coverage still reaches the level.
struct MedianInterval {
  double low = 0.0;        ///< x(j)
  double high = 0.0;       ///< x(n+1-j)
  double coverage = 0.0;   ///< P(x(j) <= median < x(n+1-j)) = P(j <= B <= n-j), B ~ Bin(n, 1/2)
  std::size_t lower = 0;   ///< j (1-based order statistic)
  std::size_t upper = 0;   ///< n+1-j
  /// False when n is too small for any interval to reach the level (n <= 5 for 95%): the interval
  /// is then [min, max] and `coverage` says what it does reach.
  bool reaches_level = false;
};

/// The interval for `samples` (any order) at confidence `level` (0 < level < 1). Throws UsageError
/// on no samples or a level outside (0, 1).
[[nodiscard]] MedianInterval median_interval(std::vector<double> samples, double level = 0.95);

/// Summary of repeated measurements.
struct Summary {
  std::size_t n = 0;        ///< number of samples
  double median = 0.0;      ///< middle value (mean of the two middle ones for even n)
  double min = 0.0;         ///< smallest
  double max = 0.0;         ///< largest
  double mean = 0.0;        ///< arithmetic mean
  double stddev = 0.0;      ///< sample standard deviation (n - 1 in the denominator; 0 for n = 1)
  MedianInterval ci;        ///< 95% confidence interval of the median
};

/// Summarises `samples`; throws UsageError when there are none.
[[nodiscard]] Summary summarize(const std::vector<double>& samples);

/// The Karp–Flatt experimentally determined serial fraction e = (1/S - 1/p) / (1 - 1/p), for p > 1.
/// Throws UsageError for p <= 1 or a speedup <= 0.
[[nodiscard]] double karp_flatt(double speedup, int p);

/// Amdahl's speedup for serial fraction f: 1 / (f + (1 - f) / p).
[[nodiscard]] double amdahl_speedup(double serial_fraction, int p);

/// Least-squares Amdahl fit over all (p, speedup) points: Amdahl says 1/S = 1/p + f (1 - 1/p),
/// linear in f, so f = sum(a b) / sum(a a) with a = 1 - 1/p, b = 1/S - 1/p (the fit of the
/// normalised time T(p)/T(1)). Points with p = 1 carry no information. nullopt without a p > 1.
[[nodiscard]] std::optional<double> fit_amdahl(const std::vector<std::pair<int, double>>& p_speedup);

/// Least-squares Gustafson fit for weak scaling: scaled speedup S = p - f (p - 1), so
/// f = sum((p - S)(p - 1)) / sum((p - 1)^2). nullopt without a p > 1.
[[nodiscard]] std::optional<double> fit_gustafson(const std::vector<std::pair<int, double>>& p_scaled_speedup);

/// The exact null distribution of the Mann–Whitney U statistic for independent samples of sizes
/// m and n without ties: element u is P(U <= u), u = 0 .. m n. Computed from the Gaussian
/// binomial coefficient [m+n choose m]_q, whose coefficients count the orderings with U = u;
/// above m n = kExactMannWhitneyLimit it is the normal approximation with continuity correction.
/// Throws UsageError when m or n is 0.
[[nodiscard]] std::vector<double> mann_whitney_cdf(std::size_t m, std::size_t n);

/// Where mann_whitney_cdf leaves the exact distribution for the normal approximation (m n): up
/// to here (100 samples a side) the exact one is within about 1e-14 of integer arithmetic; far
/// beyond it rounding grows with every factor of the product, and the approximation is close.
inline constexpr std::size_t kExactMannWhitneyLimit = 10000;

/// The Hodges–Lehmann estimate of a shift between two samples and its distribution-free
/// confidence interval.
struct ShiftEstimate {
  double estimate = 0.0;    ///< the median of the m n differences x_i - y_j
  double low = 0.0;         ///< d(k) of the sorted differences
  double high = 0.0;        ///< d(mn + 1 - k)
  double coverage = 0.0;    ///< the interval's exact coverage, 1 - 2 P(U <= k - 1) (at least the level when reached)
  std::size_t k = 0;        ///< the largest k >= 1 with P(U <= k - 1) <= (1 - level) / 2 (1 when none)
  std::size_t m = 0;        ///< samples in x
  std::size_t n = 0;        ///< samples in y
};

/// The Hodges–Lehmann shift of x against y with the exact Mann–Whitney (Wilcoxon rank-sum)
/// confidence interval at `level`, as R's wilcox.test(x, y, conf.int = TRUE) gives it for samples
/// without ties. Throws UsageError on an empty sample or a level outside (0, 1).
[[nodiscard]] ShiftEstimate hodges_lehmann(const std::vector<double>& x, const std::vector<double>& y,
                                           double level = 0.95);

/// The ratio of times new/reference from the Hodges–Lehmann shift of their logarithms: `ratio`
/// estimates the typical factor, [low, high] is its exact 95% (or `level`) interval. Every time
/// must be positive (UsageError otherwise).
struct RatioEstimate {
  double ratio = 1.0;       ///< exp(Hodges–Lehmann shift of log times)
  double low = 1.0;         ///< exp of the interval's low end
  double high = 1.0;        ///< exp of its high end
  double coverage = 0.0;    ///< the interval's exact coverage
};
[[nodiscard]] RatioEstimate time_ratio(const std::vector<double>& fresh, const std::vector<double>& reference,
                                       double level = 0.95);

/// One rank count of a scaling analysis.
struct ScalingPoint {
  int p = 0;                          ///< ranks
  Summary time;                       ///< wall seconds over the repetitions
  double speedup = 0.0;               ///< strong: T(base) * base / T(p); weak: p * T(base) / (base * T(p)) (scaled)
  double efficiency = 0.0;            ///< strong: speedup / p; weak: scaled efficiency T(base) / T(p)
  std::optional<double> karp_flatt;   ///< serial fraction from this point's speedup, for p > 1
};

/// A whole scaling study: one point per p, and the serial fraction fitted over all of them.
struct ScalingAnalysis {
  ScalingMode mode = ScalingMode::strong;  ///< strong or weak
  int baseline_p = 1;                       ///< the p the ratios are against: 1, or the smallest p measured
  std::vector<ScalingPoint> points;         ///< ascending p
  std::optional<double> serial_fraction;    ///< Amdahl fit (strong) or Gustafson fit (weak)
  std::string fit_law;                      ///< "amdahl" or "gustafson"
};

/// Analyses wall times per p (medians drive the ratios). Speedup and efficiency are against p = 1,
/// or when p = 1 was not measured, against the smallest p assuming it scaled perfectly up to there.
/// Throws UsageError on an empty map, p < 1, or a p without samples.
[[nodiscard]] ScalingAnalysis analyze_scaling(const std::map<int, std::vector<double>>& seconds_by_p,
                                              ScalingMode mode);

}  // namespace multirank::study
