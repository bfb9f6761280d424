// `multirank study --ranks 1,2,4 --reps R [--warmup W] [--mode strong|weak] --output s.h5 exec
// [--launcher TEMPLATE] [--metric wall|json:KEY|regex:PATTERN] [--expect REGEX] [--timeout S]
// -- PROGRAM [ARGS...]`: a scaling study of the user's own program. One driver process, which
// never initialises MPI (a process that has cannot start mpirun), launches PROGRAM once per
// sample with a launcher (`srun --mpi=pmix -n {p}` inside a Slurm allocation, else the launcher
// of the MPI multirank was built with), reads the metric, and stores every sample with the
// program's provenance in the study file (schema version 2, the writer's serial mode).
#include <wordexp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <thread>

#include "journal.hpp"
#include "launcher_env.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/signals.hpp"
#include "multirank/study/metric.hpp"
#include "multirank/study/report.hpp"
#include "multirank/study/run_record.hpp"
#include "multirank/study/study_file.hpp"
#include "multirank/study/sweep.hpp"
#include "multirank/trace/progress.hpp"
#include "study_exec_launch.hpp"
#include "study_options.hpp"

#ifndef MULTIRANK_DEFAULT_LAUNCHER
#define MULTIRANK_DEFAULT_LAUNCHER "mpirun -n {p}"
#endif

namespace multirank::cli {

namespace fs = std::filesystem;

namespace {

/// Exit codes (see the CLI's conventions in main.cpp).
constexpr int kFailedExit = 1;
constexpr int kUsageExit = 2;

/// The launcher inside a Slurm allocation (Debian's Open MPI starts under pmix, not pmi2).
constexpr const char* kSlurmLauncher = "srun --mpi=pmix -n {p}";

/// How many stderr lines a failure shows.
constexpr int kStderrLines = 5;

/// `text` with every "{p}" and "{rep}" replaced.
std::string substitute(std::string text, int p, int rep) {
  for (const auto& [token, value] : {std::pair<std::string, std::string>{"{p}", std::to_string(p)},
                                     std::pair<std::string, std::string>{"{rep}", std::to_string(rep)}}) {
    for (std::size_t pos = text.find(token); pos != std::string::npos; pos = text.find(token, pos + value.size()))
      text.replace(pos, token.size(), value);
  }
  return text;
}

/// The launcher template's words for p and rep: split as a shell would (quotes, $VARIABLES),
/// without command substitution (wordexp). Throws UsageError with the reason.
std::vector<std::string> launcher_words(const std::string& templ, int p, int rep) {
  const std::string text = substitute(templ, p, rep);
  wordexp_t we{};
  const int rc = ::wordexp(text.c_str(), &we, WRDE_NOCMD | WRDE_UNDEF);
  std::vector<std::string> words;
  if (rc == 0) {
    for (std::size_t i = 0; i < we.we_wordc; ++i) words.emplace_back(we.we_wordv[i]);
    ::wordfree(&we);
  } else if (rc == WRDE_NOSPACE) {
    ::wordfree(&we);
  }
  switch (rc) {
    case 0:
      break;
    case WRDE_BADCHAR:
      throw UsageError("--launcher '" + templ +
                       "' holds one of | & ; < > ( ) { } outside quotes (only {p} and {rep} are replaced)");
    case WRDE_BADVAL:
      throw UsageError("--launcher '" + templ + "' names an environment variable that is not set");
    case WRDE_CMDSUB:
      throw UsageError("--launcher '" + templ + "' may not use command substitution");
    default:
      throw UsageError("--launcher '" + templ + "' is not a valid command line (unbalanced quotes?)");
  }
  if (words.empty()) throw UsageError("--launcher is empty");
  return words;
}

/// Whether `name` (a launcher's first word) can be started: a path to an executable, or found on PATH.
bool executable_found(const std::string& name) {
  try {
    (void)resolve_program(name);
    return true;
  } catch (const UsageError&) {
    return false;
  }
}

/// The first `kStderrLines` non-empty lines of a program's stderr, indented, each at most 300 bytes.
std::string stderr_excerpt(const std::string& text) {
  std::string out;
  int lines = 0;
  std::size_t pos = 0;
  while (pos < text.size() && lines < kStderrLines) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.find_first_not_of(" \t") != std::string::npos) {
      if (line.size() > 300) line = line.substr(0, 300) + "...";
      out += "  " + line + "\n";
      ++lines;
    }
    pos = end + 1;
  }
  return out;
}

