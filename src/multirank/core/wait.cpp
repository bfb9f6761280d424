#include "multirank/core/wait.hpp"

#include <sched.h>

#include <algorithm>

#include "multirank/core/error.hpp"

namespace multirank {

bool Backoff::sleep_due() {
  using std::chrono::steady_clock;
  if (!started_) {
    if (polls_ < policy_.tight_polls) {
      ++polls_;
      return false;
    }
    started_ = true;
    yielding_ = false;
    polls_ = 0;
    start_ = steady_clock::now();
    sleep_ = policy_.first_sleep;
  }
  // While yielding every n-th poll, the polls between neither yield nor read the clock.
  if (yielding_ && policy_.yield_every > 1 && ++polls_ % policy_.yield_every != 0) return false;
  waited_ = steady_clock::now() - start_;
  if (waited_ < policy_.spin) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    return false;
  }
  if (waited_ < policy_.yield) {
    yielding_ = true;
    sched_yield();
    return false;
  }
  yielding_ = false;
  return true;
}

std::chrono::microseconds Backoff::next_sleep(std::chrono::microseconds cap) noexcept {
  const auto limit = std::max(std::chrono::microseconds(1),
                              std::min(waited_ < policy_.early_window ? policy_.early_cap : policy_.max_sleep, cap));
  sleep_ = std::min(sleep_, limit);
  const auto now = sleep_;
  sleep_ = std::min(sleep_ * 2, limit);
  return now;
}

bool test_request(MPI_Request& request, MPI_Status* status) {
  if (request == MPI_REQUEST_NULL) return true;
  return detail::test_request(request, status);
}

void wait_request(MPI_Request& request, MPI_Status* status, const BackoffPolicy& policy) {
  if (request == MPI_REQUEST_NULL) return;
  wait_until([&] { return test_request(request, status); }, policy);
}

void wait_requests(MPI_Request* requests, int count, const BackoffPolicy& policy) {
  if (count <= 0) return;
  wait_until([&] { return detail::test_requests(count, requests); }, policy);
}

}  // namespace multirank
