#include "multirank/core/wait.hpp"

#include <sched.h>

#include <thread>

namespace multirank {

void Backoff::pause() {
  using namespace std::chrono;
  constexpr auto spin_for = microseconds(20);
  constexpr auto yield_for = microseconds(200);
  constexpr auto max_sleep = microseconds(1000);
  const auto now = steady_clock::now();
  if (!started_) {
    started_ = true;
    start_ = now;
    sleep_ = microseconds(10);
  }
  const auto waited = now - start_;
  if (waited < spin_for) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    return;
  }
  if (waited < yield_for) {
    sched_yield();
    return;
  }
  const auto cap = waited < early_window_ ? early_cap_ : max_sleep;
  sleep_ = std::min(sleep_, cap);
  std::this_thread::sleep_for(sleep_);
  sleep_ = std::min(sleep_ * 2, cap);
}

}  // namespace multirank
