// multirank-farm-spawner: the one small process per farm rank that starts the rank's tasks, so the
// MPI process never forks, and that holds them, so that no task outlives its rank.
//
// Started by the rank with posix_spawn in a process group of its own (mpirun's and the
// terminal's signals to the rank's group do not reach it), with the tasks' environment and only
// its sockets and spool files open (see farm_protocol.hpp). For each request it posix_spawns
// `/bin/sh -c COMMAND` in a new process group, stdin from /dev/null, stdout and stderr to the
// slot's spool files (or to log files), no other file descriptor, default signal dispositions
// and an empty signal mask, and answers when the shell has been reaped. Then whatever the task
// left running in its group is killed. A timeout sends SIGTERM to the group, SIGKILL 5 s later.
//
// The rank's death, however it dies (SIGKILL included), closes its end of the sockets: the spawner
// then kills every task group (at once; or, when a stop signal was passed on to them just before,
// once they have had 1 s since that signal) and exits. After a stop signal no new task starts. PR_SET_PDEATHSIG (SIGTERM) and a check of the parent's pid cover
// the same case. It is also a child subreaper: processes a task orphaned come to it, and any
// still running at the end are killed too.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <string>
#include <vector>

#include "../farm_protocol.hpp"

extern char** environ;

namespace {

namespace proto = multirank::cli::farm::protocol;

double monotonic() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
double realtime() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// One slot: its socket to the rank, its spool files, and the task running in it.
struct Slot {
  int socket = -1;
  int out = -1;
  int err = -1;
  pid_t pid = 0;                 // 0: idle
  bool timed_out = false;
  int signal_sent = 0;
  double term_at = 0.0;          // monotonic deadline of SIGTERM (0: none)
  double kill_at = 0.0;          // monotonic deadline of SIGKILL (0: none)
  double start_mono = 0.0;
  double start_unix = 0.0;
};

std::vector<Slot> slots;
pid_t parent = 0;
int control = -1;
double stop_grace_until = 0.0;   // a stop signal was passed on: the rank's end waits this long
bool stopping = false;           // ... and no new task starts (the job is ending)

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "multirank-farm-spawner: %s: %s\n", what, std::strerror(errno));
  std::_Exit(70);
}

int to_int(const char* s) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0') {
    std::fprintf(stderr, "multirank-farm-spawner: bad argument '%s' (started by multirank farm only)\n", s);
    std::_Exit(64);
  }
  return static_cast<int>(v);
}

