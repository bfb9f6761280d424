#include "farm_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "farm_protocol.hpp"
#include "launcher_env.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/signals.hpp"

extern char** environ;

namespace multirank::cli::farm {
namespace {

namespace proto = protocol;


std::string os_error(int err) { return std::strerror(err); }

/// An unlinked temporary file for a slot's spooled output (TMPDIR, else /tmp).
int spool_file() {
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir = (tmp && *tmp) ? tmp : "/tmp";
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string path = dir + "/multirank-farm-spool-XXXXXX";
  fd = ::mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot create a spool file in " + dir + ": " + os_error(errno));
  ::unlink(path.c_str());
  return fd;
}

}  // namespace

namespace {
/// Copied while static objects are initialised, before main and so before MPI_Init.
struct StartupEnvironment {
  std::vector<std::string> entries;
  StartupEnvironment() {
    for (char** e = environ; e && *e; ++e) entries.emplace_back(*e);
  }
};
const StartupEnvironment startup;
}  // namespace

const std::vector<std::string>& startup_environment() { return startup.entries; }

std::vector<std::string> task_environment(const std::vector<std::string>& environment, int rank, int size) {
  std::vector<std::string> out;
  for (const std::string& e : environment) {
    const std::string_view entry(e);
    const std::string_view name = entry.substr(0, entry.find('='));
    if (is_launcher_variable(name)) continue;
    // A farm run by a farm's task: its own values replace the outer farm's.
    if (name == "MULTIRANK_RANK" || name == "MULTIRANK_SIZE" || name == "MULTIRANK_TASK" || name == "MULTIRANK_SLOT" ||
        name == "MULTIRANK_ATTEMPT")
      continue;
    out.emplace_back(entry);
  }
  out.push_back("MULTIRANK_RANK=" + std::to_string(rank));
  out.push_back("MULTIRANK_SIZE=" + std::to_string(size));
  return out;
}

std::string Spawner::locate() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw UsageError("cannot find the running executable (/proc/self/exe): " + ec.message());
  const auto spawner = self.parent_path() / "multirank-farm-spawner";
  if (::access(spawner.c_str(), X_OK) != 0)
    throw UsageError("the task spawner " + spawner.string() + " is missing (it is built and installed beside " +
                     self.filename().string() + ")");
  return spawner.string();
}

Spawner::Spawner(const std::string& program, int slots, std::vector<std::string> environment) {
  if (slots < 1) throw UsageError("a spawner needs at least one slot");
  // Sockets: control, then one per slot. The child's ends and the spool files are passed at fixed
  // numbers from 3 on; every other descriptor of this process stays closed to it.
  std::vector<int> child_fds;
  auto pair = [&](int& mine) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
      throw std::runtime_error("socketpair: " + os_error(errno));
    const int buf = static_cast<int>(2 * proto::kMaxMessageBytes);
    for (int fd : sv) {
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    }
    mine = sv[0];
    child_fds.push_back(sv[1]);
  };
  pair(control_);
  slots_.resize(static_cast<std::size_t>(slots));
  for (auto& s : slots_) pair(s.socket);
  for (auto& s : slots_) {
    s.out = spool_file();
    child_fds.push_back(s.out);
  }
  for (auto& s : slots_) {
    s.err = spool_file();
    child_fds.push_back(s.err);
  }
  // Copies above every target number, so that no dup2 overwrites a source still to be moved.
  const int first_free = 3 + static_cast<int>(child_fds.size());
  std::vector<int> sources;
  for (int fd : child_fds) {
    const int high = ::fcntl(fd, F_DUPFD_CLOEXEC, first_free + 16);
    if (high < 0) throw std::runtime_error("fcntl(F_DUPFD_CLOEXEC): " + os_error(errno));
    sources.push_back(high);
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  for (std::size_t i = 0; i < sources.size(); ++i)
    posix_spawn_file_actions_adddup2(&fa, sources[i], 3 + static_cast<int>(i));
  posix_spawn_file_actions_addclosefrom_np(&fa, first_free);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);  // mpirun's and the terminal's signals to the rank's group miss it
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> args{program, std::to_string(::getpid()), std::to_string(slots)};
  for (std::size_t i = 0; i < child_fds.size(); ++i) args.push_back(std::to_string(3 + i));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, program.c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  for (int fd : sources) ::close(fd);
  for (std::size_t i = 0; i < 1 + slots_.size(); ++i) ::close(child_fds[i]);  // the child's socket ends
  if (rc != 0) throw std::runtime_error("cannot start the task spawner " + program + ": " + os_error(rc));
  pid_ = pid;
  for (int k = slots - 1; k >= 0; --k) free_.push_back(k);
  flush_id_ = register_flush([this] { signal_all(SIGTERM); });
}