nlohmann::json sample_json(const study::Sample& s) {
  return {{"wall", s.wall_seconds}, {"metric", s.value()}, {"exit_code", s.exit_code}};
}

/// A program's sample as journaled: its wall time and metric, and exit code 0 (a failed sample
/// stops the study and is never journaled).
std::string check_sample(const nlohmann::json& r) {
  if (!r.is_object() || r.size() != 3) return "a sample is {\"wall\", \"metric\", \"exit_code\"}";
  for (const char* key : {"wall", "metric"}) {
    if (!r.contains(key)) return std::string("\"") + key + "\" is missing";
    if (std::string why = check_number(r[key], key); !why.empty()) return why;
  }
  if (!r.contains("exit_code") || r["exit_code"] != 0) return "a journaled sample's exit_code is 0";
  return "";
}

study::Sample sample_from(int p, int rep, const nlohmann::json& j) {
  study::Sample s;
  s.p = p;
  s.rep = rep;
  s.wall_seconds = j.at("wall").get<double>();
  s.rank_min_seconds = s.rank_max_seconds = std::numeric_limits<double>::quiet_NaN();
  s.metric = j.at("metric").get<double>();
  s.exit_code = j.at("exit_code").get<std::int32_t>();
  return s;
}

/// A failed sample: stops the study with this message (exit 1, or 2 for a metric the very
/// first output does not have).
struct SampleFailure {
  std::string message;
  int exit_code = kFailedExit;
};

}  // namespace

/// The exec subcommand's own options and the driver.
class ExecStudy {
 public:
  explicit ExecStudy(std::shared_ptr<const StudyOptions> study) : o_(std::move(study)) {}

  void add_options(CLI::App& sub) {
    sub.add_option("--launcher", launcher_,
                   "the command that starts p ranks, with {p} (and optionally {rep}) in it, e.g. 'mpirun -n {p} "
                   "--oversubscribe' [default: '" +
                       std::string(kSlurmLauncher) + "' inside a Slurm allocation, else '" +
                       MULTIRANK_DEFAULT_LAUNCHER + "']")
        ->type_name("TEMPLATE");
    sub.add_option("--metric", metric_,
                   "what a sample measures: wall (the launch's wall time), json:KEY (a number of seconds under KEY in "
                   "the first JSON object on the program's stdout that has it) or regex:PATTERN (its first group)")
        ->capture_default_str();
    sub.add_option("--expect", expect_,
                   "a sample fails unless its stdout matches this POSIX extended regular expression")
        ->type_name("REGEX");
    timeout_option_ = sub.add_option("--timeout", timeout_value_,
                                     "a sample still running after this many seconds is killed and fails")
                          ->type_name("SECONDS");
    sub.add_option("command", command_,
                   "PROGRAM and its ARGS, after --; {p} and {rep} in ARGS become the rank count and the repetition")
        ->required()
        ->type_name("-- PROGRAM [ARGS...]");
    sub.fallthrough();  // study's options may come after exec
  }

  int run() {
    // The driver is one process: started by a launcher with more ranks, every rank would run the
    // whole study (say so once, on the launcher's rank 0).
    const LauncherJob job = launcher_job();
    if (job.size > 1) {
      if (job.rank == 0)
        std::fprintf(stderr,
                     "multirank study exec: error: the driver runs alone, not as one of %d ranks under %s: start it "
                     "without a launcher (it launches PROGRAM itself)\n",
                     job.size, job.launcher.c_str());
      return kUsageExit;
    }
    try {
      prepare();
    } catch (const UsageError& e) {
      return fail(kUsageExit, e.what());
    } catch (const std::exception& e) {
      return fail(kFailedExit, e.what());
    }
    try {
      return measure();
    } catch (const UsageError& e) {
      return fail(kUsageExit, e.what());
    } catch (const std::exception& e) {
      return fail(kFailedExit, e.what());
    }
  }

 private:
  static int fail(int code, const std::string& message) {
    std::fprintf(stderr, "multirank study exec: error: %s\n", message.c_str());
    return code;
  }

