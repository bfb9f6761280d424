#pragma once
/// \file A waitable handle on a non-blocking operation; waiting never spins a core for long.

#include <mpi.h>

#include <chrono>
#include <memory>
#include <vector>

namespace multirank {

/// A non-blocking send (possibly several MPI requests for a split message) and whatever it keeps
/// alive until completion. Move-only; the destructor waits, so a message is never dropped.
class Request {
 public:
  Request() = default;
  Request(std::vector<MPI_Request> requests, std::shared_ptr<const void> keep_alive)
      : requests_(std::move(requests)), keep_(std::move(keep_alive)) {}
  Request(Request&&) noexcept = default;
  Request& operator=(Request&& other) noexcept;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request();

  /// Blocks (sleeping, not spinning) until the operation completed.
  void wait();
  /// True once completed; never blocks.
  bool test();
  /// Waits at most `timeout`; returns whether it completed.
  bool wait_for(std::chrono::duration<double> timeout);
  /// True when there is nothing left to complete.
  [[nodiscard]] bool done() const noexcept { return requests_.empty(); }

 private:
  std::vector<MPI_Request> requests_;
  std::shared_ptr<const void> keep_;
};

/// Waits for all of them.
void wait_all(std::vector<Request>& requests);

}  // namespace multirank
