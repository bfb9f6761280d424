#pragma once
/// \file The one way multirank waits: poll, and between polls back off from spinning to sleeping,
/// so a rank that waits for long uses well under 1% of a core. Every wait of the library (a
/// message, a request, a barrier, a lock, a queue's credit, the pool's coordinator) paces itself
/// with a Backoff; what differs between them is only its BackoffPolicy.

#include <mpi.h>

#include <chrono>
#include <thread>

namespace multirank {

/// How a Backoff paces a polling loop, phase after phase, measured from the first unsuccessful
/// poll of a wait:
/// 1. `tight_polls` polls back to back, without reading the clock (a small message on shared
///    memory lands within a microsecond or two, sooner than a clock read and a pause take);
/// 2. until `spin` has passed: a CPU pause hint per poll;
/// 3. until `yield` has passed: a sched_yield every `yield_every` polls (the polls between go
///    back to back, and only the yielding ones read the clock);
/// 4. then sleeps: `first_sleep`, doubling up to `max_sleep`; during the first `early_window`
///    of a wait, no sleep lasts longer than `early_cap` (for answers that usually come soon).
/// The default: 20 µs of spinning, yields until 200 µs, then sleeps from 10 µs doubling to 1 ms.
struct BackoffPolicy {
  unsigned tight_polls = 0;                       ///< polls back to back before anything else
  std::chrono::microseconds spin{20};             ///< end of the spinning phase
  std::chrono::microseconds yield{200};           ///< end of the yielding phase (<= spin: none)
  unsigned yield_every = 1;                       ///< polls per sched_yield while yielding
  std::chrono::microseconds first_sleep{10};      ///< the first sleep
  std::chrono::microseconds max_sleep{1000};      ///< the longest sleep
  std::chrono::microseconds early_cap{1000};      ///< the longest sleep during the early window
  std::chrono::microseconds early_window{0};      ///< how long sleeps stay capped at early_cap
};

/// Paces one polling loop with a BackoffPolicy: call pause() after each unsuccessful poll and
/// reset() after progress.
class Backoff {
 public:
  /// A Backoff with the default policy.
  Backoff() = default;
  /// A Backoff with `policy`.
  explicit Backoff(const BackoffPolicy& policy) noexcept : policy_(policy) {}

  /// Called once per unsuccessful poll: returns at once, spins, yields or sleeps, as the policy
  /// says for how long this wait has lasted.
  void pause() {
    if (sleep_due()) std::this_thread::sleep_for(next_sleep(policy_.max_sleep));
  }
  /// Like pause(), but a sleep is `sleep(duration)`'s to make (a wait on a condition variable,
  /// say, which may end early), and no sleep lasts longer than what `cap()` returns then (it is
  /// asked only when a sleep is due).
  template <class Sleep, class Cap>
  void pause_with(Sleep&& sleep, Cap&& cap) {
    if (sleep_due()) sleep(next_sleep(cap()));
  }
  /// Starts over after progress was made.
  void reset() noexcept {
    started_ = false;
    polls_ = 0;
  }
  /// The policy.
  [[nodiscard]] const BackoffPolicy& policy() const noexcept { return policy_; }

 private:
  // Passes, spins or yields as the phase says and returns false, or returns true: sleep now.
  bool sleep_due();
  // The sleep to make now, at most `cap`, and the next one doubled.
  std::chrono::microseconds next_sleep(std::chrono::microseconds cap) noexcept;

  BackoffPolicy policy_{};
  bool started_ = false;
  bool yielding_ = false;
  unsigned polls_ = 0;
  std::chrono::steady_clock::time_point start_{};
  std::chrono::steady_clock::duration waited_{};
  std::chrono::microseconds sleep_{10};
};

/// Polls `done` with a Backoff of `policy` until it returns true.
template <class Pred>
void wait_until(Pred&& done, const BackoffPolicy& policy = {}) {
  Backoff backoff(policy);
  while (!done()) backoff.pause();
}

/// Polls `done` until it returns true or `timeout` passes; returns whether it became true.
template <class Pred, class Rep, class Period>
bool wait_until_for(Pred&& done, std::chrono::duration<Rep, Period> timeout, const BackoffPolicy& policy = {}) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Backoff backoff(policy);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    backoff.pause();
  }
  return true;
}

/// Whether `request` completed (MPI_Test; a null request has); fills `status` when it did.
bool test_request(MPI_Request& request, MPI_Status* status = MPI_STATUS_IGNORE);

/// Waits for `request` (an MPI_Isend, MPI_Ibcast, MPI_Ireduce, MPI_Comm_idup, ...) by polling
/// MPI_Test with a Backoff: Open MPI's own MPI_Wait spins at 100% CPU, which starves
/// oversubscribed ranks. A null request returns at once.
void wait_request(MPI_Request& request, MPI_Status* status = MPI_STATUS_IGNORE, const BackoffPolicy& policy = {});

/// Waits for every request in [requests, requests + count), the same way.
void wait_requests(MPI_Request* requests, int count, const BackoffPolicy& policy = {});

}  // namespace multirank
