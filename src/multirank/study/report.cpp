#include "multirank/study/report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

#include "multirank/core/error.hpp"
#include "multirank/trace/timeline.hpp"

namespace multirank::study {

ReportFormat parse_report_format(const std::string& text) {
  if (text == "table") return ReportFormat::table;
  if (text == "markdown") return ReportFormat::markdown;
  if (text == "json") return ReportFormat::json;
  throw UsageError("report format must be table, markdown or json, not '" + text + "'");
}

std::vector<std::string> drop_repeated_runs(std::vector<StudyFile>& files) {
  std::vector<std::string> notes;
  std::map<std::string, std::string> first;  // run id -> where it was seen first
  for (auto& file : files) {
    std::vector<RunRecord> kept;
    for (auto& run : file.runs) {
      const std::string where = file.path + ":" + run.name;
      if (!run.run_id.empty()) {
        const auto [it, fresh] = first.emplace(run.run_id, where);
        if (!fresh) {
          notes.push_back(where + " repeats " + it->second + " (run id " + run.run_id + "): counted once");
          continue;
        }
      }
      kept.push_back(std::move(run));
    }
    file.runs = std::move(kept);
  }
  return notes;
}

Report build_report(const std::vector<StudyFile>& files) {
  Report report;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::size_t> table_of;
  std::vector<std::map<int, std::vector<double>>> seconds;
  for (const auto& file : files) {
    report.files.push_back(file.path);
    for (const auto& run : file.runs) {
      const std::string source = file.path + ":" + run.name;
      const std::string options = comparison_options(run);
      const auto key = std::make_tuple(run.app, run.mode, run.metric, options);
      auto [it, added] = table_of.try_emplace(key, report.tables.size());
      if (added) {
        ScalingTable t;
        t.app = run.app;
        t.mode = run.mode;
        t.metric = run.metric;
        t.options_json = options;
        report.tables.push_back(t);
        seconds.emplace_back();
      }
      ScalingTable& table = report.tables[it->second];
      if (!run.samples.empty()) table.runs.push_back(source);
      if (run.program) {
        const std::string program = run.program->path + " (" + std::to_string(run.program->size) + " bytes, sha256 " +
                                    run.program->sha256 + ")";
        if (std::find(table.programs.begin(), table.programs.end(), program) == table.programs.end())
          table.programs.push_back(program);
      }
      for (const auto& s : run.samples) seconds[it->second][s.p].push_back(s.value());
      if (!run.tasks.empty()) {
        RunProfile rp;
        rp.source = source;
        rp.app = run.app;
        rp.mode = run.mode;
        rp.p = run.tasks_p;
        rp.rep = run.tasks_rep;
        rp.profile = trace::concurrency_profile(run.tasks, run.tasks_p);
        rp.tasks = run.tasks;
        table.gantt_profile = static_cast<int>(report.profiles.size());  // the latest run's tasks
        report.profiles.push_back(std::move(rp));
      }
    }
  }
  for (std::size_t i = 0; i < report.tables.size(); ++i) {
    ScalingTable& t = report.tables[i];
    const ScalingMode mode = parse_scaling_mode(t.mode);
    if (!seconds[i].empty()) t.analysis = analyze_scaling(seconds[i], mode);
    t.analysis.mode = mode;
  }
  return report;
}

namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string title_of(const ScalingTable& t) {
  return t.app + ", " + t.mode + " scaling, " + (t.metric == "wall" ? "" : "metric " + t.metric + ", ") + "options " +
         t.options_json;
}

/// The column heading of the measured value.
std::string value_heading(const ScalingTable& t) { return t.metric == "wall" ? "median [s]" : "median " + t.metric + " [s]"; }

std::string fit_line(const ScalingTable& t) {
  if (!t.analysis.serial_fraction) return "serial fraction: needs a p > 1\n";
  return "serial fraction (" + std::string(t.analysis.fit_law == "amdahl" ? "Amdahl" : "Gustafson") +
         " least-squares fit over all p): " + fmt("%.4f", *t.analysis.serial_fraction) + "\n";
}

bool any_short_interval(const ScalingTable& t) {
  for (const auto& pt : t.analysis.points)
    if (!pt.time.ci.reaches_level) return true;
  return false;
}

const char* kShortNote =
    "* fewer than 6 samples: no interval reaches 95%; shown is [min, max] with its coverage.\n";

std::string text_table(const Report& report) {
  std::string out;
  char line[512];
  for (const auto& t : report.tables) {
    if (t.analysis.points.empty()) continue;  // runs with task records only (a farm): their profile follows
    out += title_of(t) + "\n";
    out += "runs: ";
    for (std::size_t i = 0; i < t.runs.size(); ++i) out += (i ? ", " : "") + t.runs[i];
    out += "\n";
    for (const auto& program : t.programs) out += "program: " + program + "\n";
    if (t.metric != "wall") out += "values: " + t.metric + ", the program's own figure (each launch's wall time is in the file too)\n";
    std::snprintf(line, sizeof line, "%6s %12s  %-28s %9s %11s %11s %5s\n", "p", "median [s]", "95% CI of median [s]",
                  "speedup", "efficiency", "Karp-Flatt", "n");
    out += line;
    for (const auto& pt : t.analysis.points) {
      std::string ci = fmt("%.6g", pt.time.ci.low) + " .. " + fmt("%.6g", pt.time.ci.high);
      if (!pt.time.ci.reaches_level) ci += " *" + fmt("%.0f%%", 100 * pt.time.ci.coverage);
      std::snprintf(line, sizeof line, "%6d %12.6g  %-28s %9.3f %11.3f %11s %5zu\n", pt.p, pt.time.median, ci.c_str(),
                    pt.speedup, pt.efficiency, pt.karp_flatt ? fmt("%.4f", *pt.karp_flatt).c_str() : "-", pt.time.n);
      out += line;
    }
    out += fit_line(t);
    if (any_short_interval(t)) out += kShortNote;
    out += "\n";
  }
  for (const auto& p : report.profiles) {
    out += "concurrency profile of " + p.source + " (" + p.app + ", p = " + std::to_string(p.p) + ", repetition " +
           std::to_string(p.rep) + ")\n";
    out += trace::format_profile(p.profile);
    out += trace::text_timeline(p.tasks, 64, p.p);
    out += "\n";
  }
  return out;
}

std::string markdown(const Report& report) {
  std::string out = "# Scaling report\n\n";
  for (const auto& t : report.tables) {
    if (t.analysis.points.empty()) continue;
    out += "## " + t.app + " — " + t.mode + " scaling\n\n";
    if (t.metric != "wall") out += "Metric `" + t.metric + "` (the program's own time). ";
    out += "Options `" + t.options_json + "`; runs: ";
    for (std::size_t i = 0; i < t.runs.size(); ++i) out += (i ? ", " : "") + ("`" + t.runs[i] + "`");
    out += ".\n\n";
    for (const auto& program : t.programs) out += "Program `" + program + "`.\n\n";
    out += "| p | " + value_heading(t) + " | 95% CI of median [s] | speedup | efficiency | Karp–Flatt | n |\n";
    out += "|---:|---:|---|---:|---:|---:|---:|\n";
    for (const auto& pt : t.analysis.points) {
      std::string ci = fmt("%.6g", pt.time.ci.low) + " – " + fmt("%.6g", pt.time.ci.high);
      if (!pt.time.ci.reaches_level) ci += " (" + fmt("%.0f%%", 100 * pt.time.ci.coverage) + ")*";
      out += "| " + std::to_string(pt.p) + " | " + fmt("%.6g", pt.time.median) + " | " + ci + " | " +
             fmt("%.3f", pt.speedup) + " | " + fmt("%.3f", pt.efficiency) + " | " +
             (pt.karp_flatt ? fmt("%.4f", *pt.karp_flatt) : std::string("–")) + " | " + std::to_string(pt.time.n) +
             " |\n";
    }
    out.append("\n").append(fit_line(t));
    if (any_short_interval(t)) out.append("\n").append(kShortNote);
    out += "\n";
  }
  for (const auto& p : report.profiles) {
    out += "## Concurrency profile: `" + p.source + "`\n\n";
    out += p.app + ", p = " + std::to_string(p.p) + ", repetition " + std::to_string(p.rep) + ".\n\n```text\n";
    out += trace::format_profile(p.profile);
    out += trace::text_timeline(p.tasks, 64, p.p);
    out += "```\n\n";
  }
  return out;
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

std::string json(const Report& report, const std::vector<std::string>& plots) {
  nlohmann::json tables = nlohmann::json::array();
  for (const auto& t : report.tables) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& pt : t.analysis.points)
      rows.push_back({{"p", pt.p},
                      {"n", pt.time.n},
                      {"median", pt.time.median},
                      {"min", pt.time.min},
                      {"max", pt.time.max},
                      {"mean", pt.time.mean},
                      {"stddev", pt.time.stddev},
                      {"ci_low", pt.time.ci.low},
                      {"ci_high", pt.time.ci.high},
                      {"ci_coverage", pt.time.ci.coverage},
                      {"speedup", pt.speedup},
                      {"efficiency", pt.efficiency},
                      {"karp_flatt", pt.karp_flatt ? number_or_null(*pt.karp_flatt) : nlohmann::json(nullptr)}});
    nlohmann::json options = nlohmann::json::parse(t.options_json, nullptr, false);
    if (options.is_discarded()) options = t.options_json;
    tables.push_back({{"app", t.app},
                      {"mode", t.mode},
                      {"metric", t.metric},
                      {"options", options},
                      {"programs", t.programs},
                      {"runs", t.runs},
                      {"baseline_p", t.analysis.baseline_p},
                      {"fit_law", t.analysis.fit_law},
                      {"serial_fraction", t.analysis.serial_fraction ? number_or_null(*t.analysis.serial_fraction)
                                                                     : nlohmann::json(nullptr)},
                      {"rows", rows}});
  }
  nlohmann::json profiles = nlohmann::json::array();
  for (const auto& p : report.profiles) {
    nlohmann::json j = nlohmann::json::parse(profile_json(p.profile));
    j["source"] = p.source;
    j["app"] = p.app;
    j["mode"] = p.mode;
    j["p"] = p.p;
    j["rep"] = p.rep;
    profiles.push_back(j);
  }
  const nlohmann::json doc{{"files", report.files}, {"tables", tables}, {"profiles", profiles}, {"plots", plots}};
  return doc.dump(2) + "\n";
}

}  // namespace

