#pragma once
/// \file Output files written whole (temporary file, then rename): where they really go, whether
/// they can be written at all, one writer at a time, and what happens when a write fails.
///
/// - **The resolved path.** A symlink is followed to the file it names (which may not exist
///   yet), and the temporary file, the lock and the rename are beside that file, so the link
///   stays a link and its target gets the data.
/// - **Checked before any work.** A probe file created and removed in the output's folder finds
///   a read-only folder or filesystem, a full one, or a missing permission before the run starts.
/// - **One writer at a time.** A read-modify-write (appending to a study file) holds an exclusive
///   `flock` on a lock file beside the target (`.NAME.lock`, removed after) from reading the old file to
///   the rename; a second writer waits for it. Where the filesystem does not support `flock`
///   (Lustre mounted without `-o flock`, some NFS) an append is refused with one line.
/// - **A failure in collective I/O ends the job.** When one rank's write fails while the others
///   may be inside collective calls on the same file (parallel HDF5's own collectives cannot be
///   made to agree after that), abort_after_io_failure() removes the temporary file, prints one
///   line naming the file and the OS error, and aborts the whole job instead of hanging.

#include <string>

namespace multirank {

/// The text of an OS error number (strerror), e.g. "No space left on device".
[[nodiscard]] std::string os_error_text(int err);

/// Where a write to `path` must go: `path` with every symlink (of the file itself, and of a
/// chain of them) followed to the file it names, which may not exist yet. Relative link targets
/// are taken from the link's folder. Throws UsageError for a loop of links.
[[nodiscard]] std::string resolve_output_path(const std::string& path);

/// The folder that holds `path` ("." for a bare name).
[[nodiscard]] std::string folder_of(const std::string& path);

/// Checks, without leaving anything behind, that a file can be created in the folder of the
/// resolved `path`: a probe file is created there and removed. Throws UsageError "cannot write
/// WHAT PATH: reason" (a missing folder, "Read-only file system", "Permission denied", "No space
/// left on device", ...).
void check_output_folder(const std::string& path, const std::string& what);

/// An exclusive `flock` on the lock file beside the resolved `path`, held while it lives.
class OutputLock {
 public:
  /// Takes the lock, waiting (asleep in the kernel) while another process holds it; says once on
  /// stderr that it waits. Where the filesystem does not support flock it throws UsageError when
  /// `required` (a read-modify-write must not race), and otherwise holds nothing.
  OutputLock(const std::string& path, const std::string& what, bool required);
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  /// Removes the lock file and releases the lock (a process waiting for it then finds the file
  /// gone and locks the one at that path anew, so two writers never hold two different files).
  ~OutputLock();
  /// Whether a lock is held.
  [[nodiscard]] bool held() const noexcept { return fd_ >= 0; }

  /// Checks before any work, as check_output_folder does and with the same probe file, that
  /// files in the folder of `path` can be locked (UsageError when flock is not supported).
  static void check_supported(const std::string& path, const std::string& what);
  /// The lock file of the resolved `path`: ".NAME.lock" in its folder.
  [[nodiscard]] static std::string lock_path(const std::string& resolved);

 private:
  int fd_ = -1;
  std::string path_;
};

/// What the OS says now about writing in the folder of `path` ("" when a 64 KiB probe file can be
/// written and synced there, else the error, e.g. "No space left on device"): for a failure
/// whose own message lost the OS error (MPI-IO reports "file write failed" alone).
[[nodiscard]] std::string folder_write_problem(const std::string& path);

/// Whether `text` already names an OS error of a write (no space, quota, read-only, I/O error).
[[nodiscard]] bool names_os_write_error(const std::string& text);

/// Makes the finished `temp` durable (fsync), renames it to `target` (in the same folder) and
/// syncs the folder, so the new name holds complete bytes even after a crash. Throws
/// std::runtime_error naming `target` and the OS error; `temp` is then removed.
void publish_file(const std::string& temp, const std::string& target);

/// Removes `path` if it exists, ignoring every error (a temporary file on the way out).
void remove_quietly(const std::string& path) noexcept;

/// Ends the whole job after a failed write that other ranks cannot be brought to agree on (they
/// may be inside collective I/O on the same file): removes `temp` (when not empty), prints
/// "multirank: rank R on HOST: cannot write FILE: WHY (the temporary file was removed)" and
/// aborts every rank (MPI_Abort, exit 1; without MPI it exits 1). Meant for a writer whose ranks
/// write one file together (the study files); a file that one rank writes alone (a journal, the
/// farm's status file) reports its failure as an ordinary error instead.
[[noreturn]] void abort_after_io_failure(const std::string& file, const std::string& temp, const std::string& why);

}  // namespace multirank
