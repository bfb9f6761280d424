#pragma once
/// \file A durable JSON Lines log (the farm's --status file; meant for the apps' --journal files
/// too): nothing lost, nothing silently wrong.
///
/// - **One writer.** The file is held under an exclusive `flock` for as long as it is open; a
///   second process that opens it is refused with one line. A filesystem without `flock` (Lustre
///   mounted without `-o flock`, some NFS) is refused too, rather than raced.
/// - **A checksum per record.** Every line is one JSON object written with its keys sorted, no
///   spaces, and a member `"crc32"`: eight lowercase hex digits of the CRC-32 (IEEE 802.3, as
///   zlib's `crc32()` and Python's `zlib.crc32`) of that same object's text without the `crc32`
///   member (nlohmann's `dump()`, i.e. Python's
///   `json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`). Text that is not
///   valid UTF-8 is stored with U+FFFD in its place.
/// - **Reading refuses what it cannot trust.** A line that does not parse, is not an object or
///   fails its checksum is an error naming the file and the line number, and the file is left as
///   it was; only a last line without its newline (a write cut short by a crash) is dropped, and
///   the file is cut back to the complete lines before anything is appended.
/// - **Batched durable writes.** Appended records are written and `fdatasync`ed by a background
///   thread at most `interval` (200 ms) after the first of them; `flush()` does it at once; the
///   stop signals (SIGINT/SIGTERM, see core/signals.hpp) flush and seal the log before the job
///   ends, and records appended after that are dropped. A write that fails (a full disk) is
///   reported by the next append or flush, naming the file and the OS error.

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace multirank::cli {

/// What a durable log holds: its verified records, the header (the first one) included.
struct DurableLogContents {
  std::vector<nlohmann::json> records;   ///< each complete line, verified, in file order
  std::vector<std::size_t> lines;        ///< the 1-based line number of each record
  std::uint64_t valid_bytes = 0;         ///< length of the prefix of complete lines
  bool torn_tail = false;                ///< a last line without its newline was found (and is dropped)
};

/// An open durable log (see the file comment). Thread-safe.
class DurableLog {
 public:
  /// How a log behaves.
  struct Options {
    std::string what = "log";                          ///< its name in messages, e.g. "status file"
    std::chrono::milliseconds interval{200};           ///< longest a record waits before it is synced
    bool flush_on_stop = true;                         ///< flush and seal on SIGINT/SIGTERM
  };

  /// Creates `path`, which must not exist, under an exclusive lock (UsageError otherwise), and
  /// writes and syncs `header` as its first record.
  static std::unique_ptr<DurableLog> create(const std::string& path, const nlohmann::json& header, Options options);
  /// Opens the existing `path` under an exclusive lock, reads and verifies it into `contents`
  /// (UsageError naming the line for a damaged one), and appends after its complete lines. Nothing
  /// is written to the file before the first append or flush.
  static std::unique_ptr<DurableLog> open(const std::string& path, DurableLogContents& contents, Options options);
  /// Reads and verifies `path` without locking or changing it (UsageError naming the line).
  static DurableLogContents read(const std::string& path, const std::string& what);

  DurableLog(const DurableLog&) = delete;
  DurableLog& operator=(const DurableLog&) = delete;
  /// Flushes (errors are swallowed here: flush() first to see them), unlocks and closes.
  ~DurableLog();

  /// Queues a record (a JSON object without "crc32"); it is synced within the interval.
  /// Throws the error of an earlier write that failed.
  void append(nlohmann::json record);
  /// Writes and syncs everything queued; throws on failure (naming the file and the OS error).
  void flush();
  /// Flushes for the last time (a stop signal): appends after it are dropped. Never throws.
  void seal() noexcept;
  /// The file.
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  /// The line a record is written as (checksum added), with its newline.
  static std::string line_of(nlohmann::json record);
  /// The checksum of a record (its "crc32" member ignored).
  static std::string checksum(const nlohmann::json& record);

 private:
  DurableLog(std::string path, int fd, Options options, std::uint64_t keep_bytes, bool truncate_first);
  void flusher();
  void write_locked(std::unique_lock<std::mutex>& lock);

  std::string path_;
  int fd_ = -1;
  Options options_;
  std::uint64_t keep_bytes_ = 0;    // a reopened file is cut back to this before the first write
  bool truncate_first_ = false;
  std::mutex mutex_;
  std::mutex write_mutex_;          // one write at a time (the flusher, flush(), seal())
  std::condition_variable cv_;
  std::string pending_;
  std::chrono::steady_clock::time_point first_pending_{};
  bool stopping_ = false;
  bool sealed_ = false;
  std::string error_;               // a failed write, reported by the next append/flush
  int flush_id_ = 0;
  std::thread thread_;
};

}  // namespace multirank::cli
