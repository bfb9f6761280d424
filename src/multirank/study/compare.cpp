#include "multirank/study/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "multirank/core/error.hpp"

namespace multirank::study {

std::string to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::same:
      return "same";
    case Verdict::slower:
      return "slower";
    case Verdict::faster:
      return "faster";
    case Verdict::too_few_samples:
      return "too few samples";
  }
  return "?";
}

bool Gate::any_slower() const {
  return std::any_of(rows.begin(), rows.end(), [](const Comparison& c) { return c.verdict == Verdict::slower; });
}

double parse_tolerance(const std::string& text) {
  std::string t = text;
  const bool percent = !t.empty() && t.back() == '%';
  if (percent) t.pop_back();
  double v = 0.0;
  std::size_t used = 0;
  try {
    v = std::stod(t, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (t.empty() || used != t.size() || !std::isfinite(v) || v < 0.0)
    throw UsageError("--tolerance must be a percentage such as 10% (or a fraction such as 0.1), not '" + text + "'");
  if (percent) return v / 100.0;
  if (v >= 1.0)
    throw UsageError("--tolerance " + text + " is ambiguous: write " + text +
                     "% for a percentage, or a fraction below 1");
  return v;
}

namespace {

using Key = std::tuple<std::string, std::string, std::string, std::string>;  // app, mode, metric, options

Key key_of(const RunRecord& run) {
  return {run.app, run.mode, run.metric, comparison_options(run)};
}

/// Every value per key and p, and the keys in order of first appearance.
struct Pooled {
  std::vector<Key> order;
  std::map<Key, std::map<int, std::vector<double>>> values;
};

Pooled pool(const std::vector<StudyFile>& files) {
  Pooled out;
  for (const auto& file : files)
    for (const auto& run : file.runs) {
      if (run.samples.empty()) continue;
      const Key key = key_of(run);
      if (!out.values.count(key)) out.order.push_back(key);
      for (const auto& s : run.samples) out.values[key][s.p].push_back(s.value());
    }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string list(const std::vector<std::string>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

std::string title(const Comparison& c) {
  return c.app + ", " + c.mode + " scaling, metric " + c.metric + ", options " + c.options_json;
}

std::string interval(const Comparison& c, const char* sep) {
  if (c.verdict == Verdict::too_few_samples) return "-";
  return fmt("%.4g", c.ratio.low) + sep + fmt("%.4g", c.ratio.high) + " (" + fmt("%.1f%%", 100 * c.ratio.coverage) +
         ")";
}

std::string summary_line(const Gate& gate) {
  std::map<Verdict, int> count;
  for (const auto& r : gate.rows) ++count[r.verdict];
  std::string out = "verdict: ";
  out += std::to_string(count[Verdict::slower]) + " slower, " + std::to_string(count[Verdict::faster]) + " faster, " +
         std::to_string(count[Verdict::same]) + " same, " + std::to_string(count[Verdict::too_few_samples]) +
         " with too few samples (at least " + std::to_string(kGateMinSamples) + " a side) of " +
         std::to_string(gate.rows.size()) + " compared";
  return out + (gate.any_slower() ? " -> slower\n" : "\n");
}

std::string text_gate(const Gate& gate) {
  std::string out = "regression gate: " + list(gate.fresh_files) + " against " + list(gate.reference_files) +
                    ", tolerance " + fmt("%g%%", 100 * gate.tolerance) + "\n";
  out +=
      "ratio = new / reference; HL = Hodges-Lehmann estimate on log times, with its exact Mann-Whitney 95% interval\n";
  std::string last;
  char line[512];
  for (const auto& c : gate.rows) {
    if (title(c) != last) {
      last = title(c);
      out += "\n" + last + "\n";
      std::snprintf(line, sizeof line, "%6s %6s %6s %14s %14s %8s %9s  %-26s %s\n", "p", "n new", "n ref", "median new",
                    "median ref", "ratio", "HL ratio", "95% CI of HL ratio", "verdict");
      out += line;
    }
    const bool few = c.verdict == Verdict::too_few_samples;
    std::snprintf(line, sizeof line, "%6d %6zu %6zu %14.6g %14.6g %8.4f %9s  %-26s %s\n", c.p, c.fresh.size(),
                  c.reference.size(), c.median_fresh, c.median_reference, c.median_ratio,
                  few ? "-" : fmt("%.4f", c.ratio.ratio).c_str(), interval(c, " .. ").c_str(),
                  to_string(c.verdict).c_str());
    out += line;
  }
  return out + "\n" + summary_line(gate);
}

std::string markdown_gate(const Gate& gate) {
  std::string out = "# Regression gate\n\n`" + list(gate.fresh_files) + "` against `" + list(gate.reference_files) +
                    "`, tolerance " + fmt("%g%%", 100 * gate.tolerance) +
                    ". Ratio = new / reference; HL = Hodges–Lehmann estimate on log times, with its exact "
                    "Mann–Whitney 95% interval.\n";
  std::string last;
  for (const auto& c : gate.rows) {
    if (title(c) != last) {
      last = title(c);
      out += "\n## " + c.app + " — " + c.mode + " scaling, metric `" + c.metric + "`\n\nOptions `" + c.options_json +
             "`.\n\n| p | n new | n ref | median new | median ref | ratio | HL ratio | 95% CI | verdict |\n"
             "|---:|---:|---:|---:|---:|---:|---:|---|---|\n";
    }
    const bool few = c.verdict == Verdict::too_few_samples;
    out += "| " + std::to_string(c.p) + " | " + std::to_string(c.fresh.size()) + " | " +
           std::to_string(c.reference.size()) + " | " + fmt("%.6g", c.median_fresh) + " | " +
           fmt("%.6g", c.median_reference) + " | " + fmt("%.4f", c.median_ratio) + " | " +
           (few ? std::string("–") : fmt("%.4f", c.ratio.ratio)) + " | " + interval(c, " – ") + " | " +
           to_string(c.verdict) + " |\n";
  }
  return out + "\n" + summary_line(gate);
}

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

std::string json_gate(const Gate& gate) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& c : gate.rows) {
    const bool few = c.verdict == Verdict::too_few_samples;
    nlohmann::json options = nlohmann::json::parse(c.options_json, nullptr, false);
    if (options.is_discarded()) options = c.options_json;
    rows.push_back({{"app", c.app},
                    {"mode", c.mode},
                    {"metric", c.metric},
                    {"options", options},
                    {"p", c.p},
                    {"n_new", c.fresh.size()},
                    {"n_reference", c.reference.size()},
                    {"median_new", c.median_fresh},
                    {"median_reference", c.median_reference},
                    {"median_ratio", number_or_null(c.median_ratio)},
                    {"ratio", few ? nlohmann::json(nullptr) : number_or_null(c.ratio.ratio)},
                    {"ci_low", few ? nlohmann::json(nullptr) : number_or_null(c.ratio.low)},
                    {"ci_high", few ? nlohmann::json(nullptr) : number_or_null(c.ratio.high)},
                    {"ci_coverage", few ? nlohmann::json(nullptr) : number_or_null(c.ratio.coverage)},
                    {"verdict", to_string(c.verdict)}});
  }
  const nlohmann::json doc{{"new", gate.fresh_files},     {"reference", gate.reference_files},
                           {"tolerance", gate.tolerance}, {"min_samples", kGateMinSamples},
                           {"slower", gate.any_slower()}, {"rows", rows}};
  return doc.dump(2) + "\n";
}

}  // namespace

Gate compare_studies(const std::vector<StudyFile>& fresh, const std::vector<StudyFile>& reference, double tolerance) {
  Gate gate;
  gate.tolerance = tolerance;
  for (const auto& f : fresh) gate.fresh_files.push_back(f.path);
  for (const auto& f : reference) gate.reference_files.push_back(f.path);
  const Pooled ours = pool(fresh);
  const Pooled theirs = pool(reference);
  for (const Key& key : ours.order) {
    const auto ref = theirs.values.find(key);
    if (ref == theirs.values.end()) continue;
    for (const auto& [p, values] : ours.values.at(key)) {
      const auto ref_p = ref->second.find(p);
      if (ref_p == ref->second.end()) continue;
      Comparison c;
      std::tie(c.app, c.mode, c.metric, c.options_json) = key;
      c.p = p;
      c.fresh = values;
      c.reference = ref_p->second;
      c.median_fresh = median(c.fresh);
      c.median_reference = median(c.reference);
      c.median_ratio = c.median_reference > 0.0 ? c.median_fresh / c.median_reference : std::nan("");
      const bool positive = std::all_of(c.fresh.begin(), c.fresh.end(), [](double v) { return v > 0.0; }) &&
                            std::all_of(c.reference.begin(), c.reference.end(), [](double v) { return v > 0.0; });
      if (c.fresh.size() >= kGateMinSamples && c.reference.size() >= kGateMinSamples && positive) {
        c.ratio = time_ratio(c.fresh, c.reference);
        if (c.ratio.low > 1.0 + tolerance)
          c.verdict = Verdict::slower;
        else if (c.ratio.high < 1.0 / (1.0 + tolerance))
          c.verdict = Verdict::faster;
        else
          c.verdict = Verdict::same;
      }
      gate.rows.push_back(std::move(c));
    }
  }
  if (gate.rows.empty())
    throw UsageError("no run of " + list(gate.fresh_files) + " has a counterpart in the reference " +
                     list(gate.reference_files) +
                     " (the same app, mode, metric, options or program arguments, and rank count)");
  return gate;
}

std::string format_gate(const Gate& gate, ReportFormat format) {
  switch (format) {
    case ReportFormat::json:
      return json_gate(gate);
    case ReportFormat::markdown:
      return markdown_gate(gate);
    case ReportFormat::table:
    default:
      return text_gate(gate);
  }
}

}  // namespace multirank::study
