#pragma once
/// \file Everything one run leaves in a study file: where and how it ran, its timings per rank
/// count and repetition, their summary, and its per-task records.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "multirank/core/communicator.hpp"
#include "multirank/core/serialize_std.hpp"
#include "multirank/core/task_record.hpp"

namespace multirank::study {

/// One timed repetition at one rank count.
struct Sample {
  std::int32_t p = 0;               ///< ranks that ran it
  std::int32_t rep = 0;             ///< repetition index (0-based, warm-ups excluded)
  double wall_seconds = 0.0;        ///< the repetition's wall time (barrier to the last rank's end; a program's launch to exit)
  double rank_min_seconds = 0.0;    ///< fastest rank's own time (NaN for a program: the driver does not see its ranks)
  double rank_max_seconds = 0.0;    ///< slowest rank's own time (NaN for a program)
  /// The run's metric for this repetition, in seconds (see RunRecord::metric); NaN stands for
  /// the wall time (what a built-in app measures), and value() resolves it.
  double metric = std::numeric_limits<double>::quiet_NaN();
  std::int32_t exit_code = 0;       ///< the launched program's exit code (0: a failed sample stops the study)

  /// The measured value the statistics are of: `metric`, or the wall time when it is NaN.
  [[nodiscard]] double value() const noexcept { return std::isnan(metric) ? wall_seconds : metric; }

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    ar & p & rep & wall_seconds & rank_min_seconds & rank_max_seconds & metric & exit_code;
  }
};

/// Where a program run's program came from, so that a rebuilt binary shows (schema version 2).
struct ProgramInfo {
  std::string path;          ///< the absolute path that was launched
  std::uint64_t size = 0;    ///< its size in bytes
  std::string sha256;        ///< its SHA-256, 64 lowercase hex digits

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    ar & path & size & sha256;
  }
};

/// What a program printed in one repetition: kept for the last repetition of each p.
struct ProgramOutput {
  std::int32_t p = 0;               ///< the rank count
  std::int32_t rep = 0;             ///< the repetition it comes from
  std::int32_t exit_code = 0;       ///< its exit code
  std::string stdout_text;          ///< standard output, at most kMaxKeptOutput bytes (the first ones)
  std::string stderr_text;          ///< standard error, likewise
  std::uint64_t stdout_bytes = 0;   ///< the whole output's size before the cut
  std::uint64_t stderr_bytes = 0;   ///< likewise

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    ar & p & rep & exit_code & stdout_text & stderr_text & stdout_bytes & stderr_bytes;
  }
};

/// How much of a program's stdout and of its stderr a study file keeps per p (1 MiB each).
inline constexpr std::size_t kMaxKeptOutput = std::size_t{1} << 20;

/// Statistics of one rank count (what the `summary` dataset holds); NaN where not defined.
struct SummaryRow {
  std::int32_t p = 0;          ///< ranks
  std::int32_t n = 0;          ///< samples
  double median = 0.0;         ///< median of the run's metric (wall seconds unless the run says otherwise)
  double min = 0.0;            ///< fastest
  double max = 0.0;            ///< slowest
  double mean = 0.0;           ///< mean
  double stddev = 0.0;         ///< sample standard deviation
  double ci_low = 0.0;         ///< 95% confidence interval of the median, low end
  double ci_high = 0.0;        ///< and high end
  double ci_coverage = 0.0;    ///< the interval's exact coverage (below 0.95 when n <= 5)
  double speedup = 0.0;        ///< against the baseline p (scaled speedup in weak mode)
  double efficiency = 0.0;     ///< speedup / p (scaled efficiency in weak mode)
  double karp_flatt = 0.0;     ///< Karp–Flatt serial fraction; NaN for p = 1

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    ar & p & n & median & min & max & mean & stddev & ci_low & ci_high & ci_coverage & speedup & efficiency &
        karp_flatt;
  }
};

