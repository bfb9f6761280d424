#include "multirank/core/finalize.hpp"

#include <mpi.h>

#include <mutex>
#include <utility>
#include <vector>

#include "multirank/core/error.hpp"

namespace multirank::detail {
namespace {

std::mutex releases_mutex;
std::vector<std::function<void()>> releases;

int run_releases(MPI_Comm /*comm*/, int /*keyval*/, void* /*value*/, void* /*extra*/) {
  std::vector<std::function<void()>> now;
  {
    const std::lock_guard<std::mutex> lock(releases_mutex);
    now.swap(releases);
  }
  for (auto it = now.rbegin(); it != now.rend(); ++it) (*it)();
  return MPI_SUCCESS;
}

}  // namespace

void at_mpi_finalize(std::function<void()> release) {
  const std::lock_guard<std::mutex> lock(releases_mutex);
  if (releases.empty()) {  // the first since MPI_Init (or since the last finalize): arm the callback
    int keyval = MPI_KEYVAL_INVALID;
    check_mpi(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, &run_releases, &keyval, nullptr),
              "MPI_Comm_create_keyval");
    check_mpi(MPI_Comm_set_attr(MPI_COMM_SELF, keyval, nullptr), "MPI_Comm_set_attr");
    MPI_Comm_free_keyval(&keyval);  // the attribute keeps it until MPI_COMM_SELF is freed
  }
  releases.push_back(std::move(release));
}

}  // namespace multirank::detail
