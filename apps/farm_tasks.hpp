#pragma once
/// \file A farm's task list, read lazily: a file, or standard input (`-`), on a thread of its own,
/// so that tasks start while a slow generator is still writing later lines.
///
/// One command per line. Blank lines and lines whose first non-blank character is `#` are skipped;
/// `#MULTIRANK BARRIER` (alone on its line) holds the tasks after it until every task before it
/// has ended. A trailing carriage return (a file edited on Windows) is dropped. A task's id is its
/// line number, 1-based, counting every line.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace multirank::cli::farm {

/// One entry of the task list.
struct TaskLine {
  enum class Kind { command, barrier } kind = Kind::command;
  std::int64_t line = 0;     ///< 1-based line number (the task id)
  std::string command;       ///< the command (empty for a barrier)
};

/// What a line of the task list is: a command, a barrier, or nothing (blank, comment).
std::optional<TaskLine> classify(std::string_view text, std::int64_t line);

/// Reads `path` (or standard input for "-") on a background thread, at most `read_ahead` entries
/// ahead of the consumer.
class TaskSource {
 public:
  /// What next() found.
  enum class Status { entry, pending, end };

  /// Opens the list; throws UsageError if it cannot be read.
  explicit TaskSource(const std::string& path, std::size_t read_ahead = 1 << 16);
  TaskSource(const TaskSource&) = delete;
  TaskSource& operator=(const TaskSource&) = delete;
  /// Stops the reader (within about 100 ms even if the input is a silent pipe).
  ~TaskSource();

  /// The next entry if one is ready (`entry`), `pending` if the input has none yet, `end` after
  /// the last. Waits up to `timeout` for one (0: does not wait). Throws std::runtime_error if
  /// reading failed.
  Status next(TaskLine& out, std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  /// Commands in the whole list, once the reader has reached its end.
  [[nodiscard]] std::optional<std::uint64_t> total_commands() const;

 private:
  void read_loop();

  int fd_ = -1;
  bool owns_fd_ = false;
  std::size_t read_ahead_;
  mutable std::mutex mutex_;
  std::condition_variable ready_cv_;   // the consumer: entries arrived, or the end
  std::condition_variable room_cv_;    // the reader: room in the queue, or stop
  std::deque<TaskLine> queue_;
  bool done_ = false;
  bool stop_ = false;
  std::string error_;
  std::uint64_t commands_ = 0;
  std::thread thread_;
};

}  // namespace multirank::cli::farm
