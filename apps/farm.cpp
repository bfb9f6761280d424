// `multirank farm TASKS [options]`: run a file (or standard input) of command lines over the
// ranks, with a status file, resume, retries, timeouts and grouped output. See farm.hpp.
#include "farm.hpp"

#include <cstdio>
#include <memory>

#include "multirank/core/error.hpp"
#include "registry.hpp"

namespace multirank::cli::farm {
namespace {

Action setup(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto prepared = std::make_shared<Prepared>();
  app.add_option("TASKS", o->tasks, "file of command lines (one per line, run by /bin/sh -c), or - for standard input")
      ->required();
  app.add_option("--per-rank", o->per_rank, "tasks at once on each rank")->capture_default_str();
  app.add_flag("--tag", o->tag, "prefix each line of a task's output with its id (line number) and a tab");
  app.add_option("--logs", o->logs, "write DIR/TASK.out and DIR/TASK.err (earlier attempts: TASK.out.N) instead of printing");
  app.add_option("--status", o->status, "record every finished attempt durably in this JSON Lines file");
  app.add_flag("--resume", o->resume, "continue the --status file: skip tasks recorded as succeeded (and failed)");
  app.add_flag("--retry-failed", o->retry_failed, "with --resume: run the recorded failures again");
  app.add_option("--retries", o->retries, "try a failing task up to N more times")->capture_default_str();
  CLI::Option* timeout =
      app.add_option("--timeout", o->timeout, "seconds an attempt may run: then SIGTERM to its process group, SIGKILL 5 s later");
  app.add_flag("--fail-fast", o->fail_fast, "after the first task that failed for good, start no more tasks");
  app.add_option("--progress", o->progress,
                 "auto (a terminal line alone on a terminal, log lines under a launcher; MULTIRANK_PROGRESS overrides), terminal, log, none")
      ->check(CLI::IsMember({"auto", "terminal", "log", "none"}))
      ->capture_default_str();
  app.add_option("--output", o->output, "write the attempts as task records to this HDF5 study file");
  app.add_flag("--force", o->force, "--output: replace an existing study file");
  app.add_flag("--append", o->append, "--output: add this run to an existing study file");
  return Action{[o, prepared, timeout](const Communicator& world) {
                  if (timeout->count() > 0 && !(o->timeout > 0))
                    throw UsageError("--timeout must be a positive number of seconds, not " + timeout->as<std::string>());
                  validate(world, *o, *prepared);
                },
                [o, prepared](const Communicator& world) {
                  const Summary s = run(world, *o, *prepared);
                  prepared->status.reset();  // flushed, unlocked
                  if (world.rank() == 0 && o->summary) {
                    std::fflush(stdout);
                    std::fputs(summary_text(s).c_str(), stderr);
                    std::fflush(stderr);
                  }
                  return s.exit_code;
                }};
}

const Register registered{{"farm", "run a file of command lines over the ranks (status, resume, retries, timeouts)", setup}};

}  // namespace
}  // namespace multirank::cli::farm