  /// Every check that can be made before the first launch (bad input: one line, exit 2).
  void prepare() {
    sweep_.ranks = o_->ranks;
    std::sort(sweep_.ranks.begin(), sweep_.ranks.end());
    for (int p : sweep_.ranks)
      if (p < 1) throw UsageError("rank counts must be at least 1, not " + std::to_string(p));
    sweep_.reps = o_->reps;
    sweep_.warmups = o_->warmups;
    study::check_sweep(sweep_, std::numeric_limits<int>::max());  // positive, distinct; each p is its own job
    (void)study::parse_scaling_mode(o_->mode);
    if (o_->resume && o_->journal.empty()) throw UsageError("--resume needs --journal FILE");
    metric_reader_.emplace(metric_);
    if (!expect_.empty()) expect_pattern_.emplace(expect_);
    if (timeout_option_->count() > 0) {
      if (!(timeout_value_ > 0.0) || !std::isfinite(timeout_value_))
        throw UsageError("--timeout must be a positive number of seconds, not " + fmt_seconds(timeout_value_));
      timeout_ = timeout_value_;
    }
    if (command_.empty()) throw UsageError("give the program to study after --: exec [options] -- PROGRAM [ARGS...]");

    program_path_ = resolve_program(command_.front());
    args_.assign(command_.begin() + 1, command_.end());

    const bool in_slurm = std::getenv("SLURM_JOB_ID") != nullptr;
    if (launcher_.empty()) launcher_ = in_slurm ? kSlurmLauncher : MULTIRANK_DEFAULT_LAUNCHER;
    if (launcher_.find("{p}") == std::string::npos)
      throw UsageError("--launcher '" + launcher_ + "' has no {p}: it must say how many ranks to start");
    const std::vector<std::string> words = launcher_words(launcher_, sweep_.ranks.front(), 0);
    if (!executable_found(words.front()))
      throw UsageError("the launcher's command " + words.front() + " is not found (--launcher '" + launcher_ + "')");
    if (in_slurm && fs::path(words.front()).filename() == "srun") {
      const char* ntasks = std::getenv("SLURM_NTASKS");
      if (!ntasks) ntasks = std::getenv("SLURM_NPROCS");
      const int allocated = ntasks ? std::atoi(ntasks) : 0;
      if (allocated > 0 && sweep_.ranks.back() > allocated)
        throw UsageError("rank count " + std::to_string(sweep_.ranks.back()) + " is more than this allocation's " +
                         std::to_string(allocated) + " tasks (SLURM_NTASKS): srun cannot start it");
    }
    study::check_output(o_->output, o_->force ? study::WriteMode::replace : study::WriteMode::append);
    program_ = describe_program(program_path_);
    if (!o_->journal.empty()) Journal::check_usable(o_->journal, "study", identity(), o_->resume, journal_tasks());
  }

  [[nodiscard]] std::string options_json() const {
    nlohmann::json o{{"args", args_}, {"launcher", launcher_}};
    if (!expect_.empty()) o["expect"] = expect_;
    if (timeout_) o["timeout"] = *timeout_;
    return o.dump();
  }

  /// The journal's tasks: one per (p, rep), p in increasing order.
  [[nodiscard]] JournalTasks journal_tasks() const {
    JournalTasks t;
    for (int p : sweep_.ranks)
      for (int rep = 0; rep < o_->reps; ++rep) t.keys.push_back({{"p", p}, {"rep", rep}});
    t.check_result = [](std::size_t, const nlohmann::json& r) { return check_sample(r); };
    return t;
  }

  [[nodiscard]] std::int64_t task_of(int p, int rep) const {
    const auto at = std::find(sweep_.ranks.begin(), sweep_.ranks.end(), p) - sweep_.ranks.begin();
    return static_cast<std::int64_t>(at) * o_->reps + rep;
  }

  [[nodiscard]] nlohmann::json identity() const {
    return {{"app", "exec"},
            {"program", program_path_},
            {"sha256", program_.sha256},
            {"options", nlohmann::json::parse(options_json())},
            {"metric", metric_},
            {"ranks", sweep_.ranks},
            {"reps", o_->reps},
            {"warmups", o_->warmups},
            {"mode", o_->mode}};
  }

  /// The command line of one launch.
  [[nodiscard]] std::vector<std::string> command_line(int p, int rep) const {
    std::vector<std::string> argv = launcher_words(launcher_, p, rep);
    argv.push_back(program_path_);
    for (const auto& a : args_) argv.push_back(substitute(a, p, rep));
    return argv;
  }