Spawner::~Spawner() {
  if (flush_id_) unregister_flush(flush_id_);
  ::close(control_);
  for (auto& s : slots_) {
    ::close(s.socket);
    ::close(s.out);
    ::close(s.err);
  }
  int status = 0;
  while (::waitpid(static_cast<pid_t>(pid_), &status, 0) < 0 && errno == EINTR) {
  }
}

int Spawner::acquire() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (free_.empty()) throw std::logic_error("farm: more tasks at once than the spawner has slots");
  const int s = free_.back();
  free_.pop_back();
  return s;
}

void Spawner::release(int slot) {
  std::lock_guard<std::mutex> lock(mutex_);
  free_.push_back(slot);
}

std::string Spawner::read_spool(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) return {};
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < data.size()) {
    const ssize_t n = ::pread(fd, data.data() + got, data.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  data.resize(got);
  // Empty again for the slot's next task (the offset is shared with the spawner and the task).
  if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) < 0)
    throw std::runtime_error("cannot reset a spool file: " + os_error(errno));
  return data;
}

Outcome Spawner::run(std::int64_t task, int attempt, const std::string& command, double timeout,
                     const std::string& out_path, const std::string& err_path) {
  const int slot = acquire();
  struct Release {
    Spawner* self;
    int slot;
    ~Release() { self->release(slot); }
  } release_on_exit{this, slot};
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  const bool logs = !out_path.empty();
  proto::SpawnRequest r;
  r.flags = logs ? static_cast<std::uint32_t>(proto::kLogFiles) : 0u;
  r.task = task;
  r.attempt = attempt;
  r.slot = slot;
  r.timeout = timeout;
  r.command_bytes = static_cast<std::uint32_t>(command.size());
  r.out_bytes = static_cast<std::uint32_t>(out_path.size());
  r.err_bytes = static_cast<std::uint32_t>(err_path.size());
  Outcome o;
  const std::size_t bytes = sizeof r + command.size() + out_path.size() + err_path.size();
  if (bytes > proto::kMaxMessageBytes) {
    o.exit_code = 127;
    o.error = "the command is longer than the 128 KiB Linux allows one argument";
    return o;
  }
  std::string message(reinterpret_cast<const char*>(&r), sizeof r);
  message += command;
  message += out_path;
  message += err_path;
  while (::send(s.socket, message.data(), message.size(), MSG_NOSIGNAL) < 0) {
    if (errno == EINTR) continue;
    throw std::runtime_error("the task spawner (pid " + std::to_string(pid_) + ") is gone: " + os_error(errno));
  }
  proto::DoneReply d;
  ssize_t got = 0;
  while ((got = ::recv(s.socket, &d, sizeof d, 0)) < 0 && errno == EINTR) {
  }
  if (got != static_cast<ssize_t>(sizeof d) || d.kind != proto::kDone)
    throw std::runtime_error("the task spawner (pid " + std::to_string(pid_) + ") ended unexpectedly");
  o.pid = d.pid;
  o.start_unix = d.start_unix;
  o.end_unix = d.end_unix;
  o.seconds = d.seconds;
  o.stopped = d.stopped != 0;
  if (d.spawn_errno != 0) {
    o.exit_code = 127;
    o.error = logs ? "cannot start the command (or open " + out_path + " / " + err_path + "): " + os_error(d.spawn_errno)
                   : "cannot start /bin/sh: " + os_error(d.spawn_errno);
    o.pid = 0;
  } else if (WIFSIGNALED(d.wait_status)) {
    o.signal = WTERMSIG(d.wait_status);
    o.exit_code = 128 + o.signal;
  } else {
    o.exit_code = WEXITSTATUS(d.wait_status);
  }
  if (d.timed_out) {
    o.timed_out = true;
    o.exit_code = 124;  // always, as the sign of a timeout
    if (o.signal == 0) o.signal = d.signal_sent;
  }
  if (!logs) {
    o.out = read_spool(s.out);
    o.err = read_spool(s.err);
  }
  return o;
}

void Spawner::signal_all(int sig) noexcept {
  proto::SignalRequest r;
  r.signal = sig;
  ::send(control_, &r, sizeof r, MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace multirank::cli::farm
