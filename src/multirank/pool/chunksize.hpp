#pragma once
/// \file How many inputs travel together: a fixed chunk size, or adaptive (guided self-scheduling).

#include <cstddef>
#include <limits>

namespace multirank {

/// Chunk size of a map: a fixed number of inputs per chunk (Python's `chunksize=n`), or `auto`.
///
/// `auto` is guided self-scheduling shaped by measured task times: the first chunk of a task that
/// was never timed holds one input; afterwards a chunk is about remaining/(2·workers) inputs (big
/// chunks first, small ones at the end), never less than ~50 µs of work (so tiny tasks are not
/// bound by messages) and never more than ~20 ms of work (so uneven tasks still balance).
class Chunksize {
 public:
  /// A fixed chunk size; 0 is refused (UsageError) where the chunk size is used.
  constexpr Chunksize(std::size_t n) noexcept : n_(n) {}  // NOLINT: implicit, like Python's int
  /// Adaptive chunking.
  static constexpr Chunksize automatic() noexcept { return Chunksize(kAuto, 0); }
  /// Whether this is adaptive chunking.
  [[nodiscard]] constexpr bool is_auto() const noexcept { return n_ == kAuto; }
  /// The fixed size (meaningless when is_auto()).
  [[nodiscard]] constexpr std::size_t fixed() const noexcept { return n_; }

 private:
  static constexpr std::size_t kAuto = std::numeric_limits<std::size_t>::max();
  constexpr Chunksize(std::size_t n, int /*tag*/) noexcept : n_(n) {}
  std::size_t n_;
};

/// Adaptive chunking, for `map(task, inputs, auto_chunksize)`.
inline constexpr Chunksize auto_chunksize = Chunksize::automatic();

}  // namespace multirank