/// One run group of a study file. Fill it with begin_run() at the start, add samples (see
/// make_sample) and task records, and hand it to write_run(); read_study() gives it back.
struct RunRecord {
  std::string name;                        ///< group name in the file ("run_0001"); set by write_run and read_study
  /// The run's identity (32 hex digits): made by begin_run, kept by a study journal across its
  /// resumes, so that a run written twice shows as one (report counts it once). Empty in files
  /// written before it existed.
  std::string run_id;
  std::string command_line;                ///< the command as launched (from /proc/self/cmdline)
  std::string app;                         ///< the app that ran, e.g. "rangesum"
  std::string options_json = "{}";         ///< the app's options as a JSON object text
  std::string mode = "strong";             ///< "strong" or "weak" (an app's --output records "strong")
  std::vector<std::int32_t> ranks;         ///< the rank counts measured (filled from samples when empty)
  std::int32_t reps = 0;                   ///< repetitions per rank count
  std::int32_t warmups = 0;                ///< untimed warm-up runs per rank count
  std::int32_t world_size = 0;             ///< ranks of the whole MPI job
  std::string start_utc;                   ///< ISO-8601 UTC, e.g. 2024-05-01T12:00:00.000Z
  std::string end_utc;                     ///< ISO-8601 UTC; write_run stamps it when empty
  std::vector<std::string> hosts;          ///< distinct host names (a task's host index points here)
  std::vector<std::int32_t> rank_hosts;    ///< host index of each world rank
  std::string slurm_job_id;                ///< SLURM_JOB_ID, empty outside Slurm
  std::string slurm_array_job_id;          ///< SLURM_ARRAY_JOB_ID, when an array job
  std::string slurm_array_task_id;         ///< SLURM_ARRAY_TASK_ID, when an array job
  std::string slurm_nodelist;              ///< SLURM_JOB_NODELIST
  std::string binding;                     ///< binding settings and each rank's CPU affinity
  std::vector<std::string> environment;    ///< "NAME=value" for every SLURM_*, OMPI_MCA_* and OMP_* variable set on rank 0
  std::string multirank_version;           ///< the writer's version; set by write_run
  std::string git_commit;                  ///< the writer's commit; set by write_run
  /// What the samples measure, and so what the summary is of: "wall" (the wall time; every
  /// built-in app), "json:KEY" or "regex:PATTERN" (a program's own figure, in seconds).
  std::string metric = "wall";
  std::optional<ProgramInfo> program;      ///< a program run's provenance (app is then the program's base name)
  std::vector<ProgramOutput> outputs;      ///< a program run's output of the last repetition of each p
  std::vector<Sample> samples;             ///< every timed repetition
  std::vector<SummaryRow> summary;         ///< per p; write_run computes it from samples when empty
  std::optional<double> serial_fraction;   ///< fitted over all p (write_run computes it with the summary)
  std::string fit_law;                     ///< "amdahl" (strong) or "gustafson" (weak)
  std::int32_t tasks_p = 0;                ///< the rank count the task records come from
  std::int32_t tasks_rep = -1;             ///< and the repetition
  /// Per-task records. For write_run, each rank passes the records it holds (any split, e.g.
  /// all on rank 0 or each rank its own); read_study returns all of them.
  std::vector<TaskRecord> tasks;

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    // Everything except tasks: the metadata that rank 0 broadcasts before a collective write.
    ar & name & run_id & command_line & app & options_json & mode & ranks & reps & warmups & world_size & start_utc &
        end_utc & hosts & rank_hosts & slurm_job_id & slurm_array_job_id & slurm_array_task_id &
        slurm_nodelist & binding & environment & multirank_version & git_commit & metric & program & outputs &
        samples & summary & serial_fraction & fit_law & tasks_p & tasks_rep;
  }
};

/// Starts a record (collective over `world`): command line, start time, hosts and rank-to-host
/// map, world size, Slurm ids, binding and the SLURM_*, OMPI_MCA_* and OMP_* variables.
/// `mode` is "strong" or "weak"; `options_json` must be a JSON object text.
[[nodiscard]] RunRecord begin_run(const Communicator& world, std::string app, std::string options_json = "{}",
                                  std::string mode = "strong");

/// Starts the record of a run that one process drives without MPI (`multirank study ... exec`,
/// whose samples are each a job of their own): world_size 1, this host, and the SLURM_*,
/// OMPI_MCA_* and OMP_* variables of `environment` (the NAME=value list the launched commands get).
[[nodiscard]] RunRecord begin_serial_run(std::string app, std::string options_json, std::string mode,
                                         const std::vector<std::string>& environment);

/// The options that say what was measured, as JSON text: a program run's argument template
/// ({"args": [...]}; its launcher, timeout and --expect are provenance), a built-in app's options
/// as they are. With app, mode, metric and p they make the key under which report pools runs
/// into one table and the regression gate compares a file with its reference.
[[nodiscard]] std::string comparison_options(const RunRecord& record);

/// One repetition's sample from each rank's own seconds (collective over `comm`): p = comm.size(),
/// rank min and max over ranks, wall = `wall_seconds` when given (>= 0), else the slowest rank's time.
[[nodiscard]] Sample make_sample(const Communicator& comm, int rep, double local_seconds, double wall_seconds = -1.0);

/// The summary rows and fit for `samples` under `mode` ("strong"/"weak"); fills record.summary,
/// serial_fraction, fit_law and (when empty) ranks.
void summarize_record(RunRecord& record);

/// A new run identity: 32 random hex digits.
[[nodiscard]] std::string new_run_id();
/// Now, as ISO-8601 UTC with milliseconds: "2024-05-01T12:00:00.000Z".
[[nodiscard]] std::string utc_now();

/// This process's command line from /proc/self/cmdline, shell-quoted where needed.
[[nodiscard]] std::string process_command_line();

}  // namespace multirank::study
