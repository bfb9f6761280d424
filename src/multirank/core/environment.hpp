#pragma once
/// \file MPI's lifetime: RAII init/finalize, and an escaping exception ends the whole job.

#include <functional>
#include <string_view>

namespace multirank {

/// MPI thread support levels, weakest first.
enum class ThreadLevel { single, funneled, serialized, multiple };

/// Initialises MPI on construction and finalises it on destruction. Requests `required`
/// (default: multiple, which the pool's coordinator thread needs) and throws if MPI cannot give it.
/// While it lives, std::terminate (an exception escaping a thread, say) ends the whole job with
/// the message on stderr instead of leaving the other ranks hanging.
class Environment {
 public:
  /// Checks, with every rank, that MULTIRANK_MESSAGE_CHUNK_BYTES is valid and the same on every
  /// rank; if not, the lowest rank at fault prints one line naming it and every rank finalizes and
  /// exits with code 2. Under a launcher, a watch on it starts first (launcher_watch.hpp).
  Environment(int& argc, char**& argv, ThreadLevel required = ThreadLevel::multiple);
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;
  /// Finalises MPI once every rank has come this far (waiting without spinning); if an exception
  /// is propagating, aborts the job instead (a rank that finalises while others wait for it would
  /// hang them).
  ~Environment();

  /// The thread level MPI provided.
  [[nodiscard]] ThreadLevel provided() const noexcept { return provided_; }
  /// Whether MPI is initialised and not yet finalised.
  static bool active();
  /// Whether this process turned off Open MPI's mpi_yield_when_idle (the user had not set it):
  /// multirank's waits sleep by themselves, and MPI's yields in every poll only slow them down.
  static bool mpi_yield_turned_off();
  /// Why a job is aborted: a failure on this rank, or a stop (a signal) that every rank gets.
  enum class AbortCause { failure, stop };
  /// Prints "multirank: rank R on HOST: message" to stderr ("multirank on HOST: message" without
  /// MPI) and aborts every rank with `code`. For a failure, every other rank is first sent a
  /// short notice (rank, host, message), so that the ranks the launcher then stops can say which
  /// rank failed first and why (failure_notice()).
  [[noreturn]] static void abort(int code, std::string_view message, AbortCause cause = AbortCause::failure);
  /// "rank R on HOST failed first: message" when another rank's failure notice has arrived (waiting
  /// for it at most about 50 ms), else "". For a rank being stopped by the launcher.
  static std::string failure_notice();

 private:
  ThreadLevel provided_ = ThreadLevel::single;
  bool owns_ = false;
};

/// For code that blocks inside MPI (HDF5's parallel I/O, a plain MPI_Recv): while it lives, and
/// if multirank turned mpi_yield_when_idle off on an oversubscribed node, Open MPI yields the
/// core in idle polls again, as it does there by default; otherwise (and with an MPI other than
/// Open MPI) it does nothing. Scopes may nest and overlap across threads; the last to end
/// restores the setting the first found.
class BlockingMpiScope {
 public:
  BlockingMpiScope();
  BlockingMpiScope(const BlockingMpiScope&) = delete;
  BlockingMpiScope& operator=(const BlockingMpiScope&) = delete;
  ~BlockingMpiScope();

 private:
  bool changed_ = false;
};

/// Whether mpirun found this node oversubscribed (more ranks than slots), the flag from which
/// Open MPI 4.1 turns mpi_yield_when_idle on; false where the launcher does not say.
bool node_oversubscribed();

/// Runs `body` between MPI init and finalize and returns its exit code. An exception escaping
/// `body` on any rank aborts the whole job with that rank's message and exit code 1.
int run_main(int& argc, char**& argv, const std::function<int()>& body,
             ThreadLevel required = ThreadLevel::multiple);

}  // namespace multirank
