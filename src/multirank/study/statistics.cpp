#include "multirank/study/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "multirank/core/error.hpp"

namespace multirank::study {

std::string to_string(ScalingMode mode) { return mode == ScalingMode::strong ? "strong" : "weak"; }

ScalingMode parse_scaling_mode(const std::string& text) {
  if (text == "strong") return ScalingMode::strong;
  if (text == "weak") return ScalingMode::weak;
  throw UsageError("scaling mode must be strong or weak, not '" + text + "'");
}

namespace {

/// log of the binomial(n, 1/2) probability of exactly k, via lgamma (exact enough for any n).
double log_binomial_half(std::size_t n, std::size_t k) {
  const auto nd = static_cast<double>(n);
  const auto kd = static_cast<double>(k);
  return std::lgamma(nd + 1) - std::lgamma(kd + 1) - std::lgamma(nd - kd + 1) - nd * std::log(2.0);
}

double median_of_sorted(const std::vector<double>& s) {
  const std::size_t n = s.size();
  return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

}  // namespace

MedianInterval median_interval(std::vector<double> samples, double level) {
  if (samples.empty()) throw UsageError("a confidence interval needs at least one sample");
  if (!(level > 0.0 && level < 1.0)) throw UsageError("a confidence level must lie strictly between 0 and 1");
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  // coverage(j) = P(j <= B <= n - j) = 1 - 2 P(B <= j - 1); it falls as j grows.
  MedianInterval ci;
  ci.lower = 1;
  ci.upper = n;
  // coverage(j) = P(j <= B <= n - j) = 1 - 2 P(B <= j - 1), which falls as j grows: take the
  // largest j that still reaches the level. j = 1 gives [min, max] with coverage 1 - 2^(1-n).
  double tail = std::exp(log_binomial_half(n, 0));  // P(B <= j - 1) for j = 1
  ci.coverage = std::max(0.0, 1.0 - 2.0 * tail);
  ci.reaches_level = ci.coverage >= level;
  if (ci.reaches_level) {
    for (std::size_t j = 2; j <= n / 2; ++j) {
      const double next_tail = tail + std::exp(log_binomial_half(n, j - 1));
      const double cover = 1.0 - 2.0 * next_tail;
      if (cover < level) break;
      tail = next_tail;
      ci.lower = j;
      ci.upper = n + 1 - j;
      ci.coverage = cover;
    }
  }
  ci.low = samples[ci.lower - 1];
  ci.high = samples[ci.upper - 1];
  return ci;
}

Summary summarize(const std::vector<double>& samples) {
  if (samples.empty()) throw UsageError("a summary needs at least one sample");
  std::vector<double> s = samples;
  std::sort(s.begin(), s.end());
  Summary out;
  out.n = s.size();
  out.min = s.front();
  out.max = s.back();
  out.median = median_of_sorted(s);
  out.mean = std::accumulate(s.begin(), s.end(), 0.0) / static_cast<double>(out.n);
  if (out.n > 1) {
    double ss = 0.0;
    for (double x : s) ss += (x - out.mean) * (x - out.mean);
    out.stddev = std::sqrt(ss / static_cast<double>(out.n - 1));
  }
  out.ci = median_interval(s);
  return out;
}

double karp_flatt(double speedup, int p) {
  if (p <= 1) throw UsageError("the Karp–Flatt metric needs p > 1, not " + std::to_string(p));
  if (!(speedup > 0.0)) throw UsageError("the Karp–Flatt metric needs a positive speedup");
  const double inv_p = 1.0 / p;
  return (1.0 / speedup - inv_p) / (1.0 - inv_p);
}

double amdahl_speedup(double serial_fraction, int p) {
  return 1.0 / (serial_fraction + (1.0 - serial_fraction) / p);
}

std::optional<double> fit_amdahl(const std::vector<std::pair<int, double>>& p_speedup) {
  double sab = 0.0;
  double saa = 0.0;
  for (const auto& [p, s] : p_speedup) {
    if (p <= 1 || !(s > 0.0)) continue;
    const double a = 1.0 - 1.0 / p;
    const double b = 1.0 / s - 1.0 / p;
    sab += a * b;
    saa += a * a;
  }
  if (saa == 0.0) return std::nullopt;
  return sab / saa;
}

std::optional<double> fit_gustafson(const std::vector<std::pair<int, double>>& p_scaled_speedup) {
  double num = 0.0;
  double den = 0.0;
  for (const auto& [p, s] : p_scaled_speedup) {
    if (p <= 1) continue;
    num += (p - s) * (p - 1.0);
    den += (p - 1.0) * (p - 1.0);
  }
  if (den == 0.0) return std::nullopt;
  return num / den;
}

std::vector<double> mann_whitney_cdf(std::size_t m, std::size_t n) {
  if (m == 0 || n == 0) throw UsageError("the Mann–Whitney distribution needs two non-empty samples");
  const std::size_t mn = m * n;
  std::vector<double> cdf(mn + 1, 0.0);
  if (mn > kExactMannWhitneyLimit) {
    const double mean = 0.5 * static_cast<double>(mn);
    const double sd = std::sqrt(static_cast<double>(mn) * static_cast<double>(m + n + 1) / 12.0);
    for (std::size_t u = 0; u <= mn; ++u)
      cdf[u] = 0.5 * std::erfc(-((static_cast<double>(u) + 0.5 - mean) / sd) / std::sqrt(2.0));
    return cdf;
  }
  // [m+n choose m]_q = prod_{i=1..s} (1 - q^(l+i)) / (1 - q^i) with s = min(m, n), l = max(m, n):
  // after step i the polynomial is [l+i choose i]_q, whose coefficients are all positive. Each
  // step is rescaled to sum 1, so nothing overflows however large the binomial coefficient.
  const std::size_t s = std::min(m, n);
  const std::size_t l = std::max(m, n);
  std::vector<double> a(mn + 1, 0.0);
  a[0] = 1.0;
  std::size_t degree = 0;
  for (std::size_t i = 1; i <= s; ++i) {
    const std::size_t next = degree + l;  // degree of [l+i choose i]_q is i l
    for (std::size_t u = next; u >= l + i; --u) a[u] -= a[u - l - i];  // times (1 - q^(l+i)), from the top
    for (std::size_t u = i; u <= next; ++u) a[u] += a[u - i];          // divided by (1 - q^i)
    degree = next;
    // The coefficients are symmetric, a[u] = a[degree - u]. Each lower-half coefficient depends
    // only on lower ones, while the upper tail comes out of cancellations whose rounding the
    // next steps would amplify: mirror the lower half instead.
    for (std::size_t u = degree / 2 + 1; u <= degree; ++u) a[u] = a[degree - u];
    double total = 0.0;
    for (std::size_t u = 0; u <= degree; ++u) total += a[u];
    for (std::size_t u = 0; u <= degree; ++u) a[u] /= total;
  }
  double running = 0.0;
  for (std::size_t u = 0; u <= mn; ++u) {
    running += std::max(0.0, a[u]);
    cdf[u] = std::min(1.0, running);
  }
  cdf[mn] = 1.0;
  return cdf;
}

ShiftEstimate hodges_lehmann(const std::vector<double>& x, const std::vector<double>& y, double level) {
  if (x.empty() || y.empty()) throw UsageError("a Hodges–Lehmann estimate needs two non-empty samples");
  if (!(level > 0.0 && level < 1.0)) throw UsageError("a confidence level must lie strictly between 0 and 1");
  ShiftEstimate out;
  out.m = x.size();
  out.n = y.size();
  std::vector<double> d;
  d.reserve(out.m * out.n);
  for (double xi : x)
    for (double yj : y) d.push_back(xi - yj);
  std::sort(d.begin(), d.end());
  out.estimate = median_of_sorted(d);
  const std::vector<double> cdf = mann_whitney_cdf(out.m, out.n);
  const double tail = (1.0 - level) / 2.0;
  // The largest k with P(U <= k - 1) <= tail; k = 1 ([min, max] of the differences) when even
  // P(U = 0) exceeds it, and the coverage then says how far short of the level it falls.
  std::size_t k = 1;
  while (k < d.size() / 2 + 1 && cdf[k] <= tail * (1.0 + 1e-12)) ++k;
  out.k = k;
  out.low = d[k - 1];
  out.high = d[d.size() - k];
  out.coverage = 1.0 - 2.0 * cdf[k - 1];
  return out;
}

RatioEstimate time_ratio(const std::vector<double>& fresh, const std::vector<double>& reference, double level) {
  auto logs = [](const std::vector<double>& v) {
    std::vector<double> out;
    out.reserve(v.size());
    for (double t : v) {
      if (!(t > 0.0) || !std::isfinite(t)) throw UsageError("a ratio of times needs positive finite times");
      out.push_back(std::log(t));
    }
    return out;
  };
  const ShiftEstimate shift = hodges_lehmann(logs(fresh), logs(reference), level);
  return {std::exp(shift.estimate), std::exp(shift.low), std::exp(shift.high), shift.coverage};
}

ScalingAnalysis analyze_scaling(const std::map<int, std::vector<double>>& seconds_by_p, ScalingMode mode) {
  if (seconds_by_p.empty()) throw UsageError("a scaling analysis needs at least one rank count");
  ScalingAnalysis out;
  out.mode = mode;
  out.fit_law = mode == ScalingMode::strong ? "amdahl" : "gustafson";
  for (const auto& [p, samples] : seconds_by_p) {
    if (p < 1) throw UsageError("rank counts must be at least 1, not " + std::to_string(p));
    if (samples.empty()) throw UsageError("no samples for p = " + std::to_string(p));
  }
  out.baseline_p = seconds_by_p.begin()->first;
  const double base_time = summarize(seconds_by_p.begin()->second).median;
  const double base_p = out.baseline_p;
  std::vector<std::pair<int, double>> fit_points;
  for (const auto& [p, samples] : seconds_by_p) {
    ScalingPoint pt;
    pt.p = p;
    pt.time = summarize(samples);
    const double t = pt.time.median;
    if (mode == ScalingMode::strong) {
      pt.speedup = t > 0.0 ? base_time * base_p / t : 0.0;
      pt.efficiency = pt.speedup / p;
    } else {
      pt.efficiency = t > 0.0 ? base_time / t : 0.0;
      pt.speedup = pt.efficiency * p;
    }
    if (p > 1 && pt.speedup > 0.0) pt.karp_flatt = karp_flatt(pt.speedup, p);
    fit_points.emplace_back(p, pt.speedup);
    out.points.push_back(pt);
  }
  out.serial_fraction = mode == ScalingMode::strong ? fit_amdahl(fit_points) : fit_gustafson(fit_points);
  return out;
}

}  // namespace multirank::study
