#pragma once
/// \file The pool's job table entries: a job, its chunks and their records (internal, not
/// installed; see pool_core.hpp).

#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "multirank/pool/chunksize.hpp"
#include "multirank/pool/job_handle.hpp"
#include "multirank/pool/task.hpp"

namespace multirank::detail {

inline constexpr std::uint64_t kNoIndex = std::numeric_limits<std::uint64_t>::max();

/// One chunk of a job: a run of consecutive inputs sent to one rank.
struct ChunkSlot {
  std::uint64_t first = 0;               ///< index of its first input
  std::uint32_t count = 0;               ///< inputs in it
  int rank = -1;                         ///< rank it went to
  bool done = false;                     ///< its results are here
  bool consumed = false;                 ///< a stream has read its results
  double estimate = 0.0;                 ///< estimated seconds at dispatch
  bool estimated = false;                ///< whether the estimate was based on a measurement
  bool long_unsure = false;              ///< long, and its task's cost is unsteady
  std::vector<double> queued;            ///< per-input submission times (lazy jobs, with records)
  std::vector<std::uint64_t> bytes_in;   ///< per-input encoded sizes (variable-size inputs, with records)
  ChunkOutput out;                       ///< results, errors, times
};

/// Everything submitted in one call: a map's inputs, a stream's inputs so far, or one task.
struct Job {
  /// A job as the typed layer described it (pool/job_handle.hpp).
  explicit Job(const JobSpec& spec)
      : key(spec.key),
        task_name(spec.task_name),
        in_fixed(spec.in_fixed),
        out_fixed(spec.out_fixed),
        sizer(spec.sizer),
        chunking(spec.chunking),
        pinned(spec.pinned),
        lazy(spec.lazy),
        fail_fast(spec.fail_fast),
        unordered(spec.unordered) {
    if (!in_fixed) offsets.assign(1, 0);
  }

  std::uint64_t id = 0;
  TaskKey key = 0;
  std::string task_name;
  std::size_t in_fixed = 0;              ///< bytes per encoded input when fixed, else 0
  std::size_t out_fixed = 0;             ///< bytes per encoded result when fixed, else 0
  ResultSizer sizer = nullptr;
  Chunksize chunking = auto_chunksize;
  int pinned = -1;                       ///< the only rank allowed to run it, or -1
  bool lazy = false;                     ///< inputs arrive while it runs (imap)
  bool fail_fast = false;                ///< stop dispatching after the first failed input (map)
  bool unordered = false;                ///< record completion order (imap_unordered)

  // Inputs: an append-only column of encodings; items before base_item were dispatched and dropped.
  std::string column;
  std::vector<std::uint64_t> offsets;    ///< variable-size inputs: byte offset of item base_item+k (plus one past the end)
  std::uint64_t base_item = 0;
  std::uint64_t base_byte = 0;
  std::deque<double> queued;             ///< lazy jobs: submission time of item base_item+k
  double queued_all = 0.0;               ///< other jobs: submission time of every input
  std::uint64_t available = 0;           ///< inputs submitted so far
  std::uint64_t next = 0;                ///< first input not dispatched yet
  bool closed = false;                   ///< no more inputs will come

  // Outputs.
  std::deque<ChunkSlot> chunks;          ///< chunks by sequence number, from chunk_base on
  std::uint64_t chunk_base = 0;
  std::uint64_t chunks_cut = 0;
  std::uint64_t chunks_done = 0;
  std::deque<std::uint64_t> completed;   ///< unordered jobs: sequence numbers in completion order
  std::uint64_t cursor = 0;              ///< lazy ordered jobs: the next chunk a reader takes
  std::uint64_t delivered = 0;           ///< lazy jobs: inputs whose results a reader took
  std::uint64_t first_error = kNoIndex;  ///< lowest failed input index seen
  bool halted = false;                   ///< no more dispatch (a fail-fast job failed)
  bool cancelled = false;                ///< cancelled before it started, or the pool terminated
  bool abandoned = false;                ///< its reader went away; results are dropped

  /// The chunk with sequence number `seq`.
  ChunkSlot& slot(std::uint64_t seq) { return chunks[seq - chunk_base]; }
  /// Whether no further chunk may be cut.
  [[nodiscard]] bool dispatch_blocked() const noexcept { return halted || cancelled || abandoned; }
  /// Nothing in flight and nothing (currently) left to dispatch.
  [[nodiscard]] bool quiet() const noexcept {
    return chunks_done == chunks_cut && (next == available || dispatch_blocked());
  }
  /// Its outcome is final: waiters may stop waiting.
  [[nodiscard]] bool settled() const noexcept { return cancelled || ((closed || abandoned) && quiet()); }
  /// Byte offset (in `column`) of input `i` (i >= base_item).
  [[nodiscard]] std::uint64_t offset_of(std::uint64_t i) const noexcept {
    return in_fixed ? (i - base_item) * in_fixed : offsets[i - base_item] - base_byte;
  }
};

/// Host and process of one rank.
struct RankInfo {
  std::string host;
  long pid = 0;
};

/// The records of one executed chunk, compactly, until records() expands them into TaskRecords.
struct ChunkRecord {
  std::uint64_t first = 0;                 ///< index of its first input
  std::uint32_t count = 0;                 ///< inputs in it
  std::int32_t rank = -1;                  ///< rank that ran it
  double queued = 0.0;                     ///< submission time of every input (unless queued_each)
  std::vector<double> queued_each;         ///< per-input submission times (lazy jobs)
  std::vector<double> bounds;              ///< count+1 boundaries: input k ran from bounds[k] to bounds[k+1]
  std::uint64_t in_fixed = 0;              ///< bytes per input when fixed
  std::uint64_t out_fixed = 0;             ///< bytes per result when fixed
  std::vector<std::uint64_t> bytes_in;     ///< per-input sizes otherwise
  std::vector<std::uint64_t> bytes_out;    ///< per-result sizes otherwise
};

/// A chunk just cut for a rank: its place, and its inputs' bytes (after `prefix` reserved bytes).
struct Cut {
  std::shared_ptr<Job> job;
  std::uint64_t seq = 0;
  std::uint64_t first = 0;
  std::uint32_t count = 0;
  std::string bytes;
};

}  // namespace multirank::detail
