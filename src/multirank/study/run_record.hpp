#pragma once
/// \file Everything one run leaves in a study file: where and how it ran, its timings per rank
/// count and repetition, their summary, and its per-task records.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "multirank/core/communicator.hpp"
#include "multirank/core/task_record.hpp"

namespace multirank::study {

/// One timed repetition at one rank count.
struct Sample {
  std::int32_t p = 0;               ///< ranks that ran it
  std::int32_t rep = 0;             ///< repetition index (0-based, warm-ups excluded)
  double wall_seconds = 0.0;        ///< the repetition's wall time (barrier to the last rank's end)
  double rank_min_seconds = 0.0;    ///< fastest rank's own time
  double rank_max_seconds = 0.0;    ///< slowest rank's own time

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    ar & p & rep & wall_seconds & rank_min_seconds & rank_max_seconds;
  }
};

/// Statistics of one rank count (what the `summary` dataset holds); NaN where not defined.
struct SummaryRow {
  std::int32_t p = 0;          ///< ranks
  std::int32_t n = 0;          ///< samples
  double median = 0.0;         ///< median wall seconds
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
    ar & name & command_line & app & options_json & mode & ranks & reps & warmups & world_size & start_utc &
        end_utc & hosts & rank_hosts & slurm_job_id & slurm_array_job_id & slurm_array_task_id &
        slurm_nodelist & binding & environment & multirank_version & git_commit & samples & summary &
        serial_fraction & fit_law & tasks_p & tasks_rep;
  }
};

/// Starts a record (collective over `world`): command line, start time, hosts and rank-to-host
/// map, world size, Slurm ids, binding and the SLURM_*, OMPI_MCA_* and OMP_* variables.
/// `mode` is "strong" or "weak"; `options_json` must be a JSON object text.
[[nodiscard]] RunRecord begin_run(const Communicator& world, std::string app, std::string options_json = "{}",
                                  std::string mode = "strong");

/// One repetition's sample from each rank's own seconds (collective over `comm`): p = comm.size(),
/// rank min and max over ranks, wall = `wall_seconds` when given (>= 0), else the slowest rank's time.
[[nodiscard]] Sample make_sample(const Communicator& comm, int rep, double local_seconds, double wall_seconds = -1.0);

/// The summary rows and fit for `samples` under `mode` ("strong"/"weak"); fills record.summary,
/// serial_fraction, fit_law and (when empty) ranks.
void summarize_record(RunRecord& record);

/// Now, as ISO-8601 UTC with milliseconds: "2024-05-01T12:00:00.000Z".
[[nodiscard]] std::string utc_now();

/// This process's command line from /proc/self/cmdline, shell-quoted where needed.
[[nodiscard]] std::string process_command_line();

}  // namespace multirank::study