void send_all(int fd, const void* data, std::size_t bytes) {
  while (::send(fd, data, bytes, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

/// Sends `sig` to every running task's group (optionally only those past a deadline).
void signal_all(int sig) {
  for (auto& s : slots)
    if (s.pid > 0) {
      ::kill(-s.pid, sig);
      s.signal_sent = sig;
    }
}

/// Kills every process this spawner still has: the tasks' groups, then any orphan it adopted
/// (a child subreaper's children), and reaps them.
[[noreturn]] void kill_everything_and_exit(int code) {
  signal_all(SIGKILL);
  // Orphans that left their group (setsid) but were reparented here.
  const pid_t self = ::getpid();
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
      if (pid <= 0) continue;
      char path[64];
      std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
      FILE* f = std::fopen(path, "re");
      if (!f) continue;
      char buf[512];
      const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
      std::fclose(f);
      buf[n] = '\0';
      const char* rp = std::strrchr(buf, ')');  // "pid (comm) state ppid ..."
      int ppid = 0;
      char state = 0;
      if (rp && std::sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == self) ::kill(pid, SIGKILL);
    }
    ::closedir(d);
  }
  while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
  std::_Exit(code);
}

/// The rank is gone: its tasks go too.
[[noreturn]] void rank_gone() {
  const double until = stop_grace_until;
  if (until > 0.0) {  // they were asked to stop: give them a moment
    while (monotonic() < until) {
      bool any = false;
      for (auto& s : slots) {
        if (s.pid <= 0) continue;
        int st = 0;
        const pid_t r = ::waitpid(s.pid, &st, WNOHANG);
        if (r == s.pid) {
          ::kill(-s.pid, SIGKILL);
          s.pid = 0;
        } else {
          any = true;
        }
      }
      if (!any) break;
      ::usleep(20000);
    }
  }
  kill_everything_and_exit(0);
}

char** task_environment(std::vector<char*>& env, std::string (&own)[3], const proto::SpawnRequest& r) {
  own[0] = "MULTIRANK_TASK=" + std::to_string(r.task);
  own[1] = "MULTIRANK_SLOT=" + std::to_string(r.slot);
  own[2] = "MULTIRANK_ATTEMPT=" + std::to_string(r.attempt);
  env.resize(env.size() - 4);  // the base environment, then the three of this task and the null
  for (auto& s : own) env.push_back(s.data());
  env.push_back(nullptr);
  return env.data();
}

void reply_failure(int socket, int err) {
  proto::DoneReply d;
  d.spawn_errno = err;
  d.stopped = stopping ? 1 : 0;
  d.start_unix = d.end_unix = realtime();
  send_all(socket, &d, sizeof d);
}

void spawn(Slot& slot, const char* message, std::size_t bytes, std::vector<char*>& env) {
  proto::SpawnRequest r;
  if (bytes < sizeof r) return reply_failure(slot.socket, EPROTO);
  std::memcpy(&r, message, sizeof r);
  if (bytes != sizeof r + std::size_t{r.command_bytes} + r.out_bytes + r.err_bytes)
    return reply_failure(slot.socket, EPROTO);
  const char* p = message + sizeof r;
  std::string command(p, r.command_bytes);
  p += r.command_bytes;
  std::string out_path(p, r.out_bytes);
  p += r.out_bytes;
  std::string err_path(p, r.err_bytes);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (r.flags & proto::kLogFiles) {
    posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  } else {
    posix_spawn_file_actions_adddup2(&fa, slot.out, 1);
    posix_spawn_file_actions_adddup2(&fa, slot.err, 2);
  }
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);  // nothing but 0-2, whatever was left open
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  std::string own[3];
  char* argv[] = {const_cast<char*>("/bin/sh"), const_cast<char*>("-c"), command.data(), nullptr};
  slot.start_unix = realtime();
  slot.start_mono = monotonic();
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, task_environment(env, own, r));
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return reply_failure(slot.socket, rc);
  slot.pid = pid;
  slot.timed_out = false;
  slot.signal_sent = 0;
  slot.term_at = r.timeout > 0 ? slot.start_mono + r.timeout : 0.0;
  slot.kill_at = 0.0;
}

void reap() {
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (auto& s : slots) {
      if (s.pid != pid) continue;
      ::kill(-pid, SIGKILL);  // what the task left behind in its group ends with it
      proto::DoneReply d;
      d.pid = pid;
      d.wait_status = status;
      d.signal_sent = s.signal_sent;
      d.timed_out = s.timed_out ? 1 : 0;
      d.stopped = stopping ? 1 : 0;
      d.start_unix = s.start_unix;
      d.end_unix = realtime();
      d.seconds = monotonic() - s.start_mono;
      s.pid = 0;
      s.term_at = s.kill_at = 0.0;
      send_all(s.socket, &d, sizeof d);
      break;
    }
  }
}

void check_deadlines() {
  const double now = monotonic();
  for (auto& s : slots) {
    if (s.pid <= 0) continue;
    if (s.term_at > 0.0 && now >= s.term_at) {
      ::kill(-s.pid, SIGTERM);
      s.timed_out = true;
      s.signal_sent = SIGTERM;
      s.term_at = 0.0;
      s.kill_at = now + proto::kKillAfterSeconds;
    } else if (s.kill_at > 0.0 && now >= s.kill_at) {
      ::kill(-s.pid, SIGKILL);
      s.signal_sent = SIGKILL;
      s.kill_at = 0.0;
    }
  }
}

