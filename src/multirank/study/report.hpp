#pragma once
/// \file What `multirank report` shows: scaling tables combined across study files and appended
/// runs, and the concurrency profile of every run that kept per-task records.

#include <string>
#include <vector>

#include "multirank/study/statistics.hpp"
#include "multirank/study/study_file.hpp"
#include "multirank/trace/concurrency_profile.hpp"

namespace multirank::study {

/// How a report is printed.
enum class ReportFormat { table, markdown, json };

/// Parses "table", "markdown" or "json"; throws UsageError otherwise.
[[nodiscard]] ReportFormat parse_report_format(const std::string& text);

/// One scaling table: every sample of the runs with the same app, mode, metric and options
/// (comparison_options: a program's argument template), pooled per p.
struct ScalingTable {
  std::string app;                  ///< the app (a program's base name)
  std::string mode;                 ///< "strong" or "weak"
  std::string metric = "wall";      ///< what the values are: wall, json:KEY or regex:PATTERN
  std::string options_json;         ///< comparison_options of its runs (runs with other options get their own table)
  std::vector<std::string> programs;  ///< a program's runs: "PATH (N bytes, sha256 H)", each distinct one once
  std::vector<std::string> runs;    ///< the runs pooled, as "FILE:run_0001"
  ScalingAnalysis analysis;         ///< per-p statistics and the serial-fraction fit
  int gantt_profile = -1;           ///< index into Report::profiles of the run drawn as a Gantt chart, or -1
};

/// The concurrency profile of one run's per-task records.
struct RunProfile {
  std::string source;               ///< "FILE:run_0001"
  std::string app;                  ///< the app
  std::string mode;                 ///< its mode
  int p = 0;                        ///< the rank count the records come from
  int rep = -1;                     ///< and the repetition
  trace::ConcurrencyProfile profile;  ///< the figures
  std::vector<TaskRecord> tasks;    ///< the records (for the timelines)
};

/// Everything a report shows.
struct Report {
  std::vector<std::string> files;     ///< the inputs, in order
  std::vector<ScalingTable> tables;   ///< one per app, mode and options, in order of first appearance
  std::vector<RunProfile> profiles;   ///< one per run with task records
};

/// Drops every run whose run_id an earlier run (in file order, then group order) already has: the
/// same run written twice (a study resumed after its write, or a file copied into another) must
/// count once. Returns one note per dropped run, "FILE:run_0004 repeats FILE:run_0003 (run id ...)".
std::vector<std::string> drop_repeated_runs(std::vector<StudyFile>& files);

/// Combines the runs of `files` into tables and profiles.
[[nodiscard]] Report build_report(const std::vector<StudyFile>& files);

/// A concurrency profile as one JSON object text (keys as the struct's fields), for reports and
/// the apps' --json.
[[nodiscard]] std::string profile_json(const trace::ConcurrencyProfile& profile);

/// The report as text: aligned tables, Markdown, or one JSON document. `plots` lists files written.
[[nodiscard]] std::string format_report(const Report& report, ReportFormat format,
                                        const std::vector<std::string>& plots = {});

}  // namespace multirank::study
