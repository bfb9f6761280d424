#pragma once
/// \file The pool's messages between the coordinator (rank 0) and the other ranks (internal).
///
/// All of them travel on the pool's private duplicate of the caller's communicator, so their
/// tags never meet anyone else's. A chunk is one message (header + inputs); its result is one
/// message (header + times + errors + results). Messages from one rank are received in the order
/// they were sent (one source, any tag), so a rank's results always arrive before its goodbye.

#include <cstdint>
#include <string>
#include <string_view>

#include "multirank/core/clock.hpp"
#include "multirank/pool/task.hpp"

namespace multirank::detail {

/// Message tags on the pool communicator.
enum PoolTag : int {
  kChunkTag = 1,      ///< coordinator -> worker: a chunk to run
  kResultTag = 2,     ///< worker -> coordinator: a chunk's results
  kStopTag = 3,       ///< coordinator -> worker: no more chunks; say goodbye
  kTerminateTag = 4,  ///< coordinator -> worker: drop queued chunks; say goodbye
  kByeTag = 5,        ///< worker -> coordinator: nothing more will come from me
};

/// Leads a chunk message.
struct ChunkHeader {
  std::uint64_t key = 0;    ///< task key
  std::uint64_t job = 0;    ///< job id
  std::uint64_t seq = 0;    ///< chunk sequence number in its job
  std::uint32_t count = 0;  ///< inputs
  std::uint32_t flags = 0;  ///< kRecordTimes
};
inline constexpr std::uint32_t kRecordTimes = 1;

/// Leads a result message.
struct ResultHeader {
  std::uint64_t job = 0;
  std::uint64_t seq = 0;
  std::uint32_t count = 0;
  std::uint32_t times = 0;           ///< doubles of start/end times that follow
  std::uint64_t error_bytes = 0;     ///< bytes of the serialised error list that follows
  double seconds = 0.0;              ///< time spent running the chunk
};

/// Runs a chunk of the task `key` (an unknown key fails every input with a clear message).
void execute_chunk(TaskKey key, const char* data, std::size_t bytes, std::uint32_t count, const SyncClock* clock,
                   ChunkOutput& out);

/// Runs a received chunk message and returns the result message.
std::string run_chunk_message(std::string_view message, const SyncClock& clock);

/// Decodes a result message into its header and output.
ResultHeader decode_result(std::string_view message, ChunkOutput& out);

}  // namespace multirank::detail
