#pragma once
/// \file Where this rank runs: host name and process id.

#include <string>

namespace multirank {

/// This machine's host name (as gethostname reports it).
std::string host_name();
/// This process's id.
long process_id();
/// This rank in MPI_COMM_WORLD, or -1 before MPI is up.
int world_rank();

}  // namespace multirank