std::string format_report(const Report& report, ReportFormat format, const std::vector<std::string>& plots) {
  switch (format) {
    case ReportFormat::json:
      return json(report, plots);
    case ReportFormat::markdown: {
      std::string out = markdown(report);
      if (!plots.empty()) {
        out += "## Plots\n\n";
        for (const auto& p : plots) out += "- `" + p + "`\n";
      }
      return out;
    }
    case ReportFormat::table:
    default: {
      std::string out = text_table(report);
      for (const auto& p : plots) out += "plot: " + p + "\n";
      return out;
    }
  }
}

std::string profile_json(const trace::ConcurrencyProfile& p) {
  nlohmann::json ranks = nlohmann::json::array();
  for (const auto& r : p.ranks)
    ranks.push_back({{"rank", r.rank},
                     {"tasks", r.tasks},
                     {"busy_seconds", r.busy_seconds},
                     {"busy_fraction", r.busy_fraction},
                     {"idle_fraction", r.idle_fraction}});
  const nlohmann::json j{{"tasks", p.tasks},
                         {"first_start", p.first_start},
                         {"last_end", p.last_end},
                         {"makespan", p.makespan},
                         {"busy_seconds", p.busy_seconds},
                         {"wait_seconds", p.wait_seconds},
                         {"mean_parallelism", p.mean_parallelism},
                         {"peak_parallelism", p.peak_parallelism},
                         {"overlapped", p.overlapped},
                         {"ranks", ranks}};
  return j.dump();
}

}  // namespace multirank::study
