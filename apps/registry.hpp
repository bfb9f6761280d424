#pragma once
/// \file Subcommands of the multirank CLI: each source file registers one.

#include <CLI/CLI.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "multirank/core/communicator.hpp"

namespace multirank::cli {

/// What a subcommand does once its options are parsed.
struct Action {
  /// Checks the options on every rank, before any communication; throws multirank::UsageError.
  /// When it fails on any rank, every rank exits with code 2 and the failure is printed once.
  std::function<void(const Communicator& world)> validate;
  /// Runs the subcommand and returns the exit code. An exception here aborts the job (exit 1).
  std::function<int(const Communicator& world)> run;
  /// Optional, for what runs without MPI (`study ... exec`, a driver that launches MPI jobs
  /// itself and so must not be an MPI process): called once the command line is parsed and
  /// before MPI_Init. An exit code ends the CLI there; nullopt carries on under MPI as usual.
  std::function<std::optional<int>()> run_before_mpi = nullptr;
};

/// A subcommand: `setup` adds its options to `app` and returns the action to run.
struct Subcommand {
  std::string name;
  std::string description;
  std::function<Action(CLI::App& app)> setup;
};

/// Every registered subcommand, in registration order.
std::vector<Subcommand>& subcommands();

/// Registers a subcommand at static-initialisation time: `static Register r{{"name", "what", setup}};`
struct Register {
  explicit Register(Subcommand s) { subcommands().push_back(std::move(s)); }
};

}  // namespace multirank::cli
