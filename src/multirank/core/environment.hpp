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
  /// Prints "multirank: rank R on HOST: message" to stderr and aborts every rank with `code`.
  [[noreturn]] static void abort(int code, std::string_view message);

 private:
  ThreadLevel provided_ = ThreadLevel::single;
  bool owns_ = false;
};

/// Runs `body` between MPI init and finalize and returns its exit code. An exception escaping
/// `body` on any rank aborts the whole job with that rank's message and exit code 1.
int run_main(int& argc, char**& argv, const std::function<int()>& body,
             ThreadLevel required = ThreadLevel::multiple);

}  // namespace multirank
