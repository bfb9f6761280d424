#include "multirank/collective/nonblocking.hpp"

#include "multirank/core/error.hpp"
#include "multirank/core/wait.hpp"

namespace multirank {

void wait_request(MPI_Request& request) {
  if (request == MPI_REQUEST_NULL) return;
  wait_until([&] {
    int flag = 0;
    check_mpi(MPI_Test(&request, &flag, MPI_STATUS_IGNORE), "MPI_Test");
    return flag != 0;
  });
}

void wait_requests(MPI_Request* requests, int count) {
  if (count <= 0) return;
  wait_until([&] {
    int flag = 0;
    check_mpi(MPI_Testall(count, requests, &flag, MPI_STATUSES_IGNORE), "MPI_Testall");
    return flag != 0;
  });
}

}  // namespace multirank
