#pragma once
/// \file `multirank factorial --list`: one task per factorial over a Pool.

#include <cstdint>
#include <vector>

#include "app.hpp"

namespace multirank::cli {

/// Computes each n! of `list` as one pool task; per task the rank, time and digit count.
AppResult run_factorial_list(const Communicator& comm, const std::vector<std::uint64_t>& list, bool check,
                             bool print);

}  // namespace multirank::cli
