#pragma once
// A scratch directory that every rank of a one-host test job sees: made by rank 0, named by
// its pid, broadcast to the others.
#include <unistd.h>

#include <filesystem>
#include <string>

#include "multirank/collective/broadcast.hpp"
#include "multirank/core/communicator.hpp"

namespace multirank::testing {

/// Makes TMPDIR/multirank_<tag>_<pid of rank 0> on rank 0 and gives its path to every rank.
inline std::string shared_dir(const Communicator& comm, const std::string& tag) {
  std::string dir;
  if (comm.rank() == 0) {
    dir = (std::filesystem::temp_directory_path() / ("multirank_" + tag + "_" + std::to_string(::getpid()))).string();
    std::filesystem::create_directories(dir);
  }
  broadcast(comm, dir, 0);
  return dir;
}

}  // namespace multirank::testing
