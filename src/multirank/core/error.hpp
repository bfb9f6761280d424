#pragma once
/// \file Errors: every MPI call is checked and turned into an exception.

#include <mpi.h>

#include <stdexcept>
#include <string>

namespace multirank {

/// An MPI routine returned an error code; carries the routine, the code and MPI_Error_string.
class MpiError : public std::runtime_error {
 public:
  MpiError(std::string routine, int code);
  /// The MPI routine that failed, e.g. "MPI_Send".
  [[nodiscard]] const std::string& routine() const noexcept { return routine_; }
  /// The MPI error code it returned.
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  std::string routine_;
  int code_;
};

/// Invalid use of the library: a rank, tag, size or argument that cannot be right.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Throws MpiError unless `rc` is MPI_SUCCESS.
inline void check_mpi(int rc, const char* routine) {
  if (rc != MPI_SUCCESS) throw MpiError(routine, rc);
}

namespace detail {

/// MPI_Test on one of the library's requests: whether it completed; throws MpiError if it failed.
/// \note MPICH 4.0 raises the errors of a request's completion on MPI_COMM_WORLD, not on the
///   request's communicator, whose MPI_ERRORS_RETURN it ignores. The Environment gives MPI_COMM_WORLD
///   a handler that lets the error return to these calls (and is fatal, as by default, for any
///   other call); see Environment.
bool test_request(MPI_Request& request, MPI_Status* status = MPI_STATUS_IGNORE);
/// MPI_Testall over the library's requests, as test_request.
bool test_requests(int count, MPI_Request* requests);
/// Whether this thread is inside test_request / test_requests (for the MPICH world handler).
bool testing_library_request() noexcept;

}  // namespace detail

}  // namespace multirank