int poll_timeout_ms() {
  double next = 0.0;
  for (const auto& s : slots) {
    if (s.pid <= 0) continue;
    for (const double t : {s.term_at, s.kill_at})
      if (t > 0.0 && (next == 0.0 || t < next)) next = t;
  }
  if (next == 0.0) return 1000;  // also re-checks the parent now and then
  const double ms = (next - monotonic()) * 1000.0;
  return ms <= 0 ? 0 : static_cast<int>(ms) + 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "multirank-farm-spawner: started by multirank farm only\n");
    return 64;
  }
  parent = static_cast<pid_t>(to_int(argv[1]));
  const int k = to_int(argv[2]);
  if (k < 1 || argc != 4 + 3 * k) {
    std::fprintf(stderr, "multirank-farm-spawner: expected %d descriptors\n", 3 * k + 1);
    return 64;
  }
  control = to_int(argv[3]);
  slots.resize(static_cast<std::size_t>(k));
  for (int i = 0; i < k; ++i) {
    slots[static_cast<std::size_t>(i)].socket = to_int(argv[4 + i]);
    slots[static_cast<std::size_t>(i)].out = to_int(argv[4 + k + i]);
    slots[static_cast<std::size_t>(i)].err = to_int(argv[4 + 2 * k + i]);
  }
  for (int fd : {control}) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  for (auto& s : slots)
    for (int fd : {s.socket, s.out, s.err}) ::fcntl(fd, F_SETFD, FD_CLOEXEC);

  // Default dispositions everywhere (a rank may ignore SIGPIPE, say), so the tasks inherit them.
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
  sigset_t mine;
  sigemptyset(&mine);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&mine, sig);
  if (::sigprocmask(SIG_BLOCK, &mine, nullptr) != 0) die("sigprocmask");
  const int sigfd = ::signalfd(-1, &mine, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0) die("signalfd");
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (::getppid() != parent) rank_gone();

  // The tasks' environment: ours, then three per task, then the null.
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) env.push_back(*e);
  for (int i = 0; i < 4; ++i) env.push_back(nullptr);

  std::vector<pollfd> fds;
  fds.push_back({sigfd, POLLIN, 0});
  fds.push_back({control, POLLIN, 0});
  for (auto& s : slots) fds.push_back({s.socket, POLLIN, 0});
  std::vector<char> message(proto::kMaxMessageBytes);

  for (;;) {
    const int n = ::poll(fds.data(), fds.size(), poll_timeout_ms());
    if (n < 0 && errno != EINTR) die("poll");
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      while (::read(sigfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        if (info.ssi_signo == SIGCHLD) continue;  // reaped below
        if (::getppid() != parent) rank_gone();
        // The rank speaks through the sockets, never by signals: a SIGTERM from it while it lives
        // is the death signal of the thread that started this process, not of the rank.
        if (static_cast<pid_t>(info.ssi_pid) == parent) continue;
        // Told to stop by someone else (scancel signals every process of the job step): the tasks
        // stop too, and no new one starts; the rank, stopped as well, closes its end soon.
        signal_all(SIGTERM);
        if (!stopping) stop_grace_until = monotonic() + proto::kStopGraceSeconds;
        stopping = true;
      }
    }
    reap();
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t got = ::recv(control, message.data(), message.size(), 0);
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        rank_gone();
      }
      proto::SignalRequest r;
      if (static_cast<std::size_t>(got) >= sizeof r) {
        std::memcpy(&r, message.data(), sizeof r);
        if (r.kind == proto::kSignalAll) {
          signal_all(r.signal);
          if (!stopping) stop_grace_until = monotonic() + proto::kStopGraceSeconds;
          stopping = true;
        }
      }
    }
    for (std::size_t i = 0; i < slots.size(); ++i) {
      auto& pfd = fds[2 + i];
      if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = ::recv(pfd.fd, message.data(), message.size(), 0);
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        rank_gone();  // the rank closed its end: it ended (or it is done with us)
      }
      if (slots[i].pid > 0) continue;  // one task per slot; the rank never asks for two
      if (stopping) {
        reply_failure(slots[i].socket, ECANCELED);  // the rank is stopping: its queued tasks never start
        continue;
      }
      spawn(slots[i], message.data(), static_cast<std::size_t>(got), env);
    }
    check_deadlines();
    if (::getppid() != parent) rank_gone();
  }
}
