#pragma once
/// \file Waiting without burning a core: spin briefly for latency, then sleep with a growing period.

#include <chrono>
#include <optional>

namespace multirank {

/// Paces a polling loop: about 20 µs of spinning (a message in flight on shared memory lands well
/// within that), then yields, then sleeps from 10 µs doubling up to 1 ms, so a rank that waits
/// for seconds uses well under 1% of a core.
class Backoff {
 public:
  /// Called once per unsuccessful poll.
  void pause();
  /// Starts over after progress was made.
  void reset() noexcept { started_ = false; }
  /// For waits whose answer usually comes soon: during the first `window` of each wait, sleeps
  /// last at most `cap` (afterwards up to 1 ms as usual).
  void cap_early_sleeps(std::chrono::microseconds cap, std::chrono::microseconds window) noexcept {
    early_cap_ = cap;
    early_window_ = window;
  }

 private:
  bool started_ = false;
  std::chrono::steady_clock::time_point start_{};
  std::chrono::microseconds sleep_{10};
  std::chrono::microseconds early_cap_{1000};
  std::chrono::microseconds early_window_{0};
};

/// Polls `done` with a Backoff until it returns true.
template <class Pred>
void wait_until(Pred&& done) {
  Backoff backoff;
  while (!done()) backoff.pause();
}

/// Polls `done` until it returns true or `timeout` passes; returns whether it became true.
template <class Pred, class Rep, class Period>
bool wait_until_for(Pred&& done, std::chrono::duration<Rep, Period> timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Backoff backoff;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    backoff.pause();
  }
  return true;
}

}  // namespace multirank
