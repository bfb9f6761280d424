#include "multirank/pool/task_error.hpp"

#include <sstream>

namespace multirank {
namespace {
std::string describe(const std::string& task, std::uint64_t index, int rank, const std::string& host, long pid,
                     const std::string& message) {
  std::ostringstream out;  // (chained std::string + trips a false -Wrestrict in GCC 12)
  out << "task '" << task << "' failed on input " << index << " (rank " << rank << " on " << host << ", pid " << pid
      << "): " << message;
  return out.str();
}
}  // namespace

TaskError::TaskError(std::string task, std::uint64_t input_index, int rank, std::string host, long pid,
                     std::string message)
    : Error(describe(task, input_index, rank, host, pid, message)),
      task_(std::move(task)),
      index_(input_index),
      rank_(rank),
      host_(std::move(host)),
      pid_(pid),
      message_(std::move(message)) {}

}  // namespace multirank
