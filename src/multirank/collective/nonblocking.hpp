#pragma once
/// \file Completing a non-blocking MPI call without spinning a core.

#include <mpi.h>

namespace multirank {

/// Waits for `request` (from MPI_Ireduce, MPI_Ibcast, MPI_Rget, ...) by polling MPI_Test with a
/// Backoff: Open MPI's own MPI_Wait spins at 100% CPU, which starves oversubscribed ranks.
void wait_request(MPI_Request& request);

/// Waits for every request in [requests, requests + count).
void wait_requests(MPI_Request* requests, int count);

}  // namespace multirank
