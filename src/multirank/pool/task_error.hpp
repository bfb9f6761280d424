#pragma once
/// \file What a caller of the pool sees when a task failed or never ran.

#include <cstdint>
#include <string>

#include "multirank/core/error.hpp"

namespace multirank {

/// A task threw: carries which input, where it ran, and the original message.
/// what() reads "task 'NAME' failed on input I (rank R on HOST, pid P): MESSAGE".
class TaskError : public Error {
 public:
  TaskError(std::string task, std::uint64_t input_index, int rank, std::string host, long pid, std::string message);
  /// The task's registered name.
  [[nodiscard]] const std::string& task_name() const noexcept { return task_; }
  /// Index of the failed input in its map (0 for a submitted task).
  [[nodiscard]] std::uint64_t input_index() const noexcept { return index_; }
  /// Rank that ran it.
  [[nodiscard]] int rank() const noexcept { return rank_; }
  /// Host that rank runs on.
  [[nodiscard]] const std::string& host() const noexcept { return host_; }
  /// Process id of that rank.
  [[nodiscard]] long pid() const noexcept { return pid_; }
  /// The exception's own message, as the task threw it.
  [[nodiscard]] const std::string& original_message() const noexcept { return message_; }

 private:
  std::string task_;
  std::uint64_t index_;
  int rank_;
  std::string host_;
  long pid_;
  std::string message_;
};

/// A task was cancelled before it started, or the pool was terminated before it finished.
class CancelledError : public Error {
 public:
  using Error::Error;
};

}  // namespace multirank
