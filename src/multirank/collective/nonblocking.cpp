#include "multirank/collective/nonblocking.hpp"

#include "multirank/core/error.hpp"
#include "multirank/core/wait.hpp"

namespace multirank {

void wait_request(MPI_Request& request) {
  if (request == MPI_REQUEST_NULL) return;
  wait_until([&] { return detail::test_request(request); });
}

void wait_requests(MPI_Request* requests, int count) {
  if (count <= 0) return;
  wait_until([&] { return detail::test_requests(count, requests); });
}

}  // namespace multirank
