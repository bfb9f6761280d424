#include "multirank/core/signals.hpp"

#include <mpi.h>
#include <semaphore.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "multirank/core/environment.hpp"
#include "multirank/core/process_info.hpp"

namespace multirank {
namespace {

std::atomic<int> g_signal{0};
std::timed_mutex g_mutex;
std::map<int, std::function<void()>> g_flushers;
int g_next_id = 1;
std::once_flag g_installed;
sem_t g_wakeup;  // posted by the handler: sem_post is async-signal-safe
std::atomic<std::int64_t> g_flush_started_ns{0};  // when the watchdog began flushing (0: not yet)
std::atomic<bool> g_work_done{false};               // see note_work_done

/// A flush stuck this long gives way to a second signal.
constexpr std::int64_t kStuckFlushNs = 3'000'000'000;
#ifdef MPICH
/// MPICH's Hydra ends every other rank with SIGKILL, and no SIGTERM first, as soon as one rank
/// aborts. A rank with nothing to flush waits this long before it aborts, so that a rank with a
/// flush (rank 0's journal) finishes it and ends the job itself.
constexpr auto kHydraFlushGrace = std::chrono::milliseconds(1500);
#endif

std::int64_t monotonic_ns() noexcept {  // clock_gettime is async-signal-safe
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

extern "C" void on_stop_signal(int sig) {
  if (g_work_done.load()) _exit(128 + sig);  // finalizing: nothing left to flush or to say
  int expected = 0;
  if (!g_signal.compare_exchange_strong(expected, sig)) {
    // A second signal. Under mpirun it is mostly Open MPI relaying another rank's MPI_Abort
    // (or following up its own SIGTERM): ending now would cut this rank's flush short, and
    // mpirun sends SIGKILL a second later anyway. Only a flush stuck for seconds gives way.
    const std::int64_t started = g_flush_started_ns.load();
    if (started != 0 && monotonic_ns() - started > kStuckFlushNs) _exit(128 + sig);
    return;
  }
  sem_post(&g_wakeup);
}

[[noreturn]] void stop_now(int sig) {
  g_flush_started_ns.store(monotonic_ns());
  {
    std::lock_guard<std::timed_mutex> lock(g_mutex);
#ifdef MPICH
    if (g_flushers.empty()) std::this_thread::sleep_for(kHydraFlushGrace);
#endif
    for (auto& [id, flush] : g_flushers) {
      try {
        flush();
      } catch (...) {  // a failing flush must not keep the job alive
      }
    }
  }
  // Another rank's failure reaches this rank as the launcher's SIGTERM: name that rank and why.
  std::string message = std::string("stopped by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM");
  const std::string cause = Environment::failure_notice();
  if (!cause.empty()) message += " after " + cause;
  Environment::abort(128 + sig, message, Environment::AbortCause::stop);
}

void watchdog() {
  while (g_signal.load() == 0) {
    if (sem_wait(&g_wakeup) != 0 && errno != EINTR) return;
  }
  stop_now(g_signal.load());
}

}  // namespace

void install_stop_handlers() {
  std::call_once(g_installed, [] {
    sem_init(&g_wakeup, 0, 0);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::thread(watchdog).detach();
  });
}

void note_work_done() noexcept { g_work_done.store(true); }

bool stop_requested() noexcept { return g_signal.load(std::memory_order_relaxed) != 0; }

int register_flush(std::function<void()> flush) {
  std::lock_guard<std::timed_mutex> lock(g_mutex);
  const int id = g_next_id++;
  g_flushers.emplace(id, std::move(flush));
  return id;
}

void unregister_flush(int id) {
  std::lock_guard<std::timed_mutex> lock(g_mutex);
  g_flushers.erase(id);
}

void stop_without_launcher(const std::string& message) {
  int expected = 0;
  g_signal.compare_exchange_strong(expected, SIGHUP);  // stop_requested() from now on: take no more work
  if (g_mutex.try_lock_for(std::chrono::seconds(1))) {  // a stop signal's watchdog may be flushing already
    for (auto& [id, flush] : g_flushers) {
      try {
        flush();
      } catch (...) {
      }
    }
    g_mutex.unlock();
  }
  std::signal(SIGPIPE, SIG_IGN);  // stderr is often a pipe to the launcher that died
  const int rank = world_rank();
  const std::string line = (rank >= 0 ? "multirank: rank " + std::to_string(rank) + " on " : std::string("multirank on ")) +
                           host_name() + ": " + message + "\n";
  std::fflush(stdout);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  _exit(1);
}

}  // namespace multirank
