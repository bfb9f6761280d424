#pragma once
/// \file The exercise apps (rangesum, factorial, imbalance, ...): one interface, so that the same
/// app runs as its own subcommand and inside `multirank study` on sub-communicators.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "multirank/core/communicator.hpp"
#include "multirank/core/task_record.hpp"

namespace multirank::cli {

/// The outcome of one run of an app on a communicator (complete on rank 0).
struct AppResult {
  nlohmann::json results;         ///< app-specific figures, snake_case keys, times in seconds
  double seconds = 0.0;           ///< wall time of the measured part
  std::vector<TaskRecord> tasks;  ///< per-task records, when the app runs tasks
  std::string text;               ///< the human-readable report (tables, timelines)
};

/// One configured app: its options are bound by `App::setup`.
class AppInstance {
 public:
  virtual ~AppInstance() = default;
  /// Checks the options on every rank before any communication; throws UsageError.
  virtual void validate(const Communicator& /*world*/) {}
  /// Runs once on `comm` (collective over it).
  virtual AppResult run(const Communicator& comm) = 0;
  /// The options as JSON, for records and journals.
  [[nodiscard]] virtual nlohmann::json options() const = 0;
  /// Weak scaling: sets the problem size to `factor` times the size given on the command line
  /// (absolute, so successive calls do not compound).
  virtual void set_problem_scale(int /*factor*/) {}
};

/// An app: `setup` adds its options to a CLI11 app and returns the instance they fill.
struct App {
  std::string name;
  std::string description;
  std::function<std::shared_ptr<AppInstance>(CLI::App&)> setup;
};

/// Every registered app.
std::vector<App>& apps();

/// Registers an app, and a subcommand of the same name with the common options
/// (--json, --output FILE.h5, --force, --profile).
struct RegisterApp {
  explicit RegisterApp(App app);
};

/// Seconds of wall time on `comm`: the maximum over ranks of `end - start`.
double max_over_ranks(const Communicator& comm, double seconds);

}  // namespace multirank::cli
