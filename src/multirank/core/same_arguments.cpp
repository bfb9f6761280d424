#include "multirank/core/same_arguments.hpp"

#include <mpi.h>

#include <string>

#include "multirank/core/error.hpp"
#include "multirank/core/wait.hpp"

namespace multirank {

void require_same_arguments(const Communicator& comm, const ArgumentDigest& digest, std::string_view what) {
  if (comm.size() == 1) return;
  // The largest digest and the largest complement are this rank's own exactly when every rank's
  // digest is the same.
  std::uint64_t mine[2] = {digest.value(), ~digest.value()};
  std::uint64_t most[2] = {0, 0};
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Iallreduce(mine, most, 2, MPI_UINT64_T, MPI_MAX, comm.native(), &request), "MPI_Iallreduce");
  wait_request(request);
  if (most[0] != mine[0] || most[1] != mine[1]) throw UsageError(std::string(what));
}

}  // namespace multirank
