#include "study_exec_launch.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "multirank/core/error.hpp"

namespace multirank::cli {
namespace {

namespace fs = std::filesystem;

/// An unlinked temporary file for one output stream (nothing is left behind however we end).
int make_output_file() {
  const char* tmp = std::getenv("TMPDIR");
  for (const std::string& dir : {std::string(tmp && *tmp ? tmp : "/tmp"), std::string("/tmp")}) {
    int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
    std::string templ = dir + "/.multirank-output-XXXXXX";
    fd = ::mkostemp(templ.data(), O_CLOEXEC);
    if (fd >= 0) {
      ::unlink(templ.c_str());
      return fd;
    }
  }
  throw std::runtime_error(std::string("cannot create a temporary file for a program's output: ") +
                           std::strerror(errno));
}

/// Everything in `fd` from offset 0.
std::string read_all(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return {};
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::pread(fd, out.data() + got, out.size() - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

void rewind_empty(int fd) {
  if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0)
    throw std::runtime_error(std::string("cannot reset a program's output file: ") + std::strerror(errno));
}

/// A pointer array for exec from strings that outlive it.
std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

/// The processes this one adopted (it is a child subreaper) or started, now its children.
std::vector<pid_t> children() {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(task.path() / "children");
    for (long pid = 0; in >> pid;) out.push_back(static_cast<pid_t>(pid));
  }
  return out;
}

/// Ends what a launch left behind. A launcher may start its ranks outside its own process
/// group (MPICH's Hydra gives its proxy and every rank a session of their own), so a group
/// signal cannot reach them; as a child subreaper this process adopts them when the launcher
/// ends. They get SIGTERM, and SIGKILL after `grace`; all are reaped.
void end_leftovers(std::chrono::milliseconds grace) {
  std::vector<pid_t> left = children();
  if (left.empty()) return;
  for (const pid_t pid : left) ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (;;) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    left = children();
    if (left.empty()) return;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // A killed proxy's ranks are adopted in turn: kill until none is left (bounded, never a hang).
  for (int round = 0; round < 200 && !left.empty(); ++round) {
    for (const pid_t pid : left) ::kill(pid, SIGKILL);
    for (const pid_t pid : left) ::waitpid(pid, nullptr, 0);
    left = children();
  }
}

}  // namespace

CommandLauncher::CommandLauncher(std::vector<std::string> environment) : environment_(std::move(environment)) {
  out_fd_ = make_output_file();
  err_fd_ = make_output_file();
  // What a launch leaves running once its launcher ended becomes this process's (end_leftovers).
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
}

CommandLauncher::~CommandLauncher() {
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

LaunchResult CommandLauncher::run(const std::vector<std::string>& argv, double timeout_seconds) {
  if (argv.empty()) throw std::logic_error("CommandLauncher::run: empty command");
  rewind_empty(out_fd_);
  rewind_empty(err_fd_);
  std::vector<char*> args = c_strings(argv);
  std::vector<char*> envp = c_strings(environment_);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd_, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd_, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group: a timeout or a stop reaches the launcher and whatever it started, and
  // a Ctrl-C at the terminal reaches the driver only, which then ends the command itself.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);

  LaunchResult result;
  pid_t pid = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pid_ = pid;
  }

  // The timeout: a thread that sleeps until the deadline unless the command ends first.
  std::mutex timer_mutex;
  std::condition_variable timer_cv;
  bool ended = false;
  std::atomic<bool> timed_out{false};
  std::thread timer;
  if (timeout_seconds > 0) {
    timer = std::thread([&, pid] {
      std::unique_lock<std::mutex> lock(timer_mutex);
      const auto deadline = t0 + std::chrono::duration<double>(timeout_seconds);
      if (timer_cv.wait_until(lock, deadline, [&] { return ended; })) return;
      timed_out = true;
      ::killpg(pid, SIGTERM);
      if (timer_cv.wait_for(lock, std::chrono::seconds(5), [&] { return ended; })) return;
      ::killpg(pid, SIGKILL);
    });
  }

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) break;
  }
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pid_ = 0;
  }
  if (timer.joinable()) {
    {
      std::lock_guard<std::mutex> lock(timer_mutex);
      ended = true;
    }
    timer_cv.notify_all();
    timer.join();
  }
  result.timed_out = timed_out;
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
    result.exit_code = 128 + result.signal;
  }
  // Whatever the launcher left of its group after a timeout goes too, before the next sample, and
  // so do the processes it left outside its group (a moment's grace when it ended by itself).
  if (result.timed_out) ::killpg(pid, SIGKILL);
  end_leftovers(result.timed_out ? std::chrono::milliseconds(0) : std::chrono::milliseconds(2000));
  result.stdout_text = read_all(out_fd_);
  result.stderr_text = read_all(err_fd_);
  return result;
}

void CommandLauncher::stop(double grace_seconds) {
  pid_t pid = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pid = pid_;
  }
  if (pid == 0) return;
  ::killpg(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(grace_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (pid_ == 0) break;  // run() has seen it end
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::killpg(pid, SIGKILL);  // the launcher if it is still there, and any rank it left behind
  end_leftovers(std::chrono::milliseconds(0));
}

std::string resolve_program(const std::string& name) {
  if (name.empty()) throw UsageError("the PROGRAM after -- is empty");
  std::string path;
  if (name.find('/') != std::string::npos) {
    path = name;
  } else {
    const char* env = std::getenv("PATH");
    std::stringstream dirs(env ? env : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      const std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) {
        path = candidate;
        break;
      }
    }
    if (path.empty())
      throw UsageError("PROGRAM " + name + " is not found on PATH (give its path, e.g. ./" + name + ")");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw UsageError("PROGRAM " + name + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw UsageError("PROGRAM " + name + " is not a regular file");
  if (::access(path.c_str(), X_OK) != 0) throw UsageError("PROGRAM " + name + " is not executable");
  return fs::absolute(path).lexically_normal().string();
}

study::ProgramInfo describe_program(const std::string& path) {
  study::ProgramInfo info;
  info.path = path;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw UsageError("cannot read PROGRAM " + path + ": " + std::strerror(errno));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    ::close(fd);
    throw std::runtime_error("OpenSSL cannot start a SHA-256 digest");
  }
  std::vector<unsigned char> buffer(1 << 20);
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw UsageError("cannot read PROGRAM " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    info.size += static_cast<std::uint64_t>(n);
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static const char hex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < length; ++i) {
    info.sha256 += hex[digest[i] >> 4];
    info.sha256 += hex[digest[i] & 15];
  }
  return info;
}

}  // namespace multirank::cli
