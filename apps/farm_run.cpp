// The farm itself: every rank starts its task spawner, then a Pool runs one pool task per attempt
// of a command line; rank 0's body reads the list lazily, keeps a bounded window of submitted
// attempts, holds tasks at barriers, resubmits failures (--retries), stops dispatching
// (--fail-fast, a stop signal), records each attempt in the status file and prints its output.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "farm.hpp"
#include "farm_runner.hpp"
#include "farm_tasks.hpp"
#include "launcher_env.hpp"
#include "multirank/collective/broadcast.hpp"
#include "multirank/core/clock.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/output_file.hpp"
#include "multirank/core/process_info.hpp"
#include "multirank/core/signals.hpp"
#include "multirank/pool/pool.hpp"
#include "multirank/trace/progress.hpp"
#include "multirank/study/run_record.hpp"
#include "multirank/study/study_file.hpp"

namespace multirank::cli::farm {
namespace {

/// One attempt of one command line: what travels to the rank that runs it.
struct CommandTask {
  std::int64_t line = 0;
  std::int32_t attempt = 1;
  std::string command;

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    ar & line & attempt & command;
  }
};

/// How the attempt ended, as it travels back to rank 0.
struct CommandResult {
  std::int64_t pid = 0;         // the command's /bin/sh
  std::int64_t rank_pid = 0;    // the rank that ran it
  std::int32_t rank = -1;
  std::int32_t exit_code = 0;
  std::int32_t signal = 0;
  bool timed_out = false;
  bool stopped = false;         // cut short or never started by a stop signal: not recorded
  double start_unix = 0.0;
  double end_unix = 0.0;
  double seconds = 0.0;
  double sync_start = 0.0;      // on the farm's synchronised clock
  double sync_end = 0.0;
  std::string host;
  std::string error;            // it could not start
  std::string out;              // its spooled stdout and stderr
  std::string err;

  template <class Archive>
  void serialize(Archive& ar, const unsigned int /*version*/) {
    ar & pid & rank_pid & rank & exit_code & signal & timed_out & stopped & start_unix & end_unix & seconds & sync_start &
        sync_end & host & error & out & err;
  }
};

/// What every rank's pool task needs (set before the pool starts, cleared after it ends).
struct Runtime {
  Spawner* spawner = nullptr;
  const SyncClock* clock = nullptr;
  int rank = 0;
  long pid = 0;
  std::string host;
  double timeout = 0.0;
  std::string logs;
};
std::atomic<Runtime*> g_runtime{nullptr};

/// Before attempt n > 1 writes its logs, the previous attempt's become TASK.out.(n-1).
void keep_earlier_logs(const std::string& path, int attempt) {
  if (attempt <= 1) return;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) std::filesystem::rename(path, path + "." + std::to_string(attempt - 1), ec);
}

