#include "multirank/core/launcher_watch.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "multirank/core/signals.hpp"

namespace multirank {
namespace {

/// The variable a launcher sets for each rank, and its value here ("" when none).
struct RankVariable {
  std::string name;
  std::string value;
};

RankVariable rank_variable() {
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"})
    if (const char* v = std::getenv(name)) return {name, v};
  return {};
}

/// The parent of `pid` (from /proc/PID/stat), or 0.
pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 1));
  std::string state;
  long ppid = 0;
  rest >> state >> ppid;
  return static_cast<pid_t>(ppid);
}

/// Whether `pid`'s environment holds NAME=VALUE (false when it cannot be read).
bool carries(pid_t pid, const RankVariable& var) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  const std::string wanted = var.name + "=" + var.value;
  std::string entry;
  while (std::getline(in, entry, '\0'))
    if (entry == wanted) return true;
  return false;
}

/// The nearest ancestor that is not part of this rank (a wrapper shell carries its variables).
pid_t find_launcher(const RankVariable& var) {
  pid_t pid = ::getppid();
  for (int hops = 0; hops < 16 && pid > 1 && carries(pid, var); ++hops) pid = parent_of(pid);
  return pid;
}

void watch(pid_t launcher, pid_t parent) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, launcher, 0));
  if (fd >= 0) {
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, -1) < 0) {
    }
  } else {
    // No pidfd (an old kernel): the parent changes when it dies and this process is adopted.
    while (::getppid() == parent && (launcher == parent || ::kill(launcher, 0) == 0))
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  stop_without_launcher("the launcher (pid " + std::to_string(launcher) +
                        ") is gone; stopping (journals sealed; resume once every rank has ended)");
}

std::once_flag g_started;

}  // namespace

void start_launcher_watch() {
  std::call_once(g_started, [] {
    const RankVariable var = rank_variable();
    if (var.name.empty()) return;  // not started by a launcher
    const pid_t parent = ::getppid();
    const pid_t launcher = find_launcher(var);
    if (launcher <= 1 && parent <= 1) return;  // adopted before we looked, or a launcher that is init itself
    std::thread(watch, launcher, parent).detach();
  });
}

}  // namespace multirank
