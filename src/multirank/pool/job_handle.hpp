#pragma once
/// \file What the pool's typed layer (Pool's templates, Future, the result streams) hands the
/// scheduler and gets back: encoded inputs in, encoded results out, through an opaque handle on
/// a job. The job table and the scheduler behind it live in the pool's .cpp files
/// (pool/internal), so changing them changes nothing that users compile.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "multirank/core/codec.hpp"
#include "multirank/pool/chunksize.hpp"
#include "multirank/pool/task.hpp"

namespace multirank {
class Pool;
}

namespace multirank::detail {

class PoolCore;
struct Job;

/// Counts the bytes of each encoded result in a chunk payload (for records).
using ResultSizer = void (*)(const char* data, std::size_t bytes, std::uint32_t count, std::vector<std::uint64_t>& sizes);

/// Result sizer for results of type Out.
template <class Out>
void size_results(const char* data, std::size_t bytes, std::uint32_t count, std::vector<std::uint64_t>& sizes) {
  const char* p = data;
  const char* end = data + bytes;
  for (std::uint32_t i = 0; i < count && p < end; ++i) sizes.push_back(skip_item<Out>(p, end));
}

/// What a call asks of the pool, apart from its inputs.
struct JobSpec {
  TaskKey key = 0;                 ///< the task
  std::string task_name;           ///< its name, for errors
  std::size_t in_fixed = 0;        ///< bytes per encoded input when fixed, else 0
  std::size_t out_fixed = 0;       ///< bytes per encoded result when fixed, else 0
  ResultSizer sizer = nullptr;     ///< sizes of variable results, for records
  Chunksize chunking = auto_chunksize;
  int pinned = -1;                 ///< the only rank allowed to run it, or -1
  bool lazy = false;               ///< inputs arrive while it runs (imap)
  bool fail_fast = false;          ///< stop dispatching after the first failed input (map)
  bool unordered = false;          ///< results in completion order (imap_unordered)
};

/// Inputs framed by the one codec, back to back.
struct EncodedInputs {
  std::string bytes;                ///< the framed inputs
  std::vector<std::uint64_t> sizes; ///< each input's bytes (variable-size inputs only)
  std::uint64_t count = 0;          ///< how many

  /// Appends one input.
  template <class In>
  void add(const In& input) {
    const std::size_t n = append_item(bytes, input);
    if constexpr (fixed_item_bytes<In> == 0) sizes.push_back(n);
    ++count;
  }
};

/// The results of one chunk, for the typed layer to decode: `count` results framed by the codec
/// in `payload` (a failed input holds a default value there; `payload` is empty when the whole
/// chunk could not run), and the failed positions with their TaskErrors, in order.
struct ChunkResults {
  std::uint64_t first = 0;
  std::uint32_t count = 0;
  std::string payload;
  std::vector<std::pair<std::uint32_t, std::exception_ptr>> failures;
};

/// A shared handle on one submitted call. Copies refer to the same job.
class JobHandle {
 public:
  /// A handle on nothing.
  JobHandle() = default;

  /// Whether it refers to a job.
  [[nodiscard]] bool valid() const noexcept { return job_ != nullptr; }
  /// Whether the job's outcome is final (finished, failed or cancelled); never blocks.
  [[nodiscard]] bool ready() const;
  /// Blocks until ready.
  void wait() const;
  /// Blocks until ready or `deadline`; returns whether it is ready.
  bool wait_until(std::chrono::steady_clock::time_point deadline) const;
  /// Cancels the job if nothing of it has started; returns whether it did.
  bool cancel();
  /// Whether it was cancelled before it finished.
  [[nodiscard]] bool cancelled() const;
  /// A single task's encoded result, once ready; throws its TaskError, or CancelledError.
  [[nodiscard]] std::string single_result() const;
  /// Every chunk's results in input order, once the job settled (moved out: call once); throws
  /// the TaskError of the lowest failed input, or CancelledError.
  std::vector<ChunkResults> take_results();
  /// Hands a lazy job more inputs; `end` says none follow.
  void feed(EncodedInputs&& inputs, bool end);
  /// A lazy job's next chunk of results (input order, or completion order when the job is
  /// unordered), waiting for it; empty after the last one. Throws CancelledError, or UsageError
  /// when the pool ended first.
  std::optional<ChunkResults> next_results();
  /// Drops the job's remaining work (its reader went away).
  void abandon() noexcept;
  /// Whether both jobs run in the same pool.
  [[nodiscard]] bool same_pool(const JobHandle& other) const noexcept { return core_ == other.core_; }

  /// The index of a job that is ready, waiting until `deadline` (forever when empty); nullopt on
  /// timeout. Every handle must be valid and of the same pool.
  static std::optional<std::size_t> wait_any(const std::vector<const JobHandle*>& jobs,
                                             std::optional<std::chrono::steady_clock::time_point> deadline);

 private:
  friend class multirank::Pool;
  JobHandle(std::shared_ptr<PoolCore> core, std::shared_ptr<Job> job) : core_(std::move(core)), job_(std::move(job)) {}

  std::shared_ptr<PoolCore> core_;
  std::shared_ptr<Job> job_;
};

}  // namespace multirank::detail