CommandResult run_command(CommandTask in) {
  Runtime* rt = g_runtime.load();
  if (!rt) throw std::logic_error("a farm command ran outside a farm");
  std::string out_path;
  std::string err_path;
  if (!rt->logs.empty()) {
    const std::string base = rt->logs + "/" + std::to_string(in.line);
    out_path = base + ".out";
    err_path = base + ".err";
    keep_earlier_logs(out_path, in.attempt);
    keep_earlier_logs(err_path, in.attempt);
  }
  CommandResult r;
  r.sync_start = rt->clock->now();
  Outcome o = rt->spawner->run(in.line, in.attempt, in.command, rt->timeout, out_path, err_path);
  r.sync_end = rt->clock->now();
  r.pid = o.pid;
  r.rank_pid = rt->pid;
  r.rank = rt->rank;
  r.exit_code = o.exit_code;
  r.signal = o.signal;
  r.timed_out = o.timed_out;
  // Killed by the stop (scancel signals the tasks too), or not started because of it. A stop's
  // signal may reach the task a moment before this rank: a task ended by SIGTERM, SIGINT or
  // SIGHUP waits up to a second for the rank's own, so that the stop's victims are not recorded
  // as failures.
  if (!o.stopped && !o.timed_out && (o.signal == SIGTERM || o.signal == SIGINT || o.signal == SIGHUP))
    for (int i = 0; i < 100 && !stop_requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  r.stopped = o.stopped || stop_requested();
  r.start_unix = o.start_unix;
  r.end_unix = o.end_unix;
  r.seconds = o.seconds;
  r.host = rt->host;
  r.error = std::move(o.error);
  r.out = std::move(o.out);
  r.err = std::move(o.err);
  return r;
}

const Task<run_command> command_task{"multirank.farm.command"};

// ---- progress ----

enum class Style { terminal, log, none };

Style resolve_style(const std::string& flag) {
  std::string mode = flag;
  if (mode == "auto") {
    const char* env = std::getenv("MULTIRANK_PROGRESS");
    if (env && *env) mode = env;
  }
  if (mode == "terminal") return Style::terminal;
  if (mode == "log") return Style::log;
  if (mode == "none") return Style::none;
  // Under a launcher stderr is a pipe even on a terminal, and stdout a pty even into a file:
  // isatty cannot tell, so a launched farm logs unless told otherwise.
  const bool launched = !launcher_job().launcher.empty() || std::getenv("PMIX_RANK") || std::getenv("SLURM_JOB_ID");
  return (!launched && ::isatty(2)) ? Style::terminal : Style::log;
}

/// Done, failed, running, tasks/s and ETA on stderr: a line redrawn on a terminal; in a log, a
/// line about every 10% (every 30 s while the list's length is not known yet).
class Progress {
 public:
  explicit Progress(Style style) : style_(style), start_(now()) {}

  void update(std::uint64_t done, std::uint64_t failed, std::size_t running, std::optional<std::uint64_t> total) {
    if (style_ == Style::none) return;
    const double t = now();
    const double elapsed = t - start_;
    if (style_ == Style::terminal) {
      if (elapsed < 0.5 || (t - last_ < 0.2 && last_ > 0)) return;
    } else {
      if (elapsed < 1.0) return;
      if (total && *total > 0) {
        const int decile = static_cast<int>((std::min(done, *total) * 10) / *total);
        if (decile <= decile_) return;
        decile_ = decile;
      } else if (last_ > 0 && t - last_ < 30.0) {
        return;
      }
    }
    last_ = t;
    std::string line = "multirank farm: " + std::to_string(done) + "/" + (total ? std::to_string(*total) : "?") + " done";
    if (total && *total > 0) line += " (" + std::to_string(done * 100 / *total) + "%)";
    const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
    char buf[160];
    std::snprintf(buf, sizeof buf, ", %llu failed, %zu running, %.0f tasks/s, ETA %s",
                  static_cast<unsigned long long>(failed), running, rate,
                  (total && rate > 0 && *total >= done) ? trace::duration_text(static_cast<double>(*total - done) / rate).c_str()
                                                        : "?");
    line += buf;
    if (style_ == Style::terminal) {
      std::string padded = line;
      if (padded.size() < width_) padded.append(width_ - padded.size(), ' ');
      width_ = line.size();
      std::fprintf(stderr, "\r%s", padded.c_str());
      shown_ = true;
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
  }
  /// Erases the terminal line before a task's output is printed.
  void clear() {
    if (style_ != Style::terminal || !shown_) return;
    std::fprintf(stderr, "\r%s\r", std::string(width_, ' ').c_str());
    std::fflush(stderr);
    shown_ = false;
    last_ = 0;
  }

 private:
  static double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  Style style_;
  double start_;
  double last_ = 0.0;
  int decile_ = 0;
  std::size_t width_ = 0;
  bool shown_ = false;
};

/// Writes a task's output whole, each line prefixed with "TASK\t" under --tag.
void write_output(std::FILE* f, const std::string& text, bool tag, std::int64_t line) {
  if (text.empty()) return;
  if (!tag) {
    std::fwrite(text.data(), 1, text.size(), f);
  } else {
    const std::string prefix = std::to_string(line) + "\t";
    std::size_t at = 0;
    while (at < text.size()) {
      std::size_t nl = text.find('\n', at);
      const std::size_t end = nl == std::string::npos ? text.size() : nl + 1;
      std::fwrite(prefix.data(), 1, prefix.size(), f);
      std::fwrite(text.data() + at, 1, end - at, f);
      at = end;
    }
  }
  std::fflush(f);
}

// ---- rank 0's body ----

struct InFlight {
  std::int64_t line = 0;
  int attempt = 1;
  int last_attempt = 1;   // the last one this run may make
  std::string command;
  double queued = 0.0;
};

class Body {
 public:
  Body(Pool& pool, const Options& o, StatusFile* status, const SyncClock& clock, Summary& s)
      : pool_(pool), o_(o), status_(status), clock_(clock), s_(s), progress_(resolve_style(o.progress)),
        source_(o.tasks), window_(4 * static_cast<std::size_t>(pool.workers()) + 8) {
    s_.busy.assign(static_cast<std::size_t>(pool.size()), 0.0);
  }

  void run() {
    const double t0 = clock_.now();
    auto idle = std::chrono::milliseconds(1);
    for (;;) {
      if (stop_requested()) {
        // The stop handler has passed SIGTERM on to the tasks and flushes the status file; it
        // ends the job in a moment, with 128 + the signal. Nothing more is started meanwhile.
        stopping_ = true;
        while (true) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      fill();
      if (futures_.empty()) {
        barrier_ = false;
        if (input_done_ || halted_ || stopping_) break;
        TaskLine e;  // nothing in flight: wait for the list itself
        const auto st = source_.next(e, std::chrono::milliseconds(100));
        if (st == TaskSource::Status::entry) peeked_ = std::move(e);
        if (st == TaskSource::Status::end) input_done_ = true;
        continue;
      }
      // More input may arrive while tasks run: look again soon; otherwise results are all we await.
      const bool may_take_more = !input_done_ && !barrier_ && !halted_ && !stopping_ && futures_.size() < window_;
      const auto timeout = may_take_more ? idle : std::chrono::milliseconds(200);
      if (!when_any_for(futures_, timeout)) {
        if (may_take_more) idle = std::min(idle * 2, std::chrono::milliseconds(20));
        progress_.update(s_.succeeded + s_.failed, s_.failed, futures_.size(), total());
        continue;
      }
      idle = std::chrono::milliseconds(1);
      for (std::size_t i = 0; i < futures_.size();) {
        if (!futures_[i].ready()) {
          ++i;
          continue;
        }
        auto f = std::move(futures_[i]);
        InFlight m = std::move(meta_[i]);
        futures_[i] = std::move(futures_.back());
        meta_[i] = std::move(meta_.back());
        futures_.pop_back();
        meta_.pop_back();
        finished(f, std::move(m));
      }
      if (futures_.empty()) barrier_ = false;
    }
    s_.makespan = clock_.now() - t0;
    if (halted_ && !input_done_) {
      if (auto t = source_.total_commands()) {
        s_.not_started += *t - s_.tasks;
        s_.tasks = *t;
      } else {
        s_.unread = true;
      }
    }
    progress_.clear();
  }

 private:
  std::optional<std::uint64_t> total() const {
    auto t = source_.total_commands();
    if (!t) return std::nullopt;
    return *t;
  }

  void submit(std::int64_t line, int attempt, int last_attempt, std::string command) {
    futures_.push_back(pool_.submit(command_task, CommandTask{line, attempt, command}));
    meta_.push_back(InFlight{line, attempt, last_attempt, std::move(command), clock_.now()});
  }

  /// Submits what the list has ready, up to the window, stopping at a barrier.
  void fill() {
    while (!halted_ && !stopping_ && !barrier_ && !input_done_ && futures_.size() < window_) {
      TaskLine e;
      if (peeked_) {
        e = std::move(*peeked_);
        peeked_.reset();
      } else {
        const auto st = source_.next(e);
        if (st == TaskSource::Status::pending) return;
        if (st == TaskSource::Status::end) {
          input_done_ = true;
          return;
        }
      }
      if (e.kind == TaskLine::Kind::barrier) {
        if (!futures_.empty()) barrier_ = true;  // what follows waits until everything before has ended
        continue;
      }
      ++s_.tasks;
      int first = 1;
      if (status_ && status_->resumed_records() > 0) {
        if (const auto last = status_->last(e.line, recorded_text(e.command))) {
          if (last->exit_code == 0 || !o_.retry_failed) {
            ++s_.skipped;
            if (last->exit_code == 0) {
              ++s_.succeeded;
            } else {
              ++s_.failed;
              note_failure(e.line);
            }
            continue;
          }
          first = last->attempt + 1;
        }
      }
      submit(e.line, first, first + o_.retries, std::move(e.command));
    }
  }

  /// The attempt as a study-file task record (on the farm's synchronised clock).
  void record(const InFlight& m, const CommandResult& r) {
    TaskRecord t;
    t.task_id = m.line;
    t.rank = r.rank;
    t.pid = r.rank_pid;
    t.host = r.host;
    t.queued = m.queued;
    t.start = r.sync_start;
    t.end = r.sync_end;
    t.bytes_in = m.command.size();
    t.bytes_out = r.out.size() + r.err.size();
    t.attempt = m.attempt;
    t.exit_code = r.exit_code;
    t.command = m.command;
    s_.records.push_back(std::move(t));
  }

  /// Keeps the ten lowest failing line numbers.
  void note_failure(std::int64_t line) {
    auto& f = s_.failed_lines;
    f.insert(std::upper_bound(f.begin(), f.end(), line), line);
    if (f.size() > 10) f.pop_back();
  }

  void finished(Future<CommandResult>& f, InFlight m) {
    CommandResult r;
    try {
      r = f.get();
    } catch (const CancelledError&) {
      ++s_.not_started;
      return;
    }  // a TaskError (the rank's spawner is gone) ends the whole job with its message
    if (r.stopped || stopping_ || stop_requested()) {
      // An attempt the stop cut short is not recorded: it runs again on --resume.
      ++s_.not_started;
      return;
    }
    ++s_.attempts;
    if (status_) {
      Attempt a;
      a.task = m.line;
      a.command = m.command;
      a.exit_code = r.exit_code;
      a.signal = r.signal;
      a.timed_out = r.timed_out;
      a.attempt = m.attempt;
      a.rank = r.rank;
      a.host = r.host;
      a.pid = r.pid;
      a.start_unix = r.start_unix;
      a.end_unix = r.end_unix;
      a.seconds = r.seconds;
      status_->record(a);
    }
    if (!o_.output.empty()) record(m, r);  // kept only for the study file: a farm may be millions of lines
    if (r.rank >= 0 && static_cast<std::size_t>(r.rank) < s_.busy.size()) s_.busy[static_cast<std::size_t>(r.rank)] += r.seconds;

    if (!r.out.empty() || !r.err.empty() || !r.error.empty()) {
      progress_.clear();
      write_output(stdout, r.out, o_.tag, m.line);
      write_output(stderr, r.err, o_.tag, m.line);
      if (!r.error.empty())
        std::fprintf(stderr, "multirank farm: task %lld (line %lld): %s\n", static_cast<long long>(m.line),
                     static_cast<long long>(m.line), r.error.c_str());
    }
    if (r.exit_code == 0) {
      ++s_.succeeded;
    } else if (m.attempt < m.last_attempt && !halted_ && !stopping_) {
      submit(m.line, m.attempt + 1, m.last_attempt, std::move(m.command));  // --retries
    } else {
      ++s_.failed;
      note_failure(m.line);
      if (o_.fail_fast) halt();
    }
    progress_.update(s_.succeeded + s_.failed, s_.failed, futures_.size(), total());
  }

  /// --fail-fast: nothing more starts; what runs finishes.
  void halt() {
    halted_ = true;
    for (auto& f : futures_) f.cancel();  // those not dispatched yet; they come back cancelled
  }

  Pool& pool_;
  const Options& o_;
  StatusFile* status_;
  const SyncClock& clock_;
  Summary& s_;
  Progress progress_;
  TaskSource source_;
  const std::size_t window_;
  std::vector<Future<CommandResult>> futures_;
  std::vector<InFlight> meta_;
  std::optional<TaskLine> peeked_;
  bool input_done_ = false;
  bool barrier_ = false;
  bool halted_ = false;
  bool stopping_ = false;
};

std::string os_error() { return std::strerror(errno); }

}  // namespace

nlohmann::json Options::to_json() const {
  return {{"tasks", tasks},     {"per_rank", per_rank},       {"tag", tag},         {"logs", logs},
          {"status", status},   {"resume", resume},           {"retry_failed", retry_failed},
          {"retries", retries}, {"timeout", timeout},         {"fail_fast", fail_fast}};
}

void validate(const Communicator& world, const Options& o, Prepared& p) {
  if (o.per_rank < 1 || o.per_rank > 4096)
    throw UsageError("--per-rank must be between 1 and 4096, not " + std::to_string(o.per_rank));
  if (o.retries < 0) throw UsageError("--retries must be 0 or more, not " + std::to_string(o.retries));
  if (!std::isfinite(o.timeout) || o.timeout < 0)
    throw UsageError("--timeout must be a positive number of seconds");
  if (o.resume && o.status.empty()) throw UsageError("--resume needs --status FILE");
  if (o.retry_failed && !o.resume) throw UsageError("--retry-failed goes with --resume");
  if ((o.force || o.append) && o.output.empty()) throw UsageError("--force and --append go with --output FILE.h5");
  if (const char* env = std::getenv("MULTIRANK_PROGRESS"); env && *env && o.progress == "auto") {
    const std::string v = env;
    if (v != "auto" && v != "terminal" && v != "log" && v != "none")
      throw UsageError("MULTIRANK_PROGRESS must be auto, terminal, log or none, not '" + v + "'");
  }
  p.spawner = Spawner::locate();
  if (!o.logs.empty()) {  // every rank writes the logs of the tasks it runs
    std::error_code ec;
    const std::filesystem::path dir(o.logs);
    if (std::filesystem::exists(dir, ec)) {
      if (!std::filesystem::is_directory(dir, ec)) throw UsageError("--logs " + o.logs + " is not a folder");
      // A probe file, not access(2): root passes access on a folder it may not write in.
      check_output_folder((dir / "1.out").string(), "--logs");
    } else {
      check_output_folder(o.logs, "--logs");  // the folder it will be made in
    }
  }
  if (world.rank() != 0) return;
  if (o.tasks != "-") {
    std::error_code ec;
    if (std::filesystem::is_directory(o.tasks, ec)) throw UsageError("the task list " + o.tasks + " is a directory");
    std::FILE* f = std::fopen(o.tasks.c_str(), "r");
    if (!f) throw UsageError("cannot read the task list " + o.tasks + ": " + os_error());
    std::fclose(f);
  }
  if (!o.output.empty()) study::check_output(o.output, study::write_mode(o.force, o.append));
  if (!o.status.empty()) p.status = std::make_unique<StatusFile>(o.status, o.tasks, o.resume);
}

Summary run(const Communicator& comm, const Options& o, Prepared& p) {
  Summary s;
  if (!o.logs.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.logs, ec);
    if (ec && !std::filesystem::is_directory(o.logs))
      throw std::runtime_error("cannot create --logs " + o.logs + ": " + ec.message());
  }
  // The tasks inherit the rank's CPU binding (as any child of an MPI process does): say so when
  // K tasks at once would share fewer than K CPUs.
  if (cpu_set_t mask; o.per_rank > 1 && ::sched_getaffinity(0, sizeof mask, &mask) == 0 && CPU_COUNT(&mask) < o.per_rank)
    std::fprintf(stderr,
                 "multirank farm: warning: rank %d on %s is bound to %d CPU(s) and runs %d tasks at once, which share "
                 "them (mpirun --bind-to none or --map-by ...:PE=%d; srun -c %d)\n",
                 comm.rank(), host_name().c_str(), CPU_COUNT(&mask), o.per_rank, o.per_rank, o.per_rank);
  const SyncClock clock(comm, 8);
  std::optional<study::RunRecord> record;
  if (!o.output.empty()) record = study::begin_run(comm, "farm", o.to_json().dump(), "strong");
  {
    // The spawner lives longer than the pool: the pool's tasks go through it.
    Spawner spawner(p.spawner, o.per_rank, task_environment(startup_environment(), comm.rank(), comm.size()));
    Runtime rt;
    rt.spawner = &spawner;
    rt.clock = &clock;
    rt.rank = comm.rank();
    rt.pid = process_id();
    rt.host = host_name();
    rt.timeout = o.timeout;
    rt.logs = o.logs;
    g_runtime.store(&rt);
    if (comm.rank() == 0 && p.status) p.status->start();
    PoolOptions po;
    po.workers_per_rank = o.per_rank;
    po.records = false;  // the farm keeps its own, one per attempt
    try {
      run_pool(comm, [&](Pool& pool) { Body(pool, o, p.status.get(), clock, s).run(); }, po);
    } catch (...) {
      g_runtime.store(nullptr);
      throw;
    }
    g_runtime.store(nullptr);
    if (comm.rank() == 0 && p.status) p.status->flush();
  }
  if (comm.rank() == 0) {
    for (auto& b : s.busy) b = s.makespan > 0 ? b / (s.makespan * o.per_rank) : 0.0;
    s.exit_code = (s.failed > 0 || s.not_started > 0 || s.unread) ? 1 : 0;
  }
  if (record) {
    record->reps = 1;
    const double wall = broadcast_value(comm, s.makespan);  // rank 0 timed it; every rank took part
    record->samples = {study::make_sample(comm, 0, wall, wall)};
    record->tasks_p = comm.size();
    record->tasks_rep = 0;
    if (comm.rank() == 0) record->tasks = std::move(s.records);
    try {
      study::write_run(comm, o.output, *record, study::write_mode(o.force, o.append));
    } catch (const std::exception& e) {
      // write_run fails the same way on every rank: one line, exit 1 (the tasks ran and the
      // status file has them).
      if (comm.rank() == 0) std::fprintf(stderr, "multirank farm: error: %s\n", e.what());
      s.exit_code = 1;
    }
  }
  s.exit_code = broadcast_value(comm, s.exit_code);
  return s;
}

std::string summary_text(const Summary& s) {
  if (s.tasks == 0) return "multirank farm: 0 tasks\n";
  std::string out = "multirank farm: " + std::to_string(s.tasks) + " tasks: " + std::to_string(s.succeeded) +
                    " succeeded, " + std::to_string(s.failed) + " failed";
  if (!s.failed_lines.empty()) {
    out += " (first failing lines:";
    for (std::size_t i = 0; i < s.failed_lines.size(); ++i) out += (i ? ", " : " ") + std::to_string(s.failed_lines[i]);
    out += ")";
  }
  out += ", " + std::to_string(s.skipped) + " skipped (recorded before)";
  if (s.not_started > 0 || s.unread)
    out += ", " + std::to_string(s.not_started) + (s.unread ? "+" : "") + " not started";
  out += "; " + std::to_string(s.attempts) + " attempts run\n";
  char buf[128];
  const double rate = s.makespan > 0 ? static_cast<double>(s.attempts) / s.makespan : 0.0;
  std::snprintf(buf, sizeof buf, "multirank farm: makespan %.3f s, %.1f tasks/s; busy:", s.makespan, rate);
  out += buf;
  for (std::size_t r = 0; r < s.busy.size(); ++r) {
    std::snprintf(buf, sizeof buf, "%s rank %zu %.0f%%", r ? "," : "", r, 100.0 * s.busy[r]);
    out += buf;
  }
  out += "\n";
  return out;
}

}  // namespace multirank::cli::farm
