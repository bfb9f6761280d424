#include "multirank/core/output_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "multirank/core/environment.hpp"
#include "multirank/core/error.hpp"

namespace multirank {

namespace fs = std::filesystem;

std::string os_error_text(int err) { return std::strerror(err); }

std::string folder_of(const std::string& path) {
  const fs::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : std::string(".");
}

std::string resolve_output_path(const std::string& path) {
  fs::path p(path);
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p.string();
    std::error_code ec;
    const fs::path target = fs::read_symlink(p, ec);
    if (ec) return p.string();
    p = target.is_absolute() ? target : (p.has_parent_path() ? p.parent_path() / target : target);
    p = p.lexically_normal();
  }
  throw UsageError("cannot write " + path + ": too many levels of symbolic links");
}

namespace {

/// Why flock refused, when it is not "held by another process".
bool unsupported(int err) { return err != EWOULDBLOCK && err != EINTR; }

std::string unsupported_message(const std::string& what, const std::string& path, const std::string& file, int err) {
  return "cannot append to " + what + " " + path + ": its filesystem does not support flock (" + file + ": " +
         os_error_text(err) +
         "), and without a lock two jobs appending at once would lose a run; use a local or flock-mounted "
         "filesystem, or write a new file";
}

/// Creates, writes one byte to and removes a probe file in the folder of the resolved `path`
/// (and, when asked, takes a flock on it); throws UsageError with the reason.
void probe_folder(const std::string& path, const std::string& what, bool test_flock) {
  const std::string resolved = resolve_output_path(path);
  const std::string folder = folder_of(resolved);
  const std::string named = what + " " + path + (resolved == path ? "" : " (a link to " + resolved + ")");
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw UsageError("cannot write " + named + ": folder " + folder + " does not exist");
  static std::atomic<unsigned> counter{0};
  const std::string probe = (fs::path(folder) / (".multirank-probe-" + std::to_string(::getpid()) + "-" +
                                                  std::to_string(counter.fetch_add(1))))
                                .string();
  const int fd = ::open(probe.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    throw UsageError("cannot write " + named + ": cannot create a file in " + folder + ": " + os_error_text(err));
  }
  // One byte written finds a full filesystem too (an empty file may still get an inode).
  const char byte = 0;
  ssize_t n = -1;
  do {
    n = ::write(fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  const int write_err = n == 1 ? 0 : errno;
  const int lock_err = test_flock && ::flock(fd, LOCK_EX | LOCK_NB) != 0 ? errno : 0;
  ::close(fd);
  ::unlink(probe.c_str());
  if (write_err != 0)
    throw UsageError("cannot write " + named + ": writing in " + folder + " fails: " + os_error_text(write_err));
  if (lock_err != 0 && unsupported(lock_err)) throw UsageError(unsupported_message(what, path, folder, lock_err));
}

}  // namespace

void check_output_folder(const std::string& path, const std::string& what) { probe_folder(path, what, false); }

std::string OutputLock::lock_path(const std::string& resolved) {
  const fs::path p(resolved);
  std::string name = ".";
  name += p.filename().string();
  name += ".lock";
  return (fs::path(folder_of(resolved)) / name).string();
}

void OutputLock::check_supported(const std::string& path, const std::string& what) { probe_folder(path, what, true); }

OutputLock::OutputLock(const std::string& path, const std::string& what, bool required) {
  const std::string lock = lock_path(resolve_output_path(path));
  bool said = false;
  for (;;) {
    const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      const int err = errno;
      if (!required) return;
      throw UsageError("cannot write " + what + " " + path + ": cannot create its lock file " + lock + ": " +
                       os_error_text(err));
    }
    int err = ::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno;
    if (err == EWOULDBLOCK) {
      if (!said) {
        std::fprintf(stderr, "multirank: waiting for another process to finish writing %s (it holds %s)\n",
                     path.c_str(), lock.c_str());
        std::fflush(stderr);
        said = true;
      }
      do {
        err = ::flock(fd, LOCK_EX) == 0 ? 0 : errno;
      } while (err == EINTR);
    }
    if (err != 0) {
      ::close(fd);
      if (required) throw UsageError(unsupported_message(what, path, lock, err));
      return;
    }
    // The holder before us removed the lock file as it let go: then this lock is on a file no
    // one else will open, and the lock must be taken again on the file now at that path.
    struct stat held {};
    struct stat now {};
    if (::fstat(fd, &held) == 0 && ::stat(lock.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
        held.st_ino == now.st_ino) {
      fd_ = fd;
      path_ = lock;
      return;
    }
    ::close(fd);
  }
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // while still held: a waiter then sees the file gone and retries (see above)
  ::close(fd_);             // closing releases the flock
}

std::string folder_write_problem(const std::string& path) {
  const std::string folder = folder_of(resolve_output_path(path));
  const std::string probe = (fs::path(folder) / (".multirank-probe-" + std::to_string(::getpid()) + "-w")).string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return os_error_text(errno);
  std::string problem;
  const std::string block(64 * 1024, '\0');
  std::size_t done = 0;
  while (done < block.size() && problem.empty()) {
    const ssize_t n = ::write(fd, block.data() + done, block.size() - done);
    if (n < 0 && errno != EINTR) problem = os_error_text(errno);
    if (n > 0) done += static_cast<std::size_t>(n);
  }
  if (problem.empty() && ::fsync(fd) != 0) problem = os_error_text(errno);
  ::close(fd);
  ::unlink(probe.c_str());
  return problem;
}

bool names_os_write_error(const std::string& text) {
  for (int err : {ENOSPC, EDQUOT, EROFS, EIO, EFBIG, EACCES})
    if (text.find(os_error_text(err)) != std::string::npos) return true;
  return false;
}

void remove_quietly(const std::string& path) noexcept {
  if (!path.empty()) ::unlink(path.c_str());
}

void publish_file(const std::string& temp, const std::string& target) {
  auto fail = [&](const std::string& step, int err) {
    remove_quietly(temp);
    throw std::runtime_error("cannot " + step + " " + target + ": " + os_error_text(err));
  };
  const int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("finish", errno);
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail("sync the new", err);
  }
  ::close(fd);
  if (::rename(temp.c_str(), target.c_str()) != 0) fail("move the finished file into place as", errno);
  const int dir = ::open(folder_of(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);  // the rename itself; a folder that cannot be synced (some network filesystems) is no error
    ::close(dir);
  }
}

void abort_after_io_failure(const std::string& file, const std::string& temp, const std::string& why) {
  remove_quietly(temp);
  Environment::abort(1, "cannot write " + file + ": " + why +
                            (temp.empty() ? std::string() : std::string(" (the temporary file was removed)")));
}

}  // namespace multirank
