#pragma once
/// \file The regression gate: `multirank report NEW.h5 --reference OLD.h5 [--tolerance 10%]`.
/// Every run key present on both sides, (app, mode, metric, options that say what was measured,
/// p), gets the ratio of times new/reference with its Hodges–Lehmann estimate and exact
/// Mann–Whitney 95% interval on log times, and a verdict.

#include <string>
#include <vector>

#include "multirank/study/report.hpp"
#include "multirank/study/statistics.hpp"
#include "multirank/study/study_file.hpp"

namespace multirank::study {

/// Samples a side needs for a verdict other than "too few samples": with 4 and 4 the exact
/// interval [min, max] of the 16 differences covers 68/70 = 97.1%; with 4 and 3 it would reach
/// only 94.3%.
inline constexpr std::size_t kGateMinSamples = 4;

/// What one key's comparison found.
enum class Verdict { same, slower, faster, too_few_samples };

/// "same", "slower", "faster" or "too few samples".
[[nodiscard]] std::string to_string(Verdict verdict);

/// One key compared.
struct Comparison {
  std::string app;                ///< the app (a program's base name)
  std::string mode;               ///< strong or weak
  std::string metric;             ///< wall, json:KEY or regex:PATTERN
  std::string options_json;       ///< comparison_options of the runs
  int p = 0;                      ///< the rank count
  std::vector<double> fresh;      ///< the new file's values (all runs of the key pooled)
  std::vector<double> reference;  ///< the reference's
  double median_fresh = 0.0;      ///< median of the new values
  double median_reference = 0.0;  ///< and of the reference's
  double median_ratio = 0.0;      ///< median_fresh / median_reference
  RatioEstimate ratio;            ///< Hodges–Lehmann ratio and its interval (when there are enough samples)
  Verdict verdict = Verdict::too_few_samples;  ///< the outcome
};

/// A whole gate.
struct Gate {
  std::vector<std::string> fresh_files;      ///< the new files
  std::vector<std::string> reference_files;  ///< the reference files
  double tolerance = 0.10;                   ///< slower: interval above 1 + tolerance; faster: below 1/(1 + tolerance)
  std::vector<Comparison> rows;              ///< one per key present on both sides, in the new files' order
  /// Whether any row is "slower" (`report` then exits 1).
  [[nodiscard]] bool any_slower() const;
};

/// Parses a tolerance: "10%" or a fraction "0.1" (>= 0; a bare number of 1 or more is refused
/// as ambiguous). Throws UsageError.
[[nodiscard]] double parse_tolerance(const std::string& text);

/// Compares `fresh` with `reference`. Throws UsageError when no key is present on both sides.
[[nodiscard]] Gate compare_studies(const std::vector<StudyFile>& fresh, const std::vector<StudyFile>& reference,
                                   double tolerance);

/// The gate as aligned text, Markdown, or one JSON document (the same rows as data).
[[nodiscard]] std::string format_gate(const Gate& gate, ReportFormat format);

}  // namespace multirank::study