  /// One launch, checked: the sample, or a SampleFailure.
  study::Sample launch(CommandLauncher& launcher, int p, int rep, bool warmup, int warmup_index, bool first,
                       LaunchResult& result) {
    result = launcher.run(command_line(p, rep), timeout_.value_or(0.0));
    while (stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the stop ends us
    const std::string where = "p = " + std::to_string(p) + ", " +
                              (warmup ? "warm-up " + std::to_string(warmup_index + 1) : "rep " + std::to_string(rep)) +
                              ": ";
    const std::string program = command_.front();
    const std::string code = "exit code " + std::to_string(result.exit_code);
    if (result.timed_out)
      throw SampleFailure{where + program + " timed out after " + fmt_seconds(*timeout_) + " s and was killed (" +
                          code + ")\n" + stderr_excerpt(result.stderr_text)};
    if (result.exit_code != 0) {
      const std::string how = result.signal
                                  ? " was killed by signal " + std::to_string(result.signal) + " (" + code + ")"
                                  : " failed with " + code;
      throw SampleFailure{where + program + how + "\n" + stderr_excerpt(result.stderr_text)};
    }
    if (expect_pattern_ && !expect_pattern_->matches(result.stdout_text))
      throw SampleFailure{where + "the output of " + program + " does not match --expect '" + expect_ + "' (" + code +
                          ")\n" + stderr_excerpt(result.stderr_text)};
    study::Sample s;
    s.p = p;
    s.rep = rep;
    s.wall_seconds = result.wall_seconds;
    s.rank_min_seconds = s.rank_max_seconds = std::numeric_limits<double>::quiet_NaN();
    s.exit_code = result.exit_code;
    if (metric_reader_->kind() == study::Metric::Kind::wall) {
      s.metric = result.wall_seconds;
    } else {
      std::string why;
      const auto value = metric_reader_->read(result.stdout_text, why);
      if (!value) {
        // On the very first output the metric itself is wrong (a usage error); later, the sample is.
        if (first)
          throw SampleFailure{"--metric " + metric_ + " matches nothing in the first sample's output (" +
                                  where.substr(0, where.size() - 2) + "): " + why,
                              kUsageExit};
        throw SampleFailure{where + why + " (" + code + ")"};
      }
      s.metric = *value;
    }
    return s;
  }

  static std::string fmt_seconds(double s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", s);
    return buf;
  }

  int measure() {
    const std::vector<std::string> environment = launcher_free_environment();
    study::RunRecord record =
        study::begin_serial_run(fs::path(program_path_).filename().string(), options_json(), o_->mode, environment);
    record.metric = metric_;
    record.program = program_;
    record.ranks.assign(sweep_.ranks.begin(), sweep_.ranks.end());
    record.reps = o_->reps;
    record.warmups = o_->warmups;

    std::unique_ptr<Journal> journal;
    std::set<std::pair<int, int>> done;
    if (!o_->journal.empty()) {
      const JournalTasks tasks = journal_tasks();
      journal = std::make_unique<Journal>(o_->journal, "study", identity(), o_->resume, tasks);
      for (const auto& [id, sample] : journal->done()) {
        const auto& key = tasks.keys[static_cast<std::size_t>(id)];
        record.samples.push_back(sample_from(key["p"].get<int>(), key["rep"].get<int>(), sample));
        done.emplace(record.samples.back().p, record.samples.back().rep);
      }
      record.run_id = journal->run_id();  // the same identity however often the run is resumed
      if (const auto& w = journal->written()) {
        std::printf("nothing to do: journal %s is complete and its run was written to %s as %s (remove the journal "
                    "to measure again)\n",
                    o_->journal.c_str(), w->file.c_str(), w->group.c_str());
        return 0;
      }
    }
    const bool fresh_journal = journal && !o_->resume;

    CommandLauncher launcher(environment);
    install_stop_handlers();  // Ctrl-C, scancel: end the running launch, flush the journal, exit 128+n
    const int stop_id = register_flush([&launcher] { launcher.stop(2.0); });
    struct Unregister {
      int id;
      ~Unregister() { unregister_flush(id); }
    } unregister{stop_id};

    std::uint64_t total = 0;
    for (int p : sweep_.ranks) {
      int remaining = 0;
      for (int rep = 0; rep < o_->reps; ++rep) remaining += done.count({p, rep}) ? 0 : 1;
      if (remaining > 0) total += static_cast<std::uint64_t>(remaining + o_->warmups);
    }
    trace::Progress progress(true, "study " + record.app, total);
    std::uint64_t launches = 0;
    double launch_seconds = 0.0;
    const auto loop_start = std::chrono::steady_clock::now();
    bool first = true;
    try {
      for (int p : sweep_.ranks) {
        int remaining = 0;
        for (int rep = 0; rep < o_->reps; ++rep) remaining += done.count({p, rep}) ? 0 : 1;
        if (remaining == 0) continue;
        LaunchResult result;
        for (int w = 0; w < o_->warmups; ++w) {
          (void)launch(launcher, p, 0, true, w, first, result);
          first = false;
          ++launches;
          launch_seconds += result.wall_seconds;
          progress.advance();
        }
        std::optional<study::ProgramOutput> kept;
        for (int rep = 0; rep < o_->reps; ++rep) {
          if (done.count({p, rep})) continue;
          const study::Sample s = launch(launcher, p, rep, false, 0, first, result);
          first = false;
          ++launches;
          launch_seconds += result.wall_seconds;
          record.samples.push_back(s);
          if (journal) journal->record(task_of(p, rep), sample_json(s));
          kept = study::ProgramOutput{p,
                                      rep,
                                      result.exit_code,
                                      result.stdout_text.substr(0, study::kMaxKeptOutput),
                                      result.stderr_text.substr(0, study::kMaxKeptOutput),
                                      result.stdout_text.size(),
                                      result.stderr_text.size()};
          progress.advance();
        }
        if (kept) record.outputs.push_back(std::move(*kept));
      }
    } catch (const SampleFailure& f) {
      progress.finish();
      if (journal) journal->flush();
      if (f.exit_code == kUsageExit && fresh_journal) {  // nothing was measured: leave nothing behind
        journal.reset();
        std::error_code ec;
        fs::remove(o_->journal, ec);
      }
      std::string message = f.message;
      while (!message.empty() && message.back() == '\n') message.pop_back();
      std::fprintf(stderr, "multirank study exec: error: %s\n", message.c_str());
      return f.exit_code;
    }
    const double loop_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - loop_start).count();
    progress.finish();
    std::sort(record.samples.begin(), record.samples.end(),
              [](const study::Sample& a, const study::Sample& b) { return a.p != b.p ? a.p < b.p : a.rep < b.rep; });
    study::summarize_record(record);
    if (journal) journal->flush();

    std::string group;
    try {
      group = study::write_run(o_->output, record, o_->force ? study::WriteMode::replace : study::WriteMode::append);
    } catch (const UsageError& e) {
      return fail(kFailedExit,
                  e.what());  // refused only now (the file changed meanwhile); the journal keeps the samples
    } catch (const std::exception& e) {
      return fail(kFailedExit, e.what());
    }
    if (journal) journal->record_written(o_->output, group);  // a resume from now on has nothing to do

    // The driver's own cost per launch: the sweep's time not spent inside a launch.
    const double overhead_ms = launches ? 1e3 * (loop_seconds - launch_seconds) / static_cast<double>(launches) : 0.0;
    study::StudyFile file{o_->output, study::current_build_info(), {record}};
    file.runs.back().name = group;
    const auto report = study::build_report({file});
    if (o_->json) {
      nlohmann::json doc = nlohmann::json::parse(study::format_report(report, study::ReportFormat::json));
      doc["driver"] = {{"launches", launches},
                       {"launch_seconds", launch_seconds},
                       {"loop_seconds", loop_seconds},
                       {"overhead_ms_per_launch", overhead_ms}};
      std::printf("%s\n", doc.dump(2).c_str());
    } else {
      std::fputs(study::format_report(report, study::ReportFormat::table).c_str(), stdout);
      std::printf("driver: %llu launches; its own cost %.3f ms per launch beyond the launches' wall time\n",
                  static_cast<unsigned long long>(launches), overhead_ms);
      std::printf("\n%s written to %s\n", group.c_str(), o_->output.c_str());
    }
    std::fflush(stdout);
    return 0;
  }

  std::shared_ptr<const StudyOptions> o_;
  std::string launcher_;
  std::string metric_ = "wall";
  std::string expect_;
  double timeout_value_ = 0.0;
  CLI::Option* timeout_option_ = nullptr;
  std::vector<std::string> command_;

  std::optional<double> timeout_;

  study::SweepOptions sweep_;
  std::optional<study::Metric> metric_reader_;
  std::optional<study::OutputPattern> expect_pattern_;
  std::string program_path_;
  std::vector<std::string> args_;
  study::ProgramInfo program_;
};

std::shared_ptr<ExecStudy> add_exec_subcommand(CLI::App& study, std::shared_ptr<const StudyOptions> options) {
  auto exec = std::make_shared<ExecStudy>(std::move(options));
  CLI::App* sub = study.add_subcommand(
      "exec",
      "a scaling study of your own program: one launch per sample (-- PROGRAM [ARGS...]), no MPI in the driver");
  exec->add_options(*sub);
  return exec;
}

int run_exec_study(ExecStudy& study) {
  return study.run();
}

}  // namespace multirank::cli
