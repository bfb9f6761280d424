#pragma once
/// \file The options of `multirank study` that its app subcommands and its `exec` subcommand
/// share (study.cpp, study_exec.cpp).

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

namespace multirank::cli {

/// `multirank study`'s own options.
struct StudyOptions {
  std::vector<int> ranks;       ///< --ranks
  int reps = 3;                 ///< --reps
  int warmups = 1;              ///< --warmup
  std::string mode = "strong";  ///< --mode
  std::string output;           ///< --output
  bool force = false;           ///< --force: replace the file instead of appending
  bool json = false;            ///< --json
  std::string journal;          ///< --journal
  bool resume = false;          ///< --resume
};

/// The driver of `multirank study ... exec [exec options] -- PROGRAM [ARGS...]`: a scaling study
/// of the user's own program, one launch per sample, run without MPI (study_exec.cpp).
class ExecStudy;

/// Adds the `exec` subcommand to `study` and returns the driver its options configure.
std::shared_ptr<ExecStudy> add_exec_subcommand(CLI::App& study, std::shared_ptr<const StudyOptions> options);

/// Runs the driver once the command line is parsed (MPI not initialised) and returns the exit code:
/// 0 done, 1 a failed sample or write, 2 a usage error (one line; nothing written).
int run_exec_study(ExecStudy& study);

}  // namespace multirank::cli
