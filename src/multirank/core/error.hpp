#pragma once
/// \file The library's errors: one root, multirank::Error, and a type per kind of failure under it,
/// so a caller can catch the library as a whole or one kind. Every MPI call is checked and turned
/// into an MpiError.
///
/// - UsageError: the caller's mistake (a rank, tag, size or option that cannot be right); the CLI
///   exits 2 on it;
/// - MpiError: an MPI routine failed;
/// - ProtocolError: bytes that arrived are not what the receiving end expects (a corrupt or
///   truncated message, or two ends built for different types);
/// - TaskError and CancelledError (pool/task_error.hpp), PipelineError (pipeline/pipeline.hpp),
///   and the study component's StudyError with Hdf5Error and PlotError under it.

#include <mpi.h>

#include <concepts>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace multirank {

/// The root of every exception multirank throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An MPI routine returned an error code; carries the routine, the code and MPI_Error_string.
class MpiError : public Error {
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
class UsageError : public Error {
 public:
  using Error::Error;
};

/// Wire data that is corrupt or not what this end expects: a truncated or malformed message, a
/// batch that breaks the protocol, or a peer that sends another type than this end receives.
class ProtocolError : public Error {
 public:
  using Error::Error;
};

/// `value` as a To, or UsageError naming `what` when it does not fit (a count that an MPI call,
/// a message header or a protocol field cannot carry).
template <std::integral To, std::integral From>
constexpr To checked_cast(From value, const char* what) {
  if (!std::in_range<To>(value))
    throw UsageError(std::string(what) + " " + std::to_string(value) + " is out of range (" +
                     std::to_string(std::numeric_limits<To>::min()) + " .. " +
                     std::to_string(std::numeric_limits<To>::max()) + ")");
  return static_cast<To>(value);
}

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
