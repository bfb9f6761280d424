#pragma once
/// \file How the scheduler sizes chunks and how far ahead it feeds a remote rank (internal, not
/// installed; the knob users see is Chunksize, chunksize.hpp).

#include <cstddef>

namespace multirank::detail {

/// Inputs in the next auto chunk: `remaining` inputs ready, `workers` executing ranks, and the
/// measured seconds per input (negative when not measured yet).
std::size_t auto_chunk_items(std::size_t remaining, int workers, double item_seconds) noexcept;

/// Whether a remote worker should get one more chunk now. It holds `chunks` chunks, whose
/// estimated work not yet done is `seconds_left` (negative when overdue); `unknown` of them were
/// never timed, and `long_unsure` are long (>= the prefetch horizon) with an unsteady cost. A rank
/// with `workers` worker threads gets one chunk per idle worker first, whatever the estimates.
/// Short chunks are queued ~2 ms deep so latency is hidden; a long chunk gets its successor only
/// in the last ~2 ms before it is expected to end, and only when its cost is steady (equal tasks
/// then run back to back); untimed or unsteady long chunks get nothing queued behind them, so
/// the end of a map of uneven tasks stays balanced.
bool wants_another_chunk(std::size_t chunks, double seconds_left, std::size_t unknown,
                         std::size_t long_unsure, std::size_t workers = 1) noexcept;

/// Work queued ahead on a remote worker, in seconds.
inline constexpr double kPrefetchSeconds = 2e-3;

}  // namespace multirank::detail
