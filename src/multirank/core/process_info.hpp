#pragma once
/// \file Where this rank runs (host name, process id) and the memory it has used.

#include <cstdint>
#include <string>

namespace multirank {

/// This machine's host name (as gethostname reports it).
std::string host_name();
/// This process's id.
long process_id();
/// This rank in MPI_COMM_WORLD, or -1 before MPI is up.
int world_rank();
/// The most resident memory this process has used so far, in bytes (getrusage's ru_maxrss).
std::uint64_t peak_rss_bytes();

}  // namespace multirank
