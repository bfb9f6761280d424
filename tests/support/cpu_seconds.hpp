#pragma once
// CPU time this process has used (user + system): what the "waiting ranks sleep" tests compare
// with wall time.
#include <sys/resource.h>

namespace multirank::testing {

/// User plus system CPU seconds of this process so far.
inline double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

}  // namespace multirank::testing
