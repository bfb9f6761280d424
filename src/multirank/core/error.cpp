#include "multirank/core/error.hpp"

namespace multirank {
namespace {
/// The name of an MPI error class, for the classes a library user is likely to meet.
const char* class_name(int error_class) {
  switch (error_class) {
    case MPI_ERR_BUFFER: return "MPI_ERR_BUFFER";
    case MPI_ERR_COUNT: return "MPI_ERR_COUNT";
    case MPI_ERR_TYPE: return "MPI_ERR_TYPE";
    case MPI_ERR_TAG: return "MPI_ERR_TAG";
    case MPI_ERR_COMM: return "MPI_ERR_COMM";
    case MPI_ERR_RANK: return "MPI_ERR_RANK";
    case MPI_ERR_REQUEST: return "MPI_ERR_REQUEST";
    case MPI_ERR_ROOT: return "MPI_ERR_ROOT";
    case MPI_ERR_OP: return "MPI_ERR_OP";
    case MPI_ERR_ARG: return "MPI_ERR_ARG";
    case MPI_ERR_TRUNCATE: return "MPI_ERR_TRUNCATE";
    case MPI_ERR_OTHER: return "MPI_ERR_OTHER";
    case MPI_ERR_INTERN: return "MPI_ERR_INTERN";
    case MPI_ERR_IN_STATUS: return "MPI_ERR_IN_STATUS";
    case MPI_ERR_PENDING: return "MPI_ERR_PENDING";
    case MPI_ERR_WIN: return "MPI_ERR_WIN";
    case MPI_ERR_RMA_SYNC: return "MPI_ERR_RMA_SYNC";
    case MPI_ERR_NO_MEM: return "MPI_ERR_NO_MEM";
    default: return nullptr;
  }
}

std::string describe(const std::string& routine, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) len = 0;
  std::string what = routine + " failed with code " + std::to_string(code);
  int error_class = 0;
  if (MPI_Error_class(code, &error_class) == MPI_SUCCESS)
    if (const char* name = class_name(error_class)) what += std::string(" (") + name + ")";
  return what + ": " + std::string(text, static_cast<size_t>(len));
}
}  // namespace

MpiError::MpiError(std::string routine, int code)
    : Error(describe(routine, code)), routine_(std::move(routine)), code_(code) {}

namespace detail {
namespace {
thread_local int library_tests = 0;

/// Marks this thread as completing one of the library's requests while it lives.
struct LibraryTest {
  LibraryTest() noexcept { ++library_tests; }
  ~LibraryTest() { --library_tests; }
  LibraryTest(const LibraryTest&) = delete;
  LibraryTest& operator=(const LibraryTest&) = delete;
};
}  // namespace

bool test_request(MPI_Request& request, MPI_Status* status) {
  int flag = 0;
  int rc = MPI_SUCCESS;
  {
    const LibraryTest scope;
    rc = MPI_Test(&request, &flag, status);
  }
  check_mpi(rc, "MPI_Test");
  return flag != 0;
}

bool test_requests(int count, MPI_Request* requests) {
  int flag = 0;
  int rc = MPI_SUCCESS;
  {
    const LibraryTest scope;
    rc = MPI_Testall(count, requests, &flag, MPI_STATUSES_IGNORE);
  }
  check_mpi(rc, "MPI_Testall");
  return flag != 0;
}

bool testing_library_request() noexcept { return library_tests > 0; }

}  // namespace detail

}  // namespace multirank
