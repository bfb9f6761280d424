#pragma once
/// \file `multirank factorial --list`: one task per factorial over a Pool.

#include <cstdint>
#include <string>
#include <vector>

#include "app.hpp"
#include "journal.hpp"

namespace multirank::cli {

/// What `factorial --list` was asked.
struct FactorialListOptions {
  std::vector<std::uint64_t> list;
  bool check = false;    ///< compare each with mpz_fac_ui
  bool print = false;    ///< keep the digits
  std::string journal;   ///< journal file ("" for none)
  bool resume = false;   ///< continue the journal
};

/// The journal identity of a list run, and its tasks (each n; a result's digits, exactness and
/// kept value checked for form).
nlohmann::json factorial_list_identity(const FactorialListOptions& options);
JournalTasks factorial_list_tasks(const FactorialListOptions& options);

/// Computes each n! of the list as one pool task (dynamic scheduling, completion order); per task
/// the rank, host, pid, time and digit count.
AppResult run_factorial_list(const Communicator& comm, const FactorialListOptions& options);

}  // namespace multirank::cli
